/* clima: unit tests for base template embedding. */
/*
 * Base chains and each merge rule, loop and digest errors, file:
 * inlining, absolute locators, combineListEntries with "*", template:
 * bases, the user's default base, and every shipped template.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tests/tap.h"

#define DATA TMPL_TEST_DATA
#define S(s) ((s) != NULL ? (s) : "(null)")

static struct node *
parse(const struct tmpl *t)
{
	struct node *doc;
	char *cause = NULL;

	if (t == NULL)
		return NULL;
	if ((doc = node_from_yaml(t->bytes, t->len, "t", &cause)) == NULL) {
		printf("#   parse: %s\n", cause);
		free(cause);
	}
	return doc;
}

static struct tmpl *
from_str(const char *locator, const char *s)
{
	return tmpl_from_bytes(locator, s, strlen(s));
}

/* Reads and embeds locator; NULL (and a diagnostic) on failure. */
static struct tmpl *
embed(const char *locator, const struct tmpl_dirs *d, int all)
{
	struct tmpl *t;
	char *cause = NULL;

	if ((t = tmpl_read(locator, d, &cause)) == NULL ||
	    tmpl_embed(t, d, all, 0, NULL, &cause) != 0) {
		printf("#   %s: %s\n", locator, cause);
		free(cause);
		tmpl_free(t);
		return NULL;
	}
	return t;
}

/* The error from embedding locator, or NULL. */
static char *
embed_err(const char *locator, const struct tmpl_dirs *d, int all)
{
	struct tmpl *t;
	char *cause = NULL;

	if ((t = tmpl_read(locator, d, &cause)) != NULL &&
	    tmpl_embed(t, d, all, 0, NULL, &cause) == 0)
		cause = NULL;
	tmpl_free(t);
	return cause;
}

static void
is_path(const struct node *doc, const char *path, const char *want)
{
	const char *got = node_get_str(node_get_path(doc, path));

	is_str(got, want, "%s", path);
}

static size_t
count(const struct node *doc, const char *path)
{
	const struct node *n = node_get_path(doc, path);

	if (n == NULL || n->kind != NODE_SEQ)
		return (size_t)-1;
	return n->nitems;
}

static void
test_plain(void)
{
	struct tmpl *t;
	char *orig;
	size_t len;

	t = tmpl_read(DATA "/plain.yaml", NULL, NULL);
	orig = xstrdup(t->bytes);
	len = t->len;
	tmpl_free(t);
	t = embed(DATA "/plain.yaml", NULL, 1);
	ok(t != NULL && t->len == len && memcmp(t->bytes, orig, len) == 0,
	    "nothing to embed: bytes kept as they were");
	tmpl_free(t);
	free(orig);
}

static void
test_chain(void)
{
	struct tmpl *t;
	struct node *doc;
	char *cause;

	t = embed(DATA "/chain/a.yaml", NULL, 0);
	doc = parse(t);
	ok(doc != NULL, "a -> b -> c embeds");
	ok(node_map_get(doc, "base") == NULL, "base removed");
	is_path(doc, "cpus", "4");
	is_path(doc, "memory", "2GiB");
	is_path(doc, "disk", "10GiB");
	is_int(count(doc, "images"), 3, "images appended");
	is_path(doc, "images.0.location", "/a.img");
	is_path(doc, "images.1.location", "/b.img");
	is_path(doc, "images.2.location", "/c.img");
	is_int(count(doc, "provision"), 3, "provision merged");
	is_path(doc, "provision.0.script", "#!/bin/sh\necho c\n");
	is_path(doc, "provision.1.script", "#!/bin/sh\necho b\n");
	is_path(doc, "provision.2.script", "#!/bin/sh\necho a\n");
	is_int(count(doc, "probes"), 1, "probes copied from b");
	is_int(count(doc, "dns"), 1, "dns of the base ignored");
	is_path(doc, "dns.0", "1.1.1.1");
	is_int(count(doc, "mountTypesUnsupported"), 3,
	    "mountTypesUnsupported de-duplicated");
	is_path(doc, "mountTypesUnsupported.0", "9p");
	is_path(doc, "mountTypesUnsupported.1", "virtiofs");
	is_path(doc, "mountTypesUnsupported.2", "reverse-sshfs");
	is_path(doc, "minimumLimaVersion", "1.1.0");
	is_path(doc, "vmOpts.qemu.minimumVersion", "9.1.0");
	is_path(doc, "env.A", "a");
	is_path(doc, "env.B", "b");
	is_path(doc, "ssh.forwardAgent", "true");
	is_path(doc, "ssh.localPort", "2222");
	ok(node_map_get(doc, "timezone") != NULL &&
		node_is_null(node_map_get(doc, "timezone")),
	    "a null in the template is kept");
	node_free(doc);
	tmpl_free(t);

	t = embed(DATA "/chain/map.yaml", NULL, 0);
	doc = parse(t);
	is_path(doc, "disk", "10GiB");
	is_path(doc, "cpus", "1");
	ok(node_map_get(doc, "base") == NULL, "{url} base embedded");
	node_free(doc);
	tmpl_free(t);

	cause = embed_err(DATA "/chain/digest.yaml", NULL, 1);
	ok(cause != NULL &&
		strstr(cause,
		    "has specified a digest; digest "
		    "support is not yet implemented") != NULL,
	    "digest: %s", S(cause));
	free(cause);
	cause = embed_err(DATA "/chain/missing.yaml", NULL, 1);
	ok(cause != NULL &&
		strstr(cause, "open " DATA "/chain/does-not-exist.yaml") !=
		    NULL,
	    "missing base: %s", S(cause));
	free(cause);
}

static void
test_loops(void)
{
	char *cause;

	cause = embed_err(DATA "/loop/a.yaml", NULL, 1);
	ok(cause != NULL &&
		strstr(cause, "base template loop detected") != NULL,
	    "a -> b -> a: %s", S(cause));
	ok(cause != NULL &&
		strstr(cause,
		    "(`" DATA "/loop/a.yaml` -> `" DATA
		    "/loop/b.yaml` -> `" DATA "/loop/a.yaml`)") != NULL,
	    "the chain is named");
	free(cause);
	cause = embed_err(DATA "/loop/self.yaml", NULL, 1);
	ok(cause != NULL &&
		strstr(cause, "base template loop detected") != NULL,
	    "self loop: %s", S(cause));
	free(cause);
}

static void
test_scripts(void)
{
	struct tmpl *t;
	struct node *doc, *p;

	t = embed(DATA "/scripts/s.yaml", NULL, 0);
	doc = parse(t);
	is_path(doc, "provision.0.script", "#!/bin/sh\necho setup\n");
	p = node_get_path(doc, "provision.0");
	ok(p != NULL && p->npairs == 2 &&
		strcmp(p->pairs[1].key, "script") == 0 &&
		node_map_get(p, "file") == NULL,
	    "file: renamed to script:");
	is_path(doc, "provision.1.content", "FOO=bar\n");
	ok(node_get_path(doc, "provision.1.file") == NULL,
	    "data file inlined as content");
	is_path(doc, "provision.2.script", "#!/bin/sh\necho keep\n");
	is_path(doc, "provision.2.file", DATA "/scripts/setup.sh");
	is_path(doc, "probes.0.script", "#!/bin/sh\ntest -e /tmp/ready\n");
	p = node_get_path(doc, "probes.0");
	ok(p != NULL && p->npairs == 2, "empty script: replaced, not doubled");
	node_free(doc);
	tmpl_free(t);

	t = embed(DATA "/scripts/base.yaml", NULL, 0);
	doc = parse(t);
	is_path(doc, "provision.0.script", "#!/bin/sh\necho inner\n");
	node_free(doc);
	tmpl_free(t);
}

static void
test_abs(void)
{
	struct tmpl *t;
	struct node *doc;
	char *cause = NULL, *want;
	const char *home = getenv("HOME");
	int r;

	t = tmpl_read(DATA "/rel/sub/ok.yaml", NULL, &cause);
	ok(t != NULL && tmpl_use_abs_locators(t, &cause) == 0,
	    "tmpl_use_abs_locators");
	doc = parse(t);
	is_path(doc, "base.0", DATA "/rel/sub/ok-base.yaml");
	is_path(doc, "base.1", "https://example.com/t/remote.yaml");
	xasprintf(&want, "%s/home-base.yaml", home != NULL ? home : "");
	is_path(doc, "base.2", home != NULL ? want : NULL);
	free(want);
	is_path(doc, "base.3", "template:default");
	is_path(doc, "provision.0.file", DATA "/rel/sub/scripts/p.sh");
	is_path(doc, "probes.0.file.url", DATA "/rel/sub/probe.sh");
	node_free(doc);
	tmpl_free(t);

	t = tmpl_read(DATA "/rel/sub/bad.yaml", NULL, &cause);
	r = t != NULL ? tmpl_use_abs_locators(t, &cause) : 0;
	ok(r == -1 &&
		strstr(cause, "must not contain '..' path segments") != NULL,
	    "../ rejected: %s", S(cause));
	free(cause);
	tmpl_free(t);

	cause = NULL;
	t = from_str(NULL, "base: x.yaml\n");
	r = tmpl_embed(t, NULL, 1, 0, NULL, &cause);
	ok(r == -1 && strstr(cause, "reading template from STDIN") != NULL,
	    "stdin: %s", S(cause));
	free(cause);
	tmpl_free(t);
}

static void
test_combine(void)
{
	struct tmpl *t;
	struct node *doc;

	t = embed(DATA "/combine/c.yaml", NULL, 1);
	doc = parse(t);
	is_int(count(doc, "additionalDisks"), 2, "disks combined");
	is_path(doc, "additionalDisks.0.name", "data");
	is_path(doc, "additionalDisks.0.format", "true");
	is_path(doc, "additionalDisks.0.fsType", "ext4");
	is_path(doc, "additionalDisks.0.fsArgs.1", "x");
	is_path(doc, "additionalDisks.1.name", "other");
	is_path(doc, "additionalDisks.1.fsArgs.0", "-L");

	is_int(count(doc, "mounts"), 2, "mounts combined");
	is_path(doc, "mounts.0.location", "~");
	is_path(doc, "mounts.0.writable", "true");
	is_path(doc, "mounts.0.9p.cache", "mmap");
	is_path(doc, "mounts.0.sshfs.followSymlinks", "true");
	ok(node_get_path(doc, "mounts.0.mountPoint") == NULL,
	    "a * mountPoint is not copied");
	is_path(doc, "mounts.1.location", "/tmp/x");
	is_path(doc, "mounts.1.writable", "false");
	is_path(doc, "mounts.1.sshfs.cache", "false");
	is_path(doc, "mounts.1.sshfs.followSymlinks", "true");

	is_int(count(doc, "networks"), 2, "networks combined");
	is_path(doc, "networks.0.lima", "user-v2");
	ok(node_get_path(doc, "networks.0.socket") == NULL,
	    "socket not added next to lima");
	is_path(doc, "networks.0.macAddress", "52:55:55:00:00:01");
	is_path(doc, "networks.0.metric", "50");
	is_path(doc, "networks.1.socket", "/a.sock");
	ok(node_get_path(doc, "networks.1.metric") == NULL,
	    "* does not reach later entries");
	node_free(doc);
	tmpl_free(t);
}

static void
test_store(void)
{
	const char *share[] = { DATA "/store" };
	struct tmpl_dirs *d;
	struct tmpl *t;
	struct node *doc;
	char *orig, *cause;
	int r;

	unsetenv("LIMA_TEMPLATES_PATH");
	d = tmpl_dirs_new(NULL, share, 1);
	t = embed("template:default", d, 1);
	doc = parse(t);
	ok(node_map_get(doc, "base") == NULL, "template: bases embedded");
	is_path(doc, "images.0.arch", "aarch64");
	is_path(doc, "mounts.0.location", "~");
	is_path(doc, "cpus", "1");
	node_free(doc);
	tmpl_free(t);

	t = tmpl_read("template:default", d, NULL);
	orig = xstrdup(t->bytes);
	tmpl_free(t);
	t = embed("template:default", d, 0);
	ok(t != NULL && strcmp(t->bytes, orig) == 0,
	    "template: bases kept without embed_all");
	tmpl_free(t);
	free(orig);

	t = embed("template:rel", d, 1);
	doc = parse(t);
	is_path(doc, "images.0.arch", "aarch64");
	node_free(doc);
	tmpl_free(t);

	t = from_str(DATA "/store/x.yaml",
	    "base: [template:_default/mounts, local.yaml]\n");
	cause = NULL;
	r = tmpl_embed(t, d, 0, 0, NULL, &cause);
	ok(r == -1 &&
		strstr(cause,
		    "cannot embed template `" DATA
		    "/store/local.yaml` after not embedding "
		    "`template:_default/mounts`") != NULL,
	    "a local base after a kept template: base: %s", S(cause));
	free(cause);
	tmpl_free(t);

	t = from_str(DATA "/x.yaml", "base: template://_default/mounts\n");
	cause = NULL;
	ok(tmpl_embed(t, d, 1, 0, NULL, &cause) == 0 && t->nwarnings == 1,
	    "a template:// base warns");
	free(cause);
	tmpl_free(t);
	tmpl_dirs_free(d);

	/* the user's _config/base.yaml comes first */
	cause = NULL;
	t = tmpl_read(DATA "/chain/c.yaml", NULL, &cause);
	ok(t != NULL &&
		tmpl_embed(t, NULL, 1, 1, DATA "/search/home", &cause) == 0,
	    "default base");
	doc = parse(t);
	is_path(doc, "disk", "10GiB");
	is_path(doc, "env.FROM_DEFAULT_BASE", "1");
	node_free(doc);
	tmpl_free(t);
}

/* Every shipped template embeds into something with images. */
static void
test_shipped(void)
{
	const char *share[] = { TMPL_TEST_TEMPLATES };
	struct tmpl_dirs *d;
	struct tmpl *t;
	struct node *doc, *images, *img;
	char **names, *loc;
	size_t n, i, j;
	int good;

	unsetenv("LIMA_TEMPLATES_PATH");
	d = tmpl_dirs_new(NULL, share, 1);
	names = tmpl_list(d, &n);
	ok(n >= 20, "shipped templates listed (%zu)", n);
	for (i = 0; i < n; i++) {
		xasprintf(&loc, "template:%s", names[i]);
		t = embed(loc, d, 1);
		doc = parse(t);
		good = doc != NULL && doc->kind == NODE_MAP &&
		    node_map_get(doc, "base") == NULL;
		images = node_map_get(doc, "images");
		if (strncmp(names[i], "_default/", 9) != 0) {
			good = good && images != NULL &&
			    images->kind == NODE_SEQ && images->nitems > 0;
			for (j = 0; good && j < images->nitems; j++) {
				img = images->items[j];
				good = node_get_str(node_map_get(
					   img, "location")) != NULL &&
				    node_get_str(node_map_get(img, "arch")) !=
					NULL;
			}
		}
		ok(good && t->nwarnings == 0, "shipped %s embeds", loc);
		node_free(doc);
		tmpl_free(t);
		free(loc);
	}
	tmpl_list_free(names, n);
	tmpl_dirs_free(d);
}

int
main(void)
{
	test_plain();
	test_chain();
	test_loops();
	test_scripts();
	test_abs();
	test_combine();
	test_store();
	test_shipped();
	return done_testing();
}
