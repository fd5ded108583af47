/* clima: hostagent processes: child jobs, the QEMU command line, QMP. */
/*
 * Shared inside hostagent/ (with ha-int.h, which holds the rest).  Jobs
 * (ha-job.c) are children tracked on the one event loop; ha-qemu.c
 * builds QEMU's argv (reference section 7.2); ha-qmp.c is the QMP client.
 * Callbacks run from the loop, never from inside the call that armed them.
 */
#ifndef HOSTAGENT_HA_PROC_H
#define HOSTAGENT_HA_PROC_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

struct config_disk;
struct config_mount;
struct event_base;
struct lima_config;
struct node;

/* ---- jobs (ha-job.c) ---- */

#define HA_JOB_LINE_MAX 8192 /* bytes; longer output is cut into pieces */

struct ha_job;
struct ha_jobs;

/* fd is 1 (stdout) or 2 (stderr); line has no "\n" and is NUL-ended. */
typedef void (*ha_job_line_cb)(
    struct ha_job *, int fd, const char *line, size_t len, void *arg);
/* Once reaped AND both pipes hit EOF; the job is freed when it returns. */
typedef void (*ha_job_done_cb)(struct ha_job *, int status, void *arg);

/* Spawn flags. */
#define HA_JOB_SPAWN_PGRP  0x1 /* child leads its own process group */
#define HA_JOB_SPAWN_STDIN 0x2 /* stdin a pipe (ha_job_write), not /dev/null */

/* State flags (ha_job_flags). */
#define HA_JOB_RUNNING 0x1  /* spawned, not reaped */
#define HA_JOB_EXITED  0x2  /* reaped; ha_job_status is valid */
#define HA_JOB_OUT_EOF 0x4  /* stdout pipe closed */
#define HA_JOB_ERR_EOF 0x8  /* stderr pipe closed */
#define HA_JOB_DONE    0x10 /* done callback scheduled */

/* A list of jobs on base; the caller's (ha_jobs_free). */
struct ha_jobs *ha_jobs_new(struct event_base *);
/*
 * Frees every job (SIGTERM to the running ones), then the list.  Not from
 * inside a job's callback: call it once the loop has returned.
 */
void ha_jobs_free(struct ha_jobs *);
/* Reaps every exited child (waitpid(-1, WNOHANG) until none is left). */
void ha_jobs_reap(struct ha_jobs *);
/* evsignal callback for SIGCHLD; arg is the struct ha_jobs. */
void ha_jobs_sigchld_cb(evutil_socket_t, short, void *);
/* Number of jobs not yet freed. */
size_t ha_jobs_count(const struct ha_jobs *);
/* Sends sig to every running job. */
void ha_jobs_kill_all(struct ha_jobs *, int sig);

/*
 * Spawns argv (no shell; argv[0] looked up in PATH unless it has a '/').
 * env holds "K=V" entries added to (or "K" removed from) our environment;
 * NULL for none.  Returns the job (owned by jobs; freed after done runs,
 * or by ha_job_free) or NULL with *cause set.
 */
struct ha_job *ha_job_start(struct ha_jobs *, const char *const *argv,
    const char *const *env, int flags, ha_job_line_cb, ha_job_done_cb,
    void *arg, char **cause);
/* Signals the job (its group with HA_JOB_SPAWN_PGRP); -1 once reaped. */
int ha_job_kill(struct ha_job *, int sig);
/* Queues bytes for stdin (HA_JOB_SPAWN_STDIN); -1 if closed. */
int ha_job_write(struct ha_job *, const void *, size_t);
/* Closes stdin once the queued bytes are written. */
void ha_job_close_stdin(struct ha_job *);
/* Unlinks and frees; SIGTERM first if still running.  Safe in callbacks. */
void ha_job_free(struct ha_job *);
pid_t ha_job_pid(const struct ha_job *);
int ha_job_flags(const struct ha_job *);
/* The wait status (valid with HA_JOB_EXITED). */
int ha_job_status(const struct ha_job *);
/* Borrowed: basename of argv[0]. */
const char *ha_job_name(const struct ha_job *);
/* Go's wording: "exit status 3", "signal: killed"; the caller's. */
char *ha_job_status_string(int status);

/* ---- QEMU command line (ha-qemu.c) ---- */

enum ha_qemu_accel {
	HA_QEMU_ACCEL_AUTO, /* kvm if /dev/kvm opens read-write, else tcg */
	HA_QEMU_ACCEL_KVM,
	HA_QEMU_ACCEL_TCG
};

#define HA_QEMU_VERSION_MIN         "4.0.0" /* older: refused */
#define HA_QEMU_VERSION_RECOMMENDED "6.2.0" /* older: warning */

/*
 * Everything the argv depends on.  Pointers are borrowed.  The files
 * DIR/iso, DIR/kernel, DIR/kernel.cmdline and DIR/initrd are looked at by
 * ha_qemu_argv itself.  ha_qemu_params_from_config fills the config part.
 */
struct ha_qemu_params {
	const char *binary;    /* NULL: $QEMU_SYSTEM_<ARCH>, else PATH */
	const char *arch;      /* "x86_64" (NULL) or "aarch64" */
	const char *dir;       /* instance directory */
	const char *name;      /* instance name */
	const char *lima_home; /* for _disks/<name>/datadisk */
	int cpus;
	uint64_t memory; /* bytes */
	enum ha_qemu_accel accel;
	const char *cpu_type; /* NULL: "host" with kvm, else "max" */
	int legacy_bios;
	const char *firmware;      /* NULL: search (reference 7.2) */
	const char *firmware_root; /* prefix of the system paths; NULL: "" */
	const char *home;          /* for ~/.local/share/qemu; NULL: $HOME */
	const char *display;       /* NULL or "none": headless */
	const char *vnc_display;   /* NULL: "127.0.0.1:0,to=9" */
	const char *audio_device;  /* NULL, "" or "none": -audiodev none */
	const struct config_disk *disks; /* additionalDisks */
	size_t ndisks;
	const struct config_mount *mounts;
	size_t nmounts;
	const char *mount_type; /* "9p" adds one -virtfs per mount */
	int ssh_port;
	const char *mac; /* 52:55:55:xx:xx:xx; NULL: cidata_mac_address */
};

/* Fills the config-derived fields (borrowing from cfg); others are kept. */
void ha_qemu_params_from_config(
    struct ha_qemu_params *, const struct lima_config *);
/*
 * Builds QEMU's argv (NULL-terminated, *argc entries; free with
 * store_strv_free).  Warnings for the caller to log are appended to
 * *warnings (NULL-terminated, may be NULL on entry; store_strv_free).
 * Returns -1 with *cause on failure (no firmware, no binary).
 */
int ha_qemu_argv(const struct ha_qemu_params *, char ***argv, size_t *argc,
    char ***warnings, char **cause);
/* 1 if /dev/kvm opens read-write. */
int ha_qemu_kvm_usable(void);
/* Locks every additional disk for dir (store_disk_lock). */
int ha_qemu_lock_disks(const struct ha_qemu_params *, char **cause);
/*
 * Runs "binary --version" and waits for it: this BLOCKS, so call it
 * before the event loop runs.  Parses "QEMU emulator version X.Y.Z".
 */
int ha_qemu_version(
    const char *binary, int *major, int *minor, int *micro, char **cause);
/* -1 below HA_QEMU_VERSION_MIN; a warning below the recommended one. */
int ha_qemu_check_version(
    int major, int minor, int micro, char ***warnings, char **cause);
/* The binary ha_qemu_argv would run (PATH or env); the caller's. */
char *ha_qemu_binary(const char *arch, char **cause);

/* ---- QMP client (ha-qmp.c) ---- */

#define HA_QMP_LINE_MAX           (1024 * 1024) /* bytes in one message */
#define HA_QMP_PENDING_MAX        64            /* commands awaiting replies */
#define HA_QMP_RETRY_MIN_MSEC     10  /* first retry after ECONNREFUSED */
#define HA_QMP_RETRY_MAX_MSEC     250 /* backoff cap */
#define HA_QMP_NOWATCH_RETRY_MSEC 250 /* poll when inotify is unavailable */

struct ha_qmp;

/* Greeting read and qmp_capabilities accepted. */
typedef void (*ha_qmp_ready_cb)(struct ha_qmp *, void *arg);
/* An asynchronous event; data may be NULL.  Both borrowed. */
typedef void (*ha_qmp_event_cb)(
    struct ha_qmp *, const char *name, const struct node *data, void *arg);
/* The session ended: cause NULL on EOF, else why (borrowed). */
typedef void (*ha_qmp_closed_cb)(struct ha_qmp *, const char *cause, void *arg);
/* A reply: ret on success, else error (QMP's desc, or why it closed). */
typedef void (*ha_qmp_reply_cb)(
    struct ha_qmp *, const struct node *ret, const char *error, void *arg);

struct ha_qmp_cbs {
	ha_qmp_ready_cb ready;
	ha_qmp_event_cb event;
	ha_qmp_closed_cb closed;
	void *arg;
};

/*
 * Starts connecting to path (a QEMU -qmp socket) without blocking: the
 * first attempt runs from the loop; a missing socket is awaited with
 * inotify, a refused one retried with a capped backoff.  timeout_msec > 0
 * bounds the time until ready.  Returns the client (ha_qmp_free) or NULL
 * with *cause.  cbs is copied.
 */
struct ha_qmp *ha_qmp_new(struct event_base *, const char *path,
    int timeout_msec, const struct ha_qmp_cbs *, char **cause);
/*
 * Sends {"execute": cmd, "arguments": args, "id": N}; args (copied) may
 * be NULL.  Before ready, commands wait in a queue.  cb (may be NULL)
 * runs once: with the reply, or with an error when the session closes.
 */
int ha_qmp_command(struct ha_qmp *, const char *cmd, const struct node *args,
    ha_qmp_reply_cb, void *arg, char **cause);
int ha_qmp_is_ready(const struct ha_qmp *);
/* connect(2) calls so far (tests watch the retry paths). */
unsigned int ha_qmp_attempts(const struct ha_qmp *);
/* Closes and frees; no callback runs afterwards.  Safe in callbacks. */
void ha_qmp_free(struct ha_qmp *);

#endif
