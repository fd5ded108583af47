#!/bin/sh
# clima: every shell script of the tree (the guest's boot scripts, the
# tests, scripts/, bench/, .ci/, the lima wrappers) passes shellcheck:
# warnings and errors.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

if ! command -v shellcheck >/dev/null 2>&1; then
	echo "1..0 # SKIP shellcheck is not installed"
	exit 0
fi
cd "$top_srcdir"
for f in $(find boot tests scripts bench .ci cli -type f \
    \( -name '*.sh' -o -path '.ci/*' -o -name lima -o -name '*.lima' \) |
    LC_ALL=C sort); do
	run shellcheck -x -S warning -P boot/util "$f"
	t_rc 0 "shellcheck $f"
done
t_done
