#!/usr/bin/env bash
# clima: build a small Debian 12 (bookworm) cloud guest for the end-to-end
# tests from Debian packages alone (no cloud-image download).
#
# Usage: scripts/build-guest-image.sh [OUTDIR]          (as root)
#
# OUTDIR (default /var/cache/lima-test-guest/clima-debian-12) receives:
#   clima-debian-12.qcow2         compressed qcow2, GPT disk:
#                                   p1  ext4 root, LABEL=cloudimg-rootfs
#                                   p14 BIOS boot partition (GRUB core.img)
#                                   p15 EFI system partition (GRUB BOOTX64.EFI)
#                                 boots with SeaBIOS, OVMF or direct kernel boot
#   clima-debian-12.qcow2.sha256  `sha256sum -c` format
#   vmlinuz initrd.img cmdline    for -kernel / -initrd / -append
#   manifest.json packages.txt    versions, sizes, layout, build times
#
# A finished OUTDIR carries a stamp with the recipe version; running again
# with the same recipe only checks the stamp and exits.  Everything is built
# in a scratch directory next to OUTDIR and moved into place at the very end.
#
# Knobs (environment):
#   FORCE=1            rebuild even if OUTDIR is up to date
#   MIRROR=URI         Debian mirror (default: from /etc/apt, else deb.debian.org)
#   SECURITY_MIRROR=   security mirror (default: likewise; "none" = skip)
#   DISK_SIZE=2G       virtual size of the disk
#   QCOW2_COMPRESSION=zlib|zstd   cluster compression of the qcow2
#   DEB_CACHE=DIR      keep downloaded .debs here between builds
#                      (default OUTDIR/../clima-debs; empty = no cache)
#   KEEP_WORK=1        keep the scratch directory (rootfs, raw disk)
set -Eeuo pipefail

# Bump RECIPE whenever the image contents or layout change: it is part of
# the stamp, so every cached image of an older recipe gets rebuilt.
RECIPE=2
SUITE=bookworm
NAME=clima-debian-12
IMAGE=$NAME.qcow2
ROOT_LABEL=cloudimg-rootfs
CMDLINE_ARGS="ro console=tty0 console=ttyS0,115200n8"

OUT=${1:-/var/cache/lima-test-guest/clima-debian-12}
DISK_SIZE=${DISK_SIZE:-2G}
QCOW2_COMPRESSION=${QCOW2_COMPRESSION:-zlib}
FORCE=${FORCE:-0}
KEEP_WORK=${KEEP_WORK:-0}

PROG=build-guest-image
say() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
fail() {
	trap - ERR
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}
trap 'fail "unexpected failure at line $LINENO: $BASH_COMMAND"' ERR

# seconds since $1 (a $EPOCHREALTIME value), one decimal
secs_since() {
	local a=${1/./} b=${EPOCHREALTIME/./}
	local d=$(((b - a) / 100000))
	printf '%d.%d' $((d / 10)) $((d % 10))
}

case $OUT in
/*) ;;
*) OUT=$PWD/$OUT ;;
esac
OUT=${OUT%/}
[ -n "$OUT" ] || fail "OUTDIR must not be /"
STAMP_FILE=$OUT/.stamp
WANT_STAMP="clima-guest recipe=$RECIPE suite=$SUITE disk=$DISK_SIZE qcow2=$QCOW2_COMPRESSION"

# ---------------------------------------------------------------------------
# Fast path: the stamp is written last and records the qcow2 size, so a
# matching stamp plus all files present means a complete, current image.
# ---------------------------------------------------------------------------
up_to_date() {
	local line1 size f
	[ -f "$STAMP_FILE" ] || return 1
	{ read -r line1 && read -r size; } <"$STAMP_FILE" || return 1
	[ "$line1" = "$WANT_STAMP" ] || return 1
	for f in "$IMAGE" "$IMAGE.sha256" vmlinuz initrd.img cmdline manifest.json; do
		[ -s "$OUT/$f" ] || return 1
	done
	[ "$(stat -c %s "$OUT/$IMAGE")" = "${size#qcow2_bytes=}" ]
}
if [ "$FORCE" != 1 ] && up_to_date; then
	say "up to date: $OUT/$IMAGE"
	exit 0
fi

T_ALL=$EPOCHREALTIME
[ "$(id -u)" = 0 ] || fail "must run as root (mmdebstrap --mode=root and chroot)"
[ "$(uname -m)" = x86_64 ] || fail "x86_64 hosts only"
case $QCOW2_COMPRESSION in zlib | zstd) ;; *) fail "QCOW2_COMPRESSION must be zlib or zstd" ;; esac
disk_bytes=$(numfmt --from=iec "$DISK_SIZE" 2>/dev/null) || fail "DISK_SIZE=$DISK_SIZE is not a size"
[ "$disk_bytes" -ge $((1 << 30)) ] || fail "DISK_SIZE must be at least 1G"
if [ -e "$OUT" ] && [ ! -f "$STAMP_FILE" ] &&
	[ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
	fail "$OUT exists, is not empty and is not a clima guest image directory"
fi

# ---------------------------------------------------------------------------
# Build dependencies (Debian package names), installed only when missing.
# ---------------------------------------------------------------------------
missing=()
want() { # want PACKAGE COMMAND-OR-PATH
	case $2 in
	/*) [ -e "$2" ] && return 0 ;;
	*) command -v "$2" >/dev/null 2>&1 && return 0 ;;
	esac
	missing+=("$1")
}
want mmdebstrap mmdebstrap
want debian-archive-keyring /usr/share/keyrings/debian-archive-keyring.gpg
want e2fsprogs mkfs.ext4
want fdisk sfdisk
want dosfstools mkfs.fat
want mtools mcopy
want grub-common grub-mkimage
want grub-pc-bin /usr/lib/grub/i386-pc/boot.img
want grub-efi-amd64-bin /usr/lib/grub/x86_64-efi/linux.mod
want qemu-utils qemu-img
want util-linux flock
want perl-base perl
if [ ${#missing[@]} -gt 0 ]; then
	command -v apt-get >/dev/null || fail "missing ${missing[*]} and no apt-get to install them"
	say "installing build dependencies: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -q >/dev/null 2>&1 || fail "apt-get update failed"
		apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
			fail "apt-get install ${missing[*]} failed"
	fi
fi
grep -q -- '--offset' <<<"$(mkfs.fat --help 2>&1)" || fail "mkfs.fat too old (dosfstools >= 4.2 needed for --offset)"

# ---------------------------------------------------------------------------
# One build per OUTDIR at a time; re-check the stamp once we hold the lock.
# ---------------------------------------------------------------------------
PARENT=$(dirname "$OUT")
mkdir -p "$PARENT"
exec 9>"$OUT.lock"
flock -w 3600 9 || fail "timed out waiting for another build of $OUT"
if [ "$FORCE" != 1 ] && up_to_date; then
	say "up to date (built by a concurrent run): $OUT/$IMAGE"
	exit 0
fi

LOG=$OUT.build.log
: >"$LOG"
W=$(mktemp -d "$PARENT/.$NAME.build.XXXXXX")
R=$W/rootfs
STAGE=$W/out
mkdir -p "$STAGE"

unmount_below() { # lazily unmount whatever a killed mmdebstrap left mounted under $1
	local dir m
	dir=$(realpath "$1")
	awk -v d="$dir/" 'index($5 "/", d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
cleanup() {
	local rc=$?
	trap - ERR
	set +e
	if [ "$KEEP_WORK" = 1 ]; then
		say "scratch directory kept: $W"
	elif [ -d "$W" ]; then
		unmount_below "$W"
		rm -rf --one-file-system "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------------------
# Mirrors: prefer what this host's apt already uses (proxies, local mirrors).
# ---------------------------------------------------------------------------
host_apt_uris() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
	done
}
if [ -z "${MIRROR:-}" ]; then
	MIRROR=$(host_apt_uris | grep -E '^(https?|file)://.*/debian/?$' | head -n1 || true)
	MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
if [ -z "${SECURITY_MIRROR:-}" ]; then
	SECURITY_MIRROR=$(host_apt_uris | grep -E '^(https?|file)://.*/debian-security/?$' | head -n1 || true)
	SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
fi
SOURCES=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main")
[ "$SECURITY_MIRROR" = none ] || SOURCES+=("deb $SECURITY_MIRROR $SUITE-security main")
say "mirror $MIRROR (security: $SECURITY_MIRROR); log: $LOG"

# ---------------------------------------------------------------------------
# Files that must exist before the kernel package is installed, so that its
# initramfs is generated only once and already small: only the drivers a
# QEMU guest needs to find its root disk, zstd-compressed.
# ---------------------------------------------------------------------------
mkdir -p "$W/pre"
cat >"$W/pre/clima.conf" <<'EOF'
# clima guest: small initramfs (modules from the clima hook only)
MODULES=list
COMPRESS=zstd
RESUME=none
EOF
cat >"$W/pre/clima-guest" <<'EOF'
#!/bin/sh
# clima guest: storage drivers for a root disk on virtio-blk, virtio-scsi or SATA
case "${1:-}" in
prereqs) exit 0 ;;
esac
. /usr/share/initramfs-tools/hook-functions
for mod in virtio_pci virtio_blk virtio_scsi sd_mod ahci ext4 crc32c_generic; do
	manual_add_modules "$mod"
done
EOF
chmod 0644 "$W/pre/clima.conf"
chmod 0755 "$W/pre/clima-guest"

# ---------------------------------------------------------------------------
# Root filesystem.
# ---------------------------------------------------------------------------
GUEST_PKGS=(
	systemd systemd-sysv udev dbus libpam-systemd systemd-resolved
	cloud-init cloud-guest-utils
	openssh-server sudo
	iproute2 iptables iputils-ping netbase ca-certificates
	sshfs fuse3 rsync
	linux-image-amd64 initramfs-tools zstd kmod
	e2fsprogs procps tzdata
)
# (in the hooks below, single-quoted $1 is the rootfs, for mmdebstrap's shell)
# shellcheck disable=SC2016
MM=(
	mmdebstrap --mode=root --variant=apt --arch=amd64 --components=main
	--include="$(
		IFS=,
		echo "${GUEST_PKGS[*]}"
	)"
	# merged /usr without the usrmerge package (and the perl it pulls in)
	--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
	# no fsync storm while unpacking; removed again from the guest below
	--dpkgopt=force-unsafe-io
	# nothing a test guest reads: manuals, docs (copyright kept), translations
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-include=/usr/share/locale/locale.alias'
	--dpkgopt='path-exclude=/usr/share/lintian/*'
	--dpkgopt='path-exclude=/usr/share/bug/*'
	--essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"'
	--essential-hook="copy-in $W/pre/clima.conf /etc/initramfs-tools/conf.d/"
	--essential-hook="copy-in $W/pre/clima-guest /etc/initramfs-tools/hooks/"
)
if [ -n "${DEB_CACHE-$PARENT/clima-debs}" ]; then
	DEB_CACHE=${DEB_CACHE-$PARENT/clima-debs}
	mkdir -p "$DEB_CACHE"
	# shellcheck disable=SC2016
	MM+=(
		--skip=essential/unlink
		--setup-hook='mkdir -p "$1/var/cache/apt/archives"'
		--setup-hook="sync-in $DEB_CACHE /var/cache/apt/archives/"
		--customize-hook="sync-out /var/cache/apt/archives $DEB_CACHE"
	)
else
	DEB_CACHE=
fi

T=$EPOCHREALTIME
say "mmdebstrap $SUITE (${#GUEST_PKGS[@]} packages requested)"
"${MM[@]}" "$SUITE" "$R" "${SOURCES[@]}" </dev/null >>"$LOG" 2>&1 ||
	fail "mmdebstrap failed (see $LOG)"
T_ROOTFS=$(secs_since "$T")

# the .deb cache keeps exactly the versions this build used
if [ -n "$DEB_CACHE" ]; then
	dpkg-query --admindir="$R/var/lib/dpkg" -W \
		-f '${Package}_${Version}_${Architecture}.deb\n' |
		sed 's/:/%3a/g' | sort >"$W/debs.used"
	for f in "$DEB_CACHE"/*.deb; do
		[ -e "$f" ] || continue
		grep -qxF "${f##*/}" "$W/debs.used" || rm -f "$f"
	done
fi

KVER=
for d in "$R"/lib/modules/*/; do
	d=${d%/}
	KVER=${d##*/}
done
if [ -z "$KVER" ] || [ ! -f "$R/boot/vmlinuz-$KVER" ] || [ ! -f "$R/boot/initrd.img-$KVER" ]; then
	fail "no kernel or initrd in the rootfs"
fi
say "rootfs ready in ${T_ROOTFS}s, kernel $KVER"

# ---------------------------------------------------------------------------
# Guest configuration.
# ---------------------------------------------------------------------------
T=$EPOCHREALTIME
in_guest() { chroot "$R" "$@" </dev/null >>"$LOG" 2>&1; }

# cloud-init: NoCloud only (never probes the network for metadata), networkd,
# ed25519 host keys only (RSA key generation takes long under TCG), and the
# modules Lima's user-data relies on -- nothing else, every module costs
# Python start-up time in an emulated guest.
cat >"$R/etc/cloud/cloud.cfg.d/10-clima.cfg" <<'EOF'
# clima test guest
datasource_list: [NoCloud, None]
datasource:
  NoCloud:
    fs_label: cidata
system_info:
  network:
    renderers: [networkd]
    activators: [networkd]
ssh_deletekeys: true
ssh_genkeytypes: [ed25519]
locale: C.UTF-8
cloud_init_modules:
  - seed_random
  - bootcmd
  - write_files
  - growpart
  - resizefs
  - mounts
  - set_hostname
  - update_hostname
  - update_etc_hosts
  - ca_certs
  - users_groups
  - ssh
cloud_config_modules:
  - set_passwords
  - apt_configure
  - timezone
  - runcmd
cloud_final_modules:
  - package_update_upgrade_install
  - write_files_deferred
  - scripts_vendor
  - scripts_per_once
  - scripts_per_boot
  - scripts_per_instance
  - scripts_user
  - final_message
  - power_state_change
EOF

# networking: systemd-networkd (cloud-init writes its .network files) and
# systemd-resolved; booting waits for one configured link, not all of them
in_guest systemctl enable systemd-networkd.service systemd-resolved.service
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat >"$R/etc/systemd/system/systemd-networkd-wait-online.service.d/clima.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=60
EOF

# sshd: no host keys in the image.  cloud-init's ssh module makes them on
# first boot; if cloud-init did not run, sshd makes an ed25519 key itself.
rm -f "$R"/etc/ssh/ssh_host_*
mkdir -p "$R/etc/systemd/system/ssh.service.d"
cat >"$R/etc/systemd/system/ssh.service.d/clima-hostkey.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
EOF

# periodic jobs that would only steal CPU from an emulated test guest
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	e2scrub_all.timer fstrim.timer getty@tty1.service; do
	in_guest systemctl disable "$unit" || true
done
in_guest systemctl mask e2scrub_reap.service

cat >"$R/etc/fstab" <<EOF
# clima guest
LABEL=$ROOT_LABEL / ext4 defaults,discard,errors=remount-ro 0 1
EOF
echo localhost >"$R/etc/hostname"
cat >"$R/etc/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
EOF
echo LANG=C.UTF-8 >"$R/etc/default/locale"
in_guest passwd -l root

# the build-only dpkg option must not follow the guest into production
sed -i '/^force-unsafe-io$/d' "$R/etc/dpkg/dpkg.cfg.d/99mmdebstrap"

# kernel modules a QEMU guest never loads: GPUs, sound, wireless, media,
# physical NICs (but QEMU's e1000/e1000e/igb) and HBAs, laptop platform
# drivers, exotic filesystems, kernel self-tests.  virtio, 9p, fuse,
# netfilter, bridge/veth/vxlan, overlay, NFS/SMB and iSCSI stay.
M=$R/lib/modules/$KVER/kernel
for sub in sound drivers/gpu drivers/media drivers/staging drivers/comedi \
	drivers/infiniband drivers/iio drivers/isdn drivers/nfc drivers/bluetooth \
	drivers/mtd drivers/thunderbolt drivers/firewire drivers/atm drivers/pcmcia \
	drivers/mmc drivers/memstick drivers/w1 drivers/fpga drivers/gnss \
	drivers/soundwire drivers/ssb drivers/bcma drivers/platform/x86 \
	drivers/platform/chrome drivers/platform/surface drivers/usb/atm \
	drivers/input/touchscreen drivers/input/joystick drivers/input/tablet \
	drivers/usb/gadget drivers/usb/serial drivers/usb/typec \
	drivers/net/wireless drivers/net/wan drivers/net/usb drivers/net/can \
	drivers/net/hamradio drivers/net/ieee802154 drivers/net/wwan \
	drivers/net/fddi drivers/net/arcnet drivers/net/dsa \
	net/bluetooth net/mac80211 net/wireless net/nfc net/ieee802154 \
	net/mac802154 net/can net/atm net/batman-adv \
	fs/ocfs2 fs/gfs2 fs/dlm fs/nilfs2 fs/ubifs fs/jffs2 fs/reiserfs fs/jfs \
	fs/hfs fs/hfsplus fs/ufs fs/affs fs/befs fs/bfs fs/efs fs/hpfs fs/minix \
	fs/omfs fs/qnx4 fs/qnx6 fs/sysv fs/romfs; do
	rm -rf "${M:?}/$sub"
done
rm -f "$M"/lib/test_*.ko*
for keep in "drivers/net/ethernet intel" "drivers/net/ethernet/intel e1000 e1000e igb" \
	"drivers/scsi device_handler"; do
	read -r sub names <<<"$keep"
	[ -d "$M/$sub" ] || continue
	for entry in "$M/$sub"/*/; do
		entry=${entry%/}
		case " $names " in *" ${entry##*/} "*) continue ;; esac
		rm -rf "$entry"
	done
done
# then every module left dangling (it depends on one removed above), until
# nothing changes; modinfo's "depends" names modules, builtins count as present
dangling_modules() {
	{
		sed 's|^|builtin |' "$R/lib/modules/$KVER/modules.builtin"
		(cd "$R" && find "lib/modules/$KVER/kernel" -name '*.ko*' -printf '/%p\n') |
			chroot "$R" xargs -r modinfo 2>/dev/null |
			awk '/^filename:/ { f = $2 } /^depends:/ { print f, $2 }'
	} | awk '
		function modname(p) { sub(/.*\//, "", p); sub(/\.ko.*$/, "", p); gsub(/-/, "_", p); return p }
		$1 == "builtin" { have[modname($2)] = 1; next }
		{ have[modname($1)] = 1; need[$1] = $2 }
		END {
			for (p in need) {
				n = split(need[p], d, ",")
				for (i = 1; i <= n; i++) {
					x = d[i]; gsub(/-/, "_", x)
					if (x != "" && !(x in have)) { print p; break }
				}
			}
		}'
}
for _ in 1 2 3 4 5 6 7 8; do
	gone=$(dangling_modules)
	[ -n "$gone" ] || break
	while read -r f; do
		echo "pruned (dangling dependency): $f" >>"$LOG"
		rm -f "$R$f"
	done <<<"$gone"
done
[ -z "$(dangling_modules)" ] || fail "kernel modules with missing dependencies remain after pruning"
in_guest depmod -a "$KVER"
for mod in 9p 9pnet_virtio virtio_net virtio_scsi sr_mod isofs fuse overlay \
	nf_tables br_netfilter veth; do
	grep -qE "/$mod\.ko" "$R/lib/modules/$KVER/modules.dep" ||
		grep -qE "/$mod\.ko" "$R/lib/modules/$KVER/modules.builtin" ||
		fail "kernel module $mod missing after pruning"
done

# first-boot state: no identity, no cloud-init history, no logs
: >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$R/var/lib/dbus/machine-id"
rm -rf "$R"/var/lib/cloud/* "$R"/var/log/cloud-init*.log
find "$R/var/log" -type f -exec truncate -s 0 {} +
rm -rf "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/* "$R"/tmp/* "$R"/var/tmp/*

# GRUB reads this from the root filesystem (GRUB itself is not a guest
# package: its BIOS and EFI images are written into the disk below)
mkdir -p "$R/boot/grub"
cat >"$R/boot/grub/grub.cfg" <<EOF
# clima guest
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry 'Debian GNU/Linux 12 (clima guest)' {
	linux /boot/vmlinuz-$KVER root=LABEL=$ROOT_LABEL $CMDLINE_ARGS
	initrd /boot/initrd.img-$KVER
}
EOF

pkg_version() {
	dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' "$1" 2>/dev/null || echo unknown
}
dpkg-query --admindir="$R/var/lib/dpkg" -W \
	-f '${Package}\t${Version}\t${Installed-Size}\n' >"$STAGE/packages.txt"
cp "$R/boot/vmlinuz-$KVER" "$STAGE/vmlinuz"
cp "$R/boot/initrd.img-$KVER" "$STAGE/initrd.img"
echo "root=LABEL=$ROOT_LABEL $CMDLINE_ARGS" >"$STAGE/cmdline"
ROOTFS_MIB=$(du -sxm "$R" | cut -f1)
T_CONFIG=$(secs_since "$T")
say "guest configured in ${T_CONFIG}s, rootfs ${ROOTFS_MIB} MiB"

# ---------------------------------------------------------------------------
# Disk: GPT written with sfdisk onto a sparse file; every filesystem is made
# in place at its partition offset (mkfs.ext4 -d, mkfs.fat --offset, mtools
# @@offset), so no loop device and no mount is ever needed.
# ---------------------------------------------------------------------------
T=$EPOCHREALTIME
DISK=$W/disk.raw
sectors=$((disk_bytes / 512))
BIOS_START=2048 BIOS_SECTORS=2048 # 1 MiB for GRUB's core.img
ESP_START=4096 ESP_SECTORS=32768  # 16 MiB EFI system partition
ROOT_START=36864
# the root partition ends on a 1 MiB boundary before the backup GPT
ROOT_SECTORS=$(((sectors - 33 - ROOT_START) / 2048 * 2048))
[ $((ROOT_SECTORS / 2048)) -ge $((ROOTFS_MIB * 5 / 4 + 64)) ] ||
	fail "DISK_SIZE=$DISK_SIZE is too small for a ${ROOTFS_MIB} MiB root filesystem"
truncate -s "$disk_bytes" "$DISK"
sfdisk --no-reread --no-tell-kernel -q "$DISK" >>"$LOG" 2>&1 <<EOF || fail "sfdisk failed (see $LOG)"
label: gpt
first-lba: 2048
${DISK}14 : start=$BIOS_START, size=$BIOS_SECTORS, type=21686148-6449-6E6F-744E-656564454649, name="bios-boot"
${DISK}15 : start=$ESP_START, size=$ESP_SECTORS, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
${DISK}1 : start=$ROOT_START, size=$ROOT_SECTORS, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="rootfs"
EOF

ROOT_UUID=$(cat /proc/sys/kernel/random/uuid)
say "mkfs.ext4 -d: $((ROOT_SECTORS / 2048)) MiB root filesystem"
mkfs.ext4 -q -F -t ext4 -b 4096 -L "$ROOT_LABEL" -U "$ROOT_UUID" \
	-E "offset=$((ROOT_START * 512)),nodiscard,root_owner=0:0" -d "$R" \
	"$DISK" $((ROOT_SECTORS / 8)) >>"$LOG" 2>&1 || fail "mkfs.ext4 failed (see $LOG)"

# GRUB images: an embedded config finds the root filesystem by UUID; normal
# mode then reads /boot/grub/grub.cfg from it.  All modules are built in.
cat >"$W/grub-early.cfg" <<EOF
search --no-floppy --fs-uuid --set=root $ROOT_UUID
set prefix=(\$root)/boot/grub
EOF
GRUB_MODULES=(part_gpt ext2 search search_fs_uuid normal configfile linux
	boot echo test serial terminal)
grub-mkimage -O i386-pc -d /usr/lib/grub/i386-pc -p /boot/grub -c "$W/grub-early.cfg" \
	-o "$W/core.img" biosdisk "${GRUB_MODULES[@]}" >>"$LOG" 2>&1 ||
	fail "grub-mkimage i386-pc failed (see $LOG)"
grub-mkimage -O x86_64-efi -d /usr/lib/grub/x86_64-efi -p /boot/grub -c "$W/grub-early.cfg" \
	-o "$W/BOOTX64.EFI" "${GRUB_MODULES[@]}" efi_gop fat >>"$LOG" 2>&1 ||
	fail "grub-mkimage x86_64-efi failed (see $LOG)"

# BIOS boot without grub-bios-setup (which wants a block device): the MBR
# code (boot.img) is told where core.img starts, and core.img's first
# sector (diskboot) where the rest of core.img is.
hexat() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
poke_u64() { # FILE OFFSET VALUE, little endian
	perl -e 'print pack("Q<", $ARGV[0])' "$3" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
core_sectors=$((($(stat -c %s "$W/core.img") + 511) / 512))
[ "$core_sectors" -le "$BIOS_SECTORS" ] || fail "GRUB core.img does not fit the BIOS boot partition"
cp /usr/lib/grub/i386-pc/boot.img "$W/boot.img"
# GRUB 2.06 layout: kernel sector (u64) at 0x5c, drive check (jmp) at 0x66,
# diskboot blocklist {u64 start, u16 count, u16 segment} at 0x1f4
if [ "$(hexat "$W/boot.img" 92 8)" != 0100000000000000 ] ||
	[ "$(hexat "$W/boot.img" 102 2)" != eb05 ] ||
	[ "$(hexat "$W/core.img" 500 8)" != 0200000000000000 ]; then
	fail "GRUB boot.img/core.img layout not recognised (grub-pc-bin $(dpkg-query -W -f '${Version}' grub-pc-bin))"
fi
count_hex=$(hexat "$W/core.img" 508 2)
[ $((16#${count_hex:2:2}${count_hex:0:2})) -eq $((core_sectors - 1)) ] ||
	fail "unexpected sector count in GRUB core.img"
poke_u64 "$W/boot.img" 92 "$BIOS_START"
printf '\220\220' | dd of="$W/boot.img" bs=1 seek=102 conv=notrunc status=none
poke_u64 "$W/core.img" 500 $((BIOS_START + 1))
dd if="$W/boot.img" of="$DISK" bs=440 count=1 conv=notrunc status=none
dd if="$W/core.img" of="$DISK" bs=512 seek="$BIOS_START" conv=notrunc status=none

mkfs.fat -F 16 --offset "$ESP_START" -n ESP "$DISK" $((ESP_SECTORS / 2)) >>"$LOG" 2>&1 ||
	fail "mkfs.fat failed (see $LOG)"
ESP_IMG="$DISK@@$((ESP_START * 512))"
if ! MTOOLS_SKIP_CHECK=1 mmd -i "$ESP_IMG" ::/EFI ::/EFI/BOOT >>"$LOG" 2>&1 ||
	! MTOOLS_SKIP_CHECK=1 mcopy -i "$ESP_IMG" "$W/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI >>"$LOG" 2>&1; then
	fail "writing the EFI system partition failed (see $LOG)"
fi
sfdisk --verify "$DISK" >>"$LOG" 2>&1 || fail "sfdisk --verify failed (see $LOG)"
T_DISK=$(secs_since "$T")

T=$EPOCHREALTIME
say "qemu-img convert (compressed, $QCOW2_COMPRESSION)"
qemu-img convert -f raw -O qcow2 -c \
	-o "compat=1.1,cluster_size=65536,compression_type=$QCOW2_COMPRESSION" \
	"$DISK" "$STAGE/$IMAGE" >>"$LOG" 2>&1 || fail "qemu-img convert failed (see $LOG)"
qemu-img check -q "$STAGE/$IMAGE" >>"$LOG" 2>&1 || fail "qemu-img check failed (see $LOG)"
T_QCOW2=$(secs_since "$T")

# ---------------------------------------------------------------------------
# Checksums, manifest, then move the finished directory into place.
# ---------------------------------------------------------------------------
(cd "$STAGE" && sha256sum "$IMAGE" >"$IMAGE.sha256")
qcow2_bytes=$(stat -c %s "$STAGE/$IMAGE")
sum_of() { sha256sum "$STAGE/$1" | cut -d' ' -f1; }
file_json() { # NAME -> {"bytes": N, "sha256": "..."}
	printf '{"bytes": %s, "sha256": "%s"}' "$(stat -c %s "$STAGE/$1")" "$(sum_of "$1")"
}
T_TOTAL=$(secs_since "$T_ALL")
cat >"$STAGE/manifest.json" <<EOF
{
  "name": "$NAME",
  "recipe": $RECIPE,
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "distribution": {"suite": "$SUITE", "debian_version": "$(cat "$R/etc/debian_version")", "arch": "x86_64"},
  "files": {
    "$IMAGE": $(file_json "$IMAGE"),
    "vmlinuz": $(file_json vmlinuz),
    "initrd.img": $(file_json initrd.img)
  },
  "qcow2": {"compression": "$QCOW2_COMPRESSION", "virtual_bytes": $disk_bytes},
  "cmdline": "$(cat "$STAGE/cmdline")",
  "partitions": [
    {"number": 1, "start": $ROOT_START, "sectors": $ROOT_SECTORS, "fs": "ext4", "label": "$ROOT_LABEL", "uuid": "$ROOT_UUID"},
    {"number": 14, "start": $BIOS_START, "sectors": $BIOS_SECTORS, "content": "GRUB i386-pc core.img"},
    {"number": 15, "start": $ESP_START, "sectors": $ESP_SECTORS, "fs": "vfat", "content": "/EFI/BOOT/BOOTX64.EFI"}
  ],
  "boot": ["direct-kernel", "seabios", "ovmf"],
  "rootfs_mib": $ROOTFS_MIB,
  "packages": $(wc -l <"$STAGE/packages.txt"),
  "kernel": {"release": "$KVER", "version": "$(pkg_version "linux-image-$KVER")"},
  "versions": {
    "systemd": "$(pkg_version systemd)",
    "cloud-init": "$(pkg_version cloud-init)",
    "openssh-server": "$(pkg_version openssh-server)",
    "sudo": "$(pkg_version sudo)",
    "sshfs": "$(pkg_version sshfs)",
    "iptables": "$(pkg_version iptables)",
    "python3": "$(pkg_version python3)",
    "grub-boot-code": "$(dpkg-query -W -f '${Version}' grub-pc-bin 2>/dev/null || echo unknown)"
  },
  "build_seconds": {"rootfs": $T_ROOTFS, "configure": $T_CONFIG, "disk": $T_DISK, "qcow2": $T_QCOW2, "total": $T_TOTAL}
}
EOF
if command -v python3 >/dev/null; then
	python3 -m json.tool "$STAGE/manifest.json" >/dev/null 2>&1 || fail "generated manifest.json is not valid JSON"
fi
printf '%s\nqcow2_bytes=%s\n' "$WANT_STAMP" "$qcow2_bytes" >"$STAGE/.stamp"

# swap directories: readers see the old complete image, briefly nothing, or
# the new complete image -- never a partial one
if [ -e "$OUT" ]; then
	mv "$OUT" "$W/previous"
fi
mv "$STAGE" "$OUT"
say "done in ${T_TOTAL}s: $OUT/$IMAGE ($((qcow2_bytes / 1048576)) MiB, rootfs ${ROOTFS_MIB} MiB)"
