/* clima: a subset of Go's text/template over struct node data. */
/*
 * Enough of text/template for `limactl list --format '{{...}}'` and the
 * lima.yaml "message": actions, trim markers, comments, pipelines,
 * variables, if/else if/range/with/break/continue and the functions
 * and/or/not/len/index/slice/print/printf/println/eq/ne/lt/le/gt/ge plus
 * Lima's json, yaml, indent and missing.  Errors read like Go's.
 */
#ifndef COMMON_GOTMPL_H
#define COMMON_GOTMPL_H

struct node;
struct gotmpl;

/*
 * Parses text as the template called name (Go's template.New(name)).
 * Returns NULL with *cause "template: NAME:LINE: ..." on failure.
 */
struct gotmpl *gotmpl_parse(const char *name, const char *text, char **cause);
/*
 * Executes t over data (borrowed).  Fields of data's top-level map are
 * looked up by exact key, then ignoring case (.Config.Cpus finds
 * "cpus").  When type_name is not NULL the top level behaves like a Go
 * struct of that type: an unknown field is an error naming the type; a
 * missing key elsewhere prints "<no value>".  On success *out is the
 * text (the caller's); else *cause is Go's "template: NAME:L:C: executing
 * ..." message.
 */
int gotmpl_exec(const struct gotmpl *t, const struct node *data,
    const char *type_name, char **out, char **cause);
/* NULL does nothing. */
void gotmpl_free(struct gotmpl *t);

#endif
