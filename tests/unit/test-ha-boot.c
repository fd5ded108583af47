/* clima: tests for hostagent/ha-boot.c, the boot state machine. */
/*
 * A struct hostagent built as hostagent_main builds it, but without QEMU
 * and without a guest: the test feeds QEMU's inputs and the guest's pushes
 * itself, and a fake `ssh` first in PATH answers the probes and plays the
 * control master (a listening ssh.sock, so inotify moves MASTER_WAIT on)
 * as control files in the temp dir say.  Each case checks the state, the
 * phases and the events written to a file.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cidata/cidata.h"
#include "common/log.h"
#include "common/sshopts.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "config/config.h"
#include "events/events.h"
#include "hostagent/ha-int.h"
#include "hostagent/ha-proc.h"
#include "tests/tap.h"

#define T_GUARD_MSEC        5000  /* per wait; most take < 0.5 s */
#define T_PROBES_GUARD_MSEC 8000  /* two probes of 1 s, retried */
#define T_TICK_MSEC         5     /* how often a wait checks its condition */
#define T_REAP_MSEC         5000  /* children of a freed hostagent */
#define T_SSH_PORT          60022 /* only in events; nothing listens */
#define T_OTHER_IID         "iid-0"

static char t_dir[] = "/tmp/ha-boot-XXXXXX";
static char *t_ctl;  /* control files of the fake ssh, and its log */
static char *t_home; /* LIMA_HOME */
static struct hostagent *ha;
static int t_evfd = -1;
static char *t_evpath;
static int guard_fired;
static int (*t_cond)(void);
static enum ha_state t_want;

/*
 * The fake ssh; the test puts "c=CTL" before it.  CTL/<kind> holds the
 * mode of each kind of call: ssh-ready and boot-done, the marker probes
 * (none: no marker yet, iid, other: another boot's, hang, fail: sshd
 * refuses); master (listen: a socket at ControlPath until killed; fail1:
 * one failed login, then listen; anything else fails); user, the probe
 * scripts on stdin (ok, run: run the script here, anything else fails).
 * Each call appends "kind mode ControlPath" to CTL/calls.
 */
static const char t_fake_ssh[] =
    "master=0 cpath= cmd=\n"
    "while [ $# -gt 0 ]; do\n"
    "\tcase $1 in\n"
    "\t-V) echo 'OpenSSH_9.6p1, fake' >&2; exit 0 ;;\n"
    "\t-o) case $2 in\n"
    "\t    ControlMaster=yes) master=1 ;;\n"
    "\t    ControlPath=*) cpath=${2#ControlPath=} ;;\n"
    "\t    esac\n"
    "\t    shift 2 ;;\n"
    "\t-F|-p) shift 2 ;;\n"
    "\t--) shift; cmd=$*; break ;;\n"
    "\t*) shift ;;\n"
    "\tesac\n"
    "done\n"
    "cpath=${cpath#\\\"}; cpath=${cpath%\\\"}\n"
    "if [ $master = 1 ]; then\n"
    "\tkind=master\n"
    "else\n"
    "\tcase $cmd in\n"
    "\t*lima-ssh-ready*) kind=ssh-ready ;;\n"
    "\t*lima-boot-done*) kind=boot-done ;;\n"
    "\t*) kind=user ;;\n"
    "\tesac\n"
    "fi\n"
    "mode=$(cat \"$c/$kind\" 2>/dev/null)\n"
    "echo \"$kind $mode $cpath\" >>\"$c/calls\"\n"
    "case $kind:$mode in\n"
    "master:listen)\n"
    "\texec python3 -c 'import signal, socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "s.bind(sys.argv[1])\n"
    "s.listen(1)\n"
    "signal.pause()' \"$cpath\" ;;\n"
    "master:fail1)\n"
    "\techo listen >\"$c/master.tmp\"; mv \"$c/master.tmp\" \"$c/master\"\n"
    "\techo 'Permission denied (publickey).' >&2; exit 255 ;;\n"
    "master:*) echo 'Permission denied (publickey).' >&2; exit 255 ;;\n"
    "user:run) exec $cmd ;;\n"
    "user:ok) cat >/dev/null; exit 0 ;;\n"
    "user:*) cat >/dev/null; exit 1 ;;\n"
    "*:iid) cat \"$c/iid\"; exit 0 ;;\n"
    "*:other) echo " T_OTHER_IID "; exit 0 ;;\n"
    "*:hang) exec sleep 60 ;;\n"
    "*:fail) echo 'ssh: connect to host 127.0.0.1: Connection refused' >&2;"
    " exit 255 ;;\n"
    "*) exit 0 ;;\n"
    "esac\n";

/* containerd is on by default: it adds two requirements (case 6). */
#define T_YAML_IMAGE "images: [{location: \"https://example.com/x.img\"}]\n"
#define T_YAML_BASE T_YAML_IMAGE "containerd: {system: false, user: false}\n"

/* ---- files ---- */

static void
t_write(const char *path, const char *text, mode_t mode)
{
	char *tmp;
	FILE *f;

	xasprintf(&tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(tmp, mode) != 0 ||
	    rename(tmp, path) != 0) {
		printf("Bail out! cannot write %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	free(tmp);
}

/* Sets the fake ssh's mode for one kind of call (atomically). */
static void
t_ctl_set(const char *kind, const char *mode)
{
	char *path, *text;

	xasprintf(&path, "%s/%s", t_ctl, kind);
	xasprintf(&text, "%s\n", mode);
	t_write(path, text, 0644);
	free(text);
	free(path);
}

/* Calls of kind (with mode, unless NULL) in CTL/calls so far. */
static int
t_calls(const char *kind, const char *mode)
{
	char *path, *line = NULL, *want;
	size_t cap = 0;
	FILE *f;
	int n = 0;

	xasprintf(&path, "%s/calls", t_ctl);
	xasprintf(&want, "%s %s", kind, mode != NULL ? mode : "");
	if ((f = fopen(path, "re")) != NULL) {
		while (getline(&line, &cap, f) > 0) {
			if (strncmp(line, want, strlen(want)) == 0)
				n++;
		}
		fclose(f);
	}
	free(line);
	free(want);
	free(path);
	return n;
}

/* The ControlPath of the last call of kind; the caller's, or NULL. */
static char *
t_calls_cpath(const char *kind)
{
	char *path, *line = NULL, *last = NULL, *sp;
	size_t cap = 0, len = strlen(kind);
	FILE *f;

	xasprintf(&path, "%s/calls", t_ctl);
	if ((f = fopen(path, "re")) != NULL) {
		while (getline(&line, &cap, f) > 0) {
			if (strncmp(line, kind, len) != 0 || line[len] != ' ')
				continue;
			line[strcspn(line, "\n")] = '\0';
			if ((sp = strrchr(line, ' ')) == NULL)
				continue;
			free(last);
			last = xstrdup(sp + 1);
		}
		fclose(f);
	}
	free(line);
	free(path);
	return last;
}

static int
t_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* ---- the events written ---- */

struct t_events {
	int n;
	int nrunning;
	int ndegraded;
	int nexiting;
	int first_is_port; /* the first line is {"status":{"sshLocalPort":N}} */
	char errors[1024]; /* of the last running or exiting event, '|' */
};

static void
t_events_read(struct t_events *e)
{
	struct events_event ev;
	char *line = NULL, *cause = NULL, want[64];
	size_t cap = 0, i;
	ssize_t len;
	FILE *f;

	memset(e, 0, sizeof *e);
	memset(&ev, 0, sizeof ev);
	snprintf(want, sizeof want, "\"status\":{\"sshLocalPort\":%d}}",
	    T_SSH_PORT);
	if ((f = fopen(t_evpath, "re")) == NULL)
		return;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (e->n++ == 0)
			e->first_is_port = strstr(line, want) != NULL;
		if (events_decode(line, (size_t)len, &ev, &cause) != 0) {
			printf("# bad event line: %s: %s\n", line, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		e->nrunning += ev.status.running;
		e->ndegraded += ev.status.degraded;
		e->nexiting += ev.status.exiting;
		if (ev.status.running || ev.status.exiting) {
			e->errors[0] = '\0';
			for (i = 0; i < ev.status.nerrors; i++) {
				if (i > 0)
					strlcat(e->errors, "|",
					    sizeof e->errors);
				strlcat(e->errors, ev.status.errors[i],
				    sizeof e->errors);
			}
		}
		events_event_clear(&ev);
	}
	fclose(f);
	free(line);
}

/* ---- phases ---- */

/* Names of the phases so far, '|' between them. */
static const char *
t_phases(void)
{
	static char buf[1024];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < ha->nphases; i++) {
		if (i > 0)
			strlcat(buf, "|", sizeof buf);
		strlcat(buf, ha->phases[i].name, sizeof buf);
	}
	return buf;
}

/* Phases that have ended. */
static size_t
t_phases_ended(void)
{
	size_t i, n = 0;

	for (i = 0; i < ha->nphases; i++) {
		if (ha->phases[i].end.tv_sec != 0)
			n++;
	}
	return n;
}

/* ---- the loop ---- */

static void
t_guard_cb(evutil_socket_t fd, short what, void *arg)
{
	guard_fired = 1;
	event_base_loopbreak(ha->base);
}

static void
t_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	if (t_cond != NULL && t_cond())
		event_base_loopbreak(ha->base);
}

/*
 * Runs the loop until cond holds (NULL: for msec), the hostagent ends
 * the loop (ha_cleanup_and_exit) or msec pass.  Returns cond's value.
 */
static int
t_run(int (*cond)(void), int msec)
{
	struct timeval tv = { msec / 1000, (msec % 1000) * 1000 };
	struct timeval tick = { 0, T_TICK_MSEC * 1000 };
	struct event *guard, *ticker;

	if (cond != NULL && cond())
		return 1;
	t_cond = cond;
	guard = evtimer_new(ha->base, t_guard_cb, NULL);
	ticker = event_new(ha->base, -1, EV_PERSIST, t_tick_cb, NULL);
	evtimer_add(guard, &tv);
	evtimer_add(ticker, &tick);
	guard_fired = 0;
	event_base_dispatch(ha->base);
	event_free(ticker);
	event_free(guard);
	t_cond = NULL;
	if (cond != NULL && guard_fired)
		printf("# waited %d ms in vain, in state %s\n", msec,
		    ha_state_name(ha->state));
	return cond == NULL || cond();
}

static int
t_cond_state(void)
{
	return ha->state == t_want;
}

static int
t_run_until_state(enum ha_state s)
{
	t_want = s;
	return t_run(t_cond_state, T_GUARD_MSEC);
}

static int
t_cond_probe(void)
{
	return ha->probe != NULL;
}

/* The fake ssh has logged the in-flight probe's call. */
static int
t_cond_probe_logged(void)
{
	return ha->probe != NULL && t_calls("ssh-ready", NULL) > 0;
}

/* A probe that read another boot's IID has ended. */
static int
t_cond_other_done(void)
{
	return ha->probe == NULL && t_calls("ssh-ready", "other") > 0;
}

static int
t_cond_backoff(void)
{
	return ha->probe_msec >= HA_PROBE_FIRST_MSEC * 9 / 4;
}

static int
t_cond_one_job(void)
{
	return ha_jobs_count(ha->jobs) == 1;
}

static int
t_cond_no_jobs(void)
{
	return ha_jobs_count(ha->jobs) == 0;
}

static double
t_msec_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* ---- a hostagent without QEMU ---- */

/*
 * As hostagent_main: the config from DIR/lima.yaml, the probes, the IID,
 * the ssh options, the loop, jobs with the SIGCHLD evsignal, the events
 * writer (on a file here), the boot timers and the inotify watch.  No API
 * socket, no QMP, no DNS, no pid file: the state machine needs none.
 */
static void
t_ha_new(const char *name, const char *yaml)
{
	struct config_env env;
	char *cause = NULL, *path;

	ha = xcalloc(1, sizeof *ha);
	clock_gettime(CLOCK_MONOTONIC, &ha->t0);
	ha->inotify_fd = -1;
	ha->name = xstrdup(name);
	ha->home = xstrdup(t_home);
	xasprintf(&ha->dir, "%s/%s", t_home, name);
	if (mkdir(ha->dir, 0700) != 0) {
		printf("Bail out! mkdir %s: %s\n", ha->dir, strerror(errno));
		exit(1);
	}
	xasprintf(&path, "%s/lima.yaml", ha->dir);
	t_write(path, yaml, 0644);
	config_env_host(&env, ha->home, ha->name);
	ha->cfg = config_load(&env, path, &cause);
	config_env_free(&env);
	free(path);
	if (ha->cfg == NULL) {
		printf("Bail out! config_load: %s\n", cause);
		exit(1);
	}
	ha->ssh_port = T_SSH_PORT;
	ha_probes_init(ha);
	ha->iid = cidata_new_iid();
	xasprintf(&path, "%s/iid", t_ctl);
	t_write(path, ha->iid, 0644);
	free(path);
	ha->sshopts = ha_make_sshopts(ha);

	ha->base = event_base_new();
	ha->jobs = ha_jobs_new(ha->base);
	free(t_evpath);
	xasprintf(&t_evpath, "%s/ha.stdout.log", ha->dir);
	t_evfd = open(t_evpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0644);
	if (t_evfd == -1) {
		printf("Bail out! open %s: %s\n", t_evpath, strerror(errno));
		exit(1);
	}
	ha->events = events_writer_new(t_evfd);
	ha->sig_chld = evsignal_new(ha->base, SIGCHLD, ha_jobs_sigchld_cb,
	    ha->jobs);
	evsignal_add(ha->sig_chld, NULL);
	ha_boot_timers_init(ha);
	ha_inotify_start(ha);

	/* A fresh log of ssh calls, and the quiet modes. */
	xasprintf(&path, "%s/calls", t_ctl);
	(void)unlink(path);
	free(path);
	t_ctl_set("ssh-ready", "none");
	t_ctl_set("boot-done", "hang");
	t_ctl_set("master", "listen");
	t_ctl_set("user", "ok");
	printf("# case %s (%s)\n", name, ha->iid);
}

/*
 * hostagent_free with whatever is still in flight (it gets SIGTERM and
 * no callback), then waits for those children: none may outlive a case.
 */
static void
t_ha_free(void)
{
	struct timespec t0;
	int status, left = 0;
	pid_t pid;

	hostagent_free(ha);
	ha = NULL;
	close(t_evfd);
	t_evfd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0)
			continue;
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			break; /* ECHILD: none left */
		if (t_msec_since(&t0) > T_REAP_MSEC) {
			left = 1;
			break;
		}
		usleep(T_TICK_MSEC * 1000);
	}
	ok(!left, "no child left after hostagent_free");
}

/* The first two steps, QEMU's part (case 1). */
static void
t_to_ssh_wait(void)
{
	ha_boot_step(ha, HA_IN_START);
	ha_boot_step(ha, HA_IN_VM_RUNNING);
}

/* A stand-in for QEMU's job, so that a stop has something to wait for. */
static void
t_qemu_done_cb(struct ha_job *job, int status, void *arg)
{
	/* What ha_qemu_done_cb does once QEMU is gone. */
	ha->qemu = NULL;
	ha_boot_step(ha, HA_IN_QEMU_EXITED);
}

static void
t_qemu_start(void)
{
	const char *argv[] = { "sleep", "60", NULL };
	char *cause = NULL;

	ha->qemu = ha_job_start(ha->jobs, argv, NULL, HA_JOB_SPAWN_PGRP,
	    NULL, t_qemu_done_cb, NULL, &cause);
	if (ha->qemu == NULL) {
		printf("Bail out! %s\n", cause);
		exit(1);
	}
}

/* ---- cases ---- */

/* Cases 1-3: QEMU's inputs, then the guest's pushes, to RUNNING. */
static void
t_pushes(void)
{
	struct t_events e;
	char *path;

	t_ha_new("pushes", T_YAML_BASE);
	is_str(ha_state_name(ha->state), "init", "1: starts in init");
	ha_boot_step(ha, HA_IN_START);
	is_str(ha_state_name(ha->state), "qemu-starting",
	    "1: START -> qemu-starting");
	is_str(t_phases(), "QEMU to start", "1: phase QEMU to start");
	ok(evtimer_pending(ha->phase_timer, NULL), "1: QMP deadline armed");
	ok(evtimer_pending(ha->stall_timer, NULL), "1: stall report armed");
	t_events_read(&e);
	is_int(e.n, 0, "1: no event before the VM runs");

	ha_boot_step(ha, HA_IN_QMP_READY);
	is_int(ha->state, HA_STATE_QEMU_STARTING, "1: QMP_READY alone: "
	    "still qemu-starting");
	ha_boot_step(ha, HA_IN_VM_RUNNING);
	is_str(ha_state_name(ha->state), "ssh-wait",
	    "1: VM_RUNNING -> ssh-wait");
	is_str(t_phases(), "QEMU to start|the guest to accept ssh",
	    "1: phase the guest to accept ssh");
	is_int(t_phases_ended(), 1, "1: the first phase ended");
	is_int(ha->probe_msec, HA_PROBE_FIRST_MSEC, "1: fallback probe "
	    "after %d ms", HA_PROBE_FIRST_MSEC);
	ok(evtimer_pending(ha->probe_timer, NULL), "1: probe timer armed");
	t_events_read(&e);
	is_int(e.n, 1, "1: one event");
	ok(e.first_is_port, "1: it is {\"status\":{\"sshLocalPort\":%d}}",
	    T_SSH_PORT);
	is_int(e.nrunning, 0, "1: not running");

	/* Case 2: a fallback probe in flight, then pushes. */
	t_ctl_set("ssh-ready", "hang");
	ok(t_run(t_cond_probe, T_GUARD_MSEC), "2: a fallback probe runs");
	ha_boot_push(ha, "boot-done", T_OTHER_IID);
	is_int(ha->pushed_boot_done, 0, "2: boot-done of another boot "
	    "ignored");
	ha_boot_push(ha, "ssh-ready", T_OTHER_IID);
	ha_boot_push(ha, "ssh-ready", NULL);
	is_str(ha_state_name(ha->state), "ssh-wait", "2: ssh-ready of "
	    "another boot (or none) ignored");
	ok(ha->master == NULL, "2: no master yet");
	ha_boot_push(ha, "ssh-ready", ha->iid);
	is_str(ha_state_name(ha->state), "master-wait",
	    "2: ssh-ready with our IID -> master-wait");
	ok(ha->master != NULL, "2: the master job runs");
	ok(ha->probe == NULL, "2: the probe was abandoned");
	ok(!evtimer_pending(ha->probe_timer, NULL), "2: no probe due");
	is_str(t_phases(), "QEMU to start|the guest to accept ssh|"
	    "the ssh control master", "2: phase the ssh control master");

	/* Case 3: ssh.sock appears (inotify), then boot-done is pushed. */
	ok(t_run_until_state(HA_STATE_BOOT_WAIT), "3: ssh.sock -> boot-wait");
	is_int(t_calls("master", "listen"), 1, "3: one master started");
	xasprintf(&path, "%s/ssh.sock", ha->dir);
	ok(access(path, F_OK) == 0, "3: ssh.sock exists");
	free(path);
	ok(t_run(t_cond_probe, T_GUARD_MSEC) && ha->probe != NULL,
	    "3: the boot-done waiter runs over the master");
	is_str(t_phases(), "QEMU to start|the guest to accept ssh|"
	    "the ssh control master|the guest boot scripts to finish",
	    "3: phase the guest boot scripts to finish");
	t_events_read(&e);
	is_int(e.nrunning, 0, "3: not running yet");
	ha_boot_push(ha, "boot-done", T_OTHER_IID);
	is_str(ha_state_name(ha->state), "boot-wait", "3: boot-done of "
	    "another boot ignored");
	ha_boot_push(ha, "boot-done", ha->iid);
	is_str(ha_state_name(ha->state), "running", "3: boot-done with our "
	    "IID -> running");
	ok(ha->probe == NULL, "3: the waiter was abandoned");
	is_int(t_phases_ended(), ha->nphases, "3: every phase ended");
	ok(!evtimer_pending(ha->phase_timer, NULL), "3: no deadline left");
	ok(!evtimer_pending(ha->stall_timer, NULL), "3: no stall report");
	/* The abandoned waiter's end changes nothing. */
	ok(t_run(t_cond_one_job, T_GUARD_MSEC), "3: the waiter ended; only "
	    "the master is left");
	is_str(ha_state_name(ha->state), "running", "3: still running");
	t_events_read(&e);
	is_int(e.nrunning, 1, "3: exactly one running event");
	is_int(e.ndegraded, 0, "3: not degraded");
	is_str(e.errors, "", "3: no errors");
	is_int(e.n, 2, "3: two events in all");
	t_ha_free();
}

/* Case 4: boot-done pushed before the master is up. */
static void
t_boot_done_first(void)
{
	struct t_events e;

	t_ha_new("early", T_YAML_BASE);
	t_to_ssh_wait();
	ha_boot_push(ha, "boot-done", ha->iid);
	is_int(ha->pushed_boot_done, 1, "4: boot-done remembered");
	is_str(ha_state_name(ha->state), "ssh-wait", "4: still ssh-wait");
	ha_boot_push(ha, "ssh-ready", ha->iid);
	is_str(ha_state_name(ha->state), "master-wait", "4: master-wait");
	ok(t_run_until_state(HA_STATE_RUNNING), "4: running as soon as "
	    "ssh.sock appears");
	is_int(t_calls("boot-done", NULL), 0, "4: no boot-done waiter ran");
	ok(ha->probe == NULL, "4: no probe in flight");
	is_str(t_phases(), "QEMU to start|the guest to accept ssh|"
	    "the ssh control master|the guest boot scripts to finish",
	    "4: the phases");
	is_int(t_phases_ended(), ha->nphases, "4: every phase ended");
	t_events_read(&e);
	is_int(e.nrunning, 1, "4: one running event");
	is_int(e.ndegraded, 0, "4: not degraded");
	t_ha_free();
}

/* Case 5: no pushes; the fallback probes alone, and a master retry. */
static void
t_fallback(void)
{
	struct t_events e;
	struct timespec t0;
	double ms;
	char *cpath;

	t_ha_new("fallback", T_YAML_BASE);
	t_ctl_set("ssh-ready", "hang");
	t_ctl_set("master", "fail1"); /* the first login fails */
	t_ctl_set("boot-done", "iid");
	ha_boot_step(ha, HA_IN_START);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ha_boot_step(ha, HA_IN_VM_RUNNING);
	ok(t_run(t_cond_probe, T_GUARD_MSEC), "5: a fallback probe runs");
	ms = t_msec_since(&t0);
	t_run(t_cond_probe_logged, T_GUARD_MSEC);
	ok(ms >= HA_PROBE_FIRST_MSEC - 10 && ms < 1500, "5: the first probe "
	    "after about %d ms (%.0f ms)", HA_PROBE_FIRST_MSEC, ms);
	cpath = t_calls_cpath("ssh-ready");
	is_str(cpath, "none", "5: the probe does not use a ControlPath");
	free(cpath);

	/* ssh dies, then sshd refuses: the backoff grows by x1.5. */
	t_ctl_set("ssh-ready", "fail");
	ha_job_kill(ha->probe, SIGTERM);
	ok(t_run(t_cond_backoff, T_GUARD_MSEC), "5: backoff grew to %d ms",
	    HA_PROBE_FIRST_MSEC * 9 / 4);
	is_str(ha_state_name(ha->state), "ssh-wait", "5: still ssh-wait");
	ok(t_calls("ssh-ready", "fail") >= 1, "5: failed probes were retried");

	/* A marker left by another boot is not ours. */
	t_ctl_set("ssh-ready", "other");
	ok(t_run(t_cond_other_done, T_GUARD_MSEC), "5: a probe read another "
	    "boot's marker");
	is_str(ha_state_name(ha->state), "ssh-wait", "5: still ssh-wait");
	ok(ha->master == NULL, "5: no master for another boot's marker");

	/* The marker appears: the probe sees the IID. */
	t_ctl_set("ssh-ready", "iid");
	ok(t_run_until_state(HA_STATE_RUNNING), "5: running without pushes");
	is_int(t_calls("master", NULL), 2, "5: the master was started twice "
	    "(its first login failed)");
	is_int(t_calls("boot-done", "iid"), 1, "5: one boot-done waiter");
	cpath = t_calls_cpath("boot-done");
	ok(cpath != NULL && strlen(cpath) > 9 &&
	    strcmp(cpath + strlen(cpath) - 9, "/ssh.sock") == 0,
	    "5: the waiter rides on ssh.sock (%s)", cpath ? cpath : "none");
	free(cpath);
	/*
	 * The failed master sent the state back to ssh-wait without a phase
	 * of its own: "the ssh control master" shows twice.
	 */
	is_str(t_phases(), "QEMU to start|the guest to accept ssh|"
	    "the ssh control master|the ssh control master|"
	    "the guest boot scripts to finish", "5: the phases");
	is_int(t_phases_ended(), ha->nphases, "5: every phase ended");
	t_events_read(&e);
	is_int(e.nrunning, 1, "5: one running event");
	is_int(e.ndegraded, 0, "5: not degraded");
	t_ha_free();
}

/* Pushes to boot-wait at once (MASTER_UP synthetic: no inotify race). */
static void
t_to_boot_done(void)
{
	t_to_ssh_wait();
	ha_boot_push(ha, "boot-done", ha->iid);
	ha_boot_push(ha, "ssh-ready", ha->iid);
	ha_boot_step(ha, HA_IN_MASTER_UP);
}

/* Case 6: the built-in containerd requirements and the template's. */
static void
t_probes(void)
{
	struct t_events e;
	struct timespec t0;
	double ms;

	t_ha_new("probes", T_YAML_IMAGE
	    "containerd: {system: false, user: true}\n"
	    "probes:\n"
	    "- description: one\n"
	    "  script: |\n"
	    "    #!/bin/sh\n"
	    "    true\n"
	    "- description: two\n"
	    "  script: |\n"
	    "    #!/bin/bash\n"
	    "    true\n");
	is_int(ha->nprobes, 4, "6: four requirements");
	is_int(ha->nbuiltin_probes, 2, "6: two of them built in");
	is_str(ha->probes[0].description, "systemd must be available",
	    "6: the first built-in one");
	t_to_boot_done();
	is_str(ha_state_name(ha->state), "probes", "6: MASTER_UP with "
	    "boot-done pushed -> probes");
	ok(ha->probe != NULL, "6: the first requirement is being checked");
	ok(t_run_until_state(HA_STATE_RUNNING), "6: probes -> running");
	is_int(t_calls("user", "ok"), 4, "6: each requirement ran once");
	is_str(t_phases(), "QEMU to start|the guest to accept ssh|"
	    "the ssh control master|the guest boot scripts to finish|"
	    "the optional requirements", "6: the phases");
	is_int(t_phases_ended(), ha->nphases, "6: every phase ended");
	t_events_read(&e);
	is_int(e.nrunning, 1, "6: one running event");
	is_int(e.ndegraded, 0, "6: not degraded");
	t_ha_free();

	/* Failing probes, run on this host by the fake ssh. */
	setenv("LIMA_PROBE_TIMEOUT", "1", 1);
	t_ha_new("degraded", T_YAML_BASE
	    "probes:\n"
	    "- description: passes\n"
	    "  script: |\n"
	    "    #!/bin/sh\n"
	    "    true\n"
	    "- description: never\n"
	    "  script: |\n"
	    "    #!/bin/sh\n"
	    "    exit 1\n"
	    "  hint: it never works\n"
	    "- description: silent\n"
	    "  script: |\n"
	    "    #!/bin/sh\n"
	    "    exit 3\n");
	t_ctl_set("user", "run");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t_to_boot_done();
	is_str(ha_state_name(ha->state), "probes", "6: probes");
	t_want = HA_STATE_RUNNING;
	ok(t_run(t_cond_state, T_PROBES_GUARD_MSEC), "6: running after the "
	    "probe timeout");
	/* Each failing probe is retried for LIMA_PROBE_TIMEOUT, 1 s. */
	ms = t_msec_since(&t0);
	ok(ms >= 2000 && ms < T_PROBES_GUARD_MSEC, "6: two probes gave up "
	    "after 1 s each (%.0f ms in all)", ms);
	ok(t_calls("user", "run") >= 1 + 2 * 4, "6: failing probes were "
	    "retried (%d runs)", t_calls("user", "run"));
	is_int(ha->nerrors, 2, "6: two errors");
	t_events_read(&e);
	is_int(e.nrunning, 1, "6: one running event");
	is_int(e.ndegraded, 1, "6: degraded");
	is_str(e.errors, "failed to satisfy the optional requirement 2 of 3 "
	    "`never`: it never works|failed to satisfy the optional "
	    "requirement 3 of 3 `silent`: the probe script kept failing",
	    "6: the errors");
	t_ha_free();
	unsetenv("LIMA_PROBE_TIMEOUT");
}

/* Case 7: STOP and FAIL before running. */
static void
t_stop(void)
{
	struct t_events e;
	char *path;

	/* STOP in ssh-wait, no QEMU job: exiting at once. */
	t_ha_new("stop-noqemu", T_YAML_BASE);
	t_ctl_set("ssh-ready", "hang");
	t_to_ssh_wait();
	ok(t_run(t_cond_probe, T_GUARD_MSEC), "7: a probe in flight");
	ha_boot_step(ha, HA_IN_STOP);
	is_str(ha_state_name(ha->state), "exiting", "7: STOP without a QEMU "
	    "job -> exiting");
	ok(ha->requested, "7: the stop was requested");
	is_int(ha->exit_code, 0, "7: exit code 0");
	is_int(t_phases_ended(), ha->nphases, "7: every phase ended");
	ha_boot_step(ha, HA_IN_STOP);
	ha_boot_fail(ha, "too late");
	is_str(ha_state_name(ha->state), "exiting", "7: later STOP/FAIL "
	    "ignored");
	t_events_read(&e);
	is_int(e.nrunning, 0, "7: no running event");
	is_int(e.nexiting, 1, "7: one exiting event");
	is_str(e.errors, "", "7: without errors");
	/* The loop is not run again: the probe is freed in flight. */
	t_ha_free();

	/* STOP in ssh-wait with QEMU: stopping, then exiting. */
	t_ha_new("stop", T_YAML_BASE);
	t_ctl_set("ssh-ready", "hang");
	t_qemu_start();
	t_to_ssh_wait();
	ok(t_run(t_cond_probe, T_GUARD_MSEC), "7: a probe in flight");
	ha_boot_step(ha, HA_IN_STOP);
	is_str(ha_state_name(ha->state), "stopping", "7: STOP -> stopping");
	ok(!evtimer_pending(ha->probe_timer, NULL), "7: no probe due");
	ok(!evtimer_pending(ha->phase_timer, NULL), "7: no deadline");
	ha_boot_push(ha, "ssh-ready", ha->iid);
	is_str(ha_state_name(ha->state), "stopping", "7: a push changes "
	    "nothing");
	ok(t_run_until_state(HA_STATE_EXITING), "7: exiting once QEMU is "
	    "reaped");
	ok(ha->master == NULL, "7: no master was started");
	is_int(ha->exit_code, 0, "7: exit code 0");
	t_run(t_cond_no_jobs, T_GUARD_MSEC);
	is_int(ha_jobs_count(ha->jobs), 0, "7: the probe ended too");
	t_events_read(&e);
	is_int(e.nrunning, 0, "7: no running event");
	is_int(e.nexiting, 1, "7: one exiting event");
	t_ha_free();

	/* FAIL in boot-wait with QEMU and the master up. */
	t_ha_new("fail", T_YAML_BASE);
	t_qemu_start();
	t_to_ssh_wait();
	ha_boot_push(ha, "ssh-ready", ha->iid);
	ok(t_run_until_state(HA_STATE_BOOT_WAIT), "7: boot-wait");
	ok(t_run(t_cond_probe, T_GUARD_MSEC), "7: the waiter in flight");
	ha_boot_fail(ha, "test: %s", "boom");
	is_str(ha_state_name(ha->state), "stopping", "7: FAIL -> stopping");
	ha_boot_push(ha, "boot-done", ha->iid);
	is_str(ha_state_name(ha->state), "stopping", "7: boot-done changes "
	    "nothing");
	ok(t_run_until_state(HA_STATE_EXITING), "7: exiting");
	is_int(ha->exit_code, 1, "7: exit code 1");
	xasprintf(&path, "%s/ssh.sock", ha->dir);
	ok(access(path, F_OK) != 0, "7: ssh.sock removed");
	free(path);
	t_events_read(&e);
	is_int(e.nrunning, 0, "7: no running event");
	is_int(e.nexiting, 1, "7: one exiting event");
	is_str(e.errors, "test: boom", "7: with the failure");
	t_ha_free();

	/* FAIL in boot-wait without QEMU: the waiter is freed in flight. */
	t_ha_new("fail-noqemu", T_YAML_BASE);
	t_to_ssh_wait();
	ha_boot_push(ha, "ssh-ready", ha->iid);
	ha_boot_step(ha, HA_IN_MASTER_UP);
	is_str(ha_state_name(ha->state), "boot-wait", "7: boot-wait");
	ok(ha->probe != NULL, "7: the waiter in flight");
	ha_boot_fail(ha, "test: %s", "boom");
	is_str(ha_state_name(ha->state), "exiting", "7: FAIL without a QEMU "
	    "job -> exiting");
	t_events_read(&e);
	is_int(e.nrunning, 0, "7: no running event");
	is_str(e.errors, "test: boom", "7: with the failure");
	t_ha_free();
}

int
main(void)
{
	struct timespec t0;
	char *bin, *path, *text;
	const char *oldpath;

	log_init(2);
	if (getenv("T_DEBUG") != NULL)
		log_set_level(LOG_LEVEL_DEBUG);
	signal(SIGPIPE, SIG_IGN);
	if (system("python3 -c pass >/dev/null 2>&1") != 0)
		skip_all("python3 is needed for the fake ssh master");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mkdtemp(t_dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	xasprintf(&bin, "%s/bin", t_dir);
	xasprintf(&t_ctl, "%s/ctl", t_dir);
	xasprintf(&t_home, "%s/home", t_dir);
	if (mkdir(bin, 0700) != 0 || mkdir(t_ctl, 0700) != 0 ||
	    mkdir(t_home, 0700) != 0) {
		printf("Bail out! mkdir: %s\n", strerror(errno));
		return 1;
	}
	xasprintf(&path, "%s/ssh", bin);
	xasprintf(&text, "#!/bin/sh\nc='%s'\n%s", t_ctl, t_fake_ssh);
	t_write(path, text, 0755);
	free(text);
	free(path);
	oldpath = getenv("PATH");
	xasprintf(&path, "%s:%s", bin, oldpath != NULL ? oldpath :
	    "/usr/bin:/bin");
	setenv("PATH", path, 1);
	free(path);
	free(bin);
	unsetenv("LIMA_PROBE_TIMEOUT");

	t_pushes();
	t_boot_done_first();
	t_fallback();
	t_probes();
	t_stop();

	printf("# %.0f ms\n", t_msec_since(&t0));
	if (getenv("T_KEEP") == NULL) {
		if (nftw(t_dir, t_rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0)
			printf("# cannot remove %s\n", t_dir);
	} else
		printf("# kept %s\n", t_dir);
	free(t_ctl);
	free(t_home);
	free(t_evpath);
	return done_testing();
}
