/* clima: events.Event to one JSON line and back. */
/*
 * Encoding follows Go's encoding/json on Lima's structs: members in
 * declaration order, every status member omitempty, invalid UTF-8 turned
 * into U+FFFD.  Decoding parses one line with yajl_tree into the struct
 * and drops the tree before returning.  Also the RFC 3339 time parser.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "events/events.h"

/* What Go prints for a zero time.Time. */
#define EVENTS_ZERO_TIME "0001-01-01T00:00:00Z"

static void
events_cloud_init_free(struct events_cloud_init *c)
{
	if (c == NULL)
		return;
	free(c->log_line);
	free(c);
}

static void
events_port_forward_free(struct events_port_forward *pf)
{
	if (pf == NULL)
		return;
	free(pf->type);
	free(pf->protocol);
	free(pf->guest_addr);
	free(pf->host_addr);
	free(pf->error);
	free(pf);
}

static void
events_vsock_free(struct events_vsock *v)
{
	if (v == NULL)
		return;
	free(v->type);
	free(v->host_addr);
	free(v->reason);
	free(v);
}

/* Frees the members of a status and zeroes it. */
void
events_status_clear(struct events_status *st)
{
	size_t i;

	for (i = 0; i < st->nerrors; i++)
		free(st->errors[i]);
	free(st->errors);
	events_cloud_init_free(st->cloud_init_progress);
	events_port_forward_free(st->port_forward);
	events_vsock_free(st->vsock);
	memset(st, 0, sizeof *st);
}

/* Frees the members of an event and zeroes it. */
void
events_event_clear(struct events_event *ev)
{
	events_status_clear(&ev->status);
	memset(ev, 0, sizeof *ev);
}

static char *
events_strdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* Deep copy of src into an empty dst. */
void
events_status_copy(struct events_status *dst, const struct events_status *src)
{
	const struct events_cloud_init *c = src->cloud_init_progress;
	const struct events_port_forward *pf = src->port_forward;
	const struct events_vsock *v = src->vsock;
	size_t i;

	memset(dst, 0, sizeof *dst);
	dst->running = src->running;
	dst->degraded = src->degraded;
	dst->exiting = src->exiting;
	dst->ssh_local_port = src->ssh_local_port;
	if (src->nerrors != 0) {
		dst->errors =
		    xreallocarray(NULL, src->nerrors, sizeof *dst->errors);
		for (i = 0; i < src->nerrors; i++)
			dst->errors[i] = xstrdup(src->errors[i]);
		dst->nerrors = src->nerrors;
	}
	if (c != NULL) {
		dst->cloud_init_progress = xcalloc(1, sizeof *c);
		dst->cloud_init_progress->log_line = events_strdup(c->log_line);
		dst->cloud_init_progress->completed = c->completed;
		dst->cloud_init_progress->active = c->active;
	}
	if (pf != NULL) {
		dst->port_forward = xcalloc(1, sizeof *pf);
		dst->port_forward->type = events_strdup(pf->type);
		dst->port_forward->protocol = events_strdup(pf->protocol);
		dst->port_forward->guest_addr = events_strdup(pf->guest_addr);
		dst->port_forward->host_addr = events_strdup(pf->host_addr);
		dst->port_forward->error = events_strdup(pf->error);
	}
	if (v != NULL) {
		dst->vsock = xcalloc(1, sizeof *v);
		dst->vsock->type = events_strdup(v->type);
		dst->vsock->host_addr = events_strdup(v->host_addr);
		dst->vsock->vsock_port = v->vsock_port;
		dst->vsock->reason = events_strdup(v->reason);
	}
}

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0.  Like
 * Go's utf8.DecodeRune: no overlong forms, no surrogates, <= U+10FFFF.
 */
static size_t
events_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

/* A copy of s with each invalid byte replaced by U+FFFD, or NULL if valid. */
static char *
events_utf8_fix(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, l, o = 0;
	char *out;

	for (i = 0; i < n; i += l) {
		if ((l = events_utf8_len(p + i, n - i)) == 0)
			break;
	}
	if (i == n)
		return NULL;
	out = xreallocarray(NULL, n + 1, 3);
	for (i = 0; i < n; i += l) {
		if ((l = events_utf8_len(p + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			l = 1;
		} else {
			memcpy(out + o, s + i, l);
			o += l;
		}
	}
	out[o] = '\0';
	return out;
}

/* Generator failures cannot come from the data, so they are bugs. */
static void
events_gen_ok(yajl_gen_status s, const char *what)
{
	if (s != yajl_gen_status_ok)
		fatalx("%s: yajl_gen %s failed (%d)", __func__, what, (int)s);
}

static void
events_gen_key(yajl_gen g, const char *k)
{
	events_gen_ok(
	    yajl_gen_string(g, (const unsigned char *)k, strlen(k)), k);
}

static void
events_gen_str(yajl_gen g, const char *s)
{
	char *fixed;

	fixed = events_utf8_fix(s);
	if (fixed != NULL)
		s = fixed;
	events_gen_ok(
	    yajl_gen_string(g, (const unsigned char *)s, strlen(s)), "string");
	free(fixed);
}

/* "key":"s", left out when s is NULL or empty (omitempty). */
static void
events_gen_opt_str(yajl_gen g, const char *k, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	events_gen_key(g, k);
	events_gen_str(g, s);
}

static void
events_gen_opt_bool(yajl_gen g, const char *k, int b)
{
	if (!b)
		return;
	events_gen_key(g, k);
	events_gen_ok(yajl_gen_bool(g, 1), k);
}

static void
events_gen_opt_int(yajl_gen g, const char *k, int n)
{
	if (n == 0)
		return;
	events_gen_key(g, k);
	events_gen_ok(yajl_gen_integer(g, n), k);
}

static void
events_gen_status(yajl_gen g, const struct events_status *st)
{
	const struct events_cloud_init *c = st->cloud_init_progress;
	const struct events_port_forward *pf = st->port_forward;
	const struct events_vsock *v = st->vsock;
	size_t i;

	events_gen_ok(yajl_gen_map_open(g), "status");
	events_gen_opt_bool(g, "running", st->running);
	events_gen_opt_bool(g, "degraded", st->degraded);
	events_gen_opt_bool(g, "exiting", st->exiting);
	if (st->nerrors != 0) {
		events_gen_key(g, "errors");
		events_gen_ok(yajl_gen_array_open(g), "errors");
		for (i = 0; i < st->nerrors; i++)
			events_gen_str(g, st->errors[i]);
		events_gen_ok(yajl_gen_array_close(g), "errors");
	}
	events_gen_opt_int(g, "sshLocalPort", st->ssh_local_port);
	if (c != NULL) {
		events_gen_key(g, "cloudInitProgress");
		events_gen_ok(yajl_gen_map_open(g), "cloudInitProgress");
		events_gen_opt_str(g, "logLine", c->log_line);
		events_gen_opt_bool(g, "completed", c->completed);
		events_gen_opt_bool(g, "active", c->active);
		events_gen_ok(yajl_gen_map_close(g), "cloudInitProgress");
	}
	if (pf != NULL) {
		events_gen_key(g, "portForward");
		events_gen_ok(yajl_gen_map_open(g), "portForward");
		events_gen_opt_str(g, "type", pf->type);
		events_gen_opt_str(g, "protocol", pf->protocol);
		events_gen_opt_str(g, "guestAddr", pf->guest_addr);
		events_gen_opt_str(g, "hostAddr", pf->host_addr);
		events_gen_opt_str(g, "error", pf->error);
		events_gen_ok(yajl_gen_map_close(g), "portForward");
	}
	if (v != NULL) {
		events_gen_key(g, "vsock");
		events_gen_ok(yajl_gen_map_open(g), "vsock");
		events_gen_opt_str(g, "type", v->type);
		events_gen_opt_str(g, "hostAddr", v->host_addr);
		events_gen_opt_int(g, "vsockPort", v->vsock_port);
		events_gen_opt_str(g, "reason", v->reason);
		events_gen_ok(yajl_gen_map_close(g), "vsock");
	}
	events_gen_ok(yajl_gen_map_close(g), "status");
}

/* One compact JSON line (no newline); the caller frees it. */
char *
events_encode(const struct events_event *ev)
{
	const unsigned char *buf;
	size_t len;
	yajl_gen g;
	char *out;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		fatalx("%s: yajl_gen_alloc failed", __func__);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	events_gen_ok(yajl_gen_map_open(g), "event");
	events_gen_key(g, "time");
	events_gen_str(g, ev->time[0] != '\0' ? ev->time : EVENTS_ZERO_TIME);
	events_gen_key(g, "status");
	events_gen_status(g, &ev->status);
	events_gen_ok(yajl_gen_map_close(g), "event");
	events_gen_ok(yajl_gen_get_buf(g, &buf, &len), "get_buf");
	out = xstrndup((const char *)buf, len);
	yajl_gen_free(g);
	return out;
}

static int
events_dec_bool(yajl_val v, const char *name, int *out, char **cause)
{
	if (YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
		xasprintf(cause, "%s: not a boolean", name);
		return -1;
	}
	*out = YAJL_IS_TRUE(v);
	return 0;
}

static int
events_dec_int(yajl_val v, const char *name, int *out, char **cause)
{
	long long n;

	if (YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_INTEGER(v)) {
		xasprintf(cause, "%s: not an integer", name);
		return -1;
	}
	n = YAJL_GET_INTEGER(v);
	if (n < INT_MIN || n > INT_MAX) {
		xasprintf(cause, "%s: out of range", name);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
events_dec_str(yajl_val v, const char *name, char **out, char **cause)
{
	if (YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v)) {
		xasprintf(cause, "%s: not a string", name);
		return -1;
	}
	free(*out);
	*out = xstrdup(YAJL_GET_STRING(v));
	return 0;
}

static int
events_dec_object(yajl_val v, const char *name, char **cause)
{
	if (!YAJL_IS_OBJECT(v)) {
		xasprintf(cause, "%s: not an object", name);
		return -1;
	}
	return 0;
}

static int
events_dec_cloud_init(yajl_val v, struct events_status *st, char **cause)
{
	struct events_cloud_init *c;
	yajl_val m;
	const char *k;
	size_t i;
	int rc = 0;

	if (YAJL_IS_NULL(v))
		return 0;
	if (events_dec_object(v, "cloudInitProgress", cause) != 0)
		return -1;
	if ((c = st->cloud_init_progress) == NULL)
		c = st->cloud_init_progress = xcalloc(1, sizeof *c);
	for (i = 0; rc == 0 && i < v->u.object.len; i++) {
		k = v->u.object.keys[i];
		m = v->u.object.values[i];
		if (strcmp(k, "logLine") == 0)
			rc = events_dec_str(m, k, &c->log_line, cause);
		else if (strcmp(k, "completed") == 0)
			rc = events_dec_bool(m, k, &c->completed, cause);
		else if (strcmp(k, "active") == 0)
			rc = events_dec_bool(m, k, &c->active, cause);
	}
	return rc;
}

static int
events_dec_port_forward(yajl_val v, struct events_status *st, char **cause)
{
	struct events_port_forward *pf;
	yajl_val m;
	const char *k;
	size_t i;
	int rc = 0;

	if (YAJL_IS_NULL(v))
		return 0;
	if (events_dec_object(v, "portForward", cause) != 0)
		return -1;
	if ((pf = st->port_forward) == NULL)
		pf = st->port_forward = xcalloc(1, sizeof *pf);
	for (i = 0; rc == 0 && i < v->u.object.len; i++) {
		k = v->u.object.keys[i];
		m = v->u.object.values[i];
		if (strcmp(k, "type") == 0)
			rc = events_dec_str(m, k, &pf->type, cause);
		else if (strcmp(k, "protocol") == 0)
			rc = events_dec_str(m, k, &pf->protocol, cause);
		else if (strcmp(k, "guestAddr") == 0)
			rc = events_dec_str(m, k, &pf->guest_addr, cause);
		else if (strcmp(k, "hostAddr") == 0)
			rc = events_dec_str(m, k, &pf->host_addr, cause);
		else if (strcmp(k, "error") == 0)
			rc = events_dec_str(m, k, &pf->error, cause);
	}
	return rc;
}

static int
events_dec_vsock(yajl_val v, struct events_status *st, char **cause)
{
	struct events_vsock *vs;
	yajl_val m;
	const char *k;
	size_t i;
	int rc = 0;

	if (YAJL_IS_NULL(v))
		return 0;
	if (events_dec_object(v, "vsock", cause) != 0)
		return -1;
	if ((vs = st->vsock) == NULL)
		vs = st->vsock = xcalloc(1, sizeof *vs);
	for (i = 0; rc == 0 && i < v->u.object.len; i++) {
		k = v->u.object.keys[i];
		m = v->u.object.values[i];
		if (strcmp(k, "type") == 0)
			rc = events_dec_str(m, k, &vs->type, cause);
		else if (strcmp(k, "hostAddr") == 0)
			rc = events_dec_str(m, k, &vs->host_addr, cause);
		else if (strcmp(k, "vsockPort") == 0)
			rc = events_dec_int(m, k, &vs->vsock_port, cause);
		else if (strcmp(k, "reason") == 0)
			rc = events_dec_str(m, k, &vs->reason, cause);
	}
	return rc;
}

static int
events_dec_errors(yajl_val v, struct events_status *st, char **cause)
{
	yajl_val item;
	size_t i;

	if (YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v)) {
		xasprintf(cause, "errors: not an array");
		return -1;
	}
	for (i = 0; i < st->nerrors; i++)
		free(st->errors[i]);
	free(st->errors);
	st->errors = NULL;
	st->nerrors = 0;
	if (v->u.array.len == 0)
		return 0;
	st->errors = xcalloc(v->u.array.len, sizeof *st->errors);
	for (i = 0; i < v->u.array.len; i++) {
		item = v->u.array.values[i];
		if (!YAJL_IS_STRING(item)) {
			xasprintf(cause, "errors[%zu]: not a string", i);
			return -1;
		}
		st->errors[st->nerrors++] = xstrdup(YAJL_GET_STRING(item));
	}
	return 0;
}

static int
events_dec_status(yajl_val v, struct events_status *st, char **cause)
{
	yajl_val m;
	const char *k;
	size_t i;
	int rc = 0;

	if (YAJL_IS_NULL(v))
		return 0;
	if (events_dec_object(v, "status", cause) != 0)
		return -1;
	for (i = 0; rc == 0 && i < v->u.object.len; i++) {
		k = v->u.object.keys[i];
		m = v->u.object.values[i];
		if (strcmp(k, "running") == 0)
			rc = events_dec_bool(m, k, &st->running, cause);
		else if (strcmp(k, "degraded") == 0)
			rc = events_dec_bool(m, k, &st->degraded, cause);
		else if (strcmp(k, "exiting") == 0)
			rc = events_dec_bool(m, k, &st->exiting, cause);
		else if (strcmp(k, "errors") == 0)
			rc = events_dec_errors(m, st, cause);
		else if (strcmp(k, "sshLocalPort") == 0)
			rc = events_dec_int(m, k, &st->ssh_local_port, cause);
		else if (strcmp(k, "cloudInitProgress") == 0)
			rc = events_dec_cloud_init(m, st, cause);
		else if (strcmp(k, "portForward") == 0)
			rc = events_dec_port_forward(m, st, cause);
		else if (strcmp(k, "vsock") == 0)
			rc = events_dec_vsock(m, st, cause);
	}
	return rc;
}

static int
events_dec_time(yajl_val v, struct events_event *ev, char **cause)
{
	struct timespec ts;
	const char *s;

	if (YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v)) {
		xasprintf(cause, "time: not a string");
		return -1;
	}
	s = YAJL_GET_STRING(v);
	if (strlen(s) >= sizeof ev->time || events_time_parse(s, &ts) != 0) {
		xasprintf(cause, "time: not an RFC 3339 time");
		return -1;
	}
	memcpy(ev->time, s, strlen(s) + 1);
	return 0;
}

/* Parses one JSON line into ev; 0, or -1 with *cause. */
int
events_decode(
    const char *line, size_t len, struct events_event *ev, char **cause)
{
	struct events_event tmp;
	yajl_val tree = NULL, m;
	char *copy = NULL, errbuf[256];
	const char *k;
	size_t i;
	int rc = -1;

	memset(&tmp, 0, sizeof tmp);
	if (len > EVENTS_LINE_MAX) {
		xasprintf(cause, "event line too long (%zu bytes)", len);
		goto out;
	}
	copy = xstrndup(line, len);
	if (strlen(copy) != len) {
		xasprintf(cause, "event line contains a NUL byte");
		goto out;
	}
	errbuf[0] = '\0';
	tree = yajl_tree_parse(copy, errbuf, sizeof errbuf);
	if (tree == NULL) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		xasprintf(cause, "invalid JSON: %s",
		    errbuf[0] != '\0' ? errbuf : "parse error");
		goto out;
	}
	if (!YAJL_IS_OBJECT(tree)) {
		xasprintf(cause, "event is not a JSON object");
		goto out;
	}
	for (i = 0; i < tree->u.object.len; i++) {
		k = tree->u.object.keys[i];
		m = tree->u.object.values[i];
		if (strcmp(k, "time") == 0 &&
		    events_dec_time(m, &tmp, cause) != 0)
			goto out;
		if (strcmp(k, "status") == 0 &&
		    events_dec_status(m, &tmp.status, cause) != 0)
			goto out;
	}
	events_event_clear(ev);
	*ev = tmp;
	memset(&tmp, 0, sizeof tmp);
	rc = 0;
out:
	events_event_clear(&tmp);
	if (tree != NULL)
		yajl_tree_free(tree);
	free(copy);
	return rc;
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int
events_time_digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int
events_time_expect(const char **p, const char *set)
{
	if (**p == '\0' || strchr(set, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

/* RFC 3339 with optional fraction and a Z or +hh:mm offset; 0 or -1. */
int
events_time_parse(const char *s, struct timespec *ts)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	const char *p = s;
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, digit, ndig = 0;
	long nsec = 0;
	time_t t;

	if (events_time_digits(&p, 4, &y) != 0 ||
	    events_time_expect(&p, "-") != 0 ||
	    events_time_digits(&p, 2, &mo) != 0 ||
	    events_time_expect(&p, "-") != 0 ||
	    events_time_digits(&p, 2, &d) != 0 ||
	    events_time_expect(&p, "Tt") != 0 ||
	    events_time_digits(&p, 2, &h) != 0 ||
	    events_time_expect(&p, ":") != 0 ||
	    events_time_digits(&p, 2, &mi) != 0 ||
	    events_time_expect(&p, ":") != 0 ||
	    events_time_digits(&p, 2, &sec) != 0)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			digit = *p++ - '0';
			if (ndig++ < 9)
				nsec = nsec * 10 + digit;
		}
		if (ndig == 0)
			return -1;
		for (; ndig < 9; ndig++)
			nsec *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else {
		if (*p == '+')
			sign = 1;
		else if (*p == '-')
			sign = -1;
		else
			return -1;
		p++;
		if (events_time_digits(&p, 2, &oh) != 0 ||
		    events_time_expect(&p, ":") != 0 ||
		    events_time_digits(&p, 2, &om) != 0)
			return -1;
	}
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 59 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != d) /* 29 February of a common year */
		return -1;
	ts->tv_sec = t - (time_t)sign * (oh * 3600 + om * 60);
	ts->tv_nsec = nsec;
	return 0;
}
