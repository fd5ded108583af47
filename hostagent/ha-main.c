/* clima: the hostagent's setup, signals, QEMU and shutdown. */
/*
 * hostagent_main builds struct hostagent, writes the per-start files
 * (cidata.iso, ssh.config, ...), starts the API, the event stream and
 * QEMU, then runs the one event loop until QEMU is gone.  Cleanup happens
 * once, when QEMU's job is done: sockets and pid files go, the exiting
 * event is written, the loop ends.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cidata/cidata.h"
#include "common/inotify.h"
#include "common/log.h"
#include "common/node.h"
#include "common/sshopts.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "events/events.h"
#include "hostagent/ha-api.h"
#include "hostagent/ha-dns.h"
#include "hostagent/ha-files.h"
#include "hostagent/ha-int.h"
#include "hostagent/ha-proc.h"
#include "store/store.h"

/* A free TCP port on 127.0.0.1 (bind port 0, read it back, close). */
static int
ha_free_port(char **cause)
{
	int fd, port;

	if ((fd = ha_bind_loopback(SOCK_STREAM, &port, cause)) < 0)
		return -1;
	close(fd);
	return port;
}

/* ha.pid: refuse a live hostagent, replace a stale file. */
static int
ha_write_pidfile(struct hostagent *ha, char **cause)
{
	char buf[32];
	FILE *f;
	long pid;

	if ((f = fopen(ha->pidfile, "re")) != NULL) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 0 &&
		    pid != (long)getpid() &&
		    (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
			fclose(f);
			xasprintf(cause, "another hostagent may already be "
					 "running with pid %ld (pidfile `%s`)",
			    pid, ha->pidfile);
			return -1;
		}
		fclose(f);
	}
	snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (store_write_file_atomic(ha->pidfile, buf, strlen(buf), 0644,
	    cause) != 0)
		return -1;
	ha->pid_written = 1;
	return 0;
}

static void
ha_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct hostagent *ha = arg;

	log_info("Received %s, shutting down the host agent",
	    sig == SIGINT ? "interrupt" : "SIGTERM");
	ha_boot_step(ha, HA_IN_STOP);
}

static void
ha_stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hostagent *ha = arg;
	struct timeval tv = { HA_QUIT_TIMEOUT_SEC, 0 };
	char *cause = NULL;

	if (ha->qemu == NULL)
		return;
	if (ha->stop_step == 0 && ha->qmp != NULL &&
	    ha_qmp_is_ready(ha->qmp)) {
		log_warnx("QEMU did not power down in %ds; sending QMP quit",
		    HA_STOP_TIMEOUT_SEC);
		if (ha_qmp_command(ha->qmp, "quit", NULL, NULL, NULL,
		    &cause) != 0)
			free(cause);
		ha->stop_step = 1;
		evtimer_add(ha->stop_timer, &tv);
		return;
	}
	log_warnx("QEMU did not exit; forcibly killing it");
	ha_job_kill(ha->qemu, SIGKILL);
	ha->stop_step = 2;
}

static int
ha_stop_timeout(void)
{
	const char *s = getenv("LIMA_STOP_TIMEOUT");
	int v;

	if (s != NULL && (v = atoi(s)) > 0)
		return v;
	return HA_STOP_TIMEOUT_SEC;
}

/* Power button first; quit and SIGKILL on timers. */
void
ha_shutdown_qemu(struct hostagent *ha)
{
	struct timeval tv = { ha_stop_timeout(), 0 };
	char *cause = NULL;

	if (ha->probe != NULL)
		ha_job_kill(ha->probe, SIGTERM);
	if (ha->master != NULL)
		ha_job_kill(ha->master, SIGTERM);
	if (ha->qemu == NULL) {
		ha_boot_step(ha, HA_IN_QEMU_EXITED);
		return;
	}
	if (ha->qmp == NULL || !ha_qmp_is_ready(ha->qmp)) {
		log_info("QMP is not available; killing QEMU");
		ha_job_kill(ha->qemu, SIGKILL);
		ha->stop_step = 2;
		return;
	}
	log_info("Shutting down QEMU with the power button");
	log_info("Sending QMP system_powerdown command");
	if (ha_qmp_command(ha->qmp, "system_powerdown", NULL, NULL, NULL,
	    &cause) != 0) {
		log_warnx("system_powerdown failed: %s; killing QEMU", cause);
		free(cause);
		ha_job_kill(ha->qemu, SIGKILL);
		ha->stop_step = 2;
		return;
	}
	evtimer_add(ha->stop_timer, &tv);
}

static void
ha_qemu_line_cb(struct ha_job *job, int fd, const char *line, size_t len,
    void *arg)
{
	log_debug("qemu[%s]: %s", fd == 1 ? "stdout" : "stderr", line);
	/* QEMU's own errors matter to the user: keep the last one. */
	if (fd == 2) {
		struct hostagent *ha = arg;

		free(ha->qemu_last_error);
		ha->qemu_last_error = xstrdup(line);
	}
}

static void
ha_qemu_done_cb(struct ha_job *job, int status, void *arg)
{
	struct hostagent *ha = arg;
	char *why;

	ha->qemu = NULL;
	why = ha_job_status_string(status);
	if (ha->requested || ha->failure != NULL)
		log_info("QEMU has exited (%s)", why);
	else {
		xasprintf(&ha->failure, "QEMU exited unexpectedly: %s%s%s "
				       "(hint: see `%s/serial.log` and `%s/"
				       "ha.stderr.log`)", why,
		    ha->qemu_last_error != NULL ? ": " : "",
		    ha->qemu_last_error != NULL ? ha->qemu_last_error : "",
		    ha->dir, ha->dir);
		log_error("%s", ha->failure);
	}
	free(why);
	ha_boot_step(ha, HA_IN_QEMU_EXITED);
}

static void
ha_qmp_status_cb(struct ha_qmp *q, const struct node *ret, const char *error,
    void *arg)
{
	struct hostagent *ha = arg;
	const char *status;

	if (error != NULL) {
		log_warnx("query-status failed: %s", error);
		return;
	}
	status = node_get_str(node_map_get(ret, "status"));
	log_debug("%s: QEMU status %s", __func__, status ? status : "?");
	if (status != NULL && strcmp(status, "running") == 0)
		ha_boot_step(ha, HA_IN_VM_RUNNING);
}

static void
ha_main_qmp_ready_cb(struct ha_qmp *q, void *arg)
{
	struct hostagent *ha = arg;
	char *cause = NULL, *path;

	log_debug("%s: QMP ready", __func__);
	/* QEMU made its chardev sockets before QMP answered. */
	xasprintf(&path, "%s/ga.sock", ha->dir);
	ha->ga = ha_gaport_new(ha, path);
	free(path);
	ha_vnc_setup(ha);
	if (ha_qmp_command(q, "query-status", NULL, ha_qmp_status_cb, ha,
	    &cause) != 0) {
		log_warnx("query-status: %s", cause);
		free(cause);
	}
}

static void
ha_main_qmp_event_cb(struct ha_qmp *q, const char *name, const struct node *data,
    void *arg)
{
	struct hostagent *ha = arg;

	log_debug("%s: QMP event %s", __func__, name);
	if (strcmp(name, "RESUME") == 0)
		ha_boot_step(ha, HA_IN_VM_RUNNING);
	else if (strcmp(name, "SHUTDOWN") == 0 && !ha->requested &&
	    ha->state != HA_STATE_STOPPING)
		log_info("The guest powered itself off");
}

static void
ha_main_qmp_closed_cb(struct ha_qmp *q, const char *cause, void *arg)
{
	struct hostagent *ha = arg;

	log_debug("%s: QMP closed: %s", __func__, cause ? cause : "EOF");
	if (ha->state == HA_STATE_QEMU_STARTING && cause != NULL)
		ha_boot_fail(ha, "cannot talk to QEMU over QMP: %s (hint: see "
				 "`%s/ha.stderr.log`)", cause, ha->dir);
}

/* inotify on the instance dir: ssh.sock appearing means the master is up. */
static void
ha_inotify_event(const struct inotify_event *ie, void *arg)
{
	struct hostagent *ha = arg;

	if (ie->len > 0 && strcmp(ie->name, "ssh.sock") == 0 &&
	    ha->state == HA_STATE_MASTER_WAIT)
		ha_boot_step(ha, HA_IN_MASTER_UP);
}

static void
ha_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	inotify_drain(fd, ha_inotify_event, arg);
}

/* Watches DIR: ssh.sock appearing is HA_IN_MASTER_UP (ha_inotify_cb). */
void
ha_inotify_start(struct hostagent *ha)
{
	ha->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ha->inotify_fd != -1 &&
	    inotify_add_watch(ha->inotify_fd, ha->dir, IN_CREATE) != -1) {
		ha->inotify_ev = event_new(ha->base, ha->inotify_fd,
		    EV_READ | EV_PERSIST, ha_inotify_cb, ha);
		event_add(ha->inotify_ev, NULL);
	}
}

static int
ha_api_info(void *arg, struct node **out, char **cause)
{
	struct hostagent *ha = arg;

	*out = ha_api_info_node(ha->ssh_port, NULL);
	return 0;
}

static int
ha_api_status(void *arg, struct node **out, char **cause)
{
	*out = ha_status_node(arg);
	return 0;
}

/* Files that must not outlive QEMU. */
static void
ha_remove_runtime_files(struct hostagent *ha)
{
	static const char *const files[] = { "qemu.pid", "qmp.sock",
		"ga.sock", "serial.sock", "serialv.sock", "serialp.sock",
		"ssh.sock", "vncdisplay", "vncpassword", NULL };
	char *path;
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", ha->dir, files[i]);
		(void)unlink(path);
		free(path);
	}
}

void
ha_cleanup_and_exit(struct hostagent *ha)
{
	const char *errs[1];
	char *cause = NULL;
	size_t i;

	if (ha->probe != NULL)
		ha_job_kill(ha->probe, SIGKILL);
	if (ha->master != NULL)
		ha_job_kill(ha->master, SIGTERM);
	ha_routines_cleanup(ha);
	for (i = 0; i < ha->cfg->nadditional_disks; i++) {
		log_info("Unmounting disk %s", ha->cfg->additional_disks[i].name);
		if (store_disk_unlock(ha->home,
		    ha->cfg->additional_disks[i].name, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
			cause = NULL;
		}
	}
	ha_remove_runtime_files(ha);
	errs[0] = ha->failure;
	if (events_emit_exiting(ha->events, errs, ha->failure ? 1 : 0,
	    &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	ha->exit_code = ha->failure != NULL ? 1 : 0;
	event_base_loopexit(ha->base, NULL);
}

/*
 * cidata.iso and cloud-config.yaml are made in a child process: the ISO
 * writer's working set then never becomes part of the long-lived
 * hostagent's memory.  Runs before the loop starts, so waiting is fine.
 */
static int
ha_write_cidata(struct hostagent *ha, const struct cidata_args *ca,
    char **cause)
{
	char *path = NULL, *why = NULL, buf[1024];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		xasprintf(&path, "%s/cidata.iso", ha->dir);
		if (cidata_write(ca, path, &why) == 0) {
			free(path);
			xasprintf(&path, "%s/cloud-config.yaml", ha->dir);
			if (cidata_write_cloud_config(ca, path, &why) == 0)
				_exit(0);
		}
		if (write(fds[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(1);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	buf[n > 0 ? n : 0] = '\0';
	xasprintf(cause, "%s", n > 0 ? buf : "writing cidata.iso failed");
	return -1;
}

/* Writes cidata.iso, cloud-config.yaml, ssh.config, the inventory. */
static int
ha_write_files(struct hostagent *ha, const struct hostagent_opts *opts,
    char **cause)
{
	struct cidata_args ca;
	char **keys = NULL, *path = NULL;
	size_t nkeys = 0;
	int ret = -1;

	keys = store_ssh_pubkeys(ha->home, ha->cfg->ssh.load_dot_ssh_pub_keys
	    == 1, &nkeys, cause);
	if (keys == NULL)
		goto out;
	memset(&ca, 0, sizeof ca);
	ca.config = ha->cfg;
	ca.name = ha->name;
	ca.instance_dir = ha->dir;
	ca.iid = ha->iid;
	ca.ssh_pubkeys = keys;
	ca.nssh_pubkeys = nkeys;
	ca.ssh_local_port = ha->ssh_port;
	if (ha->dns != NULL) {
		ca.udp_dns_port = ha_dns_udp_port(ha->dns);
		ca.tcp_dns_port = ha_dns_tcp_port(ha->dns);
	}
	ca.debug = ha->debug;
	ca.virtio_port = "io.lima-vm.guest_agent.0";
	ca.boot_dir = opts->boot_dir;
	ca.guest_agent = opts->guest_agent;
	ca.nerdctl_archive = opts->nerdctl_archive;
	if (ha_write_cidata(ha, &ca, cause) != 0)
		goto out;
	if (ha_files_write_ssh_config(ha->dir, ha->name, ha->sshopts,
	    ha->ssh_port, cause) != 0)
		goto out;
	if (ha_files_write_ansible_inventory(ha->dir, ha->name, cause) != 0)
		goto out;
	ret = 0;
out:
	free(path);
	store_strv_free(keys);
	return ret;
}

/*
 * The optional requirements checked after boot: Lima's own for containerd
 * (its boot script ran before boot-done, so these hold at once or never),
 * then the template's probes.
 */
void
ha_probes_init(struct hostagent *ha)
{
	const struct lima_config *cfg = ha->cfg;
	struct config_probe *p;
	const char *prefix;
	char *q, *nerdctl;
	size_t n = 0;

	ha->probes = xcalloc(cfg->nprobes + 2, sizeof *ha->probes);
	if ((cfg->containerd.system == 1 || cfg->containerd.user == 1) &&
	    cfg->plain != 1) {
		p = &ha->probes[n++];
		p->description = xstrdup("systemd must be available");
		p->script = xstrdup("#!/bin/sh\n"
		    "command -v systemctl >/dev/null 2>&1\n");
		p->hint = xstrdup("containerd needs a guest with systemd (set "
		    "`containerd.system` and `containerd.user` to false for "
		    "this image)");

		prefix = cfg->guest_install_prefix != NULL ?
		    cfg->guest_install_prefix : "/usr/local";
		xasprintf(&nerdctl, "%s/bin/nerdctl", prefix);
		q = ha_shell_quote(nerdctl);
		free(nerdctl);
		p = &ha->probes[n++];
		p->description = xstrdup("containerd binaries to be installed");
		xasprintf(&p->script, "#!/bin/sh\n"
		    "command -v nerdctl >/dev/null 2>&1 || test -x %s\n", q);
		free(q);
		p->hint = xstrdup("nerdctl was not installed in the guest (see "
		    "/var/log/cloud-init-output.log there: boot script "
		    "40-install-containerd.sh)");
	}
	ha->nbuiltin_probes = n;
	if (cfg->nprobes > 0)
		memcpy(&ha->probes[n], cfg->probes,
		    cfg->nprobes * sizeof *cfg->probes);
	ha->nprobes = n + cfg->nprobes;
}

static void
ha_probes_free(struct hostagent *ha)
{
	size_t i;

	for (i = 0; i < ha->nbuiltin_probes; i++) {
		free(ha->probes[i].description);
		free(ha->probes[i].script);
		free(ha->probes[i].hint);
	}
	free(ha->probes);
}

/* Lima's options for this instance: _config/user, DIR/ssh.sock. */
struct sshopts *
ha_make_sshopts(struct hostagent *ha)
{
	struct sshopts_params p;
	char *identity, *sock;
	const char *ids[1];
	struct sshopts *o;

	xasprintf(&identity, "%s/_config/user", ha->home);
	xasprintf(&sock, "%s/ssh.sock", ha->dir);
	ids[0] = identity;
	memset(&p, 0, sizeof p);
	p.identity_files = ids;
	p.nidentity_files = 1;
	p.user = ha->cfg->user.name;
	p.control_path = sock;
	p.forward_agent = ha->cfg->ssh.forward_agent == 1;
	p.forward_x11 = ha->cfg->ssh.forward_x11 == 1;
	p.forward_x11_trusted = ha->cfg->ssh.forward_x11_trusted == 1;
	o = sshopts_new(&p);
	free(identity);
	free(sock);
	return o;
}

/* Spawns QEMU with the instance's command line. */
static int
ha_start_qemu(struct hostagent *ha, char **cause)
{
	struct ha_qemu_params qp;
	struct config_env env;
	char **argv = NULL, **warnings = NULL, *mac, *path;
	size_t argc = 0, i;
	int ret = -1;

	memset(&qp, 0, sizeof qp);
	ha_qemu_params_from_config(&qp, ha->cfg);
	qp.dir = ha->dir;
	qp.name = ha->name;
	qp.lima_home = ha->home;
	qp.ssh_port = ha->ssh_port;
	config_env_host(&env, ha->home, ha->name);
	mac = cidata_mac_address(env.machine_id, ha->dir);
	config_env_free(&env);
	qp.mac = mac;
	if (ha_qemu_lock_disks(&qp, cause) != 0)
		goto out;
	if (ha_qemu_argv(&qp, &argv, &argc, &warnings, cause) != 0)
		goto out;
	for (i = 0; warnings != NULL && warnings[i] != NULL; i++)
		log_warnx("%s", warnings[i]);
	ha_remove_runtime_files(ha);
	xasprintf(&path, "%s/serial*.log", ha->dir);
	log_info("Starting QEMU (hint: to watch the boot progress, see `%s`)",
	    path);
	free(path);
	for (i = 0; i < argc; i++)
		log_debug("qemu argv[%zu]: %s", i, argv[i]);
	ha->qemu = ha_job_start(ha->jobs, (const char *const *)argv, NULL,
	    HA_JOB_SPAWN_PGRP, ha_qemu_line_cb, ha_qemu_done_cb, ha, cause);
	if (ha->qemu == NULL)
		goto out;
	ret = 0;
out:
	ha_argv_free(argv);
	ha_argv_free(warnings);
	free(mac);
	return ret;
}

int
hostagent_main(const struct hostagent_opts *opts)
{
	struct hostagent *ha;
	struct config_env env;
	struct ha_qmp_cbs qcbs;
	struct ha_api_provider prov;
	struct ha_dns_params dp;
	char *cause = NULL, *path;
	int ret;

	log_set_format(LOG_FORMAT_JSON);
	log_set_level(opts->debug ? LOG_LEVEL_TRACE : LOG_LEVEL_DEBUG);
	signal(SIGPIPE, SIG_IGN);

	ha = xcalloc(1, sizeof *ha);
	clock_gettime(CLOCK_MONOTONIC, &ha->t0);
	ha->inotify_fd = -1;
	ha->debug = opts->debug;
	ha->progress = opts->progress;
	ha->name = xstrdup(opts->name);
	if ((ha->home = store_lima_home(&cause)) == NULL)
		goto fail;
	ha->dir = store_instance_dir(ha->home, ha->name);
	xasprintf(&ha->pidfile, "%s", opts->pidfile != NULL ? opts->pidfile :
	    "/dev/null");
	ha->sockpath = xstrdup(opts->sockpath);
	if (opts->pidfile != NULL && ha_write_pidfile(ha, &cause) != 0)
		goto fail;

	config_env_host(&env, ha->home, ha->name);
	xasprintf(&path, "%s/lima.yaml", ha->dir);
	ha->cfg = config_load(&env, path, &cause);
	free(path);
	config_env_free(&env);
	if (ha->cfg == NULL)
		goto fail;
	if (ha->cfg->ssh.local_port > 0)
		ha->ssh_port = ha->cfg->ssh.local_port;
	else if ((ha->ssh_port = ha_free_port(&cause)) < 0)
		goto fail;
	ha_probes_init(ha);
	if (ha->cfg->host_resolver.enabled == 1) {
		memset(&dp, 0, sizeof dp);
		dp.name = ha->name;
		dp.ipv6 = ha->cfg->host_resolver.ipv6 == 1;
		dp.hosts = &ha->cfg->host_resolver.hosts;
		if ((ha->dns = ha_dns_new(&dp, &cause)) == NULL)
			goto fail;
	}
	ha->iid = cidata_new_iid();
	ha->sshopts = ha_make_sshopts(ha);
	if (ha_write_files(ha, opts, &cause) != 0)
		goto fail;

	ha->base = event_base_new();
	ha->jobs = ha_jobs_new(ha->base);
	ha->events = events_writer_new(STDOUT_FILENO);
	memset(&prov, 0, sizeof prov);
	prov.info = ha_api_info;
	prov.status = ha_api_status;
	prov.arg = ha;
	ha->api = ha_api_new(ha->base, ha->sockpath, &prov, &cause);
	if (ha->api == NULL)
		goto fail;
	events_writer_set_cb(ha->events, ha_api_broadcast_cb, ha->api);
	log_info("hostagent socket created at %s", ha->sockpath);
	if (ha->dns != NULL && ha_dns_start(ha->dns, ha->base, &cause) != 0)
		goto fail;

	ha->sig_int = evsignal_new(ha->base, SIGINT, ha_signal_cb, ha);
	ha->sig_term = evsignal_new(ha->base, SIGTERM, ha_signal_cb, ha);
	ha->sig_chld = evsignal_new(ha->base, SIGCHLD, ha_jobs_sigchld_cb,
	    ha->jobs);
	evsignal_add(ha->sig_int, NULL);
	evsignal_add(ha->sig_term, NULL);
	evsignal_add(ha->sig_chld, NULL);
	ha->stop_timer = evtimer_new(ha->base, ha_stop_timer_cb, ha);
	ha_boot_timers_init(ha);
	ha_inotify_start(ha);

	ha_boot_step(ha, HA_IN_START);
	if (ha_start_qemu(ha, &cause) != 0)
		goto fail_loop;
	memset(&qcbs, 0, sizeof qcbs);
	qcbs.ready = ha_main_qmp_ready_cb;
	qcbs.event = ha_main_qmp_event_cb;
	qcbs.closed = ha_main_qmp_closed_cb;
	qcbs.arg = ha;
	xasprintf(&path, "%s/qmp.sock", ha->dir);
	ha->qmp = ha_qmp_new(ha->base, path, HA_QMP_TIMEOUT_MSEC, &qcbs,
	    &cause);
	free(path);
	if (ha->qmp == NULL)
		goto fail_loop;
	event_base_dispatch(ha->base);
	goto done;

fail_loop:
	/* QEMU may or may not run: the stop path handles both. */
	ha_boot_fail(ha, "%s", cause);
	free(cause);
	cause = NULL;
	event_base_dispatch(ha->base);
	goto done;
fail:
	log_error("%s", cause);
	ha->exit_code = 1;
	if (ha->events == NULL)
		ha->events = events_writer_new(STDOUT_FILENO);
	{
		const char *errs[1] = { cause };
		char *why = NULL;

		if (events_emit_exiting(ha->events, errs, 1, &why) != 0)
			free(why);
	}
	free(cause);
	cause = NULL;
done:
	ret = ha->exit_code;
	hostagent_free(ha);
	return ret;
}

void
hostagent_free(struct hostagent *ha)
{
	size_t i;

	if (ha->api != NULL)
		ha_api_free(ha->api);
	ha_qmp_free(ha->qmp);
	ha_gaport_free(ha->ga);
	ha_dns_free(ha->dns);
	if (ha->jobs != NULL)
		ha_jobs_free(ha->jobs);
	if (ha->events != NULL)
		events_writer_free(ha->events);
	if (ha->sig_int != NULL)
		event_free(ha->sig_int);
	if (ha->sig_term != NULL)
		event_free(ha->sig_term);
	if (ha->sig_chld != NULL)
		event_free(ha->sig_chld);
	if (ha->stop_timer != NULL)
		event_free(ha->stop_timer);
	if (ha->probe_timer != NULL)
		event_free(ha->probe_timer);
	if (ha->stall_timer != NULL)
		event_free(ha->stall_timer);
	if (ha->phase_timer != NULL)
		event_free(ha->phase_timer);
	if (ha->inotify_ev != NULL)
		event_free(ha->inotify_ev);
	if (ha->inotify_fd != -1)
		close(ha->inotify_fd);
	if (ha->base != NULL)
		event_base_free(ha->base);
	/* Only our own pid file: a refused start must not remove another's. */
	if (ha->pid_written)
		(void)unlink(ha->pidfile);
	ha_probes_free(ha);
	ha_routines_free(ha);
	config_free(ha->cfg);
	sshopts_free(ha->sshopts);
	free(ha->qemu_last_error);
	free(ha->failure);
	for (i = 0; i < ha->nerrors; i++)
		free(ha->errors[i]);
	free(ha->errors);
	free(ha->iid);
	free(ha->name);
	free(ha->dir);
	free(ha->home);
	free(ha->pidfile);
	free(ha->sockpath);
	free(ha);
}
