#!/bin/sh
# clima: Alpine (OpenRC) mounts the cgroup hierarchy only when its cgroups
# service runs; containers and the guest agent's view of them need it.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

lima_is_alpine || exit 0
[ -e /etc/init.d/cgroups ] || exit 0
rc-update add cgroups boot >/dev/null 2>&1 || :
rc-service cgroups start >/dev/null 2>&1 || :
