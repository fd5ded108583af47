/* clima: unit tests for image/'s pure parts. */
/*
 * Digest syntax and hashing, the cache entry path, the choice of a
 * decompressor by extension and by magic bytes, status names and the
 * progress bar line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "image/image-int.h"
#include "tests/tap.h"

#define SHA256_ABC \
	"sha256:" \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC \
	"sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55" \
	"d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void
test_digest_parse(void)
{
	enum image_algo algo = IMAGE_ALGO_SHA512;
	char *cause = NULL;

	is_int(image_digest_parse(SHA256_ABC, &algo, &cause), 0, "sha256 ok");
	is_int(algo, IMAGE_ALGO_SHA256, "sha256 algo");
	is_int(image_digest_parse(SHA512_ABC, &algo, &cause), 0, "sha512 ok");
	is_int(algo, IMAGE_ALGO_SHA512, "sha512 algo");

	is_int(image_digest_validate("md5:abc", &cause), -1, "md5 refused");
	is_str(cause, "unsupported digest algorithm `md5`", "md5 message");
	free(cause);
	cause = NULL;
	is_int(image_digest_validate("sha1:"
				     "da39a3ee5e6b4b0d3255bfef95601890"
				     "afd80709",
		   &cause),
	    -1, "sha1 refused");
	is_str(cause, "unsupported digest algorithm `sha1`", "sha1 message");
	free(cause);
	cause = NULL;
	is_int(image_digest_validate("sha256:abcd", &cause), -1, "short hex");
	is_str(cause, "invalid checksum digest length: `sha256:abcd`",
	    "short hex message");
	free(cause);
	cause = NULL;
	is_int(image_digest_validate("sha256:BA7816BF8F01CFEA414140DE5DAE2223"
				     "B00361A396177A9CB410FF61F20015AD",
		   &cause),
	    -1, "upper-case hex");
	ok(cause != NULL &&
		strstr(cause, "invalid checksum digest format") != NULL,
	    "upper-case message: %s", cause);
	free(cause);
	cause = NULL;
	is_int(image_digest_validate("ba7816bf", &cause), -1, "no algorithm");
	ok(cause != NULL &&
		strstr(cause, "invalid checksum digest format") != NULL,
	    "no algorithm message: %s", cause);
	free(cause);
	cause = NULL;
	is_int(image_digest_validate("sha256:", &cause), -1, "empty hex");
	free(cause);
}

static void
test_hash(void)
{
	struct image_hash h;
	char *d, *cause = NULL, hex[65];

	image_hash_init(&h, IMAGE_ALGO_SHA256);
	image_hash_update(&h, "a", 1);
	image_hash_update(&h, "bc", 2);
	d = image_hash_final(&h);
	is_str(d, SHA256_ABC, "sha256 of abc in two parts");
	free(d);
	image_hash_init(&h, IMAGE_ALGO_SHA512);
	image_hash_update(&h, "abc", 3);
	d = image_hash_final(&h);
	is_str(d, SHA512_ABC, "sha512 of abc");
	free(d);
	image_sha256_hex("abc", hex);
	is_str(hex, SHA256_ABC + 7, "sha256 hex of a string");

	is_int(image_digest_check(SHA256_ABC, SHA256_ABC, &cause), 0,
	    "same digest");
	is_int(image_digest_check("sha256:00", "sha256:11", &cause), -1,
	    "different digest");
	is_str(cause, "expected digest `sha256:00`, got `sha256:11`",
	    "mismatch message");
	free(cause);
}

static void
test_cache_path(void)
{
	char *p;

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	p = image_cache_entry_dir(
	    "https://example.com/images/ubuntu-24.04.img");
	is_str(p,
	    "/x/cache/lima/download/by-url-sha256/"
	    "2fbfcb2f76f5b5df001886cdf739af5e8f9040202460ae44f24a23dfb0185d0c",
	    "entry under XDG_CACHE_HOME");
	free(p);
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	p = image_cache_entry_dir(
	    "https://example.com/images/ubuntu-24.04.img");
	is_str(p,
	    "/home/u/.cache/lima/download/by-url-sha256/"
	    "2fbfcb2f76f5b5df001886cdf739af5e8f9040202460ae44f24a23dfb0185d0c",
	    "relative XDG_CACHE_HOME ignored");
	free(p);
}

static void
test_decompressor(void)
{
	static const unsigned char gz[] = { 0x1f, 0x8b, 0x08 };
	static const unsigned char bz[] = { 'B', 'Z', 'h', '9' };
	static const unsigned char bz_short[] = { 'B', 'Z' };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char zst[] = { 0x28, 0xb5, 0x2f, 0xfd, 0 };
	static const unsigned char qcow[] = { 'Q', 'F', 'I', 0xfb };

	is_str(image_decompressor_by_ext("https://h/a.img.gz"), "gzip", ".gz");
	is_str(
	    image_decompressor_by_ext("https://h/a.tar.bz2"), "bzip2", ".bz2");
	is_str(image_decompressor_by_ext("/tmp/a.raw.xz"), "xz", ".xz path");
	is_str(image_decompressor_by_ext("file:///tmp/k.zst"), "zstd",
	    ".zst file://");
	is_str(image_decompressor_by_ext("https://h/a.xz?sig=1#x"), "xz",
	    "query string dropped");
	is_str(image_decompressor_by_ext("https://h/a.img"), NULL, ".img");
	is_str(image_decompressor_by_ext("https://h/d.gz/a"), NULL,
	    "dot in a directory");
	is_str(image_decompressor_by_ext("https://h/a.GZ"), NULL,
	    "case matters (as path.Ext)");

	is_str(
	    image_decompressor_by_magic(gz, sizeof gz), "gzip", "gzip magic");
	is_str(
	    image_decompressor_by_magic(bz, sizeof bz), "bzip2", "bzip2 magic");
	is_str(image_decompressor_by_magic(bz_short, sizeof bz_short), NULL,
	    "truncated bzip2 magic");
	is_str(image_decompressor_by_magic(xz, sizeof xz), "xz", "xz magic");
	is_str(
	    image_decompressor_by_magic(zst, sizeof zst), "zstd", "zstd magic");
	is_str(image_decompressor_by_magic(qcow, sizeof qcow), NULL,
	    "qcow2 is not compressed");
}

static void
test_bar(void)
{
	struct image_progress p;
	char line[512];

	memset(&p, 0, sizeof p);
	p.state = IMAGE_PROGRESS_UPDATE;
	p.done = 512;
	p.total = 1024;
	p.elapsed = 1;
	image_bar_format(line, sizeof line, &p, 80, 0);
	is_int(strlen(line), 80, "bar is 80 columns");
	ok(strncmp(line, "512 B / 1.00 KiB [", 18) == 0, "counters: %s", line);
	ok(strstr(line, "=>_") != NULL, "half full: %s", line);
	ok(strstr(line, "] 50.00% 512 B/s") != NULL, "percent, speed: %s",
	    line);

	p.done = 3 * 1024 * 1024 + 512 * 1024;
	p.total = -1;
	p.elapsed = 0;
	image_bar_format(line, sizeof line, &p, 80, 0);
	ok(strncmp(line, "3.50 MiB / ? [", 14) == 0, "unknown total: %s", line);
	ok(strstr(line, " ?\?/s") != NULL, "unknown speed: %s", line);

	p.done = p.total = 5LL * 1024 * 1024 * 1024;
	p.elapsed = 2;
	image_bar_format(line, sizeof line, &p, 80, 1);
	ok(strstr(line, "\033[32m[====") != NULL, "green bar: %s", line);
	ok(strstr(line, "100.00% 2.50 GiB/s") != NULL, "done: %s", line);
}

int
main(void)
{
	test_digest_parse();
	test_hash();
	test_cache_path();
	test_decompressor();
	test_bar();

	is_str(image_dl_status_string(IMAGE_DL_SKIPPED), "skipped", "skipped");
	is_str(image_dl_status_string(IMAGE_DL_DOWNLOADED), "downloaded",
	    "downloaded");
	is_str(image_dl_status_string(IMAGE_DL_USED_CACHE), "used-cache",
	    "used-cache");
	is_str(image_q("a b"), "`a b`", "back-quoted");
	is_str(image_q("a`b"), "\"a`b\"", "double-quoted with a back-quote");
	return done_testing();
}
