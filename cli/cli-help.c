/* clima: --help output in cobra's layout. */
/*
 * The root help lists commands by group ("Basic Commands:", ...); a
 * command's help shows usage, aliases, subcommands, its flags and the
 * global flags, with flag columns aligned as pflag does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "common/xmalloc.h"

static const char *
cli_help_type_name(const struct cli_flag *f)
{
	switch (f->type) {
	case FLAG_STRING:
		return "string";
	case FLAG_STRINGS:
		return "stringArray";
	case FLAG_INT:
		return "int";
	case FLAG_FLOAT:
		return "float32";
	case FLAG_DURATION:
		return "duration";
	case FLAG_BOOL:
		break;
	}
	return NULL;
}

/* Prints one flag table; the usage column starts after the widest name. */
static void
cli_help_flags(FILE *f, const struct cli_flag *const *sets,
    const struct cli_flag *extra, int want_create)
{
	const struct cli_flag *const *set;
	const struct cli_flag *fl, *all[256];
	char line[256];
	size_t n = 0, i, w, width = 0;
	const char *type;

	for (set = sets; set != NULL && *set != NULL; set++) {
		for (fl = *set; fl->name != NULL && n < 255; fl++) {
			if (fl->flags & CLI_FLAG_HIDDEN)
				continue;
			if (want_create != -1 &&
			    !!(fl->flags & CLI_FLAG_CREATE) != want_create)
				continue;
			all[n++] = fl;
		}
	}
	for (fl = extra; fl != NULL && fl->name != NULL && n < 255; fl++) {
		if (!(fl->flags & CLI_FLAG_HIDDEN))
			all[n++] = fl;
	}
	for (i = 0; i < n; i++) {
		type = cli_help_type_name(all[i]);
		w = 6 + strlen(all[i]->name) + (type ? strlen(type) + 1 : 0);
		if (w > width)
			width = w;
	}
	for (i = 0; i < n; i++) {
		fl = all[i];
		type = cli_help_type_name(fl);
		if (fl->shorthand != 0)
			snprintf(line, sizeof line, "  -%c, --%s%s%s",
			    fl->shorthand, fl->name, type ? " " : "",
			    type ? type : "");
		else
			snprintf(line, sizeof line, "      --%s%s%s", fl->name,
			    type ? " " : "", type ? type : "");
		fprintf(f, "%-*s   %s", (int)width + 2, line,
		    fl->usage ? fl->usage : "");
		if (fl->def != NULL && strcmp(fl->def, "false") != 0 &&
		    strcmp(fl->def, "") != 0 && strcmp(fl->def, "0") != 0) {
			if (fl->type == FLAG_STRING)
				fprintf(f, " (default \"%s\")", fl->def);
			else
				fprintf(f, " (default %s)", fl->def);
		}
		fputc('\n', f);
	}
}

static const struct cli_flag cli_help_flag_root[] = {
	{ "help", 'h', FLAG_BOOL, NULL, "help for limactl", 0 },
	{ "version", 'v', FLAG_BOOL, NULL, "version for limactl", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static void
cli_help_group(FILE *f, const char *group, const char *title)
{
	const struct cmd_entry *const *c;

	fprintf(f, "%s\n", title);
	for (c = cli_commands; *c != NULL; c++) {
		if ((*c)->group == NULL || ((*c)->flags & CMD_HIDDEN))
			continue;
		if (strcmp((*c)->group, group) == 0)
			fprintf(f, "  %-15s %s\n", (*c)->name,
			    (*c)->short_help);
	}
	fputc('\n', f);
}

void
cli_help_root(FILE *f)
{
	const struct cli_flag *const globals[] = { cli_global_flags, NULL };

	fprintf(f, "Lima: Linux virtual machines (clima, written in C)\n\n");
	fprintf(f, "Usage:\n  limactl [command]\n\n");
	fprintf(f, "Examples:\n"
		   "  Start the default instance:\n"
		   "  $ limactl start\n\n"
		   "  Open a shell:\n"
		   "  $ lima\n\n"
		   "  Run a container:\n"
		   "  $ lima nerdctl run -d --name nginx -p 8080:80 nginx:alpine\n\n"
		   "  Stop the default instance:\n"
		   "  $ limactl stop\n\n"
		   "  See also template YAMLs: %s/templates\n\n",
	    cli_share_dir() ? cli_share_dir() : "share/lima");
	cli_help_group(f, "basic", "Basic Commands:");
	cli_help_group(f, "advanced", "Advanced Commands:");
	cli_help_group(f, "additional", "Additional Commands:");
	fprintf(f, "Flags:\n");
	cli_help_flags(f, globals, cli_help_flag_root, -1);
	fprintf(f, "\nUse \"limactl [command] --help\" for more information "
		   "about a command.\n");
}

void
cli_help_cmd(FILE *f, const struct cmd_entry *cmd, const char *path)
{
	const struct cli_flag *const globals[] = { cli_global_flags, NULL };
	const struct cmd_entry *const *sub;
	const struct cli_flag *const *set;
	const struct cli_flag *fl;
	int has_create = 0, has_own = 0;

	fprintf(f, "%s\n\n", cmd->long_help ? cmd->long_help :
					      cmd->short_help);
	fprintf(f, "Usage:\n  limactl %s\n", cmd->usage);
	if (cmd->subcmds != NULL)
		fprintf(f, "  %s [command]\n", path);
	fputc('\n', f);
	if (cmd->aliases != NULL) {
		char *a = xstrdup(cmd->aliases), *p;

		for (p = a; *p != '\0'; p++)
			if (*p == ',')
				*p = ' ';
		fprintf(f, "Aliases:\n  %s, ", cmd->name);
		for (p = a; *p != '\0'; p++)
			fputs(*p == ' ' ? ", " : (char[]){ *p, '\0' }, f);
		fprintf(f, "\n\n");
		free(a);
	}
	if (cmd->subcmds != NULL) {
		fprintf(f, "Available Commands:\n");
		for (sub = cmd->subcmds; *sub != NULL; sub++) {
			if (!((*sub)->flags & CMD_HIDDEN))
				fprintf(f, "  %-12s %s\n", (*sub)->name,
				    (*sub)->short_help);
		}
		fputc('\n', f);
	}
	for (set = cmd->flag_sets; set != NULL && *set != NULL; set++) {
		for (fl = *set; fl->name != NULL; fl++) {
			if (fl->flags & CLI_FLAG_HIDDEN)
				continue;
			/* create's own flags are not "inherited" */
			if ((fl->flags & CLI_FLAG_CREATE) &&
			    strcmp(cmd->name, "create") != 0)
				has_create = 1;
			else
				has_own = 1;
		}
	}
	fprintf(f, "Flags:\n");
	if (has_own || !has_create) {
		static const struct cli_flag help[] = {
			{ "help", 'h', FLAG_BOOL, NULL, NULL, 0 },
			{ NULL, 0, 0, NULL, NULL, 0 }
		};
		struct cli_flag h = help[0];
		char *u;

		xasprintf(&u, "help for %s", cmd->name);
		h.usage = u;
		{
			const struct cli_flag hx[] = { h, help[1] };

			cli_help_flags(f, cmd->flag_sets, hx,
			    has_create ? 0 : -1);
		}
		free(u);
	}
	if (has_create) {
		fprintf(f, "\nFlags inherited from `limactl create`:\n");
		cli_help_flags(f, cmd->flag_sets, NULL, 1);
	}
	fprintf(f, "\nGlobal Flags:\n");
	cli_help_flags(f, globals, NULL, -1);
	if (cmd->subcmds != NULL)
		fprintf(f, "\nUse \"%s [command] --help\" for more "
			   "information about a command.\n", path);
}

char *
cli_usage_error(const struct cmd_entry *cmd, const char *path,
    const char *what)
{
	char *s;

	xasprintf(&s, "`%s` %s.\nSee `%s --help`.\n\nUsage:\n  limactl %s",
	    path, what, path, cmd->usage);
	return s;
}
