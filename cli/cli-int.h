/* clima: what the files of cli/ share. */
/*
 * The flag parser's value store, the global flags, the command table and
 * the helpers that several commands use (instance arguments, the share
 * directory, the template search path).
 */
#ifndef CLI_CLI_INT_H
#define CLI_CLI_INT_H

#include <sys/types.h>

#include <stdio.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/run.h"

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
/*
 * A menu on the terminal: question, then options (def marked first);
 * the chosen index, or -1 when the user gave up (^C, ^D) or there is no
 * terminal.  cli-select.c.
 */
int cli_select(const char *question, const char *const *options, size_t n,
    size_t def);
/* $VISUAL/$EDITOR on text under a header for NAME; the new text. */
char *cli_edit_in_editor(const char *name, const char *text, size_t len);
/* 1 if the text has nothing but comments and blank lines (cmd-edit.c). */
int cli_yaml_is_empty(const char *);
/* Reads a whole file or stdin ("-"); NULL with *cause on failure. */
char *cli_read_file(const char *, size_t *, char **cause);

/* cli-table.c: Go tabwriter work-alike. */
struct cli_table;
struct cli_table *cli_table_new(int minwidth, int padding);
void cli_table_add(struct cli_table *, const char *tab_separated);
void cli_table_print(struct cli_table *, FILE *);
void cli_table_free(struct cli_table *);

/* cli-editflags.c: edit flags (--cpus, --set, ...) as jq expressions. */
struct node;
/*
 * Appends an expression for each edit flag given, then --param (checked
 * against doc's param map; doc may be NULL) and --set; -1 with *cause on
 * bad input.
 */
/*
 * The edit flags of an existing lima.yaml (text, from path) applied:
 * 1 and *yaml (the caller's) when there were any, 0 when none.  Errors
 * are fatal.
 */
int cli_editflags_apply(struct cmd_ctx *, const char *text, size_t len,
    const char *path, char **yaml);
int cli_editflags_exprs(struct cmd_ctx *, int is_create,
    const struct node *doc, char ***exprs, size_t *n, char **cause);
void cli_strv_free(char **, size_t);

/* cli-instance.c */
struct tmpl;
struct tmpl_dirs;
struct lima_config;
/* The template search path; tmpl_dirs_free. */
struct tmpl_dirs *cli_tmpl_dirs(void);
/* Reads a locator (and embeds its bases when embed); prints warnings. */
struct tmpl *cli_template_load(const char *locator, int embed, char **cause);
/* config_load for instance name with the host's environment. */
struct lima_config *cli_config_load(const char *name, const char *file,
    char **cause);
/* config_load_buf; with warn, prints the config's warnings. */
struct lima_config *cli_config_load_buf(const char *name, const char *,
    size_t, const char *filename, int warn, char **cause);
/* Fetches the image into <dir>/image and turns it into <dir>/disk. */
int cli_prepare_disk(const char *name, const struct lima_config *,
    char **cause);
/* containerd's archive into the cache; *path NULL when containerd is off. */
int cli_prefetch_nerdctl(const struct lima_config *, char **path,
    char **cause);
/* firmware.images into <dir>/qemu-efi-code.fd (failures: a warning). */
void cli_prepare_firmware(const char *name, const struct lima_config *);
struct store_inst;
/* Lima's StopForcibly, with its messages. */
void cli_stop_forcibly(const struct store_inst *);
struct sshopts;
/* cmd-show-ssh.c: the ssh options of an instance (sshopts_free). */
struct sshopts *cli_ssh_options(const struct store_inst *,
    const struct lima_config *);
/* cli-tail.c: follow a log file (inotify) on an event loop. */
struct event_base;
struct cli_tail;
typedef void (*cli_tail_cb)(const char *line, void *arg);
struct cli_tail *cli_tail_new(struct event_base *, const char *path,
    cli_tail_cb, void *arg);
void cli_tail_flush(struct cli_tail *);
void cli_tail_free(struct cli_tail *);

/* cmd-start.c: start a stopped instance and wait; the exit code. */
int cli_start_instance(const char *name, double timeout, int progress,
    int foreground);

/* cmd-stop.c */
/* 0 once pid has exited (pidfd), -1 on timeout. */
int cli_wait_pid_exit(pid_t pid, int timeout_sec);
/* SIGINT to the hostagent and wait; cli_fatal on failure. */
void cli_stop_gracefully(const struct store_inst *, int quiet_not_running);

/* cli-run.c: argv vectors and running helper programs (never a shell). */
struct cli_argv {
	char **v; /* NULL-terminated once anything was added */
	size_t n;
};
void cli_argv_add(struct cli_argv *, const char *);
void cli_argv_addf(struct cli_argv *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));
void cli_argv_free(struct cli_argv *);
/* "[a b c]", as Go prints a command's Args; the caller's. */
char *cli_argv_join(char *const *);
/* POSIX shell quoting as Go's shellescape.Quote; the caller's. */
char *cli_shell_quote(const char *);
/* Absolute path of name found in $PATH (the caller's), or NULL. */
char *cli_find_in_path(const char *);
/* Trims white space in place; returns s. */
char *cli_trim(char *);
/* Go's text for a program missing from PATH; the caller's. */
char *cli_not_found(const char *);
/* execvp, or a fatal error. */
void cli_exec(char *const *) __attribute__((__noreturn__));
#define CLI_RUN_CAPTURE_MAX (1024 * 1024) /* bytes kept per stream */
#define CLI_RUN_QUIET       RUN_QUIET /* not captured: /dev/null */
#define CLI_RUN_NULL_STDIN  RUN_NULL_STDIN
/*
 * Runs argv (PATH searched) and waits.  Returns its exit status (128+N
 * when killed by signal N), or -1 with *cause if it could not run.
 * out and err, if not NULL, get what it printed (the caller's).
 */
int cli_run(char *const *, int flags, char **out, char **err, char **cause);
/* "exit status N" or "signal: ..." for a cli_run status; the caller's. */
char *cli_run_status(int);

/* cmd-shell.c: ssh argument lists shared by shell and copy. */
#define CLI_SSH_INSTANCE 0x1 /* User and Control* options too */
#define CLI_SSH_FORWARDS 0x2 /* the config's ForwardAgent/ForwardX11 */
/* Appends -F /dev/null and -o K=V for each of Lima's options. */
void cli_ssh_args(struct cli_argv *, const struct store_inst *,
    const struct lima_config *, int flags);
/* The ssh program: $SSH split into words, else ssh from PATH. */
void cli_ssh_exe(struct cli_argv *);

/* cmd-create.c: create or reuse the instance named by the arguments. */
char *cli_create_or_load(struct cmd_ctx *, int for_start, int *created);

#endif
