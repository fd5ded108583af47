/* clima: makes a cidata.iso from a lima.yaml, for boot tests by hand. */
/*
 * test-cidata-mkiso LIMA_YAML PUBKEY_FILE INSTDIR ISO [UDP_PORT TCP_PORT]
 * loads LIMA_YAML for the running host (as `limactl start` would), takes
 * the one public key in PUBKEY_FILE and writes ISO with the boot scripts
 * of $top_srcdir/boot (and $CIDATA_GUEST_AGENT as lima-guestagent, and
 * $CIDATA_NERDCTL_ARCHIVE as nerdctl-full.tgz when containerd is on, if
 * set and not empty).  Prints the IID, the eth0 MAC and the user name on
 * stdout.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidata/cidata.h"
#include "common/xmalloc.h"
#include "config/config.h"

int
main(int argc, char **argv)
{
	struct config_env env;
	struct lima_config *cfg;
	struct cidata_args a;
	const char *top = getenv("top_srcdir");
	char key[8192], boot[PATH_MAX], *keys[1], *cause = NULL, *iid, *mac;
	char *mid;
	FILE *f;
	int rc = 1;

	if (argc != 5 && argc != 7) {
		fprintf(stderr,
		    "usage: %s lima.yaml pubkey instdir iso "
		    "[udp tcp]\n",
		    argv[0]);
		return 2;
	}
	if ((f = fopen(argv[2], "re")) == NULL ||
	    fgets(key, sizeof key, f) == NULL) {
		fprintf(stderr, "%s: cannot read\n", argv[2]);
		return 1;
	}
	fclose(f);
	key[strcspn(key, "\r\n")] = '\0';
	keys[0] = key;

	config_env_host(&env, NULL, "test");
	free(env.instance_dir);
	env.instance_dir = xstrdup(argv[3]);
	if ((cfg = config_load(&env, argv[1], &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		config_env_free(&env);
		return 1;
	}
	snprintf(boot, sizeof boot, "%s/boot", top != NULL ? top : ".");
	iid = cidata_new_iid();
	memset(&a, 0, sizeof a);
	a.config = cfg;
	a.name = "test";
	a.instance_dir = argv[3];
	a.iid = iid;
	a.ssh_pubkeys = keys;
	a.nssh_pubkeys = 1;
	if (argc == 7) {
		a.udp_dns_port = atoi(argv[5]);
		a.tcp_dns_port = atoi(argv[6]);
	}
	a.boot_dir = boot;
	a.guest_agent = getenv("CIDATA_GUEST_AGENT");
	a.nerdctl_archive = getenv("CIDATA_NERDCTL_ARCHIVE");
	if (a.nerdctl_archive != NULL && *a.nerdctl_archive == '\0')
		a.nerdctl_archive = NULL;
	if (cidata_write(&a, argv[4], &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		goto out;
	}
	mid = cidata_host_machine_id();
	mac = cidata_mac_address(mid, argv[3]);
	printf("%s %s %s\n", iid, mac, cfg->user.name);
	free(mac);
	free(mid);
	rc = 0;
out:
	free(iid);
	config_free(cfg);
	config_env_free(&env);
	return rc;
}
