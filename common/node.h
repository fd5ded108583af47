/* clima: a YAML/JSON document tree, loaded from and dumped to both. */
/*
 * struct node is the one in-memory form of a lima.yaml, a template, the
 * input of an expression and the data of `limactl list`.  Scalars keep
 * their text (as YAML does) and their quoting, so that `"1"` stays a
 * string and `1` is a number; node_scalar_type() resolves the type with
 * the YAML 1.2 core schema.  Maps keep their key order.
 */
#ifndef COMMON_NODE_H
#define COMMON_NODE_H

#include <stddef.h>

enum node_kind {
	NODE_SCALAR,
	NODE_SEQ,
	NODE_MAP
};

/* Resolved type of a scalar (YAML 1.2 core schema). */
enum node_stype {
	NODE_T_NULL,  /* "", ~, null, Null, NULL (unquoted) */
	NODE_T_BOOL,  /* true/True/TRUE/false/False/FALSE (unquoted) */
	NODE_T_INT,   /* [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+ (unquoted) */
	NODE_T_FLOAT, /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan */
	NODE_T_STR    /* anything else, and every quoted or block scalar */
};

struct node_pair {
	char *key;
	struct node *val;
	int line; /* of the key; 1-based, 0 when synthesized */
	int col;
};

struct node {
	enum node_kind kind;
	char *str; /* SCALAR: the text, never NULL */
	int flags;
#define NODE_QUOTED 0x1 /* quoted/literal/folded scalar: always a string */
	struct node_pair *pairs; /* MAP */
	size_t npairs;
	struct node **items; /* SEQ */
	size_t nitems;
	char *file; /* where it was loaded from, or NULL */
	int line;   /* 1-based position of the node; 0 when synthesized */
	int col;
};

/* Constructors; every returned node is the caller's (node_free). */
struct node *node_new_null(void);
struct node *node_new_bool(int);
struct node *node_new_int(long long);
struct node *node_new_float(double);
struct node *node_new_str(const char *);            /* a quoted string */
struct node *node_new_scalar(const char *, int flags); /* raw text */
struct node *node_new_seq(void);
struct node *node_new_map(void);
/* Deep copy; NULL gives NULL. */
struct node *node_copy(const struct node *);
/* Frees n and all its children; NULL does nothing. */
void node_free(struct node *);

/* Type of a scalar; NULL pointers and non-scalars are NODE_T_NULL/-1. */
int node_scalar_type(const struct node *);
/* 1 if n is NULL or a null scalar. */
int node_is_null(const struct node *);
/* Checked converters: 0 on success, -1 if n is not of that type. */
int node_get_bool(const struct node *, int *);
int node_get_int(const struct node *, long long *);
int node_get_float(const struct node *, double *);
/* Borrowed scalar text, or NULL for a non-scalar or null. */
const char *node_get_str(const struct node *);

/* Sequences: append takes ownership of the item. */
void node_seq_append(struct node *, struct node *);
/* Maps: set replaces an existing key in place or appends; takes ownership. */
void node_map_set(struct node *, const char *, struct node *);
/* Borrowed value for key, or NULL. */
struct node *node_map_get(const struct node *, const char *);
/* Removes and frees key; returns 0 if it was there, else -1. */
int node_map_delete(struct node *, const char *);
/* Follows a dotted path of map keys ("ssh.localPort"); borrowed or NULL. */
struct node *node_get_path(const struct node *, const char *);
/* Structural equality (scalars compare by resolved type and value). */
int node_equal(const struct node *, const struct node *);

/*
 * YAML.  node_from_yaml parses one document (an empty input gives a null
 * scalar); a second document, an alias or a duplicate key is an error.
 * On failure returns NULL and sets *cause to "FILE:LINE:COL: problem"
 * (the caller frees it).  node_from_yaml_all parses a stream of documents.
 */
struct node *node_from_yaml(const char *, size_t, const char *file,
    char **cause);
int node_from_yaml_all(const char *, size_t, const char *file,
    struct node ***docs, size_t *ndocs, char **cause);
/* Block-style YAML text (ends in "\n"), the caller's. */
char *node_to_yaml(const struct node *);

/*
 * JSON.  Output is compact unless indent > 0, in which case nested
 * values are indented by that many spaces.  Strings are UTF-8 validated.
 * NULL gives "null".  Map keys keep their order.
 */
char *node_to_json(const struct node *, int indent);
struct node *node_from_json(const char *, size_t, char **cause);

#endif
