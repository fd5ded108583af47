/* clima: the files the hostagent writes at every start. */
/*
 * ssh.config (for `ssh -F`), ansible-inventory.yaml, and the shared
 * option list both are made from; written with temp file + rename so a
 * reader never sees half a file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/sshopts.h"
#include "common/xmalloc.h"
#include "hostagent/ha-files.h"
#include "store/store.h"

char *
ha_files_ssh_config_text(const char *name, const struct sshopts *o,
    int port)
{
	char *s, *tmp;
	size_t i;

	xasprintf(&s, "# ssh_config of the Lima instance `%s`, for "
		      "`ssh -F <this file> lima-%s`.\n"
		      "# The hostagent writes it at every start: changes made "
		      "here are lost.\n"
		      "Host lima-%s\n", name, name, name);
	for (i = 0; i < o->n; i++) {
		xasprintf(&tmp, "%s  %s %s\n", s, o->keys[i], o->values[i]);
		free(s);
		s = tmp;
	}
	xasprintf(&tmp, "%s  Hostname 127.0.0.1\n  Port %d\n", s, port);
	free(s);
	return tmp;
}

int
ha_files_write_ssh_config(const char *dir, const char *name,
    const struct sshopts *o, int port, char **cause)
{
	char *path, *text;
	int ret;

	xasprintf(&path, "%s/ssh.config", dir);
	text = ha_files_ssh_config_text(name, o, port);
	ret = store_write_file_atomic(path, text, strlen(text), 0600, cause);
	free(text);
	free(path);
	return ret;
}

int
ha_files_write_ansible_inventory(const char *dir, const char *name,
    char **cause)
{
	struct node *doc, *lima, *hosts, *host;
	char *path, *text, *v;
	int ret;

	doc = node_new_map();
	lima = node_new_map();
	hosts = node_new_map();
	host = node_new_map();
	node_map_set(host, "ansible_connection", node_new_str("ssh"));
	xasprintf(&v, "lima-%s", name);
	node_map_set(host, "ansible_host", node_new_str(v));
	free(v);
	xasprintf(&v, "-F %s/ssh.config", dir);
	node_map_set(host, "ansible_ssh_common_args", node_new_str(v));
	free(v);
	node_map_set(hosts, name, host);
	node_map_set(lima, "hosts", hosts);
	node_map_set(doc, "lima", lima);
	text = node_to_yaml(doc);
	node_free(doc);
	xasprintf(&path, "%s/ansible-inventory.yaml", dir);
	ret = store_write_file_atomic(path, text, strlen(text), 0644, cause);
	free(path);
	free(text);
	return ret;
}
