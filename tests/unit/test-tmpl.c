/* clima: unit tests for template locators and the template search path. */
/*
 * Covers template:NAME lookup order and naming rules, local paths,
 * file://, stdin, disk image locators, github: rewriting and http(s)
 * against a small HTTP server forked by the test itself.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"
#include "tests/tap.h"

#define DATA TMPL_TEST_DATA
#define S(s) ((s) != NULL ? (s) : "(null)")

/* Reads locator; returns the error text or NULL on success. */
static char *
read_err(const char *locator, const struct tmpl_dirs *dirs)
{
	struct tmpl *t;
	char *cause = NULL;

	t = tmpl_read(locator, dirs, &cause);
	tmpl_free(t);
	return cause;
}

/* 1 if the error for locator contains want. */
static int
err_has(const char *locator, const struct tmpl_dirs *dirs, const char *want)
{
	char *cause = read_err(locator, dirs);
	int ok = cause != NULL && strstr(cause, want) != NULL;

	if (!ok)
		printf("#   error: %s\n", cause != NULL ? cause : "(none)");
	free(cause);
	return ok;
}

/* The scalar at path in t's YAML, copied (or NULL). */
static char *
get(const struct tmpl *t, const char *path)
{
	struct node *doc;
	const char *s;
	char *cause = NULL, *out = NULL;

	if (t == NULL)
		return NULL;
	if ((doc = node_from_yaml(t->bytes, t->len, "t", &cause)) == NULL) {
		printf("#   parse: %s\n", cause);
		free(cause);
		return NULL;
	}
	if ((s = node_get_str(node_get_path(doc, path))) != NULL)
		out = xstrdup(s);
	node_free(doc);
	return out;
}

static void
is_get(const struct tmpl *t, const char *path, const char *want)
{
	char *got = get(t, path);

	is_str(got, want, "%s is %s", path, want != NULL ? want : "unset");
	free(got);
}

static void
test_paths(void)
{
	char *s, *cause = NULL;
	int cmp = 0;

	s = tmpl_path_clean("a//b/./c/../d/");
	is_str(s, "a/b/d", "path clean");
	free(s);
	s = tmpl_path_clean("/../x/..");
	is_str(s, "/", "path clean at the root");
	free(s);
	s = tmpl_path_clean("../../a");
	is_str(s, "../../a", "path clean keeps leading ..");
	free(s);
	s = tmpl_base_path("template:_images/ubuntu", &cause);
	is_str(s, "template:_images", "base path of template:_images/ubuntu");
	free(s);
	s = tmpl_base_path("template:default", &cause);
	is_str(s, "template:", "base path of template:default");
	free(s);
	s = tmpl_base_path("https://h.example/d/x.yaml?q=1", &cause);
	is_str(s, "https://h.example/d", "base path of an URL");
	free(s);
	s = tmpl_abs_locator("b.yaml", "template:", &cause);
	is_str(s, "template:b.yaml", "relative to template:");
	free(s);
	s = tmpl_abs_locator("sub/b.yaml", "https://h.example/d", &cause);
	is_str(s, "https://h.example/d/sub/b.yaml", "relative to an URL");
	free(s);
	s = tmpl_abs_locator("./b.yaml", "/x/y", &cause);
	is_str(s, "/x/y/b.yaml", "relative to a directory");
	free(s);
	s = tmpl_abs_locator("github:o/r", "/x", &cause);
	is_str(s, "github:o/r", "a locator with a scheme is kept");
	free(s);
	ok(tmpl_semver_cmp("2.0.0", "1.10.3", &cmp) == 0 && cmp > 0,
	    "semver 2.0.0 > 1.10.3");
	ok(tmpl_semver_cmp("2.0.0-beta.1", "2.0.0", &cmp) == 0 && cmp < 0,
	    "semver pre-release < release");
	ok(tmpl_semver_cmp("v1.1", "1.1.0", &cmp) == 0 && cmp == 0,
	    "semver v1.1 == 1.1.0");
	ok(tmpl_semver_cmp("x", "1.0.0", &cmp) == -1, "semver garbage");
}

static void
test_search(void)
{
	const char *share[] = { DATA "/search/share" };
	struct tmpl_dirs *d;
	struct tmpl *t;
	char **names, *cause = NULL, *path;
	size_t n;

	unsetenv("LIMA_TEMPLATES_PATH");
	d = tmpl_dirs_new(DATA "/search/home", share, 1);
	is_int(d->ndirs, 2, "search path: _templates and share");
	is_str(d->dirs[0], DATA "/search/home/_templates", "_templates first");

	t = tmpl_read("template:foo", d, &cause);
	ok(t != NULL, "template:foo found");
	is_get(t, "cpus", "2");
	is_str(t != NULL ? t->name : NULL, "foo", "instance name foo");
	is_str(t != NULL ? t->locator : NULL, "template:foo", "locator kept");
	is_str(t != NULL ? t->location : NULL,
	    DATA "/search/home/_templates/foo.yaml", "location");
	tmpl_free(t);

	t = tmpl_read("template://foo", d, &cause);
	ok(t != NULL && t->nwarnings == 1 &&
		strstr(t->warnings[0],
		    "should be written `template:foo` since "
		    "Lima v2.0") != NULL,
	    "template:// warns");
	is_str(t != NULL ? t->locator : NULL, "template:foo",
	    "template:// rewritten");
	tmpl_free(t);

	t = tmpl_read("template:ubuntu-24.04", d, &cause);
	is_get(t, "cpus", "24");
	is_str(t != NULL ? t->name : NULL, "ubuntu-24.04",
	    ".yaml appended after a digit extension");
	tmpl_free(t);
	t = tmpl_read("template:x.yml", d, &cause);
	is_get(t, "cpus", "7");
	is_str(t != NULL ? t->name : NULL, "x", "x.yml is a file name");
	tmpl_free(t);
	t = tmpl_read("template:sub/deep", d, &cause);
	is_str(t != NULL ? t->name : NULL, "deep", "name of template:sub/deep");
	tmpl_free(t);
	ok(err_has("template:x", d, "template `x.yaml` not found"),
	    "not found");
	ok(err_has("template:../search/share/foo", d, "must not contain `..`"),
	    ".. rejected");
	ok(err_has("template:sub/../foo", d, "must not contain `..`"),
	    ".. rejected inside");

	names = tmpl_list(d, &n);
	is_int(n, 6, "six templates listed");
	if (n == 6) {
		is_str(names[0], "_images/img", "list 0");
		is_str(names[1], "foo", "list 1 (once)");
		is_str(names[2], "onlyhome", "list 2");
		is_str(names[3], "sub/deep", "list 3");
		is_str(names[4], "sub/sibling", "list 4");
		is_str(names[5], "ubuntu-24.04", "list 5");
	}
	tmpl_list_free(names, n);
	path = tmpl_find(d, "ubuntu-24.04");
	is_str(path, DATA "/search/share/ubuntu-24.04.yaml", "tmpl_find");
	free(path);
	tmpl_dirs_free(d);

	/* without _templates, the share directory answers */
	d = tmpl_dirs_new(NULL, share, 1);
	t = tmpl_read("template:foo", d, &cause);
	is_get(t, "cpus", "3");
	tmpl_free(t);
	ok(err_has("template:onlyhome", d, "not found"), "home not searched");
	tmpl_dirs_free(d);

	/* LIMA_TEMPLATES_PATH replaces both */
	setenv("LIMA_TEMPLATES_PATH",
	    DATA "/search/path1::" DATA "/search/share", 1);
	d = tmpl_dirs_new(DATA "/search/home", share, 1);
	is_int(d->ndirs, 2, "LIMA_TEMPLATES_PATH: two dirs");
	t = tmpl_read("template:foo", d, &cause);
	is_get(t, "cpus", "1");
	tmpl_free(t);
	ok(err_has("template:onlyhome", d, "not found"),
	    "LIMA_TEMPLATES_PATH hides _templates");
	tmpl_dirs_free(d);
	unsetenv("LIMA_TEMPLATES_PATH");
}

static void
test_files(void)
{
	struct tmpl *t;
	char cwd[PATH_MAX], *cause = NULL;
	int fds[2], saved;

	ok(getcwd(cwd, sizeof cwd) != NULL && chdir(DATA) == 0, "chdir");
	t = tmpl_read("plain.yaml", NULL, &cause);
	is_str(t != NULL ? t->locator : NULL, DATA "/plain.yaml",
	    "a relative path becomes absolute");
	is_str(t != NULL ? t->name : NULL, "plain", "name from the file");
	tmpl_free(t);
	t = tmpl_read("./chain/../Plain.Yaml", NULL, &cause);
	ok(t == NULL && strstr(cause, "open " DATA "/Plain.Yaml") != NULL,
	    "missing file: %s", S(cause));
	free(cause);
	cause = NULL;
	ok(chdir(cwd) == 0, "chdir back");

	t = tmpl_read("file://" DATA "/chain/c.yaml", NULL, &cause);
	is_get(t, "disk", "10GiB");
	is_str(t != NULL ? t->name : NULL, "c", "file:// name");
	is_str(t != NULL ? t->location : NULL, DATA "/chain/c.yaml",
	    "file:// location");
	tmpl_free(t);
	ok(err_has("file://chain/c.yaml", NULL, "is not an absolute path"),
	    "file:// relative");
	ok(err_has("foo:bar", NULL,
	       "don't know how to interpret `foo:bar` as a template locator"),
	    "unknown scheme");
	ok(err_has("c:nothing.yaml", NULL, "open "), "c: is a path");

	/* stdin */
	saved = dup(0);
	ok(pipe(fds) == 0, "pipe");
	ok(write(fds[1], "cpus: 9\n", 8) == 8, "write");
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	t = tmpl_read("-", NULL, &cause);
	dup2(saved, 0);
	close(saved);
	is_get(t, "cpus", "9");
	ok(t != NULL && t->name == NULL, "stdin has no name");
	ok(t != NULL && tmpl_need_name(t, &cause) == -1 &&
		strcmp(cause,
		    "can't determine instance name from template "
		    "locator `-`") == 0,
	    "tmpl_need_name");
	free(cause);
	cause = NULL;
	tmpl_free(t);
}

static void
test_names(void)
{
	char *s;

	s = tmpl_name_from_path("Foo.YAML");
	is_str(s, "foo", "name lowercased, .yaml stripped");
	free(s);
	s = tmpl_name_from_path("x/ubuntu-24.04.yml");
	is_str(s, "ubuntu-24.04", "name from .yml");
	free(s);
	s = tmpl_name_from_path("a.yaml.yaml");
	ok(s == NULL, "a.yaml.yaml has no name");
	free(s);
	s = tmpl_name_from_path("-x.yaml");
	ok(s == NULL, "-x has no name");
	free(s);
	ok(tmpl_valid_name("a.b_c-1"), "valid name");
	ok(!tmpl_valid_name("a..b") && !tmpl_valid_name("a_") &&
		!tmpl_valid_name(""),
	    "invalid names");
}

static void
check_image_name(const char *file, const char *arch, const char *want)
{
	char *s = tmpl_name_from_image(file, arch);

	is_str(s, want, "image name of %s", file);
	free(s);
}

static void
test_images(void)
{
	const char *host = tmpl_host_arch();
	struct tmpl *t;
	char cwd[PATH_MAX], *cause = NULL, *file;
	const char *want;

	check_image_name("linux.iso.bz2", "unknown", "linux");
	check_image_name(
	    "linux-linux_cloudimg.base-x86_64.raw", "unknown", "linux-x86_64");
	check_image_name("nocloud_linux-x86_64.raw", "unknown", "linux-x86_64");
	check_image_name("linux-20250101.raw", "unknown", "linux");
	check_image_name("linux-20250101-2000.raw", "unknown", "linux");
	check_image_name("linux-20250101.0.raw", "unknown", "linux");
	check_image_name("arch-aarch64.raw", "unknown", "archlinux-aarch64");
	check_image_name("my-arch-aarch64.raw", "unknown", "my-arch-aarch64");
	check_image_name("rocky-8-8.10.raw", "unknown", "rocky-8.10");
	check_image_name("rocky-8-9.10.raw", "unknown", "rocky-8-9.10");
	check_image_name("Arch-Linux-x86_64-cloudimg-20260515.530093.qcow2",
	    "unknown", "archlinux-x86_64");
	check_image_name("Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2",
	    "unknown", "fedora-43-1.6.x86_64");
	xasprintf(&file, "linux_cloudimg.base-%s.qcow2.gz", host);
	check_image_name(file, host, "linux");
	free(file);

	t = tmpl_read("/img/debian-12-genericcloud-amd64-20250316-2053.qcow2",
	    NULL, &cause);
	ok(t != NULL, "image locator");
	want = strcmp(host, "x86_64") == 0 ? "debian-12" : "debian-12-amd64";
	is_str(t != NULL ? t->name : NULL, want, "debian image name");
	is_get(t, "os", "Linux");
	is_get(t, "arch", "x86_64");
	is_get(t, "images.0.location",
	    "/img/debian-12-genericcloud-amd64-20250316-2053.qcow2");
	is_get(t, "images.0.arch", "x86_64");
	ok(t != NULL && t->nwarnings == 0, "arch known: no warning");
	tmpl_free(t);

	t = tmpl_read("https://cloud-images.ubuntu.com/releases/noble/release/"
		      "ubuntu-24.04-server-cloudimg-arm64.img",
	    NULL, &cause);
	want = strcmp(host, "aarch64") == 0 ? "ubuntu-24.04"
					    : "ubuntu-24.04-arm64";
	is_str(t != NULL ? t->name : NULL, want, "ubuntu image name");
	is_get(t, "images.0.arch", "aarch64");
	is_get(t, "images.0.location",
	    "https://cloud-images.ubuntu.com/"
	    "releases/noble/release/ubuntu-24.04-server-cloudimg-arm64.img");
	tmpl_free(t);

	ok(getcwd(cwd, sizeof cwd) != NULL && chdir(DATA) == 0, "chdir");
	t = tmpl_read("disks/Alpine.qcow2.zst", NULL, &cause);
	is_get(t, "images.0.location", DATA "/disks/Alpine.qcow2.zst");
	is_get(t, "arch", host);
	is_str(t != NULL ? t->name : NULL, "alpine", "alpine image name");
	ok(t != NULL && t->nwarnings == 1 &&
		strstr(t->warnings[0], "cannot determine image arch") != NULL,
	    "unknown arch warns");
	tmpl_free(t);
	ok(chdir(cwd) == 0, "chdir back");
	t = tmpl_read("/x/not-an-image.img.tar", NULL, &cause);
	ok(t == NULL && strstr(cause, "open /x/not-an-image.img.tar") != NULL,
	    "not an image suffix");
	free(cause);
}

static void
check_github(const char *locator, const char *want)
{
	char *cause = NULL, *url;

	url = tmpl_github_url(locator, &cause);
	is_str(url, want, "%s", locator);
	free(url);
	free(cause);
}

static void
test_github(void)
{
	char *cause = NULL;

#define RAW "https://raw.githubusercontent.com/"
	check_github("github:lima-vm", RAW "lima-vm/lima-vm/HEAD/.lima.yaml");
	check_github("github:lima-vm/lima/templates/docker@v1.0.0",
	    RAW "lima-vm/lima/v1.0.0/templates/docker.yaml");
	check_github("github:org//dir/", RAW "org/org/HEAD/dir/.lima.yaml");
	check_github("github:o/r/f.yml", RAW "o/r/HEAD/f.yml");
	check_github("github:o/r/.hidden", RAW "o/r/HEAD/.hidden.yaml");
#undef RAW
	ok(tmpl_github_url("github:", &cause) == NULL &&
		strstr(cause, "at least an ORG") != NULL,
	    "github: without ORG");
	free(cause);
}

/* Canned answers of the test HTTP server, by request path. */
static void
http_answer(int fd, const char *path)
{
	static char big[64 * 1024];
	const char *body = NULL, *status = "200 OK";
	char head[256];
	size_t i;
	int n;

	if (strcmp(path, "/t/top.yaml") == 0 ||
	    strcmp(path, "/t/top.yaml?x=1") == 0)
		body = "cpus: 3\nbase: b.yaml\n";
	else if (strcmp(path, "/t/b.yaml") == 0)
		body = "memory: 3GiB\nbase: sub/c.yaml\n";
	else if (strcmp(path, "/t/sub/c.yaml") == 0)
		body = "disk: 33GiB\n";
	else if (strcmp(path, "/big.yaml") == 0) {
		memset(big, '#', sizeof big);
		n = snprintf(head, sizeof head,
		    "HTTP/1.0 200 OK\r\n"
		    "Content-Length: %d\r\n\r\n",
		    TMPL_MAX_BYTES + 1);
		if (write(fd, head, n) != n)
			return;
		for (i = 0; i <= TMPL_MAX_BYTES / sizeof big; i++) {
			if (write(fd, big, sizeof big) != (ssize_t)sizeof big)
				return;
		}
		return;
	} else {
		status = "404 Not Found";
		body = "nope\n";
	}
	n = snprintf(head, sizeof head,
	    "HTTP/1.0 %s\r\nContent-Length: %zu"
	    "\r\nConnection: close\r\n\r\n",
	    status, strlen(body));
	if (write(fd, head, n) == n)
		(void)!write(fd, body, strlen(body));
}

/* A forked HTTP/1.0 server on 127.0.0.1; returns its pid. */
static pid_t
http_start(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	char req[4096], path[1024];
	ssize_t n;
	size_t got;
	pid_t pid;
	int s, c;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s == -1 || bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(s, 16) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			continue;
		got = 0;
		while (got < sizeof req - 1 &&
		    (n = read(c, req + got, sizeof req - 1 - got)) > 0) {
			got += n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[got] = '\0';
		if (sscanf(req, "GET %1023s", path) == 1)
			http_answer(c, path);
		close(c);
	}
}

static void
test_http(void)
{
	struct tmpl *t;
	char url[256], *cause = NULL;
	pid_t pid;
	int port;

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	if ((pid = http_start(&port)) == -1) {
		ok(0, "http server");
		return;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d/t/top.yaml?x=1", port);
	t = tmpl_read(url, NULL, &cause);
	ok(t != NULL, "http GET: %s", S(cause));
	is_get(t, "cpus", "3");
	is_str(t != NULL ? t->name : NULL, "top", "name from the URL path");
	ok(t != NULL && tmpl_embed(t, NULL, 1, 0, NULL, &cause) == 0,
	    "embed relative bases over http: %s", S(cause));
	is_get(t, "memory", "3GiB");
	is_get(t, "disk", "33GiB");
	tmpl_free(t);
	free(cause);
	cause = NULL;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/missing.yaml", port);
	ok(err_has(url, NULL, "unexpected HTTP status 404"), "http 404");
	snprintf(url, sizeof url, "http://127.0.0.1:%d/big.yaml", port);
	ok(err_has(url, NULL, "exceeds the size limit"), "http size limit");

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	test_paths();
	test_search();
	test_files();
	test_names();
	test_images();
	test_github();
	test_http();
	return done_testing();
}
