/* clima: the files the hostagent writes at every start. */
#ifndef HOSTAGENT_HA_FILES_H
#define HOSTAGENT_HA_FILES_H

struct sshopts;

/* The text of ssh.config (the caller's). */
char *ha_files_ssh_config_text(const char *name, const struct sshopts *,
    int port);
/* <dir>/ssh.config, mode 0600. */
int ha_files_write_ssh_config(const char *dir, const char *name,
    const struct sshopts *, int port, char **cause);
/* <dir>/ansible-inventory.yaml. */
int ha_files_write_ansible_inventory(const char *dir, const char *name,
    char **cause);

#endif
