# shellcheck shell=sh
# clima: TAP helpers for the shell tests (POSIX sh, sourced).
# Each test gets a private LIMA_HOME and HOME-independent cache, removed on
# exit.  Use: . "$top_srcdir/tests/integration/lib.sh"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LIMACTL="$top_builddir/cli/limactl"
export LIMACTL
TAP_N=0
TAP_FAILED=0

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/clima-test.XXXXXX")
LIMA_HOME="$T_TMP/lima"
XDG_CACHE_HOME="$T_TMP/cache"
export LIMA_HOME XDG_CACHE_HOME
# The build tree has no share/lima: point limactl at the source tree.
mkdir -p "$T_TMP/share/lima"
ln -s "$top_srcdir/templates" "$T_TMP/share/lima/templates"
ln -s "$top_srcdir/boot" "$T_TMP/share/lima/boot"
CLIMA_SHARE_DIR="$T_TMP/share/lima"
export CLIMA_SHARE_DIR
unset LIMA_TEMPLATES_PATH LIMA_INSTANCE
# Templates turn containerd on, and creating such an instance fetches the
# nerdctl archive from GitHub: out of reach here.  Off unless a test says.
mkdir -p "$LIMA_HOME/_config"
printf 'containerd:\n  system: false\n  user: false\n' \
    >"$LIMA_HOME/_config/default.yaml"

t_cleanup() {
	if [ -n "${T_KEEP:-}" ]; then
		echo "# kept $T_TMP"
	else
		rm -rf "$T_TMP"
	fi
}
trap t_cleanup EXIT INT TERM

# ok COND_RC DESCRIPTION
t_ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
		if [ -s "$T_TMP/err" ]; then
			sed 's/^/#   stderr: /' "$T_TMP/err" | head -20
		fi
		if [ -s "$T_TMP/out" ]; then
			sed 's/^/#   stdout: /' "$T_TMP/out" | head -20
		fi
	fi
}

# run CMD...: runs with stdout in $T_TMP/out, stderr in $T_TMP/err, rc in $RC.
run() {
	set +e
	"$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
	RC=$?
	set -e
}

# lc ARGS...: run limactl.
lc() {
	run timeout 120 "$LIMACTL" "$@"
}

out() { cat "$T_TMP/out"; }
err() { cat "$T_TMP/err"; }

# is GOT WANT DESCRIPTION
t_is() {
	if [ "$1" = "$2" ]; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

# t_rc WANT DESCRIPTION: checks $RC.
t_rc() {
	t_is "$RC" "$1" "$2 (exit $1)"
}

# t_grep FILE(out|err) PATTERN DESCRIPTION: fixed-string search.
t_grep() {
	if grep -qF -- "$2" "$T_TMP/$1"; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		echo "#   no '$2' in $1"
	fi
}

t_nogrep() {
	if grep -qF -- "$2" "$T_TMP/$1"; then
		t_ok 1 "$3"
		echo "#   unexpected '$2' in $1"
	else
		t_ok 0 "$3"
	fi
}

t_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
