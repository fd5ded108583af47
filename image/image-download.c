/* clima: Lima's downloader: the URL-keyed cache and HTTP(S) fetches. */
/*
 * image_download follows pkg/downloader: skip an existing destination,
 * copy local sources, else lock the cache entry, reuse data when its
 * digest (or Last-Modified) still matches, or GET it into data.tmp.* while
 * hashing and rename it into place.  Blocking libcurl easy API: CLI only.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "image/image-int.h"
#include "store/store.h"

#define IMAGE_CACHE_BY_URL        "download/by-url-sha256"
#define IMAGE_CONNECT_TIMEOUT_SEC 30
#define IMAGE_HEAD_TIMEOUT_SEC    30
#define IMAGE_LOW_SPEED_BYTES     1  /* a GET slower than this ... */
#define IMAGE_LOW_SPEED_SEC       60 /* ... for this long is aborted */
#define IMAGE_MAX_REDIRS          10
#define IMAGE_HEADER_VALUE_MAX    1024
#define IMAGE_USER_AGENT          "clima/" PACKAGE_VERSION

/* One HTTP transfer (GET or HEAD) and what it learnt. */
struct image_xfer {
	CURL *curl;
	const struct image_dl_req *req;
	int fd; /* GET: data.tmp.*, else -1 */
	const char *tmp;
	int hashing;
	struct image_hash hash;
	struct image_prog prog;
	int started; /* prog started */
	uint64_t done;
	int64_t total;
	int bad_status; /* body refused: status not 2xx */
	int write_errno;
	char *status;        /* "404 Not Found" of the last response */
	char *last_modified; /* of the last response, or NULL */
	char *content_type;
	char errbuf[CURL_ERROR_SIZE];
};

const char *
image_dl_status_string(enum image_dl_status status)
{
	switch (status) {
	case IMAGE_DL_SKIPPED:
		return "skipped";
	case IMAGE_DL_DOWNLOADED:
		return "downloaded";
	case IMAGE_DL_USED_CACHE:
		return "used-cache";
	}
	return "unknown";
}

void
image_dl_result_clear(struct image_dl_result *res)
{
	free(res->cache_path);
	res->cache_path = NULL;
}

/* The cache layout is the store's (one definition of the path). */
char *
image_cache_entry_dir(const char *url)
{
	return store_cache_entry_dir(url);
}

/* Lima's IsLocal: no scheme, or file://. */
static int
image_is_local(const char *url)
{
	return strstr(url, "://") == NULL || strncmp(url, "file://", 7) == 0;
}

/* The file a local URL names ("file://" dropped, "~/" expanded). */
char *
image_local_path(const char *url)
{
	const char *home;
	char *path;

	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	home = getenv("HOME");
	if (home != NULL &&
	    (strcmp(url, "~") == 0 || strncmp(url, "~/", 2) == 0)) {
		xasprintf(&path, "%s%s", home, url + 1);
		return path;
	}
	return xstrdup(url);
}

/* "Name: value" into *field when the name matches (bounded). */
static void
image_header_match(const char *line, size_t len, const char *name, char **field)
{
	size_t nlen = strlen(name);
	const char *v, *end;

	if (len <= nlen || line[nlen] != ':' ||
	    strncasecmp(line, name, nlen) != 0)
		return;
	v = line + nlen + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v &&
	    (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
		end[-1] == '\t'))
		end--;
	if ((size_t)(end - v) > IMAGE_HEADER_VALUE_MAX)
		return;
	free(*field);
	*field = xstrndup(v, end - v);
}

/* Headers of every response arrive here; keep the last response's. */
static size_t
image_xfer_header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct image_xfer *x = arg;
	size_t len = size * n;
	const char *sp;

	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		free(x->last_modified);
		free(x->content_type);
		free(x->status);
		x->last_modified = x->content_type = x->status = NULL;
		/* "HTTP/1.1 404 Not Found": keep "404 Not Found". */
		sp = memchr(buf, ' ', len);
		if (sp != NULL && len < IMAGE_HEADER_VALUE_MAX) {
			x->status = xstrndup(sp + 1, len - (sp + 1 - buf));
			x->status[strcspn(x->status, "\r\n")] = '\0';
		}
		return len;
	}
	image_header_match(buf, len, "Last-Modified", &x->last_modified);
	image_header_match(buf, len, "Content-Type", &x->content_type);
	return len;
}

static size_t
image_xfer_write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct image_xfer *x = arg;
	size_t len = size * n, off;
	curl_off_t cl = -1;
	long code = 0;
	ssize_t w;

	if (!x->started) {
		/* Redirect bodies are skipped by libcurl: this is the last. */
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code > 299) {
			x->bad_status = 1;
			return 0;
		}
		curl_easy_getinfo(
		    x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		x->total = cl >= 0 ? (int64_t)cl : -1;
		image_prog_start(&x->prog, x->req->progress,
		    x->req->progress_arg, IMAGE_PROGRESS_DOWNLOAD,
		    x->req->description != NULL ? x->req->description
						: x->req->url,
		    x->total);
		x->started = 1;
	}
	for (off = 0; off < len; off += w) {
		w = write(x->fd, buf + off, len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w == -1) {
			x->write_errno = errno;
			return 0;
		}
	}
	if (x->hashing)
		image_hash_update(&x->hash, buf, len);
	x->done += len;
	image_prog_update(&x->prog, x->done, x->total);
	return len;
}

/* A curl handle with our common options; NULL and *cause on failure. */
static CURL *
image_curl_new(struct image_xfer *x, const char *url, char **cause)
{
	CURL *c;

	if ((c = curl_easy_init()) == NULL) {
		xasprintf(cause, "curl_easy_init failed");
		return NULL;
	}
	x->curl = c;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)IMAGE_MAX_REDIRS);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
	    c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_USERAGENT, IMAGE_USER_AGENT);
	curl_easy_setopt(
	    c, CURLOPT_CONNECTTIMEOUT, (long)IMAGE_CONNECT_TIMEOUT_SEC);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, image_xfer_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	return c;
}

static void
image_xfer_clear(struct image_xfer *x)
{
	if (x->curl != NULL)
		curl_easy_cleanup(x->curl);
	x->curl = NULL;
	free(x->status);
	free(x->last_modified);
	free(x->content_type);
	x->status = x->last_modified = x->content_type = NULL;
}

/* Turns the outcome of curl_easy_perform into 0 or -1 and *cause. */
static int
image_xfer_result(
    struct image_xfer *x, const char *method, CURLcode rc, char **cause)
{
	long code = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
	if (x->write_errno != 0) {
		xasprintf(
		    cause, "write %s: %s", x->tmp, strerror(x->write_errno));
		return -1;
	}
	if (x->bad_status || (rc == CURLE_OK && (code < 200 || code > 299))) {
		xasprintf(cause, "%s %s: expected HTTP status 200, got %s",
		    method, image_q(x->req->url),
		    x->status != NULL ? x->status : "no status");
		return -1;
	}
	if (rc != CURLE_OK) {
		xasprintf(cause, "%s %s: %s", method, image_q(x->req->url),
		    x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* HEAD url: its Last-Modified (or "") in *lm, the caller's. */
static int
image_http_head(const struct image_dl_req *req, char **lm, char **cause)
{
	struct image_xfer x;
	CURLcode rc;
	int ret = -1;

	memset(&x, 0, sizeof x);
	x.req = req;
	x.fd = -1;
	if (image_curl_new(&x, req->url, cause) == NULL)
		return -1;
	curl_easy_setopt(x.curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(x.curl, CURLOPT_TIMEOUT, (long)IMAGE_HEAD_TIMEOUT_SEC);
	rc = curl_easy_perform(x.curl);
	if (image_xfer_result(&x, "HEAD", rc, cause) != 0)
		goto out;
	*lm = xstrdup(x.last_modified != NULL ? x.last_modified : "");
	ret = 0;
out:
	image_xfer_clear(&x);
	return ret;
}

/*
 * Lima's matchLastModified: 1 if the cached time matches the server's
 * Last-Modified, 0 if not (re-download), -1 if HEAD failed (*cause).
 */
static int
image_match_last_modified(
    const char *entry, const struct image_dl_req *req, char **cause)
{
	char *path, *cached = NULL, *remote = NULL, *why = NULL;
	char *qc = NULL, *qr = NULL;
	time_t tc, tr;
	int ret = 0;

	xasprintf(&path, "%s/time", entry);
	if (image_read_small(path, &cached, &why) != 0 || *cached == '\0') {
		free(why);
		log_debug(
		    "%s: no cached Last-Modified for %s", __func__, req->url);
		goto out;
	}
	if (image_http_head(req, &remote, cause) != 0) {
		ret = -1;
		goto out;
	}
	tc = curl_getdate(cached, NULL);
	tr = curl_getdate(remote, NULL);
	if (*remote == '\0')
		ret = 0;
	else if (tc == -1 && tr == -1)
		ret = strcmp(cached, remote) == 0;
	else
		ret = tc != -1 && tr != -1 && tc == tr;
	if (ret == 0) {
		qc = log_quote(cached);
		qr = log_quote(*remote != '\0'
			? remote
			: "<missing Last-Modified header>");
		log_info("Re-downloading digest-less image: last-modified "
			 "mismatch (cached: %s, remote: %s)",
		    qc, qr);
	}
out:
	free(qc);
	free(qr);
	free(path);
	free(cached);
	free(remote);
	return ret;
}

/*
 * Lima's getCached: 1 and dest filled from <entry>/data, 0 when it must
 * be downloaded again, -1 and *cause on errors (a digest mismatch).
 */
static int
image_get_cached(
    const char *entry, const struct image_dl_req *req, char **cause)
{
	enum image_algo algo;
	char *data, *dpath = NULL, *cached = NULL, *why = NULL;
	int r, ret = -1;

	xasprintf(&data, "%s/data", entry);
	if (req->digest != NULL) {
		if (image_digest_parse(req->digest, &algo, cause) != 0)
			goto out;
		xasprintf(&dpath, "%s/%s.digest", entry, image_algo_name(algo));
		r = image_read_small(dpath, &cached, cause);
		if (r == -1)
			goto out;
	}
	if (cached != NULL) {
		/* Trust the digest file: no need to hash data again. */
		cached[strcspn(cached, " \t\r\n")] = '\0';
		if (image_digest_check(req->digest, cached, cause) != 0)
			goto out;
		if (image_copy_local(
			req->dest, data, req->url, req, NULL, cause) != 0)
			goto out;
		ret = 1;
		goto out;
	}
	r = image_match_last_modified(entry, req, &why);
	if (r == 0) {
		ret = 0;
		goto out;
	}
	if (r == -1) {
		const char *fields[] = { "error", why, NULL };

		log_infof(fields,
		    "Failed to retrieve last-modified for cached "
		    "digest-less image; using cached image.");
	}
	if (image_copy_local(
		req->dest, data, req->url, req, req->digest, cause) != 0)
		goto out;
	ret = 1;
out:
	free(why);
	free(data);
	free(dpath);
	free(cached);
	return ret;
}

/* Writes <entry>/<name> (0644) from s, or "" when s is NULL. */
static int
image_entry_write(
    const char *entry, const char *name, const char *s, char **cause)
{
	char *path;
	int ret;

	xasprintf(&path, "%s/%s", entry, name);
	ret = store_write_file_atomic(path, s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0, 0644, cause);
	free(path);
	return ret;
}

/*
 * Lima's fetch: GET into data.tmp.<pid>.<n>, verify the digest, then
 * url, time and type, rename to data and write <algo>.digest.  Metadata
 * is written only once the data is good, so a failure caches nothing.
 */
static int
image_fetch_remote(
    const char *entry, int dirfd, const struct image_dl_req *req, char **cause)
{
	static unsigned int counter;
	struct image_xfer x;
	enum image_algo algo = IMAGE_ALGO_SHA256;
	char *tmp = NULL, *data = NULL, *got = NULL, *dname = NULL;
	CURLcode rc;
	int ret = -1;

	memset(&x, 0, sizeof x);
	x.req = req;
	x.fd = -1;
	if (req->digest != NULL &&
	    image_digest_parse(req->digest, &algo, cause) != 0)
		return -1;
	xasprintf(&tmp, "%s/data.tmp.%ld.%u", entry, (long)getpid(), counter++);
	xasprintf(&data, "%s/data", entry);
	x.tmp = tmp;
	x.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (x.fd == -1) {
		xasprintf(cause, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (req->digest != NULL) {
		image_hash_init(&x.hash, algo);
		x.hashing = 1;
	}
	if (image_curl_new(&x, req->url, cause) == NULL)
		goto out;
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, image_xfer_write_cb);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(
	    x.curl, CURLOPT_LOW_SPEED_LIMIT, (long)IMAGE_LOW_SPEED_BYTES);
	curl_easy_setopt(
	    x.curl, CURLOPT_LOW_SPEED_TIME, (long)IMAGE_LOW_SPEED_SEC);
	log_debug("%s: downloading %s into %s", __func__, req->url, tmp);
	rc = curl_easy_perform(x.curl);
	if (image_xfer_result(&x, "GET", rc, cause) != 0)
		goto out;
	if (!x.started)
		image_prog_start(&x.prog, req->progress, req->progress_arg,
		    IMAGE_PROGRESS_DOWNLOAD,
		    req->description != NULL ? req->description : req->url, 0);
	image_prog_done(&x.prog, x.done);
	if (x.hashing) {
		got = image_hash_final(&x.hash);
		x.hashing = 0;
		if (image_digest_check(req->digest, got, cause) != 0)
			goto out;
	}
	if (fsync(x.fd) == -1 || close(x.fd) == -1) {
		x.fd = -1;
		xasprintf(cause, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	x.fd = -1;

	if (image_entry_write(entry, "url", req->url, cause) != 0 ||
	    image_entry_write(entry, "time", x.last_modified, cause) != 0 ||
	    image_entry_write(entry, "type", x.content_type, cause) != 0)
		goto out;
	/* Digest files of a previous data would now lie. */
	xasprintf(&dname, "%s/sha256.digest", entry);
	unlink(dname);
	free(dname);
	xasprintf(&dname, "%s/sha512.digest", entry);
	unlink(dname);
	free(dname);
	dname = NULL;
	if (rename(tmp, data) == -1) {
		xasprintf(cause, "rename %s: %s", data, strerror(errno));
		goto out;
	}
	if (req->digest != NULL) {
		xasprintf(&dname, "%s.digest", image_algo_name(algo));
		if (image_entry_write(entry, dname, req->digest, cause) != 0)
			goto out;
	}
	fsync(dirfd);
	ret = 0;
out:
	if (x.hashing)
		free(image_hash_final(&x.hash));
	if (x.fd != -1)
		close(x.fd);
	if (ret != 0)
		unlink(tmp);
	image_xfer_clear(&x);
	free(tmp);
	free(data);
	free(got);
	free(dname);
	return ret;
}

/* The remote case: everything under the entry's flock. */
static int
image_download_remote(
    const struct image_dl_req *req, struct image_dl_result *res, char **cause)
{
	char *entry, *data = NULL;
	int dirfd = -1, r, ret = -1;

	entry = image_cache_entry_dir(req->url);
	if (image_mkdir_p(entry, 0700, cause) != 0)
		goto out;
	dirfd = open(entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		xasprintf(cause, "open %s: %s", entry, strerror(errno));
		goto out;
	}
	while (flock(dirfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			xasprintf(
			    cause, "flock %s: %s", entry, strerror(errno));
			goto out;
		}
	}
	xasprintf(&data, "%s/data", entry);
	r = 0;
	if (image_exists(data)) {
		log_debug("%s: %s is cached as %s", __func__, req->url, data);
		if ((r = image_get_cached(entry, req, cause)) == -1)
			goto out;
	}
	if (r == 1)
		res->status = IMAGE_DL_USED_CACHE;
	else {
		if (image_fetch_remote(entry, dirfd, req, cause) != 0)
			goto out;
		if (req->dest != NULL &&
		    image_copy_local(
			req->dest, data, req->url, req, NULL, cause) != 0)
			goto out;
		res->status = IMAGE_DL_DOWNLOADED;
	}
	res->cache_path = data;
	data = NULL;
	res->validated_digest = req->digest != NULL;
	ret = 0;
out:
	if (dirfd != -1)
		close(dirfd); /* drops the flock */
	free(entry);
	free(data);
	return ret;
}

int
image_download(
    const struct image_dl_req *req, struct image_dl_result *res, char **cause)
{
	struct image_dl_result r;
	struct stat sb;
	char *src;
	int ret;

	memset(&r, 0, sizeof r);
	if (req->url == NULL || *req->url == '\0') {
		xasprintf(cause, "empty image location");
		return -1;
	}
	if (req->dest != NULL && stat(req->dest, &sb) == 0) {
		log_debug("%s: %s already exists, skipping %s (and the digest "
			  "check)",
		    __func__, req->dest, req->url);
		r.status = IMAGE_DL_SKIPPED;
		*res = r;
		return 0;
	}
	if (req->digest != NULL &&
	    image_digest_validate(req->digest, cause) != 0)
		return -1;
	if (image_is_local(req->url)) {
		src = image_local_path(req->url);
		ret = image_copy_local(
		    req->dest, src, req->url, req, req->digest, cause);
		free(src);
		if (ret != 0)
			return -1;
		r.status = IMAGE_DL_DOWNLOADED;
		r.validated_digest = req->digest != NULL;
		*res = r;
		return 0;
	}
	if (image_download_remote(req, &r, cause) != 0)
		return -1;
	*res = r;
	return 0;
}
