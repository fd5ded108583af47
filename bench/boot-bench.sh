#!/bin/sh
# clima benchmark: what limactl adds to a boot, measured in one run.
#
# 1. Bare QEMU: the hostagent's own QEMU command line and cidata.iso, on
#    a pristine copy of the disk, with an ssh poll every 50 ms until
#    /run/lima-boot-done holds the boot's IID (the baseline).
# 2. limactl start on a pristine disk, until READY.
# Then limactl stop.  Printed: both boot times and their difference (noisy:
# guest boots vary by seconds under TCG), and the overheads measured
# directly from timestamps of the same run:
#   start -> QEMU spawned      (hostagent set-up before QEMU runs)
#   marker -> READY            (guest ctime of /run/lima-boot-done to the
#                               running event; target <= 100 ms)
#   QEMU exit -> stop returns  (target <= 100 ms)
#   hostagent RSS when idle    (target <= 4 MiB)
# Usage: bench/boot-bench.sh [IMAGE]   (as root; builds the image if needed)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
LIMACTL=${LIMACTL:-$top/_build/werror/cli/limactl}
IMG=${1:-/var/cache/lima-test-guest/clima-debian-12/clima-debian-12.qcow2}
[ -x "$LIMACTL" ] || { echo "bench: build first (scripts/test.sh or make)" >&2; exit 1; }
[ -f "$IMG" ] || "$top/scripts/build-guest-image.sh" "$(dirname "$IMG")"

T=$(mktemp -d /tmp/clima-bench.XXXXXX)
trap '"$LIMACTL" stop -f bench >/dev/null 2>&1 || true; [ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null; rm -rf "$T"' EXIT
LIMA_HOME=$T/home XDG_CACHE_HOME=$T/cache
export LIMA_HOME XDG_CACHE_HOME
if [ ! -d "$(dirname "$LIMACTL")/../share/lima" ] && [ -z "${CLIMA_SHARE_DIR:-}" ]; then
	mkdir -p "$T/share/lima"
	ln -s "$top/templates" "$T/share/lima/templates"
	ln -s "$top/boot" "$T/share/lima/boot"
	CLIMA_SHARE_DIR=$T/share/lima
	export CLIMA_SHARE_DIR
fi
now() { date +%s.%N; }

cat >"$T/bench.yaml" <<YAML
images:
- location: "$IMG"
  arch: x86_64
cpus: 2
memory: 1GiB
disk: 4GiB
mounts: []
containerd: {system: false, user: false}
YAML
"$LIMACTL" --tty=false create --name=bench "$T/bench.yaml" 2>/dev/null
dir=$LIMA_HOME/bench
cp --sparse=always "$dir/disk" "$T/pristine"

# --- limactl start ------------------------------------------------------------
t0=$(now)
"$LIMACTL" --debug start bench 2>"$T/start.err"
t1=$(now)
lima_total=$(python3 -c "print('%.2f' % ($t1 - $t0))")
hapid=$(cat "$dir/ha.pid")
sleep 2
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$hapid/status")
# The marker's appearance is on the guest clock: its ctime (set by the
# rename that makes it appear; its mtime is the earlier write of the temp
# file).  The clock offset comes from the push channel the hostagent
# listens on: the guest reads its clock and writes it to the virtio port
# at once; the hostagent logs the line's arrival (host clock, ns).  Each
# sample's host-minus-guest is the offset plus the guest's own delay
# between reading the clock and the write; the smallest is kept, and
# that delay is bounded by timing the same steps in the guest.
cat >"$T/clock.sh" <<'EOS'
port=/dev/virtio-ports/io.lima-vm.guest_agent.0
push() { printf '{"type":"clock","phase":"%s"}\n' "$1" >"$port"; }
stat -c %.Z /run/lima-boot-done
for i in 1 2 3 4 5 6 7 8 9 10; do push "$(date +%s.%N)"; done
a=$(date +%s.%N)
push "$a"
b=$(date +%s.%N)
echo "$a $b"
EOS
ssh -F "$dir/ssh.config" "lima-bench" sudo sh -s <"$T/clock.sh" >"$T/guest"
sleep 0.5
"$LIMACTL" stop bench 2>/dev/null
t3=$(now)
python3 - "$dir" "$t0" "$T/guest" "$t3" >"$T/lima.txt" <<'PY'
import json, sys, datetime
d, t0, guest, stop_ret = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
glines = open(guest).read().split("\n")
ctime = float(glines[0])
a, b = [float(x) for x in glines[1].split()]
def ts(s):
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        frac = "".join(c for c in rest if c.isdigit())
        tz = rest[len(frac):]
        s = head + "." + frac[:6].ljust(6, "0") + tz
    return datetime.datetime.fromisoformat(s).timestamp()
spawn = exited = pushed = offset = None
for line in open(d + "/ha.stderr.log"):
    r = json.loads(line)
    if r["msg"].startswith("ha_job_start: started qemu") and spawn is None:
        spawn = ts(r["time"])
    if r["msg"].startswith("QEMU has exited"):
        exited = ts(r["time"])
    if r["msg"].endswith("the guest pushed boot-done"):
        pushed = ts(r["time"])
    if "guest says type=clock phase=" in r["msg"]:
        g = float(r["msg"].rsplit("=", 1)[1])
        o = ts(r["time"]) - g
        offset = o if offset is None else min(offset, o)
running = None
for line in open(d + "/ha.stdout.log"):
    e = json.loads(line)
    if e["status"].get("running"):
        running = ts(e["time"])
print("%.3f %.3f %.3f %s %.3f" % (spawn - t0, running - (ctime + offset),
    stop_ret - exited, "%.3f" % (running - pushed) if pushed else "n/a",
    b - a))
PY
read -r pre_qemu marker_ready stop_lat push_ready clock_err <"$T/lima.txt"
python3 - "$dir" >"$T/argv.json" <<'PY'
import json, sys
args = {}
for line in open(sys.argv[1] + "/ha.stderr.log"):
    m = json.loads(line)["msg"]
    if m.startswith("qemu argv["):
        i = int(m[len("qemu argv["):m.index("]")])
        args[i] = m[m.index("]: ") + 3:]
print(json.dumps([args[i] for i in sorted(args)]))
PY
iid=$(isoinfo -R -i "$dir/cidata.iso" -x /meta-data | sed -n 's/^instance-id: //p')

# --- bare QEMU with the same command line on a pristine disk ----------------
cp --sparse=always "$T/pristine" "$dir/disk"
rm -f "$dir"/*.sock "$dir"/*.pid
t0=$(now)
python3 -c 'import json, os, sys
a = json.load(open(sys.argv[1]))
os.execvp(a[0], a)' "$T/argv.json" >/dev/null 2>&1 &
qpid=$!
until [ "$(ssh -F "$dir/ssh.config" -o ControlMaster=no -o ControlPath=none \
    -o ConnectTimeout=2 lima-bench cat /run/lima-boot-done 2>/dev/null)" = "$iid" ]; do
	sleep 0.05
done
t1=$(now)
bare_total=$(python3 -c "print('%.2f' % ($t1 - $t0))")
kill "$qpid"; wait "$qpid" 2>/dev/null || true; qpid=

cat <<REPORT
clima boot benchmark ($(nproc) cores, $(test -r /dev/kvm && echo "kvm?" || echo tcg))
  bare QEMU to boot-done (ssh poll 50 ms):   $bare_total s
  limactl start to READY:                    $lima_total s
  difference (noisy, one boot each):         $(python3 -c "print('%+.2f' % ($lima_total - $bare_total))") s
  measured overheads in the limactl run:
    start -> QEMU spawned:                   $pre_qemu s
    boot-done marker -> READY event:         $marker_ready s   (target <= 0.100; marker ctime on the guest clock, offset from
                                                     pushes over the virtio port; may read up to $clock_err s short)
    boot-done push arrives -> READY event:   $push_ready s   (host clock; negative: READY came first)
    QEMU exit -> limactl stop returns:       $stop_lat s   (target <= 0.100)
    hostagent RSS when idle:                 $rss KiB   (target <= 4096)
  ratio limactl/bare:                        $(python3 -c "print('%.3f' % ($lima_total / $bare_total))")
REPORT
