#!/bin/sh
# clima: keeps the #LIMA-START..#LIMA-END block of /etc/environment equal
# to cidata's etc_environment.  When it changes, running sessions of the
# user (an ssh master started before us) would keep the old values, so
# they are ended.  Then sshd may be used: write /run/lima-ssh-ready.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

src=$LIMA_CIDATA_MNT/etc_environment
env=/etc/environment
tmp=$env.lima-tmp
{
	if [ -f "$env" ]; then
		sed '/^#LIMA-START$/,/^#LIMA-END$/d' "$env"
	fi
	cat "$src"
} >"$tmp"
chmod 0644 "$tmp"
if [ -f "$env" ] && cmp -s "$tmp" "$env"; then
	rm -f "$tmp"
else
	mv -f "$tmp" "$env"
	lima_log "Updated the Lima block of $env"
	if lima_have loginctl && lima_is_systemd; then
		loginctl terminate-user "$LIMA_CIDATA_USER" >/dev/null 2>&1 ||
			:
	fi
fi
lima_write_marker /run/lima-ssh-ready
