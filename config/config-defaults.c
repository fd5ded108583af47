/* clima: Lima's built-in defaults (FillDefault) for the merged config. */
/*
 * Runs on the struct parsed from the merged document: resolves "default"
 * values, fills every unset field from struct config_env (so tests are
 * deterministic), expands template variables, merges mounts and networks
 * by key and applies plain mode.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

#define CFG_MAX_MEMORY     (4ULL << 30)
#define CFG_MAX_CPUS       4
#define CFG_DEFAULT_DISK   "100GiB"
#define CFG_ROOT_GUEST_UID 1000
#define CFG_NERDCTL_URL \
	"https://github.com/containerd/nerdctl/releases/download/v2.3.5/"
/* From the release's SHA256SUMS; the arm64 digest is not known here. */
#define CFG_NERDCTL_AMD64_DIGEST \
	"sha256:" \
	"b697295c623639734aaab737523c808fd3cc8d3046039fd94fff1744e4c317aa"

/* "2.0.0", "v1.2.3-12-gabc.m": 0 and v set, or -1. */
int
cfg_semver_parse(const char *s, long v[3])
{
	const char *p = s;
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return -1;
		v[i] = strtol(p, &end, 10);
		p = end;
		if (i < 2 && *p++ != '.')
			return -1;
	}
	if (*p != '\0' && *p != '-' && *p != '+')
		return -1;
	return 0;
}

/*
 * Is version a (of an existing instance, "v" prefix and "-..." suffix
 * allowed) older than b?  An unparsable a counts as the newest.
 */
int
cfg_version_lt(const char *a, const char *b)
{
	long va[3], vb[3];
	char *copy, *p;
	size_t len;
	int i, rc;

	copy = xstrdup(a[0] == 'v' ? a + 1 : a);
	if ((p = strchr(copy, '-')) != NULL)
		*p = '\0';
	len = strlen(copy);
	if (len >= 2 && strcmp(copy + len - 2, ".m") == 0)
		copy[len - 2] = '\0';
	rc = cfg_semver_parse(copy, va);
	free(copy);
	if (rc != 0 || cfg_semver_parse(b, vb) != 0)
		return 0;
	for (i = 0; i < 3; i++) {
		if (va[i] != vb[i])
			return va[i] < vb[i];
	}
	return 0;
}

/* Was the instance created by a Lima older than version? */
static int
cfg_created_before(const struct config_env *env, const char *version)
{
	if (env->lima_version == NULL)
		return 0;
	return cfg_version_lt(env->lima_version, version);
}

static void
cfg_default_str(char **dst, const char *def)
{
	if (*dst == NULL)
		*dst = xstrdup(def);
}

static void
cfg_default_bool(int *dst, int def)
{
	if (*dst == CONFIG_UNSET)
		*dst = def;
}

static int
cfg_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Expands *s in place as a guest or host template. */
static int
cfg_fill_tmpl(
    const struct cfg_vars *v, const char *field, char **s, char **cause)
{
	char *out;

	if (*s == NULL)
		return 0;
	if (cfg_expand(v, field, *s, &out, cause) != 0)
		return -1;
	free(*s);
	*s = out;
	return 0;
}

/* A login name Lima accepts as the guest user: ^[a-z_][a-z0-9_-]*$. */
static int
cfg_valid_user(const char *s)
{
	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			*s == '_' || *s == '-'))
			return 0;
	}
	return 1;
}

/*
 * user.*.  Decision for root: clima must work when run as root, but a
 * guest user can be neither "root" nor uid 0 (cloud-init would clobber
 * root), so a host uid 0 gives the guest user "lima" with uid 1000,
 * as an invalid or "admin" login name gives "lima" in Lima.
 */
static int
cfg_fill_user(struct lima_config *cfg, const struct config_env *env,
    struct cfg_msgs *w, char **cause)
{
	struct cfg_vars v;
	const char *shell;

	if (cfg->user.name == NULL) {
		if (env->host_uid == 0) {
			cfg_msgs_add(w,
			    "running as root (uid 0): the guest user is %s "
			    "instead",
			    "\"lima\"");
			cfg->user.name = xstrdup("lima");
		} else if (!cfg_valid_user(env->host_user) ||
		    strcmp(env->host_user, "admin") == 0) {
			cfg_msgs_add(w,
			    "local user name \"%s\" is not a valid Linux user "
			    "name (must match ^[a-z_][a-z0-9_-]*$ and not be "
			    "\"admin\"); using \"lima\" instead",
			    env->host_user != NULL ? env->host_user : "");
			cfg->user.name = xstrdup("lima");
		} else
			cfg->user.name = xstrdup(env->host_user);
	}
	cfg_default_str(&cfg->user.comment,
	    env->host_comment != NULL ? env->host_comment : "");
	if (cfg->user.uid == -1) {
		cfg->user.uid = env->host_uid;
		if (env->host_uid == 0)
			cfg->user.uid = CFG_ROOT_GUEST_UID;
	}
	if (cfg->user.home == NULL) {
		cfg->user.home = xstrdup(cfg_created_before(env, "2.1.0")
			? "/home/{{.User}}.linux"
			: "/home/{{.User}}.guest");
	}
	cfg_vars_guest(cfg, &v);
	v.home = NULL; /* user.home cannot refer to itself */
	if (cfg_fill_tmpl(&v, "user.home", &cfg->user.home, cause) != 0)
		return -1;
	if (cfg->user.shell == NULL) {
		if (strcmp(cfg->os, "Darwin") == 0)
			shell = "/bin/zsh";
		else if (strcmp(cfg->os, "FreeBSD") == 0)
			shell = "/bin/sh";
		else if (strcmp(cfg->os, "Windows") == 0)
			shell = "cmd.exe";
		else
			shell = "/bin/bash";
		cfg->user.shell = xstrdup(shell);
	}
	cfg_default_bool(
	    &cfg->user.passwordless_sudo, strcmp(cfg->os, "Darwin") != 0);
	return 0;
}

/* vmOpts.qemu.cpuType: every known arch, "host" for the KVM-able one. */
static void
cfg_fill_cpu_type(struct lima_config *cfg, const struct config_env *env)
{
	struct config_map m = { NULL, 0 };
	const char *arch, *val;
	size_t i;

	for (i = 0; (arch = cfg_arch_types[i]) != NULL; i++) {
		val = cfg_map_get(&cfg->qemu.cpu_type, arch);
		if (cfg_empty(val)) {
			val = "max";
			if (env->host_kvm && env->host_arch != NULL &&
			    strcmp(arch, env->host_arch) == 0)
				val = "host";
		}
		cfg_map_set(&m, arch, val);
	}
	for (i = 0; i < cfg->qemu.cpu_type.n; i++) {
		if (!cfg_is_arch(cfg->qemu.cpu_type.v[i].key))
			cfg_map_set(&m, cfg->qemu.cpu_type.v[i].key,
			    cfg->qemu.cpu_type.v[i].value);
	}
	cfg_map_free(&cfg->qemu.cpu_type);
	cfg->qemu.cpu_type = m;
}

static void
cfg_fill_sizes(struct lima_config *cfg, const struct config_env *env)
{
	uint64_t mem;
	char *cause = NULL;

	if (cfg->cpus == 0) {
		cfg->cpus = CFG_MAX_CPUS;
		if (env->host_ncpu > 0 && env->host_ncpu < CFG_MAX_CPUS)
			cfg->cpus = env->host_ncpu;
	}
	if (cfg->memory_str == NULL) {
		mem = CFG_MAX_MEMORY;
		if (env->host_memory != 0 && env->host_memory / 2 < mem)
			mem = env->host_memory / 2;
		cfg->memory_str = units_bytes_size(mem);
	}
	/* A bad size is reported by validation. */
	if (units_parse_size(cfg->memory_str, &cfg->memory, &cause) != 0)
		cfg->memory = 0;
	free(cause);
	cause = NULL;
	cfg_default_str(&cfg->disk_str, CFG_DEFAULT_DISK);
	if (units_parse_size(cfg->disk_str, &cfg->disk, &cause) != 0)
		cfg->disk = 0;
	free(cause);
}

static void
cfg_fill_containerd(struct lima_config *cfg)
{
	struct config_file *f;
	int linux_guest = strcmp(cfg->os, "Linux") == 0;
	int arch_ok = strcmp(cfg->arch, "x86_64") == 0 ||
	    strcmp(cfg->arch, "aarch64") == 0;

	cfg_default_bool(&cfg->containerd.system, 0);
	cfg_default_bool(&cfg->containerd.user, linux_guest && arch_ok);
	if (cfg->containerd.narchives != 0)
		return;
	f = cfg_list_grow(
	    &cfg->containerd.archives, &cfg->containerd.narchives, sizeof *f);
	f->location =
	    xstrdup(CFG_NERDCTL_URL "nerdctl-full-2.3.5-linux-amd64.tar.gz");
	f->arch = xstrdup("x86_64");
	f->digest = xstrdup(CFG_NERDCTL_AMD64_DIGEST);
	f = cfg_list_grow(
	    &cfg->containerd.archives, &cfg->containerd.narchives, sizeof *f);
	f->location =
	    xstrdup(CFG_NERDCTL_URL "nerdctl-full-2.3.5-linux-arm64.tar.gz");
	f->arch = xstrdup("aarch64");
}

static int
cfg_fill_provision(struct lima_config *cfg, char **cause)
{
	struct config_provision *p;
	struct cfg_vars v;
	char field[64];
	size_t i;

	cfg_vars_guest(cfg, &v);
	for (i = 0; i < cfg->nprovision; i++) {
		p = &cfg->provision[i];
		if (cfg_empty(p->mode))
			cfg_set(&p->mode, "system");
		if (strcmp(p->mode, "dependency") == 0)
			cfg_default_bool(
			    &p->skip_default_dependency_resolution, 0);
		if (strcmp(p->mode, "data") == 0) {
			cfg_default_bool(&p->overwrite, 1);
			cfg_default_str(&p->owner, "root:root");
			cfg_default_str(&p->permissions, "644");
		}
		if (strcmp(p->mode, "yq") == 0) {
			cfg_default_str(&p->format, "auto");
			cfg_default_str(&p->owner, "root:root");
			cfg_default_str(&p->permissions, "644");
		}
#define T(name, member) \
	snprintf(field, sizeof field, "provision[%zu]." name, i); \
	if (cfg_fill_tmpl(&v, field, &p->member, cause) != 0) \
	return -1
		T("script", script);
		T("content", content);
		T("expression", expression);
		T("owner", owner);
		T("path", path);
#undef T
	}
	return 0;
}

static int
cfg_fill_probes(struct lima_config *cfg, char **cause)
{
	struct config_probe *p;
	struct cfg_vars v;
	char field[64];
	size_t i;

	cfg_vars_guest(cfg, &v);
	for (i = 0; i < cfg->nprobes; i++) {
		p = &cfg->probes[i];
		if (cfg_empty(p->mode))
			cfg_set(&p->mode, "readiness");
		if (cfg_empty(p->description)) {
			free(p->description);
			xasprintf(&p->description, "user probe %zu/%zu", i + 1,
			    cfg->nprobes);
		}
		snprintf(field, sizeof field, "probes[%zu].script", i);
		if (cfg_fill_tmpl(&v, field, &p->script, cause) != 0)
			return -1;
	}
	return 0;
}

/* Lima's FillPortForwardDefaults, plus templates. */
static int
cfg_fill_port_forwards(struct lima_config *cfg, char **cause)
{
	struct config_port_forward *r;
	struct cfg_vars gv, hv;
	char field[64], *abs;
	size_t i;

	cfg_vars_guest(cfg, &gv);
	cfg_vars_host(cfg, &hv);
	for (i = 0; i < cfg->nport_forwards; i++) {
		r = &cfg->port_forwards[i];
		if (cfg_empty(r->proto))
			cfg_set(&r->proto, "any");
		if (r->guest_ip == NULL)
			r->guest_ip = xstrdup(r->guest_ip_must_be_zero == 1
				? "0.0.0.0"
				: "127.0.0.1");
		cfg_default_bool(&r->guest_ip_must_be_zero,
		    strcmp(r->guest_ip, "0.0.0.0") == 0);
		cfg_default_str(&r->host_ip, "127.0.0.1");
		if (r->guest_port_range[0] == 0 &&
		    r->guest_port_range[1] == 0) {
			r->guest_port_range[0] =
			    r->guest_port != 0 ? r->guest_port : 1;
			r->guest_port_range[1] =
			    r->guest_port != 0 ? r->guest_port : 65535;
		}
		if (r->host_port_range[0] == 0 && r->host_port_range[1] == 0) {
			if (r->host_port != 0) {
				r->host_port_range[0] = r->host_port;
				r->host_port_range[1] = r->host_port;
			} else {
				r->host_port_range[0] = r->guest_port_range[0];
				r->host_port_range[1] = r->guest_port_range[1];
			}
		}
		snprintf(
		    field, sizeof field, "portForwards[%zu].guestSocket", i);
		if (cfg_fill_tmpl(&gv, field, &r->guest_socket, cause) != 0)
			return -1;
		snprintf(
		    field, sizeof field, "portForwards[%zu].hostSocket", i);
		if (cfg_fill_tmpl(&hv, field, &r->host_socket, cause) != 0)
			return -1;
		if (!cfg_empty(r->host_socket) && r->host_socket[0] != '/') {
			xasprintf(
			    &abs, "%s/sock/%s", cfg->priv->dir, r->host_socket);
			free(r->host_socket);
			r->host_socket = cfg_clean_path(abs);
			free(abs);
		}
	}
	return 0;
}

static int
cfg_fill_copy_to_host(struct lima_config *cfg, char **cause)
{
	struct cfg_vars gv, hv;
	char field[64];
	size_t i;

	cfg_vars_guest(cfg, &gv);
	cfg_vars_host(cfg, &hv);
	for (i = 0; i < cfg->ncopy_to_host; i++) {
		snprintf(field, sizeof field, "copyToHost[%zu].guest", i);
		if (cfg_fill_tmpl(
			&gv, field, &cfg->copy_to_host[i].guest, cause) != 0)
			return -1;
		snprintf(field, sizeof field, "copyToHost[%zu].host", i);
		if (cfg_fill_tmpl(
			&hv, field, &cfg->copy_to_host[i].host, cause) != 0)
			return -1;
	}
	return 0;
}

static void
cfg_fill_mount_type(struct lima_config *cfg, const struct config_env *env)
{
	const char *mt;

	if (!cfg_empty(cfg->mount_type) &&
	    strcmp(cfg->mount_type, "default") != 0)
		return;
	if (strcmp(cfg->vm_type, "vz") == 0)
		mt = "virtiofs";
	else if (strcmp(cfg->vm_type, "qemu") == 0) {
		mt = "9p";
		if (cfg_strv_has(&cfg->mount_types_unsupported, "9p") ||
		    cfg_created_before(env, "1.0.0"))
			mt = "reverse-sshfs";
	} else
		mt = "reverse-sshfs";
	cfg_set(&cfg->mount_type, mt);
}

static int
cfg_fill_mounts(
    struct lima_config *cfg, const struct config_env *env, char **cause)
{
	struct config_mount *m;
	struct cfg_vars gv, hv;
	char field[64], *s;
	size_t i;

	cfg_vars_guest(cfg, &gv);
	cfg_vars_host(cfg, &hv);
	for (i = 0; i < cfg->nmounts; i++) {
		m = &cfg->mounts[i];
		snprintf(field, sizeof field, "mounts[%zu].location", i);
		if (m->location == NULL) {
			xasprintf(cause, "field `%s` must be set", field);
			return -1;
		}
		if (cfg_fill_tmpl(&hv, field, &m->location, cause) != 0)
			return -1;
		/* "~user" stays as is: validation rejects it. */
		if (cfg_expand_tilde(env->host_home, m->location, &s) == 0) {
			free(m->location);
			m->location = s;
		}
		s = cfg_clean_path(m->location);
		free(m->location);
		m->location = s;
		snprintf(field, sizeof field, "mounts[%zu].mountPoint", i);
		if (cfg_fill_tmpl(&gv, field, &m->mount_point, cause) != 0)
			return -1;
	}
	cfg_merge_mounts(cfg);
	for (i = 0; i < cfg->nmounts; i++) {
		m = &cfg->mounts[i];
		cfg_default_bool(&m->sshfs.cache, 1);
		cfg_default_bool(&m->sshfs.follow_symlinks, 0);
		cfg_default_str(&m->sshfs.sftp_driver, "");
		cfg_default_str(&m->ninep.security_model, "none");
		cfg_default_str(&m->ninep.protocol_version, "9p2000.L");
		cfg_default_str(&m->ninep.msize, "128KiB");
		if (m->virtiofs.queue_size == 0 &&
		    strcmp(cfg->vm_type, "qemu") == 0 &&
		    strcmp(cfg->mount_type, "virtiofs") == 0)
			m->virtiofs.queue_size = 1024;
		cfg_default_bool(&m->writable, 0);
		cfg_default_str(
		    &m->ninep.cache, m->writable ? "mmap" : "fscache");
		cfg_default_str(&m->mount_point, m->location);
	}
	return 0;
}

/* 52:55:55 and the first 3 bytes of sha256(machine-id + file#i). */
static char *
cfg_mac_address(const struct config_env *env, const char *file, size_t i)
{
	unsigned char sum[32];
	char *in, *mac;

	xasprintf(&in, "%s%s#%zu",
	    env->machine_id != NULL ? env->machine_id : "",
	    file != NULL ? file : "", i);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	mbedtls_sha256((const unsigned char *)in, strlen(in), sum, 0);
#else
	mbedtls_sha256_ret((const unsigned char *)in, strlen(in), sum, 0);
#endif
	free(in);
	xasprintf(&mac, "52:55:55:%02x:%02x:%02x", sum[0], sum[1], sum[2]);
	return mac;
}

static void
cfg_fill_networks(struct lima_config *cfg, const struct config_env *env)
{
	struct config_network *n;
	size_t i;

	cfg_merge_networks(cfg);
	for (i = 0; i < cfg->nnetworks; i++) {
		n = &cfg->networks[i];
		if (cfg_empty(n->mac_address)) {
			free(n->mac_address);
			n->mac_address =
			    cfg_mac_address(env, cfg->priv->file, i);
		}
		if (cfg_empty(n->interface)) {
			free(n->interface);
			xasprintf(&n->interface, "lima%zu", i);
		}
		if (n->metric == -1)
			n->metric = 100;
	}
}

/* Plain mode: no mounts, no dynamic port forwards, no containerd. */
static void
cfg_fill_plain(struct lima_config *cfg)
{
	struct config_port_forward *keep = NULL, *r;
	size_t nkeep = 0, i;

	for (i = 0; i < cfg->nport_forwards; i++) {
		r = &cfg->port_forwards[i];
		if (r->is_static) {
			*(struct config_port_forward *)cfg_list_grow(
			    &keep, &nkeep, sizeof *keep) = *r;
			continue;
		}
		free(r->guest_ip);
		free(r->guest_socket);
		free(r->host_ip);
		free(r->host_socket);
		free(r->proto);
	}
	free(cfg->port_forwards);
	cfg->port_forwards = keep;
	cfg->nport_forwards = nkeep;
	for (i = 0; i < cfg->nmounts; i++)
		cfg_free_fields(&cfg_mount_table, &cfg->mounts[i]);
	free(cfg->mounts);
	cfg->mounts = NULL;
	cfg->nmounts = 0;
	cfg->containerd.system = 0;
	cfg->containerd.user = 0;
	cfg_set(&cfg->timezone, "");
}

/*
 * Fills every unset field of cfg (parsed from the merged document).
 * Warnings go to cfg->priv->warnings.  Returns -1 with *cause set if a
 * template cannot be expanded.
 */
int
cfg_fill(struct lima_config *cfg, const struct config_env *env, char **cause)
{
	struct cfg_msgs *w = &cfg->priv->warnings;
	struct config_image *im;
	size_t i;

	if (cfg_empty(cfg->vm_type) || strcmp(cfg->vm_type, "default") == 0)
		cfg_set(&cfg->vm_type, "qemu");
	if (cfg_empty(cfg->os) || strcmp(cfg->os, "default") == 0)
		cfg_set(&cfg->os, "Linux");
	if (cfg_empty(cfg->arch) || strcmp(cfg->arch, "default") == 0)
		cfg_set(&cfg->arch,
		    env->host_arch != NULL ? env->host_arch : "x86_64");
	for (i = 0; i < cfg->nimages; i++) {
		im = &cfg->images[i];
		if (cfg_empty(im->file.arch))
			cfg_set(&im->file.arch, cfg->arch);
		if (im->kernel != NULL && cfg_empty(im->kernel->file.arch))
			cfg_set(&im->kernel->file.arch, im->file.arch);
		if (im->initrd != NULL && cfg_empty(im->initrd->arch))
			cfg_set(&im->initrd->arch, im->file.arch);
	}
	cfg_fill_cpu_type(cfg, env);
	cfg_fill_sizes(cfg, env);
	if (cfg_fill_user(cfg, env, w, cause) != 0)
		return -1;

	if (node_get_path(cfg->priv->tree, "ssh.localPort") == NULL &&
	    cfg->priv->name != NULL &&
	    strcmp(cfg->priv->name, "default") == 0 &&
	    cfg_created_before(env, "2.0.0"))
		cfg->ssh.local_port = 60022;
	cfg_default_bool(
	    &cfg->ssh.load_dot_ssh_pub_keys, cfg_created_before(env, "1.0.0"));
	cfg_default_bool(&cfg->ssh.forward_agent, 0);
	cfg_default_bool(&cfg->ssh.forward_x11, 0);
	cfg_default_bool(&cfg->ssh.forward_x11_trusted, 0);
	cfg_default_bool(&cfg->ssh.over_vsock, 0);
	cfg_default_bool(&cfg->firmware.legacy_bios, 0);
	cfg_default_str(&cfg->audio.device, "");
	cfg_default_str(&cfg->audio.interface, "");
	cfg_default_str(&cfg->video.display, "none");
	if (strcmp(cfg->vm_type, "qemu") == 0)
		cfg_default_str(&cfg->video.vnc_display, "127.0.0.1:0,to=9");
	cfg_default_bool(&cfg->upgrade_packages, 0);
	cfg_fill_containerd(cfg);
	cfg_default_str(&cfg->guest_install_prefix, "/usr/local");

	if (cfg_fill_provision(cfg, cause) != 0 ||
	    cfg_fill_probes(cfg, cause) != 0 ||
	    cfg_fill_port_forwards(cfg, cause) != 0 ||
	    cfg_fill_copy_to_host(cfg, cause) != 0)
		return -1;
	cfg_fill_mount_type(cfg, env);
	cfg_default_bool(&cfg->mount_inotify, 0);
	if (cfg_fill_mounts(cfg, env, cause) != 0)
		return -1;
	cfg_fill_networks(cfg, env);

	cfg_default_bool(&cfg->host_resolver.enabled, 1);
	cfg_default_bool(&cfg->host_resolver.ipv6, 0);
	cfg_default_bool(&cfg->propagate_proxy_env, 1);
	cfg_default_bool(&cfg->ca_certs.remove_defaults, 0);
	cfg_default_bool(&cfg->nested_virtualization, 0);
	cfg_default_bool(&cfg->tpm, 0);
	if (cfg->timezone == NULL) {
		if (cfg_empty(env->host_timezone))
			cfg_msgs_add(w,
			    "cannot determine the host time zone; field "
			    "`timezone` is left empty");
		cfg->timezone = xstrdup(
		    env->host_timezone != NULL ? env->host_timezone : "");
	}
	cfg_default_bool(&cfg->plain, 0);
	if (cfg->plain)
		cfg_fill_plain(cfg);
	return 0;
}
