/* clima: limactl create. */
/*
 * Turns the argument into a template (a locator, "-" for stdin, an
 * instance name for the deprecated form, nothing for template:default),
 * embeds its bases, applies the edit flags, validates, writes the
 * instance directory and prepares its disk from the image.
 */
#include "config.h"

#include <sys/stat.h>
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

static const struct cli_flag cmd_create_own_flags[] = {
	{ "list-templates", 0, FLAG_BOOL, "false", "List available "
	    "templates and exit", 0 },
	{ "list-drivers", 0, FLAG_BOOL, "false", "List available drivers "
	    "and exit", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_create_flag_sets[] = {
	cmd_create_own_flags, cli_create_flags, cli_edit_flags, NULL
};

/* Whether arg reads as a locator rather than an instance name. */
static int
cmd_create_is_locator(const char *arg)
{
	static const char *const exts[] = { ".yaml", ".yml", ".img", ".qcow2",
		".raw", ".iso", ".gz", ".xz", ".bz2", ".zst", ".zstd", NULL };
	struct stat sb;
	size_t len = strlen(arg), i, n;

	if (strstr(arg, "://") != NULL || strncmp(arg, "template:", 9) == 0 ||
	    strncmp(arg, "github:", 7) == 0 || strchr(arg, '/') != NULL)
		return 1;
	for (i = 0; exts[i] != NULL; i++) {
		n = strlen(exts[i]);
		if (len > n && strcasecmp(arg + len - n, exts[i]) == 0)
			return 1;
	}
	return stat(arg, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Lists template names, hiding the "_" snippets. */
static void
cmd_create_list_templates(void)
{
	struct tmpl_dirs *dirs = cli_tmpl_dirs();
	char **names;
	size_t n, i;

	names = tmpl_list(dirs, &n);
	for (i = 0; i < n; i++) {
		if (names[i][0] != '_' && strstr(names[i], "/_") == NULL)
			printf("%s\n", names[i]);
	}
	tmpl_list_free(names, n);
	tmpl_dirs_free(dirs);
}

enum { CMD_CREATE_PROCEED, CMD_CREATE_EDITED, CMD_CREATE_OTHER,
	CMD_CREATE_EXIT };

/* Lima's template picker: "template:NAME" in *next, or 0 if none. */
static int
cmd_create_pick_template(char **next)
{
	struct tmpl_dirs *dirs = cli_tmpl_dirs();
	char **names, **shown;
	size_t n, i, m = 0;
	int c;

	names = tmpl_list(dirs, &n);
	tmpl_dirs_free(dirs);
	shown = xcalloc(n + 1, sizeof *shown);
	for (i = 0; i < n; i++) {
		if (names[i][0] != '_' && strstr(names[i], "/_") == NULL)
			shown[m++] = names[i];
	}
	c = cli_select("Choose a template", (const char *const *)shown, m,
	    0);
	if (c >= 0)
		xasprintf(next, "template:%s", shown[c]);
	free(shown);
	tmpl_list_free(names, n);
	return c >= 0;
}

/*
 * Lima's menu before an instance is created on a terminal: proceed, edit
 * the YAML first, pick another template, or leave.
 */
static int
cmd_create_menu(const char *name, char **yaml, char **next)
{
	static const char *const opts[] = {
		"Proceed with the current configuration",
		"Open an editor to review or modify the current configuration",
		"Choose another template (docker, fedora, alpine, ...)",
		"Exit",
	};
	char *q, *edited;
	int i;

	xasprintf(&q, "Creating an instance %s", cli_q(name));
	for (;;) {
		i = cli_select(q, opts, sizeof opts / sizeof *opts, 0);
		if (i == 0)
			break;
		if (i == 1) {
			edited = cli_edit_in_editor(name, *yaml, strlen(*yaml));
			if (cli_yaml_is_empty(edited))
				cli_fatal("Aborting, as requested by saving "
					  "the file with empty content");
			free(*yaml);
			*yaml = edited;
			free(q);
			return CMD_CREATE_EDITED;
		}
		if (i == 2) {
			if (cmd_create_pick_template(next)) {
				free(q);
				return CMD_CREATE_OTHER;
			}
			continue;
		}
		free(q);
		return CMD_CREATE_EXIT;
	}
	free(q);
	return CMD_CREATE_PROCEED;
}

/*
 * Loads or creates the instance for create/start.  Returns the instance
 * name (the caller's); *created is 1 when a new instance was written.
 */
char *
cli_create_or_load(struct cmd_ctx *ctx, int for_start, int *created)
{
	const char *arg = ctx->argc > 0 ? ctx->argv[0] : NULL;
	const char *locator, *home = cli_lima_home(), *what = NULL;
	char *name = NULL, *cause = NULL, *yaml = NULL, *dir = NULL;
	char *archive = NULL, *chosen = NULL, *next = NULL;
	char **exprs = NULL;
	int edited = 0;
	size_t nexprs = 0;
	struct tmpl *t = NULL;
	struct node *doc = NULL;
	struct lima_config *cfg = NULL;
	struct stat sb;

	*created = 0;
	if (cmd_flag_changed(ctx, "name"))
		name = xstrdup(cmd_flag_str(ctx, "name"));
	if (arg == NULL) {
		locator = "template:default";
		if (name == NULL)
			name = xstrdup("default");
	} else if (strcmp(arg, "-") == 0) {
		if (name == NULL)
			cli_fatal("must pass instance name with --name when "
				  "reading template from stdin");
		if (cli_global.tty_set && cli_global.tty)
			cli_fatal("cannot use --tty=true and read template "
				  "from stdin together");
		locator = "-";
	} else if (!cmd_create_is_locator(arg) &&
	    store_validate_name(arg, &cause) == 0) {
		/* The deprecated "limactl create NAME" form. */
		if (name != NULL && strcmp(name, arg) != 0)
			cli_fatal("instance name %s and --name %s differ",
			    cli_q(arg), cli_q(name));
		free(name);
		name = xstrdup(arg);
		dir = store_instance_dir(home, name);
		if (stat(dir, &sb) == 0) {
			if (!for_start)
				cli_fatal("instance %s already exists (%s)",
				    cli_q(name), cli_q(dir));
			goto out;
		}
		if (!for_start)
			log_warnx("The form `limactl create %s` is "
				  "deprecated. Use `limactl create --name=%s "
				  "template:default` instead", name, name);
		locator = "template:default";
	} else {
		free(cause);
		cause = NULL;
		locator = arg;
	}

render:
	t = cli_template_load(locator, 0, &cause);
	if (t == NULL)
		cli_fatal("%s", cause);
	if (name == NULL) {
		if (tmpl_need_name(t, &cause) != 0)
			cli_fatal("%s", cause);
		name = xstrdup(t->name);
	}
	if (store_validate_name(name, &cause) != 0)
		cli_fatal("%s", cause);
	if (store_check_sock_len(home, name, &cause) != 0)
		cli_fatal("%s", cause);
	free(dir);
	dir = store_instance_dir(home, name);
	if (stat(dir, &sb) == 0) {
		if (!for_start)
			cli_fatal("instance %s already exists (%s)",
			    cli_q(name), cli_q(dir));
		/* start FILE.yaml of an existing instance reuses it. */
		goto out;
	}
	{
		struct tmpl_dirs *dirs = cli_tmpl_dirs();

		if (tmpl_embed(t, dirs, 1, 1, home, &cause) != 0)
			cli_fatal("%s", cause);
		tmpl_dirs_free(dirs);
	}
	doc = node_from_yaml(t->bytes, t->len, "lima.yaml", &cause);
	if (doc == NULL)
		cli_fatal("failed to parse the template: %s", cause);
	if (cli_editflags_exprs(ctx, 1, doc, &exprs, &nexprs, &cause) != 0)
		cli_fatal("%s", cause);
	if (expr_apply_yaml(t->bytes, t->len, (const char *const *)exprs,
	    nexprs, &yaml, &cause) != 0)
		cli_fatal("failed to apply the edit flags: %s", cause);
	if (!cli_is_tty())
		log_info("Terminal is not available, proceeding without "
			 "opening an editor");
	else if (strcmp(t->location, "-") != 0) {
		switch (cmd_create_menu(name, &yaml, &next)) {
		case CMD_CREATE_EXIT:
			exit(0);
		case CMD_CREATE_OTHER:
			/* Start over from the chosen template. */
			free(chosen);
			chosen = next;
			locator = chosen;
			node_free(doc);
			doc = NULL;
			tmpl_free(t);
			t = NULL;
			cli_strv_free(exprs, nexprs);
			exprs = NULL;
			nexprs = 0;
			free(yaml);
			yaml = NULL;
			goto render;
		case CMD_CREATE_EDITED:
			edited = 1;
			break;
		default:
			break;
		}
	}
	cfg = cli_config_load_buf(name, yaml, strlen(yaml),
	    strcmp(t->location, "-") == 0 ? "stdin" : t->location, 1, &cause);
	if (cfg == NULL) {
		char *why = NULL;

		if (edited && store_write_file_atomic("lima.REJECTED.yaml",
		    yaml, strlen(yaml), 0644, &why) == 0)
			cli_fatal("the YAML is invalid, saved the buffer as "
				  "`lima.REJECTED.yaml`: %s", cause);
		cli_fatal("%s", cause);
	}
	if (store_ensure_user_key(home, &cause) != 0)
		cli_fatal("%s", cause);
	if (store_instance_create(home, name, yaml, strlen(yaml), &cause) != 0)
		cli_fatal("%s", cause);
	*created = 1;
	if (cli_prepare_disk(name, cfg, &cause) != 0)
		what = "prepare the disk of";
	else if (!for_start &&
	    cli_prefetch_nerdctl(cfg, &archive, &cause) != 0)
		what = "download the nerdctl archive for";
	free(archive);
	if (what != NULL) {
		char *why = cause, *del = NULL;

		cause = NULL;
		if (store_delete_instance(home, name, &del) != 0)
			cli_fatal("%s (and removing the instance failed: %s)",
			    why, del);
		cli_fatal("failed to %s instance %s, the instance was not "
			  "created: %s", what, cli_q(name), why);
	}
out:
	config_free(cfg);
	node_free(doc);
	tmpl_free(t);
	cli_strv_free(exprs, nexprs);
	free(chosen);
	free(yaml);
	free(dir);
	free(cause);
	return name;
}

static int
cmd_create_exec(struct cmd_ctx *ctx)
{
	char *name;
	int created;

	if (cmd_flag_bool(ctx, "list-templates")) {
		cmd_create_list_templates();
		return 0;
	}
	if (cmd_flag_bool(ctx, "list-drivers")) {
		printf("qemu\n");
		return 0;
	}
	name = cli_create_or_load(ctx, 0, &created);
	log_info("Run `limactl start%s%s` to start the instance.",
	    strcmp(name, "default") == 0 ? "" : " ",
	    strcmp(name, "default") == 0 ? "" : name);
	free(name);
	return 0;
}

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.group = "basic",
	.usage = "create FILE.yaml|URL",
	.short_help = "Create an instance of Lima",
	.long_help = "Create an instance of Lima.\n\n"
		     "Examples:\n"
		     "  To create an instance \"default\" from the default "
		     "Ubuntu template:\n"
		     "  $ limactl create\n\n"
		     "  To create an instance \"default\" from a template "
		     "\"docker\":\n"
		     "  $ limactl create --name=default template:docker\n\n"
		     "  To create an instance from a local image file:\n"
		     "  $ limactl create --name=foo ./debian-12.qcow2\n\n"
		     "  To create an instance with edits:\n"
		     "  $ limactl create --cpus=2 --memory=4 --set='.mounts "
		     "= null'",
	.flag_sets = cmd_create_flag_sets,
	.min_args = 0,
	.max_args = 1,
	.exec = cmd_create_exec,
};
