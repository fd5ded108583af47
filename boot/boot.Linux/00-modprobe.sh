#!/bin/sh
# clima: loads the kernel modules later steps need, and only those: each
# modprobe costs time on a slow (TCG) guest.  fuse for reverse-sshfs,
# NAT for the DNS redirect, and the container set when containerd is on.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

lima_have modprobe || exit 0
mods=
if [ "${LIMA_CIDATA_MOUNTTYPE:-}" = reverse-sshfs ] &&
	[ "${LIMA_CIDATA_MOUNTS:-0}" -gt 0 ]; then
	mods="$mods fuse"
fi
if { [ "${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}" != 0 ] ||
	[ "${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}" != 0 ]; } &&
	{ lima_have iptables || lima_have nft; }; then
	mods="$mods nf_nat ip_tables iptable_nat nf_tables nft_nat"
fi
# containerd is set up only when cidata carries the nerdctl archive, and
# only with systemd (40-install-containerd.sh).
if [ -n "${LIMA_CIDATA_CONTAINERD_ARCHIVE:-}" ] && lima_is_systemd; then
	mods="$mods overlay tun tap bridge veth br_netfilter ip6_tables"
	mods="$mods iptable_filter xt_MASQUERADE xt_addrtype xt_comment"
	mods="$mods xt_conntrack xt_mark xt_multiport xt_nat"
fi
for m in $mods; do
	[ -d "/sys/module/$m" ] || modprobe -q "$m" 2>/dev/null || :
done
