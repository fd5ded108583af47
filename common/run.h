/* clima: run a program and wait for it, capturing what it prints. */
/*
 * fork + execvp with an argv, never a shell.  stdout and stderr are read
 * through pipes with poll, so that neither can fill up and block the
 * child; a third close-on-exec pipe tells "could not exec" apart from
 * "ran and failed".  Blocking: for the CLI, never for an event loop.
 */
#ifndef COMMON_RUN_H
#define COMMON_RUN_H

#include <stddef.h>

#define RUN_NULL_STDIN 0x1 /* stdin from /dev/null */
#define RUN_QUIET      0x2 /* streams not captured go to /dev/null */

struct run_req {
	char *const *argv;
	int flags;
	char **out; /* NULL: stdout not captured */
	size_t out_max; /* bytes kept; more are read and dropped */
	char **err; /* NULL: stderr not captured */
	size_t err_max;
	int signo; /* set by run_wait: the signal that ended it, or 0 */
};

/*
 * Runs req->argv and waits.  Returns the exit status (128 + N for a
 * signal N, which req->signo also holds) and fills the captured streams
 * (always strings, the caller's); or -1 with *exec_errno set when the
 * program could not be run (ENOENT: not found), or -1 with *cause on a
 * system failure (pipe, fork, waitpid).
 */
int run_wait(struct run_req *, int *exec_errno, char **cause);

#endif
