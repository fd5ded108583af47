/* clima: cidata.iso, the NoCloud seed that boots a Lima guest. */
/*
 * Builds user-data, meta-data, network-config, lima.env, param.env,
 * etc_environment and the provision files from a filled lima.yaml, adds
 * the boot scripts (boot/ in the source tree, share/lima/boot installed)
 * and writes them as an ISO9660 + Rock Ridge image labelled "cidata".
 * Blocking file I/O: call it before the event loop or from a child.
 */
#ifndef CIDATA_CIDATA_H
#define CIDATA_CIDATA_H

#include <stddef.h>

struct lima_config;

#define CIDATA_VOLUME_ID     "cidata"
#define CIDATA_NAME_MAX      30 /* longest file name in the image */
#define CIDATA_SLIRP_GATEWAY "192.168.5.2"
#define CIDATA_SLIRP_DNS     "192.168.5.3"
#define CIDATA_SLIRP_IP      "192.168.5.15"
#define CIDATA_ETH0_METRIC   200

/* Everything the files are made from; every pointer is borrowed. */
struct cidata_args {
	const struct lima_config *config; /* after config_load() */
	const char *name;                 /* instance name */
	const char *instance_dir;         /* absolute; also seeds the MAC */
	const char *iid;                  /* cidata_new_iid() */
	char *const *ssh_pubkeys;         /* at least one */
	size_t nssh_pubkeys;
	int udp_dns_port; /* hostagent DNS server; 0 when not running */
	int tcp_dns_port;
	int ssh_local_port;          /* kept for the record; no file uses it */
	int debug;                   /* LIMA_CIDATA_DEBUG */
	int vsock_port;              /* LIMA_CIDATA_VSOCK_PORT; 0 on QEMU */
	const char *virtio_port;     /* guest agent serial port, or NULL */
	const char *boot_dir;        /* holds boot.sh, boot.*, util/ */
	const char *guest_agent;     /* lima-guestagent binary, or NULL */
	const char *nerdctl_archive; /* nerdctl-full-*.tar.gz, or NULL */
	const char *machine_id;      /* NULL: read /etc/machine-id */
	const char *host_home;       /* NULL: $HOME (HOSTHOME_MOUNTPOINT) */
	char *const *host_dns;       /* used without hostResolver and dns: */
	size_t nhost_dns;
	char *const *environ; /* proxy variables; NULL: the process's */
};

/*
 * Writes the image to iso_path (temp file, fsync, rename; mode 0644).
 * 0 on success, else -1 and *cause (the caller's), e.g. when the user is
 * root, there is no ssh key or a mount point is relative.
 */
int cidata_write(
    const struct cidata_args *, const char *iso_path, char **cause);

/*
 * Writes <instdir>/cloud-config.yaml: the user-data without mounts,
 * resolv_conf and write_files, mode 0444.  0, or -1 and *cause.
 */
int cidata_write_cloud_config(
    const struct cidata_args *, const char *path, char **cause);

/*
 * The individual documents, for tests and `limactl` debugging; each
 * returns the text (the caller's) or NULL and *cause.
 */
char *cidata_user_data(const struct cidata_args *, int for_iso, char **cause);
char *cidata_meta_data(const struct cidata_args *);
char *cidata_network_config(const struct cidata_args *, char **cause);
char *cidata_lima_env(const struct cidata_args *, char **cause);
char *cidata_param_env(const struct cidata_args *, char **cause);
char *cidata_etc_environment(const struct cidata_args *, char **cause);

/* "iid-<unix seconds>"; the caller's. */
char *cidata_new_iid(void);
/* "52:55:55:xx:xx:xx" from sha256(machine_id + instdir); the caller's. */
char *cidata_mac_address(const char *machine_id, const char *instdir);
/* 9p/virtiofs tag "lima-<16 hex>" of a mount; the caller's. */
char *cidata_mount_tag(const char *location, const char *mount_point);
/* Trimmed /etc/machine-id (or D-Bus's); "" when neither exists. */
char *cidata_host_machine_id(void);

#endif
