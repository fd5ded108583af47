/* clima: running helper programs from limactl (ssh, scp, qemu-img, ...). */
/*
 * Argument vectors, POSIX shell quoting, PATH lookup and a blocking
 * fork + execvp + waitpid that can capture a child's output.  Never a
 * shell.  Blocking is fine here: the CLI has no event loop while these
 * run.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "common/run.h"
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

int
cli_run(char *const *argv, int flags, char **outp, char **errp, char **cause)
{
	struct run_req req;
	char *cmd;
	int ret, e;

	cmd = cli_argv_join(argv);
	log_debug("%s: running %s", __func__, cmd);
	memset(&req, 0, sizeof req);
	req.argv = argv;
	req.flags = flags;
	req.out = outp;
	req.out_max = CLI_RUN_CAPTURE_MAX;
	req.err = errp;
	req.err_max = CLI_RUN_CAPTURE_MAX;
	ret = run_wait(&req, &e, cause);
	if (ret == -1 && e == ENOENT)
		*cause = cli_not_found(argv[0]);
	else if (ret == -1 && e != 0)
		xasprintf(cause, "fork/exec %s: %s", argv[0], strerror(e));
	else if (ret != -1)
		log_debug("%s: %s: exit status %d", __func__, cmd, ret);
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
