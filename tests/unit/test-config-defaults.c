/* clima: tests of the built-in defaults, derived from struct config_env. */
/*
 * Every default of the spec's field table that clima fills, for a fixed
 * host; then the host-dependent ones (CPUs, memory, arch, KVM, time
 * zone, old instances) and the root case.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config-int.h"
#include "tests/unit/test-config.h"

static void
test_basic(const struct config_env *env)
{
	struct lima_config *cfg;

	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL, "a minimal lima.yaml loads");
	if (cfg == NULL)
		return;
	is_str(cfg->vm_type, "qemu", "vmType qemu");
	is_str(cfg->os, "Linux", "os Linux");
	is_str(cfg->arch, "x86_64", "arch is the host's");
	is_str(cfg->images[0].file.arch, "x86_64", "image arch defaults");
	is_int(cfg->cpus, 4, "cpus min(4, 8)");
	is_str(cfg->memory_str, "4GiB", "memory min(4GiB, 16GiB/2)");
	ok(cfg->memory == 4ULL << 30, "memory bytes");
	is_str(cfg->disk_str, "100GiB", "disk 100GiB");
	ok(cfg->disk == 100ULL << 30, "disk bytes");
	is_str(cfg->mount_type, "9p", "mountType 9p for qemu");
	is_int(cfg->mount_inotify, 0, "mountInotify false");
	is_int(cfg->ssh.local_port, 0, "ssh.localPort 0");
	is_int(cfg->ssh.load_dot_ssh_pub_keys, 0, "loadDotSSHPubKeys false");
	is_int(cfg->ssh.forward_agent, 0, "forwardAgent false");
	is_int(cfg->ssh.forward_x11, 0, "forwardX11 false");
	is_int(cfg->ssh.forward_x11_trusted, 0, "forwardX11Trusted false");
	is_int(cfg->firmware.legacy_bios, 0, "legacyBIOS false");
	is_str(cfg->audio.device, "", "audio.device empty");
	is_str(cfg->video.display, "none", "video.display none");
	is_str(cfg->video.vnc_display, "127.0.0.1:0,to=9", "vnc display");
	is_int(cfg->upgrade_packages, 0, "upgradePackages false");
	is_int(cfg->containerd.system, 0, "containerd.system false");
	is_int(cfg->containerd.user, 1, "containerd.user true on x86_64");
	is_int(cfg->containerd.narchives, 2, "two default archives");
	if (cfg->containerd.narchives == 2) {
		is_str(cfg->containerd.archives[0].location,
		    "https://github.com/containerd/nerdctl/releases/download/"
		    "v2.3.5/nerdctl-full-2.3.5-linux-amd64.tar.gz",
		    "amd64 archive");
		is_str(cfg->containerd.archives[0].arch, "x86_64",
		    "amd64 archive arch");
		ok(cfg->containerd.archives[0].digest != NULL &&
			strncmp(cfg->containerd.archives[0].digest,
			    "sha256:", 7) == 0,
		    "amd64 archive digest");
		is_str(cfg->containerd.archives[1].location,
		    "https://github.com/containerd/nerdctl/releases/download/"
		    "v2.3.5/nerdctl-full-2.3.5-linux-arm64.tar.gz",
		    "arm64 archive");
		is_str(cfg->containerd.archives[1].arch, "aarch64",
		    "arm64 archive arch");
	}
	is_str(cfg->guest_install_prefix, "/usr/local", "guestInstallPrefix");
	is_int(cfg->host_resolver.enabled, 1, "hostResolver.enabled true");
	is_int(cfg->host_resolver.ipv6, 0, "hostResolver.ipv6 false");
	is_int(cfg->propagate_proxy_env, 1, "propagateProxyEnv true");
	is_int(cfg->ca_certs.remove_defaults, 0, "caCerts.removeDefaults");
	is_int(cfg->plain, 0, "plain false");
	is_str(cfg->timezone, "Europe/Berlin", "timezone from the host");
	is_int(cfg->nested_virtualization, 0, "nestedVirtualization false");
	is_int(cfg->tpm, 0, "tpm false");
	is_str(cfg->user.name, "alice", "user.name from the host");
	is_str(cfg->user.comment, "Alice Liddell", "user.comment from GECOS");
	is_str(cfg->user.home, "/home/alice.guest", "user.home");
	is_str(cfg->user.shell, "/bin/bash", "user.shell");
	is_int(cfg->user.uid, 501, "user.uid from the host");
	is_int(cfg->user.passwordless_sudo, 1, "passwordlessSudo true");
	is_str(cfg_map_get(&cfg->qemu.cpu_type, "x86_64"), "host",
	    "cpuType host for the KVM arch");
	is_str(cfg_map_get(&cfg->qemu.cpu_type, "riscv64"), "max",
	    "cpuType max otherwise");
	is_int(cfg->qemu.cpu_type.n, 6, "cpuType for all six arches");
	is_int(cfg->nmounts, 0, "no builtin mounts");
	config_free(cfg);
}

static void
test_lists(const struct config_env *env)
{
	struct lima_config *cfg;
	const struct config_mount *m;
	const struct config_port_forward *r;

	cfg = tc_ok(env,
	    TC_IMAGE
	    "mounts:\n- location: /srv/ro\n- location: /srv/rw\n  writable: "
	    "true\nprovision:\n- script: \"#!/bin/sh\\n\"\n- mode: data\n  "
	    "path: /etc/x\n  content: x\n- mode: yq\n  path: /etc/y.json\n  "
	    "expression: .a=1\n- mode: dependency\n  script: "
	    "\"#!/bin/sh\\n\"\nprobes:\n- script: \"#!/bin/sh\\n\"\n- script: "
	    "\"#!/bin/sh\\n\"\nportForwards:\n- guestPort: 80\n- guestIP: "
	    "0.0.0.0\n- guestIPMustBeZero: true\n  guestPort: 81\n  hostPort: "
	    "8081\n- guestSocket: /run/s\n  hostSocket: /tmp/s\n");
	ok(cfg != NULL, "lists with defaults load");
	if (cfg == NULL)
		return;
	m = &cfg->mounts[0];
	is_str(m->mount_point, "/srv/ro", "mountPoint = location");
	is_int(m->writable, 0, "writable false");
	is_int(m->sshfs.cache, 1, "sshfs.cache true");
	is_int(m->sshfs.follow_symlinks, 0, "sshfs.followSymlinks false");
	is_str(m->sshfs.sftp_driver, "", "sshfs.sftpDriver empty");
	is_str(m->ninep.security_model, "none", "9p.securityModel none");
	is_str(m->ninep.protocol_version, "9p2000.L", "9p.protocolVersion");
	is_str(m->ninep.msize, "128KiB", "9p.msize 128KiB");
	is_str(m->ninep.cache, "fscache", "9p.cache fscache read-only");
	is_int(m->virtiofs.queue_size, 0, "no queueSize for 9p");
	is_str(cfg->mounts[1].ninep.cache, "mmap", "9p.cache mmap writable");
	is_str(cfg->provision[0].mode, "system", "provision mode system");
	is_str(cfg->provision[1].owner, "root:root", "data owner");
	is_str(cfg->provision[1].permissions, "644", "data permissions");
	is_int(cfg->provision[1].overwrite, 1, "data overwrite");
	is_str(cfg->provision[2].format, "auto", "yq format auto");
	is_int(cfg->provision[3].skip_default_dependency_resolution, 0,
	    "skipDefaultDependencyResolution false");
	is_int(cfg->provision[0].skip_default_dependency_resolution,
	    CONFIG_UNSET,
	    "skipDefaultDependencyResolution only for dependency");
	is_str(cfg->probes[0].mode, "readiness", "probe mode readiness");
	is_str(cfg->probes[0].description, "user probe 1/2", "probe 1/2");
	is_str(cfg->probes[1].description, "user probe 2/2", "probe 2/2");
	r = &cfg->port_forwards[0];
	is_str(r->proto, "any", "proto any");
	is_str(r->guest_ip, "127.0.0.1", "guestIP 127.0.0.1");
	is_int(r->guest_ip_must_be_zero, 0, "guestIPMustBeZero false");
	is_str(r->host_ip, "127.0.0.1", "hostIP 127.0.0.1");
	ok(r->guest_port_range[0] == 80 && r->guest_port_range[1] == 80,
	    "guestPortRange from guestPort");
	ok(r->host_port_range[0] == 80 && r->host_port_range[1] == 80,
	    "hostPortRange from guestPortRange");
	r = &cfg->port_forwards[1];
	is_int(r->guest_ip_must_be_zero, 1, "guestIP 0.0.0.0 -> MustBeZero");
	ok(r->guest_port_range[0] == 1 && r->guest_port_range[1] == 65535,
	    "guestPortRange 1-65535 by default");
	r = &cfg->port_forwards[2];
	is_str(r->guest_ip, "0.0.0.0", "MustBeZero -> guestIP 0.0.0.0");
	ok(r->host_port_range[0] == 8081 && r->host_port_range[1] == 8081,
	    "hostPortRange from hostPort");
	r = &cfg->port_forwards[3];
	is_str(r->host_socket, "/tmp/s", "absolute hostSocket kept");
	config_free(cfg);
}

static void
test_host(struct config_env *env)
{
	struct lima_config *cfg;

	env->host_ncpu = 2;
	env->host_memory = 6ULL << 30;
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && cfg->cpus == 2, "cpus = host CPUs below 4");
	ok(cfg != NULL && strcmp(cfg->memory_str, "3GiB") == 0,
	    "memory half of host RAM");
	config_free(cfg);
	env->host_memory = 7ULL << 30;
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->memory_str, "3.5GiB") == 0 &&
		cfg->memory == 7ULL << 29,
	    "memory 3.5GiB rendered by BytesSize");
	config_free(cfg);
	env->host_ncpu = 8;
	env->host_memory = 16ULL << 30;

	free(env->host_arch);
	env->host_arch = xstrdup("aarch64");
	env->host_kvm = 0;
	cfg = tc_ok(env, TC_IMAGE "arch: default\n");
	ok(cfg != NULL && strcmp(cfg->arch, "aarch64") == 0,
	    "arch: default is the host arch");
	ok(cfg != NULL &&
		strcmp(cfg_map_get(&cfg->qemu.cpu_type, "aarch64"), "max") == 0,
	    "cpuType max without KVM");
	config_free(cfg);
	free(env->host_arch);
	env->host_arch = xstrdup("x86_64");
	env->host_kvm = 1;

	cfg = tc_ok(env, TC_IMAGE "arch: riscv64\n");
	ok(cfg != NULL && cfg->containerd.user == 0,
	    "containerd.user false for riscv64");
	ok(cfg != NULL &&
		tc_has_warning(cfg, "`arch: riscv64` is experimental"),
	    "experimental arch warned");
	config_free(cfg);

	cfg = tc_ok(env, TC_IMAGE "os: Darwin\n");
	ok(cfg != NULL && strcmp(cfg->user.shell, "/bin/zsh") == 0 &&
		cfg->user.passwordless_sudo == 0,
	    "Darwin: zsh, no sudo");
	config_free(cfg);

	cfg = tc_ok(env, TC_IMAGE "mountTypesUnsupported: [9p]\n");
	ok(cfg != NULL && strcmp(cfg->mount_type, "reverse-sshfs") == 0,
	    "no 9p -> reverse-sshfs");
	config_free(cfg);
	cfg = tc_ok(env,
	    TC_IMAGE "mountType: virtiofs\nmounts: [{location: /srv/v}]\n");
	ok(cfg != NULL && cfg->mounts[0].virtiofs.queue_size == 1024,
	    "virtiofs.queueSize 1024");
	config_free(cfg);

	free(env->host_timezone);
	env->host_timezone = xstrdup("");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->timezone, "") == 0 &&
		tc_has_warning(cfg, "cannot determine the host time zone"),
	    "unknown time zone: empty, with a warning");
	config_free(cfg);
	free(env->host_timezone);
	env->host_timezone = xstrdup("Europe/Berlin");
}

static void
test_old_instances(struct config_env *env)
{
	struct lima_config *cfg;

	env->lima_version = xstrdup("v0.23.2-5-gabcdef.m");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->mount_type, "reverse-sshfs") == 0,
	    "instance from Lima < 1.0: reverse-sshfs");
	ok(cfg != NULL && cfg->ssh.load_dot_ssh_pub_keys == 1,
	    "instance from Lima < 1.0: loadDotSSHPubKeys");
	config_free(cfg);
	free(env->lima_version);
	env->lima_version = xstrdup("2.0.3");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->user.home, "/home/alice.linux") == 0,
	    "instance from Lima < 2.1: home .linux");
	ok(cfg != NULL && strcmp(cfg->mount_type, "9p") == 0, "and 9p");
	config_free(cfg);
	free(env->lima_version);
	env->lima_version = xstrdup("1.2.0");
	free(env->name);
	env->name = xstrdup("default");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && cfg->ssh.local_port == 60022,
	    "instance `default` from Lima < 2.0: port 60022");
	config_free(cfg);
	cfg = tc_ok(env, TC_IMAGE "ssh:\n  localPort: 0\n");
	ok(cfg != NULL && cfg->ssh.local_port == 0,
	    "an explicit localPort 0 stays");
	config_free(cfg);
	free(env->name);
	env->name = xstrdup("test");
	free(env->lima_version);
	env->lima_version = xstrdup("not-a-version");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->user.home, "/home/alice.guest") == 0,
	    "unparsable instance version counts as newest");
	config_free(cfg);
	free(env->lima_version);
	env->lima_version = NULL;
}

static void
test_users(struct config_env *env)
{
	struct lima_config *cfg;

	env->host_uid = 0;
	free(env->host_user);
	env->host_user = xstrdup("root");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL, "root host loads");
	if (cfg != NULL) {
		is_str(cfg->user.name, "lima", "root: guest user lima");
		is_int(cfg->user.uid, 1000, "root: guest uid 1000");
		is_str(cfg->user.home, "/home/lima.guest", "root: home");
		ok(tc_has_warning(cfg, "running as root"), "root warned");
	}
	config_free(cfg);
	ok(tc_fails_with(env, TC_IMAGE "user: {name: root}\n",
	       "field `user.name` must not be `root`"),
	    "explicit root refused");
	ok(tc_fails_with(env, TC_IMAGE "user: {uid: 0}\n",
	       "field `user.uid` must not be 0"),
	    "explicit uid 0 refused");
	env->host_uid = 501;
	free(env->host_user);
	env->host_user = xstrdup("Alice Smith");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->user.name, "lima") == 0 &&
		cfg->user.uid == 501 &&
		tc_has_warning(cfg, "not a valid Linux user name"),
	    "invalid login name -> lima, host uid kept");
	config_free(cfg);
	free(env->host_user);
	env->host_user = xstrdup("admin");
	cfg = tc_ok(env, TC_IMAGE);
	ok(cfg != NULL && strcmp(cfg->user.name, "lima") == 0, "admin -> lima");
	config_free(cfg);
	free(env->host_user);
	env->host_user = xstrdup("alice");
}

static void
test_env_host(void)
{
	struct config_env env;

	config_env_host(&env, "/nonexistent-lima-home", "vm1");
	ok(env.host_user != NULL && env.host_home != NULL,
	    "host user and home");
	is_int(env.host_uid, getuid(), "host uid");
	ok(env.host_ncpu > 0, "host CPUs");
	ok(env.host_memory > 0, "host memory");
	ok(env.host_arch != NULL && *env.host_arch != '\0', "host arch");
	ok(env.host_timezone != NULL, "host time zone (maybe empty)");
	is_str(env.instance_dir, "/nonexistent-lima-home/vm1", "instance dir");
	ok(env.lima_version == NULL, "no version for a new instance");
	ok(env.tmpdir != NULL, "tmpdir");
	config_env_free(&env);
	config_env_free(NULL);
}

int
main(void)
{
	struct config_env env;

	tc_env(&env);
	test_basic(&env);
	test_lists(&env);
	test_host(&env);
	test_old_instances(&env);
	test_users(&env);
	test_env_host();
	config_env_free(&env);
	return done_testing();
}
