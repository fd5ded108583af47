/* clima: the guest push channel (virtio-serial io.lima-vm.guest_agent.0). */
/*
 * QEMU exposes the guest's virtio-serial port as the UNIX socket
 * DIR/ga.sock.  The guest writes JSON lines to it (docs/PROTOCOL-
 * guestagent.md); boot markers go to the boot state machine, which then
 * confirms them over ssh.  Bounded lines; bad input is logged, not fatal.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "hostagent/ha-int.h"

#define HA_GAPORT_LINE_MAX 4096

struct ha_gaport {
	struct hostagent *ha; /* owner */
	struct bufferevent *bev;
	char *path;
};

static void
ha_gaport_line(struct ha_gaport *g, const char *line, size_t len)
{
	struct node *msg;
	const char *type, *phase, *iid;
	char *cause = NULL;

	msg = node_from_json(line, len, &cause);
	if (msg == NULL || msg->kind != NODE_MAP) {
		log_debug("%s: bad line from the guest: %s", __func__,
		    cause != NULL ? cause : "not an object");
		free(cause);
		node_free(msg);
		return;
	}
	type = node_get_str(node_map_get(msg, "type"));
	phase = node_get_str(node_map_get(msg, "phase"));
	iid = node_get_str(node_map_get(msg, "iid"));
	log_debug("%s: guest says type=%s phase=%s", __func__,
	    type != NULL ? type : "", phase != NULL ? phase : "");
	if (type != NULL && strcmp(type, "boot") == 0 && phase != NULL)
		ha_boot_push(g->ha, phase, iid);
	node_free(msg);
}

static void
ha_gaport_read_cb(struct bufferevent *bev, void *arg)
{
	struct ha_gaport *g = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		ha_gaport_line(g, line, len);
		free(line);
	}
	if (evbuffer_get_length(in) > HA_GAPORT_LINE_MAX) {
		log_debug("%s: dropping an overlong line", __func__);
		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

static void
ha_gaport_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ha_gaport *g = arg;

	if (what & BEV_EVENT_CONNECTED) {
		log_debug("%s: connected to %s", __func__, g->path);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* QEMU went away; the state machine hears it via SIGCHLD. */
		log_debug("%s: %s closed", __func__, g->path);
		bufferevent_disable(bev, EV_READ | EV_WRITE);
	}
}

struct ha_gaport *
ha_gaport_new(struct hostagent *ha, const char *path)
{
	struct ha_gaport *g;
	struct sockaddr_un sun;

	g = xcalloc(1, sizeof *g);
	g->ha = ha;
	g->path = xstrdup(path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		log_warnx("guest channel path too long: %s", path);
		return g;
	}
	g->bev = bufferevent_socket_new(ha->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(g->bev, ha_gaport_read_cb, NULL, ha_gaport_event_cb,
	    g);
	bufferevent_setwatermark(g->bev, EV_READ, 0, HA_GAPORT_LINE_MAX * 4);
	if (bufferevent_socket_connect(g->bev, (struct sockaddr *)&sun,
	    sizeof sun) != 0) {
		log_debug("%s: connect %s failed", __func__, path);
		bufferevent_free(g->bev);
		g->bev = NULL;
		return g;
	}
	bufferevent_enable(g->bev, EV_READ);
	return g;
}

void
ha_gaport_free(struct ha_gaport *g)
{
	if (g == NULL)
		return;
	if (g->bev != NULL)
		bufferevent_free(g->bev);
	free(g->path);
	free(g);
}
