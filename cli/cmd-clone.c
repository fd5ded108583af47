/* clima: limactl clone, rename. */
/*
 * Copies (or moves) a stopped instance to a new name, skipping the
 * protected marker and temporary files, then applies the edit flags to
 * the new lima.yaml.  Prints nothing on success, as Lima does.
 */
#include "config.h"

#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "expr/expr.h"
#include "store/store.h"

static const struct cli_flag *const cmd_clone_flag_sets[] = {
	cli_edit_flags, NULL
};

static int
cmd_clone_common(struct cmd_ctx *ctx, int move)
{
	const char *home = cli_lima_home(), *oldn = ctx->argv[0];
	const char *newn = ctx->argv[1], *verb = move ? "rename" : "clone";
	struct lima_config *oldcfg = NULL, *newcfg = NULL;
	struct store_inst *inst;
	struct node *doc;
	char *cause = NULL, *path, *old, *yaml = NULL, *dir, **exprs = NULL;
	size_t len, nexprs = 0;
	struct stat sb;

	if (store_validate_name(newn, &cause) != 0)
		cli_fatal("%s", cause);
	if (store_check_sock_len(home, newn, &cause) != 0)
		cli_fatal("%s", cause);
	if (strcmp(oldn, newn) == 0)
		cli_fatal("cannot %s an instance to the same name %s", verb,
		    cli_q(newn));
	inst = store_inspect(home, oldn, NULL, &cause);
	if (inst == NULL)
		cli_fatal("instance %s not found", cli_q(oldn));
	if (strcmp(inst->status, STORE_STATUS_STOPPED) != 0)
		cli_fatal("cannot %s a running instance", verb);
	dir = store_instance_dir(home, newn);
	if (stat(dir, &sb) == 0)
		cli_fatal("instance %s already exists (%s)", cli_q(newn),
		    cli_q(dir));

	/* Check the edited config before anything is copied. */
	xasprintf(&path, "%s/lima.yaml", inst->dir);
	old = cli_read_file(path, &len, &cause);
	if (old == NULL)
		cli_fatal("%s", cause);
	doc = node_from_yaml(old, len, path, &cause);
	if (doc == NULL)
		cli_fatal("%s", cause);
	if (cli_editflags_exprs(ctx, 0, doc, &exprs, &nexprs, &cause) != 0)
		cli_fatal("%s", cause);
	node_free(doc);
	if (expr_apply_yaml(old, len, (const char *const *)exprs, nexprs,
	    &yaml, &cause) != 0)
		cli_fatal("%s", cause);
	if (nexprs > 0) {
		oldcfg = cli_config_load(oldn, path, &cause);
		newcfg = cli_config_load_buf(newn, yaml, strlen(yaml), dir, 1,
		    &cause);
		if (newcfg == NULL)
			cli_fatal("%s", cause);
		if (oldcfg != NULL &&
		    config_validate_against(oldcfg, newcfg, &cause) != 0)
			cli_fatal("%s", cause);
	}
	free(path);

	if (store_clone(home, oldn, newn, move, &cause) != 0)
		cli_fatal("failed to %s %s to %s: %s", verb, cli_q(oldn),
		    cli_q(newn), cause);
	if (nexprs > 0) {
		xasprintf(&path, "%s/lima.yaml", dir);
		if (store_write_file_atomic(path, yaml, strlen(yaml), 0644,
		    &cause) != 0)
			cli_fatal("%s", cause);
		free(path);
	}
	config_free(oldcfg);
	config_free(newcfg);
	cli_strv_free(exprs, nexprs);
	store_inst_free(inst);
	free(old);
	free(yaml);
	free(dir);
	return 0;
}

static int
cmd_clone_exec(struct cmd_ctx *ctx)
{
	return cmd_clone_common(ctx, 0);
}

static int
cmd_rename_exec(struct cmd_ctx *ctx)
{
	return cmd_clone_common(ctx, 1);
}

const struct cmd_entry cmd_clone_entry = {
	.name = "clone",
	.group = "advanced",
	.usage = "clone OLDINST NEWINST",
	.short_help = "Clone an instance of Lima",
	.long_help = "Clone an instance of Lima.\n\n"
		     "Not to be confused with 'limactl copy' ('limactl cp').",
	.flag_sets = cmd_clone_flag_sets,
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_clone_exec,
};

const struct cmd_entry cmd_rename_entry = {
	.name = "rename",
	.group = "advanced",
	.usage = "rename OLDINST NEWINST",
	.short_help = "Rename an instance of Lima",
	.flag_sets = cmd_clone_flag_sets,
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_rename_exec,
};
