/* clima: follow a growing log file on the CLI's event loop. */
/*
 * inotify tells when the file changed; complete lines are handed to a
 * callback, a partial last line waits for the rest.  Used for
 * ha.stderr.log while `limactl start` waits (events use events/).
 */
#include "config.h"

#include <sys/inotify.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli/cli-int.h"
#include "common/xmalloc.h"

#define CLI_TAIL_LINE_MAX (64 * 1024)

struct cli_tail {
	char *path;
	int fd;	 /* the file, or -1 until it exists */
	int ifd; /* inotify */
	struct event *ev;
	char *buf;
	size_t len;
	cli_tail_cb cb;
	void *arg;
};

static void
cli_tail_drain(struct cli_tail *t)
{
	char chunk[8192], *nl, *start;
	ssize_t n;

	if (t->fd == -1) {
		t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (t->fd == -1)
			return;
	}
	for (;;) {
		n = read(t->fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		t->buf = xrealloc(t->buf, t->len + (size_t)n + 1);
		memcpy(t->buf + t->len, chunk, (size_t)n);
		t->len += (size_t)n;
		t->buf[t->len] = '\0';
		start = t->buf;
		while ((nl = memchr(start, '\n',
		    t->len - (size_t)(start - t->buf))) != NULL) {
			*nl = '\0';
			t->cb(start, t->arg);
			start = nl + 1;
		}
		t->len -= (size_t)(start - t->buf);
		memmove(t->buf, start, t->len);
		if (t->len > CLI_TAIL_LINE_MAX)
			t->len = 0; /* a runaway line: drop it */
	}
}

static void
cli_tail_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cli_tail *t = arg;
	char events[4096];

	while (read(fd, events, sizeof events) > 0)
		;
	cli_tail_drain(t);
}

struct cli_tail *
cli_tail_new(struct event_base *base, const char *path, cli_tail_cb cb,
    void *arg)
{
	struct cli_tail *t;
	char *dir, *slash;

	t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	t->fd = -1;
	t->cb = cb;
	t->arg = arg;
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd != -1) {
		/* The directory too, for a file that appears later. */
		dir = xstrdup(path);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		inotify_add_watch(t->ifd, dir, IN_CREATE | IN_MODIFY);
		free(dir);
		t->ev = event_new(base, t->ifd, EV_READ | EV_PERSIST,
		    cli_tail_inotify_cb, t);
		event_add(t->ev, NULL);
	}
	cli_tail_drain(t);
	return t;
}

/* Reads what is left (call before freeing to see the last lines). */
void
cli_tail_flush(struct cli_tail *t)
{
	cli_tail_drain(t);
}

void
cli_tail_free(struct cli_tail *t)
{
	if (t == NULL)
		return;
	if (t->ev != NULL)
		event_free(t->ev);
	if (t->ifd != -1)
		close(t->ifd);
	if (t->fd != -1)
		close(t->fd);
	free(t->buf);
	free(t->path);
	free(t);
}
