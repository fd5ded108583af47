/* clima: ssh command lines for the hostagent's own use. */
/*
 * Every ssh the hostagent runs uses Lima's option list (common/sshopts)
 * with the control settings swapped as needed: probes before the master
 * exists must not create one, the master itself runs in the foreground
 * as a job we watch, everything later rides on ssh.sock.  ssh takes the
 * first value of an option, so options are replaced, never appended.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sshopts.h"
#include "common/xmalloc.h"
#include "hostagent/ha-int.h"

/* Connect timeout of one ssh attempt (sshd may not listen yet). */
#define HA_SSH_CONNECT_TIMEOUT_SEC 10

struct ha_argv {
	char **v;
	size_t n;
};

static void
ha_argv_add(struct ha_argv *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void
ha_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* "-o K=V" for every option, with overrides (key, value, ..., NULL). */
static void
ha_ssh_options(struct hostagent *ha, struct ha_argv *a,
    const char *const *over)
{
	const char *value;
	char *opt;
	size_t i, j;

	ha_argv_add(a, "ssh");
	ha_argv_add(a, "-F");
	ha_argv_add(a, "/dev/null");
	for (i = 0; i < ha->sshopts->n; i++) {
		value = ha->sshopts->values[i];
		for (j = 0; over != NULL && over[j] != NULL; j += 2) {
			if (strcmp(over[j], ha->sshopts->keys[i]) == 0)
				value = over[j + 1];
		}
		xasprintf(&opt, "%s=%s", ha->sshopts->keys[i], value);
		ha_argv_add(a, "-o");
		ha_argv_add(a, opt);
		free(opt);
	}
	xasprintf(&opt, "ConnectTimeout=%d", HA_SSH_CONNECT_TIMEOUT_SEC);
	ha_argv_add(a, "-o");
	ha_argv_add(a, opt);
	free(opt);
	ha_argv_add(a, "-o");
	ha_argv_add(a, "LogLevel=ERROR");
	ha_argv_add(a, "-p");
	xasprintf(&opt, "%d", ha->ssh_port);
	ha_argv_add(a, opt);
	free(opt);
}

char **
ha_ssh_argv(struct hostagent *ha, int use_master, const char *command)
{
	static const char *const no_master[] = { "ControlMaster", "no",
		"ControlPath", "none", "ControlPersist", "no", NULL };
	static const char *const client[] = { "ControlMaster", "no", NULL };
	struct ha_argv a = { NULL, 0 };

	ha_ssh_options(ha, &a, use_master ? client : no_master);
	ha_argv_add(&a, "127.0.0.1");
	ha_argv_add(&a, "--");
	ha_argv_add(&a, command);
	return a.v;
}

char **
ha_ssh_forward_argv(struct hostagent *ha, const char *op, int reverse,
    const char *spec)
{
	static const char *const client[] = { "ControlMaster", "no", NULL };
	struct ha_argv a = { NULL, 0 };

	ha_ssh_options(ha, &a, client);
	ha_argv_add(&a, "-T");
	ha_argv_add(&a, "-O");
	ha_argv_add(&a, op);
	ha_argv_add(&a, reverse ? "-R" : "-L");
	ha_argv_add(&a, spec);
	ha_argv_add(&a, "127.0.0.1");
	return a.v;
}

char **
ha_ssh_master_argv(struct hostagent *ha)
{
	static const char *const master[] = { "ControlMaster", "yes",
		"ControlPersist", "no", NULL };
	struct ha_argv a = { NULL, 0 };

	ha_ssh_options(ha, &a, master);
	ha_argv_add(&a, "-N");
	ha_argv_add(&a, "127.0.0.1");
	return a.v;
}
