/* clima: reading every pending event of an inotify descriptor. */
#ifndef COMMON_INOTIFY_H
#define COMMON_INOTIFY_H

#include <sys/inotify.h>

typedef void (*inotify_event_cb)(const struct inotify_event *, void *);

/*
 * Reads the non-blocking inotify fd until it has nothing more (EINTR is
 * retried) and calls cb for each event, IN_Q_OVERFLOW included.
 */
void inotify_drain(int fd, inotify_event_cb cb, void *arg);

#endif
