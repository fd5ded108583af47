#!/bin/sh
# clima: Alpine only.  The user's login shell is often /bin/bash (copied
# from the host); without bash installed, give it a /bin/bash that runs
# busybox ash so that logins and `limactl shell` work.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

lima_is_alpine || exit 0
[ -e /bin/bash ] && exit 0
lima_log "Making /bin/bash run /bin/ash"
printf '#!/bin/ash\nexec /bin/ash "$@"\n' >/bin/bash.lima-tmp
chmod 0755 /bin/bash.lima-tmp
mv -f /bin/bash.lima-tmp /bin/bash
grep -qx /bin/bash /etc/shells 2>/dev/null || echo /bin/bash >>/etc/shells
