/* clima: making the locators inside a template absolute. */
/*
 * A template may name its bases and provision/probe files relative to
 * itself.  Before it is copied or embedded those become absolute, using
 * the template's own locator as the base (Lima's UseAbsLocators), so
 * the result can be stored anywhere and still point at the same files.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* The locator of a base or file entry: a string or a map's "url". */
const char *
tmpl_entry_url(const struct node *e)
{
	if (e == NULL)
		return NULL;
	if (e->kind == NODE_SCALAR)
		return node_get_str(e);
	if (e->kind == NODE_MAP)
		return node_get_str(node_map_get(e, "url"));
	return NULL;
}

/* Rewrites one entry; a null entry is left alone. */
static int
tmpl_abs_entry(struct node *e, const char *base, int *changed, char **cause)
{
	const char *url;
	char *abs;

	if (e == NULL || node_is_null(e) || e->kind == NODE_SEQ)
		return 0;
	if ((url = tmpl_entry_url(e)) == NULL)
		url = "";
	if ((abs = tmpl_abs_locator(url, base, cause)) == NULL)
		return -1;
	if (strcmp(abs, url) == 0) {
		free(abs);
		return 0;
	}
	log_debug("%s: %s -> %s", __func__, url, abs);
	if (e->kind == NODE_SCALAR) {
		free(e->str);
		e->str = abs;
		e->flags |= NODE_QUOTED;
	} else {
		node_map_set(e, "url", node_new_str(abs));
		free(abs);
	}
	*changed = 1;
	return 0;
}

/* The "file" entries of every item of the list doc[key]. */
static int
tmpl_abs_files(struct node *doc, const char *key, const char *base,
    int *changed, char **cause)
{
	struct node *list = node_map_get(doc, key), *item;
	size_t i;

	if (list == NULL || list->kind != NODE_SEQ)
		return 0;
	for (i = 0; i < list->nitems; i++) {
		item = list->items[i];
		if (item->kind != NODE_MAP)
			continue;
		if (tmpl_abs_entry(
			node_map_get(item, "file"), base, changed, cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * Makes base, provision[].file and probes[].file absolute relative to
 * locator.  Returns 1 if doc changed, 0 if not, -1 on error.
 */
int
tmpl_abs_doc(struct node *doc, const char *locator, char **cause)
{
	struct node *b;
	char *base = NULL;
	size_t i;
	int changed = 0, ret = -1;

	if (doc == NULL || doc->kind != NODE_MAP)
		return 0;
	if ((base = tmpl_base_path(locator, cause)) == NULL)
		return -1;
	b = node_map_get(doc, "base");
	if (b != NULL && b->kind == NODE_SEQ) {
		for (i = 0; i < b->nitems; i++) {
			if (tmpl_abs_entry(
				b->items[i], base, &changed, cause) != 0)
				goto out;
		}
	} else if (tmpl_abs_entry(b, base, &changed, cause) != 0)
		goto out;
	if (tmpl_abs_files(doc, "probes", base, &changed, cause) != 0)
		goto out;
	if (tmpl_abs_files(doc, "provision", base, &changed, cause) != 0)
		goto out;
	ret = changed;
out:
	free(base);
	return ret;
}

/* Replaces t's bytes with the YAML of doc. */
static void
tmpl_set_doc(struct tmpl *t, const struct node *doc)
{
	free(t->bytes);
	t->bytes = node_to_yaml(doc);
	t->len = strlen(t->bytes);
}

/* UseAbsLocators on t; bytes are only rewritten when a locator changed. */
int
tmpl_use_abs_locators(struct tmpl *t, char **cause)
{
	struct node *doc;
	int r;

	if (t->len == 0)
		return 0;
	if ((doc = node_from_yaml(t->bytes, t->len, t->location, cause)) ==
	    NULL)
		return -1;
	r = tmpl_abs_doc(doc, t->locator, cause);
	if (r == 1)
		tmpl_set_doc(t, doc);
	node_free(doc);
	return r < 0 ? -1 : 0;
}
