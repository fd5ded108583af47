/* clima: what the files of the Go text/template engine share. */
/*
 * gotmpl-lex.c turns the text into items, gotmpl.c parses them into a
 * tree of struct gt_node, gotmpl-exec.c walks the tree over struct node
 * data, gotmpl-func.c holds the functions and gotmpl-fmt.c prints values
 * the way Go's fmt does.
 */
#ifndef COMMON_GOTMPL_INT_H
#define COMMON_GOTMPL_INT_H

#include <stdarg.h>
#include <stddef.h>

struct node;

/* A growing string; p is NUL-terminated once anything was added. */
struct gt_buf {
	char *p;
	size_t len;
	size_t size;
};
void gt_buf_add(struct gt_buf *, const char *, size_t);
void gt_buf_adds(struct gt_buf *, const char *);
void gt_buf_addf(struct gt_buf *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));
/* Returns the string (the caller's; "" when empty) and resets b. */
char *gt_buf_take(struct gt_buf *);

enum gt_itype {
	GT_I_ERROR,
	GT_I_EOF,
	GT_I_TEXT,
	GT_I_LDELIM,
	GT_I_RDELIM,
	GT_I_SPACE,
	GT_I_FIELD,
	GT_I_VAR,
	GT_I_IDENT,
	GT_I_STRING,
	GT_I_RAWSTRING,
	GT_I_CHARCONST,
	GT_I_CHAR, /* other punctuation */
	GT_I_NUMBER,
	GT_I_BOOL,
	GT_I_PIPE,
	GT_I_DECLARE,
	GT_I_ASSIGN,
	GT_I_LPAREN,
	GT_I_RPAREN,
	GT_I_KEYWORD, /* everything below prints as <word> */
	GT_I_BLOCK,
	GT_I_BREAK,
	GT_I_CONTINUE,
	GT_I_DOT,
	GT_I_DEFINE,
	GT_I_ELSE,
	GT_I_END,
	GT_I_IF,
	GT_I_NIL,
	GT_I_RANGE,
	GT_I_TEMPLATE,
	GT_I_WITH
};

struct gt_item {
	enum gt_itype type;
	int pos;
	int len;
	int line;
	char *msg; /* ERROR */
};

/*
 * Lexes text into *items (the caller's, with each msg), ending in an EOF
 * item or at the first error item.
 */
void gt_lex(const char *text, struct gt_item **items, size_t *nitems);
/* Go's %q of n bytes of s (the caller's). */
char *gt_quote_n(const char *s, size_t n);
/*
 * One character of a Go literal at *s (strconv.UnquoteChar), appended
 * to b as UTF-8 and returned in *rune; -1 on a bad escape.
 */
int gt_unquote_char(const char **s, const char *end, int quote,
    struct gt_buf *b, unsigned long *rune);
/* strconv.Unquote of a "..." or `...` literal; *text is the caller's. */
int gt_unquote(const char *s, size_t len, char **text, size_t *textlen);

enum gt_ntype {
	GT_N_LIST,
	GT_N_TEXT,
	GT_N_ACTION,
	GT_N_IF,
	GT_N_RANGE,
	GT_N_WITH,
	GT_N_BREAK,
	GT_N_CONTINUE,
	GT_N_ELSE, /* only while parsing */
	GT_N_END,  /* only while parsing */
	GT_N_PIPE,
	GT_N_CMD,
	GT_N_FIELD, /* .A.B */
	GT_N_VAR,   /* $x.A */
	GT_N_CHAIN, /* (pipe).A, or a literal followed by fields */
	GT_N_DOT,
	GT_N_NIL,
	GT_N_BOOL,
	GT_N_NUMBER,
	GT_N_STRING,
	GT_N_IDENT /* a function name */
};

struct gt_node {
	enum gt_ntype type;
	int pos;      /* byte offset in the template text */
	char *text;   /* TEXT: the text; STRING: the unquoted value */
	size_t len;   /* of text */
	char *raw;    /* FIELD, VAR, NUMBER, STRING, IDENT: as written */
	int is_float; /* NUMBER */
	long long i;
	double f;
	int b;         /* BOOL */
	char **idents; /* FIELD and VAR (with "$x" first), CHAIN: field names */
	size_t nidents;
	struct gt_node
	    *sub; /* CHAIN: the term; ACTION, IF, RANGE, WITH: pipe */
	struct gt_node **kids; /* LIST: nodes; PIPE: commands; CMD: args */
	size_t nkids;
	struct gt_node **decls; /* PIPE: variables declared or assigned */
	size_t ndecls;
	int is_assign;
	struct gt_node *list; /* IF, RANGE, WITH */
	struct gt_node *else_list;
};

struct gotmpl {
	char *name;
	char *text;
	struct gt_node *root;
	struct gt_node **all; /* every node, so a failed parse frees them */
	size_t nall;
};

/* Appends Go's String() of a node (the "at <...>" context of errors). */
void gt_node_string(struct gt_buf *, const struct gt_node *);
/* Line (1-based) and column (0-based byte) of pos, as Go reports them. */
void gt_position(const struct gotmpl *, int pos, int *line, int *col);

/* Values during execution.  Strings and nodes are borrowed. */
enum gt_vkind {
	GT_V_MISSING, /* Go's invalid reflect.Value: prints <no value> */
	GT_V_NIL,     /* a nil interface{} held by a map or a slice */
	GT_V_BOOL,
	GT_V_INT,
	GT_V_FLOAT,
	GT_V_STRING,
	GT_V_MAP, /* n */
	GT_V_SEQ  /* n */
};

struct gt_value {
	enum gt_vkind kind;
	int root; /* the data itself: a struct when a type name was given */
	int b;
	long long i;
	double f;
	const char *s;
	const struct node *n;
};

struct gt_state;

/* Takes s (or n) into the execution's arena, freed when it ends. */
const char *gt_state_keep(struct gt_state *, char *s);
const struct node *gt_state_keep_node(struct gt_state *, struct node *n);
/* Go's type name of v, for messages. */
const char *gt_type_name(struct gt_state *, const struct gt_value *);
/* A node as a value (NULL is missing). */
struct gt_value gt_from_node(const struct node *);
/* Go's truth: non-zero, non-empty. */
int gt_truth(const struct gt_value *);
/* A map's pairs sorted by key, as fmt and range see them; free the array. */
const struct node_pair **gt_sorted_pairs(const struct node *);
/* fmt's %v of a value (nested nils print as <nil>). */
void gt_fmt_value(struct gt_buf *, const struct gt_value *);
/* Go's %v of a float64: shortest digits, %e from 1e6 or below 1e-4. */
void gt_fmt_float(struct gt_buf *, double);

/* A function: 0 on success, or -1 with *err set (an xasprintf'd string). */
typedef int (*gt_func_cb)(
    struct gt_state *, struct gt_value *, int, struct gt_value *, char **);
struct gt_func {
	const char *name;
	int min_args;
	int max_args; /* -1: variadic */
	gt_func_cb fn;
};
/* Sets *out to the string s, which the execution's arena takes. */
void gt_ret_string(struct gt_state *, struct gt_value *, char *s);
/* print, println and printf (gotmpl-fmt.c). */
int gt_fn_print(
    struct gt_state *, struct gt_value *, int, struct gt_value *, char **);
int gt_fn_println(
    struct gt_state *, struct gt_value *, int, struct gt_value *, char **);
int gt_fn_printf(
    struct gt_state *, struct gt_value *, int, struct gt_value *, char **);
/* NULL when name is not a function ("and" and "or" are special). */
const struct gt_func *gt_func_find(const char *);

#endif
