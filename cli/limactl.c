/* clima: limactl main: global flags, command dispatch. */
/*
 * Finds the command (and subcommand) in argv, parses its flags together
 * with the global ones, applies the globals (logging, --tty, --yes),
 * checks the argument count and runs the command.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/xmalloc.h"

const struct cli_flag cli_global_flags[] = {
	{ "debug", 0, FLAG_BOOL, "false", "debug mode", 0 },
	{ "log-level", 0, FLAG_STRING, NULL,
	    "Set the logging level [trace, debug, info, warn, error]", 0 },
	{ "log-format", 0, FLAG_STRING, "text",
	    "Set the logging format [text, json]", 0 },
	{ "tty", 0, FLAG_BOOL, NULL,
	    "Enable TUI interactions such as opening an editor. Defaults to "
	    "true when stdout is a terminal. Set to false for automation.", 0 },
	{ "yes", 'y', FLAG_BOOL, "false",
	    "Alias of --tty=false", 0 },
	{ "help", 'h', FLAG_BOOL, "false", "help", CLI_FLAG_HIDDEN },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

/* Global flags that take a value, to skip them while finding the verb. */
static int
limactl_global_takes_value(const char *arg)
{
	return strcmp(arg, "--log-level") == 0 ||
	    strcmp(arg, "--log-format") == 0;
}

static const struct cmd_entry *
limactl_find(const struct cmd_entry *const *list, const char *name)
{
	const struct cmd_entry *const *c;
	const char *a, *end;
	size_t len = strlen(name);

	for (c = list; *c != NULL; c++) {
		if (strcmp((*c)->name, name) == 0)
			return *c;
		for (a = (*c)->aliases; a != NULL && *a != '\0'; a = end) {
			end = strchr(a, ',');
			if (end == NULL)
				end = a + strlen(a);
			if ((size_t)(end - a) == len &&
			    strncmp(a, name, len) == 0)
				return *c;
			if (*end == ',')
				end++;
		}
	}
	return NULL;
}

/* Applies --debug, --log-level, --log-format, --tty and --yes. */
static void
limactl_apply_globals(struct cmd_ctx *ctx)
{
	enum log_level level;
	const char *s;

	cli_global.debug = cmd_flag_bool(ctx, "debug");
	if (cli_global.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	if ((s = cmd_flag_str(ctx, "log-level")) != NULL && *s != '\0') {
		if (log_parse_level(s, &level) != 0)
			cli_fatal("not a valid logrus Level: \"%s\"", s);
		log_set_level(level);
	}
	s = cmd_flag_str(ctx, "log-format");
	if (strcmp(s, "json") == 0)
		log_set_format(LOG_FORMAT_JSON);
	else if (strcmp(s, "text") != 0)
		cli_fatal("unsupported log-format: %s", cli_q(s));
	cli_global.tty = isatty(STDOUT_FILENO);
	if (cmd_flag_changed(ctx, "tty")) {
		cli_global.tty = cmd_flag_bool(ctx, "tty");
		cli_global.tty_set = 1;
	}
	if (cmd_flag_changed(ctx, "yes")) {
		if (cli_global.tty_set)
			cli_fatal("cannot use both --tty and --yes flags at "
				  "the same time");
		cli_global.yes = cmd_flag_bool(ctx, "yes");
		if (cli_global.yes)
			cli_global.tty = 0;
	}
}

static void
limactl_check_args(const struct cmd_entry *cmd, struct cmd_ctx *ctx)
{
	char what[128];

	if (cmd->min_args == cmd->max_args && ctx->argc != cmd->min_args)
		snprintf(what, sizeof what, "accepts %d arg(s), received %d",
		    cmd->min_args, ctx->argc);
	else if (ctx->argc < cmd->min_args)
		snprintf(what, sizeof what,
		    "requires at least %d arg(s), only received %d",
		    cmd->min_args, ctx->argc);
	else if (cmd->max_args >= 0 && ctx->argc > cmd->max_args)
		snprintf(what, sizeof what,
		    "accepts at most %d arg(s), received %d", cmd->max_args,
		    ctx->argc);
	else
		return;
	cli_fatal("%s", cli_usage_error(cmd, ctx->path, what));
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *cmd = NULL, *sub, *parent;
	struct cmd_ctx ctx;
	char **rest, *cause = NULL;
	int i, nrest = 0, verb = -1, ret;

	log_init(STDERR_FILENO);
	signal(SIGPIPE, SIG_IGN);
	cli_global.argv0 = argv[0];
	cli_global.tty = isatty(STDOUT_FILENO);
	if (getenv("LIMACTL_DEBUG_LOG") != NULL)
		log_set_level(LOG_LEVEL_DEBUG);

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-') {
			if (limactl_global_takes_value(argv[i]))
				i++;
			continue;
		}
		verb = i;
		break;
	}
	if (verb == -1) {
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--version") == 0 ||
			    strcmp(argv[i], "-v") == 0) {
				printf("limactl version %s\n", PACKAGE_VERSION);
				return 0;
			}
		}
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") == 0 ||
			    strcmp(argv[i], "-h") == 0 ||
			    strcmp(argv[i], "--") == 0 || argv[i][0] != '-')
				break;
			if (limactl_global_takes_value(argv[i]))
				i++;
			else if (strncmp(argv[i], "--debug", 7) != 0 &&
			    strncmp(argv[i], "--log-", 6) != 0 &&
			    strncmp(argv[i], "--tty", 5) != 0 &&
			    strcmp(argv[i], "-y") != 0 &&
			    strcmp(argv[i], "--yes") != 0)
				cli_fatal("unknown flag: %s", argv[i]);
		}
		cli_help_root(stdout);
		return 0;
	}
	if (strcmp(argv[verb], "help") == 0) {
		if (verb + 1 < argc &&
		    (cmd = limactl_find(cli_commands, argv[verb + 1])) != NULL) {
			char *path;

			xasprintf(&path, "limactl %s", cmd->name);
			cli_help_cmd(stdout, cmd, path);
			free(path);
		} else if (verb + 1 < argc)
			cli_fatal("unknown help topic [`%s`]", argv[verb + 1]);
		else
			cli_help_root(stdout);
		return 0;
	}
	cmd = limactl_find(cli_commands, argv[verb]);
	if (cmd == NULL) {
		if (strcmp(argv[verb], "ssh") == 0)
			cli_fatal("unknown command \"ssh\" for \"limactl\"\n\n"
				  "Did you mean this?\n\tshell\n");
		cli_fatal("unknown command \"%s\" for \"limactl\"",
		    argv[verb]);
	}

	parent = cmd;
	memset(&ctx, 0, sizeof ctx);
	xasprintf(&ctx.path, "limactl %s", cmd->name);
	rest = xcalloc((size_t)argc + 1, sizeof *rest);
	for (i = 1; i < argc; i++) {
		if (i != verb)
			rest[nrest++] = argv[i];
	}
	/* A subcommand is the first positional after the verb. */
	if (cmd->subcmds != NULL) {
		for (i = 0; i < nrest; i++) {
			if (rest[i][0] == '-') {
				if (limactl_global_takes_value(rest[i]))
					i++;
				continue;
			}
			sub = limactl_find(cmd->subcmds, rest[i]);
			if (sub == NULL)
				break;
			free(ctx.path);
			xasprintf(&ctx.path, "limactl %s %s", cmd->name,
			    sub->name);
			memmove(rest + i, rest + i + 1,
			    (size_t)(nrest - i) * sizeof *rest);
			nrest--;
			cmd = sub;
			break;
		}
	}
	ctx.cmd = cmd;
	cli_flags_collect(cmd, &ctx);
	if (cli_flags_parse(&ctx, nrest, rest,
	    !(cmd->flags & CMD_NO_INTERSPERSE), &cause) != 0)
		cli_fatal("%s", cause);
	limactl_apply_globals(&ctx);
	if (cmd_flag_bool(&ctx, "help")) {
		cli_help_cmd(stdout, cmd, ctx.path);
		ret = 0;
		goto out;
	}
	if (cmd->exec == NULL) {
		/* A command group: show its help. */
		if (ctx.argc > 0)
			cli_fatal("unknown command \"%s\" for \"%s\"",
			    ctx.argv[0], ctx.path);
		cli_help_cmd(stdout, cmd, ctx.path);
		ret = 0;
		goto out;
	}
	limactl_check_args(cmd, &ctx);
	if (parent->flags & CMD_EXPERIMENTAL)
		log_warnx("`limactl %s` is experimental", parent->name);
	ret = cmd->exec(&ctx);
out:
	cli_flags_free(&ctx);
	for (i = 0; i < ctx.argc; i++)
		free(ctx.argv[i]);
	free(ctx.argv);
	free(ctx.path);
	free(rest);
	return ret;
}
