#!/bin/sh
# clima: what rootless containers need from root, when containerd runs as
# the user: subordinate uid/gid ranges for the user, user namespaces,
# unprivileged ping and low ports, every cgroup controller delegated to
# the user's manager, and a user manager that outlives logins (linger),
# so that the user's containerd starts at boot without anyone logged in.
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
{
	echo "# clima: written by cidata's 20-rootless-base.sh at every boot."
	echo 'net.ipv4.ping_group_range = 0 2147483647'
	echo 'net.ipv4.ip_unprivileged_port_start = 0'
	# Older Debian kernels gate user namespaces behind this one.
	if [ -e /proc/sys/kernel/unprivileged_userns_clone ]; then
		echo 'kernel.unprivileged_userns_clone = 1'
	fi
} >"$conf.lima-tmp"
mv -f "$conf.lima-tmp" "$conf"
sysctl -q -p "$conf" >/dev/null 2>&1 || lima_warn "sysctl -p $conf failed"

# The user's manager gets cpu and io too (systemd delegates only memory
# and pids by default), so that rootless containers can be limited.
drop=/etc/systemd/system/user@.service.d/lima-delegate.conf
want='# clima: written by cidata'"'"'s 20-rootless-base.sh.
[Service]
Delegate=yes'
if [ "$(cat "$drop" 2>/dev/null)" != "$want" ]; then
	mkdir -p "${drop%/*}"
	printf '%s\n' "$want" >"$drop.lima-tmp"
	mv -f "$drop.lima-tmp" "$drop"
	systemctl daemon-reload
fi

loginctl enable-linger "$user" || lima_warn "enable-linger failed"
