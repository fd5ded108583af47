/* clima: struct config_env from the running host. */
/*
 * The host facts Lima's defaults depend on: user, uid, home, CPUs,
 * memory, architecture, time zone, machine id.  Kept apart so that
 * tests can fill struct config_env by hand and stay deterministic.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/utsname.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

/* First line of a small file, trimmed; NULL if unreadable or empty. */
static char *
cfg_env_read_line(const char *path)
{
	char buf[256], *s;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	s = fgets(buf, sizeof buf, f);
	fclose(f);
	if (s == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, "\r\n");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	return xstrndup(s, n);
}

/*
 * The zone name: /etc/timezone, else the /etc/localtime link target
 * relative to the directory holding Etc/UTC.  "" when unknown.
 */
static char *
cfg_env_timezone(void)
{
	char link[PATH_MAX], *target, *probe, *p;
	struct stat sb;
	size_t len;
	ssize_t n;
	int ok;

	if ((p = cfg_env_read_line("/etc/timezone")) != NULL)
		return p;
	n = readlink("/etc/localtime", link, sizeof link - 1);
	if (n <= 0)
		return xstrdup("");
	link[n] = '\0';
	if (link[0] == '/')
		target = xstrdup(link);
	else
		xasprintf(&target, "/etc/%s", link);
	/* Try each directory above the target, deepest first. */
	len = strlen(target);
	while ((p = memrchr(target, '/', len)) != NULL && p != target) {
		len = p - target;
		xasprintf(&probe, "%.*s/Etc/UTC", (int)len, target);
		ok = stat(probe, &sb) == 0;
		free(probe);
		if (ok) {
			p = xstrdup(target + len + 1);
			free(target);
			return p;
		}
	}
	free(target);
	return xstrdup("");
}

static uint64_t
cfg_env_memory(void)
{
	char line[256], *end;
	unsigned long long kb;
	long pages, psize;
	FILE *f;

	if ((f = fopen("/proc/meminfo", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			if (strncmp(line, "MemTotal:", 9) != 0)
				continue;
			errno = 0;
			kb = strtoull(line + 9, &end, 10);
			if (errno == 0 && end != line + 9) {
				fclose(f);
				return (uint64_t)kb * 1024;
			}
		}
		fclose(f);
	}
	pages = sysconf(_SC_PHYS_PAGES);
	psize = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psize <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)psize;
}

static int
cfg_env_ncpu(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static char *
cfg_env_arch(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		return xstrdup("x86_64");
	if (strcmp(u.machine, "arm64") == 0)
		return xstrdup("aarch64");
	if (strcmp(u.machine, "amd64") == 0)
		return xstrdup("x86_64");
	return xstrdup(u.machine);
}

/*
 * The Lima version of an instance that has been started or prepared
 * (Lima's IsExistingInstanceDir): lima-version, or "0.0.0" when it is
 * missing.  NULL for a new instance.
 */
static char *
cfg_env_instance_version(const char *dir)
{
	static const char *const marks[] = { "ha.stdout.log", "ha.stderr.log",
		"vz-identifier", "image", "disk", "basedisk", "diffdisk",
		"cidata.iso", NULL };
	struct stat sb;
	char *path, *v;
	size_t i;
	int found = 0;

	for (i = 0; !found && marks[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", dir, marks[i]);
		found = lstat(path, &sb) == 0;
		free(path);
	}
	if (!found)
		return NULL;
	xasprintf(&path, "%s/lima-version", dir);
	v = cfg_env_read_line(path);
	free(path);
	return v != NULL ? v : xstrdup("0.0.0");
}

void
config_env_host(struct config_env *env, const char *lima_home, const char *name)
{
	struct passwd *pw;
	const char *s;
	char *comma;

	memset(env, 0, sizeof *env);
	if (lima_home != NULL)
		env->lima_home = xstrdup(lima_home);
	if (name != NULL)
		env->name = xstrdup(name);
	if (lima_home != NULL && name != NULL) {
		xasprintf(&env->instance_dir, "%s/%s", lima_home, name);
		env->lima_version = cfg_env_instance_version(env->instance_dir);
	}
	env->host_uid = getuid();
	if ((pw = getpwuid(env->host_uid)) != NULL) {
		env->host_user = xstrdup(pw->pw_name);
		env->host_comment =
		    xstrdup(pw->pw_gecos != NULL ? pw->pw_gecos : "");
		if ((comma = strchr(env->host_comment, ',')) != NULL)
			*comma = '\0';
		env->host_home = xstrdup(pw->pw_dir);
	} else {
		s = getenv("USER");
		env->host_user = xstrdup(s != NULL ? s : "");
		env->host_comment = xstrdup("");
	}
	if ((s = getenv("HOME")) != NULL && *s != '\0') {
		free(env->host_home);
		env->host_home = xstrdup(s);
	}
	if (env->host_home == NULL)
		env->host_home = xstrdup("/");
	env->host_ncpu = cfg_env_ncpu();
	env->host_memory = cfg_env_memory();
	env->host_arch = cfg_env_arch();
	env->host_timezone = cfg_env_timezone();
	env->machine_id = cfg_env_read_line("/etc/machine-id");
	if (env->machine_id == NULL)
		env->machine_id = cfg_env_read_line("/var/lib/dbus/machine-id");
	s = getenv("TMPDIR");
	env->tmpdir = xstrdup(s != NULL && *s != '\0' ? s : "/tmp");
	env->host_kvm = access("/dev/kvm", R_OK | W_OK) == 0;
}

void
config_env_free(struct config_env *env)
{
	if (env == NULL)
		return;
	free(env->lima_home);
	free(env->instance_dir);
	free(env->name);
	free(env->lima_version);
	free(env->host_user);
	free(env->host_comment);
	free(env->host_home);
	free(env->host_arch);
	free(env->host_timezone);
	free(env->machine_id);
	free(env->tmpdir);
	memset(env, 0, sizeof *env);
}
