/* clima: libFuzzer target for the whole lima.yaml pipeline. */
/*
 * Feeds the bytes to config_load_buf (parse, merge, defaults, templates,
 * validation) with a fixed host and no LIMA_HOME, then emits the result
 * as a node tree and JSON, so that every pass sees hostile input.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_env(struct config_env *env)
{
	memset(env, 0, sizeof *env);
	env->name = strdup("fuzz");
	env->instance_dir = strdup("/nonexistent/lima/fuzz");
	env->host_user = strdup("fuzzer");
	env->host_comment = strdup("Fuzzer");
	env->host_home = strdup("/nonexistent/home/fuzzer");
	env->host_uid = 1000;
	env->host_ncpu = 4;
	env->host_memory = 8ULL << 30;
	env->host_arch = strdup("x86_64");
	env->host_timezone = strdup("UTC");
	env->machine_id = strdup("00000000000000000000000000000000");
	env->tmpdir = strdup("/tmp");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_env env;
	static int ready;
	struct lima_config *cfg;
	struct node *n;
	const char *const *w;
	char *cause = NULL, *json;
	size_t nw;

	if (!ready) {
		fuzz_env(&env);
		ready = 1;
	}
	cfg = config_load_buf(
	    &env, (const char *)data, size, "lima.yaml", CONFIG_WARN, &cause);
	if (cfg == NULL) {
		free(cause);
		return 0;
	}
	w = config_warnings(cfg, &nw);
	(void)w;
	n = config_to_node(cfg);
	json = node_to_json(n, 0);
	free(json);
	node_free(n);
	config_free(cfg);
	return 0;
}
