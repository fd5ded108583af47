/* clima: $LIMA_HOME, instance names and the user's SSH identity. */
/*
 * Where things live ($LIMA_HOME, the cache root), which names are valid
 * instance names, and _config/user{,.pub}: created once by ssh-keygen
 * under an flock on the _config directory, so that concurrent limactl
 * processes end up with one key.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

#define STORE_NAME_REGEXP "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$"
/* What a control-master path adds to an instance dir (ssh's ControlPath). */
#define STORE_SOCK_PROBE "ssh.sock.1234567890123456"
#define STORE_PUBKEY_MAX (64 * 1024)

char *
store_lima_home(char **cause)
{
	const char *env = getenv("LIMA_HOME");
	char *dir, *home, resolved[PATH_MAX];

	if (env != NULL && *env != '\0')
		dir = xstrdup(env);
	else {
		home = store_user_home();
		xasprintf(&dir, "%s/.lima", home);
		free(home);
	}
	if (store_mkdir_p(dir, 0700, cause) != 0) {
		free(dir);
		return NULL;
	}
	if (realpath(dir, resolved) == NULL) {
		xasprintf(cause, "cannot evaluate symlinks in %s: %s",
		    store_q(dir), store_strerror(errno));
		free(dir);
		return NULL;
	}
	free(dir);
	return xstrdup(resolved);
}

char *
store_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *home, *dir;

	/* As Go's os.UserCacheDir: a relative XDG_CACHE_HOME is ignored. */
	if (xdg != NULL && *xdg == '/')
		xasprintf(&dir, "%s/lima", xdg);
	else {
		home = store_user_home();
		xasprintf(&dir, "%s/.cache/lima", home);
		free(home);
	}
	return dir;
}

/* The identifier regexp, by hand: alnum runs joined by single [._-]. */
static int
store_name_matches(const char *s)
{
	const char *p;
	int need_alnum = 1;

	for (p = s; *p != '\0'; p++) {
		if (isascii((unsigned char)*p) && isalnum((unsigned char)*p))
			need_alnum = 0;
		else if ((*p == '.' || *p == '_' || *p == '-') && !need_alnum)
			need_alnum = 1;
		else
			return 0;
	}
	return !need_alnum;
}

int
store_validate_name(const char *name, char **cause)
{
	size_t len = strlen(name);

	if (!store_name_matches(name)) {
		xasprintf(cause,
		    "instance name %s is not a valid identifier: identifier %s "
		    "must match %s",
		    store_q(name), store_q(name), STORE_NAME_REGEXP);
		return -1;
	}
	if (len > STORE_NAME_MAX) {
		xasprintf(cause,
		    "instance name %s is not a valid identifier: identifier %s "
		    "is longer than %d characters",
		    store_q(name), store_q(name), STORE_NAME_MAX);
		return -1;
	}
	if ((len >= 4 && strcasecmp(name + len - 4, ".yml") == 0) ||
	    (len >= 5 && strcasecmp(name + len - 5, ".yaml") == 0)) {
		xasprintf(cause,
		    "instance name %s must not end with .yml or .yaml suffix",
		    store_q(name));
		return -1;
	}
	return 0;
}

int
store_check_sock_len(const char *home, const char *name, char **cause)
{
	char *path;
	size_t len;

	xasprintf(&path, "%s/%s/%s", home, name, STORE_SOCK_PROBE);
	len = strlen(path);
	if (len > STORE_SUN_PATH_MAX) {
		xasprintf(cause,
		    "instance name %s too long: socket path %s would be %zu "
		    "bytes, the limit is %d (hint: use a shorter name or a "
		    "shorter LIMA_HOME)",
		    store_q(name), store_q(path), len, STORE_SUN_PATH_MAX);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

void
store_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int
store_strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
store_instance_names(const char *home, size_t *n)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **v = NULL;
	size_t count = 0;

	d = opendir(home);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || de->d_name[0] == '_')
				continue;
			/* Like Go's DirEntry.IsDir: a symlink is not a dir. */
			if (fstatat(dirfd(d), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISDIR(st.st_mode))
				continue;
			v = xreallocarray(v, count + 2, sizeof *v);
			v[count++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	v[count] = NULL;
	qsort(v, count, sizeof *v, store_strv_cmp);
	if (n != NULL)
		*n = count;
	return v;
}

char *
store_instance_dir(const char *home, const char *name)
{
	char *dir;

	xasprintf(&dir, "%s/%s", home, name);
	return dir;
}

int
store_ensure_user_key(const char *home, char **cause)
{
	const char *argv[] = { "ssh-keygen", "-t", "ed25519", "-q", "-N", "",
		"-C", "lima", "-f", NULL, NULL };
	char *cfg = NULL, *priv = NULL, *pub = NULL, *tmp = NULL;
	char *tmppub = NULL;
	struct stat st;
	int fd = -1, ret = -1;

	xasprintf(&cfg, "%s/_config", home);
	xasprintf(&priv, "%s/user", cfg);
	xasprintf(&pub, "%s/user.pub", cfg);
	if (stat(priv, &st) == 0 && stat(pub, &st) == 0) {
		ret = 0;
		goto out;
	}
	if (store_mkdir_p(cfg, 0700, cause) != 0)
		goto out;
	fd = open(cfg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "open %s: %s", cfg, store_strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			xasprintf(
			    cause, "flock %s: %s", cfg, store_strerror(errno));
			goto out;
		}
	}
	/* Someone else may have made it while we waited for the lock. */
	if (stat(priv, &st) == 0) {
		ret = 0;
		goto out;
	}
	xasprintf(&tmp, "%s/user.%ld.tmp", cfg, (long)getpid());
	xasprintf(&tmppub, "%s.pub", tmp);
	unlink(tmp);
	unlink(tmppub);
	argv[9] = tmp;
	if (store_run(argv, NULL, cause) != 0)
		goto out;
	/* user.pub first: whoever sees user also finds user.pub. */
	if (rename(tmppub, pub) == -1 || rename(tmp, priv) == -1) {
		xasprintf(cause, "rename %s: %s", tmp, store_strerror(errno));
		goto out;
	}
	log_debug("%s: created %s", __func__, priv);
	ret = 0;
out:
	if (tmp != NULL) {
		unlink(tmp);
		unlink(tmppub);
	}
	if (fd != -1)
		close(fd); /* releases the lock */
	free(tmppub);
	free(tmp);
	free(pub);
	free(priv);
	free(cfg);
	return ret;
}

/* A one-line OpenSSH public key ("ssh-ed25519 AAAA... comment"). */
static int
store_pubkey_valid(const char *s)
{
	if (*s == '\0' || strchr(s, '\n') != NULL)
		return 0;
	return strncmp(s, "ssh-", 4) == 0 || strncmp(s, "ecdsa-", 6) == 0 ||
	    strncmp(s, "sk-", 3) == 0;
}

static void
store_pubkey_add(char ***v, size_t *n, char *key)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = key;
	(*v)[*n] = NULL;
}

char **
store_ssh_pubkeys(const char *home, int load_dot_ssh, size_t *n, char **cause)
{
	char **v = NULL, **result = NULL, *path = NULL, *buf = NULL;
	char *uhome = NULL, *sshdir = NULL, **names = NULL, *why = NULL;
	size_t count = 0, nnames = 0, i;
	struct dirent *de;
	DIR *d;
	int r;

	if (store_ensure_user_key(home, cause) != 0)
		return NULL;
	xasprintf(&path, "%s/_config/user.pub", home);
	r = store_read_file(path, STORE_PUBKEY_MAX, &buf, NULL, cause);
	if (r == -1)
		goto out;
	if (r == 0 && *store_trim(buf) != '\0') {
		store_pubkey_add(&v, &count, buf);
		buf = NULL;
	}

	if (load_dot_ssh) {
		uhome = store_user_home();
		xasprintf(&sshdir, "%s/.ssh", uhome);
		if ((d = opendir(sshdir)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (!store_has_suffix(de->d_name, ".pub"))
					continue;
				names = xreallocarray(
				    names, nnames + 1, sizeof *names);
				names[nnames++] = xstrdup(de->d_name);
			}
			closedir(d);
		}
		if (nnames > 1)
			qsort(names, nnames, sizeof *names, store_strv_cmp);
		for (i = 0; i < nnames; i++) {
			free(path);
			xasprintf(&path, "%s/%s", sshdir, names[i]);
			free(buf);
			buf = NULL;
			r = store_read_file(
			    path, STORE_PUBKEY_MAX, &buf, NULL, &why);
			if (r != 0) {
				/* Not fatal: skip what we cannot read. */
				if (r == -1)
					log_debug("%s: %s", __func__, why);
				free(why);
				why = NULL;
				continue;
			}
			if (!store_pubkey_valid(store_trim(buf))) {
				log_debug(
				    "%s: %s: not a public key", __func__, path);
				continue;
			}
			store_pubkey_add(&v, &count, buf);
			buf = NULL;
		}
	}
	if (count == 0) {
		xasprintf(cause, "no SSH key was found, run `ssh-keygen`");
		goto out;
	}
	*n = count;
	result = v;
	v = NULL;
out:
	store_strv_free(v);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(sshdir);
	free(uhome);
	free(buf);
	free(path);
	return result;
}
