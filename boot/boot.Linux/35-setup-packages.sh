#!/bin/sh
# clima: reverse-sshfs needs "user_allow_other" in fuse.conf (the
# hostagent mounts with allow_other as the user) and, on Ubuntu, room
# in the fusermount3 AppArmor profile; then /run/lima-fuse-ready.  Also
# retries the DNS redirect if a dependency script installed iptables.
set -u
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

rc=0
if [ "${LIMA_CIDATA_MOUNTTYPE:-}" = reverse-sshfs ]; then
	conf=/etc/fuse.conf
	[ -f /etc/fuse3.conf ] && conf=/etc/fuse3.conf
	if ! grep -q '^[[:space:]]*user_allow_other' "$conf" 2>/dev/null; then
		{
			cat "$conf" 2>/dev/null
			echo user_allow_other
		} >"$conf.lima-tmp" && chmod 0644 "$conf.lima-tmp" &&
			mv -f "$conf.lima-tmp" "$conf" || rc=1
	fi
	prof=/etc/apparmor.d/fusermount3
	local=/etc/apparmor.d/local/fusermount3
	if [ -f "$prof" ] && lima_have apparmor_parser &&
		! grep -q 'clima' "$local" 2>/dev/null; then
		mkdir -p "${local%/*}"
		{
			echo '# clima: reverse-sshfs mounts anywhere'
			echo 'mount fstype=fuse.sshfs -> /**,'
			echo 'umount /**,'
		} >>"$local"
		apparmor_parser -r "$prof" >/dev/null 2>&1 ||
			lima_warn "could not reload the fusermount3 profile"
	fi
	lima_write_marker /run/lima-fuse-ready || rc=1
fi

if [ ! -e /run/lima-dns-redirect ] &&
	{ lima_have iptables || lima_have nft; } &&
	{ [ "${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}" != 0 ] ||
		[ "${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}" != 0 ]; }; then
	"$LIMA_CIDATA_MNT/boot.Linux/09-host-dns-setup.sh" || rc=1
fi
exit "$rc"
