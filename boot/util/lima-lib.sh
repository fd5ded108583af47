# shellcheck shell=sh
# clima: helpers shared by boot.sh and the boot modules (sourced, POSIX sh).
# Logging in the "LIMA <time>| message" form that lands in
# cloud-init-output.log, reading KEY=VALUE files, making directories
# owned by the user, and installing packages with the guest's manager.

# lima_log MESSAGE...: one progress line on stdout.
lima_log() {
	printf 'LIMA %s| %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

# lima_warn MESSAGE...: the same, marked as a warning.  (cloud-init
# sends our stdout and stderr to the same log: print once.)
lima_warn() {
	lima_log "WARNING: $*"
}

# lima_have CMD: is CMD on PATH?
lima_have() {
	command -v "$1" >/dev/null 2>&1
}

# lima_var NAME: prints the value of the variable called NAME ("" if unset).
lima_var() {
	eval "printf '%s' \"\${$1:-}\""
}

# lima_is_systemd: is systemd running as init?
lima_is_systemd() {
	[ -d /run/systemd/system ]
}

# lima_export_file FILE: exports each KEY=VALUE line, pam_env style.
# Comments, blank lines and invalid names are skipped; values are raw.
lima_export_file() {
	[ -r "$1" ] || return 0
	while IFS= read -r lima_line || [ -n "$lima_line" ]; do
		case $lima_line in
		'' | '#'*) continue ;;
		*=*) ;;
		*) continue ;;
		esac
		case ${lima_line%%=*} in
		'' | [0-9]* | *[!A-Za-z0-9_]*) continue ;;
		esac
		# shellcheck disable=SC2163 # the line is NAME=VALUE
		export "$lima_line"
	done <"$1"
	unset lima_line
}

# lima_param_names: the PARAM_ variables, comma-separated (for sudo).
lima_param_names() {
	env | sed -n 's/^\(PARAM_[A-Za-z0-9_]*\)=.*/\1/p' | tr '\n' ',' |
		sed 's/,$//'
}

# lima_mkdir_owned DIR OWNER: mkdir -p DIR; chowns what it created.
lima_mkdir_owned() {
	lima_top=$1
	while [ ! -e "$lima_top" ] && [ ! -e "$(dirname "$lima_top")" ]; do
		lima_top=$(dirname "$lima_top")
	done
	if [ -e "$lima_top" ]; then
		unset lima_top
		return 0
	fi
	mkdir -p "$1" || return 1
	chown -R "$2" "$lima_top"
	lima_rc=$?
	unset lima_top
	return $lima_rc
}

# lima_write_marker FILE: writes the IID to FILE, atomically, then tells
# the hostagent at once through the virtio-serial port (clima's push
# channel, docs/PROTOCOL-guestagent.md) so it need not poll for it.
lima_write_marker() {
	printf '%s\n' "$LIMA_CIDATA_IID" >"$1.tmp" && mv -f "$1.tmp" "$1" ||
		return 1
	_phase=${1##*/}
	lima_push "${_phase#lima-}"
	return 0
}

# lima_push PHASE: one JSON line to the hostagent; never blocks the boot.
# A write with nobody on the host side would block, so it runs in a
# background subshell (a fork, no exec: forks are what is slow under TCG).
lima_push() {
	_port=/dev/virtio-ports/${LIMA_CIDATA_VIRTIO_PORT:-}
	if [ -n "${LIMA_CIDATA_VIRTIO_PORT:-}" ] && [ -c "$_port" ]; then
		(printf '%s\n' \
		    "{\"type\":\"boot\",\"phase\":\"$1\",\"iid\":\"$LIMA_CIDATA_IID\"}" \
		    >"$_port") 2>/dev/null &
	fi
}

# lima_pkg_install PKG...: installs packages with whatever the guest has.
lima_pkg_install() {
	lima_log "Installing packages: $*"
	if lima_have apt-get; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y --no-install-recommends "$@" ||
			{ apt-get update && apt-get install -y \
				--no-install-recommends "$@"; }
	elif lima_have dnf; then
		dnf install -y "$@"
	elif lima_have yum; then
		yum install -y "$@"
	elif lima_have pacman; then
		pacman -Sy --noconfirm --needed "$@"
	elif lima_have zypper; then
		zypper --non-interactive install -y "$@"
	elif lima_have apk; then
		# No index until `apk update` (cloud images ship none, and
		# 10-alpine-prep may just have enabled community).
		apk add "$@" || { apk update && apk add "$@"; }
	else
		lima_warn "no known package manager to install $*"
		return 1
	fi
}

# lima_is_alpine: is this Alpine Linux?
lima_is_alpine() {
	[ -f /etc/alpine-release ]
}
