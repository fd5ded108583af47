/* clima: QMP client for QEMU's monitor socket (DIR/qmp.sock). */
/*
 * One struct ha_qmp per session: a non-blocking connect (inotify on the
 * directory while the socket does not exist, a capped backoff while it
 * refuses), the greeting, qmp_capabilities, then commands whose replies
 * are matched by id, and asynchronous events.  Input is JSON lines,
 * bounded by HA_QMP_LINE_MAX; anything malformed drops the peer.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/inotify.h"
#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "hostagent/ha-proc.h"

#define HA_QMP_SHOW_MAX    80   /* bytes of bad input quoted in a cause */

enum ha_qmp_state {
	HA_QMP_WAITING,  /* socket missing or refusing: retrying */
	HA_QMP_GREETING, /* connected; waiting for {"QMP": ...} */
	HA_QMP_CAPS,     /* qmp_capabilities sent */
	HA_QMP_READY,
	HA_QMP_CLOSED
};

struct ha_qmp_cmd {
	long long id;
	char *line;   /* the request; NULL once written */
	int internal; /* qmp_capabilities: no user callback */
	ha_qmp_reply_cb cb;
	void *arg;
	TAILQ_ENTRY(ha_qmp_cmd) entry;
};

struct ha_qmp {
	struct event_base *base;
	char *path;
	char *file; /* basename of path, matched against inotify names */
	enum ha_qmp_state state;
	struct ha_qmp_cbs cbs;

	struct bufferevent *bev; /* the session, once connected */
	int ifd;                 /* inotify fd, -1 when not watching */
	int hit;                 /* set by ha_qmp_inotify_event */
	struct event *iev;       /* EV_READ on ifd */
	struct event *retry;     /* backoff timer */
	int backoff_msec;
	struct event *timeout; /* until ready; NULL without a deadline */
	int timeout_msec;
	unsigned int attempts;

	long long next_id;
	TAILQ_HEAD(, ha_qmp_cmd) cmds; /* awaiting a reply, in send order */
	size_t ncmds;

	int depth; /* nesting of our callbacks into the user's */
	int flags;
#define HA_QMP_FREED 0x1 /* ha_qmp_free inside a callback */
};

static void ha_qmp_try_connect(struct ha_qmp *);
static void ha_qmp_fail(struct ha_qmp *, const char *, ...) CLIMA_PRINTF(2, 3);

static void
ha_qmp_msec(struct timeval *tv, int msec)
{
	tv->tv_sec = msec / 1000;
	tv->tv_usec = (msec % 1000) * 1000;
}

static void
ha_qmp_cmd_free(struct ha_qmp_cmd *cmd)
{
	free(cmd->line);
	free(cmd);
}

/* Stops all I/O and timers; the struct and commands stay. */
static void
ha_qmp_teardown(struct ha_qmp *q)
{
	if (q->bev != NULL) {
		bufferevent_free(q->bev);
		q->bev = NULL;
	}
	if (q->iev != NULL) {
		event_free(q->iev);
		q->iev = NULL;
	}
	if (q->ifd != -1) {
		close(q->ifd);
		q->ifd = -1;
	}
	if (q->retry != NULL)
		evtimer_del(q->retry);
	if (q->timeout != NULL)
		evtimer_del(q->timeout);
}

static void
ha_qmp_destroy(struct ha_qmp *q)
{
	struct ha_qmp_cmd *cmd;

	ha_qmp_teardown(q);
	while ((cmd = TAILQ_FIRST(&q->cmds)) != NULL) {
		TAILQ_REMOVE(&q->cmds, cmd, entry);
		ha_qmp_cmd_free(cmd);
	}
	if (q->retry != NULL)
		event_free(q->retry);
	if (q->timeout != NULL)
		event_free(q->timeout);
	free(q->path);
	free(q->file);
	free(q);
}

void
ha_qmp_free(struct ha_qmp *q)
{
	if (q == NULL)
		return;
	if (q->depth > 0) {
		/* Inside our callback: the outermost one frees. */
		q->flags |= HA_QMP_FREED;
		q->state = HA_QMP_CLOSED;
		ha_qmp_teardown(q);
		return;
	}
	ha_qmp_destroy(q);
}

/* Every entry from libevent holds; returns 1 if q was freed. */
static int
ha_qmp_release(struct ha_qmp *q)
{
	if (--q->depth == 0 && (q->flags & HA_QMP_FREED)) {
		ha_qmp_destroy(q);
		return 1;
	}
	return 0;
}

/*
 * Ends the session: pending commands get an error, then the closed
 * callback runs with cause (NULL for a clean EOF).  Takes cause.
 */
static void
ha_qmp_close(struct ha_qmp *q, char *cause)
{
	struct ha_qmp_cmd *cmd;
	const char *why;

	if (q->state == HA_QMP_CLOSED) {
		free(cause);
		return;
	}
	if (cause != NULL)
		log_debug("%s: %s: %s", __func__, q->path, cause);
	q->state = HA_QMP_CLOSED;
	ha_qmp_teardown(q);
	why = cause != NULL ? cause : "QMP connection closed";
	q->depth++;
	while ((cmd = TAILQ_FIRST(&q->cmds)) != NULL &&
	    !(q->flags & HA_QMP_FREED)) {
		TAILQ_REMOVE(&q->cmds, cmd, entry);
		q->ncmds--;
		if (!cmd->internal && cmd->cb != NULL)
			cmd->cb(q, NULL, why, cmd->arg);
		ha_qmp_cmd_free(cmd);
	}
	if (!(q->flags & HA_QMP_FREED) && q->cbs.closed != NULL)
		q->cbs.closed(q, cause, q->cbs.arg);
	free(cause);
	ha_qmp_release(q);
}

static void
ha_qmp_fail(struct ha_qmp *q, const char *fmt, ...)
{
	va_list ap;
	char *cause;

	va_start(ap, fmt);
	xvasprintf(&cause, fmt, ap);
	va_end(ap);
	ha_qmp_close(q, cause);
}

static void
ha_qmp_write(struct ha_qmp *q, struct ha_qmp_cmd *cmd)
{
	log_debug("%s: %s", __func__, cmd->line);
	bufferevent_write(q->bev, cmd->line, strlen(cmd->line));
	bufferevent_write(q->bev, "\n", 1);
	free(cmd->line);
	cmd->line = NULL;
}

static struct ha_qmp_cmd *
ha_qmp_cmd_new(struct ha_qmp *q, const char *execute, const struct node *args)
{
	struct ha_qmp_cmd *cmd;
	struct node *req;

	cmd = xcalloc(1, sizeof *cmd);
	cmd->id = ++q->next_id;
	req = node_new_map();
	node_map_set(req, "execute", node_new_str(execute));
	if (args != NULL)
		node_map_set(req, "arguments", node_copy(args));
	node_map_set(req, "id", node_new_int(cmd->id));
	cmd->line = node_to_json(req, 0);
	node_free(req);
	return cmd;
}

int
ha_qmp_command(struct ha_qmp *q, const char *execute, const struct node *args,
    ha_qmp_reply_cb cb, void *arg, char **cause)
{
	struct ha_qmp_cmd *cmd;

	if (q->state == HA_QMP_CLOSED) {
		xasprintf(cause, "QMP connection to %s is closed", q->path);
		return -1;
	}
	if (q->ncmds >= HA_QMP_PENDING_MAX) {
		xasprintf(cause, "too many QMP commands in flight (%d)",
		    HA_QMP_PENDING_MAX);
		return -1;
	}
	cmd = ha_qmp_cmd_new(q, execute, args);
	cmd->cb = cb;
	cmd->arg = arg;
	TAILQ_INSERT_TAIL(&q->cmds, cmd, entry);
	q->ncmds++;
	if (q->state == HA_QMP_READY)
		ha_qmp_write(q, cmd);
	return 0;
}

int
ha_qmp_is_ready(const struct ha_qmp *q)
{
	return q->state == HA_QMP_READY;
}

unsigned int
ha_qmp_attempts(const struct ha_qmp *q)
{
	return q->attempts;
}

/* The reply to qmp_capabilities: ready, and send what was queued. */
static void
ha_qmp_caps_reply(struct ha_qmp *q, const char *error)
{
	struct ha_qmp_cmd *cmd;

	if (error != NULL) {
		ha_qmp_fail(q, "qmp_capabilities failed: %s", error);
		return;
	}
	q->state = HA_QMP_READY;
	if (q->timeout != NULL)
		evtimer_del(q->timeout);
	TAILQ_FOREACH(cmd, &q->cmds, entry) {
		if (cmd->line != NULL)
			ha_qmp_write(q, cmd);
	}
	log_debug(
	    "%s: %s ready after %u attempts", __func__, q->path, q->attempts);
	if (q->cbs.ready != NULL)
		q->cbs.ready(q, q->cbs.arg);
}

static void
ha_qmp_greeting(struct ha_qmp *q, const struct node *doc)
{
	struct ha_qmp_cmd *cmd;

	if (node_map_get(doc, "QMP") == NULL) {
		ha_qmp_fail(q, "expected the QMP greeting");
		return;
	}
	/* qmp_capabilities goes before anything queued. */
	cmd = ha_qmp_cmd_new(q, "qmp_capabilities", NULL);
	cmd->internal = 1;
	TAILQ_INSERT_HEAD(&q->cmds, cmd, entry);
	q->ncmds++;
	q->state = HA_QMP_CAPS;
	ha_qmp_write(q, cmd);
}

static void
ha_qmp_reply(struct ha_qmp *q, const struct node *doc)
{
	const struct node *ret, *err, *idn;
	struct ha_qmp_cmd *cmd;
	const char *desc = NULL;
	long long id;

	ret = node_map_get(doc, "return");
	err = node_map_get(doc, "error");
	idn = node_map_get(doc, "id");
	if (idn == NULL || node_get_int(idn, &id) != 0) {
		ha_qmp_fail(q, "QMP reply without a numeric id");
		return;
	}
	TAILQ_FOREACH(cmd, &q->cmds, entry) {
		if (cmd->id == id && cmd->line == NULL)
			break;
	}
	if (cmd == NULL) {
		ha_qmp_fail(q, "QMP reply with unknown id %lld", id);
		return;
	}
	TAILQ_REMOVE(&q->cmds, cmd, entry);
	q->ncmds--;
	if (err != NULL) {
		desc = node_get_str(node_map_get(err, "desc"));
		if (desc == NULL)
			desc = "QMP error without a description";
		ret = NULL;
	}
	if (cmd->internal)
		ha_qmp_caps_reply(q, desc);
	else if (cmd->cb != NULL)
		cmd->cb(q, ret, desc, cmd->arg);
	ha_qmp_cmd_free(cmd);
}

/* One complete line from QEMU. */
static void
ha_qmp_dispatch(struct ha_qmp *q, const char *line, size_t len)
{
	struct node *doc;
	const struct node *ev;
	const char *name;
	char *cause = NULL;

	log_debug("%s: %.*s", __func__, (int)len, line);
	if ((doc = node_from_json(line, len, &cause)) == NULL) {
		ha_qmp_fail(q, "malformed QMP message (%s): %.*s", cause,
		    (int)(len > HA_QMP_SHOW_MAX ? HA_QMP_SHOW_MAX : len), line);
		free(cause);
		return;
	}
	if (doc->kind != NODE_MAP) {
		ha_qmp_fail(q, "QMP message is not an object");
		goto out;
	}
	if (q->state == HA_QMP_GREETING) {
		ha_qmp_greeting(q, doc);
		goto out;
	}
	if ((ev = node_map_get(doc, "event")) != NULL) {
		if ((name = node_get_str(ev)) == NULL) {
			ha_qmp_fail(q, "QMP event without a name");
			goto out;
		}
		if (q->cbs.event != NULL)
			q->cbs.event(
			    q, name, node_map_get(doc, "data"), q->cbs.arg);
		goto out;
	}
	if (node_map_get(doc, "return") != NULL ||
	    node_map_get(doc, "error") != NULL) {
		ha_qmp_reply(q, doc);
		goto out;
	}
	ha_qmp_fail(q, "unexpected QMP message: %.*s",
	    (int)(len > HA_QMP_SHOW_MAX ? HA_QMP_SHOW_MAX : len), line);
out:
	node_free(doc);
}

static void
ha_qmp_read_cb(struct bufferevent *bev, void *arg)
{
	struct ha_qmp *q = arg;
	struct evbuffer *in;
	char *line;
	size_t len;

	q->depth++;
	while (q->state != HA_QMP_CLOSED && !(q->flags & HA_QMP_FREED)) {
		in = bufferevent_get_input(q->bev);
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > HA_QMP_LINE_MAX)
				ha_qmp_fail(q,
				    "QMP message longer than %d bytes",
				    HA_QMP_LINE_MAX);
			break;
		}
		if (len > HA_QMP_LINE_MAX)
			ha_qmp_fail(q, "QMP message longer than %d bytes",
			    HA_QMP_LINE_MAX);
		else
			ha_qmp_dispatch(q, line, len);
		free(line);
	}
	ha_qmp_release(q);
}

static void
ha_qmp_bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ha_qmp *q = arg;
	int err = EVUTIL_SOCKET_ERROR();

	q->depth++;
	if (what & BEV_EVENT_EOF) {
		if (q->state == HA_QMP_READY)
			ha_qmp_close(q, NULL);
		else
			ha_qmp_fail(
			    q, "QMP connection to %s closed early", q->path);
	} else if (what & BEV_EVENT_ERROR)
		ha_qmp_fail(q, "QMP connection to %s: %s", q->path,
		    evutil_socket_error_to_string(err));
	ha_qmp_release(q);
}

static void
ha_qmp_connected(struct ha_qmp *q, int fd)
{
	/* The socket is there: no more need to watch the directory. */
	if (q->iev != NULL) {
		event_free(q->iev);
		q->iev = NULL;
	}
	if (q->ifd != -1) {
		close(q->ifd);
		q->ifd = -1;
	}
	q->bev = bufferevent_socket_new(q->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (q->bev == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	bufferevent_setcb(q->bev, ha_qmp_read_cb, NULL, ha_qmp_bev_event_cb, q);
	bufferevent_enable(q->bev, EV_READ | EV_WRITE);
	q->state = HA_QMP_GREETING;
	log_debug("%s: connected to %s", __func__, q->path);
}

static void
ha_qmp_retry_in(struct ha_qmp *q, int msec)
{
	struct timeval tv;

	ha_qmp_msec(&tv, msec);
	evtimer_add(q->retry, &tv);
}

static void
ha_qmp_try_connect(struct ha_qmp *q)
{
	struct sockaddr_un sun;
	int fd, err;

	if (q->state != HA_QMP_WAITING)
		return;
	evtimer_del(q->retry);
	q->attempts++;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		ha_qmp_fail(q, "socket: %s", strerror(errno));
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, q->path, strlen(q->path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		ha_qmp_connected(q, fd);
		return;
	}
	err = errno;
	close(fd);
	switch (err) {
	case ENOENT:
		/* Not created yet: inotify tells us when it is. */
		if (q->ifd == -1)
			ha_qmp_retry_in(q, HA_QMP_NOWATCH_RETRY_MSEC);
		break;
	case ECONNREFUSED:
	case EAGAIN:
	case EINPROGRESS:
		/* Bound but not listening yet (or backlog full). */
		ha_qmp_retry_in(q, q->backoff_msec);
		q->backoff_msec *= 2;
		if (q->backoff_msec > HA_QMP_RETRY_MAX_MSEC)
			q->backoff_msec = HA_QMP_RETRY_MAX_MSEC;
		break;
	default:
		ha_qmp_fail(q, "connect %s: %s", q->path, strerror(err));
		break;
	}
}

static void
ha_qmp_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct ha_qmp *q = arg;

	q->depth++;
	ha_qmp_try_connect(q);
	ha_qmp_release(q);
}

static void
ha_qmp_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct ha_qmp *q = arg;

	q->depth++;
	if (q->state != HA_QMP_READY) {
		ha_qmp_fail(q, "timed out after %d ms waiting for QMP on %s",
		    q->timeout_msec, q->path);
	}
	ha_qmp_release(q);
}

/* The socket's name appearing (or lost events) means: try now. */
static void
ha_qmp_inotify_event(const struct inotify_event *ev, void *arg)
{
	struct ha_qmp *q = arg;

	if ((ev->mask & IN_Q_OVERFLOW) ||
	    (ev->len > 0 && strcmp(ev->name, q->file) == 0))
		q->hit = 1;
}

static void
ha_qmp_inotify_cb(evutil_socket_t fd, short events, void *arg)
{
	struct ha_qmp *q = arg;

	q->hit = 0;
	inotify_drain(fd, ha_qmp_inotify_event, q);
	if (!q->hit)
		return;
	q->depth++;
	ha_qmp_try_connect(q);
	ha_qmp_release(q);
}

/* Watches the socket's directory; failure only means polling instead. */
static void
ha_qmp_watch(struct ha_qmp *q)
{
	char *dir, *slash;

	dir = xstrdup(q->path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else {
		free(dir);
		dir = xstrdup(".");
	}
	q->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (q->ifd == -1) {
		log_debug("%s: inotify_init1: %s", __func__, strerror(errno));
		goto out;
	}
	if (inotify_add_watch(q->ifd, dir, IN_CREATE | IN_MOVED_TO) == -1) {
		log_debug("%s: inotify_add_watch %s: %s", __func__, dir,
		    strerror(errno));
		close(q->ifd);
		q->ifd = -1;
		goto out;
	}
	q->iev = event_new(
	    q->base, q->ifd, EV_READ | EV_PERSIST, ha_qmp_inotify_cb, q);
	if (q->iev == NULL)
		fatalx("%s: event_new failed", __func__);
	event_add(q->iev, NULL);
out:
	free(dir);
}

struct ha_qmp *
ha_qmp_new(struct event_base *base, const char *path, int timeout_msec,
    const struct ha_qmp_cbs *cbs, char **cause)
{
	struct sockaddr_un sun;
	struct ha_qmp *q;
	struct timeval tv;
	const char *slash;

	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "QMP socket path too long: %s", path);
		return NULL;
	}
	q = xcalloc(1, sizeof *q);
	q->base = base;
	q->path = xstrdup(path);
	slash = strrchr(path, '/');
	q->file = xstrdup(slash != NULL ? slash + 1 : path);
	q->state = HA_QMP_WAITING;
	if (cbs != NULL)
		q->cbs = *cbs;
	q->ifd = -1;
	q->backoff_msec = HA_QMP_RETRY_MIN_MSEC;
	q->timeout_msec = timeout_msec;
	TAILQ_INIT(&q->cmds);

	/* Watch first, so a socket made right after the attempt is seen. */
	ha_qmp_watch(q);
	q->retry = evtimer_new(base, ha_qmp_retry_cb, q);
	if (q->retry == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	if (timeout_msec > 0) {
		q->timeout = evtimer_new(base, ha_qmp_timeout_cb, q);
		if (q->timeout == NULL)
			fatalx("%s: evtimer_new failed", __func__);
		ha_qmp_msec(&tv, timeout_msec);
		evtimer_add(q->timeout, &tv);
	}
	/* The first attempt runs from the loop: no callback from here. */
	ha_qmp_retry_in(q, 0);
	return q;
}
