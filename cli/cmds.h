/* clima: every limactl command entry (one per cli/cmd-*.c). */
#ifndef CLI_CMDS_H
#define CLI_CMDS_H

#include "cli/cli.h"

extern const struct cmd_entry cmd_completion_entry;

#endif
