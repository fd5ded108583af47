/* clima: limactl shell, and the ssh argument lists shell and copy share. */
/*
 * Builds Lima's remote script (change directory, optional env prefix,
 * login shell, quoted command) and replaces limactl with ssh, so that
 * the remote exit code becomes ours.  --start runs `limactl start` as a
 * child first; --reconnect asks the control master to exit.
 */
#include "config.h"

#include <sys/stat.h>
#include <ctype.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/sshopts.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "store/store.h"

extern char **environ;

/* OpenSSH before 8.9 needs LogLevel=QUIET to hide "Shared connection". */
#define CMD_SHELL_QUIET_SSH_BEFORE 809
#define CMD_SHELL_ANSWER_MAX       256

static const char *const cmd_shell_default_block[] = { "BASH*", "DISPLAY",
	"DYLD_*", "EUID", "FPATH", "GID", "GROUP", "HOME", "HOSTNAME", "LD_*",
	"LOGNAME", "OLDPWD", "PATH", "PWD", "SHELL", "SHLVL", "SSH_*", "TERM",
	"TERMINFO", "TMPDIR", "UID", "USER", "XAUTHORITY", "XDG_*", "ZDOTDIR",
	"ZSH*", "_*", NULL };

static const struct cli_flag cmd_shell_own_flags[] = {
	{ "shell", 0, FLAG_STRING, NULL, "Shell interpreter, e.g. /bin/bash",
	    0 },
	{ "workdir", 0, FLAG_STRING, NULL, "Working directory", 0 },
	{ "reconnect", 0, FLAG_BOOL, "false", "Reconnect to the SSH session",
	    0 },
	{ "preserve-env", 0, FLAG_BOOL, "false",
	    "Propagate environment variables to the shell", 0 },
	{ "start", 0, FLAG_BOOL, "false",
	    "Start the instance if it is not already running", 0 },
	{ "instance", 0, FLAG_STRING, NULL,
	    "Instance name; every argument is then the command",
	    CLI_FLAG_HIDDEN },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_shell_flag_sets[] = {
	cmd_shell_own_flags, NULL
};

void
cli_ssh_exe(struct cli_argv *a)
{
	const char *env = getenv("SSH"), *p;
	struct cli_argv words = { NULL, 0 };
	char *word = NULL, *path, quote = 0;
	size_t len = 0, i;
	int in_word = 0;

	if (env == NULL || *env == '\0')
		goto plain;
	/* Shell words: blanks split, quotes group, backslash escapes. */
	word = xmalloc(strlen(env) + 1);
	for (p = env; *p != '\0'; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			else
				word[len++] = *p;
			continue;
		}
		if (quote == '"') {
			if (*p == '"')
				quote = 0;
			else if (*p == '\\' && p[1] != '\0' &&
			    strchr("\"\\$`", p[1]) != NULL)
				word[len++] = *++p;
			else
				word[len++] = *p;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (in_word) {
				word[len] = '\0';
				cli_argv_add(&words, word);
				len = 0;
				in_word = 0;
			}
			continue;
		}
		in_word = 1;
		if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '\\' && p[1] != '\0')
			word[len++] = *++p;
		else
			word[len++] = *p;
	}
	if (in_word) {
		word[len] = '\0';
		cli_argv_add(&words, word);
	}
	free(word);
	if (quote != 0 || words.n == 0) {
		if (quote != 0)
			log_warnx("Failed to split SSH variable into shell "
				  "tokens. Falling back to 'ssh' command");
		cli_argv_free(&words);
		goto plain;
	}
	for (i = 0; i < words.n; i++)
		cli_argv_add(a, words.v[i]);
	cli_argv_free(&words);
	return;
plain:
	path = cli_find_in_path("ssh");
	cli_argv_add(a, path != NULL ? path : "ssh");
	free(path);
}

void
cli_ssh_args(struct cli_argv *a, const struct store_inst *inst,
    const struct lima_config *cfg, int flags)
{
	struct sshopts_params p;
	struct sshopts *o;
	const char *ids[1];
	char *identity, *sock = NULL;
	const char *k;
	size_t i;

	xasprintf(&identity, "%s/_config/user", cli_lima_home());
	if (inst != NULL)
		xasprintf(&sock, "%s/ssh.sock", inst->dir);
	ids[0] = identity;
	memset(&p, 0, sizeof p);
	p.identity_files = ids;
	p.nidentity_files = 1;
	p.user = cfg != NULL && cfg->user.name != NULL ? cfg->user.name : "";
	p.control_path = sock != NULL ? sock : "";
	if ((flags & CLI_SSH_FORWARDS) && cfg != NULL) {
		p.forward_agent = cfg->ssh.forward_agent == 1;
		p.forward_x11 = cfg->ssh.forward_x11 == 1;
		p.forward_x11_trusted = cfg->ssh.forward_x11_trusted == 1;
	}
	o = sshopts_new(&p);
	cli_argv_add(a, "-F");
	cli_argv_add(a, "/dev/null");
	for (i = 0; i < o->n; i++) {
		k = o->keys[i];
		/* Without an instance: Lima's CommonOpts only. */
		if ((!(flags & CLI_SSH_INSTANCE) || inst == NULL) &&
		    (strcmp(k, "User") == 0 || strncmp(k, "Control", 7) == 0))
			continue;
		cli_argv_add(a, "-o");
		cli_argv_addf(a, "%s=%s", k, o->values[i]);
	}
	sshopts_free(o);
	free(identity);
	free(sock);
}

/* Go's os.Getwd: $PWD when it names the current directory. */
static char *
cmd_shell_getwd(void)
{
	const char *pwd = getenv("PWD");
	struct stat a, b;
	char buf[PATH_MAX];

	if (pwd != NULL && pwd[0] == '/' && stat(pwd, &a) == 0 &&
	    stat(".", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return xstrdup(pwd);
	if (getcwd(buf, sizeof buf) == NULL)
		return NULL;
	return xstrdup(buf);
}

/* Go's os.UserHomeDir: $HOME, else NULL. */
static const char *
cmd_shell_home(void)
{
	const char *home = getenv("HOME");

	return home != NULL && *home != '\0' ? home : NULL;
}

/* 1 if path is dir or below it, both with symlinks resolved. */
static int
cmd_shell_within(const char *path, const char *dir)
{
	char *rp, *rd;
	size_t len;
	int ret;

	if ((rp = realpath(path, NULL)) == NULL)
		rp = xstrdup(path);
	if ((rd = realpath(dir, NULL)) == NULL)
		rd = xstrdup(dir);
	len = strlen(rd);
	ret = strcmp(rd, "/") == 0 || strcmp(rp, rd) == 0 ||
	    (strncmp(rp, rd, len) == 0 && rp[len] == '/');
	free(rp);
	free(rd);
	return ret;
}

static int
cmd_shell_mounted(const struct lima_config *cfg, const char *path)
{
	size_t i;

	for (i = 0; i < cfg->nmounts; i++) {
		if (cfg->mounts[i].location != NULL &&
		    cmd_shell_within(path, cfg->mounts[i].location))
			return 1;
	}
	return 0;
}

/* The "cd ..." part of the remote script; the caller's. */
static char *
cmd_shell_cd(const struct lima_config *cfg, const char *workdir)
{
	const char *home = cmd_shell_home();
	char *cwd, *q, *qh, *s;

	if (workdir != NULL && *workdir != '\0') {
		q = cli_shell_quote(workdir);
		xasprintf(&s, "cd %s || exit 1", q);
		free(q);
		return s;
	}
	if ((cwd = cmd_shell_getwd()) == NULL)
		log_warn("failed to get the current directory");
	if (cwd != NULL && cmd_shell_mounted(cfg, cwd)) {
		q = cli_shell_quote(cwd);
		if (home != NULL) {
			qh = cli_shell_quote(home);
			xasprintf(&s, "cd %s || cd %s", q, qh);
			free(qh);
		} else {
			log_warnx("failed to get the home directory");
			xasprintf(&s, "cd %s", q);
		}
		free(q);
	} else if (home != NULL && cmd_shell_mounted(cfg, home)) {
		q = cli_shell_quote(home);
		xasprintf(&s, "cd %s", q);
		free(q);
	} else {
		log_debug("%s: the host home does not seem mounted, so the "
			  "guest shell will have a different cwd",
		    __func__);
		s = xstrdup("false");
	}
	free(cwd);
	return s;
}

/* Glob with '*' only, as Lima's env patterns. */
static int
cmd_shell_match(const char *pat, const char *name, size_t len)
{
	const char *star_p = NULL;
	size_t i = 0, star_i = 0;

	while (i < len) {
		if (*pat == '*') {
			star_p = ++pat;
			star_i = i;
		} else if (*pat != '\0' && *pat == name[i]) {
			pat++;
			i++;
		} else if (star_p != NULL) {
			pat = star_p;
			i = ++star_i;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Splits a comma list of patterns into l (trimmed, empty ones dropped). */
static void
cmd_shell_patterns(const char *var, const char *list, struct cli_argv *l)
{
	const char *p, *end, *q;
	char *pat, bad[2];

	for (p = list;; p = end + 1) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		pat = xstrndup(p, (size_t)(end - p));
		cli_trim(pat);
		for (q = pat; *q != '\0'; q++) {
			if (!isalnum((unsigned char)*q) && *q != '_' &&
			    *q != '*')
				break;
		}
		if (*q != '\0') {
			bad[0] = *q;
			bad[1] = '\0';
			cli_fatal("Invalid %s pattern: pattern %s contains "
				  "invalid character %s at position %d",
			    var, log_quote(pat), log_quote(bad),
			    (int)(q - pat));
		}
		if (*pat != '\0')
			cli_argv_add(l, pat);
		free(pat);
		if (*end == '\0')
			break;
	}
}

/* "env 'K=V' ... " for --preserve-env, or "" when nothing passes. */
static char *
cmd_shell_env_prefix(void)
{
	struct cli_argv block = { NULL, 0 }, allow = { NULL, 0 };
	const char *benv = getenv("LIMA_SHELLENV_BLOCK");
	const char *aenv = getenv("LIMA_SHELLENV_ALLOW");
	char **e, *eq, *q, *s = xstrdup(""), *t;
	size_t i, len;
	int pass;

	if (benv == NULL || *benv == '\0' || *benv == '+') {
		for (i = 0; cmd_shell_default_block[i] != NULL; i++)
			cli_argv_add(&block, cmd_shell_default_block[i]);
	}
	if (benv != NULL && *benv != '\0')
		cmd_shell_patterns(
		    "LIMA_SHELLENV_BLOCK", benv + (*benv == '+'), &block);
	if (aenv != NULL && *aenv != '\0')
		cmd_shell_patterns("LIMA_SHELLENV_ALLOW", aenv, &allow);

	for (e = environ; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		len = (size_t)(eq - *e);
		/* An allow list, when given, is the whole story. */
		pass = allow.n == 0;
		for (i = 0; i < allow.n && !pass; i++)
			pass = cmd_shell_match(allow.v[i], *e, len);
		for (i = 0; allow.n == 0 && i < block.n && pass; i++)
			pass = !cmd_shell_match(block.v[i], *e, len);
		if (!pass) {
			log_debug("%s: Blocked env variable %.*s", __func__,
			    (int)len, *e);
			continue;
		}
		q = cli_shell_quote(*e);
		xasprintf(&t, "%s%s%s ", s, *s == '\0' ? "env " : "", q);
		free(q);
		free(s);
		s = t;
	}
	cli_argv_free(&block);
	cli_argv_free(&allow);
	return s;
}

/* The remote script: cd, then exec the login shell (with -c CMD). */
static char *
cmd_shell_script(
    const char *cd, const char *envp, const char *shell, char **cmd, int ncmd)
{
	char *script, *joined = xstrdup(""), *q, *t, *eq, *key;
	int i, parsing_env = 1;

	xasprintf(&script, "%s ; exec %s%s -l", cd, envp, shell);
	if (ncmd == 0)
		goto out;
	for (i = 0; i < ncmd; i++) {
		eq = strchr(cmd[i], '=');
		if (parsing_env && eq != NULL) {
			/* Leading K=V: the key stays bare for the shell. */
			key = xstrndup(cmd[i], (size_t)(eq - cmd[i]));
			q = cli_shell_quote(eq + 1);
			xasprintf(
			    &t, "%s%s%s=%s", joined, i == 0 ? "" : " ", key, q);
			free(key);
		} else {
			parsing_env = 0;
			q = cli_shell_quote(cmd[i]);
			xasprintf(&t, "%s%s%s", joined, i == 0 ? "" : " ", q);
		}
		free(q);
		free(joined);
		joined = t;
	}
	q = cli_shell_quote(joined);
	xasprintf(&t, "%s -c %s", script, q);
	free(q);
	free(script);
	script = t;
out:
	free(joined);
	return script;
}

/* A yes/no question on the terminal; default yes. */
static int
cmd_shell_confirm(const char *question)
{
	char buf[CMD_SHELL_ANSWER_MAX];

	fprintf(stderr, "? %s (Y/n) ", question);
	fflush(stderr);
	if (fgets(buf, sizeof buf, stdin) == NULL)
		return 0;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] == '\0' || strcasecmp(buf, "y") == 0 ||
	    strcasecmp(buf, "yes") == 0;
}

/* Runs `<self> start NAME` and waits for it. */
static void
cmd_shell_start(const char *name)
{
	struct cli_argv a = { NULL, 0 };
	char *cause = NULL, *st;
	int rc;

	cli_argv_add(&a, cli_self_exe());
	if (cli_global.debug)
		cli_argv_add(&a, "--debug");
	cli_argv_add(&a, "start");
	cli_argv_add(&a, name);
	rc = cli_run(a.v, 0, NULL, NULL, &cause);
	cli_argv_free(&a);
	if (rc == -1)
		cli_fatal(
		    "failed to start instance %s: %s", cli_q(name), cause);
	if (rc != 0) {
		st = cli_run_status(rc);
		cli_fatal("failed to start instance %s: `limactl start %s` "
			  "failed: %s",
		    cli_q(name), name, st);
	}
}

/* --reconnect: ask the control master to exit; drop a stale socket. */
static void
cmd_shell_reconnect(
    const struct store_inst *inst, const struct lima_config *cfg)
{
	struct cli_argv a = { NULL, 0 };
	struct stat sb;
	char *sock, *cause = NULL, *err = NULL;
	int rc;

	xasprintf(&sock, "%s/ssh.sock", inst->dir);
	if (lstat(sock, &sb) != 0)
		goto out;
	log_info("Exiting ssh session for the instance %s", cli_q(inst->name));
	cli_ssh_exe(&a);
	cli_ssh_args(&a, inst, cfg, CLI_SSH_INSTANCE);
	cli_argv_add(&a, "-O");
	cli_argv_add(&a, "exit");
	cli_argv_add(&a, "-p");
	cli_argv_addf(&a, "%d", inst->ssh_local_port);
	cli_argv_add(&a, inst->ssh_address);
	rc = cli_run(
	    a.v, CLI_RUN_NULL_STDIN | CLI_RUN_QUIET, NULL, &err, &cause);
	if (rc != 0) {
		log_debug("%s: ssh -O exit: %s", __func__,
		    rc == -1 ? cause : cli_trim(err));
		/* No master answered: the socket is stale. */
		if (lstat(sock, &sb) == 0 && unlink(sock) != 0)
			log_warn("failed to remove %s", sock);
	}
out:
	cli_argv_free(&a);
	free(cause);
	free(err);
	free(sock);
}

static int
cmd_shell_exec(struct cmd_ctx *ctx)
{
	const char *name, *s, *workdir = cmd_flag_str(ctx, "workdir");
	struct store_inst *inst;
	struct lima_config *cfg;
	struct cli_argv a = { NULL, 0 };
	char **cmd, *cause = NULL, *path, *cd, *envp, *shell, *script, *t;
	char *line;
	int ncmd, i, start;

	if ((s = cmd_flag_str(ctx, "instance")) != NULL && *s != '\0') {
		name = s;
		cmd = ctx->argv;
		ncmd = ctx->argc;
	} else {
		if (ctx->argc == 0)
			cli_fatal("requires instance name as first argument");
		name = ctx->argv[0];
		cmd = ctx->argv + 1;
		ncmd = ctx->argc - 1;
		/* "INSTANCE -- CMD": flags stopped at INSTANCE. */
		if (ncmd > 0 && strcmp(cmd[0], "--") == 0) {
			cmd++;
			ncmd--;
		}
	}
	if (ncmd > 0 &&
	    (strcmp(cmd[0], "create") == 0 || strcmp(cmd[0], "start") == 0 ||
		strcmp(cmd[0], "delete") == 0 ||
		strcmp(cmd[0], "shell") == 0)) {
		/* `lima start` is probably a typo of `limactl start`. */
		line = xstrdup("");
		for (i = 0; i < ncmd; i++) {
			xasprintf(
			    &t, "%s%s%s", line, i == 0 ? "" : " ", cmd[i]);
			free(line);
			line = t;
		}
		log_warnx("Perhaps you meant `limactl %s`?", line);
		free(line);
	}

	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL)
		cli_fatal("instance %s does not exist, run `limactl create %s` "
			  "to create a new instance",
		    cli_q(name), name);
	for (i = 0; i < (int)inst->nerrors; i++)
		log_error("Instance %s has configuration errors: %s",
		    cli_q(name), inst->errors[i]);
	if (strcmp(inst->status, STORE_STATUS_STOPPED) == 0) {
		start = cmd_flag_bool(ctx, "start");
		if (cli_global.tty && !cmd_flag_changed(ctx, "start"))
			start = cmd_shell_confirm(
			    "Do you want to start the instance now?");
		if (!start)
			cli_fatal("instance %s is stopped, run `limactl start "
				  "%s` to start the instance",
			    cli_q(name), name);
		cmd_shell_start(name);
		store_inst_free(inst);
		inst = store_inspect(cli_lima_home(), name, NULL, &cause);
		if (inst == NULL)
			cli_fatal("%s", cause);
	}
	xasprintf(&path, "%s/lima.yaml", inst->dir);
	cfg = cli_config_load(name, path, &cause);
	free(path);
	if (cfg == NULL)
		cli_fatal(
		    "instance %s has no configuration: %s", cli_q(name), cause);

	if (cmd_flag_bool(ctx, "reconnect"))
		cmd_shell_reconnect(inst, cfg);

	cd = cmd_shell_cd(cfg, workdir);
	log_debug("%s: changeDirCmd=%s", __func__, cd);
	if ((s = cmd_flag_str(ctx, "shell")) != NULL && *s != '\0')
		shell = cli_shell_quote(s);
	else if (cfg->user.shell != NULL && *cfg->user.shell != '\0')
		shell = cli_shell_quote(cfg->user.shell);
	else
		shell = xstrdup("\"$SHELL\"");
	envp = cmd_flag_bool(ctx, "preserve-env") ? cmd_shell_env_prefix()
						  : xstrdup("");
	script = cmd_shell_script(cd, envp, shell, cmd, ncmd);

	cli_ssh_exe(&a);
	cli_ssh_args(&a, inst, cfg, CLI_SSH_INSTANCE | CLI_SSH_FORWARDS);
	if (isatty(STDOUT_FILENO))
		cli_argv_add(&a, "-t"); /* for the shell prompt */
	if (getenv("COLORTERM") != NULL) {
		cli_argv_add(&a, "-o");
		cli_argv_add(&a, "SendEnv=COLORTERM");
	}
	cli_argv_add(&a, "-o");
	if (sshopts_openssh_version() < CMD_SHELL_QUIET_SSH_BEFORE)
		cli_argv_add(&a, "LogLevel=QUIET");
	else
		cli_argv_add(&a, "LogLevel=ERROR");
	cli_argv_add(&a, "-p");
	cli_argv_addf(&a, "%d", inst->ssh_local_port);
	cli_argv_add(
	    &a, inst->ssh_address != NULL ? inst->ssh_address : "127.0.0.1");
	cli_argv_add(&a, "--");
	cli_argv_add(&a, script);
	t = cli_argv_join(a.v);
	log_debug("%s: executing ssh (may take a long)): %s", __func__, t);
	free(t);
	free(cd);
	free(shell);
	free(envp);
	free(script);
	config_free(cfg);
	store_inst_free(inst);
	fflush(NULL);
	cli_exec(a.v);
}

const struct cmd_entry cmd_shell_entry = {
	.name = "shell",
	.group = "basic",
	.usage = "shell [flags] INSTANCE [COMMAND...]",
	.short_help = "Execute shell in Lima",
	.long_help =
	    "Execute shell in Lima\n\n"
	    "lima command is provided as an alias for limactl shell "
	    "$LIMA_INSTANCE. $LIMA_INSTANCE defaults to \"default\".\n\n"
	    "By default, the first 'ssh' executable found in the host's "
	    "PATH is used to connect to the Lima instance.\n"
	    "A custom ssh alias can be used instead by setting the $SSH "
	    "environment variable.\n\n"
	    "Environment Variables:\n"
	    "  --preserve-env: Propagates host environment variables to the "
	    "guest instance.\n"
	    "                  Use LIMA_SHELLENV_ALLOW to specify which "
	    "variables to allow.\n"
	    "                  Use LIMA_SHELLENV_BLOCK to specify which "
	    "variables to block (extends default blocklist with +).\n\n"
	    "Hint: try --debug to show the detailed logs, if it seems hanging "
	    "(mostly due to some SSH issue).",
	.flag_sets = cmd_shell_flag_sets,
	.min_args = 0,
	.max_args = -1,
	.flags = CMD_NO_INTERSPERSE,
	.exec = cmd_shell_exec,
};
