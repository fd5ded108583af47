/* clima: the limactl command table, flag parsing and shared CLI helpers. */
/*
 * Each command is a struct cmd_entry in its own cli/cmd-<verb>.c, listed
 * in cli/cmd.c.  Flags are parsed the way cobra/pflag does (--f v, --f=v,
 * -f v, bool --f / --f=false, repeatable string lists, "--" ends flags,
 * flags may follow positionals unless CMD_NO_INTERSPERSE).  A command's
 * exec returns 0 on success; on failure it calls cli_fatal() (one
 * level=fatal line, exit 1) or returns the exit code to use.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stddef.h>

enum cli_flag_type {
	FLAG_BOOL,
	FLAG_STRING,
	FLAG_STRINGS, /* repeatable; also splits nothing: --set a --set b */
	FLAG_INT,
	FLAG_FLOAT,
	FLAG_DURATION /* Go duration: 10m0s, 5s, 1h */
};

struct cli_flag {
	const char *name; /* long name without "--" */
	char shorthand;   /* 0 for none */
	enum cli_flag_type type;
	const char *def; /* default as text ("false", "table", NULL) */
	const char *usage;
	int flags;
#define CLI_FLAG_HIDDEN 0x1
#define CLI_FLAG_CREATE 0x2 /* shown under "Flags inherited from create" */
};

struct cmd_ctx;

struct cmd_entry {
	const char *name;
	const char *aliases; /* comma-separated, or NULL */
	const char *group;   /* "basic", "advanced", or NULL when hidden */
	const char *usage;   /* "list [flags] [INSTANCE]..." */
	const char *short_help;
	const char *long_help; /* or NULL */
	const struct cli_flag *const *flag_sets; /* NULL-terminated arrays */
	int min_args;
	int max_args; /* -1: no limit */
	int flags;
#define CMD_NO_INTERSPERSE 0x1 /* flags stop at the first positional */
#define CMD_HIDDEN 0x2
#define CMD_EXPERIMENTAL 0x4 /* warns "`limactl X` is experimental" */
	int (*exec)(struct cmd_ctx *);
	const struct cmd_entry *const *subcmds; /* NULL-terminated, or NULL */
};

/* Global options, parsed before any command. */
struct cli_global {
	int debug;
	int tty;       /* --tty (default: isatty(stdout)) */
	int tty_set;   /* --tty given explicitly */
	int yes;       /* -y/--yes */
	const char *argv0;
};
extern struct cli_global cli_global;

struct cmd_ctx {
	const struct cmd_entry *cmd;
	char *path; /* "limactl disk create" */
	int argc;   /* positionals */
	char **argv;
	int dashdash; /* index of the first positional after "--", or -1 */
	/* parsed flags live behind these accessors */
	struct cli_flag_value *values;
	size_t nvalues;
};

/* Flag accessors; the name must be one of the command's flags. */
int cmd_flag_bool(struct cmd_ctx *, const char *);
const char *cmd_flag_str(struct cmd_ctx *, const char *);
/* Borrowed array of every value given, in order; *n set. */
char **cmd_flag_strs(struct cmd_ctx *, const char *, size_t *n);
long long cmd_flag_int(struct cmd_ctx *, const char *);
double cmd_flag_float(struct cmd_ctx *, const char *);
/* Seconds. */
double cmd_flag_duration(struct cmd_ctx *, const char *);
/* 1 if the flag was given on the command line. */
int cmd_flag_changed(struct cmd_ctx *, const char *);

/* Prints one fatal line and exits 1. */
void cli_fatal(const char *, ...) __attribute__((__format__(__printf__, 1, 2)))
    __attribute__((__noreturn__));

/* Go's %#q for names in messages: `x`, or "x" when x has a back-quote. */
const char *cli_q(const char *); /* static rotating buffers; 8 live at once */

/* Shared flag sets. */
extern const struct cli_flag cli_edit_flags[];   /* --cpus ... --set ... */
extern const struct cli_flag cli_create_flags[]; /* --arch ... --name */

#endif
