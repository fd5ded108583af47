/* clima: run a helper program (qemu-img, ssh-keygen) and wait for it. */
/*
 * common/run.c does the work; this gives the store's callers Go's error
 * texts, and -2 for "could not exec", which is how they fall back when
 * qemu-img is missing.  Blocking: for the CLI, not for an event loop.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/run.h"
#include "common/xmalloc.h"
#include "store/store-int.h"

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

int
store_run(const char *const *argv, char **out, char **cause)
{
	struct run_req req;
	char **args, *cmd, *err = NULL, *o = NULL;
	size_t i, n;
	int status, e, ret = -1;

	for (n = 0; argv[n] != NULL; n++)
		;
	args = xcalloc(n + 1, sizeof *args);
	for (i = 0; i < n; i++)
		args[i] = xstrdup(argv[i]);
	cmd = store_run_join(argv);
	memset(&req, 0, sizeof req);
	req.argv = args;
	req.flags = RUN_NULL_STDIN;
	req.out = &o;
	req.out_max = STORE_RUN_STDOUT_MAX;
	req.err = &err;
	req.err_max = STORE_RUN_STDERR_MAX;
	status = run_wait(&req, &e, cause);
	if (status == -1 && e != 0) {
		xasprintf(cause, "exec: \"%s\": %s", args[0],
		    store_strerror(e));
		ret = -2;
	} else if (req.signo != 0) {
		xasprintf(cause, "failed to run %s: signal: %s", cmd,
		    strsignal(req.signo));
	} else if (status > 0) {
		xasprintf(cause, "failed to run %s: exit status %d%s%s", cmd,
		    status, *err != '\0' ? ": " : "",
		    *err != '\0' ? store_trim(err) : "");
	} else if (status == 0) {
		log_debug("%s: %s: ok", __func__, cmd);
		if (out != NULL) {
			*out = o;
			o = NULL;
		}
		ret = 0;
	}
	for (i = 0; i < n; i++)
		free(args[i]);
	free(args);
	free(cmd);
	free(o);
	free(err);
	return ret;
}
