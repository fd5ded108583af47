#!/bin/sh
# clima: Alpine only.  Alpine's cloud image ships a user "alpine" with uid
# 1000, which takes the uid Lima's user usually wants: remove it, make
# cloud-init start over and ask boot.sh for a reboot.  Also gives root a
# sudoers entry, which Alpine's sudo package does not always have.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

lima_is_alpine || exit 0

if [ -d /etc/sudoers.d ] && [ ! -e /etc/sudoers.d/00-lima-root ]; then
	echo 'root ALL=(ALL:ALL) ALL' >/etc/sudoers.d/00-lima-root.tmp
	chmod 0440 /etc/sudoers.d/00-lima-root.tmp
	mv -f /etc/sudoers.d/00-lima-root.tmp /etc/sudoers.d/00-lima-root
fi

[ "$LIMA_CIDATA_USER" = alpine ] && exit 0
uid=$(awk -F: '$1 == "alpine" { print $3 }' /etc/passwd)
[ -n "$uid" ] && [ "$uid" = "$LIMA_CIDATA_UID" ] || exit 0
if id "$LIMA_CIDATA_USER" >/dev/null 2>&1; then
	exit 0
fi
lima_log "Removing user alpine (uid $uid) to make room for" \
	"$LIMA_CIDATA_USER"
deluser --remove-home alpine
cloud-init clean --logs
touch "$LIMA_REBOOT_REQUIRED"
