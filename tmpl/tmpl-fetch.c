/* clima: reading template bytes from files, stdin and http(s). */
/*
 * Every reader stops at TMPL_MAX_BYTES and returns a NUL-terminated
 * buffer.  http(s) uses libcurl's easy API: templates are read by the
 * CLI before anything runs an event loop, so blocking is fine here.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

/* Seconds to wait for a TCP/TLS connection to a template server. */
#define TMPL_CONNECT_TIMEOUT_SEC 30
/* Abort a transfer slower than this many bytes/s for the time below. */
#define TMPL_LOW_SPEED_BYTES 1
#define TMPL_LOW_SPEED_SEC   60
/* Redirects followed before giving up. */
#define TMPL_MAX_REDIRECTS 10

struct tmpl_buf {
	char *p;
	size_t len;
	size_t size;
	int overflow;
};

static int
tmpl_buf_add(struct tmpl_buf *b, const void *data, size_t n)
{
	size_t want;

	if (n > TMPL_MAX_BYTES - b->len) {
		b->overflow = 1;
		return -1;
	}
	want = b->len + n + 1;
	if (want > b->size) {
		b->size = want < 8192 ? 8192 : want * 2;
		if (b->size > TMPL_MAX_BYTES + 1)
			b->size = TMPL_MAX_BYTES + 1;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void
tmpl_buf_finish(struct tmpl_buf *b, char **buf, size_t *len)
{
	if (b->p == NULL)
		b->p = xstrdup("");
	*buf = b->p;
	*len = b->len;
	b->p = NULL;
}

/* Reads all of fd; what names it in errors. */
int
tmpl_fetch_fd(int fd, const char *what, char **buf, size_t *len, char **cause)
{
	struct tmpl_buf b = { NULL, 0, 0, 0 };
	char chunk[8192];
	ssize_t n;
	int ret = -1;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "read %s: %s", what, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (tmpl_buf_add(&b, chunk, (size_t)n) != 0) {
			xasprintf(cause, "%s exceeds the size limit (%d bytes)",
			    what, TMPL_MAX_BYTES);
			goto out;
		}
	}
	tmpl_buf_finish(&b, buf, len);
	ret = 0;
out:
	free(b.p);
	return ret;
}

/* Reads a local file. */
int
tmpl_fetch_path(const char *path, char **buf, size_t *len, char **cause)
{
	struct stat sb;
	int fd = -1, ret = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "read %s: is a directory", path);
		goto out;
	}
	ret = tmpl_fetch_fd(fd, path, buf, len, cause);
out:
	if (fd != -1)
		close(fd);
	return ret;
}

static size_t
tmpl_fetch_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct tmpl_buf *b = arg;

	if (tmpl_buf_add(b, data, size * nmemb) != 0)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	return size * nmemb;
}

/* GETs an http(s) URL; any status outside 2xx is an error. */
int
tmpl_fetch_url(const char *url, char **buf, size_t *len, char **cause)
{
	struct tmpl_buf b = { NULL, 0, 0, 0 };
	char errbuf[CURL_ERROR_SIZE];
	CURL *c = NULL;
	CURLcode rc;
	long status = 0;
	int ret = -1;

	if ((c = curl_easy_init()) == NULL) {
		xasprintf(cause, "%s: curl_easy_init failed", url);
		goto out;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)TMPL_MAX_REDIRECTS);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
	    c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
	curl_easy_setopt(
	    c, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(
	    c, CURLOPT_CONNECTTIMEOUT, (long)TMPL_CONNECT_TIMEOUT_SEC);
	curl_easy_setopt(
	    c, CURLOPT_LOW_SPEED_LIMIT, (long)TMPL_LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)TMPL_LOW_SPEED_SEC);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lima");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tmpl_fetch_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);

	log_debug("%s: GET %s", __func__, url);
	rc = curl_easy_perform(c);
	if (b.overflow) {
		xasprintf(cause, "%s exceeds the size limit (%d bytes)", url,
		    TMPL_MAX_BYTES);
		goto out;
	}
	if (rc != CURLE_OK) {
		xasprintf(cause, "GET %s: %s", url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		xasprintf(
		    cause, "GET %s: unexpected HTTP status %ld", url, status);
		goto out;
	}
	tmpl_buf_finish(&b, buf, len);
	ret = 0;
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	free(b.p);
	return ret;
}
