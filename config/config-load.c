/* clima: config_load and friends: read, merge, fill and validate. */
/*
 * The pipeline of Lima's limayaml.Load: each of _config/default.yaml (d),
 * the instance file (y) and _config/override.yaml (o) is parsed alone
 * (type errors, unknown-field warnings, deprecated fields), then the three
 * trees are merged, parsed into one struct, filled and validated.
 */
#include <config.h>

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "compat/compat.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

/* Largest lima.yaml (or _config file) read. */
#define CFG_MAX_FILE_BYTES ((size_t)32 * 1024 * 1024)

void
cfg_msgs_addv(struct cfg_msgs *m, const char *fmt, va_list ap)
{
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	xvasprintf(&m->v[m->n++], fmt, ap);
}

void
cfg_msgs_add(struct cfg_msgs *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_msgs_addv(m, fmt, ap);
	va_end(ap);
}

char *
cfg_msgs_join(const struct cfg_msgs *m)
{
	size_t i, len = 0;
	char *s;

	if (m->n == 0)
		return NULL;
	for (i = 0; i < m->n; i++)
		len += strlen(m->v[i]) + 1;
	s = xmalloc(len);
	*s = '\0';
	for (i = 0; i < m->n; i++) {
		if (i != 0)
			strlcat(s, "\n", len);
		strlcat(s, m->v[i], len);
	}
	return s;
}

void
cfg_msgs_clear(struct cfg_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* Reads a whole file; 1 if it does not exist, -1 and *cause on error. */
static int
cfg_read_file(const char *path, char **buf, size_t *len, char **cause)
{
	struct stat sb;
	char *p = NULL;
	size_t n = 0, size = 65536;
	ssize_t r;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "read %s: is a directory", path);
		goto out;
	}
	p = xmalloc(size + 1);
	while (n < CFG_MAX_FILE_BYTES) {
		if (n == size) {
			size *= 2;
			p = xrealloc(p, size + 1);
		}
		r = read(fd, p + n, size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			xasprintf(cause, "read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += r;
	}
	if (n == CFG_MAX_FILE_BYTES) {
		xasprintf(cause, "read %s: larger than %zu bytes", path,
		    CFG_MAX_FILE_BYTES);
		goto out;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	free(p);
	close(fd);
	return rc;
}

/* Parses <lima_home>/_config/<name> if it exists (*doc NULL if not). */
static int
cfg_read_global(const struct config_env *env, const char *name,
    struct node **doc, char **cause)
{
	char *path, *buf = NULL;
	size_t len;
	int rc;

	*doc = NULL;
	if (env->lima_home == NULL)
		return 0;
	xasprintf(&path, "%s/_config/%s", env->lima_home, name);
	rc = cfg_read_file(path, &buf, &len, cause);
	if (rc == 0) {
		*doc = node_from_yaml(buf, len, path, cause);
		rc = *doc == NULL ? -1 : 0;
	} else if (rc == 1)
		rc = 0;
	free(buf);
	free(path);
	return rc;
}

/* Instance name from the file name: basename without .yaml/.yml. */
static char *
cfg_name_from_file(const char *file)
{
	const char *base = strrchr(file, '/');
	size_t len;

	base = base != NULL ? base + 1 : file;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
		len -= 4;
	return xstrndup(base, len);
}

static char *
cfg_dir_from_file(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == file)
		return xstrdup("/");
	return xstrndup(file, slash - file);
}

/*
 * The whole pipeline on three documents (taking them over; d and o may
 * be NULL).  Returns the config or NULL with *cause set.
 */
struct lima_config *
cfg_build(const struct config_env *env, struct node *d, struct node *y,
    struct node *o, const char *file, int flags, char **cause)
{
	struct node *docs[3] = { d, y, o };
	struct lima_config *cfg, *one;
	struct config_priv *priv;
	size_t i;
	int rc;

	cfg = cfg_new();
	priv = cfg->priv;
	priv->env = env;
	priv->file = xstrdup(file != NULL ? file : "lima.yaml");
	priv->name = env->name != NULL ? xstrdup(env->name)
				       : cfg_name_from_file(priv->file);
	priv->dir = env->instance_dir != NULL ? xstrdup(env->instance_dir)
					      : cfg_dir_from_file(priv->file);
	priv->hostname = config_hostname(priv->name);

	for (i = 0; i < 3; i++) {
		if (docs[i] == NULL)
			continue;
		if (cfg_migrate(docs[i], &priv->warnings, cause) != 0)
			goto fail;
		one = cfg_new();
		rc = cfg_parse(docs[i], one, &priv->warnings, cause);
		if (rc == 0 && i == 1)
			rc = cfg_param_used(one, cause);
		config_free(one);
		if (rc != 0)
			goto fail;
	}
	priv->tree = cfg_merge(d, y, o);
	if (cfg_parse(priv->tree, cfg, NULL, cause) != 0 ||
	    cfg_fill(cfg, env, cause) != 0 ||
	    cfg_validate(cfg, flags & CONFIG_WARN, cause) != 0)
		goto fail;
	for (i = 0; i < priv->warnings.n; i++)
		log_debug("%s: %s", __func__, priv->warnings.v[i]);
	priv->env = NULL;
	for (i = 0; i < 3; i++)
		node_free(docs[i]);
	return cfg;

fail:
	for (i = 0; i < 3; i++)
		node_free(docs[i]);
	config_free(cfg);
	return NULL;
}

struct lima_config *
config_load_buf(const struct config_env *env, const char *buf, size_t len,
    const char *filename, int flags, char **cause)
{
	struct node *d = NULL, *y = NULL, *o = NULL;

	if (filename == NULL)
		filename = "lima.yaml";
	if ((y = node_from_yaml(buf, len, filename, cause)) == NULL)
		return NULL;
	if (cfg_read_global(env, "default.yaml", &d, cause) != 0 ||
	    cfg_read_global(env, "override.yaml", &o, cause) != 0) {
		node_free(d);
		node_free(y);
		return NULL;
	}
	return cfg_build(env, d, y, o, filename, flags, cause);
}

struct lima_config *
config_load(const struct config_env *env, const char *file, char **cause)
{
	struct lima_config *cfg;
	char *buf = NULL;
	size_t len;
	int rc;

	rc = cfg_read_file(file, &buf, &len, cause);
	if (rc == 1)
		xasprintf(cause, "open %s: %s", file, strerror(ENOENT));
	if (rc != 0)
		return NULL;
	cfg = config_load_buf(env, buf, len, file, 0, cause);
	free(buf);
	return cfg;
}

void
config_free(struct lima_config *cfg)
{
	struct config_priv *priv;

	if (cfg == NULL)
		return;
	cfg_free_fields(&cfg_top_table, cfg);
	if ((priv = cfg->priv) != NULL) {
		node_free(priv->tree);
		cfg_msgs_clear(&priv->warnings);
		free(priv->file);
		free(priv->name);
		free(priv->dir);
		free(priv->hostname);
		free(priv);
	}
	free(cfg);
}

const char *const *
config_warnings(const struct lima_config *cfg, size_t *n)
{
	*n = cfg->priv->warnings.n;
	return (const char *const *)cfg->priv->warnings.v;
}
