/* clima: tests of the default.yaml < lima.yaml < override.yaml merge. */
/*
 * One test per rule of Lima's FillDefault: the scalar rule, nested
 * mappings, the o,y,d list concatenation, mounts and networks merged by
 * key, dns, maps, caCerts de-duplication and plain mode; then the same
 * through config_load_buf with a LIMA_HOME fixture.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "config/config-int.h"
#include "tests/unit/test-config.h"

static struct node *
tm_doc(const char *yaml, const char *file)
{
	char *cause = NULL;
	struct node *n;

	if (yaml == NULL)
		return NULL;
	n = node_from_yaml(yaml, strlen(yaml), file, &cause);
	if (n == NULL) {
		printf("# bad test YAML: %s\n", cause);
		free(cause);
	}
	return n;
}

/* Builds from default (d), instance (y) and override (o) texts. */
static struct lima_config *
tm_build(const struct config_env *env, const char *d, const char *y,
    const char *o, char **cause)
{
	*cause = NULL;
	return cfg_build(env, tm_doc(d, "default.yaml"), tm_doc(y, "lima.yaml"),
	    tm_doc(o, "override.yaml"), "lima.yaml", 0, cause);
}

static struct lima_config *
tm_ok(const struct config_env *env, const char *d, const char *y, const char *o)
{
	struct lima_config *cfg;
	char *cause;

	if ((cfg = tm_build(env, d, y, o, &cause)) == NULL) {
		printf("# unexpected failure: %s\n", cause);
		free(cause);
	}
	return cfg;
}

static void
test_scalars(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tm_ok(env, "cpus: 2\n", TC_IMAGE, NULL);
	ok(cfg != NULL && cfg->cpus == 2, "d used when y is unset");
	config_free(cfg);
	cfg = tm_ok(env, "cpus: 2\n", TC_IMAGE "cpus: 3\n", NULL);
	ok(cfg != NULL && cfg->cpus == 3, "y wins over d");
	config_free(cfg);
	cfg = tm_ok(env, "cpus: 2\n", TC_IMAGE "cpus: 3\n", "cpus: 1\n");
	ok(cfg != NULL && cfg->cpus == 1, "o wins over y");
	config_free(cfg);
	cfg = tm_ok(env, "cpus: 2\n", TC_IMAGE "cpus: null\n", NULL);
	ok(cfg != NULL && cfg->cpus == 2, "null in y is unset");
	config_free(cfg);
	cfg = tm_ok(env, NULL, TC_IMAGE, "cpus: ~\n");
	ok(cfg != NULL && cfg->cpus == 4, "builtin default when none is set");
	config_free(cfg);
	cfg = tm_ok(env, "user:\n  name: dee\n  shell: /bin/sh\n",
	    TC_IMAGE "user:\n  name: why\n",
	    "ssh:\n  forwardAgent: true\nuser:\n  comment: oh\n");
	ok(cfg != NULL, "nested mappings merge");
	if (cfg != NULL) {
		is_str(cfg->user.name, "why", "user.name from y");
		is_str(cfg->user.shell, "/bin/sh", "user.shell from d");
		is_str(cfg->user.comment, "oh", "user.comment from o");
		is_int(cfg->ssh.forward_agent, 1, "ssh.forwardAgent from o");
	}
	config_free(cfg);
}

static void
test_lists(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tm_ok(env,
	    "images: [{location: /d.img}]\nadditionalDisks: [dd]\nprovision: "
	    "[{script: \"#!/bin/sh\\nd\"}]\nprobes: [{script: "
	    "\"#!/bin/sh\\nd\"}]\nportForwards: [{guestPort: "
	    "1001}]\ncopyToHost: [{guest: /d, host: "
	    "/d}]\nmountTypesUnsupported: [d]\nfirmware:\n  images: "
	    "[{location: /d.fd}]\ncontainerd:\n  archives: [{location: "
	    "/d.tgz}]\n",
	    "images: [{location: /y.img}]\nadditionalDisks: [yy]\nprovision: "
	    "[{script: \"#!/bin/sh\\ny\"}]\nprobes: [{script: "
	    "\"#!/bin/sh\\ny\"}]\nportForwards: [{guestPort: "
	    "1002}]\ncopyToHost: [{guest: /y, host: "
	    "/y}]\nmountTypesUnsupported: [y]\nfirmware:\n  images: "
	    "[{location: /y.fd}]\ncontainerd:\n  archives: [{location: "
	    "/y.tgz}]\n",
	    "images: [{location: /o.img}]\nadditionalDisks: [oo]\nprovision: "
	    "[{script: \"#!/bin/sh\\no\"}]\nprobes: [{script: "
	    "\"#!/bin/sh\\no\"}]\nportForwards: [{guestPort: "
	    "1003}]\ncopyToHost: [{guest: /o, host: "
	    "/o}]\nmountTypesUnsupported: [o]\nfirmware:\n  images: "
	    "[{location: /o.fd}]\ncontainerd:\n  archives: [{location: "
	    "/o.tgz}]\n");
	ok(cfg != NULL, "list concatenation loads");
	if (cfg == NULL)
		return;
	ok(cfg->nimages == 3 &&
		strcmp(cfg->images[0].file.location, "/o.img") == 0 &&
		strcmp(cfg->images[1].file.location, "/y.img") == 0 &&
		strcmp(cfg->images[2].file.location, "/d.img") == 0,
	    "images: o, y, d");
	ok(cfg->nadditional_disks == 3 &&
		strcmp(cfg->additional_disks[0].name, "oo") == 0 &&
		strcmp(cfg->additional_disks[2].name, "dd") == 0,
	    "additionalDisks: o, y, d");
	ok(cfg->nprovision == 3 &&
		strcmp(cfg->provision[0].script, "#!/bin/sh\no") == 0 &&
		strcmp(cfg->provision[2].script, "#!/bin/sh\nd") == 0,
	    "provision: o, y, d");
	ok(cfg->nprobes == 3 &&
		strcmp(cfg->probes[1].script, "#!/bin/sh\ny") == 0,
	    "probes: o, y, d");
	is_str(cfg->probes[2].description, "user probe 3/3",
	    "probe description counts merged probes");
	ok(cfg->nport_forwards == 3 &&
		cfg->port_forwards[0].guest_port == 1003 &&
		cfg->port_forwards[2].guest_port == 1001,
	    "portForwards: o, y, d");
	ok(cfg->ncopy_to_host == 3 &&
		strcmp(cfg->copy_to_host[0].guest, "/o") == 0,
	    "copyToHost: o, y, d");
	ok(cfg->mount_types_unsupported.n == 3 &&
		strcmp(cfg->mount_types_unsupported.v[0], "o") == 0 &&
		strcmp(cfg->mount_types_unsupported.v[2], "d") == 0,
	    "mountTypesUnsupported: o, y, d");
	ok(cfg->firmware.nimages == 3 &&
		strcmp(cfg->firmware.images[1].location, "/y.fd") == 0,
	    "firmware.images: o, y, d");
	ok(cfg->containerd.narchives == 3 &&
		strcmp(cfg->containerd.archives[0].location, "/o.tgz") == 0,
	    "containerd.archives: o, y, d (no builtin appended)");
	config_free(cfg);
}

static void
test_mounts(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tm_ok(env,
	    "mounts:\n- location: /srv/a\n  writable: false\n  9p: {msize: "
	    "1MiB}\n- location: \"~/x\"\n",
	    TC_IMAGE "mounts:\n- location: /srv/a\n  writable: true\n- "
		     "location: \"{{.Home}}/x\"\n  sshfs: {cache: false}\n- "
		     "location: /srv/d\n  mountPoint: /mnt/c\n",
	    "mounts:\n- location: /srv/c\n  mountPoint: /mnt/c\n  sshfs: "
	    "{followSymlinks: true}\n- location: /srv/e\n");
	ok(cfg != NULL, "mount merge loads");
	if (cfg == NULL)
		return;
	is_int(cfg->nmounts, 4, "entries with the same mount point merged");
	if (cfg->nmounts != 4) {
		config_free(cfg);
		return;
	}
	is_str(cfg->mounts[0].location, "/srv/a", "d's entry comes first");
	is_int(cfg->mounts[0].writable, 1, "y overrides writable");
	is_str(cfg->mounts[0].ninep.msize, "1MiB", "d's 9p.msize kept");
	is_str(cfg->mounts[0].ninep.cache, "mmap",
	    "9p.cache default follows the merged writable");
	is_str(cfg->mounts[1].location, "/home/alice/x",
	    "~ and {{.Home}} expand to the same host path");
	is_int(cfg->mounts[1].sshfs.cache, 0, "y's sshfs.cache applied");
	is_str(cfg->mounts[2].location, "/srv/d",
	    "first entry for /mnt/c keeps its location");
	is_int(cfg->mounts[2].sshfs.follow_symlinks, 1,
	    "o's sshfs.followSymlinks applied to /mnt/c");
	is_str(cfg->mounts[3].mount_point, "/srv/e",
	    "mountPoint defaults to location");
	config_free(cfg);
}

static void
test_networks(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tm_ok(env,
	    "networks:\n- lima: user-v2\n  interface: lima0\n  metric: 50\n",
	    TC_IMAGE
	    "networks:\n- socket: /nonexistent/sock\n  interface: lima0\n",
	    "networks:\n- lima: user-v2\n  macAddress: "
	    "\"52:55:55:00:00:01\"\n");
	ok(cfg != NULL, "network merge loads");
	if (cfg == NULL)
		return;
	is_int(cfg->nnetworks, 2, "same interface merged, other appended");
	if (cfg->nnetworks == 2) {
		is_str(cfg->networks[0].socket, "/nonexistent/sock",
		    "y's socket replaces d's lima");
		ok(cfg->networks[0].lima == NULL, "lima cleared by socket");
		is_int(cfg->networks[0].metric, 50, "d's metric kept");
		is_str(cfg->networks[1].interface, "lima1",
		    "default interface lima<i>");
		is_int(cfg->networks[1].metric, 100, "default metric 100");
		is_str(cfg->networks[1].mac_address, "52:55:55:00:00:01",
		    "o's macAddress");
		ok(strncmp(cfg->networks[0].mac_address, "52:55:55:", 9) == 0 &&
			strlen(cfg->networks[0].mac_address) == 17,
		    "derived macAddress");
	}
	config_free(cfg);
}

static void
test_dns_maps(const struct config_env *env)
{
	struct lima_config *cfg;
	const char *hr = "hostResolver: {enabled: false}\n";
	char *y;

	xasprintf(&y, "%s%sdns: [8.8.8.8]\n", TC_IMAGE, hr);
	cfg = tm_ok(env, "dns: [1.1.1.1]\n", y, NULL);
	ok(cfg != NULL && cfg->dns.n == 1 &&
		strcmp(cfg->dns.v[0], "8.8.8.8") == 0,
	    "dns: y wins over d, not merged");
	config_free(cfg);
	cfg = tm_ok(env, "dns: [1.1.1.1]\n", y, "dns: [9.9.9.9, 9.9.9.10]\n");
	ok(cfg != NULL && cfg->dns.n == 2 &&
		strcmp(cfg->dns.v[0], "9.9.9.9") == 0,
	    "dns: o wins");
	config_free(cfg);
	free(y);
	xasprintf(&y, "%s%sdns: []\n", TC_IMAGE, hr);
	cfg = tm_ok(env, "dns: [1.1.1.1]\n", y, "dns: []\n");
	ok(cfg != NULL && cfg->dns.n == 1 &&
		strcmp(cfg->dns.v[0], "1.1.1.1") == 0,
	    "dns: empty lists do not win");
	config_free(cfg);
	free(y);

	cfg = tm_ok(env,
	    "env: {A: d, B: d}\nparam: {P: d, Q: d}\nhostResolver:\n  hosts: "
	    "{h1: 1.1.1.1, h2: 2.2.2.2}\nvmOpts:\n  qemu:\n    cpuType: "
	    "{x86_64: d, aarch64: d}\n",
	    TC_IMAGE
	    "env: {B: y, C: y}\nparam: {Q: y}\nprovision: [{script: "
	    "\"#!/bin/sh\\necho $PARAM_Q\"}]\nhostResolver:\n  hosts: {h2: "
	    "2.2.2.3}\nvmOpts:\n  qemu:\n    cpuType: {aarch64: y}\n",
	    "env: {C: o}\nparam: {P: o}\nhostResolver:\n  hosts: {h3: x}\n");
	ok(cfg != NULL, "map merge loads");
	if (cfg != NULL) {
		is_str(cfg_map_get(&cfg->env, "A"), "d", "env.A from d");
		is_str(cfg_map_get(&cfg->env, "B"), "y", "env.B from y");
		is_str(cfg_map_get(&cfg->env, "C"), "o", "env.C from o");
		is_str(cfg_map_get(&cfg->param, "P"), "o", "param.P from o");
		is_str(cfg_map_get(&cfg->param, "Q"), "y", "param.Q from y");
		is_str(cfg_map_get(&cfg->host_resolver.hosts, "h1"), "1.1.1.1",
		    "hosts.h1 from d");
		is_str(cfg_map_get(&cfg->host_resolver.hosts, "h2"), "2.2.2.3",
		    "hosts.h2 from y");
		is_str(cfg_map_get(&cfg->host_resolver.hosts, "h3"), "x",
		    "hosts.h3 from o");
		is_str(cfg_map_get(&cfg->qemu.cpu_type, "x86_64"), "d",
		    "cpuType.x86_64 from d");
		is_str(cfg_map_get(&cfg->qemu.cpu_type, "aarch64"), "y",
		    "cpuType.aarch64 from y");
	}
	config_free(cfg);

	cfg = tm_ok(env, "caCerts:\n  files: [a, b]\n  certs: [X]\n",
	    TC_IMAGE "caCerts:\n  files: [b, c]\n  certs: [X, Y]\n",
	    "caCerts:\n  files: [a, d]\n  removeDefaults: true\n");
	ok(cfg != NULL, "caCerts merge loads");
	if (cfg != NULL) {
		ok(cfg->ca_certs.files.n == 4 &&
			strcmp(cfg->ca_certs.files.v[0], "a") == 0 &&
			strcmp(cfg->ca_certs.files.v[1], "b") == 0 &&
			strcmp(cfg->ca_certs.files.v[2], "c") == 0 &&
			strcmp(cfg->ca_certs.files.v[3], "d") == 0,
		    "caCerts.files: d, y, o without repeats");
		is_int(cfg->ca_certs.certs.n, 2, "caCerts.certs de-duplicated");
		is_int(cfg->ca_certs.remove_defaults, 1,
		    "caCerts.removeDefaults from o");
	}
	config_free(cfg);
}

static void
test_plain(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tm_ok(env, "plain: true\n",
	    TC_IMAGE
	    "mounts: [{location: /srv/a}]\ntimezone: UTC\ncontainerd: {system: "
	    "true, user: true}\nportForwards:\n- guestPort: 80\n- guestPort: "
	    "8080\n  hostPort: 18080\n  static: true\n",
	    NULL);
	ok(cfg != NULL, "plain mode loads");
	if (cfg == NULL)
		return;
	is_int(cfg->plain, 1, "plain from d");
	is_int(cfg->nmounts, 0, "plain: no mounts");
	is_int(cfg->nport_forwards, 1, "plain: only static port forwards");
	if (cfg->nport_forwards == 1)
		is_int(cfg->port_forwards[0].guest_port, 8080,
		    "the static rule survives");
	is_int(cfg->containerd.system, 0, "plain: no system containerd");
	is_int(cfg->containerd.user, 0, "plain: no user containerd");
	is_str(cfg->timezone, "", "plain: no timezone");
	config_free(cfg);
}

static void
test_positions(const struct config_env *env)
{
	char *cause;
	struct lima_config *cfg;

	cfg = tm_build(env, NULL, TC_IMAGE, "\ncpus: many\n", &cause);
	ok(cfg == NULL && cause != NULL &&
		strstr(cause,
		    "override.yaml:2:7: field `cpus`: expected an integer") !=
		    NULL,
	    "a bad value in override.yaml names that file");
	config_free(cfg);
	free(cause);
	cfg = tm_build(env, "cpus: 2\nssh:\n  localPort: 22\n",
	    TC_IMAGE "cpus: 1\n", NULL, &cause);
	ok(cfg == NULL && cause != NULL &&
		strcmp(cause,
		    "field `ssh.localPort` must not be 22 (default.yaml:3)") ==
		    0,
	    "validation names the file a merged value came from");
	if (cfg != NULL || cause == NULL ||
	    strstr(cause, "(default.yaml:3)") == NULL)
		printf("# %s\n", cause != NULL ? cause : "(loaded)");
	config_free(cfg);
	free(cause);
	cfg = tm_build(env, "bogus: 1\n", TC_IMAGE, "other: 2\n", &cause);
	ok(cfg != NULL &&
		tc_has_warning(
		    cfg, "default.yaml:1:1: unknown field `bogus`") &&
		tc_has_warning(cfg, "override.yaml:1:1: unknown field `other`"),
	    "unknown fields warned per file");
	config_free(cfg);
	cfg = tm_build(env, "param: {UNUSED: 1}\n", TC_IMAGE, NULL, &cause);
	ok(cfg != NULL, "an unused param in default.yaml is no error");
	config_free(cfg);
}

/* The same rules through config_load_buf and a LIMA_HOME. */
static void
test_lima_home(struct config_env *env)
{
	struct lima_config *cfg;
	char *home, *saved = env->lima_home;

	home = tc_fixture("home");
	env->lima_home = home;
	cfg = tc_ok(env, TC_IMAGE "cpus: 1\nmemory: 8GiB\n");
	ok(cfg != NULL, "loads with _config/{default,override}.yaml");
	if (cfg != NULL) {
		is_int(cfg->cpus, 1, "instance cpus over default.yaml's");
		is_str(cfg->memory_str, "2GiB", "override.yaml's memory wins");
		is_str(cfg->disk_str, "20GiB", "default.yaml's disk used");
		is_int(cfg->nimages, 2, "override image prepended");
		if (cfg->nimages == 2)
			is_str(cfg->images[0].file.location,
			    "https://example.com/override.img",
			    "override image first");
	}
	config_free(cfg);
	env->lima_home = saved;
	free(home);
}

int
main(void)
{
	struct config_env env;

	tc_env(&env);
	test_scalars(&env);
	test_lists(&env);
	test_mounts(&env);
	test_networks(&env);
	test_dns_maps(&env);
	test_plain(&env);
	test_positions(&env);
	test_lima_home(&env);
	config_env_free(&env);
	return done_testing();
}
