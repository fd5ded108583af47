/* clima: the hostagent's event stream (ha.stdout.log, JSON lines). */
/*
 * One event per line, Lima's events.Event schema (docs/PROTOCOL-events.md).
 * The hostagent writes them with a struct events_writer; the CLI follows
 * the log file with a struct events_reader on its event loop.
 */
#ifndef EVENTS_EVENTS_H
#define EVENTS_EVENTS_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

struct event_base;

/* Longest line accepted by events_decode and the reader, newline excluded. */
#define EVENTS_LINE_MAX 65536

/* Values of events_port_forward.type and events_vsock.type. */
#define EVENTS_PF_FORWARDING     "forwarding"
#define EVENTS_PF_NOT_FORWARDING "not-forwarding"
#define EVENTS_PF_STOPPING       "stopping"
#define EVENTS_PF_FAILED         "failed"
#define EVENTS_VSOCK_STARTED     "started"
#define EVENTS_VSOCK_SKIPPED     "skipped"
#define EVENTS_VSOCK_FAILED      "failed"

/* Every string member may be NULL; NULL and "" are both left out. */
struct events_cloud_init {
	char *log_line;
	int completed;
	int active;
};

struct events_port_forward {
	char *type;     /* EVENTS_PF_* */
	char *protocol; /* "tcp" or "udp" */
	char *guest_addr;
	char *host_addr; /* "ip:port" or a socket path */
	char *error;
};

struct events_vsock {
	char *type; /* EVENTS_VSOCK_* */
	char *host_addr;
	int vsock_port;
	char *reason;
};

/* A sub-object is present (even if all zero) iff its pointer is set. */
struct events_status {
	int running;
	int degraded; /* only with running */
	int exiting;  /* never with running */
	char **errors;
	size_t nerrors;
	int ssh_local_port;
	struct events_cloud_init *cloud_init_progress;
	struct events_port_forward *port_forward;
	struct events_vsock *vsock;
};

struct events_event {
	char time[64]; /* RFC 3339 (nano), "" when absent */
	struct events_status status;
};

/* Frees the members (not the struct itself) and zeroes them. */
void events_status_clear(struct events_status *);
void events_event_clear(struct events_event *);
/* Deep copy into dst, which must be empty (zeroed or cleared). */
void events_status_copy(
    struct events_status *dst, const struct events_status *src);

/* One compact JSON line without the newline; the caller frees it. */
char *events_encode(const struct events_event *);
/*
 * Parses one line into ev (which is cleared first).  Unknown members are
 * ignored.  0 on success; -1 and *cause (the caller's) on failure.
 */
int events_decode(
    const char *line, size_t len, struct events_event *ev, char **cause);
/* RFC 3339 ("2025-06-01T10:00:01.5+02:00") to a timespec; 0 or -1. */
int events_time_parse(const char *, struct timespec *);

/*
 * Writer.  Holds the current status; each events_emit_* builds an event
 * stamped with the current time, writes it with one write(2) of the line
 * plus "\n", then calls the hook (if any) with the line.  fd is borrowed.
 * Each returns 0, or -1 with *cause set (the event still goes to the hook).
 */
typedef void (*events_writer_cb)(const char *line, void *arg);
struct events_writer *events_writer_new(int fd);
void events_writer_free(struct events_writer *);
void events_writer_set_cb(struct events_writer *, events_writer_cb, void *);
/* Borrowed; valid until the next events_emit_* or events_writer_free. */
const struct events_status *events_writer_status(const struct events_writer *);
void events_set_ssh_port(struct events_writer *, int);
/* Emits the current status as it is. */
int events_emit_status(struct events_writer *, char **cause);
/* Current status becomes running (+ degraded, errors) with the SSH port. */
int events_emit_running(struct events_writer *, int degraded,
    const char *const *errors, size_t nerrors, char **cause);
/* Current status becomes {exiting, errors} only, as in Lima. */
int events_emit_exiting(struct events_writer *, const char *const *errors,
    size_t nerrors, char **cause);
/* Current status plus a portForward object; host_addr/error may be NULL. */
int events_emit_port_forward(struct events_writer *, const char *type,
    const char *protocol, const char *guest_addr, const char *host_addr,
    const char *error, char **cause);
/* Current status plus cloudInitProgress {logLine, completed, !completed}. */
int events_emit_cloud_init(
    struct events_writer *, const char *line, int completed, char **cause);

/*
 * Reader: follows path from offset on base (inotify, no timers), also
 * across truncation and re-creation, and calls cb for each complete line
 * that decodes and whose time is not before *since (NULL: no filter).
 * ev and line are borrowed for the call.  The reader may be freed inside
 * cb.  Returns NULL and *cause when the directory cannot be watched.
 */
typedef void (*events_reader_cb)(
    const struct events_event *ev, const char *line, void *arg);
struct events_reader *events_reader_new(struct event_base *, const char *path,
    off_t offset, const struct timespec *since, events_reader_cb, void *arg,
    char **cause);
void events_reader_free(struct events_reader *);

#endif
