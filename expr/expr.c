/* clima: compiling and running jq programs on struct node documents. */
/*
 * One jq_state per compiled program; jq's error callback collects the
 * compile messages instead of printing them.  --set, --filter and the
 * YAML round trip used by create/edit are built on expr_run.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "expr/expr.h"
#include "expr/expr-int.h"

struct expr {
	jq_state *jq;
	char *errors; /* compile messages, "; "-joined */
};

/*
 * jq 1.6 reports "jq: error: MSG at <top-level>, line N:\nPROGRAM" and
 * then "jq: N compile error(s)"; keep "MSG at <top-level>, line N".
 */
static void
expr_error_cb(void *data, jv msg)
{
	struct expr *e = data;
	char *s, *line, *tmp;
	size_t len;

	s = expr_jv_message(msg);
	line = s;
	if (strncmp(line, "jq: error: ", 11) == 0)
		line += 11;
	else if (strncmp(line, "jq: ", 4) == 0 &&
	    strstr(line, "compile error") != NULL) {
		free(s);
		return;
	}
	line[strcspn(line, "\n")] = '\0';
	len = strlen(line);
	if (len > 0 && line[len - 1] == ':')
		line[len - 1] = '\0';
	if (e->errors == NULL)
		e->errors = xstrdup(line);
	else {
		xasprintf(&tmp, "%s; %s", e->errors, line);
		free(e->errors);
		e->errors = tmp;
	}
	free(s);
}

static int
expr_jq_compile(struct expr *e, const char *text)
{
	if (e->jq != NULL)
		jq_teardown(&e->jq);
	free(e->errors);
	e->errors = NULL;
	e->jq = jq_init();
	if (e->jq == NULL)
		fatalx("%s: jq_init failed", __func__);
	jq_set_error_cb(e->jq, expr_error_cb, e);
	return jq_compile(e->jq, text) ? 0 : -1;
}

struct expr *
expr_compile(const char *prog, int flags, char **cause)
{
	struct expr *e;
	char *prelude = NULL, *text = NULL;

	if (expr_scan(prog, flags, &prelude, cause) != 0)
		return NULL;
	e = xcalloc(1, sizeof *e);
	/* The definitions stay on line 1 so that $__loc__ is unchanged. */
	if (prelude != NULL)
		xasprintf(&text, "%s%s", prelude, prog);
	if (expr_jq_compile(e, text != NULL ? text : prog) == 0)
		goto out;
	/* Report what is wrong with the user's text, not with ours. */
	if (prelude != NULL && expr_jq_compile(e, prog) == 0)
		(void)expr_jq_compile(e, text);
	if (e->errors != NULL)
		*cause = xstrdup(e->errors);
	else
		*cause = xstrdup("jq compile error");
	expr_free(e);
	e = NULL;
out:
	free(prelude);
	free(text);
	return e;
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	if (e->jq != NULL)
		jq_teardown(&e->jq);
	free(e->errors);
	free(e);
}

void
expr_free_nodes(struct node **nodes, size_t n)
{
	size_t i;

	if (nodes == NULL)
		return;
	for (i = 0; i < n; i++)
		node_free(nodes[i]);
	free(nodes);
}

/* halt_error and halt with a non-zero status end a run in error. */
static int
expr_check_halt(struct expr *e, char **cause)
{
	jv code, msg;
	int failed;

	if (!jq_halted(e->jq))
		return 0;
	code = jq_get_exit_code(e->jq);
	failed = jv_is_valid(code) &&
	    (jv_get_kind(code) != JV_KIND_NUMBER || jv_number_value(code) != 0);
	jv_free(code);
	if (!failed)
		return 0;
	msg = jq_get_error_message(e->jq);
	if (jv_get_kind(msg) == JV_KIND_STRING ||
	    jv_get_kind(msg) == JV_KIND_OBJECT ||
	    jv_get_kind(msg) == JV_KIND_ARRAY)
		*cause = expr_jv_message(msg);
	else {
		jv_free(msg);
		*cause = xstrdup("halted with an error");
	}
	return -1;
}

/* Runs e; outputs are converted only when out != NULL, else counted. */
static int
expr_exec(struct expr *e, const struct node *in, struct node ***out,
    size_t *nout, char **cause)
{
	struct node **nodes = NULL;
	size_t n = 0;
	jv r;

	jq_start(e->jq, expr_node_to_jv(in), 0);
	for (;;) {
		r = jq_next(e->jq);
		if (jv_is_valid(r)) {
			if (out != NULL) {
				nodes =
				    xreallocarray(nodes, n + 1, sizeof *nodes);
				nodes[n] = expr_jv_to_node(r, in);
				if (nodes[n] == NULL) {
					*cause = xstrdup("result nested too "
							 "deeply");
					goto fail;
				}
			} else
				jv_free(r);
			n++;
			continue;
		}
		if (jv_invalid_has_msg(jv_copy(r))) {
			*cause = expr_jv_message(jv_invalid_get_msg(r));
			goto fail;
		}
		jv_free(r);
		break;
	}
	if (expr_check_halt(e, cause) != 0)
		goto fail;
	if (out != NULL)
		*out = nodes;
	*nout = n;
	return 0;

fail:
	expr_free_nodes(nodes, n);
	return -1;
}

int
expr_run(struct expr *e, const struct node *in, struct node ***out,
    size_t *nout, char **cause)
{
	return expr_exec(e, in, out, nout, cause);
}

int
expr_match(struct expr *e, const struct node *in, int *match, char **cause)
{
	size_t n;

	if (expr_exec(e, in, NULL, &n, cause) != 0)
		return -1;
	*match = n > 0;
	return 0;
}

int
expr_eval(const char *prog, const struct node *in, int flags,
    struct node ***out, size_t *nout, char **cause)
{
	struct expr *e;
	int rc;

	if ((e = expr_compile(prog, flags, cause)) == NULL)
		return -1;
	rc = expr_run(e, in, out, nout, cause);
	expr_free(e);
	return rc;
}

int
expr_apply(const char *const *exprs, size_t n, struct node **doc, char **cause)
{
	struct node **out = NULL, *cur = NULL;
	const struct node *in = *doc;
	size_t i, nout;

	for (i = 0; i < n; i++) {
		if (expr_eval(
			exprs[i], in, EXPR_RESTRICTED, &out, &nout, cause) != 0)
			goto fail;
		if (nout != 1) {
			xasprintf(cause,
			    "expression `%s` gave %zu documents, "
			    "expected 1",
			    exprs[i], nout);
			expr_free_nodes(out, nout);
			goto fail;
		}
		node_free(cur);
		cur = out[0];
		free(out);
		in = cur;
	}
	if (cur != NULL) {
		node_free(*doc);
		*doc = cur;
	}
	return 0;

fail:
	node_free(cur);
	return -1;
}

int
expr_apply_yaml(const char *yaml, size_t len, const char *const *exprs,
    size_t n, char **out_yaml, char **cause)
{
	struct node *doc;

	if (n == 0) {
		*out_yaml = xstrndup(yaml, len);
		return 0;
	}
	if ((doc = node_from_yaml(yaml, len, NULL, cause)) == NULL)
		return -1;
	if (expr_apply(exprs, n, &doc, cause) != 0) {
		node_free(doc);
		return -1;
	}
	*out_yaml = node_to_yaml(doc);
	node_free(doc);
	return 0;
}

struct expr *
expr_compile_filter(const char *const *filters, size_t n, char **cause)
{
	struct expr *e;
	char *prog = NULL, *tmp;
	size_t i;

	/* The newline ends a trailing # comment in a filter. */
	for (i = 0; i < n; i++) {
		xasprintf(&tmp, "%s%sselect(%s\n)", prog != NULL ? prog : "",
		    prog != NULL ? " | " : "", filters[i]);
		free(prog);
		prog = tmp;
	}
	e = expr_compile(prog != NULL ? prog : ".", EXPR_RESTRICTED, cause);
	free(prog);
	return e;
}

int
expr_filter(const char *const *filters, size_t n, const struct node *in,
    int *match, char **cause)
{
	struct expr *e;
	int rc;

	if ((e = expr_compile_filter(filters, n, cause)) == NULL)
		return -1;
	rc = expr_match(e, in, match, cause);
	expr_free(e);
	return rc;
}
