/* clima: tests for common/run.c, running a program and waiting for it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/run.h"
#include "tests/tap.h"

/* Runs `sh -c script` (or prog alone when script is NULL). */
static int
t_run(const char *prog, const char *script, int flags, char **out,
    size_t out_max, char **err, int *signo, int *e)
{
	struct run_req req;
	char *cause = NULL, *argv[4];
	int r, i, n = 0;

	argv[n++] = strdup(prog);
	if (script != NULL) {
		argv[n++] = strdup("-c");
		argv[n++] = strdup(script);
	}
	argv[n] = NULL;
	memset(&req, 0, sizeof req);
	req.argv = argv;
	req.flags = flags;
	req.out = out;
	req.out_max = out_max;
	req.err = err;
	req.err_max = 1024;
	r = run_wait(&req, e, &cause);
	free(cause);
	if (signo != NULL)
		*signo = req.signo;
	for (i = 0; i < n; i++)
		free(argv[i]);
	return r;
}

int
main(void)
{
	const char *both = "printf out; printf err >&2; exit 3";
	char *out = NULL, *err = NULL;
	int e, signo;

	is_int(t_run("true", NULL, 0, NULL, 0, NULL, NULL, &e), 0, "true: 0");
	is_int(t_run("false", NULL, 0, NULL, 0, NULL, NULL, &e), 1,
	    "false: 1");
	is_int(t_run("sh", both, 0, &out, 64, &err, NULL, &e), 3, "exit 3");
	is_str(out, "out", "stdout captured");
	is_str(err, "err", "stderr captured");
	free(out);
	free(err);
	is_int(t_run("sh", "yes | head -c 100000", 0, &out, 10, NULL, NULL,
	    &e), 0, "a big output does not block");
	is_int((long long)strlen(out), 10, "kept to out_max");
	free(out);
	is_int(t_run("sh", "kill -TERM $$", 0, NULL, 0, NULL, &signo, &e),
	    128 + 15, "killed by SIGTERM: 143");
	is_int(signo, 15, "signo");
	is_int(t_run("/nonexistent/clima-run-test", NULL, 0, NULL, 0, NULL,
	    NULL, &e), -1, "missing: -1");
	is_int(e, ENOENT, "missing: ENOENT");
	is_int(t_run("sh", "cat; echo done", RUN_NULL_STDIN, &out, 64, NULL,
	    NULL, &e), 0, "stdin from /dev/null");
	is_str(out, "done\n", "stdin was empty");
	free(out);
	is_int(t_run("sh", both, RUN_QUIET, NULL, 0, NULL, NULL, &e), 3,
	    "quiet run");
	return done_testing();
}
