/* clima: unit tests for events/ (encode, decode, writer, reader). */
/*
 * Exact encodings (Lima's example lines, omitempty), decode round trips
 * and errors, the writer's one-write-per-event and current-status rules
 * on a SOCK_SEQPACKET pair, and the inotify reader on a real event_base
 * with a watchdog timer, through appends, truncation and re-creation.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/xmalloc.h"
#include "events/events.h"
#include "tests/tap.h"

/* No test may take longer than this on the loop. */
#define TEST_WATCHDOG_SEC 5

static const char *lima_examples[] = {
	"{\"time\":\"2025-06-01T10:00:01.123456789+02:00\",\"status\":"
	"{\"sshLocalPort\":45678}}",
	"{\"time\":\"2025-06-01T10:00:35.5+02:00\",\"status\":{"
	"\"sshLocalPort\":"
	"45678,\"portForward\":{\"type\":\"not-forwarding\",\"protocol\":"
	"\"tcp\",\"guestAddr\":\"0.0.0.0:22\"}}}",
	"{\"time\":\"2025-06-01T10:00:41.1+02:00\",\"status\":{\"running\":"
	"true,"
	"\"sshLocalPort\":45678}}",
	"{\"time\":\"2025-06-01T10:00:41.2+02:00\",\"status\":{\"running\":"
	"true,"
	"\"degraded\":true,\"errors\":[\"guest agent does not seem to be "
	"running; port forwards will not work\"],\"sshLocalPort\":45678}}",
	"{\"time\":\"2025-06-01T10:05:00+02:00\",\"status\":{\"running\":true,"
	"\"sshLocalPort\":45678,\"portForward\":{\"type\":\"forwarding\","
	"\"protocol\":\"tcp\",\"guestAddr\":\"127.0.0.1:8080\",\"hostAddr\":"
	"\"127.0.0.1:8080\"}}}",
	"{\"time\":\"2025-06-01T10:06:00+02:00\",\"status\":{\"running\":true,"
	"\"sshLocalPort\":45678,\"cloudInitProgress\":{\"logLine\":"
	"\"Cloud-init v. 25.1 finished at ...\",\"completed\":true}}}",
	"{\"time\":\"2025-06-01T11:00:00+02:00\",\"status\":{\"exiting\":true}"
	"}",
};
#define NEXAMPLES (sizeof lima_examples / sizeof lima_examples[0])

static void
set_time(struct events_event *ev, const char *t)
{
	snprintf(ev->time, sizeof ev->time, "%s", t);
}

static void
check_encode(const struct events_event *ev, const char *want, const char *what)
{
	char *got;

	got = events_encode(ev);
	is_str(got, want, "encode: %s", what);
	free(got);
}

/* Builds Lima's example events from structs and compares byte for byte. */
static void
test_encode_examples(void)
{
	struct events_event ev;
	struct events_port_forward pf;
	struct events_cloud_init ci;
	char *errs[] = { xstrdup("guest agent does not seem to be running; "
				 "port forwards will not work") };

	memset(&ev, 0, sizeof ev);
	set_time(&ev, "2025-06-01T10:00:01.123456789+02:00");
	ev.status.ssh_local_port = 45678;
	check_encode(&ev, lima_examples[0], "ssh port only");

	memset(&pf, 0, sizeof pf);
	pf.type = xstrdup("not-forwarding");
	pf.protocol = xstrdup("tcp");
	pf.guest_addr = xstrdup("0.0.0.0:22");
	pf.host_addr = xstrdup("");
	set_time(&ev, "2025-06-01T10:00:35.5+02:00");
	ev.status.port_forward = &pf;
	check_encode(&ev, lima_examples[1], "not-forwarding, empty hostAddr");
	ev.status.port_forward = NULL;
	free(pf.type);
	free(pf.protocol);
	free(pf.guest_addr);
	free(pf.host_addr);

	set_time(&ev, "2025-06-01T10:00:41.1+02:00");
	ev.status.running = 1;
	check_encode(&ev, lima_examples[2], "running");

	set_time(&ev, "2025-06-01T10:00:41.2+02:00");
	ev.status.degraded = 1;
	ev.status.errors = errs;
	ev.status.nerrors = 1;
	check_encode(&ev, lima_examples[3], "degraded with errors");
	ev.status.degraded = 0;
	ev.status.errors = NULL;
	ev.status.nerrors = 0;
	free(errs[0]);

	memset(&pf, 0, sizeof pf);
	pf.type = xstrdup(EVENTS_PF_FORWARDING);
	pf.protocol = xstrdup("tcp");
	pf.guest_addr = xstrdup("127.0.0.1:8080");
	pf.host_addr = xstrdup("127.0.0.1:8080");
	set_time(&ev, "2025-06-01T10:05:00+02:00");
	ev.status.port_forward = &pf;
	check_encode(&ev, lima_examples[4], "forwarding");
	ev.status.port_forward = NULL;
	free(pf.type);
	free(pf.protocol);
	free(pf.guest_addr);
	free(pf.host_addr);

	memset(&ci, 0, sizeof ci);
	ci.log_line = xstrdup("Cloud-init v. 25.1 finished at ...");
	ci.completed = 1;
	set_time(&ev, "2025-06-01T10:06:00+02:00");
	ev.status.cloud_init_progress = &ci;
	check_encode(&ev, lima_examples[5], "cloud-init completed");
	ev.status.cloud_init_progress = NULL;
	free(ci.log_line);

	memset(&ev, 0, sizeof ev);
	set_time(&ev, "2025-06-01T11:00:00+02:00");
	ev.status.exiting = 1;
	check_encode(&ev, lima_examples[6], "exiting");
}

static void
test_encode_rules(void)
{
	struct events_event ev;
	struct events_port_forward pf;
	struct events_cloud_init ci;
	struct events_vsock vs;
	char *errs[] = { xstrdup("a \"quoted\"\nline\\"), xstrdup("") };

	memset(&ev, 0, sizeof ev);
	check_encode(&ev, "{\"time\":\"0001-01-01T00:00:00Z\",\"status\":{}}",
	    "zero event: Go's zero time, empty status present");

	set_time(&ev, "2025-06-01T10:00:00Z");
	memset(&ci, 0, sizeof ci);
	memset(&pf, 0, sizeof pf);
	memset(&vs, 0, sizeof vs);
	ev.status.cloud_init_progress = &ci;
	ev.status.port_forward = &pf;
	ev.status.vsock = &vs;
	check_encode(&ev,
	    "{\"time\":\"2025-06-01T10:00:00Z\",\"status\":{"
	    "\"cloudInitProgress\":{},\"portForward\":{},\"vsock\":{}}}",
	    "present but empty sub-objects are {}");

	ev.status.running = ev.status.degraded = ev.status.exiting = 1;
	ev.status.errors = errs;
	ev.status.nerrors = 2;
	ev.status.ssh_local_port = 22;
	ci.log_line = xstrdup("line");
	ci.completed = ci.active = 1;
	pf.type = xstrdup(EVENTS_PF_FAILED);
	pf.protocol = xstrdup("udp");
	pf.guest_addr = xstrdup("[::1]:53");
	pf.host_addr = xstrdup("/tmp/x.sock");
	pf.error = xstrdup("address in use");
	vs.type = xstrdup(EVENTS_VSOCK_STARTED);
	vs.host_addr = xstrdup("127.0.0.1:2222");
	vs.vsock_port = 2222;
	vs.reason = xstrdup("why");
	check_encode(&ev,
	    "{\"time\":\"2025-06-01T10:00:00Z\",\"status\":{\"running\":true,"
	    "\"degraded\":true,\"exiting\":true,\"errors\":[\"a \\\"quoted\\\""
	    "\\nline\\\\\",\"\"],\"sshLocalPort\":22,\"cloudInitProgress\":{"
	    "\"logLine\":\"line\",\"completed\":true,\"active\":true},"
	    "\"portForward\":{\"type\":\"failed\",\"protocol\":\"udp\","
	    "\"guestAddr\":\"[::1]:53\",\"hostAddr\":\"/tmp/x.sock\","
	    "\"error\":\"address in use\"},\"vsock\":{\"type\":\"started\","
	    "\"hostAddr\":\"127.0.0.1:2222\",\"vsockPort\":2222,\"reason\":"
	    "\"why\"}}}",
	    "every member, in Lima's order, escaped");
	ev.status.cloud_init_progress = NULL;
	ev.status.port_forward = NULL;
	ev.status.vsock = NULL;
	ev.status.errors = NULL;
	ev.status.nerrors = 0;
	free(ci.log_line);
	free(pf.type);
	free(pf.protocol);
	free(pf.guest_addr);
	free(pf.host_addr);
	free(pf.error);
	free(vs.type);
	free(vs.host_addr);
	free(vs.reason);
	free(errs[0]);
	free(errs[1]);

	memset(&ev, 0, sizeof ev);
	set_time(&ev, "2025-06-01T10:00:00Z");
	memset(&ci, 0, sizeof ci);
	ci.log_line = xstrdup("a\xff"
			      "b\xc3\xa9\xed\xa0\x80!");
	ev.status.cloud_init_progress = &ci;
	check_encode(&ev,
	    "{\"time\":\"2025-06-01T10:00:00Z\",\"status\":{"
	    "\"cloudInitProgress\":{\"logLine\":\"a\xef\xbf\xbd"
	    "b\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!\"}}}",
	    "invalid UTF-8 becomes U+FFFD per byte, as Go does");
	free(ci.log_line);
}

static void
test_decode(void)
{
	static const char ext[] =
	    "{\"time\":\"2025-06-01T10:00:00Z\","
	    "\"future\":{\"x\":[1]},\"status\":{\"sshLocalPort\":7,"
	    "\"newThing\":true,\"portForward\":{\"type\":\"forwarding\","
	    "\"extra\":1},\"running\":null}}";
	struct events_event ev;
	char *cause = NULL, *out, big[EVENTS_LINE_MAX + 16];
	size_t i;
	static const struct {
		const char *in;
		const char *cause;
	} bad[] = {
		{ "", "invalid JSON" },
		{ "not json", "invalid JSON" },
		{ "[1]", "event is not a JSON object" },
		{ "{\"time\":1,\"status\":{}}", "time: not a string" },
		{ "{\"time\":\"yesterday\"}", "time: not an RFC 3339 time" },
		{ "{\"status\":[]}", "status: not an object" },
		{ "{\"status\":{\"running\":1}}", "running: not a boolean" },
		{ "{\"status\":{\"sshLocalPort\":\"22\"}}",
		    "sshLocalPort: not an integer" },
		{ "{\"status\":{\"sshLocalPort\":1.5}}",
		    "sshLocalPort: not an integer" },
		{ "{\"status\":{\"errors\":\"x\"}}", "errors: not an array" },
		{ "{\"status\":{\"errors\":[1]}}", "errors[0]: not a string" },
		{ "{\"status\":{\"portForward\":{\"type\":true}}}",
		    "type: not a string" },
		{ "{\"status\":{\"vsock\":{\"vsockPort\":99999999999}}}",
		    "vsockPort: out of range" },
	};

	memset(&ev, 0, sizeof ev);
	for (i = 0; i < NEXAMPLES; i++) {
		if (events_decode(lima_examples[i], strlen(lima_examples[i]),
			&ev, &cause) != 0) {
			ok(0, "decode example %zu: %s", i, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		out = events_encode(&ev);
		is_str(out, lima_examples[i], "round trip of example %zu", i);
		free(out);
	}
	ok(ev.status.exiting && ev.status.ssh_local_port == 0 &&
		strcmp(ev.time, "2025-06-01T11:00:00+02:00") == 0,
	    "decode replaces the previous contents");
	events_event_clear(&ev);

	is_int(events_decode(ext, strlen(ext), &ev, &cause), 0,
	    "unknown members and nulls are ignored");
	ok(ev.status.ssh_local_port == 7 && ev.status.port_forward != NULL &&
		strcmp(ev.status.port_forward->type, "forwarding") == 0 &&
		!ev.status.running,
	    "known members decoded");
	events_event_clear(&ev);

	is_int(events_decode("{\"status\":{}}x", 13, &ev, &cause), 0,
	    "len bounds the input");
	is_str(ev.time, "", "no time gives an empty time");
	events_event_clear(&ev);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		is_int(events_decode(bad[i].in, strlen(bad[i].in), &ev, &cause),
		    -1, "decode fails: %s", bad[i].in);
		ok(cause != NULL &&
			strncmp(cause, bad[i].cause, strlen(bad[i].cause)) == 0,
		    "cause: %s", cause != NULL ? cause : "(null)");
		free(cause);
	}
	cause = NULL;
	is_int(events_decode("{\"status\":{}}\0x", 15, &ev, &cause), -1,
	    "NUL inside the line is rejected");
	free(cause);
	memset(big, ' ', sizeof big);
	big[0] = '{';
	big[1] = '}';
	cause = NULL;
	is_int(events_decode(big, EVENTS_LINE_MAX + 1, &ev, &cause), -1,
	    "line over EVENTS_LINE_MAX is rejected");
	free(cause);
	cause = NULL;
	is_int(events_decode(big, EVENTS_LINE_MAX, &ev, &cause), 0,
	    "line of EVENTS_LINE_MAX is accepted");
	events_event_clear(&ev);
}

static void
test_time(void)
{
	struct timespec ts;
	static const char *bad[] = { "", "2025-06-01", "2025-06-01T10:00:00",
		"2025-06-01T10:00:00+0200", "2025-13-01T10:00:00Z",
		"2025-02-29T10:00:00Z", "2025-06-01T24:00:00Z",
		"2025-06-01T10:00:00.Z", "2025-06-01T10:00:00Zjunk",
		"2025-06-01 10:00:00Z" };
	size_t i;

	is_int(events_time_parse("2025-06-01T10:00:01.123456789+02:00", &ts), 0,
	    "parse nanos with offset");
	ok(ts.tv_sec == 1748764801 && ts.tv_nsec == 123456789,
	    "value %lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	is_int(events_time_parse("2025-06-01T08:00:01.5Z", &ts), 0, "parse Z");
	ok(ts.tv_sec == 1748764801 && ts.tv_nsec == 500000000, "fraction");
	is_int(events_time_parse("2024-02-29T23:30:00-01:30", &ts), 0,
	    "leap day, negative offset");
	ok(ts.tv_sec == 1709254800 && ts.tv_nsec == 0, "value %lld",
	    (long long)ts.tv_sec);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(events_time_parse(bad[i], &ts), -1, "reject \"%s\"",
		    bad[i]);
}

struct hook {
	char *lines[8];
	size_t n;
};

static void
test_hook_cb(const char *line, void *arg)
{
	struct hook *h = arg;

	if (h->n < 8)
		h->lines[h->n++] = xstrdup(line);
}

/* Reads one packet: exactly what one write(2) wrote. */
static char *
read_packet(int fd)
{
	static char buf[EVENTS_LINE_MAX + 2];
	ssize_t n;

	n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Checks one written event: "\n"-terminated, a valid time, then want. */
static void
check_written(
    int fd, struct hook *h, size_t hi, const char *want, const char *what)
{
	struct timespec ts, now;
	struct events_event ev;
	const char *p;
	char *pkt, *cause = NULL;
	size_t len;

	pkt = read_packet(fd);
	ok(pkt != NULL, "%s: one write", what);
	if (pkt == NULL)
		return;
	len = strlen(pkt);
	ok(len > 0 && pkt[len - 1] == '\n', "%s: ends in a newline", what);
	pkt[len - 1] = '\0';
	is_str(h->n > hi ? h->lines[hi] : NULL, pkt, "%s: hook got the line",
	    what);
	p = strstr(pkt, ",\"status\":");
	is_str(p, want, "%s: status", what);
	memset(&ev, 0, sizeof ev);
	if (events_decode(pkt, len - 1, &ev, &cause) != 0) {
		ok(0, "%s: decodes: %s", what, cause);
		free(cause);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ok(events_time_parse(ev.time, &ts) == 0 && ts.tv_sec <= now.tv_sec &&
		ts.tv_sec >= now.tv_sec - 60,
	    "%s: time is now (%s)", what, ev.time);
	events_event_clear(&ev);
}

static void
test_writer(void)
{
	const char *errs[] = { "e1", "e2" };
	struct events_writer *w;
	struct hook h;
	char *cause = NULL;
	int sv[2];
	size_t i;

	memset(&h, 0, sizeof h);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	w = events_writer_new(sv[0]);
	events_writer_set_cb(w, test_hook_cb, &h);

	events_set_ssh_port(w, 45678);
	is_int(events_emit_status(w, &cause), 0, "emit status");
	check_written(sv[1], &h, 0, ",\"status\":{\"sshLocalPort\":45678}}",
	    "first event");

	is_int(events_emit_port_forward(w, EVENTS_PF_NOT_FORWARDING, "tcp",
		   "0.0.0.0:22", NULL, NULL, &cause),
	    0, "emit port forward");
	check_written(sv[1], &h, 1,
	    ",\"status\":{\"sshLocalPort\":45678,\"portForward\":{\"type\":"
	    "\"not-forwarding\",\"protocol\":\"tcp\",\"guestAddr\":"
	    "\"0.0.0.0:22\"}}}",
	    "port forward copies the current status");

	is_int(events_emit_running(w, 1, errs, 2, &cause), 0, "emit running");
	check_written(sv[1], &h, 2,
	    ",\"status\":{\"running\":true,\"degraded\":true,\"errors\":"
	    "[\"e1\",\"e2\"],\"sshLocalPort\":45678}}",
	    "running degraded");

	is_int(events_emit_running(w, 0, NULL, 0, &cause), 0, "emit running");
	check_written(sv[1], &h, 3,
	    ",\"status\":{\"running\":true,\"sshLocalPort\":45678}}",
	    "running again drops degraded and errors");

	is_int(
	    events_emit_cloud_init(w, "Cloud-init v. 25.1 running", 0, &cause),
	    0, "emit cloud-init line");
	check_written(sv[1], &h, 4,
	    ",\"status\":{\"running\":true,\"sshLocalPort\":45678,"
	    "\"cloudInitProgress\":{\"logLine\":\"Cloud-init v. 25.1 running\","
	    "\"active\":true}}}",
	    "cloud-init progress is active");

	is_int(events_emit_status(w, &cause), 0, "emit status");
	check_written(sv[1], &h, 5,
	    ",\"status\":{\"running\":true,\"sshLocalPort\":45678}}",
	    "sub-objects are not kept in the current status");
	ok(events_writer_status(w)->running &&
		events_writer_status(w)->port_forward == NULL,
	    "current status");

	is_int(events_emit_exiting(w, NULL, 0, &cause), 0, "emit exiting");
	check_written(sv[1], &h, 6, ",\"status\":{\"exiting\":true}}",
	    "exiting drops the rest, as Lima does");
	ok(read_packet(sv[1]) == NULL, "nothing else was written");

	close(sv[1]);
	cause = NULL;
	is_int(events_emit_status(w, &cause), -1, "write to a closed peer");
	ok(cause != NULL && strncmp(cause, "write event: ", 13) == 0,
	    "cause: %s", cause != NULL ? cause : "(null)");
	free(cause);
	is_int(h.n, 8, "hook still gets an event that failed to write");

	events_writer_free(w);
	events_writer_free(NULL);
	close(sv[0]);
	for (i = 0; i < h.n; i++)
		free(h.lines[i]);
}

/* Reader tests: a file changed step by step from timers on the loop. */
struct rtest {
	struct event_base *base;
	char path[256];
	char tmp[256];
	struct events_reader *r;
	int ports[32];
	size_t n;
	size_t want; /* ports expected before the next step runs */
	int step;
	int timed_out;
	int free_in_cb; /* free the reader from the callback */
	void (*next)(struct rtest *);
};

static char *
ev_line(int port, int old)
{
	return xstrprintf(
	    "{\"time\":\"%s\",\"status\":{\"sshLocalPort\":%d}}\n",
	    old ? "2000-01-01T00:00:00Z" : "2100-01-01T00:00:00.5+02:00", port);
}

static void
write_file(const char *path, int flags, const char *s)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
	if (fd == -1 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		fprintf(stderr, "write_file %s: %s\n", path, strerror(errno));
	if (fd != -1)
		close(fd);
}

static void
append_line(const char *path, int port, int old)
{
	char *s = ev_line(port, old);

	write_file(path, O_APPEND, s);
	free(s);
}

static void
rtest_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rtest *t = arg;

	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

static void
rtest_next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rtest *t = arg;

	t->next(t);
}

static void
rtest_reader_cb(const struct events_event *ev, const char *line, void *arg)
{
	struct rtest *t = arg;
	struct timeval tv = { 0, 0 };

	if (t->n < 32) /* -1 marks a line handed over with its newline */
		t->ports[t->n++] =
		    strchr(line, '\n') != NULL ? -1 : ev->status.ssh_local_port;
	if (t->free_in_cb) {
		events_reader_free(t->r);
		t->r = NULL;
		tv.tv_usec = 100000;
		event_base_once(t->base, -1, EV_TIMEOUT, rtest_next_cb, t, &tv);
		return;
	}
	if (t->n == t->want)
		event_base_once(t->base, -1, EV_TIMEOUT, rtest_next_cb, t, &tv);
}

static void
rtest_run(struct rtest *t, const char *name, off_t offset,
    const struct timespec *since)
{
	struct timeval wd = { TEST_WATCHDOG_SEC, 0 };
	struct event *watchdog;
	char *cause = NULL;

	t->r = events_reader_new(
	    t->base, t->path, offset, since, rtest_reader_cb, t, &cause);
	ok(t->r != NULL, "%s: reader_new %s", name, cause != NULL ? cause : "");
	free(cause);
	if (t->r == NULL)
		return;
	watchdog = evtimer_new(t->base, rtest_watchdog_cb, t);
	evtimer_add(watchdog, &wd);
	event_base_dispatch(t->base);
	event_free(watchdog);
	ok(!t->timed_out, "%s: finished before the watchdog", name);
	events_reader_free(t->r);
	t->r = NULL;
}

/* Steps of the follow test; each expects t->want ports afterwards. */
static void
follow_next(struct rtest *t)
{
	struct timeval tv = { 0, 100000 };
	char *s, *big;

	switch (t->step++) {
	case 0: /* complete the partial line, add one, and garbage */
		s = ev_line(4, 0);
		write_file(t->path, O_APPEND, "3}}\nnot json\n");
		write_file(t->path, O_APPEND, s);
		free(s);
		t->want = 3;
		break;
	case 1: /* truncate in place */
		s = ev_line(5, 0);
		write_file(t->path, O_TRUNC, s);
		free(s);
		t->want = 4;
		break;
	case 2: /* delete and recreate, with an old event */
		unlink(t->path);
		append_line(t->path, 7, 1);
		append_line(t->path, 6, 0);
		t->want = 5;
		break;
	case 3: /* renamed over */
		append_line(t->tmp, 8, 0);
		rename(t->tmp, t->path);
		t->want = 6;
		break;
	case 4: /* an overlong line is skipped whole */
		big = xmalloc(EVENTS_LINE_MAX + 100);
		memset(big, 'x', EVENTS_LINE_MAX + 98);
		memcpy(big + EVENTS_LINE_MAX + 98, "\n", 2);
		write_file(t->path, O_APPEND, big);
		free(big);
		append_line(t->path, 9, 0);
		t->want = 7;
		break;
	case 5: /* wait a little for anything unexpected */
		event_base_once(t->base, -1, EV_TIMEOUT, rtest_next_cb, t, &tv);
		break;
	default:
		event_base_loopexit(t->base, NULL);
		break;
	}
}

static void
later_next(struct rtest *t)
{
	switch (t->step++) {
	case 0:
		append_line(t->path, 1, 1);
		append_line(t->path, 2, 1);
		t->want = 2;
		break;
	default:
		event_base_loopexit(t->base, NULL);
		break;
	}
}

static void
test_reader(const char *dir)
{
	struct timespec since;
	struct rtest t;
	struct timeval tv = { 0, 0 };
	char *s, *cause = NULL;
	int i;

	/* Old events skipped, partial lines, truncation, re-creation. */
	memset(&t, 0, sizeof t);
	t.base = event_base_new();
	snprintf(t.path, sizeof t.path, "%s/ha.stdout.log", dir);
	snprintf(t.tmp, sizeof t.tmp, "%s/tmp.log", dir);
	append_line(t.path, 1, 1);
	append_line(t.path, 2, 0);
	s = ev_line(3, 0);
	s[strlen(s) - 4] = '\0'; /* ends in "sshLocalPort":  */
	write_file(t.path, O_APPEND, s);
	free(s);
	t.want = 1;
	t.next = follow_next;
	clock_gettime(CLOCK_REALTIME, &since);
	rtest_run(&t, "follow", 0, &since);
	is_int(t.n, 7, "follow: number of events delivered");
	{
		static const int want[] = { 2, 3, 4, 5, 6, 8, 9 };

		for (i = 0; i < 7 && (size_t)i < t.n; i++)
			is_int(t.ports[i], want[i], "follow: event %d", i);
	}
	unlink(t.path);
	event_base_free(t.base);

	/* The file appears later; no since: old events are delivered. */
	memset(&t, 0, sizeof t);
	t.base = event_base_new();
	snprintf(t.path, sizeof t.path, "%s/later.log", dir);
	t.next = later_next;
	event_base_once(t.base, -1, EV_TIMEOUT, rtest_next_cb, &t, &tv);
	rtest_run(&t, "later", 0, NULL);
	ok(t.n == 2 && t.ports[0] == 1 && t.ports[1] == 2,
	    "later: both events, from the start of the new file");
	unlink(t.path);
	event_base_free(t.base);

	/* A start offset; the reader freed from its own callback. */
	memset(&t, 0, sizeof t);
	t.base = event_base_new();
	snprintf(t.path, sizeof t.path, "%s/offset.log", dir);
	s = ev_line(1, 0);
	append_line(t.path, 1, 0);
	append_line(t.path, 2, 0);
	append_line(t.path, 3, 0);
	t.free_in_cb = 1;
	t.next = later_next;
	t.step = 1;
	rtest_run(&t, "offset", (off_t)strlen(s), NULL);
	free(s);
	ok(t.n == 1 && t.ports[0] == 2,
	    "offset: skips the first line; nothing after the free");
	unlink(t.path);
	event_base_free(t.base);

	/* Errors. */
	t.base = event_base_new();
	t.r = events_reader_new(t.base, "/nonexistent-dir/x.log", 0, NULL,
	    rtest_reader_cb, &t, &cause);
	ok(t.r == NULL && cause != NULL, "missing directory: %s",
	    cause != NULL ? cause : "(null)");
	free(cause);
	events_reader_free(NULL);
	event_base_free(t.base);
}

int
main(void)
{
	char dir[] = "/tmp/clima-test-events.XXXXXX";

	signal(SIGPIPE, SIG_IGN);
	test_encode_examples();
	test_encode_rules();
	test_decode();
	test_time();
	test_writer();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	test_reader(dir);
	rmdir(dir);
	libevent_global_shutdown();
	return done_testing();
}
