/* clima: limactl snapshot create|apply|delete|list (experimental). */
/*
 * A stopped instance's disk is handled with `qemu-img snapshot`; a
 * running one through HMP commands (savevm, loadvm, delvm, info
 * snapshots) sent over its QMP socket by a small blocking client: the
 * CLI has no event loop, and each call is one request and one answer.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "store/store.h"

#define CMD_SNAPSHOT_QMP_TIMEOUT_SEC 5   /* connect, greeting, capabilities */
#define CMD_SNAPSHOT_HMP_TIMEOUT_SEC 600 /* savevm of a big guest is slow */
#define CMD_SNAPSHOT_QMP_LINE_MAX    (4 * 1024 * 1024)

/* One QMP connection; lines are read through buf. */
struct cmd_snapshot_qmp {
	int fd;
	char *buf;
	size_t len;
};

static long long
cmd_snapshot_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline; 0, or -1 with *cause. */
static int
cmd_snapshot_qmp_wait(int fd, short events, long long deadline, char **cause)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		left = deadline - cmd_snapshot_now_ms();
		if (left <= 0) {
			*cause = xstrdup("timed out waiting for QMP");
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "poll: %s", strerror(errno));
			return -1;
		}
		if (n > 0)
			return 0;
	}
}

static void
cmd_snapshot_qmp_close(struct cmd_snapshot_qmp *q)
{
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
	q->len = 0;
}

static int
cmd_snapshot_qmp_connect(struct cmd_snapshot_qmp *q, const char *path,
    long long deadline, char **cause)
{
	struct sockaddr_un sun;
	socklen_t len;
	int err = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "dial unix %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(q->fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		xasprintf(
		    cause, "dial unix %s: connect: %s", path, strerror(errno));
		return -1;
	}
	if (cmd_snapshot_qmp_wait(q->fd, POLLOUT, deadline, cause) != 0)
		return -1;
	len = sizeof err;
	if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		xasprintf(cause, "dial unix %s: connect: %s", path,
		    strerror(err != 0 ? err : errno));
		return -1;
	}
	return 0;
}

/* Next line (without "\r\n"), the caller's; NULL with *cause. */
static char *
cmd_snapshot_qmp_readline(
    struct cmd_snapshot_qmp *q, long long deadline, char **cause)
{
	char chunk[4096], *nl, *line;
	size_t n;
	ssize_t r;

	for (;;) {
		nl = q->len > 0 ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - q->buf);
			line = xstrndup(q->buf, n);
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			cli_trim(line);
			return line;
		}
		if (q->len > CMD_SNAPSHOT_QMP_LINE_MAX) {
			*cause = xstrdup("QMP line too long");
			return NULL;
		}
		if (cmd_snapshot_qmp_wait(q->fd, POLLIN, deadline, cause) != 0)
			return NULL;
		r = read(q->fd, chunk, sizeof chunk);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			xasprintf(cause, "QMP connection: %s",
			    r == 0 ? "EOF" : strerror(errno));
			return NULL;
		}
		q->buf = xrealloc(q->buf, q->len + (size_t)r);
		memcpy(q->buf + q->len, chunk, (size_t)r);
		q->len += (size_t)r;
	}
}

static int
cmd_snapshot_qmp_send(struct cmd_snapshot_qmp *q, const struct node *msg,
    long long deadline, char **cause)
{
	char *json, *line;
	size_t off = 0, len;
	ssize_t r;
	int ret = -1;

	json = node_to_json(msg, 0);
	xasprintf(&line, "%s\n", json);
	free(json);
	len = strlen(line);
	while (off < len) {
		if (cmd_snapshot_qmp_wait(q->fd, POLLOUT, deadline, cause) != 0)
			goto out;
		r = write(q->fd, line + off, len - off);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1) {
			xasprintf(cause, "QMP write: %s", strerror(errno));
			goto out;
		}
		off += (size_t)r;
	}
	ret = 0;
out:
	free(line);
	return ret;
}

/* Reads until a "return" or "error" (skipping events); the caller's. */
static struct node *
cmd_snapshot_qmp_reply(
    struct cmd_snapshot_qmp *q, long long deadline, char **cause)
{
	struct node *n;
	const char *desc;
	char *line;

	for (;;) {
		if ((line = cmd_snapshot_qmp_readline(q, deadline, cause)) ==
		    NULL)
			return NULL;
		n = node_from_json(line, strlen(line), cause);
		free(line);
		if (n == NULL)
			return NULL;
		if (n->kind == NODE_MAP && node_map_get(n, "return") != NULL)
			return n;
		if (n->kind == NODE_MAP && node_map_get(n, "error") != NULL) {
			desc = node_get_str(node_get_path(n, "error.desc"));
			*cause = xstrdup(desc != NULL ? desc : "QMP error");
			node_free(n);
			return NULL;
		}
		node_free(n); /* an event */
	}
}

/* Runs one HMP command line; *out gets its output (the caller's). */
static int
cmd_snapshot_hmp(const char *dir, const char *cmdline, char **out, char **cause)
{
	struct cmd_snapshot_qmp q = { -1, NULL, 0 };
	struct node *msg = NULL, *args, *reply = NULL;
	long long deadline;
	const char *s;
	char *path, *line = NULL;
	int ret = -1;

	xasprintf(&path, "%s/qmp.sock", dir);
	deadline = cmd_snapshot_now_ms() + CMD_SNAPSHOT_QMP_TIMEOUT_SEC * 1000;
	if (cmd_snapshot_qmp_connect(&q, path, deadline, cause) != 0)
		goto out;
	if ((line = cmd_snapshot_qmp_readline(&q, deadline, cause)) == NULL)
		goto out;
	if (strstr(line, "\"QMP\"") == NULL) {
		xasprintf(cause, "unexpected QMP greeting: %s", line);
		goto out;
	}
	msg = node_new_map();
	node_map_set(msg, "execute", node_new_str("qmp_capabilities"));
	if (cmd_snapshot_qmp_send(&q, msg, deadline, cause) != 0 ||
	    (reply = cmd_snapshot_qmp_reply(&q, deadline, cause)) == NULL)
		goto out;
	node_free(reply);
	node_free(msg);

	deadline = cmd_snapshot_now_ms() + CMD_SNAPSHOT_HMP_TIMEOUT_SEC * 1000;
	msg = node_new_map();
	node_map_set(msg, "execute", node_new_str("human-monitor-command"));
	args = node_new_map();
	node_map_set(args, "command-line", node_new_str(cmdline));
	node_map_set(msg, "arguments", args);
	if (cmd_snapshot_qmp_send(&q, msg, deadline, cause) != 0 ||
	    (reply = cmd_snapshot_qmp_reply(&q, deadline, cause)) == NULL)
		goto out;
	s = node_get_str(node_map_get(reply, "return"));
	*out = xstrdup(s != NULL ? s : "");
	node_free(reply);
	ret = 0;
out:
	node_free(msg);
	cmd_snapshot_qmp_close(&q);
	free(line);
	free(path);
	return ret;
}

/* Removes every "\r" and the first occurrence of each of two lines. */
static void
cmd_snapshot_strip(char *s, const char *drop1, const char *drop2)
{
	const char *drops[2] = { drop1, drop2 };
	char *p, *o;
	int i;

	for (p = o = s; *p != '\0'; p++) {
		if (*p != '\r')
			*o++ = *p;
	}
	*o = '\0';
	for (i = 0; i < 2; i++) {
		if (drops[i] != NULL && (p = strstr(s, drops[i])) != NULL)
			memmove(p, p + strlen(drops[i]),
			    strlen(p + strlen(drops[i])) + 1);
	}
}

/*
 * qemu-img snapshot OP [TAG] DIR/disk; *out (if not NULL) gets stdout.
 * Errors in Lima's form, with stdout and stderr quoted.
 */
static int
cmd_snapshot_qemu_img(
    const char *dir, const char *op, const char *tag, char **out, char **cause)
{
	struct cli_argv a = { NULL, 0 };
	char *sout = NULL, *serr = NULL, *why = NULL, *cmd, *qo, *qe;
	int rc;

	cli_argv_add(&a, "qemu-img");
	cli_argv_add(&a, "snapshot");
	cli_argv_add(&a, op);
	if (tag != NULL)
		cli_argv_add(&a, tag);
	cli_argv_addf(&a, "%s/disk", dir);
	rc = cli_run(a.v, CLI_RUN_NULL_STDIN, &sout, &serr, &why);
	if (rc != 0) {
		cmd = cli_argv_join(a.v);
		qo = log_quote(sout != NULL ? sout : "");
		qe = log_quote(serr != NULL ? serr : "");
		if (rc > 0)
			why = cli_run_status(rc);
		xasprintf(cause, "failed to run %s: stdout=%s, stderr=%s: %s",
		    cmd, qo, qe, why);
		free(cmd);
		free(qo);
		free(qe);
		free(why);
		free(sout);
		sout = NULL;
	}
	if (out != NULL)
		*out = sout;
	else
		free(sout);
	free(serr);
	cli_argv_free(&a);
	return rc == 0 ? 0 : -1;
}

/* The instance, or a fatal error. */
static struct store_inst *
cmd_snapshot_inspect(const char *name)
{
	struct store_inst *inst;
	char *cause = NULL;

	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL)
		cli_fatal("%s", cause);
	return inst;
}

static const char *
cmd_snapshot_tag(struct cmd_ctx *ctx)
{
	const char *tag = cmd_flag_str(ctx, "tag");

	if (tag == NULL || *tag == '\0')
		cli_fatal("expected tag");
	return tag;
}

/* savevm/loadvm/delvm on a running guest, else qemu-img -c/-a/-d. */
static int
cmd_snapshot_op(struct cmd_ctx *ctx, const char *hmp, const char *op)
{
	struct store_inst *inst = cmd_snapshot_inspect(ctx->argv[0]);
	const char *tag = cmd_snapshot_tag(ctx);
	char *cmdline, *out = NULL, *cause = NULL;

	if (strcmp(inst->status, STORE_STATUS_RUNNING) == 0) {
		log_info("Sending HMP %s command", hmp);
		xasprintf(&cmdline, "%s %s", hmp, tag);
		if (cmd_snapshot_hmp(inst->dir, cmdline, &out, &cause) != 0)
			cli_fatal("%s", cause);
		free(cmdline);
		/* HMP reports failures as output, not as QMP errors. */
		if (*cli_trim(out) != '\0')
			cli_fatal("%s", out);
		free(out);
	} else if (cmd_snapshot_qemu_img(inst->dir, op, tag, NULL, &cause) != 0)
		cli_fatal("%s", cause);
	store_inst_free(inst);
	return 0;
}

static int
cmd_snapshot_create_exec(struct cmd_ctx *ctx)
{
	return cmd_snapshot_op(ctx, "savevm", "-c");
}

static int
cmd_snapshot_apply_exec(struct cmd_ctx *ctx)
{
	return cmd_snapshot_op(ctx, "loadvm", "-a");
}

static int
cmd_snapshot_delete_exec(struct cmd_ctx *ctx)
{
	return cmd_snapshot_op(ctx, "delvm", "-d");
}

/* With -q, the TAG column of the table (the header must say TAG). */
static void
cmd_snapshot_print_tags(char *out)
{
	char *line, *next, *copy, *f1, *f2, *save;
	int first = 1;

	for (line = out; line != NULL; line = next, first = 0) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		copy = xstrdup(line);
		f1 = strtok_r(line, " \t", &save);
		f2 = f1 != NULL ? strtok_r(NULL, " \t", &save) : NULL;
		if (first && f2 != NULL && strcmp(f2, "TAG") != 0)
			cli_fatal("unknown header: %s", copy);
		free(copy);
		if (first || f2 == NULL)
			continue;
		printf("%s\n", f2);
	}
}

static int
cmd_snapshot_list_exec(struct cmd_ctx *ctx)
{
	struct store_inst *inst = cmd_snapshot_inspect(ctx->argv[0]);
	char *out = NULL, *cause = NULL;

	if (strcmp(inst->status, STORE_STATUS_RUNNING) == 0) {
		log_info("Sending HMP info command");
		if (cmd_snapshot_hmp(
			inst->dir, "info snapshots", &out, &cause) != 0)
			cli_fatal("%s", cause);
		cmd_snapshot_strip(out,
		    "List of snapshots present on all disks:\n",
		    "There is no snapshot available.\n");
	} else {
		if (cmd_snapshot_qemu_img(
			inst->dir, "-l", NULL, &out, &cause) != 0)
			cli_fatal("%s", cause);
		cmd_snapshot_strip(out, "Snapshot list:\n", NULL);
	}
	if (cmd_flag_bool(ctx, "quiet"))
		cmd_snapshot_print_tags(out);
	else
		fputs(out, stdout);
	free(out);
	store_inst_free(inst);
	return 0;
}

static const struct cli_flag cmd_snapshot_tag_flags[] = {
	{ "tag", 0, FLAG_STRING, NULL, "Name of the snapshot", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_snapshot_tag_flag_sets[] = {
	cmd_snapshot_tag_flags, NULL
};
static const struct cli_flag cmd_snapshot_list_flags[] = {
	{ "quiet", 'q', FLAG_BOOL, "false", "Only show tags", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_snapshot_list_flag_sets[] = {
	cmd_snapshot_list_flags, NULL
};

static const struct cmd_entry cmd_snapshot_apply_entry = {
	.name = "apply",
	.aliases = "load",
	.usage = "snapshot apply INSTANCE",
	.short_help = "Apply (load) a snapshot",
	.flag_sets = cmd_snapshot_tag_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_snapshot_apply_exec,
};
static const struct cmd_entry cmd_snapshot_create_entry = {
	.name = "create",
	.aliases = "save",
	.usage = "snapshot create INSTANCE",
	.short_help = "Create (save) a snapshot",
	.flag_sets = cmd_snapshot_tag_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_snapshot_create_exec,
};
static const struct cmd_entry cmd_snapshot_delete_entry = {
	.name = "delete",
	.aliases = "del",
	.usage = "snapshot delete INSTANCE",
	.short_help = "Delete (del) a snapshot",
	.flag_sets = cmd_snapshot_tag_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_snapshot_delete_exec,
};
static const struct cmd_entry cmd_snapshot_list_entry = {
	.name = "list",
	.aliases = "ls",
	.usage = "snapshot list INSTANCE",
	.short_help = "List existing snapshots",
	.flag_sets = cmd_snapshot_list_flag_sets,
	.min_args = 1,
	.max_args = -1,
	.exec = cmd_snapshot_list_exec,
};

static const struct cmd_entry *const cmd_snapshot_subcmds[] = {
	&cmd_snapshot_apply_entry, &cmd_snapshot_create_entry,
	&cmd_snapshot_delete_entry, &cmd_snapshot_list_entry, NULL
};

const struct cmd_entry cmd_snapshot_entry = {
	.name = "snapshot",
	.group = "advanced",
	.usage = "snapshot",
	.short_help = "Manage instance snapshots",
	.min_args = 0,
	.max_args = -1,
	.flags = CMD_EXPERIMENTAL,
	.subcmds = cmd_snapshot_subcmds,
};
