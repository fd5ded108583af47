/* clima: BSD helpers that glibc lacks. */
/*
 * glibc's <sys/queue.h> has no *_FOREACH_SAFE macros and Debian 12's
 * glibc (2.36) has no strlcpy/strlcat; this header fills the gaps.
 */
#ifndef COMPAT_COMPAT_H
#define COMPAT_COMPAT_H

#include <sys/queue.h>
#include <stddef.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                          \
	for ((var) = TAILQ_FIRST(head);                                     \
	     (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);         \
	     (var) = (tvar))
#endif
#ifndef LIST_FOREACH_SAFE
#define LIST_FOREACH_SAFE(var, head, field, tvar)                           \
	for ((var) = LIST_FIRST(head);                                      \
	     (var) != NULL && ((tvar) = LIST_NEXT(var, field), 1);          \
	     (var) = (tvar))
#endif
#ifndef TAILQ_FIRST
#define TAILQ_FIRST(head) ((head)->tqh_first)
#endif
#ifndef TAILQ_NEXT
#define TAILQ_NEXT(elm, field) ((elm)->field.tqe_next)
#endif

#ifndef HAVE_STRLCPY
size_t strlcpy(char *, const char *, size_t);
#endif
#ifndef HAVE_STRLCAT
size_t strlcat(char *, const char *, size_t);
#endif

#endif
