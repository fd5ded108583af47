/* clima: reading every pending event of an inotify descriptor. */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "common/inotify.h"

#define INOTIFY_BUF 4096 /* bytes per read: many events, at least one */

void
inotify_drain(int fd, inotify_event_cb cb, void *arg)
{
	char buf[INOTIFY_BUF]
	    __attribute__((__aligned__(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off;

	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (off = 0; off + sizeof *ev <= (size_t)n;
		     off += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			cb(ev, arg);
		}
	}
}
