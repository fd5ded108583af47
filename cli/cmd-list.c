/* clima: limactl list (ls). */
/*
 * Inspects every instance (or the named ones) and prints a table, JSON
 * lines, YAML documents or a Go template per instance; --filter selects
 * with jq, --yq transforms the JSON form.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/utsname.h>

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

/* The table's columns, in order. */
enum {
	COL_NAME, COL_STATUS, COL_SSH, COL_VMTYPE, COL_ARCH, COL_CPUS,
	COL_MEMORY, COL_DISK, COL_DIR, COL_N
};
#define CMD_LIST_COL_WIDTH 8 /* Lima's budget per column on a terminal */

struct cmd_list_row {
	char *col[COL_N];
};

/* The terminal's width when stdout is one, else 0. */
static int
cmd_list_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_col;
}

/* 1 when every row has the same text in column c (and, if want, it). */
static int
cmd_list_same(struct cmd_list_row *rows, size_t n, int c, const char *want)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].col[c], rows[0].col[c]) != 0)
			return 0;
	}
	return n > 0 && (want == NULL || strcmp(rows[0].col[c], want) == 0);
}

/*
 * Lima's table on a narrow terminal: VMTYPE goes when every instance has
 * the same, ARCH when every one is the host's, then DIR, each only when
 * the columns left would not fit 8 characters apiece.  Never with
 * --all-fields, never when stdout is not a terminal.
 */
static void
cmd_list_table(struct cmd_list_row *rows, size_t n, int all)
{
	struct cli_table *t;
	struct utsname u;
	int width = all ? 0 : cmd_list_width(), hide[COL_N], cols, c;
	char *line, *tmp;
	size_t i;

	memset(hide, 0, sizeof hide);
	if (width > 0) {
		cols = 5; /* NAME, and STATUS and SSH at two each */
		if ((cols + 7) * CMD_LIST_COL_WIDTH > width)
			hide[COL_VMTYPE] = cmd_list_same(rows, n, COL_VMTYPE,
			    NULL);
		if (!hide[COL_VMTYPE])
			cols++;
		if ((cols + 6) * CMD_LIST_COL_WIDTH > width && uname(&u) == 0)
			hide[COL_ARCH] = cmd_list_same(rows, n, COL_ARCH,
			    u.machine);
		if (!hide[COL_ARCH])
			cols++;
		cols += 3; /* CPUS, MEMORY, DISK */
		hide[COL_DIR] = (cols + 2) * CMD_LIST_COL_WIDTH > width;
	}
	t = cli_table_new(4, 4);
	for (i = 0; i <= n; i++) {
		static const char *hdr[COL_N] = { "NAME", "STATUS", "SSH",
			"VMTYPE", "ARCH", "CPUS", "MEMORY", "DISK", "DIR" };

		line = NULL;
		for (c = 0; c < COL_N; c++) {
			if (hide[c])
				continue;
			xasprintf(&tmp, "%s%s%s", line != NULL ? line : "",
			    line != NULL ? "\t" : "",
			    i == 0 ? hdr[c] : rows[i - 1].col[c]);
			free(line);
			line = tmp;
		}
		cli_table_add(t, line);
		free(line);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static int
cmd_list_exec(struct cmd_ctx *ctx)
{
	const char *format = cmd_flag_str(ctx, "format"), *home;
	char **names, **yqs, **filters, *cause = NULL, *yq = NULL, *s;
	char *mem, *disk;
	size_t nnames, nyq, nfilters, i, j, nrows = 0;
	struct store_inst *inst;
	struct gotmpl *tmpl = NULL;
	struct expr *filter = NULL, *yqe = NULL;
	struct cmd_list_row *rows = NULL;
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
	if (is_table && !quiet)
		rows = xcalloc(nnames + 1, sizeof *rows);
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
		} else if (rows != NULL) {
			char **col = rows[nrows++].col;

			mem = units_bytes_size(inst->memory);
			disk = units_bytes_size(inst->disk);
			col[COL_NAME] = xstrdup(inst->name);
			col[COL_STATUS] = xstrdup(inst->status);
			xasprintf(&col[COL_SSH], "%s:%d",
			    inst->ssh_address != NULL ? inst->ssh_address :
			    "127.0.0.1", inst->ssh_local_port);
			col[COL_VMTYPE] = xstrdup(inst->vm_type ? inst->vm_type :
			    "");
			col[COL_ARCH] = xstrdup(inst->arch ? inst->arch : "");
			xasprintf(&col[COL_CPUS], "%d", inst->cpus);
			col[COL_MEMORY] = xstrdup(inst->memory ? mem : "");
			col[COL_DISK] = xstrdup(inst->disk ? disk : "");
			col[COL_DIR] = cmd_list_tilde(inst->dir);
			free(mem);
			free(disk);
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
	if (rows != NULL)
		cmd_list_table(rows, nrows, cmd_flag_bool(ctx, "all-fields"));
out:
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < COL_N; j++)
			free(rows[i].col[j]);
	}
	free(rows);
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
