/* clima: file and process helpers for image/. */
/*
 * Small files written via a temp name and rename, hole-keeping copies,
 * mkdir -p, and helper programs (qemu-img, gzip, xz, ...) spawned with
 * posix_spawnp from an argv array, their output read through pipes.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "image/image-int.h"

#define IMAGE_Q_SLOTS 8

extern char **environ;

const char *
image_q(const char *s)
{
	static char *ring[IMAGE_Q_SLOTS];
	static int next;
	const unsigned char *p;
	char *r = NULL;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '`' || *p == 0x7f || (*p < 0x20 && *p != '\t')) {
			r = log_quote(s);
			break;
		}
	}
	if (r == NULL)
		xasprintf(&r, "`%s`", s);
	free(ring[next]);
	ring[next] = r;
	next = (next + 1) % IMAGE_Q_SLOTS;
	return r;
}

double
image_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
image_exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

char *
image_tmp_name(const char *path)
{
	static unsigned int counter;
	char *tmp;

	xasprintf(&tmp, "%s.%ld.%u.tmp", path, (long)getpid(), counter++);
	return tmp;
}

int
image_read_small(const char *path, char **buf, char **cause)
{
	char *b;
	size_t have = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		return -1;
	}
	b = xmalloc(IMAGE_SMALL_FILE_MAX + 1);
	while (have < IMAGE_SMALL_FILE_MAX) {
		n = read(fd, b + have, IMAGE_SMALL_FILE_MAX - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "read %s: %s", path, strerror(errno));
			free(b);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		have += n;
	}
	close(fd);
	b[have] = '\0';
	*buf = b;
	return 0;
}

/* Writes all of buf; 0 or -1 with errno. */
static int
image_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int
image_mkdir_p(const char *path, mode_t mode, char **cause)
{
	struct stat sb;
	char *copy, *p;
	int ret = -1;

	copy = xstrdup(path);
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			*p = '\0';
			if (mkdir(copy, mode) == -1 &&
			    (errno != EEXIST || stat(copy, &sb) == -1 ||
				!S_ISDIR(sb.st_mode))) {
				xasprintf(cause, "mkdir %s: %s", copy,
				    strerror(
					errno == EEXIST ? ENOTDIR : errno));
				goto out;
			}
			*p = path[p - copy];
		}
		if (*p == '\0')
			break;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static int
image_is_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != 0)
			return 0;
	}
	return 1;
}

int
image_copy_file(const char *src, const char *dst, char **cause)
{
	struct stat sb;
	char *tmp = NULL, *buf = NULL;
	ssize_t n;
	int sfd, dfd = -1, r, ret = -1;

	if ((sfd = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open %s: %s", src, strerror(errno));
		return -1;
	}
	if (fstat(sfd, &sb) == -1) {
		xasprintf(cause, "stat %s: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", src);
		goto out;
	}
	tmp = image_tmp_name(dst);
	dfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (dfd == -1) {
		xasprintf(cause, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	buf = xmalloc(IMAGE_COPY_BUF_SIZE);
	for (;;) {
		n = read(sfd, buf, IMAGE_COPY_BUF_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "read %s: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		/* Zero blocks become holes; ftruncate sets the length. */
		if (image_is_zero(buf, n))
			r = lseek(dfd, n, SEEK_CUR) == -1 ? -1 : 0;
		else
			r = image_write_all(dfd, buf, n);
		if (r == -1) {
			xasprintf(cause, "write %s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	if (ftruncate(dfd, sb.st_size) == -1 || fsync(dfd) == -1) {
		xasprintf(cause, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	r = close(dfd);
	dfd = -1;
	if (r == -1) {
		xasprintf(cause, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, dst) == -1) {
		xasprintf(cause, "rename %s: %s", dst, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (dfd != -1)
		close(dfd);
	if (ret != 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(buf);
	close(sfd);
	return ret;
}

int
image_spawn(const char *const *argv, int in, int out, pid_t *pid, int *outfd,
    int *errfd, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	char *const *av;
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, error, ret = -1;

	if ((outfd != NULL && pipe2(opipe, O_CLOEXEC) == -1) ||
	    pipe2(epipe, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		if (opipe[0] != -1) {
			close(opipe[0]);
			close(opipe[1]);
		}
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (in != -1)
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	else
		posix_spawn_file_actions_addopen(
		    &fa, 0, "/dev/null", O_RDONLY, 0);
	if (outfd != NULL)
		posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	else if (out != -1)
		posix_spawn_file_actions_adddup2(&fa, out, 1);
	else
		posix_spawn_file_actions_addopen(
		    &fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);

	/* The CLI may ignore SIGPIPE; a decompressor must not inherit it. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(
	    &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	memcpy(&av, &argv, sizeof av); /* posix_spawnp does not modify it */
	error = posix_spawnp(pid, argv[0], &fa, &attr, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (error == ENOENT) {
		xasprintf(cause, "%s not found in PATH", argv[0]);
		ret = -2;
		goto out;
	}
	if (error != 0) {
		xasprintf(cause, "exec %s: %s", argv[0], strerror(error));
		goto out;
	}
	log_debug("%s: started %s (pid %ld)", __func__, argv[0], (long)*pid);
	if (outfd != NULL) {
		*outfd = opipe[0];
		opipe[0] = -1;
	}
	*errfd = epipe[0];
	epipe[0] = -1;
	ret = 0;
out:
	if (opipe[0] != -1)
		close(opipe[0]);
	if (opipe[1] != -1)
		close(opipe[1]);
	if (epipe[0] != -1)
		close(epipe[0]);
	close(epipe[1]);
	return ret;
}

/* Appends what fd has to *buf (kept up to max bytes); 1 at EOF. */
static int
image_drain(int fd, char **buf, size_t *len, size_t max)
{
	char tmp[8192];
	ssize_t n;
	size_t keep;

	n = read(fd, tmp, sizeof tmp);
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	keep = *len < max ? max - *len : 0;
	if ((size_t)n < keep)
		keep = n;
	if (keep > 0) {
		*buf = xrealloc(*buf, *len + keep + 1);
		memcpy(*buf + *len, tmp, keep);
		*len += keep;
		(*buf)[*len] = '\0';
	}
	return 0;
}

int
image_wait(pid_t pid, int outfd, char **out, int errfd, void (*tick)(void *),
    void *arg, const char *what, char **cause)
{
	struct pollfd pfd[2];
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	nfds_t n;
	int status, ret = -1;

	while (outfd != -1 || errfd != -1) {
		n = 0;
		if (errfd != -1) {
			pfd[n].fd = errfd;
			pfd[n++].events = POLLIN;
		}
		if (outfd != -1) {
			pfd[n].fd = outfd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, IMAGE_PROGRESS_INTERVAL_MSEC) == -1 &&
		    errno != EINTR)
			break;
		if (tick != NULL)
			tick(arg);
		while (n-- > 0) {
			if (pfd[n].revents == 0)
				continue;
			if (pfd[n].fd == errfd &&
			    image_drain(
				errfd, &ebuf, &elen, IMAGE_RUN_STDERR_MAX)) {
				close(errfd);
				errfd = -1;
			} else if (pfd[n].fd == outfd &&
			    image_drain(
				outfd, &obuf, &olen, IMAGE_RUN_STDOUT_MAX)) {
				close(outfd);
				outfd = -1;
			}
		}
	}
	if (outfd != -1)
		close(outfd);
	if (errfd != -1)
		close(errfd);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			xasprintf(
			    cause, "%s: waitpid: %s", what, strerror(errno));
			goto out;
		}
	}
	/* Trailing new lines make poor messages. */
	while (elen > 0 && (ebuf[elen - 1] == '\n' || ebuf[elen - 1] == '\r'))
		ebuf[--elen] = '\0';
	if (WIFSIGNALED(status)) {
		xasprintf(cause, "%s: killed by signal %d%s%s", what,
		    WTERMSIG(status), elen > 0 ? ": " : "",
		    elen > 0 ? ebuf : "");
		goto out;
	}
	if (WEXITSTATUS(status) != 0) {
		xasprintf(cause, "%s: exit status %d%s%s", what,
		    WEXITSTATUS(status), elen > 0 ? ": " : "",
		    elen > 0 ? ebuf : "");
		goto out;
	}
	if (out != NULL) {
		*out = obuf != NULL ? obuf : xstrdup("");
		obuf = NULL;
	}
	ret = 0;
out:
	free(obuf);
	free(ebuf);
	return ret;
}

int
image_run(const char *const *argv, char **out, char **cause)
{
	char *what = NULL;
	pid_t pid;
	int outfd = -1, errfd = -1, r;

	r = image_spawn(
	    argv, -1, -1, &pid, out != NULL ? &outfd : NULL, &errfd, cause);
	if (r != 0)
		return r;
	/* "qemu-img info" names the step well enough in messages. */
	if (argv[1] != NULL)
		xasprintf(&what, "%s %s", argv[0], argv[1]);
	else
		what = xstrdup(argv[0]);
	r = image_wait(pid, outfd, out, errfd, NULL, NULL, what, cause);
	free(what);
	return r;
}
