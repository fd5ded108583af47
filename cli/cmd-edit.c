/* clima: limactl edit. */
/*
 * Edits the lima.yaml of a stopped instance (or a template file) with
 * the edit flags, or in $EDITOR on a terminal; the result is validated
 * against the old config before it replaces the file (temp + rename).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "expr/expr.h"
#include "store/store.h"

static const struct cli_flag *const cmd_edit_flag_sets[] = {
	cli_edit_flags, NULL
};

static const char cmd_edit_header[] =
    "# Please edit the following configuration for Lima instance \"%s\"\n"
    "# and an empty file will abort the edit.\n\n";

/* Runs $EDITOR on text; returns the new text (the caller's). */
char *
cli_edit_in_editor(const char *name, const char *text, size_t len)
{
	char tmpl[] = "/tmp/lima-edit.XXXXXX.yaml", *head, *cause = NULL;
	char *buf, *argv[6];
	const char *editor;
	size_t n;
	pid_t pid;
	int fd, status;

	if ((fd = mkstemps(tmpl, 5)) < 0)
		cli_fatal("failed to create a temporary file: %s",
		    strerror(errno));
	xasprintf(&head, cmd_edit_header, name);
	if (write(fd, head, strlen(head)) < 0 || write(fd, text, len) < 0)
		cli_fatal("failed to write %s: %s", tmpl, strerror(errno));
	close(fd);
	free(head);
	if ((editor = getenv("VISUAL")) == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || *editor == '\0')
		editor = "vi";
	/* $EDITOR may hold arguments ("code -w"): let sh split it. */
	argv[0] = xstrdup("/bin/sh");
	argv[1] = xstrdup("-c");
	xasprintf(&argv[2], "%s \"$1\"", editor);
	argv[3] = xstrdup("sh");
	argv[4] = tmpl;
	argv[5] = NULL;
	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	free(argv[0]);
	free(argv[1]);
	free(argv[2]);
	free(argv[3]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		cli_fatal("the editor %s failed", cli_q(editor));
	buf = cli_read_file(tmpl, &n, &cause);
	unlink(tmpl);
	if (buf == NULL)
		cli_fatal("%s", cause);
	return buf;
}

/* 1 if the text has nothing but comments and blank lines. */
int
cli_yaml_is_empty(const char *s)
{
	const char *line = s;

	while (*line != '\0') {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line != '#' && *line != '\n' && *line != '\0')
			return 0;
		line = strchr(line, '\n');
		if (line == NULL)
			break;
		line++;
	}
	return 1;
}

static int
cmd_edit_exec(struct cmd_ctx *ctx)
{
	const char *arg = cli_instance_arg(ctx, 0), *home = cli_lima_home();
	struct lima_config *oldcfg = NULL, *newcfg;
	struct store_inst *inst = NULL;
	char *path, *name, *old, *yaml = NULL, *cause = NULL;
	size_t len;
	struct stat sb;
	int is_file = 0, edited;

	len = strlen(arg);
	if ((len > 5 && strcmp(arg + len - 5, ".yaml") == 0) ||
	    (len > 4 && strcmp(arg + len - 4, ".yml") == 0)) {
		if (stat(arg, &sb) != 0)
			cli_fatal("file %s does not exist", cli_q(arg));
		is_file = 1;
		path = xstrdup(arg);
		name = xstrdup("default");
	} else {
		if (store_validate_name(arg, &cause) != 0)
			cli_fatal("%s", cause);
		name = xstrdup(arg);
		inst = store_inspect(home, name, NULL, &cause);
		if (inst == NULL)
			cli_fatal("instance %s not found", cli_q(name));
		if (strcmp(inst->status, STORE_STATUS_RUNNING) == 0)
			cli_fatal("cannot edit a running instance");
		xasprintf(&path, "%s/lima.yaml", inst->dir);
	}
	old = cli_read_file(path, &len, &cause);
	if (old == NULL)
		cli_fatal("%s", cause);
	if (!is_file)
		oldcfg = cli_config_load(name, path, &cause);
	free(cause);
	cause = NULL;

	edited = cli_editflags_apply(ctx, old, len, path, &yaml);
	if (!edited && !cli_is_tty())
		cli_fatal("no changes were requested: pass edit flags such as "
			  "--set, or run `limactl edit` on a terminal to open "
			  "an editor");
	if (!edited) {
		yaml = cli_edit_in_editor(name, old, len);
		if (cli_yaml_is_empty(yaml))
			cli_fatal("Aborting, as requested by saving the file "
				  "with empty content");
	}
	if (strcmp(yaml, old) == 0) {
		log_info("Aborting, no changes made to the instance");
		goto out;
	}
	newcfg = cli_config_load_buf(name, yaml, strlen(yaml),
	    is_file ? path : inst->dir, 1, &cause);
	if (newcfg == NULL) {
		char *why = NULL;

		if (cli_is_tty() && !edited &&
		    store_write_file_atomic("lima.REJECTED.yaml", yaml,
		    strlen(yaml), 0644, &why) == 0)
			cli_fatal("the YAML is invalid, saved the buffer as "
				  "`lima.REJECTED.yaml`: %s", cause);
		cli_fatal("%s", cause);
	}
	if (oldcfg != NULL &&
	    config_validate_against(oldcfg, newcfg, &cause) != 0)
		cli_fatal("%s", cause);
	config_free(newcfg);
	if (store_write_file_atomic(path, yaml, strlen(yaml), 0644,
	    &cause) != 0)
		cli_fatal("%s", cause);
	if (is_file)
		log_info("File %s edited", cli_q(path));
	else
		log_info("Instance %s configuration edited", cli_q(name));
out:
	config_free(oldcfg);
	store_inst_free(inst);
	free(yaml);
	free(old);
	free(path);
	free(name);
	return 0;
}

const struct cmd_entry cmd_edit_entry = {
	.name = "edit",
	.group = "basic",
	.usage = "edit INSTANCE|FILE.yaml",
	.short_help = "Edit an instance of Lima or a template",
	.flag_sets = cmd_edit_flag_sets,
	.min_args = 0,
	.max_args = 1,
	.exec = cmd_edit_exec,
};
