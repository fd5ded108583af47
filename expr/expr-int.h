/* clima: what the files of expr/ share (jv conversions, program scan). */
/*
 * Only expr/ and its unit tests include this header: it pulls in libjq's
 * <jv.h>, whose values must not travel beyond expr/.
 */
#ifndef EXPR_EXPR_INT_H
#define EXPR_EXPR_INT_H

#include <jv.h>

struct node;

/*
 * node -> jv.  NULL is null; scalars are resolved with the YAML core
 * schema; map keys keep their order (jq objects iterate in insertion
 * order).  The jv is the caller's.
 */
jv expr_node_to_jv(const struct node *n);
/*
 * jv -> node; consumes v.  hint is the node v was computed from, or
 * NULL: a scalar that still equals its hint is copied from it, so 0x10,
 * 1.0, ~ and quoting survive a program that did not change them.
 * Integral numbers become ints; others floats.  The node is the caller's;
 * NULL when v is nested too deeply.
 */
struct node *expr_jv_to_node(jv v, const struct node *hint);
/* A jq error value as text (the caller's); consumes v. */
char *expr_jv_message(jv v);

/*
 * Scans a jq program the way jq's lexer would, without compiling it.
 * Fails with Lima's message when it calls something flags forbid
 * (system is refused always).  On success *prelude is NULL or a line of
 * jq definitions for the yq spellings the program uses (the caller's).
 */
int expr_scan(const char *prog, int flags, char **prelude, char **cause);

#endif
