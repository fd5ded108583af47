#!/bin/sh
# clima: cidata.iso as the guest sees it.  test-cidata writes the image
# of its fixed lima.yaml; isoinfo (and xorriso) read it back: the label,
# Rock Ridge, every file name, lima.env through a real shell, and the
# boot scripts byte for byte.  Also sh -n (and shellcheck) on boot/.
set -eu
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

if ! command -v isoinfo >/dev/null 2>&1; then
	echo "1..0 # SKIP isoinfo (genisoimage) is not installed"
	exit 0
fi

ISO=$T_TMP/cidata.iso
run timeout 60 "$top_builddir/tests/unit/test-cidata" "$ISO"
t_rc 0 "test-cidata writes the image"
t_ok "$([ -s "$ISO" ]; echo $?)" "the image exists"

run isoinfo -d -i "$ISO"
t_grep out "Volume id: cidata" "volume id is cidata (lowercase)"
t_grep out "Rock Ridge signatures" "Rock Ridge is present"
t_grep out "NO Joliet present" "no Joliet"

run isoinfo -R -f -i "$ISO"
cp "$T_TMP/out" "$T_TMP/files"
for f in /user-data /meta-data /network-config /lima.env /param.env \
	/etc_environment /boot.sh /boot.Linux/07-etc-environment.sh \
	/boot.Linux/05-lima-disks.sh /boot.essential.Linux/10-alpine-prep.sh \
	/util/lima-lib.sh /provision.system/00000000 /provision.user/00000001 \
	/provision.data/00000003 /provision.dependency/00000004 \
	/provision.yq/00000005; do
	t_ok "$(grep -qx "$f" "$T_TMP/files"; echo $?)" "image has $f"
done
if grep -q 'provision\.boot' "$T_TMP/files"; then rc=1; else rc=0; fi
t_ok "$rc" "mode: boot scripts are not files"
long=$(sed 's|.*/||' "$T_TMP/files" | awk 'length($0) > 30' | head -1)
t_is "$long" "" "no file name is longer than 30 characters"

# Every boot script is in the image, unchanged.
missing=
for src in "$top_srcdir"/boot/boot.sh "$top_srcdir"/boot/boot.*/*.sh \
	"$top_srcdir"/boot/util/*.sh; do
	rel=${src#"$top_srcdir"/boot}
	isoinfo -R -x "$rel" -i "$ISO" >"$T_TMP/x" 2>/dev/null || :
	cmp -s "$src" "$T_TMP/x" || missing="$missing $rel"
done
t_is "$missing" "" "boot scripts are copied byte for byte"

# lima.env is valid shell and keeps values with spaces intact.
isoinfo -R -x /lima.env -i "$ISO" >"$T_TMP/lima.env"
run sh -c '. "$1" && printf "%s|%s|%s|%s\n" "$LIMA_CIDATA_COMMENT" \
	"$LIMA_CIDATA_DISK_0_FSARGS" "$LIMA_CIDATA_IID" \
	"$LIMA_CIDATA_UDP_DNS_LOCAL_PORT"' sh "$T_TMP/lima.env"
t_rc 0 "lima.env sources in sh"
t_is "$(out)" "Alice Liddell|-m 0|iid-1700000000|40053" \
	"lima.env values survive the shell"
n=$(grep -c '^LIMA_CIDATA_' "$T_TMP/lima.env")
t_is "$(grep -cv '^LIMA_CIDATA_' "$T_TMP/lima.env")" 0 \
	"lima.env holds only LIMA_CIDATA_ lines ($n)"

isoinfo -R -x /user-data -i "$ISO" >"$T_TMP/user-data"
t_is "$(head -n1 "$T_TMP/user-data")" "#cloud-config" "user-data header"
t_ok "$(grep -q '00-lima.boot.sh' "$T_TMP/user-data"; echo $?)" \
	"user-data installs the per-boot hook"
isoinfo -R -x /meta-data -i "$ISO" >"$T_TMP/meta-data"
t_is "$(cat "$T_TMP/meta-data")" "instance-id: iid-1700000000
local-hostname: lima-test" "meta-data"
isoinfo -R -x /provision.system/00000000 -i "$ISO" >"$T_TMP/p0"
t_is "$(cat "$T_TMP/p0")" "#!/bin/sh
echo system" "provision.system/00000000 holds the script"
isoinfo -R -x /provision.data/00000003 -i "$ISO" >"$T_TMP/p3"
t_is "$(cat "$T_TMP/p3")" "hello" "provision.data/00000003 holds the content"

if command -v xorriso >/dev/null 2>&1; then
	run xorriso -indev "$ISO" -ls /boot.Linux
	t_grep out "09-host-dns-setup.sh" "xorriso lists boot.Linux"
fi

# The boot scripts parse, and the shared helper reads env files right.
bad=
for src in "$top_srcdir"/boot/boot.sh "$top_srcdir"/boot/boot.*/*.sh \
	"$top_srcdir"/boot/util/*.sh; do
	sh -n "$src" 2>/dev/null || bad="$bad ${src#"$top_srcdir"/}"
done
t_is "$bad" "" "sh -n on every boot script"
if command -v shellcheck >/dev/null 2>&1; then
	run sh -c 'cd "$1/boot" && shellcheck -x -P SCRIPTDIR boot.sh \
		boot.*/*.sh util/*.sh' sh "$top_srcdir"
	t_rc 0 "shellcheck on the boot scripts"
fi
# shellcheck disable=SC2016 # a literal $HOME: values are not expanded
printf '#LIMA-START\nA=1 2\n9BAD=x\nB-C=y\n# c\nD=$HOME\n#LIMA-END\n' \
	>"$T_TMP/envfile"
run sh -c '. "$1/boot/util/lima-lib.sh" && lima_export_file "$2" &&
	printf "%s|%s\n" "$A" "$D"' sh "$top_srcdir" "$T_TMP/envfile"
t_is "$(out)" "1 2|\$HOME" "lima_export_file: raw values, bad names skipped"
run sh -c '. "$1/boot/util/lima-lib.sh" && lima_log hello' sh "$top_srcdir"
t_ok "$(grep -qE '^LIMA [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\| hello$' \
	"$T_TMP/out"; echo $?)" "lima_log prints LIMA <time>| message"

t_done
