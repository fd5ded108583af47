/* clima: the download cache (~/.cache/lima) and limactl prune. */
/*
 * One directory per URL under download/by-url-sha256/<sha256 of URL>,
 * holding url, data, <algo>.digest, time and type (the downloader fills
 * them).  Prune removes the whole root, or every entry no instance or
 * template refers to; entries a downloader holds an flock on are kept.
 */
#include "config.h"

#include <sys/file.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

#define STORE_CACHE_BY_URL   "download/by-url-sha256"
#define STORE_CACHE_META_MAX (64 * 1024)

void
store_sha256_hex(const char *s, char out[65])
{
	unsigned char sum[32];
	size_t i;

#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_sha256((const unsigned char *)s, strlen(s), sum, 0);
#else
	mbedtls_sha256_ret((const unsigned char *)s, strlen(s), sum, 0);
#endif
	for (i = 0; i < sizeof sum; i++)
		snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

char *
store_cache_entry_dir(const char *url)
{
	char hex[65], *root, *dir;

	store_sha256_hex(url, hex);
	root = store_cache_dir();
	xasprintf(&dir, "%s/" STORE_CACHE_BY_URL "/%s", root, hex);
	free(root);
	return dir;
}

static char *
store_cache_read(const char *entrydir, const char *file)
{
	char *path, *buf = NULL, *why = NULL;

	xasprintf(&path, "%s/%s", entrydir, file);
	if (store_read_file(path, STORE_CACHE_META_MAX, &buf, NULL, &why) ==
	    -1) {
		log_debug("%s: %s", __func__, why);
		free(why);
	}
	free(path);
	return buf;
}

char *
store_cache_url(const char *entrydir)
{
	return store_cache_read(entrydir, "url");
}

char *
store_cache_digest(const char *entrydir, const char *algo)
{
	char *file, *d;

	xasprintf(&file, "%s.digest", algo);
	d = store_cache_read(entrydir, file);
	free(file);
	if (d != NULL)
		store_trim(d);
	return d;
}

/* Removes data.part and data.tmp.* (interrupted downloads) in dir. */
static int
store_prune_partial(const char *dir, char **cause)
{
	struct dirent *de;
	char *path;
	DIR *d;
	int ret = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "data.part") != 0 &&
		    strncmp(de->d_name, "data.tmp.", 9) != 0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		log_debug("%s: removing %s", __func__, path);
		if (unlink(path) == -1 && errno != ENOENT && ret == 0) {
			xasprintf(cause, "remove %s: %s", path,
			    store_strerror(errno));
			ret = -1;
		}
		free(path);
	}
	closedir(d);
	return ret;
}

/* Handles one entry: keep (and clean) it, or remove it. */
static int
store_prune_entry(
    const char *dir, const char *key, char **hashes, size_t n, char **cause)
{
	size_t i;
	int fd, ret;

	/* A download in progress holds an exclusive flock on the entry. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_debug("%s: %s is locked, skipping", __func__, dir);
		close(fd);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(hashes[i], key) == 0)
			break;
	}
	if (i < n)
		ret = store_prune_partial(dir, cause);
	else {
		log_debug("%s: pruning %s", __func__, dir);
		ret = store_rmtree(dir, cause);
	}
	close(fd);
	return ret;
}

int
store_prune(
    int keep_referred, const char *const *urls, size_t nurls, char **cause)
{
	char *root = NULL, *byurl = NULL, *dir, **hashes = NULL;
	struct dirent *de;
	DIR *d = NULL;
	size_t i;
	int ret = -1;

	root = store_cache_dir();
	if (!keep_referred) {
		ret = store_rmtree(root, cause);
		goto out;
	}
	hashes = xcalloc(nurls + 1, sizeof *hashes);
	for (i = 0; i < nurls; i++) {
		hashes[i] = xmalloc(65);
		store_sha256_hex(urls[i], hashes[i]);
	}
	xasprintf(&byurl, "%s/" STORE_CACHE_BY_URL, root);
	if ((d = opendir(byurl)) == NULL) {
		ret = 0; /* nothing cached */
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&dir, "%s/%s", byurl, de->d_name);
		if (store_prune_entry(dir, de->d_name, hashes, nurls, cause) !=
		    0) {
			free(dir);
			goto out;
		}
		free(dir);
	}
	ret = 0;
out:
	if (d != NULL)
		closedir(d);
	store_strv_free(hashes);
	free(byurl);
	free(root);
	return ret;
}
