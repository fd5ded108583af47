/* clima: a tiny TAP producer for unit tests. */
/*
 * Output follows TAP 13 as automake's tap-driver.sh reads it; stdout is
 * flushed after every line so that a crash still shows progress.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                              \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__,  \
	    __VA_ARGS__)
#define is_str(got, want, ...)                                              \
	tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static void __attribute__((__format__(__printf__, 4, 5), __unused__))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
}

static void __attribute__((__format__(__printf__, 5, 6), __unused__))
tap_is_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	tap_ok(got == want, file, line, "%s", msg);
	if (got != want)
		printf("#   got %lld, want %lld\n", got, want);
	fflush(stdout);
}

static void __attribute__((__format__(__printf__, 5, 6), __unused__))
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	int pass;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	tap_ok(pass, file, line, "%s", msg);
	if (!pass)
		printf("#   got  \"%s\"\n#   want \"%s\"\n",
		    got ? got : "(null)", want ? want : "(null)");
	fflush(stdout);
}

static void __attribute__((__unused__))
skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(0);
}

static int __attribute__((__unused__))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed != 0;
}

#endif
