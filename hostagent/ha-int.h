/* clima: what the files of the hostagent share. */
/*
 * struct hostagent is the one top-level context: it owns the event base
 * and every live thing of the instance (docs/internals/hostagent.md).
 */
#ifndef HOSTAGENT_HA_INT_H
#define HOSTAGENT_HA_INT_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "hostagent/hostagent.h"

struct event;
struct event_base;
struct events_writer;
struct ha_api;
struct ha_gaport;
struct ha_job;
struct ha_jobs;
struct ha_qmp;
struct lima_config;
struct node;
struct sshopts;

/* Limits, each with its unit. */
#define HA_PROBE_FIRST_MSEC	50    /* first fallback probe */
#define HA_PROBE_MAX_MSEC	2000  /* backoff cap */
#define HA_STALL_REPORT_SEC	15    /* "still waiting" period */
#define HA_GUEST_WAIT_SEC	"0.05" /* guest-side marker poll */
#define HA_SSH_TIMEOUT_SEC	600   /* QEMU start to ssh login */
#define HA_BOOT_TIMEOUT_SEC	900   /* ssh login to boot-done */
#define HA_QMP_TIMEOUT_MSEC	30000 /* QEMU start to QMP greeting */
#define HA_STOP_TIMEOUT_SEC	180   /* powerdown before quit */
#define HA_QUIT_TIMEOUT_SEC	5     /* quit before SIGKILL */
#define HA_MASTER_RESTART_MAX	5     /* master restarts before giving up */
#define HA_USER_PROBE_TIMEOUT_SEC 600 /* per probe; LIMA_PROBE_TIMEOUT */
#define HA_BUILTIN_PROBE_TIMEOUT_SEC 30 /* the containerd checks: at most */

enum ha_state {
	HA_STATE_INIT,
	HA_STATE_QEMU_STARTING, /* QEMU spawned, QMP not ready */
	HA_STATE_SSH_WAIT,	/* VM running, waiting for a login */
	HA_STATE_MASTER_WAIT,	/* control master starting */
	HA_STATE_BOOT_WAIT,	/* waiting for /run/lima-boot-done */
	HA_STATE_ROUTINES,	/* static/socket forwards, copyToHost */
	HA_STATE_PROBES,	/* the template's readiness probes */
	HA_STATE_RUNNING,
	HA_STATE_STOPPING,	/* powerdown sent */
	HA_STATE_EXITING	/* QEMU gone; cleaning up */
};

/* What moves the state machine (ha_boot_step). */
enum ha_input {
	HA_IN_START,
	HA_IN_QMP_READY,
	HA_IN_VM_RUNNING,
	HA_IN_SSH_READY,   /* a login saw /run/lima-ssh-ready == IID */
	HA_IN_MASTER_UP,   /* ssh.sock accepts */
	HA_IN_BOOT_DONE,   /* /run/lima-boot-done == IID */
	HA_IN_PROBE_TIMER, /* fallback probe due */
	HA_IN_PUSH,	   /* the guest pushed a marker: probe now */
	HA_IN_STOP,	   /* SIGINT/SIGTERM */
	HA_IN_QEMU_EXITED,
	HA_IN_FAIL,	   /* ha->failure says why */
	HA_IN_ROUTINES_DONE /* the last forward or copy finished */
};

#define HA_PHASES_MAX 16
struct ha_phase {
	const char *name;
	struct timespec start;
	struct timespec end; /* zero while running */
};

struct hostagent {
	struct event_base *base;
	char *name;
	char *dir;
	char *home; /* LIMA_HOME */
	char *pidfile;
	int pid_written; /* ha.pid is ours to remove */
	char *sockpath;
	int debug;
	int progress;	       /* tail cloud-init's output as events */
	struct ha_job *cloudinit; /* that tail, over the master */
	int cloudinit_done;	  /* its completion was emitted */
	struct lima_config *cfg;
	char *iid;
	int ssh_port;
	struct sshopts *sshopts; /* Lima's common options + user, master */

	enum ha_state state;
	struct timespec t0;
	struct ha_phase phases[HA_PHASES_MAX];
	size_t nphases;

	struct ha_jobs *jobs;
	struct ha_job *qemu;
	struct ha_job *master;
	struct ha_job *probe; /* in-flight readiness probe, or NULL */
	char probe_line[128]; /* its first stdout line (the marker) */
	int probe_got;	      /* probe_line is set */
	int master_restarts;
	int pushed_boot_done; /* the guest pushed boot-done with our IID */
	struct ha_forward *forwards; /* ha-forward.c */
	size_t nforwards;
	struct ha_copy *copies;
	size_t ncopies;
	size_t routines_pending;
	struct ha_job *agent_job; /* ssh.forwardAgent's link in the guest */
	/*
	 * The optional requirements after boot: the built-in ones (owned)
	 * then the template's probes (borrowed from cfg).
	 */
	struct config_probe *probes;
	size_t nprobes;
	size_t nbuiltin_probes;
	size_t user_probe;	    /* index into probes */
	struct timespec user_probe_t0; /* its first attempt */
	struct ha_qmp *qmp;
	struct ha_gaport *ga;
	struct ha_dns *dns; /* hostResolver.enabled, else NULL */
	struct ha_api *api;
	struct events_writer *events;

	struct event *sig_int;
	struct event *sig_term;
	struct event *sig_chld;
	struct event *probe_timer;
	int probe_msec;
	struct event *stall_timer;
	struct event *phase_timer; /* the current phase's deadline */
	struct event *stop_timer;
	int stop_step; /* 0 powerdown sent, 1 quit sent, 2 killed */
	int inotify_fd;
	struct event *inotify_ev;

	char *qemu_last_error; /* QEMU's last stderr line */
	char *failure;	 /* why we are exiting, or NULL */
	int requested;	 /* the stop was asked for */
	int exit_code;
	char **errors; /* for a degraded running event */
	size_t nerrors;
};

/* ha-vnc.c: password, vncpassword and vncdisplay, once QMP is up. */
void ha_vnc_setup(struct hostagent *);

/* ha-boot.c */
void ha_boot_timers_init(struct hostagent *);
void ha_boot_step(struct hostagent *, enum ha_input);
void ha_boot_fail(struct hostagent *, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
/* A push line from the guest (ha-gaport.c calls this). */
void ha_boot_push(struct hostagent *, const char *phase, const char *iid);
/* Phases: begin a new one (ends the previous); end the current one. */
void ha_phase_begin(struct hostagent *, const char *);
void ha_phase_end(struct hostagent *);
/* The /v1/status document (the caller's). */
struct node *ha_status_node(struct hostagent *);
const char *ha_state_name(enum ha_state);

/* ha-ssh.c: argv for ssh to the guest; free with ha_argv_free. */
char **ha_ssh_argv(struct hostagent *, int use_master, const char *command);
/* `ssh -O OP -L spec` (-R when reverse) on the control master. */
char **ha_ssh_forward_argv(struct hostagent *, const char *op, int reverse,
    const char *spec);

/*
 * ha-forward.c: after boot, the static and socket forwards and
 * copyToHost, as jobs; returns how many are in flight (0: none, go on).
 * HA_IN_ROUTINES_DONE follows the last.  Cleanup at exit removes host
 * sockets and deleteOnStop copies; free releases the lists.
 */
int ha_routines_start(struct hostagent *);
/* 'text' for the guest's shell, each ' as '\'' (the caller's). */
char *ha_shell_quote(const char *);
struct node *ha_forwards_node(struct hostagent *);
void ha_routines_cleanup(struct hostagent *);
void ha_routines_free(struct hostagent *);
char **ha_ssh_master_argv(struct hostagent *);
void ha_argv_free(char **);

/* ha-gaport.c: the guest push channel on DIR/ga.sock. */
struct ha_gaport *ha_gaport_new(struct hostagent *, const char *path);
void ha_gaport_free(struct ha_gaport *);

/* ha-main.c */
/*
 * Pieces of hostagent_main's setup, also for tests/unit/test-ha-boot.c:
 * ha->probes from ha->cfg (freed by hostagent_free); the ssh options
 * (the caller's, sshopts_free); the inotify watch on ha->dir that turns
 * ssh.sock appearing into HA_IN_MASTER_UP (needs ha->base).
 */
void ha_probes_init(struct hostagent *);
struct sshopts *ha_make_sshopts(struct hostagent *);
void ha_inotify_start(struct hostagent *);
void ha_shutdown_qemu(struct hostagent *);
void ha_cleanup_and_exit(struct hostagent *);
void hostagent_free(struct hostagent *);

#endif
