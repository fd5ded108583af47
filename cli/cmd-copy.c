/* clima: limactl copy (cp): files between host and guests, scp or rsync. */
/*
 * Guest paths are INSTANCE:PATH.  The auto backend picks rsync when the
 * host has it, every guest involved answers `command -v rsync`, and no
 * two remote paths are involved; else scp.  limactl is replaced by the
 * copy program, so its exit code is ours.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/sshopts.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "store/store.h"

/* OpenSSH before 8.0 has no scp:// URLs. */
#define CMD_COPY_SCP_URL_SINCE 800

static const struct cli_flag cmd_copy_own_flags[] = {
	{ "recursive", 'r', FLAG_BOOL, "false", "Copy directories recursively",
	    0 },
	{ "verbose", 'v', FLAG_BOOL, "false", "Enable verbose output", 0 },
	{ "backend", 0, FLAG_STRING, "auto", "Copy backend (scp|rsync|auto)",
	    0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_copy_flag_sets[] = { cmd_copy_own_flags,
	NULL };

struct cmd_copy_path {
	char *path;              /* local path, or the part after ':' */
	char *instname;          /* NULL for a host path */
	struct store_inst *inst; /* remote only */
	struct lima_config *cfg; /* remote only */
	int first;               /* first path naming this instance */
};

struct cmd_copy {
	struct cmd_copy_path *paths;
	int npaths;
	int nremote;    /* remote paths */
	int ninstances; /* distinct instances */
	int recursive;
	int verbose;
};

static void
cmd_copy_free(struct cmd_copy *c)
{
	int i;

	for (i = 0; i < c->npaths; i++) {
		free(c->paths[i].path);
		free(c->paths[i].instname);
		store_inst_free(c->paths[i].inst);
		config_free(c->paths[i].cfg);
	}
	free(c->paths);
}

/* Splits every argument into host and INSTANCE:PATH forms. */
static void
cmd_copy_parse(struct cmd_copy *c, char **args, int nargs)
{
	struct cmd_copy_path *p;
	const char *colon;
	char *cause = NULL, *file;
	int i, j;

	c->paths = xcalloc((size_t)nargs, sizeof *c->paths);
	for (i = 0; i < nargs; i++) {
		p = &c->paths[c->npaths++];
		if ((colon = strchr(args[i], ':')) == NULL) {
			p->path = xstrdup(args[i]);
			continue;
		}
		if (strchr(colon + 1, ':') != NULL)
			cli_fatal(
			    "path %s contains multiple colons", cli_q(args[i]));
		p->instname = xstrndup(args[i], (size_t)(colon - args[i]));
		p->path = xstrdup(colon + 1);
		p->inst =
		    store_inspect(cli_lima_home(), p->instname, NULL, &cause);
		if (p->inst == NULL)
			cli_fatal("instance %s does not exist, run `limactl "
				  "create %s` to create a new instance",
			    cli_q(p->instname), p->instname);
		if (strcmp(p->inst->status, STORE_STATUS_STOPPED) == 0)
			cli_fatal("instance %s is stopped, run `limactl start "
				  "%s` to start the instance",
			    cli_q(p->instname), p->instname);
		xasprintf(&file, "%s/lima.yaml", p->inst->dir);
		p->cfg = cli_config_load(p->instname, file, &cause);
		free(file);
		if (p->cfg == NULL)
			cli_fatal("%s", cause);
		c->nremote++;
		p->first = 1;
		for (j = 0; j < i; j++) {
			if (c->paths[j].instname != NULL &&
			    strcmp(c->paths[j].instname, p->instname) == 0)
				p->first = 0;
		}
		if (p->first)
			c->ninstances++;
	}
}

/* The remote side for scp and rsync: USER@ADDR; the caller's. */
static char *
cmd_copy_userhost(const struct cmd_copy_path *p)
{
	char *s;

	xasprintf(&s, "%s@%s", p->cfg->user.name,
	    p->inst->ssh_address != NULL ? p->inst->ssh_address : "127.0.0.1");
	return s;
}

/* Whether `command -v rsync` succeeds in every guest involved. */
static int
cmd_copy_guests_have_rsync(const struct cmd_copy *c)
{
	const struct cmd_copy_path *p;
	struct cli_argv a;
	char *cause = NULL, *uh;
	int i, rc;

	for (i = 0; i < c->npaths; i++) {
		p = &c->paths[i];
		if (p->instname == NULL || !p->first)
			continue;
		memset(&a, 0, sizeof a);
		cli_ssh_exe(&a);
		cli_ssh_args(&a, p->inst, p->cfg, CLI_SSH_INSTANCE);
		cli_argv_add(&a, "-p");
		cli_argv_addf(&a, "%d", p->inst->ssh_local_port);
		uh = cmd_copy_userhost(p);
		cli_argv_add(&a, uh);
		free(uh);
		cli_argv_add(&a, "command -v rsync >/dev/null 2>&1");
		rc = cli_run(a.v, CLI_RUN_QUIET | CLI_RUN_NULL_STDIN, NULL,
		    NULL, &cause);
		cli_argv_free(&a);
		if (rc != 0) {
			log_debug("%s: rsync not available on instance %s%s%s",
			    __func__, cli_q(p->instname), rc == -1 ? ": " : "",
			    rc == -1 ? cause : "");
			free(cause);
			return 0;
		}
	}
	return 1;
}

/* scp [ssh options] (-v|-q) [-r] -3 -- scp://USER@ADDR:PORT/PATH ... */
static void
cmd_copy_scp(const struct cmd_copy *c, const char *scp, struct cli_argv *a)
{
	const struct cmd_copy_path *p, *only = NULL;
	struct cli_argv args = { NULL, 0 };
	int i, legacy;
	char *uh;

	legacy = sshopts_openssh_version() < CMD_COPY_SCP_URL_SINCE;
	if (legacy && c->ninstances > 1)
		cli_fatal("more than one (instance) host is involved in this "
			  "command, this is only supported for openSSH v8.0 "
			  "or higher");
	cli_argv_add(a, scp);
	for (i = 0; i < c->npaths; i++) {
		if (c->paths[i].instname != NULL)
			only = &c->paths[i];
	}
	/* Instance options (ControlPath) only with exactly one instance. */
	if (c->ninstances == 1)
		cli_ssh_args(a, only->inst, only->cfg, CLI_SSH_INSTANCE);
	else
		cli_ssh_args(a, NULL, NULL, 0);
	cli_argv_add(a, c->verbose ? "-v" : "-q");
	if (c->recursive)
		cli_argv_add(a, "-r");
	for (i = 0; i < c->npaths; i++) {
		p = &c->paths[i];
		if (p->instname == NULL) {
			cli_argv_add(&args, p->path);
			continue;
		}
		uh = cmd_copy_userhost(p);
		if (legacy) {
			cli_argv_add(a, "-P");
			cli_argv_addf(a, "%d", p->inst->ssh_local_port);
			cli_argv_addf(&args, "%s:%s", uh, p->path);
		} else
			cli_argv_addf(&args, "scp://%s:%d/%s", uh,
			    p->inst->ssh_local_port, p->path);
		free(uh);
	}
	cli_argv_add(a, "-3");
	cli_argv_add(a, "--");
	for (i = 0; i < (int)args.n; i++)
		cli_argv_add(a, args.v[i]);
	cli_argv_free(&args);
}

static int
cmd_copy_has_slash(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && s[len - 1] == '/';
}

/* Go's strings.TrimSuffix(s, "/"), but "/" itself stays. */
static void
cmd_copy_strip_slash(char *s)
{
	size_t len = strlen(s);

	if (len > 1 && s[len - 1] == '/')
		s[len - 1] = '\0';
}

/*
 * With -r, make rsync copy the way scp did: a source without a trailing
 * slash gets one, so its contents land in the target; a remote path
 * with one strips the others', a host path with one loses it.  This is
 * Lima's rule, applied in order.
 */
static void
cmd_copy_rsync_slashes(struct cmd_copy *c)
{
	struct cmd_copy_path *p;
	char *t;
	int i, j;

	for (i = 0; i < c->npaths; i++) {
		p = &c->paths[i];
		if (!cmd_copy_has_slash(p->path)) {
			xasprintf(&t, "%s/", p->path);
			free(p->path);
			p->path = t;
		} else if (p->instname == NULL)
			cmd_copy_strip_slash(p->path);
		else {
			for (j = 0; j < c->npaths; j++) {
				if (j != i)
					cmd_copy_strip_slash(c->paths[j].path);
			}
		}
	}
}

/* rsync -a (-v --progress|-q) [-r] -e 'SSH ... -p PORT' -- SRC... DST */
static void
cmd_copy_rsync(struct cmd_copy *c, const char *rsync, struct cli_argv *a)
{
	const struct cmd_copy_path *p, *remote = NULL;
	struct cli_argv ssh = { NULL, 0 };
	char *e = NULL, *q, *t, *uh;
	size_t k;
	int i;

	cli_argv_add(a, rsync);
	cli_argv_add(a, "-a");
	if (c->verbose) {
		cli_argv_add(a, "-v");
		cli_argv_add(a, "--progress");
	} else
		cli_argv_add(a, "-q");
	if (c->recursive)
		cli_argv_add(a, "-r");
	for (i = 0; i < c->npaths && remote == NULL; i++) {
		if (c->paths[i].instname != NULL)
			remote = &c->paths[i];
	}
	if (remote != NULL) {
		/* rsync splits -e on blanks and honours shell quotes. */
		cli_ssh_exe(&ssh);
		cli_ssh_args(&ssh, remote->inst, remote->cfg, CLI_SSH_INSTANCE);
		cli_argv_add(&ssh, "-p");
		cli_argv_addf(&ssh, "%d", remote->inst->ssh_local_port);
		for (k = 0; k < ssh.n; k++) {
			q = cli_shell_quote(ssh.v[k]);
			xasprintf(&t, "%s%s%s", e != NULL ? e : "",
			    e != NULL ? " " : "", q);
			free(q);
			free(e);
			e = t;
		}
		cli_argv_add(a, "-e");
		cli_argv_add(a, e);
		free(e);
		cli_argv_free(&ssh);
	}
	if (c->recursive)
		cmd_copy_rsync_slashes(c);
	cli_argv_add(a, "--");
	for (i = 0; i < c->npaths; i++) {
		p = &c->paths[i];
		if (p->instname == NULL) {
			cli_argv_add(a, p->path);
			continue;
		}
		uh = cmd_copy_userhost(p);
		cli_argv_addf(a, "%s:%s", uh, p->path);
		free(uh);
	}
}

static int
cmd_copy_exec(struct cmd_ctx *ctx)
{
	const char *backend = cmd_flag_str(ctx, "backend");
	struct cmd_copy c;
	struct cli_argv a = { NULL, 0 };
	char *rsync = NULL, *scp = NULL, *nf, *t;
	int use_rsync = 0;

	if (strcmp(backend, "auto") != 0 && strcmp(backend, "rsync") != 0 &&
	    strcmp(backend, "scp") != 0)
		cli_fatal("invalid backend %s, must be one of: scp, rsync, "
			  "auto",
		    cli_q(backend));
	memset(&c, 0, sizeof c);
	c.recursive = cmd_flag_bool(ctx, "recursive");
	c.verbose = cmd_flag_bool(ctx, "verbose") || cli_global.debug;
	cmd_copy_parse(&c, ctx->argv, ctx->argc);

	if (strcmp(backend, "rsync") == 0) {
		if ((rsync = cli_find_in_path("rsync")) == NULL)
			cli_fatal("rsync not found on host: %s",
			    cli_not_found("rsync"));
		if (!cmd_copy_guests_have_rsync(&c))
			cli_fatal("rsync not available on guest(s)");
		use_rsync = 1;
	} else if (strcmp(backend, "auto") == 0 && c.nremote < 2) {
		/* rsync cannot have both ends remote. */
		if ((rsync = cli_find_in_path("rsync")) == NULL)
			log_debug("%s: rsync not found on host, falling "
				  "back to scp",
			    __func__);
		else if (cmd_copy_guests_have_rsync(&c))
			use_rsync = 1;
		else
			log_debug("%s: rsync not available on guest(s), "
				  "falling back to scp",
			    __func__);
	}
	if (use_rsync)
		cmd_copy_rsync(&c, rsync, &a);
	else {
		if ((scp = cli_find_in_path("scp")) == NULL) {
			nf = cli_not_found("scp");
			if (strcmp(backend, "auto") == 0)
				cli_fatal("neither rsync nor scp found on "
					  "host: scp not found on host: %s",
				    nf);
			cli_fatal("scp not found on host: %s", nf);
		}
		cmd_copy_scp(&c, scp, &a);
	}
	t = cli_argv_join(a.v);
	log_debug("%s: executing %s (may take a long time): %s", __func__,
	    use_rsync ? "rsync" : "scp", t);
	free(t);
	free(rsync);
	free(scp);
	cmd_copy_free(&c);
	fflush(NULL);
	cli_exec(a.v);
}

const struct cmd_entry cmd_copy_entry = {
	.name = "copy",
	.aliases = "cp",
	.group = "advanced",
	.usage = "copy SOURCE ... TARGET",
	.short_help = "Copy files between host and guest",
	.long_help = "Copy files between host and guest\n\n"
		     "Prefix guest filenames with the instance name and a "
		     "colon.\n\n"
		     "Backends:\n"
		     "  auto   - Automatically selects the best available "
		     "backend (rsync preferred, falls back to scp)\n"
		     "  rsync  - Uses rsync for faster transfers with resume "
		     "capability (requires rsync on both host and guest)\n"
		     "  scp    - Uses scp for reliable transfers (always "
		     "available)\n\n"
		     "Not to be confused with 'limactl clone'.\n\n"
		     "Example: limactl copy default:/etc/os-release .",
	.flag_sets = cmd_copy_flag_sets,
	.min_args = 2,
	.max_args = -1,
	.exec = cmd_copy_exec,
};
