#!/bin/sh
# clima: the main job on a fresh Debian 12 machine, offline but for
# Debian's mirror: install the dependencies, build, install under $PREFIX
# (default /usr/local), build a small Debian guest image from Debian
# packages, create an instance from it, start it and run a command inside.
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
if [ -z "$image" ]; then
	# A small Debian 12 guest built locally from Debian packages (no
	# cloud image download needed); cached under /var/cache.
	gdir=/var/cache/lima-test-guest/clima-debian-12
	SUDO_B=
	[ "$(id -u)" -ne 0 ] && SUDO_B=sudo
	echo "== building the guest image in $gdir (a few minutes, once)"
	$SUDO_B "$top/scripts/build-guest-image.sh" "$gdir"
	image=$gdir/clima-debian-12.qcow2
fi

if "$LIMACTL" list -q 2>/dev/null | grep -qx "$NAME"; then
	echo "== instance $NAME exists already"
else
	"$LIMACTL" --tty=false create --name="$NAME" --set '.cpus = 2' \
	    --set '.memory = "1GiB"' --set '.disk = "4GiB"' \
	    --set '.mounts = []' --containerd none "$image"
fi
"$LIMACTL" start "$NAME"
"$LIMACTL" shell "$NAME" uname -a
"$LIMACTL" list
echo "== done: \`$LIMACTL shell $NAME\` opens a shell, \`$LIMACTL stop $NAME\` stops it"
