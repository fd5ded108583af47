/* clima: Go text/template subset: the parser. */
/*
 * Follows text/template/parse: the same grammar, the same checks made
 * while parsing (unknown functions, undefined variables, {{break}}
 * outside {{range}}) and the same texts ("template: NAME:LINE: ...").
 * Every node is recorded in the template, so a failed parse frees all.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gotmpl.h"
#include "common/gotmpl-int.h"
#include "common/log.h"
#include "common/xmalloc.h"

/* Positions are ints, as in the parse tree. */
#define GT_MAX_TEXT ((size_t)16 * 1024 * 1024)
/* Nesting of controls and parentheses; the parser recurses. */
#define GT_MAX_PARSE_DEPTH 1000

struct gt_parser {
	struct gotmpl *t;
	struct gt_item *items;
	size_t nitems;
	size_t i;    /* next item */
	size_t maxi; /* furthest item returned: Go's t.token[0] */
	char **vars;
	size_t nvars;
	int range_depth;
	int depth; /* open controls and parentheses */
	int action_line;
	char *err;
};

static struct gt_node *
gt_node_new(struct gt_parser *p, enum gt_ntype type, int pos)
{
	struct gt_node *n;

	n = xcalloc(1, sizeof *n);
	n->type = type;
	n->pos = pos;
	p->t->all = xreallocarray(p->t->all, p->t->nall + 1, sizeof *p->t->all);
	p->t->all[p->t->nall++] = n;
	return n;
}

static void
gt_node_add(struct gt_node ***v, size_t *n, struct gt_node *kid)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = kid;
}

static void
gt_node_ident(struct gt_node *n, const char *s, size_t len)
{
	n->idents = xreallocarray(n->idents, n->nidents + 1, sizeof *n->idents);
	n->idents[n->nidents++] = xstrndup(s, len);
}

static struct gt_item *
gt_next(struct gt_parser *p)
{
	struct gt_item *it;

	/* The last item (EOF or an error) is returned again and again. */
	it = &p->items[p->i];
	if (p->i > p->maxi)
		p->maxi = p->i;
	if (p->i + 1 < p->nitems)
		p->i++;
	return it;
}

static void
gt_backup(struct gt_parser *p, struct gt_item *it)
{
	p->i = (size_t)(it - p->items);
}

static struct gt_item *
gt_peek(struct gt_parser *p)
{
	struct gt_item *it;

	it = gt_next(p);
	gt_backup(p, it);
	return it;
}

static struct gt_item *
gt_next_nonspace(struct gt_parser *p)
{
	struct gt_item *it;

	do
		it = gt_next(p);
	while (it->type == GT_I_SPACE);
	return it;
}

static struct gt_item *
gt_peek_nonspace(struct gt_parser *p)
{
	struct gt_item *it;

	it = gt_next_nonspace(p);
	gt_backup(p, it);
	return it;
}

static const char *
gt_item_text(struct gt_parser *p, const struct gt_item *it)
{
	return p->t->text + it->pos;
}

/* Sets the parse error "template: NAME:LINE: MSG" (the first one wins). */
static void *__attribute__((__format__(__printf__, 2, 3)))
gt_errorf(struct gt_parser *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	size_t last;

	if (p->err != NULL)
		return NULL;
	last = p->maxi;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(&p->err, "template: %s:%d: %s", p->t->name,
	    p->items[last].line, msg);
	free(msg);
	return NULL;
}

/* Go's item.String(). */
static char *
gt_item_string(struct gt_parser *p, const struct gt_item *it)
{
	const char *s = gt_item_text(p, it);
	char *out, *q;
	size_t n, runes;

	if (it->type == GT_I_EOF)
		return xstrdup("EOF");
	if (it->type == GT_I_ERROR)
		return xstrdup(it->msg);
	if (it->type > GT_I_KEYWORD) {
		xasprintf(&out, "<%.*s>", it->len, s);
		return out;
	}
	if (it->len <= 10)
		return gt_quote_n(s, (size_t)it->len);
	/* %.10q...: the first ten characters, quoted. */
	for (n = 0, runes = 0; n < (size_t)it->len && runes < 10; runes++) {
		n++;
		while (
		    n < (size_t)it->len && ((unsigned char)s[n] & 0xc0) == 0x80)
			n++;
	}
	q = gt_quote_n(s, n);
	xasprintf(&out, "%s...", q);
	free(q);
	return out;
}

static void *
gt_unexpected(
    struct gt_parser *p, const struct gt_item *it, const char *context)
{
	char *s, extra[256] = "";
	size_t len;

	if (it->type == GT_I_ERROR) {
		if (p->action_line != 0 && p->action_line != it->line) {
			snprintf(extra, sizeof extra,
			    " in action started at %s:%d", p->t->name,
			    p->action_line);
			len = strlen(it->msg);
			if (len >= 7 &&
			    strcmp(it->msg + len - 7, " action") == 0)
				memmove(
				    extra, extra + 10, strlen(extra + 10) + 1);
		}
		return gt_errorf(p, "%s%s", it->msg, extra);
	}
	s = gt_item_string(p, it);
	gt_errorf(p, "unexpected %s in %s", s, context);
	free(s);
	return NULL;
}

static struct gt_item *
gt_expect(struct gt_parser *p, enum gt_itype type, const char *context)
{
	struct gt_item *it;

	it = gt_next_nonspace(p);
	if (it->type != type)
		return gt_unexpected(p, it, context);
	return it;
}

static struct gt_node *gt_pipeline(
    struct gt_parser *, const char *, enum gt_itype);
static struct gt_node *gt_text_or_action(struct gt_parser *);
static struct gt_node *gt_control(
    struct gt_parser *, enum gt_ntype, const char *);

static void
gt_push_var(struct gt_parser *p, const char *name)
{
	p->vars = xreallocarray(p->vars, p->nvars + 1, sizeof *p->vars);
	p->vars[p->nvars++] = xstrdup(name);
}

static void
gt_pop_vars(struct gt_parser *p, size_t n)
{
	while (p->nvars > n)
		free(p->vars[--p->nvars]);
}

static struct gt_node *
gt_new_var(struct gt_parser *p, const struct gt_item *it)
{
	struct gt_node *n;

	n = gt_node_new(p, GT_N_VAR, it->pos);
	n->raw = xstrndup(gt_item_text(p, it), (size_t)it->len);
	gt_node_ident(n, n->raw, strlen(n->raw));
	return n;
}

static struct gt_node *
gt_number(struct gt_parser *p, const struct gt_item *it)
{
	struct gt_node *n;
	struct gt_buf b = { NULL, 0, 0 };
	const char *s = gt_item_text(p, it), *q;
	char *clean = NULL, *end, *digits, *quoted;
	unsigned long r;
	int i, base = 10, neg = 0;

	n = gt_node_new(p, GT_N_NUMBER, it->pos);
	n->raw = xstrndup(s, (size_t)it->len);
	if (it->type == GT_I_CHARCONST) {
		q = s + 1;
		if (it->len < 3 ||
		    gt_unquote_char(&q, s + it->len - 1, '\'', &b, &r) != 0 ||
		    q != s + it->len - 1) {
			free(b.p);
			return gt_errorf(
			    p, "malformed character constant: %s", n->raw);
		}
		free(b.p);
		n->i = (long long)r;
		return n;
	}
	if (n->raw[strlen(n->raw) - 1] == 'i')
		return gt_errorf(
		    p, "complex numbers are not supported: %s", n->raw);
	clean = xmalloc(strlen(n->raw) + 1);
	for (i = 0, end = clean; n->raw[i] != '\0'; i++) {
		if (n->raw[i] != '_')
			*end++ = n->raw[i];
	}
	*end = '\0';
	digits = clean;
	if (*digits == '+' || *digits == '-')
		neg = *digits++ == '-';
	if (digits[0] == '0' && strchr("xXoObB", digits[1]) != NULL &&
	    digits[1] != '\0') {
		base = strchr("xX", digits[1]) ? 16
		    : strchr("oO", digits[1])  ? 8
					       : 2;
		digits += 2;
	} else if (digits[0] == '0' && digits[1] != '\0')
		base = 8;
	if (base == 16 || strpbrk(digits, ".eE") == NULL) {
		errno = 0;
		n->i = strtoll(digits, &end, base);
		if (*end == '\0' && errno == 0 && *digits != '\0') {
			if (neg)
				n->i = -n->i;
			goto out;
		}
		if (errno == ERANGE) {
			gt_errorf(p, "%s overflows int", n->raw);
			n = NULL;
			goto out;
		}
	}
	n->f = strtod(clean, &end);
	if (*end != '\0' || end == clean) {
		quoted = log_quote(n->raw);
		gt_errorf(p, "illegal number syntax: %s", quoted);
		free(quoted);
		n = NULL;
		goto out;
	}
	n->is_float = strpbrk(clean, ".eE") != NULL;
	if (!n->is_float)
		n->i = (long long)n->f;
out:
	free(clean);
	return n;
}

static struct gt_node *
gt_term(struct gt_parser *p)
{
	struct gt_item *it;
	struct gt_node *n;
	const char *s;
	char *q;
	size_t i;

	it = gt_next_nonspace(p);
	s = gt_item_text(p, it);
	switch (it->type) {
	case GT_I_IDENT:
		n = gt_node_new(p, GT_N_IDENT, it->pos);
		n->raw = xstrndup(s, (size_t)it->len);
		if (strcmp(n->raw, "and") != 0 && strcmp(n->raw, "or") != 0 &&
		    gt_func_find(n->raw) == NULL) {
			q = log_quote(n->raw);
			gt_errorf(p, "function %s not defined", q);
			free(q);
			return NULL;
		}
		return n;
	case GT_I_DOT:
		return gt_node_new(p, GT_N_DOT, it->pos);
	case GT_I_NIL:
		return gt_node_new(p, GT_N_NIL, it->pos);
	case GT_I_VAR:
		n = gt_new_var(p, it);
		for (i = p->nvars; i > 0; i--) {
			if (strcmp(p->vars[i - 1], n->raw) == 0)
				return n;
		}
		q = log_quote(n->raw);
		gt_errorf(p, "undefined variable %s", q);
		free(q);
		return NULL;
	case GT_I_FIELD:
		n = gt_node_new(p, GT_N_FIELD, it->pos);
		n->raw = xstrndup(s, (size_t)it->len);
		gt_node_ident(n, s + 1, (size_t)it->len - 1);
		return n;
	case GT_I_BOOL:
		n = gt_node_new(p, GT_N_BOOL, it->pos);
		n->b = *s == 't';
		return n;
	case GT_I_NUMBER:
	case GT_I_CHARCONST:
		return gt_number(p, it);
	case GT_I_LPAREN:
		if (++p->depth > GT_MAX_PARSE_DEPTH)
			n = gt_errorf(p, "max expression depth exceeded");
		else
			n = gt_pipeline(
			    p, "parenthesized pipeline", GT_I_RPAREN);
		p->depth--;
		return n;
	case GT_I_STRING:
	case GT_I_RAWSTRING:
		n = gt_node_new(p, GT_N_STRING, it->pos);
		n->raw = xstrndup(s, (size_t)it->len);
		if (gt_unquote(s, (size_t)it->len, &n->text, &n->len) != 0)
			return gt_errorf(p, "invalid syntax");
		return n;
	default:
		gt_backup(p, it);
		return NULL;
	}
}

/* A term and the .Fields that follow it. */
static struct gt_node *
gt_operand(struct gt_parser *p, int *failed)
{
	struct gt_node *n, *chain;
	struct gt_item *it;
	struct gt_buf b = { NULL, 0, 0 };
	char *q;
	size_t i;

	n = gt_term(p);
	if (n == NULL) {
		*failed = p->err != NULL;
		return NULL;
	}
	if (gt_peek(p)->type != GT_I_FIELD)
		return n;
	chain = gt_node_new(p, GT_N_CHAIN, gt_peek(p)->pos);
	chain->sub = n;
	while ((it = gt_peek(p))->type == GT_I_FIELD) {
		gt_next(p);
		gt_node_ident(
		    chain, gt_item_text(p, it) + 1, (size_t)it->len - 1);
	}
	switch (n->type) {
	case GT_N_FIELD:
	case GT_N_VAR:
		/* .A.B and $x.A stay one node, at the second field. */
		for (i = 0; i < chain->nidents; i++)
			gt_node_ident(
			    n, chain->idents[i], strlen(chain->idents[i]));
		gt_node_string(&b, chain);
		free(n->raw);
		n->raw = gt_buf_take(&b);
		n->pos = chain->pos;
		return n;
	case GT_N_BOOL:
	case GT_N_STRING:
	case GT_N_NUMBER:
	case GT_N_NIL:
	case GT_N_DOT:
		gt_node_string(&b, n);
		q = log_quote(b.p);
		gt_errorf(p, "unexpected . after term %s", q);
		free(q);
		free(b.p);
		*failed = 1;
		return NULL;
	default:
		return chain;
	}
}

static struct gt_node *
gt_command(struct gt_parser *p)
{
	struct gt_node *cmd, *op;
	struct gt_item *it;
	int failed = 0;

	cmd = gt_node_new(p, GT_N_CMD, gt_peek_nonspace(p)->pos);
	for (;;) {
		gt_peek_nonspace(p);
		op = gt_operand(p, &failed);
		if (failed)
			return NULL;
		if (op != NULL)
			gt_node_add(&cmd->kids, &cmd->nkids, op);
		it = gt_next(p);
		if (it->type == GT_I_SPACE)
			continue;
		if (it->type == GT_I_RDELIM || it->type == GT_I_RPAREN)
			gt_backup(p, it);
		else if (it->type != GT_I_PIPE)
			return gt_unexpected(p, it, "operand");
		break;
	}
	if (cmd->nkids == 0)
		return gt_errorf(p, "empty command");
	return cmd;
}

static struct gt_node *
gt_check_pipeline(
    struct gt_parser *p, struct gt_node *pipe, const char *context)
{
	size_t i;

	if (pipe->nkids == 0)
		return gt_errorf(p, "missing value for %s", context);
	for (i = 1; i < pipe->nkids; i++) {
		switch (pipe->kids[i]->kids[0]->type) {
		case GT_N_BOOL:
		case GT_N_DOT:
		case GT_N_NIL:
		case GT_N_NUMBER:
		case GT_N_STRING:
			return gt_errorf(p,
			    "non executable command in pipeline stage %zu",
			    i + 1);
		default:
			break;
		}
	}
	return pipe;
}

/* Declarations ($x :=, $i, $v :=, $x =) at the start of a pipeline. */
static int
gt_decls(struct gt_parser *p, struct gt_node *pipe, const char *context)
{
	struct gt_item *v, *next;

	for (;;) {
		v = gt_peek_nonspace(p);
		if (v->type != GT_I_VAR)
			return 0;
		gt_next_nonspace(p);
		next = gt_peek_nonspace(p);
		if (next->type == GT_I_ASSIGN || next->type == GT_I_DECLARE) {
			pipe->is_assign = next->type == GT_I_ASSIGN;
			gt_next_nonspace(p);
			gt_node_add(
			    &pipe->decls, &pipe->ndecls, gt_new_var(p, v));
			gt_push_var(p, pipe->decls[pipe->ndecls - 1]->raw);
			return 0;
		}
		if (next->type == GT_I_CHAR && *gt_item_text(p, next) == ',') {
			gt_next_nonspace(p);
			gt_node_add(
			    &pipe->decls, &pipe->ndecls, gt_new_var(p, v));
			gt_push_var(p, pipe->decls[pipe->ndecls - 1]->raw);
			if (strcmp(context, "range") == 0 && pipe->ndecls < 2) {
				switch (gt_peek_nonspace(p)->type) {
				case GT_I_VAR:
				case GT_I_RDELIM:
				case GT_I_RPAREN:
					continue;
				default:
					gt_errorf(p,
					    "range can only initialize "
					    "variables");
					return -1;
				}
			}
			gt_errorf(p, "too many declarations in %s", context);
			return -1;
		}
		/* $x is an operand after all. */
		gt_backup(p, v);
		return 0;
	}
}

static struct gt_node *
gt_pipeline(struct gt_parser *p, const char *context, enum gt_itype end)
{
	struct gt_node *pipe, *cmd;
	struct gt_item *it;

	pipe = gt_node_new(p, GT_N_PIPE, gt_peek_nonspace(p)->pos);
	if (gt_decls(p, pipe, context) != 0)
		return NULL;
	for (;;) {
		it = gt_next_nonspace(p);
		if (it->type == end)
			return gt_check_pipeline(p, pipe, context);
		switch (it->type) {
		case GT_I_BOOL:
		case GT_I_CHARCONST:
		case GT_I_DOT:
		case GT_I_FIELD:
		case GT_I_IDENT:
		case GT_I_NUMBER:
		case GT_I_NIL:
		case GT_I_RAWSTRING:
		case GT_I_STRING:
		case GT_I_VAR:
		case GT_I_LPAREN:
			gt_backup(p, it);
			if ((cmd = gt_command(p)) == NULL)
				return NULL;
			gt_node_add(&pipe->kids, &pipe->nkids, cmd);
			break;
		default:
			return gt_unexpected(p, it, context);
		}
	}
}

/* Nodes up to {{end}} or {{else}}, returned in *next. */
static struct gt_node *
gt_item_list(struct gt_parser *p, struct gt_node **next)
{
	struct gt_node *list, *n;

	list = gt_node_new(p, GT_N_LIST, gt_peek_nonspace(p)->pos);
	while (gt_peek_nonspace(p)->type != GT_I_EOF) {
		if ((n = gt_text_or_action(p)) == NULL)
			return NULL;
		if (n->type == GT_N_END || n->type == GT_N_ELSE) {
			*next = n;
			return list;
		}
		gt_node_add(&list->kids, &list->nkids, n);
	}
	return gt_errorf(p, "unexpected EOF");
}

/* if, range and with: {{KW pipeline}} list [{{else}} list] {{end}}. */
static struct gt_node *
gt_control(struct gt_parser *p, enum gt_ntype type, const char *context)
{
	struct gt_node *n, *pipe, *next = NULL, *sub;
	struct gt_buf b = { NULL, 0, 0 };
	size_t nvars = p->nvars;
	enum gt_itype chain;

	if (++p->depth > GT_MAX_PARSE_DEPTH) {
		gt_errorf(p, "max expression depth exceeded");
		goto fail;
	}
	if ((pipe = gt_pipeline(p, context, GT_I_RDELIM)) == NULL)
		goto fail;
	n = gt_node_new(p, type, pipe->pos);
	n->sub = pipe;
	if (type == GT_N_RANGE)
		p->range_depth++;
	n->list = gt_item_list(p, &next);
	if (type == GT_N_RANGE)
		p->range_depth--;
	if (n->list == NULL || next == NULL)
		goto fail;
	if (next->type == GT_N_ELSE) {
		chain = type == GT_N_IF ? GT_I_IF
		    : type == GT_N_WITH ? GT_I_WITH
					: GT_I_EOF;
		if (chain != GT_I_EOF && gt_peek(p)->type == chain) {
			/* {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} */
			gt_next(p);
			n->else_list = gt_node_new(p, GT_N_LIST, next->pos);
			if ((sub = gt_control(p, type, context)) == NULL)
				goto fail;
			gt_node_add(
			    &n->else_list->kids, &n->else_list->nkids, sub);
		} else {
			n->else_list = gt_item_list(p, &next);
			if (n->else_list == NULL)
				goto fail;
			if (next->type != GT_N_END) {
				gt_node_string(&b, next);
				gt_errorf(p, "expected end; found %s", b.p);
				free(b.p);
				goto fail;
			}
		}
	}
	gt_pop_vars(p, nvars);
	p->depth--;
	return n;

fail:
	gt_pop_vars(p, nvars);
	p->depth--;
	return NULL;
}

static struct gt_node *
gt_action(struct gt_parser *p)
{
	struct gt_item *it;
	struct gt_node *n, *pipe;

	it = gt_next_nonspace(p);
	switch (it->type) {
	case GT_I_BLOCK:
	case GT_I_DEFINE:
	case GT_I_TEMPLATE:
		return gt_errorf(p, "{{%.*s}} is not supported", it->len,
		    gt_item_text(p, it));
	case GT_I_BREAK:
	case GT_I_CONTINUE:
		if (gt_expect(p, GT_I_RDELIM,
			it->type == GT_I_BREAK ? "{{break}}"
					       : "{{continue}}") == NULL)
			return NULL;
		if (p->range_depth == 0) {
			return gt_errorf(p, "{{%.*s}} outside {{range}}",
			    it->len, gt_item_text(p, it));
		}
		return gt_node_new(p,
		    it->type == GT_I_BREAK ? GT_N_BREAK : GT_N_CONTINUE,
		    it->pos);
	case GT_I_ELSE:
		it = gt_peek_nonspace(p);
		if (it->type != GT_I_IF && it->type != GT_I_WITH &&
		    (it = gt_expect(p, GT_I_RDELIM, "else")) == NULL)
			return NULL;
		return gt_node_new(p, GT_N_ELSE, it->pos);
	case GT_I_END:
		if ((it = gt_expect(p, GT_I_RDELIM, "end")) == NULL)
			return NULL;
		return gt_node_new(p, GT_N_END, it->pos);
	case GT_I_IF:
		return gt_control(p, GT_N_IF, "if");
	case GT_I_RANGE:
		return gt_control(p, GT_N_RANGE, "range");
	case GT_I_WITH:
		return gt_control(p, GT_N_WITH, "with");
	default:
		break;
	}
	gt_backup(p, it);
	it = gt_peek(p);
	if ((pipe = gt_pipeline(p, "command", GT_I_RDELIM)) == NULL)
		return NULL;
	n = gt_node_new(p, GT_N_ACTION, it->pos);
	n->sub = pipe;
	return n;
}

static struct gt_node *
gt_text_or_action(struct gt_parser *p)
{
	struct gt_item *it;
	struct gt_node *n;

	it = gt_next_nonspace(p);
	switch (it->type) {
	case GT_I_TEXT:
		n = gt_node_new(p, GT_N_TEXT, it->pos);
		n->text = xstrndup(gt_item_text(p, it), (size_t)it->len);
		n->len = (size_t)it->len;
		return n;
	case GT_I_LDELIM:
		p->action_line = it->line;
		n = gt_action(p);
		p->action_line = 0;
		return n;
	default:
		return gt_unexpected(p, it, "input");
	}
}

void
gt_node_string(struct gt_buf *b, const struct gt_node *n)
{
	static const char *kw[] = {
		[GT_N_IF] = "if", [GT_N_RANGE] = "range", [GT_N_WITH] = "with"
	};
	size_t i;

	switch (n->type) {
	case GT_N_LIST:
		for (i = 0; i < n->nkids; i++)
			gt_node_string(b, n->kids[i]);
		break;
	case GT_N_TEXT:
		gt_buf_add(b, n->text, n->len);
		break;
	case GT_N_ACTION:
		gt_buf_adds(b, "{{");
		gt_node_string(b, n->sub);
		gt_buf_adds(b, "}}");
		break;
	case GT_N_IF:
	case GT_N_RANGE:
	case GT_N_WITH:
		gt_buf_addf(b, "{{%s ", kw[n->type]);
		gt_node_string(b, n->sub);
		gt_buf_adds(b, "}}");
		gt_node_string(b, n->list);
		if (n->else_list != NULL) {
			gt_buf_adds(b, "{{else}}");
			gt_node_string(b, n->else_list);
		}
		gt_buf_adds(b, "{{end}}");
		break;
	case GT_N_BREAK:
		gt_buf_adds(b, "{{break}}");
		break;
	case GT_N_CONTINUE:
		gt_buf_adds(b, "{{continue}}");
		break;
	case GT_N_ELSE:
		gt_buf_adds(b, "{{else}}");
		break;
	case GT_N_END:
		gt_buf_adds(b, "{{end}}");
		break;
	case GT_N_PIPE:
		for (i = 0; i < n->ndecls; i++) {
			if (i > 0)
				gt_buf_adds(b, ", ");
			gt_buf_adds(b, n->decls[i]->raw);
		}
		if (n->ndecls > 0)
			gt_buf_adds(b, n->is_assign ? " = " : " := ");
		for (i = 0; i < n->nkids; i++) {
			if (i > 0)
				gt_buf_adds(b, " | ");
			gt_node_string(b, n->kids[i]);
		}
		break;
	case GT_N_CMD:
		for (i = 0; i < n->nkids; i++) {
			if (i > 0)
				gt_buf_adds(b, " ");
			if (n->kids[i]->type == GT_N_PIPE) {
				gt_buf_adds(b, "(");
				gt_node_string(b, n->kids[i]);
				gt_buf_adds(b, ")");
			} else
				gt_node_string(b, n->kids[i]);
		}
		break;
	case GT_N_CHAIN:
		if (n->sub->type == GT_N_PIPE) {
			gt_buf_adds(b, "(");
			gt_node_string(b, n->sub);
			gt_buf_adds(b, ")");
		} else
			gt_node_string(b, n->sub);
		for (i = 0; i < n->nidents; i++)
			gt_buf_addf(b, ".%s", n->idents[i]);
		break;
	case GT_N_DOT:
		gt_buf_adds(b, ".");
		break;
	case GT_N_NIL:
		gt_buf_adds(b, "nil");
		break;
	case GT_N_BOOL:
		gt_buf_adds(b, n->b ? "true" : "false");
		break;
	case GT_N_FIELD:
	case GT_N_VAR:
	case GT_N_NUMBER:
	case GT_N_STRING:
	case GT_N_IDENT:
		gt_buf_adds(b, n->raw);
		break;
	}
}

struct gotmpl *
gotmpl_parse(const char *name, const char *text, char **cause)
{
	struct gotmpl *t;
	struct gt_parser p;
	struct gt_node *n;
	struct gt_buf b = { NULL, 0, 0 };
	size_t i;

	if (strlen(text) > GT_MAX_TEXT) {
		xasprintf(cause, "template: %s: template too long", name);
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->text = xstrdup(text);
	memset(&p, 0, sizeof p);
	p.t = t;
	gt_lex(t->text, &p.items, &p.nitems);
	gt_push_var(&p, "$");
	t->root = gt_node_new(&p, GT_N_LIST, 0);
	while (gt_peek(&p)->type != GT_I_EOF) {
		if ((n = gt_text_or_action(&p)) == NULL)
			break;
		if (n->type == GT_N_END || n->type == GT_N_ELSE) {
			gt_node_string(&b, n);
			gt_errorf(&p, "unexpected %s", b.p);
			free(b.p);
			break;
		}
		gt_node_add(&t->root->kids, &t->root->nkids, n);
	}
	gt_pop_vars(&p, 0);
	free(p.vars);
	for (i = 0; i < p.nitems; i++)
		free(p.items[i].msg);
	free(p.items);
	if (p.err != NULL) {
		*cause = p.err;
		gotmpl_free(t);
		return NULL;
	}
	return t;
}

void
gotmpl_free(struct gotmpl *t)
{
	struct gt_node *n;
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nall; i++) {
		n = t->all[i];
		free(n->text);
		free(n->raw);
		for (j = 0; j < n->nidents; j++)
			free(n->idents[j]);
		free(n->idents);
		free(n->kids);
		free(n->decls);
		free(n);
	}
	free(t->all);
	free(t->name);
	free(t->text);
	free(t);
}
