/* clima: what the files of config/ share. */
/*
 * Field tables (one per YAML mapping, in Lima's JSON order) drive
 * parsing, merging, emitting and freeing.  A table field sits at an
 * offset from the base of the struct its table describes.
 *
 * The .c files here include autoconf's header as <config.h>: the quoted
 * form would find config/config.h, next to them, first.
 */
#ifndef CONFIG_CONFIG_INT_H
#define CONFIG_CONFIG_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "common/log.h"
#include "config/config.h"

struct node;

enum cfg_type {
	CFG_STR,    /* char *; any scalar's text */
	CFG_BOOL,   /* int tri-state */
	CFG_FLAG,   /* int, a plain Go bool: 0 when unset */
	CFG_INT,    /* int */
	CFG_UINT32, /* int64_t, -1 unset */
	CFG_IP,     /* char *, a valid IPv4/IPv6 address, canonical form */
	CFG_STRV,   /* struct config_strv */
	CFG_IPV,    /* struct config_strv of addresses */
	CFG_MAP,    /* struct config_map, string values */
	CFG_RANGE,  /* int[2] */
	CFG_NODE,   /* struct node *, kept as given */
	CFG_SUB,    /* a mapping stored at off (off 0: same base) */
	CFG_INLINE, /* sub's keys live at this level (Go ",inline") */
	CFG_PTR,    /* pointer to a sub struct, NULL when unset */
	CFG_LIST    /* array of sub structs at off, count (size_t) at noff */
};

struct cfg_field;

struct cfg_table {
	const char *name;
	size_t size;            /* sizeof the struct, for PTR and LIST */
	size_t node_off;        /* of "const struct node *node", or NONE */
	const char *scalar_key; /* a scalar element means {key: scalar} */
	const struct cfg_field *fields; /* ends with a NULL key */
};
#define CFG_NONE ((size_t)-1)

struct cfg_field {
	const char *key;
	enum cfg_type type;
	size_t off;
	size_t noff;
	const struct cfg_table *sub;
	int flags;
#define CFG_OMITEMPTY   0x1  /* emit: skip "", 0 and false (Go omitempty) */
#define CFG_NOEMIT      0x2  /* parsed but never emitted (deprecated) */
#define CFG_ONE_OR_MANY 0x4  /* LIST: a single element is accepted too */
#define CFG_M_OYD       0x10 /* merge: concatenate override, instance, default */
#define CFG_M_DYO       0x20 /* merge: concatenate default, instance, override */
#define CFG_M_DEDUP     0x40  /* with CFG_M_DYO: drop repeated entries */
#define CFG_M_FIRST     0x80  /* merge: highest-priority non-empty list */
#define CFG_M_KEYS      0x100 /* merge: key by key, default < ... < override */
};

extern const struct cfg_table cfg_top_table;
extern const struct cfg_table cfg_mount_table;

/* A growable list of messages (errors or warnings). */
struct cfg_msgs {
	char **v;
	size_t n;
};
void cfg_msgs_add(struct cfg_msgs *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));
void cfg_msgs_addv(struct cfg_msgs *, const char *, va_list)
    __attribute__((__format__(__printf__, 2, 0)));
/* Lines joined with "\n" (errors.Join); NULL when empty.  The caller's. */
char *cfg_msgs_join(const struct cfg_msgs *);
void cfg_msgs_clear(struct cfg_msgs *);

/* Private part of struct lima_config. */
struct config_priv {
	struct node *tree; /* merged document; element "node"s point in it */
	struct cfg_msgs warnings;
	char *file;                   /* for messages */
	char *name;                   /* instance name */
	char *dir;                    /* instance directory ({{.Dir}}) */
	char *hostname;               /* lima-<name> */
	const struct config_env *env; /* borrowed, only while loading */
};

/* config-table.c */
void cfg_init(const struct cfg_table *, void *);
void cfg_free_fields(const struct cfg_table *, void *);
const struct cfg_field *cfg_find(
    const struct cfg_table *, const char *, size_t *base);
void *cfg_list_grow(void *pp, size_t *n, size_t size);
void *cfg_ptr_get(const void *pp);
void cfg_ptr_set(void *pp, void *p);
struct lima_config *cfg_new(void);
void cfg_strv_add(struct config_strv *, const char *);
int cfg_strv_has(const struct config_strv *, const char *);
void cfg_strv_free(struct config_strv *);
const char *cfg_map_get(const struct config_map *, const char *);
void cfg_map_set(struct config_map *, const char *, const char *);
void cfg_map_free(struct config_map *);
void cfg_set(char **, const char *);

/* config-parse.c */
int cfg_parse(const struct node *, struct lima_config *,
    struct cfg_msgs *warnings, char **cause);
int cfg_parse_ip(const char *, char **canon);
int cfg_migrate(struct node *, struct cfg_msgs *, char **cause);

/* config-merge.c */
struct node *cfg_merge(
    const struct node *d, const struct node *y, const struct node *o);
void cfg_merge_mounts(struct lima_config *);
void cfg_merge_networks(struct lima_config *);

/* config-vars.c: template data and expansion. */
struct cfg_vars {
	const char *name;
	const char *hostname;
	const char *dir;
	const char *home;
	const char *user;
	const char *lima_home;
	const char *tmpdir;
	unsigned long long uid;
	int host; /* host-side: Dir, TempDir, ... are known */
	const struct config_map *param;
};
int cfg_expand(const struct cfg_vars *, const char *field, const char *in,
    char **out, char **cause);
int cfg_expand_tilde(const char *home, const char *in, char **out);
void cfg_vars_guest(const struct lima_config *, struct cfg_vars *);
void cfg_vars_host(const struct lima_config *, struct cfg_vars *);
int cfg_param_used(const struct lima_config *, char **cause);
char *cfg_clean_path(const char *);

/* config-defaults.c */
int cfg_fill(struct lima_config *, const struct config_env *, char **cause);
int cfg_version_lt(const char *a, const char *b);
int cfg_semver_parse(const char *, long v[3]);

/* config-validate.c, config-validate-list.c */
struct cfg_check {
	struct lima_config *cfg;
	struct cfg_msgs errors;
	struct cfg_msgs tmp; /* strings from cfg_q, freed at the end */
	int warn;
};
void cfg_err(struct cfg_check *, const struct node *, const char *key,
    const char *, ...) __attribute__((__format__(__printf__, 4, 5)));
void cfg_warn(struct cfg_check *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));
/* Go's %#q: `s` unless s needs escapes, then "s"; freed at the end. */
const char *cfg_q(struct cfg_check *, const char *);
int cfg_validate(struct lima_config *, int warn, char **cause);
void cfg_check_port(struct cfg_check *, const struct node *, const char *key,
    const char *field, int port);
void cfg_check_file(
    struct cfg_check *, const struct config_file *, const char *field);
void cfg_check_mounts(struct cfg_check *);
void cfg_check_provision(struct cfg_check *);
void cfg_check_probes(struct cfg_check *);
void cfg_check_port_forwards(struct cfg_check *);
void cfg_check_networks(struct cfg_check *);

/* config-load.c */
struct lima_config *cfg_build(const struct config_env *, struct node *d,
    struct node *y, struct node *o, const char *file, int flags, char **cause);

/* Guest architectures Lima knows (ArchTypes). */
extern const char *const cfg_arch_types[];
int cfg_is_arch(const char *);

#endif
