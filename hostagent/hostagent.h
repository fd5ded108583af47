/* clima: the hostagent: one process, one event loop, one instance. */
/*
 * `limactl hostagent NAME` calls hostagent_main; it returns the process
 * exit status (0 after a requested stop, 1 on a failure or when QEMU
 * exited on its own).
 */
#ifndef HOSTAGENT_HOSTAGENT_H
#define HOSTAGENT_HOSTAGENT_H

struct hostagent_opts {
	const char *name;
	const char *pidfile;  /* or NULL */
	const char *sockpath; /* ha.sock */
	const char *boot_dir; /* guest boot scripts (share/lima/boot) */
	const char *guest_agent;     /* into cidata, or NULL */
	const char *nerdctl_archive; /* into cidata, or NULL */
	int debug;
	int progress; /* emit cloud-init lines as events */
};

int hostagent_main(const struct hostagent_opts *);

#endif
