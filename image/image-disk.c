/* clima: turning a downloaded image into the instance's boot disk. */
/*
 * Lima's QEMU CreateDisk and resize (qemu-img info / create / resize):
 * <dir>/image becomes <dir>/disk, or <dir>/iso plus an empty qcow2 disk
 * for installer ISOs; legacy basedisk/diffdisk get disk and iso symlinks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "image/image-int.h"

#define IMAGE_ISO9660_OFFSET 0x8001
#define IMAGE_ISO9660_MAGIC  "CD001"
#define IMAGE_QEMU_IMG_HINT \
	"qemu-img not found in PATH (hint: apt-get install qemu-utils)"

/* image_run for qemu-img, with the install hint when it is missing. */
static int
image_qemu_img(const char *const *argv, char **out, char **cause)
{
	char *why = NULL;
	int r;

	r = image_run(argv, out, &why);
	if (r == -2) {
		free(why);
		*cause = xstrdup(IMAGE_QEMU_IMG_HINT);
		return -1;
	}
	if (r != 0) {
		*cause = why;
		return -1;
	}
	return 0;
}

void
image_info_clear(struct image_info *info)
{
	free(info->format);
	free(info->backing);
	info->format = info->backing = NULL;
}

int
image_qemu_img_info(const char *path, struct image_info *info, char **cause)
{
	const char *argv[] = { "qemu-img", "info", "--output=json",
		"--force-share", path, NULL };
	struct image_info i = { NULL, 0, NULL };
	struct node *root = NULL;
	const char *format, *backing;
	char *out = NULL, *why = NULL;
	long long size;
	int ret = -1;

	if (image_qemu_img(argv, &out, cause) != 0)
		return -1;
	if ((root = node_from_json(out, strlen(out), &why)) == NULL) {
		xasprintf(cause, "qemu-img info %s: %s", path, why);
		goto out;
	}
	format = node_get_str(node_map_get(root, "format"));
	if (format == NULL ||
	    node_get_int(node_map_get(root, "virtual-size"), &size) != 0 ||
	    size < 0) {
		xasprintf(
		    cause, "qemu-img info %s: no format or virtual-size", path);
		goto out;
	}
	i.format = xstrdup(format);
	i.virtual_size = (uint64_t)size;
	backing = node_get_str(node_map_get(root, "backing-filename"));
	if (backing != NULL && *backing != '\0')
		i.backing = xstrdup(backing);
	*info = i;
	ret = 0;
out:
	node_free(root);
	free(out);
	free(why);
	return ret;
}

int
image_is_iso9660(const char *path, char **cause)
{
	char buf[sizeof IMAGE_ISO9660_MAGIC - 1];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		return -1;
	}
	n = pread(fd, buf, sizeof buf, IMAGE_ISO9660_OFFSET);
	close(fd);
	if (n == -1) {
		xasprintf(cause, "read %s: %s", path, strerror(errno));
		return -1;
	}
	return n == (ssize_t)sizeof buf &&
	    memcmp(buf, IMAGE_ISO9660_MAGIC, sizeof buf) == 0;
}

/* qemu-img create -f qcow2 <path> <bytes>, via a temp name. */
static int
image_create_qcow2(const char *path, uint64_t bytes, char **cause)
{
	char num[32], *tmp;
	const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", NULL,
		num, NULL };
	int ret = -1;

	tmp = image_tmp_name(path);
	argv[5] = tmp;
	snprintf(num, sizeof num, "%" PRIu64, bytes);
	if (image_qemu_img(argv, NULL, cause) != 0)
		goto out;
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* Lima's MigrateDiskLayout: disk -> diffdisk, iso -> basedisk (ISO). */
static int
image_migrate_legacy(const char *dir, const char *disk, char **cause)
{
	char *iso = NULL, *base = NULL;
	int r, ret = -1;

	log_debug("%s: %s: linking disk to diffdisk", __func__, dir);
	if (symlink("diffdisk", disk) == -1) {
		xasprintf(cause, "symlink %s: %s", disk, strerror(errno));
		goto out;
	}
	xasprintf(&base, "%s/basedisk", dir);
	xasprintf(&iso, "%s/iso", dir);
	if (!image_exists(base) || image_exists(iso)) {
		ret = 0;
		goto out;
	}
	if ((r = image_is_iso9660(base, cause)) == -1)
		goto out;
	if (r == 1 && symlink("basedisk", iso) == -1) {
		xasprintf(cause, "symlink %s: %s", iso, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(iso);
	free(base);
	return ret;
}

/* <dir>/image becomes disk, or iso plus a fresh qcow2 disk. */
static int
image_make_disk(const char *dir, const char *image, const char *disk,
    uint64_t bytes, char **cause)
{
	struct image_info info = { NULL, 0, NULL };
	char *iso = NULL;
	int r, ret = -1;

	if (image_qemu_img_info(image, &info, cause) != 0)
		return -1;
	if (info.backing != NULL) {
		xasprintf(cause, "base disk (%s) must not have a backing file",
		    image_q(image));
		goto out;
	}
	if (strcmp(info.format, "qcow2") != 0 &&
	    strcmp(info.format, "raw") != 0)
		log_warnx("image %s has an unexpected format %s (expected "
			  "qcow2 or raw)",
		    image_q(image), image_q(info.format));
	if ((r = image_is_iso9660(image, cause)) == -1)
		goto out;
	if (r == 1) {
		xasprintf(&iso, "%s/iso", dir);
		if (rename(image, iso) == -1) {
			xasprintf(cause, "rename %s: %s", iso, strerror(errno));
			goto out;
		}
		ret = image_create_qcow2(disk, bytes, cause);
		goto out;
	}
	if (rename(image, disk) == -1) {
		xasprintf(cause, "rename %s: %s", disk, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	image_info_clear(&info);
	free(iso);
	return ret;
}

/* Grows disk to bytes; shrinking is refused. */
static int
image_resize(const char *disk, const char *name, uint64_t bytes, char **cause)
{
	struct image_info info = { NULL, 0, NULL };
	char num[32], *from = NULL, *to = NULL;
	const char *argv[] = { "qemu-img", "resize", "-f", NULL, disk, num,
		NULL };
	int ret = -1;

	if (image_qemu_img_info(disk, &info, cause) != 0)
		return -1;
	if (info.virtual_size == bytes) {
		ret = 0;
		goto out;
	}
	if (info.virtual_size > bytes) {
		xasprintf(cause, "disk shrinking is not supported");
		goto out;
	}
	from = units_bytes_size(info.virtual_size);
	to = units_bytes_size(bytes);
	log_info("Resize instance %s's disk from %s to %s", name, from, to);
	argv[3] = info.format;
	snprintf(num, sizeof num, "%" PRIu64, bytes);
	ret = image_qemu_img(argv, NULL, cause);
out:
	image_info_clear(&info);
	free(from);
	free(to);
	return ret;
}

int
image_prepare_disk(
    const char *dir, const char *name, uint64_t disk_bytes, char **cause)
{
	char *disk, *image, *diff, *iso, *base = NULL;
	int ret = -1;

	xasprintf(&disk, "%s/disk", dir);
	xasprintf(&image, "%s/image", dir);
	xasprintf(&diff, "%s/diffdisk", dir);
	xasprintf(&iso, "%s/iso", dir);
	if (name == NULL) {
		base = xstrdup(dir);
		while (strlen(base) > 1 && base[strlen(base) - 1] == '/')
			base[strlen(base) - 1] = '\0';
		name =
		    strrchr(base, '/') != NULL ? strrchr(base, '/') + 1 : base;
	}
	if (!image_exists(disk)) {
		if (image_exists(diff)) {
			if (image_migrate_legacy(dir, disk, cause) != 0)
				goto out;
		} else if (image_exists(image)) {
			if (image_make_disk(
				dir, image, disk, disk_bytes, cause) != 0)
				goto out;
		} else if (image_exists(iso)) {
			/* Interrupted after renaming an ISO image. */
			if (image_create_qcow2(disk, disk_bytes, cause) != 0)
				goto out;
		} else {
			xasprintf(cause,
			    "%s: no image to make a disk from "
			    "(expected %s)",
			    dir, image_q(image));
			goto out;
		}
	}
	ret = image_resize(disk, name, disk_bytes, cause);
out:
	free(disk);
	free(image);
	free(diff);
	free(iso);
	free(base);
	return ret;
}
