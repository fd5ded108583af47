/* clima: image digests ("sha256:<hex>") with mbedTLS. */
/*
 * Parsing follows go-digest (lower-case hex of the algorithm's length),
 * limited to the two algorithms Lima templates use.  Hashing wraps the
 * mbedTLS 2.28 (_ret) and 3.x names.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/version.h>

#include "common/xmalloc.h"
#include "image/image-int.h"

#if MBEDTLS_VERSION_MAJOR >= 3
#define image_sha256_starts mbedtls_sha256_starts
#define image_sha256_update mbedtls_sha256_update
#define image_sha256_finish mbedtls_sha256_finish
#define image_sha512_starts mbedtls_sha512_starts
#define image_sha512_update mbedtls_sha512_update
#define image_sha512_finish mbedtls_sha512_finish
#else
#define image_sha256_starts mbedtls_sha256_starts_ret
#define image_sha256_update mbedtls_sha256_update_ret
#define image_sha256_finish mbedtls_sha256_finish_ret
#define image_sha512_starts mbedtls_sha512_starts_ret
#define image_sha512_update mbedtls_sha512_update_ret
#define image_sha512_finish mbedtls_sha512_finish_ret
#endif

const char *
image_algo_name(enum image_algo algo)
{
	return algo == IMAGE_ALGO_SHA512 ? "sha512" : "sha256";
}

int
image_digest_parse(const char *s, enum image_algo *algo, char **cause)
{
	const char *colon, *p;
	char *name;
	size_t want;
	enum image_algo a;

	colon = strchr(s, ':');
	if (colon == NULL || colon == s || colon[1] == '\0') {
		xasprintf(
		    cause, "invalid checksum digest format: %s", image_q(s));
		return -1;
	}
	name = xstrndup(s, colon - s);
	if (strcmp(name, "sha256") == 0) {
		a = IMAGE_ALGO_SHA256;
		want = 64;
	} else if (strcmp(name, "sha512") == 0) {
		a = IMAGE_ALGO_SHA512;
		want = 128;
	} else {
		xasprintf(
		    cause, "unsupported digest algorithm %s", image_q(name));
		free(name);
		return -1;
	}
	free(name);
	/* go-digest checks the length before the characters. */
	if (strlen(colon + 1) != want) {
		xasprintf(
		    cause, "invalid checksum digest length: %s", image_q(s));
		return -1;
	}
	for (p = colon + 1; *p != '\0'; p++) {
		if ((*p < '0' || *p > '9') && (*p < 'a' || *p > 'f')) {
			xasprintf(cause, "invalid checksum digest format: %s",
			    image_q(s));
			return -1;
		}
	}
	*algo = a;
	return 0;
}

int
image_digest_validate(const char *s, char **cause)
{
	enum image_algo algo;

	return image_digest_parse(s, &algo, cause);
}

void
image_hash_init(struct image_hash *h, enum image_algo algo)
{
	memset(h, 0, sizeof *h);
	h->algo = algo;
	if (algo == IMAGE_ALGO_SHA512) {
		mbedtls_sha512_init(&h->sha512);
		image_sha512_starts(&h->sha512, 0);
	} else {
		mbedtls_sha256_init(&h->sha256);
		image_sha256_starts(&h->sha256, 0);
	}
}

void
image_hash_update(struct image_hash *h, const void *buf, size_t len)
{
	if (h->algo == IMAGE_ALGO_SHA512)
		image_sha512_update(&h->sha512, buf, len);
	else
		image_sha256_update(&h->sha256, buf, len);
}

/* Appends the hex of sum to "algo:"; the caller's. */
static char *
image_hash_string(enum image_algo algo, const unsigned char *sum, size_t len)
{
	const char *name = image_algo_name(algo);
	size_t off = strlen(name) + 1, i;
	char *s;

	s = xmalloc(off + 2 * len + 1);
	memcpy(s, name, off - 1);
	s[off - 1] = ':';
	for (i = 0; i < len; i++)
		snprintf(s + off + 2 * i, 3, "%02x", sum[i]);
	return s;
}

char *
image_hash_final(struct image_hash *h)
{
	unsigned char sum[64];
	char *s;

	if (h->algo == IMAGE_ALGO_SHA512) {
		image_sha512_finish(&h->sha512, sum);
		mbedtls_sha512_free(&h->sha512);
		s = image_hash_string(h->algo, sum, 64);
	} else {
		image_sha256_finish(&h->sha256, sum);
		mbedtls_sha256_free(&h->sha256);
		s = image_hash_string(h->algo, sum, 32);
	}
	return s;
}

int
image_file_digest(
    const char *path, enum image_algo algo, char **out, char **cause)
{
	struct image_hash h;
	char *buf = NULL;
	ssize_t n;
	int fd, ret = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(IMAGE_COPY_BUF_SIZE);
	image_hash_init(&h, algo);
	for (;;) {
		n = read(fd, buf, IMAGE_COPY_BUF_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "read %s: %s", path, strerror(errno));
			free(image_hash_final(&h));
			goto out;
		}
		if (n == 0)
			break;
		image_hash_update(&h, buf, n);
	}
	*out = image_hash_final(&h);
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int
image_digest_check(const char *want, const char *got, char **cause)
{
	if (strcmp(want, got) == 0)
		return 0;
	/* Two calls: image_q's buffers rotate, both stay valid here. */
	xasprintf(
	    cause, "expected digest %s, got %s", image_q(want), image_q(got));
	return -1;
}

void
image_sha256_hex(const char *s, char out[65])
{
	struct image_hash h;
	char *d;

	image_hash_init(&h, IMAGE_ALGO_SHA256);
	image_hash_update(&h, s, strlen(s));
	d = image_hash_final(&h);
	memcpy(out, d + strlen("sha256:"), 65);
	free(d);
}
