/* clima: instance directories: create, protect, delete, clone, reset. */
/*
 * The file operations behind limactl create, protect, unprotect, delete,
 * clone, rename, factory-reset and stop --force.  Every file is written
 * through a temp file and rename(2); a half-made instance is removed.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

/* Names that clone never copies (besides the temp names). */
static const char *store_clone_skip[] = { "protected", "swtpm", NULL };
/* Names that factory-reset keeps (besides *.yaml and *.yml). */
static const char *store_reset_keep[] = { "lima-version", "protected",
	"vz-identifier", NULL };

static int
store_in_list(const char *name, const char **list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(name, list[i]) == 0)
			return 1;
	}
	return 0;
}

int
store_write_file_atomic(
    const char *path, const void *buf, size_t len, mode_t mode, char **cause)
{
	static unsigned int counter;
	const char *p = buf;
	char *tmp = NULL;
	ssize_t n;
	int fd = -1, ret = -1;

	/* Ends in .tmp so that force-stop and clone treat it as temporary. */
	xasprintf(&tmp, "%s.%ld.%u.tmp", path, (long)getpid(), counter++);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		xasprintf(cause, "open %s: %s", tmp, store_strerror(errno));
		goto out;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(
			    cause, "write %s: %s", tmp, store_strerror(errno));
			goto out;
		}
		p += n;
		len -= n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		xasprintf(cause, "%s: %s", tmp, store_strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		xasprintf(cause, "close %s: %s", tmp, store_strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "rename %s: %s", path, store_strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	ret = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return ret;
}

int
store_instance_create(const char *home, const char *name, const char *yaml,
    size_t len, char **cause)
{
	char *dir = NULL, *path = NULL, *why = NULL;
	int made = 0, ret = -1;

	if (store_validate_name(name, cause) != 0 ||
	    store_check_sock_len(home, name, cause) != 0)
		return -1;
	if (store_mkdir_p(home, 0700, cause) != 0)
		return -1;
	dir = store_instance_dir(home, name);
	if (mkdir(dir, 0700) == -1) {
		if (errno == EEXIST)
			xasprintf(cause, "instance %s already exists (%s)",
			    store_q(name), store_q(dir));
		else
			xasprintf(
			    cause, "mkdir %s: %s", dir, store_strerror(errno));
		goto out;
	}
	made = 1;
	xasprintf(&path, "%s/lima.yaml", dir);
	if (store_write_file_atomic(path, yaml, len, 0644, cause) != 0)
		goto out;
	free(path);
	xasprintf(&path, "%s/lima-version", dir);
	if (store_write_file_atomic(path, PACKAGE_VERSION,
		strlen(PACKAGE_VERSION), 0444, cause) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0 && made && store_rmtree(dir, &why) != 0) {
		log_debug("%s: %s", __func__, why);
		free(why);
	}
	free(path);
	free(dir);
	return ret;
}

/* Go's os.Stat failure text for a missing instance, as Inspect gives it. */
static int
store_inst_exists(const char *home, const char *name, char **dir, char **cause)
{
	struct stat st;

	*dir = store_instance_dir(home, name);
	if (stat(*dir, &st) == -1) {
		xasprintf(cause, "failed to inspect instance %s: stat %s: %s",
		    store_q(name), *dir, store_strerror(errno));
		free(*dir);
		*dir = NULL;
		return -1;
	}
	return 0;
}

int
store_protect(const char *home, const char *name, char **cause)
{
	char *dir = NULL, *path = NULL;
	int fd, ret = -1;

	if (store_inst_exists(home, name, &dir, cause) != 0)
		return -1;
	xasprintf(&path, "%s/protected", dir);
	/* O_EXCL: creating the empty file is already atomic. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
	if (fd == -1) {
		if (errno == EEXIST)
			ret = 1;
		else
			xasprintf(
			    cause, "open %s: %s", path, store_strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0400) == -1) {
		xasprintf(cause, "chmod %s: %s", path, store_strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	ret = 0;
out:
	free(path);
	free(dir);
	return ret;
}

int
store_unprotect(const char *home, const char *name, char **cause)
{
	char *dir = NULL, *path = NULL;
	int ret = -1;

	if (store_inst_exists(home, name, &dir, cause) != 0)
		return -1;
	xasprintf(&path, "%s/protected", dir);
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			ret = 1;
		else
			xasprintf(cause, "remove %s: %s", path,
			    store_strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(path);
	free(dir);
	return ret;
}

int
store_is_protected(const char *dir)
{
	char *path;
	struct stat st;
	int r;

	xasprintf(&path, "%s/protected", dir);
	r = lstat(path, &st) == 0;
	free(path);
	return r;
}

int
store_delete_instance(const char *home, const char *name, char **cause)
{
	char *dir;
	int ret = -1;

	dir = store_instance_dir(home, name);
	if (store_is_protected(dir)) {
		xasprintf(cause,
		    "failed to delete instance %s: instance is protected to "
		    "prohibit accidental removal (Hint: use `limactl "
		    "unprotect`)",
		    store_q(name));
		goto out;
	}
	ret = store_rmtree(dir, cause);
out:
	free(dir);
	return ret;
}

/* Copies the tree src into the new directory dst, skipping temp files. */
static int
store_clone_tree(const char *src, const char *dst, int depth, char **cause)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	char *s = NULL, *t = NULL, link[4096];
	ssize_t n;
	int ret = -1;

	if (depth >= STORE_TREE_MAX_DEPTH) {
		xasprintf(cause, "%s: directory tree too deep", src);
		return -1;
	}
	if ((d = opendir(src)) == NULL) {
		xasprintf(cause, "open %s: %s", src, store_strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    store_in_list(de->d_name, store_clone_skip) ||
		    store_is_temp_name(de->d_name))
			continue;
		free(s);
		free(t);
		xasprintf(&s, "%s/%s", src, de->d_name);
		xasprintf(&t, "%s/%s", dst, de->d_name);
		if (lstat(s, &st) == -1) {
			xasprintf(
			    cause, "stat %s: %s", s, store_strerror(errno));
			goto out;
		}
		if (strcmp(de->d_name, "vz-identifier") == 0) {
			/* A clone must not share the machine identifier. */
			if (store_write_file_atomic(t, "", 0, 0644, cause) != 0)
				goto out;
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(t, st.st_mode & 07777) == -1) {
				xasprintf(cause, "mkdir %s: %s", t,
				    store_strerror(errno));
				goto out;
			}
			if (store_clone_tree(s, t, depth + 1, cause) != 0)
				goto out;
		} else if (S_ISLNK(st.st_mode)) {
			/* disk -> diffdisk (legacy layout) stays a link. */
			n = readlink(s, link, sizeof link - 1);
			if (n == -1) {
				xasprintf(cause, "readlink %s: %s", s,
				    store_strerror(errno));
				goto out;
			}
			link[n] = '\0';
			if (symlink(link, t) == -1) {
				xasprintf(cause, "symlink %s: %s", t,
				    store_strerror(errno));
				goto out;
			}
		} else if (S_ISREG(st.st_mode)) {
			if (store_copy_file(s, t, cause) != 0)
				goto out;
		} else {
			xasprintf(cause, "not a regular file: %s", store_q(s));
			goto out;
		}
	}
	ret = 0;
out:
	free(s);
	free(t);
	closedir(d);
	return ret;
}

int
store_clone(
    const char *home, const char *old, const char *new, int move, char **cause)
{
	char *odir = NULL, *ndir = NULL, *why = NULL;
	struct stat st;
	int made = 0, ret = -1;

	if (strcmp(old, new) == 0) {
		xasprintf(cause,
		    "new instance name %s must be different from %s",
		    store_q(new), store_q(old));
		return -1;
	}
	if (store_validate_name(new, cause) != 0 ||
	    store_check_sock_len(home, new, cause) != 0)
		return -1;
	if (store_inst_exists(home, old, &odir, cause) != 0)
		return -1;
	ndir = store_instance_dir(home, new);
	if (lstat(ndir, &st) == 0 || errno != ENOENT) {
		xasprintf(cause, "instance %s already exists (%s)",
		    store_q(new), store_q(ndir));
		goto out;
	}
	if (move) {
		if (rename(odir, ndir) == -1) {
			xasprintf(cause, "rename %s to %s: %s", odir, ndir,
			    store_strerror(errno));
			goto out;
		}
		ret = store_remove_temp_files(ndir, cause);
		goto out;
	}
	if (mkdir(ndir, 0700) == -1) {
		xasprintf(cause, "mkdir %s: %s", ndir, store_strerror(errno));
		goto out;
	}
	made = 1;
	if (store_clone_tree(odir, ndir, 0, cause) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0 && made && store_rmtree(ndir, &why) != 0) {
		log_debug("%s: %s", __func__, why);
		free(why);
	}
	free(odir);
	free(ndir);
	return ret;
}

/*
 * Removes the entries of dir for which keep() is 0.  Errors do not stop
 * the loop (Lima logs and carries on); the first one is returned.
 */
static int
store_remove_matching(const char *dir, int (*keep)(const char *), char **cause)
{
	DIR *d;
	struct dirent *de;
	char *path, *why = NULL;
	int ret = 0;

	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "open %s: %s", dir, store_strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || keep(de->d_name))
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		log_debug("%s: removing %s", __func__, path);
		if (store_rmtree(path, &why) != 0) {
			if (ret == 0)
				*cause = why;
			else
				free(why);
			why = NULL;
			ret = -1;
		}
		free(path);
	}
	closedir(d);
	return ret;
}

static int
store_reset_keeps(const char *name)
{
	return store_in_list(name, store_reset_keep) ||
	    store_has_suffix(name, ".yaml") || store_has_suffix(name, ".yml");
}

int
store_factory_reset(const char *dir, char **cause)
{
	return store_remove_matching(dir, store_reset_keeps, cause);
}

static int
store_temp_keeps(const char *name)
{
	return !store_is_temp_name(name);
}

int
store_remove_temp_files(const char *dir, char **cause)
{
	return store_remove_matching(dir, store_temp_keeps, cause);
}

/* SIGKILL the process in a pid file, if it is alive. */
static void
store_kill_pidfile(const char *path)
{
	char *why = NULL;
	pid_t pid;

	if (store_read_pid(path, &pid, &why) != 0) {
		log_debug("%s: %s", __func__, why);
		free(why);
		return;
	}
	if (pid == 0)
		return;
	log_debug("%s: SIGKILL %ld (%s)", __func__, (long)pid, path);
	if (kill(pid, SIGKILL) == -1)
		log_debug("%s: kill %ld: %s", __func__, (long)pid,
		    store_strerror(errno));
}

static int
store_is_ext_driver_pid(const char *name)
{
	return strncmp(name, "lima-driver-", 12) == 0 &&
	    (store_has_suffix(name, "-ha.pid") ||
		store_has_suffix(name, "-cli.pid"));
}

int
store_kill_stale(const char *dir, char **cause)
{
	DIR *d;
	struct dirent *de;
	char *path;

	/* The driver first, so the hostagent cannot restart or wait on it. */
	xasprintf(&path, "%s/qemu.pid", dir);
	store_kill_pidfile(path);
	free(path);
	xasprintf(&path, "%s/ha.pid", dir);
	store_kill_pidfile(path);
	free(path);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!store_is_ext_driver_pid(de->d_name))
				continue;
			xasprintf(&path, "%s/%s", dir, de->d_name);
			store_kill_pidfile(path);
			free(path);
		}
		closedir(d);
	}
	return store_remove_temp_files(dir, cause);
}
