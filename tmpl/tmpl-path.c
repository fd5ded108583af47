/* clima: path, URL-scheme and version helpers for templates. */
/*
 * Lima builds absolute locators with Go's path and net/url packages;
 * the functions here give the same strings (Clean, Join, Dir) so that
 * a template embedded by clima reads the same as one embedded by Lima.
 */
#include "config.h"

#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "compat/compat.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* Length of the scheme of s ("template" in "template:x"), or 0. */
size_t
tmpl_scheme_len(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0' && s[i] != ':'; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("+-.", s[i]) == NULL)
			return 0;
	}
	if (s[i] != ':')
		return 0;
	return i;
}

/* 1 if s starts with "name:" (scheme compared case-insensitively). */
int
tmpl_has_scheme(const char *s, const char *name)
{
	size_t n = tmpl_scheme_len(s);

	return n != 0 && n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* Go's path.Clean: the shortest equivalent of a slash-separated path. */
char *
tmpl_path_clean(const char *s)
{
	const char **elem;
	size_t *elen, n = 0, i, len;
	const char *p, *e;
	char *out, *w;
	int rooted = *s == '/';

	len = strlen(s);
	elem = xreallocarray(NULL, len / 2 + 1, sizeof *elem);
	elen = xreallocarray(NULL, len / 2 + 1, sizeof *elen);
	for (p = s; *p != '\0'; p = e) {
		while (*p == '/')
			p++;
		for (e = p; *e != '\0' && *e != '/'; e++)
			/* nothing */;
		if (e == p || (e - p == 1 && p[0] == '.'))
			continue;
		if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0 &&
			    !(elen[n - 1] == 2 &&
				strncmp(elem[n - 1], "..", 2) == 0)) {
				n--;
				continue;
			}
			if (rooted)
				continue;
		}
		elem[n] = p;
		elen[n++] = e - p;
	}
	out = w = xmalloc(len + 2);
	if (rooted)
		*w++ = '/';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*w++ = '/';
		memcpy(w, elem[i], elen[i]);
		w += elen[i];
	}
	if (w == out)
		*w++ = '.';
	*w = '\0';
	free(elem);
	free(elen);
	return out;
}

/* Clean(a + "/" + b); an empty a or b is left out. */
char *
tmpl_path_join(const char *a, const char *b)
{
	char *tmp, *out;

	if (*a == '\0')
		return *b == '\0' ? xstrdup("") : tmpl_path_clean(b);
	if (*b == '\0')
		return tmpl_path_clean(a);
	xasprintf(&tmp, "%s/%s", a, b);
	out = tmpl_path_clean(tmp);
	free(tmp);
	return out;
}

/* Go's path.Dir. */
char *
tmpl_path_dir(const char *s)
{
	const char *slash = strrchr(s, '/');
	char *tmp, *out;

	if (slash == NULL)
		return xstrdup(".");
	tmp = xstrndup(s, slash - s + 1);
	out = tmpl_path_clean(tmp);
	free(tmp);
	return out;
}

/* The part of s after its last slash. */
const char *
tmpl_path_base(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash != NULL ? slash + 1 : s;
}

/* Go's filepath.Abs: join with the working directory, then Clean. */
char *
tmpl_path_abs(const char *s, char **cause)
{
	char cwd[PATH_MAX];

	if (*s == '/')
		return tmpl_path_clean(s);
	if (getcwd(cwd, sizeof cwd) == NULL) {
		xasprintf(cause, "getcwd: %s", strerror(errno));
		return NULL;
	}
	return tmpl_path_join(cwd, s);
}

/* "~" and "~/x" to $HOME; anything else copied. */
static char *
tmpl_path_tilde(const char *s, char **cause)
{
	const char *home;

	if (s[0] != '~' || (s[1] != '\0' && s[1] != '/'))
		return xstrdup(s);
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		xasprintf(cause, "cannot expand `%s`: HOME is not set", s);
		return NULL;
	}
	return xstrprintf("%s%s", home, s + 1);
}

/* Strips a trailing "." left by Dir of a single element. */
static char *
tmpl_trim_dot(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

/*
 * The directory against which a template's relative locators resolve:
 * "template:_images" for template:_images/ubuntu, "https://h/dir" for
 * https://h/dir/x.yaml, the absolute directory for a file path.
 */
char *
tmpl_base_path(const char *locator, char **cause)
{
	size_t n = tmpl_scheme_len(locator), i;
	const char *rest;
	char *scheme = NULL, *hp = NULL, *dir = NULL, *out = NULL;

	if (n < 2) {
		if (strcmp(locator, "-") == 0)
			return xstrdup("-");
		if ((dir = tmpl_path_dir(locator)) == NULL)
			return NULL;
		out = tmpl_path_abs(dir, cause);
		free(dir);
		return out;
	}
	scheme = xstrndup(locator, n);
	for (i = 0; i < n; i++)
		scheme[i] = tolower((unsigned char)scheme[i]);
	rest = locator + n + 1;
	if (*rest != '/') {
		/* opaque: template:NAME, github:ORG/REPO */
		hp = xstrndup(rest, strcspn(rest, "?#"));
		dir = tmpl_trim_dot(tmpl_path_dir(hp));
		xasprintf(&out, "%s:%s", scheme, dir);
		goto out;
	}
	if (strncmp(rest, "//", 2) == 0)
		rest += 2;
	/* host + path, without query or fragment */
	hp = xstrndup(rest, strcspn(rest, "?#"));
	dir = tmpl_path_clean(hp);
	free(hp);
	hp = dir;
	dir = tmpl_trim_dot(tmpl_path_dir(hp));
	xasprintf(&out, "%s://%s", scheme, dir);
out:
	free(scheme);
	free(hp);
	free(dir);
	return out;
}

/* Joins a relative path onto an URL with a host ("https://h/dir"). */
static char *
tmpl_url_join(const char *base, size_t n, const char *rel)
{
	const char *rest = base + n + 1, *path;
	char *joined, *out, *tmp;
	size_t hostlen;

	if (strncmp(rest, "//", 2) == 0)
		rest += 2;
	hostlen = strcspn(rest, "/");
	path = rest + hostlen;
	tmp = xstrprintf("%s/%s", *path != '\0' ? path : "/", rel);
	joined = tmpl_path_clean(tmp);
	free(tmp);
	if (rel[strlen(rel) - 1] == '/' && strcmp(joined, "/") != 0) {
		tmp = joined;
		joined = xstrprintf("%s/", tmp);
		free(tmp);
	}
	xasprintf(
	    &out, "%.*s://%.*s%s", (int)n, base, (int)hostlen, rest, joined);
	free(joined);
	return out;
}

/*
 * Lima's absPath: a locator with a scheme is kept, "~" is expanded, a
 * relative path is joined onto base (a directory or a scheme prefix as
 * made by tmpl_base_path); "../" is refused.
 */
char *
tmpl_abs_locator(const char *locator, const char *base, char **cause)
{
	size_t n;
	char *loc = NULL, *out = NULL;
	const char *rest;

	if (*locator == '\0') {
		*cause = xstrdup("locator is empty");
		return NULL;
	}
	if (tmpl_scheme_len(locator) > 1)
		return xstrdup(locator);
	if ((loc = tmpl_path_tilde(locator, cause)) == NULL)
		return NULL;
	if (*loc == '/') {
		out = tmpl_path_clean(loc);
		goto out;
	}
	if (*base == '\0') {
		*cause = xstrdup("basePath is empty");
		goto out;
	}
	if (strcmp(base, "-") == 0) {
		*cause = xstrdup("can't use relative paths when reading "
				 "template from STDIN");
		goto out;
	}
	if (strstr(loc, "../") != NULL) {
		xasprintf(cause,
		    "relative locator path `%s` must not contain "
		    "'..' path segments",
		    loc);
		goto out;
	}
	n = tmpl_scheme_len(base);
	if (n > 1) {
		rest = base + n + 1;
		if (*rest != '/' || tmpl_has_scheme(base, "template")) {
			char *j = tmpl_path_join(rest, loc);

			xasprintf(&out, "%.*s:%s", (int)n, base, j);
			free(j);
		} else
			out = tmpl_url_join(base, n, loc);
		goto out;
	}
	out = tmpl_path_join(base, loc);
out:
	free(loc);
	return out;
}

/* Lima's name for the host architecture. */
const char *
tmpl_host_arch(void)
{
	static char arch[65];
	struct utsname u;

	if (arch[0] != '\0')
		return arch;
	if (uname(&u) != 0)
		strlcpy(u.machine, "x86_64", sizeof u.machine);
	if (strcmp(u.machine, "amd64") == 0)
		strlcpy(arch, "x86_64", sizeof arch);
	else if (strcmp(u.machine, "arm64") == 0)
		strlcpy(arch, "aarch64", sizeof arch);
	else if (strncmp(u.machine, "armv7", 5) == 0)
		strlcpy(arch, "armv7l", sizeof arch);
	else
		strlcpy(arch, u.machine, sizeof arch);
	return arch;
}

/* Parses [v]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]; PRE is borrowed. */
static int
tmpl_semver_parse(
    const char *s, long long v[3], const char **pre, size_t *prelen)
{
	char *end;
	int i;

	if (*s == 'v')
		s++;
	v[0] = v[1] = v[2] = 0;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v[i] = strtoll(s, &end, 10);
		if (errno != 0)
			return -1;
		s = end;
		if (*s != '.')
			break;
		s++;
	}
	*pre = NULL;
	*prelen = 0;
	if (*s == '-') {
		*pre = ++s;
		*prelen = strcspn(s, "+");
		s += *prelen;
	}
	if (*s == '+')
		return 0;
	return *s == '\0' ? 0 : -1;
}

/* Compares dot-separated pre-release identifiers per semver 2.0. */
static int
tmpl_semver_pre_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t an, bn;
	int anum, bnum, c;

	if (alen == 0 || blen == 0)
		return (alen == 0) - (blen == 0); /* release > pre-release */
	for (;;) {
		an = 0;
		while (an < alen && a[an] != '.')
			an++;
		bn = 0;
		while (bn < blen && b[bn] != '.')
			bn++;
		anum = an > 0 && strspn(a, "0123456789") >= an;
		bnum = bn > 0 && strspn(b, "0123456789") >= bn;
		if (anum && bnum && an != bn)
			return an < bn ? -1 : 1;
		if (anum != bnum)
			return anum ? -1 : 1;
		c = strncmp(a, b, an < bn ? an : bn);
		if (c != 0)
			return c < 0 ? -1 : 1;
		if (an != bn)
			return an < bn ? -1 : 1;
		if (an == alen || bn == blen)
			return (an == alen ? 0 : 1) - (bn == blen ? 0 : 1);
		a += an + 1;
		alen -= an + 1;
		b += bn + 1;
		blen -= bn + 1;
	}
}

/* *result is <0, 0 or >0; returns -1 if either version does not parse. */
int
tmpl_semver_cmp(const char *a, const char *b, int *result)
{
	long long va[3], vb[3];
	const char *pa, *pb;
	size_t la, lb;
	int i;

	if (tmpl_semver_parse(a, va, &pa, &la) != 0 ||
	    tmpl_semver_parse(b, vb, &pb, &lb) != 0)
		return -1;
	for (i = 0; i < 3; i++) {
		if (va[i] != vb[i]) {
			*result = va[i] < vb[i] ? -1 : 1;
			return 0;
		}
	}
	*result = tmpl_semver_pre_cmp(pa, la, pb, lb);
	return 0;
}
