/* clima: limactl autostart enable|disable, and start-at-login (deprecated). */
/*
 * On Linux an instance starts at login through the systemd user unit
 * $XDG_CONFIG_HOME/systemd/user/lima-vm@INSTANCE.service.  The unit file
 * is written (temp file + rename) or removed even when systemctl has no
 * user manager to talk to; that only earns a warning.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/xmalloc.h"
#include "store/store.h"

#define CMD_AUTOSTART_UNIT_MODE 0644
#define CMD_AUTOSTART_DIR_MODE  0755

static const struct cli_flag cmd_autostart_enable_flags[] = {
	{ "condition", 0, FLAG_STRING, "login",
	    "When to start the instance: \"login\" (user session) or "
	    "\"boot\" (system boot, macOS only)",
	    0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_autostart_enable_flag_sets[] = {
	cmd_autostart_enable_flags, NULL
};
static const struct cli_flag cmd_start_at_login_flags[] = {
	{ "enabled", 0, FLAG_BOOL, "true",
	    "Automatically start the instance when the user logs in", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct cli_flag *const cmd_start_at_login_flag_sets[] = {
	cmd_start_at_login_flags, NULL
};

static char *
cmd_autostart_unit_name(const char *name)
{
	char *s;

	xasprintf(&s, "lima-vm@%s.service", name);
	return s;
}

/* $XDG_CONFIG_HOME (default ~/.config)/systemd/user/<unit>. */
static char *
cmd_autostart_unit_path(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home;
	char *s;

	if (xdg != NULL && *xdg != '\0')
		xasprintf(&s, "%s/systemd/user/lima-vm@%s.service", xdg, name);
	else {
		if ((home = getenv("HOME")) == NULL)
			home = "";
		xasprintf(&s, "%s/.config/systemd/user/lima-vm@%s.service",
		    home, name);
	}
	return s;
}

/*
 * A word for a unit file: '%' specifiers doubled, '$' doubled (ExecStart
 * expands variables), and double quotes around anything with blanks,
 * quotes or backslashes.
 */
static char *
cmd_autostart_unit_word(const char *s)
{
	const char *p;
	char *out, *o;
	int quote = strpbrk(s, " \t\"'\\") != NULL;

	out = o = xmalloc(strlen(s) * 2 + 3);
	if (quote)
		*o++ = '"';
	for (p = s; *p != '\0'; p++) {
		if (*p == '%' || *p == '$')
			*o++ = *p;
		else if (quote && (*p == '"' || *p == '\\'))
			*o++ = '\\';
		*o++ = *p;
	}
	if (quote)
		*o++ = '"';
	*o = '\0';
	return out;
}

/* mkdir -p; 0 or -1 with *cause. */
static int
cmd_autostart_mkdirs(const char *dir, char **cause)
{
	char *copy = xstrdup(dir), *p, c;
	int ret = -1;

	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(copy, CMD_AUTOSTART_DIR_MODE) != 0 &&
		    errno != EEXIST) {
			xasprintf(cause, "mkdir %s: %s", copy, strerror(errno));
			goto out;
		}
		if (c == '\0')
			break;
		*p = c;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

/* The unit's text; the caller's. */
static char *
cmd_autostart_unit_text(void)
{
	char *bin, *env, *envw, *s;

	bin = cmd_autostart_unit_word(cli_self_exe());
	xasprintf(&env, "LIMA_HOME=%s", cli_lima_home());
	envw = cmd_autostart_unit_word(env);
	/* systemd does not pass our environment: carry LIMA_HOME. */
	xasprintf(&s,
	    "[Unit]\n"
	    "Description=Lima - Linux virtual machines, with a focus on "
	    "running containers.\n"
	    "Documentation=man:lima(1)\n"
	    "\n"
	    "[Service]\n"
	    "ExecStart=%s start %%i --foreground\n"
	    "Environment=%s\n"
	    "WorkingDirectory=%%h\n"
	    "Type=simple\n"
	    "TimeoutSec=10\n"
	    "Restart=on-failure\n"
	    "\n"
	    "[Install]\n"
	    "WantedBy=default.target\n",
	    bin, envw);
	free(bin);
	free(env);
	free(envw);
	return s;
}

/*
 * systemctl --user VERB [UNIT].  Returns 0, or -1 with *cause saying
 * why (not installed, no user manager, ...).  Its messages (such as
 * "Created symlink") are passed on when it succeeds.
 */
static int
cmd_autostart_systemctl(const char *verb, const char *unit, char **cause)
{
	struct cli_argv a = { NULL, 0 };
	char *out = NULL, *err = NULL, *st;
	int rc;

	cli_argv_add(&a, "systemctl");
	cli_argv_add(&a, "--user");
	cli_argv_add(&a, verb);
	if (unit != NULL)
		cli_argv_add(&a, unit);
	rc = cli_run(a.v, CLI_RUN_NULL_STDIN, &out, &err, cause);
	if (rc > 0) {
		st = cli_run_status(rc);
		if (*cli_trim(err) != '\0')
			xasprintf(cause, "`systemctl --user %s`: %s: %s", verb,
			    st, err);
		else
			xasprintf(cause, "`systemctl --user %s`: %s", verb, st);
		free(st);
	} else if (rc == 0) {
		fputs(out, stdout);
		fputs(err, stderr);
	}
	free(out);
	free(err);
	cli_argv_free(&a);
	return rc == 0 ? 0 : -1;
}

/* The instance must exist; Lima's message otherwise. */
static void
cmd_autostart_check(const char *name)
{
	struct store_inst *inst;
	char *cause = NULL, *q;

	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL) {
		q = log_quote(name);
		cli_fatal("instance %s not found", q);
	}
	store_inst_free(inst);
	free(cause);
}

static void
cmd_autostart_enable(const char *name)
{
	char *path, *dir, *slash, *text, *unit, *cause = NULL;

	path = cmd_autostart_unit_path(name);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	text = cmd_autostart_unit_text();
	if (cmd_autostart_mkdirs(dir, &cause) != 0 ||
	    store_write_file_atomic(
		path, text, strlen(text), CMD_AUTOSTART_UNIT_MODE, &cause) != 0)
		cli_fatal("failed to register instance %s to start at login: "
			  "failed to write the autostart entry: %s",
		    cli_q(name), cause);
	log_debug("%s: wrote %s", __func__, path);
	unit = cmd_autostart_unit_name(name);
	if (cmd_autostart_systemctl("daemon-reload", NULL, &cause) != 0 ||
	    cmd_autostart_systemctl("enable", unit, &cause) != 0) {
		log_warnx("The autostart file %s was written, but %s could "
			  "not be enabled: %s",
		    cli_q(path), unit, cause);
		free(cause);
	}
	log_info("Instance %s registered to start at login", cli_q(name));
	free(unit);
	free(text);
	free(dir);
	free(path);
}

static void
cmd_autostart_disable(const char *name)
{
	struct stat sb;
	char *path, *unit, *cause = NULL;

	path = cmd_autostart_unit_path(name);
	if (stat(path, &sb) != 0) {
		log_info("Instance %s is not registered for automatic startup",
		    cli_q(name));
		free(path);
		return;
	}
	unit = cmd_autostart_unit_name(name);
	if (cmd_autostart_systemctl("disable", unit, &cause) != 0) {
		log_warnx("%s could not be disabled: %s", unit, cause);
		free(cause);
		cause = NULL;
	}
	if (unlink(path) != 0)
		cli_fatal("failed to unregister instance %s from start at "
			  "login: failed to remove the autostart entry %s: %s",
		    cli_q(name), cli_q(path), strerror(errno));
	if (cmd_autostart_systemctl("daemon-reload", NULL, &cause) != 0) {
		log_debug("%s: %s", __func__, cause);
		free(cause);
	}
	log_info("Instance %s unregistered from start at login", cli_q(name));
	free(unit);
	free(path);
}

static int
cmd_autostart_enable_exec(struct cmd_ctx *ctx)
{
	if (strcmp(cmd_flag_str(ctx, "condition"), "boot") == 0)
		cli_fatal("--condition=boot is only supported on macOS");
	cmd_autostart_check(ctx->argv[0]);
	cmd_autostart_enable(ctx->argv[0]);
	return 0;
}

static int
cmd_autostart_disable_exec(struct cmd_ctx *ctx)
{
	cmd_autostart_check(ctx->argv[0]);
	cmd_autostart_disable(ctx->argv[0]);
	return 0;
}

static int
cmd_start_at_login_exec(struct cmd_ctx *ctx)
{
	const char *name = cli_instance_arg(ctx, 0);
	struct store_inst *inst;
	char *cause = NULL, *q;

	/* cobra's notice for a deprecated command. */
	fprintf(stderr,
	    "Command \"start-at-login\" is deprecated, use "
	    "\"limactl autostart enable\" or \"limactl autostart "
	    "disable\" instead\n");
	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL) {
		q = log_quote(name);
		log_info("Instance %s not found", q);
		free(q);
		free(cause);
		return 0;
	}
	store_inst_free(inst);
	if (cmd_flag_bool(ctx, "enabled"))
		cmd_autostart_enable(name);
	else
		cmd_autostart_disable(name);
	return 0;
}

static const struct cmd_entry cmd_autostart_enable_entry = {
	.name = "enable",
	.usage = "autostart enable INSTANCE",
	.short_help = "Register an instance to start automatically",
	.flag_sets = cmd_autostart_enable_flag_sets,
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_autostart_enable_exec,
};
static const struct cmd_entry cmd_autostart_disable_entry = {
	.name = "disable",
	.usage = "autostart disable INSTANCE",
	.short_help = "Unregister an instance from automatic startup",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_autostart_disable_exec,
};
static const struct cmd_entry *const cmd_autostart_subcmds[] = {
	&cmd_autostart_enable_entry, &cmd_autostart_disable_entry, NULL
};

const struct cmd_entry cmd_autostart_entry = {
	.name = "autostart",
	.group = "advanced",
	.usage = "autostart",
	.short_help = "Manage automatic startup of Lima instances",
	.min_args = 0,
	.max_args = -1,
	.subcmds = cmd_autostart_subcmds,
};

/* Deprecated commands are hidden from help, as cobra does. */
const struct cmd_entry cmd_start_at_login_entry = {
	.name = "start-at-login",
	.group = "advanced",
	.usage = "start-at-login INSTANCE",
	.short_help = "Register/Unregister an autostart file for the instance",
	.flag_sets = cmd_start_at_login_flag_sets,
	.min_args = 0,
	.max_args = 1,
	.flags = CMD_HIDDEN,
	.exec = cmd_start_at_login_exec,
};
