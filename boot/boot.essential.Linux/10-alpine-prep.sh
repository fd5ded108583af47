#!/bin/sh
# clima: Alpine only.  Enables the community repository and installs
# sudo when missing, unlocks the user (sshd refuses a locked account even
# for keys), lets sshd forward TCP, and starts acpid so that a QMP
# powerdown shuts the guest down.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

lima_is_alpine || exit 0

if ! lima_have sudo; then
	if [ -f /etc/apk/repositories ] &&
		grep -q '^#.*/community$' /etc/apk/repositories; then
		sed 's|^#\(.*/community\)$|\1|' /etc/apk/repositories \
			>/etc/apk/repositories.lima-tmp
		mv -f /etc/apk/repositories.lima-tmp /etc/apk/repositories
	fi
	lima_pkg_install sudo || lima_warn "could not install sudo"
fi

# "!" in the password field locks the account; "*" only disables passwords.
# (Not busybox's `passwd -u`: it turns a bare "!" into an empty password.)
if awk -F: -v u="$LIMA_CIDATA_USER" '$1 == u && $2 ~ /^!/ { f = 1 }
	END { exit !f }' /etc/shadow; then
	lima_log "Unlocking $LIMA_CIDATA_USER for public key logins"
	usermod -p '*' "$LIMA_CIDATA_USER" 2>/dev/null ||
		printf '%s:*\n' "$LIMA_CIDATA_USER" | chpasswd -e ||
		lima_warn "could not unlock $LIMA_CIDATA_USER"
fi

conf=/etc/ssh/sshd_config
if [ -f "$conf" ] && grep -q '^AllowTcpForwarding[[:space:]]*no' "$conf"
then
	sed 's/^AllowTcpForwarding[[:space:]]*no/AllowTcpForwarding yes/' \
		"$conf" >"$conf.lima-tmp"
	mv -f "$conf.lima-tmp" "$conf"
	rc-service sshd reload >/dev/null 2>&1 || :
fi

if lima_have rc-update && [ -e /etc/init.d/acpid ]; then
	rc-update add acpid default >/dev/null 2>&1 || :
	rc-service acpid start >/dev/null 2>&1 || :
fi
