/* clima: what the files of cli/ share. */
/*
 * The flag parser's value store, the global flags, the command table and
 * the helpers that several commands use (instance arguments, the share
 * directory, the template search path).
 */
#ifndef CLI_CLI_INT_H
#define CLI_CLI_INT_H

#include <stdio.h>

#include "cli/cli.h"
#include "common/log.h"

struct cli_flag_value {
	const struct cli_flag *flag;
	char **vals; /* every value given, in order */
	size_t nvals;
	int changed;
	int global;
};

extern const struct cli_flag cli_global_flags[];
extern const struct cmd_entry *const cli_commands[];

/* cli-flags.c */
void cli_flags_collect(const struct cmd_entry *, struct cmd_ctx *);
int cli_flags_parse(struct cmd_ctx *, int, char **, int, char **);
void cli_flags_free(struct cmd_ctx *);

/* cli-help.c */
void cli_help_root(FILE *);
void cli_help_cmd(FILE *, const struct cmd_entry *, const char *path);
char *cli_usage_error(const struct cmd_entry *, const char *path,
    const char *what);

/* cli-util.c */
/* The installed share dir (<exe>/../share/lima) or NULL; borrowed. */
const char *cli_share_dir(void);
/* Path of the running limactl binary; borrowed. */
const char *cli_self_exe(void);
/* Resolved LIMA_HOME, created if missing (fatal on failure); borrowed. */
const char *cli_lima_home(void);
/* The instance name argument (default "default"). */
const char *cli_instance_arg(struct cmd_ctx *, int i);
/* Whether the user can be asked questions. */
int cli_is_tty(void);
/* Reads a whole file or stdin ("-"); NULL with *cause on failure. */
char *cli_read_file(const char *, size_t *, char **cause);

#endif
