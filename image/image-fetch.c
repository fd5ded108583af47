/* clima: choosing and fetching the images[] entry for an instance. */
/*
 * Lima's Prepare: walk images[] in order, skip other architectures, and
 * take the first entry whose image (and kernel and initrd, if any)
 * downloads; the user sees "Attempting to download the image" and where
 * it came from.  Failures of every entry are reported together.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "image/image-int.h"
#include "store/store.h"

/* Files one images[] entry may leave in the instance directory. */
static const char *image_fetch_files[] = { "image", "kernel", "kernel.cmdline",
	"initrd" };

/* "the image (x.img)": Go's path.Base of the location. */
static char *
image_fetch_description(const char *what, const char *location)
{
	const char *end, *base;
	char *s;

	end = location + strlen(location);
	while (end > location + 1 && end[-1] == '/')
		end--;
	for (base = end; base > location && base[-1] != '/'; base--)
		/* nothing */;
	xasprintf(&s, "%s (%.*s)", what, (int)(end - base), base);
	return s;
}

/*
 * Lima's fileutils.DownloadFile: one file into dest, or only into the
 * cache when dest is NULL.  *pathp (if not NULL) gets where the data now
 * is: dest, the cache entry, or the local source of a local location.
 */
static int
image_fetch_file(const char *dest, const char *what, const char *location,
    const char *digest, const char *arch, int decompress, image_progress_cb cb,
    void *arg, char **pathp, char **cause)
{
	struct image_dl_req req;
	struct image_dl_result res;
	const char *fields[] = { "arch", arch, "digest",
		digest != NULL ? digest : "", "location", location, NULL };
	char *desc, *why = NULL, *q;
	int ret = -1;

	log_infof(fields, "Attempting to download %s", what);
	desc = image_fetch_description(what, location);
	memset(&req, 0, sizeof req);
	req.url = location;
	req.dest = dest;
	req.digest = digest != NULL && *digest != '\0' ? digest : NULL;
	req.description = desc;
	req.decompress = decompress;
	req.progress = cb;
	req.progress_arg = arg;
	if (image_download(&req, &res, &why) != 0) {
		q = log_quote(location);
		xasprintf(cause, "failed to download %s: %s", q, why);
		free(q);
		goto out;
	}
	switch (res.status) {
	case IMAGE_DL_DOWNLOADED:
		log_info("Downloaded %s from %s", what, image_q(location));
		break;
	case IMAGE_DL_USED_CACHE:
		log_info("Using cache %s", image_q(res.cache_path));
		break;
	case IMAGE_DL_SKIPPED:
		log_debug("%s: %s already exists", __func__, dest);
		break;
	}
	if (pathp != NULL) {
		if (dest != NULL)
			*pathp = xstrdup(dest);
		else if (res.cache_path != NULL)
			*pathp = xstrdup(res.cache_path);
		else
			*pathp = image_local_path(location);
	}
	image_dl_result_clear(&res);
	ret = 0;
out:
	free(why);
	free(desc);
	return ret;
}

/* dir/file for image_fetch_file. */
static int
image_fetch_into(const char *dir, const char *file, const char *what,
    const char *location, const char *digest, const char *arch, int decompress,
    image_progress_cb cb, void *arg, char **cause)
{
	char *dest;
	int ret;

	xasprintf(&dest, "%s/%s", dir, file);
	ret = image_fetch_file(dest, what, location, digest, arch, decompress,
	    cb, arg, NULL, cause);
	free(dest);
	return ret;
}

/* Removes what a failed entry left, so the next one starts clean. */
static void
image_fetch_cleanup(const char *dir)
{
	size_t i;
	char *path;

	for (i = 0; i < sizeof image_fetch_files / sizeof *image_fetch_files;
	     i++) {
		xasprintf(&path, "%s/%s", dir, image_fetch_files[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			log_debug("%s: unlink %s: %s", __func__, path,
			    strerror(errno));
		free(path);
	}
}

/* Downloads one entry's image, kernel, cmdline and initrd. */
static int
image_fetch_entry(const char *dir, const struct image_spec *s,
    image_progress_cb cb, void *arg, char **cause)
{
	char *path;
	int ret;

	if (image_fetch_into(dir, "image", "the image", s->location, s->digest,
		s->arch, 1, cb, arg, cause) != 0)
		return -1;
	if (s->kernel != NULL) {
		if (image_fetch_into(dir, "kernel", "the kernel", s->kernel,
			s->kernel_digest, s->arch, 1, cb, arg, cause) != 0)
			return -1;
		if (s->kernel_cmdline != NULL && *s->kernel_cmdline != '\0') {
			xasprintf(&path, "%s/kernel.cmdline", dir);
			ret = store_write_file_atomic(path, s->kernel_cmdline,
			    strlen(s->kernel_cmdline), 0644, cause);
			free(path);
			if (ret != 0)
				return -1;
		}
	}
	if (s->initrd != NULL &&
	    image_fetch_into(dir, "initrd", "the initrd", s->initrd,
		s->initrd_digest, s->arch, 0, cb, arg, cause) != 0)
		return -1;
	return 0;
}

/* Appends why to the newline-separated *errs; takes why. */
static void
image_fetch_add_error(char **errs, char *why)
{
	char *tmp;

	if (*errs == NULL) {
		*errs = why;
		return;
	}
	xasprintf(&tmp, "%s\n%s", *errs, why);
	free(*errs);
	free(why);
	*errs = tmp;
}

int
image_fetch(const char *dir, const struct image_spec *specs, size_t n,
    const char *arch, image_progress_cb cb, void *arg, char **cause)
{
	char *path, *why = NULL, *errs = NULL;
	size_t i, tried = 0;
	int done;

	/* Created before: the disk (or the legacy basedisk) is there. */
	xasprintf(&path, "%s/disk", dir);
	done = image_exists(path);
	free(path);
	xasprintf(&path, "%s/basedisk", dir);
	done = done || image_exists(path);
	free(path);
	if (done) {
		log_debug("%s: %s already has its disk", __func__, dir);
		return 0;
	}

	for (i = 0; i < n; i++) {
		if (specs[i].location == NULL)
			continue;
		if (specs[i].arch == NULL || strcmp(specs[i].arch, arch) != 0) {
			log_debug("%s: skipped to download %s: unsupported "
				  "arch %s",
			    __func__, specs[i].location,
			    specs[i].arch != NULL ? specs[i].arch : "");
			continue;
		}
		tried++;
		if (image_fetch_entry(dir, &specs[i], cb, arg, &why) == 0) {
			free(errs);
			return 0;
		}
		image_fetch_cleanup(dir);
		image_fetch_add_error(&errs, why);
		why = NULL;
	}
	if (tried == 0)
		xasprintf(cause,
		    "skipped to download: no image in images[] "
		    "for arch %s",
		    image_q(arch));
	else
		*cause = errs;
	return -1;
}

int
image_fetch_first(const struct image_file *files, size_t n,
    const char *arch, const char *what, const char *dest, int decompress,
    image_progress_cb cb, void *arg, char **pathp, char **cause)
{
	char *why = NULL, *errs = NULL;
	size_t i, tried = 0;

	for (i = 0; i < n; i++) {
		if (files[i].location == NULL || *files[i].location == '\0')
			continue;
		if (files[i].arch == NULL || strcmp(files[i].arch, arch) != 0) {
			log_debug("%s: skipped to download %s: unsupported "
				  "arch %s",
			    __func__, files[i].location,
			    files[i].arch != NULL ? files[i].arch : "");
			continue;
		}
		tried++;
		if (image_fetch_file(dest, what, files[i].location,
		    files[i].digest, arch, decompress, cb, arg, pathp,
		    &why) == 0) {
			free(errs);
			return 0;
		}
		image_fetch_add_error(&errs, why);
		why = NULL;
	}
	if (tried == 0) {
		xasprintf(cause, "no entry for arch %s", image_q(arch));
		return -1;
	}
	*cause = errs;
	return -1;
}
