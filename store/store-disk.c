/* clima: additional disks under $LIMA_HOME/_disks (and legacy _disk). */
/*
 * limactl disk create/list/delete/resize/import/unlock and the lock a
 * starting instance takes: <dir>/in_use_by, a symlink to the instance
 * directory.  Sizes and formats come from `qemu-img info`, or from the
 * qcow2 header and the file size when qemu-img is not installed.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "common/log.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

#define STORE_DISKS_DIR        "_disks"
#define STORE_DISKS_LEGACY_DIR "_disk"
#define STORE_QCOW2_MAGIC      "QFI\xfb"

/* The identifier rule without the instance-name prefix of the message. */
static int
store_disk_validate(const char *name, char **cause)
{
	char *why = NULL, *p;

	if (store_validate_name(name, &why) == 0)
		return 0;
	/* "instance name `x` is not a valid identifier: identifier ..." */
	p = strstr(why, "identifier `");
	if (p == NULL)
		p = strstr(why, "identifier \"");
	*cause = xstrdup(p != NULL ? p : why);
	free(why);
	return -1;
}

char *
store_disk_dir(const char *home, const char *name)
{
	struct stat st;
	char *dir;

	xasprintf(&dir, "%s/" STORE_DISKS_DIR "/%s", home, name);
	if (lstat(dir, &st) == 0)
		return dir;
	free(dir);
	xasprintf(&dir, "%s/" STORE_DISKS_LEGACY_DIR "/%s", home, name);
	if (lstat(dir, &st) == 0)
		return dir;
	free(dir);
	xasprintf(&dir, "%s/" STORE_DISKS_DIR "/%s", home, name);
	return dir;
}

/* Format and virtual size without qemu-img: qcow2 header or file size. */
static int
store_disk_probe_native(
    const char *path, char **format, uint64_t *size, char **cause)
{
	unsigned char hdr[32];
	struct stat st;
	ssize_t n;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		xasprintf(cause, "open %s: %s", path, store_strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	n = pread(fd, hdr, sizeof hdr, 0);
	close(fd);
	if (n == (ssize_t)sizeof hdr &&
	    memcmp(hdr, STORE_QCOW2_MAGIC, 4) == 0) {
		/* The virtual size is a big-endian u64 at offset 24. */
		*size = 0;
		for (i = 24; i < 32; i++)
			*size = (*size << 8) | hdr[i];
		*format = xstrdup("qcow2");
	} else {
		*size = st.st_size;
		*format = xstrdup("raw");
	}
	return 0;
}

/* Format and virtual size of an image file. */
static int
store_disk_probe(const char *path, char **format, uint64_t *size, char **cause)
{
	const char *argv[] = { "qemu-img", "info", "--output=json",
		"--force-share", path, NULL };
	const char *pfmt[] = { "format", NULL };
	const char *psize[] = { "virtual-size", NULL };
	char *out = NULL, err[256];
	yajl_val tree = NULL, f, s;
	int r, ret = -1;

	r = store_run(argv, &out, cause);
	if (r == -2) {
		free(*cause);
		*cause = NULL;
		return store_disk_probe_native(path, format, size, cause);
	}
	if (r != 0)
		return -1;
	tree = yajl_tree_parse(out, err, sizeof err);
	if (tree == NULL) {
		xasprintf(cause, "qemu-img info %s: %s", path, err);
		goto out;
	}
	f = yajl_tree_get(tree, pfmt, yajl_t_string);
	s = yajl_tree_get(tree, psize, yajl_t_number);
	if (f == NULL || s == NULL || !YAJL_IS_INTEGER(s) ||
	    YAJL_GET_INTEGER(s) < 0) {
		xasprintf(cause, "qemu-img info %s: no format or size", path);
		goto out;
	}
	*format = xstrdup(YAJL_GET_STRING(f));
	*size = (uint64_t)YAJL_GET_INTEGER(s);
	ret = 0;
out:
	yajl_tree_free(tree);
	free(out);
	return ret;
}

void
store_disk_free(struct store_disk *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->format);
	free(d->dir);
	free(d->instance);
	free(d->instance_dir);
	free(d);
}

struct store_disk *
store_disk_inspect(const char *home, const char *name, char **cause)
{
	struct store_disk *d, *ret = NULL;
	char *path = NULL, link[4096], *copy;
	struct stat st;
	ssize_t n;

	d = xcalloc(1, sizeof *d);
	d->name = xstrdup(name);
	d->dir = store_disk_dir(home, name);
	if (stat(d->dir, &st) == -1) {
		xasprintf(cause, "disk %s does not exist", store_q(name));
		goto out;
	}
	xasprintf(&path, "%s/datadisk", d->dir);
	if (store_disk_probe(path, &d->format, &d->size, cause) != 0)
		goto out;
	free(path);
	xasprintf(&path, "%s/in_use_by", d->dir);
	n = readlink(path, link, sizeof link - 1);
	if (n > 0) {
		link[n] = '\0';
		d->instance_dir = xstrdup(link);
		copy = xstrdup(link);
		d->instance = xstrdup(basename(copy));
		free(copy);
	}
	ret = d;
	d = NULL;
out:
	free(path);
	store_disk_free(d);
	return ret;
}

static int
store_disk_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the disk directory names under home/sub to *v, without dups. */
static void
store_disk_scan(const char *home, const char *sub, char ***v, size_t *n)
{
	struct dirent *de;
	char *dir;
	size_t i;
	DIR *d;

	xasprintf(&dir, "%s/%s", home, sub);
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < *n; i++) {
			if (strcmp((*v)[i], de->d_name) == 0)
				break;
		}
		if (i < *n)
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
}

struct store_disk **
store_disk_list(const char *home, size_t *n, char **cause)
{
	struct store_disk **list = NULL;
	char **names = NULL;
	size_t count = 0, i, got = 0;

	store_disk_scan(home, STORE_DISKS_DIR, &names, &count);
	store_disk_scan(home, STORE_DISKS_LEGACY_DIR, &names, &count);
	if (count > 1)
		qsort(names, count, sizeof *names, store_disk_name_cmp);
	list = xcalloc(count + 1, sizeof *list);
	for (i = 0; i < count; i++) {
		list[got] = store_disk_inspect(home, names[i], cause);
		if (list[got] == NULL) {
			for (i = 0; i < got; i++)
				store_disk_free(list[i]);
			free(list);
			list = NULL;
			goto out;
		}
		got++;
	}
	*n = got;
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return list;
}

/* The new disk's directory, made 0700; fails if the disk exists. */
static char *
store_disk_make_dir(const char *home, const char *name, char **cause)
{
	char *dir, *parent;
	struct stat st;

	if (store_disk_validate(name, cause) != 0)
		return NULL;
	dir = store_disk_dir(home, name);
	if (lstat(dir, &st) == 0) {
		xasprintf(cause, "disk %s already exists (%s)", store_q(name),
		    store_q(dir));
		free(dir);
		return NULL;
	}
	xasprintf(&parent, "%s/" STORE_DISKS_DIR, home);
	if (store_mkdir_p(parent, 0700, cause) != 0 ||
	    store_mkdir(dir, 0700, cause) != 0) {
		free(parent);
		free(dir);
		return NULL;
	}
	free(parent);
	return dir;
}

/* A sparse raw file of size bytes, for hosts without qemu-img. */
static int
store_disk_sparse_raw(const char *path, uint64_t size, char **cause)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "open %s: %s", path, store_strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1) {
		xasprintf(
		    cause, "truncate %s: %s", path, store_strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
store_disk_create(const char *home, const char *name, uint64_t size,
    const char *format, char **cause)
{
	char *dir = NULL, *tmp = NULL, *path = NULL, num[32], *why = NULL;
	const char *argv[] = { "qemu-img", "create", "-f", format, NULL, num,
		NULL };
	int r, ret = -1;

	if (strcmp(format, "qcow2") != 0 && strcmp(format, "raw") != 0) {
		xasprintf(
		    cause, "disk format %s is not supported", store_q(format));
		return -1;
	}
	if ((dir = store_disk_make_dir(home, name, cause)) == NULL)
		return -1;
	xasprintf(&tmp, "%s/datadisk.tmp", dir);
	xasprintf(&path, "%s/datadisk", dir);
	snprintf(num, sizeof num, "%" PRIu64, size);
	argv[4] = tmp;
	r = store_run(argv, NULL, cause);
	if (r == -2) {
		log_debug(
		    "%s: %s; creating a sparse raw file", __func__, *cause);
		free(*cause);
		*cause = NULL;
		r = store_disk_sparse_raw(tmp, size, cause);
	}
	if (r != 0)
		goto out;
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "rename %s: %s", path, store_strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret != 0 && store_rmtree(dir, &why) != 0) {
		log_debug("%s: %s", __func__, why);
		free(why);
	}
	free(path);
	free(tmp);
	free(dir);
	return ret;
}

int
store_disk_import(
    const char *home, const char *name, const char *file, char **cause)
{
	char *dir = NULL, *path = NULL, *format = NULL, *why = NULL;
	uint64_t size;
	int ret = -1;

	if (store_disk_validate(name, cause) != 0)
		return -1;
	if (store_disk_probe(file, &format, &size, cause) != 0)
		return -1;
	if (strcmp(format, "qcow2") != 0 && strcmp(format, "raw") != 0) {
		xasprintf(cause, "unsupported disk format %s of %s",
		    store_q(format), file);
		goto out;
	}
	if ((dir = store_disk_make_dir(home, name, cause)) == NULL)
		goto out;
	xasprintf(&path, "%s/datadisk", dir);
	if (store_copy_file(file, path, cause) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0 && dir != NULL && store_rmtree(dir, &why) != 0) {
		log_debug("%s: %s", __func__, why);
		free(why);
	}
	free(format);
	free(path);
	free(dir);
	return ret;
}

int
store_disk_delete(const char *home, const char *name, int force, char **cause)
{
	struct store_disk *d = NULL;
	char *dir;
	struct stat st;
	int ret = -1;

	dir = store_disk_dir(home, name);
	if (lstat(dir, &st) == -1 && errno == ENOENT) {
		ret = 1;
		goto out;
	}
	if (!force) {
		if ((d = store_disk_inspect(home, name, cause)) == NULL)
			goto out;
		if (d->instance != NULL) {
			xasprintf(cause,
			    "cannot delete disk %s in use by "
			    "instance %s",
			    store_q(name), store_q(d->instance));
			goto out;
		}
	}
	ret = store_rmtree(dir, cause);
out:
	store_disk_free(d);
	free(dir);
	return ret;
}

int
store_disk_resize(
    const char *home, const char *name, uint64_t size, char **cause)
{
	struct store_disk *d;
	char *path = NULL, num[32], *want = NULL, *have = NULL;
	const char *argv[] = { "qemu-img", "resize", "-f", NULL, NULL, num,
		NULL };
	int r, ret = -1;

	if ((d = store_disk_inspect(home, name, cause)) == NULL)
		return -1;
	if (size == d->size) {
		ret = 1;
		goto out;
	}
	if (size < d->size) {
		want = units_bytes_size(size);
		have = units_bytes_size(d->size);
		xasprintf(cause,
		    "specified size %s is less than the current "
		    "disk size %s. Disk shrinking is currently unavailable",
		    store_q(want), store_q(have));
		goto out;
	}
	xasprintf(&path, "%s/datadisk", d->dir);
	snprintf(num, sizeof num, "%" PRIu64, size);
	argv[3] = d->format;
	argv[4] = path;
	r = store_run(argv, NULL, cause);
	if (r == -2 && strcmp(d->format, "raw") == 0) {
		free(*cause);
		*cause = NULL;
		if (truncate(path, (off_t)size) == -1) {
			xasprintf(cause, "truncate %s: %s", path,
			    store_strerror(errno));
			goto out;
		}
		r = 0;
	}
	if (r != 0)
		goto out;
	ret = 0;
out:
	free(want);
	free(have);
	free(path);
	store_disk_free(d);
	return ret;
}

int
store_disk_lock(
    const char *home, const char *name, const char *instdir, char **cause)
{
	char *dir, *path = NULL, link[4096], *copy = NULL;
	struct stat st;
	ssize_t n;
	int ret = -1;

	dir = store_disk_dir(home, name);
	if (stat(dir, &st) == -1) {
		xasprintf(cause, "disk %s does not exist", store_q(name));
		goto out;
	}
	xasprintf(&path, "%s/in_use_by", dir);
	/* symlink(2) fails if the link exists: taking the lock is atomic. */
	if (symlink(instdir, path) == 0) {
		ret = 0;
		goto out;
	}
	if (errno != EEXIST) {
		xasprintf(cause, "symlink %s: %s", path, store_strerror(errno));
		goto out;
	}
	n = readlink(path, link, sizeof link - 1);
	if (n == -1) {
		xasprintf(
		    cause, "readlink %s: %s", path, store_strerror(errno));
		goto out;
	}
	link[n] = '\0';
	if (strcmp(link, instdir) == 0) {
		ret = 0;
		goto out;
	}
	copy = xstrdup(link);
	xasprintf(cause, "disk %s is in use by instance %s", store_q(name),
	    store_q(basename(copy)));
out:
	free(copy);
	free(path);
	free(dir);
	return ret;
}

int
store_disk_unlock(const char *home, const char *name, char **cause)
{
	char *dir, *path;
	int ret = 0;

	dir = store_disk_dir(home, name);
	xasprintf(&path, "%s/in_use_by", dir);
	if (unlink(path) == -1 && errno != ENOENT) {
		xasprintf(cause, "remove %s: %s", path, store_strerror(errno));
		ret = -1;
	}
	free(path);
	free(dir);
	return ret;
}
