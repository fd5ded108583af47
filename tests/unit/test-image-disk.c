/* clima: image_prepare_disk with a real qemu-img. */
/*
 * qcow2 images grown to the disk size, shrinking refused, installer ISOs
 * kept as iso beside a fresh qcow2 disk, backing files refused, the
 * legacy basedisk/diffdisk symlinks, and the hint when qemu-img is gone.
 */
#include "config.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "image/image-int.h"
#include "tests/tap.h"

static char *t_dir; /* the temp directory */

static char *
t_tmp(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", t_dir, name);
	return p;
}

static void
t_write(const char *path, const void *buf, size_t len)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, len) != (ssize_t)len)
		fatal("write %s", path);
	close(fd);
}

/* qemu-img create -q -f qcow2 [-b backing -F qcow2] path size */
static void
t_qcow2(const char *path, const char *size, const char *backing)
{
	const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path,
		size, NULL, NULL, NULL, NULL };
	char *cause = NULL;

	if (backing != NULL) {
		argv[5] = "-b";
		argv[6] = backing;
		argv[7] = "-F";
		argv[8] = "qcow2";
		argv[9] = path;
	}
	if (image_run(argv, NULL, &cause) != 0)
		fatalx("qemu-img create %s: %s", path, cause);
}

static uint64_t
t_virtual_size(const char *path)
{
	struct image_info info = { NULL, 0, NULL };
	char *cause = NULL;
	uint64_t size;

	if (image_qemu_img_info(path, &info, &cause) != 0) {
		printf("# %s\n", cause);
		free(cause);
		return 0;
	}
	size = info.virtual_size;
	image_info_clear(&info);
	return size;
}

static void
t_disk(void)
{
	static const char magic[] = { 'C', 'D', '0', '0', '1' };
	char *cause = NULL, *inst, *p, *q, target[64], iso[0x9000];
	ssize_t n;
	int r;

	inst = t_tmp("d1");
	mkdir(inst, 0700);
	xasprintf(&p, "%s/image", inst);
	t_qcow2(p, "64M", NULL);
	free(p);
	r = image_prepare_disk(inst, "d1", 128 << 20, &cause);
	is_int(r, 0, "qcow2 image: %s", cause ? cause : "ok");
	xasprintf(&p, "%s/disk", inst);
	is_int(t_virtual_size(p), 128 << 20, "grown to 128MiB");
	xasprintf(&q, "%s/image", inst);
	ok(!image_exists(q), "image renamed");
	free(q);
	is_int(image_prepare_disk(inst, NULL, 128 << 20, &cause), 0,
	    "same size again");
	is_int(
	    image_prepare_disk(inst, NULL, 32 << 20, &cause), -1, "shrinking");
	is_str(cause, "disk shrinking is not supported", "shrink message");
	free(cause);
	cause = NULL;
	is_int(t_virtual_size(p), 128 << 20, "still 128MiB");
	free(p);
	free(inst);

	/* An installer ISO: kept as iso, a fresh qcow2 disk. */
	inst = t_tmp("d2");
	mkdir(inst, 0700);
	memset(iso, 0, sizeof iso);
	memcpy(iso + 0x8001, magic, sizeof magic);
	xasprintf(&p, "%s/image", inst);
	t_write(p, iso, sizeof iso);
	free(p);
	r = image_prepare_disk(inst, "d2", 64 << 20, &cause);
	is_int(r, 0, "ISO image: %s", cause ? cause : "ok");
	xasprintf(&p, "%s/iso", inst);
	is_int(image_is_iso9660(p, &cause), 1, "iso is the ISO");
	free(p);
	xasprintf(&p, "%s/disk", inst);
	is_int(t_virtual_size(p), 64 << 20, "empty 64MiB disk");
	free(p);
	free(inst);

	/* A backing file is refused. */
	inst = t_tmp("d3");
	mkdir(inst, 0700);
	xasprintf(&p, "%s/base.qcow2", inst);
	t_qcow2(p, "16M", NULL);
	xasprintf(&q, "%s/image", inst);
	t_qcow2(q, NULL, p);
	is_int(image_prepare_disk(inst, NULL, 64 << 20, &cause), -1,
	    "backing file");
	ok(cause != NULL &&
		strstr(cause, "must not have a backing file") != NULL &&
		strncmp(cause, "base disk (`", 12) == 0,
	    "message: %s", cause);
	free(cause);
	cause = NULL;
	free(p);
	free(q);
	free(inst);

	/* Legacy basedisk (ISO) + diffdisk. */
	inst = t_tmp("d4");
	mkdir(inst, 0700);
	xasprintf(&p, "%s/basedisk", inst);
	t_write(p, iso, sizeof iso);
	free(p);
	xasprintf(&p, "%s/diffdisk", inst);
	t_qcow2(p, "32M", NULL);
	free(p);
	r = image_prepare_disk(inst, NULL, 32 << 20, &cause);
	is_int(r, 0, "legacy layout: %s", cause ? cause : "ok");
	xasprintf(&p, "%s/disk", inst);
	n = readlink(p, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	is_str(target, "diffdisk", "disk -> diffdisk");
	free(p);
	xasprintf(&p, "%s/iso", inst);
	n = readlink(p, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	is_str(target, "basedisk", "iso -> basedisk");
	free(p);
	free(inst);

	inst = t_tmp("d5");
	mkdir(inst, 0700);
	is_int(image_prepare_disk(inst, NULL, 32 << 20, &cause), -1,
	    "nothing to make a disk from");
	free(cause);
	cause = NULL;
	xasprintf(&p, "%s/image", inst);
	t_write(p, "x", 1);
	free(p);
	p = xstrdup(getenv("PATH"));
	setenv("PATH", "/nonexistent", 1);
	is_int(image_prepare_disk(inst, NULL, 32 << 20, &cause), -1,
	    "no qemu-img");
	is_str(cause,
	    "qemu-img not found in PATH (hint: apt-get install "
	    "qemu-utils)",
	    "qemu-img hint");
	free(cause);
	setenv("PATH", p, 1);
	free(p);
	free(inst);
}

int
main(void)
{
	const char *argv[] = { "qemu-img", "--version", NULL };
	const char *rm[] = { "rm", "-rf", NULL, NULL };
	const char *tmpdir;
	char *cause = NULL;

	log_init(2);
	if (image_run(argv, NULL, &cause) == -2) {
		printf("1..0 # SKIP %s\n", cause);
		free(cause);
		return 0;
	}
	free(cause);
	cause = NULL;
	tmpdir = getenv("TMPDIR");
	xasprintf(&t_dir, "%s/clima-test-disk.XXXXXX",
	    tmpdir != NULL && *tmpdir == '/' ? tmpdir : "/tmp");
	if (mkdtemp(t_dir) == NULL)
		fatal("mkdtemp");

	t_disk();

	rm[2] = t_dir;
	if (getenv("T_KEEP") != NULL)
		printf("# kept %s\n", t_dir);
	else if (image_run(rm, NULL, &cause) != 0) {
		printf("# %s\n", cause);
		free(cause);
	}
	free(t_dir);
	return done_testing();
}
