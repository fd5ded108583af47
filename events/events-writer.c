/* clima: the hostagent side of the event stream. */
/*
 * struct events_writer keeps Lima's "current status" and writes each
 * event as one line plus "\n" in a single write(2) to the (O_APPEND)
 * stdout of the hostagent, so a reader never sees two events interleaved.
 * Port-forward and cloud-init events are the current status plus their
 * sub-object, which is not kept.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "events/events.h"

struct events_writer {
	int fd; /* borrowed, never closed here */
	struct events_status cur;
	events_writer_cb cb;
	void *cb_arg;
};

/* A writer on fd (borrowed); free with events_writer_free. */
struct events_writer *
events_writer_new(int fd)
{
	struct events_writer *w;

	w = xcalloc(1, sizeof *w);
	w->fd = fd;
	return w;
}

/* Frees the writer; the fd stays open. */
void
events_writer_free(struct events_writer *w)
{
	if (w == NULL)
		return;
	events_status_clear(&w->cur);
	free(w);
}

/* Sets the hook called with each encoded line after it was written. */
void
events_writer_set_cb(struct events_writer *w, events_writer_cb cb, void *arg)
{
	w->cb = cb;
	w->cb_arg = arg;
}

/* The current status (borrowed). */
const struct events_status *
events_writer_status(const struct events_writer *w)
{
	return &w->cur;
}

/* Sets sshLocalPort of the current status; nothing is emitted. */
void
events_set_ssh_port(struct events_writer *w, int port)
{
	w->cur.ssh_local_port = port;
}

/* Writes all of buf, in one write(2) unless interrupted or short. */
static int
events_writer_write(int fd, const char *buf, size_t len, char **cause)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "write event: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			xasprintf(cause, "write event: wrote nothing");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Stamps st with the time, writes it and calls the hook; st is borrowed. */
static int
events_writer_emit(
    struct events_writer *w, const struct events_status *st, char **cause)
{
	struct events_event ev;
	char *line, *buf;
	size_t len;
	int rc;

	memset(&ev, 0, sizeof ev);
	log_time_rfc3339(ev.time, 1);
	ev.status = *st; /* shallow: ev is not cleared */
	line = events_encode(&ev);
	len = strlen(line);
	buf = xmalloc(len + 1);
	memcpy(buf, line, len);
	buf[len] = '\n';
	rc = events_writer_write(w->fd, buf, len + 1, cause);
	free(buf);
	if (w->cb != NULL)
		w->cb(line, w->cb_arg);
	free(line);
	return rc;
}

/* Emits the current status. */
int
events_emit_status(struct events_writer *w, char **cause)
{
	return events_writer_emit(w, &w->cur, cause);
}

static void
events_writer_set_errors(
    struct events_status *st, const char *const *errors, size_t nerrors)
{
	size_t i;

	for (i = 0; i < st->nerrors; i++)
		free(st->errors[i]);
	free(st->errors);
	st->errors = NULL;
	st->nerrors = 0;
	if (nerrors == 0)
		return;
	st->errors = xreallocarray(NULL, nerrors, sizeof *st->errors);
	for (i = 0; i < nerrors; i++)
		st->errors[i] = xstrdup(errors[i]);
	st->nerrors = nerrors;
}

/* Current status becomes {running, degraded, errors, sshLocalPort}. */
int
events_emit_running(struct events_writer *w, int degraded,
    const char *const *errors, size_t nerrors, char **cause)
{
	int port = w->cur.ssh_local_port;

	events_status_clear(&w->cur);
	w->cur.running = 1;
	w->cur.degraded = degraded != 0;
	w->cur.ssh_local_port = port;
	events_writer_set_errors(&w->cur, errors, nerrors);
	return events_writer_emit(w, &w->cur, cause);
}

/* Current status becomes {exiting, errors}: Lima drops the port here. */
int
events_emit_exiting(struct events_writer *w, const char *const *errors,
    size_t nerrors, char **cause)
{
	events_status_clear(&w->cur);
	w->cur.exiting = 1;
	events_writer_set_errors(&w->cur, errors, nerrors);
	return events_writer_emit(w, &w->cur, cause);
}

static char *
events_writer_strdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* The current status plus a portForward object, which is not kept. */
int
events_emit_port_forward(struct events_writer *w, const char *type,
    const char *protocol, const char *guest_addr, const char *host_addr,
    const char *error, char **cause)
{
	struct events_port_forward *pf;
	struct events_status st;
	int rc;

	events_status_copy(&st, &w->cur);
	pf = st.port_forward = xcalloc(1, sizeof *pf);
	pf->type = events_writer_strdup(type);
	pf->protocol = events_writer_strdup(protocol);
	pf->guest_addr = events_writer_strdup(guest_addr);
	pf->host_addr = events_writer_strdup(host_addr);
	pf->error = events_writer_strdup(error);
	rc = events_writer_emit(w, &st, cause);
	events_status_clear(&st);
	return rc;
}

/* The current status plus cloudInitProgress, which is not kept. */
int
events_emit_cloud_init(
    struct events_writer *w, const char *line, int completed, char **cause)
{
	struct events_cloud_init *c;
	struct events_status st;
	int rc;

	events_status_copy(&st, &w->cur);
	c = st.cloud_init_progress = xcalloc(1, sizeof *c);
	c->log_line = events_writer_strdup(line);
	c->completed = completed != 0;
	c->active = !completed;
	rc = events_writer_emit(w, &st, cause);
	events_status_clear(&st);
	return rc;
}
