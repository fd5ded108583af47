/* clima: helpers shared by the store/ files (not a public API). */
/*
 * File and process helpers: whole-file reads, pid files, rm -rf, sparse
 * copies, running a program with argv and capturing its output, and Go's
 * %#q quoting for names in messages.
 */
#ifndef STORE_STORE_INT_H
#define STORE_STORE_INT_H

#include <sys/types.h>
#include <stddef.h>

/* Bytes kept from a child's stdout and stderr (the rest is discarded). */
#define STORE_RUN_STDOUT_MAX (1024 * 1024)
#define STORE_RUN_STDERR_MAX (16 * 1024)
/* Largest small file (pid, url, digest, lima.yaml) read into memory. */
#define STORE_SMALL_FILE_MAX (4 * 1024 * 1024)
/* Deepest directory tree store_rmtree and the clone copy walk into. */
#define STORE_TREE_MAX_DEPTH 64

/*
 * Go's %#q: `s`, or a double-quoted string when s cannot be back-quoted.
 * Returns one of eight rotating static buffers; do not free.
 */
const char *store_q(const char *);

/*
 * strerror as Go prints it ("no such file or directory").  Returns one
 * of four rotating static buffers; do not free.
 */
const char *store_strerror(int);

/* 1 if s ends with suffix. */
int store_has_suffix(const char *, const char *);
/* 1 for names that force-stop removes and clone skips (*.pid ...). */
int store_is_temp_name(const char *);
/* Trims leading and trailing white space in place; returns s. */
char *store_trim(char *);
/* $HOME, else the password database, else "/"; the caller's. */
char *store_user_home(void);

/*
 * Reads a whole file of at most max bytes into *buf (NUL-terminated, the
 * caller's).  Returns 0, 1 if the file does not exist, or -1 with *cause.
 */
int store_read_file(const char *, size_t, char **, size_t *, char **);
/*
 * Lima's ReadPIDFile: 0 and *pid = 0 if the file is missing or the
 * process is gone (then the stale file is removed); 0 and the pid if it
 * is alive (EPERM counts as alive); -1 with *cause if it cannot be read
 * or parsed.
 */
int store_read_pid(const char *, pid_t *, char **);

/* mkdir that accepts an existing directory. */
int store_mkdir(const char *, mode_t, char **);
/* mkdir -p; every created component gets mode. */
int store_mkdir_p(const char *, mode_t, char **);
/* rm -rf without following symlinks; a missing path is success. */
int store_rmtree(const char *, char **);
/*
 * Copies a regular file to dst (via a temp file renamed into place),
 * with FICLONE when the filesystem can, else skipping holes.  The mode
 * of src is kept.
 */
int store_copy_file(const char *, const char *, char **);

/*
 * Runs argv[0] (searched in PATH) with stdin from /dev/null and waits.
 * *out, if not NULL, gets stdout (NUL-terminated, the caller's).  Returns
 * 0 on exit status 0, -1 with *cause on any failure, or -2 with *cause if
 * the program could not be executed at all (not installed).
 */
int store_run(const char *const *, char **, char **);

#endif
