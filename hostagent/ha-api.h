/* clima: the hostagent's HTTP API on ha.sock. */
/*
 * HTTP/1.1 over a UNIX socket (mode 0600), served by evhttp on the
 * hostagent's loop: GET /v1/info, GET /v1/status and the GET /v1/events
 * NDJSON stream.  See docs/PROTOCOL-events.md.
 */
#ifndef HOSTAGENT_HA_API_H
#define HOSTAGENT_HA_API_H

#include <stddef.h>

struct event_base;
struct node;

/* Event lines kept for ?history=1, and their total size. */
#define HA_API_HISTORY_MAX       256
#define HA_API_HISTORY_BYTES_MAX 1048576
/* Concurrent /v1/events streams; more get 503. */
#define HA_API_SUBS_MAX 64
/* Bytes queued for one stream before it is dropped as too slow. */
#define HA_API_SUB_BUF_MAX 1048576
/* Idle and write timeout of a connection (not of an idle stream). */
#define HA_API_TIMEOUT_SEC 30

/*
 * What the hostagent provides.  Each callback returns 0 and a node the
 * API frees, or -1 and *cause (freed by the API), answered with 500.  A
 * NULL callback is answered with 501.
 */
struct ha_api_provider {
	int (*info)(void *arg, struct node **out, char **cause);
	int (*status)(void *arg, struct node **out, char **cause);
	void *arg;
};

/*
 * Listens on sock_path (a stale socket there is removed).  The provider
 * is copied.  Returns NULL and *cause (the caller's) on failure.
 */
struct ha_api *ha_api_new(struct event_base *, const char *sock_path,
    const struct ha_api_provider *, char **cause);
/* Closes the listener and all connections and removes the socket. */
void ha_api_free(struct ha_api *);
/* Sends one event line (no newline) to every stream, and keeps it. */
void ha_api_broadcast(struct ha_api *, const char *line);
/* ha_api_broadcast in the shape of events_writer_cb; arg is the ha_api. */
void ha_api_broadcast_cb(const char *line, void *arg);
/* Number of open /v1/events streams. */
size_t ha_api_subscribers(const struct ha_api *);
/* Overrides HA_API_TIMEOUT_SEC (for tests). */
void ha_api_set_timeout(struct ha_api *, int sec);

/* Lima's /v1/info object; omitempty: port 0 and NULL/"" are left out. */
struct node *ha_api_info_node(int ssh_local_port, const char *auto_started_id);

#endif
