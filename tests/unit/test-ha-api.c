/* clima: unit tests for hostagent/ha-api.c (the ha.sock HTTP API). */
/*
 * A forked child serves the API on its own event_base and obeys a
 * control socket (broadcast, count subscribers, quit); the parent is a
 * plain blocking HTTP client with receive timeouts, checking bodies and
 * codes byte for byte, the NDJSON streams, history, limits and cleanup.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "hostagent/ha-api.h"
#include "tests/tap.h"

/* Every blocking read of the client gives up after this. */
#define TEST_RECV_TIMEOUT_SEC 5
/* The whole test is killed after this. */
#define TEST_ALARM_SEC 120
/* Connection timeout the child's API is set to. */
#define TEST_API_TIMEOUT_SEC 1

/* ---- the server (child) ---- */

struct server {
	struct event_base *base;
	struct ha_api *api;
	struct bufferevent *ctl;
	int status_fails;
};

static int
server_info(void *arg, struct node **out, char **cause)
{
	*out = ha_api_info_node(45678, NULL);
	return 0;
}

static int
server_status(void *arg, struct node **out, char **cause)
{
	struct server *s = arg;
	struct node *n;

	if (s->status_fails) {
		*cause = xstrdup("status is not available");
		return -1;
	}
	n = node_new_map();
	node_map_set(n, "phase", node_new_str("running"));
	*out = n;
	return 0;
}

/* Counts open fds (beyond stdio) without FD_CLOEXEC. */
static int
server_leaky_fds(void)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0, self;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	self = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		fd = (int)strtol(de->d_name, NULL, 10);
		if (de->d_name[0] == '.' || fd <= 2 || fd == self)
			continue;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			n++;
	}
	closedir(d);
	return n;
}

static void
server_ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;
	struct evbuffer *out = bufferevent_get_output(bev);
	char *line, *big, *end;
	size_t len;
	int i, n, size;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len,
		    EVBUFFER_EOL_LF)) != NULL) {
		switch (line[0]) {
		case 'B': /* B <line>: broadcast */
			ha_api_broadcast(s->api, line + 2);
			evbuffer_add_printf(out, "OK\n");
			break;
		case 'M': /* M <n> <size>: n lines of size bytes */
			n = (int)strtol(line + 2, &end, 10);
			size = (int)strtol(end, NULL, 10);
			if (n <= 0 || size <= 0)
				break;
			big = xmalloc((size_t)size + 1);
			memset(big, 'x', (size_t)size);
			big[size] = '\0';
			for (i = 0; i < n; i++)
				ha_api_broadcast_cb(big, s->api);
			free(big);
			evbuffer_add_printf(out, "OK\n");
			break;
		case 'N': /* number of subscribers */
			evbuffer_add_printf(
			    out, "%zu\n", ha_api_subscribers(s->api));
			break;
		case 'F': /* make /v1/status fail */
			s->status_fails = !s->status_fails;
			evbuffer_add_printf(out, "OK\n");
			break;
		case 'C': /* fds without CLOEXEC */
			evbuffer_add_printf(out, "%d\n", server_leaky_fds());
			break;
		case 'Q':
			event_base_loopexit(s->base, NULL);
			break;
		}
		free(line);
	}
}

static void
server_ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct server *s = arg;

	event_base_loopexit(s->base, NULL);
}

static void __attribute__((__noreturn__)) server_main(const char *sock, int ctl)
{
	struct ha_api_provider prov;
	struct server s;
	char *cause = NULL;
	int rc = 1;

	memset(&s, 0, sizeof s);
	s.base = event_base_new();
	memset(&prov, 0, sizeof prov);
	prov.info = server_info;
	prov.status = server_status;
	prov.arg = &s;
	s.api = ha_api_new(s.base, sock, &prov, &cause);
	if (s.api == NULL) {
		dprintf(ctl, "ERR %s\n", cause);
		free(cause);
		goto out;
	}
	ha_api_set_timeout(s.api, TEST_API_TIMEOUT_SEC);
	s.ctl = bufferevent_socket_new(s.base, ctl, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(
	    s.ctl, server_ctl_read_cb, NULL, server_ctl_event_cb, &s);
	bufferevent_enable(s.ctl, EV_READ);
	if (write(ctl, "READY\n", 6) != 6)
		goto out;
	event_base_dispatch(s.base);
	rc = 0;
out:
	ha_api_free(s.api);
	if (s.ctl != NULL)
		bufferevent_free(s.ctl);
	event_base_free(s.base);
	libevent_global_shutdown();
	exit(rc);
}

/* ---- the client (parent) ---- */

struct conn {
	int fd;
	char buf[256 * 1024];
	size_t len;
};

static void
set_timeout(int fd)
{
	struct timeval tv = { TEST_RECV_TIMEOUT_SEC, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static struct conn *
conn_open(const char *path)
{
	struct sockaddr_un sun;
	struct conn *c;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return NULL;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return NULL;
	}
	set_timeout(fd);
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	return c;
}

static void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

/* Reads more; bytes read, 0 at EOF, -1 on error or timeout. */
static ssize_t
conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->len == sizeof c->buf)
		return -1;
	do
		n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* Offset just past pat in the buffer, reading as needed; -1 if never. */
static ssize_t
conn_until(struct conn *c, const char *pat)
{
	char *p;

	for (;;) {
		p = memmem(c->buf, c->len, pat, strlen(pat));
		if (p != NULL)
			return (p - c->buf) + (ssize_t)strlen(pat);
		if (conn_fill(c) <= 0)
			return -1;
	}
}

/* Takes n bytes off the front of the buffer into a fresh string. */
static char *
conn_take(struct conn *c, size_t n)
{
	char *s;

	while (c->len < n) {
		if (conn_fill(c) <= 0)
			return NULL;
	}
	s = xstrndup(c->buf, n);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return s;
}

/* Reads the status line and headers; the code, or -1. */
static int
conn_head(struct conn *c, char **head)
{
	ssize_t end;
	int code;

	*head = NULL;
	if ((end = conn_until(c, "\r\n\r\n")) == -1)
		return -1;
	*head = conn_take(c, (size_t)end);
	/* "HTTP/1.x NNN ..." */
	if (*head == NULL || strncmp(*head, "HTTP/1.", 7) != 0 ||
	    strlen(*head) < 12)
		return -1;
	code = (int)strtol(*head + 9, NULL, 10);
	return code;
}

/* The value of a header (case-sensitive name), fresh, or NULL. */
static char *
head_get(const char *head, const char *name)
{
	char *pat, *p, *v;

	pat = xstrprintf("\r\n%s: ", name);
	p = strstr(head, pat);
	if (p == NULL) {
		free(pat);
		return NULL;
	}
	p += strlen(pat);
	free(pat);
	v = xstrndup(p, strcspn(p, "\r"));
	return v;
}

struct reply {
	int code;
	char *ctype;
	char *body;
	char *head;
};

static void
reply_clear(struct reply *r)
{
	free(r->ctype);
	free(r->body);
	free(r->head);
	memset(r, 0, sizeof *r);
}

/* One request on a fresh connection; r->code is -1 on failure. */
static void
request(const char *sock, const char *method, const char *path, struct reply *r)
{
	struct conn *c;
	char *req, *cl;

	memset(r, 0, sizeof *r);
	r->code = -1;
	if ((c = conn_open(sock)) == NULL)
		return;
	req = xstrprintf("%s %s HTTP/1.1\r\nHost: lima-hostagent\r\n"
			 "Connection: close\r\n\r\n",
	    method, path);
	if (write(c->fd, req, strlen(req)) == (ssize_t)strlen(req)) {
		r->code = conn_head(c, &r->head);
		if (r->head != NULL)
			r->ctype = head_get(r->head, "Content-Type");
		cl = r->head != NULL ? head_get(r->head, "Content-Length")
				     : NULL;
		if (cl != NULL && strcmp(method, "HEAD") != 0)
			r->body = conn_take(c, strtoul(cl, NULL, 10));
		else if (strcmp(method, "HEAD") == 0)
			r->body = xstrdup("");
		free(cl);
	}
	free(req);
	conn_close(c);
}

/* Opens GET /v1/events<query>; NULL unless 200 and chunked. */
static struct conn *
stream_open(const char *sock, const char *query, int *code)
{
	struct conn *c;
	char *req, *head = NULL, *te, *ct;
	int ok_ = 0;

	*code = -1;
	if ((c = conn_open(sock)) == NULL)
		return NULL;
	req = xstrprintf("GET /v1/events%s HTTP/1.1\r\nHost: lima-hostagent"
			 "\r\n\r\n",
	    query);
	if (write(c->fd, req, strlen(req)) == (ssize_t)strlen(req)) {
		*code = conn_head(c, &head);
		te = head != NULL ? head_get(head, "Transfer-Encoding") : NULL;
		ct = head != NULL ? head_get(head, "Content-Type") : NULL;
		ok_ = *code == 200 && te != NULL &&
		    strcmp(te, "chunked") == 0 && ct != NULL &&
		    strcmp(ct, "application/x-ndjson") == 0;
		free(te);
		free(ct);
	}
	free(req);
	free(head);
	if (!ok_) {
		conn_close(c);
		return NULL;
	}
	return c;
}

/* Next line of a stream (one chunk, "\n" removed), fresh, or NULL. */
static char *
stream_line(struct conn *c)
{
	char *sz, *data, *crlf;
	ssize_t end;
	size_t n;

	if ((end = conn_until(c, "\r\n")) == -1)
		return NULL;
	sz = conn_take(c, (size_t)end);
	n = strtoul(sz, NULL, 16);
	free(sz);
	if (n == 0)
		return NULL;
	data = conn_take(c, n);
	crlf = conn_take(c, 2);
	if (data == NULL || crlf == NULL || strcmp(crlf, "\r\n") != 0 ||
	    data[n - 1] != '\n') {
		free(data);
		free(crlf);
		return NULL;
	}
	free(crlf);
	data[n - 1] = '\0';
	return data;
}

/* Sends a control command and returns the reply line (static). */
static const char *
ctl_cmd(int ctl, const char *fmt, ...)
{
	static char buf[256];
	char *cmd;
	va_list ap;
	size_t len = 0;
	ssize_t n;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	n = write(ctl, cmd, strlen(cmd));
	free(cmd);
	if (n <= 0)
		return "";
	while (len < sizeof buf - 1) {
		n = read(ctl, buf + len, 1);
		if (n <= 0 || buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return buf;
}

/* Asks for the subscriber count until it is want (5 s at most). */
static int
wait_subs(int ctl, int want)
{
	int i, n = -1;

	for (i = 0; i < 100; i++) {
		n = (int)strtol(ctl_cmd(ctl, "N\n"), NULL, 10);
		if (n == want)
			break;
		usleep(50000);
	}
	return n;
}

static void
check_reply(const char *sock, const char *method, const char *path, int code,
    const char *body)
{
	struct reply r;

	request(sock, method, path, &r);
	is_int(r.code, code, "%s %s: code", method, path);
	is_str(
	    r.ctype, "application/json", "%s %s: content type", method, path);
	is_str(r.body, body, "%s %s: body", method, path);
	reply_clear(&r);
}

static void
test_info_node(void)
{
	struct node *n;
	char *s;

	n = ha_api_info_node(45678, "lima-vm@x.service");
	s = node_to_json(n, 0);
	is_str(s,
	    "{\"autoStartedIdentifier\":\"lima-vm@x.service\","
	    "\"sshLocalPort\":45678}",
	    "info node: Lima's member order");
	free(s);
	node_free(n);
	n = ha_api_info_node(0, "");
	s = node_to_json(n, 0);
	is_str(s, "{}", "info node: both omitempty");
	free(s);
	node_free(n);
}

static void
test_new_errors(const char *dir)
{
	struct event_base *base;
	char *cause = NULL, *path;
	char longpath[200];

	base = event_base_new();
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	ok(ha_api_new(base, longpath, NULL, &cause) == NULL && cause != NULL,
	    "too long a path fails");
	is_str(cause != NULL ? strstr(cause, "socket path too long") : NULL,
	    "socket path too long", "cause names it");
	free(cause);
	cause = NULL;
	path = xstrprintf("%s/missing/ha.sock", dir);
	ok(ha_api_new(base, path, NULL, &cause) == NULL && cause != NULL,
	    "a missing directory fails");
	free(cause);
	free(path);
	ha_api_free(NULL);
	event_base_free(base);
}

static void
test_streams(const char *sock, int ctl)
{
	struct conn *a, *b, *c, *subs[HA_API_SUBS_MAX];
	char *line;
	int code, i, n;

	is_str(ctl_cmd(ctl, "B {\"n\":1}\n"), "OK", "broadcast before subs");
	is_str(ctl_cmd(ctl, "B {\"n\":2}\n"), "OK", "broadcast before subs");

	a = stream_open(sock, "?history=1", &code);
	ok(a != NULL, "stream A (history) opened: %d", code);
	b = stream_open(sock, "", &code);
	ok(b != NULL, "stream B opened: %d", code);
	if (a == NULL || b == NULL) {
		conn_close(a);
		conn_close(b);
		return;
	}
	is_int(wait_subs(ctl, 2), 2, "two subscribers");
	line = stream_line(a);
	is_str(line, "{\"n\":1}", "A: history line 1");
	free(line);
	line = stream_line(a);
	is_str(line, "{\"n\":2}", "A: history line 2");
	free(line);

	ctl_cmd(ctl, "B {\"n\":3}\n");
	line = stream_line(a);
	is_str(line, "{\"n\":3}", "A: live line");
	free(line);
	line = stream_line(b);
	is_str(line, "{\"n\":3}", "B: live line, no history before it");
	free(line);

	/* Longer than the connection timeout: an idle stream stays. */
	sleep(TEST_API_TIMEOUT_SEC + 1);
	ctl_cmd(ctl, "B {\"n\":4}\n");
	line = stream_line(b);
	is_str(line, "{\"n\":4}", "B: still there after an idle spell");
	free(line);

	conn_close(a);
	is_int(wait_subs(ctl, 1), 1, "A removed when it closed");
	ctl_cmd(ctl, "B {\"n\":5}\n");
	line = stream_line(b);
	is_str(line, "{\"n\":5}", "B: next line after A left");
	free(line);
	conn_close(b);
	is_int(wait_subs(ctl, 0), 0, "B removed when it closed");

	/* A stream that never reads is dropped past HA_API_SUB_BUF_MAX. */
	c = stream_open(sock, "", &code);
	ok(c != NULL, "slow stream opened");
	is_int(wait_subs(ctl, 1), 1, "one subscriber");
	is_str(ctl_cmd(ctl, "M 400 8192\n"), "OK", "3 MiB broadcast");
	is_int(wait_subs(ctl, 0), 0, "slow subscriber dropped");
	conn_close(c);

	/* History is bounded in bytes: 1 MiB of 8 KiB lines. */
	c = stream_open(sock, "?history=true", &code);
	ok(c != NULL, "history stream opened");
	for (i = 0, n = 0; c != NULL && i < HA_API_HISTORY_BYTES_MAX / 8192;
	     i++) {
		if ((line = stream_line(c)) == NULL)
			break;
		n += strlen(line) == 8192 && line[0] == 'x';
		free(line);
	}
	is_int(n, HA_API_HISTORY_BYTES_MAX / 8192, "history replayed");
	ctl_cmd(ctl, "B {\"end\":true}\n");
	line = c != NULL ? stream_line(c) : NULL;
	is_str(line, "{\"end\":true}", "nothing more in the history");
	free(line);
	conn_close(c);
	is_int(wait_subs(ctl, 0), 0, "no subscribers");

	/* The limit on subscribers. */
	for (i = 0; i < HA_API_SUBS_MAX; i++)
		subs[i] = stream_open(sock, "", &code);
	for (i = 0, n = 0; i < HA_API_SUBS_MAX; i++)
		n += subs[i] != NULL;
	is_int(n, HA_API_SUBS_MAX, "HA_API_SUBS_MAX streams open");
	is_int(wait_subs(ctl, HA_API_SUBS_MAX), HA_API_SUBS_MAX, "counted");
	check_reply(sock, "GET", "/v1/events", 503,
	    "{\"message\":\"too many event subscribers\"}");
	for (i = 0; i < HA_API_SUBS_MAX; i++)
		conn_close(subs[i]);
	is_int(wait_subs(ctl, 0), 0, "all removed");

	check_reply(sock, "GET", "/v1/events?history=maybe", 400,
	    "{\"message\":\"invalid value for history\"}");
}

static void
test_server(const char *dir)
{
	struct sockaddr_un sun;
	struct reply r;
	struct conn *c;
	struct stat sb;
	char *sock, ready[256], *line;
	int sv[2], fd, status, code;
	ssize_t n;
	pid_t pid;

	sock = xstrprintf("%s/ha.sock", dir);
	/* A stale socket from a dead hostagent. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	ok(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0,
	    "stale socket made");
	close(fd);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		ok(0, "socketpair: %s", strerror(errno));
		free(sock);
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		server_main(sock, sv[1]);
	}
	close(sv[1]);
	set_timeout(sv[0]);
	n = read(sv[0], ready, sizeof ready - 1);
	ready[n > 0 ? n : 0] = '\0';
	is_str(ready, "READY\n", "server started over the stale socket");

	ok(stat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
		(sb.st_mode & 07777) == 0600,
	    "ha.sock is a socket, mode 0600");

	check_reply(sock, "GET", "/v1/info", 200, "{\"sshLocalPort\":45678}");
	check_reply(sock, "GET", "/v1/status", 200, "{\"phase\":\"running\"}");
	ctl_cmd(sv[0], "F\n");
	check_reply(sock, "GET", "/v1/status", 500,
	    "{\"message\":\"status is not available\"}");
	check_reply(sock, "GET", "/", 404, "{\"message\":\"not found\"}");
	check_reply(
	    sock, "GET", "/v1/info/", 404, "{\"message\":\"not found\"}");
	check_reply(
	    sock, "GET", "/v1/screenshot", 404, "{\"message\":\"not found\"}");
	check_reply(sock, "POST", "/v1/info", 405,
	    "{\"message\":\"method not allowed\"}");
	check_reply(sock, "DELETE", "/v1/events", 405,
	    "{\"message\":\"method not allowed\"}");
	check_reply(sock, "PATCH", "/v1/status", 405,
	    "{\"message\":\"method not allowed\"}");
	check_reply(
	    sock, "GET", "/v1/info?x=1", 200, "{\"sshLocalPort\":45678}");
	request(sock, "HEAD", "/v1/info", &r);
	is_int(r.code, 405, "HEAD /v1/info: 405");
	reply_clear(&r);

	/* A connection that sends nothing is closed after the timeout. */
	c = conn_open(sock);
	ok(c != NULL && conn_fill(c) == 0, "idle connection closed");
	conn_close(c);

	test_streams(sock, sv[0]);

	is_str(ctl_cmd(sv[0], "C\n"), "0", "every fd of the server is CLOEXEC");

	/* Still streaming when the API is freed: the stream just ends. */
	c = stream_open(sock, "", &code);
	ok(c != NULL, "stream open at shutdown");
	is_int(wait_subs(sv[0], 1), 1, "one subscriber at shutdown");
	if (write(sv[0], "B {\"bye\":1}\nQ\n", 14) != 14)
		ok(0, "write control");
	line = c != NULL ? stream_line(c) : NULL;
	is_str(line, "{\"bye\":1}", "last event queued before the free");
	free(line);
	ok(c != NULL && conn_until(c, "0\r\n\r\n") == 5 && c->len == 5,
	    "then the final chunk");
	ok(c != NULL && conn_fill(c) == 0, "then the connection closes");
	conn_close(c);
	close(sv[0]);
	status = -1;
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "server exited cleanly (status %#x)", status);
	ok(stat(sock, &sb) == -1 && errno == ENOENT,
	    "ha_api_free removed the socket");
	free(sock);
}

/* Fds inherited from whoever ran us are not ours to judge. */
static void
mark_inherited_fds(void)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = (int)strtol(de->d_name, NULL, 10);
		if (de->d_name[0] != '.' && fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	closedir(d);
}

int
main(void)
{
	char dir[] = "/tmp/clima-test-ha-api.XXXXXX";

	signal(SIGPIPE, SIG_IGN);
	alarm(TEST_ALARM_SEC);
	mark_inherited_fds();
	test_info_node();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	test_new_errors(dir);
	test_server(dir);
	rmdir(dir);
	libevent_global_shutdown();
	return done_testing();
}
