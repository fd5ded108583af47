/* clima: child processes of the hostagent, tracked on the event loop. */
/*
 * A job is one child (QEMU, ssh, a helper): its pid, its stdout and stderr
 * pipes read line by line through bufferevents, and its wait status.  One
 * SIGCHLD handler reaps every child; a job's done callback runs (from its
 * own event, never from inside a caller) once it is reaped AND both pipes
 * reached EOF, and the job is freed right after, as tmux's job.c does.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "hostagent/ha-proc.h"

extern char **environ;

struct ha_job {
	struct ha_jobs *jobs; /* owner; we are on jobs->list */
	char *name;           /* basename of argv[0], for logs */
	pid_t pid;
	int status;            /* wait status, with HA_JOB_EXITED */
	int flags;             /* HA_JOB_RUNNING ... (ha-proc.h) */
#define HA_JOB_PGRP      0x100 /* signal the group, not only the pid */
#define HA_JOB_BUSY      0x200 /* inside a line or done callback */
#define HA_JOB_DEAD      0x400 /* ha_job_free while busy: free on return */
#define HA_JOB_IN_CLOSED 0x800 /* stdin closing once drained */

	struct bufferevent *in;  /* stdin pipe, or NULL */
	struct bufferevent *out; /* stdout; NULL after EOF */
	struct bufferevent *err; /* stderr; NULL after EOF */
	struct event *done_ev;   /* activated once EXITED and both EOF */

	ha_job_line_cb linecb;
	ha_job_done_cb donecb;
	void *arg;
	TAILQ_ENTRY(ha_job) entry;
};

struct ha_jobs {
	struct event_base *base;
	TAILQ_HEAD(, ha_job) list;
	size_t count;
};

static void ha_job_destroy(struct ha_job *);

struct ha_jobs *
ha_jobs_new(struct event_base *base)
{
	struct ha_jobs *jobs;

	jobs = xcalloc(1, sizeof *jobs);
	jobs->base = base;
	TAILQ_INIT(&jobs->list);
	return jobs;
}

void
ha_jobs_free(struct ha_jobs *jobs)
{
	struct ha_job *job, *tmp;

	if (jobs == NULL)
		return;
	TAILQ_FOREACH_SAFE(job, &jobs->list, entry, tmp)
		ha_job_free(job);
	free(jobs);
}

size_t
ha_jobs_count(const struct ha_jobs *jobs)
{
	return jobs->count;
}

void
ha_jobs_kill_all(struct ha_jobs *jobs, int sig)
{
	struct ha_job *job;

	TAILQ_FOREACH(job, &jobs->list, entry)
		ha_job_kill(job, sig);
}

/* Both conditions met: schedule the done callback on the next turn. */
static void
ha_job_check_done(struct ha_job *job)
{
	int all = HA_JOB_EXITED | HA_JOB_OUT_EOF | HA_JOB_ERR_EOF;

	if ((job->flags & all) != all || (job->flags & HA_JOB_DONE))
		return;
	job->flags |= HA_JOB_DONE;
	event_active(job->done_ev, EV_TIMEOUT, 0);
}

void
ha_jobs_reap(struct ha_jobs *jobs)
{
	struct ha_job *job;
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		TAILQ_FOREACH(job, &jobs->list, entry) {
			if (job->pid == pid && (job->flags & HA_JOB_RUNNING))
				break;
		}
		if (job == NULL) {
			log_debug("%s: reaped unknown child %ld", __func__,
			    (long)pid);
			continue;
		}
		job->flags &= ~HA_JOB_RUNNING;
		job->flags |= HA_JOB_EXITED;
		job->status = status;
		log_debug("%s: %s[%ld] exited (status %#x)", __func__,
		    job->name, (long)pid, status);
		ha_job_check_done(job);
	}
}

void
ha_jobs_sigchld_cb(evutil_socket_t sig, short events, void *arg)
{
	ha_jobs_reap(arg);
}

/* Runs a user callback; returns 1 if the job was freed inside it. */
static int
ha_job_leave(struct ha_job *job, int was_busy)
{
	if (was_busy)
		return 0;
	job->flags &= ~HA_JOB_BUSY;
	if (job->flags & HA_JOB_DEAD) {
		ha_job_destroy(job);
		return 1;
	}
	return 0;
}

/* Delivers one line; returns 1 if the job is gone. */
static int
ha_job_line(struct ha_job *job, int fd, const char *line, size_t len)
{
	int was_busy = job->flags & HA_JOB_BUSY;

	if (job->linecb == NULL)
		return 0;
	job->flags |= HA_JOB_BUSY;
	job->linecb(job, fd, line, len, job->arg);
	return ha_job_leave(job, was_busy);
}

/*
 * Delivers complete lines, cutting any longer than HA_JOB_LINE_MAX into
 * pieces; at EOF (final) the unterminated rest is one more line.  Returns
 * 1 if the job is gone.
 */
static int
ha_job_drain(struct ha_job *job, struct bufferevent *bev, int fd, int final)
{
	struct evbuffer *b = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char piece[HA_JOB_LINE_MAX + 1];
	size_t len, n, eol_len;

	for (;;) {
		if ((len = evbuffer_get_length(b)) == 0)
			return 0;
		eol = evbuffer_search_eol(b, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos != -1 && (size_t)eol.pos <= HA_JOB_LINE_MAX) {
			n = (size_t)eol.pos;
			evbuffer_remove(b, piece, n);
			evbuffer_drain(b, eol_len);
		} else if (eol.pos != -1 || final || len >= HA_JOB_LINE_MAX) {
			n = len < HA_JOB_LINE_MAX ? len : HA_JOB_LINE_MAX;
			evbuffer_remove(b, piece, n);
		} else
			return 0;
		piece[n] = '\0';
		if (ha_job_line(job, fd, piece, n))
			return 1;
	}
}

static void
ha_job_read_cb(struct bufferevent *bev, void *arg)
{
	struct ha_job *job = arg;

	ha_job_drain(job, bev, bev == job->out ? 1 : 2, 0);
}

static void
ha_job_pipe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ha_job *job = arg;
	int fd = bev == job->out ? 1 : 2;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (ha_job_drain(job, bev, fd, 1))
		return;
	bufferevent_free(bev);
	if (fd == 1) {
		job->out = NULL;
		job->flags |= HA_JOB_OUT_EOF;
	} else {
		job->err = NULL;
		job->flags |= HA_JOB_ERR_EOF;
	}
	ha_job_check_done(job);
}

static void
ha_job_in_write_cb(struct bufferevent *bev, void *arg)
{
	struct ha_job *job = arg;

	if ((job->flags & HA_JOB_IN_CLOSED) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		bufferevent_free(job->in);
		job->in = NULL;
	}
}

static void
ha_job_in_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ha_job *job = arg;

	/* The child closed its stdin (EPIPE): drop what is queued. */
	bufferevent_free(job->in);
	job->in = NULL;
}

static void
ha_job_fire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct ha_job *job = arg;

	job->flags |= HA_JOB_BUSY;
	if (job->donecb != NULL)
		job->donecb(job, job->status, job->arg);
	ha_job_destroy(job);
}

/* Finds argv0 in PATH unless it holds a '/'; the caller's. */
static char *
ha_job_which(const char *argv0, char **cause)
{
	const char *path, *p, *end;
	char *cand;

	if (*argv0 == '\0') {
		*cause = xstrdup("exec: no command");
		return NULL;
	}
	if (strchr(argv0, '/') != NULL) {
		if (access(argv0, X_OK) != 0) {
			xasprintf(
			    cause, "fork/exec %s: %s", argv0, strerror(errno));
			return NULL;
		}
		return xstrdup(argv0);
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		xasprintf(&cand, "%.*s%s%s", (int)(end - p), p,
		    end == p ? "" : "/", argv0);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*end == '\0')
			break;
	}
	xasprintf(
	    cause, "exec: \"%s\": executable file not found in $PATH", argv0);
	return NULL;
}

/* environ with env applied ("K=V" sets, "K" removes); the caller's. */
static char **
ha_job_envp(const char *const *env)
{
	char **envp;
	size_t n = 0, i, j, k, klen;
	const char *eq;

	for (i = 0; environ[i] != NULL; i++)
		;
	for (j = 0; env != NULL && env[j] != NULL; j++)
		;
	envp = xreallocarray(NULL, i + j + 1, sizeof *envp);
	for (i = 0; environ[i] != NULL; i++)
		envp[n++] = environ[i];
	for (j = 0; env != NULL && env[j] != NULL; j++) {
		eq = strchr(env[j], '=');
		klen = eq != NULL ? (size_t)(eq - env[j]) : strlen(env[j]);
		for (k = 0; k < n; k++) {
			if (strncmp(envp[k], env[j], klen) == 0 &&
			    envp[k][klen] == '=')
				break;
		}
		if (k < n) {
			memmove(
			    &envp[k], &envp[k + 1], (n - k - 1) * sizeof *envp);
			n--;
		}
		if (eq != NULL)
			envp[n++] = (char *)(uintptr_t)env[j];
	}
	envp[n] = NULL;
	return envp;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((__noreturn__))
ha_job_child(const char *path, char *const *argv, char *const *envp, int flags,
    int in, int out, int err, const sigset_t *oldmask)
{
	static const int sigs[] = { SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP,
		SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	if (flags & HA_JOB_SPAWN_PGRP)
		setpgid(0, 0);
	/* dup2 clears FD_CLOEXEC on the copy; everything else closes. */
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(127);
	execve(path, argv, envp);
	(void)!write(2, "exec failed: ", 13);
	(void)!write(2, path, strlen(path));
	(void)!write(2, "\n", 1);
	_exit(127);
}

struct ha_job *
ha_job_start(struct ha_jobs *jobs, const char *const *argv,
    const char *const *env, int flags, ha_job_line_cb linecb,
    ha_job_done_cb donecb, void *arg, char **cause)
{
	struct ha_job *job = NULL;
	char *path = NULL, **envp = NULL;
	const char *slash;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	sigset_t all, old;
	pid_t pid;

	if (argv == NULL || argv[0] == NULL) {
		*cause = xstrdup("exec: no command");
		return NULL;
	}
	if ((path = ha_job_which(argv[0], cause)) == NULL)
		return NULL;
	if (flags & HA_JOB_SPAWN_STDIN) {
		if (pipe2(inp, O_CLOEXEC) != 0)
			goto fail;
	} else {
		if ((inp[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			goto fail;
	}
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
		goto fail;
	envp = ha_job_envp(env);

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		ha_job_child(path, (char *const *)(uintptr_t)argv, envp, flags,
		    inp[0], outp[1], errp[1], &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1)
		goto fail;
	/* Also here, so that a kill(-pid) right after us finds the group. */
	if (flags & HA_JOB_SPAWN_PGRP)
		(void)setpgid(pid, pid);

	job = xcalloc(1, sizeof *job);
	job->jobs = jobs;
	slash = strrchr(argv[0], '/');
	job->name = xstrdup(slash != NULL ? slash + 1 : argv[0]);
	job->pid = pid;
	job->flags = HA_JOB_RUNNING;
	if (flags & HA_JOB_SPAWN_PGRP)
		job->flags |= HA_JOB_PGRP;
	job->linecb = linecb;
	job->donecb = donecb;
	job->arg = arg;

	close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	evutil_make_socket_nonblocking(outp[0]);
	evutil_make_socket_nonblocking(errp[0]);
	job->out =
	    bufferevent_socket_new(jobs->base, outp[0], BEV_OPT_CLOSE_ON_FREE);
	job->err =
	    bufferevent_socket_new(jobs->base, errp[0], BEV_OPT_CLOSE_ON_FREE);
	if (job->out == NULL || job->err == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	bufferevent_setcb(
	    job->out, ha_job_read_cb, NULL, ha_job_pipe_event_cb, job);
	bufferevent_setcb(
	    job->err, ha_job_read_cb, NULL, ha_job_pipe_event_cb, job);
	bufferevent_enable(job->out, EV_READ);
	bufferevent_enable(job->err, EV_READ);
	if (flags & HA_JOB_SPAWN_STDIN) {
		evutil_make_socket_nonblocking(inp[1]);
		job->in = bufferevent_socket_new(
		    jobs->base, inp[1], BEV_OPT_CLOSE_ON_FREE);
		if (job->in == NULL)
			fatalx("%s: bufferevent_socket_new failed", __func__);
		bufferevent_setcb(
		    job->in, NULL, ha_job_in_write_cb, ha_job_in_event_cb, job);
		bufferevent_enable(job->in, EV_WRITE);
	}
	job->done_ev = event_new(jobs->base, -1, 0, ha_job_fire_cb, job);
	if (job->done_ev == NULL)
		fatalx("%s: event_new failed", __func__);

	TAILQ_INSERT_TAIL(&jobs->list, job, entry);
	jobs->count++;
	log_debug("%s: started %s[%ld]", __func__, job->name, (long)pid);
	free(path);
	free(envp);
	return job;

fail:
	xasprintf(cause, "fork/exec %s: %s", path, strerror(errno));
	if (inp[0] != -1)
		close(inp[0]);
	if (inp[1] != -1)
		close(inp[1]);
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	free(path);
	free(envp);
	return NULL;
}

int
ha_job_kill(struct ha_job *job, int sig)
{
	if (!(job->flags & HA_JOB_RUNNING)) {
		errno = ESRCH;
		return -1;
	}
	if (job->flags & HA_JOB_PGRP) {
		if (kill(-job->pid, sig) == 0)
			return 0;
		/* The child may not have called setpgid yet. */
	}
	return kill(job->pid, sig);
}

int
ha_job_write(struct ha_job *job, const void *data, size_t len)
{
	if (job->in == NULL || (job->flags & HA_JOB_IN_CLOSED))
		return -1;
	return bufferevent_write(job->in, data, len);
}

void
ha_job_close_stdin(struct ha_job *job)
{
	if (job->in == NULL)
		return;
	job->flags |= HA_JOB_IN_CLOSED;
	ha_job_in_write_cb(job->in, job);
}

pid_t
ha_job_pid(const struct ha_job *job)
{
	return job->pid;
}

int
ha_job_flags(const struct ha_job *job)
{
	return job->flags & 0xff;
}

int
ha_job_status(const struct ha_job *job)
{
	return job->status;
}

const char *
ha_job_name(const struct ha_job *job)
{
	return job->name;
}

char *
ha_job_status_string(int status)
{
	char *s;
	const char *name;

	if (WIFEXITED(status)) {
		xasprintf(&s, "exit status %d", WEXITSTATUS(status));
		return s;
	}
	if (!WIFSIGNALED(status))
		return xstrprintf("wait status %#x", status);
	switch (WTERMSIG(status)) {
	case SIGKILL:
		name = "killed";
		break;
	case SIGTERM:
		name = "terminated";
		break;
	case SIGINT:
		name = "interrupt";
		break;
	case SIGSEGV:
		name = "segmentation fault";
		break;
	case SIGABRT:
		name = "aborted";
		break;
	default:
		name = strsignal(WTERMSIG(status));
		break;
	}
	xasprintf(&s, "signal: %s", name);
	return s;
}

/* The real free: unlink, stop every event, release the pipes. */
static void
ha_job_destroy(struct ha_job *job)
{
	if (job->flags & HA_JOB_RUNNING) {
		log_debug("%s: %s[%ld] still running, sending SIGTERM",
		    __func__, job->name, (long)job->pid);
		ha_job_kill(job, SIGTERM);
	}
	TAILQ_REMOVE(&job->jobs->list, job, entry);
	job->jobs->count--;
	if (job->done_ev != NULL)
		event_free(job->done_ev);
	if (job->in != NULL)
		bufferevent_free(job->in);
	if (job->out != NULL)
		bufferevent_free(job->out);
	if (job->err != NULL)
		bufferevent_free(job->err);
	free(job->name);
	free(job);
}

void
ha_job_free(struct ha_job *job)
{
	if (job == NULL)
		return;
	if (job->flags & HA_JOB_BUSY) {
		/* Inside one of its callbacks: freed when that returns. */
		job->flags |= HA_JOB_DEAD;
		return;
	}
	ha_job_destroy(job);
}
