/* clima: unit tests for cidata/: the documents, identifiers, refusals. */
/*
 * A fixed lima.yaml is loaded through config_load_buf with a fixed host
 * environment, then each cidata document is checked.  With an argument,
 * the ISO is written to that path and kept, for t-cidata-iso.sh.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidata/cidata.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "tests/tap.h"

#define TC_MACHINE_ID "0123456789abcdef0123456789abcdef"
#define TC_INSTDIR    "/nonexistent/lima/test"
#define TC_IID        "iid-1700000000"

static const char tc_yaml[] =
    "images: [{location: \"https://example.com/x.img\"}]\n"
    "mountType: 9p\n"
    "mounts:\n"
    "- location: /home/alice\n"
    "  mountPoint: /home/alice\n"
    "- location: /tmp/lima\n"
    "  writable: true\n"
    "additionalDisks:\n"
    "- name: data\n"
    "  fsArgs: [\"-m\", \"0\"]\n"
    "provision:\n"
    "- mode: system\n"
    "  script: |\n"
    "    #!/bin/sh\n"
    "    echo system\n"
    "- mode: user\n"
    "  script: |\n"
    "    #!/bin/sh\n"
    "    echo user\n"
    "- mode: boot\n"
    "  script: echo boot-$PARAM_COLOR\n"
    "- mode: data\n"
    "  path: /etc/motd\n"
    "  content: hello\n"
    "  owner: alice\n"
    "  permissions: \"600\"\n"
    "  overwrite: false\n"
    "- mode: dependency\n"
    "  skipDefaultDependencyResolution: true\n"
    "  script: |\n"
    "    #!/bin/sh\n"
    "    true\n"
    "- mode: yq\n"
    "  path: /etc/x.json\n"
    "  expression: .a = 1\n"
    "env:\n"
    "  FOO: bar baz\n"
    "  http_proxy: http://127.0.0.1:3128\n"
    "param:\n"
    "  COLOR: blue\n";

/* Every LIMA_CIDATA_* name the docs list, for this config. */
static const char *tc_env_names[] = { "LIMA_CIDATA_DEBUG", "LIMA_CIDATA_IID",
	"LIMA_CIDATA_NAME", "LIMA_CIDATA_USER", "LIMA_CIDATA_UID",
	"LIMA_CIDATA_COMMENT", "LIMA_CIDATA_HOME", "LIMA_CIDATA_SHELL",
	"LIMA_CIDATA_HOSTHOME_MOUNTPOINT", "LIMA_CIDATA_MOUNTS",
	"LIMA_CIDATA_MOUNTS_0_MOUNTPOINT", "LIMA_CIDATA_MOUNTS_1_MOUNTPOINT",
	"LIMA_CIDATA_MOUNTTYPE", "LIMA_CIDATA_DISKS", "LIMA_CIDATA_DISK_0_NAME",
	"LIMA_CIDATA_DISK_0_DEVICE", "LIMA_CIDATA_DISK_0_FORMAT",
	"LIMA_CIDATA_DISK_0_FSTYPE", "LIMA_CIDATA_DISK_0_FSARGS",
	"LIMA_CIDATA_DATAFILE_00000003_OVERWRITE",
	"LIMA_CIDATA_DATAFILE_00000003_OWNER",
	"LIMA_CIDATA_DATAFILE_00000003_PATH",
	"LIMA_CIDATA_DATAFILE_00000003_PERMISSIONS",
	"LIMA_CIDATA_YQ_PROVISION_00000005_FORMAT",
	"LIMA_CIDATA_YQ_PROVISION_00000005_OWNER",
	"LIMA_CIDATA_YQ_PROVISION_00000005_PATH",
	"LIMA_CIDATA_YQ_PROVISION_00000005_PERMISSIONS",
	"LIMA_CIDATA_GUEST_INSTALL_PREFIX", "LIMA_CIDATA_UPGRADE_PACKAGES",
	"LIMA_CIDATA_CONTAINERD_USER", "LIMA_CIDATA_CONTAINERD_SYSTEM",
	"LIMA_CIDATA_SLIRP_DNS", "LIMA_CIDATA_SLIRP_GATEWAY",
	"LIMA_CIDATA_SLIRP_IP_ADDRESS", "LIMA_CIDATA_UDP_DNS_LOCAL_PORT",
	"LIMA_CIDATA_TCP_DNS_LOCAL_PORT", "LIMA_CIDATA_ROSETTA_ENABLED",
	"LIMA_CIDATA_ROSETTA_BINFMT",
	"LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION", "LIMA_CIDATA_VMTYPE",
	"LIMA_CIDATA_VSOCK_PORT", "LIMA_CIDATA_VIRTIO_PORT",
	"LIMA_CIDATA_PLAIN", "LIMA_CIDATA_NO_CLOUD_INIT",
	"LIMA_CIDATA_PASSWORDLESS_SUDO" };

static char tc_key1[] = "ssh-ed25519 AAAAC3Nza alice@host";
static char tc_key2[] = "ssh-rsa AAAAB3Nza second";
static char *tc_keys[] = { tc_key1, tc_key2 };
static char tc_env1[] = "https_proxy=http://localhost:8080/";
static char tc_env2[] = "PATH=/usr/bin";
static char *tc_environ[] = { tc_env1, tc_env2, NULL };

static void
tc_env(struct config_env *env)
{
	memset(env, 0, sizeof *env);
	env->name = xstrdup("test");
	env->instance_dir = xstrdup(TC_INSTDIR);
	env->host_user = xstrdup("alice");
	env->host_comment = xstrdup("Alice Liddell");
	env->host_home = xstrdup("/home/alice");
	env->host_uid = 501;
	env->host_ncpu = 4;
	env->host_memory = 8ULL << 30;
	env->host_arch = xstrdup("x86_64");
	env->host_timezone = xstrdup("Europe/Berlin");
	env->machine_id = xstrdup(TC_MACHINE_ID);
	env->tmpdir = xstrdup("/tmp");
	env->host_kvm = 1;
}

static void
tc_args(struct cidata_args *a, const struct lima_config *cfg)
{
	const char *top = getenv("top_srcdir");
	static char boot[4096];

	snprintf(boot, sizeof boot, "%s/boot", top != NULL ? top : ".");
	memset(a, 0, sizeof *a);
	a->config = cfg;
	a->name = "test";
	a->instance_dir = TC_INSTDIR;
	a->iid = TC_IID;
	a->ssh_pubkeys = tc_keys;
	a->nssh_pubkeys = 2;
	a->udp_dns_port = 40053;
	a->tcp_dns_port = 40054;
	a->boot_dir = boot;
	a->machine_id = TC_MACHINE_ID;
	a->host_home = "/home/alice";
	a->environ = tc_environ;
}

/* Parses a generated document; NULL on failure (reported). */
static struct node *
tc_parse(const char *text)
{
	struct node *n;
	char *cause = NULL;

	n = node_from_yaml(text, strlen(text), "generated", &cause);
	if (n == NULL) {
		printf("# %s\n", cause);
		free(cause);
	}
	return n;
}

static const char *
tc_str(const struct node *root, const char *path)
{
	return node_get_str(node_get_path(root, path));
}

static const struct node *
tc_item(const struct node *seq, size_t i)
{
	if (seq == NULL || seq->kind != NODE_SEQ || i >= seq->nitems)
		return NULL;
	return seq->items[i];
}

static int
tc_has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
	}
	return 0;
}

static void
tc_user_data(const struct cidata_args *a)
{
	const struct node *u, *m;
	struct node *doc;
	char *text, *cause = NULL, *tag;

	text = cidata_user_data(a, 1, &cause);
	ok(text != NULL, "user-data builds");
	if (text == NULL) {
		printf("# %s\n", cause);
		free(cause);
		return;
	}
	ok(strncmp(text, "#cloud-config\n", 14) == 0, "user-data header");
	ok(strstr(text, "uid: 501\n") != NULL,
	    "uid is an integer (cloud-init's schema)");
	doc = tc_parse(text);
	ok(doc != NULL, "user-data parses");
	is_str(tc_str(doc, "growpart.mode"), "auto", "growpart mode");
	is_str(node_get_str(tc_item(node_get_path(doc, "growpart.devices"), 0)),
	    "/", "growpart devices");
	is_str(tc_str(doc, "timezone"), "Europe/Berlin", "timezone");
	u = tc_item(node_map_get(doc, "users"), 0);
	is_str(tc_str(u, "name"), "alice", "users[0].name");
	is_str(tc_str(u, "uid"), "501", "users[0].uid");
	is_str(tc_str(u, "gecos"), "Alice Liddell", "users[0].gecos");
	is_str(tc_str(u, "homedir"), a->config->user.home, "users[0].homedir");
	ok(tc_str(u, "shell") != NULL, "users[0].shell");
	is_str(tc_str(u, "sudo"), "ALL=(ALL) NOPASSWD:ALL", "users[0].sudo");
	is_str(tc_str(u, "lock_passwd"), "true", "users[0].lock_passwd");
	is_str(node_get_str(tc_item(node_map_get(u, "ssh_authorized_keys"), 1)),
	    "ssh-rsa AAAAB3Nza second", "second ssh key");

	m = tc_item(node_map_get(doc, "mounts"), 0);
	tag = cidata_mount_tag("/home/alice", "/home/alice");
	is_str(node_get_str(tc_item(m, 0)), tag, "mounts[0] tag");
	free(tag);
	is_str(node_get_str(tc_item(m, 1)), "/home/alice", "mounts[0] point");
	is_str(node_get_str(tc_item(m, 2)), "9p", "mounts[0] type");
	is_str(node_get_str(tc_item(m, 3)),
	    "ro,trans=virtio,version=9p2000.L,msize=131072,cache=fscache,"
	    "nofail",
	    "mounts[0] options");
	is_str(node_get_str(tc_item(m, 5)), "0", "mounts[0] passno");
	m = tc_item(node_map_get(doc, "mounts"), 1);
	is_str(node_get_str(tc_item(m, 3)),
	    "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail",
	    "mounts[1] options (writable)");
	is_str(node_get_str(tc_item(m, 1)), "/tmp/lima",
	    "mounts[1] point defaults to the location");

	m = tc_item(node_map_get(doc, "write_files"), 0);
	is_str(tc_str(m, "path"),
	    "/var/lib/cloud/scripts/per-boot/00-lima.boot.sh",
	    "write_files path");
	is_str(tc_str(m, "permissions"), "0755", "write_files permissions");
	ok(tc_str(m, "content") != NULL &&
		strstr(tc_str(m, "content"), "/dev/disk/by-label/cidata") !=
		    NULL &&
		strstr(tc_str(m, "content"),
		    "exec \"$LIMA_CIDATA_MNT/boot.sh\"") != NULL,
	    "write_files hook mounts by label and execs boot.sh");
	is_str(tc_str(doc, "manage_resolv_conf"), "true", "manage_resolv_conf");
	is_str(node_get_str(
		   tc_item(node_get_path(doc, "resolv_conf.nameservers"), 0)),
	    "192.168.5.3", "resolv_conf with hostResolver");
	m = tc_item(node_map_get(doc, "bootcmd"), 0);
	ok(node_get_str(m) != NULL &&
		strstr(node_get_str(m), "PARAM_COLOR=blue\n") != NULL &&
		strstr(node_get_str(m), "echo boot-$PARAM_COLOR\n") != NULL,
	    "bootcmd runs the boot script with its params");
	ok(node_map_get(doc, "package_update") == NULL,
	    "no package_update without upgradePackages");
	ok(node_map_get(doc, "ca_certs") == NULL, "no ca_certs");
	node_free(doc);
	free(text);

	text = cidata_user_data(a, 0, &cause);
	doc = text != NULL ? tc_parse(text) : NULL;
	ok(doc != NULL && node_map_get(doc, "mounts") == NULL &&
		node_map_get(doc, "write_files") == NULL &&
		node_map_get(doc, "resolv_conf") == NULL &&
		node_map_get(doc, "manage_resolv_conf") == NULL &&
		node_map_get(doc, "users") != NULL,
	    "cloud-config.yaml has no mounts, write_files, resolv_conf");
	node_free(doc);
	free(text);
}

static void
tc_network(const struct cidata_args *a)
{
	struct cidata_args b = *a;
	struct node *doc;
	char *text, *cause = NULL, *mac, dir[64];
	int i;

	text = cidata_network_config(a, &cause);
	doc = text != NULL ? tc_parse(text) : NULL;
	ok(doc != NULL, "network-config parses");
	is_str(tc_str(doc, "version"), "2", "network-config version");
	is_str(tc_str(doc, "ethernets.eth0.match.macaddress"),
	    "52:55:55:37:e7:be", "eth0 MAC");
	is_str(tc_str(doc, "ethernets.eth0.set-name"), "eth0", "set-name");
	is_str(tc_str(doc, "ethernets.eth0.dhcp4"), "true", "dhcp4");
	is_str(tc_str(doc, "ethernets.eth0.dhcp4-overrides.route-metric"),
	    "200", "route metric");
	is_str(
	    node_get_str(tc_item(
		node_get_path(doc, "ethernets.eth0.nameservers.addresses"), 0)),
	    "192.168.5.3", "nameservers");
	node_free(doc);
	free(text);

	/* A MAC made only of decimal groups is a base-60 int for PyYAML. */
	for (i = 0; i < 10000; i++) {
		snprintf(dir, sizeof dir, "/tmp/inst%d", i);
		mac = cidata_mac_address(TC_MACHINE_ID, dir);
		if (strspn(mac + 9, "0123456789:") == 8 && mac[9] <= '5' &&
		    mac[12] <= '5' && mac[15] <= '5') {
			free(mac);
			break;
		}
		free(mac);
	}
	b.instance_dir = dir;
	mac = cidata_mac_address(TC_MACHINE_ID, dir);
	text = cidata_network_config(&b, &cause);
	ok(text != NULL && strstr(text, "macaddress: \"") != NULL &&
		strstr(text, mac) != NULL,
	    "decimal-looking MAC %s is quoted", mac);
	free(text);
	free(mac);
}

static void
tc_lima_env(const struct cidata_args *a)
{
	char *text, *cause = NULL, *p, want[128];
	size_t i, nlines = 0;
	int all = 1;

	text = cidata_lima_env(a, &cause);
	ok(text != NULL, "lima.env builds");
	if (text == NULL) {
		free(cause);
		return;
	}
	for (i = 0; i < sizeof tc_env_names / sizeof tc_env_names[0]; i++) {
		snprintf(want, sizeof want, "\n%s=", tc_env_names[i]);
		p = strstr(text, want);
		if (p == NULL &&
		    strncmp(text, want + 1, strlen(want + 1)) != 0) {
			printf("# missing %s\n", tc_env_names[i]);
			all = 0;
		}
	}
	ok(all, "lima.env has every documented variable");
	for (p = text; *p != '\0'; p++)
		nlines += *p == '\n';
	is_int(nlines, sizeof tc_env_names / sizeof tc_env_names[0],
	    "lima.env has nothing else");
	ok(strncmp(text,
	       "LIMA_CIDATA_DEBUG=false\nLIMA_CIDATA_IID=" TC_IID
	       "\nLIMA_CIDATA_NAME=test\n",
	       66) == 0,
	    "lima.env order");
	ok(tc_has_line(text, "LIMA_CIDATA_COMMENT='Alice Liddell'"),
	    "comment is shell-quoted");
	ok(tc_has_line(text, "LIMA_CIDATA_UID=501"), "uid");
	ok(tc_has_line(text, "LIMA_CIDATA_HOSTHOME_MOUNTPOINT=/home/alice"),
	    "host home mount point");
	ok(tc_has_line(text, "LIMA_CIDATA_MOUNTS=2"), "mount count");
	ok(tc_has_line(text, "LIMA_CIDATA_MOUNTTYPE=9p"), "mount type");
	ok(tc_has_line(text, "LIMA_CIDATA_DISK_0_DEVICE=vdb"), "disk device");
	ok(tc_has_line(text, "LIMA_CIDATA_DISK_0_FORMAT=true"), "disk format");
	ok(tc_has_line(text, "LIMA_CIDATA_DISK_0_FSTYPE=ext4"), "disk fstype");
	ok(tc_has_line(text, "LIMA_CIDATA_DISK_0_FSARGS='-m 0'"),
	    "disk fsargs");
	ok(tc_has_line(text, "LIMA_CIDATA_DATAFILE_00000003_OVERWRITE=false"),
	    "data overwrite");
	ok(tc_has_line(text, "LIMA_CIDATA_DATAFILE_00000003_OWNER=alice"),
	    "data owner");
	ok(tc_has_line(text, "LIMA_CIDATA_DATAFILE_00000003_PERMISSIONS=600"),
	    "data permissions");
	ok(tc_has_line(text, "LIMA_CIDATA_YQ_PROVISION_00000005_FORMAT=auto"),
	    "yq format");
	ok(tc_has_line(
	       text, "LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION=1"),
	    "skip default dependency resolution");
	ok(tc_has_line(text, "LIMA_CIDATA_UDP_DNS_LOCAL_PORT=40053") &&
		tc_has_line(text, "LIMA_CIDATA_TCP_DNS_LOCAL_PORT=40054"),
	    "dns ports");
	ok(tc_has_line(text, "LIMA_CIDATA_SLIRP_GATEWAY=192.168.5.2"),
	    "gateway");
	ok(tc_has_line(text, "LIMA_CIDATA_VMTYPE=qemu"), "vm type");
	ok(tc_has_line(text, "LIMA_CIDATA_PLAIN="), "not plain");
	ok(tc_has_line(text, "LIMA_CIDATA_PASSWORDLESS_SUDO=1"),
	    "passwordless sudo");
	ok(strstr(text, "LIMA_CIDATA_MNT") == NULL, "no LIMA_CIDATA_MNT");
	free(text);
}

static void
tc_small_files(const struct cidata_args *a)
{
	char *text, *cause = NULL;

	text = cidata_meta_data(a);
	is_str(text, "instance-id: " TC_IID "\nlocal-hostname: lima-test\n",
	    "meta-data");
	free(text);
	text = cidata_param_env(a, &cause);
	is_str(text, "PARAM_COLOR=blue\n", "param.env");
	free(text);
	text = cidata_etc_environment(a, &cause);
	is_str(text,
	    "#LIMA-START\n"
	    "FOO=bar baz\n"
	    "HTTPS_PROXY=http://192.168.5.2:8080/\n"
	    "HTTP_PROXY=http://192.168.5.2:3128\n"
	    "http_proxy=http://192.168.5.2:3128\n"
	    "https_proxy=http://192.168.5.2:8080/\n"
	    "#LIMA-END\n",
	    "etc_environment: sorted, loopback proxies, twins");
	free(text);
}

static void
tc_ids(void)
{
	char *s;

	s = cidata_mac_address(TC_MACHINE_ID, TC_INSTDIR);
	is_str(s, "52:55:55:37:e7:be", "MAC from sha256(machine-id+instdir)");
	free(s);
	s = cidata_mount_tag("/home/alice", "/home/alice");
	is_str(s, "lima-37f3810809d0851e", "9p tag");
	free(s);
	s = cidata_mount_tag("/tmp/lima", "/tmp/lima");
	is_str(s, "lima-1fd4cbcaa36d359d", "9p tag of another mount");
	free(s);
	s = cidata_new_iid();
	ok(strncmp(s, "iid-", 4) == 0 && strlen(s) > 13 &&
		strspn(s + 4, "0123456789") == strlen(s + 4),
	    "iid-<unix seconds>: %s", s);
	free(s);
}

/* Does building user-data fail with a cause containing want? */
static void
tc_refuses(const struct cidata_args *a, const char *want, const char *what)
{
	char *text, *cause = NULL;

	text = cidata_user_data(a, 1, &cause);
	ok(text == NULL && cause != NULL && strstr(cause, want) != NULL,
	    "refuses %s", what);
	if (cause != NULL)
		printf("#   cause: %s\n", cause);
	free(text);
	free(cause);
}

static void
tc_refusals(struct lima_config *cfg, const struct cidata_args *a)
{
	struct cidata_args b = *a;
	char root[] = "root", empty[] = "", rel[] = "tmp/lima", *save;
	int64_t uid;

	save = cfg->user.name;
	cfg->user.name = root;
	tc_refuses(a, "\"root\"", "user root");
	cfg->user.name = save;
	uid = cfg->user.uid;
	cfg->user.uid = 0;
	tc_refuses(a, "uid must not be 0", "uid 0");
	cfg->user.uid = uid;
	save = cfg->user.home;
	cfg->user.home = empty;
	tc_refuses(a, "user.home", "an empty home");
	cfg->user.home = save;
	save = cfg->user.shell;
	cfg->user.shell = empty;
	tc_refuses(a, "user.shell", "an empty shell");
	cfg->user.shell = save;
	b.nssh_pubkeys = 0;
	tc_refuses(&b, "ssh public key", "no ssh keys");
	save = cfg->mounts[1].mount_point;
	cfg->mounts[1].mount_point = rel;
	tc_refuses(a, "mounts[1].mountPoint must be an absolute path",
	    "a relative mount point");
	cfg->mounts[1].mount_point = save;
}

static void
tc_gecos_quoting(struct lima_config *cfg, const struct cidata_args *a)
{
	char *text, *cause = NULL, *save;
	char sexa[] = "12:30", ctl[] = "Bob\tthe\x01 Builder";

	save = cfg->user.comment;
	cfg->user.comment = sexa;
	text = cidata_user_data(a, 1, &cause);
	ok(text != NULL && strstr(text, "gecos: \"12:30\"") != NULL,
	    "a base-60 looking gecos is quoted");
	free(text);
	cfg->user.comment = ctl;
	text = cidata_user_data(a, 1, &cause);
	ok(text != NULL && strstr(text, "gecos: Bobthe Builder") != NULL,
	    "control characters are stripped from gecos");
	free(text);
	cfg->user.comment = save;
}

static void
tc_write(const struct cidata_args *a, const char *iso)
{
	struct stat sb;
	char *cause = NULL, *cc, sig[5] = { 0 };
	int fd, rc;

	rc = cidata_write(a, iso, &cause);
	ok(rc == 0, "cidata_write");
	if (rc != 0)
		printf("# %s\n", cause);
	free(cause);
	cause = NULL;
	fd = open(iso, O_RDONLY | O_CLOEXEC);
	ok(fd != -1 && pread(fd, sig, 5, 0x8001) == 5 &&
		memcmp(sig, "CD001", 5) == 0,
	    "the image has an ISO9660 volume descriptor");
	if (fd != -1)
		close(fd);
	ok(stat(iso, &sb) == 0 && (sb.st_mode & 0777) == 0644,
	    "the image is 0644");

	xasprintf(&cc, "%s.cloud-config.yaml", iso);
	rc = cidata_write_cloud_config(a, cc, &cause);
	ok(rc == 0 && stat(cc, &sb) == 0 && (sb.st_mode & 0777) == 0444,
	    "cloud-config.yaml is written 0444");
	free(cause);
	cause = NULL;
	rc = cidata_write_cloud_config(a, cc, &cause);
	ok(rc == 0, "cloud-config.yaml can be rewritten");
	free(cause);
	unlink(cc);
	free(cc);
}

/* Failures of cidata_write that come from the files it reads. */
static void
tc_write_failures(
    struct lima_config *cfg, const struct cidata_args *a, const char *iso)
{
	struct cidata_args b = *a;
	struct stat sb;
	char *cause = NULL;
	int rc;

	b.boot_dir = "/nonexistent/boot";
	rc = cidata_write(&b, iso, &cause);
	ok(rc == -1 && cause != NULL &&
		strstr(cause, "/nonexistent/boot/boot.sh") != NULL,
	    "a missing boot directory is reported");
	free(cause);
	cause = NULL;
	ok(stat(iso, &sb) == -1, "and no image is left behind");

	b = *a;
	b.guest_agent = "/nonexistent/lima-guestagent";
	rc = cidata_write(&b, iso, &cause);
	ok(rc == -1 && cause != NULL &&
		strstr(cause, "/nonexistent/lima-guestagent") != NULL,
	    "a missing guest agent is reported");
	free(cause);
	cause = NULL;

	/* Plain mode leaves the guest agent out, so the path is not read. */
	cfg->plain = 1;
	rc = cidata_write(&b, iso, &cause);
	ok(rc == 0, "plain mode does not need the guest agent");
	free(cause);
	cfg->plain = 0;
	unlink(iso);
}

int
main(int argc, char **argv)
{
	struct config_env env;
	struct lima_config *cfg;
	struct cidata_args a;
	char *cause = NULL, tmpl[] = "/tmp/test-cidata.XXXXXX", *iso;
	const char *dir = NULL;

	tc_env(&env);
	cfg = config_load_buf(
	    &env, tc_yaml, strlen(tc_yaml), "lima.yaml", 0, &cause);
	if (cfg == NULL) {
		printf("# %s\n", cause);
		free(cause);
		config_env_free(&env);
		skip_all("the test lima.yaml does not load");
	}
	tc_args(&a, cfg);

	tc_ids();
	tc_user_data(&a);
	tc_network(&a);
	tc_lima_env(&a);
	tc_small_files(&a);
	tc_refusals(cfg, &a);
	tc_gecos_quoting(cfg, &a);

	if (argc > 1)
		iso = xstrdup(argv[1]);
	else {
		dir = mkdtemp(tmpl);
		xasprintf(&iso, "%s/cidata.iso", dir != NULL ? dir : "/tmp");
	}
	if (dir != NULL)
		tc_write_failures(cfg, &a, iso);
	tc_write(&a, iso);
	if (dir != NULL) {
		unlink(iso);
		rmdir(dir);
	}
	free(iso);

	config_free(cfg);
	config_env_free(&env);
	return done_testing();
}
