/* clima: helpers shared by the tmpl/ files. */
/*
 * Not part of the public API.  Paths follow Go's path.Clean rules so
 * that the absolute locators we write match the ones Lima writes.
 */
#ifndef TMPL_TMPL_INT_H
#define TMPL_TMPL_INT_H

#include <stddef.h>

#include "common/log.h"

struct node;
struct tmpl;

/* Longest URL scheme we look at ("template", "github", ...). */
#define TMPL_SCHEME_MAX 32

/* tmpl-fetch.c: each reads at most TMPL_MAX_BYTES, NUL-terminated. */
int tmpl_fetch_path(const char *, char **, size_t *, char **);
int tmpl_fetch_fd(int, const char *, char **, size_t *, char **);
int tmpl_fetch_url(const char *, char **, size_t *, char **);

/* tmpl-path.c */
/* Length of s's URL scheme (letters first, ":" follows) or 0. */
size_t tmpl_scheme_len(const char *);
/* 1 if s has scheme (case-insensitive) name. */
int tmpl_has_scheme(const char *, const char *);
/* Go's path.Clean, the caller's. */
char *tmpl_path_clean(const char *);
/* Clean(a + "/" + b), ignoring empty parts, the caller's. */
char *tmpl_path_join(const char *, const char *);
/* Directory part ("." when there is none), the caller's. */
char *tmpl_path_dir(const char *);
/* Pointer into s after its last "/". */
const char *tmpl_path_base(const char *);
/* Absolute, cleaned form of a local path, the caller's. */
char *tmpl_path_abs(const char *, char **);
/* The directory a template's relative locators are resolved against. */
char *tmpl_base_path(const char *, char **);
/* locator made absolute relative to base (see UseAbsLocators). */
char *tmpl_abs_locator(const char *, const char *, char **);
/* The Lima architecture name of this host ("x86_64", "aarch64"...). */
const char *tmpl_host_arch(void);
/* Compares two semantic versions; -1 if either does not parse. */
int tmpl_semver_cmp(const char *, const char *, int *);

/* tmpl-store.c: NAME's file name, ".yaml" appended when needed. */
char *tmpl_template_file(const char *);

/* tmpl-read.c */
void tmpl_warn(struct tmpl *, const char *, ...) CLIMA_PRINTF(2, 3);
/* Moves src's warnings to the end of dst's. */
void tmpl_warn_move(struct tmpl *, struct tmpl *);
/* 1 if s is a template: locator. */
int tmpl_is_template(const char *);

/* tmpl-image.c */
int tmpl_image_locator(const char *);
int tmpl_read_image(struct tmpl *, const char *, char **);

/* tmpl-abs.c: rewrites the locators in doc; 1 if something changed. */
int tmpl_abs_doc(struct node *, const char *, char **);
/* The locator string of a base/file entry (string or {url}), borrowed. */
const char *tmpl_entry_url(const struct node *);

/* tmpl-combine.c: combineListEntries on doc; 1 if something changed. */
int tmpl_combine(struct node *);

#endif
