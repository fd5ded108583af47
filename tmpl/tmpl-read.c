/* clima: reading a template from any kind of locator. */
/*
 * tmpl_read decides what a locator is (stdin, disk image, template:,
 * http(s), file://, github:, local path), fetches the bytes and derives
 * the default instance name, as Lima's limatmpl.Read does.  Warnings go
 * into the struct for the caller to print.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* Longest instance name (Lima's identifiers.Validate). */
#define TMPL_NAME_MAX 76
/* The file a github: locator names when it names only a repository. */
#define TMPL_GITHUB_DEFAULT_FILE ".lima.yaml"
#define TMPL_GITHUB_RAW          "https://raw.githubusercontent.com"

/* Appends a warning for the caller; also logged at debug level. */
void
tmpl_warn(struct tmpl *t, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_debug("%s: %s", __func__, msg);
	t->warnings =
	    xreallocarray(t->warnings, t->nwarnings + 1, sizeof *t->warnings);
	t->warnings[t->nwarnings++] = msg;
}

/* Moves every warning of src to the end of dst's list. */
void
tmpl_warn_move(struct tmpl *dst, struct tmpl *src)
{
	size_t i;

	if (src->nwarnings == 0)
		return;
	dst->warnings = xreallocarray(dst->warnings,
	    dst->nwarnings + src->nwarnings, sizeof *dst->warnings);
	for (i = 0; i < src->nwarnings; i++)
		dst->warnings[dst->nwarnings++] = src->warnings[i];
	free(src->warnings);
	src->warnings = NULL;
	src->nwarnings = 0;
}

/* 1 if s is a template: (or template://) locator. */
int
tmpl_is_template(const char *s)
{
	return tmpl_has_scheme(s, "template");
}

/* Frees a template; NULL does nothing. */
void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	free(t->locator);
	free(t->location);
	free(t->name);
	free(t->bytes);
	for (i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	free(t);
}

/* A template holding a copy of buf; locator NULL means stdin. */
struct tmpl *
tmpl_from_bytes(const char *locator, const char *buf, size_t len)
{
	struct tmpl *t;

	t = xcalloc(1, sizeof *t);
	t->locator = xstrdup(locator != NULL ? locator : "-");
	t->location = xstrdup(t->locator);
	t->bytes = xmalloc(len + 1);
	if (len != 0)
		memcpy(t->bytes, buf, len);
	t->bytes[len] = '\0';
	t->len = len;
	return t;
}

/* Lima's identifier rule for instance names. */
int
tmpl_valid_name(const char *s)
{
	size_t len = strlen(s), i;
	int prev_sep = 1;

	if (len == 0 || len > TMPL_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (isalnum((unsigned char)s[i])) {
			prev_sep = 0;
			continue;
		}
		if (strchr("._-", s[i]) == NULL || prev_sep)
			return 0;
		prev_sep = 1;
	}
	if (prev_sep)
		return 0;
	if ((len >= 4 && strcasecmp(s + len - 4, ".yml") == 0) ||
	    (len >= 5 && strcasecmp(s + len - 5, ".yaml") == 0))
		return 0;
	return 1;
}

static void
tmpl_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = tolower((unsigned char)*s);
}

/* Removes suffix from s if it is there; 1 if it was. */
static int
tmpl_trim_suffix(char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n < m || strcmp(s + n - m, suffix) != 0)
		return 0;
	s[n - m] = '\0';
	return 1;
}

/* Instance name from a path: basename, lowercased, minus .yml/.yaml. */
char *
tmpl_name_from_path(const char *path)
{
	char *s;

	s = xstrdup(tmpl_path_base(path));
	tmpl_lower(s);
	tmpl_trim_suffix(s, ".yml");
	tmpl_trim_suffix(s, ".yaml");
	if (!tmpl_valid_name(s)) {
		free(s);
		return NULL;
	}
	return s;
}

/* The path part of an URL ("/a/b.yaml" in https://h/a/b.yaml?x). */
static char *
tmpl_url_path(const char *url)
{
	const char *p = url + tmpl_scheme_len(url) + 1;

	if (strncmp(p, "//", 2) == 0) {
		p += 2;
		p += strcspn(p, "/?#");
	}
	return xstrndup(p, strcspn(p, "?#"));
}

/* Instance name from the basename of an URL's path, or NULL. */
static char *
tmpl_name_from_url(const char *url)
{
	char *path, *name;

	path = tmpl_url_path(url);
	name = tmpl_name_from_path(path);
	free(path);
	return name;
}

/* 0 if t->name is set; otherwise the CLI's error. */
int
tmpl_need_name(const struct tmpl *t, char **cause)
{
	if (t->name != NULL)
		return 0;
	xasprintf(cause,
	    "can't determine instance name from template "
	    "locator `%s`",
	    t->locator);
	return -1;
}

/* template:NAME and the deprecated template://NAME. */
static int
tmpl_read_template(struct tmpl *t, const char *locator,
    const struct tmpl_dirs *dirs, char **cause)
{
	const char *name = locator + strlen("template:");
	char *file = NULL, *path = NULL;
	int ret = -1;

	if (strncmp(name, "//", 2) == 0) {
		name += 2;
		free(t->locator);
		t->locator = xstrprintf("template:%s", name);
		tmpl_warn(t,
		    "Template locator `%s` should be written `%s` "
		    "since Lima v2.0",
		    locator, t->locator);
	}
	if (strstr(name, "..") != NULL) {
		xasprintf(
		    cause, "template name `%s` must not contain `..`", name);
		goto out;
	}
	file = tmpl_template_file(name);
	if ((path = tmpl_find(dirs, name)) == NULL) {
		xasprintf(cause, "template `%s` not found", file);
		goto out;
	}
	if (tmpl_fetch_path(path, &t->bytes, &t->len, cause) != 0)
		goto out;
	t->location = path;
	path = NULL;
	t->name = tmpl_name_from_path(name);
	ret = 0;
out:
	free(file);
	free(path);
	return ret;
}

/* github:ORG[/REPO][/PATH][@BRANCH]: its pieces, all the caller's. */
static int
tmpl_github_split(
    const char *locator, char **repo, char **branch, char **path, char **cause)
{
	const char *in = locator + strlen("github:"), *at;
	char *spec, *org, *rest, *name, *p, *tmp;

	at = strchr(in, '@');
	spec = at != NULL ? xstrndup(in, at - in) : xstrdup(in);
	org = spec;
	if ((rest = strchr(org, '/')) != NULL)
		*rest++ = '\0';
	if (*org == '\0') {
		xasprintf(cause,
		    "github: URL must contain at least an ORG, "
		    "got `%s`",
		    in);
		free(spec);
		return -1;
	}
	name = rest;
	if (rest != NULL && (rest = strchr(rest, '/')) != NULL)
		*rest++ = '\0';
	/* REPO defaults to ORG, also for github:ORG//PATH */
	*repo = xstrprintf(
	    "%s/%s", org, name != NULL && *name != '\0' ? name : org);
	if (rest == NULL || *rest == '\0')
		p = xstrdup(TMPL_GITHUB_DEFAULT_FILE);
	else {
		p = xstrdup(rest);
		if (p[strlen(p) - 1] == '/') {
			tmp = p;
			p = xstrprintf("%s%s", tmp, TMPL_GITHUB_DEFAULT_FILE);
			free(tmp);
		}
		/* no extension (a leading dot does not count): add .yaml */
		if (strchr(tmpl_path_base(p) + 1, '.') == NULL) {
			tmp = p;
			p = xstrprintf("%s.yaml", tmp);
			free(tmp);
		}
	}
	*branch = xstrdup(at != NULL && at[1] != '\0' ? at + 1 : "HEAD");
	*path = p;
	free(spec);
	return 0;
}

/* The raw.githubusercontent.com URL for a github: locator. */
char *
tmpl_github_url(const char *locator, char **cause)
{
	char *repo, *branch, *path, *url;

	if (tmpl_github_split(locator, &repo, &branch, &path, cause) != 0)
		return NULL;
	xasprintf(&url, "%s/%s/%s/%s", TMPL_GITHUB_RAW, repo, branch, path);
	free(repo);
	free(branch);
	free(path);
	return url;
}

/*
 * github: locators; a .lima.yaml holding one word (no newline, space or
 * colon) is a symlink to the file it names, relative to its directory.
 */
static int
tmpl_read_github(struct tmpl *t, const char *locator, char **cause)
{
	char *repo = NULL, *branch = NULL, *path = NULL, *url = NULL;
	char *dir = NULL, *target = NULL;
	int ret = -1;

	tmpl_warn(t, "The github: scheme is still EXPERIMENTAL");
	if (tmpl_github_split(locator, &repo, &branch, &path, cause) != 0)
		goto out;
	xasprintf(&url, "%s/%s/%s/%s", TMPL_GITHUB_RAW, repo, branch, path);
	if (tmpl_fetch_url(url, &t->bytes, &t->len, cause) != 0)
		goto out;
	if (strcmp(tmpl_path_base(path), TMPL_GITHUB_DEFAULT_FILE) == 0 &&
	    t->len != 0 && strpbrk(t->bytes, "\n :") == NULL) {
		dir = tmpl_path_dir(path);
		target = tmpl_path_join(dir, t->bytes);
		free(url);
		xasprintf(
		    &url, "%s/%s/%s/%s", TMPL_GITHUB_RAW, repo, branch, target);
		free(t->bytes);
		t->bytes = NULL;
		if (tmpl_fetch_url(url, &t->bytes, &t->len, cause) != 0)
			goto out;
	}
	if (strcmp(tmpl_path_base(path), TMPL_GITHUB_DEFAULT_FILE) == 0)
		t->name = tmpl_name_from_path(tmpl_path_base(repo));
	else
		t->name = tmpl_name_from_url(url);
	/* relative locators inside resolve against the raw URL */
	free(t->locator);
	t->locator = xstrdup(url);
	t->location = url;
	url = NULL;
	ret = 0;
out:
	free(repo);
	free(branch);
	free(path);
	free(url);
	free(dir);
	free(target);
	return ret;
}

/* Reads a template; see tmpl.h. */
struct tmpl *
tmpl_read(const char *locator, const struct tmpl_dirs *dirs, char **cause)
{
	struct tmpl *t;
	size_t n;
	int ret = -1;

	t = xcalloc(1, sizeof *t);
	t->locator = xstrdup(locator);
	log_debug("%s: %s", __func__, locator);

	if (strcmp(locator, "-") == 0) {
		t->location = xstrdup("-");
		ret = tmpl_fetch_fd(0, "stdin", &t->bytes, &t->len, cause);
		goto out;
	}
	if (tmpl_image_locator(locator)) {
		ret = tmpl_read_image(t, locator, cause);
		goto out;
	}
	n = tmpl_scheme_len(locator);
	if (n > 1) {
		if (tmpl_is_template(locator))
			ret = tmpl_read_template(t, locator, dirs, cause);
		else if (tmpl_has_scheme(locator, "http") ||
		    tmpl_has_scheme(locator, "https")) {
			t->location = xstrdup(locator);
			t->name = tmpl_name_from_url(locator);
			ret =
			    tmpl_fetch_url(locator, &t->bytes, &t->len, cause);
		} else if (tmpl_has_scheme(locator, "file")) {
			t->location = xstrdup(locator +
			    (strncmp(locator + 5, "//", 2) == 0 ? 7 : 5));
			if (*t->location != '/') {
				xasprintf(cause,
				    "file URL `%s` is not an "
				    "absolute path",
				    locator);
				goto out;
			}
			t->name = tmpl_name_from_path(t->location);
			ret = tmpl_fetch_path(
			    t->location, &t->bytes, &t->len, cause);
		} else if (tmpl_has_scheme(locator, "github"))
			ret = tmpl_read_github(t, locator, cause);
		else
			xasprintf(cause,
			    "don't know how to interpret `%s` as "
			    "a template locator",
			    locator);
		goto out;
	}

	/* anything else is a local file */
	t->name = tmpl_name_from_path(locator);
	free(t->locator);
	if ((t->locator = tmpl_path_abs(locator, cause)) == NULL)
		goto out;
	t->location = xstrdup(t->locator);
	ret = tmpl_fetch_path(t->location, &t->bytes, &t->len, cause);
out:
	if (ret != 0) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}
