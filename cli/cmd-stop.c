/* clima: limactl stop. */
/*
 * Graceful: SIGINT to the hostagent, which powers QEMU down over QMP and
 * exits once QEMU has; we wait for the hostagent process itself with a
 * pidfd, so stop returns as soon as it is gone.  --force: SIGKILL the
 * driver and the hostagent and clean up, as Lima's StopForcibly.
 */
#include "config.h"

#include <sys/syscall.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "cli/cmds.h"
#include "store/store.h"

/* Lima waits 3m10s for the hostagent's exiting event. */
#define CMD_STOP_TIMEOUT_SEC 190

static const struct cli_flag cmd_stop_own_flags[] = {
	{ "force", 'f', FLAG_BOOL, "false", "Force stop the instance", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static const struct cli_flag *const cmd_stop_flag_sets[] = {
	cmd_stop_own_flags, NULL
};

/*
 * Waits until pid has exited, at most timeout seconds; 0 when it did.
 * A pidfd turns readable when the process exits, child or not.
 */
int
cli_wait_pid_exit(pid_t pid, int timeout_sec)
{
	struct pollfd pfd;
	int fd, r, left = timeout_sec * 1000;

	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == ESRCH ? 0 : -1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		r = poll(&pfd, 1, left);
		if (r > 0) {
			close(fd);
			return 0;
		}
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	close(fd);
	return -1;
}

/* The graceful stop of one instance; cli_fatal on failure. */
void
cli_stop_gracefully(const struct store_inst *inst, int quiet_not_running)
{
	if (strcmp(inst->status, STORE_STATUS_RUNNING) != 0) {
		if (quiet_not_running) {
			log_warnx("The instance is not running, continuing "
				  "with the restart");
			return;
		}
		cli_fatal("expected status `Running`, got %s (maybe use "
			  "`limactl stop -f`?)", cli_q(inst->status));
	}
	log_info("Sending SIGINT to hostagent process %ld",
	    (long)inst->ha_pid);
	if (kill(inst->ha_pid, SIGINT) != 0 && errno != ESRCH)
		cli_fatal("failed to send SIGINT to the hostagent process "
			  "%ld: %s", (long)inst->ha_pid, strerror(errno));
	log_info("Waiting for the host agent and the driver processes to "
		 "shut down");
	if (cli_wait_pid_exit(inst->ha_pid, CMD_STOP_TIMEOUT_SEC) != 0)
		cli_fatal("timed out waiting for the instance %s to shut down "
			  "after %d seconds (hint: see `%s/ha.stderr.log`, or "
			  "use `limactl stop -f %s`)", cli_q(inst->name),
		    CMD_STOP_TIMEOUT_SEC, inst->dir, inst->name);
}

static int
cmd_stop_exec(struct cmd_ctx *ctx)
{
	struct store_inst *inst, *after;
	const char *name;
	char *cause = NULL;
	int i, n = ctx->argc > 0 ? ctx->argc : 1;

	for (i = 0; i < n; i++) {
		name = cli_instance_arg(ctx, i);
		if (store_validate_name(name, &cause) != 0)
			cli_fatal("%s", cause);
		inst = store_inspect(cli_lima_home(), name, NULL, &cause);
		if (inst == NULL)
			cli_fatal("instance %s does not exist", cli_q(name));
		if (cmd_flag_bool(ctx, "force")) {
			cli_stop_forcibly(inst);
			store_inst_free(inst);
			continue;
		}
		cli_stop_gracefully(inst, 0);
		after = store_inspect(cli_lima_home(), name, NULL, &cause);
		if (after == NULL)
			cli_fatal("%s", cause);
		if (strcmp(after->status, STORE_STATUS_STOPPED) != 0)
			cli_fatal("the instance %s is %s after the hostagent "
				  "exited (hint: see `%s/ha.stderr.log`, or use "
				  "`limactl stop -f %s`)", cli_q(name),
			    after->status, inst->dir, name);
		log_info("The instance %s has shut down", name);
		store_inst_free(after);
		store_inst_free(inst);
	}
	return 0;
}

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.group = "basic",
	.usage = "stop INSTANCE",
	.short_help = "Stop an instance",
	.flag_sets = cmd_stop_flag_sets,
	.min_args = 0,
	.max_args = -1,
	.exec = cmd_stop_exec,
};
