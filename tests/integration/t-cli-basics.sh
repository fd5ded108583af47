#!/bin/sh
# clima: limactl's global behaviour: version, help, usage errors, logging.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

lc --version
t_rc 0 "--version"
t_is "$(out)" "limactl version 2.1.0" "--version prints the version"

lc --help
t_rc 0 "--help"
t_grep out "Basic Commands:" "help has the basic group"
t_grep out "Advanced Commands:" "help has the advanced group"
t_grep out "  create " "help lists create"
t_grep out "  disk " "help lists disk"

lc list --help
t_grep out "Aliases:" "command help shows aliases"
t_grep out "list, ls" "list aliases"
t_grep out "Global Flags:" "command help shows global flags"

lc nosuchcommand
t_rc 1 "unknown command"
t_grep err 'level=fatal msg="unknown command \"nosuchcommand\" for \"limactl\""' \
    "unknown command message"
t_is "$(wc -l <"$T_TMP/err")" 1 "one line on stderr"

lc create a b
t_rc 1 "too many args"
t_grep err '`limactl create` accepts at most 1 arg(s), received 2' \
    "cobra-style args error"

lc delete
t_rc 1 "too few args"
t_grep err 'requires at least 1 arg(s), only received 0' "min args message"

lc list --no-such-flag
t_rc 1 "unknown flag"
t_grep err 'unknown flag: --no-such-flag' "unknown flag message"

lc --log-format json list
t_rc 0 "json log format"
t_grep err '{"level":"warning","msg":"No instance found. Run `limactl create` to create an instance.","time":"' \
    "logrus JSON shape with sorted keys"

lc --log-format xml list
t_rc 1 "bad log format"
t_grep err 'unsupported log-format: `xml`' "bad log format message"

lc --tty=true --yes list
t_rc 1 "--tty with --yes"
t_grep err 'cannot use both --tty and --yes flags at the same time' \
    "--tty/--yes conflict"

lc list
t_grep err 'level=warning msg="No instance found. Run `limactl create` to create an instance."' \
    "text log shape"
t_grep err 'time="' "text log has a time"

lc completion bash
t_rc 0 "completion bash"
printf '%s\n' "$(out)" >"$T_TMP/compl.bash"
bash -n "$T_TMP/compl.bash"
t_ok $? "completion script is valid bash"
t_grep out "complete -F _limactl limactl" "completion registers"
# The generated function completes verbs and instance names.
mkdir -p "$LIMA_HOME/inst1"
echo 'images: [{location: /x.qcow2}]' >"$LIMA_HOME/inst1/lima.yaml"
words=$(PATH="$(dirname "$LIMACTL"):$PATH" bash -c '
	. "$1"
	COMP_WORDS=(limactl cre); COMP_CWORD=1; _limactl; echo "${COMPREPLY[*]}"
	COMP_WORDS=(limactl protect in); COMP_CWORD=2; _limactl; echo "${COMPREPLY[*]}"
' sh "$T_TMP/compl.bash")
case "$words" in
*create*inst1*) t_ok 0 "completion offers verbs and instances" ;;
*) t_ok 1 "completion offers verbs and instances"; echo "# got: $words" ;;
esac

lc completion zsh
t_rc 1 "unsupported shell"

t_done
