/* clima: instance status, as Lima's store.Inspect computes it. */
/*
 * Loads lima.yaml, checks ha.pid and <vmType>.pid (stale files are
 * removed), asks a live hostagent for GET /v1/info on ha.sock (HTTP/1.1
 * over a UNIX socket, bounded by STORE_HA_INFO_TIMEOUT_MSEC), falls back
 * to the Port line of ssh.config, and derives Running/Stopped/Broken.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "common/log.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "config/config.h"
#include "store/store-int.h"
#include "store/store.h"

/* Largest reply accepted from the hostagent. */
#define STORE_HA_INFO_MAX (64 * 1024)

static void
store_inst_error(struct store_inst *inst, char *msg)
{
	inst->errors = xreallocarray(
	    inst->errors, inst->nerrors + 2, sizeof *inst->errors);
	inst->errors[inst->nerrors++] = msg;
	inst->errors[inst->nerrors] = NULL;
	inst->status = STORE_STATUS_BROKEN;
}

static long long
store_now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline; -1 and *cause on timeout. */
static int
store_http_wait(int fd, short events, long long deadline, char **cause)
{
	struct pollfd pfd;
	long long left;
	int r;

	for (;;) {
		left = deadline - store_now_msec();
		if (left <= 0) {
			xasprintf(cause, "timed out after %dms",
			    STORE_HA_INFO_TIMEOUT_MSEC);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		r = poll(&pfd, 1, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			xasprintf(cause, "poll: %s", store_strerror(errno));
			return -1;
		}
		if (r > 0)
			return 0;
	}
}

/* Decodes a chunked body in place; 1 complete, 0 need more, -1 bad. */
static int
store_http_dechunk(char *body, size_t len, size_t *outlen)
{
	size_t in = 0, out = 0, size;
	char *end, *eol;

	for (;;) {
		eol = memmem(body + in, len - in, "\r\n", 2);
		if (eol == NULL)
			return 0;
		size = strtoul(body + in, &end, 16);
		if (end == body + in)
			return -1;
		in = eol - body + 2;
		if (size == 0) {
			*outlen = out;
			return 1;
		}
		if (size > len || in + size + 2 > len)
			return 0;
		memmove(body + out, body + in, size);
		out += size;
		in += size + 2;
	}
}

/*
 * Splits a response.  1 when complete (*body points into buf), 0 when more
 * is needed, -1 when malformed.  At eof a body without a length ends there.
 */
static int
store_http_parse(char *buf, size_t len, int eof, int *status, char **body,
    size_t *bodylen, char **cause)
{
	char *hend, *line, *next, *v;
	size_t clen = 0, have;
	int has_clen = 0, chunked = 0, r;

	hend = memmem(buf, len, "\r\n\r\n", 4);
	if (hend == NULL) {
		if (eof)
			xasprintf(cause, "malformed HTTP response");
		return eof ? -1 : 0;
	}
	*hend = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1) {
		xasprintf(cause, "malformed HTTP status line");
		return -1;
	}
	for (line = strstr(buf, "\r\n"); line != NULL; line = next) {
		line += 2;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strcasecmp(line, "Content-Length") == 0) {
			clen = strtoul(v, NULL, 10);
			has_clen = 1;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0 &&
		    strncasecmp(v, "chunked", 7) == 0)
			chunked = 1;
	}
	*body = hend + 4;
	have = len - (*body - buf);
	if (chunked) {
		r = store_http_dechunk(*body, have, bodylen);
		if (r == -1 || (r == 0 && eof)) {
			xasprintf(cause, "malformed chunked HTTP body");
			return -1;
		}
		return r;
	}
	if (has_clen) {
		if (have >= clen) {
			*bodylen = clen;
			return 1;
		}
		if (eof) {
			xasprintf(cause, "unexpected EOF");
			return -1;
		}
		return 0;
	}
	*bodylen = have;
	return eof ? 1 : 0;
}

/* Reads the {"sshLocalPort":N,"autoStartedIdentifier":"..."} reply. */
static int
store_ha_info_json(const char *body, int *port, char **autostart, char **cause)
{
	const char *pport[] = { "sshLocalPort", NULL };
	const char *pauto[] = { "autoStartedIdentifier", NULL };
	char err[256];
	yajl_val tree, v;

	tree = yajl_tree_parse(body, err, sizeof err);
	if (tree == NULL || !YAJL_IS_OBJECT(tree)) {
		xasprintf(cause, "invalid JSON: %s",
		    tree == NULL ? err : "not an object");
		yajl_tree_free(tree);
		return -1;
	}
	v = yajl_tree_get(tree, pport, yajl_t_number);
	if (v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 &&
	    YAJL_GET_INTEGER(v) < 65536)
		*port = (int)YAJL_GET_INTEGER(v);
	v = yajl_tree_get(tree, pauto, yajl_t_string);
	if (v != NULL && *YAJL_GET_STRING(v) != '\0')
		*autostart = xstrdup(YAJL_GET_STRING(v));
	yajl_tree_free(tree);
	return 0;
}

/* GET /v1/info on a hostagent socket. */
static int
store_ha_info(const char *path, int *port, char **autostart, char **cause)
{
	static const char req[] = "GET /v1/info HTTP/1.1\r\n"
				  "Host: lima-hostagent\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_un sun;
	long long deadline;
	char *buf = NULL, *body, *copy = NULL;
	size_t len = 0, sent = 0, bodylen = 0;
	ssize_t n;
	socklen_t sl;
	int fd = -1, err, status = 0, eof = 0, r, ret = -1;

	deadline = store_now_msec() + STORE_HA_INFO_TIMEOUT_MSEC;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path too long");
		goto out;
	}
	strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", store_strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno != EINPROGRESS) {
			xasprintf(cause, "dial unix %s: connect: %s", path,
			    store_strerror(errno));
			goto out;
		}
		if (store_http_wait(fd, POLLOUT, deadline, cause) != 0)
			goto out;
		sl = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			xasprintf(cause, "dial unix %s: connect: %s", path,
			    store_strerror(err));
			goto out;
		}
	}
	while (sent < sizeof req - 1) {
		n = send(fd, req + sent, sizeof req - 1 - sent, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (store_http_wait(fd, POLLOUT, deadline, cause) != 0)
				goto out;
			continue;
		}
		if (n == -1) {
			xasprintf(cause, "write: %s", store_strerror(errno));
			goto out;
		}
		sent += n;
	}
	buf = xmalloc(STORE_HA_INFO_MAX + 1);
	for (;;) {
		if (!eof && len < STORE_HA_INFO_MAX) {
			if (store_http_wait(fd, POLLIN, deadline, cause) != 0)
				goto out;
			n = read(fd, buf + len, STORE_HA_INFO_MAX - len);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n == -1) {
				xasprintf(
				    cause, "read: %s", store_strerror(errno));
				goto out;
			}
			if (n == 0)
				eof = 1;
			len += n;
		} else if (!eof) {
			xasprintf(cause, "response larger than %d bytes",
			    STORE_HA_INFO_MAX);
			goto out;
		}
		/* The parser writes NULs into the headers: parse a copy. */
		free(copy);
		copy = xmalloc(len + 1);
		memcpy(copy, buf, len);
		copy[len] = '\0';
		r = store_http_parse(
		    copy, len, eof, &status, &body, &bodylen, cause);
		if (r == -1)
			goto out;
		if (r == 1)
			break;
	}
	body[bodylen] = '\0';
	if (status < 200 || status > 299) {
		xasprintf(cause, "unexpected HTTP status %d: %s", status,
		    store_trim(body));
		goto out;
	}
	ret = store_ha_info_json(body, port, autostart, cause);
out:
	if (fd != -1)
		close(fd);
	free(copy);
	free(buf);
	return ret;
}

/* The first "Port N" line of ssh.config, or 0. */
static int
store_ssh_config_port(const char *path)
{
	char *buf = NULL, *line, *next, *why = NULL;
	int port = 0, v;

	if (store_read_file(path, STORE_SMALL_FILE_MAX, &buf, NULL, &why) !=
	    0) {
		free(why);
		return 0;
	}
	for (line = buf; line != NULL && port == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		store_trim(line);
		if (strncmp(line, "Port", 4) == 0 &&
		    (line[4] == ' ' || line[4] == '\t') &&
		    sscanf(line + 5, "%d", &v) == 1 && v > 0 && v < 65536)
			port = v;
	}
	free(buf);
	return port;
}

/* Copies key of map m when it is a non-empty seq or map. */
static struct node *
store_node_nonempty(const struct node *m, const char *key)
{
	struct node *v = node_map_get(m, key);

	if (v == NULL || (v->kind == NODE_SEQ && v->nitems == 0) ||
	    (v->kind == NODE_MAP && v->npairs == 0) || v->kind == NODE_SCALAR)
		return NULL;
	return node_copy(v);
}

/* The lima.yaml part of Inspect; 0 if it loaded. */
static int
store_inspect_config(
    struct store_inst *inst, const char *home, const struct config_env *env)
{
	struct config_env local;
	struct lima_config *cfg;
	char *path, *why = NULL;
	struct stat st;

	xasprintf(&path, "%s/lima.yaml", inst->dir);
	if (stat(path, &st) == -1) {
		xasprintf(&why, "open %s: %s", path, store_strerror(errno));
		store_inst_error(inst, why);
		free(path);
		return -1;
	}
	if (env == NULL) {
		config_env_host(&local, home, inst->name);
		cfg = config_load(&local, path, &why);
		config_env_free(&local);
	} else
		cfg = config_load(env, path, &why);
	free(path);
	if (cfg == NULL) {
		store_inst_error(inst, why);
		return -1;
	}
	inst->vm_type = xstrdup(cfg->vm_type != NULL ? cfg->vm_type : "");
	inst->arch = xstrdup(cfg->arch != NULL ? cfg->arch : "");
	inst->cpus = cfg->cpus;
	inst->memory = cfg->memory;
	inst->disk = cfg->disk;
	inst->message = xstrdup(cfg->message != NULL ? cfg->message : "");
	inst->ssh_local_port = cfg->ssh.local_port;
	inst->config = config_to_node(cfg);
	inst->additional_disks =
	    store_node_nonempty(inst->config, "additionalDisks");
	inst->networks = store_node_nonempty(inst->config, "networks");
	inst->param = store_node_nonempty(inst->config, "param");
	config_free(cfg);
	return 0;
}

/* Reads a pid file into *pid; a failure makes the instance Broken. */
static void
store_inspect_pid(struct store_inst *inst, const char *file, pid_t *pid)
{
	char *path, *why = NULL;

	xasprintf(&path, "%s/%s", inst->dir, file);
	if (store_read_pid(path, pid, &why) != 0) {
		*pid = 0;
		store_inst_error(inst, why);
	}
	free(path);
}

struct store_inst *
store_inspect(const char *home, const char *name, const struct config_env *env,
    char **cause)
{
	struct store_inst *inst;
	struct stat st;
	char *path, *buf = NULL, *why = NULL;

	inst = xcalloc(1, sizeof *inst);
	inst->name = xstrdup(name);
	inst->dir = store_instance_dir(home, name);
	if (stat(inst->dir, &st) == -1) {
		xasprintf(
		    cause, "stat %s: %s", inst->dir, store_strerror(errno));
		store_inst_free(inst);
		return NULL;
	}
	inst->status = "";
	inst->hostname = config_hostname(name);
	xasprintf(&inst->ssh_config_file, "%s/ssh.config", inst->dir);
	inst->ssh_address = xstrdup("127.0.0.1");
	inst->lima_home = xstrdup(home);
	xasprintf(&inst->identity_file, "%s/_config/user", home);
	inst->protected = store_is_protected(inst->dir);
	xasprintf(&path, "%s/lima-version", inst->dir);
	if (store_read_file(path, STORE_SMALL_FILE_MAX, &buf, NULL, &why) == 0)
		inst->lima_version = store_trim(buf);
	else {
		free(why);
		inst->lima_version = xstrdup("");
	}
	free(path);
	if (store_inspect_config(inst, home, env) != 0)
		return inst;

	store_inspect_pid(inst, "ha.pid", &inst->ha_pid);
	if (inst->ha_pid != 0) {
		xasprintf(&path, "%s/ha.sock", inst->dir);
		if (store_ha_info(path, &inst->ssh_local_port,
			&inst->auto_started_identifier, &why) != 0) {
			store_inst_error(inst,
			    xstrprintf("failed to get Info from %s: %s",
				store_q(path), why));
			free(why);
		}
		free(path);
	}
	if (inst->ssh_local_port == 0)
		inst->ssh_local_port =
		    store_ssh_config_port(inst->ssh_config_file);

	/* The QEMU driver has no status hook: its pid file decides. */
	xasprintf(&path, "%s.pid", inst->vm_type);
	store_inspect_pid(inst, path, &inst->driver_pid);
	free(path);
	if (*inst->status != '\0')
		return inst;
	if (inst->ha_pid != 0 && inst->driver_pid != 0)
		inst->status = STORE_STATUS_RUNNING;
	else if (inst->ha_pid == 0 && inst->driver_pid == 0)
		inst->status = STORE_STATUS_STOPPED;
	else if (inst->ha_pid != 0)
		store_inst_error(
		    inst, xstrdup("host agent is running but driver is not"));
	else
		store_inst_error(inst,
		    xstrprintf("%s driver is running but host agent is not",
			inst->vm_type));
	return inst;
}

void
store_inst_free(struct store_inst *inst)
{
	if (inst == NULL)
		return;
	free(inst->name);
	free(inst->hostname);
	free(inst->dir);
	free(inst->vm_type);
	free(inst->arch);
	free(inst->message);
	node_free(inst->additional_disks);
	node_free(inst->networks);
	free(inst->ssh_config_file);
	store_strv_free(inst->errors);
	node_free(inst->config);
	free(inst->ssh_address);
	free(inst->lima_version);
	node_free(inst->param);
	free(inst->auto_started_identifier);
	free(inst->lima_home);
	free(inst->identity_file);
	free(inst);
}

/* Adds a string; with omit set, an empty or NULL one is left out. */
static void
store_node_str(struct node *m, const char *key, const char *s, int omit)
{
	if (s == NULL || *s == '\0') {
		if (omit)
			return;
		s = "";
	}
	node_map_set(m, key, node_new_str(s));
}

static void
store_node_int(struct node *m, const char *key, long long v, int omit)
{
	if (v != 0 || !omit)
		node_map_set(m, key, node_new_int(v));
}

/* A copy of n, or (unless omit) an empty seq/map or null for missing. */
static void
store_node_tree(struct node *m, const char *key, const struct node *n, int omit,
    enum node_kind empty)
{
	if (n != NULL)
		node_map_set(m, key, node_copy(n));
	else if (!omit) {
		if (empty == NODE_SEQ)
			node_map_set(m, key, node_new_seq());
		else if (empty == NODE_MAP)
			node_map_set(m, key, node_new_map());
		else
			node_map_set(m, key, node_new_null());
	}
}

struct node *
store_inst_to_node(const struct store_inst *inst, int go_names)
{
	struct node *m, *errs = NULL;
	struct utsname u;
	int omit = !go_names;
	size_t i;

#define K(json, go) (go_names ? (go) : (json))
	m = node_new_map();
	store_node_str(m, K("name", "Name"), inst->name, 0);
	store_node_str(m, K("hostname", "Hostname"), inst->hostname, 0);
	store_node_str(m, K("status", "Status"), inst->status, 0);
	store_node_str(m, K("dir", "Dir"), inst->dir, 0);
	store_node_str(m, K("vmType", "VMType"), inst->vm_type, 0);
	store_node_str(m, K("arch", "Arch"), inst->arch, 0);
	store_node_int(m, K("cpus", "CPUs"), inst->cpus, omit);
	store_node_int(m, K("memory", "Memory"), (long long)inst->memory, omit);
	store_node_int(m, K("disk", "Disk"), (long long)inst->disk, omit);
	store_node_str(m, K("message", "Message"), inst->message, omit);
	store_node_tree(m, K("additionalDisks", "AdditionalDisks"),
	    inst->additional_disks, omit, NODE_SEQ);
	store_node_tree(
	    m, K("network", "Networks"), inst->networks, omit, NODE_SEQ);
	store_node_int(
	    m, K("sshLocalPort", "SSHLocalPort"), inst->ssh_local_port, omit);
	store_node_str(m, K("sshConfigFile", "SSHConfigFile"),
	    inst->ssh_config_file, omit);
	store_node_int(
	    m, K("hostAgentPID", "HostAgentPID"), inst->ha_pid, omit);
	store_node_int(m, K("driverPID", "DriverPID"), inst->driver_pid, omit);
	if (inst->nerrors != 0) {
		errs = node_new_seq();
		for (i = 0; i < inst->nerrors; i++)
			node_seq_append(errs, node_new_str(inst->errors[i]));
	}
	store_node_tree(m, K("errors", "Errors"), errs, omit, NODE_SEQ);
	node_free(errs);
	store_node_tree(
	    m, K("config", "Config"), inst->config, omit, NODE_SCALAR);
	store_node_str(
	    m, K("sshAddress", "SSHAddress"), inst->ssh_address, omit);
	node_map_set(
	    m, K("protected", "Protected"), node_new_bool(inst->protected));
	store_node_str(
	    m, K("limaVersion", "LimaVersion"), inst->lima_version, 0);
	store_node_tree(m, K("param", "Param"), inst->param, omit, NODE_MAP);
	store_node_str(m, K("autoStartedIdentifier", "AutoStartedIdentifier"),
	    inst->auto_started_identifier, omit);
#undef K
	/* Deprecated top-level fields, Go names in both forms. */
	store_node_str(m, "HostOS", "linux", 0);
	store_node_str(m, "HostArch", uname(&u) == 0 ? u.machine : "", 0);
	store_node_str(m, "LimaHome", inst->lima_home, 0);
	store_node_str(m, "IdentityFile", inst->identity_file, 0);
	return m;
}
