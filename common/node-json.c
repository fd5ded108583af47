/* clima: JSON to struct node and back, with yajl. */
/*
 * Writing maps each scalar by its resolved type (null, bool, number or
 * string) through yajl_gen; pretty output is the compact text re-indented
 * the way Go's json.MarshalIndent lays it out.  Reading goes through
 * yajl_tree, whose objects keep their key order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/node-int.h"
#include "common/node.h"
#include "common/xmalloc.h"

/* yajl_gen refuses to nest deeper than this (YAJL_MAX_DEPTH). */
#define NJ_GEN_MAX_DEPTH 128

struct nj_buf {
	char *p;
	size_t len;
	size_t size;
};

static void
nj_buf_add(struct nj_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static int
nj_string(yajl_gen g, const char *s)
{
	char *fixed = NULL;
	int rc;

	if (!node_utf8_valid(s))
		s = fixed = node_utf8_fix(s);
	rc = yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	free(fixed);
	return rc;
}

/*
 * Rewrites a core-schema number (decimal digits, optional sign, point
 * and exponent) as valid JSON: no '+', no leading zeros, no bare point.
 */
static char *
nj_number_text(const char *s)
{
	struct nj_buf b = { NULL, 0, 0 };
	size_t n;

	if (*s == '-') {
		nj_buf_add(&b, "-", 1);
		s++;
	} else if (*s == '+')
		s++;
	n = strspn(s, "0123456789");
	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	if (n == 0)
		nj_buf_add(&b, "0", 1);
	else
		nj_buf_add(&b, s, n);
	s += n;
	if (*s == '.') {
		s++;
		if ((n = strspn(s, "0123456789")) != 0) {
			nj_buf_add(&b, ".", 1);
			nj_buf_add(&b, s, n);
		}
		s += n;
	}
	if (*s == 'e' || *s == 'E')
		nj_buf_add(&b, s, strlen(s));
	return b.p;
}

static int
nj_scalar(yajl_gen g, const struct node *n)
{
	long long v;
	char *text;
	int b, rc;

	switch (node_scalar_type(n)) {
	case NODE_T_NULL:
		return yajl_gen_null(g);
	case NODE_T_BOOL:
		node_get_bool(n, &b);
		return yajl_gen_bool(g, b);
	case NODE_T_INT:
		if (node_get_int(n, &v) == 0)
			return yajl_gen_integer(g, v);
		if (n->str[0] == '0' && (n->str[1] == 'x' || n->str[1] == 'o'))
			return nj_string(g, n->str);
		break;
	case NODE_T_FLOAT:
		if (strpbrk(n->str, "nN") != NULL) /* .inf, .nan */
			return nj_string(g, n->str);
		break;
	default:
		return nj_string(g, n->str);
	}
	text = nj_number_text(n->str);
	rc = yajl_gen_number(g, text, strlen(text));
	free(text);
	return rc;
}

static int
nj_node(yajl_gen g, const struct node *n, int depth)
{
	size_t i;
	int rc;

	if (depth >= NJ_GEN_MAX_DEPTH)
		return yajl_max_depth_exceeded;
	if (n == NULL)
		return yajl_gen_null(g);
	switch (n->kind) {
	case NODE_SCALAR:
		return nj_scalar(g, n);
	case NODE_SEQ:
		if ((rc = yajl_gen_array_open(g)) != yajl_gen_status_ok)
			return rc;
		for (i = 0; i < n->nitems; i++) {
			rc = nj_node(g, n->items[i], depth + 1);
			if (rc != yajl_gen_status_ok)
				return rc;
		}
		return yajl_gen_array_close(g);
	case NODE_MAP:
		if ((rc = yajl_gen_map_open(g)) != yajl_gen_status_ok)
			return rc;
		for (i = 0; i < n->npairs; i++) {
			rc = nj_string(g, n->pairs[i].key);
			if (rc != yajl_gen_status_ok)
				return rc;
			rc = nj_node(g, n->pairs[i].val, depth + 1);
			if (rc != yajl_gen_status_ok)
				return rc;
		}
		return yajl_gen_map_close(g);
	}
	return yajl_gen_invalid_string;
}

static void
nj_newline(struct nj_buf *b, int indent, int level)
{
	int i;

	nj_buf_add(b, "\n", 1);
	for (i = 0; i < indent * level; i++)
		nj_buf_add(b, " ", 1);
}

/*
 * Re-indents compact JSON: one member or element a line, "key": value,
 * and empty containers kept as {} and [].
 */
static char *
nj_pretty(const char *s, int indent)
{
	struct nj_buf b = { NULL, 0, 0 };
	int level = 0, in_string = 0;
	char c;

	nj_buf_add(&b, "", 0);
	for (; (c = *s) != '\0'; s++) {
		if (in_string) {
			nj_buf_add(&b, s, 1);
			if (c == '\\' && s[1] != '\0')
				nj_buf_add(&b, ++s, 1);
			else if (c == '"')
				in_string = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_string = 1;
			nj_buf_add(&b, s, 1);
			break;
		case '{':
		case '[':
			nj_buf_add(&b, s, 1);
			if (s[1] == '}' || s[1] == ']') {
				nj_buf_add(&b, ++s, 1);
				break;
			}
			nj_newline(&b, indent, ++level);
			break;
		case '}':
		case ']':
			nj_newline(&b, indent, --level);
			nj_buf_add(&b, s, 1);
			break;
		case ',':
			nj_buf_add(&b, s, 1);
			nj_newline(&b, indent, level);
			break;
		case ':':
			nj_buf_add(&b, ": ", 2);
			break;
		default:
			nj_buf_add(&b, s, 1);
			break;
		}
	}
	return b.p;
}

/*
 * JSON text for n (no trailing newline), the caller's; NULL only if n
 * nests deeper than yajl_gen allows.
 */
char *
node_to_json(const struct node *n, int indent)
{
	yajl_gen g;
	const unsigned char *out;
	size_t len;
	char *s = NULL, *pretty;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	if (nj_node(g, n, 0) != yajl_gen_status_ok)
		goto out;
	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
		goto out;
	s = xstrndup((const char *)out, len);
	if (indent > 0) {
		pretty = nj_pretty(s, indent);
		free(s);
		s = pretty;
	}

out:
	yajl_gen_free(g);
	return s;
}

static struct node *
nj_from_tree(yajl_val v, int depth, char **cause)
{
	struct node *n, *child;
	size_t i;

	if (depth > NODE_MAX_DEPTH) {
		*cause = xstrdup("JSON nesting too deep");
		return NULL;
	}
	switch (v->type) {
	case yajl_t_string:
		return node_new_str(v->u.string);
	case yajl_t_number:
		return node_new_scalar(v->u.number.r, 0);
	case yajl_t_true:
		return node_new_scalar("true", 0);
	case yajl_t_false:
		return node_new_scalar("false", 0);
	case yajl_t_null:
		return node_new_scalar("null", 0);
	case yajl_t_array:
		n = node_new_seq();
		for (i = 0; i < v->u.array.len; i++) {
			child = nj_from_tree(
			    v->u.array.values[i], depth + 1, cause);
			if (child == NULL)
				goto fail;
			node_seq_append(n, child);
		}
		return n;
	case yajl_t_object:
		n = node_new_map();
		for (i = 0; i < v->u.object.len; i++) {
			child = nj_from_tree(
			    v->u.object.values[i], depth + 1, cause);
			if (child == NULL)
				goto fail;
			node_map_set(n, v->u.object.keys[i], child);
		}
		return n;
	default:
		*cause = xstrdup("unexpected JSON value");
		return NULL;
	}

fail:
	node_free(n);
	return NULL;
}

/* Parses one JSON document; NULL and *cause (the caller's) on error. */
struct node *
node_from_json(const char *buf, size_t len, char **cause)
{
	yajl_val tree = NULL;
	struct node *n = NULL;
	char errbuf[1024], *text, *nl;

	text = xstrndup(buf, len);
	errbuf[0] = '\0';
	if ((tree = yajl_tree_parse(text, errbuf, sizeof errbuf)) == NULL) {
		/* yajl's message spans lines; the first one says it all. */
		if ((nl = strchr(errbuf, '\n')) != NULL)
			*nl = '\0';
		if (errbuf[0] == '\0')
			*cause =
			    xstrdup("invalid JSON: unexpected end of input");
		else
			xasprintf(cause, "invalid JSON: %s", errbuf);
		goto out;
	}
	n = nj_from_tree(tree, 0, cause);

out:
	yajl_tree_free(tree);
	free(text);
	return n;
}
