/* clima: file and process helpers for store/. */
/*
 * Small building blocks the rest of store/ is written with: quoting,
 * whole-file reads, pid files, mkdir -p, rm -rf, hole-preserving copies
 * and running a helper program (qemu-img, ssh-keygen) without a shell.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/fs.h>
#endif

#include "common/log.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "store/store-int.h"

#define STORE_Q_SLOTS       8
#define STORE_COPY_BUF_SIZE (128 * 1024)

const char *
store_q(const char *s)
{
	static char *ring[STORE_Q_SLOTS];
	static int next;
	const unsigned char *p;
	int plain = 1;
	char *r;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '`' || *p == 0x7f || (*p < 0x20 && *p != '\t')) {
			plain = 0;
			break;
		}
	}
	if (plain)
		xasprintf(&r, "`%s`", s);
	else
		r = log_quote(s);
	free(ring[next]);
	ring[next] = r;
	next = (next + 1) % STORE_Q_SLOTS;
	return r;
}

const char *
store_strerror(int e)
{
	static char ring[4][128];
	static int next;
	char *r = ring[next];

	next = (next + 1) % 4;
	strlcpy(r, strerror(e), sizeof ring[0]);
	/* Go's syscall.Errno strings are glibc's with a lower-case start. */
	if (r[0] >= 'A' && r[0] <= 'Z' && (r[1] < 'A' || r[1] > 'Z'))
		r[0] = r[0] - 'A' + 'a';
	return r;
}

int
store_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int
store_is_temp_name(const char *name)
{
	return store_has_suffix(name, ".pid") ||
	    store_has_suffix(name, ".sock") || store_has_suffix(name, ".tmp");
}

char *
store_trim(char *s)
{
	char *start = s;
	size_t n;

	while (isspace((unsigned char)*start))
		start++;
	n = strlen(start);
	while (n > 0 && isspace((unsigned char)start[n - 1]))
		n--;
	memmove(s, start, n);
	s[n] = '\0';
	return s;
}

char *
store_user_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return xstrdup(h);
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL && *pw->pw_dir != '\0')
		return xstrdup(pw->pw_dir);
	return xstrdup("/");
}

int
store_read_file(
    const char *path, size_t max, char **buf, size_t *len, char **cause)
{
	char *b = NULL;
	size_t have = 0, size = 4096;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		xasprintf(cause, "open %s: %s", path, store_strerror(errno));
		return -1;
	}
	b = xmalloc(size);
	for (;;) {
		if (have + 1 >= size) {
			if (size > max) {
				xasprintf(cause,
				    "%s: file larger than %zu bytes", path,
				    max);
				goto out;
			}
			size *= 2;
			b = xrealloc(b, size);
		}
		n = read(fd, b + have, size - have - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(
			    cause, "read %s: %s", path, store_strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += n;
	}
	if (have > max) {
		xasprintf(cause, "%s: file larger than %zu bytes", path, max);
		goto out;
	}
	b[have] = '\0';
	*buf = b;
	b = NULL;
	if (len != NULL)
		*len = have;
	ret = 0;
out:
	free(b);
	close(fd);
	return ret;
}

int
store_read_pid(const char *path, pid_t *pid, char **cause)
{
	char *buf = NULL, *end;
	long v;
	int r, ret = -1;

	r = store_read_file(path, 64, &buf, NULL, cause);
	if (r == 1) {
		*pid = 0;
		return 0;
	}
	if (r == -1)
		return -1;
	store_trim(buf);
	errno = 0;
	v = strtol(buf, &end, 10);
	/* 0 and negative values would address process groups in kill(2). */
	if (*buf == '\0' || *end != '\0' || errno != 0 || v <= 0 ||
	    v != (pid_t)v) {
		xasprintf(cause, "invalid pid %s in %s", store_q(buf), path);
		goto out;
	}
	if (kill((pid_t)v, 0) == -1) {
		if (errno == ESRCH) {
			log_debug("%s: removing stale %s (pid %ld)", __func__,
			    path, v);
			if (unlink(path) == -1 && errno != ENOENT)
				log_debug("%s: unlink %s: %s", __func__, path,
				    store_strerror(errno));
			*pid = 0;
			ret = 0;
			goto out;
		}
		if (errno != EPERM) {
			xasprintf(
			    cause, "kill %ld: %s", v, store_strerror(errno));
			goto out;
		}
	}
	*pid = (pid_t)v;
	ret = 0;
out:
	free(buf);
	return ret;
}

int
store_mkdir(const char *path, mode_t mode, char **cause)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	xasprintf(cause, "mkdir %s: %s", path, store_strerror(errno));
	return -1;
}

int
store_mkdir_p(const char *path, mode_t mode, char **cause)
{
	char *copy, *p;
	int ret = -1;

	copy = xstrdup(path);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (store_mkdir(copy, mode, cause) != 0)
			goto out;
		*p = '/';
	}
	ret = store_mkdir(copy, mode, cause);
out:
	free(copy);
	return ret;
}

/* Removes name inside dfd; path is only for messages. */
static int
store_rmtree_at(
    int dfd, const char *name, const char *path, int depth, char **cause)
{
	struct stat st;
	struct dirent *de;
	DIR *d = NULL;
	char *sub;
	int fd, ret = -1;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "stat %s: %s", path, store_strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
			xasprintf(cause, "unlink %s: %s", path,
			    store_strerror(errno));
			return -1;
		}
		return 0;
	}
	if (depth >= STORE_TREE_MAX_DEPTH) {
		xasprintf(cause, "%s: directory tree too deep", path);
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		xasprintf(cause, "open %s: %s", path, store_strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&sub, "%s/%s", path, de->d_name);
		if (store_rmtree_at(
			dirfd(d), de->d_name, sub, depth + 1, cause) != 0) {
			free(sub);
			goto out;
		}
		free(sub);
	}
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT) {
		xasprintf(cause, "rmdir %s: %s", path, store_strerror(errno));
		goto out;
	}
	ret = 0;
out:
	closedir(d);
	return ret;
}

int
store_rmtree(const char *path, char **cause)
{
	return store_rmtree_at(AT_FDCWD, path, path, 0, cause);
}

static int
store_write_all(int fd, const char *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int
store_is_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != 0)
			return 0;
	}
	return 1;
}

/* Copies [off, end) of sfd to dfd, leaving all-zero blocks as holes. */
static int
store_copy_range(int sfd, int dfd, off_t off, off_t end, char *buf)
{
	ssize_t n;
	size_t want;

	while (off < end) {
		want = STORE_COPY_BUF_SIZE;
		if ((off_t)want > end - off)
			want = end - off;
		n = pread(sfd, buf, want, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (!store_is_zero(buf, n) &&
		    store_write_all(dfd, buf, n, off) != 0)
			return -1;
		off += n;
	}
	return 0;
}

/* Sparse-aware copy: SEEK_DATA/SEEK_HOLE where supported. */
static int
store_copy_sparse(int sfd, int dfd, off_t size)
{
	char *buf;
	off_t off = 0, data, hole;
	int ret = -1;

	buf = xmalloc(STORE_COPY_BUF_SIZE);
	while (off < size) {
		data = lseek(sfd, off, SEEK_DATA);
		if (data == -1) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			if (errno == EINVAL || errno == EOPNOTSUPP) {
				if (store_copy_range(
					sfd, dfd, off, size, buf) != 0)
					goto out;
				break;
			}
			goto out;
		}
		hole = lseek(sfd, data, SEEK_HOLE);
		if (hole == -1)
			goto out;
		if (store_copy_range(sfd, dfd, data, hole, buf) != 0)
			goto out;
		off = hole;
	}
	if (ftruncate(dfd, size) == -1)
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}

int
store_copy_file(const char *src, const char *dst, char **cause)
{
	struct stat st;
	char *tmp = NULL;
	int sfd = -1, dfd = -1, cloned = 0, ret = -1;

	sfd = open(src, O_RDONLY | O_CLOEXEC);
	if (sfd == -1 || fstat(sfd, &st) == -1) {
		xasprintf(cause, "open %s: %s", src, store_strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "not a regular file: %s", store_q(src));
		goto out;
	}
	xasprintf(&tmp, "%s.%ld.tmp", dst, (long)getpid());
	unlink(tmp); /* left by a crashed copy with the same pid */
	dfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dfd == -1) {
		xasprintf(cause, "open %s: %s", tmp, store_strerror(errno));
		goto out;
	}
#ifdef FICLONE
	/* Copy-on-write clone (btrfs, xfs) first: instant, no extra space. */
	if (ioctl(dfd, FICLONE, sfd) == 0)
		cloned = 1;
	else
		log_debug(
		    "%s: FICLONE %s: %s", __func__, src, store_strerror(errno));
#endif
	if (!cloned && store_copy_sparse(sfd, dfd, st.st_size) != 0) {
		xasprintf(cause, "copy %s to %s: %s", src, tmp,
		    store_strerror(errno));
		goto out;
	}
	if (fchmod(dfd, st.st_mode & 07777) == -1 || fsync(dfd) == -1) {
		xasprintf(cause, "%s: %s", tmp, store_strerror(errno));
		goto out;
	}
	if (close(dfd) == -1) {
		dfd = -1;
		xasprintf(cause, "close %s: %s", tmp, store_strerror(errno));
		goto out;
	}
	dfd = -1;
	if (rename(tmp, dst) == -1) {
		xasprintf(cause, "rename %s: %s", dst, store_strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	ret = 0;
out:
	if (dfd != -1)
		close(dfd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (sfd != -1)
		close(sfd);
	return ret;
}
