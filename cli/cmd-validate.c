/* clima: limactl validate, and limactl template (copy, validate, yq). */
/*
 * validate loads a template as if it were the lima.yaml of an instance
 * named after the file, fills the defaults and checks every rule;
 * template copy writes a template with its locators made absolute or its
 * bases embedded; template yq evaluates an expression on the filled form.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "expr/expr.h"
#include "store/store.h"
#include "tmpl/tmpl.h"

static const struct cli_flag cmd_validate_own_flags[] = {
	{ "fill", 0, FLAG_BOOL, "false", "Fill defaults", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_validate_flag_sets[] = {
	cmd_validate_own_flags, NULL
};

/* Embeds and fills the template at locator; the config is the caller's. */
static struct lima_config *
cmd_validate_load(const char *locator, char **cause)
{
	struct lima_config *cfg = NULL;
	struct tmpl *t;
	char *file, *why = NULL;

	t = cli_template_load(locator, 1, &why);
	if (t == NULL)
		goto fail;
	if (tmpl_need_name(t, &why) != 0) {
		tmpl_free(t);
		goto fail;
	}
	/* Defaults as if for the instance $LIMA_HOME/<name>.yaml. */
	xasprintf(&file, "%s/%s.yaml", cli_lima_home(), t->name);
	cfg = cli_config_load_buf(t->name, t->bytes, t->len, file, 1, &why);
	free(file);
	tmpl_free(t);
	if (cfg != NULL)
		return cfg;
fail:
	xasprintf(cause, "failed to validate YAML file %s: %s", cli_q(locator),
	    why);
	free(why);
	return NULL;
}

static void
cmd_validate_print_filled(const struct lima_config *cfg)
{
	struct node *n = config_to_node(cfg);
	char *y = node_to_yaml(n);

	fputs(y, stdout);
	free(y);
	node_free(n);
}

static int
cmd_validate_exec(struct cmd_ctx *ctx)
{
	struct lima_config *cfg;
	char *cause = NULL;
	int i;

	for (i = 0; i < ctx->argc; i++) {
		cfg = cmd_validate_load(ctx->argv[i], &cause);
		if (cfg == NULL)
			cli_fatal("%s", cause);
		log_info("%s: OK", cli_q(ctx->argv[i]));
		if (cmd_flag_bool(ctx, "fill"))
			cmd_validate_print_filled(cfg);
		config_free(cfg);
	}
	return 0;
}

const struct cmd_entry cmd_validate_entry = {
	.name = "validate",
	.group = "advanced",
	.usage = "validate FILE.yaml [FILE.yaml, ...]",
	.short_help = "Validate YAML templates",
	.flag_sets = cmd_validate_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_validate_exec,
};

static const struct cmd_entry cmd_template_validate_entry = {
	.name = "validate",
	.usage = "template validate TEMPLATE [TEMPLATE, ...]",
	.short_help = "Validate YAML templates",
	.flag_sets = cmd_validate_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_validate_exec,
};

static const struct cli_flag cmd_template_copy_own_flags[] = {
	{ "embed", 0, FLAG_BOOL, "false", "Embed external dependencies into "
	    "template", 0 },
	{ "embed-all", 0, FLAG_BOOL, "false", "Embed all dependencies into "
	    "template", 0 },
	{ "fill", 0, FLAG_BOOL, "false", "Fill defaults", 0 },
	{ "verbatim", 0, FLAG_BOOL, "false", "Don't make locators absolute",
	    0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_template_copy_flag_sets[] = {
	cmd_template_copy_own_flags, NULL
};

static int
cmd_template_copy_exec(struct cmd_ctx *ctx)
{
	const char *dest = ctx->argc > 1 ? ctx->argv[1] : "-";
	int embed = cmd_flag_bool(ctx, "embed");
	int embed_all = cmd_flag_bool(ctx, "embed-all");
	int fill = cmd_flag_bool(ctx, "fill");
	int verbatim = cmd_flag_bool(ctx, "verbatim");
	struct tmpl_dirs *dirs;
	struct lima_config *cfg;
	struct tmpl *t;
	struct node *n;
	char *cause = NULL, *out = NULL;
	size_t len;

	if (verbatim && (embed || embed_all || fill))
		cli_fatal("--verbatim cannot be combined with --embed, "
			  "--embed-all or --fill");
	if (fill) {
		cfg = cmd_validate_load(ctx->argv[0], &cause);
		if (cfg == NULL)
			cli_fatal("%s", cause);
		n = config_to_node(cfg);
		out = node_to_yaml(n);
		node_free(n);
		config_free(cfg);
	} else {
		t = cli_template_load(ctx->argv[0], 0, &cause);
		if (t == NULL)
			cli_fatal("%s", cause);
		dirs = cli_tmpl_dirs();
		if (embed || embed_all) {
			if (tmpl_embed(t, dirs, embed_all, 0, cli_lima_home(),
			    &cause) != 0)
				cli_fatal("%s", cause);
		} else if (!verbatim &&
		    tmpl_use_abs_locators(t, &cause) != 0)
			cli_fatal("%s", cause);
		tmpl_dirs_free(dirs);
		out = xstrndup(t->bytes, t->len);
		tmpl_free(t);
	}
	len = strlen(out);
	if (strcmp(dest, "-") == 0)
		fwrite(out, 1, len, stdout);
	else if (store_write_file_atomic(dest, out, len, 0644, &cause) != 0)
		cli_fatal("%s", cause);
	free(out);
	return 0;
}

static const struct cmd_entry cmd_template_copy_entry = {
	.name = "copy",
	.usage = "template copy [flags] TEMPLATE [DEST|-]",
	.short_help = "Copy template",
	.flag_sets = cmd_template_copy_flag_sets,
	.min_args = 1,
	.max_args = 2,
	.exec = cmd_template_copy_exec,
};

static int
cmd_template_yq_exec(struct cmd_ctx *ctx)
{
	struct lima_config *cfg;
	struct node *n, **outs;
	size_t nouts, i;
	char *cause = NULL, *s;
	const char *str;

	cfg = cmd_validate_load(ctx->argv[0], &cause);
	if (cfg == NULL)
		cli_fatal("%s", cause);
	n = config_to_node(cfg);
	if (expr_eval(ctx->argv[1], n, EXPR_RESTRICTED, &outs, &nouts,
	    &cause) != 0)
		cli_fatal("%s", cause);
	for (i = 0; i < nouts; i++) {
		/* Scalars print raw, as yq does. */
		if (outs[i]->kind == NODE_SCALAR &&
		    (str = node_get_str(outs[i])) != NULL) {
			printf("%s\n", str);
			continue;
		}
		if (node_is_null(outs[i])) {
			printf("null\n");
			continue;
		}
		s = node_to_yaml(outs[i]);
		fputs(s, stdout);
		free(s);
	}
	expr_free_nodes(outs, nouts);
	node_free(n);
	config_free(cfg);
	return 0;
}

static const struct cmd_entry cmd_template_yq_entry = {
	.name = "yq",
	.usage = "template yq TEMPLATE EXPR",
	.short_help = "Query template expressions",
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_template_yq_exec,
};

static const struct cmd_entry *const cmd_template_subcmds[] = {
	&cmd_template_copy_entry, &cmd_template_validate_entry,
	&cmd_template_yq_entry, NULL
};

const struct cmd_entry cmd_template_entry = {
	.name = "template",
	.aliases = "tmpl",
	.group = "advanced",
	.usage = "template",
	.short_help = "Lima template management",
	.flags = CMD_EXPERIMENTAL,
	.min_args = 0,
	.max_args = -1,
	.subcmds = cmd_template_subcmds,
};
