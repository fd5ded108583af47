/* clima: image_download and image_fetch against a local HTTP server. */
/*
 * A forked HTTP/1.0 responder on 127.0.0.1 serves files from a temp
 * directory (with Last-Modified, HEAD, 404 and a redirect); the tests
 * check the cache layout, cache reuse, digest failures, decompression,
 * local sources and image selection.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "image/image-int.h"
#include "tests/tap.h"

#define T_IMG_SIZE   (300 * 1024 + 123)
#define T_HOLE_OFF   ((size_t)128 * 1024)
#define T_HOLE_LEN   ((size_t)128 * 1024)
#define T_DEFAULT_LM "Mon, 01 Jan 2024 00:00:00 GMT"
#define T_REQ_MAX    8192

static char *t_dir;  /* the temp directory */
static char *t_www;  /* what the server serves */
static char *t_base; /* http://127.0.0.1:PORT */
static pid_t t_srv = -1;

/* Whole file, NUL-terminated; NULL if missing. */
static char *
t_read(const char *path, size_t *len)
{
	char *buf = NULL;
	struct stat sb;
	ssize_t n;
	size_t have = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &sb) == 0) {
		buf = xmalloc(sb.st_size + 1);
		while (have < (size_t)sb.st_size &&
		    (n = read(fd, buf + have, sb.st_size - have)) > 0)
			have += n;
		buf[have] = '\0';
	}
	close(fd);
	if (len != NULL)
		*len = have;
	return buf;
}

static void
t_write(const char *path, const void *buf, size_t len)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, len) != (ssize_t)len)
		fatal("write %s", path);
	close(fd);
}

static int
t_same(const char *a, const char *b)
{
	size_t la, lb;
	char *x = t_read(a, &la), *y = t_read(b, &lb);
	int same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

/* <t_dir>/name and <t_dir>/www/name; the caller's. */
static char *
t_tmp(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", t_dir, name);
	return p;
}

static char *
t_www_file(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", t_www, name);
	return p;
}

/* Number of entries in a directory, -1 if it does not exist. */
static int
t_count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Lines in the server's request log equal to "METHOD /path". */
static int
t_requests(const char *line)
{
	char *log, *path, *p;
	size_t len = strlen(line);
	int n = 0;

	path = t_tmp("requests.log");
	log = t_read(path, NULL);
	free(path);
	for (p = log; p != NULL && (p = strstr(p, line)) != NULL; p += len) {
		if ((p == log || p[-1] == '\n') && p[len] == '\n')
			n++;
	}
	free(log);
	return n;
}

/* The server: one connection at a time, HTTP/1.0, Connection: close. */
static void
t_srv_handle(int c)
{
	char req[T_REQ_MAX + 1], method[16], path[1024], *file, *lmfile;
	char *lm, *body = NULL, *head, *logpath, *logline;
	size_t have = 0, blen = 0;
	ssize_t n;

	while (have < T_REQ_MAX) {
		n = read(c, req + have, T_REQ_MAX - have);
		if (n <= 0)
			return;
		have += n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(req, "%15s %1023s", method, path) != 2)
		return;
	xasprintf(&logline, "%s %s\n", method, path);
	logpath = t_tmp("requests.log");
	n = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (n != -1) {
		if (write((int)n, logline, strlen(logline)) == -1)
			_exit(1);
		close((int)n);
	}
	free(logpath);
	free(logline);

	if (strncmp(path, "/redirect/", 10) == 0) {
		xasprintf(&head,
		    "HTTP/1.0 302 Found\r\nLocation: /%s\r\n"
		    "Content-Length: 0\r\n\r\n",
		    path + 10);
		if (write(c, head, strlen(head)) == -1)
			_exit(1);
		free(head);
		return;
	}
	xasprintf(&file, "%s%s", t_www, path);
	if (strstr(path, "..") == NULL)
		body = t_read(file, &blen);
	if (body == NULL) {
		head = xstrdup(
		    "HTTP/1.0 404 Not Found\r\nContent-Type: "
		    "text/plain\r\nContent-Length: 10\r\n\r\nnot found\n");
		if (write(c, head, strlen(head)) == -1)
			_exit(1);
		free(head);
		free(file);
		return;
	}
	xasprintf(&lmfile, "%s.lm", file);
	if ((lm = t_read(lmfile, NULL)) == NULL)
		lm = xstrdup(T_DEFAULT_LM);
	lm[strcspn(lm, "\r\n")] = '\0';
	xasprintf(&head,
	    "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n"
	    "Content-Type: application/octet-stream\r\nLast-Modified: %s\r\n"
	    "\r\n",
	    blen, lm);
	if (write(c, head, strlen(head)) == -1)
		_exit(1);
	if (strcmp(method, "HEAD") != 0) {
		for (have = 0; have < blen; have += n) {
			if ((n = write(c, body + have, blen - have)) <= 0)
				break;
		}
	}
	free(head);
	free(lm);
	free(lmfile);
	free(file);
	free(body);
}

static void
t_srv_start(void)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	int s, c;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s == -1 || bind(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1)
		fatal("server socket");
	xasprintf(&t_base, "http://127.0.0.1:%d", ntohs(sin.sin_port));
	fflush(stdout);
	if ((t_srv = fork()) == -1)
		fatal("fork");
	if (t_srv == 0) {
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			if ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) == -1)
				continue;
			t_srv_handle(c);
			shutdown(c, SHUT_WR);
			close(c);
		}
	}
	close(s);
}

static void
t_srv_stop(void)
{
	int status;

	if (t_srv > 0) {
		kill(t_srv, SIGTERM);
		waitpid(t_srv, &status, 0);
	}
}

/* tool -c < src > dst */
static void
t_compress(const char *tool, const char *src, const char *dst)
{
	const char *argv[] = { tool, "-c", NULL };
	char *cause = NULL;
	pid_t pid;
	int in, out, errfd;

	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in == -1 || out == -1 ||
	    image_spawn(argv, in, out, &pid, NULL, &errfd, &cause) != 0 ||
	    image_wait(pid, -1, NULL, errfd, NULL, NULL, tool, &cause) != 0)
		fatalx("compress %s: %s", dst, cause != NULL ? cause : "");
	close(in);
	close(out);
}

static void
t_copy(const char *src, const char *dst)
{
	size_t len;
	char *buf;

	if ((buf = t_read(src, &len)) == NULL)
		fatal("read %s", src);
	t_write(dst, buf, len);
	free(buf);
}

struct t_progress {
	int starts;
	int dones;
	uint64_t last;
};

static void
t_progress_cb(const struct image_progress *p, void *arg)
{
	struct t_progress *tp = arg;

	if (p->state == IMAGE_PROGRESS_START)
		tp->starts++;
	if (p->state == IMAGE_PROGRESS_DONE)
		tp->dones++;
	tp->last = p->done;
}

/* image_download of url ("@/path" is a path on the server). */
static int
t_dl(const char *url, const char *dest, const char *digest, int decompress,
    struct image_dl_result *res, char **cause)
{
	struct image_dl_req req;
	char *full = NULL;
	int r;

	if (*url == '@')
		xasprintf(&full, "%s%s", t_base, url + 1);
	memset(&req, 0, sizeof req);
	req.url = full != NULL ? full : url;
	req.dest = dest;
	req.digest = digest;
	req.decompress = decompress;
	memset(res, 0, sizeof *res);
	*cause = NULL;
	r = image_download(&req, res, cause);
	free(full);
	return r;
}

static char *
t_entry(const char *path)
{
	char *url, *e;

	xasprintf(&url, "%s%s", t_base, path);
	e = image_cache_entry_dir(url);
	free(url);
	return e;
}

static void
t_download(const char *digest)
{
	struct image_dl_result res;
	struct image_dl_req req;
	struct t_progress tp;
	char *cause, *dest, *entry, *p, *s, *url, *img;
	int r;

	img = t_www_file("img.raw");
	dest = t_tmp("out1");
	r = t_dl("@/img.raw", dest, digest, 1, &res, &cause);
	is_int(r, 0, "download: %s", cause ? cause : "ok");
	is_str(image_dl_status_string(res.status), "downloaded", "downloaded");
	ok(res.validated_digest, "digest validated");
	ok(t_same(dest, img), "destination has the bytes");
	entry = t_entry("/img.raw");
	xasprintf(&p, "%s/data", entry);
	is_str(res.cache_path, p, "cache path is <entry>/data");
	ok(t_same(p, img), "data has the bytes");
	free(p);
	is_int(t_count_entries(entry), 5,
	    "url data time type sha256.digest, "
	    "nothing else");
	xasprintf(&p, "%s/url", entry);
	s = t_read(p, NULL);
	xasprintf(&url, "%s/img.raw", t_base);
	is_str(s, url, "url file, no new line");
	free(s);
	free(p);
	xasprintf(&p, "%s/sha256.digest", entry);
	s = t_read(p, NULL);
	is_str(s, digest, "sha256.digest");
	free(s);
	free(p);
	xasprintf(&p, "%s/time", entry);
	s = t_read(p, NULL);
	is_str(s, T_DEFAULT_LM, "time is Last-Modified");
	free(s);
	free(p);
	xasprintf(&p, "%s/type", entry);
	s = t_read(p, NULL);
	is_str(s, "application/octet-stream", "type is Content-Type");
	free(s);
	free(p);
	image_dl_result_clear(&res);
	free(dest);

	/* Again: from the cache, no second GET. */
	dest = t_tmp("out2");
	memset(&tp, 0, sizeof tp);
	memset(&req, 0, sizeof req);
	req.url = url;
	req.dest = dest;
	req.digest = digest;
	cause = NULL;
	is_int(image_download(&req, &res, &cause), 0, "second download");
	is_str(image_dl_status_string(res.status), "used-cache", "used-cache");
	ok(t_same(dest, img), "copy from the cache has the bytes");
	is_int(t_requests("GET /img.raw"), 1, "one GET in all");
	is_int(t_requests("HEAD /img.raw"), 0, "digest known: no HEAD");
	image_dl_result_clear(&res);

	/* The destination exists: skipped, whatever the digest. */
	is_int(t_dl("@/img.raw", dest,
		   "sha256:"
		   "0000000000000000000000000000"
		   "000000000000000000000000000000000000",
		   0, &res, &cause),
	    0, "existing destination");
	is_str(image_dl_status_string(res.status), "skipped", "skipped");
	ok(res.cache_path == NULL, "no cache path when skipped");
	free(dest);

	/* A different digest than the cached one is an error. */
	dest = t_tmp("out3");
	is_int(t_dl("@/img.raw", dest,
		   "sha256:"
		   "1111111111111111111111111111"
		   "111111111111111111111111111111111111",
		   0, &res, &cause),
	    -1, "cached digest differs");
	ok(cause != NULL &&
		strstr(cause, "expected digest `sha256:1111") != NULL &&
		strstr(cause, digest) != NULL,
	    "message: %s", cause);
	free(cause);
	ok(!image_exists(dest), "no destination written");
	free(dest);

	/* Progress: START, DONE, all bytes; cache-only mode. */
	free(url);
	xasprintf(&url, "%s/img-copy.raw", t_base);
	memset(&req, 0, sizeof req);
	req.url = url;
	req.progress = t_progress_cb;
	req.progress_arg = &tp;
	is_int(image_download(&req, &res, &cause), 0, "cache-only download");
	is_str(image_dl_status_string(res.status), "downloaded",
	    "cache-only: downloaded");
	is_int(tp.starts, 1, "progress started once");
	is_int(tp.dones, 1, "progress done once");
	is_int(tp.last, T_IMG_SIZE, "progress reached the size");
	ok(res.cache_path != NULL && t_same(res.cache_path, img),
	    "cache-only data");
	image_dl_result_clear(&res);
	is_int(image_download(&req, &res, &cause), 0, "cache-only again");
	is_str(image_dl_status_string(res.status), "used-cache",
	    "cache-only: used-cache");
	image_dl_result_clear(&res);

	free(url);
	free(entry);
	free(img);
}

static void
t_digestless(void)
{
	struct image_dl_result res;
	char *cause, *dest, *lm, *img;

	img = t_www_file("img.raw");
	dest = t_tmp("nd1");
	is_int(t_dl("@/nd.raw", dest, NULL, 0, &res, &cause), 0,
	    "digest-less download");
	ok(!res.validated_digest, "digest not validated");
	image_dl_result_clear(&res);
	free(dest);
	dest = t_tmp("nd2");
	is_int(t_dl("@/nd.raw", dest, NULL, 0, &res, &cause), 0,
	    "digest-less again");
	is_str(image_dl_status_string(res.status), "used-cache",
	    "same Last-Modified: cache");
	is_int(t_requests("HEAD /nd.raw"), 1, "checked with HEAD");
	is_int(t_requests("GET /nd.raw"), 1, "no second GET");
	image_dl_result_clear(&res);
	free(dest);

	lm = t_www_file("nd.raw.lm");
	t_write(lm, "Tue, 02 Jan 2024 00:00:00 GMT", 29);
	dest = t_tmp("nd3");
	is_int(t_dl("@/nd.raw", dest, NULL, 0, &res, &cause), 0,
	    "digest-less, Last-Modified changed");
	is_str(
	    image_dl_status_string(res.status), "downloaded", "re-downloaded");
	is_int(t_requests("GET /nd.raw"), 2, "second GET");
	ok(t_same(dest, img), "re-downloaded bytes");
	image_dl_result_clear(&res);
	free(dest);
	free(lm);
	free(img);
}

static void
t_failures(void)
{
	struct image_dl_result res;
	char *cause, *dest, *entry, *want, hex[65];

	dest = t_tmp("bad1");
	is_int(t_dl("@/img2.raw", dest,
		   "sha256:"
		   "0000000000000000000000000000"
		   "000000000000000000000000000000000000",
		   0, &res, &cause),
	    -1, "wrong digest");
	image_sha256_hex("other bytes\n", hex);
	xasprintf(
	    &want, "expected digest `sha256:%064d`, got `sha256:%s`", 0, hex);
	is_str(cause, want, "wrong digest message");
	free(want);
	free(cause);
	entry = t_entry("/img2.raw");
	is_int(t_count_entries(entry), 0, "wrong digest: cache entry empty");
	free(entry);
	ok(!image_exists(dest), "wrong digest: no destination");

	is_int(t_dl("@/missing.img", dest, NULL, 0, &res, &cause), -1, "404");
	ok(cause != NULL && strstr(cause, "404") != NULL &&
		strstr(cause, "/missing.img") != NULL,
	    "404 message: %s", cause);
	free(cause);
	entry = t_entry("/missing.img");
	is_int(t_count_entries(entry), 0, "404: cache entry empty");
	free(entry);
	ok(!image_exists(dest), "404: no destination");

	is_int(t_dl("http://127.0.0.1:1/x.img", dest, NULL, 0, &res, &cause),
	    -1, "connection refused");
	ok(cause != NULL &&
		strstr(cause, "GET `http://127.0.0.1:1/x.img`") != NULL,
	    "refused message: %s", cause);
	free(cause);
	is_int(t_dl("@/img.raw", dest, "md5:00", 0, &res, &cause), -1,
	    "bad digest syntax");
	is_str(cause, "unsupported digest algorithm `md5`", "md5 message");
	free(cause);
	free(dest);
}

static void
t_decompress(void)
{
	struct image_dl_result res;
	char *cause = NULL, *dest, *img, *gz, *digest = NULL, *p;
	int r;

	img = t_www_file("img.raw");
	gz = t_www_file("img.raw.gz");
	image_file_digest(gz, IMAGE_ALGO_SHA256, &digest, &cause);
	dest = t_tmp("gz1");
	r = t_dl("@/img.raw.gz", dest, digest, 1, &res, &cause);
	is_int(r, 0, "gzip download: %s", cause ? cause : "ok");
	ok(t_same(dest, img), "gzip: decompressed by extension");
	ok(res.cache_path != NULL && t_same(res.cache_path, gz),
	    "gzip: the cache keeps it compressed");
	image_dl_result_clear(&res);
	free(dest);
	dest = t_tmp("gz2");
	is_int(t_dl("@/img.raw.gz", dest, digest, 1, &res, &cause), 0,
	    "gzip from the cache");
	ok(t_same(dest, img), "gzip from the cache: decompressed");
	image_dl_result_clear(&res);
	free(dest);
	dest = t_tmp("gz3");
	is_int(t_dl("@/img.raw.gz", dest, digest, 0, &res, &cause), 0,
	    "gzip without decompress");
	ok(t_same(dest, gz), "left compressed");
	image_dl_result_clear(&res);
	free(dest);

	dest = t_tmp("xz1");
	is_int(t_dl("@/magic.img", dest, NULL, 1, &res, &cause), 0,
	    "xz without extension");
	ok(t_same(dest, img), "xz: decompressed by magic");
	image_dl_result_clear(&res);
	free(dest);

	/* Corrupt data: the decompressor's failure is reported. */
	p = t_www_file("broken.gz");
	t_write(p, "\x1f\x8bnot really gzip", 17);
	free(p);
	dest = t_tmp("broken");
	is_int(t_dl("@/broken.gz", dest, NULL, 1, &res, &cause), -1,
	    "corrupt gzip");
	ok(cause != NULL && strncmp(cause, "gzip -d: exit status", 20) == 0,
	    "corrupt gzip message: %s", cause);
	free(cause);
	ok(!image_exists(dest), "corrupt gzip: no destination");
	free(dest);
	free(digest);
	free(gz);
	free(img);
}

static void
t_local(const char *digest)
{
	struct image_dl_result res;
	char *cause, *dest, *src, *img, *url, *entry;

	img = t_www_file("img.raw");
	dest = t_tmp("local1");
	is_int(t_dl(img, dest, digest, 1, &res, &cause), 0, "local path");
	is_str(image_dl_status_string(res.status), "downloaded",
	    "local: downloaded");
	ok(res.cache_path == NULL, "local: not cached");
	ok(t_same(dest, img), "local: copied");
	entry = image_cache_entry_dir(img);
	ok(!image_exists(entry), "local: no cache entry");
	free(entry);
	free(dest);

	xasprintf(&url, "file://%s", img);
	dest = t_tmp("local2");
	is_int(t_dl(url, dest,
		   "sha256:"
		   "00000000000000000000000000000000"
		   "00000000000000000000000000000000",
		   0, &res, &cause),
	    -1, "file:// with a wrong digest");
	ok(cause != NULL && strstr(cause, "expected digest") != NULL,
	    "message: %s", cause);
	free(cause);
	ok(!image_exists(dest), "no copy on mismatch");
	is_int(t_dl(url, dest, digest, 0, &res, &cause), 0,
	    "file:// with the digest");
	ok(t_same(dest, img), "file://: copied");
	free(dest);
	free(url);

	src = t_www_file("img.raw.zst");
	dest = t_tmp("local3");
	is_int(t_dl(src, dest, NULL, 1, &res, &cause), 0, "local .zst");
	ok(t_same(dest, img), "local .zst decompressed");
	free(dest);
	free(src);
	src = t_www_file("img.raw.bz2");
	dest = t_tmp("local4");
	is_int(t_dl(src, dest, NULL, 1, &res, &cause), 0, "local .bz2");
	ok(t_same(dest, img), "local .bz2 decompressed");
	free(dest);
	free(src);

	is_int(t_dl("/nonexistent/file.img", NULL, NULL, 0, &res, &cause), -1,
	    "missing local file");
	free(cause);
	free(img);
}

static void
t_fetch(void)
{
	struct image_spec specs[3];
	char *cause = NULL, *inst, *p, *s, *img, *initrd, *loc[4];
	int i, r;

	for (i = 0; i < 4; i++)
		loc[i] = NULL;
	xasprintf(&loc[0], "%s/arm.img", t_base);
	xasprintf(&loc[1], "%s/nope.img", t_base);
	xasprintf(&loc[2], "%s/img.raw.gz", t_base);
	xasprintf(&loc[3], "%s/kernel.gz", t_base);
	memset(specs, 0, sizeof specs);
	specs[0].location = loc[0];
	specs[0].arch = "aarch64";
	specs[1].location = loc[1];
	specs[1].arch = "x86_64";
	specs[2].location = loc[2];
	specs[2].arch = "x86_64";
	specs[2].kernel = loc[3];
	specs[2].kernel_cmdline = "console=ttyS0";
	specs[2].initrd = loc[3];

	inst = t_tmp("inst");
	mkdir(inst, 0700);
	r = image_fetch(inst, specs, 3, "x86_64", NULL, NULL, &cause);
	is_int(r, 0, "fetch: %s", cause ? cause : "ok");
	img = t_www_file("img.raw");
	xasprintf(&p, "%s/image", inst);
	ok(t_same(p, img), "image decompressed into place");
	free(p);
	xasprintf(&p, "%s/kernel", inst);
	ok(t_same(p, img), "kernel decompressed");
	free(p);
	xasprintf(&p, "%s/initrd", inst);
	initrd = t_www_file("kernel.gz");
	ok(t_same(p, initrd), "initrd left compressed");
	free(initrd);
	free(p);
	xasprintf(&p, "%s/kernel.cmdline", inst);
	s = t_read(p, NULL);
	is_str(s, "console=ttyS0", "kernel.cmdline");
	free(s);
	free(p);
	is_int(t_requests("GET /arm.img"), 0, "other arch not fetched");
	is_int(t_requests("GET /nope.img"), 1, "failed entry tried");

	/* A disk is there: nothing to do. */
	xasprintf(&p, "%s/disk", inst);
	t_write(p, "x", 1);
	free(p);
	specs[2].location = loc[1];
	is_int(image_fetch(inst, specs, 3, "x86_64", NULL, NULL, &cause), 0,
	    "existing disk: nothing fetched");
	free(inst);

	inst = t_tmp("inst-fail");
	mkdir(inst, 0700);
	specs[0].arch = "x86_64";
	is_int(image_fetch(inst, specs, 3, "x86_64", NULL, NULL, &cause), -1,
	    "every entry fails");
	ok(cause != NULL && strstr(cause, "arm.img") != NULL &&
		strstr(cause, "\nfailed to download \"") != NULL,
	    "errors joined, one per line");
	free(cause);
	cause = NULL;
	is_int(image_fetch(inst, specs, 3, "riscv64", NULL, NULL, &cause), -1,
	    "no entry for the arch");
	is_str(cause,
	    "skipped to download: no image in images[] for arch "
	    "`riscv64`",
	    "no entry message");
	free(cause);
	is_int(t_count_entries(inst), 0, "failed fetch leaves nothing");
	free(inst);
	free(img);
	for (i = 0; i < 4; i++)
		free(loc[i]);
}

/* image_fetch_first: containerd.archives[] and firmware.images[]. */
static void
t_fetch_first(void)
{
	struct image_file files[3];
	char *cause = NULL, *path = NULL, *loc[3], *dest, *img, *gz, *cache;
	int i;

	xasprintf(&loc[0], "%s/arm.img", t_base);
	xasprintf(&loc[1], "%s/nope.tgz", t_base);
	xasprintf(&loc[2], "%s/kernel.gz", t_base);
	memset(files, 0, sizeof files);
	for (i = 0; i < 3; i++) {
		files[i].location = loc[i];
		files[i].arch = i == 0 ? "aarch64" : "x86_64";
	}

	/* Cache only: the first entry for the arch that downloads. */
	is_int(image_fetch_first(files, 3, "x86_64", "the nerdctl archive",
	    NULL, 0, NULL, NULL, &path, &cause), 0, "archive into the cache");
	cache = image_cache_entry_dir(loc[2]);
	ok(path != NULL && strncmp(path, cache, strlen(cache)) == 0,
	    "the path is in the cache entry of its URL");
	gz = t_www_file("kernel.gz");
	ok(path != NULL && t_same(path, gz), "cached as is, not decompressed");
	free(path);
	path = NULL;
	free(cache);

	/* Into a file, decompressed (firmware.images). */
	dest = t_tmp("qemu-efi-code.fd");
	is_int(image_fetch_first(files, 3, "x86_64", "the UEFI code", dest, 1,
	    NULL, NULL, &path, &cause), 0, "UEFI code into place");
	img = t_www_file("img.raw");
	ok(t_same(dest, img), "UEFI code decompressed");
	is_str(path, dest, "the path is dest");
	free(path);
	path = NULL;

	/* A local location is used where it is. */
	files[2].location = gz;
	is_int(image_fetch_first(&files[2], 1, "x86_64", "the nerdctl archive",
	    NULL, 0, NULL, NULL, &path, &cause), 0, "local archive");
	is_str(path, gz, "a local archive is used in place");
	free(path);
	path = NULL;
	files[2].digest = "sha256:0000000000000000000000000000000000000000"
			  "000000000000000000000000";
	is_int(image_fetch_first(&files[2], 1, "x86_64", "the nerdctl archive",
	    NULL, 0, NULL, NULL, &path, &cause), -1, "local archive, bad digest");
	ok(cause != NULL && strstr(cause, "expected digest") != NULL,
	    "digest mismatch reported: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	files[2].digest = NULL;
	files[2].location = loc[2];

	is_int(image_fetch_first(files, 3, "riscv64", "the nerdctl archive",
	    NULL, 0, NULL, NULL, &path, &cause), -1, "no entry for the arch");
	is_str(cause, "no entry for arch `riscv64`", "no entry message");
	free(cause);
	cause = NULL;
	files[2].location = loc[1];
	is_int(image_fetch_first(files, 3, "x86_64", "the nerdctl archive",
	    NULL, 0, NULL, NULL, &path, &cause), -1, "every entry fails");
	ok(cause != NULL && strchr(cause, '\n') != NULL,
	    "both failures, one per line");
	ok(path == NULL, "no path on failure");
	free(cause);
	free(dest);
	free(img);
	free(gz);
	for (i = 0; i < 3; i++)
		free(loc[i]);
}

static void
t_setup(char **digest)
{
	const char *tmpdir;
	char *p, *img, *cause = NULL, *buf, *cache;
	size_t i;

	tmpdir = getenv("TMPDIR");
	xasprintf(&t_dir, "%s/clima-test-image.XXXXXX",
	    tmpdir != NULL && *tmpdir == '/' ? tmpdir : "/tmp");
	if (mkdtemp(t_dir) == NULL)
		fatal("mkdtemp");
	xasprintf(&t_www, "%s/www", t_dir);
	mkdir(t_www, 0755);
	xasprintf(&cache, "%s/cache", t_dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	free(cache);

	/* Text-ish bytes with a zero block in the middle (a hole). */
	buf = xmalloc(T_IMG_SIZE);
	for (i = 0; i < T_IMG_SIZE; i++)
		buf[i] = (char)('a' + (i * 7 + i / 1000) % 26);
	memset(buf + T_HOLE_OFF, 0, T_HOLE_LEN);
	img = t_www_file("img.raw");
	t_write(img, buf, T_IMG_SIZE);
	free(buf);
	if (image_file_digest(img, IMAGE_ALGO_SHA256, digest, &cause) != 0)
		fatalx("%s", cause);
	p = t_www_file("img2.raw");
	t_write(p, "other bytes\n", 12);
	free(p);
	p = t_www_file("img-copy.raw");
	t_copy(img, p);
	free(p);
	p = t_www_file("nd.raw");
	t_copy(img, p);
	free(p);
	p = t_www_file("img.raw.gz");
	t_compress("gzip", img, p);
	free(p);
	p = t_www_file("kernel.gz");
	t_compress("gzip", img, p);
	free(p);
	p = t_www_file("magic.img");
	t_compress("xz", img, p);
	free(p);
	p = t_www_file("img.raw.zst");
	t_compress("zstd", img, p);
	free(p);
	p = t_www_file("img.raw.bz2");
	t_compress("bzip2", img, p);
	free(p);
	free(img);
}

static void
t_rmtree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	char *cause = NULL;

	if (image_run(argv, NULL, &cause) != 0) {
		printf("# %s\n", cause);
		free(cause);
	}
}

int
main(void)
{
	char *digest = NULL;
	const char *tools[] = { "gzip", "xz", "zstd", "bzip2" };
	const char *argv[] = { NULL, "--version", NULL };
	char *cause = NULL;
	size_t i;

	log_init(2);
	for (i = 0; i < sizeof tools / sizeof *tools; i++) {
		argv[0] = tools[i];
		if (image_run(argv, NULL, &cause) == -2) {
			printf("1..0 # SKIP %s\n", cause);
			free(cause);
			return 0;
		}
		free(cause);
		cause = NULL;
	}
	t_setup(&digest);
	t_srv_start();

	t_download(digest);
	t_digestless();
	t_failures();
	t_decompress();
	t_local(digest);
	t_fetch();
	t_fetch_first();

	t_srv_stop();
	if (getenv("T_KEEP") == NULL)
		t_rmtree(t_dir);
	else
		printf("# kept %s\n", t_dir);
	free(digest);
	free(t_dir);
	free(t_www);
	free(t_base);
	return done_testing();
}
