#!/bin/sh
# clima end to end: a real Debian guest under real QEMU (TCG without
# /dev/kvm), served by a local HTTP server, booted by limactl start.  One
# instance carries many checks: READY, the API, shell, markers, list,
# stop, restart, a SIGKILLed hostagent, download errors, and (on the
# third boot) UEFI code from firmware.images, VNC with its password and
# containerd from a nerdctl archive.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

IMGDIR=${CLIMA_GUEST_DIR:-/var/cache/lima-test-guest/clima-debian-12}
IMG=$IMGDIR/clima-debian-12.qcow2
if [ ! -f "$IMG" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP the guest image is missing and building it needs root"
		exit 0
	fi
	echo "# building the guest image (a few minutes, once)"
	"$top_srcdir/scripts/build-guest-image.sh" "$IMGDIR" >"$T_TMP/build.log" 2>&1 ||
		{ tail -20 "$T_TMP/build.log"; exit 1; }
fi
digest=$(cut -d' ' -f1 <"$IMG.sha256")

# A local HTTP server for the image (and a wrong digest), the UEFI code
# (gzipped) and a nerdctl-full archive whose containerd and buildkitd are
# stand-ins: enough for the guest's install script and systemd units.
www=$T_TMP/www
mkdir -p "$www/nerdctl/bin" "$www/nerdctl/lib/systemd/system"
ln -s "$IMG" "$www/clima-debian-12.qcow2"
ovmf=/usr/share/OVMF/OVMF_CODE_4M.fd
gzip -c "$ovmf" >"$www/OVMF_CODE_4M.fd.gz"
printf '#!/bin/sh\necho "nerdctl version 0.0.0-clima-test"\n' \
    >"$www/nerdctl/bin/nerdctl"
printf '#!/bin/sh\nexec sleep infinity\n' >"$www/nerdctl/bin/containerd"
cp "$www/nerdctl/bin/containerd" "$www/nerdctl/bin/buildkitd"
chmod 755 "$www/nerdctl/bin/"*
for u in containerd:containerd buildkit:buildkitd; do
	printf '[Service]\nExecStart=/usr/local/bin/%s\n[Install]\nWantedBy=multi-user.target\n' \
	    "${u#*:}" >"$www/nerdctl/lib/systemd/system/${u%%:*}.service"
done
tar -C "$www/nerdctl" -czf "$www/nerdctl-full-test-linux-amd64.tar.gz" bin lib
archive_sum=$(sha256sum "$www/nerdctl-full-test-linux-amd64.tar.gz" | cut -d' ' -f1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" \
    >"$T_TMP/http.log" 2>&1 &
http_pid=$!
cleanup_e2e() {
	"$LIMACTL" stop --force e2e >/dev/null 2>&1 || true
	[ -z "${SSH_AGENT_PID:-}" ] || kill "$SSH_AGENT_PID" 2>/dev/null || true
	kill "$http_pid" 2>/dev/null || true
	t_cleanup
}
trap cleanup_e2e EXIT INT TERM
i=0
until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
url="http://127.0.0.1:$port/clima-debian-12.qcow2"

# --- a wrong digest: clear error, nothing cached --------------------------
cat >"$T_TMP/bad.yaml" <<YAML
images:
- location: "$url"
  arch: x86_64
  digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
YAML
lc create --name=baddigest "$T_TMP/bad.yaml"
t_rc 1 "wrong digest refused"
t_grep err 'expected digest `sha256:0000' "digest mismatch names the digests"
entry=$(printf %s "$url" | sha256sum | cut -d' ' -f1)
test ! -e "$XDG_CACHE_HOME/lima/download/by-url-sha256/$entry/data"
t_ok $? "nothing cached after a digest mismatch"
test ! -e "$LIMA_HOME/baddigest"
t_ok $? "no instance left after a digest mismatch"

# --- create from the HTTP server ------------------------------------------
cat >"$T_TMP/e2e.yaml" <<YAML
images:
- location: "$url"
  arch: x86_64
  digest: "sha256:$digest"
cpus: 2
memory: 1GiB
disk: 4GiB
mounts: []
containerd:
  system: false
  user: false
hostResolver:
  hosts:
    clima-static.test: 10.11.12.13
    clima-alias.test: clima-static.test
probes:
- description: the boot marker is there
  script: |
    #!/bin/sh
    test -f /run/lima-boot-done
YAML
lc create --name=e2e "$T_TMP/e2e.yaml"
t_rc 0 "create from http:// with a digest"
test -f "$XDG_CACHE_HOME/lima/download/by-url-sha256/$entry/data"
t_ok $? "image cached by URL hash"
t_is "$(cat "$XDG_CACHE_HOME/lima/download/by-url-sha256/$entry/sha256.digest")" \
    "sha256:$digest" "digest file in the cache"
dir=$LIMA_HOME/e2e

# --- first boot --------------------------------------------------------------
t0=$(date +%s)
run timeout 900 "$LIMACTL" start --progress e2e
t1=$(date +%s)
t_rc 0 "limactl start boots the guest"
echo "# first boot: $((t1 - t0)) s"
t_grep err '[cloud-init] ' "--progress relays cloud-init's output"
t_grep err 'Cloud-init progress monitoring done.' "--progress waits for cloud-init"
grep -q '"cloudInitProgress":{"completed":true}' "$dir/ha.stdout.log"
t_ok $? "cloud-init completion event"
t_grep err 'READY. Run `limactl shell e2e` to open the shell.' "READY line"
t_grep err 'SSH Local Port:' "SSH port reported"
t_grep err '[hostagent] Starting QEMU' "hostagent progress relayed"
grep -q '"running":true' "$dir/ha.stdout.log"
t_ok $? "running event in ha.stdout.log"
head -n 1 "$dir/ha.stdout.log" | grep -q '^{"time":"[^"]*","status":{"sshLocalPort":[0-9]*}}$'
t_ok $? "first event is Lima's booting event"

sshport=$(sed -n 's/^  Port //p' "$dir/ssh.config")
info=$(curl -s --unix-socket "$dir/ha.sock" http://lima-hostagent/v1/info)
t_is "$info" "{\"sshLocalPort\":$sshport}" "/v1/info port equals ssh.config's"
curl -s --unix-socket "$dir/ha.sock" http://lima-hostagent/v1/status | grep -q '"state":"running"'
t_ok $? "/v1/status says running"
t_is "$(stat -c %a "$dir/ha.sock")" 600 "ha.sock is 0600"

lc list e2e --format '{{.Status}} {{.SSHLocalPort}}'
t_is "$(out)" "Running $sshport" "list says Running with the port"

run ssh -F "$dir/ssh.config" lima-e2e uname -s
t_is "$(out)" "Linux" "plain ssh -F ssh.config works"
if "$LIMACTL" help shell >/dev/null 2>&1; then
	lc shell e2e uname -a
	t_rc 0 "limactl shell runs a command"
	t_grep out "Linux lima-e2e" "uname in the guest (hostname lima-e2e)"
fi
run ssh -F "$dir/ssh.config" lima-e2e cat /run/lima-boot-done /run/lima-ssh-ready
iid=$(isoinfo -R -i "$dir/cidata.iso" -x /meta-data | sed -n 's/^instance-id: //p')
t_is "$(out)" "$iid
$iid" "boot markers hold this boot's IID"
run ssh -F "$dir/ssh.config" lima-e2e \
    'grep -c host.lima.internal /etc/hosts; sed -n /LIMA-START/p /etc/environment'
t_is "$(out)" "1
#LIMA-START" "/etc/hosts and /etc/environment set up"

# The hostagent's DNS server, reached through the guest's DNAT of
# 192.168.5.3:53 to the slirp gateway: names from hostResolver.hosts.
grep -q 'DNS server listening on 127.0.0.1' "$dir/ha.stderr.log"
t_ok $? "the hostagent's DNS server runs"
udpport=$(isoinfo -R -i "$dir/cidata.iso" -x /lima.env |
    sed -n 's/^LIMA_CIDATA_UDP_DNS_LOCAL_PORT=//p')
case $udpport in ''|0) r=1 ;; *) r=0 ;; esac
t_ok $r "lima.env carries the DNS server's UDP port ($udpport)"
run ssh -F "$dir/ssh.config" lima-e2e \
    "sudo iptables -t nat -S LIMADNS | grep -c 'DNAT --to-destination 192.168.5.2:$udpport'"
t_is "$(out)" "1" "the guest redirects DNS to the hostagent"
run ssh -F "$dir/ssh.config" lima-e2e \
    'getent hosts clima-static.test clima-alias.test host.lima.internal'
t_is "$(out)" "10.11.12.13     clima-static.test
10.11.12.13     clima-alias.test
192.168.5.2     host.lima.internal" "the guest resolves hostResolver.hosts through the hostagent"

# A second hostagent for a running instance is refused, and leaves the
# first one's files alone.
hapid=$(cat "$dir/ha.pid")
run timeout 30 "$LIMACTL" hostagent --pidfile "$dir/ha.pid" \
    --socket "$T_TMP/second.sock" e2e
t_rc 1 "a second hostagent is refused"
t_grep err "another hostagent may already be running with pid $hapid" \
    "the refusal names the running one"
t_is "$(cat "$dir/ha.pid")" "$hapid" "ha.pid still names the first one"
test -S "$dir/ha.sock" && kill -0 "$hapid"
t_ok $? "the first hostagent and its socket are still there"

lc start e2e
t_rc 0 "start on a running instance"
t_grep err 'The instance `e2e` is already running.' "already running message"

# --- stop ------------------------------------------------------------------
t0=$(date +%s)
lc stop e2e
t1=$(date +%s)
t_rc 0 "limactl stop"
echo "# stop: $((t1 - t0)) s"
t_grep err 'The instance e2e has shut down' "shut down message"
lc list e2e --format '{{.Status}}'
t_is "$(out)" "Stopped" "Stopped after stop"
left=$(find "$dir" -maxdepth 1 \( -name '*.pid' -o -name '*.sock' \) -printf '%f\n')
t_is "$left" "" "no pid file or socket left"
pgrep -f "$dir/" >/dev/null 2>&1 && r=1 || r=0
t_ok $r "no process of the instance left"
grep -q '"exiting":true' "$dir/ha.stdout.log"
t_ok $? "exiting event written"

# --- a SIGKILLed hostagent: Broken, then stop --force and start again -------
# A probe that keeps failing makes the start degraded (exit 1), with the
# probe's hint in the errors; the instance still runs.
# Stale files, as after a host crash, never block a start (the restart
# below starts over them).
stale() {
	echo 999999 >"$dir/ha.pid"
	echo 999998 >"$dir/qemu.pid"
	rm -f "$dir/ha.sock"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	    "$dir/ha.sock"
}
stale
lc list e2e --format '{{.Status}}'
t_is "$(out)" "Stopped" "stale pid files and socket: Stopped"
stale
# A static forward to a host port that is in use is an error too.
busyport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
time.sleep(900)' "$busyport" &
busy_pid=$!
LIMA_PROBE_TIMEOUT=2
export LIMA_PROBE_TIMEOUT
run timeout 900 "$LIMACTL" restart e2e --set \
    '.probes += [{"description": "always fails", "hint": "it fails on purpose", "script": "#!/bin/sh\nexit 1"}] |
    .portForwards = [{"guestIP": "127.0.0.53", "guestPort": 53, "hostPort": '"$busyport"', "static": true}]'
unset LIMA_PROBE_TIMEOUT
kill "$busy_pid" 2>/dev/null || true
t_rc 1 "restart with a failing probe ends degraded"
t_grep err 'The instance is not running, continuing with the restart' \
    "restart says the instance was not running"
t_grep err 'DEGRADED. The VM seems running' "DEGRADED warning"
grep -q '"degraded":true,"errors":\["failed to set up forwarding from 127.0.0.53:53 (guest) to 127.0.0.1:'"$busyport"' (host): [^"]* (hint: is the host port in use?)","failed to satisfy the optional requirement 2 of 2 `always fails`: it fails on purpose"\]' \
    "$dir/ha.stdout.log"
t_ok $? "degraded event names the busy port, the probe and its hint"
grep -q 'The optional requirement 1 of 2 is satisfied' "$dir/ha.stderr.log"
t_ok $? "the passing probe passed"
hapid=$(cat "$dir/ha.pid")
kill -9 "$hapid"
sleep 0.2
lc list e2e --format '{{.Status}}'
t_is "$(out)" "Broken" "Broken after SIGKILL of the hostagent"
lc stop --force e2e
t_rc 0 "stop --force"
lc list e2e --format '{{.Status}}'
t_is "$(out)" "Stopped" "Stopped after stop --force"
lc disk create d1 --size 1GiB
t_rc 0 "an additional disk"
fwdport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# 9p (security_model=none) shows the host's owners: the suite runs as
# root and the guest user is uid 1000, so the directory is world-writable.
mkdir -p "$T_TMP/share"
chmod 777 "$T_TMP/share"
echo from-host >"$T_TMP/share/hello"
lc edit e2e --set "del(.probes[1]) |
    .ssh.forwardAgent = true |
    .mountType = \"9p\" |
    .mounts = [{\"location\": \"$T_TMP/share\", \"mountPoint\": \"/mnt/share\", \"writable\": true}] |
    .additionalDisks = [\"d1\"] |
    .portForwards = [{\"guestIP\": \"127.0.0.53\", \"guestPort\": 53, \"hostPort\": $fwdport, \"static\": true},
        {\"guestSocket\": \"/run/dbus/system_bus_socket\", \"hostSocket\": \"dbus.sock\"}] |
    .copyToHost = [{\"guest\": \"/etc/hostname\", \"host\": \"$dir/copied/hostname\", \"deleteOnStop\": true},
        {\"guest\": \"/etc/shadow\", \"host\": \"$dir/copied/shadow\"},
        {\"guest\": \"/nonexistent\", \"host\": \"$dir/copied/none\", \"skipIfMissing\": true}] |
    .firmware.images = [{\"location\": \"http://127.0.0.1:$port/OVMF_CODE_4M.fd.gz\", \"arch\": \"x86_64\"}] |
    .video.display = \"vnc\" |
    .containerd.system = true |
    .containerd.archives = [{\"location\": \"http://127.0.0.1:$port/nerdctl-full-test-linux-amd64.tar.gz\", \"arch\": \"x86_64\", \"digest\": \"sha256:$archive_sum\"}] |
    .provision = [{\"mode\": \"dependency\", \"skipDefaultDependencyResolution\": true, \"script\": \"#!/bin/sh\\ntrue\"}]"
t_rc 0 "drop the failing probe; a disk, UEFI code, VNC and containerd on"
eval "$(ssh-agent -s)" >/dev/null
run timeout 900 "$LIMACTL" start e2e
t_rc 0 "start after recovery"
t_grep err 'READY.' "READY again"
cp "$T_TMP/err" "$T_TMP/start3"

# --- firmware.images: the UEFI code downloaded, unpacked and booted ---------
t_grep start3 'Downloaded the UEFI code from' "firmware.images entry downloaded"
cmp -s "$ovmf" "$dir/qemu-efi-code.fd"
t_ok $? "qemu-efi-code.fd is the decompressed UEFI code"
tr '\0' ' ' <"/proc/$(cat "$dir/qemu.pid")/cmdline" |
    grep -q "if=pflash,format=raw,readonly=on,file=$dir/qemu-efi-code.fd"
t_ok $? "QEMU boots from qemu-efi-code.fd"
grep -q 'Using existing firmware' "$dir/ha.stderr.log"
t_ok $? "the hostagent says it uses the downloaded firmware"

# --- VNC: a random password set over QMP; vncdisplay names the server -------
t_is "$(stat -c %a "$dir/vncpassword")" 600 "vncpassword is 0600"
t_is "$(wc -c <"$dir/vncpassword")" 8 "the VNC password has 8 characters"
vncdisp=$(cat "$dir/vncdisplay")
case $vncdisp in 127.0.0.1:[0-9]*) r=0 ;; *) r=1 ;; esac
t_ok $r "vncdisplay is 127.0.0.1:N ($vncdisp)"
vncport=$((5900 + ${vncdisp#*:}))
run "$top_builddir/tests/helpers/vnc-auth" 127.0.0.1 "$vncport" \
    "$(cat "$dir/vncpassword")"
t_rc 0 "the VNC server takes vncpassword"
run "$top_builddir/tests/helpers/vnc-auth" 127.0.0.1 "$vncport" wrong123
t_rc 1 "the VNC server refuses another password"
t_grep start3 "VNC server running at $vncdisp <vnc://127.0.0.1:$vncport>" \
    "VNC address logged"

# --- containerd: the archive in cidata, installed and running in the guest --
t_grep start3 'Attempting to download the nerdctl archive' "nerdctl archive fetched"
isoinfo -R -i "$dir/cidata.iso" -x /nerdctl-full.tgz |
    cmp -s - "$www/nerdctl-full-test-linux-amd64.tar.gz"
t_ok $? "cidata.iso carries the archive as nerdctl-full.tgz"
isoinfo -R -i "$dir/cidata.iso" -x /lima.env |
    grep -qx 'LIMA_CIDATA_CONTAINERD_ARCHIVE=nerdctl-full.tgz'
t_ok $? "lima.env names the archive"
run ssh -F "$dir/ssh.config" lima-e2e \
    'nerdctl; systemctl is-active containerd buildkit'
t_is "$(out)" "nerdctl version 0.0.0-clima-test
active
active" "nerdctl installed, containerd and buildkit running"
run env LIMA_INSTANCE=e2e LIMACTL="$LIMACTL" "$top_srcdir/cli/nerdctl.lima" --version
t_is "$(out)" "nerdctl version 0.0.0-clima-test" "nerdctl.lima runs nerdctl in the instance"
grep -q 'The optional requirement 2 of 3 is satisfied' "$dir/ha.stderr.log"
t_ok $? "containerd's built-in requirements passed"
# --- static and socket forwards, copyToHost ----------------------------------
# The static forward reaches systemd-resolved's stub (TCP 127.0.0.53:53)
# in the guest: a DNS question over TCP for a name of its /etc/hosts.
python3 - "$fwdport" >"$T_TMP/stub" <<'PY' 2>&1
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
for label in b"host.lima.internal".split(b"."):
    q += bytes([len(label)]) + label
q += b"\0" + struct.pack(">HH", 1, 1)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(struct.pack(">H", len(q)) + q)
buf = b""
while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
r = buf[2:]
print(".".join(str(b) for b in r[-4:]) if struct.unpack(">H", r[6:8])[0] else "none")
PY
t_is "$(cat "$T_TMP/stub")" "192.168.5.2" "a static forward reaches a guest port (resolved's TCP stub)"
python3 - "$dir/sock/dbus.sock" >"$T_TMP/dbus" <<'PY' 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"\0AUTH\r\n")
print(s.recv(128).decode(errors="replace").split()[0])
PY
t_is "$(cat "$T_TMP/dbus")" "REJECTED" "a socket forward reaches the guest's D-Bus"
curl -s --unix-socket "$dir/ha.sock" http://lima-hostagent/v1/status >"$T_TMP/status"
grep -q "\"proto\":\"tcp\",\"guest\":\"127.0.0.53:53\",\"host\":\"127.0.0.1:$fwdport\",\"static\":true" "$T_TMP/status" &&
    grep -q "\"proto\":\"unix\",\"guest\":\"/run/dbus/system_bus_socket\",\"host\":\"$dir/sock/dbus.sock\"" "$T_TMP/status"
t_ok $? "/v1/status lists both forwards"
t_is "$(cat "$dir/copied/hostname" 2>&1)" "lima-e2e" "copyToHost copied /etc/hostname"
t_is "$(stat -c %a "$dir/copied/shadow" 2>&1) $(cut -d: -f1 "$dir/copied/shadow" | head -n 1)" \
    "600 root" "a root-only file is copied with sudo, 0600"
test ! -e "$dir/copied/none"
t_ok $? "a missing file with skipIfMissing is skipped"

# --- a 9p mount: the host directory in the guest, writable ----------------
run ssh -F "$dir/ssh.config" lima-e2e \
    'findmnt -n -o FSTYPE /mnt/share; cat /mnt/share/hello; echo from-guest >/mnt/share/back'
t_is "$(out)" "9p
from-host" "the host directory is mounted over 9p"
t_is "$(cat "$T_TMP/share/back" 2>&1)" "from-guest" "the guest writes to it"

# --- ssh.forwardAgent: the host's agent at the guest's fixed path ----------
run ssh -F "$dir/ssh.config" lima-e2e \
    'SSH_AUTH_SOCK=/run/host-services/ssh-auth.sock ssh-add -l; echo "rc=$?"'
t_is "$(out)" "The agent has no identities.
rc=1" "the guest reaches the host's ssh agent"

# --- the additional disk: locked by the instance, formatted and mounted -----
lc disk list --json
grep -q '"name":"d1".*"instanceDir":"'"$dir"'"' "$T_TMP/out"
t_ok $? "disk list shows d1 in use by e2e"
t_is "$(readlink "$LIMA_HOME/_disks/d1/in_use_by")" "$dir" "in_use_by names the instance"
run ssh -F "$dir/ssh.config" lima-e2e \
    'findmnt -n -o SOURCE,FSTYPE /mnt/lima-d1; sudo blkid -o value -s LABEL /dev/vdb1'
t_is "$(out)" "/dev/vdb1 ext4
lima-d1" "d1 partitioned, formatted (label lima-d1) and mounted"

# --- QEMU dies under a running instance: the hostagent reports and exits --
qpid=$(cat "$dir/qemu.pid")
hapid=$(cat "$dir/ha.pid")
kill -9 "$qpid"
i=0
while kill -0 "$hapid" 2>/dev/null && [ $i -lt 300 ]; do
	i=$((i + 1)); sleep 0.1
done
kill -0 "$hapid" 2>/dev/null && r=1 || r=0
t_ok $r "the hostagent exits when QEMU dies"
tail -n 1 "$dir/ha.stdout.log" | grep -q '"exiting":true,"errors":\["QEMU exited unexpectedly: signal: killed'
t_ok $? "the exiting event says QEMU was killed"
lc list e2e --format '{{.Status}}'
t_is "$(out)" "Stopped" "Stopped after QEMU died"
left=$(find "$dir" -maxdepth 1 \( -name '*.pid' -o -name '*.sock' -o -name 'vnc*' \) -printf '%f\n')
t_is "$left" "" "no pid file, socket or VNC file left after the crash"
test ! -e "$LIMA_HOME/_disks/d1/in_use_by"
t_ok $? "the disk is unlocked after the crash"
test ! -e "$dir/sock/dbus.sock" && test ! -e "$dir/copied/hostname" &&
    test -e "$dir/copied/shadow"
t_ok $? "the forwarded socket and the deleteOnStop copy are gone"

t_done
