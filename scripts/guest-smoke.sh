#!/usr/bin/env bash
# clima: boot the guest from scripts/build-guest-image.sh once under QEMU,
# the way Lima boots a VM, and time it: NoCloud "cidata" ISO, user-mode
# networking on 192.168.5.0/24 with SSH forwarded from 127.0.0.1, QMP on a
# unix socket, power-off through QMP system_powerdown.
#
# Usage: scripts/guest-smoke.sh [OUTDIR]
#   OUTDIR defaults to /var/cache/lima-test-guest/clima-debian-12
#
# Knobs (environment):
#   ACCEL=auto|tcg|kvm     auto: KVM when /dev/kvm is usable and the CPU
#                          shows vmx/svm, else TCG (a /dev/kvm without them
#                          exists in some sandboxes and never runs a guest)
#   BOOT=direct|bios|uefi  -kernel/-initrd, SeaBIOS -> GRUB, OVMF -> GRUB
#   DISK_SIZE=10G          virtual size of the overlay (the guest grows its
#                          root filesystem into it, as with Lima's disks)
#   SSH_TIMEOUT=300  CLOUD_INIT_TIMEOUT=300  POWERDOWN_TIMEOUT=60  (seconds)
#   GUEST_USER=clima       user created by cloud-init
#   KEEP=1                 keep the scratch directory (serial log, ...)
#
# The base image is never written: the VM runs on a qcow2 overlay.
# Exit status 0 only if SSH, cloud-init, the checks and power-off all worked.
set -Eeuo pipefail

OUT=${1:-/var/cache/lima-test-guest/clima-debian-12}
IMAGE=$OUT/clima-debian-12.qcow2
ACCEL=${ACCEL:-auto}
BOOT=${BOOT:-direct}
DISK_SIZE=${DISK_SIZE:-10G}
SSH_TIMEOUT=${SSH_TIMEOUT:-300}
CLOUD_INIT_TIMEOUT=${CLOUD_INIT_TIMEOUT:-300}
POWERDOWN_TIMEOUT=${POWERDOWN_TIMEOUT:-60}
GUEST_USER=${GUEST_USER:-clima}
KEEP=${KEEP:-0}

PROG=guest-smoke
W=
QEMU_PID=
say() { printf '[%s %s] %s\n' "$PROG" "$(date +%T)" "$*" >&2; }
fail() {
	trap - ERR
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	if [ -n "$W" ] && [ -s "$W/serial.log" ]; then
		printf '%s: last lines of the guest console:\n' "$PROG" >&2
		tail -n 15 "$W/serial.log" | tr -d '\r' | sed 's/^/  | /' >&2
	fi
	exit 1
}
trap 'fail "unexpected failure at line $LINENO: $BASH_COMMAND"' ERR

usec() { echo "${EPOCHREALTIME/./}"; }
# seconds between two usec values, one decimal
span() {
	local d=$((($2 - $1) / 100000))
	printf '%d.%d' $((d / 10)) $((d % 10))
}
alive() { [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; }

# ---------------------------------------------------------------------------
# Inputs and tools
# ---------------------------------------------------------------------------
for f in "$IMAGE" "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/cmdline"; do
	[ -s "$f" ] || fail "$f missing (run scripts/build-guest-image.sh first)"
done
case $BOOT in direct | bios | uefi) ;; *) fail "BOOT must be direct, bios or uefi" ;; esac
case $ACCEL in
auto)
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
		ACCEL=kvm
	else
		ACCEL=tcg
	fi
	;;
tcg | kvm) ;;
*) fail "ACCEL must be auto, tcg or kvm" ;;
esac

missing=()
want() { # want PACKAGE COMMAND-OR-PATH
	case $2 in
	/*) [ -e "$2" ] && return 0 ;;
	*) command -v "$2" >/dev/null 2>&1 && return 0 ;;
	esac
	missing+=("$1")
}
want qemu-system-x86 qemu-system-x86_64
want qemu-utils qemu-img
want openssh-client ssh
want openssh-client ssh-keygen
want socat socat
command -v genisoimage >/dev/null 2>&1 || want xorriso xorriso
[ "$BOOT" != uefi ] || want ovmf /usr/share/OVMF/OVMF_CODE_4M.fd
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || fail "missing ${missing[*]}; install them or run as root"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -q >/dev/null 2>&1 || fail "apt-get update failed"
		apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
			fail "apt-get install ${missing[*]} failed"
	fi
fi

# ---------------------------------------------------------------------------
# Scratch directory; everything this script makes lives in it
# ---------------------------------------------------------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/clima-smoke.XXXXXX")
QMP_OPEN=0
cleanup() {
	local rc=$?
	trap - ERR
	set +e
	if alive; then
		kill -TERM "$QEMU_PID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do alive || break; sleep 0.5; done
		alive && kill -KILL "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
	fi
	if [ "$QMP_OPEN" = 1 ] && [ -n "${QMP_PID:-}" ]; then
		kill "$QMP_PID" 2>/dev/null
		wait "$QMP_PID" 2>/dev/null
	fi
	if [ "$KEEP" = 1 ]; then
		say "scratch directory kept: $W"
	else
		rm -rf "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------------------
# Seed: ssh key, cidata ISO (Lima's layout: user-data, meta-data,
# network-config matching the NIC by MAC and naming it eth0)
# ---------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C clima-smoke -f "$W/id_ed25519"
MAC=$(printf '52:55:55:%02x:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))
mkdir "$W/cidata"
cat >"$W/cidata/meta-data" <<EOF
instance-id: clima-smoke-$(date +%s)
local-hostname: clima-smoke
EOF
cat >"$W/cidata/user-data" <<EOF
#cloud-config
growpart:
  mode: auto
  devices: ['/']
users:
  - name: $GUEST_USER
    homedir: /home/$GUEST_USER.linux
    shell: /bin/bash
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: true
    ssh_authorized_keys:
      - $(cat "$W/id_ed25519.pub")
write_files:
  - path: /etc/clima-smoke
    content: |
      written by cloud-init from the cidata ISO
EOF
cat >"$W/cidata/network-config" <<EOF
version: 2
ethernets:
  eth0:
    match:
      macaddress: '$MAC'
    set-name: eth0
    dhcp4: true
    dhcp-identifier: mac
    nameservers:
      addresses: [192.168.5.3]
EOF
if command -v genisoimage >/dev/null 2>&1; then
	genisoimage -quiet -output "$W/cidata.iso" -volid cidata -joliet -rock "$W/cidata" 2>"$W/iso.log" ||
		fail "genisoimage failed: $(head -n1 "$W/iso.log")"
else
	xorriso -as mkisofs -quiet -output "$W/cidata.iso" -volid cidata -joliet -rock "$W/cidata" 2>"$W/iso.log" ||
		fail "xorriso failed: $(head -n1 "$W/iso.log")"
fi

qemu-img create -q -f qcow2 -F qcow2 -b "$(realpath "$IMAGE")" "$W/disk.qcow2" "$DISK_SIZE" ||
	fail "qemu-img create of the overlay failed"

# a loopback port nobody listens on
PORT=
for _ in $(seq 1 40); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		PORT=$p
		break
	fi
done
[ -n "$PORT" ] || fail "no free loopback port found"

# ---------------------------------------------------------------------------
# QEMU
# ---------------------------------------------------------------------------
Q=(qemu-system-x86_64 -name clima-smoke -nodefaults -machine q35 -smp 2 -m 1024)
if [ "$ACCEL" = kvm ]; then
	Q+=(-accel kvm -cpu host)
else
	Q+=(-accel "tcg,thread=multi,tb-size=256" -cpu max)
fi
case $BOOT in
direct)
	Q+=(-kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" -append "$(cat "$OUT/cmdline")")
	;;
uefi)
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$W/efivars.fd"
	Q+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
		-drive "if=pflash,format=raw,unit=1,file=$W/efivars.fd")
	;;
esac
Q+=(
	-drive "file=$W/disk.qcow2,if=virtio,format=qcow2,discard=on"
	-drive "id=cidata,if=none,format=raw,readonly=on,file=$W/cidata.iso"
	-device "virtio-scsi-pci,id=scsi0"
	-device "scsi-cd,bus=scsi0.0,drive=cidata"
	-netdev "user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:$PORT-:22"
	-device "virtio-net-pci,netdev=net0,mac=$MAC"
	-device virtio-rng-pci
	-display none -vga none
	-serial "file:$W/serial.log"
	-qmp "unix:$W/qmp.sock,server=on,wait=off"
	-pidfile "$W/qemu.pid"
)

say "booting: accel=$ACCEL boot=$BOOT smp=2 mem=1024M ssh=127.0.0.1:$PORT"
T_START=$(usec)
"${Q[@]}" </dev/null >"$W/qemu.log" 2>&1 &
QEMU_PID=$!

# QMP: one connection for the whole run, through a socat coprocess
for _ in $(seq 1 100); do
	[ -S "$W/qmp.sock" ] && break
	alive || fail "QEMU exited at start: $(tail -n1 "$W/qemu.log")"
	sleep 0.1
done
[ -S "$W/qmp.sock" ] || fail "QEMU did not create its QMP socket"
coproc QMP { exec socat - "UNIX-CONNECT:$W/qmp.sock"; }
QMP_OPEN=1
qmp() { # qmp COMMAND: send, then skip events until the reply
	local line
	printf '{"execute": "%s"}\n' "$1" >&"${QMP[1]}"
	while IFS= read -r -t 10 line <&"${QMP[0]}"; do
		case $line in
		*'"return"'*) return 0 ;;
		*'"error"'*)
			say "QMP $1: $line"
			return 1
			;;
		esac
	done
	return 1
}
IFS= read -r -t 10 greeting <&"${QMP[0]}" || fail "no QMP greeting"
case $greeting in *'"QMP"'*) ;; *) fail "unexpected QMP greeting: $greeting" ;; esac
qmp qmp_capabilities || fail "QMP capabilities negotiation failed"

# ---------------------------------------------------------------------------
# Wait for a real login (the forwarded port accepts TCP long before sshd
# runs, so only a successful command counts), polling every 0.5 s
# ---------------------------------------------------------------------------
SSH=(ssh -F /dev/null -i "$W/id_ed25519" -p "$PORT" -o IdentitiesOnly=yes
	-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=10 -o ServerAliveInterval=5
	"$GUEST_USER@127.0.0.1")
deadline=$((T_START + SSH_TIMEOUT * 1000000))
silent_deadline=$((T_START + 60000000))
until timeout 30 "${SSH[@]}" uname -a </dev/null >"$W/uname.txt" 2>"$W/ssh.err"; do
	alive || fail "QEMU exited before SSH came up: $(tail -n1 "$W/qemu.log")"
	if [ ! -s "$W/serial.log" ] && [ "$(usec)" -gt "$silent_deadline" ]; then
		fail "the guest wrote nothing to its serial console in 60s (accel=$ACCEL; try ACCEL=tcg)"
	fi
	[ "$(usec)" -lt "$deadline" ] || fail "no SSH login within ${SSH_TIMEOUT}s (last: $(tail -n1 "$W/ssh.err"))"
	sleep 0.5
done
T_SSH=$(usec)
say "ssh login after $(span "$T_START" "$T_SSH")s: $(cat "$W/uname.txt")"

rc=0
timeout "$CLOUD_INIT_TIMEOUT" "${SSH[@]}" cloud-init status --wait </dev/null >"$W/cloud-init.txt" 2>&1 || rc=$?
T_CI=$(usec)
ci_status=$(grep -o 'status: .*' "$W/cloud-init.txt" | tail -n1 || true)
[ "$rc" = 0 ] || fail "cloud-init status --wait: exit $rc (${ci_status:-no status})"
say "cloud-init done after $(span "$T_START" "$T_CI")s (${ci_status:-?})"

# what a clima guest must provide; prints "ok <what>" or "FAILED <what>"
CHECKS=$(
	cat <<'EOF'
bad=0
check() {
	if eval "$2" >/dev/null 2>&1; then echo "ok $1"; else echo "FAILED $1"; bad=1; fi
}
check "passwordless sudo" 'sudo -n true'
check "datasource is NoCloud" 'test "$(cloud-id)" = nocloud'
check "machine-id generated" 'test -s /etc/machine-id'
check "ssh host key generated at boot" 'sudo test -s /etc/ssh/ssh_host_ed25519_key'
check "write_files from cidata" 'grep -q "cidata ISO" /etc/clima-smoke'
check "eth0 is 192.168.5.15/24" 'ip -4 -o addr show dev eth0 | grep -q "inet 192.168.5.15/24"'
check "default route via 192.168.5.2" 'ip route | grep -q "^default via 192.168.5.2"'
check "DNS 192.168.5.3 via resolved" 'resolvectl dns | grep -q 192.168.5.3'
check "root filesystem grown" 'test "$(df --output=size -BG / | tail -n1 | tr -dc 0-9)" -gt 5'
check "modules 9p fuse overlay br_netfilter" 'for m in 9p 9pnet_virtio fuse overlay br_netfilter; do sudo modprobe $m || exit 1; done'
check "sshfs rsync iptables installed" 'command -v sshfs && command -v rsync && sudo iptables -L -n'
echo "machine-id $(cat /etc/machine-id); root $(df -h --output=size,used / | tail -n1 | tr -s ' ')"
systemd-analyze 2>/dev/null | head -n1
systemd-analyze blame 2>/dev/null | head -n5
exit $bad
EOF
)
if ! timeout 120 "${SSH[@]}" "$CHECKS" </dev/null >"$W/checks.txt" 2>&1; then
	sed 's/^/  /' "$W/checks.txt" >&2
	fail "guest checks failed: $(grep '^FAILED' "$W/checks.txt" | cut -d' ' -f2- | paste -sd, - || echo "ssh error")"
fi
sed 's/^/  /' "$W/checks.txt" >&2

# ---------------------------------------------------------------------------
# Power off through QMP, like `limactl stop`
# ---------------------------------------------------------------------------
T_PD=$(usec)
qmp system_powerdown || fail "QMP system_powerdown failed"
deadline=$((T_PD + POWERDOWN_TIMEOUT * 1000000))
while alive && [ "$(usec)" -lt "$deadline" ]; do sleep 0.2; done
FORCED=no
if alive; then
	FORCED=yes
	say "no power-off within ${POWERDOWN_TIMEOUT}s; sending QMP quit"
	qmp quit || true
	for _ in $(seq 1 50); do alive || break; sleep 0.2; done
	alive && kill -KILL "$QEMU_PID"
fi
wait "$QEMU_PID" 2>/dev/null || true
T_END=$(usec)
QEMU_PID=
[ "$FORCED" = no ] || fail "guest ignored system_powerdown for ${POWERDOWN_TIMEOUT}s"

say "timings (accel=$ACCEL boot=$BOOT):"
printf '  QEMU start -> ssh login        %6ss\n' "$(span "$T_START" "$T_SSH")" >&2
printf '  QEMU start -> cloud-init done  %6ss\n' "$(span "$T_START" "$T_CI")" >&2
printf '  system_powerdown -> exit       %6ss\n' "$(span "$T_PD" "$T_END")" >&2
echo "RESULT accel=$ACCEL boot=$BOOT ssh=$(span "$T_START" "$T_SSH") cloud_init=$(span "$T_START" "$T_CI") powerdown=$(span "$T_PD" "$T_END")"
