/* clima: Go text/template subset: fmt's printing of values. */
/*
 * How Go's fmt prints what a template produces: %v of every value (maps
 * with sorted keys, floats in their shortest form) and the print,
 * println and printf functions, including the %!verb(type=value)
 * complaints printf makes about bad verbs and arguments.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gotmpl-int.h"
#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"

/* printf's flags, width and precision for one verb. */
struct gt_spec {
	int minus, plus, sharp, space, zero;
	int width; /* -1: none */
	int prec;  /* -1: none */
	int verb;
};

void
gt_fmt_float(struct gt_buf *b, double f)
{
	char buf[64], digits[32], *e;
	int prec, exp, nd, i;

	if (isnan(f)) {
		gt_buf_adds(b, "NaN");
		return;
	}
	if (isinf(f)) {
		gt_buf_adds(b, f < 0 ? "-Inf" : "+Inf");
		return;
	}
	if (f == 0) {
		gt_buf_adds(b, signbit(f) ? "-0" : "0");
		return;
	}
	/* The shortest digits that read back as f, as strconv does. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	e = strchr(buf, 'e');
	exp = (int)strtol(e + 1, NULL, 10);
	for (i = 0, nd = 0; buf + i < e; i++) {
		if (buf[i] >= '0' && buf[i] <= '9')
			digits[nd++] = buf[i];
	}
	digits[nd] = '\0';
	/* %v is %g, shortest digits: %e below 1e-4 and from 1e6 (eprec 6). */
	if (exp < -4 || exp >= 6) {
		gt_buf_addf(b, "%s%c", f < 0 ? "-" : "", digits[0]);
		if (nd > 1)
			gt_buf_addf(b, ".%s", digits + 1);
		gt_buf_addf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	gt_buf_addf(b, "%.*f", nd - 1 - exp > 0 ? nd - 1 - exp : 0, f);
}

static int
gt_key_cmp(const void *a, const void *b)
{
	const struct node_pair *const *pa = a, *const *pb = b;

	return strcmp((*pa)->key, (*pb)->key);
}

const struct node_pair **
gt_sorted_pairs(const struct node *map)
{
	const struct node_pair **pairs;
	size_t i;

	pairs = xreallocarray(NULL, map->npairs + 1, sizeof *pairs);
	for (i = 0; i < map->npairs; i++)
		pairs[i] = &map->pairs[i];
	qsort(pairs, map->npairs, sizeof *pairs, gt_key_cmp);
	return pairs;
}

/* fmt's %v; nils inside composites print as <nil>, map keys sorted. */
void
gt_fmt_value(struct gt_buf *b, const struct gt_value *v)
{
	const struct node_pair **pairs;
	struct gt_value item;
	size_t i;

	switch (v->kind) {
	case GT_V_MISSING:
	case GT_V_NIL:
		gt_buf_adds(b, "<nil>");
		break;
	case GT_V_BOOL:
		gt_buf_adds(b, v->b ? "true" : "false");
		break;
	case GT_V_INT:
		gt_buf_addf(b, "%lld", v->i);
		break;
	case GT_V_FLOAT:
		gt_fmt_float(b, v->f);
		break;
	case GT_V_STRING:
		gt_buf_adds(b, v->s);
		break;
	case GT_V_MAP:
		pairs = gt_sorted_pairs(v->n);
		gt_buf_adds(b, "map[");
		for (i = 0; i < v->n->npairs; i++) {
			if (i > 0)
				gt_buf_adds(b, " ");
			gt_buf_addf(b, "%s:", pairs[i]->key);
			item = gt_from_node(pairs[i]->val);
			gt_fmt_value(b, &item);
		}
		gt_buf_adds(b, "]");
		free(pairs);
		break;
	case GT_V_SEQ:
		gt_buf_adds(b, "[");
		for (i = 0; i < v->n->nitems; i++) {
			if (i > 0)
				gt_buf_adds(b, " ");
			item = gt_from_node(v->n->items[i]);
			gt_fmt_value(b, &item);
		}
		gt_buf_adds(b, "]");
		break;
	}
}

static int
gt_is_string(const struct gt_value *v)
{
	return v->kind == GT_V_STRING;
}

/* fmt.Sprint: a space between operands when neither is a string. */
int
gt_fn_print(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	struct gt_buf b = { NULL, 0, 0 };
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0 && !gt_is_string(&a[i - 1]) && !gt_is_string(&a[i]))
			gt_buf_adds(&b, " ");
		gt_fmt_value(&b, &a[i]);
	}
	gt_ret_string(st, out, gt_buf_take(&b));
	return 0;
}

/* fmt.Sprintln: always a space between operands, and a newline. */
int
gt_fn_println(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	struct gt_buf b = { NULL, 0, 0 };
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			gt_buf_adds(&b, " ");
		gt_fmt_value(&b, &a[i]);
	}
	gt_buf_adds(&b, "\n");
	gt_ret_string(st, out, gt_buf_take(&b));
	return 0;
}

/* Pads s (already formatted) to the width, counting characters. */
static void
gt_pad(struct gt_buf *b, const struct gt_spec *sp, const char *s, int zero_ok)
{
	size_t runes = 0, i;
	int pad;

	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			runes++;
	}
	pad = sp->width > (int)runes ? sp->width - (int)runes : 0;
	if (sp->minus) {
		gt_buf_adds(b, s);
		gt_buf_addf(b, "%*s", pad, "");
		return;
	}
	if (sp->zero && zero_ok && (*s == '-' || *s == '+' || *s == ' ')) {
		gt_buf_add(b, s, 1);
		s++;
	}
	for (; pad > 0; pad--)
		gt_buf_adds(b, sp->zero && zero_ok ? "0" : " ");
	gt_buf_adds(b, s);
}

/* %!v(type=value), or %!v(<nil>). */
static void
gt_bad_verb(
    struct gt_state *st, struct gt_buf *b, const struct gt_value *v, int verb)
{
	gt_buf_addf(b, "%%!%c(", verb);
	if (v->kind == GT_V_MISSING || v->kind == GT_V_NIL)
		gt_buf_adds(b, "<nil>");
	else {
		gt_buf_addf(b, "%s=", gt_type_name(st, v));
		gt_fmt_value(b, v);
	}
	gt_buf_adds(b, ")");
}

static void
gt_fmt_int(struct gt_buf *b, const struct gt_spec *sp, long long v)
{
	struct gt_buf t = { NULL, 0, 0 };
	unsigned long long u;
	char digits[80], *s;
	const char *prefix = "", *set = "0123456789abcdef";
	int base = 10, nd = 0;

	switch (sp->verb) {
	case 'b':
		base = 2;
		prefix = sp->sharp ? "0b" : "";
		break;
	case 'o':
	case 'O':
		base = 8;
		prefix = sp->verb == 'O' ? "0o" : sp->sharp ? "0" : "";
		break;
	case 'x':
	case 'X':
		base = 16;
		prefix = sp->sharp ? (sp->verb == 'x' ? "0x" : "0X") : "";
		if (sp->verb == 'X')
			set = "0123456789ABCDEF";
		break;
	default:
		break;
	}
	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		digits[nd++] = set[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u != 0);
	while (nd < sp->prec && nd < (int)sizeof digits - 1)
		digits[nd++] = '0';
	if (sp->prec == 0 && v == 0)
		nd = 0;
	if (v < 0)
		gt_buf_adds(&t, "-");
	else if (sp->plus)
		gt_buf_adds(&t, "+");
	else if (sp->space)
		gt_buf_adds(&t, " ");
	gt_buf_adds(&t, prefix);
	while (nd > 0)
		gt_buf_add(&t, &digits[--nd], 1);
	s = gt_buf_take(&t);
	gt_pad(b, sp, s, sp->prec < 0 && *prefix == '\0');
	free(s);
}

static void
gt_fmt_float_verb(struct gt_buf *b, const struct gt_spec *sp, double f)
{
	struct gt_buf t = { NULL, 0, 0 };
	char *s;
	int verb = sp->verb == 'v' ? 'g' : sp->verb, prec;

	if (!isfinite(f) || ((verb == 'g' || verb == 'G') && sp->prec < 0)) {
		if (f >= 0 && sp->plus && !isnan(f))
			gt_buf_adds(&t, "+");
		else if (f >= 0 && sp->space && !isinf(f))
			gt_buf_adds(&t, " ");
		gt_fmt_float(&t, f);
		s = gt_buf_take(&t);
		if (isinf(f) && f > 0 && !sp->plus)
			memmove(s, s + 1, strlen(s)); /* "Inf" not "+Inf" */
		gt_pad(b, sp, s, isfinite(f));
		free(s);
		return;
	}
	prec = sp->prec < 0 ? 6 : sp->prec;
	if (signbit(f))
		gt_buf_adds(&t, "-");
	else if (sp->plus)
		gt_buf_adds(&t, "+");
	else if (sp->space)
		gt_buf_adds(&t, " ");
	switch (verb) {
	case 'e':
		gt_buf_addf(&t, "%.*e", prec, fabs(f));
		break;
	case 'E':
		gt_buf_addf(&t, "%.*E", prec, fabs(f));
		break;
	case 'g':
		gt_buf_addf(&t, "%.*g", prec, fabs(f));
		break;
	case 'G':
		gt_buf_addf(&t, "%.*G", prec, fabs(f));
		break;
	default:
		gt_buf_addf(&t, "%.*f", prec, fabs(f));
		break;
	}
	s = gt_buf_take(&t);
	gt_pad(b, sp, s, 1);
	free(s);
}

static void gt_fmt_arg(struct gt_state *, struct gt_buf *,
    const struct gt_spec *, const struct gt_value *);

/* Slices and maps take the verb element by element, as fmt does. */
static void
gt_fmt_composite(struct gt_state *st, struct gt_buf *b,
    const struct gt_spec *sp, const struct gt_value *v)
{
	const struct node_pair **pairs;
	struct gt_value item;
	size_t i;

	if (v->kind == GT_V_SEQ) {
		gt_buf_adds(b, "[");
		for (i = 0; i < v->n->nitems; i++) {
			if (i > 0)
				gt_buf_adds(b, " ");
			item = gt_from_node(v->n->items[i]);
			gt_fmt_arg(st, b, sp, &item);
		}
		gt_buf_adds(b, "]");
		return;
	}
	pairs = gt_sorted_pairs(v->n);
	gt_buf_adds(b, "map[");
	for (i = 0; i < v->n->npairs; i++) {
		if (i > 0)
			gt_buf_adds(b, " ");
		memset(&item, 0, sizeof item);
		item.kind = GT_V_STRING;
		item.s = pairs[i]->key;
		gt_fmt_arg(st, b, sp, &item);
		gt_buf_adds(b, ":");
		item = gt_from_node(pairs[i]->val);
		gt_fmt_arg(st, b, sp, &item);
	}
	gt_buf_adds(b, "]");
	free(pairs);
}

static void
gt_fmt_string(struct gt_buf *b, const struct gt_spec *sp, const char *s)
{
	struct gt_buf t = { NULL, 0, 0 };
	size_t i, n = strlen(s);
	char *q;
	int runes;

	switch (sp->verb) {
	case 'q':
		q = log_quote(s);
		gt_pad(b, sp, q, 0);
		free(q);
		return;
	case 'x':
	case 'X':
		for (i = 0; i < n; i++) {
			if (i > 0 && sp->space)
				gt_buf_adds(&t, " ");
			if (sp->sharp && (i == 0 || sp->space))
				gt_buf_adds(&t, sp->verb == 'x' ? "0x" : "0X");
			gt_buf_addf(&t, sp->verb == 'x' ? "%02x" : "%02X",
			    (unsigned char)s[i]);
		}
		break;
	default:
		/* The precision counts characters. */
		for (i = 0, runes = 0; i < n; i++) {
			if (((unsigned char)s[i] & 0xc0) != 0x80 &&
			    sp->prec >= 0 && runes++ == sp->prec)
				break;
		}
		gt_buf_add(&t, s, i);
		break;
	}
	q = gt_buf_take(&t);
	gt_pad(b, sp, q, 1);
	free(q);
}

static void
gt_fmt_rune(struct gt_buf *b, const struct gt_spec *sp, long long r)
{
	struct gt_buf t = { NULL, 0, 0 };
	char u[8], *s;
	unsigned long c = r < 0 || r > 0x10ffff ? 0xfffd : (unsigned long)r;
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	u[n] = '\0';
	if (sp->verb == 'U') {
		gt_buf_addf(&t, "U+%04lX", c);
		if (sp->sharp)
			gt_buf_addf(&t, " '%s'", u);
	} else if (sp->verb == 'q')
		gt_buf_addf(&t, c == '\'' ? "'\\''" : "'%s'", u);
	else
		gt_buf_adds(&t, u);
	s = gt_buf_take(&t);
	gt_pad(b, sp, s, 0);
	free(s);
}

static void
gt_fmt_arg(struct gt_state *st, struct gt_buf *b, const struct gt_spec *sp,
    const struct gt_value *v)
{
	switch (v->kind) {
	case GT_V_MISSING:
	case GT_V_NIL:
		if (sp->verb == 'v') {
			gt_pad(b, sp, "<nil>", 0);
			return;
		}
		break;
	case GT_V_BOOL:
		if (sp->verb == 'v' || sp->verb == 't') {
			gt_pad(b, sp, v->b ? "true" : "false", 0);
			return;
		}
		break;
	case GT_V_INT:
		if (strchr("vdboOxX", sp->verb) != NULL) {
			gt_fmt_int(b, sp, v->i);
			return;
		}
		if (strchr("cqU", sp->verb) != NULL) {
			gt_fmt_rune(b, sp, v->i);
			return;
		}
		break;
	case GT_V_FLOAT:
		if (strchr("veEfFgG", sp->verb) != NULL) {
			gt_fmt_float_verb(b, sp, v->f);
			return;
		}
		break;
	case GT_V_STRING:
		if (strchr("vsqxX", sp->verb) != NULL) {
			gt_fmt_string(b, sp, v->s);
			return;
		}
		break;
	case GT_V_MAP:
	case GT_V_SEQ:
		gt_fmt_composite(st, b, sp, v);
		return;
	}
	gt_bad_verb(st, b, v, sp->verb);
}

/* Reads digits (or '*', taking an int argument) for width/precision. */
static int
gt_fmt_num(const char **p, struct gt_value *a, int n, int *argi)
{
	int v = 0;

	if (**p == '*') {
		(*p)++;
		if (*argi < n && a[*argi].kind == GT_V_INT) {
			v = (int)a[*argi].i;
			(*argi)++;
			return v;
		}
		(*argi)++;
		return -2; /* BADWIDTH / BADPREC */
	}
	while (**p >= '0' && **p <= '9' && v < 1000000)
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/* fmt.Sprintf. */
int
gt_fn_printf(struct gt_state *st, struct gt_value *a, int n,
    struct gt_value *out, char **err)
{
	struct gt_buf b = { NULL, 0, 0 };
	struct gt_spec sp;
	const char *p, *start;
	int argi = 1, i;

	if (a[0].kind != GT_V_STRING) {
		xasprintf(err, "wrong type for value; expected string; got %s",
		    gt_type_name(st, &a[0]));
		return -1;
	}
	for (p = a[0].s; *p != '\0';) {
		if (*p != '%') {
			start = p;
			while (*p != '\0' && *p != '%')
				p++;
			gt_buf_add(&b, start, (size_t)(p - start));
			continue;
		}
		p++;
		memset(&sp, 0, sizeof sp);
		sp.width = sp.prec = -1;
		for (;; p++) {
			if (*p == '-')
				sp.minus = 1;
			else if (*p == '+')
				sp.plus = 1;
			else if (*p == '#')
				sp.sharp = 1;
			else if (*p == ' ')
				sp.space = 1;
			else if (*p == '0')
				sp.zero = 1;
			else
				break;
		}
		if (*p == '*' || (*p >= '1' && *p <= '9')) {
			sp.width = gt_fmt_num(&p, a, n, &argi);
			if (sp.width == -2)
				gt_buf_adds(&b, "%!(BADWIDTH)");
			if (sp.width < 0) {
				sp.minus = sp.width != -2;
				sp.width = sp.width == -2 ? -1 : -sp.width;
			}
		}
		if (*p == '.') {
			p++;
			sp.prec = gt_fmt_num(&p, a, n, &argi);
			if (sp.prec == -2)
				gt_buf_adds(&b, "%!(BADPREC)");
			if (sp.prec < 0)
				sp.prec = -1;
		}
		if (*p == '\0') {
			gt_buf_adds(&b, "%!(NOVERB)");
			break;
		}
		sp.verb = (unsigned char)*p++;
		if (sp.verb == '%') {
			gt_buf_adds(&b, "%");
			continue;
		}
		if (argi >= n) {
			gt_buf_addf(&b, "%%!%c(MISSING)", sp.verb);
			continue;
		}
		gt_fmt_arg(st, &b, &sp, &a[argi++]);
	}
	if (argi < n) {
		gt_buf_adds(&b, "%!(EXTRA ");
		for (i = argi; i < n; i++) {
			if (i > argi)
				gt_buf_adds(&b, ", ");
			if (a[i].kind == GT_V_MISSING || a[i].kind == GT_V_NIL)
				gt_buf_adds(&b, "<nil>");
			else {
				gt_buf_addf(&b, "%s=", gt_type_name(st, &a[i]));
				gt_fmt_value(&b, &a[i]);
			}
		}
		gt_buf_adds(&b, ")");
	}
	gt_ret_string(st, out, gt_buf_take(&b));
	return 0;
}
