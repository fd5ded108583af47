/* clima: every limactl command entry (one per cli/cmd-*.c). */
#ifndef CLI_CMDS_H
#define CLI_CMDS_H

#include "cli/cli.h"

extern const struct cmd_entry cmd_completion_entry;
extern const struct cmd_entry cmd_create_entry;
extern const struct cmd_entry cmd_list_entry;

extern const struct cmd_entry cmd_protect_entry;
extern const struct cmd_entry cmd_unprotect_entry;
extern const struct cmd_entry cmd_delete_entry;
extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_template_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_edit_entry;
extern const struct cmd_entry cmd_clone_entry;
extern const struct cmd_entry cmd_rename_entry;
extern const struct cmd_entry cmd_prune_entry;
extern const struct cmd_entry cmd_factory_reset_entry;
extern const struct cmd_entry cmd_disk_entry;
extern const struct cmd_entry cmd_show_ssh_entry;
extern const struct cmd_entry cmd_yq_entry;
extern const struct cmd_entry cmd_shell_entry;
extern const struct cmd_entry cmd_copy_entry;
extern const struct cmd_entry cmd_snapshot_entry;
extern const struct cmd_entry cmd_autostart_entry;
extern const struct cmd_entry cmd_start_at_login_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_hostagent_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_watch_entry;
#endif
