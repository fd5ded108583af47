/* clima: tests for hostagent/ha-qemu.c, QEMU's command line. */
/*
 * Each case builds the argv for a fixed struct ha_qemu_params and
 * compares it with the expected list element by element ($DIR, $FW and
 * $HOME stand for the temporary paths).  No event loop involved.
 */
#include "config.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidata/cidata.h"
#include "common/xmalloc.h"
#include "config/config.h"
#include "hostagent/ha-proc.h"
#include "store/store.h"
#include "tests/tap.h"

static char tdir[] = "/tmp/ha-qemu-XXXXXX";
static char *dir, *fwroot, *fw, *home, *limahome;

static const char *bin = "/nonexistent/bin/qemu-system-x86_64";

/* Head of the default x86_64 TCG argv, up to the boot disk. */
#define TCG_HEAD \
	"$BIN", "-m", "4096", "-cpu", "max", "-machine", "q35,vmport=off", \
	    "-accel", "tcg,thread=multi,tb-size=512", "-global", \
	    "ICH9-LPC.disable_s3=1", "-global", "ICH9-LPC.disable_s4=1", \
	    "-smp", "4,sockets=1,cores=4,threads=1"
#define PFLASH "-drive", "if=pflash,format=raw,readonly=on,file=$FW"
#define BOOT_DISK \
	"-device", "qemu-xhci,id=usb-bus", "-drive", \
	    "file=$DIR/disk,if=none,discard=on,id=boot-disk", "-device", \
	    "virtio-blk-pci,drive=boot-disk,bootindex=1", "-boot", \
	    "order=c,splash-time=0,menu=on"
#define CIDATA \
	"-drive", \
	    "id=cdrom0,if=none,format=raw,readonly=on,file=$DIR/cidata.iso", \
	    "-device", "virtio-scsi,id=scsi0", "-device", \
	    "scsi-cd,bus=scsi0.0,drive=cdrom0"
#define NET \
	"-netdev", \
	    "user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15," \
	    "hostfwd=tcp:127.0.0.1:60022-:22", \
	    "-device", "virtio-net-pci,netdev=net0,mac=52:55:55:12:34:56", \
	    "-device", "virtio-rng-pci", "-audiodev", "none,id=snd0"
#define HEADLESS "-display", "none", "-vga", "none"
#define SERIAL \
	"-parallel", "none", "-chardev", \
	    "socket,id=char-serial,path=$DIR/serial.sock,server=on," \
	    "wait=off,logfile=$DIR/serial.log", \
	    "-serial", "chardev:char-serial", "-chardev", \
	    "socket,id=char-serial-virtio,path=$DIR/serialv.sock,server=on," \
	    "wait=off,logfile=$DIR/serialv.log", \
	    "-device", "virtio-serial-pci,id=virtio-serial0,max_ports=2", \
	    "-device", "virtconsole,chardev=char-serial-virtio,id=console0", \
	    "-chardev", \
	    "socket,id=char-ga,path=$DIR/ga.sock,server=on," \
	    "wait=off", \
	    "-device", \
	    "virtserialport,chardev=char-ga,name=io.lima-vm.guest_agent.0"
#define TAIL \
	"-chardev", \
	    "socket,id=char-qmp,path=$DIR/qmp.sock,server=on," \
	    "wait=off", \
	    "-qmp", "chardev:char-qmp", "-name", "lima-default", "-pidfile", \
	    "$DIR/qemu.pid"

/* Replaces $DIR, $FW, $HOME, $BIN, $LH in t; the caller's. */
static char *
subst(const char *t)
{
	static const char *keys[] = { "$DIR", "$FW", "$HOME", "$BIN", "$LH" };
	const char *vals[] = { dir, fw, home, bin, limahome };
	char *out = xstrdup(""), *n;
	size_t k;

	while (*t != '\0') {
		for (k = 0; k < 5; k++) {
			if (strncmp(t, keys[k], strlen(keys[k])) == 0)
				break;
		}
		if (k < 5) {
			xasprintf(&n, "%s%s", out, vals[k]);
			t += strlen(keys[k]);
		} else {
			xasprintf(&n, "%s%c", out, *t);
			t++;
		}
		free(out);
		out = n;
	}
	return out;
}

/* Compares argv with want[] (NULL-terminated templates). */
static void
check_argv(char **argv, size_t argc, const char *const *want, const char *name)
{
	size_t i, n;
	char *w;
	int bad = 0;

	for (n = 0; want[n] != NULL; n++)
		;
	for (i = 0; i < argc && i < n && !bad; i++) {
		w = subst(want[i]);
		if (strcmp(argv[i], w) != 0) {
			printf("# %s: argv[%zu]\n#   got  %s\n#   want %s\n",
			    name, i, argv[i], w);
			bad = 1;
		}
		free(w);
	}
	if (!bad && argc != n) {
		printf("# %s: %zu arguments, want %zu\n", name, argc, n);
		for (i = n < argc ? n : argc; i < argc || i < n; i++)
			printf("#   [%zu] got %s want %s\n", i,
			    i < argc ? argv[i] : "-", i < n ? want[i] : "-");
		bad = 1;
	}
	ok(!bad, "%s: argv matches element by element", name);
	ok(argv[argc] == NULL, "%s: argv is NULL-terminated", name);
}

/* The first argument starting with prefix, or "(none)". */
static const char *
find_arg(char **argv, const char *prefix)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		if (strncmp(argv[i], prefix, strlen(prefix)) == 0)
			return argv[i];
	}
	return "(none)";
}

static void
base_params(struct ha_qemu_params *p)
{
	memset(p, 0, sizeof *p);
	p->binary = bin;
	p->arch = "x86_64";
	p->dir = dir;
	p->name = "default";
	p->lima_home = limahome;
	p->cpus = 4;
	p->memory = 4ULL << 30;
	p->accel = HA_QEMU_ACCEL_TCG;
	p->firmware_root = fwroot;
	p->home = home;
	p->display = "none";
	p->ssh_port = 60022;
	p->mac = "52:55:55:12:34:56";
}

static void
touch(const char *d, const char *f, const char *content)
{
	char *path;
	FILE *fp;

	xasprintf(&path, "%s/%s", d, f);
	fp = fopen(path, "w");
	if (fp != NULL) {
		fputs(content, fp);
		fclose(fp);
	}
	free(path);
}

static void
rm(const char *d, const char *f)
{
	char *path;

	xasprintf(&path, "%s/%s", d, f);
	unlink(path);
	free(path);
}

static int
build(struct ha_qemu_params *p, char ***argv, size_t *argc, char ***warn,
    const char *name)
{
	char *cause = NULL;

	*warn = NULL;
	if (ha_qemu_argv(p, argv, argc, warn, &cause) != 0) {
		ok(0, "%s: ha_qemu_argv: %s", name, cause);
		free(cause);
		return -1;
	}
	return 0;
}

static void
test_default_tcg(void)
{
	static const char *want[] = { TCG_HEAD, PFLASH, BOOT_DISK, CIDATA, NET,
		HEADLESS, SERIAL, "-virtfs",
		"local,mount_tag=lima-f872001c91a4f2cf,path=/home/u,"
		"security_model=none,readonly=on",
		"-virtfs",
		"local,mount_tag=lima-1fd4cbcaa36d359d,path=/tmp/lima,"
		"security_model=none",
		TAIL, NULL };
	struct config_mount m[2];
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	memset(m, 0, sizeof m);
	m[0].location = m[0].mount_point = (char *)(uintptr_t) "/home/u";
	m[0].writable = 0;
	m[0].ninep.security_model = (char *)(uintptr_t) "none";
	m[1].location = m[1].mount_point = (char *)(uintptr_t) "/tmp/lima";
	m[1].writable = 1;
	base_params(&p);
	p.mounts = m;
	p.nmounts = 2;
	p.mount_type = "9p";
	if (build(&p, &argv, &argc, &warn, "default") != 0)
		return;
	check_argv(argv, argc, want, "TCG x86_64 default, 9p mounts");
	ok(warn == NULL, "no warnings with an explicit TCG");
	store_strv_free(argv);
	store_strv_free(warn);

	/* reverse-sshfs: no -virtfs. */
	p.mount_type = "reverse-sshfs";
	if (build(&p, &argv, &argc, &warn, "sshfs") != 0)
		return;
	{
		static const char *want2[] = { TCG_HEAD, PFLASH, BOOT_DISK,
			CIDATA, NET, HEADLESS, SERIAL, TAIL, NULL };
		check_argv(argv, argc, want2, "reverse-sshfs: no -virtfs");
	}
	store_strv_free(argv);
	store_strv_free(warn);
}

static void
test_kvm(void)
{
	static const char *want[] = { "$BIN", "-m", "2048", "-cpu", "host",
		"-machine", "q35,accel=kvm", "-smp",
		"2,sockets=1,cores=2,threads=1", PFLASH, BOOT_DISK, CIDATA, NET,
		HEADLESS, SERIAL, TAIL, NULL };
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	base_params(&p);
	p.accel = HA_QEMU_ACCEL_KVM;
	p.cpus = 2;
	p.memory = 2ULL << 30;
	if (build(&p, &argv, &argc, &warn, "kvm") != 0)
		return;
	check_argv(argv, argc, want, "KVM x86_64");
	store_strv_free(argv);
	store_strv_free(warn);

	/* cpuType host without KVM falls back to max, with a warning. */
	p.accel = HA_QEMU_ACCEL_TCG;
	p.cpu_type = "host";
	if (build(&p, &argv, &argc, &warn, "host-tcg") != 0)
		return;
	is_str(argv[4], "max", "cpu host under TCG becomes max");
	ok(warn != NULL && warn[0] != NULL && warn[1] == NULL,
	    "one warning for cpu host under TCG");
	store_strv_free(argv);
	store_strv_free(warn);
}

static void
test_legacy_bios(void)
{
	static const char *want[] = { TCG_HEAD, BOOT_DISK, CIDATA, NET,
		HEADLESS, SERIAL, TAIL, NULL };
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	base_params(&p);
	p.legacy_bios = 1;
	p.firmware_root = "/nonexistent";
	if (build(&p, &argv, &argc, &warn, "legacy") != 0)
		return;
	check_argv(argv, argc, want, "legacyBIOS: no pflash");
	store_strv_free(argv);
	store_strv_free(warn);
}

static void
test_iso(void)
{
	static const char *want[] = { TCG_HEAD, PFLASH, "-device",
		"qemu-xhci,id=usb-bus", "-drive",
		"file=$DIR/disk,if=virtio,discard=on", "-boot",
		"order=d,splash-time=0,menu=on", "-drive",
		"file=$DIR/iso,format=raw,media=cdrom,readonly=on", CIDATA, NET,
		HEADLESS, SERIAL, TAIL, NULL };
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	touch(dir, "iso", "");
	base_params(&p);
	if (build(&p, &argv, &argc, &warn, "iso") == 0) {
		check_argv(argv, argc, want, "ISO boot");
		store_strv_free(argv);
		store_strv_free(warn);
	}
	rm(dir, "iso");
}

static void
test_kernel(void)
{
	static const char *want[] = { TCG_HEAD, PFLASH, BOOT_DISK, CIDATA,
		"-kernel", "$DIR/kernel", "-append",
		"root=LABEL=root console=ttyS0 ro", "-initrd", "$DIR/initrd",
		NET, HEADLESS, SERIAL, TAIL, NULL };
	static const char *want2[] = { TCG_HEAD, PFLASH, BOOT_DISK, CIDATA,
		"-kernel", "$DIR/kernel", NET, HEADLESS, SERIAL, TAIL, NULL };
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	touch(dir, "kernel", "K");
	touch(dir, "kernel.cmdline", "root=LABEL=root console=ttyS0 ro\n");
	touch(dir, "initrd", "I");
	base_params(&p);
	if (build(&p, &argv, &argc, &warn, "kernel") == 0) {
		check_argv(argv, argc, want, "direct kernel boot");
		store_strv_free(argv);
		store_strv_free(warn);
	}
	rm(dir, "kernel.cmdline");
	rm(dir, "initrd");
	if (build(&p, &argv, &argc, &warn, "kernel only") == 0) {
		check_argv(argv, argc, want2, "kernel without cmdline/initrd");
		store_strv_free(argv);
		store_strv_free(warn);
	}
	rm(dir, "kernel");
}

static void
test_disks(void)
{
	static const char *want[] = { TCG_HEAD, PFLASH, BOOT_DISK, "-drive",
		"file=$LH/_disks/data1/datadisk,if=virtio,discard=on", "-drive",
		"file=$LH/_disks/data2/datadisk,if=virtio,discard=on", CIDATA,
		NET, HEADLESS, SERIAL, TAIL, NULL };
	struct config_disk d[2];
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	memset(d, 0, sizeof d);
	d[0].name = (char *)(uintptr_t) "data1";
	d[1].name = (char *)(uintptr_t) "data2";
	base_params(&p);
	p.disks = d;
	p.ndisks = 2;
	if (build(&p, &argv, &argc, &warn, "disks") != 0)
		return;
	check_argv(argv, argc, want, "additional disks");
	store_strv_free(argv);
	store_strv_free(warn);
}

static void
test_vnc(void)
{
	static const char *want[] = { TCG_HEAD, PFLASH, BOOT_DISK, CIDATA, NET,
		"-display", "vnc=127.0.0.1:0,to=9,password=on", "-device",
		"virtio-vga", "-device", "virtio-keyboard-pci", "-device",
		"virtio-tablet-pci", SERIAL, TAIL, NULL };
	static const char *want2[] = { TCG_HEAD, PFLASH, BOOT_DISK, CIDATA,
		"-netdev",
		"user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,"
		"hostfwd=tcp:127.0.0.1:60022-:22",
		"-device", "virtio-net-pci,netdev=net0,mac=52:55:55:12:34:56",
		"-device", "virtio-rng-pci", "-audiodev", "pa,id=snd0",
		"-device", "ich9-intel-hda", "-device",
		"hda-output,audiodev=snd0", "-display", "gtk", "-device",
		"virtio-vga", "-device", "virtio-keyboard-pci", "-device",
		"virtio-mouse-pci", SERIAL, TAIL, NULL };
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	base_params(&p);
	p.display = "vnc";
	p.vnc_display = "127.0.0.1:0,to=9";
	if (build(&p, &argv, &argc, &warn, "vnc") == 0) {
		check_argv(argv, argc, want, "video.display vnc");
		store_strv_free(argv);
		store_strv_free(warn);
	}
	p.display = "gtk";
	p.audio_device = "pa";
	if (build(&p, &argv, &argc, &warn, "gtk") == 0) {
		check_argv(argv, argc, want2, "display gtk and audio pa");
		store_strv_free(argv);
		store_strv_free(warn);
	}
}

static void
test_firmware(void)
{
	struct ha_qemu_params p;
	char **argv = NULL, **warn = NULL, *cause = NULL, *path, *want;
	size_t argc;

	base_params(&p);
	p.firmware_root = "/nonexistent";
	ok(ha_qemu_argv(&p, &argv, &argc, &warn, &cause) == -1,
	    "no firmware anywhere fails");
	is_str(cause,
	    "could not find firmware for `x86_64` (hint: try setting "
	    "`firmware.legacyBIOS` to `true`)",
	    "Lima's firmware hint");
	free(cause);
	ok(argv == NULL, "argv untouched on failure");

	/* An earlier entry of the list wins over OVMF_CODE_4M.fd. */
	xasprintf(&path, "%s/.local", home);
	mkdir(path, 0700);
	free(path);
	xasprintf(&path, "%s/.local/share", home);
	mkdir(path, 0700);
	free(path);
	xasprintf(&path, "%s/.local/share/qemu", home);
	mkdir(path, 0700);
	touch(path, "edk2-x86_64-code.fd", "");
	base_params(&p);
	if (build(&p, &argv, &argc, &warn, "fw order") == 0) {
		want =
		    subst("if=pflash,format=raw,readonly=on,"
			  "file=$HOME/.local/share/qemu/edk2-x86_64-code.fd");
		is_str(find_arg(argv, "if=pflash"), want,
		    "~/.local/share/qemu comes before the system paths");
		free(want);
		store_strv_free(argv);
		store_strv_free(warn);
	}
	rm(path, "edk2-x86_64-code.fd");
	rmdir(path);
	free(path);

	/* Explicit firmware, escaped commas. */
	base_params(&p);
	p.firmware = "/fw/a,b.fd";
	if (build(&p, &argv, &argc, &warn, "fw comma") == 0) {
		is_str(find_arg(argv, "if=pflash"),
		    "if=pflash,format=raw,readonly=on,file=/fw/a,,b.fd",
		    "commas in paths are doubled");
		store_strv_free(argv);
		store_strv_free(warn);
	}
}

static void
test_env_binary(void)
{
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	setenv("QEMU_SYSTEM_X86_64", "/opt/q/qemu-system-x86_64 -m 2048", 1);
	base_params(&p);
	p.binary = NULL;
	p.legacy_bios = 1;
	if (build(&p, &argv, &argc, &warn, "env") == 0) {
		is_str(argv[0], "/opt/q/qemu-system-x86_64",
		    "$QEMU_SYSTEM_X86_64 names the binary");
		ok(argc > 3 && strcmp(argv[1], "-m") == 0 &&
			strcmp(argv[2], "2048") == 0 &&
			strcmp(argv[3], "-cpu") == 0,
		    "its extra words come first and replace our -m");
		ok(warn != NULL && warn[0] != NULL &&
			strstr(warn[0],
			    "Not adding QEMU argument `-m` `4096`") != NULL,
		    "conflict warning: %s",
		    warn != NULL && warn[0] != NULL ? warn[0] : "(none)");
		store_strv_free(argv);
		store_strv_free(warn);
	}
	unsetenv("QEMU_SYSTEM_X86_64");
}

static void
test_auto_accel(void)
{
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc;

	base_params(&p);
	p.accel = HA_QEMU_ACCEL_AUTO;
	if (build(&p, &argv, &argc, &warn, "auto") != 0)
		return;
	if (ha_qemu_kvm_usable()) {
		is_str(argv[4], "host", "AUTO with /dev/kvm: -cpu host");
		ok(warn == NULL, "AUTO with /dev/kvm: no warning");
	} else {
		is_str(argv[4], "max", "AUTO without /dev/kvm: -cpu max");
		ok(warn != NULL && warn[0] != NULL &&
			strcmp(warn[0],
			    "/dev/kvm is not available. Disabling KVM. Expect "
			    "very poor performance.") == 0,
		    "AUTO without /dev/kvm: Lima's warning");
	}
	store_strv_free(argv);
	store_strv_free(warn);
}

static void
test_aarch64(void)
{
	struct ha_qemu_params p;
	char **argv, **warn;
	size_t argc, i;
	int virt = 0, serialp = 0, gpu = 0, fwok = 0;
	char *path;

	xasprintf(&path, "%s/usr/share/AAVMF", fwroot);
	mkdir(path, 0755);
	touch(path, "AAVMF_CODE.fd", "");
	base_params(&p);
	p.arch = "aarch64";
	p.display = "default";
	if (build(&p, &argv, &argc, &warn, "aarch64") == 0) {
		for (i = 0; i + 1 < argc; i++) {
			if (strcmp(argv[i], "-machine") == 0 &&
			    strcmp(argv[i + 1], "virt,accel=tcg") == 0)
				virt = 1;
			if (strcmp(argv[i],
				"pci-serial,chardev=char-serial-pci") == 0)
				serialp = 1;
			if (strcmp(argv[i], "virtio-gpu") == 0)
				gpu = 1;
			if (strstr(argv[i], "AAVMF_CODE.fd") != NULL)
				fwok = 1;
		}
		ok(virt, "aarch64: -machine virt,accel=tcg");
		ok(serialp, "aarch64: PCI serial");
		ok(gpu, "aarch64: virtio-gpu");
		ok(fwok, "aarch64: AAVMF firmware");
		store_strv_free(argv);
		store_strv_free(warn);
	}
	rm(path, "AAVMF_CODE.fd");
	rmdir(path);
	free(path);
}

static void
test_helpers(void)
{
	char *tag, *mac, **warn = NULL, *cause = NULL;
	char *fake, *real;
	int a, b, c;

	/* The command line uses cidata's derivations (one of each). */
	tag = cidata_mount_tag("/home/u", "/home/u");
	is_str(tag, "lima-f872001c91a4f2cf", "mount tag");
	mac = cidata_mac_address("abc", "/tmp/inst");
	is_str(mac, "52:55:55:39:e6:79", "MAC from machine-id + dir");
	free(tag);
	free(mac);

	ok(ha_qemu_check_version(3, 1, 0, &warn, &cause) == -1,
	    "QEMU 3.1.0 refused");
	is_str(cause, "QEMU 3.1.0 is too old, 4.0.0 or later required",
	    "too-old message");
	free(cause);
	ok(ha_qemu_check_version(5, 2, 0, &warn, &cause) == 0 && warn != NULL &&
		warn[0] != NULL &&
		strcmp(warn[0],
		    "QEMU 5.2.0 is too old, 6.2.0 or later is recommended") ==
		    0,
	    "QEMU 5.2.0 warned about");
	store_strv_free(warn);
	warn = NULL;
	ok(ha_qemu_check_version(7, 2, 0, &warn, &cause) == 0 && warn == NULL,
	    "QEMU 7.2.0 fine");

	if (getenv("top_builddir") != NULL) {
		xasprintf(
		    &fake, "%s/tests/fakes/fake-qemu", getenv("top_builddir"));
		ok(ha_qemu_version(fake, &a, &b, &c, &cause) == 0 && a == 7 &&
			b == 2 && c == 0,
		    "ha_qemu_version parses the fake's --version");
		free(fake);
	}
	ok(ha_qemu_version("/nonexistent/qemu", &a, &b, &c, &cause) == -1,
	    "ha_qemu_version of a missing binary fails");
	free(cause);
	cause = NULL;
	if ((real = ha_qemu_binary("x86_64", &cause)) != NULL) {
		ok(ha_qemu_version(real, &a, &b, &c, &cause) == 0 &&
			ha_qemu_check_version(a, b, c, &warn, &cause) == 0,
		    "installed QEMU %d.%d.%d parsed and accepted", a, b, c);
		store_strv_free(warn);
		free(real);
	} else {
		ok(1, "# SKIP no qemu-system-x86_64: %s", cause);
		free(cause);
	}
}

int
main(void)
{
	char *p;

	alarm(60);
	if (mkdtemp(tdir) == NULL)
		skip_all("mkdtemp failed");
	xasprintf(&dir, "%s/inst", tdir);
	mkdir(dir, 0700);
	xasprintf(&home, "%s/home", tdir);
	mkdir(home, 0700);
	xasprintf(&limahome, "%s/lima", tdir);
	mkdir(limahome, 0700);
	xasprintf(&fwroot, "%s/root", tdir);
	mkdir(fwroot, 0755);
	xasprintf(&p, "%s/usr", fwroot);
	mkdir(p, 0755);
	free(p);
	xasprintf(&p, "%s/usr/share", fwroot);
	mkdir(p, 0755);
	free(p);
	xasprintf(&p, "%s/usr/share/OVMF", fwroot);
	mkdir(p, 0755);
	touch(p, "OVMF_CODE_4M.fd", "");
	xasprintf(&fw, "%s/OVMF_CODE_4M.fd", p);
	free(p);

	test_default_tcg();
	test_kvm();
	test_legacy_bios();
	test_iso();
	test_kernel();
	test_disks();
	test_vnc();
	test_firmware();
	test_env_binary();
	test_auto_accel();
	test_aarch64();
	test_helpers();

	unlink(fw);
	xasprintf(&p, "rm -rf '%s'", tdir);
	if (system(p) != 0)
		printf("# could not remove %s\n", tdir);
	free(p);
	free(dir);
	free(home);
	free(limahome);
	free(fwroot);
	free(fw);
	return done_testing();
}
