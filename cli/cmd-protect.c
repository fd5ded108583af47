/* clima: limactl protect, unprotect. */
/*
 * The empty "protected" file in an instance directory makes delete and
 * factory-reset refuse; clone and rename never copy it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "store/store.h"

static int
cmd_protect_common(struct cmd_ctx *ctx, int protect)
{
	char *cause = NULL;
	int i, r, failed = 0;

	for (i = 0; i < ctx->argc; i++) {
		if (protect)
			r = store_protect(cli_lima_home(), ctx->argv[i],
			    &cause);
		else
			r = store_unprotect(cli_lima_home(), ctx->argv[i],
			    &cause);
		if (r < 0) {
			log_error("failed to inspect instance %s: %s",
			    cli_q(ctx->argv[i]), cause);
			free(cause);
			cause = NULL;
			failed = 1;
		} else if (r == 1 && protect)
			log_warnx("Instance %s is already protected. "
				  "Skipping.", cli_q(ctx->argv[i]));
		else if (r == 1)
			log_warnx("Instance %s isn't protected. Skipping.",
			    cli_q(ctx->argv[i]));
		else
			log_info("%s %s", protect ? "Protected" :
						    "Unprotected",
			    cli_q(ctx->argv[i]));
	}
	if (failed)
		cli_fatal("failed to %s %s", protect ? "protect" : "unprotect",
		    ctx->argc == 1 ? "the instance" : "some instances");
	return 0;
}

static int
cmd_protect_exec(struct cmd_ctx *ctx)
{
	return cmd_protect_common(ctx, 1);
}

static int
cmd_unprotect_exec(struct cmd_ctx *ctx)
{
	return cmd_protect_common(ctx, 0);
}

const struct cmd_entry cmd_protect_entry = {
	.name = "protect",
	.group = "advanced",
	.usage = "protect INSTANCE [INSTANCE, ...]",
	.short_help = "Protect an instance to prohibit accidental removal",
	.long_help = "Protect an instance to prohibit accidental removal.\n"
		     "Protected instances cannot be removed with `limactl "
		     "delete --force`.\n"
		     "The instance is not being protected against removal via "
		     "`/bin/rm`, Finder, etc.",
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_protect_exec,
};

const struct cmd_entry cmd_unprotect_entry = {
	.name = "unprotect",
	.group = "advanced",
	.usage = "unprotect INSTANCE [INSTANCE, ...]",
	.short_help = "Unprotect an instance",
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_unprotect_exec,
};
