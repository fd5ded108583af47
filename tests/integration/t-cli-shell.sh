#!/bin/sh
# clima: limactl shell and copy, with a real sshd on 127.0.0.1 playing the
# guest: the "guest" is this host, logged into as a throwaway user, so
# paths on both sides are the same files.  Needs root (useradd, sshd).
# Back-quotes and $ in single quotes below are literal text, on purpose.
# shellcheck disable=SC2016
set -eu
. "$top_srcdir/tests/integration/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to add a user and run sshd"
	exit 0
fi
if [ ! -x /usr/sbin/sshd ] || ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP needs /usr/sbin/sshd and python3" \
	    "(scripts/install-deps.sh --test)"
	exit 0
fi

guser="clima-t$$"
ghome="/home/$guser"
pids=""
t_shell_cleanup() {
	for s in "$LIMA_HOME"/*/ssh.sock; do
		if [ -S "$s" ]; then
			timeout 10 ssh -o ControlPath="$s" -O exit lima \
			    >/dev/null 2>&1 || true
		fi
	done
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	userdel -r -f "$guser" >/dev/null 2>&1 || true
	t_cleanup
}
trap t_shell_cleanup EXIT INT TERM

# The guest user must reach files under $T_TMP.
chmod 755 "$T_TMP"
useradd -m -p '*' -s /bin/sh "$guser"

port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')

img="$T_TMP/base.qcow2"
qemu-img create -q -f qcow2 "$img" 64M
mkdir -p "$T_TMP/mnt/sub" "$T_TMP/back"
chmod 777 "$T_TMP/back"
cat >"$T_TMP/t.yaml" <<YAML
images:
- location: "$img"
  arch: x86_64
mounts:
- location: "$T_TMP/mnt"
user:
  name: $guser
YAML
lc create --name=vm "$T_TMP/t.yaml"
t_rc 0 "create vm"
lc create --name=off "$T_TMP/t.yaml"

# --- sshd -------------------------------------------------------------------
d="$T_TMP/sshd"
mkdir -p "$d" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey"
cp "$LIMA_HOME/_config/user.pub" "$d/authorized_keys"
chmod 644 "$d/authorized_keys"
sftp=/usr/lib/openssh/sftp-server
cat >"$d/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $d/hostkey
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowUsers $guser
AcceptEnv COLORTERM
Subsystem sftp $sftp
CONF
/usr/sbin/sshd -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
pids="$pids $!"

# --- make vm look Running: live pids and an ha.sock with the port ------------
sleep 600 &
pids="$pids $!"
echo $! >"$LIMA_HOME/vm/ha.pid"
sleep 600 &
pids="$pids $!"
echo $! >"$LIMA_HOME/vm/qemu.pid"
cat >"$T_TMP/ha.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
body = b'{"sshLocalPort":%d}' % int(sys.argv[2])
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY
python3 "$T_TMP/ha.py" "$LIMA_HOME/vm/ha.sock" "$port" &
pids="$pids $!"
i=0
while [ $i -lt 100 ]; do
	if [ -S "$LIMA_HOME/vm/ha.sock" ] &&
	    python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' \
	    "$port" 2>/dev/null; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
lc list vm --format '{{.Status}} {{.SSHLocalPort}}'
t_is "$(out)" "Running $port" "vm looks Running on the sshd port"

# --- shell ------------------------------------------------------------------
lc shell vm uname -a
t_rc 0 "shell runs a command"
t_is "$(out)" "$(uname -a)" "uname -a from the guest"
if [ "$RC" -ne 0 ]; then
	sed 's/^/#   sshd: /' "$d/sshd.log" | tail -20
fi

lc shell vm id -un
t_is "$(out)" "$guser" "logged in as the configured user"

lc shell vm sh -c 'exit 7'
t_rc 7 "remote exit code passed through"
t_is "$(err)" "" "silent on a non-zero remote exit"

lc shell vm -- echo dash
t_is "$(out)" "dash" "INSTANCE -- COMMAND drops the --"

lc shell vm echo "a  b" "it's" '$HOME' '*'
t_is "$(out)" "a  b it's \$HOME *" "arguments keep their quoting"

lc shell vm FOO='x y' sh -c 'echo "$FOO"'
t_is "$(out)" "x y" "leading K=V stays an assignment"

lc shell --workdir /tmp vm pwd
t_is "$(out)" "/tmp" "--workdir"
lc shell --workdir /nonexistent vm pwd
t_rc 1 "--workdir that does not exist fails"

set +e
(cd "$T_TMP/mnt/sub" && timeout 60 "$LIMACTL" shell vm pwd) \
    >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
RC=$?
set -e
t_is "$(out)" "$T_TMP/mnt/sub" "cwd inside a mount: same directory"
set +e
(cd / && timeout 60 "$LIMACTL" shell vm pwd) \
    >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
set -e
t_is "$(out)" "$ghome" "cwd outside the mounts: the guest home"

lc shell --shell /bin/sh vm sh -c 'echo $0'
t_is "$(out)" "sh" "--shell"

lc --debug shell vm true
t_grep err "changeDirCmd=false" "outside the mounts the cd is false"
t_grep err " -o LogLevel=ERROR -p $port 127.0.0.1 -- " \
    "ssh argv ends like Lima's"
t_grep err "-F /dev/null -o IdentityFile=" "-F /dev/null first"
t_grep err "-o User=$guser -o ControlMaster=auto" "user and control master"
t_nogrep err " -t " "no -t when stdout is not a terminal"
t_grep err "exec /bin/bash -l -c true" "the user's shell as a login shell"

# --preserve-env
run env FOO=bar PATH="/clima-fake:$PATH" "$LIMACTL" shell --preserve-env vm \
    sh -c 'echo "$FOO|$HOME|$PATH"'
t_rc 0 "--preserve-env"
case "$(out)" in
"bar|$ghome|"*) t_ok 0 "FOO passed, HOME is the guest's" ;;
*) t_ok 1 "FOO passed, HOME is the guest's: $(out)" ;;
esac
t_nogrep out "clima-fake" "PATH is the guest's"
run env FOO=bar "$LIMACTL" shell vm sh -c 'echo "[$FOO]"'
t_is "$(out)" "[]" "no env without --preserve-env"
run env FOO=bar BAR=baz LIMA_SHELLENV_ALLOW=FOO "$LIMACTL" shell \
    --preserve-env vm sh -c 'echo "$FOO|$BAR"'
t_is "$(out)" "bar|" "LIMA_SHELLENV_ALLOW lets only FOO through"
run env FOO=bar FOX=1 LIMA_SHELLENV_BLOCK=+FO* "$LIMACTL" shell \
    --preserve-env vm sh -c 'echo "$FOO|$FOX|${LIMA_SHELLENV_BLOCK:-}"'
t_is "$(out)" "||+FO*" "LIMA_SHELLENV_BLOCK=+ extends the block list"
run env FOO=bar LIMA_SHELLENV_BLOCK=FO-O "$LIMACTL" shell --preserve-env \
    vm true
t_rc 1 "bad pattern"
t_grep err 'Invalid LIMA_SHELLENV_BLOCK pattern: pattern \"FO-O\" contains invalid character \"-\" at position 2' \
    "bad pattern message"

# $SSH replaces the ssh program.
cat >"$T_TMP/myssh" <<'SH'
#!/bin/sh
echo "$1" >"$(dirname "$0")/myssh.called"
shift
exec ssh "$@"
SH
chmod +x "$T_TMP/myssh"
run env SSH="$T_TMP/myssh --marker" "$LIMACTL" shell vm echo via
t_is "$(out)" "via" "\$SSH wrapper works"
t_is "$(cat "$T_TMP/myssh.called" 2>/dev/null)" "--marker" \
    "\$SSH split into words"

# The lima wrapper.
run env LIMA_INSTANCE=vm LIMA_WORKDIR=/tmp sh "$top_srcdir/cli/lima" pwd
t_is "$(out)" "/tmp" "lima with LIMA_INSTANCE and LIMA_WORKDIR"
run env LIMA_INSTANCE=vm sh "$top_srcdir/cli/lima" sh -c 'exit 3'
t_rc 3 "lima passes the exit code through"
lc shell --instance vm echo one two
t_is "$(out)" "one two" "--instance: every argument is the command"

# --reconnect
test -S "$LIMA_HOME/vm/ssh.sock"
t_ok $? "a control master is running"
lc shell --reconnect vm echo again
t_is "$(out)" "again" "--reconnect"
t_grep err 'Exiting ssh session for the instance `vm`' "--reconnect message"
ssh -o ControlPath="$LIMA_HOME/vm/ssh.sock" -O exit lima >/dev/null 2>&1 ||
    true
# The master may still be removing its socket: replace it with a plain
# file (a redirection onto a live socket would fail).
rm -f "$LIMA_HOME/vm/ssh.sock"
: >"$LIMA_HOME/vm/ssh.sock"
lc shell --reconnect vm echo stale
t_is "$(out)" "stale" "--reconnect with a stale ssh.sock"
test ! -f "$LIMA_HOME/vm/ssh.sock"
t_ok $? "stale ssh.sock removed"

# Errors.
lc shell
t_rc 1 "no arguments"
t_grep err "requires instance name as first argument" "no arguments message"
lc shell nosuch
t_rc 1 "unknown instance"
t_grep err 'instance `nosuch` does not exist, run `limactl create nosuch` to create a new instance' \
    "unknown instance message"
lc shell off true
t_rc 1 "stopped instance"
t_grep err 'instance `off` is stopped, run `limactl start off` to start the instance' \
    "stopped instance message"
lc shell vm start
t_grep err 'Perhaps you meant `limactl start`?' "lima start hint"

# --- copy -------------------------------------------------------------------
printf 'hello\n' >"$T_TMP/f1"
mkdir -p "$T_TMP/dir/deep"
printf 'a\n' >"$T_TMP/dir/a.txt"
printf 'b\n' >"$T_TMP/dir/deep/b.txt"
chmod -R a+rX "$T_TMP/dir" "$T_TMP/f1"

for b in scp rsync; do
	lc copy --backend $b "$T_TMP/f1" "vm:$ghome/$b-f1"
	t_rc 0 "$b: host to guest"
	cmp -s "$T_TMP/f1" "$ghome/$b-f1"
	t_ok $? "$b: file arrived"
	t_is "$(stat -c %U "$ghome/$b-f1" 2>/dev/null)" "$guser" \
	    "$b: written by the guest user"
	lc cp --backend $b "vm:$ghome/$b-f1" "$T_TMP/back/$b-back"
	t_rc 0 "$b: guest to host"
	cmp -s "$T_TMP/f1" "$T_TMP/back/$b-back"
	t_ok $? "$b: file came back"
	lc cp -r --backend $b "$T_TMP/dir" "vm:$ghome/$b-dir"
	t_rc 0 "$b: -r host to guest"
	cmp -s "$T_TMP/dir/deep/b.txt" "$ghome/$b-dir/deep/b.txt"
	t_ok $? "$b: -r copies the directory as the target"
	lc cp -r --backend $b "vm:$ghome/$b-dir" "$T_TMP/back/$b-dir"
	t_rc 0 "$b: -r guest to host"
	cmp -s "$T_TMP/dir/a.txt" "$T_TMP/back/$b-dir/a.txt"
	t_ok $? "$b: -r directory came back"
	lc cp --backend $b "vm:$ghome/nonexistent" "$T_TMP/back/x"
	if [ $b = scp ]; then
		t_rc 1 "scp: its exit code is ours"
	else
		t_rc 23 "rsync: its exit code is ours"
	fi
done

lc --debug cp "$T_TMP/f1" "vm:$ghome/auto-f1"
t_rc 0 "auto backend"
t_grep err "executing rsync" "auto picks rsync when both sides have it"
t_grep err "-e /usr/bin/ssh -F /dev/null -o " "rsync -e carries Lima's options"
t_grep err " -p $port -- " "rsync -e ends with the port"
lc --debug cp "vm:$ghome/auto-f1" "vm:$ghome/auto-f2"
t_rc 0 "guest to guest"
t_grep err "executing scp" "guest to guest uses scp"
t_grep err " -v -3 -- scp://$guser@127.0.0.1:$port/$ghome/auto-f1 " \
    "scp URL form"
cmp -s "$T_TMP/f1" "$ghome/auto-f2"
t_ok $? "guest to guest copy arrived"
lc cp -v --backend scp "$T_TMP/f1" "vm:$ghome/v-f1"
t_grep err "debug1:" "-v makes scp verbose"

lc cp a:b:c "$T_TMP/back/"
t_rc 1 "multiple colons"
t_grep err 'path `a:b:c` contains multiple colons' "multiple colons message"
lc cp "off:/etc/hostname" "$T_TMP/back/"
t_rc 1 "copy from a stopped instance"
t_grep err 'instance `off` is stopped, run `limactl start off` to start the instance' \
    "copy stopped message"
lc cp nosuch:/x "$T_TMP/back/"
t_grep err 'instance `nosuch` does not exist' "copy unknown instance"
lc cp --backend ftp "$T_TMP/f1" "vm:/tmp/x"
t_rc 1 "invalid backend"
t_grep err 'invalid backend `ftp`, must be one of: scp, rsync, auto' \
    "invalid backend message"

t_done
