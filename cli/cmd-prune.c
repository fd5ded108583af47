/* clima: limactl prune, factory-reset. */
/*
 * prune removes the download cache (or keeps the entries some instance
 * or template still refers to); factory-reset stops an instance and
 * removes everything but its configuration, so the next start begins
 * from the image again.
 */
#include "config.h"

#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "store/store.h"
#include "tmpl/tmpl.h"

static const struct cli_flag cmd_prune_own_flags[] = {
	{ "keep-referred", 0, FLAG_BOOL, "false", "Keep objects that are "
	    "referred by some instances or templates", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_prune_flag_sets[] = {
	cmd_prune_own_flags, NULL
};

struct cmd_prune_urls {
	char **v;
	size_t n;
};

static void
cmd_prune_add(struct cmd_prune_urls *u, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	u->v = xreallocarray(u->v, u->n + 1, sizeof *u->v);
	u->v[u->n++] = xstrdup(s);
}

/* Every location a config downloads. */
static void
cmd_prune_collect(struct cmd_prune_urls *u, const struct lima_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nimages; i++) {
		cmd_prune_add(u, cfg->images[i].file.location);
		if (cfg->images[i].kernel != NULL)
			cmd_prune_add(u, cfg->images[i].kernel->file.location);
		if (cfg->images[i].initrd != NULL)
			cmd_prune_add(u, cfg->images[i].initrd->location);
	}
	for (i = 0; i < cfg->containerd.narchives; i++)
		cmd_prune_add(u, cfg->containerd.archives[i].location);
	for (i = 0; i < cfg->firmware.nimages; i++)
		cmd_prune_add(u, cfg->firmware.images[i].location);
}

static int
cmd_prune_exec(struct cmd_ctx *ctx)
{
	struct cmd_prune_urls u = { NULL, 0 };
	struct lima_config *cfg;
	struct tmpl_dirs *dirs;
	struct tmpl *t;
	char **names, *cache, *cause = NULL, *path;
	size_t n, i;
	int keep = cmd_flag_bool(ctx, "keep-referred");

	cache = store_cache_dir();
	if (keep) {
		names = store_instance_names(cli_lima_home(), &n);
		for (i = 0; i < n; i++) {
			xasprintf(&path, "%s/%s/lima.yaml", cli_lima_home(),
			    names[i]);
			cfg = cli_config_load(names[i], path, &cause);
			if (cfg != NULL)
				cmd_prune_collect(&u, cfg);
			config_free(cfg);
			free(cause);
			cause = NULL;
			free(path);
		}
		store_strv_free(names);
		dirs = cli_tmpl_dirs();
		names = tmpl_list(dirs, &n);
		tmpl_dirs_free(dirs);
		for (i = 0; i < n; i++) {
			xasprintf(&path, "template:%s", names[i]);
			t = cli_template_load(path, 1, &cause);
			free(path);
			cfg = NULL;
			if (t != NULL)
				cfg = cli_config_load_buf("default", t->bytes,
				    t->len, NULL, 0, &cause);
			if (cfg != NULL)
				cmd_prune_collect(&u, cfg);
			config_free(cfg);
			tmpl_free(t);
			free(cause);
			cause = NULL;
		}
		tmpl_list_free(names, n);
	} else
		log_info("Pruning %s", cli_q(cache));
	if (store_prune(keep, (const char *const *)u.v, u.n, &cause) != 0)
		cli_fatal("%s", cause);
	cli_strv_free(u.v, u.n);
	free(cache);
	return 0;
}

const struct cmd_entry cmd_prune_entry = {
	.name = "prune",
	.group = "advanced",
	.usage = "prune",
	.short_help = "Prune garbage objects",
	.flag_sets = cmd_prune_flag_sets,
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_prune_exec,
};

static int
cmd_factory_reset_exec(struct cmd_ctx *ctx)
{
	const char *name = cli_instance_arg(ctx, 0);
	struct store_inst *inst;
	char *cause = NULL, *dir;
	struct stat sb;

	if (store_validate_name(name, &cause) != 0)
		cli_fatal("%s", cause);
	dir = store_instance_dir(cli_lima_home(), name);
	if (stat(dir, &sb) != 0) {
		log_info("Instance %s not found", cli_q(name));
		free(dir);
		return 0;
	}
	if (store_is_protected(dir))
		cli_fatal("instance %s is protected to prohibit accidental "
			  "removal (Hint: use `limactl unprotect`)",
		    cli_q(name));
	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL)
		cli_fatal("%s", cause);
	cli_stop_forcibly(inst);
	store_inst_free(inst);
	if (store_factory_reset(dir, &cause) != 0)
		cli_fatal("%s", cause);
	log_info("Instance %s has been factory reset", cli_q(name));
	free(dir);
	return 0;
}

const struct cmd_entry cmd_factory_reset_entry = {
	.name = "factory-reset",
	.group = "advanced",
	.usage = "factory-reset INSTANCE",
	.short_help = "Factory reset an instance of Lima",
	.min_args = 0,
	.max_args = 1,
	.exec = cmd_factory_reset_exec,
};
