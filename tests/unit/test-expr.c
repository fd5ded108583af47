/* clima: unit tests for expr/ (jq over struct node). */
/*
 * Conversions both ways (key order, numbers, strings like "007", kept
 * scalar text), the --set expressions Lima generates, the restricted
 * mode, --filter's AND, yq spellings and the error messages.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "common/node.h"
#include "expr/expr.h"
#include "expr/expr-int.h"
#include "tests/tap.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *lima_yaml = "# a comment\n"
			       "cpus: 4\n"
			       "memory: \"4GiB\"\n"
			       "images:\n"
			       "- location: https://example.com/a.img\n"
			       "  arch: x86_64\n"
			       "- location: https://example.com/b.img\n"
			       "  arch: aarch64\n"
			       "mounts:\n"
			       "- location: \"~\"\n"
			       "- location: /tmp/lima\n"
			       "  writable: false\n"
			       "dns: [8.8.8.8, 1.1.1.1]\n"
			       "env:\n"
			       "  HOME_X: \"1\"\n"
			       "param:\n"
			       "  OLD: x\n"
			       "foo: bar\n"
			       "hex: 0x10\n"
			       "zip: \"007\"\n"
			       "big: 9007199254740993\n";

static struct node *
load(const char *s)
{
	struct node *n;
	char *cause = NULL;

	n = node_from_yaml(s, strlen(s), "test.yaml", &cause);
	if (n == NULL) {
		printf("# load: %s\n", cause);
		free(cause);
	}
	return n;
}

/* Runs prog on yaml and returns the single output as compact JSON. */
static char *
eval_json(const char *yaml, const char *prog, int flags)
{
	struct node *in, **out = NULL;
	size_t nout = 0;
	char *cause = NULL, *s;

	in = load(yaml);
	if (expr_eval(prog, in, flags, &out, &nout, &cause) != 0) {
		node_free(in);
		return cause; /* the message, for is_str */
	}
	node_free(in);
	if (nout != 1)
		s = strdup("<not one output>");
	else
		s = node_to_json(out[0], 0);
	expr_free_nodes(out, nout);
	return s;
}

static void
check_json(const char *yaml, const char *prog, int flags, const char *want)
{
	char *got;

	got = eval_json(yaml, prog, flags);
	is_str(got, want, "%s", prog);
	free(got);
}

/* Expects prog to fail with exactly want. */
static void
check_error(const char *prog, int flags, const char *want)
{
	struct node **out = NULL;
	size_t nout = 0;
	char *cause = NULL;
	int rc;

	rc = expr_eval(prog, NULL, flags, &out, &nout, &cause);
	ok(rc == -1, "%s: fails", prog);
	is_str(cause, want, "%s: message", prog);
	if (rc == 0)
		expr_free_nodes(out, nout);
	free(cause);
}

static void
test_to_jv(void)
{
	struct node *n;
	jv v, s;

	n = load(lima_yaml);
	v = expr_node_to_jv(n);
	s = jv_dump_string(jv_copy(v), 0);
	is_str(jv_string_value(s),
	    "{\"cpus\":4,\"memory\":\"4GiB\",\"images\":[{\"location\":"
	    "\"https://example.com/a.img\",\"arch\":\"x86_64\"},{\"location\":"
	    "\"https://example.com/b.img\",\"arch\":\"aarch64\"}],\"mounts\":"
	    "[{\"location\":\"~\"},{\"location\":\"/tmp/lima\",\"writable\":"
	    "false}],\"dns\":[\"8.8.8.8\",\"1.1.1.1\"],\"env\":{\"HOME_X\":"
	    "\"1\"},\"param\":{\"OLD\":\"x\"},\"foo\":\"bar\",\"hex\":16,"
	    "\"zip\":\"007\",\"big\":9007199254740992}",
	    "node -> jv keeps key order, types and \"007\"");
	jv_free(s);
	jv_free(v);
	node_free(n);

	v = expr_node_to_jv(NULL);
	is_int(jv_get_kind(v), JV_KIND_NULL, "NULL node is null");
	jv_free(v);

	n = load("a: ~\nb: \"\"\nc: 007\nd: -1.5e3\ne: .inf\nf: True\n"
		 "g: 'true'\n");
	v = expr_node_to_jv(n);
	s = jv_dump_string(v, 0);
	is_str(jv_string_value(s),
	    "{\"a\":null,\"b\":\"\",\"c\":7,\"d\":-1500,"
	    "\"e\":1.7976931348623157e+308,\"f\":true,\"g\":\"true\"}",
	    "scalars resolve with the core schema");
	jv_free(s);
	node_free(n);
}

static void
test_to_node(void)
{
	struct node *n, *hint;
	char *s;

	n = expr_jv_to_node(jv_parse("{\"z\":1,\"a\":[1.5,\"007\",null,"
				     "true,3.0,1e100,-0,0.1]}"),
	    NULL);
	s = node_to_json(n, 0);
	is_str(s, "{\"z\":1,\"a\":[1.5,\"007\",null,true,3,1e+100,0,0.1]}",
	    "jv -> node keeps order; integral numbers become ints");
	free(s);
	ok(n->pairs[1].val->items[1]->flags & NODE_QUOTED,
	    "strings stay strings");
	is_int(node_scalar_type(n->pairs[1].val->items[4]), NODE_T_INT,
	    "3.0 becomes an int");
	is_int(node_scalar_type(n->pairs[1].val->items[5]), NODE_T_FLOAT,
	    "1e100 stays a float");
	node_free(n);

	hint = load("a: 0x10\nb: 1.0\nc: ~\nd: 'x'\ne: [0o7, 2]\n");
	n = expr_jv_to_node(expr_node_to_jv(hint), hint);
	s = node_to_yaml(n);
	is_str(s, "a: 0x10\nb: 1.0\nc: ~\nd: x\ne:\n- 0o7\n- 2\n",
	    "unchanged scalars keep their text");
	free(s);
	node_free(n);
	node_free(hint);
}

static void
test_order_numbers(void)
{
	check_json("b: 1\na: 2\nc: 3\n", "del(.b) | .b = 9 | .d = 1", 0,
	    "{\"a\":2,\"c\":3,\"b\":9,\"d\":1}");
	check_json("b: 1\na: 2\n", ".a = 5", 0, "{\"b\":1,\"a\":5}");
	check_json("b: 1\na: 2\n", "with_entries(.value += 1)", 0,
	    "{\"b\":2,\"a\":3}");
	check_json(
	    "x: 1\n", ".x = 0.1 + 0.2", 0, "{\"x\":0.30000000000000004}");
	check_json("x: 9007199254740993\n", ".", 0, "{\"x\":9007199254740993}");
	/* 2^53 + 1 is 2^53 to jq: the value did not change, the text stays. */
	check_json(
	    "x: 9007199254740993\n", ".x += 0", 0, "{\"x\":9007199254740993}");
	check_json(
	    "x: 9007199254740993\n", ".x += 2", 0, "{\"x\":9007199254740994}");
	check_json(
	    "x: \"007\"\n", ".y = .x", 0, "{\"x\":\"007\",\"y\":\"007\"}");
	check_json("x: 007\n", ".x", 0, "7");
}

static void
test_set(void)
{
	static const struct {
		const char *expr, *path, *want;
	} cases[] = {
		{ ".cpus = 2", "cpus", "2" },
		{ ".memory = \"8GiB\"", "memory", "\"8GiB\"" },
		{ ".dns += [\"1.1.1.1\"] | .dns |= unique", "dns",
		    "[\"1.1.1.1\",\"8.8.8.8\"]" },
		{ ".dns += [\"9.9.9.9\"] | .dns |= unique | "
		  ".hostResolver.enabled=false",
		    "hostResolver", "{\"enabled\":false}" },
		{ ".mounts[].writable = true", "mounts",
		    "[{\"location\":\"~\",\"writable\":true},"
		    "{\"location\":\"/tmp/lima\",\"writable\":true}]" },
		{ ".param[\"NAME\"] = \"VALUE\"", "param",
		    "{\"OLD\":\"x\",\"NAME\":\"VALUE\"}" },
		{ ".mounts = null", "mounts", "null" },
		{ "del(.foo)", "foo", "null" },
		{ ".env.FOO = \"bar\"", "env",
		    "{\"HOME_X\":\"1\",\"FOO\":\"bar\"}" },
		{ ".mounts = [{\"location\": \"/x\", \"mountPoint\": \"/x\", "
		  "\"writable\": true}] + .mounts",
		    "mounts",
		    "[{\"location\":\"/x\",\"mountPoint\":\"/x\",\"writable\""
		    ":true},{\"location\":\"~\"},{\"location\":\"/tmp/lima\","
		    "\"writable\":false}]" },
		{ "with(.images[0]; .arch = \"riscv64\")", "images",
		    "[{\"location\":\"https://example.com/a.img\",\"arch\":"
		    "\"riscv64\"},{\"location\":\"https://example.com/b.img\","
		    "\"arch\":\"aarch64\"}]" },
		{ ".images |= map(select(.arch == \"x86_64\"))", "images",
		    "[{\"location\":\"https://example.com/a.img\",\"arch\":"
		    "\"x86_64\"}]" },
		{ ".ssh.localPort = 60022", "ssh", "{\"localPort\":60022}" },
	};
	struct node *doc;
	const char *one[1];
	char *cause, *got;
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		doc = load(lima_yaml);
		cause = NULL;
		one[0] = cases[i].expr;
		if (expr_apply(one, 1, &doc, &cause) != 0) {
			ok(0, "--set %s: %s", cases[i].expr, cause);
			free(cause);
			node_free(doc);
			continue;
		}
		got = node_to_json(node_map_get(doc, cases[i].path), 0);
		is_str(got, cases[i].want, "--set %s", cases[i].expr);
		free(got);
		node_free(doc);
	}
}

static void
test_apply(void)
{
	const char *exprs[] = { ".cpus = 2", ".memory = \"8GiB\"",
		".cpus += 1" };
	const char *bad[] = { ".cpus = 2", "empty" };
	const char *two[] = { ".a, .b" };
	struct node *doc;
	char *cause = NULL, *out = NULL;

	doc = load(lima_yaml);
	ok(expr_apply(exprs, NITEMS(exprs), &doc, &cause) == 0,
	    "apply: three expressions");
	is_str(node_get_str(node_map_get(doc, "cpus")), "3", "apply: in order");
	is_str(
	    node_get_str(node_map_get(doc, "memory")), "8GiB", "apply: memory");
	is_str(node_get_str(node_map_get(doc, "hex")), "0x10",
	    "apply: untouched scalars keep their text");
	ok(expr_apply(bad, NITEMS(bad), &doc, &cause) == -1,
	    "apply: empty output fails");
	is_str(cause, "expression `empty` gave 0 documents, expected 1",
	    "apply: empty message");
	free(cause);
	cause = NULL;
	ok(expr_apply(two, 1, &doc, &cause) == -1, "apply: two outputs");
	is_str(cause, "expression `.a, .b` gave 2 documents, expected 1",
	    "apply: two message");
	free(cause);
	cause = NULL;
	is_str(node_get_str(node_map_get(doc, "cpus")), "3",
	    "apply: failure leaves the document");
	node_free(doc);

	ok(expr_apply_yaml(
	       lima_yaml, strlen(lima_yaml), NULL, 0, &out, &cause) == 0,
	    "apply_yaml: no expressions");
	is_str(out, lima_yaml, "apply_yaml: text unchanged, comment kept");
	free(out);
	out = NULL;
	ok(expr_apply_yaml(
	       "cpus: 1\nmemory: 4GiB\n", 21, exprs, 1, &out, &cause) == 0,
	    "apply_yaml: one expression");
	is_str(out, "cpus: 2\nmemory: 4GiB\n", "apply_yaml: YAML out");
	free(out);
	out = NULL;
	ok(expr_apply_yaml("a: [\n", 5, exprs, 1, &out, &cause) == -1,
	    "apply_yaml: bad YAML fails");
	ok(cause != NULL, "apply_yaml: bad YAML has a cause");
	free(cause);
}

static void
test_queries(void)
{
	const char *inst = "name: x\nstatus: Running\ncpus: 4\n"
			   "config: {images: [{location: /a.img}]}\n";

	check_json(lima_yaml, ".images[0].location", EXPR_RESTRICTED,
	    "\"https://example.com/a.img\"");
	check_json(inst, ".status == \"Running\"", EXPR_RESTRICTED, "true");
	check_json(
	    inst, "select(.name == \"x\") | .cpus", EXPR_RESTRICTED, "4");
	check_json(inst, "select(.name == \"y\") | .cpus", EXPR_RESTRICTED,
	    "<not one output>");
	check_json(
	    inst, ".config.images[0].location", EXPR_RESTRICTED, "\"/a.img\"");
	check_json(inst, "{env: 1, \"input\": 2} | keys", EXPR_RESTRICTED,
	    "[\"env\",\"input\"]");
	check_json(inst, "{name, status}", EXPR_RESTRICTED,
	    "{\"name\":\"x\",\"status\":\"Running\"}");
	check_json(inst, ".name | upcase", EXPR_RESTRICTED, "\"X\"");
	check_json("b: 1\na: {d: 1, c: 2}\n", "sort_keys(..)", 0,
	    "{\"a\":{\"c\":2,\"d\":1},\"b\":1}");
	check_json(inst, ".cpus | to_string", 0, "\"4\"");
	check_json(inst, "\"\\(.name)-\\(.cpus)\"", EXPR_RESTRICTED, "\"x-4\"");
	check_json(inst, "[.[] | numbers] # comment", EXPR_RESTRICTED, "[4]");
}

static void
test_restricted(void)
{
	static const struct {
		const char *prog;
		const char *want;
	} cases[] = {
		{ "env", "env operations have been disabled" },
		{ "env.HOME", "env operations have been disabled" },
		{ "$ENV.HOME", "env operations have been disabled" },
		{ "$ ENV", "env operations have been disabled" },
		{ ".a = strenv(HOME)", "env operations have been disabled" },
		{ ".a = env(HOME)", "env operations have been disabled" },
		{ "\"\\(env)\"", "env operations have been disabled" },
		{ "{a: env}", "env operations have been disabled" },
		{ "{a: 1, b: .x | env}", "env operations have been disabled" },
		{ "input", "file operations have been disabled" },
		{ "[inputs]", "file operations have been disabled" },
		{ "debug", "file operations have been disabled" },
		{ "stderr", "file operations have been disabled" },
		{ "input_filename", "file operations have been disabled" },
		{ "$__loc__", "file operations have been disabled" },
		{ "halt", "file operations have been disabled" },
		{ "halt_error", "file operations have been disabled" },
		{ "get_search_list", "file operations have been disabled" },
		{ "import \"a\" as a; .",
		    "file operations have been disabled" },
		{ "include \"a\"; .", "file operations have been disabled" },
		{ "load(\"/etc/passwd\")",
		    "file operations have been disabled" },
		{ "system(\"id\")", "system operations have been disabled" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++)
		check_error(cases[i].prog, EXPR_RESTRICTED, cases[i].want);
	check_error(
	    "system(\"id\")", 0, "system operations have been disabled");
}

static void
test_unrestricted(void)
{
	setenv("CLIMA_TEST_VAR", "hello", 1);
	setenv("CLIMA_TEST_NUM", "42", 1);
	check_json("a: 1\n", "env | type", 0, "\"object\"");
	check_json("a: 1\n", "$ENV.CLIMA_TEST_VAR", 0, "\"hello\"");
	check_json("a: 1\n", ".b = strenv(\"CLIMA_TEST_NUM\")", 0,
	    "{\"a\":1,\"b\":\"42\"}");
	check_json(
	    "a: 1\n", ".b = env(\"CLIMA_TEST_NUM\")", 0, "{\"a\":1,\"b\":42}");
	check_json(
	    "a: 1\n", "$__loc__", 0, "{\"file\":\"<top-level>\",\"line\":1}");
	check_error("\"bye\" | halt_error", 0, "bye");
	check_json("a: 1\n", "halt", 0, "<not one output>");
}

static void
test_filter(void)
{
	const char *both[] = { ".status == \"Running\"", ".cpus > 2" };
	const char *one[] = { ".status == \"Running\"", ".cpus > 8" };
	const char *bad[] = { ".name | test(\"x\")", ".status | .a" };
	const char *envf[] = { "env.X" };
	const char *comment[] = { ".cpus == 4 # four" };
	struct node *in, *other;
	struct expr *e;
	char *cause = NULL;
	int m = -1;

	in = load("name: x\nstatus: Running\ncpus: 4\n");
	ok(expr_filter(both, 2, in, &m, &cause) == 0 && m == 1,
	    "filter: both true");
	ok(expr_filter(one, 2, in, &m, &cause) == 0 && m == 0,
	    "filter: one false");
	ok(expr_filter(NULL, 0, in, &m, &cause) == 0 && m == 1,
	    "filter: none matches");
	ok(expr_filter(comment, 1, in, &m, &cause) == 0 && m == 1,
	    "filter: trailing comment");
	ok(expr_filter(bad, 2, in, &m, &cause) == -1, "filter: runtime error");
	is_str(cause, "Cannot index string with string \"a\"",
	    "filter: runtime message");
	free(cause);
	cause = NULL;
	ok(expr_filter(envf, 1, in, &m, &cause) == -1, "filter: restricted");
	is_str(cause, "env operations have been disabled",
	    "filter: restricted message");
	free(cause);
	e = expr_compile_filter(both, 2, &cause);
	ok(e != NULL, "filter: compiled once");
	ok(expr_match(e, in, &m, &cause) == 0 && m == 1,
	    "filter: first instance matches");
	other = load("name: y\nstatus: Stopped\ncpus: 4\n");
	ok(expr_match(e, other, &m, &cause) == 0 && m == 0,
	    "filter: second instance does not");
	expr_free(e);
	node_free(other);
	node_free(in);
}

static void
test_errors(void)
{
	struct expr *e;
	struct node *in, **out = NULL;
	char *cause = NULL;
	size_t n = 0;
	int m;

	check_error(".a = = 1", 0,
	    "syntax error, unexpected '=' (Unix shell quoting issues?) at "
	    "<top-level>, line 1");
	check_error("foo(1)", 0, "foo/1 is not defined at <top-level>, line 1");
	check_error(
	    "with(.a)", 0, "with/1 is not defined at <top-level>, line 1");
	check_error("\"x\" | .a", 0, "Cannot index string with string \"a\"");
	check_error("error({\"a\":1})", 0, "{\"a\":1} (not a string)");
	check_error("null | .[]", 0, "Cannot iterate over null (null)");
	check_error("reduce range(2000) as $i (null; [.])", 0,
	    "result nested too deeply");

	e = expr_compile(".cpus + 3", EXPR_RESTRICTED, &cause);
	ok(e != NULL, "compile once");
	in = load("cpus: 3\n");
	ok(expr_run(e, in, &out, &n, &cause) == 0 && n == 1, "run once");
	is_str(node_get_str(out[0]), "6", "run once: value");
	expr_free_nodes(out, n);
	ok(expr_run(e, NULL, &out, &n, &cause) == 0 && n == 1, "run twice");
	is_str(node_get_str(out[0]), "3", "run twice: null + 3 is 3");
	expr_free_nodes(out, n);
	ok(expr_match(e, in, &m, &cause) == 0 && m == 1, "match");
	expr_free(e);
	expr_free(NULL);
	expr_free_nodes(NULL, 0);
	node_free(in);
}

int
main(void)
{
	test_to_jv();
	test_to_node();
	test_order_numbers();
	test_set();
	test_apply();
	test_queries();
	test_restricted();
	test_unrestricted();
	test_filter();
	test_errors();
	return done_testing();
}
