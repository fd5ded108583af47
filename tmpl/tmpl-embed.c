/* clima: embedding base templates and provision/probe files. */
/*
 * tmpl_embed follows Lima's Template.Embed on node trees: each base is
 * read, made absolute, embedded recursively and merged in (missing
 * fields copied, lists appended or prepended); then list entries with
 * a shared key are combined and file: references become inline text.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* Bases nested deeper than this are refused (bounds the recursion). */
#define TMPL_EMBED_MAX_DEPTH 64

struct tmpl_embed {
	struct tmpl *top; /* the template being embedded; gets warnings */
	const struct tmpl_dirs *dirs;
	int embed_all;
	char **seen; /* base locators already embedded, for loops */
	size_t nseen;
	const char **chain; /* borrowed: templates being embedded now */
	size_t nchain;
};

static int tmpl_embed_bases(struct tmpl_embed *, struct node *, int *, char **);

/* 1 if the value counts as set for yq's select(): not null, not false. */
static int
tmpl_truthy(const struct node *n)
{
	int b;

	if (n == NULL || node_is_null(n))
		return 0;
	if (node_get_bool(n, &b) == 0 && !b)
		return 0;
	return 1;
}

/* Removes item i of a sequence. */
static void
tmpl_seq_remove(struct node *seq, size_t i)
{
	node_free(seq->items[i]);
	memmove(&seq->items[i], &seq->items[i + 1],
	    (seq->nitems - i - 1) * sizeof *seq->items);
	seq->nitems--;
}

/* Inserts copies of src's items at the front of dst. */
static void
tmpl_seq_prepend(struct node *dst, const struct node *src)
{
	size_t i, n = src->nitems;

	if (n == 0)
		return;
	dst->items =
	    xreallocarray(dst->items, dst->nitems + n, sizeof *dst->items);
	memmove(
	    &dst->items[n], &dst->items[0], dst->nitems * sizeof *dst->items);
	for (i = 0; i < n; i++)
		dst->items[i] = node_copy(src->items[i]);
	dst->nitems += n;
}

/* The highest of two version fields wins (minimumLimaVersion...). */
static void
tmpl_merge_version(struct node *a, const struct node *b, const char *key)
{
	const char *av, *bv;
	int cmp;

	if (a == NULL || b == NULL || a->kind != NODE_MAP ||
	    b->kind != NODE_MAP)
		return;
	av = node_get_str(node_map_get(a, key));
	bv = node_get_str(node_map_get(b, key));
	if (av == NULL || bv == NULL || tmpl_semver_cmp(bv, av, &cmp) != 0)
		return;
	if (cmp > 0)
		node_map_set(a, key, node_copy(node_map_get(b, key)));
}

/*
 * Copies b's fields missing from a, recursing into maps; a list in a
 * gets b's list at the same path appended, except the top-level base,
 * provision and probes lists, which get it prepended.  A value a
 * already has (null included) is never replaced.
 */
static void
tmpl_merge_map(
    struct node *a, const struct node *b, const char *top, int skip_dns)
{
	const struct node_pair *p;
	struct node *av;
	const char *k;
	size_t i, j;

	for (i = 0; i < b->npairs; i++) {
		p = &b->pairs[i];
		k = p->key;
		if (top == NULL && skip_dns && strcmp(k, "dns") == 0)
			continue;
		if ((av = node_map_get(a, k)) == NULL) {
			node_map_set(a, k, node_copy(p->val));
			continue;
		}
		if (av->kind == NODE_MAP && p->val->kind == NODE_MAP) {
			tmpl_merge_map(av, p->val, top != NULL ? top : k, 0);
			continue;
		}
		if (av->kind != NODE_SEQ || p->val->kind != NODE_SEQ)
			continue;
		if (top == NULL &&
		    (strcmp(k, "base") == 0 || strcmp(k, "provision") == 0 ||
			strcmp(k, "probes") == 0)) {
			tmpl_seq_prepend(av, p->val);
			continue;
		}
		for (j = 0; j < p->val->nitems; j++)
			node_seq_append(av, node_copy(p->val->items[j]));
	}
}

/* Drops repeated values from the list doc[key], keeping the first. */
static void
tmpl_unique(struct node *doc, const char *key)
{
	struct node *list = node_map_get(doc, key);
	size_t i, j;

	if (list == NULL || list->kind != NODE_SEQ)
		return;
	for (i = 1; i < list->nitems; i++) {
		for (j = 0; j < i; j++) {
			if (node_equal(list->items[i], list->items[j]))
				break;
		}
		if (j < i)
			tmpl_seq_remove(list, i--);
	}
}

/* Merges base b (already embedded itself) into a, whose base[0] it is. */
static void
tmpl_merge(struct node *a, struct node *b)
{
	struct node *ab, *bb, *list;

	/* drop the base being merged right now */
	ab = node_map_get(a, "base");
	if (ab != NULL && ab->kind == NODE_SEQ && ab->nitems > 0)
		tmpl_seq_remove(ab, 0);
	if (ab != NULL && (ab->kind != NODE_SEQ || ab->nitems == 0))
		node_map_delete(a, "base");
	/* a list of bases left in a makes b's bases a list too */
	ab = node_map_get(a, "base");
	bb = node_map_get(b, "base");
	if (ab != NULL && ab->kind == NODE_SEQ && bb != NULL &&
	    bb->kind != NODE_SEQ && !node_is_null(bb)) {
		list = node_new_seq();
		node_seq_append(list, node_copy(bb));
		node_map_set(b, "base", list);
	}
	tmpl_merge_version(a, b, "minimumLimaVersion");
	tmpl_merge_version(node_get_path(a, "vmOpts.qemu"),
	    node_get_path(b, "vmOpts.qemu"), "minimumVersion");
	tmpl_merge_map(a, b, NULL, tmpl_truthy(node_map_get(a, "dns")));
	tmpl_unique(a, "mountTypesUnsupported");
}

/* Parses template bytes; an empty document is an empty map. */
static struct node *
tmpl_parse(const struct tmpl *t, char **cause)
{
	struct node *doc;

	doc = node_from_yaml(t->bytes, t->len, t->location, cause);
	if (doc == NULL)
		return NULL;
	if (node_is_null(doc)) {
		node_free(doc);
		return node_new_map();
	}
	if (doc->kind != NODE_MAP) {
		xasprintf(cause, "template `%s` is not a YAML map", t->locator);
		node_free(doc);
		return NULL;
	}
	return doc;
}

/* 1 if s is valid UTF-8 text without NUL bytes, fit for a YAML string. */
static int
tmpl_is_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;

	while (i < len) {
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0 && p[i] >= 0xc2)
			n = 1;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 2;
		else if ((p[i] & 0xf8) == 0xf0 && p[i] <= 0xf4)
			n = 3;
		else
			return 0;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return 0;
		}
		i += n + 1;
	}
	return 1;
}

/* Reads the file an entry names and stores it under newkey in place. */
static int
tmpl_embed_file(
    struct tmpl_embed *e, struct node *item, const char *newkey, char **cause)
{
	struct node_pair *p = NULL;
	struct tmpl *f;
	const char *url;
	size_t i;

	url = tmpl_entry_url(node_map_get(item, "file"));
	if (url == NULL)
		return 0;
	if (tmpl_is_template(url) && !e->embed_all)
		return 0;
	if ((f = tmpl_read(url, e->dirs, cause)) == NULL)
		return -1;
	tmpl_warn_move(e->top, f);
	if (!tmpl_is_text(f->bytes, f->len)) {
		xasprintf(cause,
		    "file `%s` cannot be embedded: it is not "
		    "UTF-8 text",
		    url);
		tmpl_free(f);
		return -1;
	}
	log_debug("%s: inlining %s as %s", __func__, url, newkey);
	/* an empty script: key would clash with the renamed file: key */
	node_map_delete(item, newkey);
	for (i = 0; i < item->npairs; i++) {
		if (strcmp(item->pairs[i].key, "file") == 0)
			p = &item->pairs[i];
	}
	free(p->key);
	p->key = xstrdup(newkey);
	node_free(p->val);
	p->val = node_new_str(f->bytes);
	tmpl_free(f);
	return 1;
}

/* Inlines probes[].file and provision[].file into script/content/... */
static int
tmpl_embed_scripts(
    struct tmpl_embed *e, struct node *doc, int *changed, char **cause)
{
	struct node *list, *item;
	const char *mode, *key, *s;
	size_t i;
	int r, pass;

	for (pass = 0; pass < 2; pass++) {
		list = node_map_get(doc, pass == 0 ? "probes" : "provision");
		if (list == NULL || list->kind != NODE_SEQ)
			continue;
		for (i = 0; i < list->nitems; i++) {
			item = list->items[i];
			if (item->kind != NODE_MAP ||
			    node_is_null(node_map_get(item, "file")))
				continue;
			mode = node_get_str(node_map_get(item, "mode"));
			key = "script";
			if (pass == 1 && mode != NULL &&
			    strcmp(mode, "data") == 0)
				key = "content";
			else if (pass == 1 && mode != NULL &&
			    strcmp(mode, "yq") == 0)
				key = "expression";
			/* never overwrite: validation reports the clash */
			s = node_get_str(node_map_get(item, key));
			if (strcmp(key, "script") == 0
				? (s != NULL && *s != '\0')
				: !node_is_null(node_map_get(item, key)))
				continue;
			if ((r = tmpl_embed_file(e, item, key, cause)) < 0)
				return -1;
			if (r > 0)
				*changed = 1;
		}
	}
	return 0;
}

static int
tmpl_embed_seen(struct tmpl_embed *e, const char *url)
{
	size_t i;

	for (i = 0; i < e->nseen; i++) {
		if (strcmp(e->seen[i], url) == 0)
			return 1;
	}
	return 0;
}

/* The error for a base seen twice, naming the chain that led to it. */
static void
tmpl_embed_loop(struct tmpl_embed *e, const char *url, char **cause)
{
	char *chain = xstrdup(""), *tmp;
	size_t i;

	for (i = 0; i < e->nchain; i++) {
		tmp = chain;
		xasprintf(&chain, "%s`%s` -> ", tmp, e->chain[i]);
		free(tmp);
	}
	xasprintf(cause,
	    "base template loop detected: template `%s` already "
	    "included (%s`%s`)",
	    url, chain, url);
	free(chain);
}

/* Reads base url, embeds its own bases and merges it into doc. */
static int
tmpl_embed_base(
    struct tmpl_embed *e, struct node *doc, const char *url, char **cause)
{
	struct tmpl *b = NULL;
	struct node *bdoc = NULL;
	int dummy = 0, ret = -1;

	log_debug("%s: embedding %s", __func__, url);
	if (e->nchain >= TMPL_EMBED_MAX_DEPTH) {
		xasprintf(
		    cause, "base templates nested too deeply at `%s`", url);
		goto out;
	}
	if ((b = tmpl_read(url, e->dirs, cause)) == NULL)
		goto out;
	tmpl_warn_move(e->top, b);
	if ((bdoc = tmpl_parse(b, cause)) == NULL)
		goto out;
	if (tmpl_abs_doc(bdoc, b->locator, cause) < 0)
		goto out;
	e->chain[e->nchain++] = url;
	if (tmpl_embed_bases(e, bdoc, &dummy, cause) != 0) {
		e->nchain--;
		goto out;
	}
	e->nchain--;
	tmpl_merge(doc, bdoc);
	ret = 0;
out:
	node_free(bdoc);
	tmpl_free(b);
	return ret;
}

/* Lima's embedAllBases: merges base[0] until none is left to embed. */
static int
tmpl_embed_bases(
    struct tmpl_embed *e, struct node *doc, int *changed, char **cause)
{
	struct node *base, *first, *digest;
	const char *url, *other;
	size_t i;

	for (;;) {
		base = node_map_get(doc, "base");
		if (base == NULL || node_is_null(base))
			break;
		first = base;
		if (base->kind == NODE_SEQ) {
			if (base->nitems == 0)
				break;
			first = base->items[0];
		}
		url = tmpl_entry_url(first);
		if (url == NULL || *url == '\0') {
			*cause = xstrdup("locator is empty");
			return -1;
		}
		digest = first->kind == NODE_MAP ? node_map_get(first, "digest")
						 : NULL;
		if (!node_is_null(digest)) {
			xasprintf(cause,
			    "base `%s` in `%s` has specified a "
			    "digest; digest support is not yet implemented",
			    url, e->chain[e->nchain - 1]);
			return -1;
		}
		if (tmpl_is_template(url) && !e->embed_all) {
			/* once a template: base stays, no later base may go */
			for (i = 1; base->kind == NODE_SEQ && i < base->nitems;
			     i++) {
				other = tmpl_entry_url(base->items[i]);
				if (other != NULL && !tmpl_is_template(other)) {
					xasprintf(cause,
					    "cannot embed template "
					    "`%s` after not embedding `%s`",
					    other, url);
					return -1;
				}
			}
			break;
		}
		if (tmpl_embed_seen(e, url)) {
			tmpl_embed_loop(e, url, cause);
			return -1;
		}
		e->seen = xreallocarray(e->seen, e->nseen + 1, sizeof *e->seen);
		e->seen[e->nseen++] = xstrdup(url);
		/* tmpl_merge frees the entry url points into: keep a copy */
		url = e->seen[e->nseen - 1];
		if (tmpl_embed_base(e, doc, url, cause) != 0)
			return -1;
		*changed = 1;
	}
	return tmpl_embed_scripts(e, doc, changed, cause);
}

/* Prepends lima_home/_config/base.yaml to doc's bases if it exists. */
static int
tmpl_embed_default_base(struct node *doc, const char *lima_home)
{
	struct node *base, *list;
	struct stat sb;
	char *path;

	path = xstrprintf("%s/_config/base.yaml", lima_home);
	if (stat(path, &sb) != 0) {
		free(path);
		return 0;
	}
	base = node_map_get(doc, "base");
	list = node_new_seq();
	node_seq_append(list, node_new_str(path));
	if (base != NULL && base->kind == NODE_SEQ) {
		tmpl_seq_prepend(base, list);
		node_free(list);
	} else {
		if (base != NULL && !node_is_null(base))
			node_seq_append(list, node_copy(base));
		node_map_set(doc, "base", list);
	}
	free(path);
	return 1;
}

/* Embeds every base template and file reference; see tmpl.h. */
int
tmpl_embed(struct tmpl *t, const struct tmpl_dirs *dirs, int embed_all,
    int default_base, const char *lima_home, char **cause)
{
	struct tmpl_embed e;
	struct node *doc = NULL;
	char *out = NULL;
	size_t i;
	int changed = 0, r, ret = -1;

	memset(&e, 0, sizeof e);
	e.top = t;
	e.dirs = dirs;
	e.embed_all = embed_all;
	e.chain =
	    xreallocarray(NULL, TMPL_EMBED_MAX_DEPTH + 1, sizeof *e.chain);
	e.chain[e.nchain++] = t->locator;
	e.seen = xreallocarray(NULL, 1, sizeof *e.seen);
	e.seen[e.nseen++] = xstrdup(t->locator);

	if ((doc = tmpl_parse(t, cause)) == NULL)
		goto out;
	if ((r = tmpl_abs_doc(doc, t->locator, cause)) < 0)
		goto out;
	changed |= r;
	if (default_base && lima_home != NULL)
		changed |= tmpl_embed_default_base(doc, lima_home);
	if (tmpl_embed_bases(&e, doc, &changed, cause) != 0)
		goto out;
	/* after all bases, so that "*" entries see every earlier entry */
	changed |= tmpl_combine(doc);
	if (changed) {
		out = node_to_yaml(doc);
		if (strlen(out) > TMPL_MAX_BYTES) {
			xasprintf(cause,
			    "template `%s` embedding exceeded the "
			    "size limit (%d bytes)",
			    t->locator, TMPL_MAX_BYTES);
			goto out;
		}
		free(t->bytes);
		t->bytes = out;
		t->len = strlen(out);
		out = NULL;
	}
	ret = 0;
out:
	free(out);
	node_free(doc);
	for (i = 0; i < e.nseen; i++)
		free(e.seen[i]);
	free(e.seen);
	free(e.chain);
	return ret;
}
