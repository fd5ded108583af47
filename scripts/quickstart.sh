#!/bin/sh
# clima: the main job on a fresh Debian 12 machine: install the
# dependencies, build, install under $PREFIX (default /usr/local), and
# create an instance from a local image.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
NAME=${CLIMA_INSTANCE:-demo}
cd "$top"
"$top/scripts/install-deps.sh"

autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p "$top/_build/release"
(cd "$top/_build/release" && "$top/configure" -q --prefix="$PREFIX")
make -C "$top/_build/release" -s -j"$(nproc)"
SUDO=
if [ ! -w "$PREFIX" ] && [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
$SUDO make -C "$top/_build/release" -s install
LIMACTL="$PREFIX/bin/limactl"
echo "== installed $("$LIMACTL" --version) to $PREFIX"

image=${CLIMA_IMAGE:-}
if [ -z "$image" ] &&
    [ -f /var/cache/lima-test-guest/debian-12/debian-12-test.qcow2 ]; then
	image=/var/cache/lima-test-guest/debian-12/debian-12-test.qcow2
fi
if [ -z "$image" ]; then
	image="${XDG_CACHE_HOME:-$HOME/.cache}/clima-quickstart/blank.qcow2"
	mkdir -p "$(dirname "$image")"
	[ -f "$image" ] || qemu-img create -q -f qcow2 "$image" 2G
	echo "== no guest image found: using a blank qcow2 ($image)"
fi

if "$LIMACTL" list -q 2>/dev/null | grep -qx "$NAME"; then
	echo "== instance $NAME exists already"
else
	"$LIMACTL" --tty=false create --name="$NAME" --set '.cpus = 2' \
	    --set '.memory = "1GiB"' --set '.disk = "4GiB"' "$image"
fi
"$LIMACTL" list
