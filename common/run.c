/* clima: run a program and wait for it, capturing what it prints. */
#include "config.h"

#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/run.h"
#include "common/xmalloc.h"

struct run_buf {
	char *data;
	size_t len;
	size_t max;
};

static void
run_append(struct run_buf *b, const char *p, size_t n)
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

/* Between fork and exec: async-signal-safe calls only. */
static void __attribute__((__noreturn__))
run_child(char *const *argv, int flags, int out, int err, int report)
{
	int null, e;

	if (flags & (RUN_NULL_STDIN | RUN_QUIET)) {
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null == -1)
			goto fail;
		if ((flags & RUN_NULL_STDIN) && dup2(null, 0) == -1)
			goto fail;
		if ((flags & RUN_QUIET) && out == -1 && dup2(null, 1) == -1)
			goto fail;
		if ((flags & RUN_QUIET) && err == -1 && dup2(null, 2) == -1)
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
run_wait(struct run_req *req, int *exec_errno, char **cause)
{
	struct run_buf bufs[2] = { { NULL, 0, req->out_max },
		{ NULL, 0, req->err_max } };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, px[2] = { -1, -1 };
	struct pollfd pfd[2];
	char buf[4096];
	int status, ret = -1, i;
	ssize_t r;
	pid_t pid;

	*exec_errno = 0;
	req->signo = 0;
	if ((req->out != NULL && pipe2(po, O_CLOEXEC) == -1) ||
	    (req->err != NULL && pipe2(pe, O_CLOEXEC) == -1) ||
	    pipe2(px, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(req->argv, req->flags, po[1], pe[1], px[1]);
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
			run_append(&bufs[i], buf, (size_t)r);
		}
	}
	do
		r = read(px[0], exec_errno, sizeof *exec_errno);
	while (r == -1 && errno == EINTR);
	if (r != sizeof *exec_errno)
		*exec_errno = 0;
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "waitpid: %s", strerror(errno));
			goto out;
		}
	}
	if (*exec_errno != 0)
		goto out;
	if (WIFSIGNALED(status)) {
		req->signo = WTERMSIG(status);
		ret = 128 + req->signo;
	}
	else
		ret = WEXITSTATUS(status);
	if (req->out != NULL) {
		*req->out = bufs[0].data != NULL ? bufs[0].data : xstrdup("");
		bufs[0].data = NULL;
	}
	if (req->err != NULL) {
		*req->err = bufs[1].data != NULL ? bufs[1].data : xstrdup("");
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
	return ret;
}
