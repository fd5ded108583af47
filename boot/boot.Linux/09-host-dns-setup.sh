#!/bin/sh
# clima: the hostagent's DNS server listens on host loopback ports that
# the guest reaches through the slirp gateway; redirect what the guest
# sends to the slirp DNS address (port 53) there.  iptables (chain
# LIMADNS in the nat table) when present, else nft (table ip lima_dns).
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

udp=${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}
tcp=${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}
[ "$udp" != 0 ] || [ "$tcp" != 0 ] || exit 0
dns=${LIMA_CIDATA_SLIRP_DNS:-192.168.5.3}
gw=${LIMA_CIDATA_SLIRP_GATEWAY:-192.168.5.2}
done_marker=/run/lima-dns-redirect

with_iptables() {
	iptables -t nat -N LIMADNS 2>/dev/null || iptables -t nat -F LIMADNS
	for hook in PREROUTING OUTPUT; do
		iptables -t nat -C "$hook" -j LIMADNS 2>/dev/null ||
			iptables -t nat -A "$hook" -j LIMADNS
	done
	for p in udp tcp; do
		if [ "$p" = udp ]; then port=$udp; else port=$tcp; fi
		[ "$port" != 0 ] || continue
		iptables -t nat -A LIMADNS -d "$dns" -p "$p" --dport 53 \
			-j DNAT --to-destination "$gw:$port"
	done
}

with_nft() {
	nft delete table ip lima_dns 2>/dev/null || :
	{
		echo 'table ip lima_dns {'
		for hook in prerouting output; do
			echo "  chain $hook {"
			echo "    type nat hook $hook priority -100;"
			[ "$udp" = 0 ] || echo "    ip daddr $dns udp dport 53" \
				"dnat to $gw:$udp"
			[ "$tcp" = 0 ] || echo "    ip daddr $dns tcp dport 53" \
				"dnat to $gw:$tcp"
			echo '  }'
		done
		echo '}'
	} | nft -f -
}

if lima_have iptables; then
	with_iptables
elif lima_have nft; then
	with_nft
else
	lima_warn "neither iptables nor nft: DNS queries to $dns go to" \
		"slirp, not to the hostagent's resolver"
	exit 0
fi
touch "$done_marker"
lima_log "Redirected DNS for $dns to $gw (udp $udp, tcp $tcp)"
