/* clima: the hostagent's DNS server (Lima's hostResolver). */
/*
 * Live things: struct ha_dns (the listeners, the c-ares channel, the
 * static table), struct ha_dns_sock (a socket c-ares asked us to watch),
 * struct ha_dns_conn (a TCP client) and struct ha_dns_query (a question
 * waiting for c-ares).  Everything runs on the hostagent's loop; nothing
 * blocks (c-ares reads /etc/resolv.conf and /etc/hosts, small local
 * files, when the channel is made and when it resolves).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ares.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "config/config.h"
#include "hostagent/ha-dns.h"

#define DNS_HDR		12
#define DNS_NAME_MAX	255
#define DNS_TYPE_A	1
#define DNS_TYPE_AAAA	28
#define DNS_CLASS_IN	1
#define DNS_QR		0x8000
#define DNS_TC		0x0200
#define DNS_RD		0x0100
#define DNS_RA		0x0080
#define DNS_OPCODE(f)	(((f) >> 11) & 0xf)
#define DNS_NOERROR	0
#define DNS_FORMERR	1
#define DNS_SERVFAIL	2
#define DNS_TCP_MAX	65535
#define HA_DNS_ADDRS_MAX 16 /* addresses in one answer we build */

struct ha_dns_host {
	char *name;  /* lower case, no trailing dot */
	char *value; /* an address, or another name (an alias) */
};

struct ha_dns_sock {
	struct ha_dns *dns;
	ares_socket_t fd;
	struct event *ev;
	TAILQ_ENTRY(ha_dns_sock) entry;
};

struct ha_dns_conn {
	struct ha_dns *dns;
	struct bufferevent *bev; /* NULL once the client has gone */
	int pending;		 /* its queries still in flight */
	TAILQ_ENTRY(ha_dns_conn) entry;
};

struct ha_dns_query {
	struct ha_dns *dns;
	struct ha_dns_conn *conn; /* TCP; NULL: UDP, reply to from */
	struct sockaddr_storage from;
	socklen_t fromlen;
	unsigned char *q; /* the query as it came */
	size_t qlen;
	size_t qend; /* end of its question */
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	char name[DNS_NAME_MAX + 1];
	int aliased; /* a static alias led to a name we ask the host for */
	TAILQ_ENTRY(ha_dns_query) entry;
};

struct ha_dns {
	struct event_base *base;
	int udp_fd;
	int tcp_fd;
	int udp_port;
	int tcp_port;
	struct event *udp_ev;
	struct evconnlistener *listener;
	ares_channel channel;
	int channel_ok;
	struct event *timer;
	int ipv6;
	char *servers;
	struct ha_dns_host *hosts;
	size_t nhosts;
	TAILQ_HEAD(, ha_dns_sock) socks;
	TAILQ_HEAD(, ha_dns_conn) conns;
	TAILQ_HEAD(, ha_dns_query) queries;
};

static uint16_t
dns_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
dns_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Lower case, without the trailing dot; into out (DNS_NAME_MAX + 1). */
static void
ha_dns_canon(const char *in, char *out)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i < DNS_NAME_MAX; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	if (i > 0 && out[i - 1] == '.')
		i--;
	out[i] = '\0';
}

static void
ha_dns_add_host(struct ha_dns *dns, const char *name, const char *value)
{
	struct ha_dns_host *h;
	char canon[DNS_NAME_MAX + 1];

	dns->hosts = xreallocarray(dns->hosts, dns->nhosts + 1,
	    sizeof *dns->hosts);
	h = &dns->hosts[dns->nhosts++];
	ha_dns_canon(name, canon);
	h->name = xstrdup(canon);
	h->value = xstrdup(value);
}

static const char *
ha_dns_static(const struct ha_dns *dns, const char *name)
{
	size_t i;

	for (i = 0; i < dns->nhosts; i++)
		if (strcmp(dns->hosts[i].name, name) == 0)
			return dns->hosts[i].value;
	return NULL;
}

/*
 * Reads the question of a query: header, one name (no compression),
 * type, class.  0, or -1 when it is not a query we can read.
 */
static int
ha_dns_parse(struct ha_dns_query *q)
{
	const unsigned char *p = q->q, *end = q->q + q->qlen;
	size_t off = DNS_HDR, n = 0;
	unsigned int len;

	if (q->qlen < DNS_HDR)
		return -1;
	q->id = dns_get16(p);
	if ((dns_get16(p + 2) & DNS_QR) != 0 || dns_get16(p + 4) != 1)
		return -1;
	for (;;) {
		if (p + off >= end)
			return -1;
		len = p[off++];
		if (len == 0)
			break;
		if (len > 63 || p + off + len > end || n + len + 1 > DNS_NAME_MAX)
			return -1;
		if (n > 0)
			q->name[n++] = '.';
		while (len-- > 0)
			q->name[n++] = (char)tolower(p[off++]);
	}
	q->name[n] = '\0';
	if (p + off + 4 > end)
		return -1;
	q->qtype = dns_get16(p + off);
	q->qclass = dns_get16(p + off + 2);
	q->qend = off + 4;
	return 0;
}

/* Drops q from the list; a finished TCP client goes with its last query. */
static void
ha_dns_query_free(struct ha_dns_query *q)
{
	struct ha_dns_conn *c = q->conn;

	TAILQ_REMOVE(&q->dns->queries, q, entry);
	if (c != NULL && --c->pending == 0 && c->bev == NULL) {
		TAILQ_REMOVE(&c->dns->conns, c, entry);
		free(c);
	}
	free(q->q);
	free(q);
}

/*
 * Cuts a UDP reply to HA_DNS_UDP_MAX bytes: whole answer records are kept
 * while they fit, the other sections go, and TC says so.
 */
size_t
ha_dns_truncate(unsigned char *buf, size_t len)
{
	size_t off = DNS_HDR, keep, rdlen;
	unsigned int an, kept = 0, i;

	if (len <= HA_DNS_UDP_MAX)
		return len;
	/* The question (one name, possibly compressed) and its 4 bytes. */
	while (off < len && buf[off] != 0 && (buf[off] & 0xc0) == 0)
		off += buf[off] + 1;
	off += off < len && (buf[off] & 0xc0) == 0xc0 ? 2 : 1;
	off += 4;
	if (dns_get16(buf + 4) != 1 || off > HA_DNS_UDP_MAX) {
		dns_put16(buf + 2, dns_get16(buf + 2) | DNS_TC);
		memset(buf + 4, 0, 8);
		return DNS_HDR;
	}
	keep = off;
	an = dns_get16(buf + 6);
	for (i = 0; i < an; i++) {
		while (off < len && buf[off] != 0 && (buf[off] & 0xc0) == 0)
			off += buf[off] + 1;
		off += off < len && (buf[off] & 0xc0) == 0xc0 ? 2 : 1;
		if (off + 10 > len)
			break;
		rdlen = dns_get16(buf + off + 8);
		off += 10 + rdlen;
		if (off > HA_DNS_UDP_MAX)
			break;
		keep = off;
		kept++;
	}
	dns_put16(buf + 2, dns_get16(buf + 2) | DNS_TC);
	dns_put16(buf + 6, (uint16_t)kept);
	dns_put16(buf + 8, 0);
	dns_put16(buf + 10, 0);
	return keep;
}

/* Sends a reply (buf is ours to change) and frees the query. */
static void
ha_dns_reply(struct ha_dns_query *q, unsigned char *buf, size_t len)
{
	unsigned char hdr[2];

	dns_put16(buf, q->id);
	if (q->conn == NULL) {
		len = ha_dns_truncate(buf, len);
		if (sendto(q->dns->udp_fd, buf, len, 0,
		    (struct sockaddr *)&q->from, q->fromlen) < 0)
			log_debug("%s: sendto: %s", __func__, strerror(errno));
	} else if (q->conn->bev != NULL && len <= DNS_TCP_MAX) {
		dns_put16(hdr, (uint16_t)len);
		bufferevent_write(q->conn->bev, hdr, sizeof hdr);
		bufferevent_write(q->conn->bev, buf, len);
	}
	ha_dns_query_free(q);
}

/*
 * A reply we make ourselves: the question, then one record per address
 * (TTL HA_DNS_TTL), each naming the question by a pointer to it.
 */
static void
ha_dns_answer(struct ha_dns_query *q, int rcode, const unsigned char *addrs,
    size_t naddrs, size_t alen)
{
	unsigned char *buf, *p;
	uint16_t flags;
	size_t len, i;

	len = q->qend + naddrs * (12 + alen);
	buf = xmalloc(len);
	memcpy(buf, q->q, q->qend);
	flags = dns_get16(q->q + 2);
	flags = DNS_QR | (flags & 0x7800) | (flags & DNS_RD) | DNS_RA |
	    (uint16_t)rcode;
	dns_put16(buf + 2, flags);
	dns_put16(buf + 4, q->qend > DNS_HDR ? 1 : 0);
	dns_put16(buf + 6, (uint16_t)naddrs);
	dns_put16(buf + 8, 0);
	dns_put16(buf + 10, 0);
	p = buf + q->qend;
	for (i = 0; i < naddrs; i++) {
		dns_put16(p, 0xc000 | DNS_HDR);
		dns_put16(p + 2, q->qtype);
		dns_put16(p + 4, DNS_CLASS_IN);
		dns_put16(p + 6, 0);
		dns_put16(p + 8, HA_DNS_TTL);
		dns_put16(p + 10, (uint16_t)alen);
		memcpy(p + 12, addrs + i * alen, alen);
		p += 12 + alen;
	}
	ha_dns_reply(q, buf, len);
	free(buf);
}

static void
ha_dns_fail(struct ha_dns_query *q, int rcode)
{
	ha_dns_answer(q, rcode, NULL, 0, 0);
}

static void
ha_dns_forward_cb(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct ha_dns_query *q = arg;
	unsigned char *buf;

	if (status == ARES_EDESTRUCTION) {
		ha_dns_query_free(q);
		return;
	}
	if (status != ARES_SUCCESS || abuf == NULL || alen < DNS_HDR) {
		log_debug("%s: %s: %s", __func__, q->name, ares_strerror(status));
		ha_dns_fail(q, DNS_SERVFAIL);
		return;
	}
	buf = xmalloc((size_t)alen);
	memcpy(buf, abuf, (size_t)alen);
	ha_dns_reply(q, buf, (size_t)alen);
	free(buf);
}

/* The query as it is, to the host's servers; their reply goes back. */
static void
ha_dns_forward(struct ha_dns_query *q)
{
	ares_send(q->dns->channel, q->q, (int)q->qlen, ha_dns_forward_cb, q);
}

static void
ha_dns_addrinfo_cb(void *arg, int status, int timeouts,
    struct ares_addrinfo *res)
{
	struct ha_dns_query *q = arg;
	struct ares_addrinfo_node *n;
	unsigned char addrs[HA_DNS_ADDRS_MAX * 16];
	size_t naddrs = 0, alen = q->qtype == DNS_TYPE_A ? 4 : 16, i;
	int dup;

	if (status == ARES_EDESTRUCTION) {
		if (res != NULL)
			ares_freeaddrinfo(res);
		ha_dns_query_free(q);
		return;
	}
	for (n = res != NULL ? res->nodes : NULL;
	     n != NULL && naddrs < HA_DNS_ADDRS_MAX; n = n->ai_next) {
		const unsigned char *a;

		if (alen == 4 && n->ai_family == AF_INET)
			a = (const unsigned char *)&((struct sockaddr_in *)
			    n->ai_addr)->sin_addr;
		else if (alen == 16 && n->ai_family == AF_INET6)
			a = (const unsigned char *)&((struct sockaddr_in6 *)
			    n->ai_addr)->sin6_addr;
		else
			continue;
		for (dup = 0, i = 0; i < naddrs; i++)
			dup |= memcmp(addrs + i * alen, a, alen) == 0;
		if (!dup)
			memcpy(addrs + alen * naddrs++, a, alen);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	if (naddrs > 0)
		ha_dns_answer(q, DNS_NOERROR, addrs, naddrs, alen);
	else if (q->aliased)
		ha_dns_fail(q, DNS_NOERROR);
	else
		ha_dns_forward(q); /* the servers say NXDOMAIN or why */
}

/* A or AAAA: the static table (following aliases), else the host. */
static void
ha_dns_address(struct ha_dns_query *q)
{
	struct ares_addrinfo_hints hints;
	unsigned char addr[16];
	const char *v;
	char cur[DNS_NAME_MAX + 1];
	int family = q->qtype == DNS_TYPE_A ? AF_INET : AF_INET6, depth;

	if (family == AF_INET6 && !q->dns->ipv6) {
		ha_dns_fail(q, DNS_NOERROR);
		return;
	}
	strlcpy(cur, q->name, sizeof cur);
	for (depth = 0; depth < HA_DNS_ALIAS_DEPTH; depth++) {
		if ((v = ha_dns_static(q->dns, cur)) == NULL)
			break;
		if (inet_pton(AF_INET, v, addr) == 1) {
			if (family == AF_INET)
				ha_dns_answer(q, DNS_NOERROR, addr, 1, 4);
			else
				ha_dns_fail(q, DNS_NOERROR);
			return;
		}
		if (inet_pton(AF_INET6, v, addr) == 1) {
			if (family == AF_INET6)
				ha_dns_answer(q, DNS_NOERROR, addr, 1, 16);
			else
				ha_dns_fail(q, DNS_NOERROR);
			return;
		}
		ha_dns_canon(v, cur);
		q->aliased = 1;
	}
	if (depth == HA_DNS_ALIAS_DEPTH) {
		log_debug("%s: alias loop at %s", __func__, q->name);
		ha_dns_fail(q, DNS_SERVFAIL);
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	ares_getaddrinfo(q->dns->channel, cur, NULL, &hints,
	    ha_dns_addrinfo_cb, q);
}

static void ha_dns_arm(struct ha_dns *);

/* One query from either listener; buf is copied. */
static void
ha_dns_handle(struct ha_dns *dns, struct ha_dns_conn *conn,
    const unsigned char *buf, size_t len, const struct sockaddr_storage *from,
    socklen_t fromlen)
{
	struct ha_dns_query *q;

	q = xcalloc(1, sizeof *q);
	q->dns = dns;
	q->conn = conn;
	if (from != NULL) {
		memcpy(&q->from, from, fromlen);
		q->fromlen = fromlen;
	}
	q->q = xmalloc(len);
	memcpy(q->q, buf, len);
	q->qlen = len;
	TAILQ_INSERT_TAIL(&dns->queries, q, entry);
	if (conn != NULL)
		conn->pending++;

	if (ha_dns_parse(q) != 0) {
		if (len >= DNS_HDR && (dns_get16(buf + 2) & DNS_QR) == 0) {
			/* Answer with the bare header: no question to echo. */
			q->qend = DNS_HDR;
			q->id = dns_get16(buf);
			ha_dns_answer(q, DNS_FORMERR, NULL, 0, 0);
		} else
			ha_dns_query_free(q);
		return;
	}
	if (DNS_OPCODE(dns_get16(buf + 2)) == 0 && q->qclass == DNS_CLASS_IN &&
	    (q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_AAAA))
		ha_dns_address(q);
	else
		ha_dns_forward(q);
	ha_dns_arm(dns); /* c-ares may have sent something to time out */
}

static void
ha_dns_udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ha_dns *dns = arg;
	struct sockaddr_storage from;
	socklen_t fromlen;
	unsigned char buf[DNS_TCP_MAX];
	ssize_t n;
	int i;

	/* A few per wake-up, so that TCP clients get their turn. */
	for (i = 0; i < 16; i++) {
		fromlen = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		ha_dns_handle(dns, NULL, buf, (size_t)n, &from, fromlen);
	}
}

/* The client is gone: free it now, or with its last query. */
static void
ha_dns_conn_close(struct ha_dns_conn *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->pending == 0) {
		TAILQ_REMOVE(&c->dns->conns, c, entry);
		free(c);
	}
}

/* TCP: each message is a two-byte length, then the query. */
static void
ha_dns_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct ha_dns_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char hdr[2], *buf;
	size_t len;

	while (c->bev != NULL && evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		len = dns_get16(hdr);
		if (len < DNS_HDR) {
			ha_dns_conn_close(c);
			return;
		}
		if (evbuffer_get_length(in) < 2 + len)
			return;
		evbuffer_drain(in, 2);
		buf = xmalloc(len);
		evbuffer_remove(in, buf, len);
		ha_dns_handle(c->dns, c, buf, len, NULL, 0);
		free(buf);
	}
}

static void
ha_dns_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ha_dns_conn_close(arg);
}

static void
ha_dns_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ha_dns *dns = arg;
	struct ha_dns_conn *c;

	c = xcalloc(1, sizeof *c);
	c->dns = dns;
	c->bev = bufferevent_socket_new(dns->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&dns->conns, c, entry);
	bufferevent_setcb(c->bev, ha_dns_conn_read_cb, NULL,
	    ha_dns_conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* c-ares' next deadline (a retry, a timeout) as our timer. */
static void
ha_dns_arm(struct ha_dns *dns)
{
	struct timeval tv, *tvp;

	if (!dns->channel_ok)
		return;
	tvp = ares_timeout(dns->channel, NULL, &tv);
	if (tvp != NULL)
		evtimer_add(dns->timer, tvp);
	else
		evtimer_del(dns->timer);
}

static void
ha_dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ha_dns *dns = arg;

	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	ha_dns_arm(dns);
}

static void
ha_dns_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ha_dns_sock *s = arg;
	struct ha_dns *dns = s->dns;

	ares_process_fd(dns->channel,
	    (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	ha_dns_arm(dns);
}

/* c-ares opens, changes or closes one of its sockets. */
static void
ha_dns_sock_state_cb(void *data, ares_socket_t fd, int readable,
    int writable)
{
	struct ha_dns *dns = data;
	struct ha_dns_sock *s;
	short what = EV_PERSIST;

	TAILQ_FOREACH(s, &dns->socks, entry) {
		if (s->fd == fd)
			break;
	}
	if (s != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (!readable && !writable) {
		if (s != NULL) {
			TAILQ_REMOVE(&dns->socks, s, entry);
			free(s);
		}
		return;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->dns = dns;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&dns->socks, s, entry);
	}
	if (readable)
		what |= EV_READ;
	if (writable)
		what |= EV_WRITE;
	s->ev = event_new(dns->base, fd, what, ha_dns_sock_cb, s);
	event_add(s->ev, NULL);
}

int
ha_bind_loopback(int type, int *port, char **cause)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd;

	fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		xasprintf(cause, "cannot bind a port on 127.0.0.1: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
ha_dns_bind(int type, int *port, char **cause)
{
	int fd;

	if ((fd = ha_bind_loopback(type, port, cause)) < 0)
		return -1;
	if (type == SOCK_STREAM && listen(fd, 16) != 0) {
		xasprintf(cause, "DNS server: cannot listen on 127.0.0.1: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct ha_dns *
ha_dns_new(const struct ha_dns_params *p, char **cause)
{
	struct ha_dns *dns;
	char *guest;
	size_t i;

	dns = xcalloc(1, sizeof *dns);
	dns->udp_fd = dns->tcp_fd = -1;
	TAILQ_INIT(&dns->socks);
	TAILQ_INIT(&dns->conns);
	TAILQ_INIT(&dns->queries);
	dns->ipv6 = p->ipv6;
	if (p->servers != NULL)
		dns->servers = xstrdup(p->servers);
	/* The user's names first: they win over ours. */
	for (i = 0; p->hosts != NULL && i < p->hosts->n; i++)
		ha_dns_add_host(dns, p->hosts->v[i].key, p->hosts->v[i].value);
	ha_dns_add_host(dns, "host.lima.internal", HA_DNS_HOST_GATEWAY);
	xasprintf(&guest, "lima-%s", p->name);
	ha_dns_add_host(dns, guest, HA_DNS_GUEST_IP);
	free(guest);

	if ((dns->udp_fd = ha_dns_bind(SOCK_DGRAM, &dns->udp_port,
	    cause)) < 0 ||
	    (dns->tcp_fd = ha_dns_bind(SOCK_STREAM, &dns->tcp_port,
	    cause)) < 0) {
		ha_dns_free(dns);
		return NULL;
	}
	return dns;
}

int
ha_dns_udp_port(const struct ha_dns *dns)
{
	return dns->udp_port;
}

int
ha_dns_tcp_port(const struct ha_dns *dns)
{
	return dns->tcp_port;
}

int
ha_dns_start(struct ha_dns *dns, struct event_base *base, char **cause)
{
	struct ares_options opts;
	int r;

	dns->base = base;
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		xasprintf(cause, "DNS server: c-ares: %s", ares_strerror(r));
		return -1;
	}
	memset(&opts, 0, sizeof opts);
	opts.sock_state_cb = ha_dns_sock_state_cb;
	opts.sock_state_cb_data = dns;
	if ((r = ares_init_options(&dns->channel, &opts,
	    ARES_OPT_SOCK_STATE_CB)) != ARES_SUCCESS) {
		xasprintf(cause, "DNS server: c-ares: %s", ares_strerror(r));
		ares_library_cleanup();
		return -1;
	}
	dns->channel_ok = 1;
	if (dns->servers != NULL &&
	    (r = ares_set_servers_ports_csv(dns->channel, dns->servers)) !=
	    ARES_SUCCESS) {
		xasprintf(cause, "DNS server: servers %s: %s", dns->servers,
		    ares_strerror(r));
		return -1;
	}
	dns->timer = evtimer_new(base, ha_dns_timer_cb, dns);
	dns->udp_ev = event_new(base, dns->udp_fd, EV_READ | EV_PERSIST,
	    ha_dns_udp_cb, dns);
	event_add(dns->udp_ev, NULL);
	dns->listener = evconnlistener_new(base, ha_dns_accept_cb, dns,
	    LEV_OPT_CLOSE_ON_FREE, -1, dns->tcp_fd);
	if (dns->listener == NULL) {
		xasprintf(cause, "DNS server: cannot accept on port %d",
		    dns->tcp_port);
		return -1;
	}
	dns->tcp_fd = -1; /* the listener's now */
	log_info("DNS server listening on 127.0.0.1 (udp %d, tcp %d)",
	    dns->udp_port, dns->tcp_port);
	return 0;
}

void
ha_dns_free(struct ha_dns *dns)
{
	struct ha_dns_query *q;
	struct ha_dns_conn *c;
	struct ha_dns_sock *s;
	size_t i;

	if (dns == NULL)
		return;
	/* Pending callbacks run now (ARES_EDESTRUCTION) and free queries. */
	if (dns->channel_ok) {
		ares_destroy(dns->channel);
		ares_library_cleanup();
		dns->channel_ok = 0;
	}
	while ((q = TAILQ_FIRST(&dns->queries)) != NULL)
		ha_dns_query_free(q);
	while ((c = TAILQ_FIRST(&dns->conns)) != NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		TAILQ_REMOVE(&dns->conns, c, entry);
		free(c);
	}
	while ((s = TAILQ_FIRST(&dns->socks)) != NULL) {
		if (s->ev != NULL)
			event_free(s->ev);
		TAILQ_REMOVE(&dns->socks, s, entry);
		free(s);
	}
	if (dns->timer != NULL)
		event_free(dns->timer);
	if (dns->udp_ev != NULL)
		event_free(dns->udp_ev);
	if (dns->listener != NULL)
		evconnlistener_free(dns->listener);
	if (dns->udp_fd != -1)
		close(dns->udp_fd);
	if (dns->tcp_fd != -1)
		close(dns->tcp_fd);
	for (i = 0; i < dns->nhosts; i++) {
		free(dns->hosts[i].name);
		free(dns->hosts[i].value);
	}
	free(dns->hosts);
	free(dns->servers);
	free(dns);
}
