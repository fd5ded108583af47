/* clima: unit tests for store/: home, names, keys and instance files. */
/*
 * Each test runs in a private LIMA_HOME (and HOME) made by mkdtemp and
 * removed afterwards.  Covers name rules, socket length, LIMA_HOME and
 * cache resolution, one user key under two racing processes, instance
 * create/protect/delete, pid files, clone/rename, factory-reset and
 * force-stop cleanup.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"
#include "tests/tap.h"

static char *top; /* mkdtemp directory holding home/ and lima/ */
static char *home;

static void
setup(void)
{
	char tmpl[] = "/tmp/clima-store.XXXXXX", *h;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	top = xstrdup(tmpl);
	xasprintf(&h, "%s/home", top);
	mkdir(h, 0700);
	setenv("HOME", h, 1);
	free(h);
	xasprintf(&home, "%s/lima", top);
	mkdir(home, 0700);
	setenv("LIMA_HOME", home, 1);
}

static void
teardown(void)
{
	char *cause = NULL;

	if (store_rmtree(top, &cause) != 0) {
		printf("# cleanup: %s\n", cause);
		free(cause);
	}
	free(top);
	free(home);
	top = home = NULL;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char *path, *cause = NULL;

	xasprintf(&path, "%s/%s", dir, name);
	if (store_write_file_atomic(path, text, strlen(text), 0644, &cause) !=
	    0) {
		printf("# put: %s\n", cause);
		free(cause);
	}
	free(path);
}

static int
exists(const char *dir, const char *name)
{
	char *path;
	struct stat st;
	int r;

	xasprintf(&path, "%s/%s", dir, name);
	r = lstat(path, &st) == 0;
	free(path);
	return r;
}

static char *
slurp(const char *dir, const char *name)
{
	char *path, *buf = NULL, *cause = NULL;

	xasprintf(&path, "%s/%s", dir, name);
	if (store_read_file(path, 1 << 20, &buf, NULL, &cause) == -1)
		free(cause);
	free(path);
	return buf;
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char *path;
	struct stat st;

	xasprintf(&path, "%s/%s", dir, name);
	if (lstat(path, &st) == -1)
		st.st_mode = 0;
	free(path);
	return st.st_mode & 07777;
}

/* Number of directory entries whose name contains s. */
static int
count_matching(const char *dir, const char *s)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, s) != NULL)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_names(void)
{
	static const char *good[] = { "default", "a", "A1", "ubuntu-24.04",
		"a_b.c-d", "docker", "x.yaml1", NULL };
	static const char *bad[] = { "", "-a", "a-", "a..b", "a.-b", "a b",
		"a/b", ".a", "_a", "foo.yaml", "foo.YML", "Foo.Yaml",
		"caf\xc3\xa9", NULL };
	char *cause = NULL, long76[78], long77[79];
	size_t i;

	for (i = 0; good[i] != NULL; i++) {
		ok(store_validate_name(good[i], &cause) == 0, "valid: %s",
		    good[i]);
	}
	for (i = 0; bad[i] != NULL; i++) {
		cause = NULL;
		ok(store_validate_name(bad[i], &cause) == -1 && cause != NULL,
		    "invalid: \"%s\"", bad[i]);
		free(cause);
	}
	memset(long76, 'a', 76);
	long76[76] = '\0';
	memset(long77, 'a', 77);
	long77[77] = '\0';
	ok(store_validate_name(long76, &cause) == 0, "76 characters ok");
	cause = NULL;
	ok(store_validate_name(long77, &cause) == -1, "77 characters refused");
	free(cause);

	cause = NULL;
	store_validate_name("a b", &cause);
	is_str(cause,
	    "instance name `a b` is not a valid identifier: identifier `a b` "
	    "must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$",
	    "identifier message");
	free(cause);
	cause = NULL;
	store_validate_name("foo.yaml", &cause);
	is_str(cause,
	    "instance name `foo.yaml` must not end with .yml or .yaml suffix",
	    "yaml suffix message");
	free(cause);
	cause = NULL;
	store_validate_name("a`b", &cause);
	ok(cause != NULL && strncmp(cause, "instance name \"a`b\"", 19) == 0,
	    "back-quote in a name is double-quoted");
	free(cause);
}

static void
test_sock_len(void)
{
	const char *h = "/tmp/h";
	char name[128], *cause = NULL, *want;
	size_t fixed = strlen("/tmp/h/") + strlen("/ssh.sock.1234567890123456");

	/* A name making the path exactly 107 bytes fits. */
	memset(name, 'n', sizeof name);
	name[107 - fixed] = '\0';
	ok(store_check_sock_len(h, name, &cause) == 0, "107 bytes fit");
	name[107 - fixed] = 'n';
	name[108 - fixed] = '\0';
	ok(store_check_sock_len(h, name, &cause) == -1, "108 bytes refused");
	xasprintf(&want,
	    "instance name `%s` too long: socket path "
	    "`/tmp/h/%s/ssh.sock.1234567890123456` would be 108 bytes, the "
	    "limit is 107 (hint: use a shorter name or a shorter LIMA_HOME)",
	    name, name);
	is_str(cause, want, "too long message");
	free(want);
	free(cause);
}

static void
test_lima_home(void)
{
	char *real, *link, *got, *cause = NULL, *h;
	struct stat st;

	setup();
	xasprintf(&real, "%s/real", top);
	xasprintf(&link, "%s/link", top);
	mkdir(real, 0700);
	symlink(real, link);
	setenv("LIMA_HOME", link, 1);
	got = store_lima_home(&cause);
	is_str(got, real, "LIMA_HOME symlink resolved");
	free(got);
	free(link);

	xasprintf(&link, "%s/new/deeper", top);
	setenv("LIMA_HOME", link, 1);
	got = store_lima_home(&cause);
	is_str(got, link, "missing LIMA_HOME created");
	ok(stat(link, &st) == 0 && (st.st_mode & 0777) == 0700, "created 0700");
	free(got);
	free(link);

	unsetenv("LIMA_HOME");
	xasprintf(&h, "%s/home/.lima", top);
	got = store_lima_home(&cause);
	is_str(got, h, "default ~/.lima");
	free(got);
	free(h);
	free(real);

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	got = store_cache_dir();
	is_str(got, "/x/cache/lima", "XDG_CACHE_HOME/lima");
	free(got);
	setenv("XDG_CACHE_HOME", "relative", 1);
	got = store_cache_dir();
	xasprintf(&h, "%s/home/.cache/lima", top);
	is_str(got, h, "relative XDG_CACHE_HOME ignored");
	free(got);
	unsetenv("XDG_CACHE_HOME");
	got = store_cache_dir();
	is_str(got, h, "~/.cache/lima");
	free(got);
	free(h);
	teardown();
}

static void
test_user_key(void)
{
	char *cfg, *a, *b, *cause = NULL, **keys;
	int gate[2], st, i, n_ok = 0;
	pid_t kids[2];
	size_t n = 0;
	char c;

	setup();
	if (pipe(gate) == -1)
		exit(1);
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(gate[1]);
			/* Both wait for the gate so that they really race. */
			if (read(gate[0], &c, 1) != 0)
				_exit(3);
			_exit(store_ensure_user_key(home, &cause) == 0 ? 0 : 2);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < 2; i++) {
		if (waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			n_ok++;
	}
	is_int(n_ok, 2, "two racing callers succeed");
	xasprintf(&cfg, "%s/_config", home);
	ok(exists(cfg, "user") && exists(cfg, "user.pub"), "user key made");
	is_int(count_matching(cfg, "user"), 2, "one key, no leftovers");
	is_int(mode_of(home, "_config"), 0700, "_config is 0700");
	a = slurp(cfg, "user.pub");
	ok(store_ensure_user_key(home, &cause) == 0, "third call is a no-op");
	b = slurp(cfg, "user.pub");
	ok(a != NULL && b != NULL && strcmp(a, b) == 0, "key unchanged");
	ok(a != NULL && strncmp(a, "ssh-ed25519 ", 12) == 0 &&
		strstr(a, " lima") != NULL,
	    "ed25519 key with comment lima");

	/* ~/.ssh keys come after user.pub, sorted; junk is skipped. */
	free(cfg);
	xasprintf(&cfg, "%s/home/.ssh", top);
	mkdir(cfg, 0700);
	put(cfg, "b.pub", "ssh-rsa BBBB b@host\n");
	put(cfg, "a.pub", "  ssh-ed25519 AAAA a@host\n");
	put(cfg, "junk.pub", "not a key\n");
	put(cfg, "id_x", "private\n");
	keys = store_ssh_pubkeys(home, 1, &n, &cause);
	is_int(n, 3, "three keys");
	if (keys != NULL && n == 3) {
		store_trim(a);
		is_str(keys[0], a, "user.pub first");
		is_str(keys[1], "ssh-ed25519 AAAA a@host", "a.pub trimmed");
		is_str(keys[2], "ssh-rsa BBBB b@host", "b.pub");
	}
	store_strv_free(keys);
	keys = store_ssh_pubkeys(home, 0, &n, &cause);
	is_int(n, 1, "only user.pub without loadDotSSHPubKeys");
	store_strv_free(keys);
	free(a);
	free(b);
	free(cfg);
	teardown();
}

static void
test_create(void)
{
	char *cause = NULL, *dir, *s, **names, *want;
	size_t n = 0;

	setup();
	ok(store_instance_create(home, "foo", "cpus: 2\n", 8, &cause) == 0,
	    "create foo");
	dir = store_instance_dir(home, "foo");
	s = slurp(dir, "lima.yaml");
	is_str(s, "cpus: 2\n", "lima.yaml written");
	free(s);
	s = slurp(dir, "lima-version");
	is_str(s, PACKAGE_VERSION, "lima-version without newline");
	free(s);
	is_int(mode_of(home, "foo"), 0700, "dir 0700");
	is_int(mode_of(dir, "lima.yaml"), 0644, "lima.yaml 0644");
	is_int(mode_of(dir, "lima-version"), 0444, "lima-version 0444");
	is_int(count_matching(dir, ".tmp"), 0, "no temp files left");

	cause = NULL;
	ok(store_instance_create(home, "foo", "", 0, &cause) == -1,
	    "existing refused");
	xasprintf(&want, "instance `foo` already exists (`%s`)", dir);
	is_str(cause, want, "already exists message");
	free(want);
	free(cause);
	s = slurp(dir, "lima.yaml");
	is_str(s, "cpus: 2\n", "existing instance untouched");
	free(s);
	cause = NULL;
	ok(store_instance_create(home, "bad name", "", 0, &cause) == -1 &&
		!exists(home, "bad name"),
	    "invalid name refused");
	free(cause);

	ok(store_instance_create(home, "bar", "x", 1, &cause) == 0, "bar");
	put(home, "zzz", "a file, not an instance");
	xasprintf(&s, "%s/.hidden", home);
	mkdir(s, 0700);
	free(s);
	xasprintf(&s, "%s/_disks", home);
	mkdir(s, 0700);
	free(s);
	names = store_instance_names(home, &n);
	ok(n == 2 && strcmp(names[0], "bar") == 0 &&
		strcmp(names[1], "foo") == 0 && names[2] == NULL,
	    "instance names sorted, no files, dot or underscore dirs");
	store_strv_free(names);

	/* Atomic write: exact mode whatever the umask, replaces the file. */
	umask(0077);
	put(dir, "x", "one");
	put(dir, "x", "two");
	s = slurp(dir, "x");
	is_str(s, "two", "atomic overwrite");
	free(s);
	is_int(mode_of(dir, "x"), 0644, "mode exact under umask 077");
	umask(0022);
	free(dir);
	teardown();
}

static void
test_protect(void)
{
	char *cause = NULL, *dir, *want;

	setup();
	store_instance_create(home, "p", "", 0, &cause);
	dir = store_instance_dir(home, "p");
	ok(!store_is_protected(dir), "not protected");
	is_int(store_protect(home, "p", &cause), 0, "protect");
	is_int(mode_of(dir, "protected"), 0400, "protected is 0400");
	is_int(store_protect(home, "p", &cause), 1, "already protected");
	ok(store_is_protected(dir), "is protected");
	cause = NULL;
	ok(store_delete_instance(home, "p", &cause) == -1 && exists(home, "p"),
	    "delete refuses a protected instance");
	is_str(cause,
	    "failed to delete instance `p`: instance is protected to prohibit "
	    "accidental removal (Hint: use `limactl unprotect`)",
	    "protected delete message");
	free(cause);
	is_int(store_unprotect(home, "p", &cause), 0, "unprotect");
	is_int(store_unprotect(home, "p", &cause), 1, "not protected");
	cause = NULL;
	ok(store_protect(home, "nope", &cause) == -1, "missing instance");
	xasprintf(&want,
	    "failed to inspect instance `nope`: stat %s/nope: "
	    "no such file or directory",
	    home);
	is_str(cause, want, "missing instance message");
	free(want);
	free(cause);
	ok(store_delete_instance(home, "p", &cause) == 0 && !exists(home, "p"),
	    "delete");
	free(dir);
	teardown();
}

static pid_t
sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void
test_pid_files(void)
{
	char *cause = NULL, *path, buf[32];
	pid_t pid, got;
	int st;

	setup();
	xasprintf(&path, "%s/ha.pid", home);
	ok(store_read_pid(path, &got, &cause) == 0 && got == 0, "missing: 0");

	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	snprintf(buf, sizeof buf, "%ld\n", (long)pid);
	put(home, "ha.pid", buf);
	ok(store_read_pid(path, &got, &cause) == 0 && got == 0, "dead: 0");
	ok(!exists(home, "ha.pid"), "stale pid file removed");

	pid = sleeper();
	snprintf(buf, sizeof buf, "%ld\n", (long)pid);
	put(home, "ha.pid", buf);
	ok(store_read_pid(path, &got, &cause) == 0 && got == pid, "alive");
	ok(exists(home, "ha.pid"), "live pid file kept");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	put(home, "ha.pid", "1\n");
	ok(store_read_pid(path, &got, &cause) == 0 && got == 1,
	    "EPERM (init) counts as alive");
	put(home, "ha.pid", "abc");
	cause = NULL;
	ok(store_read_pid(path, &got, &cause) == -1 && cause != NULL,
	    "garbage is an error");
	free(cause);
	put(home, "ha.pid", "0");
	cause = NULL;
	ok(store_read_pid(path, &got, &cause) == -1, "pid 0 is an error");
	free(cause);
	free(path);
	teardown();
}

static void
test_clone(void)
{
	char *cause = NULL, *src, *dst, *path, *s, *moved, buf[4];
	struct stat st;
	int fd;

	setup();
	store_instance_create(home, "a", "cpus: 1\n", 8, &cause);
	src = store_instance_dir(home, "a");
	put(src, "ha.pid", "1");
	put(src, "ssh.sock", "");
	put(src, "x.tmp", "");
	put(src, "vz-identifier", "secret");
	put(src, "cidata.iso", "iso");
	xasprintf(&path, "%s/swtpm", src);
	mkdir(path, 0700);
	put(path, "state", "tpm");
	free(path);
	xasprintf(&path, "%s/sock", src);
	mkdir(path, 0755);
	put(path, "docker.txt", "d");
	free(path);
	xasprintf(&path, "%s/diffdisk", src);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	/* 64 MiB sparse disk with a little data in the middle. */
	ftruncate(fd, 64 << 20);
	pwrite(fd, "data", 4, 32 << 20);
	close(fd);
	free(path);
	xasprintf(&path, "%s/disk", src);
	symlink("diffdisk", path);
	free(path);
	store_protect(home, "a", &cause);

	ok(store_clone(home, "a", "b", 0, &cause) == 0, "clone a b");
	dst = store_instance_dir(home, "b");
	s = slurp(dst, "lima.yaml");
	is_str(s, "cpus: 1\n", "lima.yaml copied");
	free(s);
	ok(exists(dst, "lima-version") && exists(dst, "cidata.iso"),
	    "files copied");
	ok(!exists(dst, "ha.pid") && !exists(dst, "ssh.sock") &&
		!exists(dst, "x.tmp"),
	    "temp files skipped");
	ok(!exists(dst, "protected") && !exists(dst, "swtpm"),
	    "protected and swtpm/ skipped");
	ok(exists(dst, "sock/docker.txt"), "subdirectory copied");
	s = slurp(dst, "vz-identifier");
	is_str(s, "", "vz-identifier emptied");
	free(s);
	xasprintf(&path, "%s/diffdisk", dst);
	ok(stat(path, &st) == 0 && st.st_size == 64 << 20 &&
		st.st_blocks * 512 < (8 << 20),
	    "disk copied sparse");
	free(path);
	xasprintf(&path, "%s/disk", dst);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	memset(buf, 0, sizeof buf);
	ok(fd != -1 && pread(fd, buf, 4, 32 << 20) == 4 &&
		memcmp(buf, "data", 4) == 0,
	    "disk data copied (read through the symlink)");
	if (fd != -1)
		close(fd);
	free(path);
	xasprintf(&path, "%s/disk", dst);
	ok(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "symlink kept");
	free(path);

	cause = NULL;
	ok(store_clone(home, "a", "a", 0, &cause) == -1, "same name refused");
	free(cause);
	cause = NULL;
	ok(store_clone(home, "a", "b", 0, &cause) == -1 && cause != NULL &&
		strncmp(cause, "instance `b` already exists", 27) == 0,
	    "existing target refused");
	free(cause);
	cause = NULL;
	ok(store_clone(home, "zz", "c", 0, &cause) == -1 && !exists(home, "c"),
	    "missing source refused");
	free(cause);

	put(dst, "qemu.pid", "1");
	ok(store_clone(home, "b", "c", 1, &cause) == 0, "rename b c");
	moved = store_instance_dir(home, "c");
	ok(!exists(home, "b") && exists(moved, "lima.yaml") &&
		exists(moved, "sock/docker.txt"),
	    "renamed");
	ok(!exists(moved, "qemu.pid"), "rename drops temp files");
	free(moved);
	free(src);
	free(dst);
	teardown();
}

static void
test_factory_reset(void)
{
	char *cause = NULL, *dir, *path;
	static const char *keep[] = { "lima.yaml", "lima-version", "protected",
		"vz-identifier", "cloud-config.yaml", "x.yml", NULL };
	static const char *drop[] = { "disk", "cidata.iso", "ha.stdout.log",
		"ssh.config", "sock", NULL };
	int i, all = 1;

	setup();
	store_instance_create(home, "r", "", 0, &cause);
	dir = store_instance_dir(home, "r");
	for (i = 0; keep[i] != NULL; i++)
		put(dir, keep[i], "k");
	for (i = 0; drop[i] != NULL; i++) {
		if (strcmp(drop[i], "sock") == 0) {
			xasprintf(&path, "%s/sock", dir);
			mkdir(path, 0700);
			put(path, "inner", "x");
			free(path);
		} else
			put(dir, drop[i], "d");
	}
	ok(store_factory_reset(dir, &cause) == 0, "factory reset");
	for (i = 0; keep[i] != NULL; i++)
		all &= exists(dir, keep[i]);
	ok(all, "keep-list kept");
	all = 1;
	for (i = 0; drop[i] != NULL; i++)
		all &= !exists(dir, drop[i]);
	ok(all, "everything else removed");
	free(dir);
	teardown();
}

static void
test_kill_stale(void)
{
	char *cause = NULL, *dir, buf[32];
	pid_t qemu, ha, ext;
	int st, killed = 0;

	setup();
	store_instance_create(home, "k", "", 0, &cause);
	dir = store_instance_dir(home, "k");
	qemu = sleeper();
	ha = sleeper();
	ext = sleeper();
	snprintf(buf, sizeof buf, "%ld\n", (long)qemu);
	put(dir, "qemu.pid", buf);
	snprintf(buf, sizeof buf, "%ld\n", (long)ha);
	put(dir, "ha.pid", buf);
	snprintf(buf, sizeof buf, "%ld\n", (long)ext);
	put(dir, "lima-driver-krunkit-cli.pid", buf);
	put(dir, "ha.sock", "");
	put(dir, "a.tmp", "");
	put(dir, "serial.log", "keep");
	ok(store_kill_stale(dir, &cause) == 0, "kill stale");
	if (waitpid(qemu, &st, 0) == qemu && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL)
		killed++;
	if (waitpid(ha, &st, 0) == ha && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL)
		killed++;
	if (waitpid(ext, &st, 0) == ext && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL)
		killed++;
	is_int(killed, 3, "driver, hostagent and external driver killed");
	ok(!exists(dir, "qemu.pid") && !exists(dir, "ha.pid") &&
		!exists(dir, "ha.sock") && !exists(dir, "a.tmp") &&
		!exists(dir, "lima-driver-krunkit-cli.pid"),
	    "temp files removed");
	ok(exists(dir, "serial.log") && exists(dir, "lima.yaml"),
	    "other files kept");
	free(dir);
	teardown();
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_names();
	test_sock_len();
	test_lima_home();
	test_user_key();
	test_create();
	test_protect();
	test_pid_files();
	test_clone();
	test_factory_reset();
	test_kill_stale();
	return done_testing();
}
