/* clima: Go text/template subset: the template functions. */
/*
 * Go's builtins (not, len, index, slice, eq, ne, lt, le, gt, ge; and/or
 * live in the executor because they stop early; print, println and
 * printf in gotmpl-fmt.c) and Lima's json, yaml, indent and missing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/gotmpl-int.h"
#include "common/node.h"
#include "common/xmalloc.h"

enum gt_basic {
	GT_B_INVALID,
	GT_B_BOOL,
	GT_B_INT,
	GT_B_FLOAT,
	GT_B_STRING,
	GT_B_OTHER
};

#define GT_ERR_BAD_COMPARISON_TYPE "invalid type for comparison"
#define GT_ERR_BAD_COMPARISON      "incompatible types for comparison"
#define GT_ERR_NO_COMPARISON       "missing argument for comparison"

static void
gt_ret_bool(struct gt_value *out, int b)
{
	memset(out, 0, sizeof *out);
	out->kind = GT_V_BOOL;
	out->b = b;
}

void
gt_ret_string(struct gt_state *st, struct gt_value *out, char *s)
{
	memset(out, 0, sizeof *out);
	out->kind = GT_V_STRING;
	out->s = gt_state_keep(st, s);
}

static enum gt_basic
gt_basic_kind(const struct gt_value *v)
{
	switch (v->kind) {
	case GT_V_MISSING:
	case GT_V_NIL:
		return GT_B_INVALID;
	case GT_V_BOOL:
		return GT_B_BOOL;
	case GT_V_INT:
		return GT_B_INT;
	case GT_V_FLOAT:
		return GT_B_FLOAT;
	case GT_V_STRING:
		return GT_B_STRING;
	default:
		return GT_B_OTHER;
	}
}

/* The value as a throw-away node for the JSON and YAML writers. */
static struct node *
gt_value_node(const struct gt_value *v)
{
	switch (v->kind) {
	case GT_V_BOOL:
		return node_new_bool(v->b);
	case GT_V_INT:
		return node_new_int(v->i);
	case GT_V_FLOAT:
		return node_new_float(v->f);
	case GT_V_STRING:
		return node_new_str(v->s);
	case GT_V_MAP:
	case GT_V_SEQ:
		return node_copy(v->n);
	default:
		return node_new_null();
	}
}

static int
gt_fn_json(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	struct node *tmp;

	tmp = gt_value_node(&a[0]);
	gt_ret_string(st, out, node_to_json(tmp, 0));
	node_free(tmp);
	return 0;
}

static int
gt_fn_yaml(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	struct node *tmp;
	char *y, *s;
	size_t len;

	tmp = gt_value_node(&a[0]);
	y = node_to_yaml(tmp);
	node_free(tmp);
	len = strlen(y);
	if (len > 0 && y[len - 1] == '\n')
		y[len - 1] = '\0';
	xasprintf(&s, "---\n%s", y);
	free(y);
	gt_ret_string(st, out, s);
	return 0;
}

/* Lima's argument rules for indent and missing: [first] string. */
static int
gt_lima_args(struct gt_value *a, int n, char **err)
{
	if (n == 0) {
		*err = xstrdup("function takes at least one string argument");
		return -1;
	}
	if (n > 2) {
		*err = xstrdup("function takes at most 2 arguments");
		return -1;
	}
	/* An absent value is the empty string that Go's struct would hold. */
	if (a[n - 1].kind == GT_V_MISSING || a[n - 1].kind == GT_V_NIL) {
		a[n - 1].kind = GT_V_STRING;
		a[n - 1].s = "";
	}
	if (a[n - 1].kind != GT_V_STRING) {
		*err = xstrdup("last argument must be a string");
		return -1;
	}
	return 0;
}

static int
gt_fn_indent(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	struct gt_buf b = { NULL, 0, 0 };
	const char *p, *nl;
	long long size = 2;

	if (gt_lima_args(a, n, err) != 0)
		return -1;
	if (n == 2) {
		if (a[0].kind != GT_V_INT) {
			*err = xstrdup("optional first argument must be an "
				       "integer");
			return -1;
		}
		size = a[0].i;
	}
	for (p = a[n - 1].s;; p = nl + 1) {
		nl = strchr(p, '\n');
		if (*p != '\0' && p != nl)
			gt_buf_addf(&b, "%*s", (int)(size > 0 ? size : 0), "");
		if (nl == NULL) {
			gt_buf_adds(&b, p);
			break;
		}
		gt_buf_add(&b, p, (size_t)(nl - p) + 1);
	}
	gt_ret_string(st, out, gt_buf_take(&b));
	return 0;
}

static int
gt_fn_missing(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	const char *msg = "<missing>";

	if (gt_lima_args(a, n, err) != 0)
		return -1;
	if (n == 2) {
		if (a[0].kind != GT_V_STRING) {
			*err = xstrdup("optional first argument must be a "
				       "string");
			return -1;
		}
		msg = a[0].s;
	}
	*out = a[n - 1];
	if (*out->s == '\0')
		out->s = msg;
	return 0;
}

static int
gt_fn_not(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	gt_ret_bool(out, !gt_truth(&a[0]));
	return 0;
}

static int
gt_fn_len(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	memset(out, 0, sizeof *out);
	out->kind = GT_V_INT;
	switch (a[0].kind) {
	case GT_V_STRING:
		out->i = (long long)strlen(a[0].s);
		return 0;
	case GT_V_MAP:
		out->i = (long long)a[0].n->npairs;
		return 0;
	case GT_V_SEQ:
		out->i = (long long)a[0].n->nitems;
		return 0;
	case GT_V_MISSING:
	case GT_V_NIL:
		*err = xstrdup("len of nil pointer");
		return -1;
	default:
		xasprintf(err, "len of type %s", gt_type_name(st, &a[0]));
		return -1;
	}
}

/* An index argument in [0, cap]. */
static int
gt_index_arg(struct gt_state *st, const struct gt_value *v, size_t cap,
    size_t *x, char **err)
{
	if (v->kind == GT_V_MISSING || v->kind == GT_V_NIL) {
		*err = xstrdup("cannot index slice/array with nil");
		return -1;
	}
	if (v->kind != GT_V_INT) {
		xasprintf(err, "cannot index slice/array with type %s",
		    gt_type_name(st, v));
		return -1;
	}
	if (v->i < 0 || (unsigned long long)v->i > cap) {
		xasprintf(err, "index out of range: %lld", v->i);
		return -1;
	}
	*x = (size_t)v->i;
	return 0;
}

static int
gt_fn_index(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	struct gt_value item = a[0];
	const struct node *val;
	size_t x, len;
	int i;

	if (item.kind == GT_V_MISSING || item.kind == GT_V_NIL) {
		*err = xstrdup("index of untyped nil");
		return -1;
	}
	for (i = 1; i < n; i++) {
		switch (item.kind) {
		case GT_V_SEQ:
		case GT_V_STRING:
			len = item.kind == GT_V_SEQ ? item.n->nitems
						    : strlen(item.s);
			if (gt_index_arg(st, &a[i], len, &x, err) != 0)
				return -1;
			if (x == len) {
				xasprintf(err, "index out of range: %zu", x);
				return -1;
			}
			if (item.kind == GT_V_SEQ)
				item = gt_from_node(item.n->items[x]);
			else {
				item.kind = GT_V_INT;
				item.i = (unsigned char)item.s[x];
			}
			break;
		case GT_V_MAP:
			if (a[i].kind != GT_V_STRING) {
				xasprintf(err,
				    "value has type %s; should be "
				    "string",
				    gt_type_name(st, &a[i]));
				return -1;
			}
			val = node_map_get(item.n, a[i].s);
			item = gt_from_node(val);
			if (val == NULL)
				item.kind = GT_V_NIL;
			break;
		case GT_V_NIL:
			*err = xstrdup("index of nil pointer");
			return -1;
		default:
			xasprintf(err, "can't index item of type %s",
			    gt_type_name(st, &item));
			return -1;
		}
	}
	*out = item;
	return 0;
}

static int
gt_fn_slice(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	struct node *seq;
	size_t idx[3], len, i;
	int k;

	if (a[0].kind == GT_V_MISSING || a[0].kind == GT_V_NIL) {
		*err = xstrdup("slice of untyped nil");
		return -1;
	}
	if (n - 1 > 3) {
		xasprintf(err, "too many slice indexes: %d", n - 1);
		return -1;
	}
	if (a[0].kind == GT_V_STRING) {
		if (n - 1 == 3) {
			*err = xstrdup("cannot 3-index slice a string");
			return -1;
		}
		len = strlen(a[0].s);
	} else if (a[0].kind == GT_V_SEQ)
		len = a[0].n->nitems;
	else {
		xasprintf(err, "can't slice item of type %s",
		    gt_type_name(st, &a[0]));
		return -1;
	}
	idx[0] = 0;
	idx[1] = idx[2] = len;
	for (k = 1; k < n; k++) {
		if (gt_index_arg(st, &a[k], len, &idx[k - 1], err) != 0)
			return -1;
	}
	if (idx[0] > idx[1]) {
		xasprintf(
		    err, "invalid slice index: %zu > %zu", idx[0], idx[1]);
		return -1;
	}
	if (a[0].kind == GT_V_STRING) {
		gt_ret_string(
		    st, out, xstrndup(a[0].s + idx[0], idx[1] - idx[0]));
		return 0;
	}
	seq = node_new_seq();
	for (i = idx[0]; i < idx[1]; i++)
		node_seq_append(seq, node_copy(a[0].n->items[i]));
	*out = gt_from_node(gt_state_keep_node(st, seq));
	return 0;
}

static int
gt_equal(
    const struct gt_value *x, const struct gt_value *y, int *truth, char **err)
{
	enum gt_basic k1 = gt_basic_kind(x), k2 = gt_basic_kind(y);

	*truth = 0;
	if (k1 != k2) {
		if (k1 != GT_B_INVALID && k2 != GT_B_INVALID) {
			*err = xstrdup(GT_ERR_BAD_COMPARISON);
			return -1;
		}
		return 0;
	}
	switch (k1) {
	case GT_B_INVALID:
		*truth = 1;
		break;
	case GT_B_BOOL:
		*truth = x->b == y->b;
		break;
	case GT_B_INT:
		*truth = x->i == y->i;
		break;
	case GT_B_FLOAT:
		*truth = x->f == y->f;
		break;
	case GT_B_STRING:
		*truth = strcmp(x->s, y->s) == 0;
		break;
	default:
		*err = xstrdup("non-comparable types");
		return -1;
	}
	return 0;
}

static int
gt_fn_eq(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	int i, truth;

	if (n < 2) {
		*err = xstrdup(GT_ERR_NO_COMPARISON);
		return -1;
	}
	for (i = 1; i < n; i++) {
		if (gt_equal(&a[0], &a[i], &truth, err) != 0)
			return -1;
		if (truth)
			break;
	}
	gt_ret_bool(out, truth);
	return 0;
}

static int
gt_fn_ne(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	int truth;

	if (gt_equal(&a[0], &a[1], &truth, err) != 0)
		return -1;
	gt_ret_bool(out, !truth);
	return 0;
}

static int
gt_less(
    const struct gt_value *x, const struct gt_value *y, int *truth, char **err)
{
	enum gt_basic k1 = gt_basic_kind(x), k2 = gt_basic_kind(y);

	if (k1 == GT_B_INVALID || k1 == GT_B_OTHER || k2 == GT_B_INVALID ||
	    k2 == GT_B_OTHER) {
		*err = xstrdup(GT_ERR_BAD_COMPARISON_TYPE);
		return -1;
	}
	if (k1 != k2) {
		*err = xstrdup(GT_ERR_BAD_COMPARISON);
		return -1;
	}
	switch (k1) {
	case GT_B_INT:
		*truth = x->i < y->i;
		break;
	case GT_B_FLOAT:
		*truth = x->f < y->f;
		break;
	case GT_B_STRING:
		*truth = strcmp(x->s, y->s) < 0;
		break;
	default:
		*err = xstrdup(GT_ERR_BAD_COMPARISON_TYPE);
		return -1;
	}
	return 0;
}

static int
gt_compare(struct gt_value *a, int *lt, int *eq, char **err)
{
	if (gt_less(&a[0], &a[1], lt, err) != 0)
		return -1;
	return gt_equal(&a[0], &a[1], eq, err);
}

static int
gt_fn_lt(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	int lt, eq;

	if (gt_compare(a, &lt, &eq, err) != 0)
		return -1;
	gt_ret_bool(out, lt);
	return 0;
}

static int
gt_fn_le(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	int lt, eq;

	if (gt_compare(a, &lt, &eq, err) != 0)
		return -1;
	gt_ret_bool(out, lt || eq);
	return 0;
}

static int
gt_fn_gt(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	int lt, eq;

	if (gt_compare(a, &lt, &eq, err) != 0)
		return -1;
	gt_ret_bool(out, !(lt || eq));
	return 0;
}

static int
gt_fn_ge(struct gt_state *st, struct gt_value *a, int n, struct gt_value *out,
    char **err)
{
	int lt, eq;

	if (gt_compare(a, &lt, &eq, err) != 0)
		return -1;
	gt_ret_bool(out, !lt);
	return 0;
}

static const struct gt_func gt_funcs[] = {
	{ "eq", 1, -1, gt_fn_eq },
	{ "ge", 2, 2, gt_fn_ge },
	{ "gt", 2, 2, gt_fn_gt },
	{ "indent", 0, -1, gt_fn_indent },
	{ "index", 1, -1, gt_fn_index },
	{ "json", 1, 1, gt_fn_json },
	{ "le", 2, 2, gt_fn_le },
	{ "len", 1, 1, gt_fn_len },
	{ "lt", 2, 2, gt_fn_lt },
	{ "missing", 0, -1, gt_fn_missing },
	{ "ne", 2, 2, gt_fn_ne },
	{ "not", 1, 1, gt_fn_not },
	{ "print", 0, -1, gt_fn_print },
	{ "printf", 1, -1, gt_fn_printf },
	{ "println", 0, -1, gt_fn_println },
	{ "slice", 1, -1, gt_fn_slice },
	{ "yaml", 1, 1, gt_fn_yaml },
};

const struct gt_func *
gt_func_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof gt_funcs / sizeof gt_funcs[0]; i++) {
		if (strcmp(gt_funcs[i].name, name) == 0)
			return &gt_funcs[i];
	}
	return NULL;
}
