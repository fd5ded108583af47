/* clima: jq expressions over struct node (--set, --yq, --filter, yq). */
/*
 * Programs are jq 1.6 (libjq) with a few yq v4 spellings added as jq
 * definitions; docs/expressions.md lists what differs from yq.  Every
 * function here returns 0 on success, or -1 with *cause set to a message
 * the caller frees; output parameters are written only on success.
 */
#ifndef EXPR_EXPR_H
#define EXPR_EXPR_H

#include <stddef.h>

struct node;
struct expr;

/*
 * EXPR_RESTRICTED is what Lima allows inside --set, --yq and --filter:
 * env, $ENV, strenv and friends fail with "env operations have been
 * disabled"; input, import, debug, stderr, halt and the like with "file
 * operations have been disabled".
 */
#define EXPR_RESTRICTED 0x1

/* Compiles prog once for many runs; the result is freed by expr_free. */
struct expr *expr_compile(const char *prog, int flags, char **cause);
/*
 * Runs e on in (NULL means null).  *out is a new array of new nodes, one
 * per output (free with expr_free_nodes); a run may have no output.
 */
int expr_run(struct expr *e, const struct node *in, struct node ***out,
    size_t *nout, char **cause);
/* Sets *match to 1 when running e on in gives at least one output. */
int expr_match(struct expr *e, const struct node *in, int *match, char **cause);
/* NULL does nothing. */
void expr_free(struct expr *e);
/* Frees n nodes and the array; NULL does nothing. */
void expr_free_nodes(struct node **nodes, size_t n);

/* expr_compile + expr_run + expr_free. */
int expr_eval(const char *prog, const struct node *in, int flags,
    struct node ***out, size_t *nout, char **cause);

/*
 * Applies --set expressions in order (restricted); each must give exactly
 * one document, which replaces *doc (the old tree is freed).
 */
int expr_apply(
    const char *const *exprs, size_t n, struct node **doc, char **cause);
/*
 * Parses YAML text, applies exprs and writes YAML to *out_yaml (the
 * caller's).  With n == 0 the text is returned unchanged.
 */
int expr_apply_yaml(const char *yaml, size_t len, const char *const *exprs,
    size_t n, char **out_yaml, char **cause);

/*
 * limactl list --filter: the filters become select(F1) | select(F2) ...
 * (restricted).  Compile once with expr_compile_filter and call
 * expr_match per instance; *match is 1 only when every filter selects it.
 * expr_filter does both for one input.
 */
struct expr *expr_compile_filter(
    const char *const *filters, size_t n, char **cause);
int expr_filter(const char *const *filters, size_t n, const struct node *in,
    int *match, char **cause);

#endif
