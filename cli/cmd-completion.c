/* clima: limactl completion bash. */
/*
 * Generates a bash completion script from the command table: verbs,
 * subcommands and flags, instance names from `limactl list -q`, and
 * template names from `limactl create --list-templates`.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"

static void
cmd_completion_flags(const struct cmd_entry *cmd)
{
	const struct cli_flag *const *set;
	const struct cli_flag *f;

	for (set = cmd->flag_sets; set != NULL && *set != NULL; set++) {
		for (f = *set; f->name != NULL; f++) {
			if (f->flags & CLI_FLAG_HIDDEN)
				continue;
			printf(" --%s", f->name);
			if (f->shorthand != 0)
				printf(" -%c", f->shorthand);
		}
	}
	for (f = cli_global_flags; f->name != NULL; f++) {
		if (!(f->flags & CLI_FLAG_HIDDEN))
			printf(" --%s", f->name);
	}
	printf(" --help");
}

/* Commands whose positionals are instance names. */
static int
cmd_completion_takes_instance(const char *name)
{
	static const char *const verbs[] = { "start", "stop", "shell",
		"delete", "edit", "restart", "info", "protect", "unprotect",
		"factory-reset", "show-ssh", "clone", "rename", "list",
		"snapshot", "watch", "tunnel", NULL };
	size_t i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(verbs[i], name) == 0)
			return 1;
	return 0;
}

static void
cmd_completion_bash(void)
{
	const struct cmd_entry *const *c, *const *s;

	printf("# bash completion for limactl (clima)\n"
	       "# Load with: source <(limactl completion bash)\n"
	       "_limactl_instances() {\n"
	       "\tlimactl list -q 2>/dev/null\n"
	       "}\n"
	       "_limactl_templates() {\n"
	       "\tlimactl create --list-templates 2>/dev/null | "
	       "sed 's/^/template:/'\n"
	       "}\n"
	       "_limactl() {\n"
	       "\tlocal cur verb sub i words\n"
	       "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	       "\tverb= sub=\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tcase ${COMP_WORDS[i]} in\n"
	       "\t\t-*) ;;\n"
	       "\t\t*) if [ -z \"$verb\" ]; then verb=${COMP_WORDS[i]}; "
	       "elif [ -z \"$sub\" ]; then sub=${COMP_WORDS[i]}; fi ;;\n"
	       "\t\tesac\n"
	       "\tdone\n"
	       "\tcase $verb in\n"
	       "\t\"\") words=\"");
	for (c = cli_commands; *c != NULL; c++) {
		if (!((*c)->flags & CMD_HIDDEN) && (*c)->group != NULL)
			printf(" %s", (*c)->name);
	}
	printf(" help --help --version --debug --log-level --log-format"
	       " --tty --yes\" ;;\n");
	for (c = cli_commands; *c != NULL; c++) {
		if ((*c)->flags & CMD_HIDDEN)
			continue;
		printf("\t%s", (*c)->name);
		if ((*c)->aliases != NULL) {
			const char *a;

			putchar('|');
			/* aliases are comma-separated; bash wants '|' */
			for (a = (*c)->aliases; *a != '\0'; a++)
				putchar(*a == ',' ? '|' : *a);
		}
		printf(")\n");
		if ((*c)->subcmds != NULL) {
			printf("\t\tif [ -z \"$sub\" ]; then words=\"");
			for (s = (*c)->subcmds; *s != NULL; s++)
				printf(" %s", (*s)->name);
			printf("\"; else words=\"");
			for (s = (*c)->subcmds; *s != NULL; s++)
				cmd_completion_flags(*s);
			printf(" $(_limactl_instances)\"; fi ;;\n");
			continue;
		}
		printf("\t\twords=\"");
		cmd_completion_flags(*c);
		if (cmd_completion_takes_instance((*c)->name))
			printf(" $(_limactl_instances)");
		if (strcmp((*c)->name, "start") == 0 ||
		    strcmp((*c)->name, "create") == 0 ||
		    strcmp((*c)->name, "validate") == 0)
			printf(" $(_limactl_templates)");
		if (strcmp((*c)->name, "completion") == 0)
			printf(" bash");
		printf("\" ;;\n");
	}
	printf("\t*) words= ;;\n"
	       "\tesac\n"
	       "\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	       "\tif [ ${#COMPREPLY[@]} -eq 0 ]; then\n"
	       "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	       "\tfi\n"
	       "}\n"
	       "complete -F _limactl limactl\n");
}

static int
cmd_completion_exec(struct cmd_ctx *ctx)
{
	if (strcmp(ctx->argv[0], "bash") != 0)
		cli_fatal("unsupported shell %s (clima generates completion "
			  "for bash only)", cli_q(ctx->argv[0]));
	cmd_completion_bash();
	return 0;
}

const struct cmd_entry cmd_completion_entry = {
	.name = "completion",
	.group = "additional",
	.usage = "completion bash",
	.short_help = "Generate the autocompletion script for the specified "
		      "shell",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_completion_exec,
};
