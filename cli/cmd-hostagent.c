/* clima: limactl hostagent (hidden; spawned by limactl start). */
/*
 * Runs the per-instance daemon in this process: see hostagent/ and
 * docs/internals/hostagent.md.  Its stdout is the event stream and its
 * stderr the JSON log, as limactl start arranges.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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
	if ((env = getenv("CLIMA_BOOT_DIR")) != NULL && *env != '\0')
		boot = xstrdup(env);
	else if (cli_share_dir() != NULL)
		xasprintf(&boot, "%s/boot", cli_share_dir());
	else
		cli_fatal("cannot find the guest boot scripts: no "
			  "share/lima next to %s (hint: run `make install`)",
		    cli_self_exe());
	opts.boot_dir = boot;
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
