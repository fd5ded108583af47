/* clima: the boot state machine of the hostagent. */
/*
 * ha_boot_step() is the only place the state moves.  Readiness is
 * pushed by the guest (boot.sh writes markers to the virtio-serial port)
 * and confirmed with one ssh command; a fallback probe starts after
 * HA_PROBE_FIRST_MSEC and backs off to HA_PROBE_MAX_MSEC, so a guest
 * without the push channel still comes up.  Each phase is timed, a
 * stalled phase is reported while it stalls, and a phase past its
 * deadline fails the start with one line: what, why, what to do.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "events/events.h"
#include "hostagent/ha-int.h"
#include "hostagent/ha-proc.h"

static const char *const ha_state_names[] = {
	"init", "qemu-starting", "ssh-wait", "master-wait", "boot-wait",
	"routines", "probes", "running", "stopping", "exiting"
};

const char *
ha_state_name(enum ha_state s)
{
	return ha_state_names[s];
}

static double
ha_elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
ha_phase_end(struct hostagent *ha)
{
	struct ha_phase *p;

	if (ha->nphases == 0)
		return;
	p = &ha->phases[ha->nphases - 1];
	if (p->end.tv_sec != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->end);
	log_info("Phase `%s` done in %.3fs (%.3fs since start)", p->name,
	    ha_elapsed(&p->start, &p->end), ha_elapsed(&ha->t0, &p->end));
}

void
ha_phase_begin(struct hostagent *ha, const char *name)
{
	struct ha_phase *p;

	ha_phase_end(ha);
	if (ha->nphases == HA_PHASES_MAX)
		return;
	p = &ha->phases[ha->nphases++];
	p->name = name;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	memset(&p->end, 0, sizeof p->end);
	log_info("Waiting for %s", name);
}

/* Reports the current phase while it stalls. */
static void
ha_stall_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hostagent *ha = arg;
	struct ha_phase *p;
	struct timespec now;

	if (ha->nphases == 0)
		return;
	p = &ha->phases[ha->nphases - 1];
	if (p->end.tv_sec != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* The timer runs across phases: a phase just begun is not stalled. */
	if (ha_elapsed(&p->start, &now) < HA_STALL_REPORT_SEC / 2)
		return;
	log_info("Still waiting for %s (%.0fs so far; the guest console is "
		 "in `%s/serial.log`)", p->name, ha_elapsed(&p->start, &now),
	    ha->dir);
}

static void
ha_phase_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hostagent *ha = arg;

	switch (ha->state) {
	case HA_STATE_QEMU_STARTING:
		ha_boot_fail(ha, "QEMU did not answer on QMP (hint: see "
				 "`%s/ha.stderr.log` for QEMU's own messages)",
		    ha->dir);
		break;
	case HA_STATE_SSH_WAIT:
	case HA_STATE_MASTER_WAIT:
		ha_boot_fail(ha, "the guest did not accept an ssh login in "
				 "%d seconds (hint: see `%s/serial.log`; a busy "
				 "host or a guest without cloud-init and sshd "
				 "cannot boot)", HA_SSH_TIMEOUT_SEC, ha->dir);
		break;
	case HA_STATE_BOOT_WAIT:
		ha_boot_fail(ha, "the guest boot scripts did not finish in %d "
				 "seconds (hint: check "
				 "/var/log/cloud-init-output.log in the guest "
				 "with `limactl shell %s`)",
		    HA_BOOT_TIMEOUT_SEC, ha->name);
		break;
	default:
		break;
	}
}

static void
ha_deadline(struct hostagent *ha, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(ha->phase_timer, &tv);
}

static void
ha_probe_schedule(struct hostagent *ha, int first)
{
	struct timeval tv;

	if (first || ha->probe_msec < HA_PROBE_FIRST_MSEC)
		ha->probe_msec = HA_PROBE_FIRST_MSEC;
	else {
		ha->probe_msec = ha->probe_msec * 3 / 2;
		if (ha->probe_msec > HA_PROBE_MAX_MSEC)
			ha->probe_msec = HA_PROBE_MAX_MSEC;
	}
	tv.tv_sec = ha->probe_msec / 1000;
	tv.tv_usec = (ha->probe_msec % 1000) * 1000;
	evtimer_add(ha->probe_timer, &tv);
}

static void
ha_probe_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	ha_boot_step(arg, HA_IN_PROBE_TIMER);
}

/*
 * A probe's first stdout line is the marker file's content.  It is kept
 * in ha, not in a per-probe allocation: a probe still in flight when the
 * loop ends is freed by hostagent_free without its done callback.
 */
static void
ha_probe_line_cb(struct ha_job *job, int fd, const char *line, size_t len,
    void *arg)
{
	struct hostagent *ha = arg;

	if (fd == 1 && job == ha->probe && !ha->probe_got) {
		snprintf(ha->probe_line, sizeof ha->probe_line, "%s", line);
		ha->probe_got = 1;
	} else if (fd == 2)
		log_debug("probe: %s", line);
}

static void
ha_probe_done_cb(struct ha_job *job, int status, void *arg)
{
	struct hostagent *ha = arg;
	int match;

	if (ha->probe != job) {
		/* A waiter made redundant by a push: nothing to do. */
		return;
	}
	ha->probe = NULL;
	match = status == 0 && ha->probe_got &&
	    strcmp(ha->probe_line, ha->iid) == 0;
	log_debug("%s: probe in state %s: status %d, read \"%s\"", __func__,
	    ha_state_name(ha->state), status,
	    ha->probe_got ? ha->probe_line : "");
	if (match && ha->state == HA_STATE_SSH_WAIT)
		ha_boot_step(ha, HA_IN_SSH_READY);
	else if (match && ha->state == HA_STATE_BOOT_WAIT)
		ha_boot_step(ha, HA_IN_BOOT_DONE);
	else if (ha->state == HA_STATE_SSH_WAIT ||
	    ha->state == HA_STATE_BOOT_WAIT)
		ha_probe_schedule(ha, 0);
}

/*
 * Drops the in-flight probe when the state moves on: it is killed and
 * its end ignored (its done callback sees it is no longer ha->probe).
 */
static void
ha_probe_abandon(struct hostagent *ha)
{
	evtimer_del(ha->probe_timer);
	if (ha->probe != NULL) {
		ha_job_kill(ha->probe, SIGTERM);
		ha->probe = NULL;
	}
}

/* Runs one probe of the marker file for the current state. */
static void
ha_probe_run(struct hostagent *ha)
{
	const char *marker;
	char **argv, *cmd, *cause = NULL;
	int use_master;

	if (ha->probe != NULL)
		return; /* one at a time; its end schedules the next */
	evtimer_del(ha->probe_timer);
	if (ha->state == HA_STATE_SSH_WAIT) {
		marker = "/run/lima-ssh-ready";
		use_master = 0;
		xasprintf(&cmd, "cat %s 2>/dev/null || true", marker);
	} else if (ha->state == HA_STATE_BOOT_WAIT) {
		/*
		 * Over the master, one command waits in the guest for the
		 * marker (a shell read every HA_GUEST_WAIT_SEC, no host
		 * round trips) and answers the moment it holds this IID.
		 */
		marker = "/run/lima-boot-done";
		use_master = 1;
		/*
		 * bash's "read -t" on our never-written stdin pipe is a
		 * sleep without a fork (forks are slow under TCG); sh falls
		 * back to sleep(1).
		 */
		xasprintf(&cmd, "w='until { read -r l <%s; } 2>/dev/null && "
				"[ \"$l\" = %s ]; do %%s; done; echo \"$l\"'; "
				"if command -v bash >/dev/null; then "
				"exec bash -c \"$(printf \"$w\" 'read -t %s _')\"; "
				"else eval \"$(printf \"$w\" 'sleep %s')\"; fi",
		    marker, ha->iid, HA_GUEST_WAIT_SEC, HA_GUEST_WAIT_SEC);
	} else
		return;
	argv = ha_ssh_argv(ha, use_master, cmd);
	free(cmd);
	ha->probe_got = 0;
	ha->probe = ha_job_start(ha->jobs, (const char *const *)argv, NULL,
	    use_master ? HA_JOB_SPAWN_STDIN : 0, ha_probe_line_cb,
	    ha_probe_done_cb, ha, &cause);
	ha_argv_free(argv);
	if (ha->probe == NULL) {
		ha_boot_fail(ha, "cannot run ssh: %s (hint: install "
				 "openssh-client)", cause);
		free(cause);
	}
}

static void
ha_master_line_cb(struct ha_job *job, int fd, const char *line, size_t len,
    void *arg)
{
	log_debug("ssh master: %s", line);
}

static void ha_master_start(struct hostagent *);

static void
ha_master_done_cb(struct ha_job *job, int status, void *arg)
{
	struct hostagent *ha = arg;
	char *why = ha_job_status_string(status);

	ha->master = NULL;
	if (ha->state == HA_STATE_STOPPING || ha->state == HA_STATE_EXITING) {
		free(why);
		return;
	}
	if (ha->state == HA_STATE_MASTER_WAIT) {
		/* sshd was not ready after all: probe until it is. */
		log_info("The ssh control master could not log in yet (%s)",
		    why);
		free(why);
		ha->state = HA_STATE_SSH_WAIT;
		ha_probe_schedule(ha, 0);
		return;
	}
	if (ha->master_restarts++ >= HA_MASTER_RESTART_MAX) {
		ha_boot_fail(ha, "the ssh control master keeps exiting (%s) "
				 "(hint: see `%s/ha.stderr.log`)", why,
		    ha->dir);
		free(why);
		return;
	}
	log_warnx("ssh control master exited (%s); restarting it", why);
	free(why);
	ha_master_start(ha);
}

static void
ha_master_start(struct hostagent *ha)
{
	char **argv, *cause = NULL, *sock;

	xasprintf(&sock, "%s/ssh.sock", ha->dir);
	(void)unlink(sock);
	free(sock);
	argv = ha_ssh_master_argv(ha);
	ha->master = ha_job_start(ha->jobs, (const char *const *)argv, NULL,
	    0, ha_master_line_cb, ha_master_done_cb, ha, &cause);
	ha_argv_free(argv);
	if (ha->master == NULL) {
		ha_boot_fail(ha, "cannot start the ssh control master: %s",
		    cause);
		free(cause);
	}
}

static void ha_emit_running(struct hostagent *);
static void ha_user_probe_run(struct hostagent *);
static void ha_probe_schedule(struct hostagent *, int);

static int
ha_user_probe_timeout(void)
{
	const char *s = getenv("LIMA_PROBE_TIMEOUT");
	int v;

	if (s != NULL && (v = atoi(s)) > 0)
		return v;
	return HA_USER_PROBE_TIMEOUT_SEC;
}

static void
ha_user_probe_line_cb(struct ha_job *job, int fd, const char *line,
    size_t len, void *arg)
{
	log_debug("probe[%s]: %s", fd == 1 ? "stdout" : "stderr", line);
}

/* All probes tried: running, degraded when one failed. */
static void
ha_user_probes_done(struct hostagent *ha)
{
	ha_phase_end(ha);
	ha->state = HA_STATE_RUNNING;
	ha_emit_running(ha);
}

/* Starts probe number i (from 0), or finishes when there is none. */
static void
ha_user_probe_begin(struct hostagent *ha, size_t i)
{
	ha->user_probe = i;
	if (i >= ha->nprobes) {
		ha_user_probes_done(ha);
		return;
	}
	log_info("Waiting for the optional requirement %zu of %zu: `%s`",
	    i + 1, ha->nprobes, ha->probes[i].description);
	ha->probe_msec = 0;
	clock_gettime(CLOCK_MONOTONIC, &ha->user_probe_t0);
	ha_user_probe_run(ha);
}

static void
ha_user_probe_next(struct hostagent *ha)
{
	ha_user_probe_begin(ha, ha->user_probe + 1);
}

static void
ha_user_probe_done_cb(struct ha_job *job, int status, void *arg)
{
	struct hostagent *ha = arg;
	const struct config_probe *p = &ha->probes[ha->user_probe];
	struct timespec now;
	char *err;
	int timeout;

	if (ha->probe != job)
		return;
	ha->probe = NULL;
	if (ha->state != HA_STATE_PROBES)
		return;
	if (status == 0) {
		log_info("The optional requirement %zu of %zu is satisfied",
		    ha->user_probe + 1, ha->nprobes);
		ha_user_probe_next(ha);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	timeout = ha_user_probe_timeout();
	if (ha->user_probe < ha->nbuiltin_probes &&
	    timeout > HA_BUILTIN_PROBE_TIMEOUT_SEC)
		timeout = HA_BUILTIN_PROBE_TIMEOUT_SEC;
	if (ha_elapsed(&ha->user_probe_t0, &now) < timeout) {
		ha_probe_schedule(ha, 0);
		return;
	}
	xasprintf(&err, "failed to satisfy the optional requirement %zu of "
			"%zu `%s`: %s", ha->user_probe + 1, ha->nprobes,
	    p->description, p->hint != NULL && *p->hint != '\0' ? p->hint :
	    "the probe script kept failing");
	log_error("%s", err);
	ha->errors = xreallocarray(ha->errors, ha->nerrors + 1,
	    sizeof *ha->errors);
	ha->errors[ha->nerrors++] = err;
	ha_user_probe_next(ha);
}

/*
 * One attempt of the current probe: its script goes to the interpreter
 * named on its #! line, over the control master, on stdin.
 */
static void
ha_user_probe_run(struct hostagent *ha)
{
	const struct config_probe *p = &ha->probes[ha->user_probe];
	char **argv, *interp, *nl, *cause = NULL;

	if (ha->probe != NULL)
		return;
	interp = xstrdup(p->script + 2); /* validation: starts with #! */
	if ((nl = strchr(interp, '\n')) != NULL)
		*nl = '\0';
	argv = ha_ssh_argv(ha, 1, interp);
	free(interp);
	ha->probe = ha_job_start(ha->jobs, (const char *const *)argv, NULL,
	    HA_JOB_SPAWN_STDIN, ha_user_probe_line_cb, ha_user_probe_done_cb,
	    ha, &cause);
	ha_argv_free(argv);
	if (ha->probe == NULL) {
		ha_boot_fail(ha, "cannot run ssh: %s", cause);
		free(cause);
		return;
	}
	ha_job_write(ha->probe, p->script, strlen(p->script));
	ha_job_close_stdin(ha->probe);
}

/* What the cloud-init tail prints once cloud-init has finished. */
#define HA_CLOUDINIT_DONE "clima-cloud-init-finished"

static void
ha_cloudinit_line_cb(struct ha_job *job, int fd, const char *line,
    size_t len, void *arg)
{
	struct hostagent *ha = arg;
	char *cause = NULL;
	int done;

	if (fd != 1) {
		log_debug("cloud-init tail: %s", line);
		return;
	}
	done = strcmp(line, HA_CLOUDINIT_DONE) == 0;
	if (done)
		ha->cloudinit_done = 1;
	if (events_emit_cloud_init(ha->events, done ? "" : line, done,
	    &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
}

static void
ha_cloudinit_done_cb(struct ha_job *job, int status, void *arg)
{
	struct hostagent *ha = arg;
	char *cause = NULL;

	if (ha->cloudinit == job)
		ha->cloudinit = NULL;
	if (ha->cloudinit_done || ha->state >= HA_STATE_STOPPING)
		return;
	/* The CLI waits for completion: never leave it waiting. */
	log_warnx("could not follow cloud-init's output (ssh exited with "
		  "status %d); see /var/log/cloud-init-output.log in the guest",
	    status);
	ha->cloudinit_done = 1;
	if (events_emit_cloud_init(ha->events, "", 1, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
}

/*
 * --progress: follow /var/log/cloud-init-output.log over the master and
 * emit each new line as a cloudInitProgress event; cloud-init is done
 * when /run/cloud-init/result.json (this boot's) exists.  Capped at ten
 * minutes, as Lima does.
 */
static void
ha_cloudinit_start(struct hostagent *ha)
{
	char **argv, *cause = NULL;

	if (!ha->progress || ha->cloudinit != NULL)
		return;
	/* From this boot's first line (the last init-local start) on. */
	argv = ha_ssh_argv(ha, 1, "sudo -n timeout 600 sh -c '"
	    "f=/var/log/cloud-init-output.log; "
	    "n=$(grep -n \"running .init-local\" $f 2>/dev/null | tail -n 1 | "
	    "cut -d: -f1); tail -n +${n:-1} -F $f 2>/dev/null & t=$!; "
	    "until test -e /run/cloud-init/result.json; do sleep 0.2; done; "
	    "sleep 0.3; kill $t; echo " HA_CLOUDINIT_DONE "'");
	ha->cloudinit = ha_job_start(ha->jobs, (const char *const *)argv,
	    NULL, 0, ha_cloudinit_line_cb, ha_cloudinit_done_cb, ha, &cause);
	ha_argv_free(argv);
	if (ha->cloudinit == NULL) {
		log_warnx("cannot follow cloud-init: %s", cause);
		free(cause);
	}
}

void
ha_boot_push(struct hostagent *ha, const char *phase, const char *iid)
{
	if (iid == NULL || strcmp(iid, ha->iid) != 0) {
		log_debug("%s: push %s for another boot (%s)", __func__, phase,
		    iid != NULL ? iid : "no iid");
		return;
	}
	log_debug("%s: the guest pushed %s", __func__, phase);
	if (strcmp(phase, "boot-done") == 0)
		ha->pushed_boot_done = 1;
	if ((strcmp(phase, "ssh-ready") == 0 &&
		ha->state == HA_STATE_SSH_WAIT) ||
	    (strcmp(phase, "boot-done") == 0 &&
		ha->state == HA_STATE_BOOT_WAIT))
		ha_boot_step(ha, HA_IN_PUSH);
}

void
ha_boot_fail(struct hostagent *ha, const char *fmt, ...)
{
	va_list ap;

	if (ha->failure != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&ha->failure, fmt, ap);
	va_end(ap);
	ha_boot_step(ha, HA_IN_FAIL);
}

static void
ha_emit_running(struct hostagent *ha)
{
	char *cause = NULL;

	if (events_emit_running(ha->events, ha->nerrors > 0,
	    (const char *const *)ha->errors, ha->nerrors, &cause) != 0) {
		log_warnx("cannot write the running event: %s", cause);
		free(cause);
	}
}

void
ha_boot_step(struct hostagent *ha, enum ha_input in)
{
	char *cause = NULL;
	struct timeval tv = { HA_STALL_REPORT_SEC, 0 };

	log_debug("%s: state %s, input %d", __func__, ha_state_name(ha->state),
	    (int)in);
	if (in == HA_IN_QEMU_EXITED) {
		evtimer_del(ha->probe_timer);
		evtimer_del(ha->phase_timer);
		evtimer_del(ha->stall_timer);
		ha_phase_end(ha);
		ha->state = HA_STATE_EXITING;
		ha_cleanup_and_exit(ha);
		return;
	}
	if (in == HA_IN_STOP || in == HA_IN_FAIL) {
		if (ha->state == HA_STATE_STOPPING ||
		    ha->state == HA_STATE_EXITING)
			return;
		if (in == HA_IN_FAIL)
			log_error("%s", ha->failure);
		else {
			ha->requested = 1;
			log_info("Shutting down the host agent");
		}
		evtimer_del(ha->probe_timer);
		evtimer_del(ha->phase_timer);
		evtimer_del(ha->stall_timer);
		ha_phase_end(ha);
		ha->state = HA_STATE_STOPPING;
		ha_shutdown_qemu(ha);
		return;
	}

	switch (ha->state) {
	case HA_STATE_INIT:
		if (in != HA_IN_START)
			break;
		ha->state = HA_STATE_QEMU_STARTING;
		ha_phase_begin(ha, "QEMU to start");
		evtimer_add(ha->stall_timer, &tv);
		ha_deadline(ha, HA_QMP_TIMEOUT_MSEC / 1000);
		break;
	case HA_STATE_QEMU_STARTING:
		if (in == HA_IN_VM_RUNNING) {
			events_set_ssh_port(ha->events, ha->ssh_port);
			if (events_emit_status(ha->events, &cause) != 0) {
				log_warnx("%s", cause);
				free(cause);
			}
			ha->state = HA_STATE_SSH_WAIT;
			ha_phase_begin(ha, "the guest to accept ssh");
			ha_deadline(ha, HA_SSH_TIMEOUT_SEC);
			ha_probe_schedule(ha, 1);
		}
		break;
	case HA_STATE_SSH_WAIT:
		if (in == HA_IN_PROBE_TIMER)
			ha_probe_run(ha);
		else if (in == HA_IN_SSH_READY || in == HA_IN_PUSH) {
			/*
			 * The guest said sshd may be used (or a login saw the
			 * marker): the control master's own login is the
			 * confirmation, which saves one ssh handshake.
			 */
			ha_probe_abandon(ha);
			ha->state = HA_STATE_MASTER_WAIT;
			ha_phase_begin(ha, "the ssh control master");
			ha_master_start(ha);
		}
		break;
	case HA_STATE_MASTER_WAIT:
		if (in == HA_IN_MASTER_UP) {
			ha_cloudinit_start(ha);
			ha->state = HA_STATE_BOOT_WAIT;
			ha_phase_begin(ha, "the guest boot scripts to finish");
			ha_deadline(ha, HA_BOOT_TIMEOUT_SEC);
			/*
			 * The boot scripts said they are done (with this
			 * boot's IID) and the master's login just proved ssh
			 * works: nothing is left to confirm.
			 */
			if (ha->pushed_boot_done)
				ha_boot_step(ha, HA_IN_BOOT_DONE);
			else
				ha_probe_run(ha);
		}
		break;
	case HA_STATE_BOOT_WAIT:
		if (in == HA_IN_PUSH) {
			/* The waiter is now redundant. */
			ha_probe_abandon(ha);
			ha_boot_step(ha, HA_IN_BOOT_DONE);
		} else if (in == HA_IN_PROBE_TIMER)
			ha_probe_run(ha);
		else if (in == HA_IN_BOOT_DONE) {
			ha_probe_abandon(ha);
			evtimer_del(ha->phase_timer);
			evtimer_del(ha->stall_timer);
			ha_phase_end(ha);
			log_info("The guest has booted (%.3fs since the "
				 "hostagent started)", ha_elapsed(&ha->t0,
				 &ha->phases[ha->nphases - 1].end));
			ha->state = HA_STATE_ROUTINES;
			if (ha_routines_start(ha) > 0)
				break;
			ha_boot_step(ha, HA_IN_ROUTINES_DONE);
		}
		break;
	case HA_STATE_ROUTINES:
		if (in != HA_IN_ROUTINES_DONE)
			break;
		ha_phase_end(ha);
		if (ha->nprobes > 0) {
			ha->state = HA_STATE_PROBES;
			ha_phase_begin(ha, "the optional requirements");
			ha_user_probe_begin(ha, 0);
			break;
		}
		ha->state = HA_STATE_RUNNING;
		ha_emit_running(ha);
		break;
	case HA_STATE_PROBES:
		if (in == HA_IN_PROBE_TIMER)
			ha_user_probe_run(ha);
		break;
	default:
		break;
	}
}

/* /v1/status: state, phases with durations. */
struct node *
ha_status_node(struct hostagent *ha)
{
	struct node *n, *list, *p;
	struct timespec now;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	n = node_new_map();
	node_map_set(n, "name", node_new_str(ha->name));
	node_map_set(n, "state", node_new_str(ha_state_name(ha->state)));
	node_map_set(n, "sshLocalPort", node_new_int(ha->ssh_port));
	node_map_set(n, "uptime", node_new_float(ha_elapsed(&ha->t0, &now)));
	list = node_new_seq();
	for (i = 0; i < ha->nphases; i++) {
		p = node_new_map();
		node_map_set(p, "name", node_new_str(ha->phases[i].name));
		node_map_set(p, "start", node_new_float(ha_elapsed(&ha->t0,
		    &ha->phases[i].start)));
		if (ha->phases[i].end.tv_sec != 0)
			node_map_set(p, "duration", node_new_float(ha_elapsed(
			    &ha->phases[i].start, &ha->phases[i].end)));
		node_seq_append(list, p);
	}
	node_map_set(n, "phases", list);
	node_map_set(n, "forwards", ha_forwards_node(ha));
	return n;
}

void
ha_boot_timers_init(struct hostagent *ha)
{
	ha->probe_timer = evtimer_new(ha->base, ha_probe_timer_cb, ha);
	ha->stall_timer = event_new(ha->base, -1, EV_PERSIST, ha_stall_cb, ha);
	ha->phase_timer = evtimer_new(ha->base, ha_phase_deadline_cb, ha);
}
