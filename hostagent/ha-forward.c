/* clima: what the hostagent sets up once the guest has booted. */
/*
 * Lima's routines after boot that need only ssh: the static port
 * forwards (portForwards with `static: true`), the socket forwards
 * (guestSocket -> hostSocket, or the reverse), both through the control
 * master (`ssh -O forward`), copyToHost (a guest file read over ssh,
 * written to the host 0600), and with ssh.forwardAgent the guest's
 * /run/host-services/ssh-auth.sock.  Each is a job on the loop; when
 * the last one is done the boot goes on (probes, then running), failures
 * of the static forwards and of copyToHost making the start degraded as
 * in Lima.  At exit the host sockets and the deleteOnStop copies go.
 *
 * Dynamic forwarding of guest ports needs the guest agent: not here.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "hostagent/ha-int.h"
#include "hostagent/ha-proc.h"
#include "store/store.h"

enum ha_fwd_kind { HA_FWD_TCP, HA_FWD_UNIX };

struct ha_forward {
	struct hostagent *ha;
	enum ha_fwd_kind kind;
	char *host;  /* "ip:port" or a socket path */
	char *guest; /* the same, in the guest */
	int reverse;
	int is_static;
	int active;
	struct ha_job *job; /* `ssh -O forward` in flight */
	char *why;	    /* its last stderr line */
};

struct ha_copy {
	struct hostagent *ha;
	const struct config_copy_to_host *rule;
	struct ha_job *job;
	int sudo;     /* second try, after "Permission denied" */
	int denied;   /* stderr said so */
	int missing;  /* stderr said "No such file or directory" */
	char *b64;    /* the file, base64, as read so far */
	size_t b64len;
};

static void ha_routine_done(struct hostagent *);

static void
ha_routine_error(struct hostagent *ha, char *err)
{
	log_error("%s", err);
	ha->errors = xreallocarray(ha->errors, ha->nerrors + 1,
	    sizeof *ha->errors);
	ha->errors[ha->nerrors++] = err;
}

char *
ha_shell_quote(const char *s)
{
	char *q = xmalloc(strlen(s) * 4 + 3), *p = q;

	*p++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *s;
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

/* mkdir -p, 0755; what fails shows when the file is made there. */
static void
ha_mkdir_all(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	(void)mkdir(p, 0755);
	free(p);
}

/* ---- forwards ---- */

static void
ha_forward_line_cb(struct ha_job *job, int fd, const char *line, size_t len,
    void *arg)
{
	log_debug("forward: %s", line);
}

/* Keeps ssh's last complaint for the error line. */
static void
ha_forward_err_cb(struct ha_job *job, int fd, const char *line, size_t len,
    void *arg)
{
	struct ha_forward *f = arg;

	log_debug("forward: %s", line);
	if (fd == 2 && len > 0) {
		free(f->why);
		f->why = xstrdup(line);
	}
}

static void
ha_forward_done_cb(struct ha_job *job, int status, void *arg)
{
	struct ha_forward *f = arg;
	struct hostagent *ha = f->ha;
	char *err;

	f->job = NULL;
	if (status == 0) {
		f->active = 1;
		ha_routine_done(ha);
		return;
	}
	if (f->kind == HA_FWD_TCP && !f->reverse)
		xasprintf(&err, "failed to set up forwarding from %s (guest) "
		    "to %s (host): %s (hint: is the host port in use?)",
		    f->guest, f->host, f->why != NULL ? f->why : "ssh failed");
	else
		xasprintf(&err, "failed to set up forwarding from %s (guest) "
		    "to %s (host): %s", f->guest, f->host,
		    f->why != NULL ? f->why : "ssh failed");
	if (f->is_static)
		ha_routine_error(ha, err);
	else {
		log_warnx("%s", err);
		free(err);
	}
	ha_routine_done(ha);
}

static int
ha_forward_start(struct hostagent *ha, struct ha_forward *f, char **cause)
{
	char **argv, *spec, *dir, *slash;

	if (f->kind == HA_FWD_UNIX && !f->reverse) {
		/* ssh will not bind over an old socket file. */
		dir = xstrdup(f->host);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			ha_mkdir_all(dir);
		}
		free(dir);
		(void)unlink(f->host);
	}
	if (f->reverse)
		xasprintf(&spec, "%s:%s", f->guest, f->host);
	else
		xasprintf(&spec, "%s:%s", f->host, f->guest);
	if (f->is_static)
		log_info("Setting up static %s forwarding from %s to %s",
		    f->kind == HA_FWD_TCP ? "TCP" : "socket", f->guest,
		    f->host);
	else
		log_info("Forwarding %s (guest) to %s (host)", f->guest,
		    f->host);
	argv = ha_ssh_forward_argv(ha, "forward", f->reverse, spec);
	free(spec);
	f->job = ha_job_start(ha->jobs, (const char *const *)argv, NULL, 0,
	    ha_forward_err_cb, ha_forward_done_cb, f, cause);
	ha_argv_free(argv);
	return f->job != NULL ? 0 : -1;
}

/* The rules that are forwarded without the guest agent. */
static void
ha_forwards_collect(struct hostagent *ha)
{
	const struct lima_config *cfg = ha->cfg;
	const struct config_port_forward *r;
	struct ha_forward *f;
	size_t i;

	for (i = 0; i < cfg->nport_forwards; i++) {
		r = &cfg->port_forwards[i];
		if (r->ignore == 1)
			continue;
		if (r->guest_socket != NULL && *r->guest_socket != '\0' &&
		    r->host_socket != NULL && *r->host_socket != '\0') {
			ha->forwards = xreallocarray(ha->forwards,
			    ha->nforwards + 1, sizeof *ha->forwards);
			f = &ha->forwards[ha->nforwards++];
			memset(f, 0, sizeof *f);
			f->kind = HA_FWD_UNIX;
			f->guest = xstrdup(r->guest_socket);
			f->host = xstrdup(r->host_socket);
			f->reverse = r->reverse == 1;
			f->is_static = r->is_static == 1;
		} else if (r->is_static == 1 && r->guest_port > 0 &&
		    r->host_port > 0) {
			ha->forwards = xreallocarray(ha->forwards,
			    ha->nforwards + 1, sizeof *ha->forwards);
			f = &ha->forwards[ha->nforwards++];
			memset(f, 0, sizeof *f);
			f->kind = HA_FWD_TCP;
			xasprintf(&f->guest, "%s:%d", r->guest_ip != NULL ?
			    r->guest_ip : "127.0.0.1", r->guest_port);
			xasprintf(&f->host, "%s:%d", r->host_ip != NULL ?
			    r->host_ip : "127.0.0.1", r->host_port);
			f->is_static = 1;
		}
	}
	for (i = 0; i < ha->nforwards; i++)
		ha->forwards[i].ha = ha;
}

/* ---- copyToHost ---- */

static void ha_copy_run(struct ha_copy *);

static void
ha_copy_line_cb(struct ha_job *job, int fd, const char *line, size_t len,
    void *arg)
{
	struct ha_copy *c = arg;

	if (fd == 1) {
		c->b64 = xrealloc(c->b64, c->b64len + len + 1);
		memcpy(c->b64 + c->b64len, line, len);
		c->b64len += len;
		c->b64[c->b64len] = '\0';
		return;
	}
	if (strstr(line, "Permission denied") != NULL)
		c->denied = 1;
	if (strstr(line, "No such file or directory") != NULL)
		c->missing = 1;
	log_debug("copyToHost %s: %s", c->rule->guest, line);
}

/* The file as read: decoded and written 0600 (temp file, rename). */
static int
ha_copy_write(struct ha_copy *c, char **cause)
{
	unsigned char *data;
	size_t dlen = 0;
	char *dir, *slash;
	int r;

	if (c->b64len > 0 && mbedtls_base64_decode(NULL, 0, &dlen,
	    (unsigned char *)c->b64, c->b64len) ==
	    MBEDTLS_ERR_BASE64_INVALID_CHARACTER) {
		xasprintf(cause, "the guest sent a bad copy");
		return -1;
	}
	data = xmalloc(dlen + 1);
	if (c->b64len > 0 && mbedtls_base64_decode(data, dlen, &dlen,
	    (unsigned char *)c->b64, c->b64len) != 0) {
		free(data);
		xasprintf(cause, "the guest sent a bad copy");
		return -1;
	}
	dir = xstrdup(c->rule->host);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		ha_mkdir_all(dir);
	}
	free(dir);
	r = store_write_file_atomic(c->rule->host, (char *)data, dlen, 0600,
	    cause);
	free(data);
	return r;
}

static void
ha_copy_done_cb(struct ha_job *job, int status, void *arg)
{
	struct ha_copy *c = arg;
	struct hostagent *ha = c->ha;
	char *err, *cause = NULL;

	c->job = NULL;
	if (status != 0 && c->denied && !c->sudo) {
		c->sudo = 1;
		ha_copy_run(c);
		return;
	}
	if (status != 0 && c->missing && c->rule->skip_if_missing == 1) {
		log_info("Skipping %s: it does not exist in the guest",
		    c->rule->guest);
		ha_routine_done(ha);
		return;
	}
	if (status != 0) {
		xasprintf(&err, "failed to copy %s from the guest to %s: %s",
		    c->rule->guest, c->rule->host, c->missing ?
		    "no such file" : c->denied ? "permission denied" :
		    "ssh failed");
		ha_routine_error(ha, err);
	} else if (ha_copy_write(c, &cause) != 0) {
		xasprintf(&err, "failed to copy %s from the guest to %s: %s",
		    c->rule->guest, c->rule->host, cause);
		free(cause);
		ha_routine_error(ha, err);
	}
	ha_routine_done(ha);
}

static void
ha_copy_run(struct ha_copy *c)
{
	struct hostagent *ha = c->ha;
	char **argv, *cmd, *q, *cause = NULL, *err;

	free(c->b64);
	c->b64 = NULL;
	c->b64len = 0;
	c->denied = c->missing = 0;
	q = ha_shell_quote(c->rule->guest);
	xasprintf(&cmd, "env LANG=C LC_ALL=C %sbase64 %s",
	    c->sudo ? "sudo " : "", q);
	free(q);
	argv = ha_ssh_argv(ha, 1, cmd);
	free(cmd);
	c->job = ha_job_start(ha->jobs, (const char *const *)argv, NULL, 0,
	    ha_copy_line_cb, ha_copy_done_cb, c, &cause);
	ha_argv_free(argv);
	if (c->job == NULL) {
		xasprintf(&err, "failed to copy %s: %s", c->rule->guest, cause);
		free(cause);
		ha_routine_error(ha, err);
		ha_routine_done(ha);
	}
}

/* ---- ssh.forwardAgent ---- */

static void
ha_agent_done_cb(struct ha_job *job, int status, void *arg)
{
	struct hostagent *ha = arg;

	ha->agent_job = NULL;
	if (status != 0)
		log_warnx("could not link the forwarded ssh agent to "
			  "/run/host-services/ssh-auth.sock in the guest");
	ha_routine_done(ha);
}

/*
 * The master forwards the host's agent (ForwardAgent=yes); the guest's
 * fixed path for it points at this connection's socket.
 */
static int
ha_agent_start(struct hostagent *ha, char **cause)
{
	char **argv;

	argv = ha_ssh_argv(ha, 1, "ln -sf \"${SSH_AUTH_SOCK}\" "
	    "/run/host-services/ssh-auth.sock");
	ha->agent_job = ha_job_start(ha->jobs, (const char *const *)argv,
	    NULL, 0, ha_forward_line_cb, ha_agent_done_cb, ha, cause);
	ha_argv_free(argv);
	return ha->agent_job != NULL ? 0 : -1;
}

/* ---- the routines as a whole ---- */

/* One routine finished; the last one moves the boot on. */
static void
ha_routine_done(struct hostagent *ha)
{
	if (ha->routines_pending > 0 && --ha->routines_pending == 0 &&
	    ha->state == HA_STATE_ROUTINES)
		ha_boot_step(ha, HA_IN_ROUTINES_DONE);
}

int
ha_routines_start(struct hostagent *ha)
{
	const struct lima_config *cfg = ha->cfg;
	struct ha_copy *c;
	char *cause = NULL, *err;
	size_t i, agent;

	if (ha->forwards == NULL)
		ha_forwards_collect(ha);
	agent = cfg->ssh.forward_agent == 1 && cfg->plain != 1;
	ha->routines_pending = ha->nforwards + cfg->ncopy_to_host + agent;
	if (ha->routines_pending == 0)
		return 0;
	ha_phase_begin(ha, "the port forwards and copies");
	if (agent && ha_agent_start(ha, &cause) != 0) {
		log_warnx("cannot run ssh: %s", cause);
		free(cause);
		cause = NULL;
		ha->routines_pending--;
	}
	for (i = 0; i < ha->nforwards; i++) {
		if (ha_forward_start(ha, &ha->forwards[i], &cause) != 0) {
			xasprintf(&err, "cannot run ssh: %s", cause);
			free(cause);
			cause = NULL;
			ha_routine_error(ha, err);
			ha->routines_pending--;
		}
	}
	ha->copies = xcalloc(cfg->ncopy_to_host + 1, sizeof *ha->copies);
	ha->ncopies = cfg->ncopy_to_host;
	for (i = 0; i < cfg->ncopy_to_host; i++) {
		c = &ha->copies[i];
		c->ha = ha;
		c->rule = &cfg->copy_to_host[i];
		log_info("Copying config from %s to %s", c->rule->guest,
		    c->rule->host);
		ha_copy_run(c);
	}
	return ha->routines_pending;
}

struct node *
ha_forwards_node(struct hostagent *ha)
{
	struct node *list, *m;
	size_t i;

	list = node_new_seq();
	for (i = 0; i < ha->nforwards; i++) {
		const struct ha_forward *f = &ha->forwards[i];

		if (!f->active)
			continue;
		m = node_new_map();
		node_map_set(m, "proto", node_new_str(f->kind == HA_FWD_TCP ?
		    "tcp" : "unix"));
		node_map_set(m, "guest", node_new_str(f->guest));
		node_map_set(m, "host", node_new_str(f->host));
		if (f->reverse)
			node_map_set(m, "reverse", node_new_bool(1));
		if (f->is_static)
			node_map_set(m, "static", node_new_bool(1));
		node_seq_append(list, m);
	}
	return list;
}

void
ha_routines_cleanup(struct hostagent *ha)
{
	const struct lima_config *cfg = ha->cfg;
	size_t i;

	/* The master's exit closed the forwards; their socket files stay. */
	for (i = 0; i < ha->nforwards; i++) {
		if (ha->forwards[i].kind == HA_FWD_UNIX &&
		    !ha->forwards[i].reverse && ha->forwards[i].active)
			(void)unlink(ha->forwards[i].host);
		ha->forwards[i].active = 0;
	}
	for (i = 0; cfg != NULL && i < cfg->ncopy_to_host; i++) {
		if (cfg->copy_to_host[i].delete_on_stop == 1 &&
		    ha->copies != NULL && unlink(cfg->copy_to_host[i].host) == 0)
			log_info("Deleted %s", cfg->copy_to_host[i].host);
	}
}

void
ha_routines_free(struct hostagent *ha)
{
	size_t i;

	for (i = 0; i < ha->nforwards; i++) {
		free(ha->forwards[i].host);
		free(ha->forwards[i].guest);
		free(ha->forwards[i].why);
	}
	free(ha->forwards);
	for (i = 0; i < ha->ncopies; i++)
		free(ha->copies[i].b64);
	free(ha->copies);
}
