/* clima: the ISO9660 + Rock Ridge writer (libisofs). */
/*
 * Every file in the list becomes a node owned by root, with the mode
 * given; names hold at most one "/" (boot.Linux/x.sh).  libisofs runs
 * its writer in a thread; we read the image from its burn_source in
 * 2 KiB blocks into a temp file that is renamed over the target.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* We read the image ourselves: no libburn, so libisofs declares the
 * struct burn_source it hands out. */
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>

#include "cidata/cidata.h"
#include "cidata/cidata-int.h"
#include "common/xmalloc.h"

#define CD_ISO_BLOCK 2048 /* libisofs hands out whole sectors */

/* iso_set_msgs_severities takes char *, not const char *. */
static char cd_never[] = "NEVER";
static char cd_id[] = "libisofs";

static void
cd_iso_own(IsoNode *node, mode_t mode, time_t now)
{
	iso_node_set_permissions(node, mode);
	iso_node_set_uid(node, 0);
	iso_node_set_gid(node, 0);
	iso_node_set_mtime(node, now);
	iso_node_set_atime(node, now);
	iso_node_set_ctime(node, now);
}

/* The directory for a name with a "/", made on first use. */
static int
cd_iso_dir(IsoImage *img, IsoDir *root, const char *name, time_t now,
    IsoDir **dir, char **cause)
{
	IsoNode *node;
	int r;

	r = iso_dir_get_node(root, name, &node);
	if (r == 1) {
		if (iso_node_get_type(node) != LIBISO_DIR) {
			xasprintf(cause, "cidata: %s is not a directory", name);
			return -1;
		}
		*dir = (IsoDir *)node;
		return 0;
	}
	if ((r = iso_image_add_new_dir(img, root, name, dir)) < 0) {
		xasprintf(cause, "cidata: %s: %s", name, iso_error_to_msg(r));
		return -1;
	}
	cd_iso_own((IsoNode *)*dir, 0755, now);
	return 0;
}

static int
cd_iso_add(
    IsoImage *img, IsoDir *root, struct cd_file *f, time_t now, char **cause)
{
	IsoDir *dir = root;
	IsoStream *st = NULL;
	IsoFile *file;
	IsoNode *node;
	unsigned char *buf;
	char *sub = NULL;
	const char *base, *slash;
	int r, rc = -1;

	if ((slash = strchr(f->name, '/')) != NULL) {
		sub = xstrndup(f->name, slash - f->name);
		if (cd_iso_dir(img, root, sub, now, &dir, cause) != 0)
			goto out;
		base = slash + 1;
	} else
		base = f->name;

	if (f->path != NULL) {
		r = iso_tree_add_new_node(img, dir, base, f->path, &node);
		if (r < 0) {
			xasprintf(cause, "cidata: %s: %s", f->path,
			    iso_error_to_msg(r));
			goto out;
		}
	} else {
		/* The stream takes the buffer and free()s it. */
		buf = xmalloc(f->len != 0 ? f->len : 1);
		memcpy(buf, f->data, f->len);
		if ((r = iso_memory_stream_new(buf, f->len, &st)) < 0) {
			free(buf);
			xasprintf(cause, "cidata: %s: %s", f->name,
			    iso_error_to_msg(r));
			goto out;
		}
		/* On success the file takes our reference to the stream. */
		r = iso_image_add_new_file(img, dir, base, st, &file);
		if (r < 0) {
			iso_stream_unref(st);
			xasprintf(cause, "cidata: %s: %s", f->name,
			    iso_error_to_msg(r));
			goto out;
		}
		node = (IsoNode *)file;
	}
	cd_iso_own(node, f->mode, now);
	rc = 0;
out:
	free(sub);
	return rc;
}

static int
cd_iso_copy(struct burn_source *bs, int fd, const char *tmp, char **cause)
{
	unsigned char buf[CD_ISO_BLOCK];
	size_t off;
	ssize_t w;
	int n;

	for (;;) {
		if (bs->read != NULL)
			n = bs->read(bs, buf, sizeof buf);
		else
			n = bs->read_xt(bs, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0) {
			xasprintf(cause,
			    "cidata: libisofs failed to produce "
			    "the image");
			return -1;
		}
		for (off = 0; off < (size_t)n; off += w) {
			w = write(fd, buf + off, n - off);
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w == -1) {
				xasprintf(cause, "cidata: %s: %s", tmp,
				    strerror(errno));
				return -1;
			}
		}
	}
}

int
cd_iso_write(struct cd_files *files, const char *path, char **cause)
{
	IsoImage *img = NULL;
	IsoWriteOpts *opts = NULL;
	struct burn_source *bs = NULL;
	struct cd_file *f;
	IsoDir *root;
	time_t now = time(NULL);
	char *tmp = NULL;
	int r, fd = -1, rc = -1, inited = 0;

	if ((r = iso_init_with_flag(1)) < 0) {
		xasprintf(cause, "cidata: libisofs: %s", iso_error_to_msg(r));
		goto out;
	}
	inited = 1;
	/* Our stderr may be a JSON log: libisofs must not print. */
	iso_set_msgs_severities(cd_never, cd_never, cd_id);
	if ((r = iso_image_new(CIDATA_VOLUME_ID, &img)) < 0) {
		xasprintf(cause, "cidata: libisofs: %s", iso_error_to_msg(r));
		goto out;
	}
	iso_image_set_volume_id(img, CIDATA_VOLUME_ID);
	iso_tree_set_follow_symlinks(img, 1);
	root = iso_image_get_root(img);
	cd_iso_own((IsoNode *)root, 0755, now);
	TAILQ_FOREACH(f, files, entry) {
		if (cd_iso_add(img, root, f, now, cause) != 0)
			goto out;
	}

	if ((r = iso_write_opts_new(&opts, 1)) < 0) {
		xasprintf(cause, "cidata: libisofs: %s", iso_error_to_msg(r));
		goto out;
	}
	iso_write_opts_set_iso_level(opts, 3);
	iso_write_opts_set_rockridge(opts, 1);
	iso_write_opts_set_joliet(opts, 0);
	/* Keep the label lowercase: the guest looks for by-label/cidata. */
	iso_write_opts_set_relaxed_vol_atts(opts, 1);
	if ((r = iso_image_create_burn_source(img, opts, &bs)) < 0) {
		bs = NULL;
		xasprintf(cause, "cidata: libisofs: %s", iso_error_to_msg(r));
		goto out;
	}
	if ((fd = cd_tmp_open(path, &tmp, cause)) == -1)
		goto out;
	if (cd_iso_copy(bs, fd, tmp, cause) != 0) {
		bs->cancel(bs);
		close(fd);
		unlink(tmp);
		goto out;
	}
	rc = cd_tmp_commit(fd, tmp, path, 0644, cause);
out:
	if (bs != NULL) {
		bs->free_data(bs);
		free(bs);
	}
	if (opts != NULL)
		iso_write_opts_free(opts);
	if (img != NULL)
		iso_image_unref(img);
	if (inited)
		iso_finish();
	free(tmp);
	return rc;
}
