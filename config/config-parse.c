/* clima: lima.yaml node tree to struct lima_config, driven by the tables. */
/*
 * Every scalar goes through a checked converter; an error names the file,
 * the position of the value and the field path.  Keys that no table knows
 * are warnings (Lima: "Non-strict YAML detected"), never dropped silently.
 * cfg_migrate moves the deprecated top-level cpuType and rosetta fields.
 */
#include <config.h>

#include <sys/socket.h>
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

struct cfg_pctx {
	struct cfg_msgs *warnings; /* NULL: unknown keys are not reported */
	char *cause;
};

static int cfg_parse_table(struct cfg_pctx *, const struct cfg_table *,
    const char *, const struct node *, void *);

/* "FILE:LINE:COL: " for n, or "" when it has no position. */
static char *
cfg_pos(const struct node *n, int line, int col)
{
	char *s;

	if (n == NULL || line == 0)
		return xstrdup("");
	if (n->file != NULL)
		xasprintf(&s, "%s:%d:%d: ", n->file, line, col);
	else
		xasprintf(&s, "%d:%d: ", line, col);
	return s;
}

static int __attribute__((__format__(__printf__, 4, 5)))
cfg_perr(struct cfg_pctx *pc, const char *path, const struct node *n,
    const char *fmt, ...)
{
	va_list ap;
	char *pos, *msg, *got;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	pos = cfg_pos(n, n != NULL ? n->line : 0, n != NULL ? n->col : 0);
	if (n == NULL)
		got = xstrdup("nothing");
	else if (n->kind == NODE_SEQ)
		got = xstrdup("a sequence");
	else if (n->kind == NODE_MAP)
		got = xstrdup("a mapping");
	else
		got = log_quote(n->str);
	free(pc->cause);
	xasprintf(&pc->cause, "%sfield `%s`: %s, got %s", pos, path, msg, got);
	free(got);
	free(pos);
	free(msg);
	return -1;
}

static char *
cfg_join(const char *path, const char *key)
{
	if (*path == '\0')
		return xstrdup(key);
	return xstrprintf("%s.%s", path, key);
}

/* Checks s is an IPv4 or IPv6 address; *canon gets its usual form. */
int
cfg_parse_ip(const char *s, char **canon)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char out[INET6_ADDRSTRLEN];
	int af;

	if (inet_pton(AF_INET, s, buf) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, s, buf) == 1)
		af = AF_INET6;
	else
		return -1;
	if (inet_ntop(af, buf, out, sizeof out) == NULL)
		return -1;
	if (canon != NULL)
		*canon = xstrdup(out);
	return 0;
}

static int
cfg_parse_strv(struct cfg_pctx *pc, const char *path, const struct node *n,
    struct config_strv *sv, int ip)
{
	const struct node *item;
	char *canon, *sub;
	size_t i;
	int rc;

	if (n->kind != NODE_SEQ)
		return cfg_perr(pc, path, n, "expected a sequence");
	cfg_strv_free(sv);
	for (i = 0; i < n->nitems; i++) {
		item = n->items[i];
		if (item->kind != NODE_SCALAR) {
			sub = xstrprintf("%s[%zu]", path, i);
			rc = cfg_perr(pc, sub, item, "expected a string");
			free(sub);
			return rc;
		}
		if (!ip) {
			cfg_strv_add(sv, node_is_null(item) ? "" : item->str);
			continue;
		}
		if (node_is_null(item) ||
		    cfg_parse_ip(item->str, &canon) != 0) {
			sub = xstrprintf("%s[%zu]", path, i);
			rc = cfg_perr(pc, sub, item, "expected an IP address");
			free(sub);
			return rc;
		}
		cfg_strv_add(sv, canon);
		free(canon);
	}
	return 0;
}

static int
cfg_parse_map(struct cfg_pctx *pc, const char *path, const struct node *n,
    struct config_map *m)
{
	const struct node_pair *pr;
	char *sub;
	size_t i;
	int rc;

	if (n->kind != NODE_MAP)
		return cfg_perr(pc, path, n, "expected a mapping");
	for (i = 0; i < n->npairs; i++) {
		pr = &n->pairs[i];
		if (pr->val->kind != NODE_SCALAR) {
			sub = cfg_join(path, pr->key);
			rc = cfg_perr(pc, sub, pr->val, "expected a string");
			free(sub);
			return rc;
		}
		cfg_map_set(
		    m, pr->key, node_is_null(pr->val) ? "" : pr->val->str);
	}
	return 0;
}

static int
cfg_parse_range(
    struct cfg_pctx *pc, const char *path, const struct node *n, int *range)
{
	long long v[2];
	size_t i;

	if (n->kind != NODE_SEQ || n->nitems != 2)
		return cfg_perr(pc, path, n, "expected [FIRST, LAST]");
	for (i = 0; i < 2; i++) {
		if (node_get_int(n->items[i], &v[i]) != 0 || v[i] < INT_MIN ||
		    v[i] > INT_MAX)
			return cfg_perr(
			    pc, path, n->items[i], "expected an integer");
	}
	range[0] = (int)v[0];
	range[1] = (int)v[1];
	return 0;
}

/* Parses one element of a list (or a PTR target) into elem. */
static int
cfg_parse_elem(struct cfg_pctx *pc, const struct cfg_table *t, const char *path,
    const struct node *n, void *elem)
{
	const struct cfg_field *f;
	size_t base;

	cfg_init(t, elem);
	if (t->node_off != CFG_NONE)
		*(const struct node **)((char *)elem + t->node_off) = n;
	if (n->kind == NODE_SCALAR && t->scalar_key != NULL &&
	    !node_is_null(n)) {
		f = cfg_find(t, t->scalar_key, &base);
		if (f == NULL || f->type != CFG_STR)
			fatalx("%s: bad scalar key", __func__);
		cfg_set((char **)((char *)elem + base + f->off), n->str);
		return 0;
	}
	if (n->kind != NODE_MAP)
		return cfg_perr(pc, path, n, "expected a mapping");
	return cfg_parse_table(pc, t, path, n, elem);
}

static int
cfg_parse_list(struct cfg_pctx *pc, const struct cfg_field *f, const char *path,
    const struct node *n, void *base)
{
	char *vp = (char *)base + f->off;
	size_t *np = (size_t *)((char *)base + f->noff);
	const struct node *const *items;
	const struct node *one[1];
	size_t i, nitems;
	char *sub;
	void *elem;
	int rc;

	if (n->kind == NODE_SEQ) {
		items = (const struct node *const *)n->items;
		nitems = n->nitems;
	} else if (f->flags & CFG_ONE_OR_MANY) {
		one[0] = n;
		items = one;
		nitems = 1;
	} else
		return cfg_perr(pc, path, n, "expected a sequence");
	for (i = 0; i < nitems; i++) {
		elem = cfg_list_grow(vp, np, f->sub->size);
		sub = xstrprintf("%s[%zu]", path, i);
		rc = cfg_parse_elem(pc, f->sub, sub, items[i], elem);
		free(sub);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int
cfg_parse_field(struct cfg_pctx *pc, const struct cfg_field *f,
    const char *path, const struct node *n, void *base)
{
	char *p = (char *)base + f->off, *canon;
	long long v;
	int b;
	void *sub;

	if (node_is_null(n))
		return 0; /* null is "not set", as a nil pointer in Go */
	switch (f->type) {
	case CFG_STR:
		if (n->kind != NODE_SCALAR)
			return cfg_perr(pc, path, n, "expected a string");
		cfg_set((char **)p, n->str);
		return 0;
	case CFG_IP:
		if (n->kind != NODE_SCALAR || cfg_parse_ip(n->str, &canon) != 0)
			return cfg_perr(pc, path, n, "expected an IP address");
		free(*(char **)p);
		*(char **)p = canon;
		return 0;
	case CFG_BOOL:
	case CFG_FLAG:
		if (node_get_bool(n, &b) != 0)
			return cfg_perr(pc, path, n, "expected a boolean");
		*(int *)p = b;
		return 0;
	case CFG_INT:
		if (node_get_int(n, &v) != 0 || v < INT_MIN || v > INT_MAX)
			return cfg_perr(pc, path, n, "expected an integer");
		*(int *)p = (int)v;
		return 0;
	case CFG_UINT32:
		if (node_get_int(n, &v) != 0 || v < 0 || v > UINT32_MAX)
			return cfg_perr(pc, path, n,
			    "expected an integer from 0 to 4294967295");
		*(int64_t *)p = v;
		return 0;
	case CFG_STRV:
	case CFG_IPV:
		return cfg_parse_strv(
		    pc, path, n, (struct config_strv *)p, f->type == CFG_IPV);
	case CFG_MAP:
		return cfg_parse_map(pc, path, n, (struct config_map *)p);
	case CFG_RANGE:
		return cfg_parse_range(pc, path, n, (int *)p);
	case CFG_NODE:
		if (n->kind != NODE_MAP)
			return cfg_perr(pc, path, n, "expected a mapping");
		node_free(*(struct node **)p);
		*(struct node **)p = node_copy(n);
		return 0;
	case CFG_SUB:
	case CFG_INLINE:
		if (n->kind != NODE_MAP)
			return cfg_perr(pc, path, n, "expected a mapping");
		return cfg_parse_table(pc, f->sub, path, n, p);
	case CFG_PTR:
		if (n->kind != NODE_MAP)
			return cfg_perr(pc, path, n, "expected a mapping");
		if ((sub = cfg_ptr_get(p)) == NULL) {
			sub = xcalloc(1, f->sub->size);
			cfg_ptr_set(p, sub);
		}
		return cfg_parse_elem(pc, f->sub, path, n, sub);
	case CFG_LIST:
		return cfg_parse_list(pc, f, path, n, base);
	}
	fatalx("%s: bad type %d", __func__, f->type);
}

static int
cfg_parse_table(struct cfg_pctx *pc, const struct cfg_table *t,
    const char *path, const struct node *n, void *base)
{
	const struct cfg_field *f;
	const struct node_pair *pr;
	size_t i, off;
	char *sub, *pos;
	int rc;

	for (i = 0; i < n->npairs; i++) {
		pr = &n->pairs[i];
		sub = cfg_join(path, pr->key);
		if ((f = cfg_find(t, pr->key, &off)) == NULL) {
			if (pc->warnings != NULL) {
				pos = cfg_pos(n, pr->line, pr->col);
				cfg_msgs_add(pc->warnings,
				    "%sunknown field `%s`", pos, sub);
				free(pos);
			}
			free(sub);
			continue;
		}
		rc = cfg_parse_field(pc, f, sub, pr->val, (char *)base + off);
		free(sub);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/*
 * Fills cfg from a document (a mapping, or null for an empty file).
 * Unknown keys go to warnings unless it is NULL.
 */
int
cfg_parse(const struct node *doc, struct lima_config *cfg,
    struct cfg_msgs *warnings, char **cause)
{
	struct cfg_pctx pc = { warnings, NULL };
	char *pos;

	if (node_is_null(doc))
		return 0;
	if (doc->kind != NODE_MAP) {
		pos = cfg_pos(doc, doc->line, doc->col);
		xasprintf(cause, "%sexpected a mapping at the top level", pos);
		free(pos);
		return -1;
	}
	if (cfg_parse_table(&pc, &cfg_top_table, "", doc, cfg) != 0) {
		*cause = pc.cause;
		return -1;
	}
	return 0;
}

static int
cfg_mig_err(const struct node *n, const char *path, char **cause)
{
	struct cfg_pctx pc = { NULL, NULL };

	cfg_perr(&pc, path, n, "expected a mapping");
	*cause = pc.cause;
	return -1;
}

/*
 * Walks doc along the keys of path ("vmOpts.qemu.cpuType"), creating
 * absent or null mappings; NULL and *cause set if a value is no mapping.
 */
static struct node *
cfg_mig_dst(struct node *doc, const char *path, char **cause)
{
	struct node *n = doc, *next;
	char *copy, *p, *key;
	size_t len = 0;

	copy = p = xstrdup(path);
	while ((key = strsep(&p, ".")) != NULL) {
		len += strlen(key) + (len != 0);
		next = node_map_get(n, key);
		if (next == NULL || node_is_null(next)) {
			node_map_set(n, key, node_new_map());
			next = node_map_get(n, key);
		} else if (next->kind != NODE_MAP) {
			key = xstrndup(path, len);
			cfg_mig_err(next, key, cause);
			free(key);
			free(copy);
			return NULL;
		}
		n = next;
	}
	free(copy);
	return n;
}

/*
 * Copies the entries of the deprecated mapping at key into newpath,
 * warning about conflicts (the new field wins), then deletes key.
 */
static int
cfg_mig_move(struct node *doc, const char *key, const char *newpath,
    struct cfg_msgs *w, char **cause)
{
	struct node *old = node_map_get(doc, key), *dst, *cur;
	struct node_pair *pr;
	size_t i;
	char *pos;

	if (node_is_null(old)) {
		node_map_delete(doc, key);
		return 0;
	}
	if (old->kind != NODE_MAP)
		return cfg_mig_err(old, key, cause);
	pos = cfg_pos(old, old->line, old->col);
	cfg_msgs_add(w,
	    "%sthe top-level field `%s` is deprecated; use `%s` instead", pos,
	    key, newpath);
	free(pos);
	if ((dst = cfg_mig_dst(doc, newpath, cause)) == NULL)
		return -1;
	for (i = 0; i < old->npairs; i++) {
		pr = &old->pairs[i];
		cur = node_map_get(dst, pr->key);
		if (cur != NULL && !node_is_null(cur)) {
			if (!node_equal(cur, pr->val)) {
				pos = cfg_pos(old, pr->line, pr->col);
				cfg_msgs_add(w,
				    "%sfield `%s.%s` conflicts with field "
				    "`%s.%s`; using the latter",
				    pos, key, pr->key, newpath, pr->key);
				free(pos);
			}
			continue;
		}
		node_map_set(dst, pr->key, node_copy(pr->val));
	}
	node_map_delete(doc, key);
	return 0;
}

/*
 * Moves the top-level cpuType into vmOpts.qemu.cpuType and rosetta into
 * vmOpts.vz.rosetta, as Lima does, with a warning each.
 */
int
cfg_migrate(struct node *doc, struct cfg_msgs *w, char **cause)
{
	if (doc == NULL || doc->kind != NODE_MAP)
		return 0;
	if (node_map_get(doc, "cpuType") != NULL &&
	    cfg_mig_move(doc, "cpuType", "vmOpts.qemu.cpuType", w, cause) != 0)
		return -1;
	if (node_map_get(doc, "rosetta") != NULL &&
	    cfg_mig_move(doc, "rosetta", "vmOpts.vz.rosetta", w, cause) != 0)
		return -1;
	return 0;
}
