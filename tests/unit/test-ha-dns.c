/* clima: tests for hostagent/ha-dns.c, the hostagent's DNS server. */
/*
 * Real sockets on one event loop: a client sends queries over UDP and
 * TCP to ha_dns, whose c-ares channel is pointed at a scripted upstream
 * server on the same loop.  Checked: the static table (hostResolver.hosts,
 * aliases, host.lima.internal, lima-NAME), AAAA without IPv6, names the
 * upstream knows, NXDOMAIN and TXT relayed, TCP framing and pipelining,
 * malformed queries, UDP truncation, and freeing with queries in flight.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/xmalloc.h"
#include "config/config.h"
#include "hostagent/ha-dns.h"
#include "tests/tap.h"

#define T_WAIT_MSEC 5000

static struct event_base *base;
static int up_fd, up_port, up_queries;
static struct event *up_ev;

/* ---- wire helpers ---- */

static size_t
t_query(unsigned char *buf, unsigned short id, const char *name,
    unsigned short type)
{
	size_t off = 12, n;
	const char *p = name, *dot;

	memset(buf, 0, 12);
	buf[0] = id >> 8;
	buf[1] = id & 0xff;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;
	while (*p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		buf[off++] = (unsigned char)n;
		memcpy(buf + off, p, n);
		off += n;
		p += n;
		if (*p == '.')
			p++;
	}
	buf[off++] = 0;
	buf[off++] = type >> 8;
	buf[off++] = type & 0xff;
	buf[off++] = 0;
	buf[off++] = 1;
	return off;
}

static unsigned int
t_u16(const unsigned char *p)
{
	return (unsigned int)(p[0] << 8 | p[1]);
}

/* Offset of the first answer: after the one question. */
static size_t
t_skip_question(const unsigned char *buf)
{
	size_t off = 12;

	while (buf[off] != 0)
		off += buf[off] + 1;
	return off + 5;
}

/* The first answer's address as text ("" if none). */
static void
t_first_addr(const unsigned char *buf, size_t len, char *out, size_t outlen)
{
	size_t off = t_skip_question(buf);
	unsigned int rdlen;

	*out = '\0';
	if (t_u16(buf + 6) == 0 || off + 12 > len)
		return;
	rdlen = t_u16(buf + off + 10);
	if (rdlen == 4)
		inet_ntop(AF_INET, buf + off + 12, out, (socklen_t)outlen);
	else if (rdlen == 16)
		inet_ntop(AF_INET6, buf + off + 12, out, (socklen_t)outlen);
}

/* ---- the scripted upstream server ---- */

/*
 * up.test A -> 192.0.2.7; txt.test TXT -> "hello"; slow.test: never
 * answered; anything else NXDOMAIN.
 */
static void
t_up_cb(evutil_socket_t fd, short what, void *arg)
{
	unsigned char buf[1024], name[256];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof from;
	ssize_t n;
	size_t off = 12, nl = 0, end;
	unsigned int type;

	n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
	if (n < 17)
		return;
	up_queries++;
	while (buf[off] != 0 && off < (size_t)n) {
		if (nl > 0)
			name[nl++] = '.';
		memcpy(name + nl, buf + off + 1, buf[off]);
		nl += buf[off];
		off += buf[off] + 1;
	}
	name[nl] = '\0';
	type = t_u16(buf + off + 1);
	end = off + 5;
	buf[2] = 0x81; /* QR, RD */
	buf[3] = 0x80; /* RA */
	if (strcmp((char *)name, "slow.test") == 0)
		return;
	if (strcmp((char *)name, "up.test") == 0 && type == 1) {
		static const unsigned char rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0,
			0, 60, 0, 4, 192, 0, 2, 7 };
		memcpy(buf + end, rr, sizeof rr);
		end += sizeof rr;
		buf[7] = 1;
	} else if (strcmp((char *)name, "txt.test") == 0 && type == 16) {
		static const unsigned char rr[] = { 0xc0, 12, 0, 16, 0, 1, 0,
			0, 0, 60, 0, 6, 5, 'h', 'e', 'l', 'l', 'o' };
		memcpy(buf + end, rr, sizeof rr);
		end += sizeof rr;
		buf[7] = 1;
	} else if (strcmp((char *)name, "up.test") == 0) {
		/* NODATA for the other types. */
	} else
		buf[3] |= 3; /* NXDOMAIN */
	sendto(fd, buf, end, 0, (struct sockaddr *)&from, fromlen);
}

static void
t_up_start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	up_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(up_fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(up_fd, (struct sockaddr *)&sin, &len) != 0)
		exit(99);
	up_port = ntohs(sin.sin_port);
	up_ev = event_new(base, up_fd, EV_READ | EV_PERSIST, t_up_cb, NULL);
	event_add(up_ev, NULL);
}

/* ---- clients ---- */

/* Runs the loop until fd is readable or the wait is over; 0 if ready. */
static int
t_wait(int fd, int msec)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int waited;

	for (waited = 0; waited < msec; waited += 10) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&pfd, 1, 10) == 1)
			return 0;
	}
	return -1;
}

static int
t_udp_client(int port)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		exit(99);
	return fd;
}

/* One UDP question; the reply's length (0: none in time). */
static size_t
t_ask(int port, unsigned short id, const char *name, unsigned short type,
    unsigned char *reply, size_t max)
{
	unsigned char q[300];
	size_t len = t_query(q, id, name, type);
	ssize_t n = 0;
	int fd = t_udp_client(port);

	if (send(fd, q, len, 0) != (ssize_t)len)
		exit(99);
	if (t_wait(fd, T_WAIT_MSEC) == 0)
		n = recv(fd, reply, max, 0);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static void
t_expect_addr(int port, const char *name, unsigned short type,
    const char *want, const char *what)
{
	unsigned char r[1024];
	char addr[64];
	size_t n;

	n = t_ask(port, 0x4242, name, type, r, sizeof r);
	ok(n >= 12 && t_u16(r) == 0x4242 && (r[2] & 0x80) != 0 &&
	    (r[3] & 0xf) == 0, "%s: a reply with our id, NOERROR", what);
	t_first_addr(r, n, addr, sizeof addr);
	is_str(addr, want, "%s: %s", what, want[0] ? want : "no answer");
}

int
main(void)
{
	struct ha_dns_params p;
	struct config_kv kv[5];
	struct config_map hosts;
	struct ha_dns *dns;
	unsigned char r[1024], q[600], big[2048], *bp;
	char servers[64], *cause = NULL;
	size_t n, len, i;
	int udp, tcp, fd;
	struct sockaddr_in sin;

	base = event_base_new();
	t_up_start();
	snprintf(servers, sizeof servers, "127.0.0.1:%d", up_port);

	memset(kv, 0, sizeof kv);
	kv[0].key = xstrdup("clima.test");
	kv[0].value = xstrdup("10.1.2.3");
	kv[1].key = xstrdup("Alias.Test");
	kv[1].value = xstrdup("clima.test.");
	kv[2].key = xstrdup("six.test");
	kv[2].value = xstrdup("2001:db8::1");
	kv[3].key = xstrdup("loop1.test");
	kv[3].value = xstrdup("loop2.test");
	kv[4].key = xstrdup("loop2.test");
	kv[4].value = xstrdup("loop1.test");
	hosts.v = kv;
	hosts.n = 5;
	memset(&p, 0, sizeof p);
	p.name = "vm";
	p.hosts = &hosts;
	p.servers = servers;
	dns = ha_dns_new(&p, &cause);
	ok(dns != NULL, "ha_dns_new: %s", cause ? cause : "ok");
	udp = ha_dns_udp_port(dns);
	tcp = ha_dns_tcp_port(dns);
	ok(udp > 0 && tcp > 0 && udp != up_port, "ports %d/%d", udp, tcp);
	is_int(ha_dns_start(dns, base, &cause), 0, "started");

	/* The static table. */
	t_expect_addr(udp, "clima.test", 1, "10.1.2.3", "static A");
	t_expect_addr(udp, "CLIMA.Test", 1, "10.1.2.3", "case-insensitive");
	t_expect_addr(udp, "alias.test", 1, "10.1.2.3", "an alias followed");
	t_expect_addr(udp, "host.lima.internal", 1, "192.168.5.2",
	    "host.lima.internal");
	t_expect_addr(udp, "lima-vm", 1, "192.168.5.15", "lima-NAME");
	t_expect_addr(udp, "six.test", 1, "", "IPv6-only name: A is empty");
	t_expect_addr(udp, "clima.test", 28, "", "AAAA without ipv6: empty");
	is_int(up_queries, 0, "the static names never reach upstream");

	n = t_ask(udp, 7, "loop1.test", 1, r, sizeof r);
	ok(n >= 12 && (r[3] & 0xf) == 2, "an alias loop is SERVFAIL");
	n = t_ask(udp, 7, "clima.test", 1, r, sizeof r);
	ok(n >= 12 && (r[2] & 0x01) && (r[3] & 0x80),
	    "RD copied, RA set");
	len = t_skip_question(r);
	is_int(t_u16(r + len + 6) << 16 | t_u16(r + len + 8), 5, "TTL 5");

	/* Through c-ares to the upstream. */
	t_expect_addr(udp, "up.test", 1, "192.0.2.7", "upstream A");
	ok(up_queries > 0, "asked upstream");
	n = t_ask(udp, 0x1234, "nx.test", 1, r, sizeof r);
	ok(n >= 12 && t_u16(r) == 0x1234 && (r[3] & 0xf) == 3,
	    "NXDOMAIN relayed with our id");
	n = t_ask(udp, 0x5678, "txt.test", 16, r, sizeof r);
	ok(n > 12 && t_u16(r) == 0x5678 && t_u16(r + 6) == 1 &&
	    memcmp(r + n - 5, "hello", 5) == 0, "TXT forwarded and relayed");

	/* TCP: two queries in one write, answered in turn. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)tcp);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0, "TCP connect");
	len = t_query(q + 2, 1, "clima.test", 1);
	q[0] = (unsigned char)(len >> 8);
	q[1] = (unsigned char)len;
	n = t_query(q + 4 + len, 2, "up.test", 1);
	q[2 + len] = (unsigned char)(n >> 8);
	q[3 + len] = (unsigned char)n;
	ok(write(fd, q, 4 + len + n) == (ssize_t)(4 + len + n), "TCP write");
	n = 0;
	while (t_wait(fd, T_WAIT_MSEC) == 0) {
		ssize_t k = read(fd, r + n, sizeof r - n);

		if (k <= 0)
			break;
		n += (size_t)k;
		if (n >= 2 && n >= 2 + t_u16(r) + 2 &&
		    n >= 4 + t_u16(r) + t_u16(r + 2 + t_u16(r)))
			break;
	}
	ok(n > 4 && t_u16(r + 2) == 1, "first TCP reply, id 1");
	len = 2 + t_u16(r);
	ok(n > len + 4 && t_u16(r + len + 2) == 2, "second TCP reply, id 2");
	{
		char addr[64];

		t_first_addr(r + 2, t_u16(r), addr, sizeof addr);
		is_str(addr, "10.1.2.3", "TCP static answer");
		t_first_addr(r + len + 2, t_u16(r + len), addr, sizeof addr);
		is_str(addr, "192.0.2.7", "TCP upstream answer");
	}
	close(fd);

	/* Malformed: too short is dropped, no question is FORMERR. */
	fd = t_udp_client(udp);
	ok(send(fd, "\x01\x02\x03", 3, 0) == 3, "send 3 bytes");
	ok(t_wait(fd, 300) != 0, "a 3-byte query gets no reply");
	memset(q, 0, 12);
	q[0] = 0x77;
	ok(send(fd, q, 12, 0) == 12, "send a header without a question");
	n = t_wait(fd, T_WAIT_MSEC) == 0 ? (size_t)recv(fd, r, sizeof r, 0) : 0;
	ok(n == 12 && r[0] == 0x77 && (r[3] & 0xf) == 1, "FORMERR");
	close(fd);

	/* Truncation: 40 A records do not fit in 512 bytes. */
	len = t_query(big, 9, "many.test", 1);
	bp = big + len;
	for (i = 0; i < 40; i++) {
		static const unsigned char rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0,
			0, 5, 0, 4, 10, 0, 0, 0 };
		memcpy(bp, rr, sizeof rr);
		bp[15] = (unsigned char)i;
		bp += sizeof rr;
	}
	big[2] |= 0x80;
	big[7] = 40;
	n = ha_dns_truncate(big, (size_t)(bp - big));
	ok(n <= 512, "truncated to %zu bytes", n);
	is_int(t_u16(big + 6), (512 - (long long)len) / 16, "whole records kept");
	ok((big[2] & 0x02) != 0, "TC set");
	is_int(n, len + t_u16(big + 6) * 16, "cut at a record boundary");
	n = ha_dns_truncate(r, 100);
	is_int(n, 100, "a short reply is left alone");

	/* Freed with a question in flight upstream. */
	fd = t_udp_client(udp);
	len = t_query(q, 3, "slow.test", 1);
	ok(send(fd, q, len, 0) == (ssize_t)len, "a question nobody answers");
	t_wait(fd, 200);
	ha_dns_free(dns);
	ok(1, "freed with a query in flight");
	close(fd);
	ha_dns_free(NULL);
	for (i = 0; i < 5; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	event_free(up_ev);
	event_base_free(base);
	close(up_fd);
	free(cause);
	return done_testing();
}
