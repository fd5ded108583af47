/* clima: what the files of cidata/ share. */
/*
 * The image is assembled as a list of struct cd_file (a name inside the
 * image plus either bytes in memory or a local file to copy), then
 * handed to cd_iso_write.  The text builders live in cidata-yaml.c
 * (cloud-init documents) and cidata-env.c (the *.env files).
 */
#ifndef CIDATA_CIDATA_INT_H
#define CIDATA_CIDATA_INT_H

#include <sys/types.h>
#include <stddef.h>

#include "compat/compat.h"

struct cidata_args;

struct cd_file {
	char *name; /* "user-data", "boot.Linux/05-lima-disks.sh" */
	char *data; /* contents; NULL when path is set */
	size_t len;
	char *path; /* absolute local file, copied by libisofs */
	mode_t mode;
	TAILQ_ENTRY(cd_file) entry;
};
TAILQ_HEAD(cd_files, cd_file);

#define CD_BOOT_SCRIPT "/var/lib/cloud/scripts/per-boot/00-lima.boot.sh"
#define CD_CIDATA_MNT  "/mnt/lima-cidata"
#define CD_ARCHIVE     "nerdctl-full.tgz"
#define CD_GUESTAGENT  "lima-guestagent"

/* cidata.c */
int cd_validate(const struct cidata_args *, char **cause);
/* Nameservers for the guest (borrowed); *n may be 0. */
const char *const *cd_dns(const struct cidata_args *, size_t *n);
/* Copy of s with control characters removed; the caller's. */
char *cd_strip_control(const char *);
/* args->machine_id or the host's; the caller's. */
char *cd_machine_id(const struct cidata_args *);

/* <path>.tmp.XXXXXX, opened O_CLOEXEC; -1 and *cause on failure. */
int cd_tmp_open(const char *path, char **tmp, char **cause);
/* fchmod, fsync, close and rename; unlinks tmp on failure. */
int cd_tmp_commit(
    int fd, const char *tmp, const char *path, mode_t mode, char **cause);

/* cidata-env.c */
/* The env: map for etc_environment (sorted KEY=VALUE lines). */
char **cd_env_lines(const struct cidata_args *, size_t *n, char **cause);
void cd_strv_free(char **, size_t);
/* "PARAM_k=v" lines, sorted by key. */
char **cd_param_lines(const struct cidata_args *, size_t *n, char **cause);

/* cidata-iso.c */
int cd_iso_write(struct cd_files *, const char *path, char **cause);

#endif
