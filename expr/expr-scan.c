/* clima: a look at a jq program before it is compiled. */
/*
 * The scan finds every name in call position, as jq's lexer would see
 * it: not a .field, an object key or a string.  It refuses the builtins
 * that Lima disables (env and file operations) and picks the jq
 * definitions that give a few yq v4 spellings (with, strenv, upcase...).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "expr/expr.h"
#include "expr/expr-int.h"

#define EXPR_SCAN_MAX_DEPTH 256 /* brackets open at once */
#define EXPR_SCAN_MAX_NEST  32  /* strings inside interpolations */
#define EXPR_SCAN_MAX_IDENT 128

#define EXPR_ENV_DISABLED    "env operations have been disabled"
#define EXPR_FILE_DISABLED   "file operations have been disabled"
#define EXPR_SYSTEM_DISABLED "system operations have been disabled"

enum expr_deny {
	EXPR_DENY_NONE,
	EXPR_DENY_ENV,
	EXPR_DENY_FILE,
	EXPR_DENY_SYSTEM
};

struct expr_denied {
	const char *name;
	enum expr_deny why;
	int always; /* refused even without EXPR_RESTRICTED */
};

static const struct expr_denied expr_denied[] = {
	{ "env", EXPR_DENY_ENV, 0 },
	{ "strenv", EXPR_DENY_ENV, 0 },
	{ "envsubst", EXPR_DENY_ENV, 0 },
	{ "input", EXPR_DENY_FILE, 0 },
	{ "inputs", EXPR_DENY_FILE, 0 },
	{ "input_filename", EXPR_DENY_FILE, 0 },
	{ "input_line_number", EXPR_DENY_FILE, 0 },
	{ "debug", EXPR_DENY_FILE, 0 },
	{ "stderr", EXPR_DENY_FILE, 0 },
	{ "halt", EXPR_DENY_FILE, 0 },
	{ "halt_error", EXPR_DENY_FILE, 0 },
	{ "get_search_list", EXPR_DENY_FILE, 0 },
	{ "get_jq_origin", EXPR_DENY_FILE, 0 },
	{ "get_prog_origin", EXPR_DENY_FILE, 0 },
	{ "modulemeta", EXPR_DENY_FILE, 0 },
	{ "import", EXPR_DENY_FILE, 0 },
	{ "include", EXPR_DENY_FILE, 0 },
	{ "load", EXPR_DENY_FILE, 0 },
	{ "load_str", EXPR_DENY_FILE, 0 },
	{ "load_xml", EXPR_DENY_FILE, 0 },
	{ "load_props", EXPR_DENY_FILE, 0 },
	{ "load_base64", EXPR_DENY_FILE, 0 },
	{ "system", EXPR_DENY_SYSTEM, 1 },
};

/* $variables, checked the same way. */
static const struct expr_denied expr_denied_vars[] = {
	{ "ENV", EXPR_DENY_ENV, 0 },
	{ "__loc__", EXPR_DENY_FILE, 0 },
};

/* yq v4 spellings, defined in jq when a program calls them. */
struct expr_shim {
	const char *name;
	int args; /* 1: only when called with arguments */
	const char *def;
};

static const struct expr_shim expr_shims[] = {
	{ "with", 1, "def with(p; f): p |= f;" },
	{ "strenv", 1, "def strenv($n): $ENV[$n];" },
	{ "env", 1,
	    "def env($n): $ENV[$n] | if type == \"string\" then "
	    "(tonumber? // (if . == \"true\" then true "
	    "elif . == \"false\" then false "
	    "elif . == \"null\" or . == \"~\" then null else . end)) "
	    "else . end;" },
	{ "upcase", 0, "def upcase: ascii_upcase;" },
	{ "downcase", 0, "def downcase: ascii_downcase;" },
	{ "to_string", 0, "def to_string: tostring;" },
	{ "to_number", 0, "def to_number: tonumber;" },
	{ "sort_keys", 1,
	    "def sort_keys(p): p |= (if type == \"object\" then "
	    "(to_entries | sort_by(.key) | from_entries) else . end);" },
};
#define EXPR_NSHIMS (sizeof expr_shims / sizeof expr_shims[0])

struct expr_scan {
	const char *p;
	int flags;
	int nest;
	int used[EXPR_NSHIMS];
	char *cause;
};

static int expr_scan_code(struct expr_scan *, int);

static int
expr_scan_deny(struct expr_scan *s, const struct expr_denied *table, size_t n,
    const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].name, name) != 0)
			continue;
		if (!table[i].always && (~s->flags & EXPR_RESTRICTED))
			return 0;
		switch (table[i].why) {
		case EXPR_DENY_ENV:
			s->cause = xstrdup(EXPR_ENV_DISABLED);
			break;
		case EXPR_DENY_FILE:
			s->cause = xstrdup(EXPR_FILE_DISABLED);
			break;
		default:
			s->cause = xstrdup(EXPR_SYSTEM_DISABLED);
			break;
		}
		return -1;
	}
	return 0;
}

static int
expr_is_ident_start(int c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int
expr_is_ident(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Skips blanks and # comments. */
static void
expr_scan_space(struct expr_scan *s)
{
	for (;;) {
		if (isspace((unsigned char)*s->p))
			s->p++;
		else if (*s->p == '#') {
			while (*s->p != '\0' && *s->p != '\n')
				s->p++;
		} else
			break;
	}
}

/* Reads NAME or NAME::NAME... into buf (truncated; long names are ours). */
static void
expr_scan_ident(struct expr_scan *s, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		while (expr_is_ident(*s->p)) {
			if (len + 1 < size)
				buf[len++] = *s->p;
			s->p++;
		}
		if (s->p[0] != ':' || s->p[1] != ':' ||
		    !expr_is_ident_start(s->p[2]))
			break;
		if (len + 2 < size) {
			buf[len++] = ':';
			buf[len++] = ':';
		}
		s->p += 2;
	}
	buf[len] = '\0';
}

/* A string; s->p is after the opening quote.  \( ... ) is code. */
static int
expr_scan_string(struct expr_scan *s)
{
	for (;;) {
		switch (*s->p) {
		case '\0':
			return 0; /* jq reports it */
		case '"':
			s->p++;
			return 0;
		case '\\':
			if (s->p[1] == '(') {
				s->p += 2;
				if (expr_scan_code(s, ')') != 0)
					return -1;
			} else if (s->p[1] != '\0')
				s->p += 2;
			else
				s->p++;
			break;
		default:
			s->p++;
			break;
		}
	}
}

static void
expr_scan_number(struct expr_scan *s)
{
	while (isdigit((unsigned char)*s->p) || *s->p == '.')
		s->p++;
	if (*s->p == 'e' || *s->p == 'E') {
		if (isdigit((unsigned char)s->p[1]))
			s->p += 1;
		else if ((s->p[1] == '+' || s->p[1] == '-') &&
		    isdigit((unsigned char)s->p[2]))
			s->p += 2;
		while (isdigit((unsigned char)*s->p))
			s->p++;
	}
}

static int
expr_scan_name(struct expr_scan *s, const char *name)
{
	size_t i;
	int args;

	if (expr_scan_deny(s, expr_denied,
		sizeof expr_denied / sizeof expr_denied[0], name) != 0)
		return -1;
	expr_scan_space(s);
	args = *s->p == '(';
	for (i = 0; i < EXPR_NSHIMS; i++) {
		if (strcmp(expr_shims[i].name, name) == 0 &&
		    (!expr_shims[i].args || args))
			s->used[i] = 1;
	}
	return 0;
}

/*
 * Code up to the closing term (')' for an interpolation, 0 at the top).
 * stack holds the open brackets; keypos is set while the innermost '{'
 * expects a key, where a bare name is not a call.
 */
static int
expr_scan_code(struct expr_scan *s, int term)
{
	char stack[EXPR_SCAN_MAX_DEPTH], name[EXPR_SCAN_MAX_IDENT];
	int depth = 0, keypos = 0, c;

	if (++s->nest > EXPR_SCAN_MAX_NEST) {
		s->cause = xstrdup("expression nested too deeply");
		return -1;
	}
	for (;;) {
		expr_scan_space(s);
		c = (unsigned char)*s->p;
		if (c == '\0')
			break;
		if (expr_is_ident_start(c)) {
			expr_scan_ident(s, name, sizeof name);
			if (depth > 0 && stack[depth - 1] == '{' && keypos) {
				keypos = 0;
				continue;
			}
			keypos = 0;
			if (expr_scan_name(s, name) != 0)
				return -1;
			continue;
		}
		keypos = 0;
		s->p++;
		switch (c) {
		case '"':
			if (expr_scan_string(s) != 0)
				return -1;
			break;
		case '(':
		case '[':
		case '{':
			if (depth == EXPR_SCAN_MAX_DEPTH) {
				s->cause =
				    xstrdup("expression nested too deeply");
				return -1;
			}
			stack[depth++] = (char)c;
			keypos = c == '{';
			break;
		case ')':
		case ']':
		case '}':
			if (depth == 0) {
				if (c == term) {
					s->nest--;
					return 0;
				}
				break; /* unbalanced: jq reports it */
			}
			depth--;
			break;
		case ',':
			keypos = depth > 0 && stack[depth - 1] == '{';
			break;
		case '$':
			expr_scan_space(s);
			expr_scan_ident(s, name, sizeof name);
			if (expr_scan_deny(s, expr_denied_vars,
				sizeof expr_denied_vars /
				    sizeof expr_denied_vars[0],
				name) != 0)
				return -1;
			break;
		case '.':
			if (expr_is_ident_start(*s->p))
				expr_scan_ident(s, name, sizeof name);
			else if (isdigit((unsigned char)*s->p))
				expr_scan_number(s);
			break;
		case '@':
			expr_scan_ident(s, name, sizeof name);
			break;
		default:
			if (isdigit((unsigned char)c))
				expr_scan_number(s);
			break;
		}
	}
	s->nest--;
	return 0;
}

int
expr_scan(const char *prog, int flags, char **prelude, char **cause)
{
	struct expr_scan s;
	char *text = NULL, *tmp;
	size_t i;

	memset(&s, 0, sizeof s);
	s.p = prog;
	s.flags = flags;
	if (expr_scan_code(&s, 0) != 0) {
		*cause = s.cause;
		return -1;
	}
	for (i = 0; i < EXPR_NSHIMS; i++) {
		if (!s.used[i])
			continue;
		xasprintf(
		    &tmp, "%s%s ", text != NULL ? text : "", expr_shims[i].def);
		free(text);
		text = tmp;
	}
	*prelude = text;
	return 0;
}
