/* clima: the template search path, template:NAME lookup and listing. */
/*
 * template:NAME is looked up in $LIMA_TEMPLATES_PATH, or else in
 * $LIMA_HOME/_templates and then the share directories the CLI found
 * next to the executable.  The first directory holding a file wins,
 * both for lookups and for `limactl create --list-templates`.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* Directory levels walked below each search directory. */
#define TMPL_LIST_MAX_DEPTH 16
/* Names listed at most (a runaway tree is cut off, not an error). */
#define TMPL_LIST_MAX_NAMES 100000

/* Adds a copy of dir to the end of the search path. */
void
tmpl_dirs_add(struct tmpl_dirs *d, const char *dir)
{
	d->dirs = xreallocarray(d->dirs, d->ndirs + 1, sizeof *d->dirs);
	d->dirs[d->ndirs++] = xstrdup(dir);
}

/* The search path for template:NAME (see tmpl.h). */
struct tmpl_dirs *
tmpl_dirs_new(const char *lima_home, const char *const *share, size_t nshare)
{
	struct tmpl_dirs *d;
	const char *env, *p, *e;
	char *one;
	size_t i;

	d = xcalloc(1, sizeof *d);
	env = getenv("LIMA_TEMPLATES_PATH");
	if (env != NULL && *env != '\0') {
		for (p = env; *p != '\0'; p = *e == ':' ? e + 1 : e) {
			e = p + strcspn(p, ":");
			if (e == p)
				continue;
			one = xstrndup(p, e - p);
			tmpl_dirs_add(d, one);
			free(one);
		}
		return d;
	}
	if (lima_home != NULL) {
		one = xstrprintf("%s/_templates", lima_home);
		tmpl_dirs_add(d, one);
		free(one);
	}
	for (i = 0; i < nshare; i++)
		tmpl_dirs_add(d, share[i]);
	return d;
}

/* Frees the search path; NULL does nothing. */
void
tmpl_dirs_free(struct tmpl_dirs *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ndirs; i++)
		free(d->dirs[i]);
	free(d->dirs);
	free(d);
}

/*
 * The file name for template NAME: ".yaml" is appended unless NAME has
 * an extension that does not start with a digit ("ubuntu-24.04" is a
 * name, "x.yml" a file).
 */
char *
tmpl_template_file(const char *name)
{
	const char *dot = strrchr(tmpl_path_base(name), '.');

	if (dot == NULL || dot[1] == '\0' || isdigit((unsigned char)dot[1]))
		return xstrprintf("%s.yaml", name);
	return xstrdup(name);
}

/* Path of template NAME in the search path, or NULL. */
char *
tmpl_find(const struct tmpl_dirs *d, const char *name)
{
	struct stat sb;
	char *file, *path;
	size_t i;

	if (d == NULL || strstr(name, "..") != NULL)
		return NULL;
	file = tmpl_template_file(name);
	for (i = 0; i < d->ndirs; i++) {
		path = xstrprintf("%s/%s", d->dirs[i], file);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			log_debug("%s: %s -> %s", __func__, name, path);
			free(file);
			return path;
		}
		free(path);
	}
	free(file);
	return NULL;
}

struct tmpl_names {
	char **v;
	size_t n;
};

static int
tmpl_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the *.yaml files under dir/rel (rel is "" at the top). */
static void
tmpl_list_walk(
    struct tmpl_names *names, const char *dir, const char *rel, int depth)
{
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	char *path, *sub;
	size_t len;

	if (depth > TMPL_LIST_MAX_DEPTH)
		return;
	path = *rel == '\0' ? xstrdup(dir) : xstrprintf("%s/%s", dir, rel);
	dp = opendir(path);
	free(path);
	if (dp == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || names->n >= TMPL_LIST_MAX_NAMES)
			continue;
		sub = *rel == '\0' ? xstrdup(de->d_name)
				   : xstrprintf("%s/%s", rel, de->d_name);
		path = xstrprintf("%s/%s", dir, sub);
		/* like Go's WalkDir: symlinked directories are not entered */
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			tmpl_list_walk(names, dir, sub, depth + 1);
			goto next;
		}
		len = strlen(sub);
		if (len <= 5 || strcmp(sub + len - 5, ".yaml") != 0)
			goto next;
		names->v =
		    xreallocarray(names->v, names->n + 1, sizeof *names->v);
		names->v[names->n++] = xstrndup(sub, len - 5);
next:
		free(path);
		free(sub);
	}
	closedir(dp);
}

/* Sorted template names, duplicates (later directories) removed. */
char **
tmpl_list(const struct tmpl_dirs *d, size_t *n)
{
	struct tmpl_names names = { NULL, 0 };
	size_t i, j;

	for (i = 0; d != NULL && i < d->ndirs; i++)
		tmpl_list_walk(&names, d->dirs[i], "", 0);
	if (names.n > 1) {
		/* stable for our purpose: equal names are identical text */
		qsort(names.v, names.n, sizeof *names.v, tmpl_name_cmp);
		for (i = 1, j = 1; i < names.n; i++) {
			if (strcmp(names.v[i], names.v[j - 1]) == 0)
				free(names.v[i]);
			else
				names.v[j++] = names.v[i];
		}
		names.n = j;
	}
	*n = names.n;
	return names.v;
}

/* Frees a tmpl_list result. */
void
tmpl_list_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
