#!/bin/sh
# clima: reverse-sshfs mount points (made here, owned by the user, so
# that the hostagent's unprivileged sshfs can mount on them), and the
# guest agent: installed into <prefix>/bin when cidata carries one and it
# changed, then run as a systemd or OpenRC service.
set -eu
# shellcheck source=../util/lima-lib.sh
. "$LIMA_CIDATA_MNT/util/lima-lib.sh"

user=$LIMA_CIDATA_USER
group=$(id -gn "$user" 2>/dev/null || echo "$user")

if [ "${LIMA_CIDATA_MOUNTTYPE:-}" = reverse-sshfs ]; then
	i=0
	while [ "$i" -lt "${LIMA_CIDATA_MOUNTS:-0}" ]; do
		mp=$(lima_var "LIMA_CIDATA_MOUNTS_${i}_MOUNTPOINT")
		i=$((i + 1))
		[ -n "$mp" ] || continue
		if mountpoint -q "$mp" 2>/dev/null; then
			continue
		fi
		lima_mkdir_owned "$mp" "$user:$group"
		if [ "$(stat -c %u "$mp")" = 0 ]; then
			chown "$user:$group" "$mp"
		fi
	done
fi

src=$LIMA_CIDATA_MNT/lima-guestagent
[ -f "$src" ] || exit 0
prefix=${LIMA_CIDATA_GUEST_INSTALL_PREFIX:-/usr/local}
bin=$prefix/bin/lima-guestagent
changed=0
if ! cmp -s "$src" "$bin"; then
	lima_log "Installing $bin"
	mkdir -p "$prefix/bin"
	cp "$src" "$bin.lima-tmp"
	chmod 0755 "$bin.lima-tmp"
	mv -f "$bin.lima-tmp" "$bin"
	changed=1
fi

# How the agent reaches the hostagent.
if [ "${LIMA_CIDATA_VSOCK_PORT:-0}" != 0 ]; then
	args="--vsock-port $LIMA_CIDATA_VSOCK_PORT"
elif [ -n "${LIMA_CIDATA_VIRTIO_PORT:-}" ]; then
	args="--virtio-port $LIMA_CIDATA_VIRTIO_PORT"
else
	args="--socket-owner $LIMA_CIDATA_UID"
fi

if lima_is_systemd; then
	unit=/etc/systemd/system/lima-guestagent.service
	cat >"$unit.lima-tmp" <<EOT
# clima: written by cidata's 25-guestagent-base.sh at every boot.
[Unit]
Description=lima-guestagent

[Service]
ExecStart=$bin daemon $args
Type=simple
Restart=on-failure
OOMPolicy=continue
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
EOT
	if cmp -s "$unit.lima-tmp" "$unit"; then
		rm -f "$unit.lima-tmp"
	else
		mv -f "$unit.lima-tmp" "$unit"
		changed=1
		systemctl daemon-reload
	fi
	systemctl enable lima-guestagent.service >/dev/null 2>&1 || :
	if [ "$changed" = 1 ]; then
		systemctl restart lima-guestagent.service
	else
		systemctl start lima-guestagent.service
	fi
elif lima_have rc-service; then
	init=/etc/init.d/lima-guestagent
	cat >"$init.lima-tmp" <<EOT
#!/sbin/openrc-run
# clima: written by cidata's 25-guestagent-base.sh at every boot.
supervisor=supervise-daemon
name=lima-guestagent
command=$bin
command_args="daemon $args"
output_log=/var/log/lima-guestagent.log
error_log=/var/log/lima-guestagent.log
EOT
	chmod 0755 "$init.lima-tmp"
	mv -f "$init.lima-tmp" "$init"
	rc-update add lima-guestagent default >/dev/null 2>&1 || :
	if [ "$changed" = 1 ]; then
		rc-service lima-guestagent restart
	else
		rc-service lima-guestagent start
	fi
else
	lima_warn "no systemd or OpenRC: lima-guestagent is not started"
fi
