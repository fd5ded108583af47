/* clima: the ssh -o options Lima uses for an instance. */
/*
 * One list serves `limactl show-ssh`, ssh.config and every ssh the
 * hostagent and `limactl shell` run, so they never disagree.
 */
#ifndef COMMON_SSHOPTS_H
#define COMMON_SSHOPTS_H

#include <stddef.h>

struct sshopts_params {
	const char *const *identity_files; /* _config/user first */
	size_t nidentity_files;
	const char *user;
	const char *control_path; /* <instdir>/ssh.sock */
	int forward_agent;
	int forward_x11;
	int forward_x11_trusted;
};

struct sshopts {
	char **keys; /* "IdentityFile", ... in Lima's order */
	char **values; /* values as ssh.config writes them (may be quoted) */
	size_t n;
};

/*
 * Builds the option list.  The installed OpenSSH's version decides
 * whether Ciphers and GSSAPIAuthentication are added; /proc/cpuinfo
 * decides between AES-GCM and chacha20.  Free with sshopts_free.
 */
struct sshopts *sshopts_new(const struct sshopts_params *);
void sshopts_add(struct sshopts *, const char *key, const char *value);
void sshopts_free(struct sshopts *);
/* OpenSSH version as major*100+minor (e.g. 902 for 9.2); 0 if unknown. */
int sshopts_openssh_version(void);

#endif
