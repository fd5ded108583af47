/* clima: tests of config_to_node (Lima's JSON names, order, omitempty). */
/*
 * The filled config of a minimal lima.yaml as JSON, part by part; the
 * order of the top-level keys; full.yaml's lists; and a round trip:
 * emitting, loading the result again and emitting gives the same tree.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "tests/unit/test-config.h"

static void
te_json(const struct node *root, const char *path, const char *want)
{
	const struct node *n = node_get_path(root, path);
	char *json;

	json = node_to_json(n, 0);
	is_str(json, want, "%s as JSON", path);
	free(json);
}

static void
test_minimal(const struct config_env *env)
{
	static const char *const keys[] = { "vmType", "vmOpts", "os", "arch",
		"images", "cpus", "memory", "disk", "mountType", "mountInotify",
		"ssh", "firmware", "audio", "video", "upgradePackages",
		"containerd", "guestInstallPrefix", "hostResolver",
		"propagateProxyEnv", "caCerts", "plain", "timezone",
		"nestedVirtualization", "tpm", "user", NULL };
	struct lima_config *cfg;
	struct node *root;
	size_t i;
	int same;

	cfg = tc_ok(env, TC_IMAGE);
	if (cfg == NULL) {
		ok(0, "minimal config loads");
		return;
	}
	root = config_to_node(cfg);
	same = root->kind == NODE_MAP;
	for (i = 0; same && keys[i] != NULL; i++) {
		if (i >= root->npairs ||
		    strcmp(root->pairs[i].key, keys[i]) != 0) {
			printf("# key %zu: got %s, want %s\n", i,
			    i < root->npairs ? root->pairs[i].key : "(none)",
			    keys[i]);
			same = 0;
		}
	}
	ok(same && root->npairs == i,
	    "top-level keys in Lima's order, empty ones omitted");
	te_json(root, "vmType", "\"qemu\"");
	te_json(root, "cpus", "4");
	te_json(root, "memory", "\"4GiB\"");
	te_json(root, "disk", "\"100GiB\"");
	te_json(root, "images",
	    "[{\"location\":\"https://example.com/"
	    "x.img\",\"arch\":\"x86_64\"}]");
	te_json(root, "vmOpts",
	    "{\"qemu\":{\"cpuType\":{\"x86_64\":\"host\",\"aarch64\":\"max\","
	    "\"armv7l\":\"max\",\"ppc64le\":\"max\",\"riscv64\":\"max\","
	    "\"s390x\":\"max\"}}}");
	te_json(root, "ssh",
	    "{\"localPort\":0,\"loadDotSSHPubKeys\":false,\"forwardAgent\":"
	    "false,\"forwardX11\":false,\"forwardX11Trusted\":false,"
	    "\"overVsock\":false}");
	te_json(root, "firmware", "{\"legacyBIOS\":false}");
	te_json(root, "audio", "{\"device\":\"\",\"interface\":\"\"}");
	te_json(root, "video",
	    "{\"display\":\"none\",\"vnc\":{\"display\":\"127.0.0.1:0,to=9\"}"
	    "}");
	te_json(root, "containerd",
	    "{\"system\":false,\"user\":true,\"archives\":[{\"location\":"
	    "\"https://github.com/containerd/nerdctl/releases/download/v2.3.5/"
	    "nerdctl-full-2.3.5-linux-amd64.tar.gz\",\"arch\":\"x86_64\","
	    "\"digest\":\"sha256:"
	    "b697295c623639734aaab737523c808fd3cc8d3046039fd94fff1744e4c317aa\""
	    "},{\"location\":\"https://github.com/containerd/nerdctl/releases/"
	    "download/v2.3.5/"
	    "nerdctl-full-2.3.5-linux-arm64.tar.gz\",\"arch\":\"aarch64\"}]}");
	te_json(root, "hostResolver", "{\"enabled\":true,\"ipv6\":false}");
	te_json(root, "caCerts", "{\"removeDefaults\":false}");
	te_json(root, "timezone", "\"Europe/Berlin\"");
	te_json(root, "user",
	    "{\"name\":\"alice\",\"comment\":\"Alice "
	    "Liddell\",\"home\":\"/home/alice.guest\",\"shell\":\"/bin/"
	    "bash\",\"uid\":501,\"passwordlessSudo\":true}");
	node_free(root);
	config_free(cfg);
}

static void
test_full(const struct config_env *env)
{
	struct lima_config *cfg;
	struct node *root;
	char *path, *cause = NULL;

	path = tc_fixture("full.yaml");
	cfg = config_load(env, path, &cause);
	free(path);
	if (cfg == NULL) {
		ok(0, "full.yaml loads: %s", cause);
		free(cause);
		return;
	}
	root = config_to_node(cfg);
	te_json(root, "mounts",
	    "[{\"location\":\"/srv/share\",\"mountPoint\":\"/mnt/"
	    "share\",\"writable\":true,\"sshfs\":{\"cache\":false,"
	    "\"followSymlinks\":true,\"sftpDriver\":\"builtin\"},\"9p\":{"
	    "\"securityModel\":\"mapped-xattr\",\"protocolVersion\":\"9p2000."
	    "u\",\"msize\":\"256KiB\",\"cache\":\"loose\"},\"virtiofs\":{"
	    "\"queueSize\":512}}]");
	te_json(root, "portForwards",
	    "[{\"guestIPMustBeZero\":false,\"guestIP\":\"127.0.0.1\","
	    "\"guestPort\":8080,\"guestPortRange\":[8080,8080],\"hostIP\":\"0."
	    "0.0.0\",\"hostPort\":18080,\"hostPortRange\":[18080,18080],"
	    "\"proto\":\"tcp\"},{\"guestIPMustBeZero\":true,\"guestIP\":\"0.0."
	    "0.0\",\"guestPortRange\":[3000,3009],\"hostIP\":\"127.0.0.1\","
	    "\"hostPortRange\":[13000,13009],\"proto\":\"any\",\"ignore\":true}"
	    ",{\"guestIPMustBeZero\":false,\"guestIP\":\"127.0.0.1\","
	    "\"guestPortRange\":[1,65535],\"guestSocket\":\"/run/user/1500/"
	    "docker.sock\",\"hostIP\":\"127.0.0.1\",\"hostPortRange\":[1,65535]"
	    ",\"hostSocket\":\"/nonexistent/lima/test/sock/"
	    "docker.sock\",\"proto\":\"any\"}]");
	te_json(root, "networks",
	    "[{\"socket\":\"/var/run/"
	    "socket_vmnet\",\"macAddress\":\"52:55:55:12:34:56\",\"interface\":"
	    "\"vmnet0\",\"metric\":50}]");
	te_json(root, "provision",
	    "[{\"mode\":\"system\",\"script\":\"#!/bin/sh\\necho "
	    "hi\\n\"},{\"mode\":\"data\",\"content\":\"hello\",\"overwrite\":"
	    "false,\"owner\":\"alice:alice\",\"path\":\"/etc/"
	    "motd\",\"permissions\":\"600\"},{\"mode\":\"yq\",\"owner\":\"root:"
	    "root\",\"path\":\"/etc/"
	    "app.json\",\"permissions\":\"644\",\"expression\":\".a = "
	    "1\",\"format\":\"json\"},{\"mode\":\"dependency\","
	    "\"skipDefaultDependencyResolution\":true,\"script\":\"#!/bin/"
	    "sh\\ntrue\\n\"}]");
	te_json(root, "probes",
	    "[{\"mode\":\"readiness\",\"description\":\"ready\",\"script\":\"#!"
	    "/bin/sh\\ntest -e /run/ready\\n\",\"hint\":\"wait longer\"}]");
	te_json(root, "copyToHost",
	    "[{\"guest\":\"/etc/rancher/k3s/k3s.yaml\",\"host\":\"/nonexistent/"
	    "lima/test/copied-from-guest/"
	    "kubeconfig.yaml\",\"deleteOnStop\":true}]");
	te_json(root, "additionalDisks",
	    "[{\"name\":\"data\"},{\"name\":\"scratch\",\"format\":false,"
	    "\"fsType\":\"xfs\",\"fsArgs\":[\"-m\",\"0\"]}]");
	te_json(root, "dns", "[\"1.1.1.1\",\"2606:4700:4700::1111\"]");
	te_json(root, "env",
	    "{\"FOO\":\"bar\",\"http_proxy\":\"http://proxy:3128\"}");
	te_json(root, "message", "\"Hello from {{.Name}}\\n\"");
	te_json(root, "minimumLimaVersion", "\"1.1.0\"");
	node_free(root);
	config_free(cfg);
}

/* Filling is idempotent: emit, load the emitted YAML, emit again. */
static void
test_round_trip(const struct config_env *env)
{
	struct lima_config *a, *b = NULL;
	struct node *na, *nb = NULL;
	char *yaml, *cause = NULL;

	a = tc_ok(env,
	    TC_IMAGE "mounts: [{location: \"~\"}, {location: /srv/w, writable: "
		     "true}]\nportForwards: [{guestPort: 80}]\nnetworks: "
		     "[{lima: user-v2}]\nprovision: [{mode: data, path: /x, "
		     "content: y}]\nprobes: [{script: \"#!/bin/sh\"}]\n");
	if (a == NULL) {
		ok(0, "round trip source loads");
		return;
	}
	na = config_to_node(a);
	yaml = node_to_yaml(na);
	b = config_load_buf(env, yaml, strlen(yaml), "lima.yaml", 0, &cause);
	ok(b != NULL, "the emitted config loads again");
	if (b == NULL)
		printf("# %s\n", cause);
	free(cause);
	if (b != NULL) {
		nb = config_to_node(b);
		ok(node_equal(na, nb), "and fills to the same config");
		ok(!tc_warned(b, "unknown field"), "without unknown fields");
	}
	node_free(na);
	node_free(nb);
	free(yaml);
	config_free(a);
	config_free(b);
}

int
main(void)
{
	struct config_env env;

	tc_env(&env);
	test_minimal(&env);
	test_full(&env);
	test_round_trip(&env);
	config_env_free(&env);
	return done_testing();
}
