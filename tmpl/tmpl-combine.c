/* clima: combining list entries that share a key after embedding. */
/*
 * After all bases are merged, additionalDisks (key: name), mounts (key:
 * mountPoint, else location) and networks (key: interface) entries with
 * the same key are folded into the first one: its missing fields come
 * from the later entry, which is dropped.  Key "*" fills all earlier.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* Returns the key of an entry, or NULL (never matches). */
typedef const char *(*tmpl_key_cb)(const struct node *);
/* Fills dst's missing fields from src; 1 if dst changed. */
typedef int (*tmpl_fill_cb)(struct node *, const struct node *, int);

/* Fields a disk inherits; fsArgs is handled on its own. */
static const char *tmpl_disk_fields[] = { "format", "fsType" };
/* Fields a mount inherits, as dotted paths. */
static const char *tmpl_mount_fields[] = { "mountPoint", "writable",
	"sshfs.cache", "sshfs.followSymlinks", "sshfs.sftpDriver",
	"9p.securityModel", "9p.protocolVersion", "9p.msize", "9p.cache",
	"virtiofs.queueSize" };
/* Fields a network inherits when dst lacks them (lima/socket apart). */
static const char *tmpl_network_fields[] = { "vzNAT", "metric" };

#define TMPL_NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Value at a dotted path below an entry, NULL if absent. */
static struct node *
tmpl_field(const struct node *entry, const char *path)
{
	if (entry == NULL || entry->kind != NODE_MAP)
		return NULL;
	return node_get_path(entry, path);
}

/* 1 if the field is present and not null. */
static int
tmpl_has(const struct node *entry, const char *path)
{
	return !node_is_null(tmpl_field(entry, path));
}

/* 1 if a string field is present and not "" (Go's zero value). */
static int
tmpl_has_str(const struct node *entry, const char *path)
{
	const char *s = node_get_str(tmpl_field(entry, path));

	return s != NULL && *s != '\0';
}

/* Copies src's field at path into dst, making the maps on the way. */
static void
tmpl_copy_field(struct node *dst, const struct node *src, const char *path)
{
	const char *dot = strchr(path, '.');
	struct node *sub;
	char *head;

	if (dot == NULL) {
		node_map_set(dst, path, node_copy(node_map_get(src, path)));
		return;
	}
	head = xstrndup(path, dot - path);
	sub = node_map_get(dst, head);
	if (sub == NULL || node_is_null(sub)) {
		sub = node_new_map();
		node_map_set(dst, head, sub);
	}
	if (sub->kind == NODE_MAP)
		tmpl_copy_field(sub, node_map_get(src, head), dot + 1);
	free(head);
}

static const char *
tmpl_disk_key(const struct node *e)
{
	if (e->kind == NODE_SCALAR)
		return node_get_str(e);
	return node_get_str(tmpl_field(e, "name"));
}

/* Turns a disk given as a bare name into {name: NAME}. */
static void
tmpl_disk_to_map(struct node *d)
{
	struct node *name;

	if (d->kind != NODE_SCALAR)
		return;
	name = node_new_scalar(d->str, d->flags);
	free(d->str);
	d->str = NULL;
	d->flags = 0;
	d->kind = NODE_MAP;
	node_map_set(d, "name", name);
}

static int
tmpl_disk_fill(struct node *dst, const struct node *src, int wildcard)
{
	const struct node *args;
	size_t i;
	int changed = 0;

	for (i = 0; i < TMPL_NITEMS(tmpl_disk_fields); i++) {
		if (tmpl_has(dst, tmpl_disk_fields[i]) ||
		    !tmpl_has(src, tmpl_disk_fields[i]))
			continue;
		tmpl_disk_to_map(dst);
		tmpl_copy_field(dst, src, tmpl_disk_fields[i]);
		changed = 1;
	}
	/* fsArgs are inherited all or nothing, never appended */
	args = tmpl_field(dst, "fsArgs");
	if (args == NULL || args->kind != NODE_SEQ || args->nitems == 0) {
		args = tmpl_field(src, "fsArgs");
		if (args != NULL && args->kind == NODE_SEQ &&
		    args->nitems != 0) {
			tmpl_disk_to_map(dst);
			tmpl_copy_field(dst, src, "fsArgs");
			changed = 1;
		}
	}
	return changed;
}

static const char *
tmpl_mount_key(const struct node *e)
{
	struct node *mp = tmpl_field(e, "mountPoint");

	if (!node_is_null(mp))
		return node_get_str(mp);
	return node_get_str(tmpl_field(e, "location"));
}

static int
tmpl_mount_fill(struct node *dst, const struct node *src, int wildcard)
{
	size_t i;
	int changed = 0;

	if (dst->kind != NODE_MAP)
		return 0;
	for (i = 0; i < TMPL_NITEMS(tmpl_mount_fields); i++) {
		/* a "*" mountPoint is a wildcard, not a value to copy */
		if (wildcard && strcmp(tmpl_mount_fields[i], "mountPoint") == 0)
			continue;
		if (tmpl_has(dst, tmpl_mount_fields[i]) ||
		    !tmpl_has(src, tmpl_mount_fields[i]))
			continue;
		tmpl_copy_field(dst, src, tmpl_mount_fields[i]);
		changed = 1;
	}
	return changed;
}

static const char *
tmpl_network_key(const struct node *e)
{
	const char *s = node_get_str(tmpl_field(e, "interface"));

	return s != NULL ? s : "";
}

static int
tmpl_network_fill(struct node *dst, const struct node *src, int wildcard)
{
	size_t i;
	int changed = 0;

	if (dst->kind != NODE_MAP)
		return 0;
	/* lima and socket exclude each other: copy only if both unset */
	if (!tmpl_has_str(dst, "lima") && !tmpl_has_str(dst, "socket")) {
		if (tmpl_has_str(src, "lima")) {
			tmpl_copy_field(dst, src, "lima");
			changed = 1;
		}
		if (tmpl_has_str(src, "socket")) {
			tmpl_copy_field(dst, src, "socket");
			changed = 1;
		}
	}
	if (!tmpl_has_str(dst, "macAddress") &&
	    tmpl_has_str(src, "macAddress")) {
		tmpl_copy_field(dst, src, "macAddress");
		changed = 1;
	}
	for (i = 0; i < TMPL_NITEMS(tmpl_network_fields); i++) {
		if (tmpl_has(dst, tmpl_network_fields[i]) ||
		    !tmpl_has(src, tmpl_network_fields[i]))
			continue;
		tmpl_copy_field(dst, src, tmpl_network_fields[i]);
		changed = 1;
	}
	return changed;
}

/*
 * Folds entries of doc[list] that share a key into the first entry
 * with that key.  Keys are recorded when an entry is first visited, as
 * Lima does, so a key copied in later does not create a new match.
 */
static int
tmpl_combine_list(
    struct node *doc, const char *list, tmpl_key_cb keyf, tmpl_fill_cb fill)
{
	struct node *seq = node_map_get(doc, list), *src;
	char **keys;
	const char *key;
	size_t i, from, to, dst, n;
	int changed = 0, wildcard;

	if (seq == NULL || seq->kind != NODE_SEQ || seq->nitems == 0)
		return 0;
	keys = xcalloc(seq->nitems, sizeof *keys);
	for (n = 0; n < seq->nitems;) {
		src = seq->items[n];
		key = keyf(src);
		wildcard = key != NULL && strcmp(key, "*") == 0;
		if (wildcard) {
			from = 0;
			to = n; /* exclusive */
		} else {
			for (i = 0; i < n; i++) {
				if (key != NULL && keys[i] != NULL &&
				    strcmp(keys[i], key) == 0)
					break;
			}
			if (i == n) {
				if (key != NULL && *key != '\0')
					keys[n] = xstrdup(key);
				n++;
				continue;
			}
			from = i;
			to = i + 1;
		}
		for (dst = from; dst < to; dst++)
			fill(seq->items[dst], src, wildcard);
		node_free(src); /* its key was never recorded */
		memmove(&seq->items[n], &seq->items[n + 1],
		    (seq->nitems - n - 1) * sizeof *seq->items);
		seq->nitems--;
		changed = 1;
	}
	for (i = 0; i < seq->nitems; i++)
		free(keys[i]);
	free(keys);
	return changed;
}

/* Lima's combineListEntries; 1 if doc changed. */
int
tmpl_combine(struct node *doc)
{
	int changed = 0;

	if (doc == NULL || doc->kind != NODE_MAP)
		return 0;
	changed |= tmpl_combine_list(
	    doc, "additionalDisks", tmpl_disk_key, tmpl_disk_fill);
	changed |=
	    tmpl_combine_list(doc, "mounts", tmpl_mount_key, tmpl_mount_fill);
	changed |= tmpl_combine_list(
	    doc, "networks", tmpl_network_key, tmpl_network_fill);
	return changed;
}
