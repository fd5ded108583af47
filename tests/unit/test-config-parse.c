/* clima: tests of config parsing (types, positions, unknown fields). */
/*
 * tests/data/yaml/full.yaml sets every field; the rest feeds small
 * documents and checks the exact error and warning texts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "config/config-int.h"
#include "tests/unit/test-config.h"

static void
test_full(const struct config_env *env)
{
	struct lima_config *cfg;
	char *path, *cause = NULL;
	const struct config_mount *m;
	const struct config_port_forward *pf;

	path = tc_fixture("full.yaml");
	cfg = config_load(env, path, &cause);
	ok(cfg != NULL, "full.yaml loads");
	if (cfg == NULL) {
		printf("# %s\n", cause);
		free(cause);
		free(path);
		return;
	}
	is_str(cfg->minimum_lima_version, "1.1.0", "minimumLimaVersion");
	is_str(cfg->vm_type, "qemu", "vmType");
	is_str(
	    cfg->qemu.minimum_version, "8.2.1", "vmOpts.qemu.minimumVersion");
	is_str(cfg_map_get(&cfg->qemu.cpu_type, "x86_64"), "qemu64",
	    "vmOpts.qemu.cpuType.x86_64 given");
	is_str(cfg_map_get(&cfg->qemu.cpu_type, "aarch64"), "max",
	    "vmOpts.qemu.cpuType.aarch64 defaulted");
	is_str(cfg->os, "Linux", "os");
	is_str(cfg->arch, "x86_64", "arch");
	is_int(cfg->nimages, 2, "two images");
	is_str(cfg->images[0].file.digest,
	    "sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "images[0].digest");
	if (cfg->images[0].kernel == NULL || cfg->images[0].initrd == NULL) {
		ok(0, "images[0].kernel and initrd");
		config_free(cfg);
		free(path);
		return;
	}
	is_str(
	    cfg->images[0].kernel->cmdline, "console=ttyS0", "kernel.cmdline");
	is_str(cfg->images[0].kernel->file.arch, "x86_64",
	    "kernel.arch defaults to the image's");
	is_str(cfg->images[0].initrd->location, "https://example.com/initrd",
	    "initrd.location");
	is_str(cfg->images[0].variant, "server", "variant");
	is_str(cfg->images[0].arch_variant, "v3", "archVariant");
	is_str(cfg->images[1].file.arch, "aarch64", "images[1].arch");
	ok(cfg->images[1].kernel == NULL, "images[1] has no kernel");
	is_int(cfg->cpus, 2, "cpus");
	is_str(cfg->memory_str, "3GiB", "memory string");
	ok(cfg->memory == 3ULL << 30, "memory bytes");
	is_str(cfg->disk_str, "50GiB", "disk string");
	ok(cfg->disk == 50ULL << 30, "disk bytes");
	is_int(cfg->nadditional_disks, 2, "two additional disks");
	is_str(cfg->additional_disks[0].name, "data", "disk given as string");
	is_int(cfg->additional_disks[0].format, CONFIG_UNSET,
	    "format unset for the string form");
	is_int(cfg->additional_disks[1].format, 0, "format: false");
	is_str(cfg->additional_disks[1].fs_type, "xfs", "fsType");
	is_int(cfg->additional_disks[1].fs_args.n, 2, "fsArgs");
	is_str(cfg->additional_disks[1].fs_args.v[1], "0", "fsArgs[1]");
	is_int(cfg->nmounts, 1, "one mount");
	m = &cfg->mounts[0];
	is_str(m->location, "/srv/share", "mount location");
	is_str(m->mount_point, "/mnt/share", "mountPoint");
	is_int(m->writable, 1, "writable");
	is_int(m->sshfs.cache, 0, "sshfs.cache");
	is_int(m->sshfs.follow_symlinks, 1, "sshfs.followSymlinks");
	is_str(m->sshfs.sftp_driver, "builtin", "sshfs.sftpDriver");
	is_str(m->ninep.security_model, "mapped-xattr", "9p.securityModel");
	is_str(m->ninep.protocol_version, "9p2000.u", "9p.protocolVersion");
	is_str(m->ninep.msize, "256KiB", "9p.msize");
	is_str(m->ninep.cache, "loose", "9p.cache");
	is_int(m->virtiofs.queue_size, 512, "virtiofs.queueSize");
	is_str(cfg->mount_types_unsupported.v[0], "virtiofs",
	    "mountTypesUnsupported");
	is_str(cfg->mount_type, "reverse-sshfs", "mountType");
	is_int(cfg->mount_inotify, 1, "mountInotify");
	is_int(cfg->ssh.local_port, 60906, "ssh.localPort");
	is_int(cfg->ssh.load_dot_ssh_pub_keys, 1, "ssh.loadDotSSHPubKeys");
	is_int(cfg->ssh.forward_agent, 1, "ssh.forwardAgent");
	is_int(cfg->ssh.forward_x11, 1, "ssh.forwardX11");
	is_int(cfg->ssh.forward_x11_trusted, 1, "ssh.forwardX11Trusted");
	is_int(cfg->firmware.legacy_bios, 1, "firmware.legacyBIOS");
	is_str(cfg->firmware.images[0].vm_type, "qemu",
	    "firmware.images[0].vmType");
	is_str(cfg->audio.device, "none", "audio.device");
	is_str(cfg->audio.interface, "virtio", "audio.interface");
	is_str(cfg->video.display, "vnc", "video.display");
	is_str(cfg->video.vnc_display, "127.0.0.1:5,to=9", "video.vnc.display");
	is_int(cfg->nprovision, 4, "four provision entries");
	is_str(cfg->provision[0].script, "#!/bin/sh\necho hi\n",
	    "provision script with {{.Param.GREETING}} expanded");
	is_str(cfg->provision[1].owner, "alice:alice", "data owner");
	is_str(cfg->provision[1].permissions, "600", "data permissions");
	is_int(cfg->provision[1].overwrite, 0, "data overwrite");
	is_str(cfg->provision[2].format, "json", "yq format");
	is_str(cfg->provision[2].expression, ".a = 1", "yq expression");
	is_int(cfg->provision[3].skip_default_dependency_resolution, 1,
	    "skipDefaultDependencyResolution");
	is_int(cfg->upgrade_packages, 1, "upgradePackages");
	is_int(cfg->containerd.system, 1, "containerd.system");
	is_int(cfg->containerd.user, 0, "containerd.user");
	is_int(cfg->containerd.narchives, 1, "containerd.archives given");
	is_str(cfg->guest_install_prefix, "/opt/lima", "guestInstallPrefix");
	is_str(cfg->probes[0].hint, "wait longer", "probes[0].hint");
	is_int(cfg->nport_forwards, 3, "three port forwards");
	pf = &cfg->port_forwards[0];
	is_int(pf->guest_port, 8080, "guestPort");
	is_int(pf->host_port, 18080, "hostPort");
	is_str(pf->host_ip, "0.0.0.0", "hostIP");
	is_str(pf->proto, "tcp", "proto");
	pf = &cfg->port_forwards[1];
	is_int(pf->guest_ip_must_be_zero, 1, "guestIPMustBeZero");
	is_int(pf->guest_port_range[1], 3009, "guestPortRange[1]");
	is_int(pf->host_port_range[0], 13000, "hostPortRange[0]");
	is_int(pf->ignore, 1, "ignore");
	is_str(cfg->port_forwards[2].guest_socket, "/run/user/1500/docker.sock",
	    "guestSocket with {{.UID}} (guest uid)");
	is_str(cfg->port_forwards[2].host_socket,
	    "/nonexistent/lima/test/sock/docker.sock",
	    "relative hostSocket under <inst>/sock");
	is_str(cfg->copy_to_host[0].host,
	    "/nonexistent/lima/test/copied-from-guest/kubeconfig.yaml",
	    "copyToHost host with {{.Dir}}");
	is_int(cfg->copy_to_host[0].delete_on_stop, 1, "deleteOnStop");
	is_str(cfg->message, "Hello from {{.Name}}\n",
	    "message is kept as a template");
	is_str(cfg->networks[0].socket, "/var/run/socket_vmnet", "socket");
	is_str(cfg->networks[0].mac_address, "52:55:55:12:34:56", "macAddress");
	is_str(cfg->networks[0].interface, "vmnet0", "interface");
	is_int(cfg->networks[0].metric, 50, "metric");
	is_str(cfg_map_get(&cfg->env, "FOO"), "bar", "env.FOO");
	is_str(cfg_map_get(&cfg->param, "GREETING"), "hi", "param.GREETING");
	is_int(cfg->dns.n, 2, "two dns");
	is_str(cfg->dns.v[1], "2606:4700:4700::1111", "dns canonical IPv6");
	is_int(cfg->host_resolver.enabled, 0, "hostResolver.enabled");
	is_int(cfg->host_resolver.ipv6, 1, "hostResolver.ipv6");
	is_str(cfg_map_get(&cfg->host_resolver.hosts, "host.example"),
	    "10.0.0.1", "hostResolver.hosts");
	is_int(cfg->propagate_proxy_env, 0, "propagateProxyEnv");
	is_int(cfg->ca_certs.remove_defaults, 1, "caCerts.removeDefaults");
	is_int(cfg->ca_certs.files.n, 1, "caCerts.files");
	ok(strncmp(cfg->ca_certs.certs.v[0], "-----BEGIN", 10) == 0,
	    "caCerts.certs");
	is_int(cfg->plain, 0, "plain");
	is_str(cfg->timezone, "Asia/Tokyo", "timezone");
	is_int(cfg->nested_virtualization, 1, "nestedVirtualization");
	is_str(cfg->user.name, "bob", "user.name");
	is_str(cfg->user.comment, "Bob", "user.comment");
	is_str(cfg->user.home, "/home/bob.guest", "user.home");
	is_str(cfg->user.shell, "/bin/zsh", "user.shell");
	is_int(cfg->user.uid, 1500, "user.uid");
	ok(!tc_warned(cfg, "unknown field"),
	    "no unknown-field warnings for full.yaml");
	config_free(cfg);
	free(path);
}

static void
test_errors(const struct config_env *env)
{
	struct lima_config *cfg;
	char *cause = NULL;

	cfg = config_load(env, "/nonexistent/lima.yaml", &cause);
	ok(cfg == NULL, "a missing file fails");
	is_str(cause, "open /nonexistent/lima.yaml: No such file or directory",
	    "and says so");
	free(cause);

	ok(tc_fails_with(env, TC_IMAGE "cpus: four\n",
	       "lima.yaml:2:7: field `cpus`: expected an integer, got "
	       "\"four\""),
	    "cpus: four is an error with its position");
	ok(tc_fails_with(env, TC_IMAGE "plain: yes\n",
	       "lima.yaml:2:8: field `plain`: expected a boolean, got \"yes\""),
	    "plain: yes is no YAML 1.2 boolean");
	ok(tc_fails_with(env,
	       TC_IMAGE
	       "mounts:\n- location: /a\n- location: /b\n  writable: maybe\n",
	       "lima.yaml:5:13: field `mounts[1].writable`: expected a "
	       "boolean"),
	    "nested field path and position");
	ok(tc_fails_with(env, TC_IMAGE "dns: [1.1.1.1, nope]\n",
	       "field `dns[1]`: expected an IP address, got \"nope\""),
	    "bad address in dns");
	ok(tc_fails_with(env, TC_IMAGE "ssh: 22\n",
	       "field `ssh`: expected a mapping, got \"22\""),
	    "scalar where a mapping is expected");
	ok(tc_fails_with(env, TC_IMAGE "mounts: {location: /}\n",
	       "field `mounts`: expected a sequence, got a mapping"),
	    "mapping where a sequence is expected");
	ok(tc_fails_with(env, TC_IMAGE "portForwards:\n- guestPortRange: [1]\n",
	       "field `portForwards[0].guestPortRange`: expected [FIRST, "
	       "LAST]"),
	    "a range needs two ports");
	ok(tc_fails_with(env, TC_IMAGE "user:\n  uid: -1\n",
	       "field `user.uid`: expected an integer from 0 to 4294967295"),
	    "uid must fit uint32");
	ok(tc_fails_with(
	       env, TC_IMAGE "user:\n  uid: 4294967296\n", "field `user.uid`"),
	    "uid 2^32 is too big");
	ok(tc_fails_with(env, TC_IMAGE "env:\n  A: [1]\n",
	       "field `env.A`: expected a string, got a sequence"),
	    "env values are strings");
	ok(tc_fails_with(env, TC_IMAGE "cpus: 99999999999\n",
	       "field `cpus`: expected an integer"),
	    "cpus overflowing int");
	ok(tc_fails_with(env, "- a\n",
	       "lima.yaml:1:1: expected a mapping at the top level"),
	    "a sequence document");
	ok(tc_fails_with(env, "cpus: [\n", "lima.yaml:"),
	    "YAML syntax error names the file");
	ok(tc_fails_with(env, TC_IMAGE "cpuType: x86_64\n",
	       "field `cpuType`: expected a mapping"),
	    "cpuType must be a map");
	ok(tc_fails_with(env, TC_IMAGE "vmOpts: 1\ncpuType: {x86_64: a}\n",
	       "field `vmOpts`: expected a mapping"),
	    "cpuType migration into a broken vmOpts");
}

static void
test_unknown(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tc_ok(env,
	    TC_IMAGE "cpuz: 4\nssh:\n  localport: 2222\nmounts:\n- location: "
		     "/srv/x\n  writeable: true\n");
	ok(cfg != NULL, "unknown fields are not errors");
	ok(tc_has_warning(cfg, "lima.yaml:2:1: unknown field `cpuz`"),
	    "top-level unknown field warned with position");
	ok(tc_has_warning(cfg, "lima.yaml:4:3: unknown field `ssh.localport`"),
	    "nested unknown field warned with its path");
	ok(tc_has_warning(
	       cfg, "lima.yaml:7:3: unknown field `mounts[0].writeable`"),
	    "unknown field in a list entry");
	if (cfg != NULL)
		is_int(cfg->mounts[0].writable, 0, "typo did not set writable");
	config_free(cfg);
}

static void
test_deprecated(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tc_ok(env,
	    TC_IMAGE
	    "cpuType:\n  x86_64: Haswell\n  aarch64: cortex-a72\nvmOpts:\n  "
	    "qemu:\n    cpuType:\n      aarch64: neoverse-n1\n");
	ok(cfg != NULL, "deprecated cpuType loads");
	if (cfg == NULL)
		return;
	ok(tc_has_warning(cfg,
	       "lima.yaml:3:3: the top-level field `cpuType` is deprecated; "
	       "use `vmOpts.qemu.cpuType` instead"),
	    "cpuType deprecation warned");
	ok(tc_has_warning(cfg,
	       "field `cpuType.aarch64` conflicts with field "
	       "`vmOpts.qemu.cpuType.aarch64`"),
	    "conflict warned");
	is_str(cfg_map_get(&cfg->qemu.cpu_type, "x86_64"), "Haswell",
	    "cpuType moved to vmOpts.qemu.cpuType");
	is_str(cfg_map_get(&cfg->qemu.cpu_type, "aarch64"), "neoverse-n1",
	    "vmOpts.qemu.cpuType wins a conflict");
	config_free(cfg);

	cfg =
	    tc_ok(env, TC_IMAGE "rosetta:\n  enabled: true\n  binfmt: true\n");
	ok(cfg != NULL, "deprecated rosetta loads");
	if (cfg == NULL)
		return;
	ok(tc_has_warning(cfg,
	       "the top-level field `rosetta` is deprecated; use "
	       "`vmOpts.vz.rosetta` instead"),
	    "rosetta deprecation warned");
	is_int(cfg->vz.rosetta_enabled, 1, "rosetta.enabled moved");
	is_int(cfg->vz.rosetta_binfmt, 1, "rosetta.binfmt moved");
	config_free(cfg);
}

/* base: parses (string, list, {url, digest}) but never validates. */
static void
test_base(const struct config_env *env)
{
	struct lima_config *cfg;
	struct node *doc;
	char *cause = NULL;
	const char *yaml = "base:\n- template:ubuntu\n- url: "
			   "https://x/y.yaml\n  digest: sha256:00\n";

	doc = node_from_yaml(yaml, strlen(yaml), "t.yaml", &cause);
	cfg = cfg_new();
	ok(doc != NULL && cfg_parse(doc, cfg, NULL, &cause) == 0,
	    "base list parses");
	is_int(cfg->nbase, 2, "two bases");
	if (cfg->nbase == 2) {
		is_str(cfg->base[0].url, "template:ubuntu", "string base");
		is_str(cfg->base[1].url, "https://x/y.yaml", "url base");
		is_str(cfg->base[1].digest, "sha256:00", "base digest");
	}
	config_free(cfg);
	node_free(doc);

	yaml = "base: template:default\n";
	doc = node_from_yaml(yaml, strlen(yaml), "t.yaml", &cause);
	cfg = cfg_new();
	ok(doc != NULL && cfg_parse(doc, cfg, NULL, &cause) == 0,
	    "base string parses");
	is_int(cfg->nbase, 1, "one base");
	config_free(cfg);
	node_free(doc);

	ok(tc_fails_with(env, TC_IMAGE "base: template:default\n",
	       "field `base` must be empty for YAML validation (lima.yaml:2)"),
	    "validation rejects base");
}

int
main(void)
{
	struct config_env env;

	tc_env(&env);
	test_full(&env);
	test_errors(&env);
	test_unknown(&env);
	test_deprecated(&env);
	test_base(&env);
	config_env_free(&env);
	return done_testing();
}
