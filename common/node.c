/* clima: a YAML/JSON document tree, loaded from and dumped to both. */
/*
 * Constructors, copying and freeing, scalar typing with the YAML 1.2
 * core schema, checked converters and map/sequence operations.  Parsing
 * and printing live in node-yaml.c and node-json.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node-int.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"

static struct node *
node_alloc(enum node_kind kind)
{
	struct node *n;

	n = xcalloc(1, sizeof *n);
	n->kind = kind;
	return n;
}

/* A null scalar. */
struct node *
node_new_null(void)
{
	return node_new_scalar("null", 0);
}

/* A plain true or false. */
struct node *
node_new_bool(int v)
{
	return node_new_scalar(v ? "true" : "false", 0);
}

/* A plain decimal integer. */
struct node *
node_new_int(long long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	return node_new_scalar(buf, 0);
}

/*
 * A plain float with the shortest text that reads back as the same
 * value, always spelled so that it resolves as a float and not an int.
 */
struct node *
node_new_float(double v)
{
	char buf[64];
	int prec;

	if (isnan(v))
		return node_new_scalar(".nan", 0);
	if (isinf(v))
		return node_new_scalar(v < 0 ? "-.inf" : ".inf", 0);
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (strpbrk(buf, ".e") == NULL)
		strlcat(buf, ".0", sizeof buf);
	return node_new_scalar(buf, 0);
}

/* A string: quoted, so it never resolves to another type. */
struct node *
node_new_str(const char *s)
{
	return node_new_scalar(s, NODE_QUOTED);
}

/* A scalar with the given text and flags (NODE_QUOTED). */
struct node *
node_new_scalar(const char *s, int flags)
{
	struct node *n;

	n = node_alloc(NODE_SCALAR);
	n->str = xstrdup(s != NULL ? s : "");
	n->flags = flags;
	return n;
}

/* An empty sequence. */
struct node *
node_new_seq(void)
{
	return node_alloc(NODE_SEQ);
}

/* An empty map. */
struct node *
node_new_map(void)
{
	return node_alloc(NODE_MAP);
}

/* Deep copy, positions and file included. */
struct node *
node_copy(const struct node *n)
{
	struct node *c;
	size_t i;

	if (n == NULL)
		return NULL;
	c = node_alloc(n->kind);
	c->flags = n->flags;
	c->line = n->line;
	c->col = n->col;
	if (n->file != NULL)
		c->file = xstrdup(n->file);
	switch (n->kind) {
	case NODE_SCALAR:
		c->str = xstrdup(n->str);
		break;
	case NODE_SEQ:
		if (n->nitems == 0)
			break;
		c->items = xreallocarray(NULL, n->nitems, sizeof *c->items);
		for (i = 0; i < n->nitems; i++)
			c->items[i] = node_copy(n->items[i]);
		c->nitems = n->nitems;
		break;
	case NODE_MAP:
		if (n->npairs == 0)
			break;
		c->pairs = xreallocarray(NULL, n->npairs, sizeof *c->pairs);
		for (i = 0; i < n->npairs; i++) {
			c->pairs[i] = n->pairs[i];
			c->pairs[i].key = xstrdup(n->pairs[i].key);
			c->pairs[i].val = node_copy(n->pairs[i].val);
		}
		c->npairs = n->npairs;
		break;
	}
	return c;
}

/* Frees n and everything under it. */
void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nitems; i++)
		node_free(n->items[i]);
	free(n->items);
	for (i = 0; i < n->npairs; i++) {
		free(n->pairs[i].key);
		node_free(n->pairs[i].val);
	}
	free(n->pairs);
	free(n->str);
	free(n->file);
	free(n);
}

static int
node_all_digits(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	return s[strspn(s, set)] == '\0';
}

static int
node_is_float_text(const char *s)
{
	const char *p = s;
	size_t n;

	if (*p == '+' || *p == '-')
		p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 ||
	    strcmp(p, ".INF") == 0)
		return 1;
	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 ||
	    strcmp(s, ".NAN") == 0)
		return 1;

	/* (\.[0-9]+|[0-9]+(\.[0-9]*)?) */
	n = strspn(p, "0123456789");
	if (n == 0) {
		if (*p != '.')
			return 0;
		p++;
		if ((n = strspn(p, "0123456789")) == 0)
			return 0;
		p += n;
	} else {
		p += n;
		if (*p == '.') {
			p++;
			p += strspn(p, "0123456789");
		}
	}

	/* ([eE][-+]?[0-9]+)? */
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if ((n = strspn(p, "0123456789")) == 0)
			return 0;
		p += n;
	}
	return *p == '\0';
}

/* Core-schema type of s as an unquoted plain scalar. */
int
node_plain_type(const char *s)
{
	const char *p;

	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return NODE_T_NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return NODE_T_BOOL;
	if (strncmp(s, "0x", 2) == 0 &&
	    node_all_digits(s + 2, "0123456789abcdefABCDEF"))
		return NODE_T_INT;
	if (strncmp(s, "0o", 2) == 0 && node_all_digits(s + 2, "01234567"))
		return NODE_T_INT;
	p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (node_all_digits(p, "0123456789"))
		return NODE_T_INT;
	if (node_is_float_text(s))
		return NODE_T_FLOAT;
	return NODE_T_STR;
}

/* Resolved type of a scalar; -1 for a sequence or map. */
int
node_scalar_type(const struct node *n)
{
	if (n == NULL)
		return NODE_T_NULL;
	if (n->kind != NODE_SCALAR)
		return -1;
	if (n->flags & NODE_QUOTED)
		return NODE_T_STR;
	return node_plain_type(n->str);
}

/* 1 for NULL or a null scalar. */
int
node_is_null(const struct node *n)
{
	return node_scalar_type(n) == NODE_T_NULL;
}

/* 0 and *out set if n is a boolean. */
int
node_get_bool(const struct node *n, int *out)
{
	if (n == NULL || node_scalar_type(n) != NODE_T_BOOL)
		return -1;
	*out = (n->str[0] == 't' || n->str[0] == 'T');
	return 0;
}

/* 0 and *out set if n is an integer that fits a long long. */
int
node_get_int(const struct node *n, long long *out)
{
	unsigned long long u;
	long long v;
	char *end;
	int base = 10;
	const char *s;

	if (n == NULL || node_scalar_type(n) != NODE_T_INT)
		return -1;
	s = n->str;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		errno = 0;
		u = strtoull(s + 2, &end, base);
		if (errno != 0 || *end != '\0' || u > LLONG_MAX)
			return -1;
		*out = (long long)u;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* 0 and *out set if n is a float or an integer. */
int
node_get_float(const struct node *n, double *out)
{
	const char *s;
	long long v;
	int t;

	if (n == NULL)
		return -1;
	t = node_scalar_type(n);
	if (t == NODE_T_INT) {
		if (node_get_int(n, &v) == 0) {
			*out = (double)v;
			return 0;
		}
		if (n->str[0] == '0' && (n->str[1] == 'x' || n->str[1] == 'o'))
			return -1;
		*out = strtod(n->str, NULL);
		return 0;
	}
	if (t != NODE_T_FLOAT)
		return -1;
	s = n->str;
	if (strchr(s, 'n') != NULL || strchr(s, 'N') != NULL) {
		if (strchr(s, 'i') == NULL && strchr(s, 'I') == NULL) {
			*out = NAN;
			return 0;
		}
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	*out = strtod(s, NULL);
	return 0;
}

/* Borrowed text of a non-null scalar. */
const char *
node_get_str(const struct node *n)
{
	if (n == NULL || n->kind != NODE_SCALAR || node_is_null(n))
		return NULL;
	return n->str;
}

/* Appends item (owned from now on; NULL appends a null). */
void
node_seq_append(struct node *n, struct node *item)
{
	if (item == NULL)
		item = node_new_null();
	n->items = xreallocarray(n->items, n->nitems + 1, sizeof *n->items);
	n->items[n->nitems++] = item;
}

static struct node_pair *
node_map_find(const struct node *n, const char *key)
{
	size_t i;

	if (n == NULL || n->kind != NODE_MAP)
		return NULL;
	for (i = 0; i < n->npairs; i++) {
		if (strcmp(n->pairs[i].key, key) == 0)
			return &n->pairs[i];
	}
	return NULL;
}

/* Sets key to val (owned from now on; NULL stores a null). */
void
node_map_set(struct node *n, const char *key, struct node *val)
{
	struct node_pair *p;

	if (val == NULL)
		val = node_new_null();
	if ((p = node_map_find(n, key)) != NULL) {
		node_free(p->val);
		p->val = val;
		return;
	}
	n->pairs = xreallocarray(n->pairs, n->npairs + 1, sizeof *n->pairs);
	p = &n->pairs[n->npairs++];
	memset(p, 0, sizeof *p);
	p->key = xstrdup(key);
	p->val = val;
}

/* Borrowed value for key or NULL. */
struct node *
node_map_get(const struct node *n, const char *key)
{
	struct node_pair *p;

	if ((p = node_map_find(n, key)) == NULL)
		return NULL;
	return p->val;
}

/* Removes key, keeping the order of the others. */
int
node_map_delete(struct node *n, const char *key)
{
	struct node_pair *p;
	size_t i;

	if ((p = node_map_find(n, key)) == NULL)
		return -1;
	i = p - n->pairs;
	free(p->key);
	node_free(p->val);
	memmove(&n->pairs[i], &n->pairs[i + 1],
	    (n->npairs - i - 1) * sizeof *n->pairs);
	n->npairs--;
	return 0;
}

/*
 * Walks a dotted path of map keys; a component made of digits also
 * indexes a sequence ("mounts.0.location").
 */
struct node *
node_get_path(const struct node *n, const char *path)
{
	const struct node *cur = n;
	const char *p = path, *dot;
	char *part;
	char *end;
	unsigned long idx;

	while (cur != NULL && *p != '\0') {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		part = xstrndup(p, dot - p);
		if (cur->kind == NODE_MAP)
			cur = node_map_get(cur, part);
		else if (cur->kind == NODE_SEQ &&
		    node_all_digits(part, "0123456789")) {
			errno = 0;
			idx = strtoul(part, &end, 10);
			if (errno != 0 || idx >= cur->nitems)
				cur = NULL;
			else
				cur = cur->items[idx];
		} else
			cur = NULL;
		free(part);
		p = *dot == '.' ? dot + 1 : dot;
	}
	return (struct node *)(uintptr_t)cur;
}

static int
node_scalar_equal(const struct node *a, const struct node *b)
{
	long long ia, ib;
	double fa, fb;
	int ba, bb, t;

	if ((t = node_scalar_type(a)) != node_scalar_type(b))
		return 0;
	switch (t) {
	case NODE_T_NULL:
		return 1;
	case NODE_T_BOOL:
		node_get_bool(a, &ba);
		node_get_bool(b, &bb);
		return ba == bb;
	case NODE_T_INT:
		if (node_get_int(a, &ia) == 0 && node_get_int(b, &ib) == 0)
			return ia == ib;
		break;
	case NODE_T_FLOAT:
		node_get_float(a, &fa);
		node_get_float(b, &fb);
		if (isnan(fa) && isnan(fb))
			return 1;
		return fa == fb;
	}
	return strcmp(a->str, b->str) == 0;
}

/*
 * Structural equality.  NULL equals a null scalar; maps compare as sets
 * of keys (order does not matter), sequences item by item.
 */
int
node_equal(const struct node *a, const struct node *b)
{
	struct node_pair *p;
	size_t i;

	if (a == NULL || b == NULL) {
		if (a == b)
			return 1;
		return node_is_null(a) && node_is_null(b);
	}
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case NODE_SCALAR:
		return node_scalar_equal(a, b);
	case NODE_SEQ:
		if (a->nitems != b->nitems)
			return 0;
		for (i = 0; i < a->nitems; i++) {
			if (!node_equal(a->items[i], b->items[i]))
				return 0;
		}
		return 1;
	case NODE_MAP:
		if (a->npairs != b->npairs)
			return 0;
		for (i = 0; i < a->npairs; i++) {
			p = node_map_find(b, a->pairs[i].key);
			if (p == NULL || !node_equal(a->pairs[i].val, p->val))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is invalid. */
static size_t
node_utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* 1 if s is valid UTF-8. */
int
node_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	while (*p != '\0') {
		if ((len = node_utf8_len(p)) == 0)
			return 0;
		p += len;
	}
	return 1;
}

/* Copy of s with each invalid byte replaced by U+FFFD. */
char *
node_utf8_fix(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out;
	size_t len, n = 0;

	/* Each input byte becomes at most three output bytes. */
	out = xreallocarray(NULL, strlen(s) + 1, 3);
	while (*p != '\0') {
		if ((len = node_utf8_len(p)) == 0) {
			memcpy(out + n, "\xef\xbf\xbd", 3);
			n += 3;
			p++;
			continue;
		}
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	out[n] = '\0';
	return out;
}
