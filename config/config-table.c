/* clima: the field tables of lima.yaml and the code they drive generically. */
/*
 * One table per YAML mapping, fields in the order Lima marshals them to
 * JSON.  cfg_init sets tri-states to "unset", cfg_free_fields releases
 * whatever a table describes.  Small helpers for string lists and maps
 * live here too.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

#define F(k, t, s, m) \
	{ \
		k, t, offsetof(s, m), 0, NULL, 0 \
	}
#define FF(k, t, s, m, fl) \
	{ \
		k, t, offsetof(s, m), 0, NULL, fl \
	}
#define FS(k, t, s, m, sub, fl) \
	{ \
		k, t, offsetof(s, m), 0, sub, fl \
	}
#define FL(k, s, m, n, sub, fl) \
	{ \
		k, CFG_LIST, offsetof(s, m), offsetof(s, n), sub, fl \
	}
#define FEND \
	{ \
		NULL, CFG_STR, 0, 0, NULL, 0 \
	}

static const struct cfg_field cfg_locator_fields[] = {
	F("url", CFG_STR, struct config_locator, url),
	FF("digest", CFG_STR, struct config_locator, digest, CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_locator_table = { "locator",
	sizeof(struct config_locator), offsetof(struct config_locator, node),
	"url", cfg_locator_fields };

static const struct cfg_field cfg_file_fields[] = {
	F("location", CFG_STR, struct config_file, location),
	FF("arch", CFG_STR, struct config_file, arch, CFG_OMITEMPTY),
	FF("digest", CFG_STR, struct config_file, digest, CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_file_table = { "file",
	sizeof(struct config_file), offsetof(struct config_file, node), NULL,
	cfg_file_fields };

static const struct cfg_field cfg_fwfile_fields[] = {
	F("location", CFG_STR, struct config_file, location),
	FF("arch", CFG_STR, struct config_file, arch, CFG_OMITEMPTY),
	FF("digest", CFG_STR, struct config_file, digest, CFG_OMITEMPTY),
	FF("vmType", CFG_STR, struct config_file, vm_type, CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_fwfile_table = { "firmware image",
	sizeof(struct config_file), offsetof(struct config_file, node), NULL,
	cfg_fwfile_fields };

static const struct cfg_field cfg_kernel_fields[] = {
	FS("", CFG_INLINE, struct config_kernel, file, &cfg_file_table, 0),
	FF("cmdline", CFG_STR, struct config_kernel, cmdline, CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_kernel_table = { "kernel",
	sizeof(struct config_kernel), CFG_NONE, NULL, cfg_kernel_fields };

static const struct cfg_field cfg_image_fields[] = {
	FS("", CFG_INLINE, struct config_image, file, &cfg_file_table, 0),
	FS("kernel", CFG_PTR, struct config_image, kernel, &cfg_kernel_table,
	    0),
	FS("initrd", CFG_PTR, struct config_image, initrd, &cfg_file_table, 0),
	FF("variant", CFG_STR, struct config_image, variant, CFG_OMITEMPTY),
	FF("archVariant", CFG_STR, struct config_image, arch_variant,
	    CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_image_table = { "image",
	sizeof(struct config_image), offsetof(struct config_image, node), NULL,
	cfg_image_fields };

static const struct cfg_field cfg_disk_fields[] = {
	F("name", CFG_STR, struct config_disk, name),
	F("format", CFG_BOOL, struct config_disk, format),
	F("fsType", CFG_STR, struct config_disk, fs_type),
	F("fsArgs", CFG_STRV, struct config_disk, fs_args),
	FEND,
};
static const struct cfg_table cfg_disk_table = { "disk",
	sizeof(struct config_disk), offsetof(struct config_disk, node), "name",
	cfg_disk_fields };

static const struct cfg_field cfg_sshfs_fields[] = {
	F("cache", CFG_BOOL, struct config_mount, sshfs.cache),
	F("followSymlinks", CFG_BOOL, struct config_mount,
	    sshfs.follow_symlinks),
	F("sftpDriver", CFG_STR, struct config_mount, sshfs.sftp_driver),
	FEND,
};
static const struct cfg_table cfg_sshfs_table = { "sshfs", 0, CFG_NONE, NULL,
	cfg_sshfs_fields };

static const struct cfg_field cfg_ninep_fields[] = {
	F("securityModel", CFG_STR, struct config_mount, ninep.security_model),
	F("protocolVersion", CFG_STR, struct config_mount,
	    ninep.protocol_version),
	F("msize", CFG_STR, struct config_mount, ninep.msize),
	F("cache", CFG_STR, struct config_mount, ninep.cache),
	FEND,
};
static const struct cfg_table cfg_ninep_table = { "9p", 0, CFG_NONE, NULL,
	cfg_ninep_fields };

static const struct cfg_field cfg_virtiofs_fields[] = {
	FF("queueSize", CFG_INT, struct config_mount, virtiofs.queue_size,
	    CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_virtiofs_table = { "virtiofs", 0, CFG_NONE,
	NULL, cfg_virtiofs_fields };

static const struct cfg_field cfg_mount_fields[] = {
	F("location", CFG_STR, struct config_mount, location),
	F("mountPoint", CFG_STR, struct config_mount, mount_point),
	F("writable", CFG_BOOL, struct config_mount, writable),
	{ "sshfs", CFG_SUB, 0, 0, &cfg_sshfs_table, 0 },
	{ "9p", CFG_SUB, 0, 0, &cfg_ninep_table, 0 },
	{ "virtiofs", CFG_SUB, 0, 0, &cfg_virtiofs_table, 0 },
	FEND,
};
const struct cfg_table cfg_mount_table = { "mount", sizeof(struct config_mount),
	offsetof(struct config_mount, node), NULL, cfg_mount_fields };

static const struct cfg_field cfg_provision_fields[] = {
	FF("mode", CFG_STR, struct config_provision, mode, CFG_OMITEMPTY),
	F("skipDefaultDependencyResolution", CFG_BOOL, struct config_provision,
	    skip_default_dependency_resolution),
	F("script", CFG_STR, struct config_provision, script),
	FS("file", CFG_PTR, struct config_provision, file, &cfg_locator_table,
	    0),
	FF("playbook", CFG_STR, struct config_provision, playbook,
	    CFG_OMITEMPTY),
	F("content", CFG_STR, struct config_provision, content),
	F("overwrite", CFG_BOOL, struct config_provision, overwrite),
	F("owner", CFG_STR, struct config_provision, owner),
	F("path", CFG_STR, struct config_provision, path),
	F("permissions", CFG_STR, struct config_provision, permissions),
	F("expression", CFG_STR, struct config_provision, expression),
	F("format", CFG_STR, struct config_provision, format),
	FEND,
};
static const struct cfg_table cfg_provision_table = { "provision",
	sizeof(struct config_provision),
	offsetof(struct config_provision, node), NULL, cfg_provision_fields };

static const struct cfg_field cfg_probe_fields[] = {
	FF("mode", CFG_STR, struct config_probe, mode, CFG_OMITEMPTY),
	FF("description", CFG_STR, struct config_probe, description,
	    CFG_OMITEMPTY),
	FF("script", CFG_STR, struct config_probe, script, CFG_OMITEMPTY),
	FS("file", CFG_PTR, struct config_probe, file, &cfg_locator_table, 0),
	FF("hint", CFG_STR, struct config_probe, hint, CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_probe_table = { "probe",
	sizeof(struct config_probe), offsetof(struct config_probe, node), NULL,
	cfg_probe_fields };

#define PF struct config_port_forward
static const struct cfg_field cfg_pf_fields[] = {
	F("guestIPMustBeZero", CFG_BOOL, PF, guest_ip_must_be_zero),
	FF("guestIP", CFG_IP, PF, guest_ip, CFG_OMITEMPTY),
	FF("guestPort", CFG_INT, PF, guest_port, CFG_OMITEMPTY),
	F("guestPortRange", CFG_RANGE, PF, guest_port_range),
	FF("guestSocket", CFG_STR, PF, guest_socket, CFG_OMITEMPTY),
	FF("hostIP", CFG_IP, PF, host_ip, CFG_OMITEMPTY),
	FF("hostPort", CFG_INT, PF, host_port, CFG_OMITEMPTY),
	F("hostPortRange", CFG_RANGE, PF, host_port_range),
	FF("hostSocket", CFG_STR, PF, host_socket, CFG_OMITEMPTY),
	FF("proto", CFG_STR, PF, proto, CFG_OMITEMPTY),
	FF("reverse", CFG_FLAG, PF, reverse, CFG_OMITEMPTY),
	FF("ignore", CFG_FLAG, PF, ignore, CFG_OMITEMPTY),
	FF("static", CFG_FLAG, PF, is_static, CFG_OMITEMPTY),
	FEND,
};
#undef PF
static const struct cfg_table cfg_pf_table = { "portForward",
	sizeof(struct config_port_forward),
	offsetof(struct config_port_forward, node), NULL, cfg_pf_fields };

static const struct cfg_field cfg_cth_fields[] = {
	FF("guest", CFG_STR, struct config_copy_to_host, guest, CFG_OMITEMPTY),
	FF("host", CFG_STR, struct config_copy_to_host, host, CFG_OMITEMPTY),
	FF("skipIfMissing", CFG_FLAG, struct config_copy_to_host,
	    skip_if_missing, CFG_OMITEMPTY),
	FF("deleteOnStop", CFG_FLAG, struct config_copy_to_host, delete_on_stop,
	    CFG_OMITEMPTY),
	FEND,
};
static const struct cfg_table cfg_cth_table = { "copyToHost",
	sizeof(struct config_copy_to_host),
	offsetof(struct config_copy_to_host, node), NULL, cfg_cth_fields };

static const struct cfg_field cfg_network_fields[] = {
	FF("lima", CFG_STR, struct config_network, lima, CFG_OMITEMPTY),
	FF("socket", CFG_STR, struct config_network, socket, CFG_OMITEMPTY),
	F("vzNAT", CFG_BOOL, struct config_network, vz_nat),
	FF("macAddress", CFG_STR, struct config_network, mac_address,
	    CFG_OMITEMPTY),
	FF("interface", CFG_STR, struct config_network, interface,
	    CFG_OMITEMPTY),
	F("metric", CFG_UINT32, struct config_network, metric),
	FEND,
};
static const struct cfg_table cfg_network_table = { "network",
	sizeof(struct config_network), offsetof(struct config_network, node),
	NULL, cfg_network_fields };

#define LC struct lima_config
static const struct cfg_field cfg_qemu_fields[] = {
	F("minimumVersion", CFG_STR, LC, qemu.minimum_version),
	FS("cpuType", CFG_MAP, LC, qemu.cpu_type, NULL, CFG_M_KEYS),
	FEND,
};
static const struct cfg_table cfg_qemu_table = { "vmOpts.qemu", 0, CFG_NONE,
	NULL, cfg_qemu_fields };

static const struct cfg_field cfg_rosetta_fields[] = {
	F("enabled", CFG_BOOL, LC, vz.rosetta_enabled),
	F("binfmt", CFG_BOOL, LC, vz.rosetta_binfmt),
	FEND,
};
static const struct cfg_table cfg_rosetta_table = { "rosetta", 0, CFG_NONE,
	NULL, cfg_rosetta_fields };

static const struct cfg_field cfg_vz_fields[] = {
	{ "rosetta", CFG_SUB, 0, 0, &cfg_rosetta_table, CFG_OMITEMPTY },
	F("diskImageFormat", CFG_STR, LC, vz.disk_image_format),
	FEND,
};
static const struct cfg_table cfg_vz_table = { "vmOpts.vz", 0, CFG_NONE, NULL,
	cfg_vz_fields };

static const struct cfg_field cfg_vmopts_fields[] = {
	{ "qemu", CFG_SUB, 0, 0, &cfg_qemu_table, CFG_OMITEMPTY },
	{ "vz", CFG_SUB, 0, 0, &cfg_vz_table, CFG_OMITEMPTY },
	FEND,
};
static const struct cfg_table cfg_vmopts_table = { "vmOpts", 0, CFG_NONE, NULL,
	cfg_vmopts_fields };

static const struct cfg_field cfg_ssh_fields[] = { F("localPort", CFG_INT, LC,
						       ssh.local_port),
	F("loadDotSSHPubKeys", CFG_BOOL, LC, ssh.load_dot_ssh_pub_keys),
	F("forwardAgent", CFG_BOOL, LC, ssh.forward_agent),
	F("forwardX11", CFG_BOOL, LC, ssh.forward_x11),
	F("forwardX11Trusted", CFG_BOOL, LC, ssh.forward_x11_trusted),
	F("overVsock", CFG_BOOL, LC, ssh.over_vsock), FEND };
static const struct cfg_table cfg_ssh_table = { "ssh", 0, CFG_NONE, NULL,
	cfg_ssh_fields };

static const struct cfg_field cfg_firmware_fields[] = {
	F("legacyBIOS", CFG_BOOL, LC, firmware.legacy_bios),
	FL("images", LC, firmware.images, firmware.nimages, &cfg_fwfile_table,
	    CFG_M_OYD),
	FEND,
};
static const struct cfg_table cfg_firmware_table = { "firmware", 0, CFG_NONE,
	NULL, cfg_firmware_fields };

static const struct cfg_field cfg_audio_fields[] = { F("device", CFG_STR, LC,
							 audio.device),
	F("interface", CFG_STR, LC, audio.interface), FEND };
static const struct cfg_table cfg_audio_table = { "audio", 0, CFG_NONE, NULL,
	cfg_audio_fields };

static const struct cfg_field cfg_vnc_fields[] = {
	F("display", CFG_STR, LC, video.vnc_display),
	FEND,
};
static const struct cfg_table cfg_vnc_table = { "vnc", 0, CFG_NONE, NULL,
	cfg_vnc_fields };

static const struct cfg_field cfg_video_fields[] = { F("display", CFG_STR, LC,
							 video.display),
	{ "vnc", CFG_SUB, 0, 0, &cfg_vnc_table, 0 }, FEND };
static const struct cfg_table cfg_video_table = { "video", 0, CFG_NONE, NULL,
	cfg_video_fields };

static const struct cfg_field cfg_containerd_fields[] = {
	F("system", CFG_BOOL, LC, containerd.system),
	F("user", CFG_BOOL, LC, containerd.user),
	FL("archives", LC, containerd.archives, containerd.narchives,
	    &cfg_file_table, CFG_M_OYD),
	FEND,
};
static const struct cfg_table cfg_containerd_table = { "containerd", 0,
	CFG_NONE, NULL, cfg_containerd_fields };

static const struct cfg_field cfg_hostresolver_fields[] = {
	F("enabled", CFG_BOOL, LC, host_resolver.enabled),
	F("ipv6", CFG_BOOL, LC, host_resolver.ipv6),
	FS("hosts", CFG_MAP, LC, host_resolver.hosts, NULL, CFG_M_KEYS),
	FEND,
};
static const struct cfg_table cfg_hostresolver_table = { "hostResolver", 0,
	CFG_NONE, NULL, cfg_hostresolver_fields };

static const struct cfg_field cfg_cacerts_fields[] = {
	F("removeDefaults", CFG_BOOL, LC, ca_certs.remove_defaults),
	FS("files", CFG_STRV, LC, ca_certs.files, NULL,
	    CFG_M_DYO | CFG_M_DEDUP),
	FS("certs", CFG_STRV, LC, ca_certs.certs, NULL,
	    CFG_M_DYO | CFG_M_DEDUP),
	FEND,
};
static const struct cfg_table cfg_cacerts_table = { "caCerts", 0, CFG_NONE,
	NULL, cfg_cacerts_fields };

static const struct cfg_field cfg_user_fields[] = { F("name", CFG_STR, LC,
							user.name),
	F("comment", CFG_STR, LC, user.comment),
	F("home", CFG_STR, LC, user.home), F("shell", CFG_STR, LC, user.shell),
	F("uid", CFG_UINT32, LC, user.uid),
	F("passwordlessSudo", CFG_BOOL, LC, user.passwordless_sudo), FEND };
static const struct cfg_table cfg_user_table = { "user", 0, CFG_NONE, NULL,
	cfg_user_fields };

static const struct cfg_field cfg_top_fields[] = {
	FL("base", LC, base, nbase, &cfg_locator_table, CFG_ONE_OR_MANY),
	F("minimumLimaVersion", CFG_STR, LC, minimum_lima_version),
	F("vmType", CFG_STR, LC, vm_type),
	{ "vmOpts", CFG_SUB, 0, 0, &cfg_vmopts_table, 0 },
	F("os", CFG_STR, LC, os),
	FS("osOpts", CFG_NODE, LC, os_opts, NULL, CFG_M_KEYS),
	F("arch", CFG_STR, LC, arch),
	FL("images", LC, images, nimages, &cfg_image_table, CFG_M_OYD),
	F("cpus", CFG_INT, LC, cpus),
	F("memory", CFG_STR, LC, memory_str),
	F("disk", CFG_STR, LC, disk_str),
	FL("additionalDisks", LC, additional_disks, nadditional_disks,
	    &cfg_disk_table, CFG_M_OYD),
	FL("mounts", LC, mounts, nmounts, &cfg_mount_table, CFG_M_DYO),
	FS("mountTypesUnsupported", CFG_STRV, LC, mount_types_unsupported, NULL,
	    CFG_M_OYD),
	F("mountType", CFG_STR, LC, mount_type),
	F("mountInotify", CFG_BOOL, LC, mount_inotify),
	{ "ssh", CFG_SUB, 0, 0, &cfg_ssh_table, 0 },
	{ "firmware", CFG_SUB, 0, 0, &cfg_firmware_table, 0 },
	{ "audio", CFG_SUB, 0, 0, &cfg_audio_table, 0 },
	{ "video", CFG_SUB, 0, 0, &cfg_video_table, 0 },
	FL("provision", LC, provision, nprovision, &cfg_provision_table,
	    CFG_M_OYD),
	F("upgradePackages", CFG_BOOL, LC, upgrade_packages),
	{ "containerd", CFG_SUB, 0, 0, &cfg_containerd_table, 0 },
	F("guestInstallPrefix", CFG_STR, LC, guest_install_prefix),
	FL("probes", LC, probes, nprobes, &cfg_probe_table, CFG_M_OYD),
	FL("portForwards", LC, port_forwards, nport_forwards, &cfg_pf_table,
	    CFG_M_OYD),
	FL("copyToHost", LC, copy_to_host, ncopy_to_host, &cfg_cth_table,
	    CFG_M_OYD),
	FF("message", CFG_STR, LC, message, CFG_OMITEMPTY),
	FL("networks", LC, networks, nnetworks, &cfg_network_table, CFG_M_DYO),
	FS("env", CFG_MAP, LC, env, NULL, CFG_M_KEYS),
	FS("param", CFG_MAP, LC, param, NULL, CFG_M_KEYS),
	FS("dns", CFG_IPV, LC, dns, NULL, CFG_M_FIRST),
	{ "hostResolver", CFG_SUB, 0, 0, &cfg_hostresolver_table, 0 },
	F("propagateProxyEnv", CFG_BOOL, LC, propagate_proxy_env),
	{ "caCerts", CFG_SUB, 0, 0, &cfg_cacerts_table, 0 },
	F("plain", CFG_BOOL, LC, plain),
	F("timezone", CFG_STR, LC, timezone),
	F("nestedVirtualization", CFG_BOOL, LC, nested_virtualization),
	F("tpm", CFG_BOOL, LC, tpm),
	{ "user", CFG_SUB, 0, 0, &cfg_user_table, 0 },
	FEND,
};
#undef LC
const struct cfg_table cfg_top_table = { "lima.yaml",
	sizeof(struct lima_config), CFG_NONE, NULL, cfg_top_fields };

const char *const cfg_arch_types[] = { "x86_64", "aarch64", "armv7l", "ppc64le",
	"riscv64", "s390x", NULL };

int
cfg_is_arch(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && cfg_arch_types[i] != NULL; i++) {
		if (strcmp(s, cfg_arch_types[i]) == 0)
			return 1;
	}
	return 0;
}

/* Marks every tri-state of a freshly zeroed struct as unset. */
void
cfg_init(const struct cfg_table *t, void *base)
{
	const struct cfg_field *f;
	char *p;

	for (f = t->fields; f->key != NULL; f++) {
		p = (char *)base + f->off;
		switch (f->type) {
		case CFG_BOOL:
			*(int *)p = CONFIG_UNSET;
			break;
		case CFG_UINT32:
			*(int64_t *)p = -1;
			break;
		case CFG_SUB:
		case CFG_INLINE:
			cfg_init(f->sub, p);
			break;
		default:
			break;
		}
	}
}

/* Frees what the fields of t point to, leaving the struct itself. */
void
cfg_free_fields(const struct cfg_table *t, void *base)
{
	const struct cfg_field *f;
	char *p, *elems;
	size_t i, *n;
	void *sub;

	for (f = t->fields; f->key != NULL; f++) {
		p = (char *)base + f->off;
		switch (f->type) {
		case CFG_STR:
		case CFG_IP:
			free(*(char **)p);
			*(char **)p = NULL;
			break;
		case CFG_STRV:
		case CFG_IPV:
			cfg_strv_free((struct config_strv *)p);
			break;
		case CFG_MAP:
			cfg_map_free((struct config_map *)p);
			break;
		case CFG_NODE:
			node_free(*(struct node **)p);
			*(struct node **)p = NULL;
			break;
		case CFG_SUB:
		case CFG_INLINE:
			cfg_free_fields(f->sub, p);
			break;
		case CFG_PTR:
			if ((sub = cfg_ptr_get(p)) != NULL) {
				cfg_free_fields(f->sub, sub);
				free(sub);
				cfg_ptr_set(p, NULL);
			}
			break;
		case CFG_LIST:
			n = (size_t *)((char *)base + f->noff);
			elems = cfg_ptr_get(p);
			for (i = 0; i < *n; i++)
				cfg_free_fields(
				    f->sub, elems + i * f->sub->size);
			free(elems);
			cfg_ptr_set(p, NULL);
			*n = 0;
			break;
		default:
			break;
		}
	}
}

/*
 * Finds key in t, looking into inline tables too; *base gets the offset
 * to add to the struct's address before applying the field's offset.
 */
const struct cfg_field *
cfg_find(const struct cfg_table *t, const char *key, size_t *base)
{
	const struct cfg_field *f, *g;
	size_t sub;

	for (f = t->fields; f->key != NULL; f++) {
		if (f->type == CFG_INLINE) {
			if ((g = cfg_find(f->sub, key, &sub)) != NULL) {
				*base = f->off + sub;
				return g;
			}
			continue;
		}
		if (strcmp(f->key, key) == 0) {
			*base = 0;
			return f;
		}
	}
	return NULL;
}

/*
 * pp is the address of an array pointer of any type (read and written
 * with memcpy, so no type punning): appends a zeroed element of size
 * bytes and returns it.
 */
void *
cfg_list_grow(void *pp, size_t *n, size_t size)
{
	char *p;

	memcpy(&p, pp, sizeof p);
	p = xreallocarray(p, *n + 1, size);
	memset(p + *n * size, 0, size);
	memcpy(pp, &p, sizeof p);
	return p + (*n)++ * size;
}

/* The array or struct pointer stored at pp, whatever its type. */
void *
cfg_ptr_get(const void *pp)
{
	void *p;

	memcpy(&p, pp, sizeof p);
	return p;
}

void
cfg_ptr_set(void *pp, void *p)
{
	memcpy(pp, &p, sizeof p);
}

struct lima_config *
cfg_new(void)
{
	struct lima_config *cfg;

	cfg = xcalloc(1, sizeof *cfg);
	cfg_init(&cfg_top_table, cfg);
	cfg->priv = xcalloc(1, sizeof *cfg->priv);
	return cfg;
}

void
cfg_strv_add(struct config_strv *sv, const char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = xstrdup(s);
}

int
cfg_strv_has(const struct config_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	}
	return 0;
}

void
cfg_strv_free(struct config_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* Borrowed value of key, or NULL. */
const char *
cfg_map_get(const struct config_map *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0)
			return m->v[i].value;
	}
	return NULL;
}

/* Replaces the value of key in place, or appends it. */
void
cfg_map_set(struct config_map *m, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, key) == 0) {
			free(m->v[i].value);
			m->v[i].value = xstrdup(value);
			return;
		}
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	m->v[m->n].key = xstrdup(key);
	m->v[m->n].value = xstrdup(value);
	m->n++;
}

void
cfg_map_free(struct config_map *m)
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

/* Replaces *dst with a copy of s (NULL allowed). */
void
cfg_set(char **dst, const char *s)
{
	char *old = *dst;

	*dst = s != NULL ? xstrdup(s) : NULL;
	free(old);
}
