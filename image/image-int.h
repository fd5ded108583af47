/* clima: helpers shared by the image/ files (not a public API). */
/*
 * Digests (mbedTLS), small-file and copy helpers, running helper programs
 * (qemu-img, gzip, ...) without a shell, decompression, and the throttled
 * progress reporter.  Unit tests include this header too.
 */
#ifndef IMAGE_IMAGE_INT_H
#define IMAGE_IMAGE_INT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "image/image.h"

/* Bounds on what is read into memory. */
#define IMAGE_SMALL_FILE_MAX ((size_t)64 * 1024)   /* url, time, type */
#define IMAGE_RUN_STDOUT_MAX ((size_t)1024 * 1024) /* a helper's stdout */
#define IMAGE_RUN_STDERR_MAX ((size_t)16 * 1024)   /* a helper's stderr */
#define IMAGE_COPY_BUF_SIZE  ((size_t)128 * 1024)

enum image_algo {
	IMAGE_ALGO_SHA256,
	IMAGE_ALGO_SHA512
};

struct image_hash {
	enum image_algo algo;
	mbedtls_sha256_context sha256;
	mbedtls_sha512_context sha512;
};

/* Checks "algo:hex"; 0 and *algo, or -1 and go-digest's message. */
int image_digest_parse(const char *, enum image_algo *, char **cause);
/* "sha256" or "sha512" (static). */
const char *image_algo_name(enum image_algo);
void image_hash_init(struct image_hash *, enum image_algo);
void image_hash_update(struct image_hash *, const void *, size_t);
/* Finishes and frees the context; "algo:hex", the caller's. */
char *image_hash_final(struct image_hash *);
/* Digest of a whole file as "algo:hex" in *out (the caller's). */
int image_file_digest(const char *, enum image_algo, char **out, char **cause);
/* 0, or -1 and ``expected digest `want`, got `got` `` in *cause. */
int image_digest_check(const char *want, const char *got, char **cause);
/* Hex SHA-256 of a string (65 bytes with the NUL). */
void image_sha256_hex(const char *, char out[65]);

/* Go's %#q (back-quotes when possible); eight rotating static buffers. */
const char *image_q(const char *);
/* The file a local location names ("file://" dropped, "~/" expanded). */
char *image_local_path(const char *);
/* Monotonic clock in seconds. */
double image_now(void);
/* 1 if path exists (lstat: a dangling symlink counts), else 0. */
int image_exists(const char *);
/* "<path>.<pid>.<n>.tmp", unique within this process; the caller's. */
char *image_tmp_name(const char *);
/* Reads at most IMAGE_SMALL_FILE_MAX bytes: 0, 1 if missing, -1. */
int image_read_small(const char *, char **, char **cause);
/* Writes data to path via a temp file, fsync and rename. */
/* mkdir -p; every created component gets mode. */
int image_mkdir_p(const char *, mode_t, char **cause);
/* Copies a regular file (keeping holes) via a temp file and rename. */
int image_copy_file(const char *src, const char *dst, char **cause);
/*
 * Spawns argv (PATH searched) with stdin from in and stdout to out (-1:
 * /dev/null; outfd not NULL: a pipe whose read end is *outfd) and stderr
 * to a pipe whose read end is *errfd.  0, -2 and *cause if the program is
 * not installed, -1 on other failures.
 */
int image_spawn(const char *const *, int in, int out, pid_t *, int *outfd,
    int *errfd, char **cause);
/*
 * Reads outfd (-1: none) into *out and errfd (bounded) until both close,
 * calling tick(arg) about every IMAGE_PROGRESS_INTERVAL_MSEC, then reaps
 * pid; closes both fds.  0 on exit status 0, else -1 and "<what>: exit
 * status N: <stderr>" in *cause.
 */
int image_wait(pid_t, int outfd, char **out, int errfd, void (*)(void *),
    void *, const char *what, char **cause);
/*
 * Runs argv and waits; *out (if not NULL) gets its stdout.  0 on exit
 * status 0, -1 on failure (stderr in *cause), -2 if not installed.
 */
int image_run(const char *const *, char **out, char **cause);

/* Throttled progress reports for one phase. */
struct image_prog {
	image_progress_cb cb;
	void *arg;
	struct image_progress p;
	double start;
	double last;
};
void image_prog_start(struct image_prog *, image_progress_cb, void *,
    enum image_progress_kind, const char *, int64_t);
void image_prog_update(struct image_prog *, uint64_t, int64_t);
void image_prog_done(struct image_prog *, uint64_t);
/* Formats one bar line of width columns (colour: ANSI green bar). */
void image_bar_format(
    char *, size_t, const struct image_progress *, int width, int colour);

/* "gzip", "bzip2", "xz", "zstd" or NULL. */
const char *image_decompressor_by_ext(const char *);
const char *image_decompressor_by_magic(const unsigned char *, size_t);
/*
 * Lima's copyLocal: checks digest (if not NULL) of src, then (dst not
 * NULL) decompresses or copies src into dst via a temp file.  ext_from
 * is the URL whose extension picks the decompressor.
 */
int image_copy_local(const char *dst, const char *src, const char *ext_from,
    const struct image_dl_req *, const char *digest, char **cause);

/* What qemu-img info says about a disk image. */
struct image_info {
	char *format;
	uint64_t virtual_size;
	char *backing; /* backing-filename, or NULL */
};
int image_qemu_img_info(const char *, struct image_info *, char **cause);
void image_info_clear(struct image_info *);
/* 1 if "CD001" is at 0x8001, 0 if not, -1 and *cause on read errors. */
int image_is_iso9660(const char *, char **cause);

#endif
