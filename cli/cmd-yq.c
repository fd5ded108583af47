/* clima: limactl yq, a yq-like evaluator built on jq (expr/). */
/*
 * `limactl yq [flags] EXPR [FILE...]` evaluates EXPR on each YAML (or
 * JSON) document of each file, or of stdin, and prints every result as
 * mikefarah/yq v4 does: scalars unwrapped, "---" between results of
 * different documents, JSON on request.  The language is jq 1.6 with
 * yq's common spellings; docs/expressions.md lists the differences.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "expr/expr.h"

enum yq_format {
	YQ_FORMAT_AUTO,
	YQ_FORMAT_YAML,
	YQ_FORMAT_JSON
};

struct yq_opts {
	enum yq_format in;
	enum yq_format out;
	int unwrap;
	int indent;
	int no_doc;
	int exit_status;
};

/* What has been printed so far: for separators and --exit-status. */
struct yq_state {
	int printed;
	int prev_doc;
	int last_truthy;
	size_t nresults;
};

static const struct cli_flag cmd_yq_flags[] = {
	{ "null-input", 'n', FLAG_BOOL, "false",
	    "Don't read input, simply evaluate the expression given", 0 },
	{ "unwrapScalar", 'r', FLAG_BOOL, "true",
	    "unwrap scalar, print the value with no quotes (default for "
	    "YAML output)",
	    0 },
	{ "output-format", 'o', FLAG_STRING, "yaml",
	    "[yaml|y|json|j] output format type", 0 },
	{ "input-format", 'p', FLAG_STRING, "auto",
	    "[auto|a|yaml|y|json|j] parse format for input", 0 },
	{ "indent", 'I', FLAG_INT, "2", "sets indent level for output", 0 },
	{ "inplace", 'i', FLAG_BOOL, "false",
	    "update the file in place of the file given", 0 },
	{ "exit-status", 'e', FLAG_BOOL, "false",
	    "set exit status if there are no matches or null or false is "
	    "returned",
	    0 },
	{ "no-doc", 'N', FLAG_BOOL, "false",
	    "Don't print document separators (---)", 0 },
	{ "no-colors", 'M', FLAG_BOOL, "false",
	    "force print with no colors (output is never colored)", 0 },
	{ "colors", 'C', FLAG_BOOL, "false", "ignored: output is never colored",
	    CLI_FLAG_HIDDEN },
	{ NULL, 0, FLAG_BOOL, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_yq_flag_sets[] = { cmd_yq_flags, NULL };

static int
yq_parse_format(const char *s, int allow_auto, enum yq_format *f)
{
	if (allow_auto && (strcmp(s, "auto") == 0 || strcmp(s, "a") == 0))
		*f = YQ_FORMAT_AUTO;
	else if (strcmp(s, "yaml") == 0 || strcmp(s, "y") == 0 ||
	    strcmp(s, "yml") == 0)
		*f = YQ_FORMAT_YAML;
	else if (strcmp(s, "json") == 0 || strcmp(s, "j") == 0)
		*f = YQ_FORMAT_JSON;
	else
		return -1;
	return 0;
}

/* Input format of a file: auto means JSON for *.json, else YAML. */
static enum yq_format
yq_file_format(const struct yq_opts *o, const char *path)
{
	size_t len = strlen(path);

	if (o->in != YQ_FORMAT_AUTO)
		return o->in;
	if (len > 5 && strcmp(path + len - 5, ".json") == 0)
		return YQ_FORMAT_JSON;
	return YQ_FORMAT_YAML;
}

static int
yq_load(const struct yq_opts *o, const char *path, struct node ***docs,
    size_t *ndocs, char **cause)
{
	struct node *n;
	char *buf;
	size_t len;
	int rc = -1;

	if ((buf = cli_read_file(path, &len, cause)) == NULL)
		return -1;
	if (yq_file_format(o, path) == YQ_FORMAT_JSON) {
		if ((n = node_from_json(buf, len, cause)) == NULL)
			goto out;
		*docs = xmalloc(sizeof **docs);
		(*docs)[0] = n;
		*ndocs = 1;
	} else if (node_from_yaml_all(buf, len,
		       strcmp(path, "-") == 0 ? "<stdin>" : path, docs, ndocs,
		       cause) != 0)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

static void
yq_print(const struct yq_opts *o, struct yq_state *st, FILE *f,
    const struct node *n, int doc)
{
	char *s;

	if (o->out == YQ_FORMAT_YAML && !o->no_doc && st->printed &&
	    doc != st->prev_doc)
		fputs("---\n", f);
	st->printed = 1;
	st->prev_doc = doc;
	st->nresults++;
	st->last_truthy = !node_is_null(n) &&
	    !(n->kind == NODE_SCALAR && node_scalar_type(n) == NODE_T_BOOL &&
		strcasecmp(n->str, "false") == 0);

	if (n->kind == NODE_SCALAR && o->unwrap) {
		if (node_is_null(n))
			fputs(n->str[0] == '\0' ? "null" : n->str, f);
		else
			fputs(n->str, f);
		fputc('\n', f);
		return;
	}
	if (o->out == YQ_FORMAT_JSON) {
		s = node_to_json(n, o->indent);
		fprintf(f, "%s\n", s);
	} else {
		s = node_to_yaml(n);
		fputs(s, f);
	}
	free(s);
}

/* Runs e on each document; results go to f. */
static int
yq_eval_docs(const struct yq_opts *o, struct yq_state *st, struct expr *e,
    struct node **docs, size_t ndocs, FILE *f, char **cause)
{
	struct node **out = NULL;
	size_t i, j, nout = 0;

	for (i = 0; i < ndocs; i++) {
		if (expr_run(e, docs[i], &out, &nout, cause) != 0)
			return -1;
		for (j = 0; j < nout; j++)
			yq_print(o, st, f, out[j], (int)i);
		expr_free_nodes(out, nout);
	}
	return 0;
}

/* Writes text over path through a temporary file and rename(2). */
static int
yq_write_inplace(const char *path, const char *text, size_t len, char **cause)
{
	struct stat sb;
	char *tmp = NULL;
	ssize_t n;
	size_t off = 0;
	int fd = -1, rc = -1;

	xasprintf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		xasprintf(cause, "failed to create a file next to %s: %s",
		    cli_q(path), strerror(errno));
		goto out;
	}
	if (stat(path, &sb) == 0)
		(void)fchmod(fd, sb.st_mode & 07777);
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xasprintf(cause, "failed to write %s: %s", cli_q(tmp),
			    strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		xasprintf(cause, "failed to write %s: %s", cli_q(tmp),
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		xasprintf(cause, "failed to rename %s to %s: %s", cli_q(tmp),
		    cli_q(path), strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int
cmd_yq_exec(struct cmd_ctx *ctx)
{
	struct yq_opts o;
	struct yq_state st;
	struct expr *e = NULL;
	struct node **docs = NULL, *null_doc;
	const char *prog = ".", *const * files;
	const char *stdin_file[] = { "-" };
	char *cause = NULL, *buf = NULL;
	size_t nfiles, ndocs = 0, i, len = 0;
	struct stat sb;
	FILE *f = stdout;
	int null_input, inplace;

	memset(&o, 0, sizeof o);
	memset(&st, 0, sizeof st);
	null_input = cmd_flag_bool(ctx, "null-input");
	inplace = cmd_flag_bool(ctx, "inplace");
	o.no_doc = cmd_flag_bool(ctx, "no-doc");
	o.exit_status = cmd_flag_bool(ctx, "exit-status");
	o.indent = (int)cmd_flag_int(ctx, "indent");
	if (yq_parse_format(cmd_flag_str(ctx, "output-format"), 0, &o.out) != 0)
		cli_fatal("unknown output format %s (use yaml or json)",
		    cli_q(cmd_flag_str(ctx, "output-format")));
	if (yq_parse_format(cmd_flag_str(ctx, "input-format"), 1, &o.in) != 0)
		cli_fatal("unknown input format %s (use auto, yaml or json)",
		    cli_q(cmd_flag_str(ctx, "input-format")));
	if (o.indent < 0)
		cli_fatal("indent must be positive");
	if (o.out == YQ_FORMAT_YAML && o.indent != 2)
		cli_fatal("only an indent of 2 is supported for YAML output");
	/* JSON output quotes strings unless -r is asked for. */
	o.unwrap = cmd_flag_bool(ctx, "unwrapScalar");
	if (o.out == YQ_FORMAT_JSON && !cmd_flag_changed(ctx, "unwrapScalar"))
		o.unwrap = 0;

	files = (const char *const *)ctx->argv;
	nfiles = (size_t)ctx->argc;
	if (nfiles > 0) {
		/* `limactl yq FILE` prints the file, as yq does. */
		if (nfiles == 1 && !null_input && stat(files[0], &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			prog = ".";
		else {
			prog = files[0];
			files++;
			nfiles--;
		}
	}
	if (nfiles == 0 && !null_input) {
		files = stdin_file;
		nfiles = 1;
	}
	if (inplace &&
	    (null_input || nfiles != 1 || strcmp(files[0], "-") == 0))
		cli_fatal("--inplace needs exactly one file");

	if ((e = expr_compile(prog, 0, &cause)) == NULL)
		cli_fatal("%s", cause);
	if (inplace && (f = open_memstream(&buf, &len)) == NULL)
		cli_fatal("open_memstream: %s", strerror(errno));

	if (null_input) {
		null_doc = node_new_null();
		if (yq_eval_docs(&o, &st, e, &null_doc, 1, f, &cause) != 0)
			cli_fatal("%s", cause);
		node_free(null_doc);
	}
	for (i = 0; !null_input && i < nfiles; i++) {
		if (yq_load(&o, files[i], &docs, &ndocs, &cause) != 0)
			cli_fatal("%s", cause);
		if (yq_eval_docs(&o, &st, e, docs, ndocs, f, &cause) != 0)
			cli_fatal("%s", cause);
		expr_free_nodes(docs, ndocs);
		docs = NULL;
	}
	expr_free(e);

	if (inplace) {
		fclose(f);
		if (yq_write_inplace(files[0], buf, len, &cause) != 0)
			cli_fatal("%s", cause);
		free(buf);
	} else if (fflush(stdout) != 0)
		cli_fatal("failed to write output: %s", strerror(errno));
	if (o.exit_status && (st.nresults == 0 || !st.last_truthy))
		return 1;
	return 0;
}

const struct cmd_entry cmd_yq_entry = {
	.name = "yq",
	.group = "advanced",
	.usage = "yq [flags] EXPRESSION [FILE...]",
	.short_help = "Query and edit YAML and JSON documents (jq 1.6 syntax "
		      "with yq spellings)",
	.long_help = "Evaluates EXPRESSION on every document of each FILE "
		     "(stdin when none is given,\nnothing with --null-input) "
		     "and prints each result like yq v4.\nThe expression "
		     "language is jq 1.6 with common yq spellings; see\n"
		     "docs/expressions.md for the differences from yq.",
	.flag_sets = cmd_yq_flag_sets,
	.min_args = 0,
	.max_args = -1,
	.exec = cmd_yq_exec,
};
