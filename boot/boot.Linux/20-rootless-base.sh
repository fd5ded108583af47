#!/bin/sh
# clima: what rootless containers need from root, when containerd runs as
# the user: subordinate uid/gid ranges for the user, unprivileged ping
# and low ports, and a user manager that outlives logins (linger), so
# that the user's containerd starts at boot without anyone logged in.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

[ -n "${LIMA_CIDATA_CONTAINERD_ARCHIVE:-}" ] || exit 0
[ "${LIMA_CIDATA_CONTAINERD_USER:-}" = 1 ] || exit 0
# Without systemd 40-install-containerd.sh installs nothing: no ranges
# or sysctls for a rootless containerd that will not run.
lima_is_systemd || exit 0
user=$LIMA_CIDATA_USER

# One 64 Ki range per file, added only when the user has none.
for f in /etc/subuid /etc/subgid; do
	if ! grep -q "^$user:" "$f" 2>/dev/null &&
		! grep -q "^$LIMA_CIDATA_UID:" "$f" 2>/dev/null; then
		lima_log "Adding a subordinate range for $user to $f"
		printf '%s:524288:65536\n' "$user" >>"$f"
	fi
done

conf=/etc/sysctl.d/99-lima-rootless.conf
mkdir -p /etc/sysctl.d
cat >"$conf.lima-tmp" <<EOT
# clima: written by cidata's 20-rootless-base.sh at every boot.
net.ipv4.ping_group_range = 0 2147483647
net.ipv4.ip_unprivileged_port_start = 0
EOT
mv -f "$conf.lima-tmp" "$conf"
sysctl -q -p "$conf" >/dev/null 2>&1 || lima_warn "sysctl -p $conf failed"

loginctl enable-linger "$user" || lima_warn "enable-linger failed"
