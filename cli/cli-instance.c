/* clima: what the instance commands share: LIMA_HOME, templates, disks. */
/*
 * The template search path (LIMA_TEMPLATES_PATH, _templates, the share
 * dir), reading a locator with its bases embedded, and preparing an
 * instance's disk from its images as Lima does at create time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "image/image.h"
#include "store/store.h"
#include "tmpl/tmpl.h"

const char *
cli_lima_home(void)
{
	static char *home;
	char *cause = NULL;

	if (home == NULL && (home = store_lima_home(&cause)) == NULL)
		cli_fatal("%s", cause);
	return home;
}

struct tmpl_dirs *
cli_tmpl_dirs(void)
{
	const char *share = cli_share_dir();
	char *dir = NULL;
	struct tmpl_dirs *d;

	if (share != NULL)
		xasprintf(&dir, "%s/templates", share);
	d = tmpl_dirs_new(cli_lima_home(), (const char *const *)&dir,
	    dir != NULL ? 1 : 0);
	free(dir);
	return d;
}

struct tmpl *
cli_template_load(const char *locator, int embed, char **cause)
{
	struct tmpl_dirs *dirs;
	struct tmpl *t;
	size_t i;

	dirs = cli_tmpl_dirs();
	t = tmpl_read(locator, dirs, cause);
	if (t == NULL)
		goto out;
	for (i = 0; i < t->nwarnings; i++)
		log_warnx("%s", t->warnings[i]);
	if (t->len == 0) {
		xasprintf(cause, "don't know how to interpret %s as a template "
				 "locator", cli_q(locator));
		tmpl_free(t);
		t = NULL;
		goto out;
	}
	if (embed && tmpl_embed(t, dirs, 1, 1, cli_lima_home(), cause) != 0) {
		tmpl_free(t);
		t = NULL;
	}
out:
	tmpl_dirs_free(dirs);
	return t;
}

struct lima_config *
cli_config_load(const char *name, const char *file, char **cause)
{
	struct config_env env;
	struct lima_config *cfg;

	config_env_host(&env, cli_lima_home(), name);
	cfg = config_load(&env, file, cause);
	config_env_free(&env);
	return cfg;
}

struct lima_config *
cli_config_load_buf(const char *name, const char *buf, size_t len,
    const char *filename, int warn, char **cause)
{
	struct config_env env;
	struct lima_config *cfg;
	const char *const *w;
	size_t n, i;

	config_env_host(&env, cli_lima_home(), name);
	cfg = config_load_buf(&env, buf, len, filename, warn ? CONFIG_WARN : 0,
	    cause);
	config_env_free(&env);
	if (cfg != NULL && warn) {
		w = config_warnings(cfg, &n);
		for (i = 0; i < n; i++)
			log_warnx("%s", w[i]);
	}
	return cfg;
}

int
cli_prepare_disk(const char *name, const struct lima_config *cfg,
    char **cause)
{
	struct image_spec *specs;
	char *dir;
	size_t i;
	int ret = -1;

	dir = store_instance_dir(cli_lima_home(), name);
	specs = xcalloc(cfg->nimages + 1, sizeof *specs);
	for (i = 0; i < cfg->nimages; i++) {
		const struct config_image *im = &cfg->images[i];

		specs[i].location = im->file.location;
		specs[i].arch = im->file.arch;
		specs[i].digest = im->file.digest;
		if (im->kernel != NULL) {
			specs[i].kernel = im->kernel->file.location;
			specs[i].kernel_digest = im->kernel->file.digest;
			specs[i].kernel_cmdline = im->kernel->cmdline;
		}
		if (im->initrd != NULL) {
			specs[i].initrd = im->initrd->location;
			specs[i].initrd_digest = im->initrd->digest;
		}
	}
	if (image_fetch(dir, specs, cfg->nimages, cfg->arch,
	    image_progress_bar_cb, NULL, cause) != 0)
		goto out;
	if (image_prepare_disk(dir, name, cfg->disk, cause) != 0)
		goto out;
	ret = 0;
out:
	free(specs);
	free(dir);
	return ret;
}

/*
 * Lima's ensureNerdctlArchiveCache: with containerd on, the archive for
 * the instance's arch is fetched into the cache (its progress shows here,
 * not in the hostagent).  *pathp gets its path, or NULL when containerd
 * is off.  0, or -1 and *cause.
 */
int
cli_prefetch_nerdctl(const struct lima_config *cfg, char **pathp,
    char **cause)
{
	struct image_file *files;
	size_t i;
	int ret;

	*pathp = NULL;
	if (cfg->containerd.system != 1 && cfg->containerd.user != 1)
		return 0;
	files = xcalloc(cfg->containerd.narchives + 1, sizeof *files);
	for (i = 0; i < cfg->containerd.narchives; i++) {
		files[i].location = cfg->containerd.archives[i].location;
		files[i].arch = cfg->containerd.archives[i].arch;
		files[i].digest = cfg->containerd.archives[i].digest;
	}
	ret = image_fetch_first(files, cfg->containerd.narchives, cfg->arch,
	    "the nerdctl archive", NULL, 0, image_progress_bar_cb, NULL, pathp,
	    cause);
	free(files);
	return ret;
}

/*
 * The firmware.images part of Lima's QEMU command line: unless the
 * legacy BIOS is asked for, the first entry for this arch (and QEMU)
 * that downloads becomes <dir>/qemu-efi-code.fd, which the hostagent's
 * firmware search tries first.  A failed entry is a warning: the
 * system's firmware is still there to try.
 */
void
cli_prepare_firmware(const char *name, const struct lima_config *cfg)
{
	struct image_file *files;
	char *dir, *dest, *cause = NULL;
	size_t i, n = 0;

	if (cfg->firmware.legacy_bios == 1 || cfg->firmware.nimages == 0)
		return;
	files = xcalloc(cfg->firmware.nimages, sizeof *files);
	for (i = 0; i < cfg->firmware.nimages; i++) {
		const struct config_file *f = &cfg->firmware.images[i];

		if (f->vm_type != NULL && *f->vm_type != '\0' &&
		    strcmp(f->vm_type, "qemu") != 0)
			continue;
		files[n].location = f->location;
		files[n].arch = f->arch;
		files[n].digest = f->digest;
		n++;
	}
	dir = store_instance_dir(cli_lima_home(), name);
	xasprintf(&dest, "%s/qemu-efi-code.fd", dir);
	if (n > 0 && image_fetch_first(files, n, cfg->arch, "the UEFI code",
	    dest, 1, image_progress_bar_cb, NULL, NULL, &cause) != 0) {
		log_warnx("failed to download the firmware.images entry for "
			  "%s, the system's firmware is used: %s",
		    cfg->arch, cause);
		free(cause);
	}
	free(dest);
	free(dir);
	free(files);
}

/*
 * Lima's StopForcibly: SIGKILL the driver and the hostagent (and any
 * external driver), release the additional disks this instance holds and
 * remove the temporary files, saying what was found.
 */
void
cli_stop_forcibly(const struct store_inst *inst)
{
	struct store_disk **disks;
	char *cause = NULL;
	size_t n, i;

	if (inst->driver_pid > 0)
		log_info("Sending SIGKILL to the qemu driver process %ld",
		    (long)inst->driver_pid);
	else
		log_info("The qemu driver process seems already stopped");
	if (inst->ha_pid > 0)
		log_info("Sending SIGKILL to the host agent process %ld",
		    (long)inst->ha_pid);
	else
		log_info("The host agent process seems already stopped");
	disks = store_disk_list(cli_lima_home(), &n, &cause);
	if (disks == NULL && cause != NULL) {
		log_warnx("%s", cause);
		free(cause);
		cause = NULL;
	}
	for (i = 0; disks != NULL && i < n; i++) {
		if (disks[i]->instance_dir != NULL &&
		    strcmp(disks[i]->instance_dir, inst->dir) == 0) {
			log_info("Unlocking disk %s", cli_q(disks[i]->name));
			if (store_disk_unlock(cli_lima_home(), disks[i]->name,
			    &cause) != 0) {
				log_warnx("%s", cause);
				free(cause);
				cause = NULL;
			}
		}
		store_disk_free(disks[i]);
	}
	free(disks);
	log_info("Removing *.pid *.sock *.tmp under %s", cli_q(inst->dir));
	if (store_kill_stale(inst->dir, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
}
