/* clima: helpers shared by node.c, node-yaml.c and node-json.c. */
/*
 * Not part of the public API: only the files implementing struct node
 * include this header.
 */
#ifndef COMMON_NODE_INT_H
#define COMMON_NODE_INT_H

/* Deepest nesting accepted from YAML or JSON input (bounds recursion). */
#define NODE_MAX_DEPTH 512

/* Scalar type of s as if it were an unquoted plain scalar. */
int node_plain_type(const char *);
/* Copy of s with invalid UTF-8 bytes replaced by U+FFFD; the caller's. */
char *node_utf8_fix(const char *);
/* 1 if s is valid UTF-8. */
int node_utf8_valid(const char *);

#endif
