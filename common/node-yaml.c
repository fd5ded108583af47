/* clima: YAML to struct node and back, with libyaml. */
/*
 * Loading walks libyaml's event stream, keeping the 1-based position of
 * every node and key; aliases and duplicate keys are rejected.  Dumping
 * drives libyaml's emitter in block style and quotes any string that
 * would otherwise read back as another type.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/log.h"
#include "common/node-int.h"
#include "common/node.h"
#include "common/xmalloc.h"

#define NY_TAG_STR "tag:yaml.org,2002:str"

struct ny_parse {
	yaml_parser_t parser;
	yaml_event_t event; /* the current event, valid if have_event */
	int have_event;
	const char *file; /* borrowed; NULL for anonymous input */
	const char *buf;  /* input, to turn byte offsets into lines */
	size_t len;
	char *cause; /* first error, the caller's once returned */
};

struct ny_out {
	char *p;
	size_t len;
	size_t size;
};

static void ny_error(struct ny_parse *, int, int, const char *, ...)
    __attribute__((__format__(__printf__, 4, 5)));

static void
ny_error(struct ny_parse *np, int line, int col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (np->cause != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (np->file != NULL)
		xasprintf(&np->cause, "%s:%d:%d: %s", np->file, line, col, msg);
	else
		xasprintf(&np->cause, "%d:%d: %s", line, col, msg);
	free(msg);
}

static void
ny_error_at(struct ny_parse *np, const yaml_mark_t *mark, const char *msg)
{
	ny_error(np, (int)mark->line + 1, (int)mark->column + 1, "%s", msg);
}

/* Converts libyaml's error into np->cause. */
static void
ny_parser_error(struct ny_parse *np)
{
	yaml_parser_t *p = &np->parser;
	const char *problem, *context;
	size_t i, off;
	int line = 1, col = 1;

	problem = p->problem != NULL ? p->problem : "unknown YAML error";
	context = p->context;
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		off = p->problem_offset;
		for (i = 0; i < off && i < np->len; i++) {
			if (np->buf[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
	} else {
		line = (int)p->problem_mark.line + 1;
		col = (int)p->problem_mark.column + 1;
	}
	if (context != NULL)
		ny_error(np, line, col, "%s %s", problem, context);
	else
		ny_error(np, line, col, "%s", problem);
}

/* Moves to the next event; -1 with np->cause set on a syntax error. */
static int
ny_next(struct ny_parse *np)
{
	if (np->have_event) {
		yaml_event_delete(&np->event);
		np->have_event = 0;
	}
	if (!yaml_parser_parse(&np->parser, &np->event)) {
		ny_parser_error(np);
		return -1;
	}
	np->have_event = 1;
	return 0;
}

static struct node *
ny_new(struct ny_parse *np, enum node_kind kind)
{
	struct node *n;

	switch (kind) {
	case NODE_SEQ:
		n = node_new_seq();
		break;
	case NODE_MAP:
		n = node_new_map();
		break;
	default:
		n = node_new_scalar(
		    (const char *)np->event.data.scalar.value, 0);
		break;
	}
	n->line = (int)np->event.start_mark.line + 1;
	n->col = (int)np->event.start_mark.column + 1;
	if (np->file != NULL)
		n->file = xstrdup(np->file);
	return n;
}

static struct node *ny_node(struct ny_parse *, int);

static struct node *
ny_scalar(struct ny_parse *np)
{
	yaml_event_t *ev = &np->event;
	struct node *n;
	const char *tag;

	n = ny_new(np, NODE_SCALAR);
	tag = (const char *)ev->data.scalar.tag;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		n->flags |= NODE_QUOTED;
	else if (tag != NULL && strcmp(tag, NY_TAG_STR) == 0)
		n->flags |= NODE_QUOTED;
	return n;
}

static struct node *
ny_seq(struct ny_parse *np, int depth)
{
	struct node *n, *item;

	n = ny_new(np, NODE_SEQ);
	for (;;) {
		if (ny_next(np) != 0)
			goto fail;
		if (np->event.type == YAML_SEQUENCE_END_EVENT)
			break;
		if ((item = ny_node(np, depth + 1)) == NULL)
			goto fail;
		node_seq_append(n, item);
	}
	return n;

fail:
	node_free(n);
	return NULL;
}

static struct node *
ny_map(struct ny_parse *np, int depth)
{
	struct node *n, *val;
	struct node_pair *p;
	char *key = NULL;
	int line, col;

	n = ny_new(np, NODE_MAP);
	for (;;) {
		if (ny_next(np) != 0)
			goto fail;
		if (np->event.type == YAML_MAPPING_END_EVENT)
			break;
		line = (int)np->event.start_mark.line + 1;
		col = (int)np->event.start_mark.column + 1;
		if (np->event.type == YAML_ALIAS_EVENT) {
			ny_error(
			    np, line, col, "YAML aliases are not supported");
			goto fail;
		}
		if (np->event.type != YAML_SCALAR_EVENT) {
			ny_error(np, line, col, "map keys must be scalars");
			goto fail;
		}
		key = xstrdup((const char *)np->event.data.scalar.value);
		if (node_map_get(n, key) != NULL) {
			ny_error(np, line, col, "duplicate key `%s`", key);
			goto fail;
		}
		if (ny_next(np) != 0)
			goto fail;
		if ((val = ny_node(np, depth + 1)) == NULL)
			goto fail;
		node_map_set(n, key, val);
		p = &n->pairs[n->npairs - 1];
		p->line = line;
		p->col = col;
		free(key);
		key = NULL;
	}
	return n;

fail:
	free(key);
	node_free(n);
	return NULL;
}

/* Builds the node that starts at the current event. */
static struct node *
ny_node(struct ny_parse *np, int depth)
{
	if (depth > NODE_MAX_DEPTH) {
		ny_error_at(np, &np->event.start_mark, "nesting too deep");
		return NULL;
	}
	switch (np->event.type) {
	case YAML_SCALAR_EVENT:
		return ny_scalar(np);
	case YAML_SEQUENCE_START_EVENT:
		return ny_seq(np, depth);
	case YAML_MAPPING_START_EVENT:
		return ny_map(np, depth);
	case YAML_ALIAS_EVENT:
		ny_error_at(np, &np->event.start_mark,
		    "YAML aliases are not supported");
		return NULL;
	default:
		ny_error_at(np, &np->event.start_mark, "unexpected YAML event");
		return NULL;
	}
}

/* Parses up to max documents (0: no limit) into *docs. */
static int
ny_load(const char *buf, size_t len, const char *file, size_t max,
    struct node ***docs, size_t *ndocs, char **cause)
{
	struct ny_parse np;
	struct node **v = NULL, *n;
	size_t nv = 0, i;
	int rc = -1;

	memset(&np, 0, sizeof np);
	np.file = file;
	np.buf = buf;
	np.len = len;
	if (!yaml_parser_initialize(&np.parser))
		fatalx("%s: yaml_parser_initialize failed", __func__);
	yaml_parser_set_input_string(
	    &np.parser, (const unsigned char *)buf, len);

	if (ny_next(&np) != 0) /* STREAM-START */
		goto out;
	for (;;) {
		if (ny_next(&np) != 0)
			goto out;
		if (np.event.type == YAML_STREAM_END_EVENT)
			break;
		if (max != 0 && nv == max) {
			ny_error_at(&np, &np.event.start_mark,
			    "expected a single YAML document");
			goto out;
		}
		if (ny_next(&np) != 0) /* the root node */
			goto out;
		if ((n = ny_node(&np, 0)) == NULL)
			goto out;
		v = xreallocarray(v, nv + 1, sizeof *v);
		v[nv++] = n;
		if (ny_next(&np) != 0) /* DOCUMENT-END */
			goto out;
	}
	*docs = v;
	*ndocs = nv;
	v = NULL;
	nv = 0;
	rc = 0;

out:
	for (i = 0; i < nv; i++)
		node_free(v[i]);
	free(v);
	if (np.have_event)
		yaml_event_delete(&np.event);
	yaml_parser_delete(&np.parser);
	if (rc != 0)
		*cause = np.cause;
	else
		free(np.cause);
	return rc;
}

/* One YAML document; empty input gives a null scalar. */
struct node *
node_from_yaml(const char *buf, size_t len, const char *file, char **cause)
{
	struct node **docs, *n;
	size_t ndocs;

	if (ny_load(buf, len, file, 1, &docs, &ndocs, cause) != 0)
		return NULL;
	if (ndocs == 0) {
		n = node_new_null();
		if (file != NULL)
			n->file = xstrdup(file);
	} else
		n = docs[0];
	free(docs);
	return n;
}

/* Every document of a stream; *docs (maybe empty) is the caller's. */
int
node_from_yaml_all(const char *buf, size_t len, const char *file,
    struct node ***docs, size_t *ndocs, char **cause)
{
	return ny_load(buf, len, file, 0, docs, ndocs, cause);
}

static int
ny_write_cb(void *data, unsigned char *buf, size_t size)
{
	struct ny_out *o = data;

	if (o->len + size + 1 > o->size) {
		o->size = (o->len + size + 1) * 2;
		o->p = xrealloc(o->p, o->size);
	}
	memcpy(o->p + o->len, buf, size);
	o->len += size;
	o->p[o->len] = '\0';
	return 1;
}

static void
ny_emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	/* Events are built here from valid UTF-8; a failure is a bug. */
	if (!yaml_emitter_emit(e, ev))
		fatalx("%s: %s", __func__,
		    e->problem != NULL ? e->problem : "emitter error");
}

/*
 * 1 if s, written plain, would be read as something other than a string,
 * by us (core schema) or by a YAML 1.1 reader (yes/no, 1_000, 0b1).
 */
/*
 * YAML 1.1 readers (cloud-init's PyYAML among them) also take base-60
 * numbers ("52:55:55:12:34:56", "1:30"), dates ("2025-01-02"), "=" and
 * "<<" as non-strings: quote those too.
 */
static int
ny_yaml11_special(const char *s)
{
	const char *p = s;
	int colons = 0;

	/* YAML 1.1's value and merge keys. */
	if (strcmp(s, "=") == 0 || strcmp(s, "<<") == 0)
		return 1;
	if (*p == '-' || *p == '+')
		p++;
	if (*p >= '0' && *p <= '9') {
		for (; *p != '\0'; p++) {
			if (*p == ':')
				colons++;
			else if (!(*p >= '0' && *p <= '9') && *p != '_' &&
			    *p != '.')
				break;
		}
		if (*p == '\0' && colons > 0)
			return 1;
	}
	/* [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}, optionally followed by a time. */
	p = s;
	if (strspn(p, "0123456789") == 4 && p[4] == '-') {
		p += 5;
		if (strspn(p, "0123456789") >= 1 &&
		    strspn(p, "0123456789") <= 2) {
			p += strspn(p, "0123456789");
			if (*p == '-' && strspn(p + 1, "0123456789") >= 1)
				return 1;
		}
	}
	return 0;
}

static int
ny_ambiguous(const char *s)
{
	static const char *words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N",
		"no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF" };
	char *t, *d;
	size_t i;
	int type;

	if (node_plain_type(s) != NODE_T_STR)
		return 1;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(s, words[i]) == 0)
			return 1;
	}
	if (strncmp(s, "0b", 2) == 0 && s[2] != '\0' &&
	    s[2 + strspn(s + 2, "01_")] == '\0')
		return 1;
	if (ny_yaml11_special(s))
		return 1;
	if (strchr(s, '_') == NULL)
		return 0;
	t = xstrdup(s);
	for (d = t; *s != '\0'; s++) {
		if (*s != '_')
			*d++ = *s;
	}
	*d = '\0';
	type = node_plain_type(t);
	free(t);
	return type == NODE_T_INT || type == NODE_T_FLOAT;
}

static void
ny_emit_scalar(yaml_emitter_t *e, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	char *fixed = NULL;

	if (!node_utf8_valid(s))
		s = fixed = node_utf8_fix(s);
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
		(yaml_char_t *)(uintptr_t)s, (int)strlen(s), 1, 1, style))
		fatalx("%s: yaml_scalar_event_initialize failed", __func__);
	ny_emit(e, &ev);
	free(fixed);
}

static void
ny_emit_string(yaml_emitter_t *e, const char *s, int is_key)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (ny_ambiguous(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (strchr(s, '\n') != NULL) {
		if (is_key)
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		else
			style = YAML_LITERAL_SCALAR_STYLE;
	}
	ny_emit_scalar(e, s, style);
}

static void
ny_emit_node(yaml_emitter_t *e, const struct node *n)
{
	yaml_event_t ev;
	yaml_sequence_style_t sstyle;
	yaml_mapping_style_t mstyle;
	size_t i;

	if (n == NULL) {
		ny_emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
		return;
	}
	switch (n->kind) {
	case NODE_SCALAR:
		switch (node_scalar_type(n)) {
		case NODE_T_STR:
			ny_emit_string(e, n->str, 0);
			break;
		case NODE_T_NULL:
			ny_emit_scalar(e, n->str[0] == '\0' ? "null" : n->str,
			    YAML_PLAIN_SCALAR_STYLE);
			break;
		default:
			ny_emit_scalar(e, n->str, YAML_PLAIN_SCALAR_STYLE);
			break;
		}
		break;
	case NODE_SEQ:
		sstyle = n->nitems == 0 ? YAML_FLOW_SEQUENCE_STYLE
					: YAML_BLOCK_SEQUENCE_STYLE;
		yaml_sequence_start_event_initialize(
		    &ev, NULL, NULL, 1, sstyle);
		ny_emit(e, &ev);
		for (i = 0; i < n->nitems; i++)
			ny_emit_node(e, n->items[i]);
		yaml_sequence_end_event_initialize(&ev);
		ny_emit(e, &ev);
		break;
	case NODE_MAP:
		mstyle = n->npairs == 0 ? YAML_FLOW_MAPPING_STYLE
					: YAML_BLOCK_MAPPING_STYLE;
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, mstyle);
		ny_emit(e, &ev);
		for (i = 0; i < n->npairs; i++) {
			ny_emit_string(e, n->pairs[i].key, 1);
			ny_emit_node(e, n->pairs[i].val);
		}
		yaml_mapping_end_event_initialize(&ev);
		ny_emit(e, &ev);
		break;
	}
}

/* Block-style YAML for n, ending in a newline; the caller's. */
char *
node_to_yaml(const struct node *n)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	struct ny_out o = { NULL, 0, 0 };

	if (!yaml_emitter_initialize(&e))
		fatalx("%s: yaml_emitter_initialize failed", __func__);
	yaml_emitter_set_output(&e, ny_write_cb, &o);
	yaml_emitter_set_indent(&e, 2);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_unicode(&e, 1);

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ny_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ny_emit(&e, &ev);
	ny_emit_node(&e, n);
	yaml_document_end_event_initialize(&ev, 1);
	ny_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ny_emit(&e, &ev);
	if (!yaml_emitter_flush(&e))
		fatalx("%s: yaml_emitter_flush failed", __func__);
	yaml_emitter_delete(&e);

	if (o.p == NULL)
		o.p = xstrdup("\n");
	return o.p;
}
