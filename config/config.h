/* clima: lima.yaml as typed structs: parse, merge, fill defaults, validate. */
/*
 * Loading has three passes (STYLE.md section 6): parse (node tree to
 * struct), fill defaults (built-in < _config/default.yaml < instance <
 * _config/override.yaml, with Lima's list and map merge rules) and
 * validate.  config_load() runs all three for an instance.
 *
 * Exception to "opaque structs": struct lima_config is public, because
 * the CLI, the store, cidata and the hostagent read dozens of its fields.
 * Treat it as read-only outside config/.  After a successful
 * config_load() every tri-state is 0 or 1 and every defaulted string is
 * non-NULL; a NULL string means "not set and no default".
 */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct node;

/*
 * What the defaults depend on, outside lima.yaml.  config_env_host()
 * fills it from the running host; tests fill it by hand.  Strings are
 * owned by the struct (config_env_free); any may be NULL.
 */
struct config_env {
	char *lima_home;    /* resolved $LIMA_HOME; NULL: no _config merge */
	char *instance_dir; /* <LIMA_HOME>/<name>, or NULL (file's dir) */
	char *name;         /* instance name, or NULL (from the file name) */
	char *lima_version; /* of an existing instance, NULL for a new one */
	char *host_user;    /* login name */
	char *host_comment; /* GECOS full name */
	char *host_home;
	uint32_t host_uid;
	int host_ncpu;
	uint64_t host_memory; /* bytes */
	char *host_arch;      /* x86_64, aarch64, ... */
	char *host_timezone;  /* "" if unknown */
	char *machine_id;     /* /etc/machine-id, for network MAC addresses */
	char *tmpdir;         /* $TMPDIR or /tmp, for {{.TempDir}} */
	int host_kvm; /* /dev/kvm usable: cpuType "host" for host arch */
};

void config_env_host(
    struct config_env *, const char *lima_home, const char *name);
void config_env_free(struct config_env *);

/* Tri-state booleans read CONFIG_UNSET until defaults are filled. */
#define CONFIG_UNSET (-1)

/* An ordered string list and an ordered string map (unique keys). */
struct config_strv {
	char **v;
	size_t n;
};
struct config_kv {
	char *key;
	char *value;
};
struct config_map {
	struct config_kv *v;
	size_t n;
};

/*
 * Every list element keeps "node", a borrowed pointer into the merged
 * document owned by the config (NULL for built-in defaults), so that
 * messages can say where the element came from.
 */
struct config_locator { /* base[], provision[].file, probes[].file */
	const struct node *node;
	char *url;
	char *digest;
};

struct config_file { /* containerd.archives[], firmware.images[] */
	const struct node *node;
	char *location;
	char *arch;
	char *digest;
	char *vm_type; /* firmware.images only */
};

struct config_kernel {
	struct config_file file;
	char *cmdline;
};

struct config_image {
	const struct node *node;
	struct config_file file;
	struct config_kernel *kernel; /* NULL if unset */
	struct config_file *initrd;   /* NULL if unset */
	char *variant;
	char *arch_variant;
};

struct config_disk {
	const struct node *node;
	char *name;
	int format; /* tri-state */
	char *fs_type;
	struct config_strv fs_args;
};

struct config_mount {
	const struct node *node;
	char *location;    /* ~ and host template expanded, cleaned */
	char *mount_point; /* guest template expanded; default location */
	int writable;
	struct {
		int cache;
		int follow_symlinks;
		char *sftp_driver;
	} sshfs;
	struct {
		char *security_model;
		char *protocol_version;
		char *msize;
		char *cache;
	} ninep;
	struct {
		int queue_size; /* 0: unset */
	} virtiofs;
};

struct config_provision {
	const struct node *node;
	char *mode;
	int skip_default_dependency_resolution;
	char *script;
	struct config_locator *file; /* NULL if unset */
	char *playbook;
	char *content;
	int overwrite;
	char *owner;
	char *path;
	char *permissions;
	char *expression;
	char *format;
};

struct config_probe {
	const struct node *node;
	char *mode;
	char *description;
	char *script;
	struct config_locator *file;
	char *hint;
};

struct config_port_forward {
	const struct node *node;
	int guest_ip_must_be_zero;
	char *guest_ip;
	int guest_port;
	int guest_port_range[2];
	char *guest_socket;
	char *host_ip;
	int host_port;
	int host_port_range[2];
	char *host_socket;
	char *proto;
	int reverse; /* the last three are plain booleans, 0 when unset */
	int ignore;
	int is_static;
};

struct config_copy_to_host {
	const struct node *node;
	char *guest;
	char *host;
	int skip_if_missing;
	int delete_on_stop;
};

struct config_network {
	const struct node *node;
	char *lima;
	char *socket;
	int vz_nat;
	char *mac_address;
	char *interface;
	int64_t metric; /* -1 until defaults are filled */
};

struct lima_config {
	struct config_locator *base; /* rejected by validation */
	size_t nbase;
	char *minimum_lima_version;
	char *vm_type;
	struct {
		char *minimum_version;
		struct config_map cpu_type; /* arch -> QEMU -cpu */
	} qemu;                             /* vmOpts.qemu */
	struct {
		int rosetta_enabled;
		int rosetta_binfmt;
		char *disk_image_format;
	} vz; /* vmOpts.vz (kept for round trips only) */
	char *os;
	struct node *os_opts; /* osOpts, kept as given */
	char *arch;
	struct config_image *images;
	size_t nimages;
	int cpus;
	char *memory_str; /* as written, e.g. "4GiB" */
	uint64_t memory;  /* bytes, once filled */
	char *disk_str;
	uint64_t disk;
	struct config_disk *additional_disks;
	size_t nadditional_disks;
	struct config_mount *mounts;
	size_t nmounts;
	struct config_strv mount_types_unsupported;
	char *mount_type;
	int mount_inotify;
	struct {
		int local_port; /* 0: pick a free port at start */
		int load_dot_ssh_pub_keys;
		int forward_agent;
		int forward_x11;
		int forward_x11_trusted;
		int over_vsock;
	} ssh;
	struct {
		int legacy_bios;
		struct config_file *images;
		size_t nimages;
	} firmware;
	struct {
		char *device;
		char *interface;
	} audio;
	struct {
		char *display;
		char *vnc_display;
	} video;
	struct config_provision *provision;
	size_t nprovision;
	int upgrade_packages;
	struct {
		int system;
		int user;
		struct config_file *archives;
		size_t narchives;
	} containerd;
	char *guest_install_prefix;
	struct config_probe *probes;
	size_t nprobes;
	struct config_port_forward *port_forwards;
	size_t nport_forwards;
	struct config_copy_to_host *copy_to_host;
	size_t ncopy_to_host;
	char *message;
	struct config_network *networks;
	size_t nnetworks;
	struct config_map env;
	struct config_map param;
	struct config_strv dns;
	struct {
		int enabled;
		int ipv6;
		struct config_map hosts;
	} host_resolver;
	int propagate_proxy_env;
	struct {
		int remove_defaults;
		struct config_strv files;
		struct config_strv certs;
	} ca_certs;
	int plain;
	char *timezone;
	int nested_virtualization;
	int tpm;
	/*
	 * When the host user is root (uid 0), the default guest user is
	 * "lima" with uid 1000: a guest user can be neither root nor uid
	 * 0.  An explicit user.name root or user.uid 0 fails validation.
	 */
	struct {
		char *name;
		char *comment;
		char *home;
		char *shell;
		int64_t uid; /* -1 until defaults are filled */
		int passwordless_sudo;
	} user;

	struct config_priv *priv; /* config/ only */
};

/* Flags for config_load_buf. */
#define CONFIG_WARN 0x1 /* also warn about experimental features */

/*
 * Loads a lima.yaml (file), merges <lima_home>/_config/default.yaml and
 * override.yaml when they exist, fills defaults and validates.  Returns
 * the config (config_free) or NULL with *cause set (the caller's); a
 * cause may hold several lines, one per problem.
 */
struct lima_config *config_load(
    const struct config_env *, const char *file, char **cause);
/* The same for bytes in memory; filename is used in messages and paths. */
struct lima_config *config_load_buf(const struct config_env *, const char *buf,
    size_t len, const char *filename, int flags, char **cause);
void config_free(struct lima_config *);

/* Warnings collected while loading (borrowed; valid until config_free). */
const char *const *config_warnings(const struct lima_config *, size_t *n);

/* The filled config with Lima's JSON names and order; the caller's. */
struct node *config_to_node(const struct lima_config *);

/* "lima-" + name with '.' and '_' turned into '-'; the caller's. */
char *config_hostname(const char *name);

/* Refuses changes an existing instance cannot take (shrinking disk). */
int config_validate_against(
    const struct lima_config *old, const struct lima_config *new, char **cause);

/* Expands {{.Name}}, {{.Home}}, ... as in guest-side fields. */
char *config_expand_guest(
    const struct lima_config *, const char *tmpl, char **cause);

#endif
