#!/bin/sh
# clima: /run/host-services is where the hostagent forwards the host's
# ssh-agent socket; only the user may use it.
set -eu

dir=/run/host-services
mkdir -p "$dir"
chmod 0700 "$dir"
chown "$LIMA_CIDATA_USER" "$dir"
