/* clima: helpers shared by the config unit tests. */
/*
 * A fixed struct config_env (so defaults do not depend on the machine
 * running the tests), loaders for inline YAML and fixtures under
 * tests/data/yaml, and checks on the causes and warnings of a load.
 */
#ifndef TESTS_UNIT_TEST_CONFIG_H
#define TESTS_UNIT_TEST_CONFIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "tests/tap.h"

#define TC_IMAGE "images: [{location: \"https://example.com/x.img\"}]\n"

static __attribute__((__unused__)) void
tc_env(struct config_env *env)
{
	memset(env, 0, sizeof *env);
	env->lima_home = xstrdup("/nonexistent/lima");
	env->name = xstrdup("test");
	env->instance_dir = xstrdup("/nonexistent/lima/test");
	env->host_user = xstrdup("alice");
	env->host_comment = xstrdup("Alice Liddell");
	env->host_home = xstrdup("/home/alice");
	env->host_uid = 501;
	env->host_ncpu = 8;
	env->host_memory = 16ULL << 30;
	env->host_arch = xstrdup("x86_64");
	env->host_timezone = xstrdup("Europe/Berlin");
	env->machine_id = xstrdup("0123456789abcdef0123456789abcdef");
	env->tmpdir = xstrdup("/var/tmp/alice");
	env->host_kvm = 1;
}

/* Loads inline YAML as lima.yaml; *cause is the caller's on failure. */
static __attribute__((__unused__)) struct lima_config *
tc_load(const struct config_env *env, const char *yaml, char **cause)
{
	*cause = NULL;
	return config_load_buf(
	    env, yaml, strlen(yaml), "lima.yaml", CONFIG_WARN, cause);
}

/* Path of a fixture; the caller's. */
static __attribute__((__unused__)) char *
tc_fixture(const char *name)
{
	const char *top = getenv("top_srcdir");
	char *path;

	xasprintf(
	    &path, "%s/tests/data/yaml/%s", top != NULL ? top : ".", name);
	return path;
}

/* Does the load of yaml fail with a cause containing want? */
static __attribute__((__unused__)) int
tc_fails_with(const struct config_env *env, const char *yaml, const char *want)
{
	struct lima_config *cfg;
	char *cause = NULL;
	int rc;

	cfg = tc_load(env, yaml, &cause);
	if (cfg != NULL) {
		printf("# loaded, wanted an error with \"%s\"\n", want);
		config_free(cfg);
		return 0;
	}
	rc = cause != NULL && strstr(cause, want) != NULL;
	if (!rc)
		printf("# cause: %s\n# want:  %s\n", cause ? cause : "(null)",
		    want);
	free(cause);
	return rc;
}

/* Does the load of yaml succeed? Prints the cause if not. */
static __attribute__((__unused__)) struct lima_config *
tc_ok(const struct config_env *env, const char *yaml)
{
	struct lima_config *cfg;
	char *cause = NULL;

	if ((cfg = tc_load(env, yaml, &cause)) == NULL) {
		printf("# unexpected failure: %s\n", cause);
		free(cause);
	}
	return cfg;
}

/* Is there a warning containing want? (quietly) */
static __attribute__((__unused__)) int
tc_warned(const struct lima_config *cfg, const char *want)
{
	const char *const *w;
	size_t n, i;

	w = config_warnings(cfg, &n);
	for (i = 0; i < n; i++) {
		if (strstr(w[i], want) != NULL)
			return 1;
	}
	return 0;
}

/* Is there a warning containing want? */
static __attribute__((__unused__)) int
tc_has_warning(const struct lima_config *cfg, const char *want)
{
	const char *const *w;
	size_t n, i;

	if (cfg == NULL)
		return 0;
	w = config_warnings(cfg, &n);
	for (i = 0; i < n; i++) {
		if (strstr(w[i], want) != NULL)
			return 1;
	}
	printf("# no warning with \"%s\" among %zu:\n", want, n);
	for (i = 0; i < n; i++)
		printf("#   %s\n", w[i]);
	return 0;
}

#endif
