/* clima: unit tests for store/: additional disks and the download cache. */
/*
 * Disks are made with the real qemu-img (and once with PATH emptied, to
 * check the sparse raw fallback).  Cache keys are compared with
 * `printf %s URL | sha256sum`.  Everything lives in mkdtemp directories.
 */
#include "config.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"
#include "tests/tap.h"

static char *top;
static char *home;

static void
setup(void)
{
	char tmpl[] = "/tmp/clima-disk.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	top = xstrdup(tmpl);
	xasprintf(&home, "%s/lima", top);
	mkdir(home, 0700);
	setenv("LIMA_HOME", home, 1);
	setenv("HOME", top, 1);
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
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
test_disks(void)
{
	struct store_disk *d, **list;
	char *cause = NULL, *path, *inst_a, *inst_b, *saved_path;
	size_t n = 0, i;

	setup();
	ok(store_disk_create(home, "data", 10 << 20, "qcow2", &cause) == 0,
	    "create qcow2");
	ok(store_disk_create(home, "raw1", 4 << 20, "raw", &cause) == 0,
	    "create raw");
	xasprintf(&path, "%s/_disks/data/datadisk", home);
	ok(exists(path), "_disks/data/datadisk");
	free(path);
	cause = NULL;
	ok(store_disk_create(home, "data", 1 << 20, "qcow2", &cause) == -1,
	    "existing disk refused");
	ok(cause != NULL &&
		strncmp(cause, "disk `data` already exists (`", 29) == 0,
	    "already exists message");
	free(cause);
	cause = NULL;
	ok(store_disk_create(home, "a b", 1 << 20, "qcow2", &cause) == -1,
	    "invalid disk name refused");
	is_str(cause,
	    "identifier `a b` must match "
	    "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$",
	    "identifier message");
	free(cause);
	cause = NULL;
	xasprintf(&path, "%s/_disks/v", home);
	ok(store_disk_create(home, "v", 1 << 20, "vmdk", &cause) == -1 &&
		!exists(path),
	    "unknown format refused");
	free(path);
	free(cause);

	/* A legacy _disk directory is read too. */
	xasprintf(&path, "%s/_disk/old", home);
	store_mkdir_p(path, 0700, &cause);
	free(path);
	xasprintf(&path, "%s/_disk/old/datadisk", home);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	truncate(path, 2 << 20);
	free(path);

	list = store_disk_list(home, &n, &cause);
	ok(list != NULL && n == 3, "three disks");
	if (list != NULL && n == 3) {
		is_str(list[0]->name, "data", "sorted: data");
		is_str(list[0]->format, "qcow2", "data is qcow2");
		is_int(list[0]->size, 10 << 20, "data is 10 MiB");
		ok(list[0]->instance == NULL, "data not in use");
		is_str(list[1]->name, "old", "legacy disk listed");
		xasprintf(&path, "%s/_disk/old", home);
		is_str(list[1]->dir, path, "legacy dir");
		free(path);
		is_str(list[2]->format, "raw", "raw1 is raw");
		is_int(list[2]->size, 4 << 20, "raw1 is 4 MiB");
	}
	for (i = 0; list != NULL && i < n; i++)
		store_disk_free(list[i]);
	free(list);

	xasprintf(&inst_a, "%s/a", home);
	xasprintf(&inst_b, "%s/b", home);
	ok(store_disk_lock(home, "data", inst_a, &cause) == 0, "lock for a");
	ok(store_disk_lock(home, "data", inst_a, &cause) == 0, "relock by a");
	cause = NULL;
	ok(store_disk_lock(home, "data", inst_b, &cause) == -1, "b refused");
	is_str(cause, "disk `data` is in use by instance `a`", "lock message");
	free(cause);
	d = store_disk_inspect(home, "data", &cause);
	ok(d != NULL && d->instance != NULL && strcmp(d->instance, "a") == 0 &&
		strcmp(d->instance_dir, inst_a) == 0,
	    "in use by a");
	store_disk_free(d);
	cause = NULL;
	ok(store_disk_delete(home, "data", 0, &cause) == -1, "delete refused");
	is_str(cause, "cannot delete disk `data` in use by instance `a`",
	    "delete refusal message");
	free(cause);
	ok(store_disk_unlock(home, "data", &cause) == 0, "unlock");
	ok(store_disk_unlock(home, "data", &cause) == 0, "unlock again");
	ok(store_disk_lock(home, "data", inst_b, &cause) == 0, "lock for b");
	store_disk_unlock(home, "data", &cause);

	ok(store_disk_resize(home, "data", 20 << 20, &cause) == 0, "grow");
	d = store_disk_inspect(home, "data", &cause);
	ok(d != NULL && d->size == 20 << 20, "now 20 MiB");
	store_disk_free(d);
	is_int(
	    store_disk_resize(home, "data", 20 << 20, &cause), 1, "same size");
	cause = NULL;
	ok(store_disk_resize(home, "data", 1 << 20, &cause) == -1, "shrink");
	is_str(cause,
	    "specified size `1MiB` is less than the current disk "
	    "size `20MiB`. Disk shrinking is currently unavailable",
	    "shrink message");
	free(cause);
	ok(store_disk_resize(home, "raw1", 8 << 20, &cause) == 0, "grow raw");

	xasprintf(&path, "%s/_disks/raw1/datadisk", home);
	ok(store_disk_import(home, "imp", path, &cause) == 0, "import");
	free(path);
	d = store_disk_inspect(home, "imp", &cause);
	ok(d != NULL && strcmp(d->format, "raw") == 0 && d->size == 8 << 20,
	    "imported raw 8 MiB");
	store_disk_free(d);
	cause = NULL;
	ok(store_disk_import(home, "imp", "/dev/null", &cause) == -1,
	    "import over an existing disk refused");
	free(cause);

	ok(store_disk_delete(home, "data", 0, &cause) == 0, "delete");
	xasprintf(&path, "%s/_disks/data", home);
	ok(!exists(path), "gone");
	free(path);
	is_int(store_disk_delete(home, "data", 0, &cause), 1, "missing: 1");
	xasprintf(&path, "%s/_disks/imp", home);
	store_disk_lock(home, "imp", inst_a, &cause);
	ok(store_disk_delete(home, "imp", 1, &cause) == 0 && !exists(path),
	    "force deletes a locked disk");
	free(path);

	/* Without qemu-img: a sparse raw file, inspected natively. */
	saved_path = xstrdup(getenv("PATH") != NULL ? getenv("PATH") : "");
	setenv("PATH", "/nonexistent", 1);
	ok(store_disk_create(home, "noqemu", 3 << 20, "qcow2", &cause) == 0,
	    "create without qemu-img");
	d = store_disk_inspect(home, "noqemu", &cause);
	ok(d != NULL && strcmp(d->format, "raw") == 0 && d->size == 3 << 20,
	    "fallback is a raw sparse file");
	store_disk_free(d);
	setenv("PATH", saved_path, 1);
	free(saved_path);
	free(inst_a);
	free(inst_b);
	teardown();
}

/* sha256sum of url through the shell tools. */
static char *
shell_sha256(const char *url)
{
	char cmd[512], out[128];
	FILE *f;

	snprintf(cmd, sizeof cmd, "printf %%s '%s' | sha256sum", url);
	f = popen(cmd, "r");
	if (f == NULL || fgets(out, sizeof out, f) == NULL) {
		if (f != NULL)
			pclose(f);
		return xstrdup("");
	}
	pclose(f);
	out[64] = '\0';
	return xstrdup(out);
}

static void
test_cache(void)
{
	const char *url = "https://example.com/images/debian-12.qcow2";
	const char *other = "https://example.com/other.img";
	const char *keep[] = { url };
	char *cause = NULL, *dir, *want, *hex, *s, *path, *odir;

	setup();
	xasprintf(&s, "%s/cache", top);
	setenv("XDG_CACHE_HOME", s, 1);
	free(s);
	hex = shell_sha256(url);
	dir = store_cache_entry_dir(url);
	xasprintf(&want, "%s/cache/lima/download/by-url-sha256/%s", top, hex);
	is_str(dir, want, "entry dir is the sha256 of the URL");
	free(want);

	store_mkdir_p(dir, 0700, &cause);
	xasprintf(&path, "%s/url", dir);
	store_write_file_atomic(path, url, strlen(url), 0644, &cause);
	free(path);
	xasprintf(&path, "%s/sha256.digest", dir);
	store_write_file_atomic(path, "sha256:abc\n", 11, 0644, &cause);
	free(path);
	s = store_cache_url(dir);
	is_str(s, url, "url file");
	free(s);
	s = store_cache_digest(dir, "sha256");
	is_str(s, "sha256:abc", "digest file");
	free(s);
	ok(store_cache_digest(dir, "sha512") == NULL, "missing digest: NULL");
	xasprintf(&path, "%s/data.part", dir);
	store_write_file_atomic(path, "x", 1, 0644, &cause);
	free(path);
	xasprintf(&path, "%s/data.tmp.12.0", dir);
	store_write_file_atomic(path, "x", 1, 0644, &cause);
	free(path);
	xasprintf(&path, "%s/data", dir);
	store_write_file_atomic(path, "x", 1, 0644, &cause);
	free(path);
	odir = store_cache_entry_dir(other);
	store_mkdir_p(odir, 0700, &cause);

	ok(store_prune(1, keep, 1, &cause) == 0, "prune --keep-referred");
	xasprintf(&path, "%s/data", dir);
	ok(exists(path), "referenced entry kept");
	free(path);
	xasprintf(&path, "%s/data.part", dir);
	ok(!exists(path), "data.part dropped");
	free(path);
	xasprintf(&path, "%s/data.tmp.12.0", dir);
	ok(!exists(path), "data.tmp.* dropped");
	free(path);
	ok(!exists(odir), "unreferenced entry removed");

	ok(store_prune(0, NULL, 0, &cause) == 0, "prune");
	xasprintf(&path, "%s/cache/lima", top);
	ok(!exists(path), "cache root removed");
	ok(store_prune(0, NULL, 0, &cause) == 0, "prune of nothing");
	ok(store_prune(1, NULL, 0, &cause) == 0, "keep-referred of nothing");
	free(path);
	free(odir);
	free(dir);
	free(hex);
	unsetenv("XDG_CACHE_HOME");
	teardown();
}

int
main(void)
{
	if (access("/usr/bin/qemu-img", X_OK) != 0 &&
	    access("/usr/local/bin/qemu-img", X_OK) != 0)
		skip_all("qemu-img is not installed");
	test_disks();
	test_cache();
	return done_testing();
}
