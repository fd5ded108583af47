/* clima: the VNC display of a `video.display: vnc` instance. */
/*
 * QEMU starts with `-display vnc=...,password=on`, so nobody can log in
 * until the password is set.  Once QMP is up we set a fresh random
 * password, ask QEMU which port it took (the display may be a range,
 * "to=9"), and write vncpassword (0600) and vncdisplay as Lima does.
 * Both files go when QEMU does (ha_remove_runtime_files).
 */
#include "config.h"

#include <sys/random.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "hostagent/ha-int.h"
#include "hostagent/ha-proc.h"
#include "store/store.h"

#define HA_VNC_PASSWORD_LEN 8  /* VNC's DES auth uses 8 bytes at most */
#define HA_VNC_PORT_BASE    5900

/* 8 letters and digits from the kernel's random source; 0 or -1. */
static int
ha_vnc_password(char *out, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[HA_VNC_PASSWORD_LEN];
	size_t i;

	if (len < sizeof rnd + 1 ||
	    getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -1;
	/* 256 % 62 != 0: a slight bias, harmless for a local password. */
	for (i = 0; i < sizeof rnd; i++)
		out[i] = set[rnd[i] % (sizeof set - 1)];
	out[sizeof rnd] = '\0';
	return 0;
}

static void
ha_vnc_query_cb(struct ha_qmp *q, const struct node *ret, const char *error,
    void *arg)
{
	struct hostagent *ha = arg;
	const char *host, *service;
	char *path, *display, *cause = NULL;
	long port;

	if (error != NULL) {
		log_warnx("VNC: query-vnc failed: %s", error);
		return;
	}
	host = node_get_str(node_map_get(ret, "host"));
	service = node_get_str(node_map_get(ret, "service"));
	if (host == NULL || service == NULL ||
	    (port = strtol(service, NULL, 10)) < HA_VNC_PORT_BASE) {
		log_warnx("VNC: QEMU reports no VNC server");
		return;
	}
	xasprintf(&display, "%s:%ld", host, port - HA_VNC_PORT_BASE);
	xasprintf(&path, "%s/vncdisplay", ha->dir);
	if (store_write_file_atomic(path, display, strlen(display), 0644,
	    &cause) != 0) {
		log_warnx("VNC: %s", cause);
		free(cause);
	} else
		log_info("VNC server running at %s <vnc://%s:%ld>", display,
		    host, port);
	free(path);
	free(display);
}

static void
ha_vnc_password_cb(struct ha_qmp *q, const struct node *ret,
    const char *error, void *arg)
{
	struct hostagent *ha = arg;
	char *cause = NULL;

	if (error != NULL) {
		log_warnx("VNC: setting the password failed: %s", error);
		return;
	}
	if (ha_qmp_command(q, "query-vnc", NULL, ha_vnc_query_cb, ha,
	    &cause) != 0) {
		log_warnx("VNC: query-vnc: %s", cause);
		free(cause);
	}
}

void
ha_vnc_setup(struct hostagent *ha)
{
	struct node *args;
	char pw[HA_VNC_PASSWORD_LEN + 1], *path, *cause = NULL;

	if (ha->cfg->video.display == NULL ||
	    strcmp(ha->cfg->video.display, "vnc") != 0)
		return;
	if (ha_vnc_password(pw, sizeof pw) != 0) {
		log_warnx("VNC: no random password: %s", strerror(errno));
		return;
	}
	/* The file first: whoever sees vncdisplay can read the password. */
	xasprintf(&path, "%s/vncpassword", ha->dir);
	if (store_write_file_atomic(path, pw, strlen(pw), 0600, &cause) != 0) {
		log_warnx("VNC: %s", cause);
		free(cause);
		free(path);
		return;
	}
	free(path);
	args = node_new_map();
	node_map_set(args, "password", node_new_str(pw));
	if (ha_qmp_command(ha->qmp, "change-vnc-password", args,
	    ha_vnc_password_cb, ha, &cause) != 0) {
		log_warnx("VNC: change-vnc-password: %s", cause);
		free(cause);
	}
	node_free(args);
	explicit_bzero(pw, sizeof pw);
}
