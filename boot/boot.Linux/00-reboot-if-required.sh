#!/bin/sh
# clima: after upgradePackages on a dnf system, ask boot.sh for a reboot
# when needs-restarting says the new packages need one.  (cloud-init's
# package_reboot_if_required covers apt.)
set -eu

[ "${LIMA_CIDATA_UPGRADE_PACKAGES:-}" = 1 ] || exit 0
command -v needs-restarting >/dev/null 2>&1 || exit 0
if ! needs-restarting -r >/dev/null 2>&1; then
	touch "$LIMA_REBOOT_REQUIRED"
fi
