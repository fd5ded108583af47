/* clima: limactl disk create|list|delete|resize|import|unlock. */
/*
 * Additional disks live in $LIMA_HOME/_disks/<NAME>/datadisk; an
 * instance that uses one holds it with the in_use_by symlink.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "store/store.h"

static const struct cli_flag cmd_disk_create_own_flags[] = {
	{ "size", 0, FLAG_STRING, NULL, "configure the disk size", 0 },
	{ "format", 0, FLAG_STRING, "qcow2", "specify the disk format", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_disk_create_flag_sets[] = {
	cmd_disk_create_own_flags, NULL
};

static uint64_t
cmd_disk_size(struct cmd_ctx *ctx)
{
	const char *s = cmd_flag_str(ctx, "size");
	char *cause = NULL;
	uint64_t size;

	if (!cmd_flag_changed(ctx, "size") || s == NULL)
		cli_fatal("required flag(s) \"size\" not set");
	if (units_parse_size(s, &size, &cause) != 0)
		cli_fatal("failed to parse size %s: %s", cli_q(s), cause);
	return size;
}

static int
cmd_disk_create_exec(struct cmd_ctx *ctx)
{
	const char *name = ctx->argv[0], *format = cmd_flag_str(ctx, "format");
	uint64_t size = cmd_disk_size(ctx);
	char *cause = NULL, *sz;

	if (strcmp(format, "qcow2") != 0 && strcmp(format, "raw") != 0)
		cli_fatal("disk format %s not supported, use `qcow2` or `raw`",
		    cli_q(format));
	if (store_validate_name(name, &cause) != 0)
		cli_fatal("%s", cause);
	sz = units_bytes_size(size);
	log_info("Creating %s disk %s with size %s", format, cli_q(name), sz);
	free(sz);
	if (store_disk_create(cli_lima_home(), name, size, format,
	    &cause) != 0)
		cli_fatal("%s", cause);
	return 0;
}

static const struct cli_flag cmd_disk_list_own_flags[] = {
	{ "json", 0, FLAG_BOOL, "false", "JSONify output", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_disk_list_flag_sets[] = {
	cmd_disk_list_own_flags, NULL
};

static int
cmd_disk_list_exec(struct cmd_ctx *ctx)
{
	struct store_disk **disks;
	struct cli_table *table = NULL;
	struct node *n;
	char *cause = NULL, *line, *s, *mp;
	size_t ndisks, i;
	int k, want, json = cmd_flag_bool(ctx, "json"), shown = 0;

	disks = store_disk_list(cli_lima_home(), &ndisks, &cause);
	if (disks == NULL && cause != NULL)
		cli_fatal("%s", cause);
	if (ndisks == 0) {
		log_warnx("No disk found. Run `limactl disk create DISK --size "
			  "SIZE` to create a disk.");
		free(disks);
		return 0;
	}
	if (!json) {
		table = cli_table_new(4, 4);
		cli_table_add(table, "NAME\tSIZE\tFORMAT\tDIR\tIN-USE-BY");
	}
	for (i = 0; i < ndisks; i++) {
		want = ctx->argc == 0;
		for (k = 0; k < ctx->argc; k++)
			if (strcmp(ctx->argv[k], disks[i]->name) == 0)
				want = 1;
		if (!want)
			goto next;
		shown++;
		if (json) {
			n = node_new_map();
			node_map_set(n, "name", node_new_str(disks[i]->name));
			node_map_set(n, "size",
			    node_new_int((long long)disks[i]->size));
			node_map_set(n, "format",
			    node_new_str(disks[i]->format));
			node_map_set(n, "dir", node_new_str(disks[i]->dir));
			node_map_set(n, "instance", node_new_str(
			    disks[i]->instance ? disks[i]->instance : ""));
			node_map_set(n, "instanceDir", node_new_str(
			    disks[i]->instance_dir ? disks[i]->instance_dir :
						     ""));
			xasprintf(&mp, "/mnt/lima-%s", disks[i]->name);
			node_map_set(n, "mountPoint", node_new_str(mp));
			free(mp);
			s = node_to_json(n, 0);
			printf("%s\n", s);
			free(s);
			node_free(n);
		} else {
			s = units_bytes_size(disks[i]->size);
			xasprintf(&line, "%s\t%s\t%s\t%s\t%s", disks[i]->name,
			    s, disks[i]->format, disks[i]->dir,
			    disks[i]->instance ? disks[i]->instance : "");
			cli_table_add(table, line);
			free(line);
			free(s);
		}
	next:
		store_disk_free(disks[i]);
	}
	free(disks);
	if (table != NULL)
		cli_table_print(table, stdout);
	cli_table_free(table);
	if (ctx->argc > 0 && shown < ctx->argc)
		cli_fatal("some disks were not found");
	return 0;
}

/* Names of the instances whose additionalDisks name disk. */
static char *
cmd_disk_referrers(const char *disk)
{
	struct lima_config *cfg;
	char **names, *path, *cause = NULL, *list = NULL, *tmp;
	size_t n, i, j;

	names = store_instance_names(cli_lima_home(), &n);
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s/lima.yaml", cli_lima_home(), names[i]);
		cfg = cli_config_load(names[i], path, &cause);
		free(path);
		free(cause);
		cause = NULL;
		for (j = 0; cfg != NULL && j < cfg->nadditional_disks; j++) {
			if (strcmp(cfg->additional_disks[j].name, disk) != 0)
				continue;
			xasprintf(&tmp, "%s%s%s", list ? list : "",
			    list ? ", " : "", names[i]);
			free(list);
			list = tmp;
			break;
		}
		config_free(cfg);
	}
	store_strv_free(names);
	return list;
}

static const struct cli_flag cmd_disk_delete_own_flags[] = {
	{ "force", 'f', FLAG_BOOL, "false", "force delete", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_disk_delete_flag_sets[] = {
	cmd_disk_delete_own_flags, NULL
};

static int
cmd_disk_delete_exec(struct cmd_ctx *ctx)
{
	int i, r, force = cmd_flag_bool(ctx, "force");
	char *cause = NULL, *refs;

	for (i = 0; i < ctx->argc; i++) {
		if (!force &&
		    (refs = cmd_disk_referrers(ctx->argv[i])) != NULL) {
			log_warnx("Skipping deleting disk %s, disk is "
				  "referenced by the following instance(s): "
				  "%s (hint: use --force)",
			    cli_q(ctx->argv[i]), refs);
			free(refs);
			continue;
		}
		r = store_disk_delete(cli_lima_home(), ctx->argv[i], force,
		    &cause);
		if (r < 0)
			cli_fatal("%s", cause);
		if (r == 1) {
			log_warnx("Ignoring non-existent disk %s",
			    cli_q(ctx->argv[i]));
			continue;
		}
		log_info("Deleted %s", cli_q(ctx->argv[i]));
	}
	return 0;
}

static const struct cli_flag cmd_disk_resize_own_flags[] = {
	{ "size", 0, FLAG_STRING, NULL, "Disk size", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_disk_resize_flag_sets[] = {
	cmd_disk_resize_own_flags, NULL
};

/* Fails when the instance holding disk is running. */
static void
cmd_disk_check_not_running(const char *disk, const char *what)
{
	struct store_disk *d;
	struct store_inst *inst;
	char *cause = NULL;

	if ((d = store_disk_inspect(cli_lima_home(), disk, &cause)) == NULL)
		cli_fatal("%s", cause);
	if (d->instance != NULL) {
		inst = store_inspect(cli_lima_home(), d->instance, NULL,
		    &cause);
		if (inst != NULL &&
		    strcmp(inst->status, STORE_STATUS_RUNNING) == 0)
			cli_fatal("cannot %s disk %s, used by a running "
				  "instance %s", what, cli_q(disk),
			    cli_q(d->instance));
		store_inst_free(inst);
		free(cause);
	}
	store_disk_free(d);
}

static int
cmd_disk_resize_exec(struct cmd_ctx *ctx)
{
	uint64_t size = cmd_disk_size(ctx);
	char *cause = NULL, *sz;
	int r;

	cmd_disk_check_not_running(ctx->argv[0], "resize");
	r = store_disk_resize(cli_lima_home(), ctx->argv[0], size, &cause);
	if (r < 0)
		cli_fatal("%s", cause);
	sz = units_bytes_size(size);
	if (r == 1)
		log_info("Disk %s is already %s", cli_q(ctx->argv[0]), sz);
	else
		log_info("Resized disk %s to %s", cli_q(ctx->argv[0]), sz);
	free(sz);
	return 0;
}

static int
cmd_disk_import_exec(struct cmd_ctx *ctx)
{
	char *cause = NULL;

	if (store_validate_name(ctx->argv[0], &cause) != 0)
		cli_fatal("%s", cause);
	if (store_disk_import(cli_lima_home(), ctx->argv[0], ctx->argv[1],
	    &cause) != 0)
		cli_fatal("%s", cause);
	log_info("Imported %s from %s", cli_q(ctx->argv[0]),
	    cli_q(ctx->argv[1]));
	return 0;
}

static int
cmd_disk_unlock_exec(struct cmd_ctx *ctx)
{
	char *cause = NULL;
	int i;

	for (i = 0; i < ctx->argc; i++) {
		cmd_disk_check_not_running(ctx->argv[i], "unlock");
		if (store_disk_unlock(cli_lima_home(), ctx->argv[i],
		    &cause) != 0)
			cli_fatal("%s", cause);
		log_info("Unlocked %s", cli_q(ctx->argv[i]));
	}
	return 0;
}

static const struct cmd_entry cmd_disk_create_entry = {
	.name = "create",
	.usage = "disk create DISK",
	.short_help = "Create a Lima disk",
	.long_help = "Create a Lima disk.\n\nExample:\n"
		     "  $ limactl disk create DISK --size SIZE [--format "
		     "qcow2]",
	.flag_sets = cmd_disk_create_flag_sets,
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_disk_create_exec,
};
static const struct cmd_entry cmd_disk_list_entry = {
	.name = "list",
	.aliases = "ls",
	.usage = "disk list",
	.short_help = "List existing Lima disks",
	.flag_sets = cmd_disk_list_flag_sets,
	.min_args = 0,
	.max_args = -1,
	.exec = cmd_disk_list_exec,
};
static const struct cmd_entry cmd_disk_delete_entry = {
	.name = "delete",
	.aliases = "remove,rm",
	.usage = "disk delete DISK [DISK, ...]",
	.short_help = "Delete one or more Lima disks",
	.flag_sets = cmd_disk_delete_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_disk_delete_exec,
};
static const struct cmd_entry cmd_disk_resize_entry = {
	.name = "resize",
	.usage = "disk resize DISK",
	.short_help = "Resize existing Lima disk",
	.flag_sets = cmd_disk_resize_flag_sets,
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_disk_resize_exec,
};
static const struct cmd_entry cmd_disk_import_entry = {
	.name = "import",
	.usage = "disk import DISK FILE",
	.short_help = "Import an existing disk to Lima",
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_disk_import_exec,
};
static const struct cmd_entry cmd_disk_unlock_entry = {
	.name = "unlock",
	.usage = "disk unlock DISK [DISK, ...]",
	.short_help = "Unlock one or more Lima disks",
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_disk_unlock_exec,
};

static const struct cmd_entry *const cmd_disk_subcmds[] = {
	&cmd_disk_create_entry, &cmd_disk_list_entry, &cmd_disk_delete_entry,
	&cmd_disk_resize_entry, &cmd_disk_import_entry, &cmd_disk_unlock_entry,
	NULL
};

const struct cmd_entry cmd_disk_entry = {
	.name = "disk",
	.group = "advanced",
	.usage = "disk",
	.short_help = "Lima disk management",
	.min_args = 0,
	.max_args = -1,
	.subcmds = cmd_disk_subcmds,
};
