/* clima: limactl start (and restart). */
/*
 * Creates the instance if needed, prepares its disk, spawns the hostagent
 * in its own session with its stdout/stderr on ha.stdout.log and
 * ha.stderr.log, then follows both files on an event loop (inotify) and
 * the hostagent process (pidfd) until READY, an exiting event, the
 * hostagent's death or --timeout.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/gotmpl.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "events/events.h"
#include "expr/expr.h"
#include "store/store.h"

static const struct cli_flag cmd_start_own_flags[] = {
	{ "foreground", 0, FLAG_BOOL, "false", "Run the hostagent in the "
	    "foreground", 0 },
	{ "timeout", 0, FLAG_DURATION, "10m0s", "Duration to wait for the "
	    "instance to be running before timing out", 0 },
	{ "progress", 0, FLAG_BOOL, "false", "Show provision script "
	    "progress by tailing cloud-init logs", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_start_flag_sets[] = {
	cmd_start_own_flags, cli_create_flags, cli_edit_flags, NULL
};

/* What the wait loop knows. */
struct cmd_start_wait {
	struct event_base *base;
	const char *name;
	const char *dir;
	pid_t pid;
	int port_shown;
	int progress;
	int cloud_init_done;
	int ready;
	int result; /* 0 ready, 1 failed */
	char *failure;
	struct timespec since;
};

/* Re-emits one hostagent log record (JSON) with a [hostagent] prefix. */
static void
cmd_start_stderr_cb(const char *line, void *arg)
{
	struct cmd_start_wait *w = arg;
	struct node *rec;
	const char *msg, *lvl, *t, *fields[33];
	enum log_level level = LOG_LEVEL_INFO;
	struct timespec ts;
	char *text, *cause = NULL;
	size_t i, nf = 0;

	rec = node_from_json(line, strlen(line), &cause);
	if (rec == NULL || rec->kind != NODE_MAP) {
		free(cause);
		node_free(rec);
		log_info("[hostagent] %s", line);
		return;
	}
	msg = node_get_str(node_map_get(rec, "msg"));
	lvl = node_get_str(node_map_get(rec, "level"));
	t = node_get_str(node_map_get(rec, "time"));
	/* Lines from before this start (minus a second) are old news. */
	if (t != NULL && events_time_parse(t, &ts) == 0 &&
	    ts.tv_sec < w->since.tv_sec - 1)
		goto out;
	if (lvl != NULL && log_parse_level(lvl, &level) != 0)
		level = LOG_LEVEL_INFO;
	if (level < LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR; /* fatal/panic are the hostagent's */
	for (i = 0; i < rec->npairs && nf < 30; i++) {
		const char *k = rec->pairs[i].key;

		if (strcmp(k, "msg") == 0 || strcmp(k, "level") == 0 ||
		    strcmp(k, "time") == 0 ||
		    node_get_str(rec->pairs[i].val) == NULL)
			continue;
		fields[nf++] = k;
		fields[nf++] = node_get_str(rec->pairs[i].val);
	}
	fields[nf] = NULL;
	xasprintf(&text, "[hostagent] %s", msg != NULL ? msg : "");
	log_emit(level, fields, text);
	free(text);
out:
	node_free(rec);
}

static void
cmd_start_fail(struct cmd_start_wait *w, char *why)
{
	if (w->failure == NULL)
		w->failure = why;
	else
		free(why);
	w->result = 1;
	event_base_loopexit(w->base, NULL);
}

static void
cmd_start_event_cb(const struct events_event *ev, const char *line,
    void *arg)
{
	struct cmd_start_wait *w = arg;
	const struct events_status *st = &ev->status;
	size_t i;
	char *why;

	if (st->ssh_local_port != 0 && !w->port_shown) {
		log_info("SSH Local Port: %d", st->ssh_local_port);
		w->port_shown = 1;
	}
	for (i = 0; i < st->nerrors && !st->exiting; i++)
		log_error("%s", st->errors[i]);
	if (st->cloud_init_progress != NULL && w->progress) {
		if (st->cloud_init_progress->log_line != NULL &&
		    *st->cloud_init_progress->log_line != '\0')
			log_info("[cloud-init] %s",
			    st->cloud_init_progress->log_line);
		if (st->cloud_init_progress->completed) {
			log_info("Cloud-init progress monitoring done.");
			w->cloud_init_done = 1;
		}
	}
	if (st->exiting) {
		xasprintf(&why, "exiting, status=%s (hint: see `%s/"
				"ha.stderr.log`)", line, w->dir);
		cmd_start_fail(w, why);
		return;
	}
	if (st->running && st->degraded) {
		log_warnx("DEGRADED. The VM seems running, but file sharing "
			  "and port forwarding may not work. (hint: see "
			  "`%s/ha.stderr.log`)", w->dir);
		xasprintf(&why, "degraded, status=%s", line);
		cmd_start_fail(w, why);
		return;
	}
	if (st->running)
		w->ready = 1;
	/*
	 * --progress defers READY until cloud-init is done: the hostagent
	 * (started with --progress) always ends with a completed event.
	 */
	if (w->ready && (!w->progress || w->cloud_init_done)) {
		w->result = 0;
		event_base_loopexit(w->base, NULL);
	}
}

static void
cmd_start_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd_start_wait *w = arg;
	char *why;
	int status = 0;

	/* Let the last events in before judging. */
	event_base_loopexit(w->base, NULL);
	if (waitpid(w->pid, &status, WNOHANG) <= 0)
		status = 0;
	if (WIFEXITED(status))
		xasprintf(&why, "host agent process has exited: exit status %d "
				"(hint: see `%s/ha.stderr.log`)",
		    WEXITSTATUS(status), w->dir);
	else if (WIFSIGNALED(status))
		xasprintf(&why, "host agent process has exited: signal: %s "
				"(hint: see `%s/ha.stderr.log`)",
		    strsignal(WTERMSIG(status)), w->dir);
	else
		xasprintf(&why, "host agent process has exited (hint: see "
				"`%s/ha.stderr.log`)", w->dir);
	if (w->failure == NULL) {
		w->failure = why;
		w->result = 1;
	} else
		free(why);
}

static void
cmd_start_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd_start_wait *w = arg;
	char *why;

	xasprintf(&why, "did not receive an event with the `running` status "
			"(hint: see `%s/ha.stderr.log`; the hostagent keeps "
			"running: `limactl stop %s` ends it)", w->dir,
	    w->name);
	cmd_start_fail(w, why);
}

/* Prints the template's message (rendered with the list data). */
static void
cmd_start_message(const char *name)
{
	struct store_inst *inst;
	struct gotmpl *t;
	struct node *data;
	char *cause = NULL, *out = NULL;

	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL || inst->message == NULL || *inst->message == '\0')
		goto out;
	t = gotmpl_parse("message", inst->message, &cause);
	if (t == NULL) {
		log_warnx("failed to parse the message template: %s", cause);
		goto out;
	}
	data = store_inst_to_node(inst, 1);
	if (gotmpl_exec(t, data, "store.FormatData", &out, &cause) == 0) {
		log_info("Message from the instance %s:", cli_q(name));
		printf("%s\n", out);
	} else
		log_warnx("failed to render the message: %s", cause);
	free(out);
	node_free(data);
	gotmpl_free(t);
out:
	free(cause);
	store_inst_free(inst);
}

/* Creates (truncates) a log file for the hostagent; the fd is ours. */
static int
cmd_start_open_log(const char *dir, const char *file)
{
	char *path;
	int fd;

	xasprintf(&path, "%s/%s", dir, file);
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0644);
	if (fd < 0)
		cli_fatal("failed to create %s: %s", cli_q(path),
		    strerror(errno));
	free(path);
	return fd;
}

/* The argv of `limactl hostagent`. */
static char **
cmd_start_ha_argv(const char *dir, const char *name, int progress,
    const char *archive)
{
	char **argv = xcalloc(14, sizeof *argv);
	int n = 0;

	argv[n++] = xstrdup(cli_self_exe());
	if (cli_global.debug)
		argv[n++] = xstrdup("--debug");
	argv[n++] = xstrdup("hostagent");
	if (progress)
		argv[n++] = xstrdup("--progress");
	if (archive != NULL) {
		argv[n++] = xstrdup("--nerdctl-archive");
		argv[n++] = xstrdup(archive);
	}
	argv[n++] = xstrdup("--pidfile");
	xasprintf(&argv[n++], "%s/ha.pid", dir);
	argv[n++] = xstrdup("--socket");
	xasprintf(&argv[n++], "%s/ha.sock", dir);
	argv[n++] = xstrdup(name);
	argv[n] = NULL;
	return argv;
}

/* Starts a stopped instance and waits for it; returns the exit code. */
int
cli_start_instance(const char *name, double timeout, int progress,
    int foreground)
{
	struct cmd_start_wait w;
	struct store_inst *inst;
	struct lima_config *cfg;
	struct events_reader *er = NULL;
	struct cli_tail *tail;
	struct event *exit_ev = NULL, *timer;
	struct timeval tv;
	char *dir, *path, *cause = NULL, **argv, *archive;
	int outfd, errfd, nullfd, pidfd, i;
	pid_t pid;

	dir = store_instance_dir(cli_lima_home(), name);
	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL)
		cli_fatal("%s", cause);
	if (strcmp(inst->status, STORE_STATUS_RUNNING) == 0) {
		if (strcmp(name, "default") == 0)
			log_info("The instance %s is already running. Run "
				 "`lima` to open the shell.", cli_q(name));
		else
			log_info("The instance %s is already running. Run "
				 "`limactl shell %s` to open the shell.",
			    cli_q(name), name);
		store_inst_free(inst);
		free(dir);
		return 0;
	}
	if (strcmp(inst->status, STORE_STATUS_STOPPED) != 0) {
		/* A crashed hostagent or a QEMU left behind: recover. */
		log_warnx("expected status `Stopped`, got %s",
		    cli_q(inst->status));
		cli_stop_forcibly(inst);
	}
	store_inst_free(inst);
	xasprintf(&path, "%s/ha.pid", dir);
	if (access(path, F_OK) == 0)
		cli_fatal("instance %s seems running (hint: remove %s if the "
			  "instance is not actually running)", cli_q(name),
		    cli_q(path));
	free(path);

	log_info("Starting the instance %s with internal VM driver `qemu`",
	    cli_q(name));
	xasprintf(&path, "%s/lima.yaml", dir);
	cfg = cli_config_load(name, path, &cause);
	free(path);
	if (cfg == NULL)
		cli_fatal("%s", cause);
	if (cli_prepare_disk(name, cfg, &cause) != 0)
		cli_fatal("failed to prepare the disk of %s: %s", cli_q(name),
		    cause);
	if (cli_prefetch_nerdctl(cfg, &archive, &cause) != 0)
		cli_fatal("failed to download the nerdctl archive: %s", cause);
	cli_prepare_firmware(name, cfg);
	config_free(cfg);

	outfd = cmd_start_open_log(dir, "ha.stdout.log");
	errfd = cmd_start_open_log(dir, "ha.stderr.log");
	argv = cmd_start_ha_argv(dir, name, progress, archive);
	free(archive);
	if (foreground) {
		if (!isatty(STDIN_FILENO)) {
			dup2(outfd, STDOUT_FILENO);
			dup2(errfd, STDERR_FILENO);
		}
		execv(argv[0], argv);
		cli_fatal("failed to run the hostagent %s: %s",
		    cli_q(argv[0]), strerror(errno));
	}
	pid = fork();
	if (pid < 0)
		cli_fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Its own session: ^C on limactl does not reach it. */
		setsid();
		nullfd = open("/dev/null", O_RDWR);
		dup2(nullfd, STDIN_FILENO);
		dup2(outfd, STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	close(outfd);
	close(errfd);
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);

	memset(&w, 0, sizeof w);
	clock_gettime(CLOCK_REALTIME, &w.since);
	w.since.tv_sec -= 1;
	w.base = event_base_new();
	w.name = name;
	w.dir = dir;
	w.pid = pid;
	w.progress = progress;
	w.result = 1;
	xasprintf(&path, "%s/ha.stderr.log", dir);
	tail = cli_tail_new(w.base, path, cmd_start_stderr_cb, &w);
	free(path);
	xasprintf(&path, "%s/ha.stdout.log", dir);
	er = events_reader_new(w.base, path, 0, &w.since, cmd_start_event_cb,
	    &w, &cause);
	free(path);
	if (er == NULL)
		cli_fatal("%s", cause);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0) {
		exit_ev = event_new(w.base, pidfd, EV_READ, cmd_start_exit_cb,
		    &w);
		event_add(exit_ev, NULL);
	}
	timer = evtimer_new(w.base, cmd_start_timeout_cb, &w);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	evtimer_add(timer, &tv);

	event_base_dispatch(w.base);
	cli_tail_flush(tail);

	event_free(timer);
	if (exit_ev != NULL)
		event_free(exit_ev);
	if (pidfd >= 0)
		close(pidfd);
	events_reader_free(er);
	cli_tail_free(tail);
	event_base_free(w.base);
	if (w.result != 0)
		cli_fatal("%s", w.failure != NULL ? w.failure : "failed");
	if (strcmp(name, "default") == 0)
		log_info("READY. Run `lima` to open the shell.");
	else
		log_info("READY. Run `limactl shell %s` to open the shell.",
		    name);
	cmd_start_message(name);
	free(dir);
	return 0;
}

/*
 * Applies the edit flags to an existing instance's lima.yaml (checked
 * against the old config first); returns 1 if there were any.
 */
static int
cmd_start_apply_edits(struct cmd_ctx *ctx, const char *name)
{
	char *path, *old, *yaml = NULL, *cause = NULL;
	struct lima_config *oldcfg, *newcfg;
	size_t len;
	int edited;

	xasprintf(&path, "%s/%s/lima.yaml", cli_lima_home(), name);
	if ((old = cli_read_file(path, &len, &cause)) == NULL)
		cli_fatal("%s", cause);
	if ((edited = cli_editflags_apply(ctx, old, len, path, &yaml)) != 0) {
		oldcfg = cli_config_load(name, path, &cause);
		newcfg = cli_config_load_buf(name, yaml, strlen(yaml), path, 1,
		    &cause);
		if (newcfg == NULL)
			cli_fatal("%s", cause);
		if (oldcfg != NULL &&
		    config_validate_against(oldcfg, newcfg, &cause) != 0)
			cli_fatal("%s", cause);
		if (store_write_file_atomic(path, yaml, strlen(yaml), 0644,
		    &cause) != 0)
			cli_fatal("%s", cause);
		config_free(oldcfg);
		config_free(newcfg);
	}
	free(yaml);
	free(old);
	free(path);
	return edited;
}

static int
cmd_start_exec(struct cmd_ctx *ctx)
{
	char *name;
	int created, ret;

	name = cli_create_or_load(ctx, 1, &created);
	if (!created) {
		log_info("Using the existing instance %s", cli_q(name));
		cmd_start_apply_edits(ctx, name);
	}
	ret = cli_start_instance(name, cmd_flag_duration(ctx, "timeout"),
	    cmd_flag_bool(ctx, "progress"), cmd_flag_bool(ctx, "foreground"));
	free(name);
	return ret;
}

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.group = "basic",
	.usage = "start NAME|FILE.yaml|URL",
	.short_help = "Start an instance of Lima",
	.long_help = "Start an instance of Lima. If the instance does not "
		     "exist, open an editor for creating new one, with name "
		     "\"default\"",
	.flag_sets = cmd_start_flag_sets,
	.min_args = 0,
	.max_args = 1,
	.exec = cmd_start_exec,
};

static const struct cli_flag cmd_restart_own_flags[] = {
	{ "force", 'f', FLAG_BOOL, "false", "Force stop and restart the "
	    "instance", 0 },
	{ "progress", 0, FLAG_BOOL, "false", "Show provision script "
	    "progress by tailing cloud-init logs", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_restart_flag_sets[] = {
	cmd_restart_own_flags, cli_edit_flags, NULL
};

/* Stops (gracefully, or with --force), applies edit flags, starts. */
static int
cmd_restart_exec(struct cmd_ctx *ctx)
{
	const char *name = cli_instance_arg(ctx, 0);
	struct store_inst *inst;
	char *cause = NULL;

	if (store_validate_name(name, &cause) != 0)
		cli_fatal("%s", cause);
	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL)
		cli_fatal("instance %s does not exist, run `limactl create %s` "
			  "to create a new instance", cli_q(name), name);
	if (cmd_flag_bool(ctx, "force"))
		cli_stop_forcibly(inst);
	else
		cli_stop_gracefully(inst, 1);
	store_inst_free(inst);
	if (cmd_start_apply_edits(ctx, name) > 0)
		log_info("Instance %s configuration edited", cli_q(name));
	return cli_start_instance(name, 600, cmd_flag_bool(ctx, "progress"),
	    0);
}

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.group = "basic",
	.usage = "restart INSTANCE",
	.short_help = "Restart a running instance",
	.flag_sets = cmd_restart_flag_sets,
	.min_args = 0,
	.max_args = 1,
	.exec = cmd_restart_exec,
};
