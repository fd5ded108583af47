/* clima: Lima's Validate for the filled config (top-level fields). */
/*
 * Every failure names the field and, where the value came from a file,
 * ends with "(FILE:LINE)".  All errors are collected and joined with
 * newlines, as errors.Join does.  The list-valued fields are checked in
 * config-validate-list.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "2.0.0"
#endif

/* Go's strconv.CanBackquote. */
static int
cfg_can_backquote(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '`' || *p == 0x7f || (*p < 0x20 && *p != '\t'))
			return 0;
	}
	return 1;
}

const char *
cfg_q(struct cfg_check *c, const char *s)
{
	char *q;

	if (s == NULL)
		s = "";
	if (cfg_can_backquote(s))
		xasprintf(&q, "`%s`", s);
	else
		q = log_quote(s);
	c->tmp.v = xreallocarray(c->tmp.v, c->tmp.n + 1, sizeof *c->tmp.v);
	c->tmp.v[c->tmp.n++] = q;
	return q;
}

/*
 * Adds an error; node and key (a dotted path under node) say where the
 * value was written, if anywhere.
 */
void
cfg_err(struct cfg_check *c, const struct node *node, const char *key,
    const char *fmt, ...)
{
	const struct node *n = node;
	va_list ap;
	char *msg;

	if (n != NULL && key != NULL && node_get_path(n, key) != NULL)
		n = node_get_path(n, key);
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n != NULL && n->line > 0)
		cfg_msgs_add(&c->errors, "%s (%s:%d)", msg,
		    n->file != NULL ? n->file : "lima.yaml", n->line);
	else
		cfg_msgs_add(&c->errors, "%s", msg);
	free(msg);
}

void
cfg_warn(struct cfg_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_msgs_addv(&c->cfg->priv->warnings, fmt, ap);
	va_end(ap);
}

/* Lima's validatePort: 1..65535 and not 22. */
void
cfg_check_port(struct cfg_check *c, const struct node *node, const char *key,
    const char *field, int port)
{
	if (port == 0)
		cfg_err(c, node, key, "field `%s` must be set", field);
	else if (port < 0)
		cfg_err(c, node, key, "field `%s` must be > 0", field);
	else if (port == 22)
		cfg_err(c, node, key, "field `%s` must not be 22", field);
	else if (port > 65535)
		cfg_err(c, node, key, "field `%s` must be < 65536", field);
}

/* go-digest's Validate: "algo:hex" with a known algorithm. */
static const char *
cfg_digest_problem(const char *d)
{
	static const struct {
		const char *algo;
		size_t len;
	} algos[] = { { "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 } };
	const char *colon = strchr(d, ':'), *p;
	size_t i, alen;

	if (colon == NULL || colon == d || colon[1] == '\0')
		return "invalid checksum digest format";
	alen = colon - d;
	for (i = 0; i < sizeof algos / sizeof algos[0]; i++) {
		if (strlen(algos[i].algo) == alen &&
		    strncmp(d, algos[i].algo, alen) == 0)
			break;
	}
	if (i == sizeof algos / sizeof algos[0])
		return "unsupported digest algorithm";
	if (strlen(colon + 1) != algos[i].len)
		return "invalid checksum digest length";
	for (p = colon + 1; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return "invalid checksum digest format";
	}
	return NULL;
}

static void
cfg_check_arch(struct cfg_check *c, const struct node *node, const char *key,
    const char *field, const char *arch)
{
	if (!cfg_is_arch(arch))
		cfg_err(c, node, key,
		    "field `%s` must be one of [x86_64 aarch64 armv7l ppc64le "
		    "riscv64 s390x]; got %s",
		    field, cfg_q(c, arch));
}

/* Lima's validateFileObject for images, kernels, archives, firmware. */
void
cfg_check_file(
    struct cfg_check *c, const struct config_file *f, const char *field)
{
	const struct node *n = f->node;
	const char *problem;
	char *s;

	if (f->location == NULL || *f->location == '\0')
		cfg_err(c, n, NULL, "field `%s.location` must be set", field);
	else if (strstr(f->location, "://") == NULL) {
		if (cfg_expand_tilde("", f->location, &s) != 0)
			cfg_err(c, n, "location",
			    "field `%s.location` refers to an unexpandable "
			    "path: %s",
			    field, cfg_q(c, f->location));
		else
			free(s);
	}
	if (f->arch != NULL && *f->arch != '\0') {
		xasprintf(&s, "%s.arch", field);
		cfg_check_arch(c, n, "arch", s, f->arch);
		free(s);
	}
	if (f->digest != NULL && *f->digest != '\0' &&
	    (problem = cfg_digest_problem(f->digest)) != NULL)
		cfg_err(c, n, "digest", "field `%s.digest` is invalid: %s: %s",
		    field, cfg_q(c, f->digest), problem);
}

static void
cfg_check_images(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;
	struct config_image *im;
	struct config_file kf;
	char field[64];
	size_t i;

	if (cfg->nimages == 0)
		cfg_err(
		    c, cfg->priv->tree, "images", "field `images` must be set");
	for (i = 0; i < cfg->nimages; i++) {
		im = &cfg->images[i];
		im->file.node = im->node;
		snprintf(field, sizeof field, "images[%zu]", i);
		cfg_check_file(c, &im->file, field);
		if (im->kernel != NULL) {
			kf = im->kernel->file;
			kf.node = node_map_get(im->node, "kernel");
			snprintf(field, sizeof field, "images[%zu].kernel", i);
			cfg_check_file(c, &kf, field);
			if (strcmp(kf.arch, im->file.arch) != 0)
				cfg_err(c, kf.node, "arch",
				    "field `%s.arch` must be the same as the "
				    "image's (%s), got %s",
				    field, cfg_q(c, im->file.arch),
				    cfg_q(c, kf.arch));
		}
		if (im->initrd != NULL) {
			kf = *im->initrd;
			kf.node = node_map_get(im->node, "initrd");
			snprintf(field, sizeof field, "images[%zu].initrd", i);
			if (im->kernel == NULL)
				cfg_err(c, kf.node, NULL,
				    "field `%s` requires field "
				    "`images[%zu].kernel`",
				    field, i);
			cfg_check_file(c, &kf, field);
			if (strcmp(kf.arch, im->file.arch) != 0)
				cfg_err(c, kf.node, "arch",
				    "field `%s.arch` must be the same as the "
				    "image's (%s), got %s",
				    field, cfg_q(c, im->file.arch),
				    cfg_q(c, kf.arch));
		}
	}
}

static void
cfg_check_size(struct cfg_check *c, const char *field, const char *s)
{
	uint64_t v;
	char *cause = NULL;

	if (units_parse_size(s, &v, &cause) != 0) {
		cfg_err(c, c->cfg->priv->tree, field,
		    "field `%s` has an invalid value: %s", field, cause);
		free(cause);
	} else if (v == 0)
		cfg_err(c, c->cfg->priv->tree, field, "field `%s` must be > 0",
		    field);
}

/* Lima's identifiers.Validate: [A-Za-z0-9]+ joined by single [._-]. */
static int
cfg_valid_identifier(const char *s)
{
	int prev_sep = 1;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.' || *s == '_' || *s == '-') {
			if (prev_sep)
				return 0;
			prev_sep = 1;
		} else if ((*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
			prev_sep = 0;
		else
			return 0;
	}
	return !prev_sep;
}

static int
cfg_valid_username(const char *s)
{
	size_t n = 0;

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s != '\0'; s++, n++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			*s == '_' || *s == '-'))
			return 0;
	}
	return n <= 32;
}

static void
cfg_check_user(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;
	const struct node *t = cfg->priv->tree;
	const char *sh = cfg->user.shell;
	int windows = strcmp(cfg->os, "Windows") == 0;

	if (strcmp(cfg->user.name, "root") == 0)
		cfg_err(c, t, "user.name",
		    "field `user.name` must not be `root`: the guest user "
		    "cannot be root");
	else if (!cfg_valid_username(cfg->user.name))
		cfg_err(c, t, "user.name",
		    "field `user.name` must match ^[a-z_][a-z0-9_-]*$ (at most "
		    "32 characters), got %s",
		    cfg_q(c, cfg->user.name));
	if (cfg->user.uid == 0)
		cfg_err(c, t, "user.uid",
		    "field `user.uid` must not be 0: the guest user cannot be "
		    "root");
	if (!windows && cfg->user.home[0] != '/')
		cfg_err(c, t, "user.home",
		    "field `user.home` must be an absolute path, got %s",
		    cfg_q(c, cfg->user.home));
	if (windows) {
		if (strcmp(sh, "cmd.exe") != 0 &&
		    strcmp(sh, "powershell.exe") != 0 &&
		    strcmp(sh, "pwsh.exe") != 0)
			cfg_err(c, t, "user.shell",
			    "field `user.shell` must be one of cmd.exe, "
			    "powershell.exe or pwsh.exe, got %s",
			    cfg_q(c, sh));
	} else if (sh[0] != '/')
		cfg_err(c, t, "user.shell",
		    "field `user.shell` must be an absolute path, got %s",
		    cfg_q(c, sh));
	if (strcmp(cfg->os, "Darwin") == 0) {
		if (cfg->user.passwordless_sudo)
			cfg_err(c, t, "user.passwordlessSudo",
			    "field `user.passwordlessSudo` must be false for "
			    "`os: Darwin`");
	} else if (!cfg->user.passwordless_sudo && !cfg->plain)
		cfg_err(c, t, "user.passwordlessSudo",
		    "field `user.passwordlessSudo` can only be false when "
		    "field `plain` is true");
}

static void
cfg_check_versions(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;
	const struct node *t = cfg->priv->tree;
	const char *min = cfg->minimum_lima_version;
	long v[3];

	if (min != NULL) {
		if (cfg_semver_parse(min, v) != 0)
			cfg_err(c, t, "minimumLimaVersion",
			    "field `minimumLimaVersion` must be a semvar "
			    "value, got %s",
			    cfg_q(c, min));
		else if (cfg_version_lt(PACKAGE_VERSION, min))
			cfg_err(c, t, "minimumLimaVersion",
			    "template requires Lima version %s; this is only "
			    "%s",
			    cfg_q(c, min), cfg_q(c, PACKAGE_VERSION));
	}
	min = cfg->qemu.minimum_version;
	if (min != NULL && cfg_semver_parse(min, v) != 0)
		cfg_err(c, t, "vmOpts.qemu.minimumVersion",
		    "field `vmOpts.qemu.minimumVersion` must be a semvar "
		    "value, got %s",
		    cfg_q(c, min));
}

static void
cfg_check_param(struct cfg_check *c)
{
	const struct config_map *m = &c->cfg->param;
	const unsigned char *p;
	const char *k;
	size_t i;

	for (i = 0; i < m->n; i++) {
		k = m->v[i].key;
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')) ||
		    strspn(k,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"
			"23456789_") != strlen(k))
			cfg_err(c, c->cfg->priv->tree, "param",
			    "param %s name does not match regex %s",
			    cfg_q(c, k), cfg_q(c, "^[a-zA-Z][a-zA-Z0-9_]*$"));
		for (p = (const unsigned char *)m->v[i].value; *p != '\0';
		     p++) {
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
				cfg_err(c, c->cfg->priv->tree, "param",
				    "param %s value contains unprintable "
				    "character 0x%02x",
				    cfg_q(c, k), *p);
				break;
			}
		}
	}
}

static void
cfg_check_misc(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;
	const struct node *t = cfg->priv->tree;
	const char *mt = cfg->mount_type, *a = cfg->arch;
	char *list, *old;
	size_t i;

	if (cfg->cpus < 0)
		cfg_err(c, t, "cpus", "field `cpus` must be > 0");
	cfg_check_size(c, "memory", cfg->memory_str);
	cfg_check_size(c, "disk", cfg->disk_str);
	for (i = 0; i < cfg->nadditional_disks; i++) {
		if (!cfg_valid_identifier(cfg->additional_disks[i].name))
			cfg_err(c, cfg->additional_disks[i].node, "name",
			    "field `additionalDisks[%zu].name` is invalid: %s "
			    "must match ^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$",
			    i, cfg_q(c, cfg->additional_disks[i].name));
	}
	if (cfg->ssh.local_port != 0)
		cfg_check_port(c, t, "ssh.localPort", "ssh.localPort",
		    cfg->ssh.local_port);
	if (strcmp(mt, "reverse-sshfs") != 0 && strcmp(mt, "9p") != 0 &&
	    strcmp(mt, "virtiofs") != 0 && strcmp(mt, "wsl2") != 0)
		cfg_err(c, t, "mountType",
		    "field `mountType` must be \"reverse-sshfs\" or \"9p\" or "
		    "\"virtiofs\" or \"wsl2\", got %s",
		    cfg_q(c, mt));
	else if (cfg_strv_has(&cfg->mount_types_unsupported, mt)) {
		list = xstrdup("");
		for (i = 0; i < cfg->mount_types_unsupported.n; i++) {
			old = list;
			xasprintf(&list, "%s%s%s", old, i == 0 ? "" : " ",
			    cfg->mount_types_unsupported.v[i]);
			free(old);
		}
		cfg_err(c, t, "mountType",
		    "field `mountType` must not be one of "
		    "`mountTypesUnsupported` ([%s]), got %s",
		    list, cfg_q(c, mt));
		free(list);
	}
	if (cfg->containerd.system || cfg->containerd.user) {
		if (cfg->containerd.narchives == 0)
			cfg_err(c, t, "containerd",
			    "field `containerd.archives` must be provided");
	}
	for (i = 0; i < cfg->containerd.narchives; i++) {
		char field[64];

		snprintf(field, sizeof field, "containerd.archives[%zu]", i);
		cfg_check_file(c, &cfg->containerd.archives[i], field);
	}
	for (i = 0; i < cfg->firmware.nimages; i++) {
		char field[64];

		snprintf(field, sizeof field, "firmware.images[%zu]", i);
		cfg_check_file(c, &cfg->firmware.images[i], field);
	}
	for (i = 0; i < cfg->ncopy_to_host; i++) {
		const struct config_copy_to_host *r = &cfg->copy_to_host[i];

		if (r->guest == NULL || r->guest[0] != '/')
			cfg_err(c, r->node, "guest",
			    "field `copyToHost[%zu].guest` must be an absolute "
			    "path, but is %s",
			    i, cfg_q(c, r->guest));
		if (r->host == NULL || r->host[0] != '/')
			cfg_err(c, r->node, "host",
			    "field `copyToHost[%zu].host` must be an absolute "
			    "path, but is %s",
			    i, cfg_q(c, r->host));
	}
	if (cfg->dns.n != 0 && cfg->host_resolver.enabled)
		cfg_err(c, t, "dns",
		    "field `dns` must be empty when field "
		    "`HostResolver.Enabled` is true");
	if (cfg->tpm && strcmp(a, "x86_64") != 0 && strcmp(a, "aarch64") != 0 &&
	    strcmp(a, "armv7l") != 0 && strcmp(a, "riscv64") != 0)
		cfg_err(c, t, "tpm", "field `tpm` is not supported for arch %s",
		    cfg_q(c, a));
	if (strcmp(cfg->audio.interface, "") != 0 &&
	    strcmp(cfg->audio.interface, "hda") != 0 &&
	    strcmp(cfg->audio.interface, "virtio") != 0)
		cfg_err(c, t, "audio.interface",
		    "field `audio.interface` must be one of \"\", \"hda\" or "
		    "\"virtio\"; got %s",
		    cfg_q(c, cfg->audio.interface));
	if (cfg->ssh.over_vsock == 1)
		cfg_warn(c,
		    "field `ssh.overVsock` is not implemented yet for QEMU; "
		    "ignored");
}

/* The experimental-feature warnings of limactl create/edit. */
static void
cfg_check_experimental(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;

	if (strcmp(cfg->os, "Linux") != 0)
		cfg_warn(c, "`os: %s` is experimental", cfg->os);
	if (strcmp(cfg->arch, "x86_64") != 0 &&
	    strcmp(cfg->arch, "aarch64") != 0)
		cfg_warn(c, "`arch: %s` is experimental", cfg->arch);
	if (strcmp(cfg->mount_type, "virtiofs") == 0)
		cfg_warn(c, "`mountType: virtiofs` on Linux is experimental");
	if (strcmp(cfg->video.display, "vnc") == 0)
		cfg_warn(c, "`video.display: vnc` is experimental");
	if (*cfg->audio.device != '\0')
		cfg_warn(c, "`audio.device` is experimental");
	if (cfg->mount_inotify)
		cfg_warn(c, "`mountInotify` is experimental");
	if (!cfg->user.passwordless_sudo)
		cfg_warn(c, "`user.passwordlessSudo: false` is experimental");
	if (cfg->tpm)
		cfg_warn(c, "`tpm` is experimental");
}

/*
 * Lima's Validate on a filled config.  Returns -1 and *cause (one line
 * per problem) when anything is wrong; warnings go to the config.
 */
int
cfg_validate(struct lima_config *cfg, int warn, char **cause)
{
	struct cfg_check c;
	const struct node *t = cfg->priv->tree;
	int rc = 0;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.warn = warn;
	if (cfg->nbase != 0)
		cfg_err(&c, t, "base",
		    "field `base` must be empty for YAML validation");
	cfg_check_versions(&c);
	if (strcmp(cfg->vm_type, "qemu") != 0)
		cfg_err(&c, t, "vmType", "vmType %s is not a registered driver",
		    cfg_q(&c, cfg->vm_type));
	if (strcmp(cfg->os, "Linux") != 0 && strcmp(cfg->os, "Darwin") != 0 &&
	    strcmp(cfg->os, "FreeBSD") != 0 && strcmp(cfg->os, "Windows") != 0)
		cfg_err(&c, t, "os",
		    "field `os` must be one of [Linux Darwin FreeBSD Windows]; "
		    "got %s",
		    cfg_q(&c, cfg->os));
	else if (strcmp(cfg->os, "Windows") == 0 &&
	    strcmp(cfg->arch, "x86_64") != 0 &&
	    strcmp(cfg->arch, "aarch64") != 0)
		cfg_err(&c, t, "arch",
		    "field `arch` must be x86_64 or aarch64 for `os: Windows`, "
		    "got %s",
		    cfg_q(&c, cfg->arch));
	cfg_check_arch(&c, t, "arch", "arch", cfg->arch);
	cfg_check_user(&c);
	cfg_check_images(&c);
	cfg_check_misc(&c);
	cfg_check_mounts(&c);
	cfg_check_provision(&c);
	cfg_check_probes(&c);
	cfg_check_port_forwards(&c);
	cfg_check_networks(&c);
	cfg_check_param(&c);
	if (warn)
		cfg_check_experimental(&c);
	if (c.errors.n != 0) {
		*cause = cfg_msgs_join(&c.errors);
		rc = -1;
	}
	cfg_msgs_clear(&c.errors);
	cfg_msgs_clear(&c.tmp);
	return rc;
}

int
config_validate_against(
    const struct lima_config *old, const struct lima_config *new, char **cause)
{
	char *a, *b;

	if (new->disk < old->disk) {
		a = units_bytes_size(old->disk);
		b = units_bytes_size(new->disk);
		xasprintf(cause,
		    "field `disk`: shrinking the disk (%s --> %s) is not "
		    "supported",
		    a, b);
		free(a);
		free(b);
		return -1;
	}
	return 0;
}
