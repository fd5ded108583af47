/* clima: limactl show-ssh (deprecated, as in Lima). */
/*
 * Prints the ssh options of an instance as a command line, as -o
 * arguments, one option a line, or an ssh_config block.
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

static const struct cli_flag cmd_show_ssh_own_flags[] = {
	{ "format", 'f', FLAG_STRING, "cmd", "Format: cmd, args, options, "
	    "config", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_show_ssh_flag_sets[] = {
	cmd_show_ssh_own_flags, NULL
};

/* The options of an instance, Hostname and Port included. */
struct sshopts *
cli_ssh_options(const struct store_inst *inst, const struct lima_config *cfg)
{
	struct sshopts_params p;
	struct sshopts *o;
	char *identity, *sock, port[16];
	const char *ids[1];

	xasprintf(&identity, "%s/_config/user", cli_lima_home());
	xasprintf(&sock, "%s/ssh.sock", inst->dir);
	ids[0] = identity;
	memset(&p, 0, sizeof p);
	p.identity_files = ids;
	p.nidentity_files = 1;
	p.user = cfg->user.name;
	p.control_path = sock;
	p.forward_agent = cfg->ssh.forward_agent == 1;
	p.forward_x11 = cfg->ssh.forward_x11 == 1;
	p.forward_x11_trusted = cfg->ssh.forward_x11_trusted == 1;
	o = sshopts_new(&p);
	sshopts_add(o, "Hostname", "127.0.0.1");
	snprintf(port, sizeof port, "%d", inst->ssh_local_port);
	sshopts_add(o, "Port", port);
	free(identity);
	free(sock);
	return o;
}

static int
cmd_show_ssh_exec(struct cmd_ctx *ctx)
{
	const char *name = ctx->argv[0], *format = cmd_flag_str(ctx, "format");
	struct store_inst *inst;
	struct lima_config *cfg;
	struct sshopts *o;
	char *cause = NULL, *path;
	size_t i;

	inst = store_inspect(cli_lima_home(), name, NULL, &cause);
	if (inst == NULL)
		cli_fatal("instance %s does not exist, run `limactl create %s` "
			  "to create a new instance", cli_q(name), name);
	log_warnx("`limactl show-ssh` is deprecated. Instead, use `ssh -F "
		  "%s/ssh.config lima-%s`.", inst->dir, name);
	xasprintf(&path, "%s/lima.yaml", inst->dir);
	cfg = cli_config_load(name, path, &cause);
	free(path);
	if (cfg == NULL)
		cli_fatal("%s", cause);
	o = cli_ssh_options(inst, cfg);
	if (strcmp(format, "cmd") == 0 || strcmp(format, "args") == 0) {
		if (strcmp(format, "cmd") == 0)
			printf("ssh ");
		for (i = 0; i < o->n; i++) {
			if (strchr(o->values[i], '"') != NULL)
				printf("-o '%s=%s' ", o->keys[i], o->values[i]);
			else
				printf("-o %s=%s ", o->keys[i], o->values[i]);
		}
		if (strcmp(format, "cmd") == 0)
			printf("lima-%s", name);
		printf("\n");
	} else if (strcmp(format, "options") == 0) {
		for (i = 0; i < o->n; i++)
			printf("%s=%s\n", o->keys[i], o->values[i]);
	} else if (strcmp(format, "config") == 0) {
		printf("Host lima-%s\n", name);
		for (i = 0; i < o->n; i++)
			printf("  %s %s\n", o->keys[i], o->values[i]);
	} else
		cli_fatal("unknown format %s, expected one of `cmd`, `args`, "
			  "`options`, `config`", cli_q(format));
	sshopts_free(o);
	config_free(cfg);
	store_inst_free(inst);
	return 0;
}

const struct cmd_entry cmd_show_ssh_entry = {
	.name = "show-ssh",
	.group = "advanced",
	.usage = "show-ssh [flags] INSTANCE",
	.short_help = "Show the ssh command line (DEPRECATED; use `ssh -F` "
		      "instead)",
	.flag_sets = cmd_show_ssh_flag_sets,
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_show_ssh_exec,
};
