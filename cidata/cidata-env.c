/* clima: lima.env, param.env and etc_environment. */
/*
 * lima.env is sourced by boot.sh, so its values are shell-quoted when
 * they need it.  param.env and etc_environment are read line by line as
 * KEY=VALUE (pam_env style, and the probe prelude of the hostagent), so
 * their values stay raw and may not hold a newline.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidata/cidata.h"
#include "cidata/cidata-int.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config/config.h"

extern char **environ;

/* The proxy variables Lima passes on, lowercase first. */
static const char *cd_proxy_vars[] = { "ftp_proxy", "http_proxy", "https_proxy",
	"no_proxy" };
#define CD_NPROXY (sizeof cd_proxy_vars / sizeof cd_proxy_vars[0])

struct cd_buf {
	char *p;
	size_t len;
	size_t cap;
};

static void CLIMA_PRINTF(2, 3)
    cd_buf_printf(struct cd_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
	free(s);
}

/* Appends KEY=value, single-quoting value unless it is plainly safe. */
static void
cd_buf_var(struct cd_buf *b, const char *key, const char *value)
{
	const char *p;

	if (value[strspn(value,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
		"opqrstuvwxyz0123456789_./:@%+,=-")] == '\0') {
		cd_buf_printf(b, "%s=%s\n", key, value);
		return;
	}
	cd_buf_printf(b, "%s='", key);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\'')
			cd_buf_printf(b, "'\\''");
		else
			cd_buf_printf(b, "%c", *p);
	}
	cd_buf_printf(b, "'\n");
}

static void CLIMA_PRINTF(3, 4)
    cd_buf_varf(struct cd_buf *b, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	cd_buf_var(b, key, s);
	free(s);
}

void
cd_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A small ordered map for the env computation. */
struct cd_kvs {
	struct config_kv *v;
	size_t n;
};

static struct config_kv *
cd_kvs_find(struct cd_kvs *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
	}
	return NULL;
}

static void
cd_kvs_set(struct cd_kvs *m, const char *key, const char *value)
{
	struct config_kv *kv;

	if ((kv = cd_kvs_find(m, key)) != NULL) {
		free(kv->value);
		kv->value = xstrdup(value);
		return;
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	m->v[m->n].key = xstrdup(key);
	m->v[m->n].value = xstrdup(value);
	m->n++;
}

static void
cd_kvs_delete(struct cd_kvs *m, const char *key)
{
	struct config_kv *kv;
	size_t i;

	if ((kv = cd_kvs_find(m, key)) == NULL)
		return;
	i = kv - m->v;
	free(kv->key);
	free(kv->value);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof *m->v);
	m->n--;
}

static void
cd_kvs_free(struct cd_kvs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int
cd_kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct config_kv *)a)->key,
	    ((const struct config_kv *)b)->key);
}

static const char *
cd_getenv(const struct cidata_args *a, const char *name)
{
	char *const *e = a->environ != NULL ? a->environ : environ;
	size_t len = strlen(name);

	for (; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	}
	return NULL;
}

/* Is host (no brackets) a loopback name or address? */
static int
cd_is_loopback(const char *host, size_t len)
{
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	if (len == 3 && strncmp(host, "::1", 3) == 0)
		return 1;
	if (len > 4 && strncmp(host, "127.", 4) == 0 &&
	    strspn(host, "0123456789.") >= len)
		return 1;
	return 0;
}

/*
 * A proxy URL with a loopback host gets the slirp gateway instead, since
 * the guest reaches the host's loopback there.  Names are not resolved:
 * only "localhost", 127.x.y.z and ::1 count.  Returns the caller's.
 */
static char *
cd_proxy_host(const char *url)
{
	const char *h, *e, *at, *slash;
	char *out;
	size_t hl;

	if ((h = strstr(url, "://")) == NULL)
		return xstrdup(url);
	h += 3;
	slash = h + strcspn(h, "/?#");
	at = memchr(h, '@', slash - h);
	if (at != NULL)
		h = at + 1;
	if (*h == '[') {
		if ((e = memchr(h, ']', slash - h)) == NULL)
			return xstrdup(url);
		if (!cd_is_loopback(h + 1, e - h - 1))
			return xstrdup(url);
		e++;
	} else {
		e = h + strcspn(h, ":/?#");
		if (!cd_is_loopback(h, e - h))
			return xstrdup(url);
	}
	hl = h - url;
	xasprintf(&out, "%.*s%s%s", (int)hl, url, CIDATA_SLIRP_GATEWAY, e);
	return out;
}

/* env: plus the proxy variables, as Lima's setupEnv makes them. */
static void
cd_env_compute(const struct cidata_args *a, struct cd_kvs *m)
{
	const struct lima_config *cfg = a->config;
	struct config_kv *lo, *up, *kv;
	const char *v;
	char *name, *upper, *fixed;
	size_t i, j, k;

	for (i = 0; i < cfg->env.n; i++)
		cd_kvs_set(m, cfg->env.v[i].key, cfg->env.v[i].value);

	for (k = 0; k < 2 * CD_NPROXY; k++) {
		name = xstrdup(cd_proxy_vars[k % CD_NPROXY]);
		if (k >= CD_NPROXY) {
			for (j = 0; name[j] != '\0'; j++)
				name[j] = toupper((unsigned char)name[j]);
		}
		if (cfg->propagate_proxy_env == 1 &&
		    (v = cd_getenv(a, name)) != NULL) {
			kv = cd_kvs_find(m, name);
			if (kv != NULL && strcmp(kv->value, v) != 0)
				log_debug(
				    "%s: overriding %s \"%s\" with \"%s\" "
				    "from the environment",
				    __func__, name, kv->value, v);
			cd_kvs_set(m, name, v);
		}
		/* no_proxy holds no URL. */
		if ((kv = cd_kvs_find(m, name)) != NULL &&
		    k % CD_NPROXY != CD_NPROXY - 1) {
			fixed = cd_proxy_host(kv->value);
			if (strcmp(fixed, kv->value) != 0)
				log_debug("%s: replacing %s \"%s\" with \"%s\"",
				    __func__, name, kv->value, fixed);
			cd_kvs_set(m, name, fixed);
			free(fixed);
		}
		free(name);
	}

	/* The twins end up equal; lowercase wins. */
	for (k = 0; k < CD_NPROXY; k++) {
		upper = xstrdup(cd_proxy_vars[k]);
		for (j = 0; upper[j] != '\0'; j++)
			upper[j] = toupper((unsigned char)upper[j]);
		lo = cd_kvs_find(m, cd_proxy_vars[k]);
		up = cd_kvs_find(m, upper);
		if (lo != NULL) {
			if (up != NULL && strcmp(up->value, lo->value) != 0)
				log_warnx("%s: changing %s value from \"%s\" "
					  "to \"%s\" to match %s",
				    __func__, upper, up->value, lo->value,
				    cd_proxy_vars[k]);
			cd_kvs_set(m, upper, lo->value);
		} else if (up != NULL)
			cd_kvs_set(m, cd_proxy_vars[k], up->value);
		free(upper);
	}

	/* An empty value removes the variable. */
	for (i = 0; i < m->n;) {
		if (m->v[i].value[0] == '\0')
			cd_kvs_delete(m, m->v[i].key);
		else
			i++;
	}
	if (m->n > 1)
		qsort(m->v, m->n, sizeof *m->v, cd_kv_cmp);
}

static int
cd_check_kv(const char *what, const char *key, const char *value, char **cause)
{
	if (*key == '\0' || strchr(key, '=') != NULL ||
	    strpbrk(key, "\n\r") != NULL) {
		xasprintf(cause, "%s: invalid name \"%s\"", what, key);
		return -1;
	}
	if (strpbrk(value, "\n\r") != NULL) {
		xasprintf(
		    cause, "%s: value of %s must be a single line", what, key);
		return -1;
	}
	return 0;
}

/* Sorted KEY=VALUE lines of the guest environment; the caller's. */
char **
cd_env_lines(const struct cidata_args *a, size_t *n, char **cause)
{
	struct cd_kvs m = { NULL, 0 };
	char **v;
	size_t i;

	cd_env_compute(a, &m);
	for (i = 0; i < m.n; i++) {
		if (cd_check_kv("env", m.v[i].key, m.v[i].value, cause) != 0) {
			cd_kvs_free(&m);
			return NULL;
		}
	}
	v = xcalloc(m.n + 1, sizeof *v);
	for (i = 0; i < m.n; i++)
		xasprintf(&v[i], "%s=%s", m.v[i].key, m.v[i].value);
	*n = m.n;
	cd_kvs_free(&m);
	return v;
}

/* Sorted PARAM_<key>=<value> lines; the caller's. */
char **
cd_param_lines(const struct cidata_args *a, size_t *n, char **cause)
{
	const struct config_map *p = &a->config->param;
	struct config_kv *kv;
	char **v;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (cd_check_kv("param", p->v[i].key, p->v[i].value, cause) !=
		    0)
			return NULL;
	}
	kv = xcalloc(p->n + 1, sizeof *kv);
	if (p->n != 0)
		memcpy(kv, p->v, p->n * sizeof *kv);
	if (p->n > 1)
		qsort(kv, p->n, sizeof *kv, cd_kv_cmp);
	v = xcalloc(p->n + 1, sizeof *v);
	for (i = 0; i < p->n; i++)
		xasprintf(&v[i], "PARAM_%s=%s", kv[i].key, kv[i].value);
	free(kv);
	*n = p->n;
	return v;
}

static char *
cd_lines_text(char **v, size_t n, const char *head, const char *tail)
{
	struct cd_buf b = { NULL, 0, 0 };
	size_t i;

	cd_buf_printf(&b, "%s", head);
	for (i = 0; i < n; i++)
		cd_buf_printf(&b, "%s\n", v[i]);
	cd_buf_printf(&b, "%s", tail);
	return b.p;
}

/* param.env; the caller's. */
char *
cidata_param_env(const struct cidata_args *a, char **cause)
{
	char **v, *s;
	size_t n;

	if ((v = cd_param_lines(a, &n, cause)) == NULL)
		return NULL;
	s = cd_lines_text(v, n, "", "");
	cd_strv_free(v, n);
	return s;
}

/* etc_environment, the #LIMA-START..#LIMA-END block; the caller's. */
char *
cidata_etc_environment(const struct cidata_args *a, char **cause)
{
	char **v, *s;
	size_t n;

	if ((v = cd_env_lines(a, &n, cause)) == NULL)
		return NULL;
	s = cd_lines_text(v, n, "#LIMA-START\n", "#LIMA-END\n");
	cd_strv_free(v, n);
	return s;
}

static const char *
cd_bool(int v)
{
	return v == 1 ? "true" : "false";
}

static const char *
cd_one(int v)
{
	return v == 1 ? "1" : "";
}

static void
cd_env_disks(struct cd_buf *b, const struct lima_config *cfg)
{
	const struct config_disk *d;
	struct cd_buf args = { NULL, 0, 0 };
	char key[64];
	size_t i, j;

	cd_buf_varf(b, "LIMA_CIDATA_DISKS", "%zu", cfg->nadditional_disks);
	for (i = 0; i < cfg->nadditional_disks; i++) {
		d = &cfg->additional_disks[i];
		snprintf(key, sizeof key, "LIMA_CIDATA_DISK_%zu_NAME", i);
		cd_buf_var(b, key, d->name);
		snprintf(key, sizeof key, "LIMA_CIDATA_DISK_%zu_DEVICE", i);
		cd_buf_varf(b, key, "vd%c", (char)('b' + i));
		snprintf(key, sizeof key, "LIMA_CIDATA_DISK_%zu_FORMAT", i);
		cd_buf_var(b, key, cd_bool(d->format != 0));
		snprintf(key, sizeof key, "LIMA_CIDATA_DISK_%zu_FSTYPE", i);
		cd_buf_var(b, key, d->fs_type != NULL ? d->fs_type : "ext4");
		args.len = 0;
		cd_buf_printf(&args, "%s", "");
		for (j = 0; j < d->fs_args.n; j++)
			cd_buf_printf(
			    &args, "%s%s", j == 0 ? "" : " ", d->fs_args.v[j]);
		snprintf(key, sizeof key, "LIMA_CIDATA_DISK_%zu_FSARGS", i);
		cd_buf_var(b, key, args.p);
	}
	free(args.p);
}

static void
cd_env_provision(struct cd_buf *b, const struct lima_config *cfg)
{
	const struct config_provision *p;
	char key[96];
	size_t i;

	for (i = 0; i < cfg->nprovision; i++) {
		p = &cfg->provision[i];
		if (p->mode == NULL || strcmp(p->mode, "data") != 0)
			continue;
		snprintf(
		    key, sizeof key, "LIMA_CIDATA_DATAFILE_%08zu_OVERWRITE", i);
		cd_buf_var(b, key, cd_bool(p->overwrite != 0));
		snprintf(
		    key, sizeof key, "LIMA_CIDATA_DATAFILE_%08zu_OWNER", i);
		cd_buf_var(b, key, p->owner != NULL ? p->owner : "root:root");
		snprintf(key, sizeof key, "LIMA_CIDATA_DATAFILE_%08zu_PATH", i);
		cd_buf_var(b, key, p->path != NULL ? p->path : "");
		snprintf(key, sizeof key,
		    "LIMA_CIDATA_DATAFILE_%08zu_PERMISSIONS", i);
		cd_buf_var(
		    b, key, p->permissions != NULL ? p->permissions : "644");
	}
	for (i = 0; i < cfg->nprovision; i++) {
		p = &cfg->provision[i];
		if (p->mode == NULL || strcmp(p->mode, "yq") != 0)
			continue;
		snprintf(key, sizeof key,
		    "LIMA_CIDATA_YQ_PROVISION_%08zu_FORMAT", i);
		cd_buf_var(b, key, p->format != NULL ? p->format : "auto");
		snprintf(
		    key, sizeof key, "LIMA_CIDATA_YQ_PROVISION_%08zu_OWNER", i);
		cd_buf_var(b, key, p->owner != NULL ? p->owner : "root:root");
		snprintf(
		    key, sizeof key, "LIMA_CIDATA_YQ_PROVISION_%08zu_PATH", i);
		cd_buf_var(b, key, p->path != NULL ? p->path : "");
		snprintf(key, sizeof key,
		    "LIMA_CIDATA_YQ_PROVISION_%08zu_PERMISSIONS", i);
		cd_buf_var(
		    b, key, p->permissions != NULL ? p->permissions : "644");
	}
}

/* Every LIMA_CIDATA_* variable, in the order of the docs; the caller's. */
char *
cidata_lima_env(const struct cidata_args *a, char **cause)
{
	const struct lima_config *cfg;
	const char *hosthome = NULL, *home;
	struct cd_buf b = { NULL, 0, 0 };
	char key[64], *comment;
	int vz, skip = 0;
	size_t i;

	if (cd_validate(a, cause) != 0)
		return NULL;
	cfg = a->config;
	home = a->host_home != NULL ? a->host_home : getenv("HOME");
	for (i = 0; home != NULL && i < cfg->nmounts; i++) {
		if (strcmp(cfg->mounts[i].location, home) == 0) {
			hosthome = cfg->mounts[i].mount_point;
			break;
		}
	}
	for (i = 0; i < cfg->nprovision; i++) {
		if (cfg->provision[i].mode != NULL &&
		    strcmp(cfg->provision[i].mode, "dependency") == 0 &&
		    cfg->provision[i].skip_default_dependency_resolution == 1)
			skip = 1;
	}
	vz = cfg->vm_type != NULL && strcmp(cfg->vm_type, "vz") == 0;

	cd_buf_var(&b, "LIMA_CIDATA_DEBUG", a->debug ? "true" : "false");
	cd_buf_var(&b, "LIMA_CIDATA_IID", a->iid);
	cd_buf_var(&b, "LIMA_CIDATA_NAME", a->name);
	cd_buf_var(&b, "LIMA_CIDATA_USER", cfg->user.name);
	cd_buf_varf(&b, "LIMA_CIDATA_UID", "%lld", (long long)cfg->user.uid);
	comment = cd_strip_control(
	    cfg->user.comment != NULL ? cfg->user.comment : "");
	cd_buf_var(&b, "LIMA_CIDATA_COMMENT", comment);
	free(comment);
	cd_buf_var(&b, "LIMA_CIDATA_HOME", cfg->user.home);
	cd_buf_var(&b, "LIMA_CIDATA_SHELL", cfg->user.shell);
	cd_buf_var(&b, "LIMA_CIDATA_HOSTHOME_MOUNTPOINT",
	    hosthome != NULL ? hosthome : "");
	cd_buf_varf(&b, "LIMA_CIDATA_MOUNTS", "%zu", cfg->nmounts);
	for (i = 0; i < cfg->nmounts; i++) {
		snprintf(
		    key, sizeof key, "LIMA_CIDATA_MOUNTS_%zu_MOUNTPOINT", i);
		cd_buf_var(&b, key, cfg->mounts[i].mount_point);
	}
	cd_buf_var(&b, "LIMA_CIDATA_MOUNTTYPE",
	    cfg->mount_type != NULL ? cfg->mount_type : "");
	cd_env_disks(&b, cfg);
	cd_env_provision(&b, cfg);
	cd_buf_var(&b, "LIMA_CIDATA_GUEST_INSTALL_PREFIX",
	    cfg->guest_install_prefix != NULL ? cfg->guest_install_prefix
					      : "/usr/local");
	cd_buf_var(
	    &b, "LIMA_CIDATA_UPGRADE_PACKAGES", cd_one(cfg->upgrade_packages));
	cd_buf_var(
	    &b, "LIMA_CIDATA_CONTAINERD_USER", cd_one(cfg->containerd.user));
	cd_buf_var(&b, "LIMA_CIDATA_CONTAINERD_SYSTEM",
	    cd_one(cfg->containerd.system));
	if (a->nerdctl_archive != NULL &&
	    (cfg->containerd.user == 1 || cfg->containerd.system == 1))
		cd_buf_var(&b, "LIMA_CIDATA_CONTAINERD_ARCHIVE", CD_ARCHIVE);
	cd_buf_var(&b, "LIMA_CIDATA_SLIRP_DNS", CIDATA_SLIRP_DNS);
	cd_buf_var(&b, "LIMA_CIDATA_SLIRP_GATEWAY", CIDATA_SLIRP_GATEWAY);
	cd_buf_var(&b, "LIMA_CIDATA_SLIRP_IP_ADDRESS", CIDATA_SLIRP_IP);
	cd_buf_varf(
	    &b, "LIMA_CIDATA_UDP_DNS_LOCAL_PORT", "%d", a->udp_dns_port);
	cd_buf_varf(
	    &b, "LIMA_CIDATA_TCP_DNS_LOCAL_PORT", "%d", a->tcp_dns_port);
	cd_buf_var(&b, "LIMA_CIDATA_ROSETTA_ENABLED",
	    cd_bool(vz && cfg->vz.rosetta_enabled == 1));
	cd_buf_var(&b, "LIMA_CIDATA_ROSETTA_BINFMT",
	    cd_bool(vz && cfg->vz.rosetta_binfmt == 1));
	cd_buf_var(
	    &b, "LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION", cd_one(skip));
	cd_buf_var(&b, "LIMA_CIDATA_VMTYPE",
	    cfg->vm_type != NULL ? cfg->vm_type : "qemu");
	cd_buf_varf(&b, "LIMA_CIDATA_VSOCK_PORT", "%d", a->vsock_port);
	cd_buf_var(&b, "LIMA_CIDATA_VIRTIO_PORT",
	    a->virtio_port != NULL ? a->virtio_port : "");
	cd_buf_var(&b, "LIMA_CIDATA_PLAIN", cd_one(cfg->plain));
	cd_buf_var(&b, "LIMA_CIDATA_NO_CLOUD_INIT", "");
	cd_buf_var(&b, "LIMA_CIDATA_PASSWORDLESS_SUDO",
	    cd_one(cfg->user.passwordless_sudo));
	return b.p;
}
