/* clima: running helper programs from limactl (ssh, scp, qemu-img, ...). */
/*
 * Argument vectors, POSIX shell quoting, PATH lookup and a blocking
 * fork + execvp + waitpid that can capture a child's output.  Never a
 * shell.  Blocking is fine here: the CLI has no event loop while these
 * run.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "common/xmalloc.h"

void
cli_argv_add(struct cli_argv *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void
cli_argv_addf(struct cli_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("%s: out of memory", __func__);
	va_end(ap);
	cli_argv_add(a, s);
	free(s);
}

void
cli_argv_free(struct cli_argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

char *
cli_argv_join(char *const *argv)
{
	char *s = xstrdup("["), *t;
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		xasprintf(&t, "%s%s%s", s, i == 0 ? "" : " ", argv[i]);
		free(s);
		s = t;
	}
	xasprintf(&t, "%s]", s);
	free(s);
	return t;
}

/* Characters that never need quoting: [A-Za-z0-9_@%+=:,./-]. */
static int
cli_shell_safe(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("_@%+=:,./-", c) != NULL;
}

char *
cli_shell_quote(const char *s)
{
	const char *p;
	char *out, *o;
	size_t len = 2;

	if (*s == '\0')
		return xstrdup("''");
	for (p = s; *p != '\0'; p++) {
		if (!cli_shell_safe((unsigned char)*p))
			break;
	}
	if (*p == '\0')
		return xstrdup(s);
	/* 'it'"'"'s': each ' closes, is double-quoted, and reopens. */
	for (p = s; *p != '\0'; p++)
		len += *p == '\'' ? 5 : 1;
	out = o = xmalloc(len + 1);
	*o++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\"'\"'", 5);
			o += 5;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

char *
cli_find_in_path(const char *name)
{
	const char *path, *p, *end;
	char *cand;
	struct stat sb;
	size_t len;

	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) == 0)
			return xstrdup(name);
		return NULL;
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			xasprintf(&cand, "./%s", name);
		else
			xasprintf(&cand, "%.*s/%s", (int)len, p, name);
		if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (end == NULL)
			break;
	}
	return NULL;
}

char *
cli_trim(char *s)
{
	size_t len, skip;

	skip = strspn(s, " \t\r\n");
	memmove(s, s + skip, strlen(s + skip) + 1);
	len = strlen(s);
	while (len > 0 &&
	    (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
		s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

char *
cli_not_found(const char *name)
{
	char *s;

	xasprintf(&s, "exec: \"%s\": executable file not found in $PATH", name);
	return s;
}

void
cli_exec(char *const *argv)
{
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	if (errno == ENOENT)
		cli_fatal("%s", cli_not_found(argv[0]));
	cli_fatal("fork/exec %s: %s", argv[0], strerror(errno));
}

/* A captured stream; bytes past CLI_RUN_CAPTURE_MAX are read and dropped. */
struct cli_run_buf {
	char *data;
	size_t len;
};

static void
cli_run_append(struct cli_run_buf *b, const char *p, size_t n)
{
	if (b->len + n > CLI_RUN_CAPTURE_MAX)
		n = CLI_RUN_CAPTURE_MAX - b->len;
	if (n == 0)
		return;
	b->data = xrealloc(b->data, b->len + n + 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Between fork and exec: async-signal-safe calls only. */
static void __attribute__((__noreturn__))
cli_run_child(char *const *argv, int flags, int out, int err, int report)
{
	int null, e;

	if (flags & (CLI_RUN_NULL_STDIN | CLI_RUN_QUIET)) {
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null == -1)
			goto fail;
		if ((flags & CLI_RUN_NULL_STDIN) && dup2(null, 0) == -1)
			goto fail;
		if ((flags & CLI_RUN_QUIET) && out == -1 && dup2(null, 1) == -1)
			goto fail;
		if ((flags & CLI_RUN_QUIET) && err == -1 && dup2(null, 2) == -1)
			goto fail;
	}
	if (out != -1 && dup2(out, 1) == -1)
		goto fail;
	if (err != -1 && dup2(err, 2) == -1)
		goto fail;
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(report, &e, sizeof e) == -1)
		_exit(127);
	_exit(127);
}

int
cli_run(char *const *argv, int flags, char **outp, char **errp, char **cause)
{
	struct cli_run_buf bufs[2] = { { NULL, 0 }, { NULL, 0 } };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, px[2] = { -1, -1 };
	struct pollfd pfd[2];
	char buf[4096], *cmd;
	int status, exec_errno = 0, ret = -1, i;
	ssize_t r;
	pid_t pid;

	cmd = cli_argv_join(argv);
	log_debug("%s: running %s", __func__, cmd);
	if ((outp != NULL && pipe2(po, O_CLOEXEC) == -1) ||
	    (errp != NULL && pipe2(pe, O_CLOEXEC) == -1) ||
	    pipe2(px, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		cli_run_child(argv, flags, po[1], pe[1], px[1]);
	if (po[1] != -1)
		close(po[1]);
	if (pe[1] != -1)
		close(pe[1]);
	close(px[1]);
	po[1] = pe[1] = px[1] = -1;

	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf, sizeof buf);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				pfd[i].fd = -1; /* closed at out: */
				continue;
			}
			cli_run_append(&bufs[i], buf, (size_t)r);
		}
	}
	do
		r = read(px[0], &exec_errno, sizeof exec_errno);
	while (r == -1 && errno == EINTR);
	if (r != sizeof exec_errno)
		exec_errno = 0;
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "waitpid: %s", strerror(errno));
			goto out;
		}
	}
	if (exec_errno == ENOENT) {
		*cause = cli_not_found(argv[0]);
		goto out;
	}
	if (exec_errno != 0) {
		xasprintf(
		    cause, "fork/exec %s: %s", argv[0], strerror(exec_errno));
		goto out;
	}
	if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = WEXITSTATUS(status);
	log_debug("%s: %s: exit status %d", __func__, cmd, ret);
	if (outp != NULL) {
		*outp = bufs[0].data != NULL ? bufs[0].data : xstrdup("");
		bufs[0].data = NULL;
	}
	if (errp != NULL) {
		*errp = bufs[1].data != NULL ? bufs[1].data : xstrdup("");
		bufs[1].data = NULL;
	}
out:
	for (i = 0; i < 2; i++) {
		if (po[i] != -1)
			close(po[i]);
		if (pe[i] != -1)
			close(pe[i]);
		if (px[i] != -1)
			close(px[i]);
	}
	free(bufs[0].data);
	free(bufs[1].data);
	free(cmd);
	return ret;
}

char *
cli_run_status(int status)
{
	char *s;

	if (status > 128 && status < 128 + NSIG)
		xasprintf(&s, "signal: %s", strsignal(status - 128));
	else
		xasprintf(&s, "exit status %d", status);
	return s;
}
