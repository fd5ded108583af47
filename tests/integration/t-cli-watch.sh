#!/bin/sh
# clima: limactl watch follows ha.stdout.log of instances (no VM).
set -eu
. "$top_srcdir/tests/integration/lib.sh"

mkdir -p "$LIMA_HOME/a"
now() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
old='{"time":"2020-01-01T00:00:00Z","status":{"sshLocalPort":1}}'
echo "$old" >"$LIMA_HOME/a/ha.stdout.log"

"$LIMACTL" watch >"$T_TMP/w.out" 2>"$T_TMP/w.err" &
wpid=$!
i=0
until grep -q 'Watching for events' "$T_TMP/w.err" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.05
done
t=$(now)
echo "{\"time\":\"$t\",\"status\":{\"sshLocalPort\":4444}}" >>"$LIMA_HOME/a/ha.stdout.log"
echo "{\"time\":\"$t\",\"status\":{\"running\":true,\"degraded\":true,\"errors\":[\"boom\"],\"sshLocalPort\":4444}}" >>"$LIMA_HOME/a/ha.stdout.log"
mkdir -p "$LIMA_HOME/b"
sleep 0.3
echo "{\"time\":\"$t\",\"status\":{\"exiting\":true}}" >>"$LIMA_HOME/b/ha.stdout.log"
i=0
until grep -q 'b | exiting' "$T_TMP/w.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.05
done
kill -INT "$wpid"
wait "$wpid" || true
cp "$T_TMP/w.out" "$T_TMP/out"
t_grep out 'a | ssh available on port 4444' "ssh port event"
t_grep out 'a | error: boom' "errors"
t_grep out 'a | running (degraded)' "degraded running"
t_grep out 'b | exiting' "an instance created while watching is picked up"
t_nogrep out 'port 1' "events from before watching are skipped"

: >"$T_TMP/j.out"
"$LIMACTL" watch --json --history a >"$T_TMP/j.out" 2>/dev/null &
wpid=$!
i=0
until [ "$(wc -l <"$T_TMP/j.out")" -ge 3 ]; do
	i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.05
done
kill -INT "$wpid"
wait "$wpid" || true
cp "$T_TMP/j.out" "$T_TMP/out"
t_is "$(head -n 1 "$T_TMP/out")" "{\"instance\":\"a\",\"event\":$old}" \
    "--json --history replays old events as {instance, event}"
t_is "$(wc -l <"$T_TMP/out" | tr -d ' ')" 3 "every event of the file"

t_done
