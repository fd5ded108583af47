/* clima: the hostagent's DNS server (Lima's hostResolver). */
/*
 * A UDP and a TCP listener on 127.0.0.1, each on a port of its own that
 * the guest reaches through the slirp gateway (its boot script DNATs
 * 192.168.5.3:53 there).  Names of hostResolver.hosts, host.lima.internal
 * and lima-NAME are answered from a static table; other A/AAAA queries
 * from the host's resolver (c-ares: /etc/hosts, then the servers of
 * /etc/resolv.conf); everything else, and names that resolver does not
 * know, is forwarded as is.  One event loop; c-ares runs on it.
 */
#ifndef HOSTAGENT_HA_DNS_H
#define HOSTAGENT_HA_DNS_H

#include <stddef.h>

struct event_base;
struct config_map;
struct ha_dns;

#define HA_DNS_TTL	    5   /* seconds, on every answer we build */
#define HA_DNS_UDP_MAX	    512 /* longer UDP replies are truncated (TC) */
#define HA_DNS_ALIAS_DEPTH  8   /* alias -> alias -> ... before giving up */
#define HA_DNS_HOST_GATEWAY "192.168.5.2"
#define HA_DNS_GUEST_IP	    "192.168.5.15"

struct ha_dns_params {
	const char *name;		 /* instance: lima-NAME is the guest */
	int ipv6;			 /* 0: AAAA gets an empty answer */
	const struct config_map *hosts;	 /* hostResolver.hosts, or NULL */
	const char *servers; /* "ip:port,..." (tests); NULL: resolv.conf */
};

/*
 * Binds both sockets (so their ports are known before cidata is
 * written); nothing is served until ha_dns_start.  NULL and *cause.
 */
struct ha_dns *ha_dns_new(const struct ha_dns_params *, char **cause);
int ha_dns_udp_port(const struct ha_dns *);
int ha_dns_tcp_port(const struct ha_dns *);
/* Starts serving on base.  0, or -1 and *cause. */
int ha_dns_start(struct ha_dns *, struct event_base *, char **cause);
/* Closes everything; queries in flight are dropped.  NULL is fine. */
void ha_dns_free(struct ha_dns *);

/*
 * A socket of type (SOCK_STREAM, SOCK_DGRAM) bound to 127.0.0.1 on a
 * free port, which *port gets; close-on-exec, non-blocking.  The fd, or
 * -1 and *cause.  (Also how ha-main.c picks the SSH port.)
 */
int ha_bind_loopback(int type, int *port, char **cause);

/*
 * A reply of len bytes cut to HA_DNS_UDP_MAX in place: the answers that
 * fit stay, the other sections go, TC is set.  Returns the new length
 * (len when it fitted).  For the UDP listener, and for tests.
 */
size_t ha_dns_truncate(unsigned char *, size_t len);

#endif
