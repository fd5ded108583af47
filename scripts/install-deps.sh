#!/bin/sh
# clima: install the build and run-time dependencies on Debian 12 with apt-get.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the e2e tests need)
set -eu

pkgs="build-essential autoconf automake libtool pkg-config
 libevent-dev libyaml-dev libyajl-dev libcurl4-openssl-dev libmbedtls-dev
 libssh-dev libc-ares-dev libjq-dev libonig-dev libisofs-dev
 qemu-system-x86 qemu-utils ovmf openssh-client openssh-sftp-server
 ca-certificates curl xz-utils zstd bzip2 gzip rsync"
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs clang libclang-rt-14-dev shellcheck python3 socat openssh-server mmdebstrap
 e2fsprogs fdisk dosfstools grub-pc-bin grub-efi-amd64-bin xorriso genisoimage
 busybox-static"
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
