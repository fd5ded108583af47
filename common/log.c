/* clima: logging in logrus's shapes (text, TTY, JSON). */
/*
 * Three output forms, as logrus prints them: the TTY form
 * "INFO[0003] msg  key=value" with colours, the text form
 * 'time="..." level=info msg="..." key=value' and one JSON object a line.
 * Each record is built in full and written with a single write(2).
 */
#include "config.h"

#include <sys/time.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"

static int log_fd = 2;
static enum log_level log_level = LOG_LEVEL_INFO;
static enum log_format log_format = LOG_FORMAT_AUTO;
static struct timespec log_start;

static const char *log_level_names[] = {
	"panic", "fatal", "error", "warning", "info", "debug", "trace"
};

void
log_init(int fd)
{
	log_fd = fd;
	clock_gettime(CLOCK_MONOTONIC, &log_start);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_format(enum log_format format)
{
	log_format = format;
}

int
log_parse_level(const char *s, enum log_level *level)
{
	size_t i;

	if (strcmp(s, "warn") == 0) {
		*level = LOG_LEVEL_WARN;
		return 0;
	}
	for (i = 0; i < sizeof log_level_names / sizeof log_level_names[0];
	     i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_needs_quote(const char *s)
{
	const char *p;

	/* logrus prints an empty value bare: key= */
	for (p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._/@^+", *p) != NULL)
			continue;
		return 1;
	}
	return 0;
}

/* Appends to a growing buffer. */
struct log_buf {
	char *p;
	size_t len, size;
};

static void
log_buf_add(struct log_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
log_buf_str(struct log_buf *b, const char *s)
{
	log_buf_add(b, s, strlen(s));
}

/* Go strconv.Quote (ASCII-safe subset: bytes >= 0x80 pass through). */
static void
log_buf_quote(struct log_buf *b, const char *s, int json)
{
	char tmp[8];
	const unsigned char *p;

	log_buf_add(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			log_buf_add(b, "\\\"", 2);
			break;
		case '\\':
			log_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			log_buf_add(b, "\\n", 2);
			break;
		case '\t':
			log_buf_add(b, "\\t", 2);
			break;
		case '\r':
			log_buf_add(b, "\\r", 2);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				if (json)
					snprintf(tmp, sizeof tmp, "\\u%04x", *p);
				else
					snprintf(tmp, sizeof tmp, "\\x%02x", *p);
				log_buf_str(b, tmp);
			} else
				log_buf_add(b, (const char *)p, 1);
		}
	}
	log_buf_add(b, "\"", 1);
}

char *
log_quote(const char *s)
{
	struct log_buf b = { NULL, 0, 0 };

	log_buf_quote(&b, s, 0);
	return b.p;
}

void
log_time_rfc3339(char *buf, int nanos)
{
	struct timespec ts;
	struct tm tm;
	char frac[16] = "", zone[32];
	long off;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	if (nanos && ts.tv_nsec != 0) {
		snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
		n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(zone, sizeof zone, "Z");
	else
		snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+',
		    labs(off) / 3600, (labs(off) % 3600) / 60);
	n = strftime(buf, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 64 - n, "%s%s", frac, zone);
}

static int
log_is_tty(void)
{
	switch (log_format) {
	case LOG_FORMAT_TTY:
		return 1;
	case LOG_FORMAT_AUTO:
		return isatty(log_fd);
	default:
		return 0;
	}
}

static void
log_format_json(struct log_buf *b, enum log_level level,
    const char *const *fields, const char *msg)
{
	const char *keys[64], *vals[64], *t;
	char now[64];
	size_t n = 0, i, j;

	/* logrus marshals a map: keys come out sorted. */
	log_time_rfc3339(now, 1);
	keys[n] = "level";
	vals[n++] = log_level_names[level];
	keys[n] = "msg";
	vals[n++] = msg;
	keys[n] = "time";
	vals[n++] = now;
	for (i = 0; fields != NULL && fields[i] != NULL &&
	     fields[i + 1] != NULL && n < 64; i += 2) {
		keys[n] = fields[i];
		vals[n++] = fields[i + 1];
	}
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
			t = vals[j];
			vals[j] = vals[j - 1];
			vals[j - 1] = t;
		}
	}
	log_buf_add(b, "{", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			log_buf_add(b, ",", 1);
		log_buf_quote(b, keys[i], 1);
		log_buf_add(b, ":", 1);
		log_buf_quote(b, vals[i], 1);
	}
	log_buf_add(b, "}\n", 2);
}

static void
log_format_text(struct log_buf *b, enum log_level level,
    const char *const *fields, const char *msg)
{
	char now[64];
	size_t i;

	log_time_rfc3339(now, 0);
	log_buf_str(b, "time=");
	log_buf_quote(b, now, 0);
	log_buf_str(b, " level=");
	log_buf_str(b, log_level_names[level]);
	log_buf_str(b, " msg=");
	if (log_needs_quote(msg))
		log_buf_quote(b, msg, 0);
	else
		log_buf_str(b, msg);
	for (i = 0; fields != NULL && fields[i] != NULL &&
	     fields[i + 1] != NULL; i += 2) {
		log_buf_add(b, " ", 1);
		log_buf_str(b, fields[i]);
		log_buf_add(b, "=", 1);
		if (log_needs_quote(fields[i + 1]))
			log_buf_quote(b, fields[i + 1], 0);
		else
			log_buf_str(b, fields[i + 1]);
	}
	log_buf_add(b, "\n", 1);
}

static void
log_format_tty(struct log_buf *b, enum log_level level,
    const char *const *fields, const char *msg)
{
	struct timespec now;
	char head[64], upper[8];
	const char *colour;
	size_t i, len;
	long secs;

	switch (level) {
	case LOG_LEVEL_DEBUG:
	case LOG_LEVEL_TRACE:
		colour = "37";
		break;
	case LOG_LEVEL_WARN:
		colour = "33";
		break;
	case LOG_LEVEL_INFO:
		colour = "36";
		break;
	default:
		colour = "31";
		break;
	}
	for (i = 0; i < 4; i++)
		upper[i] = (char)(log_level_names[level][i] - 'a' + 'A');
	upper[4] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (long)(now.tv_sec - log_start.tv_sec);
	snprintf(head, sizeof head, "\033[%sm%s\033[0m[%04ld] ", colour, upper,
	    secs);
	log_buf_str(b, head);
	log_buf_str(b, msg);
	if (fields != NULL && fields[0] != NULL) {
		/* logrus pads the message to 44 columns before fields. */
		for (len = strlen(msg); len < 44; len++)
			log_buf_add(b, " ", 1);
		for (i = 0; fields[i] != NULL && fields[i + 1] != NULL;
		     i += 2) {
			snprintf(head, sizeof head, " \033[%sm", colour);
			log_buf_str(b, head);
			log_buf_str(b, fields[i]);
			log_buf_str(b, "\033[0m=");
			if (log_needs_quote(fields[i + 1]))
				log_buf_quote(b, fields[i + 1], 0);
			else
				log_buf_str(b, fields[i + 1]);
		}
	}
	log_buf_add(b, "\n", 1);
}

void
log_emit(enum log_level level, const char *const *fields, const char *msg)
{
	struct log_buf b = { NULL, 0, 0 };
	size_t off;
	ssize_t n;

	if (level > log_level)
		return;
	if (log_format == LOG_FORMAT_JSON)
		log_format_json(&b, level, fields, msg);
	else if (log_is_tty())
		log_format_tty(&b, level, fields, msg);
	else
		log_format_text(&b, level, fields, msg);
	for (off = 0; off < b.len; off += (size_t)n) {
		n = write(log_fd, b.p + off, b.len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	free(b.p);
}

void
log_vwrite(enum log_level level, const char *const *fields, const char *fmt,
    va_list ap)
{
	char *msg;

	if (level > log_level)
		return;
	xvasprintf(&msg, fmt, ap);
	log_emit(level, fields, msg);
	free(msg);
}

#define LOG_VARIADIC(name, level, fields)                                   \
	void name(const char *fmt, ...)                                     \
	{                                                                   \
		va_list ap;                                                 \
		va_start(ap, fmt);                                          \
		log_vwrite(level, fields, fmt, ap);                         \
		va_end(ap);                                                 \
	}

LOG_VARIADIC(log_debug, LOG_LEVEL_DEBUG, NULL)
LOG_VARIADIC(log_info, LOG_LEVEL_INFO, NULL)
LOG_VARIADIC(log_warnx, LOG_LEVEL_WARN, NULL)
LOG_VARIADIC(log_error, LOG_LEVEL_ERROR, NULL)

void
log_infof(const char *const *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, fields, fmt, ap);
	va_end(ap);
}

void
log_warnf(const char *const *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, fields, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int saved = errno;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", msg, strerror(saved));
	free(msg);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_FATAL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int saved = errno;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	fatalx("%s: %s", msg, strerror(saved));
}
