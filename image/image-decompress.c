/* clima: copying a local or cached file into place, decompressing it. */
/*
 * Lima's copyLocal: verify the digest, then decompress (by the URL's
 * extension, else by magic bytes) with `<tool> -d` reading the file on
 * stdin and writing a temp file on stdout, or copy; then rename.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "image/image-int.h"

#define IMAGE_MAGIC_MAX 6

static const struct {
	const char *ext;
	const char *tool;
	const unsigned char magic[IMAGE_MAGIC_MAX];
	size_t magic_len;
} image_compressors[] = {
	{ ".gz", "gzip", { 0x1f, 0x8b }, 2 },
	{ ".bz2", "bzip2", { 0x42, 0x5a, 0x68 }, 3 },
	{ ".xz", "xz", { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, 6 },
	{ ".zst", "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
};
#define IMAGE_NCOMPRESSORS \
	(sizeof image_compressors / sizeof image_compressors[0])

const char *
image_decompressor_by_ext(const char *url)
{
	const char *base, *dot;
	char *path;
	size_t i;

	/* The extension of the path part: a query string is not one. */
	path = xstrdup(url);
	if (strstr(path, "://") != NULL && strncmp(path, "file://", 7) != 0)
		path[strcspn(path, "?#")] = '\0';
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	for (i = 0; dot != NULL && i < IMAGE_NCOMPRESSORS; i++) {
		if (strcmp(dot, image_compressors[i].ext) == 0) {
			free(path);
			return image_compressors[i].tool;
		}
	}
	free(path);
	return NULL;
}

const char *
image_decompressor_by_magic(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < IMAGE_NCOMPRESSORS; i++) {
		if (len >= image_compressors[i].magic_len &&
		    memcmp(buf, image_compressors[i].magic,
			image_compressors[i].magic_len) == 0)
			return image_compressors[i].tool;
	}
	return NULL;
}

/* The tool for the first bytes of path, or NULL (also on errors). */
static const char *
image_decompressor_of_file(const char *path)
{
	unsigned char buf[IMAGE_MAGIC_MAX];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	n = pread(fd, buf, sizeof buf, 0);
	close(fd);
	if (n <= 0)
		return NULL;
	return image_decompressor_by_magic(buf, n);
}

struct image_dc_tick {
	struct image_prog prog;
	int fd;
	int64_t size;
};

/* The child shares our file offset on stdin: that is how far it read. */
static void
image_decompress_tick(void *arg)
{
	struct image_dc_tick *t = arg;
	off_t pos;

	if ((pos = lseek(t->fd, 0, SEEK_CUR)) != -1)
		image_prog_update(&t->prog, (uint64_t)pos, t->size);
}

static int
image_decompress(const char *tool, const char *src, const char *dst,
    const struct image_dl_req *req, char **cause)
{
	const char *argv[] = { tool, "-d", NULL };
	const char *desc;
	struct image_dc_tick t;
	struct stat sb;
	char *tmp = NULL, *what = NULL;
	pid_t pid;
	int dfd = -1, errfd = -1, ret = -1;

	log_debug("%s: %s -d < %s > %s", __func__, tool, src, dst);
	memset(&t, 0, sizeof t);
	if ((t.fd = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open %s: %s", src, strerror(errno));
		return -1;
	}
	if (fstat(t.fd, &sb) == -1) {
		xasprintf(cause, "stat %s: %s", src, strerror(errno));
		goto out;
	}
	t.size = sb.st_size;
	tmp = image_tmp_name(dst);
	dfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (dfd == -1) {
		xasprintf(cause, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (image_spawn(argv, t.fd, dfd, &pid, NULL, &errfd, cause) != 0)
		goto out;
	desc = req->description;
	if (desc == NULL) {
		desc = strrchr(src, '/');
		desc = desc != NULL ? desc + 1 : src;
	}
	image_prog_start(&t.prog, req->progress, req->progress_arg,
	    IMAGE_PROGRESS_DECOMPRESS, desc, t.size);
	xasprintf(&what, "%s -d", tool);
	if (image_wait(pid, -1, NULL, errfd, image_decompress_tick, &t, what,
		cause) != 0)
		goto out;
	image_prog_done(&t.prog, (uint64_t)t.size);
	if (fsync(dfd) == -1) {
		xasprintf(cause, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(dfd) == -1) {
		dfd = -1;
		xasprintf(cause, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	dfd = -1;
	if (rename(tmp, dst) == -1) {
		xasprintf(cause, "rename %s: %s", dst, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (dfd != -1)
		close(dfd);
	if (ret != 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(what);
	close(t.fd);
	return ret;
}

int
image_copy_local(const char *dst, const char *src, const char *ext_from,
    const struct image_dl_req *req, const char *digest, char **cause)
{
	enum image_algo algo;
	const char *tool = NULL;
	char *got = NULL;
	struct stat sb;
	int ret = -1;

	/* Also in cache-only mode: a missing source is an error. */
	if (stat(src, &sb) == -1) {
		xasprintf(cause, "stat %s: %s", src, strerror(errno));
		return -1;
	}
	if (digest != NULL) {
		log_debug("%s: verifying digest of local file %s (%s)",
		    __func__, src, digest);
		if (image_digest_parse(digest, &algo, cause) != 0)
			return -1;
		if (image_file_digest(src, algo, &got, cause) != 0)
			return -1;
		if (image_digest_check(digest, got, cause) != 0)
			goto out;
	}
	if (dst == NULL) {
		ret = 0;
		goto out;
	}
	if (req->decompress) {
		tool = image_decompressor_by_ext(ext_from);
		if (tool == NULL)
			tool = image_decompressor_of_file(src);
	}
	if (tool != NULL)
		ret = image_decompress(tool, src, dst, req, cause);
	else {
		log_debug("%s: copying %s to %s", __func__, src, dst);
		ret = image_copy_file(src, dst, cause);
	}
out:
	free(got);
	return ret;
}
