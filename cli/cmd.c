/* clima: the limactl command table. */
/*
 * Order matters only for help output within a group and for completion.
 */
#include "config.h"

#include "cli/cli-int.h"
#include "cli/cmds.h"

const struct cmd_entry *const cli_commands[] = {
	&cmd_create_entry,
	&cmd_start_entry,
	&cmd_stop_entry,
	&cmd_restart_entry,
	&cmd_list_entry,
	&cmd_delete_entry,
	&cmd_edit_entry,
	&cmd_info_entry,
	&cmd_validate_entry,
	&cmd_prune_entry,
	&cmd_show_ssh_entry,
	&cmd_factory_reset_entry,
	&cmd_disk_entry,
	&cmd_protect_entry,
	&cmd_unprotect_entry,
	&cmd_template_entry,
	&cmd_clone_entry,
	&cmd_rename_entry,
	&cmd_watch_entry,
	&cmd_yq_entry,
	&cmd_completion_entry,
	&cmd_hostagent_entry,
	&cmd_shell_entry,
	&cmd_copy_entry,
	&cmd_snapshot_entry,
	&cmd_autostart_entry,
	&cmd_start_at_login_entry,
	NULL
};
