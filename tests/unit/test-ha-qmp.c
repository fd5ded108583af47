/* clima: tests for hostagent/ha-qmp.c, the QMP client. */
/*
 * First against a scripted QMP server on the same event loop (greeting,
 * capabilities, replies routed by id, events, late and refusing sockets,
 * malformed input), then end to end: the fake QEMU (and the real one when
 * installed) spawned with ha_job from ha_qemu_argv, driven over QMP.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "config/config.h"
#include "hostagent/ha-proc.h"
#include "store/store.h"
#include "tests/tap.h"

#define T_GUARD_MSEC      10000
#define T_QEMU_GUARD_MSEC 60000 /* the real QEMU under TCG is slow */

static struct event_base *base;
static struct ha_jobs *jobs;
static int guard_fired;
static char tdir[] = "/tmp/ha-qmp-XXXXXX";
static char *sockpath;

/* ---- loop helpers ---- */

static void
t_guard_cb(evutil_socket_t fd, short events, void *arg)
{
	guard_fired = 1;
	event_base_loopbreak(base);
}

static void
run(int msec)
{
	struct timeval tv = { msec / 1000, (msec % 1000) * 1000 };
	struct event *ev;

	ev = evtimer_new(base, t_guard_cb, NULL);
	evtimer_add(ev, &tv);
	guard_fired = 0;
	event_base_dispatch(base);
	event_free(ev);
}

/* ---- the scripted server ---- */

enum srv_mode {
	SRV_NORMAL,
	SRV_BAD_JSON,     /* garbage instead of a reply */
	SRV_BAD_GREETING, /* not a greeting */
	SRV_LONG,         /* a line past HA_QMP_LINE_MAX */
	SRV_UNKNOWN_ID,   /* replies with an id never sent */
	SRV_HANGUP        /* closes instead of replying */
};

struct srv {
	struct evconnlistener *l;
	struct bufferevent *bev;
	enum srv_mode mode;
	struct node *held; /* id of a "hold" command */
	int commands;
};

static struct srv srv;

static void
srv_send(const char *s)
{
	bufferevent_write(srv.bev, s, strlen(s));
	bufferevent_write(srv.bev, "\n", 1);
}

static void
srv_reply(const struct node *id, struct node *msg)
{
	char *s;

	if (id != NULL)
		node_map_set(msg, "id", node_copy(id));
	s = node_to_json(msg, 0);
	srv_send(s);
	free(s);
	node_free(msg);
}

static struct node *
srv_ret(const char *key, const char *val)
{
	struct node *m = node_new_map(), *r = node_new_map();

	if (key != NULL)
		node_map_set(r, key, node_new_str(val));
	node_map_set(m, "return", r);
	return m;
}

static void
srv_command(const struct node *req)
{
	const char *cmd = node_get_str(node_map_get(req, "execute"));
	const struct node *id = node_map_get(req, "id");
	const struct node *args = node_map_get(req, "arguments");
	struct node *m, *e;
	char *big;

	if (cmd == NULL)
		return;
	if (strcmp(cmd, "qmp_capabilities") == 0) {
		srv_reply(id, srv_ret(NULL, NULL));
		return;
	}
	srv.commands++;
	switch (srv.mode) {
	case SRV_BAD_JSON:
		srv_send("{\"return\": {]");
		return;
	case SRV_LONG:
		big = xmalloc(HA_QMP_LINE_MAX + 2);
		memset(big, 'x', HA_QMP_LINE_MAX + 1);
		big[HA_QMP_LINE_MAX + 1] = '\0';
		bufferevent_write(srv.bev, big, HA_QMP_LINE_MAX + 1);
		free(big);
		return;
	case SRV_UNKNOWN_ID:
		srv_send("{\"return\": {}, \"id\": 999}");
		return;
	case SRV_HANGUP:
		bufferevent_free(srv.bev);
		srv.bev = NULL;
		return;
	default:
		break;
	}
	if (strcmp(cmd, "query-status") == 0)
		srv_reply(id, srv_ret("status", "running"));
	else if (strcmp(cmd, "echo") == 0)
		srv_reply(id,
		    srv_ret("said", node_get_str(node_map_get(args, "word"))));
	else if (strcmp(cmd, "hold") == 0)
		srv.held = node_copy(id);
	else if (strcmp(cmd, "release") == 0) {
		srv_reply(id, srv_ret("which", "release"));
		srv_reply(srv.held, srv_ret("which", "hold"));
		node_free(srv.held);
		srv.held = NULL;
	} else if (strcmp(cmd, "boom") == 0) {
		m = node_new_map();
		e = node_new_map();
		node_map_set(e, "class", node_new_str("GenericError"));
		node_map_set(e, "desc", node_new_str("boom happened"));
		node_map_set(m, "error", e);
		srv_reply(id, m);
	} else if (strcmp(cmd, "emit") == 0) {
		srv_reply(id, srv_ret(NULL, NULL));
		srv_send(
		    "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, "
		    "\"microseconds\": 2}}");
		srv_send(
		    "{\"event\": \"RESUME\", \"data\": {\"n\": 7}, "
		    "\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}}");
	}
}

static void
srv_read_cb(struct bufferevent *bev, void *arg)
{
	struct node *req;
	char *line;
	size_t len;

	while (srv.bev != NULL &&
	    (line = evbuffer_readln(
		 bufferevent_get_input(bev), &len, EVBUFFER_EOL_LF)) != NULL) {
		req = node_from_json(line, len, NULL);
		free(line);
		if (req != NULL)
			srv_command(req);
		node_free(req);
	}
}

static void
srv_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_free(srv.bev);
		srv.bev = NULL;
	}
}

static void
srv_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	if (srv.bev != NULL)
		bufferevent_free(srv.bev);
	srv.bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(srv.bev, srv_read_cb, NULL, srv_event_cb, NULL);
	bufferevent_enable(srv.bev, EV_READ | EV_WRITE);
	if (srv.mode == SRV_BAD_GREETING)
		srv_send("{\"hello\": 1}");
	else
		srv_send("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, "
			 "\"minor\": 2, \"major\": 7}, \"package\": \"\"}, "
			 "\"capabilities\": [\"oob\"]}}");
}

/* Binds sockpath; listens too unless bind_only. Returns the fd. */
static int
srv_bind(int bind_only)
{
	struct sockaddr_un sun;
	int fd;

	unlink(sockpath);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sockpath, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		return -1;
	if (!bind_only) {
		srv.l = evconnlistener_new(
		    base, srv_accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	}
	return fd;
}

static void
srv_stop(void)
{
	if (srv.bev != NULL)
		bufferevent_free(srv.bev);
	if (srv.l != NULL)
		evconnlistener_free(srv.l);
	node_free(srv.held);
	memset(&srv, 0, sizeof srv);
	unlink(sockpath);
}

/* ---- the client side ---- */

struct cl {
	struct ha_qmp *q;
	int ready;
	int closed;
	char *cause;
	char *events[8];
	char *event_data[8];
	int nevents;
	char *replies[8]; /* "ok:<json>" or "err:<desc>", in arrival order */
	int nreplies;
	int want_replies; /* loopbreak when reached */
	int free_on_close;
};

static void
cl_ready_cb(struct ha_qmp *q, void *arg)
{
	struct cl *c = arg;

	c->ready++;
}

static void
cl_event_cb(
    struct ha_qmp *q, const char *name, const struct node *data, void *arg)
{
	struct cl *c = arg;

	if (c->nevents < 8) {
		c->event_data[c->nevents] =
		    data != NULL ? node_to_json(data, 0) : NULL;
		c->events[c->nevents++] = xstrdup(name);
	}
}

static void
cl_closed_cb(struct ha_qmp *q, const char *cause, void *arg)
{
	struct cl *c = arg;

	c->closed++;
	c->cause = cause != NULL ? xstrdup(cause) : NULL;
	if (c->free_on_close) {
		ha_qmp_free(q);
		c->q = NULL;
	}
	event_base_loopbreak(base);
}

static void
cl_reply_cb(
    struct ha_qmp *q, const struct node *ret, const char *error, void *arg)
{
	struct cl *c = arg;
	char *s;

	if (c->nreplies >= 8)
		return;
	if (error != NULL)
		xasprintf(&c->replies[c->nreplies++], "err:%s", error);
	else {
		s = node_to_json(ret, 0);
		xasprintf(&c->replies[c->nreplies++], "ok:%s", s);
		free(s);
	}
	if (c->nreplies == c->want_replies)
		event_base_loopbreak(base);
}

static struct ha_qmp *
cl_start(struct cl *c, int timeout_msec)
{
	struct ha_qmp_cbs cbs = { cl_ready_cb, cl_event_cb, cl_closed_cb, c };
	char *cause = NULL;

	memset(c, 0, sizeof *c);
	c->q = ha_qmp_new(base, sockpath, timeout_msec, &cbs, &cause);
	if (c->q == NULL) {
		printf("# ha_qmp_new: %s\n", cause);
		free(cause);
	}
	return c->q;
}

static int
cl_cmd(struct cl *c, const char *cmd, const struct node *args)
{
	char *cause = NULL;

	if (ha_qmp_command(c->q, cmd, args, cl_reply_cb, c, &cause) != 0) {
		printf("# ha_qmp_command %s: %s\n", cmd, cause);
		free(cause);
		return -1;
	}
	return 0;
}

static void
cl_clear(struct cl *c)
{
	int i;

	ha_qmp_free(c->q);
	for (i = 0; i < c->nevents; i++) {
		free(c->events[i]);
		free(c->event_data[i]);
	}
	for (i = 0; i < c->nreplies; i++)
		free(c->replies[i]);
	free(c->cause);
	memset(c, 0, sizeof *c);
}

static void
test_basic(void)
{
	struct cl c;
	struct node *args;

	srv_bind(0);
	cl_start(&c, 5000);
	/* Queued before ready: sent after qmp_capabilities. */
	c.want_replies = 5;
	cl_cmd(&c, "query-status", NULL);
	args = node_new_map();
	node_map_set(args, "word", node_new_str("hi"));
	cl_cmd(&c, "echo", args);
	node_free(args);
	cl_cmd(&c, "hold", NULL);
	cl_cmd(&c, "release", NULL);
	cl_cmd(&c, "boom", NULL);
	ok(!ha_qmp_is_ready(c.q), "not ready before the loop runs");
	run(T_GUARD_MSEC);
	ok(!guard_fired, "all replies before the guard");
	is_int(c.ready, 1, "ready once");
	is_int(ha_qmp_attempts(c.q), 1, "connected on the first attempt");
	is_int(c.nreplies, 5, "five replies");
	is_str(c.replies[0], "ok:{\"status\":\"running\"}", "query-status");
	is_str(c.replies[1], "ok:{\"said\":\"hi\"}", "arguments sent");
	is_str(c.replies[2], "ok:{\"which\":\"release\"}",
	    "out-of-order reply routed by id (release)");
	is_str(c.replies[3], "ok:{\"which\":\"hold\"}",
	    "out-of-order reply routed by id (hold)");
	is_str(c.replies[4], "err:boom happened", "error reply");
	ok(c.closed == 0 || c.cause == NULL, "not dropped");

	/* Events. */
	c.want_replies = 6;
	cl_cmd(&c, "emit", NULL);
	run(T_GUARD_MSEC);
	run(50); /* let the events behind the reply arrive */
	is_int(c.nevents, 2, "two events");
	is_str(c.nevents > 0 ? c.events[0] : NULL, "STOP", "STOP event");
	ok(c.nevents > 0 && c.event_data[0] == NULL, "STOP has no data");
	is_str(c.nevents > 1 ? c.events[1] : NULL, "RESUME", "RESUME event");
	is_str(
	    c.nevents > 1 ? c.event_data[1] : NULL, "{\"n\":7}", "RESUME data");

	/* The server goes away: EOF after ready is a clean close. */
	bufferevent_free(srv.bev);
	srv.bev = NULL;
	run(T_GUARD_MSEC);
	is_int(c.closed, 1, "closed once");
	ok(c.cause == NULL, "EOF after ready: no cause");
	ok(ha_qmp_command(c.q, "query-status", NULL, NULL, NULL, &c.cause) ==
		-1,
	    "commands refused once closed");
	cl_clear(&c);
	srv_stop();
}

static void
t_listen_cb(evutil_socket_t fd, short events, void *arg)
{
	int *lfd = arg;

	if (*lfd == -1)
		srv_bind(0);
	else
		srv.l = evconnlistener_new(
		    base, srv_accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, -1, *lfd);
}

static void
test_late(void)
{
	struct timeval tv = { 0, 150000 };
	struct event *ev;
	struct cl c;
	int lfd = -1;

	/* The socket appears after 150 ms: inotify, no polling. */
	ev = evtimer_new(base, t_listen_cb, &lfd);
	evtimer_add(ev, &tv);
	cl_start(&c, 5000);
	c.want_replies = 1;
	cl_cmd(&c, "query-status", NULL);
	run(T_GUARD_MSEC);
	ok(!guard_fired && c.ready == 1, "late socket: ready");
	is_int(ha_qmp_attempts(c.q), 2,
	    "late socket: one ENOENT, then one attempt on IN_CREATE");
	is_str(
	    c.replies[0], "ok:{\"status\":\"running\"}", "late socket: reply");
	cl_clear(&c);
	srv_stop();

	/* Bound but listening only after 150 ms: capped backoff. */
	lfd = srv_bind(1);
	evtimer_add(ev, &tv);
	cl_start(&c, 5000);
	c.want_replies = 1;
	cl_cmd(&c, "query-status", NULL);
	run(T_GUARD_MSEC);
	ok(!guard_fired && c.ready == 1, "refusing socket: ready");
	ok(ha_qmp_attempts(c.q) >= 3 && ha_qmp_attempts(c.q) <= 12,
	    "refusing socket: retried with backoff (%u attempts)",
	    ha_qmp_attempts(c.q));
	cl_clear(&c);
	srv_stop();
	event_free(ev);
}

static void
test_timeout(void)
{
	struct cl c;
	char *saved = sockpath;

	/* Nothing ever listens. */
	cl_start(&c, 200);
	c.want_replies = 1;
	cl_cmd(&c, "query-status", NULL);
	run(T_GUARD_MSEC);
	is_int(c.closed, 1, "timeout: closed");
	ok(c.cause != NULL && strstr(c.cause, "timed out after 200 ms") != NULL,
	    "timeout cause: %s", c.cause != NULL ? c.cause : "(null)");
	is_int(c.nreplies, 1, "pending command answered");
	ok(c.nreplies == 1 && strncmp(c.replies[0], "err:timed out", 13) == 0,
	    "with the cause as error");
	cl_clear(&c);

	/* No directory to watch: polling instead of inotify. */
	xasprintf(&sockpath, "%s/missing/qmp.sock", tdir);
	cl_start(&c, 600);
	run(T_GUARD_MSEC);
	is_int(c.closed, 1, "no directory: closed on timeout");
	ok(ha_qmp_attempts(c.q) >= 2, "no directory: polled (%u attempts)",
	    ha_qmp_attempts(c.q));
	cl_clear(&c);
	free(sockpath);
	sockpath = saved;
}

static void
test_bad_peer(enum srv_mode mode, const char *what, const char *cause)
{
	struct cl c;

	srv.mode = mode;
	srv_bind(0);
	cl_start(&c, 5000);
	c.free_on_close = 1;
	c.want_replies = -1;
	cl_cmd(&c, "query-status", NULL);
	run(T_GUARD_MSEC);
	ok(!guard_fired, "%s: dropped before the guard", what);
	is_int(c.closed, 1, "%s: closed once", what);
	if (cause != NULL)
		ok(c.cause != NULL && strstr(c.cause, cause) != NULL,
		    "%s: cause \"%s\"", what,
		    c.cause != NULL ? c.cause : "(null)");
	else
		ok(c.cause == NULL, "%s: EOF after ready has no cause", what);
	is_int(c.nreplies, 1, "%s: pending command failed", what);
	ok(c.nreplies == 1 && strncmp(c.replies[0], "err:", 4) == 0,
	    "%s: with an error: %s", what,
	    c.nreplies == 1 ? c.replies[0] : "-");
	ok(c.q == NULL, "%s: freed inside the closed callback", what);
	cl_clear(&c);
	srv_stop();
}

/* ---- end to end through ha_job ---- */

enum e2e_script {
	E2E_POWERDOWN, /* query-status, system_powerdown, wait */
	E2E_IGNORED,   /* powerdown ignored: quit after a while */
	E2E_QUIT,      /* quit at once */
	E2E_CRASH,     /* wait for the crash */
	E2E_NOQMP      /* QMP never comes: kill after the timeout */
};

struct e2e {
	enum e2e_script script;
	struct ha_job *job;
	int done;
	int status;
	char *first_err; /* first stderr line */
	struct cl c;
	int pidfile_ok;
	char *status_reply;
	int saw_powerdown;
	char *shutdown;
	struct event *later;
	char *dir;
};

static void
e2e_check_end(struct e2e *e)
{
	if (e->done && e->c.closed)
		event_base_loopbreak(base);
}

static void
e2e_line_cb(struct ha_job *job, int fd, const char *line, size_t len, void *arg)
{
	struct e2e *e = arg;

	if (fd == 2 && e->first_err == NULL)
		e->first_err = xstrdup(line);
	if (fd == 2)
		printf("# qemu[stderr]: %s\n", line);
}

static void
e2e_done_cb(struct ha_job *job, int status, void *arg)
{
	struct e2e *e = arg;

	e->done = 1;
	e->status = status;
	e->job = NULL;
	e2e_check_end(e);
}

static void
e2e_send(struct e2e *e, const char *cmd, ha_qmp_reply_cb cb)
{
	char *cause = NULL;

	if (e->c.q == NULL ||
	    ha_qmp_command(e->c.q, cmd, NULL, cb, e, &cause) != 0) {
		printf("# %s: %s\n", cmd, cause != NULL ? cause : "no QMP");
		free(cause);
	}
}

static void
e2e_status_cb(
    struct ha_qmp *q, const struct node *ret, const char *error, void *arg)
{
	struct e2e *e = arg;
	const char *st;

	st = ret != NULL ? node_get_str(node_map_get(ret, "status")) : NULL;
	e->status_reply = xstrdup(st != NULL ? st
		: error != NULL              ? error
					     : "?");
	if (e->script == E2E_POWERDOWN || e->script == E2E_IGNORED)
		e2e_send(e, "system_powerdown", NULL);
	else if (e->script == E2E_QUIT)
		e2e_send(e, "quit", NULL);
}

static void
e2e_later_cb(evutil_socket_t fd, short events, void *arg)
{
	struct e2e *e = arg;

	if (e->shutdown == NULL)
		e2e_send(e, "quit", NULL);
}

static void
e2e_ready_cb(struct ha_qmp *q, void *arg)
{
	struct e2e *e = arg;
	char *path, buf[32] = "";
	FILE *f;

	xasprintf(&path, "%s/qemu.pid", e->dir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof buf, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	free(path);
	e->pidfile_ok = e->job != NULL && atol(buf) == ha_job_pid(e->job);
	e->c.ready++;
	e2e_send(e, "query-status", e2e_status_cb);
}

static void
e2e_event_cb(
    struct ha_qmp *q, const char *name, const struct node *data, void *arg)
{
	struct e2e *e = arg;
	struct timeval tv = { 0, 300000 };
	const char *reason;

	if (strcmp(name, "POWERDOWN") == 0) {
		e->saw_powerdown++;
		if (e->script == E2E_IGNORED)
			evtimer_add(e->later, &tv);
	} else if (strcmp(name, "SHUTDOWN") == 0) {
		reason = node_get_str(node_map_get(data, "reason"));
		free(e->shutdown);
		e->shutdown = xstrdup(reason != NULL ? reason : "?");
	}
}

static void
e2e_closed_cb(struct ha_qmp *q, const char *cause, void *arg)
{
	struct e2e *e = arg;

	e->c.closed++;
	e->c.cause = cause != NULL ? xstrdup(cause) : NULL;
	/* Freeing the session from its own callback is allowed. */
	ha_qmp_free(q);
	e->c.q = NULL;
	if (e->script == E2E_NOQMP && e->job != NULL)
		ha_job_kill(e->job, SIGTERM);
	e2e_check_end(e);
}

/*
 * Spawns binary with ha_qemu_argv's command line; 0 once running.  qemu:
 * 0 the fake (legacy BIOS, TCG), 1 real with AUTO accel, 2 real with TCG.
 */
static int
e2e_start(struct e2e *e, const char *binary, const char *const *env, int qemu,
    int qmp_timeout)
{
	struct ha_qmp_cbs cbs = { e2e_ready_cb, e2e_event_cb, e2e_closed_cb,
		e };
	struct ha_qemu_params p;
	struct config_mount m;
	char **argv = NULL, **warn = NULL, *cause = NULL, *qmp;
	size_t argc;

	memset(&p, 0, sizeof p);
	p.binary = binary;
	p.dir = e->dir;
	p.name = "e2e";
	p.cpus = 1;
	p.memory = 256ULL << 20;
	p.accel = qemu == 1 ? HA_QEMU_ACCEL_AUTO : HA_QEMU_ACCEL_TCG;
	p.legacy_bios = !qemu;
	p.ssh_port = 0;
	if (qemu) {
		/* Exercise -virtfs with the real parser. */
		memset(&m, 0, sizeof m);
		m.location = m.mount_point = e->dir;
		p.mounts = &m;
		p.nmounts = 1;
		p.mount_type = "9p";
	}
	if (ha_qemu_argv(&p, &argv, &argc, &warn, &cause) != 0) {
		printf("# ha_qemu_argv: %s\n", cause);
		free(cause);
		return -1;
	}
	store_strv_free(warn);
	e->later = evtimer_new(base, e2e_later_cb, e);
	e->job = ha_job_start(jobs, (const char *const *)argv, env,
	    HA_JOB_SPAWN_PGRP, e2e_line_cb, e2e_done_cb, e, &cause);
	store_strv_free(argv);
	if (e->job == NULL) {
		printf("# ha_job_start: %s\n", cause);
		free(cause);
		return -1;
	}
	xasprintf(&qmp, "%s/qmp.sock", e->dir);
	e->c.q = ha_qmp_new(base, qmp, qmp_timeout, &cbs, &cause);
	free(qmp);
	if (e->c.q == NULL) {
		printf("# ha_qmp_new: %s\n", cause);
		free(cause);
		ha_job_free(e->job);
		return -1;
	}
	return 0;
}

static void
e2e_clear(struct e2e *e)
{
	if (e->job != NULL)
		ha_job_free(e->job);
	if (e->later != NULL)
		event_free(e->later);
	free(e->first_err);
	free(e->status_reply);
	free(e->shutdown);
	cl_clear(&e->c);
	free(e->dir);
	memset(e, 0, sizeof *e);
}

static void
e2e_dir(struct e2e *e, const char *name)
{
	xasprintf(&e->dir, "%s/%s", tdir, name);
	mkdir(e->dir, 0700);
}

static void
test_fake(const char *fake)
{
	static const char *delay_env[] = { "FAKE_QEMU_QMP_DELAY_MS=200", NULL };
	static const char *listen_env[] = { "FAKE_QEMU_LISTEN_DELAY_MS=200",
		NULL };
	static const char *ignore_env[] = { "FAKE_QEMU_IGNORE_POWERDOWN=1",
		NULL };
	static const char *crash_env[] = { "FAKE_QEMU_CRASH_AFTER_MS=300",
		NULL };
	static const char *noqmp_env[] = { "FAKE_QEMU_NO_QMP=1", NULL };
	struct e2e e;
	char *s;

	memset(&e, 0, sizeof e);
	e2e_dir(&e, "fake1");
	e.script = E2E_POWERDOWN;
	if (e2e_start(&e, fake, NULL, 0, 5000) == 0)
		run(T_GUARD_MSEC);
	ok(!guard_fired, "fake: powerdown run ended");
	is_int(e.c.ready, 1, "fake: QMP ready");
	ok(e.pidfile_ok, "fake: qemu.pid holds the job's pid");
	is_str(e.status_reply, "running", "fake: query-status running");
	is_int(e.saw_powerdown, 1, "fake: POWERDOWN event");
	is_str(e.shutdown, "guest-shutdown", "fake: SHUTDOWN event");
	ok(e.c.closed == 1 && e.c.cause == NULL, "fake: QMP closed by EOF");
	ok(e.done && WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "fake: job exited 0");
	ok(e.first_err != NULL &&
		strncmp(e.first_err, "fake-qemu: started, pid ", 24) == 0,
	    "fake: stderr line delivered");
	e2e_clear(&e);

	e2e_dir(&e, "fake2");
	e.script = E2E_QUIT;
	if (e2e_start(&e, fake, delay_env, 0, 5000) == 0)
		run(T_GUARD_MSEC);
	ok(e.c.ready == 1 && e.done && WEXITSTATUS(e.status) == 0,
	    "fake, socket after 200 ms: ready and quit");
	is_str(e.shutdown, "host-qmp-quit", "fake: quit's SHUTDOWN reason");
	e2e_clear(&e);

	e2e_dir(&e, "fake3");
	e.script = E2E_QUIT;
	if (e2e_start(&e, fake, listen_env, 0, 5000) == 0)
		run(T_GUARD_MSEC);
	ok(e.c.ready == 1 && e.done && WEXITSTATUS(e.status) == 0,
	    "fake, listening after 200 ms: ready and quit");
	e2e_clear(&e);

	e2e_dir(&e, "fake4");
	e.script = E2E_IGNORED;
	if (e2e_start(&e, fake, ignore_env, 0, 5000) == 0)
		run(T_GUARD_MSEC);
	is_int(e.saw_powerdown, 1, "fake, powerdown ignored: POWERDOWN");
	is_str(e.shutdown, "host-qmp-quit",
	    "fake, powerdown ignored: only quit ends it");
	ok(e.done && WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "fake, powerdown ignored: exit 0 after quit");
	e2e_clear(&e);

	e2e_dir(&e, "fake5");
	e.script = E2E_CRASH;
	if (e2e_start(&e, fake, crash_env, 0, 5000) == 0)
		run(T_GUARD_MSEC);
	is_int(e.c.ready, 1, "fake crash: was ready");
	ok(e.done && WIFSIGNALED(e.status) && WTERMSIG(e.status) == SIGKILL,
	    "fake crash: job killed by SIGKILL");
	s = ha_job_status_string(e.status);
	is_str(s, "signal: killed", "fake crash: status string");
	free(s);
	ok(e.c.closed == 1, "fake crash: QMP closed");
	e2e_clear(&e);

	e2e_dir(&e, "fake6");
	e.script = E2E_NOQMP;
	if (e2e_start(&e, fake, noqmp_env, 0, 300) == 0)
		run(T_GUARD_MSEC);
	ok(e.c.closed == 1 && e.c.cause != NULL &&
		strstr(e.c.cause, "timed out") != NULL,
	    "fake without QMP: timed out");
	ok(e.done && WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "fake without QMP: SIGTERM ends it with 0");
	e2e_clear(&e);
}

/* The real QEMU (accel 1 AUTO, 2 TCG): start, query-status, quit. */
static void
test_real_qemu(int accel)
{
	const char *what =
	    accel == 1 ? "real QEMU (auto accel)" : "real QEMU (TCG)";
	struct e2e e;
	char *bin, *cause = NULL, *cmd;
	FILE *f;

	if ((bin = ha_qemu_binary("x86_64", &cause)) == NULL) {
		ok(1, "# SKIP no qemu-system-x86_64: %s", cause);
		free(cause);
		return;
	}
	memset(&e, 0, sizeof e);
	e2e_dir(&e, accel == 1 ? "real1" : "real2");
	xasprintf(&cmd, "qemu-img create -q -f qcow2 '%s/disk' 64M", e.dir);
	if (system(cmd) != 0) {
		ok(1, "# SKIP qemu-img failed");
		free(cmd);
		free(bin);
		e2e_clear(&e);
		return;
	}
	free(cmd);
	xasprintf(&cmd, "%s/cidata.iso", e.dir);
	if ((f = fopen(cmd, "w")) != NULL)
		fclose(f);
	free(cmd);
	e.script = E2E_QUIT;
	if (e2e_start(&e, bin, NULL, accel, 30000) == 0)
		run(T_QEMU_GUARD_MSEC);
	is_int(e.c.ready, 1, "%s: QMP ready", what);
	ok(e.pidfile_ok, "%s: qemu.pid holds the job's pid", what);
	is_str(e.status_reply, "running", "%s: running", what);
	is_str(e.shutdown, "host-qmp-quit", "%s: SHUTDOWN after quit", what);
	ok(e.done && WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "%s: exit 0", what);
	free(bin);
	e2e_clear(&e);
}

int
main(void)
{
	struct event *sigchld;
	char *fake = NULL, *p;

	alarm(180);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tdir) == NULL)
		skip_all("mkdtemp failed");
	xasprintf(&sockpath, "%s/qmp.sock", tdir);
	base = event_base_new();
	jobs = ha_jobs_new(base);
	sigchld = evsignal_new(base, SIGCHLD, ha_jobs_sigchld_cb, jobs);
	evsignal_add(sigchld, NULL);

	test_basic();
	test_late();
	test_timeout();
	test_bad_peer(SRV_BAD_JSON, "malformed JSON", "malformed QMP message");
	test_bad_peer(
	    SRV_BAD_GREETING, "bad greeting", "expected the QMP greeting");
	test_bad_peer(SRV_LONG, "long line", "QMP message longer than");
	test_bad_peer(
	    SRV_UNKNOWN_ID, "unknown id", "QMP reply with unknown id 999");
	test_bad_peer(SRV_HANGUP, "hangup before reply", NULL);

	if (getenv("top_builddir") != NULL)
		xasprintf(
		    &fake, "%s/tests/fakes/fake-qemu", getenv("top_builddir"));
	if (fake != NULL && access(fake, X_OK) == 0)
		test_fake(fake);
	else
		ok(1, "# SKIP no fake-qemu (top_builddir unset)");
	free(fake);
	test_real_qemu(1);
	test_real_qemu(2);

	ha_jobs_free(jobs);
	event_free(sigchld);
	event_base_free(base);
	libevent_global_shutdown();
	xasprintf(&p, "rm -rf '%s'", tdir);
	if (system(p) != 0)
		printf("# could not remove %s\n", tdir);
	free(p);
	free(sockpath);
	return done_testing();
}
