/* clima: the LIMA_HOME store: instances, _config, _disks and the cache. */
/*
 * Everything limactl reads or writes under $LIMA_HOME and the download
 * cache, laid out as in docs (internals.txt).  Calls block (they run
 * qemu-img and ssh-keygen): for the CLI, never for an event loop.
 * Failures return -1 (or NULL) and set *cause, which the caller frees;
 * messages use Lima's texts.  String arrays are NULL-terminated.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct config_env;
struct node;

#define STORE_NAME_MAX             76  /* instance name length */
#define STORE_SUN_PATH_MAX         107 /* longest UNIX socket path (Linux) */
#define STORE_HA_INFO_TIMEOUT_MSEC 500 /* GET /v1/info on ha.sock */

/* $LIMA_HOME or ~/.lima, created 0700 if missing, symlinks resolved. */
char *store_lima_home(char **cause);
/* $XDG_CACHE_HOME/lima or ~/.cache/lima (not created); the caller's. */
char *store_cache_dir(void);
/* 0 if valid, else -1 and Lima's message in *cause. */
int store_validate_name(const char *, char **cause);
/* 0 if <home>/<name>/ssh.sock.1234567890123456 fits in sun_path. */
int store_check_sock_len(const char *home, const char *name, char **cause);
/* Frees a NULL-terminated string array; NULL does nothing. */
void store_strv_free(char **);

/* Creates _config/user and user.pub once (ssh-keygen, under flock). */
int store_ensure_user_key(const char *home, char **cause);
/* Trimmed public keys: user.pub, then ~/.ssh/<name>.pub if asked. */
char **store_ssh_pubkeys(
    const char *home, int load_dot_ssh, size_t *n, char **cause);

/* Instance directories, sorted (never starting with "." or "_"). */
char **store_instance_names(const char *home, size_t *n);
/* <home>/<name>; the caller's. */
char *store_instance_dir(const char *home, const char *name);
/* Writes via a temp file + fsync + rename; mode is exact (no umask). */
int store_write_file_atomic(
    const char *path, const void *, size_t, mode_t, char **cause);
/* Makes <home>/<name> with lima.yaml and lima-version; fails if exists. */
int store_instance_create(const char *home, const char *name, const char *yaml,
    size_t len, char **cause);
/* 0 done, 1 already so (the CLI warns "... Skipping."), -1 error. */
int store_protect(const char *home, const char *name, char **cause);
int store_unprotect(const char *home, const char *name, char **cause);
int store_is_protected(const char *dir);
/* rm -rf of the instance; refuses a protected one. */
int store_delete_instance(const char *home, const char *name, char **cause);
/* Copy (move = 0) or rename; the caller checks old is not running. */
int store_clone(
    const char *home, const char *old, const char *new, int move, char **cause);
/* Removes all but lima-version, protected, vz-identifier, *.yaml, *.yml. */
int store_factory_reset(const char *dir, char **cause);
/* Removes <dir>/{*.pid,*.sock,*.tmp}. */
int store_remove_temp_files(const char *dir, char **cause);
/* SIGKILL driver, hostagent, external drivers; then temp files. */
int store_kill_stale(const char *dir, char **cause);

/* One instance as store.Inspect sees it; see store_inspect. */
struct store_inst {
	char *name;
	char *hostname;     /* lima-<name>, "." and "_" as "-" */
	const char *status; /* "Running", "Stopped", "Broken" (static) */
	char *dir;
	char *vm_type; /* NULL when lima.yaml did not load */
	char *arch;
	int cpus;
	uint64_t memory; /* bytes */
	uint64_t disk;
	char *message;                 /* message: from lima.yaml, unrendered */
	struct node *additional_disks; /* seq, or NULL */
	struct node *networks;         /* seq, or NULL */
	int ssh_local_port;
	char *ssh_config_file;
	pid_t ha_pid;     /* 0: not running */
	pid_t driver_pid; /* 0: not running */
	char **errors;
	size_t nerrors;
	struct node *config; /* filled lima.yaml, or NULL */
	char *ssh_address;
	int protected;
	char *lima_version; /* "" when the file is missing */
	struct node *param; /* map, or NULL */
	char *auto_started_identifier;
	char *lima_home;
	char *identity_file;
};
#define STORE_STATUS_RUNNING "Running"
#define STORE_STATUS_STOPPED "Stopped"
#define STORE_STATUS_BROKEN  "Broken"

/*
 * Inspects <home>/<name> (env NULL: config_env_host).  NULL and *cause if
 * the directory does not exist; any other problem gives status Broken and
 * errors.  Removes stale pid files.  Free with store_inst_free.
 */
struct store_inst *store_inspect(const char *home, const char *name,
    const struct config_env *env, char **cause);
void store_inst_free(struct store_inst *);
/* The data of limactl list: JSON keys, or Go field names; the caller's. */
struct node *store_inst_to_node(const struct store_inst *, int go_names);

/* An additional disk under _disks (or the legacy _disk). */
struct store_disk {
	char *name;
	uint64_t size; /* virtual size in bytes */
	char *format;  /* "qcow2", "raw", ... */
	char *dir;
	char *instance;     /* locking instance name, or NULL */
	char *instance_dir; /* in_use_by target, or NULL */
};
char *store_disk_dir(const char *home, const char *name);
struct store_disk *store_disk_inspect(
    const char *home, const char *name, char **cause);
/* Every disk, sorted by name; *n set; the caller frees each and the array. */
struct store_disk **store_disk_list(const char *home, size_t *n, char **cause);
void store_disk_free(struct store_disk *);
int store_disk_create(const char *home, const char *name, uint64_t size,
    const char *format, char **cause);
int store_disk_import(
    const char *home, const char *name, const char *file, char **cause);
/* 0 deleted, 1 no such disk, -1 error; refuses a locked disk unless force. */
int store_disk_delete(
    const char *home, const char *name, int force, char **cause);
/* 0 resized, 1 already that size, -1 error (shrinking refused). */
int store_disk_resize(
    const char *home, const char *name, uint64_t size, char **cause);
/* in_use_by -> instdir; locking again for the same instance is fine. */
int store_disk_lock(
    const char *home, const char *name, const char *instdir, char **cause);
int store_disk_unlock(const char *home, const char *name, char **cause);

/* <cache>/download/by-url-sha256/<sha256 hex of url>; the caller's. */
char *store_cache_entry_dir(const char *url);
/* Hex SHA-256 of a string (65 bytes with the NUL). */
void store_sha256_hex(const char *, char out[65]);
/* Contents of <entry>/url and <entry>/<algo>.digest; NULL if missing. */
char *store_cache_url(const char *entrydir);
char *store_cache_digest(const char *entrydir, const char *algo);
/*
 * keep_referred = 0: rm -rf the cache root.  Else drops entries whose URL
 * is not in urls, and data.part/data.tmp.* of the ones kept.
 */
int store_prune(
    int keep_referred, const char *const *urls, size_t nurls, char **cause);

#endif
