#!/bin/sh
# clima: the user's home.  cloud-init's mounts step may create mount
# points under it (as root) before the user exists, so give the home and
# the directories between it and a mount point back to the user.  Then
# link /home/<user>.linux and /home/<user>.guest, whichever is missing.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

home=$LIMA_CIDATA_HOME
user=$LIMA_CIDATA_USER
group=$(id -gn "$user" 2>/dev/null || echo "$user")

# chown_root_owned DIR: hands DIR to the user if root owns it.
chown_root_owned() {
	if [ -d "$1" ] && [ "$(stat -c %u "$1")" = 0 ]; then
		lima_log "Fixing the owner of $1"
		chown "$user:$group" "$1"
	fi
}

chown_root_owned "$home"
i=0
while [ "$i" -lt "${LIMA_CIDATA_MOUNTS:-0}" ]; do
	mp=$(lima_var "LIMA_CIDATA_MOUNTS_${i}_MOUNTPOINT")
	i=$((i + 1))
	case $mp in
	"$home"/*) ;;
	*) continue ;;
	esac
	# Every directory strictly between the home and the mount point.
	d=$(dirname "$mp")
	while [ "$d" != "$home" ] && [ "$d" != / ]; do
		chown_root_owned "$d"
		d=$(dirname "$d")
	done
done

base=/home/$user
if [ -d "$base.linux" ] && [ ! -e "$base.guest" ] && [ ! -L "$base.guest" ]
then
	ln -s "$user.linux" "$base.guest"
elif [ -d "$base.guest" ] && [ ! -e "$base.linux" ] &&
	[ ! -L "$base.linux" ]; then
	ln -s "$user.guest" "$base.linux"
fi
