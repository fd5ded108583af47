/* clima: struct lima_config back to a node tree, as Lima marshals it. */
/*
 * Keys and their order come from the tables (Lima's JSON names, struct
 * order).  Go's omitempty is mimicked: NULL strings, unset tri-states and
 * empty lists and maps are left out; sub-mappings are always present.
 * Used by `limactl list --format json` and `template validate --fill`.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

static struct node *cfg_emit_table(const struct cfg_table *, const void *);

static struct node *
cfg_emit_strv(const struct config_strv *sv)
{
	struct node *n = node_new_seq();
	size_t i;

	for (i = 0; i < sv->n; i++)
		node_seq_append(n, node_new_str(sv->v[i]));
	return n;
}

static struct node *
cfg_emit_map(const struct config_map *m)
{
	struct node *n = node_new_map();
	size_t i;

	for (i = 0; i < m->n; i++)
		node_map_set(n, m->v[i].key, node_new_str(m->v[i].value));
	return n;
}

/* The node for one field, or NULL when Go would omit it. */
static struct node *
cfg_emit_field(const struct cfg_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	const struct config_strv *sv;
	const struct config_map *m;
	const char *s, *elems;
	const int *ip;
	struct node *n;
	int64_t v64;
	size_t i, cnt;
	int v;

	switch (f->type) {
	case CFG_STR:
	case CFG_IP:
		s = *(char *const *)p;
		if (s == NULL || ((f->flags & CFG_OMITEMPTY) && *s == '\0'))
			return NULL;
		return node_new_str(s);
	case CFG_BOOL:
	case CFG_FLAG:
		v = *(const int *)p;
		if (v == CONFIG_UNSET || ((f->flags & CFG_OMITEMPTY) && v == 0))
			return NULL;
		return node_new_bool(v);
	case CFG_INT:
		v = *(const int *)p;
		if ((f->flags & CFG_OMITEMPTY) && v == 0)
			return NULL;
		return node_new_int(v);
	case CFG_UINT32:
		v64 = *(const int64_t *)p;
		return v64 < 0 ? NULL : node_new_int(v64);
	case CFG_STRV:
	case CFG_IPV:
		sv = (const struct config_strv *)p;
		return sv->n == 0 ? NULL : cfg_emit_strv(sv);
	case CFG_MAP:
		m = (const struct config_map *)p;
		return m->n == 0 ? NULL : cfg_emit_map(m);
	case CFG_RANGE:
		ip = (const int *)p;
		n = node_new_seq();
		node_seq_append(n, node_new_int(ip[0]));
		node_seq_append(n, node_new_int(ip[1]));
		return n;
	case CFG_NODE:
		return node_copy(*(struct node *const *)p);
	case CFG_SUB:
		n = cfg_emit_table(f->sub, p);
		if ((f->flags & CFG_OMITEMPTY) && n->npairs == 0) {
			node_free(n);
			return NULL;
		}
		return n;
	case CFG_PTR:
		elems = cfg_ptr_get(p);
		return elems == NULL ? NULL : cfg_emit_table(f->sub, elems);
	case CFG_LIST:
		cnt = *(const size_t *)((const char *)base + f->noff);
		if (cnt == 0)
			return NULL;
		elems = cfg_ptr_get(p);
		n = node_new_seq();
		for (i = 0; i < cnt; i++)
			node_seq_append(n,
			    cfg_emit_table(f->sub, elems + i * f->sub->size));
		return n;
	case CFG_INLINE:
		break;
	}
	fatalx("%s: bad type %d", __func__, f->type);
}

static void
cfg_emit_fields(const struct cfg_table *t, const void *base, struct node *out)
{
	const struct cfg_field *f;
	struct node *n;

	for (f = t->fields; f->key != NULL; f++) {
		if (f->flags & CFG_NOEMIT)
			continue;
		if (f->type == CFG_INLINE) {
			cfg_emit_fields(
			    f->sub, (const char *)base + f->off, out);
			continue;
		}
		if ((n = cfg_emit_field(f, base)) != NULL)
			node_map_set(out, f->key, n);
	}
}

static struct node *
cfg_emit_table(const struct cfg_table *t, const void *base)
{
	struct node *out = node_new_map();

	cfg_emit_fields(t, base, out);
	return out;
}

struct node *
config_to_node(const struct lima_config *cfg)
{
	return cfg_emit_table(&cfg_top_table, cfg);
}
