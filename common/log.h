/* clima: logging in logrus's shapes (text, TTY, JSON). */
/*
 * The CLI writes human-readable lines to stderr; the hostagent writes
 * JSON lines.  log_fatal* print one level=fatal line and exit(1).
 * Fields are "key", "value" pairs ended by NULL, printed after the
 * message as logrus does.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_PANIC,
	LOG_LEVEL_FATAL,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE
};

enum log_format {
	LOG_FORMAT_AUTO, /* TTY form when stderr is a terminal, else text */
	LOG_FORMAT_TEXT,
	LOG_FORMAT_TTY,
	LOG_FORMAT_JSON
};

/* Call once from main(); fd is where lines go (normally 2). */
void log_init(int fd);
void log_set_level(enum log_level);
enum log_level log_get_level(void);
void log_set_format(enum log_format);
/* Parses "info", "warn", ...; 0 on success. */
int log_parse_level(const char *, enum log_level *);

/* Writes one record; fields are NULL-terminated key, value pairs. */
void log_emit(enum log_level, const char *const *fields, const char *msg);
void log_vwrite(enum log_level, const char *const *fields, const char *,
    va_list) __attribute__((__format__(__printf__, 3, 0)));

#define CLIMA_PRINTF(a, b) __attribute__((__format__(__printf__, a, b)))
void log_debug(const char *, ...) CLIMA_PRINTF(1, 2);
void log_info(const char *, ...) CLIMA_PRINTF(1, 2);
void log_warnx(const char *, ...) CLIMA_PRINTF(1, 2);
/* Appends ": strerror(errno)". */
void log_warn(const char *, ...) CLIMA_PRINTF(1, 2);
void log_error(const char *, ...) CLIMA_PRINTF(1, 2);
/* With fields: log_infof(fields, fmt, ...). */
void log_infof(const char *const *, const char *, ...) CLIMA_PRINTF(2, 3);
void log_warnf(const char *const *, const char *, ...) CLIMA_PRINTF(2, 3);
/* Prints a fatal record and exits 1. */
void fatalx(const char *, ...) CLIMA_PRINTF(1, 2)
    __attribute__((__noreturn__));
void fatal(const char *, ...) CLIMA_PRINTF(1, 2)
    __attribute__((__noreturn__));

/* Go's %q quoting: appends the quoted form of s to a fresh string. */
char *log_quote(const char *);
/* 1 if logrus would print s unquoted ([A-Za-z0-9-._/@^+]+). */
int log_needs_quote(const char *);
/* Current time in RFC 3339 with the local offset; buf >= 64 bytes. */
void log_time_rfc3339(char *, int nanos);

#endif
