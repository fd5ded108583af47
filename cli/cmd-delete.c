/* clima: limactl delete (remove, rm). */
/*
 * Refuses protected and running instances (unless --force), always stops
 * forcibly first as Lima does, releases additional disks, then removes
 * the directory.  A directory without a readable lima.yaml is kept.
 */
#include "config.h"

#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/xmalloc.h"
#include "store/store.h"

static const struct cli_flag cmd_delete_own_flags[] = {
	{ "force", 'f', FLAG_BOOL, "false", "Forcibly kill the processes", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_delete_flag_sets[] = {
	cmd_delete_own_flags, NULL
};

static int
cmd_delete_exec(struct cmd_ctx *ctx)
{
	const char *home = cli_lima_home(), *name;
	struct store_inst *inst;
	struct stat sb;
	char *dir, *yaml, *cause = NULL;
	int i, force = cmd_flag_bool(ctx, "force");

	for (i = 0; i < ctx->argc; i++) {
		name = ctx->argv[i];
		if (store_validate_name(name, &cause) != 0)
			cli_fatal("%s", cause);
		dir = store_instance_dir(home, name);
		if (stat(dir, &sb) != 0) {
			log_warnx("Ignoring non-existent instance %s",
			    cli_q(name));
			free(dir);
			continue;
		}
		xasprintf(&yaml, "%s/lima.yaml", dir);
		if (stat(yaml, &sb) != 0)
			cli_fatal("instance %s directory %s exists but its "
				  "`lima.yaml` could not be read; it was NOT "
				  "deleted (hint: look inside and remove the "
				  "directory by hand if it is not needed)",
			    cli_q(name), cli_q(dir));
		free(yaml);
		if (store_is_protected(dir))
			cli_fatal("failed to delete instance %s: instance is "
				  "protected to prohibit accidental removal "
				  "(Hint: use `limactl unprotect`)",
			    cli_q(name));
		inst = store_inspect(home, name, NULL, &cause);
		if (inst == NULL)
			cli_fatal("failed to inspect instance %s: %s",
			    cli_q(name), cause);
		if (!force && strcmp(inst->status, STORE_STATUS_STOPPED) != 0)
			cli_fatal("failed to delete instance %s: expected "
				  "status `Stopped`, got %s (hint: use "
				  "`limactl delete --force %s` or `limactl "
				  "stop %s` first)",
			    cli_q(name), cli_q(inst->status), name, name);
		cli_stop_forcibly(inst);
		store_inst_free(inst);
		if (store_delete_instance(home, name, &cause) != 0)
			cli_fatal("failed to delete instance %s: %s",
			    cli_q(name), cause);
		log_info("Deleted %s (%s)", cli_q(name), cli_q(dir));
		free(dir);
	}
	return 0;
}

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.aliases = "remove,rm",
	.group = "basic",
	.usage = "delete INSTANCE [INSTANCE, ...]",
	.short_help = "Delete an instance of Lima",
	.flag_sets = cmd_delete_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_delete_exec,
};
