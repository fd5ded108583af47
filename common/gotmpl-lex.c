/* clima: Go text/template subset: the lexer. */
/*
 * The whole text becomes items at once; lexing stops at the first error
 * item, which the parser reports when it reaches it, as Go's lazy lexer
 * would.  Also here: the growing buffer, Go quoting and unquoting.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gotmpl-int.h"
#include "common/log.h"
#include "common/xmalloc.h"

static const struct {
	const char *word;
	enum gt_itype type;
} gt_keywords[] = {
	{ ".", GT_I_DOT },
	{ "block", GT_I_BLOCK },
	{ "break", GT_I_BREAK },
	{ "continue", GT_I_CONTINUE },
	{ "define", GT_I_DEFINE },
	{ "else", GT_I_ELSE },
	{ "end", GT_I_END },
	{ "if", GT_I_IF },
	{ "nil", GT_I_NIL },
	{ "range", GT_I_RANGE },
	{ "template", GT_I_TEMPLATE },
	{ "with", GT_I_WITH },
};

struct gt_lexer {
	const char *in;
	size_t n;
	size_t pos;
	size_t start;
	int paren;
	size_t line_pos; /* line is the line of the byte at line_pos */
	int line;
	struct gt_item *items;
	size_t nitems;
};

void
gt_buf_add(struct gt_buf *b, const char *s, size_t n)
{
	size_t want;

	want = b->len + n + 1;
	if (want > b->size) {
		b->size = want < 64 ? 64 : want * 2;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
gt_buf_adds(struct gt_buf *b, const char *s)
{
	gt_buf_add(b, s, strlen(s));
}

void
gt_buf_addf(struct gt_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	gt_buf_add(b, s, (size_t)n);
	free(s);
}

char *
gt_buf_take(struct gt_buf *b)
{
	char *s;

	s = b->p != NULL ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->size = 0;
	return s;
}

void
gt_position(const struct gotmpl *t, int pos, int *line, int *col)
{
	int i, l = 1, start = 0;

	for (i = 0; i < pos && t->text[i] != '\0'; i++) {
		if (t->text[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = pos - start;
}

/* Go's %q of n bytes of s (the caller's). */
char *
gt_quote_n(const char *s, size_t n)
{
	char *t, *q;

	t = xstrndup(s, n);
	q = log_quote(t);
	free(t);
	return q;
}

/* Lexer. */

static int
gt_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Letters, digits, '_' and any non-ASCII byte (UTF-8 letters). */
static int
gt_is_alnum(int c)
{
	return c == '_' || isalnum(c) || c >= 0x80;
}

static int
gt_lex_at(struct gt_lexer *l, size_t pos, const char *s)
{
	size_t n = strlen(s);

	return pos <= l->n && l->n - pos >= n && memcmp(l->in + pos, s, n) == 0;
}

static int
gt_lex_peek(struct gt_lexer *l, size_t pos)
{
	return pos < l->n ? (unsigned char)l->in[pos] : -1;
}

static void
gt_lex_emit(struct gt_lexer *l, enum gt_itype type, size_t start, size_t end)
{
	struct gt_item *it;
	size_t i;

	if (start < l->line_pos) {
		l->line_pos = 0;
		l->line = 1;
	}
	for (i = l->line_pos; i < start; i++) {
		if (l->in[i] == '\n')
			l->line++;
	}
	l->line_pos = start;
	l->items = xreallocarray(l->items, l->nitems + 1, sizeof *l->items);
	it = &l->items[l->nitems++];
	memset(it, 0, sizeof *it);
	it->type = type;
	it->pos = (int)start;
	it->len = (int)(end - start);
	it->line = l->line;
	l->start = end;
}

/* Emits an error item at the start of the current item; lexing stops. */
static int __attribute__((__format__(__printf__, 2, 3)))
gt_lex_error(struct gt_lexer *l, const char *fmt, ...)
{
	va_list ap;

	gt_lex_emit(l, GT_I_ERROR, l->start, l->start);
	va_start(ap, fmt);
	xvasprintf(&l->items[l->nitems - 1].msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* " -}}" (trim) or "}}" at pos: 0 no, 1 plain, 2 with trim marker. */
static int
gt_lex_right_delim(struct gt_lexer *l, size_t pos)
{
	if (pos + 1 < l->n && gt_is_space((unsigned char)l->in[pos]) &&
	    l->in[pos + 1] == '-' && gt_lex_at(l, pos + 2, "}}"))
		return 2;
	if (gt_lex_at(l, pos, "}}"))
		return 1;
	return 0;
}

static int
gt_lex_terminator(struct gt_lexer *l, size_t pos)
{
	int c = gt_lex_peek(l, pos);

	/* As Go: the first character of the right delimiter ends a word. */
	return c == -1 || gt_is_space(c) || (c != 0 && strchr(".,|:()}", c));
}

/* Go's %#U of the UTF-8 character at pos. */
static char *
gt_lex_rune(struct gt_lexer *l, size_t pos)
{
	const unsigned char *p = (const unsigned char *)l->in + pos;
	unsigned int r = p[0];
	size_t n = 1, i;
	char *s;

	if (r >= 0xf0 && pos + 3 < l->n) {
		r &= 0x07;
		n = 4;
	} else if (r >= 0xe0 && pos + 2 < l->n) {
		r &= 0x0f;
		n = 3;
	} else if (r >= 0xc0 && pos + 1 < l->n) {
		r &= 0x1f;
		n = 2;
	}
	for (i = 1; i < n; i++)
		r = (r << 6) | (p[i] & 0x3f);
	if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0))
		xasprintf(&s, "U+%04X", r);
	else
		xasprintf(&s, "U+%04X '%.*s'", r, (int)n, (const char *)p);
	return s;
}

static int
gt_lex_bad_char(struct gt_lexer *l, const char *what, size_t pos)
{
	char *r;
	int rc;

	r = gt_lex_rune(l, pos);
	rc = gt_lex_error(l, "%s %s", what, r);
	free(r);
	return rc;
}

/* Advances *p over one character of set. */
static int
gt_lex_accept(struct gt_lexer *l, size_t *p, const char *set)
{
	int c = gt_lex_peek(l, *p);

	if (c <= 0 || strchr(set, c) == NULL)
		return 0;
	(*p)++;
	return 1;
}

static void
gt_lex_accept_run(struct gt_lexer *l, size_t *p, const char *set)
{
	while (gt_lex_accept(l, p, set))
		;
}

/* Go's scanNumber: sign, 0x/0o/0b, digits, fraction, exponent. */
static int
gt_lex_number(struct gt_lexer *l)
{
	const char *digits = "0123456789_";
	size_t p = l->pos;
	char *q;

	gt_lex_accept(l, &p, "+-");
	if (gt_lex_accept(l, &p, "0")) {
		if (gt_lex_accept(l, &p, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (gt_lex_accept(l, &p, "oO"))
			digits = "01234567_";
		else if (gt_lex_accept(l, &p, "bB"))
			digits = "01_";
	}
	gt_lex_accept_run(l, &p, digits);
	if (gt_lex_accept(l, &p, "."))
		gt_lex_accept_run(l, &p, digits);
	if (strlen(digits) == 11 && gt_lex_accept(l, &p, "eE")) {
		gt_lex_accept(l, &p, "+-");
		gt_lex_accept_run(l, &p, "0123456789_");
	}
	gt_lex_accept(l, &p, "i");
	if (gt_lex_peek(l, p) != -1 && gt_is_alnum(gt_lex_peek(l, p))) {
		q = gt_quote_n(l->in + l->start, p + 1 - l->start);
		gt_lex_error(l, "bad number syntax: %s", q);
		free(q);
		return -1;
	}
	l->pos = p;
	gt_lex_emit(l, GT_I_NUMBER, l->start, p);
	return 0;
}

/* A quoted string or character constant; l->pos is after the quote. */
static int
gt_lex_quote(
    struct gt_lexer *l, int quote, enum gt_itype type, const char *what)
{
	int c;

	for (;;) {
		c = gt_lex_peek(l, l->pos++);
		if (c == '\\') {
			c = gt_lex_peek(l, l->pos++);
			if (c != -1 && c != '\n')
				continue;
		}
		if (c == -1 || c == '\n')
			return gt_lex_error(l, "unterminated %s", what);
		if (c == quote)
			break;
	}
	gt_lex_emit(l, type, l->start, l->pos);
	return 0;
}

static int
gt_lex_raw_quote(struct gt_lexer *l)
{
	int c;

	for (;;) {
		c = gt_lex_peek(l, l->pos++);
		if (c == -1)
			return gt_lex_error(
			    l, "unterminated raw quoted string");
		if (c == '`')
			break;
	}
	gt_lex_emit(l, GT_I_RAWSTRING, l->start, l->pos);
	return 0;
}

/* .Field or $var (l->pos is after the '.' or '$'). */
static int
gt_lex_field_or_var(struct gt_lexer *l, enum gt_itype type)
{
	if (gt_lex_terminator(l, l->pos)) {
		gt_lex_emit(l, type == GT_I_VAR ? GT_I_VAR : GT_I_DOT, l->start,
		    l->pos);
		return 0;
	}
	while (
	    gt_lex_peek(l, l->pos) != -1 && gt_is_alnum(gt_lex_peek(l, l->pos)))
		l->pos++;
	if (!gt_lex_terminator(l, l->pos))
		return gt_lex_bad_char(l, "bad character", l->pos);
	gt_lex_emit(l, type, l->start, l->pos);
	return 0;
}

static int
gt_lex_ident(struct gt_lexer *l)
{
	size_t i, len;
	const char *w;

	while (
	    gt_lex_peek(l, l->pos) != -1 && gt_is_alnum(gt_lex_peek(l, l->pos)))
		l->pos++;
	if (!gt_lex_terminator(l, l->pos))
		return gt_lex_bad_char(l, "bad character", l->pos);
	w = l->in + l->start;
	len = l->pos - l->start;
	for (i = 0; i < sizeof gt_keywords / sizeof gt_keywords[0]; i++) {
		if (strlen(gt_keywords[i].word) == len &&
		    memcmp(gt_keywords[i].word, w, len) == 0) {
			gt_lex_emit(l, gt_keywords[i].type, l->start, l->pos);
			return 0;
		}
	}
	if ((len == 4 && memcmp(w, "true", 4) == 0) ||
	    (len == 5 && memcmp(w, "false", 5) == 0))
		gt_lex_emit(l, GT_I_BOOL, l->start, l->pos);
	else
		gt_lex_emit(l, GT_I_IDENT, l->start, l->pos);
	return 0;
}

/* Spaces; a single space before "-}}" belongs to the trim marker. */
static void
gt_lex_space(struct gt_lexer *l)
{
	size_t n = 0;

	while (gt_lex_peek(l, l->pos) != -1 &&
	    gt_is_space(gt_lex_peek(l, l->pos))) {
		l->pos++;
		n++;
	}
	if (gt_lex_right_delim(l, l->pos - 1) == 2) {
		l->pos--;
		if (n == 1) {
			l->start = l->pos;
			return;
		}
	}
	gt_lex_emit(l, GT_I_SPACE, l->start, l->pos);
}

/* Inside {{ }}; returns 1 at the closing delimiter, -1 on error. */
static int
gt_lex_action(struct gt_lexer *l)
{
	int c, d;

	for (;;) {
		l->start = l->pos;
		if ((d = gt_lex_right_delim(l, l->pos)) != 0) {
			if (l->paren != 0)
				return gt_lex_error(l, "unclosed left paren");
			if (d == 2)
				l->pos += 2;
			gt_lex_emit(l, GT_I_RDELIM, l->pos, l->pos + 2);
			l->pos += 2;
			if (d == 2) {
				while (gt_lex_peek(l, l->pos) != -1 &&
				    gt_is_space(gt_lex_peek(l, l->pos)))
					l->pos++;
			}
			l->start = l->pos;
			return 1;
		}
		c = gt_lex_peek(l, l->pos);
		if (c == -1)
			return gt_lex_error(l, "unclosed action");
		if (gt_is_space(c)) {
			gt_lex_space(l);
			continue;
		}
		l->pos++;
		switch (c) {
		case '=':
			gt_lex_emit(l, GT_I_ASSIGN, l->start, l->pos);
			continue;
		case ':':
			if (gt_lex_peek(l, l->pos) != '=')
				return gt_lex_error(l, "expected :=");
			l->pos++;
			gt_lex_emit(l, GT_I_DECLARE, l->start, l->pos);
			continue;
		case '|':
			gt_lex_emit(l, GT_I_PIPE, l->start, l->pos);
			continue;
		case '"':
			if (gt_lex_quote(
				l, '"', GT_I_STRING, "quoted string") != 0)
				return -1;
			continue;
		case '\'':
			if (gt_lex_quote(l, '\'', GT_I_CHARCONST,
				"character constant") != 0)
				return -1;
			continue;
		case '`':
			if (gt_lex_raw_quote(l) != 0)
				return -1;
			continue;
		case '$':
			if (gt_lex_field_or_var(l, GT_I_VAR) != 0)
				return -1;
			continue;
		case '(':
			gt_lex_emit(l, GT_I_LPAREN, l->start, l->pos);
			l->paren++;
			continue;
		case ')':
			if (--l->paren < 0)
				return gt_lex_error(
				    l, "unexpected right paren");
			gt_lex_emit(l, GT_I_RPAREN, l->start, l->pos);
			continue;
		case '.':
			if (!isdigit(gt_lex_peek(l, l->pos))) {
				if (gt_lex_field_or_var(l, GT_I_FIELD) != 0)
					return -1;
				continue;
			}
			break;
		default:
			break;
		}
		if (c == '.' || c == '+' || c == '-' || isdigit(c)) {
			l->pos = l->start;
			if (gt_lex_number(l) != 0)
				return -1;
		} else if (gt_is_alnum(c)) {
			if (gt_lex_ident(l) != 0)
				return -1;
		} else if (c < 0x7f && isprint(c))
			gt_lex_emit(l, GT_I_CHAR, l->start, l->pos);
		else
			return gt_lex_bad_char(
			    l, "unrecognized character in action:", l->start);
	}
}

/* A comment action; l->pos is at its opening slash. */
static int
gt_lex_comment(struct gt_lexer *l)
{
	const char *end;
	int d;

	l->start = l->pos;
	end = strstr(l->in + l->pos + 2, "*/");
	if (end == NULL)
		return gt_lex_error(l, "unclosed comment");
	l->pos = (size_t)(end - l->in) + 2;
	if ((d = gt_lex_right_delim(l, l->pos)) == 0)
		return gt_lex_error(l, "comment ends before closing delimiter");
	l->pos += d == 2 ? 4 : 2;
	if (d == 2) {
		while (gt_lex_peek(l, l->pos) != -1 &&
		    gt_is_space(gt_lex_peek(l, l->pos)))
			l->pos++;
	}
	l->start = l->pos;
	return 0;
}

void
gt_lex(const char *text, struct gt_item **items, size_t *nitems)
{
	struct gt_lexer l;
	const char *x;
	size_t end, len, trim;
	int marker;

	memset(&l, 0, sizeof l);
	l.line = 1;
	l.in = text;
	l.n = strlen(text);
	for (;;) {
		x = strstr(l.in + l.pos, "{{");
		if (x == NULL) {
			if (l.n > l.pos)
				gt_lex_emit(&l, GT_I_TEXT, l.pos, l.n);
			gt_lex_emit(&l, GT_I_EOF, l.n, l.n);
			break;
		}
		end = (size_t)(x - l.in);
		marker = gt_lex_peek(&l, end + 2) == '-' &&
		    gt_lex_peek(&l, end + 3) != -1 &&
		    gt_is_space(gt_lex_peek(&l, end + 3));
		len = end - l.pos;
		trim = 0;
		if (marker) {
			while (trim < len &&
			    gt_is_space((unsigned char)l.in[end - trim - 1]))
				trim++;
		}
		if (len > trim)
			gt_lex_emit(&l, GT_I_TEXT, l.pos, end - trim);
		l.pos = end + 2 + (marker ? 2 : 0);
		l.start = l.pos;
		if (gt_lex_at(&l, l.pos, "/*")) {
			if (gt_lex_comment(&l) != 0)
				break;
			continue;
		}
		gt_lex_emit(&l, GT_I_LDELIM, end, end + 2);
		l.start = l.pos;
		l.paren = 0;
		if (gt_lex_action(&l) != 1)
			break;
	}
	*items = l.items;
	*nitems = l.nitems;
}

static void
gt_utf8_add(struct gt_buf *b, unsigned long r)
{
	char u[4];

	if (r < 0x80) {
		u[0] = (char)r;
		gt_buf_add(b, u, 1);
	} else if (r < 0x800) {
		u[0] = (char)(0xc0 | (r >> 6));
		u[1] = (char)(0x80 | (r & 0x3f));
		gt_buf_add(b, u, 2);
	} else if (r < 0x10000) {
		u[0] = (char)(0xe0 | (r >> 12));
		u[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		u[2] = (char)(0x80 | (r & 0x3f));
		gt_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (r >> 18));
		u[1] = (char)(0x80 | ((r >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((r >> 6) & 0x3f));
		u[3] = (char)(0x80 | (r & 0x3f));
		gt_buf_add(b, u, 4);
	}
}

/*
 * One character of a Go quoted literal at *s (strconv.UnquoteChar);
 * -1 on a bad escape.  *rune is its value, as for a char constant.
 */
int
gt_unquote_char(const char **s, const char *end, int quote, struct gt_buf *b,
    unsigned long *rune)
{
	const char *p = *s;
	unsigned long r = 0;
	int i, n, base, c, is_byte;
	char byte;

	if (*p != '\\') {
		*rune = (unsigned char)*p;
		gt_buf_add(b, p, 1);
		*s = p + 1;
		return 0;
	}
	if (++p >= end)
		return -1;
	switch (*p) {
	case 'a':
		r = 7;
		break;
	case 'b':
		r = 8;
		break;
	case 'f':
		r = 12;
		break;
	case 'n':
		r = 10;
		break;
	case 'r':
		r = 13;
		break;
	case 't':
		r = 9;
		break;
	case 'v':
		r = 11;
		break;
	case '\\':
		r = '\\';
		break;
	case '\'':
	case '"':
		if (*p != quote)
			return -1;
		r = (unsigned char)*p;
		break;
	case 'x':
	case 'u':
	case 'U':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
		c = (unsigned char)*p;
		is_byte = c == 'x' || isdigit(c);
		n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 3;
		base = isdigit(c) ? 8 : 16;
		if (base == 16)
			p++;
		for (i = 0; i < n; i++, p++) {
			if (p >= end || !isxdigit((unsigned char)*p) ||
			    (base == 8 && *p > '7'))
				return -1;
			r = r * (unsigned long)base +
			    (unsigned long)(isdigit((unsigned char)*p)
				    ? *p - '0'
				    : tolower((unsigned char)*p) - 'a' + 10);
		}
		*s = p;
		*rune = r;
		if (is_byte) {
			/* \x and octal escapes are bytes, not runes */
			if (r > 255)
				return -1;
			byte = (char)r;
			gt_buf_add(b, &byte, 1);
		} else {
			if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
				return -1;
			gt_utf8_add(b, r);
		}
		return 0;
	default:
		return -1;
	}
	*rune = r;
	gt_utf8_add(b, r);
	*s = p + 1;
	return 0;
}

/* strconv.Unquote of a "..." or `...` literal. */
int
gt_unquote(const char *s, size_t len, char **text, size_t *textlen)
{
	struct gt_buf b = { NULL, 0, 0 };
	const char *p, *end;
	unsigned long r;
	size_t i;

	if (s[0] == '`') {
		for (i = 1; i + 1 < len; i++) {
			if (s[i] != '\r')
				gt_buf_add(&b, s + i, 1);
		}
	} else {
		p = s + 1;
		end = s + len - 1;
		while (p < end) {
			if (gt_unquote_char(&p, end, '"', &b, &r) != 0) {
				free(b.p);
				return -1;
			}
		}
	}
	*textlen = b.len;
	*text = gt_buf_take(&b);
	return 0;
}
