/* clima: limactl hostagent (hidden; spawned by limactl start). */
/*
 * Runs the per-instance daemon in this process: see hostagent/ and
 * docs/internals/hostagent.md.  Its stdout is the event stream and its
 * stderr the JSON log, as limactl start arranges.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/xmalloc.h"
#include "hostagent/hostagent.h"

static const struct cli_flag cmd_hostagent_own_flags[] = {
	{ "pidfile", 'p', FLAG_STRING, NULL, "PID file", 0 },
	{ "socket", 0, FLAG_STRING, NULL, "Path of hostagent socket", 0 },
	{ "guestagent", 0, FLAG_STRING, NULL, "Local file path (not URL) of "
	    "lima-guestagent.OS-ARCH[.gz]", 0 },
	{ "nerdctl-archive", 0, FLAG_STRING, NULL, "Local file path (not "
	    "URL) of nerdctl-full-VERSION-GOOS-GOARCH.tar.gz", 0 },
	{ "progress", 0, FLAG_BOOL, "false", "Show provision script "
	    "progress by tailing cloud-init logs", 0 },
	{ "run-gui", 0, FLAG_BOOL, "false", "Run GUI synchronously within "
	    "hostagent", CLI_FLAG_HIDDEN },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_hostagent_flag_sets[] = {
	cmd_hostagent_own_flags, NULL
};

/*
 * The hostagent proper is the small clima-hostagent program (it links
 * none of the CLI's heavy libraries); exec it when it is installed next
 * to us (libexec/clima) or built beside us (the build tree).
 */
static void
cmd_hostagent_exec_lean(const struct hostagent_opts *o)
{
	const char *env = getenv("CLIMA_HOSTAGENT_BIN");
	char *dir, *slash, *cands[4], *argv[16];
	size_t i, n = 0;
	int a = 0;

	dir = xstrdup(cli_self_exe());
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	cands[n++] = env != NULL && *env != '\0' ? xstrdup(env) : NULL;
	xasprintf(&cands[n++], "%s/../libexec/clima/clima-hostagent", dir);
	xasprintf(&cands[n++], "%s/../hostagent/clima-hostagent", dir);
	xasprintf(&cands[n++], "%s/clima-hostagent", CLIMA_PKGLIBEXECDIR);
	free(dir);
	for (i = 0; i < n; i++) {
		if (cands[i] == NULL || access(cands[i], X_OK) != 0)
			continue;
		argv[a++] = xstrdup(cands[i]);
		if (o->debug)
			argv[a++] = xstrdup("--debug");
		if (o->progress)
			argv[a++] = xstrdup("--progress");
		if (o->pidfile != NULL) {
			argv[a++] = xstrdup("--pidfile");
			argv[a++] = xstrdup(o->pidfile);
		}
		argv[a++] = xstrdup("--socket");
		argv[a++] = xstrdup(o->sockpath);
		argv[a++] = xstrdup("--boot-dir");
		argv[a++] = xstrdup(o->boot_dir);
		if (o->guest_agent != NULL) {
			argv[a++] = xstrdup("--guestagent");
			argv[a++] = xstrdup(o->guest_agent);
		}
		if (o->nerdctl_archive != NULL) {
			argv[a++] = xstrdup("--nerdctl-archive");
			argv[a++] = xstrdup(o->nerdctl_archive);
		}
		argv[a++] = xstrdup(o->name);
		argv[a] = NULL;
		execv(argv[0], argv);
		log_warnx("cannot run %s: %s", argv[0], strerror(errno));
		while (a > 0)
			free(argv[--a]);
	}
	for (i = 0; i < n; i++)
		free(cands[i]);
}

static int
cmd_hostagent_exec(struct cmd_ctx *ctx)
{
	struct hostagent_opts opts;
	char *boot = NULL;
	const char *env;
	int ret;

	if (cmd_flag_str(ctx, "socket") == NULL)
		cli_fatal("socket must be specified (limactl version "
			  "mismatch?)");
	memset(&opts, 0, sizeof opts);
	opts.name = ctx->argv[0];
	opts.pidfile = cmd_flag_str(ctx, "pidfile");
	opts.sockpath = cmd_flag_str(ctx, "socket");
	opts.debug = cli_global.debug;
	opts.progress = cmd_flag_bool(ctx, "progress");
	opts.guest_agent = cmd_flag_str(ctx, "guestagent");
	opts.nerdctl_archive = cmd_flag_str(ctx, "nerdctl-archive");
	if ((env = getenv("CLIMA_BOOT_DIR")) != NULL && *env != '\0')
		boot = xstrdup(env);
	else if (cli_share_dir() != NULL)
		xasprintf(&boot, "%s/boot", cli_share_dir());
	else
		cli_fatal("cannot find the guest boot scripts: no "
			  "share/lima next to %s (hint: run `make install`)",
		    cli_self_exe());
	opts.boot_dir = boot;
	cmd_hostagent_exec_lean(&opts);
	/* No lean binary next to us: run the daemon in this process. */
	ret = hostagent_main(&opts);
	free(boot);
	return ret;
}

const struct cmd_entry cmd_hostagent_entry = {
	.name = "hostagent",
	.usage = "hostagent INSTANCE",
	.short_help = "Run the hostagent",
	.flag_sets = cmd_hostagent_flag_sets,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_HIDDEN,
	.exec = cmd_hostagent_exec,
};
