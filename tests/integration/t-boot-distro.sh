#!/bin/sh
# clima: the guest boot scripts on an Alpine-like and a Fedora-like root,
# which no guest image here can boot.  The real writer (test-cidata-mkiso,
# what the hostagent runs) makes cidata.iso; its files are bind-mounted
# read-only at /mnt/lima-cidata in a scratch root, and the per-boot hook
# from user-data runs boot.sh in a chroot inside a private mount and pid
# namespace (unshare), so the host's /etc, /run and /home are never
# touched.  Alpine: static busybox (ash, real passwd/su/sed/awk...) plus
# stand-ins for what Debian's busybox leaves out (adduser, deluser...)
# and stubs for apk, OpenRC, cloud-init, iptables and reboot; two boots,
# the first one finding the image's user "alpine" on uid 1000.  Fedora:
# the host's /usr (read-only) with bash as /bin/sh, real useradd/usermod,
# and stubs for dnf, systemctl, loginctl, nft and needs-restarting; two
# boots, upgradePackages making the first one reboot.  cloud-init itself
# is a stand-in (users and write_files only).  Then both are started
# again with containerd on and a stand-in nerdctl-full archive in cidata:
# one boot for Alpine (no systemd: nothing installed), four for Fedora
# (install, same archive, new archive, guestInstallPrefix).  Stubs log
# their arguments to /var/log/lima-test.log in the root; the test reads
# the roots after each run.
set -eu

LOG=/var/log/lima-test.log
GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# guest ROOT CMD...: CMD in the chroot with a cloud-init-like environment.
guest() {
	g_root=$1
	shift
	timeout 60 chroot "$g_root" /usr/bin/env -i PATH="$GUEST_PATH" \
		HOME=/root LANG=C "$@"
}

# --inner KIND ROOT CIDATA BOOTS [FIRST]: run inside `unshare --mount
# --pid`.  Mounts what the root needs, then BOOTS times (numbered from
# FIRST, 1 by default): the cloud-init stand-in, the per-boot hook (which
# execs boot.sh), a "reboot" (/run emptied).
if [ "${1:-}" = --inner ]; then
	kind=$2 R=$3 cd=$4 boots=$5 n=${6:-1}
	boots=$((n + boots - 1))
	for d in null zero full random urandom; do
		: >"$R/dev/$d"
		mount --bind "/dev/$d" "$R/dev/$d"
	done
	# Debian's busybox-static has ash run applets through /proc/self/exe
	# before looking at PATH (Alpine's is built without that): with no
	# /proc there, the stubs on PATH win, as they would on Alpine.
	if [ "$kind" = alpine ]; then
		mount -t proc -o ro,nosuid,nodev,noexec proc "$R/.proc"
	else
		mount -t proc -o ro,nosuid,nodev,noexec proc "$R/proc"
	fi
	mount --bind "$cd" "$R/mnt/lima-cidata"
	mount -o remount,bind,ro "$R/mnt/lima-cidata"
	if [ "$kind" = fedora ]; then
		mount --bind /usr "$R/.host/usr"
		mount -o remount,bind,ro "$R/.host/usr"
	fi
	while [ "$n" -le "$boots" ]; do
		if [ "$kind" = fedora ]; then
			mkdir -p "$R/run/systemd/system"
		fi
		echo "=== boot $n" >>"$R$LOG"
		guest "$R" /bin/sh /usr/local/libexec/lima-test/cloud-init \
			>"$R/var/log/cloud-init.$n.log" 2>&1 || :
		rc=0
		guest "$R" /var/lib/cloud/scripts/per-boot/00-lima.boot.sh \
			>"$R/var/log/boot.$n.log" 2>&1 || rc=$?
		echo "$rc" >"$R/var/log/boot.$n.rc"
		(cd "$R/run" && find . -printf '%p %m %U\n') \
			>"$R/var/log/run.$n.ls"
		for f in "$R"/run/lima-*; do
			if [ -f "$f" ]; then cp "$f" "$R/var/log/${f##*/}.$n"; fi
		done
		rm -rf "${R:?}/run/"*
		n=$((n + 1))
	done
	exit 0
fi

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root (chroot, mount namespaces)"
command -v unshare >/dev/null 2>&1 || skip "no unshare (util-linux)"
command -v xorriso >/dev/null 2>&1 || skip "no xorriso"
if ! /bin/busybox --list-full >/dev/null 2>&1; then
	skip "no /bin/busybox (busybox-static)"
fi
mkdir "$T_TMP/bb"
cp /bin/busybox "$T_TMP/bb/busybox"
chroot "$T_TMP/bb" /busybox true 2>/dev/null ||
	skip "/bin/busybox does not run alone (not busybox-static's)"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
MKISO=$top_builddir/tests/unit/test-cidata-mkiso
[ -x "$MKISO" ] || skip "test-cidata-mkiso is not built"
# ns CMD...: CMD in private mount and pid namespaces; all its mounts go
# when it ends (its processes too: --kill-child, and pid 1 of the
# namespace is its child).
ns() {
	timeout 120 unshare --mount --pid --fork --kill-child \
		--propagation private "$@"
}
mkdir "$T_TMP/probe"
# shellcheck disable=SC2016 # expanded by the inner sh
ns sh -c 'mount -t proc -o ro proc "$1" && mount --bind /dev/null "$2" &&
	mount -o remount,bind,ro "$2"' sh "$T_TMP/probe" "$T_TMP/bb/busybox" \
	2>/dev/null || skip "cannot mount in a private namespace (unshare)"

T0=$(date +%s)

# ---------------------------------------------------------------------------
# Helpers that write into a root.

# put FILE: stdin into FILE, executable.
put() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
	chmod 0755 "$1"
}

# stub FILE [EXIT]: a command that logs "name args" and exits EXIT.
stub() {
	put "$1" <<EOF
#!/bin/sh
# lima-test stub: logs its arguments.
echo "${1##*/} \$*" >>$LOG
exit ${2:-0}
EOF
}

# common_root R [CMD...]: what both roots share: directories, the
# cloud-init and sudo stand-ins, an iptables stub to install, and stubs
# for reboot and friends (and CMD).
common_root() {
	r=$1
	mkdir -p "$r/dev" "$r/proc" "$r/.proc" "$r/run" "$r/tmp" "$r/var/log" \
		"$r/var/lib/cloud" "$r/root" "$r/home" "$r/mnt/lima-cidata" \
		"$r/etc/skel" "$r/usr/local/bin" "$r/usr/local/sbin"
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root"
	# (stubs the user runs log too)
	: >"$r$LOG"
	chmod 0666 "$r$LOG"

	# cloud-init's users and write_files modules, as far as Lima's
	# user-data asks for them.  They run before boot.sh (and are not
	# what this test is about): the user, its sudo rule and keys, and
	# the per-boot hook.
	put "$r/usr/local/libexec/lima-test/cloud-init" <<'EOF'
#!/bin/sh
# lima-test: stand-in for cloud-init's users and write_files modules.
set -u
ud=/mnt/lima-cidata/user-data
log() { echo "cloud-init-stand-in $*" >>/var/log/lima-test.log; }
ukey() {
	sed -n '/^users:/,/^write_files:/p' "$ud" |
		sed -n "s/^  $1: //p" | head -n 1 | sed 's/^"\(.*\)"$/\1/'
}
name=$(sed -n 's/^- name: //p' "$ud" | head -n 1)
uid=$(ukey uid)
home=$(ukey homedir)
shell=$(ukey shell)
gecos=$(ukey gecos)
rule=$(ukey sudo)
if ! id "$name" >/dev/null 2>&1; then
	if command -v useradd >/dev/null 2>&1; then
		useradd "$name" --comment "$gecos" --home-dir "$home" \
			--shell "$shell" --uid "$uid" -m
	else
		adduser -D -g "$gecos" -h "$home" -s "$shell" -u "$uid" "$name"
	fi
	rc=$?
	if [ "$rc" -ne 0 ]; then
		log "failed to create user $name"
	else
		log "created user $name"
		if command -v usermod >/dev/null 2>&1; then
			usermod --lock "$name"
		else
			passwd -l "$name" >/dev/null
		fi
		mkdir -p /etc/sudoers.d
		chmod 0750 /etc/sudoers.d
		if [ ! -e /etc/sudoers ]; then
			printf '#includedir /etc/sudoers.d\n' >/etc/sudoers
			chmod 0440 /etc/sudoers
		fi
		printf '\n# User rules for %s\n%s %s\n\n' "$name" "$name" \
			"$rule" >/etc/sudoers.d/90-cloud-init-users
		chmod 0440 /etc/sudoers.d/90-cloud-init-users
		mkdir -p "$home/.ssh"
		sed -n '/^  ssh_authorized_keys:/,/^[^ ]/s/^  - //p' "$ud" \
			>"$home/.ssh/authorized_keys"
		chown -R "$name" "$home/.ssh"
	fi
fi
hook=$(sed -n 's/^- path: //p' "$ud" | head -n 1)
mkdir -p "${hook%/*}"
awk '/^  content: \|$/ { f = 1; next }
	f && /^    / { print substr($0, 5); next }
	f && /^$/ { print ""; next }
	f { exit }' "$ud" >"$hook"
chmod 0755 "$hook"
EOF

	# sudo is not on this machine (and on Alpine apk brings it): the
	# one form boot.sh uses, run like sudo -i does it.
	put "$r/usr/local/libexec/lima-test/sudo" <<'EOF'
#!/bin/sh
# lima-test: stand-in for `sudo -i -u USER [--preserve-env=A,B]
# [NAME=VALUE...] CMD...`: CMD through USER's login shell, in the home,
# with a reset environment (plus the preserved and given variables).
echo "sudo $*" >>/var/log/lima-test.log
login=0 user=root keep=
while [ $# -gt 0 ]; do
	case $1 in
	-i) login=1 ;;
	-u) user=$2; shift ;;
	-iu) login=1; user=$2; shift ;;
	--preserve-env=*) keep=${1#*=} ;;
	--) shift; break ;;
	-*) echo "sudo: stand-in: unsupported option $1" >&2; exit 1 ;;
	*) break ;;
	esac
	shift
done
[ "$login" = 1 ] || { echo "sudo: stand-in: only -i" >&2; exit 1; }
if ! cat /etc/sudoers /etc/sudoers.d/* 2>/dev/null |
	grep -q '^root[[:space:]]'; then
	echo "root is not in the sudoers file." >&2
	exit 1
fi
ent=$(grep "^$user:" /etc/passwd) || {
	echo "sudo: unknown user $user" >&2; exit 1; }
uid=$(echo "$ent" | cut -d: -f3)
gid=$(echo "$ent" | cut -d: -f4)
home=$(echo "$ent" | cut -d: -f6)
shell=$(echo "$ent" | cut -d: -f7)
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
envs="HOME=$(q "$home") SHELL=$(q "$shell") USER=$(q "$user")"
envs="$envs LOGNAME=$(q "$user") PATH=/usr/local/bin:/usr/bin:/bin"
IFS=,
for v in $keep; do
	if eval "[ -n \"\${$v+x}\" ]"; then
		eval "val=\${$v}"
		envs="$envs $(q "$v=$val")"
	fi
done
unset IFS
while [ $# -gt 0 ]; do
	case $1 in
	*=*) envs="$envs $(q "$1")"; shift ;;
	*) break ;;
	esac
done
cmd=
for a in "$@"; do cmd="$cmd $(q "$a")"; done
script="cd $(q "$home") && exec env -i $envs $(q "$shell") -l -c $(q "$cmd")"
if setpriv --help 2>&1 | grep -q reuid; then
	exec setpriv --reuid="$uid" --regid="$gid" --init-groups \
		/bin/sh -c "$script"
fi
exec su -s /bin/sh "$user" -c "$script"
EOF

	put "$r/usr/local/libexec/lima-test/iptables" <<'EOF'
#!/bin/sh
# lima-test stub: logs; no rule exists yet (-C fails).
echo "iptables $*" >>/var/log/lima-test.log
case " $* " in *" -C "*) exit 1 ;; esac
exit 0
EOF

	# (Alpine keeps busybox's modprobe: with no /lib/modules in the
	# root it loads nothing; ash runs that applet in-process anyway.)
	for c in reboot poweroff halt shutdown ${2:-}; do
		rm -f "$r/sbin/$c" "$r/usr/sbin/$c"
		stub "$r/usr/sbin/$c"
	done
}

# ---------------------------------------------------------------------------
# cidata.iso from lima.yaml by the real writer, then its files as the
# guest's mount shows them (root only, mode 0700).

# mkcidata NAME UID [YAML [CONTAINERD [ARCHIVE]]]: $T_TMP/NAME.iso and
# $T_TMP/NAME.cidata; CONTAINERD is lima.yaml's containerd (both off by
# default), ARCHIVE the nerdctl-full archive given to the writer.
mkcidata() {
	ctd=${4:-"{system: false, user: false}"}
	cat >"$T_TMP/$1.yaml" <<EOF
images: [{location: "https://example.com/x.img"}]
user:
  name: alice
  uid: $2
  home: /home/alice.linux
  shell: /bin/bash
  comment: Alice Liddell
containerd: $ctd
mountType: reverse-sshfs
mounts:
- location: /tmp/lima
  writable: true
- location: /srv/project
  mountPoint: /home/alice.linux/src/project
env:
  FOO: bar baz
  http_proxy: http://127.0.0.1:3128
param:
  GREETING: hello world
provision:
- mode: dependency
  script: |
    #!/bin/sh
    echo "provision dependency uid=\$(id -u)" >>$LOG
- mode: system
  script: |
    #!/bin/sh
    echo "provision system \$(id -un) \$PARAM_GREETING" >>$LOG
- mode: user
  script: |
    #!/bin/sh
    echo "\$(id -un) \$(id -u) \$HOME \$PWD \$PARAM_GREETING \$XDG_RUNTIME_DIR" \\
      >"\$HOME/user-provision.out"
- mode: data
  path: /etc/lima-test/data.conf
  content: |
    hello data
  owner: alice
  permissions: "640"
${3:-}
EOF
	run env top_srcdir="$top_srcdir" CIDATA_GUEST_AGENT="$T_TMP/agent" \
		CIDATA_NERDCTL_ARCHIVE="${5:-}" "$MKISO" "$T_TMP/$1.yaml" \
		"$T_TMP/key.pub" "$T_TMP/inst-$1" "$T_TMP/$1.iso" 40053 40054
	t_rc 0 "$1: test-cidata-mkiso writes cidata.iso"
	run xorriso -osirrox on -indev "$T_TMP/$1.iso" -extract / \
		"$T_TMP/$1.cidata"
	t_rc 0 "$1: xorriso extracts it"
	chmod -R u=rwx,go= "$T_TMP/$1.cidata"
	chown -R 0:0 "$T_TMP/$1.cidata"
}

echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNsaW1hLXRlc3Qta2V5LWZvci1ib290 t@h" \
	>"$T_TMP/key.pub"
cat >"$T_TMP/agent" <<EOF
#!/bin/sh
# lima-test: a guest agent that only logs (and has no yq).
echo "lima-guestagent \$*" >>$LOG
[ "\${1:-}" != yq ]
EOF
chmod 0755 "$T_TMP/agent"

# ---------------------------------------------------------------------------
# The Alpine-like root: busybox and Alpine's files.

A=$T_TMP/alpine
build_alpine() {
	mkdir -p "$A/bin"
	cp /bin/busybox "$A/bin/busybox"
	/bin/busybox --list-full | while read -r p; do
		[ "$p" = bin/busybox ] && continue
		mkdir -p "$A/${p%/*}"
		ln -sf /bin/busybox "$A/$p"
	done
	common_root "$A"
	mkdir -p "$A/etc/apk" "$A/etc/ssh" "$A/etc/init.d" "$A/home/alpine"
	cat >"$A/etc/os-release" <<'EOF'
NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3
PRETTY_NAME="Alpine Linux v3.20"
EOF
	echo 3.20.3 >"$A/etc/alpine-release"
	# The cloud image's own user takes uid 1000.
	cat >"$A/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/ash
alpine:x:1000:1000:Linux User,,,:/home/alpine:/bin/ash
nobody:x:65534:65534:nobody:/:/sbin/nologin
EOF
	cat >"$A/etc/group" <<'EOF'
root:x:0:root
wheel:x:10:root,alpine
alpine:x:1000:
nogroup:x:65533:
nobody:x:65534:
EOF
	cat >"$A/etc/shadow" <<'EOF'
root:*:19700:0:::::
alpine:!:19700:0:99999:7:::
nobody:!::0:::::
EOF
	chmod 0640 "$A/etc/shadow"
	chown 1000:1000 "$A/home/alpine"
	printf '/bin/sh\n/bin/ash\n' >"$A/etc/shells"
	printf '127.0.0.1\tlocalhost localhost.localdomain\n' >"$A/etc/hosts"
	cat >"$A/etc/apk/repositories" <<'EOF'
https://dl-cdn.alpinelinux.org/alpine/v3.20/main
#https://dl-cdn.alpinelinux.org/alpine/v3.20/community
EOF
	cat >"$A/etc/ssh/sshd_config" <<'EOF'
AuthorizedKeysFile	.ssh/authorized_keys
AllowTcpForwarding no
GatewayPorts no
X11Forwarding no
Subsystem	sftp	internal-sftp
EOF
	for s in acpid cgroups sshd; do
		printf '#!/sbin/openrc-run\n' >"$A/etc/init.d/$s"
		chmod 0755 "$A/etc/init.d/$s"
	done

	# apk, OpenRC and cloud-init: stubs.  apk "installs" sudo and sshfs,
	# and like the real one knows no package of a repository until `apk
	# update` (or add -U) fetched its index: the image has none, and
	# 10-alpine-prep enables community.
	put "$A/sbin/apk" <<'EOF'
#!/bin/sh
# lima-test stub: logs; `update` indexes the repositories; `add` needs
# an index of the current ones, knows Alpine's names of what boot/ may
# ask for, and installs sudo (the stand-in), sshfs and iptables.
echo "apk $*" >>/var/log/lima-test.log
idx=/var/cache/apk/repositories
case ${1:-} in
update)
	mkdir -p /var/cache/apk
	cp /etc/apk/repositories "$idx"
	exit 0
	;;
add) shift ;;
*) exit 0 ;;
esac
for p in "$@"; do
	case $p in -U | --update-cache) apk update ;; esac
done
if ! cmp -s /etc/apk/repositories "$idx"; then
	echo "ERROR: unable to select packages: $* (no such package)" >&2
	echo "apk-error: no index for /etc/apk/repositories" \
		>>/var/log/lima-test.log
	exit 1
fi
for p in "$@"; do
	case $p in
	-*) ;;
	sudo | sshfs | iptables | ip6tables | tar | fuse3 | shadow-uidmap) ;;
	*)
		echo "ERROR: unable to select packages:" >&2
		echo "  $p (no such package)" >&2
		echo "apk-error: no such package $p" >>/var/log/lima-test.log
		exit 1
		;;
	esac
done
for p in "$@"; do
	case $p in
	sudo)
		cp /usr/local/libexec/lima-test/sudo /usr/bin/sudo
		mkdir -p /etc/sudoers.d
		[ -e /etc/sudoers ] ||
			printf 'root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n' \
				>/etc/sudoers
		;;
	sshfs)
		printf '#!/bin/sh\necho "sshfs $*" >>/var/log/lima-test.log\n' \
			>/usr/bin/sshfs
		chmod 0755 /usr/bin/sshfs
		;;
	iptables) cp /usr/local/libexec/lima-test/iptables /usr/sbin/iptables ;;
	esac
done
EOF
	stub "$A/sbin/rc-update"
	stub "$A/sbin/rc-service"
	stub "$A/usr/bin/cloud-init"

	# Alpine's busybox has these applets; Debian's does not: stand-ins
	# with busybox's options and behaviour, as far as used here.
	put "$A/usr/sbin/addgroup" <<'EOF'
#!/bin/sh
# lima-test: stand-in for busybox addgroup [-g GID] GROUP | USER GROUP.
echo "addgroup $*" >>/var/log/lima-test.log
gid=
while getopts g:S o; do
	case $o in g) gid=$OPTARG ;; S) ;; *) exit 1 ;; esac
done
shift $((OPTIND - 1))
if [ $# -eq 2 ]; then
	grep -q "^$1:" /etc/passwd || { echo "addgroup: unknown user $1" >&2; exit 1; }
	grep -q "^$2:" /etc/group || { echo "addgroup: unknown group $2" >&2; exit 1; }
	awk -F: -v OFS=: -v u="$1" -v g="$2" '$1 == g {
		n = split($4, m, ",")
		for (i = 1; i <= n; i++) if (m[i] == u) { print; next }
		$4 = $4 == "" ? u : $4 "," u
	} { print }' /etc/group >/etc/group.tmp
	cat /etc/group.tmp >/etc/group
	rm -f /etc/group.tmp
	exit 0
fi
if grep -q "^$1:" /etc/group; then
	echo "addgroup: group '$1' in use" >&2
	exit 1
fi
if [ -z "$gid" ] || awk -F: -v g="$gid" '$3 == g { f = 1 } END { exit !f }' /etc/group; then
	gid=$(awk -F: 'BEGIN { m = 999 } $3 > m && $3 < 60000 { m = $3 } END { print m + 1 }' /etc/group)
fi
echo "$1:x:$gid:" >>/etc/group
EOF
	put "$A/usr/sbin/adduser" <<'EOF'
#!/bin/sh
# lima-test: stand-in for busybox adduser [-D] [-h H] [-s S] [-u U]
# [-g GECOS] [-G GROUP] USER (or USER GROUP).
echo "adduser $*" >>/var/log/lima-test.log
home= shell=/bin/ash uid= gecos= group= nohome=0
while getopts Dh:s:u:g:G:HSk: o; do
	case $o in
	h) home=$OPTARG ;; s) shell=$OPTARG ;; u) uid=$OPTARG ;;
	g) gecos=$OPTARG ;; G) group=$OPTARG ;; H) nohome=1 ;;
	D | S | k) ;; *) exit 1 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] && exec addgroup "$1" "$2"
user=$1
if grep -q "^$user:" /etc/passwd; then
	echo "adduser: user '$user' in use" >&2
	exit 1
fi
if [ -z "$uid" ]; then
	uid=$(awk -F: 'BEGIN { m = 999 } $3 > m && $3 < 60000 { m = $3 } END { print m + 1 }' /etc/passwd)
elif awk -F: -v u="$uid" '$3 == u { f = 1 } END { exit !f }' /etc/passwd; then
	echo "adduser: uid '$uid' in use" >&2
	exit 1
fi
if [ -n "$group" ]; then
	gid=$(awk -F: -v g="$group" '$1 == g { print $3 }' /etc/group)
else
	addgroup -g "$uid" "$user" || exit 1
	gid=$(awk -F: -v g="$user" '$1 == g { print $3 }' /etc/group)
fi
: "${home:=/home/$user}"
echo "$user:x:$uid:$gid:$gecos:$home:$shell" >>/etc/passwd
echo "$user:!:$(($(date +%s) / 86400)):0:99999:7:::" >>/etc/shadow
if [ "$nohome" = 0 ]; then
	mkdir -p "$home"
	cp -a /etc/skel/. "$home"
	chown -R "$uid:$gid" "$home"
fi
EOF
	put "$A/usr/sbin/deluser" <<'EOF'
#!/bin/sh
# lima-test: stand-in for busybox deluser [--remove-home] USER: drops the
# user, its group of the same name and its group memberships.
echo "deluser $*" >>/var/log/lima-test.log
rmhome=0
[ "${1:-}" = --remove-home ] && { rmhome=1; shift; }
user=$1
ent=$(grep "^$user:" /etc/passwd) || { echo "deluser: unknown user $user" >&2; exit 1; }
home=$(echo "$ent" | cut -d: -f6)
for f in /etc/passwd /etc/shadow; do
	grep -v "^$user:" "$f" >"$f.tmp"
	cat "$f.tmp" >"$f"
	rm -f "$f.tmp"
done
awk -F: -v OFS=: -v u="$user" '$1 == u { next } {
	n = split($4, m, ","); s = ""
	for (i = 1; i <= n; i++) if (m[i] != u) s = s == "" ? m[i] : s "," m[i]
	$4 = s; print }' /etc/group >/etc/group.tmp
cat /etc/group.tmp >/etc/group
rm -f /etc/group.tmp
[ "$rmhome" = 1 ] && rm -rf "$home"
exit 0
EOF
	put "$A/usr/sbin/chpasswd" <<'EOF'
#!/bin/sh
# lima-test: stand-in for busybox chpasswd [-e]: USER:PASS lines on stdin.
echo "chpasswd $*" >>/var/log/lima-test.log
enc=0
while getopts emc: o; do
	case $o in e) enc=1 ;; m | c) ;; *) exit 1 ;; esac
done
while IFS=: read -r u p; do
	[ "$enc" = 1 ] || p=$(mkpasswd -m sha512 "$p")
	if ! awk -F: -v OFS=: -v u="$u" -v p="$p" \
		'$1 == u { $2 = p; f = 1 } { print } END { exit !f }' \
		/etc/shadow >/etc/shadow.tmp; then
		rm -f /etc/shadow.tmp
		echo "chpasswd: unknown user $u" >&2
		exit 1
	fi
	cat /etc/shadow.tmp >/etc/shadow
	rm -f /etc/shadow.tmp
done
EOF
	put "$A/usr/bin/getent" <<'EOF'
#!/bin/sh
# lima-test: stand-in for musl's getent passwd|group|shadow [KEY].
case ${1:-} in passwd | group | shadow) ;; *) exit 1 ;; esac
[ -n "${2:-}" ] || exec cat "/etc/$1"
awk -F: -v k="$2" '$1 == k || $3 == k { print; f = 1; exit }
	END { exit f ? 0 : 2 }' "/etc/$1"
EOF
	put "$A/usr/bin/install" <<'EOF'
#!/bin/sh
# lima-test: stand-in for busybox install [-d] [-m M] [-o O] [-g G] SRC DST.
mode=755 owner= group= dir=0
while getopts dDm:o:g: o; do
	case $o in
	d) dir=1 ;; m) mode=$OPTARG ;; o) owner=$OPTARG ;; g) group=$OPTARG ;;
	D) ;; *) exit 1 ;;
	esac
done
shift $((OPTIND - 1))
if [ "$dir" = 1 ]; then
	mkdir -p "$@" || exit 1
	dst=$1
else
	dst=$2
	[ -d "$dst" ] && dst=$dst/${1##*/}
	cp "$1" "$dst" || exit 1
fi
[ -z "$owner" ] || chown "$owner" "$dst" || exit 1
[ -z "$group" ] || chgrp "$group" "$dst" || exit 1
chmod "$mode" "$dst"
EOF
	put "$A/bin/mountpoint" <<'EOF'
#!/bin/sh
# lima-test: stand-in for busybox mountpoint [-q] DIR.
q=0
[ "${1:-}" = -q ] && { q=1; shift; }
if ! d=$(cd "$1" 2>/dev/null && pwd -P); then
	[ "$q" = 1 ] || echo "mountpoint: $1: No such file or directory" >&2
	exit 1
fi
mi=/proc/self/mountinfo
[ -e "$mi" ] || mi=/.proc/self/mountinfo
if awk -v d="$d" '$5 == d { f = 1 } END { exit !f }' "$mi"; then
	[ "$q" = 1 ] || echo "$1 is a mountpoint"
	exit 0
fi
[ "$q" = 1 ] || echo "$1 is not a mountpoint"
exit 1
EOF
}

# ---------------------------------------------------------------------------
# The Fedora-like root: the host's /usr read-only (at /.host/usr, with
# /usr/bin and /usr/sbin as link farms so that apt and friends can be
# left out and stubs put in), bash as /bin/sh, and Fedora's files.

F=$T_TMP/fedora
HIDE="apt apt-get apt-cache apt-mark dpkg dpkg-query busybox sudo
 systemctl loginctl iptables iptables-legacy iptables-nft ip6tables nft
 reboot poweroff halt shutdown modprobe needs-restarting dnf yum apk"
build_fedora() {
	mkdir -p "$F/.host/usr" "$F/usr/bin" "$F/usr/sbin"
	for d in /usr/*; do
		n=${d##*/}
		case $n in bin | sbin | local) continue ;; esac
		ln -s "/.host/usr/$n" "$F/usr/$n"
	done
	for d in bin sbin; do
		find "/usr/$d" -mindepth 1 -maxdepth 1 \
			-printf "/.host/usr/$d/%f\\0" |
			xargs -0 ln -s -t "$F/usr/$d"
		for h in $HIDE; do rm -f "$F/usr/$d/$h"; done
	done
	for d in bin sbin lib lib32 lib64 libx32; do
		[ -e "/usr/$d" ] && ln -s "usr/$d" "$F/$d"
	done
	ln -sf bash "$F/usr/bin/sh"
	common_root "$F" "modprobe sysctl"
	mkdir -p "$F/etc/ssh/sshd_config.d" "$F/etc/sudoers.d" \
		"$F/etc/default" "$F/etc/systemd/system"
	cp -a /etc/alternatives "$F/etc/"
	for f in login.defs ld.so.cache ld.so.conf ld.so.conf.d \
		default/useradd; do
		[ -e "/etc/$f" ] && cp -a "/etc/$f" "$F/etc/$f"
	done
	cp -a /etc/skel/. "$F/etc/skel/"
	cat >"$F/etc/os-release" <<'EOF'
NAME="Fedora Linux"
VERSION="41 (Cloud Edition)"
ID=fedora
VERSION_ID=41
PLATFORM_ID="platform:f41"
EOF
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' \
		>"$F/etc/nsswitch.conf"
	cat >"$F/etc/passwd" <<'EOF'
root:x:0:0:Super User:/root:/bin/bash
nobody:x:65534:65534:Kernel Overflow User:/:/usr/sbin/nologin
EOF
	cat >"$F/etc/group" <<'EOF'
root:x:0:
wheel:x:10:
systemd-journal:x:190:
nobody:x:65534:
EOF
	printf 'root:*:19700:0:99999:7:::\nnobody:*:19700:0:99999:7:::\n' \
		>"$F/etc/shadow"
	printf 'root:*::\nwheel:*::\nsystemd-journal:!::\nnobody:*::\n' \
		>"$F/etc/gshadow"
	chmod 0600 "$F/etc/shadow" "$F/etc/gshadow"
	printf '/bin/sh\n/bin/bash\n/usr/bin/sh\n/usr/bin/bash\n' \
		>"$F/etc/shells"
	# An older gateway address from another boot, to be replaced.
	printf '127.0.0.1   localhost localhost.localdomain\n192.168.5.9\thost.lima.internal\n' \
		>"$F/etc/hosts"
	printf 'EDITOR=vi\n' >"$F/etc/environment"
	printf '# mount_max = 1000\n# user_allow_other\n' >"$F/etc/fuse.conf"
	cat >"$F/etc/ssh/sshd_config" <<'EOF'
Include /etc/ssh/sshd_config.d/*.conf
AuthorizedKeysFile	.ssh/authorized_keys
Subsystem	sftp	/usr/libexec/openssh/sftp-server
EOF
	printf 'root\tALL=(ALL)\tALL\n#includedir /etc/sudoers.d\n' \
		>"$F/etc/sudoers"
	chmod 0440 "$F/etc/sudoers"
	cp "$F/usr/local/libexec/lima-test/sudo" "$F/usr/bin/sudo"

	put "$F/usr/bin/dnf" <<'EOF'
#!/bin/sh
# lima-test stub: logs; `install` of fuse-sshfs brings an sshfs (and
# fuse3's fusermount3), of iptables the iptables stub.
echo "dnf $*" >>/var/log/lima-test.log
case " $* " in *" install "*) ;; *) exit 0 ;; esac
for p in "$@"; do
	case $p in
	fuse-sshfs)
		for c in sshfs fusermount3; do
			printf '#!/bin/sh\necho "%s $*" >>/var/log/lima-test.log\n' \
				"$c" >"/usr/bin/$c"
			chmod 0755 "/usr/bin/$c"
		done
		;;
	iptables) cp /usr/local/libexec/lima-test/iptables /usr/sbin/iptables ;;
	esac
done
exit 0
EOF
	put "$F/usr/bin/systemctl" <<'EOF'
#!/bin/sh
# lima-test stub: logs; Fedora's ssh unit is sshd.service, not ssh.
# --user needs the user's manager (its socket in XDG_RUNTIME_DIR), and
# there a unit is active when it is in ~/.config/systemd/user (the
# rootless setup tool writes it, linger starts it at boot).
echo "systemctl $*" >>/var/log/lima-test.log
case "$*" in
"reload ssh" | "reload ssh.service")
	echo "Failed to reload ssh.service: Unit ssh.service not found." >&2
	exit 5
	;;
esac
[ "${1:-}" = --user ] || exit 0
if [ ! -S "${XDG_RUNTIME_DIR:-/nonexistent}/systemd/private" ]; then
	echo "Failed to connect to bus: No medium found" >&2
	exit 1
fi
if [ "$2" = is-active ]; then
	for u in "$@"; do :; done
	[ -f "$HOME/.config/systemd/user/$u" ]
	exit
fi
exit 0
EOF
	put "$F/usr/bin/loginctl" <<'EOF'
#!/bin/sh
# lima-test stub: logs; enable-linger starts "the user's systemd", that
# is, makes its /run/user/UID/systemd/private socket.
echo "loginctl $*" >>/var/log/lima-test.log
if [ "${1:-}" = enable-linger ]; then
	uid=$(id -u "$2") || exit 1
	d=/run/user/$uid/systemd
	mkdir -p "$d"
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/private" || exit 1
	chown -R "$2:" "/run/user/$uid"
	chmod 0700 "/run/user/$uid"
fi
exit 0
EOF
	# shadow-utils has these on Fedora.
	stub "$F/usr/bin/newuidmap"
	stub "$F/usr/bin/newgidmap"
	# nftables, no iptables (Alpine gets the iptables path).
	put "$F/usr/sbin/nft" <<'EOF'
#!/bin/sh
# lima-test stub: logs; `-f -` keeps the ruleset it reads.
echo "nft $*" >>/var/log/lima-test.log
case "$*" in
"-f -") cat >>/var/log/lima-test.nft ;;
"delete table "*) exit 1 ;;
esac
exit 0
EOF
	# After cloud-init's package upgrade: a reboot is needed, once.
	put "$F/usr/bin/needs-restarting" <<'EOF'
#!/bin/sh
# lima-test stub: logs; "reboot needed" the first time only.
echo "needs-restarting $*" >>/var/log/lima-test.log
[ -e /var/lib/lima-test-rebooted ] && exit 0
: >/var/lib/lima-test-rebooted
echo "Reboot is required to fully utilize these updates."
exit 1
EOF
}

mkcidata alpine 1000
mkcidata fedora 501 "upgradePackages: true"
IID_A=$(sed -n 's/^instance-id: //p' "$T_TMP/alpine.cidata/meta-data")
IID_F=$(sed -n 's/^instance-id: //p' "$T_TMP/fedora.cidata/meta-data")
build_alpine
build_fedora

self=$top_srcdir/tests/integration/t-boot-distro.sh
run ns /bin/sh "$self" --inner alpine "$A" "$T_TMP/alpine.cidata" 2
t_rc 0 "alpine: two boots in a private namespace"
run ns /bin/sh "$self" --inner fedora "$F" "$T_TMP/fedora.cidata" 2
t_rc 0 "fedora: two boots in a private namespace"

# ---------------------------------------------------------------------------
# Checks.

# has FILE STRING DESC: FILE holds STRING (fixed string).
has() {
	if grep -qF -- "$2" "$1" 2>/dev/null; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		echo "#   no '$2' in ${1#"$T_TMP"/}"
	fi
}
# hasnt FILE STRING DESC
hasnt() {
	if grep -qF -- "$2" "$1" 2>/dev/null; then
		t_ok 1 "$3"
		echo "#   unexpected '$2' in ${1#"$T_TMP"/}:"
		grep -F -- "$2" "$1" | head -5 | sed 's/^/#     /'
	else
		t_ok 0 "$3"
	fi
}
# line FILE LINE DESC: FILE has LINE as a whole line.
line() {
	if grep -qxF -- "$2" "$1" 2>/dev/null; then
		t_ok 0 "$3"
	else
		t_ok 1 "$3"
		echo "#   no line '$2' in ${1#"$T_TMP"/}"
	fi
}
# before FILE A B DESC: the first line holding A comes before the first B.
before() {
	a=$(grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1)
	b=$(grep -nF -- "$3" "$1" | head -n 1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then
		t_ok 0 "$4"
	else
		t_ok 1 "$4"
		echo "#   '$2' at line ${a:-none}, '$3' at line ${b:-none}"
	fi
}
# status CMD...: prints CMD's exit status (for t_ok, under set -e).
status() {
	if "$@"; then echo 0; else echo 1; fi
}
owner() { stat -c %u "$1" 2>/dev/null || echo none; }
mode() { stat -c %a "$1" 2>/dev/null || echo none; }
# showlog ROOT N: the boot log, on failure.
showlog() {
	sed 's/^/#   boot.'"$2"': /' "$1/var/log/boot.$2.log" | tail -40
}
# block FILE: the Lima block of FILE.
block() { sed -n '/^#LIMA-START$/,/^#LIMA-END$/p' "$1"; }

# runlist ROOT N PATH: "mode uid" of /run/PATH at the end of boot N.
runlist() {
	sed -n "s|^\\./$3 ||p" "$1/var/log/run.$2.ls"
}
# boot_ok NAME ROOT N: boot N exited 0, ran to its end, no step failed.
boot_ok() {
	rc=$(cat "$2/var/log/boot.$3.rc")
	t_is "$rc" 0 "$1: boot $3: boot.sh exits 0"
	hasnt "$2/var/log/boot.$3.log" "Failed to" "$1: boot $3: no step failed"
	if [ "$rc" != 0 ]; then showlog "$2" "$3"; fi
}

# common_checks NAME ROOT IID UID: what every distribution gets (boot 2).
common_checks() {
	n=$1 r=$2 iid=$3 uid=$4
	boot_ok "$n" "$r" 2
	has "$r/var/log/boot.2.log" "Boot scripts done, exit code 0" \
		"$n: boot.sh reached its end"
	# the user (made by cloud-init from user-data, kept by the scripts)
	t_is "$(sed -n 's/^LIMA_CIDATA_UID=//p' "$T_TMP/$n.cidata/lima.env")" \
		"$uid" "$n: lima.env has the uid of lima.yaml"
	gid=$(awk -F: '$1 == "alice" { print $3 }' "$r/etc/group")
	t_is "$(grep '^alice:' "$r/etc/passwd")" \
		"alice:x:$uid:$gid:Alice Liddell:/home/alice.linux:/bin/bash" \
		"$n: user alice: uid, gecos, home and shell, own group"
	line "$r/etc/sudoers.d/90-cloud-init-users" \
		"alice ALL=(ALL) NOPASSWD:ALL" "$n: alice's sudo rule"
	t_is "$(owner "$r/home/alice.linux")" "$uid" "$n: home owned by alice"
	t_is "$(readlink "$r/home/alice.guest")" alice.linux \
		"$n: /home/alice.guest links to alice.linux"
	# /etc/environment and /etc/hosts
	t_is "$(block "$r/etc/environment")" \
		"$(cat "$T_TMP/$n.cidata/etc_environment")" \
		"$n: /etc/environment has cidata's Lima block"
	t_is "$(grep -c '^#LIMA-START$' "$r/etc/environment")" 1 \
		"$n: one Lima block after two boots"
	line "$r/etc/hosts" "$(printf '192.168.5.2\thost.lima.internal')" \
		"$n: /etc/hosts names host.lima.internal"
	t_is "$(grep -c 'host\.lima\.internal' "$r/etc/hosts")" 1 \
		"$n: one host.lima.internal line"
	has "$r/etc/hosts" "localhost" "$n: /etc/hosts keeps localhost"
	# reverse-sshfs mount points, made for the user's sshfs
	for mp in /tmp/lima /home/alice.linux/src/project \
		/home/alice.linux/src; do
		t_is "$(owner "$r$mp")" "$uid" "$n: mount point $mp owned by alice"
	done
	line "$r/etc/fuse.conf" user_allow_other "$n: fuse.conf user_allow_other"
	t_is "$(runlist "$r" 2 host-services)" "700 $uid" \
		"$n: /run/host-services is alice's, 0700"
	# markers of boot 2, as they were before the "reboot"
	t_is "$(sed -n 's/^LIMA_CIDATA_IID=//p' "$T_TMP/$n.cidata/lima.env")" \
		"$iid" "$n: lima.env has the IID of meta-data"
	for m in lima-ssh-ready lima-fuse-ready lima-boot-done; do
		t_is "$(cat "$r/var/log/$m.2" 2>/dev/null)" "$iid" \
			"$n: /run/$m holds the IID"
	done
	# provision modes
	before "$r$LOG" "provision dependency uid=0" "sshfs" \
		"$n: dependency script ran as root before the package install"
	has "$r$LOG" "provision system root hello world" \
		"$n: system script ran as root with PARAM_GREETING"
	t_is "$(cat "$r/home/alice.linux/user-provision.out" 2>/dev/null)" \
		"alice $uid /home/alice.linux /home/alice.linux hello world /run/user/$uid" \
		"$n: user script ran as alice in her home, PARAM and XDG_RUNTIME_DIR"
	t_is "$(owner "$r/home/alice.linux/user-provision.out")" "$uid" \
		"$n: the user script's file is alice's"
	has "$r$LOG" \
		"sudo -iu alice --preserve-env=PARAM_GREETING XDG_RUNTIME_DIR=/run/user/$uid /home/alice.linux/.lima-user-script" \
		"$n: user script through sudo -iu"
	t_ok "$(status [ ! -e "$r/home/alice.linux/.lima-user-script" ])" \
		"$n: the copied user script is removed"
	t_is "$(cat "$r/etc/lima-test/data.conf" 2>/dev/null)" "hello data" \
		"$n: data file copied"
	t_is "$(mode "$r/etc/lima-test/data.conf") $(owner "$r/etc/lima-test/data.conf")" \
		"640 $uid" "$n: data file mode and owner"
	# the guest agent
	t_ok "$(status cmp -s "$T_TMP/agent" "$r/usr/local/bin/lima-guestagent")" \
		"$n: lima-guestagent installed into /usr/local/bin"
	has "$r$LOG" "sshfs" "$n: sshfs installed"
	t_ok "$(status [ -x "$r/usr/bin/sshfs" ])" "$n: sshfs is there"
}

echo "# alpine: boot 1 (the image's user alpine holds uid 1000)"
boot_ok alpine "$A" 1
has "$A/var/log/cloud-init.1.log" "uid '1000' in use" \
	"alpine: boot 1: cloud-init could not make alice"
has "$A$LOG" "deluser --remove-home alpine" "alpine: user alpine deleted"
has "$A$LOG" "cloud-init clean --logs" "alpine: cloud-init cleaned"
has "$A$LOG" "reboot " "alpine: reboot asked for"
t_is "$(runlist "$A" 1 lima-boot-done)" "" \
	"alpine: boot 1 does not write /run/lima-boot-done"
hasnt "$A/var/log/boot.1.log" "boot.Linux/" \
	"alpine: boot 1 reboots before boot.Linux"
hasnt "$A/var/log/boot.1.log" "provision." \
	"alpine: boot 1 runs no provision script"
hasnt "$A/etc/passwd" "alpine:" "alpine: no user alpine in /etc/passwd"
t_ok "$(status [ ! -e "$A/home/alpine" ])" "alpine: /home/alpine removed"

echo "# alpine: boot 2"
common_checks alpine "$A" "$IID_A" 1000
t_is "$(awk -F: '$1 == "alice" { print $2 }' "$A/etc/shadow")" "*" \
	"alpine: alice unlocked for keys ('*'), with no empty password"
t_is "$(cat "$A/etc/sudoers.d/00-lima-root" 2>/dev/null)" \
	"root ALL=(ALL:ALL) ALL" "alpine: sudoers rule for root"
t_is "$(mode "$A/etc/sudoers.d/00-lima-root")" 440 \
	"alpine: root's sudoers rule is 0440"
t_is "$(cat "$A/bin/bash" 2>/dev/null)" "$(printf '#!/bin/ash\nexec /bin/ash "$@"')" \
	"alpine: /bin/bash runs ash"
t_is "$(mode "$A/bin/bash")" 755 "alpine: /bin/bash is executable"
line "$A/etc/shells" /bin/bash "alpine: /bin/bash in /etc/shells"
line "$A/etc/apk/repositories" \
	"https://dl-cdn.alpinelinux.org/alpine/v3.20/community" \
	"alpine: community repository enabled"
line "$A$LOG" "apk update" "alpine: apk fetched the indexes"
hasnt "$A/var/log/boot.1.log" "could not install sudo" \
	"alpine: boot 1 installed sudo"
t_ok "$(status [ -x "$A/usr/bin/sudo" ])" "alpine: sudo is there"
line "$A/etc/ssh/sshd_config" "AllowTcpForwarding yes" \
	"alpine: sshd allows TCP forwarding"
line "$A/etc/ssh/sshd_config" "AcceptEnv COLORTERM" \
	"alpine: sshd accepts COLORTERM"
line "$A$LOG" "rc-service sshd reload" "alpine: sshd reloaded"
line "$A$LOG" "rc-update add acpid default" "alpine: acpid enabled"
line "$A$LOG" "rc-service acpid start" "alpine: acpid started"
line "$A$LOG" "rc-update add cgroups boot" "alpine: cgroups enabled"
line "$A$LOG" "rc-service cgroups start" "alpine: cgroups started"
has "$A/etc/init.d/lima-guestagent" \
	'command_args="daemon --socket-owner 1000"' \
	"alpine: OpenRC service for lima-guestagent"
line "$A$LOG" "rc-update add lima-guestagent default" \
	"alpine: lima-guestagent enabled"
line "$A$LOG" "rc-service lima-guestagent restart" \
	"alpine: lima-guestagent (re)started"
line "$A$LOG" "apk add sshfs iptables" \
	"alpine: apk add sshfs iptables (no iptables or nft for the DNS redirect)"
line "$A$LOG" \
	"iptables -t nat -A LIMADNS -d 192.168.5.3 -p udp --dport 53 -j DNAT --to-destination 192.168.5.2:40053" \
	"alpine: DNS redirect (udp), once iptables is there"
line "$A$LOG" \
	"iptables -t nat -A LIMADNS -d 192.168.5.3 -p tcp --dport 53 -j DNAT --to-destination 192.168.5.2:40054" \
	"alpine: DNS redirect (tcp)"
line "$A$LOG" "iptables -t nat -A PREROUTING -j LIMADNS" \
	"alpine: LIMADNS hooked into PREROUTING"
line "$A$LOG" "iptables -t nat -A OUTPUT -j LIMADNS" \
	"alpine: LIMADNS hooked into OUTPUT"
has "$A/var/log/boot.2.log" "Redirected DNS for 192.168.5.3 to 192.168.5.2" \
	"alpine: 35-setup-packages redid the DNS redirect"
t_is "$(runlist "$A" 2 lima-dns-redirect)" "644 0" "alpine: DNS marker"
hasnt "$A$LOG" "systemctl" "alpine: no systemctl"

echo "# fedora: boot 1 (upgradePackages: the upgrade wants a reboot)"
boot_ok fedora "$F" 1
line "$F$LOG" "needs-restarting -r" "fedora: needs-restarting asked"
before "$F$LOG" "systemctl reboot" "=== boot 2" "fedora: boot 1 reboots"
has "$F/var/log/boot.1.log" "A reboot is required; rebooting" \
	"fedora: boot 1 says why"
t_is "$(runlist "$F" 1 lima-boot-done)" "" \
	"fedora: boot 1 does not write /run/lima-boot-done"
hasnt "$F/var/log/boot.1.log" "provision.system" \
	"fedora: boot 1 leaves the system scripts to the next boot"

echo "# fedora: boot 2"
common_checks fedora "$F" "$IID_F" 501
has "$F/etc/group" "systemd-journal:x:190:alice" \
	"fedora: alice (uid 501 < 1000) in systemd-journal"
hasnt "$F/etc/group" "wheel:x:10:alice" "fedora: alice not in wheel"
t_ok "$(status [ ! -e "$F/etc/sudoers.d/00-lima-root" ])" \
	"fedora: no Alpine sudoers rule"
line "$F/etc/environment" "EDITOR=vi" \
	"fedora: /etc/environment keeps its own lines"
t_is "$(grep -c '^dnf ' "$F$LOG")" 1 "fedora: dnf called once"
line "$F$LOG" "dnf install -y fuse-sshfs" "fedora: dnf install -y fuse-sshfs"
hasnt "$F$LOG" "apk " "fedora: no apk"
has "$F$LOG" "modprobe -q fuse" "fedora: fuse module loaded"
has "$F$LOG" "modprobe -q iptable_nat" "fedora: NAT module loaded"
hasnt "$F$LOG" "iptables" "fedora: nft is there: no iptables"
line "$F$LOG" "nft -f -" "fedora: DNS redirect with nft"
t_is "$(sed -n '1,/^}$/p' "$F/var/log/lima-test.nft")" "table ip lima_dns {
  chain prerouting {
    type nat hook prerouting priority -100;
    ip daddr 192.168.5.3 udp dport 53 dnat to 192.168.5.2:40053
    ip daddr 192.168.5.3 tcp dport 53 dnat to 192.168.5.2:40054
  }
  chain output {
    type nat hook output priority -100;
    ip daddr 192.168.5.3 udp dport 53 dnat to 192.168.5.2:40053
    ip daddr 192.168.5.3 tcp dport 53 dnat to 192.168.5.2:40054
  }
}" "fedora: the nft ruleset"
t_is "$(runlist "$F" 2 lima-dns-redirect)" "644 0" "fedora: DNS marker"
line "$F/etc/systemd/system/lima-guestagent.service" \
	"ExecStart=/usr/local/bin/lima-guestagent daemon --socket-owner 501" \
	"fedora: systemd unit for lima-guestagent"
line "$F$LOG" "systemctl daemon-reload" "fedora: daemon-reload"
line "$F$LOG" "systemctl enable lima-guestagent.service" \
	"fedora: lima-guestagent enabled"
before "$F$LOG" "systemctl restart lima-guestagent.service" "=== boot 2" \
	"fedora: boot 1 restarts the new agent"
t_is "$(sed -n '/=== boot 2/,$p' "$F$LOG" | grep -c 'lima-guestagent.service$')" 2 \
	"fedora: boot 2 only enables and starts it"
line "$F$LOG" "systemctl start lima-guestagent.service" \
	"fedora: boot 2 starts the unchanged agent"
line "$F/etc/ssh/sshd_config.d/99-lima-colorterm.conf" "AcceptEnv COLORTERM" \
	"fedora: sshd drop-in accepts COLORTERM"
hasnt "$F/etc/ssh/sshd_config" "COLORTERM" "fedora: sshd_config left alone"
line "$F$LOG" "systemctl reload sshd" "fedora: sshd.service reloaded"
t_is "$(grep -c '^loginctl terminate-user alice$' "$F$LOG")" 1 \
	"fedora: sessions ended once, when /etc/environment changed"
line "$F$LOG" "loginctl enable-linger alice" \
	"fedora: linger enabled for the user's systemd"
hasnt "$F$LOG" "rc-" "fedora: no OpenRC"

# ---------------------------------------------------------------------------
# containerd: both instances started again with containerd on, so that
# cidata carries a stand-in nerdctl-full archive: bin/nerdctl printing its
# version, containerd and buildkitd that would sleep, the rootless setup
# tool (it checks what the real one's init checks, logs its arguments and
# who ran it, and writes the user unit it would) and the system units.
# Alpine has no systemd: a warning, nothing installed.  Fedora: boot 3
# installs (system and user mode), boot 4 finds it all done, boot 5 gets
# a new archive, boot 6 a guestInstallPrefix (and, as Debian's does, an
# /etc/profile that sets PATH for login shells).

# mkarchive NAME VERSION: $T_TMP/NAME.tgz.
mkarchive() {
	d=$T_TMP/$1
	mkdir -p "$d/bin" "$d/lib/systemd/system"
	printf '#!/bin/sh\necho "nerdctl version %s"\n' "$2" >"$d/bin/nerdctl"
	printf '#!/bin/sh\nexec sleep infinity\n' >"$d/bin/containerd"
	cp "$d/bin/containerd" "$d/bin/buildkitd"
	cp "$d/bin/containerd" "$d/bin/containerd-rootless.sh"
	cat >"$d/bin/containerd-rootless-setuptool.sh" <<'EOF'
#!/bin/sh
# lima-test: stand-in for nerdctl's containerd-rootless-setuptool.sh.
set -eu
die() { echo "[ERROR] $*" >&2; exit 1; }
[ "$(id -u)" != 0 ] || die "Refusing to install rootless containerd as root"
bin=$(command -v containerd-rootless.sh) ||
	die "containerd-rootless.sh needs to be present under \$PATH"
systemctl --user show-environment >/dev/null 2>&1 ||
	die "Needs systemd (systemctl --user)"
[ -n "${XDG_RUNTIME_DIR:-}" ] && [ -w "$XDG_RUNTIME_DIR" ] ||
	die "XDG_RUNTIME_DIR is not set, does not exist, or is not writable"
echo "setuptool $* user=$(id -un) HOME=$HOME" \
	"XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" \
	"CONTAINERD_NAMESPACE=${CONTAINERD_NAMESPACE:-} bin=${bin%/*}" \
	>>/var/log/lima-test.log
case $1 in
install) unit=containerd.service ;;
install-buildkit-containerd)
	unit=${CONTAINERD_NAMESPACE:+$CONTAINERD_NAMESPACE-}buildkit.service ;;
*) die "unknown command $1" ;;
esac
mkdir -p "$HOME/.config/systemd/user"
printf '[Service]\nExecStart=%s\n' "$bin" \
	>"$HOME/.config/systemd/user/$unit"
EOF
	chmod 0755 "$d/bin/"*
	for u in containerd:containerd buildkit:buildkitd; do
		printf '[Service]\nExecStart=/usr/local/bin/%s\n[Install]\nWantedBy=multi-user.target\n' \
			"${u#*:}" >"$d/lib/systemd/system/${u%%:*}.service"
	done
	tar -C "$d" --owner=0 --group=0 -czf "$T_TMP/$1.tgz" bin lib
}
mkarchive ctd1 1.0.0-clima-test
mkarchive ctd2 2.0.0-clima-test
BOTH="{system: true, user: true}"
mkcidata actd 1000 "" "$BOTH" "$T_TMP/ctd1.tgz"
mkcidata fctd1 501 "" "$BOTH" "$T_TMP/ctd1.tgz"
mkcidata fctd2 501 "" "$BOTH" "$T_TMP/ctd2.tgz"
mkcidata fctd3 501 "guestInstallPrefix: /opt/clima" "$BOTH" \
	"$T_TMP/ctd2.tgz"
t_ok "$(status cmp -s "$T_TMP/ctd1.tgz" "$T_TMP/fctd1.cidata/nerdctl-full.tgz")" \
	"containerd: cidata carries the archive as nerdctl-full.tgz"
line "$T_TMP/fctd1.cidata/lima.env" \
	"LIMA_CIDATA_CONTAINERD_ARCHIVE=nerdctl-full.tgz" \
	"containerd: lima.env names it"
mkcidata ctdoff 501 "" "" "$T_TMP/ctd1.tgz"
t_ok "$(status [ ! -e "$T_TMP/ctdoff.cidata/nerdctl-full.tgz" ])" \
	"containerd: no archive in cidata with containerd off"
hasnt "$T_TMP/ctdoff.cidata/lima.env" "LIMA_CIDATA_CONTAINERD_ARCHIVE" \
	"containerd: nor in lima.env"

# A user's own buildkitd.toml, and a subgid range keyed by uid.
mkdir -p "$F/etc/buildkit"
echo "# alice's buildkitd.toml" >"$F/etc/buildkit/buildkitd.toml"
echo "501:100000:65536" >"$F/etc/subgid"

# boot KIND ROOT CIDATA N: boot N of ROOT from CIDATA; what the stubs
# logged in that boot goes to /var/log/lima-test.N.log.
boot() {
	run ns /bin/sh "$self" --inner "$1" "$2" "$T_TMP/$3.cidata" 1 "$4"
	t_rc 0 "$1: boot $4 in a private namespace"
	awk -v b="=== boot $4" '$0 == b { f = 1; next } /^=== boot / { f = 0 }
		f' "$2$LOG" >"$2/var/log/lima-test.$4.log"
}

# done_ok NAME ROOT N CIDATA: boot N ran to its end, cleanly.
done_ok() {
	boot_ok "$1" "$2" "$3"
	has "$2/var/log/boot.$3.log" "Boot scripts done, exit code 0" \
		"$1: boot $3: boot.sh reached its end"
	t_is "$(cat "$2/var/log/lima-boot-done.$3" 2>/dev/null)" \
		"$(sed -n 's/^LIMA_CIDATA_IID=//p' "$T_TMP/$4.cidata/lima.env")" \
		"$1: boot $3: /run/lima-boot-done holds the IID"
}
# unpacked NAME ROOT PREFIX ARCHIVE VERSION: what ARCHIVE unpacked.
unpacked() {
	p=$2$3
	t_is "$(sh "$p/bin/nerdctl" 2>&1)" "nerdctl version $5" \
		"$1: $3/bin/nerdctl of the archive"
	t_is "$(mode "$p/bin/nerdctl") $(owner "$p/bin/nerdctl")" "755 0" \
		"$1: $3/bin/nerdctl is root's, 0755"
	for f in bin/containerd bin/buildkitd bin/containerd-rootless.sh \
		bin/containerd-rootless-setuptool.sh \
		lib/systemd/system/containerd.service \
		lib/systemd/system/buildkit.service; do
		t_ok "$(status cmp -s "$T_TMP/$4/$f" "$p/$f")" \
			"$1: $3/$f unpacked"
	done
	t_is "$(cat "$p/share/lima/nerdctl-full.cksum" 2>/dev/null)" \
		"$(cksum <"$T_TMP/$4.tgz")" "$1: $3: the archive's cksum kept"
}

echo "# containerd: alpine, boot 3 (no systemd)"
boot alpine "$A" actd 3
LA=$A/var/log/lima-test.3.log
done_ok alpine "$A" 3 actd
has "$A/var/log/boot.3.log" \
	"WARNING: containerd needs systemd; not installing it" \
	"alpine: containerd skipped with a warning"
t_ok "$(status [ ! -e "$A/usr/local/bin/nerdctl" ])" \
	"alpine: nothing unpacked"
t_ok "$(status [ ! -e "$A/usr/local/share/lima" ])" "alpine: no cksum stamp"
t_ok "$(status [ ! -e "$A/etc/containerd" ])" "alpine: no containerd config"
t_ok "$(status [ ! -e "$A/etc/subuid" ])" \
	"alpine: no subuid range for a rootless containerd it will not run"
t_ok "$(status [ ! -e "$A/etc/sysctl.d/99-lima-rootless.conf" ])" \
	"alpine: no rootless sysctl file"
hasnt "$LA" "apk " "alpine: no packages for containerd (uidmap has no such name)"

echo "# containerd: fedora, boot 3 (first install, system and user mode)"
boot fedora "$F" fctd1 3
L=$F/var/log/lima-test.3.log
done_ok fedora "$F" 3 fctd1
for m in overlay br_netfilter xt_MASQUERADE; do
	line "$L" "modprobe -q $m" "fedora: module $m loaded"
done
line "$L" "dnf install -y iptables" \
	"fedora: iptables installed (newuidmap and fusermount3 there)"
t_is "$(cat "$F/etc/subuid" 2>/dev/null)" "alice:524288:65536" \
	"fedora: subuid range added for alice"
t_is "$(cat "$F/etc/subgid")" "501:100000:65536" \
	"fedora: subgid range by uid kept, none added"
t_is "$(grep -v '^#' "$F/etc/sysctl.d/99-lima-rootless.conf" 2>/dev/null)" \
	"net.ipv4.ping_group_range = 0 2147483647
net.ipv4.ip_unprivileged_port_start = 0" "fedora: rootless sysctl file"
line "$L" "sysctl -q -p /etc/sysctl.d/99-lima-rootless.conf" \
	"fedora: sysctl file applied"
line "$L" "loginctl enable-linger alice" "fedora: linger enabled"
before "$L" "loginctl enable-linger alice" "setuptool install " \
	"fedora: linger before the rootless setup"
has "$F/var/log/boot.3.log" \
	"Unpacking /mnt/lima-cidata/nerdctl-full.tgz into /usr/local" \
	"fedora: boot 3 unpacks the archive"
unpacked fedora "$F" /usr/local ctd1 1.0.0-clima-test
t_is "$(cat "$F/etc/containerd/config.toml" 2>/dev/null)" 'version = 2
# clima: the default configuration, plus whatever config.d holds.
imports = ["/etc/containerd/config.d/*.toml"]' \
	"fedora: /etc/containerd/config.toml written"
t_is "$(cat "$F/etc/buildkit/buildkitd.toml")" "# alice's buildkitd.toml" \
	"fedora: the user's buildkitd.toml kept"
line "$L" "systemctl enable --now containerd buildkit" \
	"fedora: system containerd and buildkit enabled and started"
t_ok "$(status [ ! -e "$F/etc/systemd/system/containerd.service" ])" \
	"fedora: /usr/local's units used where they are"
line "$L" "setuptool install user=alice HOME=/home/alice.linux XDG_RUNTIME_DIR=/run/user/501 CONTAINERD_NAMESPACE= bin=/usr/local/bin" \
	"fedora: rootless setup run as alice, with XDG_RUNTIME_DIR"
line "$L" "setuptool install-buildkit-containerd user=alice HOME=/home/alice.linux XDG_RUNTIME_DIR=/run/user/501 CONTAINERD_NAMESPACE=default bin=/usr/local/bin" \
	"fedora: rootless buildkit set up, namespace default"
has "$L" "sudo -iu alice XDG_RUNTIME_DIR=/run/user/501 " \
	"fedora: the setup tool through sudo -iu"
for u in containerd default-buildkit; do
	t_is "$(owner "$F/home/alice.linux/.config/systemd/user/$u.service")" \
		501 "fedora: alice's $u.service"
done

echo "# containerd: fedora, boot 4 (the same archive)"
boot fedora "$F" fctd1 4
L=$F/var/log/lima-test.4.log
done_ok fedora "$F" 4 fctd1
hasnt "$F/var/log/boot.4.log" "Unpacking" "fedora: boot 4 unpacks nothing"
unpacked fedora "$F" /usr/local ctd1 1.0.0-clima-test
t_is "$(grep -c '^alice:' "$F/etc/subuid")" 1 "fedora: one subuid line"
t_is "$(wc -l <"$F/etc/subgid")" 1 "fedora: one subgid line"
has "$F/etc/containerd/config.toml" "# clima: the default configuration" \
	"fedora: config.toml still there"
t_is "$(cat "$F/etc/buildkit/buildkitd.toml")" "# alice's buildkitd.toml" \
	"fedora: buildkitd.toml still alice's"
line "$L" "systemctl enable --now containerd buildkit" \
	"fedora: boot 4 enables and starts the system services"
hasnt "$L" "try-restart" "fedora: boot 4 restarts no system service"
hasnt "$L" "systemctl --user restart" "fedora: nor the user's"
hasnt "$L" "setuptool" \
	"fedora: boot 4 leaves the rootless setup (its units are active)"
line "$L" "loginctl enable-linger alice" "fedora: linger again"

echo "# containerd: fedora, boot 5 (a new archive)"
boot fedora "$F" fctd2 5
L=$F/var/log/lima-test.5.log
done_ok fedora "$F" 5 fctd2
has "$F/var/log/boot.5.log" \
	"Unpacking /mnt/lima-cidata/nerdctl-full.tgz into /usr/local" \
	"fedora: boot 5 unpacks the new archive"
unpacked fedora "$F" /usr/local ctd2 2.0.0-clima-test
before "$L" "systemctl try-restart containerd buildkit" \
	"systemctl enable --now containerd buildkit" \
	"fedora: running system services restarted on the new binaries"
line "$L" "systemctl --user restart containerd.service" \
	"fedora: and the user's containerd (its buildkit is PartOf it)"
hasnt "$L" "setuptool" "fedora: no new rootless setup"

echo "# containerd: fedora, boot 6 (guestInstallPrefix /opt/clima)"
# As after `containerd-rootless-setuptool.sh uninstall`; and Debian's
# /etc/profile (what sudo -i runs) sets PATH.
rm -f "$F/home/alice.linux/.config/systemd/user/"*
printf 'PATH=/usr/local/bin:/usr/bin:/bin\nexport PATH\n' >"$F/etc/profile"
boot fedora "$F" fctd3 6
rm -f "$F/etc/profile"
L=$F/var/log/lima-test.6.log
done_ok fedora "$F" 6 fctd3
has "$F/var/log/boot.6.log" \
	"Unpacking /mnt/lima-cidata/nerdctl-full.tgz into /opt/clima" \
	"fedora: boot 6 unpacks into the prefix"
unpacked fedora "$F" /opt/clima ctd2 2.0.0-clima-test
for u in containerd:containerd buildkit:buildkitd; do
	line "$F/etc/systemd/system/${u%%:*}.service" \
		"ExecStart=/opt/clima/bin/${u#*:}" \
		"fedora: ${u%%:*}.service runs /opt/clima/bin/${u#*:}"
done
t_is "$(head -n 1 "$F/etc/systemd/system/containerd.service")" \
	"# clima: from /opt/clima/lib/systemd/system/containerd.service" \
	"fedora: the copy says where it comes from"
line "$L" "systemctl enable --now containerd buildkit" \
	"fedora: boot 6 enables and starts the system services"
line "$L" "setuptool install user=alice HOME=/home/alice.linux XDG_RUNTIME_DIR=/run/user/501 CONTAINERD_NAMESPACE= bin=/opt/clima/bin" \
	"fedora: the prefix's setup tool finds its containerd-rootless.sh"
has "$L" "setuptool install-buildkit-containerd user=alice" \
	"fedora: and sets up buildkit"
line "$F/home/alice.linux/.config/systemd/user/containerd.service" \
	"ExecStart=/opt/clima/bin/containerd-rootless.sh" \
	"fedora: alice's containerd.service runs the prefix's"
line "$F/etc/systemd/system/lima-guestagent.service" \
	"ExecStart=/opt/clima/bin/lima-guestagent daemon --socket-owner 501" \
	"fedora: the guest agent in the prefix too"

echo "# run time: $(($(date +%s) - T0)) s"
t_done
