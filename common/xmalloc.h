/* clima: allocators that abort on failure. */
/*
 * Every x* function either succeeds or prints a message and aborts the
 * process, so callers never check for NULL.
 */
#ifndef COMMON_XMALLOC_H
#define COMMON_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Returns the number of bytes written; *ret is the caller's. */
int xasprintf(char **, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));
int xvasprintf(char **, const char *, va_list)
    __attribute__((__format__(__printf__, 2, 0)));
/* Like xasprintf but returns the string (the caller's). */
char *xstrprintf(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));

#endif
