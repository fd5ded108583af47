#!/bin/sh
# clima: provision scripts of mode "dependency" run first (a failure
# stops here); then, unless one of them asked to skip it, install what
# Lima needs and the guest lacks: sshfs for reverse-sshfs mounts, iptables
# for the DNS redirect and the container tools' dependencies.  Nothing is
# installed when all is there.
set -u
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

for f in "$LIMA_CIDATA_MNT"/provision.dependency/*; do
	[ -f "$f" ] || continue
	lima_log "Executing $f"
	if ! "$f"; then
		lima_log "Failed to execute $f"
		exit 1
	fi
done

if [ "${LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION:-}" = 1 ]; then
	lima_log "Skipping the installation of default dependencies"
	exit 0
fi

# containerd is set up only when cidata carries the nerdctl archive, and
# only with systemd (40-install-containerd.sh): nothing to install else.
ctd=
if [ -n "${LIMA_CIDATA_CONTAINERD_ARCHIVE:-}" ] && lima_is_systemd; then
	ctd=1
fi
pkgs=
if [ "${LIMA_CIDATA_MOUNTTYPE:-}" = reverse-sshfs ] &&
	[ "${LIMA_CIDATA_MOUNTS:-0}" -gt 0 ] && ! lima_have sshfs; then
	if lima_have apk; then
		pkgs="$pkgs sshfs"
	elif lima_have dnf || lima_have yum; then
		pkgs="$pkgs fuse-sshfs"
	else
		pkgs="$pkgs sshfs"
	fi
fi
if [ -n "$ctd" ]; then
	lima_have iptables || pkgs="$pkgs iptables"
	lima_have tar || pkgs="$pkgs tar"
elif { [ "${LIMA_CIDATA_UDP_DNS_LOCAL_PORT:-0}" != 0 ] ||
	[ "${LIMA_CIDATA_TCP_DNS_LOCAL_PORT:-0}" != 0 ]; } &&
	! lima_have iptables && ! lima_have nft; then
	# The DNS redirect (09-host-dns-setup; 35 does it again) needs one.
	pkgs="$pkgs iptables"
fi
if [ -n "$ctd" ] && [ "${LIMA_CIDATA_CONTAINERD_USER:-}" = 1 ]; then
	lima_have newuidmap || pkgs="$pkgs uidmap"
	lima_have fusermount3 || pkgs="$pkgs fuse3"
	if lima_have apt-get && [ ! -e /usr/lib/systemd/user/dbus.service ]; then
		pkgs="$pkgs dbus-user-session"
	fi
fi
[ -n "$pkgs" ] || exit 0
# shellcheck disable=SC2086 # a word list
lima_pkg_install $pkgs
