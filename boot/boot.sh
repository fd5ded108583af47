#!/bin/sh
# clima: the guest half of cidata.iso, run as root by cloud-init at every
# boot (the per-boot hook in user-data mounts the volume and execs us).
# Loads lima.env, runs the boot modules in name order, applies the
# provision entries and writes the IID to /run/lima-boot-done.  A failed
# step is logged and turns the exit code to 1; the boot goes on.
set -u

LIMA_CIDATA_MNT=${LIMA_CIDATA_MNT:-/mnt/lima-cidata}
LIMA_REBOOT_REQUIRED=/run/lima-reboot-required
export LIMA_CIDATA_MNT LIMA_REBOOT_REQUIRED
# shellcheck source=util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

rm -f /run/lima-boot-done "$LIMA_REBOOT_REQUIRED"

set -a
# shellcheck disable=SC1091
. "$LIMA_CIDATA_MNT/lima.env"
set +a
lima_export_file "$LIMA_CIDATA_MNT/param.env"
lima_export_file "$LIMA_CIDATA_MNT/etc_environment"
PATH=$PATH:$LIMA_CIDATA_MNT/util
export PATH

CODE=0

# boot_run_dir DIR: runs every DIR/*.sh in name order.
boot_run_dir() {
	for f in "$LIMA_CIDATA_MNT/$1"/*.sh; do
		[ -f "$f" ] || continue
		lima_log "Executing $f"
		if ! "$f"; then
			lima_log "Failed to execute $f"
			CODE=1
		fi
	done
}

# boot_data: copies provision.data files to their paths.
boot_data() {
	for f in "$LIMA_CIDATA_MNT"/provision.data/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		path=$(lima_var "LIMA_CIDATA_DATAFILE_${n}_PATH")
		owner=$(lima_var "LIMA_CIDATA_DATAFILE_${n}_OWNER")
		perm=$(lima_var "LIMA_CIDATA_DATAFILE_${n}_PERMISSIONS")
		over=$(lima_var "LIMA_CIDATA_DATAFILE_${n}_OVERWRITE")
		if [ -z "$path" ]; then
			lima_log "Failed to copy data file $n: no path"
			CODE=1
			continue
		fi
		if [ -e "$path" ] && [ "$over" = false ]; then
			lima_log "Not overwriting $path"
			continue
		fi
		lima_log "Copying $f to $path"
		# A new directory belongs to the file's owner (user part).
		if ! lima_mkdir_owned "$(dirname "$path")" "${owner%%:*}" ||
			! cp "$f" "$path.lima-tmp" ||
			! chown "${owner:-root:root}" "$path.lima-tmp" ||
			! chmod "${perm:-644}" "$path.lima-tmp" ||
			! mv -f "$path.lima-tmp" "$path"; then
			rm -f "$path.lima-tmp"
			lima_log "Failed to copy data file to $path"
			CODE=1
		fi
	done
}

# boot_yq_format PATH FORMAT: the yq format, guessed from the name if auto.
boot_yq_format() {
	if [ "$2" != auto ] && [ -n "$2" ]; then
		printf '%s' "$2"
		return
	fi
	case $1 in
	*.json) echo json ;;
	*.toml) echo toml ;;
	*.xml) echo xml ;;
	*.ini) echo ini ;;
	*.csv) echo csv ;;
	*.tsv) echo tsv ;;
	*.properties) echo props ;;
	*) echo yaml ;;
	esac
}

# boot_yq: applies provision.yq expressions with the guest agent's yq.
boot_yq() {
	agent=$LIMA_CIDATA_MNT/lima-guestagent
	for f in "$LIMA_CIDATA_MNT"/provision.yq/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		if [ ! -x "$agent" ] || ! "$agent" yq --version >/dev/null 2>&1
		then
			lima_warn "Skipping yq provision $n: no lima-guestagent" \
				"with yq in cidata"
			continue
		fi
		path=$(lima_var "LIMA_CIDATA_YQ_PROVISION_${n}_PATH")
		owner=$(lima_var "LIMA_CIDATA_YQ_PROVISION_${n}_OWNER")
		perm=$(lima_var "LIMA_CIDATA_YQ_PROVISION_${n}_PERMISSIONS")
		fmt=$(boot_yq_format "$path" \
			"$(lima_var "LIMA_CIDATA_YQ_PROVISION_${n}_FORMAT")")
		lima_log "Applying yq expression $n to $path"
		# Evaluated into a temp file either way, then renamed.
		if [ -e "$path" ]; then
			set -- --input-format "$fmt" --output-format "$fmt" \
				--from-file "$f" "$path"
		else
			set -- --null-input --output-format "$fmt" --from-file "$f"
			lima_mkdir_owned "$(dirname "$path")" "${owner%%:*}"
		fi
		if ! "$agent" yq "$@" >"$path.lima-tmp" ||
			! chown "${owner:-root:root}" "$path.lima-tmp" ||
			! chmod "${perm:-644}" "$path.lima-tmp" ||
			! mv -f "$path.lima-tmp" "$path"; then
			rm -f "$path.lima-tmp"
			lima_log "Failed to apply yq expression $n to $path"
			CODE=1
		fi
	done
}

# boot_system: provision.system scripts, as root.
boot_system() {
	for f in "$LIMA_CIDATA_MNT"/provision.system/*; do
		[ -f "$f" ] || continue
		lima_log "Executing $f"
		if ! "$f"; then
			lima_log "Failed to execute $f"
			CODE=1
		fi
	done
}

# boot_user: provision.user scripts, as the user in a login shell.
boot_user() {
	set -- "$LIMA_CIDATA_MNT"/provision.user/*
	[ -f "$1" ] || return 0
	rundir=/run/user/$LIMA_CIDATA_UID
	if lima_is_systemd; then
		# The user's systemd instance (linger or login) owns rundir;
		# polled every 0.1 s for at most a minute.
		i=0
		while [ ! -S "$rundir/systemd/private" ] && [ "$i" -lt 600 ]; do
			if [ "$i" -eq 0 ]; then
				loginctl enable-linger "$LIMA_CIDATA_USER" \
					>/dev/null 2>&1 || :
			fi
			sleep 0.1
			i=$((i + 1))
		done
	fi
	params=$(lima_param_names)
	script=$LIMA_CIDATA_HOME/.lima-user-script
	for f in "$@"; do
		[ -f "$f" ] || continue
		lima_log "Executing $f (as user $LIMA_CIDATA_USER)"
		if ! install -m 700 -o "$LIMA_CIDATA_USER" "$f" "$script"; then
			lima_log "Failed to copy $f for $LIMA_CIDATA_USER"
			CODE=1
			continue
		fi
		if ! sudo -iu "$LIMA_CIDATA_USER" \
			${params:+"--preserve-env=$params"} \
			"XDG_RUNTIME_DIR=$rundir" "$script"; then
			lima_log "Failed to execute $f (as user" \
				"$LIMA_CIDATA_USER)"
			CODE=1
		fi
		rm -f "$script"
	done
}

# boot_password: without passwordless sudo the user needs a password.
boot_password() {
	[ "${LIMA_CIDATA_PASSWORDLESS_SUDO:-}" = 1 ] && return 0
	marker=$LIMA_CIDATA_HOME/.lima-password-set
	[ -e "$marker" ] && return 0
	pw=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	if printf '%s:%s\n' "$LIMA_CIDATA_USER" "$pw" | chpasswd &&
		(umask 077 && printf '%s\n' "$pw" >"$LIMA_CIDATA_HOME/password") &&
		chown "$LIMA_CIDATA_USER" "$LIMA_CIDATA_HOME/password" &&
		touch "$marker"; then
		lima_log "Password of $LIMA_CIDATA_USER is in ~/password"
	else
		lima_log "Failed to set the password of $LIMA_CIDATA_USER"
		CODE=1
	fi
}

# boot_reboot_if_required: reboots now if a step asked for it, before
# later steps run for nothing (or fail: Alpine's 00-alpine-user-group
# asks when cloud-init could not make the user yet).
boot_reboot_if_required() {
	[ -e "$LIMA_REBOOT_REQUIRED" ] || return 0
	lima_log "A reboot is required; rebooting"
	if lima_have systemctl; then systemctl reboot; else reboot; fi
	exit "$CODE"
}

lima_log "Running boot scripts (IID $LIMA_CIDATA_IID)"
boot_run_dir boot.essential.Linux
boot_reboot_if_required
if [ "${LIMA_CIDATA_PLAIN:-}" = 1 ]; then
	lima_log "Plain mode. Skipping boot.Linux/*.sh"
else
	boot_run_dir boot.Linux
fi
boot_reboot_if_required
boot_data
boot_yq
boot_system
boot_user
boot_password

lima_write_marker /run/lima-boot-done || CODE=1
lima_log "Boot scripts done, exit code $CODE"
exit "$CODE"
