/* clima: run a helper program (qemu-img, ssh-keygen) and wait for it. */
/*
 * fork + execvp with an argv, never a shell.  stdout and stderr are
 * read through pipes with poll so that neither can fill up and block
 * the child; a third CLOEXEC pipe tells "could not exec" apart from
 * "ran and failed", which is how callers fall back when qemu-img is
 * missing.  Blocking: for the CLI, not for an event loop.
 */
#include "config.h"

#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/store-int.h"

struct store_run_buf {
	char *data;
	size_t len;
	size_t max; /* bytes kept; more are read and dropped */
};

static void
store_run_append(struct store_run_buf *b, const char *p, size_t n)
{
	if (b->len + n > b->max)
		n = b->max - b->len;
	if (n == 0)
		return;
	b->data = xrealloc(b->data, b->len + n + 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* "[a b c]", as Go prints a command's Args. */
static char *
store_run_join(const char *const *argv)
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

/* Child side, between fork and exec: async-signal-safe calls only. */
static void __attribute__((__noreturn__))
store_run_child(char **args, int out, int err, int exe)
{
	int null, e;

	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null == -1 || dup2(null, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(err, 2) == -1)
		goto fail;
	signal(SIGPIPE, SIG_DFL);
	execvp(args[0], args);
fail:
	e = errno;
	if (write(exe, &e, sizeof e) == -1)
		_exit(127);
	_exit(127);
}

int
store_run(const char *const *argv, char **out, char **cause)
{
	struct store_run_buf bo = { NULL, 0, STORE_RUN_STDOUT_MAX };
	struct store_run_buf be = { NULL, 0, STORE_RUN_STDERR_MAX };
	struct pollfd pfd[2];
	char **args = NULL, buf[4096], *cmd = NULL;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, px[2] = { -1, -1 };
	int status, exec_errno = 0, ret = -1;
	size_t i, n;
	ssize_t r;
	pid_t pid;

	for (n = 0; argv[n] != NULL; n++)
		;
	args = xcalloc(n + 1, sizeof *args);
	for (i = 0; i < n; i++)
		args[i] = xstrdup(argv[i]);
	cmd = store_run_join(argv);

	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1 ||
	    pipe2(px, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", store_strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == -1) {
		xasprintf(cause, "fork: %s", store_strerror(errno));
		goto out;
	}
	if (pid == 0)
		store_run_child(args, po[1], pe[1], px[1]);
	close(po[1]);
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
				pfd[i].fd = -1; /* closed below */
				continue;
			}
			store_run_append(i == 0 ? &bo : &be, buf, r);
		}
	}
	do
		r = read(px[0], &exec_errno, sizeof exec_errno);
	while (r == -1 && errno == EINTR);
	if (r != sizeof exec_errno)
		exec_errno = 0;

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "waitpid: %s", store_strerror(errno));
			goto out;
		}
	}
	if (exec_errno != 0) {
		xasprintf(cause, "exec: \"%s\": %s", args[0],
		    store_strerror(exec_errno));
		ret = -2;
		goto out;
	}
	if (WIFSIGNALED(status)) {
		xasprintf(cause, "failed to run %s: signal: %s", cmd,
		    strsignal(WTERMSIG(status)));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		xasprintf(cause, "failed to run %s: exit status %d%s%s", cmd,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    be.len != 0 ? ": " : "",
		    be.len != 0 ? store_trim(be.data) : "");
		goto out;
	}
	log_debug("%s: %s: ok", __func__, cmd);
	if (out != NULL) {
		*out = bo.data != NULL ? bo.data : xstrdup("");
		bo.data = NULL;
	}
	ret = 0;
out:
	for (i = 0; i < 2; i++) {
		if (po[i] != -1)
			close(po[i]);
		if (pe[i] != -1)
			close(pe[i]);
		if (px[i] != -1)
			close(px[i]);
	}
	if (args != NULL) {
		for (i = 0; args[i] != NULL; i++)
			free(args[i]);
		free(args);
	}
	free(cmd);
	free(bo.data);
	free(be.data);
	return ret;
}
