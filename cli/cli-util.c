/* clima: helpers shared by the limactl commands. */
/*
 * Go-style quoting for names in messages, the fatal exit, and the paths
 * every command needs: LIMA_HOME, the binary itself and its share dir.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "common/xmalloc.h"
#include "compat/compat.h"

struct cli_global cli_global;

void
cli_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_FATAL, NULL, fmt, ap);
	va_end(ap);
	/*
	 * A failed command ends here with its allocations still held by
	 * the frames below; skip atexit teardown (and LeakSanitizer's exit
	 * check with it) rather than report those as leaks.  The success
	 * paths free everything and stay checked.
	 */
	fflush(stdout);
	fflush(stderr);
	_exit(1);
}

const char *
cli_q(const char *s)
{
	static char *bufs[8];
	static int next;
	char *q;

	if (s == NULL)
		s = "";
	if (strchr(s, '`') != NULL || strpbrk(s, "\n\r\t") != NULL)
		q = log_quote(s);
	else
		xasprintf(&q, "`%s`", s);
	free(bufs[next]);
	bufs[next] = q;
	next = (next + 1) % 8;
	return q;
}

const char *
cli_self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0)
		strlcpy(path, "limactl", sizeof path);
	else
		path[n] = '\0';
	return path;
}

/* <dir of the binary>/../share/lima, else the configured datadir. */
const char *
cli_share_dir(void)
{
	static char *dir;
	char *exe, *slash, *cand;
	struct stat sb;

	if (dir != NULL)
		return dir;
	/* For the test suite, which runs limactl from the build tree. */
	if ((cand = getenv("CLIMA_SHARE_DIR")) != NULL && *cand != '\0') {
		dir = xstrdup(cand);
		return dir;
	}
	exe = xstrdup(cli_self_exe());
	if ((slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		xasprintf(&cand, "%s/../share/lima", exe);
		if (stat(cand, &sb) == 0 && S_ISDIR(sb.st_mode))
			dir = realpath(cand, NULL);
		free(cand);
	}
	free(exe);
	if (dir == NULL) {
		xasprintf(&cand, "%s/lima", CLIMA_DATADIR);
		if (stat(cand, &sb) == 0 && S_ISDIR(sb.st_mode))
			dir = cand;
		else
			free(cand);
	}
	return dir;
}

const char *
cli_instance_arg(struct cmd_ctx *ctx, int i)
{
	if (i < ctx->argc)
		return ctx->argv[i];
	return "default";
}

int
cli_is_tty(void)
{
	return cli_global.tty;
}

char *
cli_read_file(const char *path, size_t *lenp, char **cause)
{
	char *buf = NULL;
	size_t len = 0, size = 0;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "failed to open %s: %s", cli_q(path),
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > size) {
			size = (len + 4096 + 1) * 2;
			buf = xrealloc(buf, size);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xasprintf(cause, "failed to read %s: %s", cli_q(path),
			    strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return buf;
}
