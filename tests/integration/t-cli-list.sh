#!/bin/sh
# clima: limactl list: formats, filters, and status from pid files and
# the ha.sock probe.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

img="$T_TMP/base.qcow2"
qemu-img create -q -f qcow2 "$img" 64M
cat >"$T_TMP/t.yaml" <<YAML
images:
- location: "$img"
  arch: x86_64
cpus: 2
memory: 1GiB
disk: 1GiB
YAML

lc list
t_rc 0 "list with no instances"
t_grep err 'No instance found.' "no instance warning"
t_is "$(out)" "" "no header without instances"

lc create --name=alpha "$T_TMP/t.yaml"
lc create --name=beta --cpus 1 "$T_TMP/t.yaml"

lc list
t_rc 0 "list table"
t_is "$(out | head -n 1)" \
    "NAME     STATUS     SSH            VMTYPE    ARCH      CPUS    MEMORY    DISK    DIR" \
    "table header and column widths as tabwriter"
out | grep -q "^alpha    Stopped    127.0.0.1:0    qemu      x86_64    2       1GiB      1GiB    /"
t_ok $? "table row"

# On a narrow terminal Lima hides the columns that say nothing new:
# VMTYPE (all qemu), ARCH (all the host's), then DIR.  script(1) gives
# limactl a terminal of the width asked for.
if command -v script >/dev/null 2>&1 && [ "$(uname -m)" = x86_64 ]; then
	tty_list() {
		script -qec "stty cols $1 rows 24; \"$LIMACTL\" list $2" \
		    /dev/null </dev/null | tr -d '\r' | head -n 1 | sed 's/ *$//'
	}
	t_is "$(tty_list 200 '')" \
	    "NAME     STATUS     SSH            VMTYPE    ARCH      CPUS    MEMORY    DISK    DIR" \
	    "a wide terminal shows every column"
	t_is "$(tty_list 80 '')" \
	    "NAME     STATUS     SSH            CPUS    MEMORY    DISK    DIR" \
	    "at 80 columns VMTYPE and ARCH go"
	t_is "$(tty_list 72 '')" \
	    "NAME     STATUS     SSH            CPUS    MEMORY    DISK" \
	    "at 72 columns DIR goes too"
	t_is "$(tty_list 72 --all-fields)" \
	    "NAME     STATUS     SSH            VMTYPE    ARCH      CPUS    MEMORY    DISK    DIR" \
	    "--all-fields keeps them"
fi

lc ls -q
t_is "$(out)" "alpha
beta" "ls -q prints names in order"

lc list --json alpha
t_rc 0 "list --json"
out | grep -q '^{"name":"alpha","hostname":"lima-alpha","status":"Stopped","dir":"'
t_ok $? "json key order starts like Lima's"
out | grep -q '"vmType":"qemu","arch":"x86_64","cpus":2,"memory":1073741824,"disk":1073741824,'
t_ok $? "json memory and disk are bytes"
out | grep -q '"protected":false,"limaVersion":"2.1.0"'
t_ok $? "json protected and limaVersion"
t_nogrep out '"sshLocalPort"' "sshLocalPort omitted when 0"
t_is "$(out | wc -l)" 1 "one JSON line per instance"

lc list --format yaml alpha
t_is "$(out | head -n 2)" "---
name: alpha" "yaml documents"

lc list --format '{{.Name}}:{{.Status}}:{{.CPUs}}:{{.Hostname}}'
t_is "$(out)" "alpha:Stopped:2:lima-alpha
beta:Stopped:1:lima-beta" "go template per instance"

lc list --format '{{.Unknown}}'
t_rc 1 "unknown template field"
t_grep err "can't evaluate field Unknown in type store.FormatData" \
    "Go's error text"
t_is "$(out)" "" "nothing on stdout on a template error"

lc list --format '{{json .Param}} {{.Disk | printf "%d"}}' alpha
t_rc 0 "template functions"

lc list --list-fields
t_grep out "SSHLocalPort" "list-fields"

lc list --yq .cpus
t_is "$(out)" "2
1" "--yq"
lc list --yq .name --format table
t_rc 1 "--yq with table"
t_grep err "option --yq only works with --format json or yaml" "--yq message"

lc list --filter '.cpus == 1' -q
t_is "$(out)" "beta" "--filter with -q"
lc list -l '.cpus >= 1' -l '.name == "alpha"' --format '{{.Name}}'
t_is "$(out)" "alpha" "filters are AND-ed"
lc list --format json -q
t_rc 1 "-q only with table"

lc list alpha nosuch
t_rc 1 "unmatched instance"
t_grep err 'No instance matching nosuch found.' "unmatched warning"
t_grep err 'unmatched instances' "unmatched fatal"
t_grep out "alpha" "matched rows still printed"

# --- status from pid files ---------------------------------------------------
sleep 300 &
live=$!
sleep 300 &
live2=$!
# A dead pid: a finished child's.
sh -c 'exit 0' &
dead=$!
wait "$dead" || true

echo "$dead" >"$LIMA_HOME/alpha/ha.pid"
lc list alpha --format '{{.Status}}'
t_is "$(out)" "Stopped" "dead ha.pid means Stopped"
test ! -e "$LIMA_HOME/alpha/ha.pid"
t_ok $? "stale ha.pid removed"

echo "$live" >"$LIMA_HOME/alpha/qemu.pid"
lc list alpha --format '{{.Status}}'
t_is "$(out)" "Broken" "qemu alive without hostagent is Broken"

# A hostagent pid with an ha.sock that answers /v1/info.
cat >"$T_TMP/ha.py" <<'PY'
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
body = b'{"sshLocalPort":45678}'
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY
python3 "$T_TMP/ha.py" "$LIMA_HOME/alpha/ha.sock" &
srv=$!
i=0
while [ ! -S "$LIMA_HOME/alpha/ha.sock" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "$live2" >"$LIMA_HOME/alpha/ha.pid"
lc list alpha
t_grep out "alpha    Running    127.0.0.1:45678" "Running with the port from /v1/info"
lc list alpha --json
t_grep out '"sshLocalPort":45678' "json sshLocalPort"
t_grep out "\"hostAgentPID\":$live2" "json hostAgentPID"
t_grep out "\"driverPID\":$live" "json driverPID"

kill "$srv"
wait "$srv" 2>/dev/null || true
rm -f "$LIMA_HOME/alpha/ha.sock"
lc list alpha --format '{{.Status}}'
t_is "$(out)" "Broken" "hostagent alive but ha.sock silent is Broken"
kill "$live" "$live2"
wait "$live" "$live2" 2>/dev/null || true
lc list alpha --format '{{.Status}}'
t_is "$(out)" "Stopped" "both dead: Stopped"

# --- a directory without lima.yaml ---------------------------------------
mkdir "$LIMA_HOME/probe"
lc list
t_rc 0 "a broken directory is not fatal"
t_grep out "probe    Broken" "listed as Broken"
t_grep err 'instance `probe` has errors' "broken warning"

t_done
