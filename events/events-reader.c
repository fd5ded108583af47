/* clima: follow ha.stdout.log on the CLI's event loop. */
/*
 * inotify watches the directory (the file may appear later or be deleted
 * and recreated, as `limactl start` does) and the file itself (appends,
 * in-place truncation).  Each wake-up reads what is new with pread, keeps
 * a partial last line for later and hands complete lines to the callback.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/inotify.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "events/events.h"

/* Bytes read per pread(2). */
#define EVENTS_READER_CHUNK 16384
/* Bytes read per turn of the loop before yielding to other events. */
#define EVENTS_READER_TURN_MAX 262144

#define EVENTS_READER_FILE_MASK (IN_MODIFY | IN_CLOSE_WRITE)
#define EVENTS_READER_DIR_MASK  (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

struct events_reader {
	char *path;
	char *name; /* basename of path, matched against dir events */
	int ifd;    /* inotify */
	int dir_wd;
	int file_wd; /* -1 when the file is not watched */
	int wake;    /* set while draining inotify: read the file */
	int fd;      /* the log file, -1 until it exists */
	dev_t dev;
	ino_t ino;
	off_t offset;         /* bytes of fd already read */
	struct evbuffer *buf; /* read but not yet a complete line */
	int skipping;         /* dropping an overlong line up to its "\n" */
	int has_since;
	struct timespec since;
	struct event *ev_inotify;
	struct event *ev_again; /* manual-activated: more to read */
	events_reader_cb cb;
	void *cb_arg;
	int flags;
#define EVENTS_READER_IN_CB 0x1
#define EVENTS_READER_DEAD  0x2
};

static void
events_reader_destroy(struct events_reader *r)
{
	if (r->ev_inotify != NULL)
		event_free(r->ev_inotify);
	if (r->ev_again != NULL)
		event_free(r->ev_again);
	if (r->buf != NULL)
		evbuffer_free(r->buf);
	if (r->fd != -1)
		close(r->fd);
	if (r->ifd != -1)
		close(r->ifd);
	free(r->path);
	free(r->name);
	free(r);
}

/* Frees r now, or after its callback returns when called from there. */
void
events_reader_free(struct events_reader *r)
{
	if (r == NULL)
		return;
	if (r->flags & EVENTS_READER_IN_CB) {
		r->flags |= EVENTS_READER_DEAD;
		return;
	}
	events_reader_destroy(r);
}

static int
events_reader_before(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec;
	return a->tv_nsec < b->tv_nsec;
}

/* Decodes and delivers one line; -1 if the callback freed the reader. */
static int
events_reader_deliver(struct events_reader *r, const char *line, size_t len)
{
	struct events_event ev;
	struct timespec ts;
	char *cause = NULL;

	memset(&ev, 0, sizeof ev);
	if (events_decode(line, len, &ev, &cause) != 0) {
		log_debug(
		    "%s: %s: skipping line: %s", __func__, r->path, cause);
		free(cause);
		return 0;
	}
	if (r->has_since) {
		/* Go's zero time, for an event without one, is always old. */
		if (ev.time[0] == '\0' ||
		    events_time_parse(ev.time, &ts) != 0 ||
		    events_reader_before(&ts, &r->since)) {
			events_event_clear(&ev);
			return 0;
		}
	}
	r->flags |= EVENTS_READER_IN_CB;
	r->cb(&ev, line, r->cb_arg);
	r->flags &= ~EVENTS_READER_IN_CB;
	events_event_clear(&ev);
	return (r->flags & EVENTS_READER_DEAD) ? -1 : 0;
}

/* Hands every complete line in r->buf to the callback. */
static int
events_reader_lines(struct events_reader *r)
{
	struct evbuffer_ptr eol;
	size_t eol_len, len;
	char *line;
	int rc;

	for (;;) {
		eol = evbuffer_search_eol(
		    r->buf, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(r->buf) > EVENTS_LINE_MAX) {
				log_debug(
				    "%s: %s: line too long", __func__, r->path);
				evbuffer_drain(
				    r->buf, evbuffer_get_length(r->buf));
				r->skipping = 1;
			}
			return 0;
		}
		len = (size_t)eol.pos;
		if (r->skipping || len > EVENTS_LINE_MAX) {
			evbuffer_drain(r->buf, len + eol_len);
			r->skipping = 0;
			continue;
		}
		line = xmalloc(len + 1);
		evbuffer_remove(r->buf, line, len);
		evbuffer_drain(r->buf, eol_len);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		rc = len == 0 ? 0 : events_reader_deliver(r, line, len);
		free(line);
		if (rc != 0)
			return -1;
	}
}

/* Forgets the current file (after draining it, if it is still open). */
static void
events_reader_forget(struct events_reader *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	if (r->file_wd != -1)
		inotify_rm_watch(r->ifd, r->file_wd); /* gone with the inode */
	r->file_wd = -1;
	r->offset = 0;
	r->skipping = 0;
	evbuffer_drain(r->buf, evbuffer_get_length(r->buf));
}

/*
 * Reads up to EVENTS_READER_TURN_MAX new bytes; *more is set when there
 * is probably more.  -1 if the reader was freed by its callback.
 */
static int
events_reader_drain(struct events_reader *r, int *more)
{
	char chunk[EVENTS_READER_CHUNK];
	size_t total = 0;
	struct stat sb;
	ssize_t n;

	if (fstat(r->fd, &sb) == 0 && sb.st_size < r->offset) {
		log_debug("%s: %s: truncated", __func__, r->path);
		r->offset = 0;
		r->skipping = 0;
		evbuffer_drain(r->buf, evbuffer_get_length(r->buf));
	}
	while (total < EVENTS_READER_TURN_MAX) {
		n = pread(r->fd, chunk, sizeof chunk, r->offset);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_debug(
			    "%s: %s: %s", __func__, r->path, strerror(errno));
			return 0;
		}
		if (n == 0)
			return 0;
		r->offset += n;
		total += (size_t)n;
		evbuffer_add(r->buf, chunk, (size_t)n);
		if (events_reader_lines(r) != 0)
			return -1;
	}
	*more = 1;
	return 0;
}

/* Opens path if it exists, watching it; 0 if open, -1 if not there. */
static int
events_reader_open(struct events_reader *r, off_t offset)
{
	struct stat sb;
	int fd;

	fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno != ENOENT)
			log_debug(
			    "%s: %s: %s", __func__, r->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return -1;
	}
	r->fd = fd;
	r->dev = sb.st_dev;
	r->ino = sb.st_ino;
	r->offset = offset;
	r->file_wd =
	    inotify_add_watch(r->ifd, r->path, EVENTS_READER_FILE_MASK);
	if (r->file_wd == -1)
		log_debug(
		    "%s: %s: inotify: %s", __func__, r->path, strerror(errno));
	return 0;
}

/* Brings the reader up to date with the file system. */
static int
events_reader_sync(struct events_reader *r)
{
	struct stat sb;
	int more = 0;

	if (r->fd != -1) {
		if (stat(r->path, &sb) != 0 || sb.st_dev != r->dev ||
		    sb.st_ino != r->ino) {
			/* Replaced or removed: finish the old one first. */
			if (events_reader_drain(r, &more) != 0)
				return -1;
			if (more)
				goto again;
			log_debug("%s: %s: replaced", __func__, r->path);
			events_reader_forget(r);
		}
	}
	if (r->fd == -1 && events_reader_open(r, 0) != 0)
		return 0;
	if (events_reader_drain(r, &more) != 0)
		return -1;
	if (!more)
		return 0;
again:
	event_active(r->ev_again, EV_TIMEOUT, 1);
	return 0;
}

static void
events_reader_again_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events_reader *r = arg;

	if (events_reader_sync(r) != 0)
		events_reader_destroy(r);
}

/* The file (re)appearing in its directory, or changing: read it. */
static void
events_reader_inotify_event(const struct inotify_event *ie, void *arg)
{
	struct events_reader *r = arg;

	if (ie->mask & IN_Q_OVERFLOW)
		r->wake = 1;
	else if (ie->wd == r->dir_wd) {
		if (ie->len != 0 && strcmp(ie->name, r->name) == 0)
			r->wake = 1;
	} else if (ie->wd == r->file_wd) {
		if (ie->mask & IN_IGNORED)
			r->file_wd = -1;
		else
			r->wake = 1;
	}
}

static void
events_reader_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events_reader *r = arg;

	r->wake = 0;
	inotify_drain(r->ifd, events_reader_inotify_event, r);
	if (r->wake && events_reader_sync(r) != 0)
		events_reader_destroy(r);
}

/* Follows path on base; see events.h.  NULL and *cause on failure. */
struct events_reader *
events_reader_new(struct event_base *base, const char *path, off_t offset,
    const struct timespec *since, events_reader_cb cb, void *arg, char **cause)
{
	struct events_reader *r;
	const char *slash;
	char *dir = NULL;

	r = xcalloc(1, sizeof *r);
	r->ifd = r->fd = r->dir_wd = r->file_wd = -1;
	r->path = xstrdup(path);
	r->cb = cb;
	r->cb_arg = arg;
	if (since != NULL) {
		r->has_since = 1;
		r->since = *since;
	}
	r->buf = evbuffer_new();
	if (r->buf == NULL)
		fatalx("%s: evbuffer_new failed", __func__);

	if ((slash = strrchr(path, '/')) == NULL) {
		dir = xstrdup(".");
		r->name = xstrdup(path);
	} else {
		dir = slash == path ? xstrdup("/")
				    : xstrndup(path, (size_t)(slash - path));
		r->name = xstrdup(slash + 1);
	}
	if (*r->name == '\0') {
		xasprintf(cause, "%s: not a file name", path);
		goto fail;
	}
	r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->ifd == -1) {
		xasprintf(cause, "inotify_init1: %s", strerror(errno));
		goto fail;
	}
	r->dir_wd = inotify_add_watch(r->ifd, dir, EVENTS_READER_DIR_MASK);
	if (r->dir_wd == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	/* A file that appears later is read from its start. */
	events_reader_open(r, offset);

	r->ev_inotify = event_new(
	    base, r->ifd, EV_READ | EV_PERSIST, events_reader_inotify_cb, r);
	r->ev_again = event_new(base, -1, 0, events_reader_again_cb, r);
	if (r->ev_inotify == NULL || r->ev_again == NULL ||
	    event_add(r->ev_inotify, NULL) != 0) {
		xasprintf(cause, "%s: cannot set up events", path);
		goto fail;
	}
	/* The first read happens on the loop, never inside this call. */
	event_active(r->ev_again, EV_TIMEOUT, 1);
	free(dir);
	return r;

fail:
	free(dir);
	events_reader_destroy(r);
	return NULL;
}
