#!/bin/sh
# clima: journald keeps the logs of system users (uid < 1000) in the
# system journal only; put such a user in systemd-journal so that
# `journalctl --user` and friends still work.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

[ "$LIMA_CIDATA_UID" -lt 1000 ] || exit 0
getent group systemd-journal >/dev/null 2>&1 || exit 0
if id -nG "$LIMA_CIDATA_USER" | tr ' ' '\n' | grep -qx systemd-journal; then
	exit 0
fi
lima_log "Adding $LIMA_CIDATA_USER to group systemd-journal"
if lima_have usermod; then
	usermod -aG systemd-journal "$LIMA_CIDATA_USER"
else
	addgroup "$LIMA_CIDATA_USER" systemd-journal
fi
