#!/bin/sh
# clima: let ssh sessions carry COLORTERM from the host terminal, so that
# `limactl shell` keeps true-colour output.  Touches sshd only when the
# setting is missing.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

conf=/etc/ssh/sshd_config
[ -f "$conf" ] || exit 0
grep -q '^AcceptEnv.*COLORTERM' "$conf" && exit 0
if [ -d /etc/ssh/sshd_config.d ] &&
	grep -q '^Include /etc/ssh/sshd_config.d/\*\.conf' "$conf"; then
	drop=/etc/ssh/sshd_config.d/99-lima-colorterm.conf
	[ -f "$drop" ] && exit 0
	echo 'AcceptEnv COLORTERM' >"$drop.lima-tmp"
	mv -f "$drop.lima-tmp" "$drop"
else
	{
		cat "$conf"
		echo 'AcceptEnv COLORTERM'
	} >"$conf.lima-tmp"
	chmod 0644 "$conf.lima-tmp"
	mv -f "$conf.lima-tmp" "$conf"
fi
# A reload keeps existing connections.
if lima_is_systemd; then
	systemctl reload ssh >/dev/null 2>&1 ||
		systemctl reload sshd >/dev/null 2>&1 || :
elif lima_have rc-service; then
	rc-service sshd reload >/dev/null 2>&1 || :
fi
