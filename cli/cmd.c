/* clima: the limactl command table. */
/*
 * Order matters only for help output within a group and for completion.
 */
#include "config.h"

#include "cli/cli-int.h"
#include "cli/cmds.h"

const struct cmd_entry *const cli_commands[] = {
	&cmd_completion_entry,
	NULL
};
