/* clima: the ssh -o options Lima uses for an instance. */
/*
 * Lima's common options, in Lima's order: identity, no host key
 * checking for 127.0.0.1, public key only, batch mode, ciphers picked
 * for the CPU, then user and the control master settings.
 */
#include "config.h"

#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sshopts.h"
#include "common/xmalloc.h"

void
sshopts_add(struct sshopts *o, const char *key, const char *value)
{
	o->keys = xreallocarray(o->keys, o->n + 1, sizeof *o->keys);
	o->values = xreallocarray(o->values, o->n + 1, sizeof *o->values);
	o->keys[o->n] = xstrdup(key);
	o->values[o->n++] = xstrdup(value);
}

static void
sshopts_add_quoted(struct sshopts *o, const char *key, const char *value)
{
	char *q;

	xasprintf(&q, "\"%s\"", value);
	sshopts_add(o, key, q);
	free(q);
}

/* Runs `ssh -V` once; OpenSSH prints "OpenSSH_9.2p1 ..." on stderr. */
int
sshopts_openssh_version(void)
{
	static int cached = -1;
	char buf[256];
	int fds[2], major, minor, status;
	ssize_t n;
	pid_t pid;

	if (cached != -1)
		return cached;
	cached = 0;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return 0;
	if ((pid = fork()) == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execlp("ssh", "ssh", "-o", "GSSAPIAuthentication=no", "-V",
		    (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = pid > 0 ? read(fds[0], buf, sizeof buf - 1) : -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "OpenSSH_%d.%d", &major, &minor) == 2)
		cached = major * 100 + minor;
	return cached;
}

/* Whether the CPU has AES instructions (x86 "aes", arm "aes"). */
static int
sshopts_cpu_has_aes(void)
{
	char line[4096];
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/cpuinfo", "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "flags", 5) != 0 &&
		    strncmp(line, "Features", 8) != 0)
			continue;
		found = strstr(line, " aes ") != NULL ||
		    strstr(line, " aes\n") != NULL;
	}
	fclose(f);
	return found;
}

struct sshopts *
sshopts_new(const struct sshopts_params *p)
{
	struct sshopts *o;
	int version = sshopts_openssh_version();
	size_t i;

	o = xcalloc(1, sizeof *o);
	for (i = 0; i < p->nidentity_files; i++)
		sshopts_add_quoted(o, "IdentityFile", p->identity_files[i]);
	sshopts_add(o, "StrictHostKeyChecking", "no");
	sshopts_add(o, "UserKnownHostsFile", "/dev/null");
	sshopts_add(o, "NoHostAuthenticationForLocalhost", "yes");
	sshopts_add(o, "PreferredAuthentications", "publickey");
	sshopts_add(o, "Compression", "no");
	sshopts_add(o, "BatchMode", "yes");
	sshopts_add(o, "IdentitiesOnly", "yes");
	sshopts_add(o, "GSSAPIAuthentication", "no");
	if (version >= 801) {
		if (sshopts_cpu_has_aes())
			sshopts_add(o, "Ciphers",
			    "\"^aes128-gcm@openssh.com,"
			    "aes256-gcm@openssh.com\"");
		else
			sshopts_add(o, "Ciphers",
			    "\"^chacha20-poly1305@openssh.com\"");
	}
	sshopts_add(o, "User", p->user);
	sshopts_add(o, "ControlMaster", "auto");
	sshopts_add_quoted(o, "ControlPath", p->control_path);
	sshopts_add(o, "ControlPersist", "yes");
	if (p->forward_agent)
		sshopts_add(o, "ForwardAgent", "yes");
	if (p->forward_x11)
		sshopts_add(o, "ForwardX11", "yes");
	if (p->forward_x11_trusted)
		sshopts_add(o, "ForwardX11Trusted", "yes");
	return o;
}

void
sshopts_free(struct sshopts *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++) {
		free(o->keys[i]);
		free(o->values[i]);
	}
	free(o->keys);
	free(o->values);
	free(o);
}
