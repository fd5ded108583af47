#!/bin/sh
# clima: limactl create, from local images and templates, and its errors.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

img="$T_TMP/debian-12-genericcloud-amd64.qcow2"
qemu-img create -q -f qcow2 "$img" 64M

# --- success: an image file as the locator -------------------------------
lc create --set '.disk = "1GiB"' "$img"
t_rc 0 "create from a local image file"
t_grep err 'Run `limactl start debian-12` to start the instance.' \
    "name derived from the image file, start hint printed"
dir="$LIMA_HOME/debian-12"
t_is "$(stat -c %a "$dir")" 700 "instance dir is 0700"
t_is "$(cat "$dir/lima-version")" "2.1.0" "lima-version written"
t_is "$(stat -c %a "$dir/lima-version")" 444 "lima-version is 0444"
test -f "$dir/disk"
t_ok $? "disk created from the image"
t_is "$(qemu-img info --output=json "$dir/disk" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')" \
    1073741824 "disk grown to disk: (1GiB)"
test ! -e "$dir/image"
t_ok $? "image renamed away"
t_is "$(stat -c %a "$LIMA_HOME/_config/user")" 600 "user key is 0600"
head -c 35 "$LIMA_HOME/_config/user" | grep -q 'BEGIN OPENSSH PRIVATE KEY'
t_ok $? "user key is in OpenSSH format"
grep -q '^ssh-ed25519 ' "$LIMA_HOME/_config/user.pub"
t_ok $? "user.pub is ed25519"
key1=$(cat "$LIMA_HOME/_config/user.pub")

# --- success: a YAML file stays byte for byte ----------------------------
cat >"$T_TMP/mine.yaml" <<YAML
# my comment stays
images:
- location: "$img"   # trailing comment
  arch: x86_64
cpus: 1
memory: 1GiB
disk: 2GiB
mounts: []
YAML
lc create --name=mine "$T_TMP/mine.yaml"
t_rc 0 "create from a YAML file"
cmp -s "$T_TMP/mine.yaml" "$LIMA_HOME/mine/lima.yaml"
t_ok $? "stored lima.yaml is the user's text"
t_is "$(cat "$LIMA_HOME/_config/user.pub")" "$key1" "user key created once"

# --- the menu on a terminal (script(1) gives limactl one) ------------------
if command -v script >/dev/null 2>&1; then
	tty_create() { # KEYS NAME [ENV...]
		keys=$1 n=$2
		shift 2
		printf "$keys" | env "$@" script -qec \
		    "\"$LIMACTL\" create --name=$n \"$T_TMP/mine.yaml\"" \
		    /dev/null >"$T_TMP/tty.out" 2>&1 || true
	}
	tty_create '\r' menu1
	grep -q 'Creating an instance `menu1`' "$T_TMP/tty.out"
	t_ok $? "the menu asks on a terminal"
	test -f "$LIMA_HOME/menu1/lima.yaml"
	t_ok $? "Enter proceeds"
	tty_create '\033[B\033[B\033[B\r' menu2
	test ! -e "$LIMA_HOME/menu2"
	t_ok $? "Exit creates nothing"
	printf '#!/bin/sh\nsed -i "s/^cpus: 1/cpus: 3/" "$1"\n' >"$T_TMP/ed.sh"
	chmod +x "$T_TMP/ed.sh"
	tty_create '\033[B\r' menu3 EDITOR="$T_TMP/ed.sh"
	grep -q '^cpus: 3$' "$LIMA_HOME/menu3/lima.yaml"
	t_ok $? "the editor's change is created"
	printf '#!/bin/sh\nprintf "# nothing\\n" >"$1"\n' >"$T_TMP/ed.sh"
	tty_create '\033[B\r' menu4 EDITOR="$T_TMP/ed.sh"
	grep -q 'Aborting, as requested by saving the file with empty content' \
	    "$T_TMP/tty.out"
	t_ok $? "an emptied file aborts"
	test ! -e "$LIMA_HOME/menu4"
	t_ok $? "nothing created after an abort"
	printf '#!/bin/sh\nprintf "cpus: [\\n" >"$1"\n' >"$T_TMP/ed.sh"
	(cd "$T_TMP" && tty_create '\033[B\r' menu5 EDITOR="$T_TMP/ed.sh")
	grep -q 'the YAML is invalid, saved the buffer as `lima.REJECTED.yaml`' \
	    "$T_TMP/tty.out"
	t_ok $? "invalid YAML from the editor is refused"
	test -f "$T_TMP/lima.REJECTED.yaml"
	t_ok $? "and saved as lima.REJECTED.yaml"
	tty_create '\033[B\033[B\r\r\033[A\r' menu6
	grep -q 'Choose a template' "$T_TMP/tty.out"
	t_ok $? "another template can be picked"
	test ! -e "$LIMA_HOME/menu6"
	t_ok $? "then Exit (up from the first option) creates nothing"
fi

# --- containerd: the nerdctl archive is fetched at create ----------------
printf 'fake archive\n' >"$T_TMP/nerdctl-full.tar.gz"
asum=$(sha256sum "$T_TMP/nerdctl-full.tar.gz" | cut -d' ' -f1)
lc create --name=ctrd --containerd system --set \
    ".containerd.archives = [{\"location\": \"$T_TMP/nerdctl-full.tar.gz\", \"arch\": \"x86_64\", \"digest\": \"sha256:$asum\"}]" \
    "$T_TMP/mine.yaml"
t_rc 0 "create with containerd and a local archive"
t_grep err 'Attempting to download the nerdctl archive' "archive fetch logged"
lc create --name=ctrdbad --containerd user --set \
    ".containerd.archives = [{\"location\": \"$T_TMP/nerdctl-full.tar.gz\", \"arch\": \"x86_64\", \"digest\": \"sha256:$(printf %064d 0)\"}]" \
    "$T_TMP/mine.yaml"
t_rc 1 "a wrong archive digest fails the create"
t_grep err 'failed to download the nerdctl archive for instance `ctrdbad`, the instance was not created' \
    "the error names the archive"
t_grep err 'expected digest' "the error says why"
test ! -e "$LIMA_HOME/ctrdbad"
t_ok $? "no instance left after a bad archive"

# --- --set / edit flags change the stored text ---------------------------
lc create --name=flags --cpus 2 --memory 1.5 --set '.disk = "1GiB"' \
    --mount-none --plain "$T_TMP/mine.yaml"
t_rc 0 "create with edit flags"
lc list flags --format '{{.CPUs}} {{.Memory}} {{.Config.Plain}}'
t_is "$(out)" "2 1610612736 true" "flags applied (cpus, memory, plain)"
grep -q '^cpus: 2$' "$LIMA_HOME/flags/lima.yaml"
t_ok $? "cpus written to lima.yaml"

# --- stdin ----------------------------------------------------------------
run sh -c "\"$LIMACTL\" create - <\"$T_TMP/mine.yaml\""
t_rc 1 "stdin without --name"
t_grep err 'must pass instance name with --name when reading template from stdin' \
    "stdin needs --name"
run sh -c "\"$LIMACTL\" create --name=fromstdin - <\"$T_TMP/mine.yaml\""
t_rc 0 "create from stdin"

# --- templates -------------------------------------------------------------
lc create --list-templates
t_rc 0 "--list-templates"
t_grep out "default" "default template listed"
t_grep out "debian-12" "debian-12 listed"
t_nogrep out "_images" "underscore snippets hidden"

mkdir -p "$LIMA_HOME/_templates"
cat >"$LIMA_HOME/_templates/local.yaml" <<YAML
images:
- location: "$img"
  arch: x86_64
param:
  GREETING: hello
provision:
- mode: system
  script: "echo {{.Param.GREETING}}"
YAML
lc create --name=p1 --param GREETING=bonjour template:local
t_rc 0 "create from template: in _templates with --param"
grep -q 'GREETING: bonjour' "$LIMA_HOME/p1/lima.yaml"
t_ok $? "--param stored"
lc create --name=p2 --param NOPE=x template:local
t_rc 1 "undefined --param"
t_grep err 'template does not define param `NOPE`' "undefined param message"
test ! -e "$LIMA_HOME/p2"
t_ok $? "nothing created for an undefined param"
lc create --name=p3 --param bad template:local
t_rc 1 "malformed --param"
t_grep err 'expected NAME=VALUE' "malformed param message"

# --- errors ----------------------------------------------------------------
lc create --name=mine "$T_TMP/mine.yaml"
t_rc 1 "existing instance"
t_grep err 'instance `mine` already exists' "already exists message"

lc create --name='bad name!' "$T_TMP/mine.yaml"
t_rc 1 "bad name"
t_grep err 'instance name `bad name!` is not a valid identifier' \
    "bad name message"

printf 'images: [\n  - {location: x\ncpus: 2\n' >"$T_TMP/broken.yaml"
lc create --name=broken "$T_TMP/broken.yaml"
t_rc 1 "invalid YAML"
t_grep err 'broken' "invalid YAML error names the problem"
test ! -e "$LIMA_HOME/broken"
t_ok $? "nothing left for invalid YAML"

sed 's/^cpus: 1$/cpuz: 1/' "$T_TMP/mine.yaml" >"$T_TMP/typo.yaml"
lc create --name=typo "$T_TMP/typo.yaml"
t_rc 0 "unknown field is a warning"
t_grep err 'unknown field `cpuz`' "unknown field warned with its name"

sed 's/^cpus: 1$/cpus: four/' "$T_TMP/mine.yaml" >"$T_TMP/badtype.yaml"
lc create --name=badtype "$T_TMP/badtype.yaml"
t_rc 1 "wrong type"
t_grep err 'cpus' "type error names the field"
t_grep err 'badtype.yaml:5:7: field `cpus`' "type error gives the file, line and column"

sed "s|$img|$T_TMP/missing.qcow2|" "$T_TMP/mine.yaml" >"$T_TMP/noimg.yaml"
lc create --name=noimg "$T_TMP/noimg.yaml"
t_rc 1 "missing image file"
t_grep err 'missing.qcow2' "missing image named"
test ! -e "$LIMA_HOME/noimg"
t_ok $? "no instance left when the image is missing"

lc create "$T_TMP/does-not-exist.yaml"
t_rc 1 "missing template file"
lc create --name=x template:nosuchtemplate
t_rc 1 "unknown template"
t_grep err 'template `nosuchtemplate.yaml` not found' "template not found message"
lc create --name=x 'foo:bar'
t_rc 1 "unknown locator scheme"
t_grep err "don't know how to interpret" "unknown locator message"

printf 'base: b.yaml\n' >"$T_TMP/a.yaml"
printf 'base: a.yaml\n' >"$T_TMP/b.yaml"
lc create --name=loop "$T_TMP/a.yaml"
t_rc 1 "base loop"
t_grep err 'base template loop detected' "base loop message"

lc create --name=neg --cpus -1 "$T_TMP/mine.yaml"
t_rc 1 "negative cpus"

lc create --name=dns --dns 1.1.1.1 --dns 8.8.8.8 "$T_TMP/mine.yaml"
t_rc 0 "create with --dns"
t_grep err 'Disabling HostResolver' "--dns warns about the host resolver"
lc list dns --format '{{json .Config.DNS}} {{.Config.HostResolver.Enabled}}'
t_is "$(out)" '["1.1.1.1","8.8.8.8"] false' "--dns applied"

# --- the deprecated NAME form --------------------------------------------
LIMA_TEMPLATES_PATH="$LIMA_HOME/_templates"
export LIMA_TEMPLATES_PATH
cp "$LIMA_HOME/_templates/local.yaml" "$LIMA_HOME/_templates/default.yaml"
lc create depr
t_rc 0 "create NAME (deprecated form)"
t_grep err 'deprecated' "deprecation warning"
lc create depr
t_rc 1 "create NAME again"
t_grep err 'instance `depr` already exists' "existing NAME refused"
unset LIMA_TEMPLATES_PATH

# --- socket path length ----------------------------------------------------
long=$(printf 'n%.0s' $(seq 1 70))
LIMA_HOME="$T_TMP/$(printf 'd%.0s' $(seq 1 40))" lc create --name="$long" "$T_TMP/mine.yaml"
t_rc 1 "socket path too long"
t_grep err 'too long' "socket length message"

t_done
