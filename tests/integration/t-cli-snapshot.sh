#!/bin/sh
# clima: limactl snapshot on a stopped instance (real qemu-img) and on a
# "running" one (a fake QMP socket answering HMP commands), then
# limactl autostart enable/disable under a private XDG_CONFIG_HOME.
# Back-quotes and $ in single quotes below are literal text, on purpose.
# shellcheck disable=SC2016
set -eu
. "$top_srcdir/tests/integration/lib.sh"

img="$T_TMP/base.qcow2"
qemu-img create -q -f qcow2 "$img" 64M
cat >"$T_TMP/t.yaml" <<YAML
images:
- location: "$img"
  arch: x86_64
mounts: []
YAML
lc create --name=snap "$T_TMP/t.yaml"
t_rc 0 "create"
dir="$LIMA_HOME/snap"
if [ ! -e "$dir/disk" ]; then
	qemu-img create -q -f qcow2 "$dir/disk" 64M
fi

# --- stopped: qemu-img --------------------------------------------------------
lc snapshot list snap
t_rc 0 "list without snapshots"
t_is "$(out)" "" "nothing listed"
t_grep err '`limactl snapshot` is experimental' "experimental warning"

lc snapshot create snap
t_rc 1 "create without a tag"
t_grep err "expected tag" "missing tag message"
lc snapshot create snap --tag one
t_rc 0 "create --tag one"
lc snapshot save snap --tag two
t_rc 0 "save (alias) --tag two"

lc snapshot list snap
t_rc 0 "list"
t_is "$(out | head -n 1 | awk '{print $1, $2}')" "ID TAG" \
    "qemu-img's table without 'Snapshot list:'"
t_is "$(out | wc -l)" 3 "header and two snapshots"
lc snapshot ls snap -q
t_is "$(out)" "one
two" "list -q prints the tags"

lc snapshot apply snap --tag one
t_rc 0 "apply one"
lc snapshot load snap --tag nosuch
t_rc 1 "apply a missing tag"
t_grep err "failed to run [qemu-img snapshot -a nosuch $dir/disk]: stdout=\\\"\\\", stderr=\\\"qemu-img: Could not apply snapshot 'nosuch'" \
    "qemu-img failure in Lima's form"
lc snapshot delete snap --tag one
t_rc 0 "delete one"
lc snapshot del snap --tag two
t_rc 0 "del (alias) two"
lc snapshot list snap -q
t_is "$(out)" "" "all deleted"
lc snapshot list nosuch
t_rc 1 "unknown instance"
lc snapshot delete snap
t_grep err "expected tag" "delete needs a tag"

# --- running: HMP over QMP ----------------------------------------------------
cat >"$T_TMP/qmp.py" <<'PY'
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(4)
snaps = []
def hmp(line):
    words = line.split(" ", 1)
    if words[0] == "savevm":
        snaps.append(words[1])
        return ""
    if words[0] in ("loadvm", "delvm"):
        if words[1] not in snaps:
            return "Error: Snapshot '%s' does not exist\r\n" % words[1]
        if words[0] == "delvm":
            snaps.remove(words[1])
        return ""
    if line == "info snapshots":
        if not snaps:
            return "There is no snapshot available.\r\n"
        out = "List of snapshots present on all disks:\r\n"
        out += "ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\r\n"
        for i, t in enumerate(snaps):
            out += "--        %-17s 0 B 2026-01-01 00:00:00 00:00:00.000 0\r\n" % t
        return out
    return "unknown command: '%s'\r\n" % words[0]
while True:
    c, _ = s.accept()
    f = c.makefile("rwb")
    f.write(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
    f.flush()
    for raw in f:
        msg = json.loads(raw)
        if msg.get("execute") == "human-monitor-command":
            # An event first: the client must skip it.
            f.write(b'{"event": "RESUME", "timestamp": {}}\r\n')
            r = hmp(msg["arguments"]["command-line"])
            f.write(json.dumps({"return": r}).encode() + b"\r\n")
        elif msg.get("execute") == "qmp_capabilities":
            f.write(b'{"return": {}}\r\n')
        else:
            f.write(b'{"error": {"class": "CommandNotFound", "desc": "nope"}}\r\n')
        f.flush()
    c.close()
PY
cat >"$T_TMP/ha.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
body = b'{"sshLocalPort":2222}'
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY
pids=""
t_snap_cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	t_cleanup
}
trap t_snap_cleanup EXIT INT TERM
python3 "$T_TMP/qmp.py" "$dir/qmp.sock" &
pids="$pids $!"
python3 "$T_TMP/ha.py" "$dir/ha.sock" &
pids="$pids $!"
sleep 600 &
pids="$pids $!"
echo $! >"$dir/ha.pid"
sleep 600 &
pids="$pids $!"
echo $! >"$dir/qemu.pid"
i=0
while { [ ! -S "$dir/qmp.sock" ] || [ ! -S "$dir/ha.sock" ]; } &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
lc list snap --format '{{.Status}}'
t_is "$(out)" "Running" "instance looks Running"

lc snapshot list snap
t_rc 0 "running: list"
t_is "$(out)" "" "running: nothing listed"
t_grep err "Sending HMP info command" "running: goes through HMP"
lc snapshot create snap --tag live
t_rc 0 "running: savevm"
t_grep err "Sending HMP savevm command" "running: savevm message"
lc snapshot list snap
t_is "$(out | head -n 1 | awk '{print $1, $2}')" "ID TAG" \
    "running: table without the HMP title"
lc snapshot list snap -q
t_is "$(out)" "live" "running: list -q"
lc snapshot apply snap --tag nosuch
t_rc 1 "running: loadvm of a missing tag"
t_grep err "Error: Snapshot 'nosuch' does not exist" \
    "running: HMP output is the error"
lc snapshot apply snap --tag live
t_rc 0 "running: loadvm"
lc snapshot delete snap --tag live
t_rc 0 "running: delvm"
lc snapshot list snap -q
t_is "$(out)" "" "running: deleted"
rm -f "$dir/qmp.sock"
lc snapshot list snap
t_rc 1 "running: no QMP socket"
t_grep err "qmp.sock" "running: names the socket"

# --- autostart ----------------------------------------------------------------
XDG_CONFIG_HOME="$T_TMP/xdg"
export XDG_CONFIG_HOME
unit="$XDG_CONFIG_HOME/systemd/user/lima-vm@snap.service"
lc autostart enable snap
t_rc 0 "autostart enable"
test -f "$unit"
t_ok $? "unit written"
t_grep err 'Instance `snap` registered to start at login' "enable message"
exe=$(cd "$top_builddir/cli" && pwd -P)/limactl
grep -qxF "ExecStart=$exe start %i --foreground" "$unit"
t_ok $? "ExecStart is the absolute limactl"
for l in "WorkingDirectory=%h" "Type=simple" "TimeoutSec=10" \
    "Restart=on-failure" "WantedBy=default.target" \
    "Environment=LIMA_HOME=$LIMA_HOME"; do
	grep -qxF "$l" "$unit"
	t_ok $? "unit has $l"
done
grep -q '^Description=' "$unit"
t_ok $? "unit has a Description"
t_is "$(stat -c %a "$unit")" 644 "unit mode 0644"
lc autostart disable snap
t_rc 0 "autostart disable"
test ! -e "$unit"
t_ok $? "unit removed"
t_grep err 'Instance `snap` unregistered from start at login' \
    "disable message"
lc autostart disable snap
t_grep err 'Instance `snap` is not registered for automatic startup' \
    "disable again"
lc autostart enable nosuch
t_rc 1 "enable an unknown instance"
t_grep err 'instance \"nosuch\" not found' "unknown instance message"
lc autostart enable --condition=boot snap
t_rc 1 "--condition=boot"
lc start-at-login snap
t_rc 0 "start-at-login"
t_grep err 'Command "start-at-login" is deprecated' "deprecation notice"
test -f "$unit"
t_ok $? "start-at-login writes the unit"
lc start-at-login --enabled=false snap
test ! -e "$unit"
t_ok $? "start-at-login --enabled=false removes it"

t_done
