/* clima: template variables ({{.Name}}, {{.Param.K}}, ...) and ~ in paths. */
/*
 * Lima runs Go's text/template over some fields.  Here only the forms
 * lima.yaml files use are understood: {{.X}}, {{.Param.K}}, string
 * literals ({{"{{"}}), comments and the {{- -}} trim markers; anything
 * else, or an unknown variable, is an error naming the field.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

struct cfg_buf {
	char *p;
	size_t len, size;
};

static void
cfg_buf_add(struct cfg_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
cfg_buf_str(struct cfg_buf *b, const char *s)
{
	cfg_buf_add(b, s, strlen(s));
}

static int
cfg_is_word(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Expands one Go string literal ("..." or `...`) into b. */
static int
cfg_tmpl_literal(struct cfg_buf *b, const char *s, size_t n)
{
	size_t i;
	char c;

	if (n < 2 || s[n - 1] != s[0])
		return -1;
	if (s[0] == '`') {
		if (memchr(s + 1, '`', n - 2) != NULL)
			return -1;
		cfg_buf_add(b, s + 1, n - 2);
		return 0;
	}
	for (i = 1; i < n - 1; i++) {
		c = s[i];
		if (c == '"')
			return -1;
		if (c == '\\') {
			if (++i >= n - 1)
				return -1;
			switch (s[i]) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
			case '"':
			case '\'':
				c = s[i];
				break;
			default:
				return -1;
			}
		}
		cfg_buf_add(b, &c, 1);
	}
	return 0;
}

/* Looks up a variable (".Name", ".Param.K"); NULL if it has no value. */
static int
cfg_tmpl_var(const struct cfg_vars *v, const char *name, struct cfg_buf *b,
    const char *field, char **cause)
{
	const char *val = NULL;
	char uid[32];

	if (strncmp(name, "Param.", 6) == 0) {
		if (v->param == NULL ||
		    (val = cfg_map_get(v->param, name + 6)) == NULL) {
			xasprintf(cause,
			    "field `%s`: template: `.%s` is not defined in "
			    "field `param`",
			    field, name);
			return -1;
		}
	} else if (strcmp(name, "Name") == 0 ||
	    (v->host && strcmp(name, "Instance") == 0))
		val = v->name;
	else if (!v->host && strcmp(name, "Hostname") == 0)
		val = v->hostname;
	else if (strcmp(name, "UID") == 0) {
		snprintf(uid, sizeof uid, "%llu", v->uid);
		val = uid;
	} else if (strcmp(name, "User") == 0)
		val = v->user;
	else if (strcmp(name, "Home") == 0)
		val = v->home;
	else if (v->host && strcmp(name, "Dir") == 0)
		val = v->dir;
	else if (v->host && strcmp(name, "LimaHome") == 0)
		val = v->lima_home;
	else if (v->host && strcmp(name, "GlobalTempDir") == 0)
		val = "/tmp";
	else if (v->host && strcmp(name, "TempDir") == 0)
		val = v->tmpdir != NULL ? v->tmpdir : "/tmp";
	else {
		xasprintf(cause, "field `%s`: template: unknown variable `.%s`",
		    field, name);
		return -1;
	}
	if (val == NULL) {
		xasprintf(cause,
		    "field `%s`: template: variable `.%s` has no value here",
		    field, name);
		return -1;
	}
	cfg_buf_str(b, val);
	return 0;
}

/* "Name" or "Param.K": dot-separated, non-empty words. */
static int
cfg_tmpl_ident(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (n == 0)
				return 0;
			n = 0;
		} else if (cfg_is_word(*s))
			n++;
		else
			return 0;
	}
	return n != 0;
}

/* One action, the text between {{ and }} without trim markers. */
static int
cfg_tmpl_action(const struct cfg_vars *v, const char *s, size_t n,
    struct cfg_buf *b, const char *field, char **cause)
{
	const char *raw = s;
	size_t rawlen = n;
	char *name;
	int rc;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 4 && strncmp(s, "/*", 2) == 0 &&
	    strncmp(s + n - 2, "*/", 2) == 0)
		return 0;
	if (n > 0 && (*s == '"' || *s == '`')) {
		if (cfg_tmpl_literal(b, s, n) == 0)
			return 0;
	} else if (n > 1 && *s == '.') {
		name = xstrndup(s + 1, n - 1);
		if (cfg_tmpl_ident(name)) {
			rc = cfg_tmpl_var(v, name, b, field, cause);
			free(name);
			return rc;
		}
		free(name);
	}
	name = xstrndup(raw, rawlen);
	xasprintf(cause, "field `%s`: template: unsupported action `{{%s}}`",
	    field, name);
	free(name);
	return -1;
}

/* Where the action starting at s (just after "{{") ends, or NULL. */
static const char *
cfg_tmpl_end(const char *s)
{
	char q = '\0';

	for (; *s != '\0'; s++) {
		if (q != '\0') {
			if (q == '"' && *s == '\\' && s[1] != '\0')
				s++;
			else if (*s == q)
				q = '\0';
			continue;
		}
		if (*s == '"' || *s == '`')
			q = *s;
		else if (s[0] == '}' && s[1] == '}')
			return s;
	}
	return NULL;
}

/*
 * Expands the template in; *out is the caller's.  field names the
 * YAML field in error messages.
 */
int
cfg_expand(const struct cfg_vars *v, const char *field, const char *in,
    char **out, char **cause)
{
	struct cfg_buf b = { NULL, 0, 0 };
	const char *p = in, *open, *start, *end, *next;

	cfg_buf_str(&b, "");
	while ((open = strstr(p, "{{")) != NULL) {
		start = open + 2;
		if (start[0] == '-' && isspace((unsigned char)start[1])) {
			start++;
			while (open > p && isspace((unsigned char)open[-1]))
				open--;
		}
		cfg_buf_add(&b, p, open - p);
		if ((end = cfg_tmpl_end(start)) == NULL) {
			xasprintf(cause,
			    "field `%s`: template: unclosed action", field);
			free(b.p);
			return -1;
		}
		next = end + 2;
		if (end > start + 1 && end[-1] == '-' &&
		    isspace((unsigned char)end[-2])) {
			end--;
			while (isspace((unsigned char)*next))
				next++;
		}
		if (cfg_tmpl_action(v, start, end - start, &b, field, cause) !=
		    0) {
			free(b.p);
			return -1;
		}
		p = next;
	}
	cfg_buf_str(&b, p);
	*out = b.p;
	return 0;
}

/* "~" and "~/x" with the host home; -1 for "~user". */
int
cfg_expand_tilde(const char *home, const char *in, char **out)
{
	if (in[0] != '~') {
		*out = xstrdup(in);
		return 0;
	}
	if (in[1] != '\0' && in[1] != '/')
		return -1;
	xasprintf(out, "%s%s", home != NULL ? home : "", in + 1);
	return 0;
}

/*
 * Lexical clean-up like Go's filepath.Clean: no empty or "." elements,
 * ".." removes the element before it when there is one.  The caller's.
 */
char *
cfg_clean_path(const char *in)
{
	char *out, *copy, *p, *elem;
	size_t len = 0, dotdot = 0, elen;
	int rooted = in[0] == '/';

	out = xmalloc(strlen(in) + 2);
	if (rooted) {
		out[len++] = '/';
		dotdot = 1;
	}
	copy = p = xstrdup(in);
	while ((elem = strsep(&p, "/")) != NULL) {
		if (*elem == '\0' || strcmp(elem, ".") == 0)
			continue;
		if (strcmp(elem, "..") == 0) {
			if (len > dotdot) {
				len--;
				while (len > dotdot && out[len] != '/')
					len--;
			} else if (!rooted) {
				if (len > 0)
					out[len++] = '/';
				out[len++] = '.';
				out[len++] = '.';
				dotdot = len;
			}
			continue;
		}
		if (len != (size_t)rooted)
			out[len++] = '/';
		elen = strlen(elem);
		memcpy(out + len, elem, elen);
		len += elen;
	}
	free(copy);
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	return out;
}

/* Template data for guest-side fields (after user.* is filled). */
void
cfg_vars_guest(const struct lima_config *cfg, struct cfg_vars *v)
{
	memset(v, 0, sizeof *v);
	v->name = cfg->priv->name;
	v->hostname = cfg->priv->hostname;
	v->user = cfg->user.name;
	v->home = cfg->user.home;
	v->uid = cfg->user.uid >= 0 ? (unsigned long long)cfg->user.uid : 0;
	v->param = &cfg->param;
}

/* Template data for host-side fields. */
void
cfg_vars_host(const struct lima_config *cfg, struct cfg_vars *v)
{
	const struct config_env *env = cfg->priv->env;

	memset(v, 0, sizeof *v);
	v->host = 1;
	v->name = cfg->priv->name;
	v->dir = cfg->priv->dir;
	v->param = &cfg->param;
	if (env != NULL) {
		v->user = env->host_user;
		v->home = env->host_home;
		v->uid = env->host_uid;
		v->lima_home = env->lima_home;
		v->tmpdir = env->tmpdir;
	}
}

char *
config_hostname(const char *name)
{
	char *s, *p;

	xasprintf(&s, "lima-%s", name);
	for (p = s; *p != '\0'; p++) {
		if (*p == '.' || *p == '_')
			*p = '-';
	}
	return s;
}

char *
config_expand_guest(
    const struct lima_config *cfg, const char *tmpl, char **cause)
{
	struct cfg_vars v;
	char *out;

	cfg_vars_guest(cfg, &v);
	if (cfg_expand(&v, "template", tmpl, &out, cause) != 0)
		return NULL;
	return out;
}

/* Is param key used as {{...Param.KEY...}} or PARAM_KEY in s? */
static int
cfg_param_in(const char *s, const char *key)
{
	const char *p, *end, *hit;
	char *needle;
	size_t klen = strlen(key);
	int found = 0;

	if (s == NULL)
		return 0;
	xasprintf(&needle, ".Param.%s", key);
	for (p = s; !found && (p = strstr(p, "{{")) != NULL; p += 2) {
		end = p + 2;
		while (*end != '\0' && *end != '}')
			end++;
		if (end[0] != '}' || end[1] != '}')
			continue;
		hit = strstr(p, needle);
		if (hit != NULL && hit < end)
			found = 1;
	}
	free(needle);
	for (p = s; !found && (p = strstr(p, "PARAM_")) != NULL; p++) {
		if ((p == s || !cfg_is_word(p[-1])) &&
		    strncmp(p + 6, key, klen) == 0 && !cfg_is_word(p[6 + klen]))
			found = 1;
	}
	return found;
}

static int
cfg_param_in_file(const char *path, const char *key)
{
	char buf[65536];
	size_t n;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cfg_param_in(buf, key);
}

/*
 * Lima's validateParamIsUsed, on the instance file alone (before any
 * merge): every param key must appear in a field that is expanded.
 */
int
cfg_param_used(const struct lima_config *y, char **cause)
{
	const struct config_provision *p;
	struct cfg_msgs errs = { NULL, 0 };
	const char *k;
	size_t i, j;
	int used;

	for (i = 0; i < y->param.n; i++) {
		k = y->param.v[i].key;
		used = strcmp(k, "internal_netplanOptional") == 0;
		for (j = 0; !used && j < y->nprovision; j++) {
			p = &y->provision[j];
			used = cfg_param_in(p->script, k) ||
			    cfg_param_in(p->content, k) ||
			    cfg_param_in(p->expression, k) ||
			    cfg_param_in(p->owner, k) ||
			    cfg_param_in(p->path, k) ||
			    cfg_param_in(p->permissions, k) ||
			    cfg_param_in_file(p->playbook, k);
		}
		for (j = 0; !used && j < y->nprobes; j++)
			used = cfg_param_in(y->probes[j].script, k);
		for (j = 0; !used && j < y->ncopy_to_host; j++) {
			used = cfg_param_in(y->copy_to_host[j].guest, k) ||
			    cfg_param_in(y->copy_to_host[j].host, k);
		}
		for (j = 0; !used && j < y->nport_forwards; j++) {
			used =
			    cfg_param_in(y->port_forwards[j].guest_socket, k) ||
			    cfg_param_in(y->port_forwards[j].host_socket, k);
		}
		for (j = 0; !used && j < y->nmounts; j++) {
			used = cfg_param_in(y->mounts[j].location, k) ||
			    cfg_param_in(y->mounts[j].mount_point, k);
		}
		if (!used)
			cfg_msgs_add(&errs,
			    "field `param` key `%s` is not used in any "
			    "provision, probe, copyToHost, or portForward",
			    k);
	}
	if (errs.n == 0)
		return 0;
	*cause = cfg_msgs_join(&errs);
	cfg_msgs_clear(&errs);
	return -1;
}
