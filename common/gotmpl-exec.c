/* clima: Go text/template subset: executing a parsed template. */
/*
 * Walks the tree the way text/template's exec.go does, over struct node
 * data: maps are map[string]interface{} (keys found exactly, then
 * ignoring case), sequences are []interface{}, and the top level can act
 * as a named struct type.  Errors carry Go's "executing" context.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/gotmpl.h"
#include "common/gotmpl-int.h"
#include "common/node.h"
#include "common/xmalloc.h"

#define GT_MAX_DEPTH   10000 /* Go's maxExecDepth */
#define GT_CONTEXT_MAX 20    /* Go truncates the "at <...>" context */

/* What walking a node did. */
#define GT_WALK_ERROR    (-1)
#define GT_WALK_OK       0
#define GT_WALK_BREAK    1
#define GT_WALK_CONTINUE 2

struct gt_var {
	const char *name;
	struct gt_value v;
};

struct gt_state {
	const struct gotmpl *t;
	const char *type_name;
	struct gt_buf out;
	struct gt_var *vars;
	size_t nvars;
	char **keep; /* the arena */
	size_t nkeep;
	struct node **keep_nodes;
	size_t nkeep_nodes;
	char *err;
	int depth;
};

static int gt_eval_pipeline(struct gt_state *, struct gt_value,
    const struct gt_node *, struct gt_value *);
static int gt_eval_arg(struct gt_state *, struct gt_value,
    const struct gt_node *, struct gt_value *);
static int gt_walk(struct gt_state *, struct gt_value, const struct gt_node *);

const char *
gt_state_keep(struct gt_state *st, char *s)
{
	st->keep = xreallocarray(st->keep, st->nkeep + 1, sizeof *st->keep);
	st->keep[st->nkeep++] = s;
	return s;
}

const struct node *
gt_state_keep_node(struct gt_state *st, struct node *n)
{
	st->keep_nodes = xreallocarray(
	    st->keep_nodes, st->nkeep_nodes + 1, sizeof *st->keep_nodes);
	st->keep_nodes[st->nkeep_nodes++] = n;
	return n;
}

/*
 * "template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MSG"; the
 * first error wins.  Returns GT_WALK_ERROR.
 */
static int __attribute__((__format__(__printf__, 3, 4))) gt_exec_errorf(
    struct gt_state *st, const struct gt_node *at, const char *fmt, ...)
{
	struct gt_buf ctx = { NULL, 0, 0 };
	va_list ap;
	char *msg, *qname;
	int line, col;

	if (st->err != NULL)
		return GT_WALK_ERROR;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (at == NULL) {
		xasprintf(&st->err, "template: %s: %s", st->t->name, msg);
		free(msg);
		return GT_WALK_ERROR;
	}
	gt_node_string(&ctx, at);
	if (ctx.len > GT_CONTEXT_MAX) {
		ctx.p[GT_CONTEXT_MAX] = '\0';
		ctx.len = GT_CONTEXT_MAX;
		gt_buf_adds(&ctx, "...");
	}
	gt_position(st->t, at->pos, &line, &col);
	qname = gt_quote_n(st->t->name, strlen(st->t->name));
	xasprintf(&st->err, "template: %s:%d:%d: executing %s at <%s>: %s",
	    st->t->name, line, col, qname, ctx.p != NULL ? ctx.p : "", msg);
	free(qname);
	free(ctx.p);
	free(msg);
	return GT_WALK_ERROR;
}

struct gt_value
gt_from_node(const struct node *n)
{
	struct gt_value v;
	long long ll;
	double d;

	memset(&v, 0, sizeof v);
	if (n == NULL) {
		v.kind = GT_V_MISSING;
		return v;
	}
	v.n = n;
	switch (n->kind) {
	case NODE_MAP:
		v.kind = GT_V_MAP;
		return v;
	case NODE_SEQ:
		v.kind = GT_V_SEQ;
		return v;
	case NODE_SCALAR:
		break;
	}
	switch (node_scalar_type(n)) {
	case NODE_T_NULL:
		v.kind = GT_V_NIL;
		return v;
	case NODE_T_BOOL:
		if (node_get_bool(n, &v.b) == 0) {
			v.kind = GT_V_BOOL;
			return v;
		}
		break;
	case NODE_T_INT:
		if (node_get_int(n, &ll) == 0) {
			v.kind = GT_V_INT;
			v.i = ll;
			return v;
		}
		/* FALLTHROUGH */
	case NODE_T_FLOAT:
		if (node_get_float(n, &d) == 0) {
			v.kind = GT_V_FLOAT;
			v.f = d;
			return v;
		}
		break;
	default:
		break;
	}
	v.kind = GT_V_STRING;
	v.s = n->str;
	return v;
}

const char *
gt_type_name(struct gt_state *st, const struct gt_value *v)
{
	if (v->root && st->type_name != NULL)
		return st->type_name;
	switch (v->kind) {
	case GT_V_MISSING:
		return "<nil>";
	case GT_V_NIL:
		return "interface {}";
	case GT_V_BOOL:
		return "bool";
	case GT_V_INT:
		return "int";
	case GT_V_FLOAT:
		return "float64";
	case GT_V_STRING:
		return "string";
	case GT_V_MAP:
		return "map[string]interface {}";
	case GT_V_SEQ:
		return "[]interface {}";
	}
	return "?";
}

int
gt_truth(const struct gt_value *v)
{
	switch (v->kind) {
	case GT_V_BOOL:
		return v->b;
	case GT_V_INT:
		return v->i != 0;
	case GT_V_FLOAT:
		return v->f != 0;
	case GT_V_STRING:
		return v->s[0] != '\0';
	case GT_V_MAP:
		return v->root || v->n->npairs > 0; /* a struct is true */
	case GT_V_SEQ:
		return v->n->nitems > 0;
	default:
		return 0;
	}
}

static struct gt_var *
gt_var_find(struct gt_state *st, const char *name)
{
	size_t i;

	for (i = st->nvars; i > 0; i--) {
		if (strcmp(st->vars[i - 1].name, name) == 0)
			return &st->vars[i - 1];
	}
	return NULL;
}

static void
gt_var_push(struct gt_state *st, const char *name, struct gt_value v)
{
	st->vars = xreallocarray(st->vars, st->nvars + 1, sizeof *st->vars);
	st->vars[st->nvars].name = name;
	st->vars[st->nvars].v = v;
	st->nvars++;
}

/* A map entry: the exact key, else one that matches ignoring case. */
static const struct node *
gt_map_lookup(const struct node *map, const char *name)
{
	const struct node *n;
	size_t i;

	if ((n = node_map_get(map, name)) != NULL)
		return n;
	for (i = 0; i < map->npairs; i++) {
		if (strcasecmp(map->pairs[i].key, name) == 0)
			return map->pairs[i].val;
	}
	return NULL;
}

static int
gt_eval_field(struct gt_state *st, const struct gt_node *at, const char *name,
    int has_args, struct gt_value recv, struct gt_value *out)
{
	const struct node *n;
	int is_struct;

	if (recv.kind == GT_V_MISSING) {
		*out = recv;
		return 0;
	}
	if (recv.kind == GT_V_NIL) {
		return gt_exec_errorf(st, at, "nil pointer evaluating %s.%s",
		    gt_type_name(st, &recv), name);
	}
	if (recv.kind == GT_V_MAP) {
		is_struct = recv.root && st->type_name != NULL;
		n = gt_map_lookup(recv.n, name);
		if (n == NULL && is_struct)
			goto bad;
		if (has_args) {
			return gt_exec_errorf(st, at,
			    is_struct ? "%s has arguments but cannot be "
					"invoked as function"
				      : "%s is not a method but has arguments",
			    name);
		}
		*out = gt_from_node(n);
		return 0;
	}
bad:
	return gt_exec_errorf(st, at, "can't evaluate field %s in type %s",
	    name, gt_type_name(st, &recv));
}

static int
gt_eval_field_chain(struct gt_state *st, struct gt_value recv,
    const struct gt_node *at, char *const *idents, size_t n, int has_args,
    struct gt_value *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (gt_eval_field(st, at, idents[i], i + 1 == n && has_args,
			recv, &recv) != 0)
			return GT_WALK_ERROR;
	}
	*out = recv;
	return 0;
}

static int
gt_not_a_function(struct gt_state *st, const struct gt_node *cmd,
    const struct gt_value *final)
{
	struct gt_buf b = { NULL, 0, 0 };
	int rc;

	if (cmd == NULL || (cmd->nkids <= 1 && final == NULL))
		return 0;
	gt_node_string(&b, cmd->kids[0]);
	rc = gt_exec_errorf(
	    st, cmd->kids[0], "can't give argument to non-function %s", b.p);
	free(b.p);
	return rc;
}

static int
gt_eval_variable(struct gt_state *st, const struct gt_node *var,
    const struct gt_node *cmd, const struct gt_value *final,
    struct gt_value *out)
{
	struct gt_var *v;

	if ((v = gt_var_find(st, var->idents[0])) == NULL) {
		return gt_exec_errorf(
		    st, var, "undefined variable: %s", var->idents[0]);
	}
	if (var->nidents == 1) {
		if (gt_not_a_function(st, cmd, final) != 0)
			return GT_WALK_ERROR;
		*out = v->v;
		return 0;
	}
	return gt_eval_field_chain(st, v->v, var, var->idents + 1,
	    var->nidents - 1, (cmd != NULL && cmd->nkids > 1) || final != NULL,
	    out);
}

static int
gt_eval_chain(struct gt_state *st, struct gt_value dot,
    const struct gt_node *chain, int has_args, struct gt_value *out)
{
	struct gt_buf b = { NULL, 0, 0 };
	struct gt_value recv;
	int rc;

	if (chain->sub->type == GT_N_NIL) {
		gt_node_string(&b, chain);
		rc = gt_exec_errorf(
		    st, chain, "indirection through explicit nil in %s", b.p);
		free(b.p);
		return rc;
	}
	if (gt_eval_arg(st, dot, chain->sub, &recv) != 0)
		return GT_WALK_ERROR;
	return gt_eval_field_chain(
	    st, recv, chain, chain->idents, chain->nidents, has_args, out);
}

/* A literal or the value of a node used as an argument. */
static int
gt_literal(const struct gt_node *n, struct gt_value *out)
{
	memset(out, 0, sizeof *out);
	switch (n->type) {
	case GT_N_BOOL:
		out->kind = GT_V_BOOL;
		out->b = n->b;
		return 1;
	case GT_N_NUMBER:
		if (n->is_float) {
			out->kind = GT_V_FLOAT;
			out->f = n->f;
		} else {
			out->kind = GT_V_INT;
			out->i = n->i;
		}
		return 1;
	case GT_N_STRING:
		out->kind = GT_V_STRING;
		out->s = n->text;
		return 1;
	case GT_N_NIL:
		out->kind = GT_V_NIL;
		return 1;
	default:
		return 0;
	}
}

static int
gt_wrong_args(struct gt_state *st, const struct gt_node *ident,
    const struct gt_func *f, int nargs, int ntotal)
{
	if (f->max_args == -1) {
		return gt_exec_errorf(st, ident,
		    "wrong number of args for %s: want at least %d got %d",
		    f->name, f->min_args, nargs);
	}
	return gt_exec_errorf(st, ident,
	    "wrong number of args for %s: want %d got %d", f->name, f->min_args,
	    ntotal);
}

/*
 * A function call: cmd's other words are the arguments, final (when not
 * NULL) the value piped in.  and/or stop at the deciding argument.
 */
static int
gt_eval_function(struct gt_state *st, struct gt_value dot,
    const struct gt_node *ident, const struct gt_node *cmd,
    const struct gt_value *final, struct gt_value *out)
{
	static const struct gt_func gt_and = { "and", 1, -1, NULL };
	static const struct gt_func gt_or = { "or", 1, -1, NULL };
	const struct gt_func *f;
	struct gt_value *argv = NULL, v;
	char *err = NULL;
	size_t i, nargs;
	int is_or, rc = GT_WALK_ERROR;

	nargs = cmd != NULL && cmd != ident ? cmd->nkids - 1 : 0;
	is_or = strcmp(ident->raw, "or") == 0;
	if (is_or || strcmp(ident->raw, "and") == 0) {
		if (nargs == 0 && final == NULL) {
			return gt_wrong_args(
			    st, ident, is_or ? &gt_or : &gt_and, 0, 0);
		}
		memset(&v, 0, sizeof v);
		for (i = 0; i < nargs; i++) {
			if (gt_eval_arg(st, dot, cmd->kids[i + 1], &v) != 0)
				return GT_WALK_ERROR;
			if (gt_truth(&v) == is_or) {
				*out = v;
				return 0;
			}
		}
		*out = final != NULL ? *final : v;
		return 0;
	}

	if ((f = gt_func_find(ident->raw)) == NULL) {
		return gt_exec_errorf(
		    st, ident, "\"%s\" is not a defined function", ident->raw);
	}
	argv = xreallocarray(NULL, nargs + 1, sizeof *argv);
	for (i = 0; i < nargs; i++) {
		if (gt_eval_arg(st, dot, cmd->kids[i + 1], &argv[i]) != 0)
			goto out;
	}
	if (final != NULL)
		argv[nargs] = *final;
	i = nargs + (final != NULL);
	if ((int)i < f->min_args ||
	    (f->max_args != -1 && (int)i > f->max_args)) {
		gt_wrong_args(st, ident, f, (int)nargs, (int)i);
		goto out;
	}
	if (f->fn(st, argv, (int)i, out, &err) != 0) {
		gt_exec_errorf(st, cmd != NULL ? cmd : ident,
		    "error calling %s: %s", f->name, err);
		free(err);
		goto out;
	}
	rc = 0;
out:
	free(argv);
	return rc;
}

static int
gt_eval_arg(struct gt_state *st, struct gt_value dot, const struct gt_node *n,
    struct gt_value *out)
{
	switch (n->type) {
	case GT_N_DOT:
		*out = dot;
		return 0;
	case GT_N_FIELD:
		return gt_eval_field_chain(
		    st, dot, n, n->idents, n->nidents, 0, out);
	case GT_N_VAR:
		return gt_eval_variable(st, n, NULL, NULL, out);
	case GT_N_PIPE:
		return gt_eval_pipeline(st, dot, n, out);
	case GT_N_IDENT:
		return gt_eval_function(st, dot, n, n, NULL, out);
	case GT_N_CHAIN:
		return gt_eval_chain(st, dot, n, 0, out);
	default:
		if (gt_literal(n, out))
			return 0;
		return gt_exec_errorf(st, n, "can't handle %s", "argument");
	}
}

static int
gt_eval_command(struct gt_state *st, struct gt_value dot,
    const struct gt_node *cmd, const struct gt_value *final,
    struct gt_value *out)
{
	const struct gt_node *first = cmd->kids[0];
	int has_args = cmd->nkids > 1 || final != NULL;

	switch (first->type) {
	case GT_N_FIELD:
		return gt_eval_field_chain(st, dot, first, first->idents,
		    first->nidents, has_args, out);
	case GT_N_CHAIN:
		return gt_eval_chain(st, dot, first, has_args, out);
	case GT_N_IDENT:
		return gt_eval_function(st, dot, first, cmd, final, out);
	case GT_N_VAR:
		return gt_eval_variable(st, first, cmd, final, out);
	default:
		break;
	}
	if (gt_not_a_function(st, cmd, final) != 0)
		return GT_WALK_ERROR;
	switch (first->type) {
	case GT_N_PIPE:
		return gt_eval_pipeline(st, dot, first, out);
	case GT_N_DOT:
		*out = dot;
		return 0;
	case GT_N_NIL:
		return gt_exec_errorf(st, first, "nil is not a command");
	default:
		gt_literal(first, out);
		return 0;
	}
}

static int
gt_eval_pipeline(struct gt_state *st, struct gt_value dot,
    const struct gt_node *pipe, struct gt_value *out)
{
	struct gt_value v;
	struct gt_var *var;
	size_t i;

	memset(&v, 0, sizeof v);
	for (i = 0; i < pipe->nkids; i++) {
		if (gt_eval_command(
			st, dot, pipe->kids[i], i > 0 ? &v : NULL, &v) != 0)
			return GT_WALK_ERROR;
		/* An interface{} holding nil is no value at all. */
		if (v.kind == GT_V_NIL)
			v.kind = GT_V_MISSING;
	}
	for (i = 0; i < pipe->ndecls; i++) {
		if (!pipe->is_assign) {
			gt_var_push(st, pipe->decls[i]->raw, v);
			continue;
		}
		if ((var = gt_var_find(st, pipe->decls[i]->raw)) == NULL) {
			return gt_exec_errorf(st, pipe->decls[i],
			    "undefined variable: %s", pipe->decls[i]->raw);
		}
		var->v = v;
	}
	*out = v;
	return 0;
}

/* One turn of a range: $v (and $i) set, the body walked. */
static int
gt_range_once(struct gt_state *st, const struct gt_node *r, size_t mark,
    struct gt_value index, struct gt_value elem)
{
	int rc;

	if (r->sub->ndecls > 0)
		st->vars[st->nvars - 1].v = elem;
	if (r->sub->ndecls > 1)
		st->vars[st->nvars - 2].v = index;
	rc = gt_walk(st, elem, r->list);
	st->nvars = mark;
	return rc;
}

static int
gt_walk_range(struct gt_state *st, struct gt_value dot, const struct gt_node *r)
{
	const struct node_pair **pairs = NULL;
	struct gt_buf b = { NULL, 0, 0 };
	struct gt_value v, index, elem;
	size_t mark = st->nvars, mark2, i, n = 0;
	int rc = GT_WALK_OK;

	if (gt_eval_pipeline(st, dot, r->sub, &v) != 0)
		return GT_WALK_ERROR;
	mark2 = st->nvars;
	memset(&index, 0, sizeof index);
	index.kind = GT_V_INT;
	switch (v.kind) {
	case GT_V_SEQ:
		n = v.n->nitems;
		for (i = 0; i < n; i++) {
			index.i = (long long)i;
			elem = gt_from_node(v.n->items[i]);
			rc = gt_range_once(st, r, mark2, index, elem);
			if (rc == GT_WALK_ERROR || rc == GT_WALK_BREAK)
				break;
		}
		break;
	case GT_V_MAP:
		n = v.n->npairs;
		pairs = gt_sorted_pairs(v.n);
		index.kind = GT_V_STRING;
		for (i = 0; i < n; i++) {
			index.s = pairs[i]->key;
			elem = gt_from_node(pairs[i]->val);
			rc = gt_range_once(st, r, mark2, index, elem);
			if (rc == GT_WALK_ERROR || rc == GT_WALK_BREAK)
				break;
		}
		free(pairs);
		break;
	case GT_V_INT:
		n = v.i > 0 ? (size_t)v.i : 0;
		for (i = 0; i < n; i++) {
			index.i = (long long)i;
			rc = gt_range_once(st, r, mark2, index, index);
			if (rc == GT_WALK_ERROR || rc == GT_WALK_BREAK)
				break;
		}
		break;
	case GT_V_MISSING:
	case GT_V_NIL:
		break;
	default:
		gt_fmt_value(&b, &v);
		rc = gt_exec_errorf(st, r, "range can't iterate over %s", b.p);
		free(b.p);
		break;
	}
	if (rc != GT_WALK_ERROR) {
		rc = GT_WALK_OK;
		if (n == 0 && r->else_list != NULL)
			rc = gt_walk(st, dot, r->else_list);
	}
	st->nvars = mark;
	return rc;
}

static int
gt_walk(struct gt_state *st, struct gt_value dot, const struct gt_node *n)
{
	struct gt_value v;
	size_t i, mark;
	int rc = GT_WALK_OK;

	if (++st->depth > GT_MAX_DEPTH) {
		st->depth--;
		return gt_exec_errorf(st, n,
		    "exceeded maximum template depth "
		    "(%d)",
		    GT_MAX_DEPTH);
	}
	switch (n->type) {
	case GT_N_LIST:
		for (i = 0; i < n->nkids && rc == GT_WALK_OK; i++)
			rc = gt_walk(st, dot, n->kids[i]);
		break;
	case GT_N_TEXT:
		gt_buf_add(&st->out, n->text, n->len);
		break;
	case GT_N_ACTION:
		if (gt_eval_pipeline(st, dot, n->sub, &v) != 0)
			rc = GT_WALK_ERROR;
		else if (n->sub->ndecls == 0) {
			if (v.kind == GT_V_MISSING || v.kind == GT_V_NIL)
				gt_buf_adds(&st->out, "<no value>");
			else
				gt_fmt_value(&st->out, &v);
		}
		break;
	case GT_N_IF:
	case GT_N_WITH:
		mark = st->nvars;
		if (gt_eval_pipeline(st, dot, n->sub, &v) != 0)
			rc = GT_WALK_ERROR;
		else if (gt_truth(&v))
			rc = gt_walk(
			    st, n->type == GT_N_WITH ? v : dot, n->list);
		else if (n->else_list != NULL)
			rc = gt_walk(st, dot, n->else_list);
		st->nvars = mark;
		break;
	case GT_N_RANGE:
		rc = gt_walk_range(st, dot, n);
		break;
	case GT_N_BREAK:
		rc = GT_WALK_BREAK;
		break;
	case GT_N_CONTINUE:
		rc = GT_WALK_CONTINUE;
		break;
	default:
		rc = gt_exec_errorf(st, n, "unknown node");
		break;
	}
	st->depth--;
	return rc;
}

int
gotmpl_exec(const struct gotmpl *t, const struct node *data,
    const char *type_name, char **out, char **cause)
{
	struct gt_state st;
	struct gt_value root;
	size_t i;
	int rc;

	memset(&st, 0, sizeof st);
	st.t = t;
	st.type_name = type_name;
	root = gt_from_node(data);
	root.root = 1;
	gt_var_push(&st, "$", root);
	rc = gt_walk(&st, root, t->root);
	for (i = 0; i < st.nkeep; i++)
		free(st.keep[i]);
	free(st.keep);
	for (i = 0; i < st.nkeep_nodes; i++)
		node_free(st.keep_nodes[i]);
	free(st.keep_nodes);
	free(st.vars);
	if (rc == GT_WALK_ERROR) {
		free(st.out.p);
		*cause = st.err;
		return -1;
	}
	*out = gt_buf_take(&st.out);
	return 0;
}
