/* clima: allocators that abort on failure. */
/*
 * Out of memory is not a runtime failure we can recover from; these
 * wrappers turn it into an immediate abort with a message on stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

static void __attribute__((__noreturn__))
xmalloc_die(const char *what, size_t n)
{
	fprintf(stderr, "clima: %s: out of memory allocating %zu bytes\n",
	    what, n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	if ((p = malloc(n)) == NULL)
		xmalloc_die(__func__, n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		xmalloc_die(__func__, nmemb * size);
	return p;
}

void *
xrealloc(void *ptr, size_t n)
{
	return xreallocarray(ptr, 1, n);
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (SIZE_MAX / nmemb < size)
		xmalloc_die(__func__, SIZE_MAX);
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		xmalloc_die(__func__, nmemb * size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int n;

	n = vasprintf(ret, fmt, ap);
	if (n < 0 || *ret == NULL)
		xmalloc_die(__func__, 0);
	return n;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}

char *
xstrprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	return s;
}
