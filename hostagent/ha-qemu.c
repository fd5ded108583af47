/* clima: QEMU's command line, as Lima's QEMU driver builds it. */
/*
 * ha_qemu_argv turns a struct ha_qemu_params into the argv of reference
 * section 7.2 (x86_64 and aarch64), plus clima's guest push channel (a
 * second virtio-serial port, docs/internals/hostagent.md).  Apart from
 * ha_qemu_version (blocking, run before the loop) nothing here waits.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <ctype.h>
#include <errno.h>
#include <linux/kvm.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidata/cidata.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "hostagent/ha-proc.h"
#include "store/store.h"

#define HA_QEMU_VERSION_OUT_MAX 4096  /* bytes of --version output read */
#define HA_QEMU_CMDLINE_MAX     65536 /* bytes of kernel.cmdline */
#define HA_QEMU_DEFAULT_VNC     "127.0.0.1:0,to=9"

/* A growing NULL-terminated string array. */
struct ha_qemu_strv {
	char **v;
	size_t n;
};

static void ha_qemu_addf(struct ha_qemu_strv *, const char *, ...)
    CLIMA_PRINTF(2, 3);
static void ha_qemu_warn(char ***, const char *, ...) CLIMA_PRINTF(2, 3);

static void
ha_qemu_addf(struct ha_qemu_strv *sv, const char *fmt, ...)
{
	va_list ap;

	sv->v = xreallocarray(sv->v, sv->n + 2, sizeof *sv->v);
	va_start(ap, fmt);
	xvasprintf(&sv->v[sv->n], fmt, ap);
	va_end(ap);
	sv->v[++sv->n] = NULL;
}

static void
ha_qemu_add(struct ha_qemu_strv *sv, const char *s)
{
	ha_qemu_addf(sv, "%s", s);
}

static void
ha_qemu_add2(struct ha_qemu_strv *sv, const char *k, const char *v)
{
	ha_qemu_add(sv, k);
	ha_qemu_add(sv, v);
}

/* Appends a warning to a NULL-terminated list that may still be NULL. */
static void
ha_qemu_warn(char ***list, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (list == NULL)
		return;
	while (*list != NULL && (*list)[n] != NULL)
		n++;
	*list = xreallocarray(*list, n + 2, sizeof **list);
	va_start(ap, fmt);
	xvasprintf(&(*list)[n], fmt, ap);
	va_end(ap);
	(*list)[n + 1] = NULL;
}

/* QEMU option values escape ',' by doubling it; the caller's. */
static char *
ha_qemu_esc(const char *s)
{
	char *out, *p;

	out = p = xmalloc(strlen(s) * 2 + 1);
	for (; *s != '\0'; s++) {
		*p++ = *s;
		if (*s == ',')
			*p++ = ',';
	}
	*p = '\0';
	return out;
}

static int
ha_qemu_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static const char *
ha_qemu_arch(const struct ha_qemu_params *p)
{
	return p->arch != NULL ? p->arch : "x86_64";
}

/* "x86_64" -> "X86_64" for $QEMU_SYSTEM_X86_64. */
static char *
ha_qemu_env_name(const char *arch)
{
	char *s, *c;

	xasprintf(&s, "QEMU_SYSTEM_%s", arch);
	for (c = s; *c != '\0'; c++)
		*c = (char)toupper((unsigned char)*c);
	return s;
}

/* Splits on blanks (no quoting); *n words, NULL-terminated, the caller's. */
static char **
ha_qemu_words(const char *s, size_t *n)
{
	struct ha_qemu_strv sv = { NULL, 0 };
	const char *start;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		start = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		ha_qemu_addf(&sv, "%.*s", (int)(s - start), start);
	}
	if (sv.v == NULL)
		sv.v = xcalloc(1, sizeof *sv.v);
	*n = sv.n;
	return sv.v;
}

/* Looks name up in $PATH; the caller's, or NULL. */
static char *
ha_qemu_which(const char *name)
{
	const char *path, *p, *end;
	char *cand;

	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (end != p) {
			xasprintf(&cand, "%.*s/%s", (int)(end - p), p, name);
			if (access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
		if (*end == '\0')
			return NULL;
	}
}

/* Binary plus the extra words of $QEMU_SYSTEM_<ARCH> (debugging only). */
static char **
ha_qemu_command(const char *arch, size_t *n, char **cause)
{
	char *env, *name, *found, **words;
	const char *val;

	env = ha_qemu_env_name(arch);
	val = getenv(env);
	free(env);
	if (val != NULL && *val != '\0') {
		words = ha_qemu_words(val, n);
		if (*n > 0)
			return words;
		free(words);
	}
	xasprintf(&name, "qemu-system-%s", arch);
	found = ha_qemu_which(name);
	if (found == NULL) {
		xasprintf(cause,
		    "exec: \"%s\": executable file not found in $PATH", name);
		free(name);
		return NULL;
	}
	free(name);
	words = xcalloc(2, sizeof *words);
	words[0] = found;
	*n = 1;
	return words;
}

char *
ha_qemu_binary(const char *arch, char **cause)
{
	char **words, *bin;
	size_t n;

	if ((words = ha_qemu_command(
		 arch != NULL ? arch : "x86_64", &n, cause)) == NULL)
		return NULL;
	bin = xstrdup(words[0]);
	store_strv_free(words);
	return bin;
}

/*
 * Some sandboxes expose a /dev/kvm that opens but cannot run an x86-64
 * kernel (seen here: its CPUID lacks SSE3 and the guest hangs right
 * after the BIOS).  Ask KVM what it offers before trusting it.
 */
static int
ha_qemu_kvm_sane(int fd)
{
#if defined(__x86_64__)
	struct kvm_cpuid2 *c;
	unsigned int i, n = 256;
	int ok = 0;

	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return 0;
	c = xcalloc(1, sizeof *c + n * sizeof c->entries[0]);
	c->nent = n;
	if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
		for (i = 0; i < c->nent; i++) {
			if (c->entries[i].function != 1)
				continue;
			/* SSE2 (EDX bit 26) and SSE3 (ECX bit 0). */
			ok = (c->entries[i].edx & (1u << 26)) != 0 &&
			    (c->entries[i].ecx & 1u) != 0;
		}
	}
	free(c);
	return ok;
#else
	return ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
#endif
}

int
ha_qemu_kvm_usable(void)
{
	const char *force = getenv("CLIMA_QEMU_ACCEL");
	int fd, ok;

	/* An escape hatch for hosts whose KVM we misjudge. */
	if (force != NULL && strcmp(force, "tcg") == 0)
		return 0;
	if (force != NULL && strcmp(force, "kvm") == 0)
		return 1;
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1)
		return 0;
	ok = ha_qemu_kvm_sane(fd);
	close(fd);
	return ok;
}


void
ha_qemu_params_from_config(
    struct ha_qemu_params *p, const struct lima_config *cfg)
{
	size_t i;

	p->arch = cfg->arch;
	p->cpus = cfg->cpus;
	p->memory = cfg->memory;
	p->cpu_type = NULL;
	for (i = 0; i < cfg->qemu.cpu_type.n; i++) {
		if (cfg->arch != NULL &&
		    strcmp(cfg->qemu.cpu_type.v[i].key, cfg->arch) == 0)
			p->cpu_type = cfg->qemu.cpu_type.v[i].value;
	}
	p->legacy_bios = cfg->firmware.legacy_bios == 1;
	p->display = cfg->video.display;
	p->vnc_display = cfg->video.vnc_display;
	p->audio_device = cfg->audio.device;
	p->disks = cfg->additional_disks;
	p->ndisks = cfg->nadditional_disks;
	p->mounts = cfg->mounts;
	p->nmounts = cfg->nmounts;
	p->mount_type = cfg->mount_type;
}

/*
 * Firmware search of reference 7.2, first hit wins; NULL and *cause with
 * Lima's hint when nothing exists.  The caller's.
 */
static char *
ha_qemu_firmware(
    const struct ha_qemu_params *p, const char *binary, char **cause)
{
	static const char *x86[] = { "/usr/share/edk2/x64/OVMF_CODE.4m.fd",
		"/usr/share/OVMF/OVMF_CODE.fd",
		"/usr/share/OVMF/OVMF_CODE_4M.fd",
		"/usr/share/edk2/ovmf/OVMF_CODE.fd",
		"/usr/share/qemu/ovmf-x86_64.bin",
		"/usr/share/qemu/ovmf-x86_64-4m.bin", NULL };
	static const char *arm[] = { "/usr/share/AAVMF/AAVMF_CODE.fd",
		"/usr/share/qemu-efi-aarch64/QEMU_EFI.fd",
		"/usr/share/edk2/aarch64/QEMU_CODE.fd", NULL };
	const char *arch = ha_qemu_arch(p), **sys, *home, *root;
	const char *edk2 = strcmp(arch, "aarch64") == 0 ? "aarch64" : "x86_64";
	struct ha_qemu_strv cand = { NULL, 0 };
	char *bindir, *prefix, *slash, *found = NULL;
	size_t i;

	sys = strcmp(arch, "aarch64") == 0 ? arm : x86;
	root = p->firmware_root != NULL ? p->firmware_root : "";
	home = p->home != NULL ? p->home : getenv("HOME");

	ha_qemu_addf(&cand, "%s/qemu-efi-code.fd", p->dir);
	if (home != NULL)
		ha_qemu_addf(
		    &cand, "%s/.local/share/qemu/edk2-%s-code.fd", home, edk2);
	bindir = xstrdup(binary);
	if ((slash = strrchr(bindir, '/')) != NULL) {
		*slash = '\0';
		prefix = xstrdup(bindir);
		if ((slash = strrchr(prefix, '/')) != NULL)
			*slash = '\0';
		ha_qemu_addf(
		    &cand, "%s/share/qemu/edk2-%s-code.fd", prefix, edk2);
		ha_qemu_addf(&cand, "%s/share/edk2-%s-code.fd", bindir, edk2);
		free(prefix);
	}
	free(bindir);
	for (i = 0; sys[i] != NULL; i++)
		ha_qemu_addf(&cand, "%s%s", root, sys[i]);

	for (i = 0; i < cand.n; i++) {
		if (ha_qemu_exists(cand.v[i])) {
			found = xstrdup(cand.v[i]);
			break;
		}
	}
	store_strv_free(cand.v);
	if (found == NULL) {
		xasprintf(cause,
		    "could not find firmware for `%s` (hint: try setting "
		    "`firmware.legacyBIOS` to `true`)",
		    arch);
		return NULL;
	}
	return found;
}

/* Reads DIR/kernel.cmdline without its trailing newlines; the caller's. */
static char *
ha_qemu_read_cmdline(const char *path, char **cause)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "re")) == NULL) {
		xasprintf(cause, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(HA_QEMU_CMDLINE_MAX + 1);
	n = fread(buf, 1, HA_QEMU_CMDLINE_MAX, f);
	if (ferror(f)) {
		xasprintf(cause, "read %s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

/*
 * Options the $QEMU_SYSTEM_<ARCH> words may override: Lima's
 * appendArgsIfNoConflict skips ours and says so.
 */
static void
ha_qemu_add_nc(struct ha_qemu_strv *sv, size_t nextra, char ***warnings,
    const char *k, const char *v)
{
	size_t i;

	for (i = 1; i <= nextra; i++) {
		if (strcmp(sv->v[i], k) == 0) {
			ha_qemu_warn(warnings,
			    "Not adding QEMU argument `%s` `%s`, as it "
			    "conflicts with `%s %s`",
			    k, v, k, i + 1 <= nextra ? sv->v[i + 1] : "");
			return;
		}
	}
	ha_qemu_add2(sv, k, v);
}

/* -m, -cpu, -machine (+ -accel), -smp. */
static void
ha_qemu_add_machine(struct ha_qemu_strv *sv, size_t nx, char ***warnings,
    const struct ha_qemu_params *p, int kvm, const char *arch)
{
	const char *cpu = p->cpu_type;
	char *s;
	int aarch64 = strcmp(arch, "aarch64") == 0;

	xasprintf(&s, "%llu", (unsigned long long)(p->memory >> 20));
	ha_qemu_add_nc(sv, nx, warnings, "-m", s);
	free(s);

	if (cpu == NULL || *cpu == '\0')
		cpu = kvm ? "host" : "max";
	if (!kvm && strcmp(cpu, "host") == 0) {
		ha_qemu_warn(
		    warnings, "cpu type `host` needs KVM; using `max` instead");
		cpu = "max";
	}
	ha_qemu_add_nc(sv, nx, warnings, "-cpu", cpu);

	if (aarch64) {
		xasprintf(&s, "virt,accel=%s", kvm ? "kvm" : "tcg");
		ha_qemu_add_nc(sv, nx, warnings, "-machine", s);
		free(s);
	} else if (kvm)
		ha_qemu_add_nc(sv, nx, warnings, "-machine", "q35,accel=kvm");
	else {
		ha_qemu_add_nc(sv, nx, warnings, "-machine", "q35,vmport=off");
		ha_qemu_add_nc(
		    sv, nx, warnings, "-accel", "tcg,thread=multi,tb-size=512");
		ha_qemu_add2(sv, "-global", "ICH9-LPC.disable_s3=1");
		ha_qemu_add2(sv, "-global", "ICH9-LPC.disable_s4=1");
	}

	xasprintf(&s, "%d,sockets=1,cores=%d,threads=1", p->cpus, p->cpus);
	ha_qemu_add_nc(sv, nx, warnings, "-smp", s);
	free(s);
}

/* Boot disk or ISO, -boot, additional disks, cidata, direct kernel. */
static int
ha_qemu_add_disks(struct ha_qemu_strv *sv, size_t nx, char ***warnings,
    const struct ha_qemu_params *p, const char *dir, char **cause)
{
	char *path = NULL, *kernel = NULL, *cmdline = NULL, *ddir, *e;
	size_t i;
	int rc = -1;

	ha_qemu_add2(sv, "-device", "qemu-xhci,id=usb-bus");
	xasprintf(&path, "%s/iso", p->dir);
	if (ha_qemu_exists(path)) {
		ha_qemu_add(sv, "-drive");
		ha_qemu_addf(sv, "file=%s/disk,if=virtio,discard=on", dir);
		ha_qemu_add_nc(
		    sv, nx, warnings, "-boot", "order=d,splash-time=0,menu=on");
		ha_qemu_add(sv, "-drive");
		ha_qemu_addf(sv,
		    "file=%s/iso,format=raw,media=cdrom,"
		    "readonly=on",
		    dir);
	} else {
		ha_qemu_add(sv, "-drive");
		ha_qemu_addf(
		    sv, "file=%s/disk,if=none,discard=on,id=boot-disk", dir);
		ha_qemu_add2(sv, "-device",
		    "virtio-blk-pci,drive=boot-disk,bootindex=1");
		ha_qemu_add_nc(
		    sv, nx, warnings, "-boot", "order=c,splash-time=0,menu=on");
	}
	free(path);
	path = NULL;

	for (i = 0; i < p->ndisks; i++) {
		if (p->lima_home == NULL) {
			*cause = xstrdup("additional disks need LIMA_HOME");
			goto out;
		}
		ddir = store_disk_dir(p->lima_home, p->disks[i].name);
		e = ha_qemu_esc(ddir);
		ha_qemu_add(sv, "-drive");
		ha_qemu_addf(sv, "file=%s/datadisk,if=virtio,discard=on", e);
		free(e);
		free(ddir);
	}

	ha_qemu_add(sv, "-drive");
	ha_qemu_addf(sv,
	    "id=cdrom0,if=none,format=raw,readonly=on,"
	    "file=%s/cidata.iso",
	    dir);
	ha_qemu_add2(sv, "-device", "virtio-scsi,id=scsi0");
	ha_qemu_add2(sv, "-device", "scsi-cd,bus=scsi0.0,drive=cdrom0");

	xasprintf(&kernel, "%s/kernel", p->dir);
	if (ha_qemu_exists(kernel)) {
		ha_qemu_add2(sv, "-kernel", kernel);
		xasprintf(&path, "%s/kernel.cmdline", p->dir);
		if (ha_qemu_exists(path)) {
			if ((cmdline = ha_qemu_read_cmdline(path, cause)) ==
			    NULL)
				goto out;
			ha_qemu_add2(sv, "-append", cmdline);
		}
		free(path);
		xasprintf(&path, "%s/initrd", p->dir);
		if (ha_qemu_exists(path))
			ha_qemu_add2(sv, "-initrd", path);
	}
	rc = 0;
out:
	free(path);
	free(kernel);
	free(cmdline);
	return rc;
}

/* Network, rng, audio, display. */
static void
ha_qemu_add_devices(struct ha_qemu_strv *sv, size_t nx, char ***warnings,
    const struct ha_qemu_params *p, const char *arch)
{
	const char *d = p->display, *a = p->audio_device, *vnc;
	char *mac;
	int x86 = strcmp(arch, "x86_64") == 0;

	ha_qemu_add(sv, "-netdev");
	ha_qemu_addf(sv,
	    "user,id=net0,net=192.168.5.0/24,"
	    "dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:%d-:22",
	    p->ssh_port);
	/* The MAC of cidata's network-config (same derivation). */
	mac = p->mac != NULL ? xstrdup(p->mac) :
			       cidata_mac_address(NULL, p->dir);
	ha_qemu_add(sv, "-device");
	ha_qemu_addf(sv, "virtio-net-pci,netdev=net0,mac=%s", mac);
	free(mac);
	ha_qemu_add2(sv, "-device", "virtio-rng-pci");

	if (a == NULL || *a == '\0' || strcmp(a, "none") == 0)
		ha_qemu_add2(sv, "-audiodev", "none,id=snd0");
	else {
		ha_qemu_add(sv, "-audiodev");
		ha_qemu_addf(sv, "%s,id=snd0", a);
		ha_qemu_add2(sv, "-device", "ich9-intel-hda");
		ha_qemu_add2(sv, "-device", "hda-output,audiodev=snd0");
	}

	if (d == NULL || *d == '\0' || strcmp(d, "none") == 0) {
		ha_qemu_add_nc(sv, nx, warnings, "-display", "none");
		ha_qemu_add_nc(sv, nx, warnings, "-vga", "none");
		return;
	}
	if (strcmp(d, "vnc") == 0) {
		vnc = p->vnc_display != NULL ? p->vnc_display
					     : HA_QEMU_DEFAULT_VNC;
		ha_qemu_add(sv, "-display");
		ha_qemu_addf(sv, "vnc=%s,password=on", vnc);
	} else
		ha_qemu_add_nc(sv, nx, warnings, "-display", d);
	ha_qemu_add2(sv, "-device", x86 ? "virtio-vga" : "virtio-gpu");
	ha_qemu_add2(sv, "-device", "virtio-keyboard-pci");
	ha_qemu_add2(sv, "-device",
	    strcmp(d, "vnc") == 0 ? "virtio-tablet-pci" : "virtio-mouse-pci");
}

/* Serial consoles, the guest push channel, 9p, QMP, name, pid file. */
static void
ha_qemu_add_chardevs(struct ha_qemu_strv *sv, const struct ha_qemu_params *p,
    const char *dir, const char *arch)
{
	char *tag, *loc;
	const struct config_mount *m;
	size_t i;

	ha_qemu_add2(sv, "-parallel", "none");
	ha_qemu_add(sv, "-chardev");
	ha_qemu_addf(sv,
	    "socket,id=char-serial,path=%s/serial.sock,"
	    "server=on,wait=off,logfile=%s/serial.log",
	    dir, dir);
	ha_qemu_add2(sv, "-serial", "chardev:char-serial");
	if (strcmp(arch, "aarch64") == 0) {
		ha_qemu_add(sv, "-chardev");
		ha_qemu_addf(sv,
		    "socket,id=char-serial-pci,path=%s/serialp.sock,"
		    "server=on,wait=off,logfile=%s/serialp.log",
		    dir, dir);
		ha_qemu_add2(
		    sv, "-device", "pci-serial,chardev=char-serial-pci");
	}
	ha_qemu_add(sv, "-chardev");
	ha_qemu_addf(sv,
	    "socket,id=char-serial-virtio,path=%s/serialv.sock,"
	    "server=on,wait=off,logfile=%s/serialv.log",
	    dir, dir);
	/* Two ports: the console and clima's guest push channel. */
	ha_qemu_add2(sv, "-device",
	    "virtio-serial-pci,id=virtio-serial0,"
	    "max_ports=2");
	ha_qemu_add2(sv, "-device",
	    "virtconsole,chardev=char-serial-virtio,id=console0");
	ha_qemu_add(sv, "-chardev");
	ha_qemu_addf(sv,
	    "socket,id=char-ga,path=%s/ga.sock,server=on,"
	    "wait=off",
	    dir);
	ha_qemu_add2(sv, "-device",
	    "virtserialport,chardev=char-ga,"
	    "name=io.lima-vm.guest_agent.0");

	if (p->mount_type != NULL && strcmp(p->mount_type, "9p") == 0) {
		for (i = 0; i < p->nmounts; i++) {
			m = &p->mounts[i];
			/* The tag cidata's fstab line mounts. */
			tag = cidata_mount_tag(m->location,
			    m->mount_point != NULL ? m->mount_point
						   : m->location);
			loc = ha_qemu_esc(m->location);
			ha_qemu_add(sv, "-virtfs");
			ha_qemu_addf(sv,
			    "local,mount_tag=%s,path=%s,security_model=%s%s",
			    tag, loc,
			    m->ninep.security_model != NULL
				? m->ninep.security_model
				: "none",
			    m->writable == 1 ? "" : ",readonly=on");
			free(loc);
			free(tag);
		}
	}

	ha_qemu_add(sv, "-chardev");
	ha_qemu_addf(
	    sv, "socket,id=char-qmp,path=%s/qmp.sock,server=on,wait=off", dir);
	ha_qemu_add2(sv, "-qmp", "chardev:char-qmp");
	ha_qemu_add(sv, "-name");
	ha_qemu_addf(sv, "lima-%s", p->name);
	ha_qemu_add(sv, "-pidfile");
	ha_qemu_addf(sv, "%s/qemu.pid", p->dir);
}

/* Accelerator: KVM only for the host's own arch and a usable /dev/kvm. */
static int
ha_qemu_use_kvm(
    const struct ha_qemu_params *p, const char *arch, char ***warnings)
{
	struct utsname u;

	switch (p->accel) {
	case HA_QEMU_ACCEL_KVM:
		return 1;
	case HA_QEMU_ACCEL_TCG:
		return 0;
	case HA_QEMU_ACCEL_AUTO:
		break;
	}
	if (uname(&u) != 0 || strcmp(u.machine, arch) != 0)
		return 0;
	if (ha_qemu_kvm_usable())
		return 1;
	ha_qemu_warn(warnings,
	    "/dev/kvm is not available. Disabling KVM. "
	    "Expect very poor performance.");
	return 0;
}

int
ha_qemu_argv(const struct ha_qemu_params *p, char ***argv, size_t *argc,
    char ***warnings, char **cause)
{
	struct ha_qemu_strv sv = { NULL, 0 };
	const char *arch = ha_qemu_arch(p);
	char **words = NULL, *fw = NULL, *dir = NULL, *e;
	size_t nwords = 0, nx, i;
	int kvm, rc = -1;

	if (strcmp(arch, "x86_64") != 0 && strcmp(arch, "aarch64") != 0) {
		xasprintf(cause, "unsupported arch: `%s`", arch);
		return -1;
	}
	if (p->dir == NULL || p->name == NULL) {
		*cause = xstrdup("no instance directory or name");
		return -1;
	}
	if (p->binary != NULL) {
		words = xcalloc(2, sizeof *words);
		words[0] = xstrdup(p->binary);
		nwords = 1;
	} else if ((words = ha_qemu_command(arch, &nwords, cause)) == NULL)
		return -1;
	for (i = 0; i < nwords; i++)
		ha_qemu_add(&sv, words[i]);
	nx = nwords - 1; /* sv.v[1 .. nx] are the extra words */
	dir = ha_qemu_esc(p->dir);

	kvm = ha_qemu_use_kvm(p, arch, warnings);
	ha_qemu_add_machine(&sv, nx, warnings, p, kvm, arch);

	if (!p->legacy_bios || strcmp(arch, "aarch64") == 0) {
		if (p->firmware != NULL)
			fw = xstrdup(p->firmware);
		else {
			if ((fw = ha_qemu_firmware(p, words[0], cause)) == NULL)
				goto out;
			/* firmware.images put qemu-efi-code.fd there. */
			if (strncmp(fw, p->dir, strlen(p->dir)) == 0)
				log_info("Using existing firmware (`%s`)", fw);
			else
				log_info("Using system firmware (`%s`)", fw);
		}
		e = ha_qemu_esc(fw);
		ha_qemu_add(&sv, "-drive");
		ha_qemu_addf(
		    &sv, "if=pflash,format=raw,readonly=on,file=%s", e);
		free(e);
	}

	if (ha_qemu_add_disks(&sv, nx, warnings, p, dir, cause) != 0)
		goto out;
	ha_qemu_add_devices(&sv, nx, warnings, p, arch);
	ha_qemu_add_chardevs(&sv, p, dir, arch);

	*argv = sv.v;
	*argc = sv.n;
	sv.v = NULL;
	rc = 0;
out:
	store_strv_free(sv.v);
	store_strv_free(words);
	free(fw);
	free(dir);
	return rc;
}

int
ha_qemu_lock_disks(const struct ha_qemu_params *p, char **cause)
{
	size_t i;

	for (i = 0; i < p->ndisks; i++) {
		if (store_disk_lock(
			p->lima_home, p->disks[i].name, p->dir, cause) != 0)
			return -1;
	}
	return 0;
}

int
ha_qemu_version(
    const char *binary, int *major, int *minor, int *micro, char **cause)
{
	char buf[HA_QEMU_VERSION_OUT_MAX + 1], *p;
	const char *prefix = "QEMU emulator version ";
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], devnull, status, a, b, c;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		signal(SIGPIPE, SIG_DFL);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(fds[1], 1) == -1 || dup2(devnull, 2) == -1)
			_exit(127);
		execl(binary, binary, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < HA_QEMU_VERSION_OUT_MAX) {
		n = read(fds[0], buf + len, HA_QEMU_VERSION_OUT_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if ((p = strstr(buf, prefix)) == NULL ||
	    sscanf(p + strlen(prefix), "%d.%d.%d", &a, &b, &c) != 3) {
		if ((p = strchr(buf, '\n')) != NULL)
			*p = '\0';
		xasprintf(cause, "failed to parse the version of %s: %s",
		    binary, *buf != '\0' ? buf : "no output");
		return -1;
	}
	*major = a;
	*minor = b;
	*micro = c;
	return 0;
}

int
ha_qemu_check_version(
    int major, int minor, int micro, char ***warnings, char **cause)
{
	long v = (long)major * 1000000 + (long)minor * 1000 + micro;

	if (v < 4000000) {
		xasprintf(cause,
		    "QEMU %d.%d.%d is too old, %s or later required", major,
		    minor, micro, HA_QEMU_VERSION_MIN);
		return -1;
	}
	if (v < 6002000)
		ha_qemu_warn(warnings,
		    "QEMU %d.%d.%d is too old, %s or later is recommended",
		    major, minor, micro, HA_QEMU_VERSION_RECOMMENDED);
	return 0;
}
