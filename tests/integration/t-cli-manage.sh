#!/bin/sh
# clima: protect, delete, edit, clone, rename, factory-reset, prune, disk,
# show-ssh, info, validate and template, on a private LIMA_HOME.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

img="$T_TMP/base.qcow2"
qemu-img create -q -f qcow2 "$img" 64M
cat >"$T_TMP/t.yaml" <<YAML
images:
- location: "$img"
  arch: x86_64
cpus: 2
memory: 1GiB
disk: 1GiB
mounts: []
YAML
lc create --name=one "$T_TMP/t.yaml"
t_rc 0 "create"

# --- protect / unprotect / delete ------------------------------------------
lc protect one
t_grep err 'Protected `one`' "protect"
t_is "$(stat -c %a "$LIMA_HOME/one/protected")" 400 "protected file 0400"
lc protect one
t_rc 0 "protect twice"
t_grep err 'Instance `one` is already protected. Skipping.' "already protected"
lc delete one
t_rc 1 "delete a protected instance"
t_grep err 'instance is protected to prohibit accidental removal (Hint: use `limactl unprotect`)' \
    "protected delete message"
lc delete --force one
t_rc 1 "delete --force a protected instance"
test -d "$LIMA_HOME/one"
t_ok $? "protected instance still there"
lc unprotect one
t_grep err 'Unprotected `one`' "unprotect"
lc unprotect one
t_grep err "Instance \`one\` isn't protected. Skipping." "not protected"
lc protect nosuch
t_rc 1 "protect an unknown instance"
t_grep err 'failed to inspect instance `nosuch`' "unknown instance message"

# --- edit --------------------------------------------------------------
lc edit one --cpus 3 --set '.memory = "2GiB"'
t_rc 0 "edit with flags"
t_grep err 'Instance `one` configuration edited' "edit message"
lc list one --format '{{.CPUs}} {{.Memory}}'
t_is "$(out)" "3 2147483648" "edit applied"
lc edit one --set '.disk = "512MiB"'
t_rc 1 "shrinking the disk"
t_grep err 'shrinking the disk (1GiB --> 512MiB) is not supported' "shrink message"
lc edit one --set '.cpus = "x"'
t_rc 1 "edit to an invalid config"
grep -q '^cpus: 3$' "$LIMA_HOME/one/lima.yaml"
t_ok $? "invalid edit leaves lima.yaml alone"
lc edit one --arch aarch64
t_rc 1 "create-only flags are not edit flags"
lc edit one
t_rc 1 "edit without flags and without a terminal"
lc edit nosuch --cpus 1
t_rc 1 "edit an unknown instance"

# --- clone / rename --------------------------------------------------------
lc protect one
touch "$LIMA_HOME/one/ha.stdout.log" "$LIMA_HOME/one/x.sock"
lc clone one two --cpus 1
t_rc 0 "clone"
t_is "$(out)$(grep -v 'level=warning' "$T_TMP/err")" "" "clone prints nothing"
test ! -e "$LIMA_HOME/two/protected" && test ! -e "$LIMA_HOME/two/x.sock"
t_ok $? "clone skips protected and sockets"
test -f "$LIMA_HOME/two/disk" && test -f "$LIMA_HOME/two/ha.stdout.log"
t_ok $? "clone copies the disk and logs"
lc list two --format '{{.CPUs}}'
t_is "$(out)" "1" "clone applies edit flags"
lc clone one two
t_rc 1 "clone onto an existing instance"
lc rename two three
t_rc 0 "rename"
test ! -e "$LIMA_HOME/two" && test -f "$LIMA_HOME/three/disk"
t_ok $? "rename moved the directory"
lc rename three three
t_rc 1 "rename to the same name"
lc clone nosuch four
t_rc 1 "clone an unknown instance"

# --- factory-reset -----------------------------------------------------------
touch "$LIMA_HOME/three/cidata.iso" "$LIMA_HOME/three/extra.yml"
lc factory-reset three
t_rc 0 "factory-reset"
t_is "$(ls "$LIMA_HOME/three" | tr '\n' ' ')" "extra.yml lima-version lima.yaml " \
    "factory-reset keeps only the config"
lc factory-reset one
t_rc 1 "factory-reset a protected instance"
lc factory-reset nosuch
t_rc 0 "factory-reset an unknown instance"
t_grep err 'Instance `nosuch` not found' "not found message"

# --- delete -------------------------------------------------------------------
lc delete three
t_rc 0 "delete"
t_grep err 'Deleted `three`' "deleted message"
test ! -e "$LIMA_HOME/three"
t_ok $? "directory removed"
lc delete nosuch
t_rc 0 "delete an unknown instance"
t_grep err 'Ignoring non-existent instance `nosuch`' "ignoring message"
mkdir "$LIMA_HOME/nolima"
lc delete nolima
t_rc 1 "delete a directory without lima.yaml"
test -d "$LIMA_HOME/nolima"
t_ok $? "directory without lima.yaml kept"
rmdir "$LIMA_HOME/nolima"

# --- disks ----------------------------------------------------------------------
lc disk create data --size 1G
t_rc 0 "disk create"
t_grep err 'Creating qcow2 disk `data` with size 1GiB' "disk create message"
qemu-img info "$LIMA_HOME/_disks/data/datadisk" | grep -q 'file format: qcow2'
t_ok $? "datadisk is qcow2"
lc disk create data --size 1G
t_rc 1 "disk create twice"
lc disk create nosize
t_rc 1 "disk create without --size"
lc disk ls
t_grep out "data    1GiB    qcow2" "disk list table"
lc disk ls --json
t_grep out '"name":"data","size":1073741824,"format":"qcow2"' "disk list json"
lc disk resize data --size 2G
t_rc 0 "disk resize"
lc disk resize data --size 1G
t_rc 1 "disk shrink refused"
ln -s "$LIMA_HOME/one" "$LIMA_HOME/_disks/data/in_use_by"
lc disk ls
t_grep out "data    2GiB    qcow2" "resized"
t_grep out "one" "in-use-by shown"
lc disk delete data
t_rc 1 "delete a disk in use"
t_grep err 'in use by instance `one`' "in use message"
lc disk unlock data
t_rc 0 "disk unlock"
test ! -L "$LIMA_HOME/_disks/data/in_use_by"
t_ok $? "in_use_by removed"
lc disk import imported "$img"
t_rc 0 "disk import"
lc disk delete data imported
t_rc 0 "disk delete"
lc disk ls
t_grep err 'No disk found.' "no disks left"

# --- show-ssh --------------------------------------------------------------------
lc show-ssh --format config one
t_rc 0 "show-ssh"
t_grep out "Host lima-one" "ssh config host"
t_grep out "  ControlPath \"$LIMA_HOME/one/ssh.sock\"" "control path"
t_grep err 'deprecated' "show-ssh is deprecated"
lc show-ssh --format options one
t_grep out "IdentityFile=\"$LIMA_HOME/_config/user\"" "options format"

# --- info, validate, template ----------------------------------------------------
lc info
t_rc 0 "info"
t_grep out '"version": "2.1.0"' "info version"
t_grep out '"vmTypes": [' "info vmTypes"
lc info --yq .limaHome
t_is "$(out)" "\"$LIMA_HOME\"" "info --yq"

for f in "$top_srcdir"/templates/*.yaml; do
	lc validate "$f"
	t_rc 0 "validate shipped template $(basename "$f")"
done
lc validate "$T_TMP/t.yaml"
t_grep err '`'"$T_TMP/t.yaml"'`: OK' "validate OK message"
lc validate --fill "$T_TMP/t.yaml"
t_grep out "vmType: qemu" "validate --fill prints defaults"
printf 'images: []\n' >"$T_TMP/noimages.yaml"
lc validate "$T_TMP/noimages.yaml"
t_rc 1 "validate a template without images"
t_grep err 'failed to validate YAML file' "validate failure message"

lc template copy template:debian-12 "$T_TMP/copy.yaml"
t_rc 0 "template copy"
t_grep err '`limactl template` is experimental' "template is experimental"
grep -q 'template:_images/debian-12' "$T_TMP/copy.yaml"
t_ok $? "template copy keeps template: bases"
lc template copy --embed-all template:debian-12 "$T_TMP/embedded.yaml"
grep -q 'cloud.debian.org' "$T_TMP/embedded.yaml" && ! grep -q '^base:' "$T_TMP/embedded.yaml"
t_ok $? "template copy --embed-all inlines bases"
# Debian's cloud kernel has no 9p: the template says so, so the filled
# mountType falls back to reverse-sshfs.
lc template yq template:debian-12 .mountType
t_is "$(out)" "reverse-sshfs" "template yq on the filled template"
lc template yq template:ubuntu .mountType
t_is "$(out)" "9p" "9p is the QEMU default"
lc template validate template:debian-12
t_rc 0 "template validate"

# --- prune ------------------------------------------------------------------------------
mkdir -p "$XDG_CACHE_HOME/lima/download/by-url-sha256/abc"
lc prune
t_rc 0 "prune"
test ! -e "$XDG_CACHE_HOME/lima"
t_ok $? "prune removes the cache"

t_done
