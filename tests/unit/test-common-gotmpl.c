/* clima: unit tests for common/gotmpl*.c (Go text/template subset). */
/*
 * Every function and control form, trim markers and comments, printing
 * of values the way Go's fmt does, and the exact parse and execution
 * error texts `limactl list --format` shows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/gotmpl.h"
#include "common/node.h"
#include "tests/tap.h"

#define TYPE "store.FormatData"

static const char *data_yaml = "name: x\n"
			       "status: Running\n"
			       "sshLocalPort: 60022\n"
			       "cpus: 4\n"
			       "memory: 4294967296\n"
			       "message: \"\"\n"
			       "bar: hello\n"
			       "lines: \"One\\nTwo\\n\\nThree\"\n"
			       "nil: null\n"
			       "seq: [a, b, c]\n"
			       "empty: []\n"
			       "nums: [3, 1, 2]\n"
			       "map: {b: 2, a: 1, c: [x, ~]}\n"
			       "config:\n"
			       "  cpus: 4\n"
			       "  vmType: qemu\n"
			       "  images:\n"
			       "  - location: /a.img\n"
			       "    arch: x86_64\n"
			       "  - location: /b.img\n"
			       "    arch: aarch64\n"
			       "f: 3.5\n"
			       "big: 1e6\n"
			       "t: true\n"
			       "zero: 0\n";

static struct node *data;

/* Parses and runs text; returns the output or "ERR: <cause>". */
static char *
run(const char *text, const char *type_name)
{
	struct gotmpl *t;
	char *out = NULL, *cause = NULL, *s;

	t = gotmpl_parse("format", text, &cause);
	if (t == NULL) {
		if (cause == NULL)
			return strdup("ERR: (no cause)");
		s = malloc(strlen(cause) + 6);
		strcpy(s, "ERR: ");
		strcat(s, cause);
		free(cause);
		return s;
	}
	if (gotmpl_exec(t, data, type_name, &out, &cause) != 0) {
		s = malloc(strlen(cause) + 6);
		strcpy(s, "ERR: ");
		strcat(s, cause);
		free(cause);
		out = s;
	}
	gotmpl_free(t);
	return out;
}

/* text on one line, for the TAP description. */
static const char *
desc(const char *text)
{
	static char buf[256];
	size_t i, n = 0;

	for (i = 0; text[i] != '\0' && n + 3 < sizeof buf; i++) {
		if (text[i] == '\n' || text[i] == '\t') {
			buf[n++] = '\\';
			buf[n++] = text[i] == '\n' ? 'n' : 't';
		} else
			buf[n++] = text[i];
	}
	buf[n] = '\0';
	return buf;
}

static void
check(const char *text, const char *want)
{
	char *got;

	got = run(text, TYPE);
	is_str(got, want, "%s", desc(text));
	free(got);
}

static void
test_text_fields(void)
{
	check("", "");
	check("plain text", "plain text");
	check("{{.Name}}", "x");
	check("{{.name}}", "x");
	check("{{.Status}}/{{.SSHLocalPort}}/{{.CPUs}}", "Running/60022/4");
	check("{{.Memory}}", "4294967296");
	check(
	    "{{.Config.Cpus}} {{.Config.CPUs}} {{.Config.VMType}}", "4 4 qemu");
	check("{{(index .Config.Images 1).Arch}}", "aarch64");
	check("{{.Nil}}", "<no value>");
	check("{{.Config.Nope}}", "<no value>");
	check("{{.Config.Nope.Deeper}}", "<no value>");
	check("{{.Map}}", "map[a:1 b:2 c:[x <nil>]]");
	check("{{.Seq}} {{.Empty}}", "[a b c] []");
	check("{{.F}} {{.Big}} {{.T}} {{.Zero}}", "3.5 1e+06 true 0");
	check("unix://{{.Dir}}/sock",
	    "ERR: template: format:1:9: executing "
	    "\"format\" at <.Dir>: can't evaluate field Dir in type "
	    "store.FormatData");
}

static void
test_literals_trim(void)
{
	check("{{\"s\\t\\u00e9\"}}|{{`r\\n`}}", "s\t\xc3\xa9|r\\n");
	check("{{3}} {{-3}} {{3.5}} {{1e3}} {{0x10}} {{'a'}}",
	    "3 -3 3.5 1000 16 97");
	check("{{true}} {{false}}", "true false");
	check("a  {{- .Name -}}  b", "axb");
	check("a\n\t{{- .Name}}\n", "ax\n");
	check("{{.Name -}}\n\n  done", "xdone");
	check("{{ .Name }}", "x");
	check("a{{/* comment */}}b", "ab");
	check("a \n{{- /* comment */ -}}\n b", "ab");
	check("{{- 3}}", "3");
	check("{{-3}}", "-3");
}

static void
test_pipelines_vars(void)
{
	check("{{.Name | printf \"%s!\"}}", "x!");
	check("{{\"abc\" | len}}", "3");
	check("{{.Name | printf \"%s-%s\" .Status}}", "Running-x");
	check("{{$x := .Name}}{{$x}}{{$x = \"y\"}}{{$x}}", "xy");
	check("{{$.Name}}", "x");
	check("{{with .Config}}{{$.Name}}:{{.VMType}}{{end}}", "x:qemu");
	check("{{(len .Seq)}}", "3");
	check("{{printf \"%d\" (len .Seq)}}", "3");
}

static void
test_functions(void)
{
	check("{{json .Config.Images}}",
	    "[{\"location\":\"/a.img\",\"arch\":\"x86_64\"},"
	    "{\"location\":\"/b.img\",\"arch\":\"aarch64\"}]");
	check("{{json .Name}} {{json .CPUs}} {{json .Nil}}", "\"x\" 4 null");
	check("{{yaml .Map}}", "---\nb: 2\na: 1\nc:\n- x\n- ~");
	check("{{yaml .Name}}", "---\nx");
	check("{{.Lines | indent}}", "  One\n  Two\n\n  Three");
	check("{{indent 4 .Lines}}", "    One\n    Two\n\n    Three");
	check("{{.Message | missing}}", "<missing>");
	check("{{.Nil | missing}}", "<missing>");
	check("{{.Name | missing}}", "x");
	check("{{.Bar}}{{\"\\n\"}}{{.Lines | missing \"<no message>\" | "
	      "indent 2}}",
	    "hello\n  One\n  Two\n\n  Three");
	check("{{.Message | missing \"none\"}}", "none");
	check("{{indent}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <indent>: error calling indent: function takes at least one "
	    "string argument");
	check("{{indent \"a\" \"b\"}}",
	    "ERR: template: format:1:2: executing "
	    "\"format\" at <indent \"a\" \"b\">: error calling indent: "
	    "optional "
	    "first argument must be an integer");
	check("{{missing .CPUs}}",
	    "ERR: template: format:1:2: executing "
	    "\"format\" at <missing .CPUs>: error calling missing: last "
	    "argument must be a string");
	check("{{print 1 2 \"a\" 3 \"b\" \"c\"}}", "1 2a3bc");
	check("{{println 1 \"a\"}}", "1 a\n");
	check("{{printf \"%d|%5d|%-4d|%05d|%x|%X|%o|%b|%+d\" 42 42 42 42 255 "
	      "255 8 5 3}}",
	    "42|   42|42  |00042|ff|FF|10|101|+3");
	check("{{printf \"%s|%q|%v|%6.2f|%-5s|%t|%%|%c|%e\" .Name .Name .Seq "
	      ".F \"ab\" .T 65 1234.5}}",
	    "x|\"x\"|[a b c]|  3.50|ab   |true|%|A|1.234500e+03");
	check("{{printf \"%.2s|%5.1s|%g|%v\" \"abc\" \"xyz\" 0.000012 .Map}}",
	    "ab|    x|1.2e-05|map[a:1 b:2 c:[x <nil>]]");
	check("{{printf \"%d %s\" 1}}", "1 %!s(MISSING)");
	check("{{printf \"%d\" 1 \"a\" 2}}", "1%!(EXTRA string=a, int=2)");
	check("{{printf \"%d|%s\" \"a\" 3}}", "%!d(string=a)|%!s(int=3)");
	check("{{printf \"%v %d\" .Nil .Nil}}", "<nil> %!d(<nil>)");
	check("{{len .Seq}} {{len .Map}} {{len .Name}}", "3 3 1");
	check("{{len 3}}",
	    "ERR: template: format:1:2: executing \"format\" at "
	    "<len 3>: error calling len: len of type int");
	check("{{len 1 2}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <len>: wrong number of args for len: want 1 got 2");
	check("{{index .Seq 1}} {{index .Map \"b\"}} {{index .Map \"c\" 0}}",
	    "b 2 x");
	check("{{index .Map \"zz\"}}", "<no value>");
	check("{{index .Seq 5}}",
	    "ERR: template: format:1:2: executing "
	    "\"format\" at <index .Seq 5>: error calling index: index out of "
	    "range: 5");
	check("{{index .Name 0}}", "120");
	check("{{slice .Seq 1}} {{slice .Seq 1 2}} {{slice .Name 0 0}}|",
	    "[b c] [b] |");
	check("{{not .T}} {{not .Zero}} {{not .Seq}}", "false true false");
}

static void
test_compare(void)
{
	check("{{eq .Status \"Running\"}} {{eq .CPUs 4}} {{eq .CPUs 1 2 4}}",
	    "true true true");
	check("{{ne .Name \"y\"}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} "
	      "{{ge 1.5 2.5}}",
	    "true true true true false");
	check("{{eq .Nil .Config.Nope}}", "true");
	check("{{eq .Name .Nil}}", "false");
	check("{{eq .Name 1}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <eq .Name 1>: error calling eq: incompatible types for "
	    "comparison");
	check("{{lt .T .T}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <lt .T .T>: error calling lt: invalid type for comparison");
	check("{{eq .Name}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <eq .Name>: error calling eq: missing argument for "
	    "comparison");
	check("{{and 1 0 (index .Seq 10)}} {{or 0 \"\" .Name}} {{and 1 2}} "
	      "{{or 0 \"\"}}|",
	    "0 x 2 |");
	check("{{.T | and 1}}", "true");
	check("{{and}}",
	    "ERR: template: format:1:2: executing \"format\" at "
	    "<and>: wrong number of args for and: want at least 1 got 0");
}

static void
test_control(void)
{
	check("{{if .T}}yes{{end}}", "yes");
	check("{{if .Zero}}yes{{else}}no{{end}}", "no");
	check("{{if eq .Status \"Stopped\"}}s{{else if eq .Status \"Running\"}}"
	      "r{{else}}o{{end}}",
	    "r");
	check("{{if .Nil}}a{{else if .Empty}}b{{else}}c{{end}}", "c");
	check("{{with .Config}}{{.VMType}}{{end}}", "qemu");
	check("{{with .Message}}m{{else}}none{{end}}", "none");
	check("{{with .Nil}}n{{else with .Name}}{{.}}{{end}}", "x");
	check("{{range .Seq}}{{.}},{{end}}", "a,b,c,");
	check("{{range $i, $v := .Seq}}{{$i}}={{$v}} {{end}}", "0=a 1=b 2=c ");
	check("{{range $v := .Nums}}{{$v}}{{end}}", "312");
	check("{{range $k, $v := .Map}}{{$k}}:{{$v}};{{end}}",
	    "a:1;b:2;c:[x <nil>];");
	check("{{range .Empty}}x{{else}}empty{{end}}", "empty");
	check("{{range .Nil}}x{{else}}nil{{end}}", "nil");
	check("{{range 3}}{{.}}{{end}}", "012");
	check(
	    "{{range .Seq}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "a");
	check("{{range .Seq}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}",
	    "ac");
	check("{{range .Config.Images}}{{.Location}}({{.Arch}}) {{end}}",
	    "/a.img(x86_64) /b.img(aarch64) ");
	check("{{range $i, $img := .Config.Images}}{{if $i}},{{end}}"
	      "{{$img.Arch}}{{end}}",
	    "x86_64,aarch64");
	check("{{$x := 1}}{{if .T}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}", "2");
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} parse[] = {
		{ "{{.Foo}",
		    "template: format:1: unexpected \"}\" in operand" },
		{ "{{foo}}",
		    "template: format:1: function \"foo\" not defined" },
		{ "{{if .X}}", "template: format:1: unexpected EOF" },
		{ "{{end}}", "template: format:1: unexpected {{end}}" },
		{ "{{else}}", "template: format:1: unexpected {{else}}" },
		{ "{{.X", "template: format:1: unclosed action" },
		{ "a\n{{.X\n",
		    "template: format:3: unclosed action started "
		    "at format:2" },
		{ "{{/* x", "template: format:1: unclosed comment" },
		{ "{{/* x */ .X}}",
		    "template: format:1: comment ends before "
		    "closing delimiter" },
		{ "{{}}", "template: format:1: missing value for command" },
		{ "{{if}}{{end}}", "template: format:1: missing value for if" },
		{ "{{$x}}", "template: format:1: undefined variable \"$x\"" },
		{ "{{break}}",
		    "template: format:1: {{break}} outside {{range}}" },
		{ "{{\"a}}", "template: format:1: unterminated quoted string" },
		{ "{{3x}}", "template: format:1: bad number syntax: \"3x\"" },
		{ "{{.X | 3}}",
		    "template: format:1: non executable command in "
		    "pipeline stage 2" },
		{ "{{(.X}}", "template: format:1: unclosed left paren" },
		{ "{{.X)}}", "template: format:1: unexpected right paren" },
		{ "{{range .X}}{{else}}{{else}}{{end}}",
		    "template: format:1: expected end; found {{else}}" },
		{ "{{\"x\".Y}}",
		    "template: format:1: unexpected . after term "
		    "\"\\\"x\\\"\"" },
		{ "{{.X = 1}}",
		    "template: format:1: unexpected \"=\" in operand" },
		{ "line1\nline2 {{.X 'ab'}}",
		    "template: format:2: malformed "
		    "character constant: 'ab'" },
		{ "{{define \"x\"}}{{end}}",
		    "template: format:1: {{define}} is "
		    "not supported" },
	};
	size_t i;
	char *got;

	for (i = 0; i < sizeof parse / sizeof parse[0]; i++) {
		got = run(parse[i].text, TYPE);
		ok(got != NULL && strncmp(got, "ERR: ", 5) == 0 &&
			strcmp(got + 5, parse[i].want) == 0,
		    "parse error %s", desc(parse[i].text));
		if (got == NULL || strncmp(got, "ERR: ", 5) != 0 ||
		    strcmp(got + 5, parse[i].want) != 0)
			printf("#   got  \"%s\"\n#   want \"ERR: %s\"\n", got,
			    parse[i].want);
		free(got);
	}

	check("{{.Unknown}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <.Unknown>: can't evaluate field Unknown in type "
	    "store.FormatData");
	check("a\nbc {{.Unknown}}",
	    "ERR: template: format:2:5: executing "
	    "\"format\" at <.Unknown>: can't evaluate field Unknown in type "
	    "store.FormatData");
	check("{{.Name.Foo}}",
	    "ERR: template: format:1:7: executing \"format\" "
	    "at <.Name.Foo>: can't evaluate field Foo in type string");
	check("{{.Nil.X}}",
	    "ERR: template: format:1:6: executing \"format\" at "
	    "<.Nil.X>: nil pointer evaluating interface {}.X");
	check("{{.Config.VeryLongFieldName.X}}", "<no value>");
	check("{{.Config.Images.Location}}",
	    "ERR: template: format:1:9: "
	    "executing \"format\" at <.Config.Images.Locat...>: can't evaluate "
	    "field Location in type []interface {}");
	check("{{range .Name}}{{end}}",
	    "ERR: template: format:1:8: executing "
	    "\"format\" at <{{range .Name}}{{end...>: range can't iterate over "
	    "x");
	check("{{.Name 1}}",
	    "ERR: template: format:1:2: executing \"format\" "
	    "at <.Name>: Name has arguments but cannot be invoked as function");
	check("{{1 | .Config.X}}",
	    "ERR: template: format:1:13: executing "
	    "\"format\" at <.Config.X>: X is not a method but has arguments");
	check("{{nil}}",
	    "ERR: template: format:1:2: executing \"format\" at "
	    "<nil>: nil is not a command");
	check("{{\"a\" 1}}",
	    "ERR: template: format:1:2: executing \"format\" at "
	    "<\"a\">: can't give argument to non-function \"a\"");
}

static void
test_depth(void)
{
	char *text, *got;
	size_t i, n = 2000;

	/* Deep nesting is refused instead of exhausting the stack. */
	text = malloc(n * 15 + 1);
	text[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(text, "{{if 1}}");
	for (i = 0; i < n; i++)
		strcat(text, "{{end}}");
	got = run(text, TYPE);
	is_str(got, "ERR: template: format:1: max expression depth exceeded",
	    "deep nesting");
	free(got);
	free(text);
}

static void
test_untyped(void)
{
	char *got;

	/* Without a type name the top level is a map: no error. */
	got = run("{{.Unknown}}|{{.name}}", NULL);
	is_str(got, "<no value>|x", "untyped data: missing key is no value");
	free(got);
	got = run("{{.Name.Foo}}", NULL);
	is_str(got,
	    "ERR: template: format:1:7: executing \"format\" at "
	    "<.Name.Foo>: can't evaluate field Foo in type string",
	    "untyped data: field of a string");
	free(got);
}

int
main(void)
{
	char *cause = NULL;

	data =
	    node_from_yaml(data_yaml, strlen(data_yaml), "data.yaml", &cause);
	if (data == NULL) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	test_text_fields();
	test_literals_trim();
	test_pipelines_vars();
	test_functions();
	test_compare();
	test_control();
	test_errors();
	test_depth();
	test_untyped();
	gotmpl_free(NULL);
	node_free(data);
	return done_testing();
}
