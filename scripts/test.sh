#!/bin/sh
# clima: the whole test suite, from a fresh clone on Debian 12.
# Installs the dependencies, then builds and runs `make check` twice: once
# with -Werror, once with ASan+UBSan.  Prints "N passed, N failed" last.
# Usage: scripts/test.sh            (as root, or as a user with sudo)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/install-deps.sh" --test

# The end-to-end tests boot a real guest built from Debian packages.
if [ "$(id -u)" -eq 0 ]; then
	echo "== guest image (cached after the first build)"
	"$top/scripts/build-guest-image.sh" >/dev/null
fi

autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
builds=${CLIMA_TEST_BUILDS:-werror sanitizers}
pass=0
fail=0
rc=0
for b in $builds; do
	dir="$top/_build/$b"
	mkdir -p "$dir"
	case "$b" in
	werror) flags=--enable-werror ;;
	sanitizers) flags="--enable-sanitizers" ;;
	*) echo "unknown build $b" >&2; exit 2 ;;
	esac
	echo "== $b build: configure $flags"
	(cd "$dir" && "$top/configure" -q $flags)
	make -C "$dir" -s -j"$(nproc)"
	echo "== $b build: make check"
	if ! make -C "$dir" -s -j"$(nproc)" check; then
		rc=1
		cat "$dir/test-suite.log" || true
	fi
	if [ -f "$dir/test-suite.log" ]; then
		p=$(sed -n 's/^# PASS: *//p' "$dir/test-suite.log")
		f=$(sed -n 's/^# FAIL: *//p' "$dir/test-suite.log")
		e=$(sed -n 's/^# ERROR: *//p' "$dir/test-suite.log")
		x=$(sed -n 's/^# XPASS: *//p' "$dir/test-suite.log")
		pass=$((pass + ${p:-0}))
		fail=$((fail + ${f:-0} + ${e:-0} + ${x:-0}))
	else
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
exit $rc
