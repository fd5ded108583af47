/* clima: limactl list (ls). */
/*
 * Inspects every instance (or the named ones) and prints a table, JSON
 * lines, YAML documents or a Go template per instance; --filter selects
 * with jq, --yq transforms the JSON form.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/gotmpl.h"
#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "expr/expr.h"
#include "store/store.h"

static const struct cli_flag cmd_list_own_flags[] = {
	{ "format", 'f', FLAG_STRING, "table", "output format, one of: json, "
	    "yaml, table, go-template", 0 },
	{ "list-fields", 0, FLAG_BOOL, "false", "List fields available for "
	    "format", 0 },
	{ "json", 0, FLAG_BOOL, "false", "JSONify output", 0 },
	{ "quiet", 'q', FLAG_BOOL, "false", "Only show names", 0 },
	{ "all-fields", 0, FLAG_BOOL, "false", "Show all fields", 0 },
	{ "yq", 0, FLAG_STRINGS, NULL, "Apply yq expression to each "
	    "instance", 0 },
	{ "filter", 'l', FLAG_STRINGS, NULL, "Filter instances with a jq "
	    "expression (e.g. '.status == \"Running\"')", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_list_flag_sets[] = {
	cmd_list_own_flags, NULL
};

/* Go field names of the template data, sorted, as --list-fields prints. */
static const char *const cmd_list_fields[] = { "AdditionalDisks", "Arch",
	"AutoStartedIdentifier", "CPUs", "Config", "Dir", "Disk",
	"DriverPID", "Errors", "HostAgentPID", "Hostname", "LimaVersion",
	"Memory", "Message", "Name", "Networks", "Param", "Protected",
	"SSHAddress", "SSHConfigFile", "SSHLocalPort", "Status", "VMType",
	NULL };

/* Drops empty objects ({}) recursively, as Lima's yq pass does. */
static void
cmd_list_prune_empty(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	if (n->kind == NODE_SEQ) {
		for (i = 0; i < n->nitems; i++)
			cmd_list_prune_empty(n->items[i]);
	} else if (n->kind == NODE_MAP) {
		for (i = 0; i < n->npairs;) {
			cmd_list_prune_empty(n->pairs[i].val);
			if (n->pairs[i].val->kind == NODE_MAP &&
			    n->pairs[i].val->npairs == 0)
				node_map_delete(n, n->pairs[i].key);
			else
				i++;
		}
	}
}

/* "~/..." for paths under $HOME. */
static char *
cmd_list_tilde(const char *path)
{
	const char *home = getenv("HOME");
	size_t len;
	char *s;

	if (home != NULL && (len = strlen(home)) > 1 &&
	    strncmp(path, home, len) == 0 &&
	    (path[len] == '/' || path[len] == '\0')) {
		xasprintf(&s, "~%s", path + len);
		return s;
	}
	return xstrdup(path);
}

static void
cmd_list_print_node(const struct node *n, const char *format)
{
	char *s;

	if (strcmp(format, "yaml") == 0) {
		s = node_to_yaml(n);
		printf("---\n%s", s);
	} else {
		s = node_to_json(n, isatty(STDOUT_FILENO) ? 4 : 0);
		printf("%s\n", s != NULL ? s : "null");
	}
	free(s);
}

static int
cmd_list_exec(struct cmd_ctx *ctx)
{
	const char *format = cmd_flag_str(ctx, "format"), *home;
	char **names, **yqs, **filters, *cause = NULL, *yq = NULL, *s, *line;
	char *mem, *disk, *dir;
	size_t nnames, nyq, nfilters, i, j;
	struct store_inst *inst;
	struct gotmpl *tmpl = NULL;
	struct expr *filter = NULL, *yqe = NULL;
	struct cli_table *table = NULL;
	struct node *data, **outs;
	size_t nouts;
	int quiet = cmd_flag_bool(ctx, "quiet"), unmatched = 0, match;
	int is_table, is_json_yaml;

	if (cmd_flag_bool(ctx, "list-fields")) {
		for (i = 0; cmd_list_fields[i] != NULL; i++)
			printf("%s\n", cmd_list_fields[i]);
		return 0;
	}
	if (cmd_flag_bool(ctx, "json")) {
		if (cmd_flag_changed(ctx, "format"))
			cli_fatal("option --json conflicts with option "
				  "--format");
		format = "json";
	}
	yqs = cmd_flag_strs(ctx, "yq", &nyq);
	filters = cmd_flag_strs(ctx, "filter", &nfilters);
	if (nyq > 0) {
		if (!cmd_flag_changed(ctx, "format") &&
		    !cmd_flag_bool(ctx, "json"))
			format = "json";
		if (strcmp(format, "json") != 0 && strcmp(format, "yaml") != 0)
			cli_fatal("option --yq only works with --format json "
				  "or yaml");
		yq = xstrdup(yqs[0]);
		for (i = 1; i < nyq; i++) {
			xasprintf(&s, "%s | %s", yq, yqs[i]);
			free(yq);
			yq = s;
		}
	}
	is_table = strcmp(format, "table") == 0;
	is_json_yaml = strcmp(format, "json") == 0 ||
	    strcmp(format, "yaml") == 0;
	if (quiet && !is_table)
		cli_fatal("option --quiet can only be used with '--format "
			  "table'");
	/* Compile once: a jq compile costs more than an inspection. */
	if (nfilters > 0 && (filter = expr_compile_filter(
	    (const char *const *)filters, nfilters, &cause)) == NULL)
		cli_fatal("%s", cause);
	if (yq != NULL &&
	    (yqe = expr_compile(yq, EXPR_RESTRICTED, &cause)) == NULL)
		cli_fatal("%s", cause);
	if (!is_table && !is_json_yaml) {
		tmpl = gotmpl_parse("format", format, &cause);
		if (tmpl == NULL)
			cli_fatal("%s", cause);
	}

	home = cli_lima_home();
	names = store_instance_names(home, &nnames);
	if (nnames == 0 && ctx->argc == 0) {
		log_warnx("No instance found. Run `limactl create` to create "
			  "an instance.");
		goto out;
	}
	if (ctx->argc > 0) {
		char **want = xcalloc((size_t)ctx->argc + 1, sizeof *want);
		size_t nwant = 0;
		int k, found;

		for (k = 0; k < ctx->argc; k++) {
			found = 0;
			for (i = 0; i < nnames; i++)
				if (strcmp(names[i], ctx->argv[k]) == 0)
					found = 1;
			if (!found) {
				log_warnx("No instance matching %s found.",
				    ctx->argv[k]);
				unmatched = 1;
				continue;
			}
			want[nwant++] = xstrdup(ctx->argv[k]);
		}
		store_strv_free(names);
		names = want;
		nnames = nwant;
	}

	if (quiet && nfilters == 0) {
		for (i = 0; i < nnames; i++)
			printf("%s\n", names[i]);
		goto out;
	}
	if (is_table && !quiet) {
		table = cli_table_new(4, 4);
		cli_table_add(table, "NAME\tSTATUS\tSSH\tVMTYPE\tARCH\tCPUS\t"
				     "MEMORY\tDISK\tDIR");
	}
	for (i = 0; i < nnames; i++) {
		inst = store_inspect(home, names[i], NULL, &cause);
		if (inst == NULL) {
			log_warnx("%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (inst->nerrors > 0) {
			char *errs = xstrdup("["), *tmp;

			for (j = 0; j < inst->nerrors; j++) {
				xasprintf(&tmp, "%s%s%s", errs, j ? " " : "",
				    inst->errors[j]);
				free(errs);
				errs = tmp;
			}
			xasprintf(&tmp, "%s]", errs);
			free(errs);
			{
				const char *fields[] = { "errors", tmp, NULL };

				log_warnf(fields, "instance %s has errors",
				    cli_q(inst->name));
			}
			free(tmp);
		}
		data = store_inst_to_node(inst, 0);
		if (nfilters > 0) {
			if (expr_match(filter, data, &match, &cause) != 0)
				cli_fatal("%s", cause);
			if (!match) {
				node_free(data);
				store_inst_free(inst);
				continue;
			}
		}
		if (quiet) {
			printf("%s\n", inst->name);
		} else if (table != NULL) {
			mem = units_bytes_size(inst->memory);
			disk = units_bytes_size(inst->disk);
			dir = cmd_list_tilde(inst->dir);
			xasprintf(&line, "%s\t%s\t%s:%d\t%s\t%s\t%d\t%s\t%s\t%s",
			    inst->name, inst->status, inst->ssh_address != NULL ?
			    inst->ssh_address : "127.0.0.1",
			    inst->ssh_local_port, inst->vm_type ? inst->vm_type :
			    "", inst->arch ? inst->arch : "", inst->cpus,
			    inst->memory ? mem : "", inst->disk ? disk : "", dir);
			cli_table_add(table, line);
			free(line);
			free(mem);
			free(disk);
			free(dir);
		} else if (tmpl != NULL) {
			struct node *gdata = store_inst_to_node(inst, 1);

			if (gotmpl_exec(tmpl, gdata, "store.FormatData", &s,
			    &cause) != 0)
				cli_fatal("%s", cause);
			printf("%s\n", s);
			free(s);
			node_free(gdata);
		} else if (yq != NULL) {
			cmd_list_prune_empty(data);
			if (expr_run(yqe, data, &outs, &nouts, &cause) != 0)
				cli_fatal("%s", cause);
			for (j = 0; j < nouts; j++)
				cmd_list_print_node(outs[j], format);
			expr_free_nodes(outs, nouts);
		} else {
			cmd_list_prune_empty(data);
			cmd_list_print_node(data, format);
		}
		fflush(stdout);
		node_free(data);
		store_inst_free(inst);
	}
	if (table != NULL)
		cli_table_print(table, stdout);
out:
	cli_table_free(table);
	gotmpl_free(tmpl);
	expr_free(filter);
	expr_free(yqe);
	store_strv_free(names);
	free(yq);
	if (unmatched)
		cli_fatal("unmatched instances");
	return 0;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.aliases = "ls",
	.group = "basic",
	.usage = "list [flags] [INSTANCE]...",
	.short_help = "List instances of Lima",
	.long_help = "List instances of Lima.\n\n"
		     "The output can be presented in one of several formats, "
		     "using the --format <format> flag.\n\n"
		     "  --format json  - output in json format\n"
		     "  --format yaml  - output in yaml format\n"
		     "  --format table - output in table format\n"
		     "  --format '{{ <go template> }}' - if the format begins "
		     "and ends with '{{ }}', then it is used as a go "
		     "template.\n\n"
		     "Filtering instances:\n"
		     "  --filter EXPR - filter instances using a jq expression "
		     "(can be specified multiple times)\n"
		     "The following legacy flags continue to function:\n"
		     "  --json - equal to '--format json'",
	.flag_sets = cmd_list_flag_sets,
	.min_args = 0,
	.max_args = -1,
	.exec = cmd_list_exec,
};
