/* clima: VM images: the download cache, image selection, disk setup. */
/*
 * image_download is Lima's pkg/downloader (cache under
 * $XDG_CACHE_HOME/lima/download/by-url-sha256), image_fetch picks and
 * fetches images[] for an instance, image_prepare_disk turns <dir>/image
 * into <dir>/disk.  All calls block (libcurl easy API, qemu-img): CLI only.
 */
#ifndef IMAGE_IMAGE_H
#define IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* What a progress callback is told; every pointer is borrowed. */
enum image_progress_kind {
	IMAGE_PROGRESS_DOWNLOAD,
	IMAGE_PROGRESS_DECOMPRESS
};
enum image_progress_state {
	IMAGE_PROGRESS_START,  /* before the first byte */
	IMAGE_PROGRESS_UPDATE, /* at most every IMAGE_PROGRESS_INTERVAL_MSEC */
	IMAGE_PROGRESS_DONE    /* last call: done == total */
};
struct image_progress {
	enum image_progress_kind kind;
	enum image_progress_state state;
	const char *description; /* "the image (x.img)", or the URL */
	uint64_t done;           /* bytes */
	int64_t total;           /* bytes, -1 while unknown */
	double elapsed;          /* seconds since START */
};
typedef void (*image_progress_cb)(const struct image_progress *, void *);
#define IMAGE_PROGRESS_INTERVAL_MSEC 100

/*
 * Lima's progress output: START prints "Downloading <desc>" to stderr
 * (or logs "Decompressing <desc>"); UPDATE and DONE draw an 80-column
 * bar "{counters} [bar] {percent} {speed}/s" on stderr when it is a
 * terminal, nothing otherwise.  The argument is unused.
 */
void image_progress_bar_cb(const struct image_progress *, void *);

enum image_dl_status {
	IMAGE_DL_SKIPPED,    /* dest already existed; nothing checked */
	IMAGE_DL_DOWNLOADED, /* fetched, or copied from a local source */
	IMAGE_DL_USED_CACHE
};

struct image_dl_req {
	const char *url;            /* http(s)://, file:// or a local path */
	const char *dest;           /* NULL: only fill the cache */
	const char *digest;         /* "sha256:<hex>", "sha512:<hex>" or NULL */
	const char *description;    /* for progress; NULL: the URL */
	int decompress;             /* by extension, else by magic bytes */
	image_progress_cb progress; /* NULL: silent */
	void *progress_arg;
};

struct image_dl_result {
	enum image_dl_status status;
	char *cache_path;     /* <entry>/data when cached, else NULL */
	int validated_digest; /* 1 when digest was checked */
};

/*
 * Lima's downloader.Download.  Returns 0 and fills *res (release it with
 * image_dl_result_clear) or -1 and *cause.  A digest mismatch while
 * fetching leaves nothing in the cache entry.
 */
int image_download(
    const struct image_dl_req *, struct image_dl_result *, char **cause);
void image_dl_result_clear(struct image_dl_result *);
/* "skipped", "downloaded", "used-cache" (static). */
const char *image_dl_status_string(enum image_dl_status);

/* 0 if s is "sha256:<64 hex>" or "sha512:<128 hex>", else -1, *cause. */
int image_digest_validate(const char *, char **cause);
/* <cache>/download/by-url-sha256/<sha256 hex of url>; the caller's. */
char *image_cache_entry_dir(const char *url);

/* One images[] entry; strings are borrowed, NULL means unset. */
struct image_spec {
	const char *location;
	const char *arch;
	const char *digest;
	const char *kernel; /* location */
	const char *kernel_digest;
	const char *kernel_cmdline;
	const char *initrd; /* location */
	const char *initrd_digest;
};

/*
 * Lima's Prepare: unless <dir>/disk or <dir>/basedisk exists, downloads
 * the first entry for arch into <dir>/image (decompressed), with kernel,
 * kernel.cmdline and initrd (not decompressed).  Logs "Attempting to
 * download the image" and its outcome at info level.  0, or -1 and
 * *cause holding every failure, one per line.
 */
int image_fetch(const char *dir, const struct image_spec *, size_t n,
    const char *arch, image_progress_cb, void *arg, char **cause);

/* One containerd.archives[] or firmware.images[] entry; borrowed. */
struct image_file {
	const char *location;
	const char *arch;
	const char *digest; /* NULL or "": unchecked */
};

/*
 * Lima's ensureNerdctlArchiveCache and firmware download: tries the
 * entries for arch in order and stops at the first that downloads into
 * dest (decompressed if asked), or only into the cache when dest is NULL.
 * "what" names it in the log ("the nerdctl archive").  *pathp (if not
 * NULL) gets where the data is: dest, the cache entry's data file, or a
 * local location's own path.  0, or -1 and *cause (every failure, one
 * per line; "no entry for arch ..." when none matched).
 */
int image_fetch_first(const struct image_file *, size_t n, const char *arch,
    const char *what, const char *dest, int decompress, image_progress_cb,
    void *arg, char **pathp, char **cause);

/*
 * Lima's QEMU CreateDisk plus resize: migrates basedisk/diffdisk, turns
 * <dir>/image into disk (or iso plus an empty qcow2 disk) and grows disk
 * to disk_bytes (logging "Resize instance NAME's disk ..."; name NULL:
 * the last part of dir).  0, or -1 and *cause (shrinking is an error).
 */
int image_prepare_disk(
    const char *dir, const char *name, uint64_t disk_bytes, char **cause);

#endif
