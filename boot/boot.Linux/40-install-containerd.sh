#!/bin/sh
# clima: containerd and nerdctl from the nerdctl-full archive cidata
# carries: unpacked into <prefix> when it changed, then run as system
# services (containerd.system) and/or as the user's rootless services
# (containerd.user).  Needs systemd, as Lima's does.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

[ -n "${LIMA_CIDATA_CONTAINERD_ARCHIVE:-}" ] || exit 0
archive=$LIMA_CIDATA_MNT/$LIMA_CIDATA_CONTAINERD_ARCHIVE
if [ ! -f "$archive" ]; then
	lima_warn "$archive is missing"
	exit 1
fi
if ! lima_is_systemd; then
	lima_warn "containerd needs systemd; not installing it"
	exit 0
fi
prefix=${LIMA_CIDATA_GUEST_INSTALL_PREFIX:-/usr/local}

# The archive's checksum is kept beside what it unpacked: a new archive
# (a new Lima or a changed containerd.archives) is unpacked again.
stamp=$prefix/share/lima/nerdctl-full.cksum
sum=$(cksum <"$archive")
unpacked=
if [ ! -x "$prefix/bin/nerdctl" ] || [ ! -f "$stamp" ] ||
	[ "$(cat "$stamp")" != "$sum" ]; then
	lima_log "Unpacking $archive into $prefix"
	mkdir -p "$prefix/share/lima"
	tar -C "$prefix" -xzf "$archive"
	printf '%s\n' "$sum" >"$stamp.lima-tmp"
	mv -f "$stamp.lima-tmp" "$stamp"
	systemctl daemon-reload
	unpacked=1
fi

# install_config PATH TEXT: writes PATH unless it exists (the user's).
install_config() {
	[ -e "$1" ] && return 0
	mkdir -p "$(dirname "$1")"
	printf '%s\n' "$2" >"$1.lima-tmp"
	mv -f "$1.lima-tmp" "$1"
}

# have_unit NAME: the unpacked archive ships NAME.service.
have_unit() {
	[ -f "$prefix/lib/systemd/system/$1.service" ]
}

if [ "${LIMA_CIDATA_CONTAINERD_SYSTEM:-}" = 1 ]; then
	install_config /etc/containerd/config.toml 'version = 2
# clima: the default configuration, plus whatever config.d holds.
imports = ["/etc/containerd/config.d/*.toml"]'
	install_config /etc/buildkit/buildkitd.toml '[worker.oci]
  enabled = false
[worker.containerd]
  enabled = true
  namespace = "default"'
	units=
	for u in containerd buildkit stargz-snapshotter; do
		have_unit "$u" || continue
		units="$units $u"
		# systemd looks in /usr/local only, and the units run
		# /usr/local/bin/...: other prefixes get edited copies in
		# /etc, made again at each boot (a unit of the user's, or
		# a mask, is kept; ours go when the prefix is /usr/local).
		src=$prefix/lib/systemd/system/$u.service
		dst=/etc/systemd/system/$u.service
		if [ -e "$dst" ] && ! grep -q '^# clima: from ' "$dst"; then
			continue
		fi
		if [ "$prefix" = /usr/local ]; then
			rm -f "$dst"
			continue
		fi
		{
			printf '# clima: from %s\n' "$src"
			sed "s|/usr/local/|$prefix/|g" "$src"
		} >"$dst.lima-tmp"
		mv -f "$dst.lima-tmp" "$dst"
	done
	if [ -z "$units" ]; then
		lima_warn "the archive has no containerd.service"
		exit 1
	fi
	systemctl daemon-reload
	# Enabled units may have started before us, on the old binaries:
	# `enable --now` leaves running ones alone.
	if [ -n "$unpacked" ]; then
		# shellcheck disable=SC2086 # a word list
		systemctl try-restart $units
	fi
	lima_log "Starting the system services:$units"
	# shellcheck disable=SC2086 # a word list
	systemctl enable --now $units
fi

if [ "${LIMA_CIDATA_CONTAINERD_USER:-}" = 1 ]; then
	user=$LIMA_CIDATA_USER
	rundir=/run/user/$LIMA_CIDATA_UID
	tool=$prefix/bin/containerd-rootless-setuptool.sh
	if [ ! -x "$tool" ]; then
		lima_warn "$tool is missing from the archive"
		exit 1
	fi
	# The user's manager (linger, 20-rootless-base.sh) must be up;
	# polled every 0.1 s for at most a minute.
	i=0
	while [ ! -S "$rundir/systemd/private" ] && [ "$i" -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# Where AppArmor restricts unprivileged user namespaces (Ubuntu
	# 23.10 and later), rootlesskit needs a profile that allows them.
	restrict=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
	if [ "$(cat "$restrict" 2>/dev/null)" = 1 ] &&
		lima_have apparmor_parser; then
		rk=$prefix/bin/rootlesskit
		prof=/etc/apparmor.d/clima-rootlesskit
		cat >"$prof.lima-tmp" <<EOT
# clima: written by cidata's 40-install-containerd.sh at every boot.
abi <abi/4.0>,
include <tunables/global>

profile clima-rootlesskit "$rk" flags=(unconfined) {
  userns,
}
EOT
		if ! cmp -s "$prof.lima-tmp" "$prof"; then
			mv -f "$prof.lima-tmp" "$prof"
			apparmor_parser -r "$prof" ||
				lima_warn "could not load $prof"
		else
			rm -f "$prof.lima-tmp"
		fi
	fi
	# PATH through env: sudo -i runs a login shell, and its profile
	# may set PATH again (Debian's /etc/profile does).
	as_user() {
		sudo -iu "$user" "XDG_RUNTIME_DIR=$rundir" env \
			"PATH=$prefix/bin:$prefix/sbin:/usr/bin:/bin:/usr/sbin:/sbin" \
			"$@"
	}
	if ! as_user systemctl --user is-active -q containerd.service; then
		lima_log "Setting up rootless containerd for $user"
		as_user "$tool" install
	elif [ -n "$unpacked" ]; then
		# (the user's buildkit is PartOf containerd: restarted too)
		lima_log "Restarting rootless containerd for $user"
		as_user systemctl --user restart containerd.service
	fi
	# With CONTAINERD_NAMESPACE set the tool names the unit after it.
	if have_unit buildkit && ! as_user systemctl --user is-active -q \
		default-buildkit.service; then
		as_user CONTAINERD_NAMESPACE=default \
			"$tool" install-buildkit-containerd ||
			lima_warn "rootless buildkit was not set up"
	fi
fi
