/* clima: cidata.iso: checks, the list of files, identifiers. */
/*
 * cidata_write validates the arguments, builds every file of the image
 * in memory (the big ones, the guest agent and the nerdctl archive, are
 * copied from disk by libisofs) and hands the list to cidata-iso.c.
 * Also here: the IID, the MAC address and the mount tags, which the
 * QEMU command line must agree with.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "cidata/cidata.h"
#include "cidata/cidata-int.h"
#include "common/xmalloc.h"
#include "config/config.h"

#define CD_SCRIPT_MAX  (16 * 1024 * 1024) /* a boot script read from disk */
#define CD_MACHINE_MAX 256                /* bytes of /etc/machine-id */

static const char *const cd_dns_slirp[] = { CIDATA_SLIRP_DNS };

static void
cd_sha256(const char *s, unsigned char sum[32])
{
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_sha256((const unsigned char *)s, strlen(s), sum, 0);
#else
	mbedtls_sha256_ret((const unsigned char *)s, strlen(s), sum, 0);
#endif
}

char *
cidata_new_iid(void)
{
	char *s;

	xasprintf(&s, "iid-%lld", (long long)time(NULL));
	return s;
}

char *
cidata_mac_address(const char *machine_id, const char *instdir)
{
	unsigned char sum[32];
	char *seed, *s;

	xasprintf(&seed, "%s%s", machine_id != NULL ? machine_id : "", instdir);
	cd_sha256(seed, sum);
	free(seed);
	xasprintf(&s, "52:55:55:%02x:%02x:%02x", sum[0], sum[1], sum[2]);
	return s;
}

char *
cidata_mount_tag(const char *location, const char *mount_point)
{
	unsigned char sum[32];
	char *seed, *s;
	size_t i;

	xasprintf(&seed, "%s:%s", location, mount_point);
	cd_sha256(seed, sum);
	free(seed);
	s = xmalloc(sizeof "lima-" + 16);
	memcpy(s, "lima-", 5);
	for (i = 0; i < 8; i++)
		snprintf(s + 5 + 2 * i, 3, "%02x", sum[i]);
	return s;
}

static char *
cd_read_trimmed(const char *path)
{
	char buf[CD_MACHINE_MAX + 1], *p, *e;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	r = read(fd, buf, CD_MACHINE_MAX);
	close(fd);
	if (r <= 0)
		return NULL;
	buf[r] = '\0';
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	return *p == '\0' ? NULL : xstrdup(p);
}

char *
cidata_host_machine_id(void)
{
	char *s;

	if ((s = cd_read_trimmed("/etc/machine-id")) != NULL)
		return s;
	if ((s = cd_read_trimmed("/var/lib/dbus/machine-id")) != NULL)
		return s;
	return xstrdup("");
}

char *
cd_machine_id(const struct cidata_args *a)
{
	if (a->machine_id != NULL)
		return xstrdup(a->machine_id);
	return cidata_host_machine_id();
}

char *
cd_strip_control(const char *s)
{
	char *out, *d;

	out = d = xmalloc(strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			*d++ = *s;
	}
	*d = '\0';
	return out;
}

const char *const *
cd_dns(const struct cidata_args *a, size_t *n)
{
	const struct lima_config *cfg = a->config;

	if (cfg->host_resolver.enabled == 1) {
		*n = 1;
		return cd_dns_slirp;
	}
	if (cfg->dns.n != 0) {
		*n = cfg->dns.n;
		return (const char *const *)cfg->dns.v;
	}
	*n = a->host_dns != NULL ? a->nhost_dns : 0;
	return (const char *const *)a->host_dns;
}

/* What Lima refuses before rendering, and what our file formats need. */
int
cd_validate(const struct cidata_args *a, char **cause)
{
	const struct lima_config *cfg = a->config;
	const char *mp;
	size_t i;

	if (cfg == NULL || a->name == NULL || *a->name == '\0' ||
	    a->instance_dir == NULL || a->iid == NULL || *a->iid == '\0') {
		xasprintf(cause,
		    "cidata: config, name, instance directory "
		    "and instance id are required");
		return -1;
	}
	if (cfg->user.name == NULL || *cfg->user.name == '\0') {
		xasprintf(cause, "cidata: user.name must not be empty");
		return -1;
	}
	if (strcmp(cfg->user.name, "root") == 0) {
		xasprintf(cause, "cidata: user.name must not be \"root\"");
		return -1;
	}
	if (cfg->user.uid == 0) {
		xasprintf(cause, "cidata: user.uid must not be 0");
		return -1;
	}
	if (cfg->user.uid < 0) {
		xasprintf(cause, "cidata: user.uid is not set");
		return -1;
	}
	if (cfg->user.home == NULL || *cfg->user.home == '\0') {
		xasprintf(cause, "cidata: user.home must not be empty");
		return -1;
	}
	if (cfg->user.shell == NULL || *cfg->user.shell == '\0') {
		xasprintf(cause, "cidata: user.shell must not be empty");
		return -1;
	}
	if (a->ssh_pubkeys == NULL || a->nssh_pubkeys == 0) {
		xasprintf(cause,
		    "cidata: no ssh public key to authorize "
		    "(is ~/.lima/_config/user.pub missing?)");
		return -1;
	}
	for (i = 0; i < cfg->nmounts; i++) {
		mp = cfg->mounts[i].mount_point;
		if (mp == NULL || *mp != '/') {
			xasprintf(cause,
			    "cidata: mounts[%zu].mountPoint must "
			    "be an absolute path, got \"%s\"",
			    i, mp != NULL ? mp : "");
			return -1;
		}
		if (cfg->mounts[i].location == NULL) {
			xasprintf(cause,
			    "cidata: mounts[%zu].location is "
			    "not set",
			    i);
			return -1;
		}
	}
	return 0;
}

static void
cd_files_add(struct cd_files *files, const char *name, char *data, size_t len,
    mode_t mode)
{
	struct cd_file *f;

	f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->data = data;
	f->len = len;
	f->mode = mode;
	TAILQ_INSERT_TAIL(files, f, entry);
}

static void
cd_files_add_str(struct cd_files *files, const char *name, char *s, mode_t mode)
{
	cd_files_add(files, name, s, strlen(s), mode);
}

static int
cd_files_add_path(struct cd_files *files, const char *name, const char *path,
    mode_t mode, char **cause)
{
	struct cd_file *f;
	char *real;

	if ((real = realpath(path, NULL)) == NULL) {
		xasprintf(cause, "cidata: %s: %s", path, strerror(errno));
		return -1;
	}
	f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->path = real;
	f->mode = mode;
	TAILQ_INSERT_TAIL(files, f, entry);
	return 0;
}

static void
cd_files_free(struct cd_files *files)
{
	struct cd_file *f, *f1;

	TAILQ_FOREACH_SAFE(f, files, entry, f1) {
		TAILQ_REMOVE(files, f, entry);
		free(f->name);
		free(f->data);
		free(f->path);
		free(f);
	}
}

/* Reads a whole (small) file; NULL and *cause on failure. */
static char *
cd_slurp(const char *path, size_t *len, char **cause)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "cidata: %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 > cap) {
			cap = (n + 4096) * 2;
			buf = xrealloc(buf, cap);
		}
		if ((r = read(fd, buf + n, cap - n - 1)) <= 0)
			break;
		n += r;
		if (n > CD_SCRIPT_MAX) {
			xasprintf(cause, "cidata: %s: too large", path);
			goto fail;
		}
	}
	if (r == -1) {
		xasprintf(cause, "cidata: %s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int
cd_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cd_check_name(const char *name, char **cause)
{
	if (strlen(name) > CIDATA_NAME_MAX) {
		xasprintf(cause,
		    "cidata: file name \"%s\" is longer than %d "
		    "characters",
		    name, CIDATA_NAME_MAX);
		return -1;
	}
	return 0;
}

/* Adds the regular files of <boot_dir>/<sub>, sorted, as <sub>/<name>. */
static int
cd_add_boot_subdir(
    struct cd_files *files, const char *boot_dir, const char *sub, char **cause)
{
	struct dirent *de;
	struct stat sb;
	DIR *d = NULL;
	char *dir, *path = NULL, *name = NULL, *data, **names = NULL;
	size_t n = 0, i, len;
	int rc = -1;

	xasprintf(&dir, "%s/%s", boot_dir, sub);
	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "cidata: %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof *names, cd_name_cmp);
	for (i = 0; i < n; i++) {
		free(path);
		free(name);
		xasprintf(&path, "%s/%s", dir, names[i]);
		xasprintf(&name, "%s/%s", sub, names[i]);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (cd_check_name(names[i], cause) != 0)
			goto out;
		if ((data = cd_slurp(path, &len, cause)) == NULL)
			goto out;
		cd_files_add(files, name, data, len, 0755);
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	cd_strv_free(names, n);
	free(path);
	free(name);
	free(dir);
	return rc;
}

/* boot.sh, then every boot.* and util* directory of boot_dir. */
static int
cd_add_boot(struct cd_files *files, const char *boot_dir, char **cause)
{
	struct dirent *de;
	struct stat sb;
	DIR *d = NULL;
	char *path = NULL, *data, **subs = NULL;
	size_t n = 0, i, len;
	int rc = -1;

	if (boot_dir == NULL) {
		xasprintf(cause, "cidata: no boot script directory");
		return -1;
	}
	xasprintf(&path, "%s/boot.sh", boot_dir);
	if ((data = cd_slurp(path, &len, cause)) == NULL)
		goto out;
	cd_files_add(files, "boot.sh", data, len, 0755);
	if ((d = opendir(boot_dir)) == NULL) {
		xasprintf(cause, "cidata: %s: %s", boot_dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "boot.", 5) != 0 &&
		    strncmp(de->d_name, "util", 4) != 0)
			continue;
		free(path);
		xasprintf(&path, "%s/%s", boot_dir, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		subs = xreallocarray(subs, n + 1, sizeof *subs);
		subs[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(subs, n, sizeof *subs, cd_name_cmp);
	for (i = 0; i < n; i++) {
		if (cd_check_name(subs[i], cause) != 0 ||
		    cd_add_boot_subdir(files, boot_dir, subs[i], cause) != 0)
			goto out;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	cd_strv_free(subs, n);
	free(path);
	return rc;
}

/* provision.<mode>/%08d for every entry that is a file in the image. */
static void
cd_add_provision(struct cd_files *files, const struct lima_config *cfg)
{
	static const char *modes[] = { "system", "user", "dependency", "data",
		"yq" };
	const struct config_provision *p;
	const char *body;
	char name[64];
	size_t i, j;

	for (i = 0; i < cfg->nprovision; i++) {
		p = &cfg->provision[i];
		if (p->mode == NULL)
			continue;
		for (j = 0; j < sizeof modes / sizeof modes[0]; j++) {
			if (strcmp(p->mode, modes[j]) == 0)
				break;
		}
		if (j == sizeof modes / sizeof modes[0])
			continue;
		if (strcmp(p->mode, "data") == 0)
			body = p->content;
		else if (strcmp(p->mode, "yq") == 0)
			body = p->expression;
		else
			body = p->script;
		snprintf(name, sizeof name, "provision.%s/%08zu", p->mode, i);
		cd_files_add_str(files, name, xstrdup(body != NULL ? body : ""),
		    strcmp(p->mode, "data") == 0 || strcmp(p->mode, "yq") == 0
			? 0644
			: 0755);
	}
}

static int
cd_build(const struct cidata_args *a, struct cd_files *files, char **cause)
{
	const struct lima_config *cfg = a->config;
	char *s;

	if ((s = cidata_user_data(a, 1, cause)) == NULL)
		return -1;
	cd_files_add_str(files, "user-data", s, 0644);
	cd_files_add_str(files, "meta-data", cidata_meta_data(a), 0644);
	if ((s = cidata_network_config(a, cause)) == NULL)
		return -1;
	cd_files_add_str(files, "network-config", s, 0644);
	if ((s = cidata_lima_env(a, cause)) == NULL)
		return -1;
	cd_files_add_str(files, "lima.env", s, 0644);
	if ((s = cidata_param_env(a, cause)) == NULL)
		return -1;
	cd_files_add_str(files, "param.env", s, 0644);
	if ((s = cidata_etc_environment(a, cause)) == NULL)
		return -1;
	cd_files_add_str(files, "etc_environment", s, 0644);
	if (cd_add_boot(files, a->boot_dir, cause) != 0)
		return -1;
	cd_add_provision(files, cfg);
	if (a->guest_agent != NULL && cfg->plain != 1 &&
	    cd_files_add_path(
		files, CD_GUESTAGENT, a->guest_agent, 0755, cause) != 0)
		return -1;
	if (a->nerdctl_archive != NULL &&
	    (cfg->containerd.system == 1 || cfg->containerd.user == 1) &&
	    cd_files_add_path(
		files, CD_ARCHIVE, a->nerdctl_archive, 0644, cause) != 0)
		return -1;
	return 0;
}

int
cidata_write(const struct cidata_args *a, const char *iso_path, char **cause)
{
	struct cd_files files = TAILQ_HEAD_INITIALIZER(files);
	int rc = -1;

	if (cd_validate(a, cause) != 0)
		goto out;
	if (cd_build(a, &files, cause) != 0)
		goto out;
	rc = cd_iso_write(&files, iso_path, cause);
out:
	cd_files_free(&files);
	return rc;
}

/* Creates <path>.tmp.XXXXXX (O_CLOEXEC); -1 and *cause on failure. */
int
cd_tmp_open(const char *path, char **tmp, char **cause)
{
	int fd;

	xasprintf(tmp, "%s.tmp.XXXXXX", path);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1) {
		xasprintf(cause, "cidata: %s: %s", *tmp, strerror(errno));
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

/* fchmod, fsync, close and rename over path; unlinks tmp on failure. */
int
cd_tmp_commit(
    int fd, const char *tmp, const char *path, mode_t mode, char **cause)
{
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		xasprintf(cause, "cidata: %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		xasprintf(cause, "cidata: %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
cidata_write_cloud_config(
    const struct cidata_args *a, const char *path, char **cause)
{
	char *s = NULL, *tmp = NULL;
	size_t len, off = 0;
	ssize_t r;
	int fd = -1, rc = -1;

	if ((s = cidata_user_data(a, 0, cause)) == NULL)
		goto out;
	if ((fd = cd_tmp_open(path, &tmp, cause)) == -1)
		goto out;
	len = strlen(s);
	while (off < len) {
		if ((r = write(fd, s + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(
			    cause, "cidata: %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += r;
	}
	rc = cd_tmp_commit(fd, tmp, path, 0444, cause);
out:
	free(tmp);
	free(s);
	return rc;
}
