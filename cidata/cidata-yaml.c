/* clima: user-data, meta-data and network-config as YAML. */
/*
 * The documents are built as node trees and dumped with node_to_yaml.
 * cloud-init reads them with PyYAML, a YAML 1.1 reader, which takes
 * some plain scalars that YAML 1.2 calls strings (52:55:55:12:34:56 is a
 * base-60 integer there) for numbers or dates; node_to_yaml quotes them.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidata/cidata.h"
#include "cidata/cidata-int.h"
#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "config/config.h"

#define CD_CA_FILE_MAX  (1024 * 1024) /* bytes read from a caCerts file */
#define CD_NIC_WAIT_SEC 30            /* bootcmd wait for eth0's address */
#define CD_YQ_PREFIX    "clima-yaml11-q"

/* The hook cloud-init runs at every boot (write_files). */
static const char cd_boot_hook[] =
    "#!/bin/sh\n"
    "# clima: run by cloud-init at every boot.  Mounts the cidata volume\n"
    "# (read-only, root only) and hands over to its boot.sh.\n"
    "set -eu\n"
    "LIMA_CIDATA_MNT=" CD_CIDATA_MNT "\n"
    "export LIMA_CIDATA_MNT\n"
    "mkdir -p -m 700 \"$LIMA_CIDATA_MNT\"\n"
    "dev=/dev/disk/by-label/cidata\n"
    "if ! mountpoint -q \"$LIMA_CIDATA_MNT\"; then\n"
    "  mount -o ro,mode=0700,dmode=0700,overriderockperm,exec,uid=0 \\\n"
    "      \"$dev\" \"$LIMA_CIDATA_MNT\" ||\n"
    "    mount -o ro,exec \"$dev\" \"$LIMA_CIDATA_MNT\"\n"
    "fi\n"
    "exec \"$LIMA_CIDATA_MNT/boot.sh\"\n";

/* head + the YAML of n (node_to_yaml quotes what YAML 1.1 would misread). */
static char *
cd_dump(const struct node *n, const char *head)
{
	char *text, *out;

	text = node_to_yaml(n);
	xasprintf(&out, "%s%s", head, text);
	free(text);
	return out;
}

static struct node *
cd_map_str(struct node *m, const char *key, const char *v)
{
	node_map_set(m, key, node_new_str(v));
	return m;
}

/* Reads a CA certificate file; NULL and *cause on failure. */
static char *
cd_read_cert(const char *path, char **cause)
{
	char *buf = NULL, *out = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "caCerts: %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(CD_CA_FILE_MAX + 1);
	while ((r = read(fd, buf + len, CD_CA_FILE_MAX - len)) > 0) {
		len += r;
		if (len == CD_CA_FILE_MAX) {
			xasprintf(cause, "caCerts: %s: larger than %d bytes",
			    path, CD_CA_FILE_MAX);
			goto out;
		}
	}
	if (r == -1) {
		xasprintf(cause, "caCerts: %s: %s", path, strerror(errno));
		goto out;
	}
	buf[len] = '\0';
	out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return out;
}

static int
cd_add_ca_certs(struct node *doc, const struct lima_config *cfg,
    char **cause)
{
	struct node *ca, *trusted;
	size_t i;
	char *pem;

	if (!cfg->ca_certs.remove_defaults && cfg->ca_certs.files.n == 0 &&
	    cfg->ca_certs.certs.n == 0)
		return 0;
	ca = node_new_map();
	node_map_set(ca, "remove_defaults",
	    node_new_bool(cfg->ca_certs.remove_defaults == 1));
	trusted = node_new_seq();
	for (i = 0; i < cfg->ca_certs.files.n; i++) {
		if ((pem = cd_read_cert(cfg->ca_certs.files.v[i], cause)) ==
		    NULL) {
			node_free(trusted);
			node_free(ca);
			return -1;
		}
		node_seq_append(trusted, node_new_str(pem));
		free(pem);
	}
	for (i = 0; i < cfg->ca_certs.certs.n; i++)
		node_seq_append(trusted, node_new_str(cfg->ca_certs.certs.v[i]));
	if (trusted->nitems != 0)
		node_map_set(ca, "trusted", trusted);
	else
		node_free(trusted);
	node_map_set(doc, "ca_certs", ca);
	return 0;
}

/* The `mounts:` entries for 9p and virtiofs; NULL if there are none. */
static struct node *
cd_mounts(const struct lima_config *cfg, char **cause)
{
	const struct config_mount *m;
	struct node *seq, *e;
	uint64_t msize;
	char *opts, *tag, *err = NULL;
	int ninep;
	size_t i;

	if (cfg->mount_type == NULL || cfg->nmounts == 0)
		return node_new_seq();
	ninep = strcmp(cfg->mount_type, "9p") == 0;
	if (!ninep && strcmp(cfg->mount_type, "virtiofs") != 0)
		return node_new_seq();
	seq = node_new_seq();
	for (i = 0; i < cfg->nmounts; i++) {
		m = &cfg->mounts[i];
		if (ninep) {
			if (units_parse_size(m->ninep.msize != NULL
				    ? m->ninep.msize
				    : "128KiB",
				&msize, &err) != 0) {
				xasprintf(
				    cause, "mounts[%zu]: 9p.msize: %s", i, err);
				free(err);
				node_free(seq);
				return NULL;
			}
			xasprintf(&opts,
			    "%s,trans=virtio,version=%s,msize=%llu,cache=%s,"
			    "nofail",
			    m->writable == 1 ? "rw" : "ro",
			    m->ninep.protocol_version != NULL
				? m->ninep.protocol_version
				: "9p2000.L",
			    (unsigned long long)msize,
			    m->ninep.cache != NULL
				? m->ninep.cache
				: (m->writable == 1 ? "mmap" : "fscache"));
		} else
			xasprintf(
			    &opts, "%s,nofail", m->writable == 1 ? "rw" : "ro");
		tag = cidata_mount_tag(m->location, m->mount_point);
		e = node_new_seq();
		node_seq_append(e, node_new_str(tag));
		node_seq_append(e, node_new_str(m->mount_point));
		node_seq_append(e, node_new_str(ninep ? "9p" : "virtiofs"));
		node_seq_append(e, node_new_str(opts));
		node_seq_append(e, node_new_str("0"));
		node_seq_append(e, node_new_str("0"));
		node_seq_append(seq, e);
		free(tag);
		free(opts);
	}
	return seq;
}

static struct node *
cd_user(const struct cidata_args *a)
{
	const struct lima_config *cfg = a->config;
	struct node *u, *keys;
	char *gecos;
	size_t i;

	u = node_new_map();
	cd_map_str(u, "name", cfg->user.name);
	/*
	 * Lima quotes the uid; cloud-init 22.4's schema wants an integer
	 * and logs "Invalid cloud-config" for a string (both work).
	 */
	node_map_set(u, "uid", node_new_int(cfg->user.uid));
	gecos = cd_strip_control(
	    cfg->user.comment != NULL ? cfg->user.comment : "");
	if (*gecos != '\0')
		cd_map_str(u, "gecos", gecos);
	free(gecos);
	cd_map_str(u, "homedir", cfg->user.home);
	cd_map_str(u, "shell", cfg->user.shell);
	if (cfg->user.passwordless_sudo != 0) {
		node_map_set(u, "sudo", node_new_str("ALL=(ALL) NOPASSWD:ALL"));
		node_map_set(u, "lock_passwd", node_new_bool(1));
	} else {
		node_map_set(u, "sudo", node_new_str("ALL=(ALL) ALL"));
		node_map_set(u, "lock_passwd", node_new_bool(0));
	}
	/* The underscore form: cloud-init 22.4's schema rejects the hyphen. */
	keys = node_new_seq();
	for (i = 0; i < a->nssh_pubkeys; i++)
		node_seq_append(keys, node_new_str(a->ssh_pubkeys[i]));
	node_map_set(u, "ssh_authorized_keys", keys);
	return u;
}

/* Shell lines that rename each NIC by MAC and wait for eth0's address. */
static char *
cd_nic_fixup(const struct cidata_args *a)
{
	const struct lima_config *cfg = a->config;
	char *s, *t, *mac, *seed, *mid;
	size_t i;

	mid = cd_machine_id(a);
	mac = cidata_mac_address(mid, a->instance_dir);
	xasprintf(&s,
	    "# clima: cloud-init names NICs on first boot only; name them\n"
	    "# by MAC on every boot, then wait for eth0's IPv4 address.\n"
	    "lima_nic() {\n"
	    "  for d in /sys/class/net/*; do\n"
	    "    [ \"$(cat \"$d/address\" 2>/dev/null)\" = \"$1\" ] || "
	    "continue\n"
	    "    [ \"${d##*/}\" = \"$2\" ] && return 0\n"
	    "    ip link set dev \"${d##*/}\" down\n"
	    "    ip link set dev \"${d##*/}\" name \"$2\"\n"
	    "    ip link set dev \"$2\" up\n"
	    "    return\n"
	    "  done\n"
	    "}\n"
	    "lima_nic %s eth0\n",
	    mac);
	free(mac);
	for (i = 0; i < cfg->nnetworks; i++) {
		if (cfg->networks[i].mac_address != NULL)
			mac = xstrdup(cfg->networks[i].mac_address);
		else {
			xasprintf(&seed, "%s#%zu", a->instance_dir, i);
			mac = cidata_mac_address(mid, seed);
			free(seed);
		}
		xasprintf(&t, "%slima_nic %s %s\n", s, mac,
		    cfg->networks[i].interface != NULL ? cfg->networks[i].interface : "lima0");
		free(mac);
		free(s);
		s = t;
	}
	xasprintf(&t,
	    "%si=0\n"
	    "until ip -4 -o addr show dev eth0 2>/dev/null | grep -q inet; do\n"
	    "  i=$((i + 1))\n"
	    "  [ \"$i\" -gt %d ] && break\n"
	    "  sleep 1\n"
	    "done\n",
	    s, CD_NIC_WAIT_SEC);
	free(s);
	free(mid);
	return t;
}

/* One `mode: boot` script, run in a subshell with the PARAM_ exports. */
static char *
cd_boot_cmd(const struct cidata_args *a, const char *script, char **cause)
{
	char **params, *s, *t;
	size_t n, i, len;

	if ((params = cd_param_lines(a, &n, cause)) == NULL)
		return NULL;
	s = xstrdup("(\n");
	if (n != 0) {
		xasprintf(&t,
		    "%swhile IFS= read -r lima_p; do "
		    "export \"$lima_p\"; done <<'LIMA_PARAM_EOF'\n",
		    s);
		free(s);
		s = t;
		for (i = 0; i < n; i++) {
			xasprintf(&t, "%s%s\n", s, params[i]);
			free(s);
			s = t;
		}
		xasprintf(&t, "%sLIMA_PARAM_EOF\n", s);
		free(s);
		s = t;
	}
	len = strlen(script);
	xasprintf(&t, "%s%s%s)\n", s, script,
	    len == 0 || script[len - 1] != '\n' ? "\n" : "");
	free(s);
	cd_strv_free(params, n);
	return t;
}

static int
cd_bootcmd(struct node *doc, const struct cidata_args *a,
    char **cause)
{
	const struct lima_config *cfg = a->config;
	struct node *seq;
	char *s;
	size_t i;

	seq = node_new_seq();
	if (cfg->nnetworks != 0) {
		s = cd_nic_fixup(a);
		node_seq_append(seq, node_new_str(s));
		free(s);
	}
	for (i = 0; i < cfg->nprovision; i++) {
		if (cfg->provision[i].mode == NULL ||
		    strcmp(cfg->provision[i].mode, "boot") != 0)
			continue;
		s = cd_boot_cmd(a,
		    cfg->provision[i].script != NULL ? cfg->provision[i].script
						     : "",
		    cause);
		if (s == NULL) {
			node_free(seq);
			return -1;
		}
		node_seq_append(seq, node_new_str(s));
		free(s);
	}
	if (seq->nitems != 0)
		node_map_set(doc, "bootcmd", seq);
	else
		node_free(seq);
	return 0;
}

/* The #cloud-config; for_iso adds mounts, resolv_conf and write_files. */
char *
cidata_user_data(const struct cidata_args *a, int for_iso, char **cause)
{
	const struct lima_config *cfg;
	struct node *doc = NULL, *m, *seq, *f;
	const char *const *dns;
	char *out = NULL;
	size_t ndns, i;

	if (cd_validate(a, cause) != 0)
		return NULL;
	cfg = a->config;
	doc = node_new_map();

	m = node_new_map();
	node_map_set(m, "mode", node_new_str("auto"));
	seq = node_new_seq();
	node_seq_append(seq, node_new_str("/"));
	node_map_set(m, "devices", seq);
	node_map_set(doc, "growpart", m);

	if (cfg->upgrade_packages == 1) {
		node_map_set(doc, "package_update", node_new_bool(1));
		node_map_set(doc, "package_upgrade", node_new_bool(1));
		node_map_set(
		    doc, "package_reboot_if_required", node_new_bool(1));
	}

	if (for_iso) {
		if ((seq = cd_mounts(cfg, cause)) == NULL)
			goto out;
		if (seq->nitems != 0)
			node_map_set(doc, "mounts", seq);
		else
			node_free(seq);
	}

	if (cfg->timezone != NULL && *cfg->timezone != '\0')
		cd_map_str(doc, "timezone", cfg->timezone);

	seq = node_new_seq();
	node_seq_append(seq, cd_user(a));
	node_map_set(doc, "users", seq);

	if (for_iso) {
		f = node_new_map();
		node_map_set(f, "path", node_new_str(CD_BOOT_SCRIPT));
		node_map_set(f, "owner", node_new_str("root:root"));
		node_map_set(f, "permissions", node_new_str("0755"));
		node_map_set(f, "content", node_new_str(cd_boot_hook));
		seq = node_new_seq();
		node_seq_append(seq, f);
		node_map_set(doc, "write_files", seq);

		dns = cd_dns(a, &ndns);
		if (ndns != 0) {
			node_map_set(
			    doc, "manage_resolv_conf", node_new_bool(1));
			seq = node_new_seq();
			for (i = 0; i < ndns; i++)
				node_seq_append(seq, node_new_str(dns[i]));
			m = node_new_map();
			node_map_set(m, "nameservers", seq);
			node_map_set(doc, "resolv_conf", m);
		}
	}

	if (cd_add_ca_certs(doc, cfg, cause) != 0)
		goto out;
	if (cd_bootcmd(doc, a, cause) != 0)
		goto out;

	out = cd_dump(doc, "#cloud-config\n");
out:
	node_free(doc);
	return out;
}

/* instance-id and local-hostname; the caller's. */
char *
cidata_meta_data(const struct cidata_args *a)
{
	struct node *doc;
	char *host, *out;

	doc = node_new_map();
	cd_map_str(doc, "instance-id", a->iid);
	host = config_hostname(a->name);
	cd_map_str(doc, "local-hostname", host);
	free(host);
	out = cd_dump(doc, "");
	node_free(doc);
	return out;
}

static struct node *
cd_ether(const char *mac, const char *iface, long long metric)
{
	struct node *e, *m;

	e = node_new_map();
	m = node_new_map();
	cd_map_str(m, "macaddress", mac);
	node_map_set(e, "match", m);
	node_map_set(e, "dhcp4", node_new_bool(1));
	cd_map_str(e, "set-name", iface);
	m = node_new_map();
	node_map_set(m, "route-metric", node_new_int(metric));
	node_map_set(e, "dhcp4-overrides", m);
	node_map_set(e, "dhcp-identifier", node_new_str("mac"));
	return e;
}

/* Netplan v2 for eth0 and every extra network; the caller's. */
char *
cidata_network_config(const struct cidata_args *a, char **cause)
{
	const struct lima_config *cfg = a->config;
	const struct config_network *nw;
	struct node *doc, *eths, *e, *m, *seq;
	const char *const *dns;
	const char *opt = NULL;
	char *mac, *seed, *out, *mid;
	size_t ndns, i;

	mid = cd_machine_id(a);
	doc = node_new_map();
	node_map_set(doc, "version", node_new_int(2));
	eths = node_new_map();
	for (i = 0; i < cfg->param.n; i++) {
		if (strcmp(cfg->param.v[i].key, "internal_netplanOptional") ==
		    0)
			opt = cfg->param.v[i].value;
	}

	mac = cidata_mac_address(mid, a->instance_dir);
	e = cd_ether(mac, "eth0", CIDATA_ETH0_METRIC);
	free(mac);
	dns = cd_dns(a, &ndns);
	if (ndns != 0) {
		seq = node_new_seq();
		for (i = 0; i < ndns; i++)
			node_seq_append(seq, node_new_str(dns[i]));
		m = node_new_map();
		node_map_set(m, "addresses", seq);
		node_map_set(e, "nameservers", m);
	}
	if (opt != NULL && strcmp(opt, "true") == 0)
		node_map_set(e, "optional", node_new_bool(1));
	node_map_set(eths, "eth0", e);

	for (i = 0; i < cfg->nnetworks; i++) {
		nw = &cfg->networks[i];
		if (nw->mac_address != NULL)
			mac = xstrdup(nw->mac_address);
		else {
			xasprintf(&seed, "%s#%zu", a->instance_dir, i);
			mac = cidata_mac_address(mid, seed);
			free(seed);
		}
		e = cd_ether(mac,
		    nw->interface != NULL ? nw->interface : "lima0",
		    nw->metric >= 0 ? nw->metric : 100);
		free(mac);
		if (opt != NULL && strcmp(opt, "true") == 0)
			node_map_set(e, "optional", node_new_bool(1));
		node_map_set(
		    eths, nw->interface != NULL ? nw->interface : "lima0", e);
	}
	node_map_set(doc, "ethernets", eths);
	out = cd_dump(doc, "");
	node_free(doc);
	free(mid);
	return out;
}
