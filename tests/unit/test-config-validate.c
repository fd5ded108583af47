/* clima: tests of config validation, one or more per rule. */
/*
 * Each entry of the tables below is a lima.yaml fragment (after a valid
 * images: line) and a piece of the expected error; the good cases must
 * load.  Warnings and config_validate_against come after.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tests/unit/test-config.h"

static const struct {
	const char *yaml;
	const char *want;
} bad[] = {
	{ "base: [x]\n", "field `base` must be empty for YAML validation" },
	{ "minimumLimaVersion: \"2.0\"\n",
	    "field `minimumLimaVersion` must be a semvar value, got `2.0` "
	    "(lima.yaml:2)" },
	{ "minimumLimaVersion: 99.1.0\n",
	    "template requires Lima version `99.1.0`; this is only "
	    "`" PACKAGE_VERSION "`" },
	{ "vmOpts: {qemu: {minimumVersion: x}}\n",
	    "field `vmOpts.qemu.minimumVersion` must be a semvar value, got "
	    "`x`" },
	{ "vmType: vz\n", "vmType `vz` is not a registered driver" },
	{ "os: Plan9\n",
	    "field `os` must be one of [Linux Darwin FreeBSD Windows]; got "
	    "`Plan9`" },
	{ "os: Windows\narch: riscv64\n",
	    "field `arch` must be x86_64 or aarch64 for `os: Windows`" },
	{ "arch: m68k\n",
	    "field `arch` must be one of [x86_64 aarch64 armv7l ppc64le "
	    "riscv64 s390x]; got `m68k` (lima.yaml:2)" },
	{ "user: {shell: bash}\n",
	    "field `user.shell` must be an absolute path, got `bash`" },
	{ "os: Windows\nuser: {shell: /bin/sh}\n",
	    "field `user.shell` must be one of cmd.exe, powershell.exe or "
	    "pwsh.exe" },
	{ "user: {name: Bob}\n", "field `user.name` must match" },
	{ "user: {home: home}\n",
	    "field `user.home` must be an absolute path" },
	{ "images: [{location: \"~bob/x.img\"}]\n",
	    "field `images[0].location` refers to an unexpandable path: "
	    "`~bob/x.img`" },
	{ "images: [{location: /x.img, arch: sparc}]\n",
	    "field `images[0].arch` must be one of" },
	{ "images: [{location: /x.img, digest: \"sha256:abc\"}]\n",
	    "field `images[0].digest` is invalid: `sha256:abc`: invalid "
	    "checksum digest length" },
	{ "images: [{location: /x.img, digest: \"md5:abc\"}]\n",
	    "unsupported digest algorithm" },
	{ "images: [{location: /x.img, kernel: {location: /k, arch: "
	  "aarch64}}]\n",
	    "field `images[0].kernel.arch` must be the same as the image's "
	    "(`x86_64`), got `aarch64`" },
	{ "images: [{location: /x.img, initrd: {location: /i}}]\n",
	    "field `images[0].initrd` requires field `images[0].kernel`" },
	{ "cpus: -2\n", "field `cpus` must be > 0 (lima.yaml:2)" },
	{ "memory: lots\n", "field `memory` has an invalid value" },
	{ "disk: \"0\"\n", "field `disk` must be > 0" },
	{ "additionalDisks: [\"my disk\"]\n",
	    "field `additionalDisks[0].name` is invalid: `my disk`" },
	{ "additionalDisks: [{name: \"-x\"}]\n",
	    "field `additionalDisks[0].name` is invalid" },
	{ "mounts: [{location: foo}]\n",
	    "field `mounts[0].location` must be an absolute path, got `foo` "
	    "(lima.yaml:2)" },
	{ "mounts: [{location: \"~bob/x\"}]\n",
	    "field `mounts[0].location` must be an absolute path, got "
	    "`~bob/x`" },
	{ "mounts: [{location: /etc/passwd}]\n",
	    "field `mounts[0].location` refers to a non-directory path: "
	    "`/etc/passwd`" },
	{ "mounts: [{location: /srv/a, mountPoint: /usr}]\n",
	    "field `mounts[0].mountPoint` must not be the system directory "
	    "`/usr`" },
	{ "mounts: [{location: /srv/a, mountPoint: \"{{.Home}}\"}]\n",
	    "field `mounts[0].mountPoint` must not be the same as field "
	    "`user.home` (`/home/alice.guest`)" },
	{ "mounts: [{location: /srv/a, mountPoint: \"~/a\"}]\n",
	    "field `mounts[0].mountPoint` must not start with \"~\"" },
	{ "mounts: [{location: /srv/a, mountPoint: mnt}]\n",
	    "field `mounts[0].mountPoint` must be an absolute path" },
	{ "mounts: [{location: /srv/a, 9p: {msize: huge}}]\n",
	    "field `mounts[0].9p.msize` has an invalid value `huge`" },
	{ "ssh: {localPort: 22}\n",
	    "field `ssh.localPort` must not be 22 (lima.yaml:2)" },
	{ "ssh: {localPort: -1}\n", "field `ssh.localPort` must be > 0" },
	{ "ssh: {localPort: 65536}\n",
	    "field `ssh.localPort` must be < 65536" },
	{ "mountType: nfs\n",
	    "field `mountType` must be \"reverse-sshfs\" or \"9p\" or "
	    "\"virtiofs\" or \"wsl2\", got `nfs`" },
	{ "mountType: 9p\nmountTypesUnsupported: [9p, virtiofs]\n",
	    "field `mountType` must not be one of `mountTypesUnsupported` ([9p "
	    "virtiofs]), got `9p`" },
	{ "provision: [{file: {url: /x.sh}}]\n",
	    "field `provision[0].file.url` must be empty during validation" },
	{ "provision: [{script: \"#!/bin/sh\", file: {digest: "
	  "\"sha256:00\"}}]\n",
	    "field `provision[0].file.digest` support is not yet implemented" },
	{ "provision: [{mode: later, script: x}]\n",
	    "field `provision[0].mode` must be one of" },
	{ "provision: [{script: x, skipDefaultDependencyResolution: true}]\n",
	    "field `provision[0].skipDefaultDependencyResolution` can only be "
	    "set when mode is `dependency`" },
	{ "provision: [{mode: data, content: x}]\n",
	    "field `provision[0].path` must not be empty when mode is `data`" },
	{ "provision: [{mode: data, content: x, path: etc/x}]\n",
	    "field `provision[0].path` must be an absolute path, got `etc/x`" },
	{ "provision: [{mode: data, path: /etc/x}]\n",
	    "field `provision[0].content` must be set when mode is `data`" },
	{ "provision: [{mode: data, path: /x, content: x, permissions: "
	  "\"9\"}]\n",
	    "field `provision[0].permissions` must be an octal number, got "
	    "`9`" },
	{ "provision: [{mode: yq, path: /x}]\n",
	    "field `provision[0].expression` must not be empty when mode is "
	    "`yq`" },
	{ "provision: [{mode: yq, path: /x, expression: ., format: bson}]\n",
	    "field `provision[0].format` must be one of" },
	{ "provision: [{mode: user}]\n",
	    "field `provision[0].script` must not be empty" },
	{ "provision: [{script: x, owner: me}]\n",
	    "field `provision[0].owner` can only be set when mode is `data` or "
	    "`yq`" },
	{ "provision: [{script: x, path: /x}]\n",
	    "field `provision[0].path` can only be set when mode is `data` or "
	    "`yq`" },
	{ "provision: [{script: x, permissions: \"644\"}]\n",
	    "field `provision[0].permissions` can only be set" },
	{ "provision: [{script: x, content: x}]\n",
	    "field `provision[0].content` can only be set when mode is "
	    "`data`" },
	{ "provision: [{mode: data, path: /x, content: x, expression: .}]\n",
	    "field `provision[0].expression` can only be set when mode is "
	    "`yq`" },
	{ "provision: [{mode: yq, path: /x, expression: ., overwrite: true}]\n",
	    "field `provision[0].overwrite` can only be set when mode is "
	    "`data`" },
	{ "provision: [{script: x, playbook: /p.yaml}]\n",
	    "field `provision[0].playbook` can only be set when mode is "
	    "`ansible`" },
	{ "provision: [{mode: ansible, playbook: /p.yaml, script: x}]\n",
	    "field `provision[0].script` must be empty when field `playbook` "
	    "is set" },
	{ "provision: [{mode: ansible, playbook: /nonexistent/p.yaml}]\n",
	    "field `provision[0].playbook` refers to a missing file" },
	{ "os: Windows\nuser: {shell: cmd.exe}\nprovision: [{mode: boot, "
	  "script: x}]\n",
	    "field `provision[0].mode` `boot` is not supported for `os: "
	    "Windows`" },
	{ "containerd: {archives: [{location: /n.tgz, digest: nope}]}\n",
	    "field `containerd.archives[0].digest` is invalid" },
	{ "firmware: {images: [{location: /e.fd, arch: vax}]}\n",
	    "field `firmware.images[0].arch` must be one of" },
	{ "probes: [{script: \"#!/bin/sh\", file: {url: /p}}]\n",
	    "field `probes[0].file.url` must be empty during validation" },
	{ "probes: [{script: \"#!/bin/sh\", file: {digest: x}}]\n",
	    "field `probes[0].file.digest` support is not yet implemented" },
	{ "probes: [{script: \"echo\"}]\n",
	    "field `probes[0].script` must start with a '#!' line" },
	{ "probes: [{mode: liveness, script: \"#!/bin/sh\"}]\n",
	    "field `probes[0].mode` can only be \"readiness\"" },
	{ "portForwards: [{guestIP: 127.0.0.1, guestIPMustBeZero: true}]\n",
	    "field `portForwards[0].guestIPMustBeZero` can only be true when "
	    "field `portForwards[0].guestIP` is 0.0.0.0" },
	{ "portForwards: [{guestPort: 80, guestSocket: /s, hostSocket: /h}]\n",
	    "field `portForwards[0].guestPort` must be 0 when field "
	    "`portForwards[0].guestSocket` is set" },
	{ "portForwards: [{guestPort: 80, guestPortRange: [81, 81]}]\n",
	    "field `portForwards[0].guestPort` must match field "
	    "`portForwards[0].guestPortRange[0]`" },
	{ "portForwards: [{hostPort: 80, hostSocket: /h, guestSocket: /g}]\n",
	    "field `portForwards[0].hostPort` must be 0 when field "
	    "`portForwards[0].hostSocket` is set" },
	{ "portForwards: [{guestPort: 81, hostPort: 80, hostPortRange: [81, "
	  "81]}]\n",
	    "field `portForwards[0].hostPort` must match field "
	    "`portForwards[0].hostPortRange[0]`" },
	{ "portForwards: [{guestPortRange: [22, 30]}]\n",
	    "field `portForwards[0].guestPortRange[0]` must not be 22" },
	{ "portForwards: [{guestPortRange: [100, 70000]}]\n",
	    "field `portForwards[0].guestPortRange[1]` must be < 65536" },
	{ "portForwards: [{guestPort: 80, hostPortRange: [-1, 5]}]\n",
	    "field `portForwards[0].hostPortRange[0]` must be > 0" },
	{ "portForwards: [{guestPortRange: [90, 80]}]\n",
	    "field `portForwards[0].guestPortRange[1]` must be greater than or "
	    "equal to field `portForwards[0].guestPortRange[0]`" },
	{ "portForwards: [{guestPort: 80, hostPortRange: [90, 80]}]\n",
	    "field `portForwards[0].hostPortRange[1]` must be greater than or "
	    "equal" },
	{ "portForwards: [{guestSocket: run/s, hostSocket: /h}]\n",
	    "field `portForwards[0].guestSocket` must be an absolute path, but "
	    "is `run/s`" },
	{ "portForwards: [{guestSocket: /run/s, hostPortRange: [1000, "
	  "1001]}]\n",
	    "field `portForwards[0].guestSocket` can only be mapped to a "
	    "single port or socket, not a range" },
	{ "portForwards: [{guestPortRange: [1000, 1001], hostSocket: /h}]\n",
	    "field `portForwards[0].hostSocket` can only be mapped from a "
	    "single port or socket, not a range" },
	{ "portForwards: [{guestPort: 80, hostSocket: "
	  "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}]\n",
	    "field `portForwards[0].hostSocket` must be less than "
	    "UNIX_PATH_MAX=108 characters, but is 110" },
	{ "portForwards: [{guestPortRange: [80, 81], hostPortRange: [80, "
	  "82]}]\n",
	    "field `portForwards[0].hostPortRange` must specify the same "
	    "number of ports as field `portForwards[0].guestPortRange`" },
	{ "portForwards: [{guestPort: 80, proto: sctp}]\n",
	    "field `portForwards[0].proto` must be \"tcp\", \"udp\" or "
	    "\"any\", got `sctp`" },
	{ "portForwards: [{guestPort: 80, reverse: true}]\n",
	    "field `portForwards[0].reverse` requires both field "
	    "`portForwards[0].guestSocket` and field "
	    "`portForwards[0].hostSocket`" },
	{ "copyToHost: [{guest: etc/x, host: /x}]\n",
	    "field `copyToHost[0].guest` must be an absolute path, but is "
	    "`etc/x`" },
	{ "copyToHost: [{guest: /x}]\n",
	    "field `copyToHost[0].host` must be an absolute path, but is ``" },
	{ "dns: [1.1.1.1]\n",
	    "field `dns` must be empty when field `HostResolver.Enabled` is "
	    "true (lima.yaml:2)" },
	{ "networks: [{interface: x0}]\n",
	    "field `networks[0].lima`, field `networks[0].socket` or field "
	    "`networks[0].vzNAT` must be set" },
	{ "networks: [{lima: user-v2, socket: /s}]\n",
	    "are mutually exclusive" },
	{ "networks: [{lima: shared}]\n",
	    "field `networks[0].lima` is only supported on macOS right now" },
	{ "networks: [{vzNAT: true}]\n",
	    "field `networks[0].vzNAT` requires `vmType: vz`" },
	{ "networks: [{socket: /etc/passwd}]\n",
	    "field `networks[0].socket` `/etc/passwd` points to a non-socket "
	    "file" },
	{ "networks: [{lima: user-v2, macAddress: \"52:55:55:zz:00:01\"}]\n",
	    "field `networks[0].macAddress` has an invalid value" },
	{ "networks: [{lima: user-v2, macAddress: "
	  "\"52:55:55:00:00:01:02:03\"}]\n",
	    "field `networks[0].macAddress` must be a 48 bit (6 bytes) MAC "
	    "address; actual length of `52:55:55:00:00:01:02:03` is 8 bytes" },
	{ "networks: [{lima: user-v2, interface: abcdefghijklmnop}]\n",
	    "field `networks[0].interface` must be less than 16 bytes, but is "
	    "16 bytes" },
	{ "networks: [{lima: user-v2, interface: a/b}]\n",
	    "field `networks[0].interface` must not contain whitespace or "
	    "slashes" },
	{ "networks: [{lima: user-v2, interface: eth0}]\n",
	    "field `networks[0].interface` must not be set to \"eth0\"" },
	{ "networks: [{lima: user-v2, interface: lima5}, {lima: user-v2}, "
	  "{lima: user-v2, interface: lima1}]\n",
	    "field `networks[2].interface` value `lima1` has already been used "
	    "by field `networks[1].interface`" },
	{ "param: {1x: a}\nprovision: [{script: \"#!/bin/sh\\n$PARAM_1x\"}]\n",
	    "param `1x` name does not match regex `^[a-zA-Z][a-zA-Z0-9_]*$`" },
	{ "param: {X: \"a\\x01\"}\nprovision: [{script: \"$PARAM_X\"}]\n",
	    "param `X` value contains unprintable character 0x01" },
	{ "param: {X: a, UNUSED: b}\nprobes: [{script: "
	  "\"#!/bin/sh\\n{{.Param.X}}\"}]\n",
	    "field `param` key `UNUSED` is not used in any provision, probe, "
	    "copyToHost, or portForward" },
	{ "user: {passwordlessSudo: false}\n",
	    "field `user.passwordlessSudo` can only be false when field "
	    "`plain` is true" },
	{ "os: Darwin\nuser: {passwordlessSudo: true}\n",
	    "field `user.passwordlessSudo` must be false for `os: Darwin`" },
	{ "arch: s390x\ntpm: true\n",
	    "field `tpm` is not supported for arch `s390x`" },
	{ "audio: {interface: ac97}\n",
	    "field `audio.interface` must be one of \"\", \"hda\" or "
	    "\"virtio\"; got `ac97`" },
};

static const char *const good[] = {
	"minimumLimaVersion: 1.0.0\n",
	"minimumLimaVersion: 2.0.0\nvmOpts: {qemu: {minimumVersion: 8.0.0}}\n",
	"vmType: default\nos: default\narch: default\n",
	"arch: aarch64\n",
	"images: [{location: /x.img, kernel: {location: /k}, initrd: "
	"{location: /i}}]\n",
	"additionalDisks: [data-1, a.b_c]\n",
	"mounts: [{location: \"~\"}, {location: /nonexistent/x}]\n",
	"ssh: {localPort: 65535}\n",
	"mountType: reverse-sshfs\n",
	"provision: [{mode: boot, script: x}, {mode: ansible, playbook: "
	"/etc/passwd}]\n",
	"provision: [{mode: data, path: /x, content: \"\", permissions: "
	"\"0755\", owner: u}]\n",
	"portForwards: [{guestSocket: /g, hostSocket: /h, reverse: true}, "
	"{guestPortRange: [1, 65535], ignore: true}, {guestPort: 443, "
	"hostPort: 8443}]\n",
	"dns: [1.1.1.1]\nhostResolver: {enabled: false}\n",
	"networks: [{lima: user-v2}, {socket: /nonexistent/s}]\n",
	"param: {internal_netplanOptional: x, A: b}\nmounts: [{location: "
	"\"/srv/{{.Param.A}}\"}]\n",
	"user: {passwordlessSudo: false}\nplain: true\n",
	"tpm: true\n",
	"audio: {interface: hda}\n",
};

static void
test_bad(const struct config_env *env)
{
	size_t i;
	char *yaml;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		xasprintf(&yaml, "%s%s",
		    strncmp(bad[i].yaml, "images:", 7) == 0 ? "" : TC_IMAGE,
		    bad[i].yaml);
		ok(tc_fails_with(env, yaml, bad[i].want), "rejects: %.60s",
		    bad[i].want);
		free(yaml);
	}
	ok(tc_fails_with(env, "cpus: 1\n", "field `images` must be set"),
	    "no images");
}

static void
test_good(const struct config_env *env)
{
	struct lima_config *cfg;
	size_t i;
	char *yaml;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		xasprintf(&yaml, "%s%s",
		    strncmp(good[i], "images:", 7) == 0 ? "" : TC_IMAGE,
		    good[i]);
		cfg = tc_ok(env, yaml);
		ok(cfg != NULL, "accepts good[%zu]", i);
		config_free(cfg);
		free(yaml);
	}
}

static void
test_sha512(const struct config_env *env)
{
	struct lima_config *cfg;
	char hex[129], *yaml;

	memset(hex, 'a', 128);
	hex[128] = '\0';
	xasprintf(&yaml,
	    "images: [{location: /x.img, digest: \"sha512:%s\"}]\n", hex);
	cfg = tc_ok(env, yaml);
	ok(cfg != NULL, "a sha512 digest is valid");
	config_free(cfg);
	free(yaml);
	xasprintf(&yaml,
	    "images: [{location: /x.img, digest: \"sha512:%s\"}]\n", "AA");
	ok(tc_fails_with(env, yaml, "invalid checksum digest length"),
	    "a short sha512 digest is not");
	free(yaml);
}

static void
test_joined(const struct config_env *env)
{
	struct lima_config *cfg;
	char *cause = NULL;

	cfg = tc_load(env, TC_IMAGE "cpus: -1\nssh: {localPort: 22}\n", &cause);
	ok(cfg == NULL, "two errors fail");
	is_str(cause,
	    "field `cpus` must be > 0 (lima.yaml:2)\nfield `ssh.localPort` "
	    "must not be 22 (lima.yaml:3)",
	    "errors are joined with newlines, in order");
	free(cause);
}

static void
test_warnings(const struct config_env *env)
{
	struct lima_config *cfg;
	char *cause = NULL;

	cfg = tc_ok(env,
	    TC_IMAGE
	    "video: {display: vnc}\naudio: {device: pa}\nmountInotify: "
	    "true\nmountType: virtiofs\nos: FreeBSD\nmounts: [{location: "
	    "/nonexistent/m}]\nprovision:\n- mode: ansible\n  playbook: "
	    "/etc/passwd\n- script: \"#!/bin/sh\\necho "
	    "$LIMA_CIDATA_USER\"\nssh: {overVsock: true}\n");
	ok(cfg != NULL, "experimental features load");
	ok(tc_has_warning(cfg, "`video.display: vnc` is experimental"), "vnc");
	ok(tc_has_warning(cfg, "`audio.device` is experimental"), "audio");
	ok(tc_has_warning(cfg, "`mountInotify` is experimental"),
	    "mountInotify");
	ok(tc_has_warning(
	       cfg, "`mountType: virtiofs` on Linux is experimental"),
	    "virtiofs");
	ok(tc_has_warning(cfg, "`os: FreeBSD` is experimental"), "os");
	ok(tc_has_warning(cfg,
	       "field `mounts[0].location` refers to a non-existent directory: "
	       "`/nonexistent/m`"),
	    "missing mount dir");
	ok(tc_has_warning(cfg, "provision mode `ansible` is deprecated"),
	    "ansible deprecated");
	ok(tc_has_warning(cfg, "provision[1].script uses LIMA_CIDATA"),
	    "LIMA_CIDATA in a script");
	ok(tc_has_warning(cfg, "`ssh.overVsock` is not implemented yet"),
	    "overVsock on QEMU");
	config_free(cfg);

	cfg = tc_ok(env,
	    TC_IMAGE "plain: true\nportForwards:\n- guestPortRange: [8000, "
		     "8100]\n  static: true\n");
	ok(cfg != NULL &&
		tc_has_warning(
		    cfg, "forwarding 101 ports statically in plain mode"),
	    "plain + big static range warned");
	config_free(cfg);

	cfg = config_load_buf(env, TC_IMAGE "video: {display: vnc}\n",
	    strlen(TC_IMAGE "video: {display: vnc}\n"), "lima.yaml", 0, &cause);
	free(cause);
	cause = NULL;
	ok(cfg != NULL && !tc_warned(cfg, "experimental"),
	    "no experimental warnings without CONFIG_WARN");
	config_free(cfg);

	cfg = tc_ok(
	    env, TC_IMAGE "user: {passwordlessSudo: false}\nplain: true\n");
	ok(cfg != NULL &&
		tc_has_warning(
		    cfg, "`user.passwordlessSudo: false` is experimental"),
	    "passwordlessSudo false warned");
	config_free(cfg);
}

static void
test_against(const struct config_env *env)
{
	struct lima_config *a, *b, *c;
	char *cause = NULL;

	a = tc_ok(env, TC_IMAGE);
	b = tc_ok(env, TC_IMAGE "disk: 10GiB\n");
	c = tc_ok(env, TC_IMAGE "disk: 200G\n");
	if (a == NULL || b == NULL || c == NULL) {
		ok(0, "configs for validate_against load");
		goto out;
	}
	is_int(config_validate_against(a, b, &cause), -1, "shrinking fails");
	is_str(cause,
	    "field `disk`: shrinking the disk (100GiB --> 10GiB) is not "
	    "supported",
	    "shrinking message");
	free(cause);
	is_int(config_validate_against(a, c, &cause), 0, "growing is fine");
	is_int(config_validate_against(a, a, &cause), 0, "same size is fine");
out:
	config_free(a);
	config_free(b);
	config_free(c);
}

int
main(void)
{
	struct config_env env;

	tc_env(&env);
	test_bad(&env);
	test_good(&env);
	test_sha512(&env);
	test_joined(&env);
	test_warnings(&env);
	test_against(&env);
	config_env_free(&env);
	return done_testing();
}
