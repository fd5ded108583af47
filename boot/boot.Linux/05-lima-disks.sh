#!/bin/sh
# clima: additional disks (/dev/vdb, /dev/vdc, ... in lima.yaml order).
# On first use a disk gets a GPT with one partition and, when format is
# true, a filesystem (or swap) labelled lima-<name>; every boot it is
# mounted at /mnt/lima-<name> (or swapped on) and grown to fill the disk.
set -u
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

rc=0

# part_of DEV: the first partition's device node.
part_of() {
	case $1 in
	*[0-9]) echo "${1}p1" ;;
	*) echo "${1}1" ;;
	esac
}

# partition DEV: one GPT partition over the whole disk.
partition() {
	if lima_have sfdisk; then
		printf 'label: gpt\n,,\n' | sfdisk -q "$1"
	elif lima_have sgdisk; then
		sgdisk -o -n 1:0:0 "$1"
	elif lima_have parted; then
		parted -s "$1" mklabel gpt mkpart primary 0% 100%
	else
		lima_warn "no sfdisk, sgdisk or parted to partition $1"
		return 1
	fi
}

# wait_node DEV NODE: udev may take a moment to make the partition node.
wait_node() {
	if lima_have partprobe; then
		partprobe "$1" >/dev/null 2>&1 || :
	fi
	if lima_have udevadm; then
		udevadm settle --timeout=10 >/dev/null 2>&1 || :
	fi
	n=0
	while [ ! -b "$2" ] && [ "$n" -lt 20 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	[ -b "$2" ]
}

# mkfs_label TYPE PART LABEL ARGS...
mkfs_label() {
	t=$1 p=$2 l=$3
	shift 3
	case $t in
	swap) mkswap -L "$l" "$@" "$p" ;;
	vfat | fat) mkfs.vfat -n "$l" "$@" "$p" ;;
	*) "mkfs.$t" -L "$l" "$@" "$p" ;;
	esac
}

# grown DEV PART: grows PART when the disk got bigger (limactl disk
# resize); sets grew=1 then.  Checks sysfs first: growpart is slow.
grown() {
	grew=0
	sys=/sys/class/block
	size=$(cat "$sys/${1##*/}/size" 2>/dev/null) || return 1
	start=$(cat "$sys/${2##*/}/start" 2>/dev/null) || return 1
	psize=$(cat "$sys/${2##*/}/size" 2>/dev/null) || return 1
	# GPT keeps 33 sectors at the end; allow 1 MiB of slack.
	[ $((start + psize + 2048)) -lt "$size" ] || return 1
	lima_have growpart || return 1
	growpart "$1" 1 >/dev/null 2>&1 || return 1
	grew=1
}

# grow_fs TYPE PART MOUNTPOINT: online growth after a disk resize.
grow_fs() {
	case $1 in
	ext2 | ext3 | ext4) resize2fs "$2" >/dev/null 2>&1 ;;
	xfs) xfs_growfs "$3" >/dev/null 2>&1 ;;
	btrfs) btrfs filesystem resize max "$3" >/dev/null 2>&1 ;;
	esac
	return 0
}

i=0
while [ "$i" -lt "${LIMA_CIDATA_DISKS:-0}" ]; do
	name=$(lima_var "LIMA_CIDATA_DISK_${i}_NAME")
	dev=$(lima_var "LIMA_CIDATA_DISK_${i}_DEVICE")
	format=$(lima_var "LIMA_CIDATA_DISK_${i}_FORMAT")
	fstype=$(lima_var "LIMA_CIDATA_DISK_${i}_FSTYPE")
	fsargs=$(lima_var "LIMA_CIDATA_DISK_${i}_FSARGS")
	: "${fstype:=ext4}"
	i=$((i + 1))
	case $dev in
	/*) ;;
	*) dev=/dev/$dev ;;
	esac
	label=lima-$name
	mnt=/mnt/lima-$name
	if [ ! -b "$dev" ]; then
		lima_warn "disk $name: no $dev"
		rc=1
		continue
	fi
	part=$(part_of "$dev")
	grew=0
	if [ ! -b "$part" ]; then
		if [ "$format" != true ]; then
			lima_warn "disk $name: $dev has no partition and" \
				"format is false; leaving it alone"
			continue
		fi
		lima_log "Partitioning $dev for disk $name"
		if ! partition "$dev" || ! wait_node "$dev" "$part"; then
			lima_warn "disk $name: could not partition $dev"
			rc=1
			continue
		fi
	elif grown "$dev" "$part"; then
		lima_log "Grew the partition of disk $name"
	fi
	if [ "$format" = true ] && [ -z "$(blkid -o value -s TYPE "$part")" ]
	then
		lima_log "Formatting $part ($fstype, label $label)"
		# shellcheck disable=SC2086 # fsargs is a word list
		if ! mkfs_label "$fstype" "$part" "$label" $fsargs; then
			lima_warn "disk $name: mkfs.$fstype failed"
			rc=1
			continue
		fi
	fi
	if [ "$fstype" = swap ]; then
		real=$(readlink -f "$part")
		grep -q "^$real " /proc/swaps || swapon "$part" || rc=1
		continue
	fi
	mkdir -p "$mnt"
	if ! mountpoint -q "$mnt"; then
		if ! mount "$part" "$mnt"; then
			lima_warn "disk $name: could not mount $part on $mnt"
			rc=1
			continue
		fi
	fi
	if [ "$grew" = 1 ]; then
		grow_fs "$fstype" "$part" "$mnt"
	fi
	lima_log "Disk $name is mounted on $mnt"
done
exit "$rc"
