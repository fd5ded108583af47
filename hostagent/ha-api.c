/* clima: the hostagent's HTTP API on ha.sock (evhttp). */
/*
 * One struct ha_api per hostagent: the listening UNIX socket, the evhttp
 * server, a ring of recent event lines and the /v1/events streams, one
 * struct ha_api_sub each, removed when libevent closes the connection.
 * Bodies are built by the hostagent (struct node) and serialised here.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "hostagent/ha-api.h"

/* Bounds on what a client may send us. */
#define HA_API_HEADERS_MAX 16384
#define HA_API_BODY_MAX    65536

/* Methods evhttp hands to us rather than refusing itself. */
#define HA_API_METHODS \
	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | \
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | \
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

struct ha_api;

/* One GET /v1/events stream. */
struct ha_api_sub {
	struct ha_api *api;         /* owner; we are on api->subs */
	struct evhttp_request *req; /* owned by libevent, see close_cb */
	struct evhttp_connection *evcon;
	TAILQ_ENTRY(ha_api_sub) entry;
};
TAILQ_HEAD(ha_api_subs, ha_api_sub);

struct ha_api {
	struct event_base *base;
	struct evhttp *http; /* owns the listening fd once bound */
	char *path;
	int unlink_path; /* we bound path, so we remove it */
	int timeout;
	struct ha_api_provider prov;
	struct ha_api_subs subs;
	size_t nsubs;
	char *history[HA_API_HISTORY_MAX]; /* ring, oldest at hist_first */
	size_t hist_first;
	size_t hist_n;
	size_t hist_bytes;
};

static void ha_api_request_cb(struct evhttp_request *, void *);

/* Lima's /v1/info body: both members omitempty, in Go's field order. */
struct node *
ha_api_info_node(int ssh_local_port, const char *auto_started_id)
{
	struct node *n;

	n = node_new_map();
	if (auto_started_id != NULL && *auto_started_id != '\0')
		node_map_set(
		    n, "autoStartedIdentifier", node_new_str(auto_started_id));
	if (ssh_local_port != 0)
		node_map_set(n, "sshLocalPort", node_new_int(ssh_local_port));
	return n;
}

/* Creates, binds (mode 0600) and listens on path; -1 and *cause. */
static int
ha_api_listen(struct ha_api *api, const char *path, char **cause)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* Never reachable by others, not even between bind and chmod. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc != 0) {
		xasprintf(cause, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	api->unlink_path = 1;
	if (chmod(path, 0600) != 0) {
		xasprintf(cause, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		xasprintf(cause, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Serves sock_path on base; see ha-api.h. */
struct ha_api *
ha_api_new(struct event_base *base, const char *sock_path,
    const struct ha_api_provider *prov, char **cause)
{
	struct ha_api *api;
	int fd = -1;

	api = xcalloc(1, sizeof *api);
	api->base = base;
	api->path = xstrdup(sock_path);
	api->timeout = HA_API_TIMEOUT_SEC;
	if (prov != NULL)
		api->prov = *prov;
	TAILQ_INIT(&api->subs);

	if ((fd = ha_api_listen(api, sock_path, cause)) == -1)
		goto fail;
	if ((api->http = evhttp_new(base)) == NULL) {
		xasprintf(cause, "evhttp_new failed");
		goto fail;
	}
	/* Every method reaches us, so that a wrong one gets our JSON 405. */
	evhttp_set_allowed_methods(api->http, HA_API_METHODS);
	evhttp_set_max_headers_size(api->http, HA_API_HEADERS_MAX);
	evhttp_set_max_body_size(api->http, HA_API_BODY_MAX);
	evhttp_set_timeout(api->http, api->timeout);
	evhttp_set_gencb(api->http, ha_api_request_cb, api);
	/* libevent takes fd (closed on free; accepted fds are CLOEXEC). */
	if (evhttp_accept_socket_with_handle(api->http, fd) == NULL) {
		xasprintf(cause, "%s: cannot accept connections", sock_path);
		goto fail;
	}
	return api;

fail:
	if (fd != -1)
		close(fd);
	ha_api_free(api);
	return NULL;
}

static void
ha_api_sub_free(struct ha_api_sub *sub)
{
	TAILQ_REMOVE(&sub->api->subs, sub, entry);
	sub->api->nsubs--;
	free(sub);
}

/*
 * Ends a stream as well as can be done without the loop: the final chunk
 * is queued and as much of the output (the last events, normally
 * "exiting") as the socket takes now is written.  The connection is
 * freed right after, and a bufferevent does not flush on free.
 */
static void
ha_api_sub_finish(struct ha_api_sub *sub)
{
	struct bufferevent *bev;
	struct evbuffer *out;
	const char *te;
	unsigned char *p;
	size_t len, off = 0;
	ssize_t n;
	int fd;

	bev = evhttp_connection_get_bufferevent(sub->evcon);
	out = bufferevent_get_output(bev);
	fd = bufferevent_getfd(bev);
	/* Only a chunked reply is sure to stay queued (not freed) here. */
	te = evhttp_find_header(
	    evhttp_request_get_output_headers(sub->req), "Transfer-Encoding");
	if (te != NULL && strcmp(te, "chunked") == 0)
		evhttp_send_reply_end(sub->req);
	len = evbuffer_get_length(out);
	if (fd == -1 || len == 0 || (p = evbuffer_pullup(out, -1)) == NULL)
		return;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

/* Stops serving, drops every connection and removes the socket. */
void
ha_api_free(struct ha_api *api)
{
	struct ha_api_sub *sub, *tmp;
	size_t i;

	if (api == NULL)
		return;
	TAILQ_FOREACH_SAFE(sub, &api->subs, entry, tmp) {
		/* evhttp_free frees the connection and its request. */
		evhttp_connection_set_closecb(sub->evcon, NULL, NULL);
		ha_api_sub_finish(sub);
		ha_api_sub_free(sub);
	}
	if (api->http != NULL)
		evhttp_free(api->http);
	if (api->unlink_path)
		unlink(api->path);
	for (i = 0; i < api->hist_n; i++)
		free(api->history[(api->hist_first + i) % HA_API_HISTORY_MAX]);
	free(api->path);
	free(api);
}

/* Overrides the connection timeouts for connections accepted from now. */
void
ha_api_set_timeout(struct ha_api *api, int sec)
{
	api->timeout = sec;
	evhttp_set_timeout(api->http, sec);
}

/* The number of /v1/events streams. */
size_t
ha_api_subscribers(const struct ha_api *api)
{
	return api->nsubs;
}

static void
ha_api_reply(
    struct evhttp_request *req, int code, const char *reason, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	evhttp_send_reply(req, code, reason, NULL);
}

/* Lima's error shape: {"message":"..."} with the status code. */
static void
ha_api_error(
    struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	struct node *n;
	char *body;

	n = node_new_map();
	node_map_set(n, "message", node_new_str(msg));
	body = node_to_json(n, 0);
	ha_api_reply(req, code, reason, body);
	free(body);
	node_free(n);
}

/* Answers with what a provider callback gives, or its error. */
static void
ha_api_provide(struct ha_api *api, struct evhttp_request *req,
    int (*fn)(void *, struct node **, char **))
{
	struct node *n = NULL;
	char *cause = NULL, *body;

	if (fn == NULL) {
		ha_api_error(req, HTTP_NOTIMPLEMENTED, "Not Implemented",
		    "not implemented");
		return;
	}
	if (fn(api->prov.arg, &n, &cause) != 0) {
		ha_api_error(req, HTTP_INTERNAL, "Internal Server Error",
		    cause != NULL ? cause : "internal error");
		free(cause);
		return;
	}
	body = node_to_json(n, 0);
	ha_api_reply(req, HTTP_OK, "OK", body);
	free(body);
	node_free(n);
}

static void
ha_api_info(struct ha_api *api, struct evhttp_request *req)
{
	ha_api_provide(api, req, api->prov.info);
}

static void
ha_api_status(struct ha_api *api, struct evhttp_request *req)
{
	ha_api_provide(api, req, api->prov.status);
}

/* Keeps line for ?history=1, dropping the oldest past the bounds. */
static void
ha_api_history_add(struct ha_api *api, const char *line)
{
	size_t len = strlen(line), i;

	if (len > HA_API_HISTORY_BYTES_MAX)
		return;
	while (api->hist_n == HA_API_HISTORY_MAX ||
	    api->hist_bytes + len > HA_API_HISTORY_BYTES_MAX) {
		i = api->hist_first;
		api->hist_bytes -= strlen(api->history[i]);
		free(api->history[i]);
		api->history[i] = NULL;
		api->hist_first = (i + 1) % HA_API_HISTORY_MAX;
		api->hist_n--;
	}
	i = (api->hist_first + api->hist_n) % HA_API_HISTORY_MAX;
	api->history[i] = xstrdup(line);
	api->hist_n++;
	api->hist_bytes += len;
}

/*
 * Queues line plus "\n" as one chunk.  A stream that has more than
 * HA_API_SUB_BUF_MAX bytes waiting is dropped (sub is freed) instead.
 */
static void
ha_api_sub_send(struct ha_api_sub *sub, const char *line, int may_drop)
{
	struct bufferevent *bev;
	struct evbuffer *b;

	bev = evhttp_connection_get_bufferevent(sub->evcon);
	if (may_drop &&
	    evbuffer_get_length(bufferevent_get_output(bev)) >
		HA_API_SUB_BUF_MAX) {
		/* Runs ha_api_sub_close_cb, which frees sub. */
		evhttp_connection_free(sub->evcon);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		return;
	evbuffer_add(b, line, strlen(line));
	evbuffer_add(b, "\n", 1);
	evhttp_send_reply_chunk(sub->req, b);
	evbuffer_free(b);
}

/* Sends one event line to every stream and keeps it for history. */
void
ha_api_broadcast(struct ha_api *api, const char *line)
{
	struct ha_api_sub *sub, *tmp;

	ha_api_history_add(api, line);
	TAILQ_FOREACH_SAFE(sub, &api->subs, entry, tmp)
		ha_api_sub_send(sub, line, 1);
}

/* events_writer_cb shape. */
void
ha_api_broadcast_cb(const char *line, void *arg)
{
	ha_api_broadcast(arg, line);
}

static void
ha_api_sub_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct ha_api_sub *sub = arg;
	struct evhttp_request *req = sub->req;

	ha_api_sub_free(sub);
	/*
	 * When the peer went away mid-reply, libevent detached the request
	 * from the connection and left it to us; ending it frees it.
	 * Otherwise the connection frees it right after this callback.
	 */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_send_reply_end(req);
}

/* Go's strconv.ParseBool; -1 if s is none of its spellings. */
static int
ha_api_parse_bool(const char *s)
{
	static const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

static void
ha_api_events(struct ha_api *api, struct evhttp_request *req)
{
	const char *query, *v;
	struct evkeyvalq params;
	struct ha_api_sub *sub;
	struct bufferevent *bev;
	struct timeval tv;
	int history = 0;
	size_t i;

	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query != NULL) {
		TAILQ_INIT(&params);
		if (evhttp_parse_query_str(query, &params) != 0) {
			ha_api_error(req, HTTP_BADREQUEST, "Bad Request",
			    "invalid query");
			return;
		}
		v = evhttp_find_header(&params, "history");
		if (v != NULL && (history = ha_api_parse_bool(v)) == -1) {
			evhttp_clear_headers(&params);
			ha_api_error(req, HTTP_BADREQUEST, "Bad Request",
			    "invalid value for history");
			return;
		}
		evhttp_clear_headers(&params);
	}
	if (api->nsubs >= HA_API_SUBS_MAX) {
		ha_api_error(req, HTTP_SERVUNAVAIL, "Service Unavailable",
		    "too many event subscribers");
		return;
	}

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/x-ndjson");
	evhttp_send_reply_start(req, HTTP_OK, "OK");

	sub = xcalloc(1, sizeof *sub);
	sub->api = api;
	sub->req = req;
	sub->evcon = evhttp_request_get_connection(req);
	TAILQ_INSERT_TAIL(&api->subs, sub, entry);
	api->nsubs++;
	evhttp_connection_set_closecb(sub->evcon, ha_api_sub_close_cb, sub);

	/*
	 * A stream is idle for as long as nothing happens: no read timeout.
	 * The write timeout stays, so a peer that stops reading goes away.
	 */
	bev = evhttp_connection_get_bufferevent(sub->evcon);
	tv.tv_sec = api->timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(bev, NULL, &tv);

	for (i = 0; history && i < api->hist_n; i++) {
		ha_api_sub_send(sub,
		    api->history[(api->hist_first + i) % HA_API_HISTORY_MAX],
		    0);
	}
}

static const struct ha_api_route {
	const char *path;
	void (*fn)(struct ha_api *, struct evhttp_request *);
} ha_api_routes[] = {
	{ "/v1/info", ha_api_info },
	{ "/v1/status", ha_api_status },
	{ "/v1/events", ha_api_events },
};

static void
ha_api_request_cb(struct evhttp_request *req, void *arg)
{
	struct ha_api *api = arg;
	const struct evhttp_uri *uri;
	const char *path = NULL;
	size_t i;

	uri = evhttp_request_get_evhttp_uri(req);
	if (uri != NULL)
		path = evhttp_uri_get_path(uri);
	for (i = 0;
	     path != NULL && i < sizeof ha_api_routes / sizeof ha_api_routes[0];
	     i++) {
		if (strcmp(path, ha_api_routes[i].path) != 0)
			continue;
		if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
			evhttp_add_header(
			    evhttp_request_get_output_headers(req), "Allow",
			    "GET");
			ha_api_error(req, HTTP_BADMETHOD, "Method Not Allowed",
			    "method not allowed");
			return;
		}
		ha_api_routes[i].fn(api, req);
		return;
	}
	ha_api_error(req, HTTP_NOTFOUND, "Not Found", "not found");
}
