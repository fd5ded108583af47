/* clima: tests for hostagent/ha-job.c, children on the event loop. */
/*
 * Real children (sh, cat, sleep) under one SIGCHLD evsignal: lines from
 * both pipes, exit statuses delivered exactly once, many short children,
 * kill, free in a callback, and the EXITED + EOF rule in both orders.
 * Every run has a guard timer, so a bug fails a test instead of hanging.
 */
#include "config.h"

#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/xmalloc.h"
#include "hostagent/ha-proc.h"
#include "tests/tap.h"

#define T_GUARD_MSEC 10000 /* per run of the loop */
#define T_MANY       40    /* short children at once */
#define T_LINES_MAX  16

static struct event_base *base;
static struct ha_jobs *jobs;
static int guard_fired;

struct rec {
	char *out[T_LINES_MAX];
	int nout;
	char *err[T_LINES_MAX];
	int nerr;
	size_t lens[T_LINES_MAX];
	int ndone;
	int status;
	int flags_at_done;
	int free_on_line; /* ha_job_free from the line callback */
	int free_on_done; /* ha_job_free from the done callback */
	struct ha_job *job;
	int *pending; /* decremented at done; loopbreak at 0 */
};

static void
rec_clear(struct rec *r)
{
	int i;

	for (i = 0; i < r->nout; i++)
		free(r->out[i]);
	for (i = 0; i < r->nerr; i++)
		free(r->err[i]);
	memset(r, 0, sizeof *r);
}

static void
t_guard_cb(evutil_socket_t fd, short events, void *arg)
{
	guard_fired = 1;
	event_base_loopbreak(base);
}

static void
t_break_cb(evutil_socket_t fd, short events, void *arg)
{
	event_base_loopbreak(base);
}

/* Runs the loop until something breaks it or msec pass. */
static void
run(int msec, int is_guard)
{
	struct timeval tv = { msec / 1000, (msec % 1000) * 1000 };
	struct event *ev;

	ev = evtimer_new(base, is_guard ? t_guard_cb : t_break_cb, NULL);
	evtimer_add(ev, &tv);
	guard_fired = 0;
	event_base_dispatch(base);
	event_free(ev);
}

static void
t_line_cb(struct ha_job *job, int fd, const char *line, size_t len, void *arg)
{
	struct rec *r = arg;

	if (fd == 1 && r->nout < T_LINES_MAX) {
		r->lens[r->nout] = len;
		r->out[r->nout++] = xstrdup(line);
	}
	if (fd == 2 && r->nerr < T_LINES_MAX)
		r->err[r->nerr++] = xstrdup(line);
	if (r->free_on_line) {
		ha_job_free(job);
		r->job = NULL;
		if (r->pending != NULL && --*r->pending == 0)
			event_base_loopbreak(base);
	}
}

static void
t_done_cb(struct ha_job *job, int status, void *arg)
{
	struct rec *r = arg;

	r->ndone++;
	r->status = status;
	r->flags_at_done = ha_job_flags(job);
	if (r->free_on_done)
		ha_job_free(job); /* allowed: it is freed on return anyway */
	r->job = NULL;
	if (r->pending != NULL && --*r->pending == 0)
		event_base_loopbreak(base);
}

static struct ha_job *
start(struct rec *r, int *pending, int flags, const char *const *env,
    const char *a0, const char *a1, const char *a2)
{
	const char *argv[4] = { a0, a1, a2, NULL };
	char *cause = NULL;

	r->pending = pending;
	r->job = ha_job_start(
	    jobs, argv, env, flags, t_line_cb, t_done_cb, r, &cause);
	if (r->job == NULL) {
		printf("# ha_job_start: %s\n", cause);
		free(cause);
	}
	return r->job;
}

static void
test_basic(void)
{
	struct rec r = { 0 };
	int pending = 1;
	char *s;

	ok(start(&r, &pending, 0, NULL, "sh", "-c",
	       "echo out; echo err >&2; exit 3") != NULL,
	    "spawn sh -c");
	ok(ha_job_flags(r.job) & HA_JOB_RUNNING, "job is RUNNING");
	is_int(ha_jobs_count(jobs), 1, "one job on the list");
	run(T_GUARD_MSEC, 1);
	ok(!guard_fired, "done before the guard");
	is_int(r.ndone, 1, "done ran once");
	ok(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3, "exit status 3");
	is_int(r.nout, 1, "one stdout line");
	is_str(r.nout > 0 ? r.out[0] : NULL, "out", "stdout line");
	is_int(r.nerr, 1, "one stderr line");
	is_str(r.nerr > 0 ? r.err[0] : NULL, "err", "stderr line");
	is_int(r.flags_at_done,
	    HA_JOB_EXITED | HA_JOB_OUT_EOF | HA_JOB_ERR_EOF | HA_JOB_DONE,
	    "flags at done: EXITED, both EOF");
	is_int(ha_jobs_count(jobs), 0, "job freed after done");
	s = ha_job_status_string(r.status);
	is_str(s, "exit status 3", "status string");
	free(s);
	/* Nothing more arrives later. */
	run(100, 0);
	is_int(r.ndone, 1, "done still ran only once");
	rec_clear(&r);
}

static void
test_many(void)
{
	struct rec r[T_MANY];
	char script[64];
	int pending = T_MANY, i, good = 0, once = 0;

	memset(r, 0, sizeof r);
	for (i = 0; i < T_MANY; i++) {
		snprintf(script, sizeof script, "echo %d; exit %d", i, i % 7);
		if (start(&r[i], &pending, 0, NULL, "sh", "-c", script) == NULL)
			pending--;
	}
	run(T_GUARD_MSEC, 1);
	ok(!guard_fired, "%d short children all done", T_MANY);
	for (i = 0; i < T_MANY; i++) {
		if (r[i].ndone == 1)
			once++;
		if (WIFEXITED(r[i].status) &&
		    WEXITSTATUS(r[i].status) == i % 7 && r[i].nout == 1 &&
		    atoi(r[i].out[0]) == i)
			good++;
		rec_clear(&r[i]);
	}
	is_int(once, T_MANY, "each done exactly once");
	is_int(good, T_MANY, "each got its own status and output");
	is_int(ha_jobs_count(jobs), 0, "all freed");
}

static void
test_kill(void)
{
	struct rec r = { 0 };
	int pending = 1;
	char *s;

	/* A group: the background sleep holds the pipes open. */
	start(&r, &pending, HA_JOB_SPAWN_PGRP, NULL, "sh", "-c",
	    "sleep 30 & wait");
	run(100, 0);
	ok(r.job != NULL && ha_job_kill(r.job, SIGTERM) == 0, "kill the group");
	run(T_GUARD_MSEC, 1);
	ok(!guard_fired, "killed job done");
	ok(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGTERM,
	    "died of SIGTERM");
	s = ha_job_status_string(r.status);
	is_str(s, "signal: terminated", "status string");
	free(s);
	rec_clear(&r);
}

static void
t_probe_cb(evutil_socket_t fd, short events, void *arg)
{
	struct rec *r = arg;

	r->flags_at_done = r->job != NULL ? ha_job_flags(r->job) : -1;
}

/* Checks flags at msec while the loop runs. */
static void
probe_at(struct rec *r, int msec, int *flags)
{
	struct timeval tv = { 0, msec * 1000 };
	struct event *ev;

	ev = evtimer_new(base, t_probe_cb, r);
	evtimer_add(ev, &tv);
	run(msec + 50, 0);
	event_free(ev);
	*flags = r->flags_at_done;
}

static void
test_exit_before_eof(void)
{
	struct rec r = { 0 };
	int pending = 1, flags;

	start(&r, &pending, 0, NULL, "sh", "-c",
	    "(sleep 0.4; echo late) & exit 0");
	probe_at(&r, 200, &flags);
	ok(flags != -1 && (flags & HA_JOB_EXITED) && !(flags & HA_JOB_OUT_EOF),
	    "reaped while a grandchild holds stdout (flags %#x)", flags);
	is_int(r.ndone, 0, "not done while EOF is missing");
	is_int(ha_jobs_count(jobs), 1, "not freed while EOF is missing");
	run(T_GUARD_MSEC, 1);
	is_int(r.ndone, 1, "done after EOF");
	is_str(r.nout > 0 ? r.out[0] : NULL, "late", "late line delivered");
	is_int(ha_jobs_count(jobs), 0, "freed after EXITED+EOF");
	rec_clear(&r);
}

static void
test_eof_before_exit(void)
{
	struct rec r = { 0 };
	int pending = 1, flags;

	start(&r, &pending, 0, NULL, "sh", "-c",
	    "exec >/dev/null 2>&1; sleep 0.4; exit 5");
	probe_at(&r, 200, &flags);
	ok(flags != -1 && (flags & HA_JOB_OUT_EOF) &&
		(flags & HA_JOB_ERR_EOF) && (flags & HA_JOB_RUNNING),
	    "both EOF while still running (flags %#x)", flags);
	is_int(r.ndone, 0, "not done before reaped");
	run(T_GUARD_MSEC, 1);
	is_int(r.ndone, 1, "done once reaped");
	ok(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 5, "status 5");
	rec_clear(&r);
}

static void
test_free(void)
{
	struct rec r = { 0 };
	int pending = 1;

	/* ha_job_free of a running job: SIGTERM, no callback. */
	start(&r, &pending, 0, NULL, "sleep", "30", NULL);
	ok(r.job != NULL, "spawn sleep");
	ha_job_free(r.job);
	is_int(ha_jobs_count(jobs), 0, "freed while running");
	run(200, 0);
	is_int(r.ndone, 0, "no done callback after free");
	rec_clear(&r);

	/* ha_job_free from the line callback. */
	r.free_on_line = 1;
	pending = 1;
	start(&r, &pending, 0, NULL, "sh", "-c", "echo a; echo b; sleep 30");
	run(T_GUARD_MSEC, 1);
	is_int(r.nout, 1, "freed in the first line callback: no more lines");
	is_int(ha_jobs_count(jobs), 0, "job gone");
	run(100, 0);
	is_int(r.ndone, 0, "no done callback");
	rec_clear(&r);

	r.free_on_done = 1;
	pending = 1;
	start(&r, &pending, 0, NULL, "true", NULL, NULL);
	run(T_GUARD_MSEC, 1);
	ok(r.ndone == 1 && ha_jobs_count(jobs) == 0,
	    "ha_job_free inside the done callback");
	rec_clear(&r);
}

static void
test_env_stdin(void)
{
	static const char *env[] = { "CLIMA_T=bar", "HOME", NULL };
	struct rec r = { 0 };
	int pending = 1;

	start(&r, &pending, 0, env, "sh", "-c",
	    "echo $CLIMA_T; echo ${HOME-unset}");
	run(T_GUARD_MSEC, 1);
	is_str(r.nout > 0 ? r.out[0] : NULL, "bar", "env addition");
	is_str(r.nout > 1 ? r.out[1] : NULL, "unset", "env removal");
	rec_clear(&r);

	pending = 1;
	start(&r, &pending, HA_JOB_SPAWN_STDIN, NULL, "cat", NULL, NULL);
	ok(r.job != NULL && ha_job_write(r.job, "hello\nworld", 11) == 0,
	    "write to stdin");
	ha_job_close_stdin(r.job);
	run(T_GUARD_MSEC, 1);
	is_int(r.nout, 2, "two lines back");
	is_str(r.nout > 0 ? r.out[0] : NULL, "hello", "first line");
	is_str(
	    r.nout > 1 ? r.out[1] : NULL, "world", "unterminated tail at EOF");
	ok(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "cat exit 0");
	rec_clear(&r);

	/* stdin is /dev/null by default: cat ends at once. */
	pending = 1;
	start(&r, &pending, 0, NULL, "cat", NULL, NULL);
	run(T_GUARD_MSEC, 1);
	ok(!guard_fired && r.ndone == 1 && r.nout == 0, "stdin from /dev/null");
	rec_clear(&r);
}

static void
test_long_and_errors(void)
{
	struct rec r = { 0 };
	int pending = 1;
	char *cause = NULL;
	const char *argv[] = { "clima-no-such-command", NULL };

	start(&r, &pending, 0, NULL, "sh", "-c",
	    "head -c 20000 /dev/zero | tr '\\0' x; echo; echo next");
	run(T_GUARD_MSEC, 1);
	is_int(r.nout, 4, "a 20000-byte line comes in 3 pieces, then next");
	ok(r.lens[0] == HA_JOB_LINE_MAX && r.lens[1] == HA_JOB_LINE_MAX &&
		r.lens[2] == 20000 - 2 * HA_JOB_LINE_MAX,
	    "pieces bounded by HA_JOB_LINE_MAX");
	is_str(r.nout > 3 ? r.out[3] : NULL, "next", "line after it intact");
	rec_clear(&r);

	ok(ha_job_start(jobs, argv, NULL, 0, NULL, NULL, NULL, &cause) == NULL,
	    "missing command refused");
	is_str(cause,
	    "exec: \"clima-no-such-command\": executable file not found in "
	    "$PATH",
	    "Go's wording for a missing command");
	free(cause);
	is_int(ha_jobs_count(jobs), 0, "nothing left behind");
}

int
main(void)
{
	struct event *sigchld;

	alarm(120);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	jobs = ha_jobs_new(base);
	sigchld = evsignal_new(base, SIGCHLD, ha_jobs_sigchld_cb, jobs);
	evsignal_add(sigchld, NULL);

	test_basic();
	test_many();
	test_kill();
	test_exit_before_eof();
	test_eof_before_exit();
	test_free();
	test_env_stdin();
	test_long_and_errors();

	ha_jobs_free(jobs);
	event_free(sigchld);
	event_base_free(base);
	libevent_global_shutdown();
	return done_testing();
}
