/* clima: limactl info. */
/*
 * Prints what this limactl knows about the host as one JSON object:
 * version, templates, the filled default template, LIMA_HOME, drivers,
 * the shell environment block list, host OS/arch and the identity file.
 */
#include "config.h"

#include <sys/utsname.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "expr/expr.h"
#include "tmpl/tmpl.h"

static const struct cli_flag cmd_info_own_flags[] = {
	{ "yq", 0, FLAG_STRING, ".", "Apply yq expression to output", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_info_flag_sets[] = {
	cmd_info_own_flags, NULL
};

/* The default list of environment variables `shell --preserve-env` drops. */
const char *const cli_shell_env_block[] = { "BASH*", "DISPLAY", "DYLD_*",
	"EUID", "FPATH", "GID", "GROUP", "HOME", "HOSTNAME", "LD_*", "LOGNAME",
	"OLDPWD", "PATH", "PWD", "SHELL", "SHLVL", "SSH_*", "TERM", "TERMINFO",
	"TMPDIR", "UID", "USER", "XAUTHORITY", "XDG_*", "ZDOTDIR", "ZSH*",
	"_*", NULL };

static int
cmd_info_exec(struct cmd_ctx *ctx)
{
	struct node *info, *list, *item, *sub, **outs;
	struct tmpl_dirs *dirs;
	struct lima_config *cfg;
	struct utsname uts;
	char **names, *path, *cause = NULL, *s;
	size_t n, i, nouts;
	struct tmpl *t;

	info = node_new_map();
	node_map_set(info, "version", node_new_str(PACKAGE_VERSION));
	list = node_new_seq();
	dirs = cli_tmpl_dirs();
	names = tmpl_list(dirs, &n);
	for (i = 0; i < n; i++) {
		item = node_new_map();
		node_map_set(item, "name", node_new_str(names[i]));
		path = tmpl_find(dirs, names[i]);
		node_map_set(item, "location", node_new_str(path ? path : ""));
		free(path);
		node_seq_append(list, item);
	}
	tmpl_list_free(names, n);
	tmpl_dirs_free(dirs);
	node_map_set(info, "templates", list);

	t = cli_template_load("template:default", 1, &cause);
	if (t == NULL)
		cli_fatal("%s", cause);
	xasprintf(&path, "%s/default.yaml", cli_lima_home());
	cfg = cli_config_load_buf("default", t->bytes, t->len, path, 0,
	    &cause);
	free(path);
	tmpl_free(t);
	if (cfg == NULL)
		cli_fatal("%s", cause);
	node_map_set(info, "defaultTemplate", config_to_node(cfg));
	config_free(cfg);

	node_map_set(info, "limaHome", node_new_str(cli_lima_home()));
	list = node_new_seq();
	node_seq_append(list, node_new_str("qemu"));
	node_map_set(info, "vmTypes", list);
	sub = node_new_map();
	item = node_new_map();
	node_map_set(item, "location", node_new_str("internal"));
	node_map_set(sub, "qemu", item);
	node_map_set(info, "vmTypesEx", sub);
	node_map_set(info, "guestAgents", node_new_map());
	list = node_new_seq();
	for (i = 0; cli_shell_env_block[i] != NULL; i++)
		node_seq_append(list, node_new_str(cli_shell_env_block[i]));
	node_map_set(info, "shellEnvBlock", list);
	node_map_set(info, "hostOS", node_new_str("linux"));
	uname(&uts);
	node_map_set(info, "hostArch", node_new_str(uts.machine));
	xasprintf(&path, "%s/_config/user", cli_lima_home());
	node_map_set(info, "identityFile", node_new_str(path));
	free(path);
	node_map_set(info, "plugins", node_new_seq());
	node_map_set(info, "libexecPaths", node_new_seq());
	list = node_new_seq();
	if (cli_share_dir() != NULL)
		node_seq_append(list, node_new_str(cli_share_dir()));
	node_map_set(info, "sharePaths", list);

	if (expr_eval(cmd_flag_str(ctx, "yq"), info, EXPR_RESTRICTED, &outs,
	    &nouts, &cause) != 0)
		cli_fatal("%s", cause);
	for (i = 0; i < nouts; i++) {
		s = node_to_json(outs[i], 4);
		printf("%s\n", s != NULL ? s : "null");
		free(s);
	}
	expr_free_nodes(outs, nouts);
	node_free(info);
	return 0;
}

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.group = "advanced",
	.usage = "info",
	.short_help = "Show diagnostic information",
	.flag_sets = cmd_info_flag_sets,
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_info_exec,
};
