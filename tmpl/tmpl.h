/* clima: template locators, the template search path and base embedding. */
/*
 * A locator names a template: template:NAME, a local path, file://,
 * http(s)://, github:, "-" for stdin, or a disk image file.  tmpl_read
 * fetches the bytes; tmpl_embed merges the base templates and inlines
 * provision/probe files, as Lima's limatmpl package does.
 */
#ifndef TMPL_TMPL_H
#define TMPL_TMPL_H

#include <stddef.h>

/* Largest template, script or embedded result we accept. */
#define TMPL_MAX_BYTES (4 * 1024 * 1024)

/* The ordered directories searched for template:NAME. */
struct tmpl_dirs {
	char **dirs;
	size_t ndirs;
};

struct tmpl {
	char *locator;  /* as Lima keeps it: abs path for files, template:X */
	char *location; /* what was read: abs file path, URL, or "-" */
	char *name;     /* instance name derived from the locator, or NULL */
	char *bytes;    /* NUL-terminated for convenience; len excludes it */
	size_t len;
	char **warnings; /* for the caller to print; freed by tmpl_free */
	size_t nwarnings;
};

/*
 * The search path: $LIMA_TEMPLATES_PATH (colon-separated) when set and
 * non-empty, otherwise lima_home/_templates (if lima_home is not NULL)
 * followed by share[0..nshare-1] (full template directories, e.g.
 * <prefix>/share/lima/templates, computed by the caller).  The caller
 * frees the result with tmpl_dirs_free.
 */
struct tmpl_dirs *tmpl_dirs_new(
    const char *lima_home, const char *const *share, size_t nshare);
/* Appends one directory (copied). */
void tmpl_dirs_add(struct tmpl_dirs *, const char *);
void tmpl_dirs_free(struct tmpl_dirs *);

/*
 * Every *.yaml below the search path as a sorted name without ".yaml"
 * ("default", "_images/ubuntu"); the first directory holding a name
 * wins.  Returns the array (the caller's, see tmpl_list_free) and its
 * length in *n; an empty list is a valid answer.
 */
char **tmpl_list(const struct tmpl_dirs *, size_t *n);
void tmpl_list_free(char **, size_t);
/* Path of template NAME (as for template:NAME), or NULL; the caller's. */
char *tmpl_find(const struct tmpl_dirs *, const char *name);

/*
 * Reads a template.  Returns NULL and sets *cause on failure, including
 * ``don't know how to interpret `x` as a template locator`` for an
 * unknown scheme.  The caller must still reject an empty result (len 0)
 * where a template is required, and a NULL name where one is needed
 * (tmpl_need_name).  dirs may be NULL when no template: lookup is wanted.
 */
struct tmpl *tmpl_read(
    const char *locator, const struct tmpl_dirs *, char **cause);
/* A template from bytes already in memory (copied); never fails. */
struct tmpl *tmpl_from_bytes(const char *locator, const char *, size_t);
void tmpl_free(struct tmpl *);

/* 0 if t->name is set, else -1 with the "can't determine..." cause. */
int tmpl_need_name(const struct tmpl *, char **cause);
/* Instance name from a YAML path/URL basename, or NULL if invalid. */
char *tmpl_name_from_path(const char *);
/* Instance name from a disk image file name (tags stripped). */
char *tmpl_name_from_image(const char *locator, const char *arch);
/* 1 if s is a valid instance name (Lima's identifier rule). */
int tmpl_valid_name(const char *);

/* Rewrites github:ORG[/REPO][/PATH][@BRANCH] to its raw URL (caller's). */
char *tmpl_github_url(const char *locator, char **cause);

/*
 * Makes relative base/provision/probe locators absolute, relative to
 * t->locator.  t->bytes is only rewritten when something changed.
 */
int tmpl_use_abs_locators(struct tmpl *, char **cause);

/*
 * Merges every base template into t and inlines provision/probe file:
 * references.  template: bases and files are embedded only when
 * embed_all; default_base prepends lima_home/_config/base.yaml when it
 * exists.  On success t->bytes holds the merged YAML, or the original
 * bytes untouched when there was nothing to do.  Returns -1 and sets
 * *cause on failure, leaving t as it was.
 */
int tmpl_embed(struct tmpl *, const struct tmpl_dirs *, int embed_all,
    int default_base, const char *lima_home, char **cause);

#endif
