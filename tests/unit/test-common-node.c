/* clima: unit tests for common/node*.c. */
/*
 * YAML loading (positions, errors, aliases, duplicate keys), scalar
 * typing, quoting round trips through node_to_yaml, key order, JSON in
 * both directions and the map/sequence helpers.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "tests/tap.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static struct node *
yaml(const char *s, char **cause)
{
	return node_from_yaml(s, strlen(s), "lima.yaml", cause);
}

/* Loads s, expects failure and compares the message. */
static void
yaml_fails(const char *s, const char *file, const char *want, const char *what)
{
	struct node *n;
	char *cause = NULL;

	n = node_from_yaml(s, strlen(s), file, &cause);
	ok(n == NULL, "%s: rejected", what);
	is_str(cause, want, "%s: message", what);
	node_free(n);
	free(cause);
}

static void
test_positions(void)
{
	const char *doc = "# comment\n"
			  "cpus: 4\n"
			  "memory: \"4GiB\"\n"
			  "mounts:\n"
			  "  - location: \"~\"\n"
			  "    writable: true\n"
			  "  - location: /tmp/lima\n";
	struct node *n, *v;
	char *cause = NULL;
	long long i;
	int b;

	n = yaml(doc, &cause);
	ok(n != NULL, "positions: document loads");
	if (n == NULL) {
		printf("# %s\n", cause);
		free(cause);
		return;
	}
	is_int(n->kind, NODE_MAP, "root is a map");
	is_int(n->line, 2, "root line");
	is_int(n->col, 1, "root col");
	is_str(n->file, "lima.yaml", "root file");
	is_int(n->npairs, 3, "three keys");
	is_str(n->pairs[1].key, "memory", "second key");
	is_int(n->pairs[1].line, 3, "key line");
	is_int(n->pairs[1].col, 1, "key col");
	v = n->pairs[1].val;
	is_int(v->line, 3, "value line");
	is_int(v->col, 9, "value col");
	ok(v->flags & NODE_QUOTED, "quoted value flagged");
	is_int(node_scalar_type(v), NODE_T_STR, "quoted value is a string");
	ok(node_get_int(node_map_get(n, "cpus"), &i) == 0 && i == 4,
	    "cpus = 4");
	ok(!(node_map_get(n, "cpus")->flags & NODE_QUOTED), "plain unflagged");

	v = node_map_get(n, "mounts");
	is_int(v->kind, NODE_SEQ, "mounts is a sequence");
	is_int(v->line, 5, "sequence line");
	is_int(v->col, 3, "sequence col");
	is_int(v->items[0]->line, 5, "first item line");
	is_int(v->items[0]->col, 5, "first item col");
	is_str(v->items[1]->file, "lima.yaml", "nested file");
	is_int(v->items[0]->pairs[1].line, 6, "nested key line");
	is_int(v->items[0]->pairs[1].col, 5, "nested key col");
	ok(node_get_bool(node_get_path(n, "mounts.0.writable"), &b) == 0 && b,
	    "get_path mounts.0.writable");
	is_str(node_get_str(node_get_path(n, "mounts.1.location")), "/tmp/lima",
	    "get_path mounts.1.location");
	ok(node_get_path(n, "mounts.2.location") == NULL, "index past end");
	ok(node_get_path(n, "cpus.x") == NULL, "path through a scalar");
	ok(node_get_path(n, "") == n, "empty path is the node");
	node_free(n);
}

static void
test_errors(void)
{
	struct node *n, **docs;
	char *cause = NULL;
	size_t ndocs, i;
	char deep[2000];
	const char *in;

	yaml_fails("a: 1\n b: 2\n", "f.yaml",
	    "f.yaml:2:3: mapping values are not allowed in this context",
	    "bad indentation");
	yaml_fails("a: [1, 2\nb: 3\n", "f.yaml",
	    "f.yaml:2:2: did not find expected ',' or ']' while parsing a "
	    "flow sequence",
	    "unclosed flow sequence");
	yaml_fails("a: \"x\n", NULL,
	    "2:1: found unexpected end of stream while scanning a quoted "
	    "scalar",
	    "unterminated quote, no file");
	yaml_fails("a: &x 1\nb: *x\n", "f.yaml",
	    "f.yaml:2:4: YAML aliases are not supported", "alias value");
	yaml_fails("base: &b {x: 1}\nlist:\n  - *b\n", "f.yaml",
	    "f.yaml:3:5: YAML aliases are not supported", "alias item");
	yaml_fails("a: 1\nb: 2\na: 3\n", "f.yaml",
	    "f.yaml:3:1: duplicate key `a`", "duplicate key");
	yaml_fails("x:\n  k: 1\n  k: 2\n", NULL, "3:3: duplicate key `k`",
	    "nested duplicate key, no file");
	yaml_fails("? [a, b]\n: 1\n", "f.yaml",
	    "f.yaml:1:3: map keys must be scalars", "sequence as a key");
	yaml_fails("a: 1\n---\nb: 2\n", "f.yaml",
	    "f.yaml:2:1: expected a single YAML document", "two documents");
	yaml_fails("a: \xff\n", "f.yaml",
	    "f.yaml:1:4: invalid leading UTF-8 octet", "invalid UTF-8");

	for (i = 0; i < 600; i++)
		deep[i] = '[';
	deep[i] = '\0';
	n = node_from_yaml(deep, strlen(deep), NULL, &cause);
	ok(n == NULL && cause != NULL, "deep nesting rejected");
	free(cause);
	cause = NULL;

	in = "a: 1\n---\nb: 2\n---\n";
	if (node_from_yaml_all(in, strlen(in), NULL, &docs, &ndocs, &cause) !=
	    0) {
		ok(0, "stream loads: %s", cause);
		free(cause);
		return;
	}
	ok(1, "stream loads");
	is_int(ndocs, 3, "three documents");
	ok(node_map_get(docs[1], "b") != NULL, "second document");
	ok(node_is_null(docs[2]), "empty third document is null");
	for (i = 0; i < ndocs; i++)
		node_free(docs[i]);
	free(docs);
}

static void
test_empty(void)
{
	static const char *in[] = { "", "# only a comment\n", "---\n", "~\n",
		"null" };
	struct node *n;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < NITEMS(in); i++) {
		n = yaml(in[i], &cause);
		ok(n != NULL && n->kind == NODE_SCALAR && node_is_null(n),
		    "empty input %zu gives a null scalar", i);
		ok(node_get_str(n) == NULL, "null has no string %zu", i);
		node_free(n);
	}
	ok(node_is_null(NULL), "NULL is null");
}

static void
test_types(void)
{
	static const struct {
		const char *text;
		int type;
	} plain[] = {
		{ "", NODE_T_NULL },
		{ "~", NODE_T_NULL },
		{ "null", NODE_T_NULL },
		{ "NULL", NODE_T_NULL },
		{ "nULL", NODE_T_STR },
		{ "true", NODE_T_BOOL },
		{ "False", NODE_T_BOOL },
		{ "tRue", NODE_T_STR },
		{ "yes", NODE_T_STR },
		{ "0", NODE_T_INT },
		{ "0123", NODE_T_INT },
		{ "+12", NODE_T_INT },
		{ "-7", NODE_T_INT },
		{ "0x1F", NODE_T_INT },
		{ "0o17", NODE_T_INT },
		{ "0o18", NODE_T_STR },
		{ "0x", NODE_T_STR },
		{ "-0x1", NODE_T_STR },
		{ "0b101", NODE_T_STR },
		{ "1_000", NODE_T_STR },
		{ "1.5", NODE_T_FLOAT },
		{ "-1.5e3", NODE_T_FLOAT },
		{ "1e5", NODE_T_FLOAT },
		{ ".5", NODE_T_FLOAT },
		{ "+.5", NODE_T_FLOAT },
		{ "1.", NODE_T_FLOAT },
		{ ".", NODE_T_STR },
		{ "e5", NODE_T_STR },
		{ "1e", NODE_T_STR },
		{ ".inf", NODE_T_FLOAT },
		{ "-.Inf", NODE_T_FLOAT },
		{ ".NaN", NODE_T_FLOAT },
		{ "-.nan", NODE_T_STR },
		{ "1.2.3", NODE_T_STR },
		{ "4GiB", NODE_T_STR },
	};
	struct node *n;
	long long i;
	double d;
	int b;
	size_t k;
	char *cause = NULL;

	for (k = 0; k < NITEMS(plain); k++) {
		n = node_new_scalar(plain[k].text, 0);
		is_int(node_scalar_type(n), plain[k].type, "type of '%s'",
		    plain[k].text);
		n->flags |= NODE_QUOTED;
		is_int(node_scalar_type(n), NODE_T_STR, "quoted '%s' is a str",
		    plain[k].text);
		node_free(n);
	}

	n = yaml("a: !!str 123\nb: '1'\nc: |\n  x\nd: >\n  y\ne: 1\n", &cause);
	is_int(node_scalar_type(node_map_get(n, "a")), NODE_T_STR, "!!str");
	is_int(node_scalar_type(node_map_get(n, "b")), NODE_T_STR, "single");
	is_int(node_scalar_type(node_map_get(n, "c")), NODE_T_STR, "literal");
	is_str(node_get_str(node_map_get(n, "c")), "x\n", "literal text");
	is_int(node_scalar_type(node_map_get(n, "d")), NODE_T_STR, "folded");
	is_int(node_scalar_type(node_map_get(n, "e")), NODE_T_INT, "plain");
	is_int(node_scalar_type(n), -1, "map has no scalar type");
	node_free(n);

#define GET_INT(text, want) \
	do { \
		n = node_new_scalar(text, 0); \
		ok(node_get_int(n, &i) == 0 && i == (want), "int " text); \
		node_free(n); \
	} while (0)
#define NO_INT(text) \
	do { \
		n = node_new_scalar(text, 0); \
		ok(node_get_int(n, &i) == -1, "not an int: " text); \
		node_free(n); \
	} while (0)
	GET_INT("0x10", 16);
	GET_INT("0o17", 15);
	GET_INT("0123", 123);
	GET_INT("+5", 5);
	GET_INT("9223372036854775807", 9223372036854775807LL);
	GET_INT("-9223372036854775808", -9223372036854775807LL - 1);
	NO_INT("9223372036854775808");
	NO_INT("0xffffffffffffffff");
	NO_INT("1.5");
	NO_INT("true");
	n = node_new_str("1");
	ok(node_get_int(n, &i) == -1, "quoted \"1\" is not an int");
	node_free(n);

	n = node_new_scalar("1", 0);
	ok(node_get_float(n, &d) == 0 && d == 1.0, "int reads as float");
	node_free(n);
	n = node_new_scalar("-.inf", 0);
	ok(node_get_float(n, &d) == 0 && isinf(d) && d < 0, "-.inf");
	node_free(n);
	n = node_new_scalar(".nan", 0);
	ok(node_get_float(n, &d) == 0 && isnan(d), ".nan");
	node_free(n);
	n = node_new_scalar("2.5e-1", 0);
	ok(node_get_float(n, &d) == 0 && d == 0.25, "2.5e-1");
	node_free(n);
	n = node_new_scalar("False", 0);
	ok(node_get_bool(n, &b) == 0 && b == 0, "False");
	ok(node_get_float(n, &d) == -1, "bool is not a float");
	node_free(n);

	n = node_new_float(1.0);
	is_str(n->str, "1.0", "node_new_float(1) text");
	is_int(node_scalar_type(n), NODE_T_FLOAT, "node_new_float type");
	node_free(n);
	n = node_new_float(0.1);
	is_str(n->str, "0.1", "node_new_float(0.1) text");
	node_free(n);
	n = node_new_float(1e300);
	is_str(n->str, "1e+300", "node_new_float(1e300) text");
	node_free(n);
	n = node_new_int(-42);
	ok(node_get_int(n, &i) == 0 && i == -42, "node_new_int");
	node_free(n);
}

/* Builds a tree with every awkward string we know about. */
static struct node *
awkward_tree(void)
{
	static const char *strs[] = { "true", "false", "True", "1", "0123", "",
		"null", "~", "1.5", "1e3", ".inf", "0x1F", "yes", "no", "on",
		"1_000", "0b11", "multi\nline\n", "no trailing\nnewline",
		"keep\n\n", "  leading", "trailing  ", "a: b", "#hash",
		"- dash", "[x]", "{y}", "*star", "&amp", "!bang", "%pct", "@at",
		"`tick", "'single'", "\"double\"", "tab\there",
		"héllo wörld ✓ 日本語", "emoji \xf0\x9f\x98\x80", "back\\slash",
		"ctl\x01", "x" };
	struct node *root, *strings, *keys, *seq, *m;
	size_t i;

	root = node_new_map();
	strings = node_new_seq();
	keys = node_new_map();
	for (i = 0; i < NITEMS(strs); i++) {
		node_seq_append(strings, node_new_str(strs[i]));
		node_map_set(keys, strs[i], node_new_int((long long)i));
	}
	node_map_set(root, "strings", strings);
	node_map_set(root, "keys", keys);
	node_map_set(root, "bool", node_new_bool(1));
	node_map_set(root, "int", node_new_int(-3));
	node_map_set(root, "hex", node_new_scalar("0x1F", 0));
	node_map_set(root, "float", node_new_float(2.5));
	node_map_set(root, "inf", node_new_float(INFINITY));
	node_map_set(root, "null", node_new_null());
	node_map_set(root, "emptymap", node_new_map());
	node_map_set(root, "emptyseq", node_new_seq());
	seq = node_new_seq();
	m = node_new_map();
	node_map_set(m, "a", node_new_int(1));
	node_map_set(m, "b", node_new_str("x"));
	node_seq_append(seq, m);
	m = node_new_seq();
	node_seq_append(m, node_new_str("nested"));
	node_seq_append(seq, m);
	node_map_set(root, "seq", seq);
	return root;
}

static void
test_yaml_out(void)
{
	struct node *n, *back;
	char *y, *cause = NULL;
	size_t i;

	n = node_new_map();
	node_map_set(n, "name", node_new_str("default"));
	node_map_set(n, "cpus", node_new_int(4));
	node_map_set(n, "flag", node_new_str("true"));
	node_map_set(n, "num", node_new_str("0123"));
	node_map_set(n, "empty", node_new_str(""));
	node_map_set(n, "nil", node_new_null());
	node_map_set(n, "text", node_new_str("line1\nline2\n"));
	node_map_set(n, "list", node_new_seq());
	node_seq_append(node_map_get(n, "list"), node_new_map());
	node_map_set(node_map_get(n, "list")->items[0], "a", node_new_int(1));
	node_map_set(node_map_get(n, "list")->items[0], "b", node_new_str("x"));
	node_map_set(n, "e", node_new_map());
	node_map_set(n, "s", node_new_seq());
	y = node_to_yaml(n);
	is_str(y,
	    "name: default\n"
	    "cpus: 4\n"
	    "flag: \"true\"\n"
	    "num: \"0123\"\n"
	    "empty: \"\"\n"
	    "nil: null\n"
	    "text: |\n"
	    "  line1\n"
	    "  line2\n"
	    "list:\n"
	    "- a: 1\n"
	    "  b: x\n"
	    "e: {}\n"
	    "s: []\n",
	    "node_to_yaml shape");
	back = node_from_yaml(y, strlen(y), NULL, &cause);
	ok(node_equal(n, back), "shape round trip");
	is_int(node_scalar_type(node_map_get(back, "flag")), NODE_T_STR,
	    "\"true\" stays a string");
	is_int(node_scalar_type(node_map_get(back, "cpus")), NODE_T_INT,
	    "4 stays an int");
	node_free(back);
	free(y);
	node_free(n);

	n = awkward_tree();
	y = node_to_yaml(n);
	ok(y[strlen(y) - 1] == '\n', "output ends in a newline");
	back = node_from_yaml(y, strlen(y), NULL, &cause);
	ok(back != NULL, "awkward tree reloads");
	if (back == NULL) {
		printf("# %s\n%s", cause, y);
		free(cause);
		cause = NULL;
	}
	ok(node_equal(n, back), "awkward tree round trip");
	if (back != NULL) {
		for (i = 0; i < n->pairs[0].val->nitems; i++) {
			is_str(node_map_get(back, "strings")->items[i]->str,
			    n->pairs[0].val->items[i]->str,
			    "string %zu survives", i);
			is_int(node_scalar_type(
				   node_map_get(back, "strings")->items[i]),
			    NODE_T_STR, "string %zu stays a string", i);
		}
	}
	ok(strstr(y, "\"yes\"") != NULL, "YAML 1.1 bool word quoted");
	ok(strstr(y, "héllo wörld ✓ 日本語") != NULL, "unicode kept raw");
	node_free(back);
	free(y);

	/* YAML -> node -> YAML -> node is stable too. */
	y = node_to_yaml(n);
	back = node_from_yaml(y, strlen(y), NULL, &cause);
	free(y);
	y = node_to_yaml(back);
	node_free(back);
	back = node_from_yaml(y, strlen(y), NULL, &cause);
	ok(node_equal(n, back), "second round trip");
	node_free(back);
	free(y);
	node_free(n);

	n = node_new_str("scalar");
	y = node_to_yaml(n);
	back = node_from_yaml(y, strlen(y), NULL, &cause);
	ok(node_equal(n, back), "root scalar round trip (%s)", y);
	node_free(back);
	free(y);
	node_free(n);

	n = node_new_str("bad \xff utf8");
	y = node_to_yaml(n);
	ok(strstr(y, "\xef\xbf\xbd") != NULL, "invalid UTF-8 replaced");
	free(y);
	node_free(n);
}

static void
test_order(void)
{
	struct node *n, *c;
	char *s, *cause = NULL;

	n = yaml("z: 1\na: 2\nm: 3\n", &cause);
	is_str(n->pairs[0].key, "z", "first key kept");
	is_str(n->pairs[2].key, "m", "last key kept");
	node_map_set(n, "a", node_new_str("two"));
	is_str(n->pairs[1].key, "a", "map_set replaces in place");
	is_str(node_get_str(n->pairs[1].val), "two", "replaced value");
	is_int(n->pairs[1].line, 2, "replaced key keeps its position");
	node_map_set(n, "b", node_new_int(4));
	is_str(n->pairs[3].key, "b", "new key appended");
	s = node_to_yaml(n);
	is_str(s, "z: 1\na: two\nm: 3\nb: 4\n", "YAML keeps order");
	free(s);
	s = node_to_json(n, 0);
	is_str(
	    s, "{\"z\":1,\"a\":\"two\",\"m\":3,\"b\":4}", "JSON keeps order");
	free(s);
	is_int(node_map_delete(n, "a"), 0, "delete a");
	is_int(node_map_delete(n, "a"), -1, "delete a again");
	is_int(n->npairs, 3, "three left");
	is_str(n->pairs[1].key, "m", "order after delete");

	c = node_copy(n);
	ok(node_equal(n, c), "copy is equal");
	node_map_set(c, "z", node_new_int(9));
	ok(!node_equal(n, c), "copy is independent");
	node_free(c);
	node_free(n);

	n = node_from_json("{\"b\":1,\"a\":{\"q\":1,\"p\":2}}", 25, &cause);
	is_str(n->pairs[0].key, "b", "JSON order kept");
	is_str(n->pairs[1].val->pairs[1].key, "p", "nested JSON order kept");
	s = node_to_yaml(n);
	is_str(s, "b: 1\na:\n  q: 1\n  p: 2\n", "JSON to YAML keeps order");
	free(s);
	node_free(n);
}

static void
test_equal(void)
{
	struct node *a, *b;

	a = node_new_scalar("0x1", 0);
	b = node_new_int(1);
	ok(node_equal(a, b), "0x1 == 1");
	node_free(a);
	a = node_new_str("1");
	ok(!node_equal(a, b), "\"1\" != 1");
	node_free(a);
	node_free(b);
	a = node_new_scalar("~", 0);
	b = node_new_null();
	ok(node_equal(a, b), "~ == null");
	ok(node_equal(a, NULL), "null == NULL");
	node_free(b);
	b = node_new_scalar("True", 0);
	ok(!node_equal(a, b), "null != True");
	node_free(a);
	a = node_new_bool(1);
	ok(node_equal(a, b), "True == true");
	node_free(a);
	node_free(b);
	a = node_new_scalar("1.50", 0);
	b = node_new_float(1.5);
	ok(node_equal(a, b), "1.50 == 1.5");
	node_free(a);
	node_free(b);
	a = node_new_seq();
	b = node_new_map();
	ok(!node_equal(a, b), "seq != map");
	node_free(a);
	node_free(b);
	ok(node_copy(NULL) == NULL, "copy NULL");
	node_free(NULL);
}

static void
test_json(void)
{
	struct node *n, *back;
	char *s, *cause = NULL;
	const char *in;
	long long i;
	size_t k;

	n = node_new_map();
	node_map_set(n, "a", node_new_int(1));
	node_map_set(n, "b", node_new_seq());
	node_seq_append(node_map_get(n, "b"), node_new_bool(1));
	node_seq_append(node_map_get(n, "b"), node_new_null());
	node_map_set(n, "c", node_new_map());
	node_map_set(n, "d", node_new_seq());
	node_map_set(n, "e", node_new_map());
	node_map_set(node_map_get(n, "e"), "s", node_new_str("x,y:{z}\"[]"));
	s = node_to_json(n, 2);
	is_str(s,
	    "{\n"
	    "  \"a\": 1,\n"
	    "  \"b\": [\n"
	    "    true,\n"
	    "    null\n"
	    "  ],\n"
	    "  \"c\": {},\n"
	    "  \"d\": [],\n"
	    "  \"e\": {\n"
	    "    \"s\": \"x,y:{z}\\\"[]\"\n"
	    "  }\n"
	    "}",
	    "pretty JSON shape");
	back = node_from_json(s, strlen(s), &cause);
	ok(node_equal(n, back), "pretty JSON round trip");
	node_free(back);
	free(s);
	s = node_to_json(n, 0);
	is_str(s,
	    "{\"a\":1,\"b\":[true,null],\"c\":{},\"d\":[],"
	    "\"e\":{\"s\":\"x,y:{z}\\\"[]\"}}",
	    "compact JSON");
	free(s);
	node_free(n);

	n = node_new_seq();
	node_seq_append(n, node_new_scalar("+1", 0));
	node_seq_append(n, node_new_scalar("0123", 0));
	node_seq_append(n, node_new_scalar(".5", 0));
	node_seq_append(n, node_new_scalar("-1.", 0));
	node_seq_append(n, node_new_scalar("+1.5E+3", 0));
	node_seq_append(n, node_new_scalar(".inf", 0));
	node_seq_append(
	    n, node_new_scalar("123456789012345678901234567890", 0));
	node_seq_append(n, node_new_scalar("0xffffffffffffffffff", 0));
	node_seq_append(n, node_new_scalar("0o17", 0));
	node_seq_append(n, node_new_scalar("~", 0));
	node_seq_append(n, node_new_scalar("FALSE", 0));
	node_seq_append(n, node_new_str("true"));
	node_seq_append(n, node_new_str("tab\tnl\n\x01"));
	node_seq_append(n, node_new_str("bad \xc3 utf8"));
	node_seq_append(n, node_new_str("/slash ünï"));
	s = node_to_json(n, 0);
	is_str(s,
	    "[1,123,0.5,-1,1.5E+3,\".inf\",123456789012345678901234567890,"
	    "\"0xffffffffffffffffff\",15,null,false,\"true\","
	    "\"tab\\tnl\\n\\u0001\",\"bad \xef\xbf\xbd utf8\","
	    "\"/slash ünï\"]",
	    "JSON scalars by type");
	free(s);
	node_free(n);
	s = node_to_json(NULL, 0);
	is_str(s, "null", "NULL to JSON");
	free(s);

	in = "[\"1\", 1, 2.5, -3e2, true, false, null, \"\", {}, []]";
	n = node_from_json(in, strlen(in), &cause);
	ok(n != NULL && n->kind == NODE_SEQ && n->nitems == 10, "JSON array");
	is_int(node_scalar_type(n->items[0]), NODE_T_STR, "\"1\" string");
	ok(n->items[0]->flags & NODE_QUOTED, "JSON string is quoted");
	ok(node_get_int(n->items[1], &i) == 0 && i == 1, "1 int");
	is_int(node_scalar_type(n->items[2]), NODE_T_FLOAT, "2.5 float");
	is_str(n->items[3]->str, "-3e2", "number text kept");
	is_int(node_scalar_type(n->items[3]), NODE_T_FLOAT, "-3e2 float");
	is_int(node_scalar_type(n->items[4]), NODE_T_BOOL, "true");
	is_int(node_scalar_type(n->items[5]), NODE_T_BOOL, "false");
	is_int(node_scalar_type(n->items[6]), NODE_T_NULL, "null");
	is_int(node_scalar_type(n->items[7]), NODE_T_STR, "\"\" string");
	is_int(n->items[8]->kind, NODE_MAP, "{}");
	is_int(n->items[9]->kind, NODE_SEQ, "[]");
	s = node_to_yaml(n);
	back = node_from_yaml(s, strlen(s), NULL, &cause);
	ok(node_equal(n, back), "JSON -> YAML -> node");
	free(s);
	node_free(back);
	node_free(n);

	n = awkward_tree();
	s = node_to_json(n, 0);
	back = node_from_json(s, strlen(s), &cause);
	ok(back != NULL, "awkward tree JSON reloads");
	/* JSON has no .inf, ctl chars survive as \u0001: compare pieces. */
	ok(node_equal(
	       node_map_get(n, "strings"), node_map_get(back, "strings")),
	    "awkward strings JSON round trip");
	ok(node_equal(node_map_get(n, "keys"), node_map_get(back, "keys")),
	    "awkward keys JSON round trip");
	ok(node_equal(node_map_get(n, "seq"), node_map_get(back, "seq")),
	    "nested JSON round trip");
	is_str(node_get_str(node_map_get(back, "inf")), ".inf",
	    ".inf becomes a string");
	node_free(back);
	free(s);
	node_free(n);

	static const char *bad[] = { "", "{\"a\":}", "[1,", "{} x", "{\"a\" 1}",
		"\"\xff\"" };
	for (k = 0; k < NITEMS(bad); k++) {
		cause = NULL;
		n = node_from_json(bad[k], strlen(bad[k]), &cause);
		ok(n == NULL, "bad JSON %zu rejected", k);
		ok(cause != NULL && strncmp(cause, "invalid JSON: ", 14) == 0 &&
			strchr(cause, '\n') == NULL,
		    "bad JSON %zu message: %s", k, cause ? cause : "(null)");
		free(cause);
	}

	in = "{\"a\":1,\"a\":2}";
	n = node_from_json(in, strlen(in), &cause);
	ok(n != NULL && n->npairs == 1 &&
		node_get_int(node_map_get(n, "a"), &i) == 0 && i == 2,
	    "duplicate JSON key: last wins");
	node_free(n);
}

/* Strings a YAML 1.1 reader (cloud-init) would take for numbers/dates. */
static void
test_yaml11_quoting(void)
{
	static const char *const quoted[] = { "52:55:55:12:34:56", "1:30",
		"2025-01-02", "2025-1-2T10:00:00Z", "=", "<<", NULL };
	static const char *const plain[] = { "abc:def", "12:ab", "10.0.0.1",
		"1234-5", NULL };
	struct node *m;
	char *y, want[128];
	size_t i;

	for (i = 0; quoted[i] != NULL; i++) {
		m = node_new_map();
		node_map_set(m, "k", node_new_str(quoted[i]));
		y = node_to_yaml(m);
		snprintf(want, sizeof want, "k: \"%s\"\n", quoted[i]);
		is_str(y, want, "YAML 1.1 lookalike %s is quoted", quoted[i]);
		free(y);
		node_free(m);
	}
	for (i = 0; plain[i] != NULL; i++) {
		m = node_new_map();
		node_map_set(m, "k", node_new_str(plain[i]));
		y = node_to_yaml(m);
		snprintf(want, sizeof want, "k: %s\n", plain[i]);
		is_str(y, want, "%s stays plain", plain[i]);
		free(y);
		node_free(m);
	}
}

int
main(void)
{
	test_yaml11_quoting();
	test_positions();
	test_errors();
	test_empty();
	test_types();
	test_yaml_out();
	test_order();
	test_equal();
	test_json();
	return done_testing();
}
