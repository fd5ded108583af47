/* clima: struct node <-> jq's jv values. */
/*
 * jq 1.6 numbers are doubles and its objects iterate in insertion order
 * (a deleted key re-added goes to the end), so a document keeps its key
 * order through a program.  Scalars the program did not change are taken
 * back from the input tree, text and quoting included.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "expr/expr-int.h"

/* Results nested deeper than this are refused (conversion recurses). */
#define EXPR_MAX_DEPTH 1000
/* Doubles in this range convert to long long exactly when integral. */
#define EXPR_INT_LIMIT 9223372036854775807.0

static jv
expr_scalar_to_jv(const struct node *n)
{
	long long ll;
	double d;
	int b;

	switch (node_scalar_type(n)) {
	case NODE_T_NULL:
		return jv_null();
	case NODE_T_BOOL:
		if (node_get_bool(n, &b) == 0)
			return jv_bool(b);
		break;
	case NODE_T_INT:
		if (node_get_int(n, &ll) == 0)
			return jv_number((double)ll);
		/* Too big for long long: jq keeps a double anyway. */
		if (node_get_float(n, &d) == 0)
			return jv_number(d);
		d = strtod(n->str, NULL);
		return jv_number(d);
	case NODE_T_FLOAT:
		if (node_get_float(n, &d) == 0)
			return jv_number(d);
		break;
	default:
		break;
	}
	return jv_string(n->str);
}

jv
expr_node_to_jv(const struct node *n)
{
	jv v;
	size_t i;

	if (n == NULL)
		return jv_null();
	switch (n->kind) {
	case NODE_SEQ:
		v = jv_array_sized(n->nitems > INT_MAX ? 0 : (int)n->nitems);
		for (i = 0; i < n->nitems; i++)
			v = jv_array_append(v, expr_node_to_jv(n->items[i]));
		return v;
	case NODE_MAP:
		v = jv_object();
		for (i = 0; i < n->npairs; i++) {
			v = jv_object_set(v, jv_string(n->pairs[i].key),
			    expr_node_to_jv(n->pairs[i].val));
		}
		return v;
	case NODE_SCALAR:
		break;
	}
	return expr_scalar_to_jv(n);
}

static struct node *
expr_number_to_node(double d)
{
	if (isfinite(d) && floor(d) == d && fabs(d) < EXPR_INT_LIMIT)
		return node_new_int((long long)d);
	return node_new_float(d);
}

static struct node *
expr_jv_to_node_depth(jv v, const struct node *hint, int depth)
{
	struct node *n, *child_hint, *child;
	jv_kind kind;
	const char *key;

	kind = jv_get_kind(v);
	if (hint != NULL && hint->kind == NODE_SCALAR &&
	    kind != JV_KIND_ARRAY && kind != JV_KIND_OBJECT &&
	    jv_equal(expr_scalar_to_jv(hint), jv_copy(v))) {
		jv_free(v);
		return node_copy(hint);
	}

	if (depth > EXPR_MAX_DEPTH) {
		jv_free(v);
		return NULL;
	}
	switch (kind) {
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		n = node_new_bool(kind == JV_KIND_TRUE);
		break;
	case JV_KIND_NUMBER:
		n = expr_number_to_node(jv_number_value(v));
		break;
	case JV_KIND_STRING:
		n = node_new_str(jv_string_value(v));
		break;
	case JV_KIND_ARRAY:
		n = node_new_seq();
		jv_array_foreach(v, i, item)
		{
			child_hint = NULL;
			if (hint != NULL && hint->kind == NODE_SEQ &&
			    (size_t)i < hint->nitems)
				child_hint = hint->items[i];
			child =
			    expr_jv_to_node_depth(item, child_hint, depth + 1);
			if (child == NULL) {
				node_free(n);
				n = NULL;
				break;
			}
			node_seq_append(n, child);
		}
		break;
	case JV_KIND_OBJECT:
		n = node_new_map();
		jv_object_foreach(v, k, val)
		{
			key = jv_string_value(k);
			child_hint = NULL;
			if (hint != NULL && hint->kind == NODE_MAP)
				child_hint = node_map_get(hint, key);
			child =
			    expr_jv_to_node_depth(val, child_hint, depth + 1);
			if (child != NULL)
				node_map_set(n, key, child);
			jv_free(k);
			if (child == NULL) {
				node_free(n);
				n = NULL;
				break;
			}
		}
		break;
	default:
		n = node_new_null();
		break;
	}
	jv_free(v);
	return n;
}

struct node *
expr_jv_to_node(jv v, const struct node *hint)
{
	return expr_jv_to_node_depth(v, hint, 0);
}

char *
expr_jv_message(jv v)
{
	char *s;
	jv dump;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		s = xstrdup(jv_string_value(v));
		jv_free(v);
		return s;
	}
	dump = jv_dump_string(v, 0);
	xasprintf(&s, "%s (not a string)", jv_string_value(dump));
	jv_free(dump);
	return s;
}
