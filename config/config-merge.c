/* clima: Lima's merge of _config/default.yaml, lima.yaml and override.yaml. */
/*
 * The three documents (d, y, o) merge as node trees before parsing, so
 * every value keeps the file and line it came from.  A scalar comes from
 * o if set, else y, else d; lists and maps follow the merge flags of the
 * tables.  Mounts and networks, which merge by key once templates are
 * expanded, are merged again on the struct by cfg_merge_mounts/_networks.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

static struct node *cfg_merge_table(const struct cfg_table *,
    const struct node *, const struct node *, const struct node *);

static int
cfg_is_set(const struct node *n)
{
	return n != NULL && !node_is_null(n);
}

static const struct node *
cfg_as(const struct node *n, enum node_kind kind)
{
	if (n == NULL || n->kind != kind)
		return NULL;
	return n;
}

/* o if set, else y if set, else d if set: a copy, or NULL. */
static struct node *
cfg_merge_scalar(
    const struct node *d, const struct node *y, const struct node *o)
{
	if (cfg_is_set(o))
		return node_copy(o);
	if (cfg_is_set(y))
		return node_copy(y);
	if (cfg_is_set(d))
		return node_copy(d);
	return NULL;
}

static void
cfg_merge_pos(struct node *out, const struct node *from)
{
	out->line = from->line;
	out->col = from->col;
	if (from->file != NULL)
		out->file = xstrdup(from->file);
}

/* Concatenates the sequences among a, b, c; NULL if none is one. */
static struct node *
cfg_merge_concat(
    const struct node *a, const struct node *b, const struct node *c, int dedup)
{
	const struct node *src[3] = { a, b, c };
	struct node *out = NULL;
	size_t i, j, k;
	int dup;

	for (i = 0; i < 3; i++) {
		if ((src[i] = cfg_as(src[i], NODE_SEQ)) == NULL)
			continue;
		if (out == NULL) {
			out = node_new_seq();
			cfg_merge_pos(out, src[i]);
		}
		for (j = 0; j < src[i]->nitems; j++) {
			dup = 0;
			for (k = 0; dedup && k < out->nitems; k++) {
				if (node_equal(out->items[k], src[i]->items[j]))
					dup = 1;
			}
			if (!dup)
				node_seq_append(
				    out, node_copy(src[i]->items[j]));
		}
	}
	return out;
}

/* Key by key: d's entries, overwritten by y's, then by o's. */
static struct node *
cfg_merge_keys(const struct node *d, const struct node *y, const struct node *o)
{
	const struct node *src[3] = { d, y, o };
	struct node *out = NULL;
	size_t i, j;

	for (i = 0; i < 3; i++) {
		if ((src[i] = cfg_as(src[i], NODE_MAP)) == NULL)
			continue;
		if (out == NULL) {
			out = node_new_map();
			cfg_merge_pos(out, src[i]);
		}
		for (j = 0; j < src[i]->npairs; j++) {
			node_map_set(out, src[i]->pairs[j].key,
			    node_copy(src[i]->pairs[j].val));
		}
	}
	return out;
}

static struct node *
cfg_merge_value(const struct cfg_field *f, const struct node *d,
    const struct node *y, const struct node *o)
{
	const struct node *first;

	if (f == NULL)
		return cfg_merge_scalar(d, y, o);
	if (f->type == CFG_SUB &&
	    (cfg_as(d, NODE_MAP) != NULL || cfg_as(y, NODE_MAP) != NULL ||
		cfg_as(o, NODE_MAP) != NULL)) {
		return cfg_merge_table(f->sub, cfg_as(d, NODE_MAP),
		    cfg_as(y, NODE_MAP), cfg_as(o, NODE_MAP));
	}
	if ((f->flags & CFG_M_KEYS) &&
	    (cfg_as(d, NODE_MAP) != NULL || cfg_as(y, NODE_MAP) != NULL ||
		cfg_as(o, NODE_MAP) != NULL))
		return cfg_merge_keys(d, y, o);
	if (f->flags & CFG_M_OYD)
		return cfg_merge_concat(o, y, d, 0);
	if (f->flags & CFG_M_DYO)
		return cfg_merge_concat(d, y, o, f->flags & CFG_M_DEDUP);
	if (f->flags & CFG_M_FIRST) {
		first = NULL;
		if (cfg_as(o, NODE_SEQ) != NULL && o->nitems != 0)
			first = o;
		else if (cfg_as(y, NODE_SEQ) != NULL && y->nitems != 0)
			first = y;
		else if (cfg_as(d, NODE_SEQ) != NULL && d->nitems != 0)
			first = d;
		return first != NULL ? node_copy(first) : NULL;
	}
	return cfg_merge_scalar(d, y, o);
}

static int
cfg_merge_seen(const struct node *const *src, size_t upto, const char *key)
{
	size_t i;

	for (i = 0; i < upto; i++) {
		if (src[i] != NULL && node_map_get(src[i], key) != NULL)
			return 1;
	}
	return 0;
}

/* Merges three mappings (any may be NULL) described by t. */
static struct node *
cfg_merge_table(const struct cfg_table *t, const struct node *d,
    const struct node *y, const struct node *o)
{
	const struct node *src[3] = { y, d, o };
	const struct cfg_field *f;
	struct node *out, *v;
	const char *key;
	size_t i, j, off;
	int posset = 0;

	out = node_new_map();
	for (i = 0; i < 3; i++) {
		if (src[i] == NULL)
			continue;
		if (!posset) {
			cfg_merge_pos(out, src[i]);
			posset = 1;
		}
		for (j = 0; j < src[i]->npairs; j++) {
			key = src[i]->pairs[j].key;
			if (cfg_merge_seen(src, i, key))
				continue;
			f = t != NULL ? cfg_find(t, key, &off) : NULL;
			v = cfg_merge_value(f, node_map_get(d, key),
			    node_map_get(y, key), node_map_get(o, key));
			if (v != NULL)
				node_map_set(out, key, v);
		}
	}
	return out;
}

/*
 * Merges the default (d), instance (y) and override (o) documents; any
 * may be NULL or null.  Returns a new tree (the caller's).
 */
struct node *
cfg_merge(const struct node *d, const struct node *y, const struct node *o)
{
	return cfg_merge_table(&cfg_top_table, cfg_as(d, NODE_MAP),
	    cfg_as(y, NODE_MAP), cfg_as(o, NODE_MAP));
}

static void
cfg_take(char **dst, char **src)
{
	if (*src == NULL)
		return;
	free(*dst);
	*dst = *src;
	*src = NULL;
}

static const char *
cfg_mount_key(const struct config_mount *m)
{
	return m->mount_point != NULL ? m->mount_point : m->location;
}

/*
 * Mounts arrive concatenated d, y, o with templates expanded; an entry
 * whose mount point (or location) was seen before only overrides the
 * fields it sets.
 */
void
cfg_merge_mounts(struct lima_config *cfg)
{
	struct config_mount *out = NULL, *m, *t;
	size_t nout = 0, i, j;
	const char *key;

	for (i = 0; i < cfg->nmounts; i++) {
		m = &cfg->mounts[i];
		key = cfg_mount_key(m);
		for (j = 0; j < nout; j++) {
			if (key != NULL && cfg_mount_key(&out[j]) != NULL &&
			    strcmp(key, cfg_mount_key(&out[j])) == 0)
				break;
		}
		if (j == nout) {
			t = cfg_list_grow(&out, &nout, sizeof *out);
			*t = *m;
			continue;
		}
		t = &out[j];
		if (m->writable != CONFIG_UNSET)
			t->writable = m->writable;
		if (m->sshfs.cache != CONFIG_UNSET)
			t->sshfs.cache = m->sshfs.cache;
		if (m->sshfs.follow_symlinks != CONFIG_UNSET)
			t->sshfs.follow_symlinks = m->sshfs.follow_symlinks;
		cfg_take(&t->sshfs.sftp_driver, &m->sshfs.sftp_driver);
		cfg_take(&t->ninep.security_model, &m->ninep.security_model);
		cfg_take(
		    &t->ninep.protocol_version, &m->ninep.protocol_version);
		cfg_take(&t->ninep.msize, &m->ninep.msize);
		cfg_take(&t->ninep.cache, &m->ninep.cache);
		if (m->virtiofs.queue_size != 0)
			t->virtiofs.queue_size = m->virtiofs.queue_size;
		cfg_free_fields(&cfg_mount_table, m);
	}
	free(cfg->mounts);
	cfg->mounts = out;
	cfg->nmounts = nout;
}

/*
 * Networks arrive concatenated d, y, o; an entry naming an interface
 * seen before overrides its attachment, MAC address and metric.
 */
void
cfg_merge_networks(struct lima_config *cfg)
{
	struct config_network *out = NULL, *n, *t;
	size_t nout = 0, i, j;

	for (i = 0; i < cfg->nnetworks; i++) {
		n = &cfg->networks[i];
		for (j = 0;
		     j < nout && n->interface != NULL && *n->interface != '\0';
		     j++) {
			if (out[j].interface != NULL &&
			    strcmp(out[j].interface, n->interface) == 0)
				break;
		}
		if (n->interface == NULL || *n->interface == '\0' ||
		    j == nout) {
			t = cfg_list_grow(&out, &nout, sizeof *out);
			*t = *n;
			continue;
		}
		t = &out[j];
		if (n->vz_nat == 1) {
			t->vz_nat = 1;
			cfg_set(&t->lima, NULL);
			cfg_set(&t->socket, NULL);
		}
		if (n->lima != NULL && *n->lima != '\0') {
			cfg_take(&t->lima, &n->lima);
			cfg_set(&t->socket, NULL);
			t->vz_nat = CONFIG_UNSET;
		}
		if (n->socket != NULL && *n->socket != '\0') {
			cfg_take(&t->socket, &n->socket);
			cfg_set(&t->lima, NULL);
			t->vz_nat = CONFIG_UNSET;
		}
		if (n->mac_address != NULL && *n->mac_address != '\0')
			cfg_take(&t->mac_address, &n->mac_address);
		if (n->metric != -1)
			t->metric = n->metric;
		free(n->lima);
		free(n->socket);
		free(n->mac_address);
		free(n->interface);
	}
	free(cfg->networks);
	cfg->networks = out;
	cfg->nnetworks = nout;
}
