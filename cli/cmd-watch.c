/* clima: limactl watch. */
/*
 * Follows ha.stdout.log of the named instances (or of every instance,
 * including ones created while watching) with inotify, and prints each
 * event as a human-readable line or, with --json, as
 * {"instance":NAME,"event":EVENT}.  Runs until interrupted.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/inotify.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "events/events.h"
#include "store/store.h"

static const struct cli_flag cmd_watch_own_flags[] = {
	{ "json", 0, FLAG_BOOL, "false", "Output events as JSON", 0 },
	{ "history", 0, FLAG_BOOL, "false", "Show the events logged before "
	    "watching started", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_watch_flag_sets[] = {
	cmd_watch_own_flags, NULL
};

/* One watched instance. */
struct cmd_watch_inst {
	struct cmd_watch *w; /* owner; we are on w->insts */
	char *name;
	struct events_reader *reader;
	TAILQ_ENTRY(cmd_watch_inst) entry;
};

struct cmd_watch {
	struct event_base *base;
	int json;
	struct timespec since;
	int history;
	int all;  /* no names given: also pick up new instances */
	int ifd;  /* inotify on LIMA_HOME */
	struct event *iev;
	struct event *sigint;
	TAILQ_HEAD(, cmd_watch_inst) insts;
};

/* "2025-06-01 10:00:01" in local time, from an RFC 3339 stamp. */
static void
cmd_watch_time(const char *rfc, char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;

	if (events_time_parse(rfc, &ts) != 0)
		clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
cmd_watch_say(const char *when, const char *name, const char *text)
{
	printf("%s %s | %s\n", when, name, text);
	fflush(stdout);
}

static void
cmd_watch_event_cb(const struct events_event *ev, const char *line,
    void *arg)
{
	struct cmd_watch_inst *wi = arg;
	const struct events_status *st = &ev->status;
	const struct events_port_forward *pf = st->port_forward;
	char when[32], *text = NULL;
	size_t i;

	if (wi->w->json) {
		/* The name is a valid identifier: no escaping needed. */
		printf("{\"instance\":\"%s\",\"event\":%s}\n", wi->name, line);
		fflush(stdout);
		return;
	}
	cmd_watch_time(ev->time, when, sizeof when);
	for (i = 0; i < st->nerrors; i++) {
		xasprintf(&text, "error: %s", st->errors[i]);
		cmd_watch_say(when, wi->name, text);
		free(text);
	}
	if (pf != NULL && pf->type != NULL) {
		if (strcmp(pf->type, EVENTS_PF_FORWARDING) == 0)
			xasprintf(&text, "forwarding %s %s to %s", pf->protocol,
			    pf->guest_addr, pf->host_addr ? pf->host_addr : "");
		else if (strcmp(pf->type, EVENTS_PF_NOT_FORWARDING) == 0)
			xasprintf(&text, "not forwarding %s %s", pf->protocol,
			    pf->guest_addr);
		else if (strcmp(pf->type, EVENTS_PF_STOPPING) == 0)
			xasprintf(&text, "stopping forwarding %s %s",
			    pf->protocol, pf->guest_addr);
		else
			xasprintf(&text, "failed to forward %s %s: %s",
			    pf->protocol, pf->guest_addr,
			    pf->error ? pf->error : "");
	} else if (st->cloud_init_progress != NULL) {
		if (st->cloud_init_progress->completed)
			text = xstrdup("cloud-init completed");
		else
			xasprintf(&text, "cloud-init: %s",
			    st->cloud_init_progress->log_line ?
				st->cloud_init_progress->log_line : "");
	} else if (st->exiting)
		text = xstrdup("exiting");
	else if (st->running)
		text = xstrdup(st->degraded ? "running (degraded)" :
					      "running");
	else if (st->ssh_local_port != 0)
		xasprintf(&text, "ssh available on port %d",
		    st->ssh_local_port);
	if (text != NULL)
		cmd_watch_say(when, wi->name, text);
	free(text);
}

static void
cmd_watch_add(struct cmd_watch *w, const char *name)
{
	struct cmd_watch_inst *wi;
	char *path, *cause = NULL;

	TAILQ_FOREACH(wi, &w->insts, entry) {
		if (strcmp(wi->name, name) == 0)
			return;
	}
	wi = xcalloc(1, sizeof *wi);
	wi->w = w;
	wi->name = xstrdup(name);
	xasprintf(&path, "%s/%s/ha.stdout.log", cli_lima_home(), name);
	wi->reader = events_reader_new(w->base, path, 0,
	    w->history ? NULL : &w->since, cmd_watch_event_cb, wi, &cause);
	free(path);
	if (wi->reader == NULL) {
		log_warnx("cannot watch %s: %s", cli_q(name), cause);
		free(cause);
		free(wi->name);
		free(wi);
		return;
	}
	TAILQ_INSERT_TAIL(&w->insts, wi, entry);
}

/* A new directory in LIMA_HOME may be a new instance. */
static void
cmd_watch_home_event(const struct inotify_event *ie, void *arg)
{
	if (ie->len > 0 && (ie->mask & IN_ISDIR) && ie->name[0] != '_' &&
	    ie->name[0] != '.')
		cmd_watch_add(arg, ie->name);
}

static void
cmd_watch_home_cb(evutil_socket_t fd, short what, void *arg)
{
	inotify_drain(fd, cmd_watch_home_event, arg);
}

static void
cmd_watch_sigint_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd_watch *w = arg;

	event_base_loopexit(w->base, NULL);
}

static int
cmd_watch_exec(struct cmd_ctx *ctx)
{
	struct cmd_watch w;
	struct cmd_watch_inst *wi, *tmp;
	struct tm tm;
	char **names, when[32], *cause = NULL;
	size_t n, i;
	int k;

	memset(&w, 0, sizeof w);
	TAILQ_INIT(&w.insts);
	w.base = event_base_new();
	w.json = cmd_flag_bool(ctx, "json");
	w.history = cmd_flag_bool(ctx, "history");
	w.ifd = -1;
	clock_gettime(CLOCK_REALTIME, &w.since);
	if (ctx->argc == 0) {
		w.all = 1;
		names = store_instance_names(cli_lima_home(), &n);
		for (i = 0; i < n; i++)
			cmd_watch_add(&w, names[i]);
		store_strv_free(names);
		w.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w.ifd != -1 && inotify_add_watch(w.ifd, cli_lima_home(),
		    IN_CREATE | IN_MOVED_TO) != -1) {
			w.iev = event_new(w.base, w.ifd, EV_READ | EV_PERSIST,
			    cmd_watch_home_cb, &w);
			event_add(w.iev, NULL);
		}
	} else {
		for (k = 0; k < ctx->argc; k++) {
			if (store_validate_name(ctx->argv[k], &cause) != 0)
				cli_fatal("%s", cause);
			cmd_watch_add(&w, ctx->argv[k]);
		}
	}
	localtime_r(&w.since.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s Watching for events...\n", when);
	w.sigint = evsignal_new(w.base, SIGINT, cmd_watch_sigint_cb, &w);
	evsignal_add(w.sigint, NULL);
	event_base_dispatch(w.base);

	TAILQ_FOREACH_SAFE(wi, &w.insts, entry, tmp) {
		TAILQ_REMOVE(&w.insts, wi, entry);
		events_reader_free(wi->reader);
		free(wi->name);
		free(wi);
	}
	if (w.iev != NULL)
		event_free(w.iev);
	if (w.ifd != -1)
		close(w.ifd);
	event_free(w.sigint);
	event_base_free(w.base);
	return 0;
}

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.group = "advanced",
	.usage = "watch [INSTANCE...]",
	.short_help = "Watch events from instances",
	.flag_sets = cmd_watch_flag_sets,
	.min_args = 0,
	.max_args = -1,
	.exec = cmd_watch_exec,
};
