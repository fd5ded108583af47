#!/bin/sh
# clima: host.lima.internal names the host (the slirp gateway) in the
# guest.  Drops any older line for the name and appends a fresh one, so
# the entry follows the gateway address in lima.env.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

gw=${LIMA_CIDATA_SLIRP_GATEWAY:-192.168.5.2}
want=$(printf '%s\thost.lima.internal' "$gw")
grep -qxF "$want" /etc/hosts 2>/dev/null &&
	[ "$(grep -c '[[:space:]]host\.lima\.internal\([[:space:]]\|$\)' \
		/etc/hosts)" = 1 ] && exit 0

tmp=/etc/hosts.lima-tmp
{
	grep -v '[[:space:]]host\.lima\.internal\([[:space:]]\|$\)' \
		/etc/hosts 2>/dev/null || :
	printf '%s\n' "$want"
} >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" /etc/hosts
lima_log "Added host.lima.internal ($gw) to /etc/hosts"
