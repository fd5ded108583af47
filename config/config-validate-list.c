/* clima: Lima's Validate for the list fields of lima.yaml. */
/*
 * mounts, provision, probes, portForwards and networks: each entry is
 * checked on its own, and messages name the entry by index
 * ("mounts[0].location") with the position of the offending value.
 */
#include <config.h>

#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/units.h"
#include "common/xmalloc.h"
#include "config/config-int.h"
#include "config/config.h"

#define CFG_UNIX_PATH_MAX 108
#define CFG_IFNAMSIZ      16

static int
cfg_set_str(const char *s)
{
	return s != NULL && *s != '\0';
}

void
cfg_check_mounts(struct cfg_check *c)
{
	static const char *const reserved[] = { "/", "/bin", "/dev", "/etc",
		"/home", "/opt", "/sbin", "/tmp", "/usr", "/var", NULL };
	struct lima_config *cfg = c->cfg;
	const struct config_mount *m;
	struct stat sb;
	uint64_t msize;
	char *cause;
	size_t i, j;

	for (i = 0; i < cfg->nmounts; i++) {
		m = &cfg->mounts[i];
		if (m->location[0] != '/')
			cfg_err(c, m->node, "location",
			    "field `mounts[%zu].location` must be an absolute "
			    "path, got %s",
			    i, cfg_q(c, m->location));
		else if (stat(m->location, &sb) != 0) {
			if (errno == ENOENT)
				cfg_warn(c,
				    "field `mounts[%zu].location` refers to a "
				    "non-existent directory: %s",
				    i, cfg_q(c, m->location));
			else
				cfg_err(c, m->node, "location",
				    "field `mounts[%zu].location` refers to an "
				    "inaccessible path: %s: %s",
				    i, cfg_q(c, m->location), strerror(errno));
		} else if (!S_ISDIR(sb.st_mode))
			cfg_err(c, m->node, "location",
			    "field `mounts[%zu].location` refers to a "
			    "non-directory path: %s",
			    i, cfg_q(c, m->location));
		if (m->mount_point[0] == '~')
			cfg_err(c, m->node, "mountPoint",
			    "field `mounts[%zu].mountPoint` must not start "
			    "with \"~\", got %s",
			    i, cfg_q(c, m->mount_point));
		else if (m->mount_point[0] != '/' &&
		    strcmp(cfg->os, "Windows") != 0)
			cfg_err(c, m->node, "mountPoint",
			    "field `mounts[%zu].mountPoint` must be an "
			    "absolute path, got %s",
			    i, cfg_q(c, m->mount_point));
		for (j = 0; reserved[j] != NULL; j++) {
			if (strcmp(m->mount_point, reserved[j]) == 0)
				cfg_err(c, m->node, "mountPoint",
				    "field `mounts[%zu].mountPoint` must not "
				    "be the system directory %s",
				    i, cfg_q(c, m->mount_point));
		}
		if (strcmp(m->mount_point, cfg->user.home) == 0)
			cfg_err(c, m->node, "mountPoint",
			    "field `mounts[%zu].mountPoint` must not be the "
			    "same as field `user.home` (%s)",
			    i, cfg_q(c, cfg->user.home));
		cause = NULL;
		if (units_parse_size(m->ninep.msize, &msize, &cause) != 0) {
			cfg_err(c, m->node, "9p.msize",
			    "field `mounts[%zu].9p.msize` has an invalid value "
			    "%s: %s",
			    i, cfg_q(c, m->ninep.msize), cause);
			free(cause);
		}
	}
}

/* Is s an octal file mode (at most 07777)? */
static int
cfg_octal(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || strspn(s, "01234567") != strlen(s))
		return 0;
	v = strtol(s, &end, 8);
	return *end == '\0' && v <= 07777;
}

static void
cfg_check_data_fields(
    struct cfg_check *c, const struct config_provision *p, size_t i)
{
	const char *mode = p->mode;
	int data = strcmp(mode, "data") == 0, yq = strcmp(mode, "yq") == 0;

	if (!data && p->content != NULL)
		cfg_err(c, p->node, "content",
		    "field `provision[%zu].content` can only be set when mode "
		    "is `data`",
		    i);
	if (!data && p->overwrite != CONFIG_UNSET)
		cfg_err(c, p->node, "overwrite",
		    "field `provision[%zu].overwrite` can only be set when "
		    "mode is `data`",
		    i);
	if (!yq && p->expression != NULL)
		cfg_err(c, p->node, "expression",
		    "field `provision[%zu].expression` can only be set when "
		    "mode is `yq`",
		    i);
	if (!yq && p->format != NULL)
		cfg_err(c, p->node, "format",
		    "field `provision[%zu].format` can only be set when mode "
		    "is `yq`",
		    i);
	if (data || yq)
		return;
	if (p->owner != NULL)
		cfg_err(c, p->node, "owner",
		    "field `provision[%zu].owner` can only be set when mode is "
		    "`data` or `yq`",
		    i);
	if (p->path != NULL)
		cfg_err(c, p->node, "path",
		    "field `provision[%zu].path` can only be set when mode is "
		    "`data` or `yq`",
		    i);
	if (p->permissions != NULL)
		cfg_err(c, p->node, "permissions",
		    "field `provision[%zu].permissions` can only be set when "
		    "mode is `data` or `yq`",
		    i);
}

static void
cfg_check_data_yq(
    struct cfg_check *c, const struct config_provision *p, size_t i)
{
	static const char *const formats[] = { "auto", "csv", "ini", "json",
		"props", "tsv", "toml", "xml", "yaml", NULL };
	int data = strcmp(p->mode, "data") == 0;
	size_t j;

	if (!cfg_set_str(p->path))
		cfg_err(c, p->node, NULL,
		    "field `provision[%zu].path` must not be empty when mode "
		    "is %s",
		    i, cfg_q(c, p->mode));
	else if (p->path[0] != '/')
		cfg_err(c, p->node, "path",
		    "field `provision[%zu].path` must be an absolute path, got "
		    "%s",
		    i, cfg_q(c, p->path));
	if (!cfg_octal(p->permissions))
		cfg_err(c, p->node, "permissions",
		    "field `provision[%zu].permissions` must be an octal "
		    "number, got %s",
		    i, cfg_q(c, p->permissions));
	if (data) {
		if (p->content == NULL)
			cfg_err(c, p->node, NULL,
			    "field `provision[%zu].content` must be set when "
			    "mode is `data`",
			    i);
		return;
	}
	if (!cfg_set_str(p->expression))
		cfg_err(c, p->node, NULL,
		    "field `provision[%zu].expression` must not be empty when "
		    "mode is `yq`",
		    i);
	for (j = 0; formats[j] != NULL; j++) {
		if (strcmp(p->format, formats[j]) == 0)
			break;
	}
	if (formats[j] == NULL)
		cfg_err(c, p->node, "format",
		    "field `provision[%zu].format` must be one of auto, csv, "
		    "ini, json, props, tsv, toml, xml or yaml; got %s",
		    i, cfg_q(c, p->format));
}

void
cfg_check_provision(struct cfg_check *c)
{
	static const char *const modes[] = { "system", "user", "boot",
		"dependency", "ansible", "data", "yq", NULL };
	struct lima_config *cfg = c->cfg;
	const struct config_provision *p;
	int windows = strcmp(cfg->os, "Windows") == 0, ansible;
	struct stat sb;
	size_t i, j;

	for (i = 0; i < cfg->nprovision; i++) {
		p = &cfg->provision[i];
		if (p->file != NULL && cfg_set_str(p->file->url))
			cfg_err(c, p->node, "file",
			    "field `provision[%zu].file.url` must be empty "
			    "during validation (script should already be "
			    "embedded)",
			    i);
		if (p->file != NULL && cfg_set_str(p->file->digest))
			cfg_err(c, p->node, "file",
			    "field `provision[%zu].file.digest` support is not "
			    "yet implemented",
			    i);
		for (j = 0; modes[j] != NULL; j++) {
			if (strcmp(p->mode, modes[j]) == 0)
				break;
		}
		if (modes[j] == NULL) {
			cfg_err(c, p->node, "mode",
			    "field `provision[%zu].mode` must be one of "
			    "\"system\", \"user\", \"boot\", \"dependency\", "
			    "\"ansible\", \"data\" or \"yq\"; got %s",
			    i, cfg_q(c, p->mode));
			continue;
		}
		if (p->skip_default_dependency_resolution != CONFIG_UNSET &&
		    strcmp(p->mode, "dependency") != 0)
			cfg_err(c, p->node, "skipDefaultDependencyResolution",
			    "field "
			    "`provision[%zu].skipDefaultDependencyResolution` "
			    "can only be set when mode is `dependency`",
			    i);
		if (windows &&
		    (strcmp(p->mode, "ansible") == 0 ||
			strcmp(p->mode, "boot") == 0 ||
			strcmp(p->mode, "yq") == 0))
			cfg_err(c, p->node, "mode",
			    "field `provision[%zu].mode` %s is not supported "
			    "for `os: Windows`",
			    i, cfg_q(c, p->mode));
		cfg_check_data_fields(c, p, i);
		ansible = strcmp(p->mode, "ansible") == 0;
		if (strcmp(p->mode, "data") == 0 || strcmp(p->mode, "yq") == 0)
			cfg_check_data_yq(c, p, i);
		else if (!ansible && !cfg_set_str(p->script))
			cfg_err(c, p->node, NULL,
			    "field `provision[%zu].script` must not be empty",
			    i);
		if (cfg_set_str(p->playbook)) {
			if (!ansible)
				cfg_err(c, p->node, "playbook",
				    "field `provision[%zu].playbook` can only "
				    "be set when mode is `ansible`",
				    i);
			else if (cfg_set_str(p->script))
				cfg_err(c, p->node, "script",
				    "field `provision[%zu].script` must be "
				    "empty when field `playbook` is set",
				    i);
			else if (stat(p->playbook, &sb) != 0)
				cfg_err(c, p->node, "playbook",
				    "field `provision[%zu].playbook` refers to "
				    "a missing file: %s: %s",
				    i, cfg_q(c, p->playbook), strerror(errno));
		}
		if (ansible)
			cfg_warn(c,
			    "provision mode `ansible` is deprecated "
			    "(provision[%zu]); run `ansible-playbook` yourself "
			    "once the instance is running",
			    i);
		if (p->script != NULL &&
		    strstr(p->script, "LIMA_CIDATA") != NULL)
			cfg_warn(c,
			    "provision[%zu].script uses LIMA_CIDATA variables, "
			    "which are internal and may change",
			    i);
	}
}

void
cfg_check_probes(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;
	const struct config_probe *p;
	size_t i;

	for (i = 0; i < cfg->nprobes; i++) {
		p = &cfg->probes[i];
		if (p->file != NULL && cfg_set_str(p->file->url))
			cfg_err(c, p->node, "file",
			    "field `probes[%zu].file.url` must be empty during "
			    "validation (script should already be embedded)",
			    i);
		if (p->file != NULL && cfg_set_str(p->file->digest))
			cfg_err(c, p->node, "file",
			    "field `probes[%zu].file.digest` support is not "
			    "yet implemented",
			    i);
		if (p->script == NULL || strncmp(p->script, "#!", 2) != 0)
			cfg_err(c, p->node, "script",
			    "field `probes[%zu].script` must start with a '#!' "
			    "line",
			    i);
		if (strcmp(p->mode, "readiness") != 0)
			cfg_err(c, p->node, "mode",
			    "field `probes[%zu].mode` can only be "
			    "\"readiness\", got %s",
			    i, cfg_q(c, p->mode));
	}
}

static void
cfg_check_pf(struct cfg_check *c, const struct config_port_forward *r, size_t i)
{
	const struct node *n = r->node;
	char f[64], sub[96];
	size_t j;

	snprintf(f, sizeof f, "portForwards[%zu]", i);
	if (r->guest_ip_must_be_zero && strcmp(r->guest_ip, "0.0.0.0") != 0)
		cfg_err(c, n, "guestIPMustBeZero",
		    "field `%s.guestIPMustBeZero` can only be true when field "
		    "`%s.guestIP` is 0.0.0.0",
		    f, f);
	if (r->guest_port != 0) {
		if (cfg_set_str(r->guest_socket))
			cfg_err(c, n, "guestPort",
			    "field `%s.guestPort` must be 0 when field "
			    "`%s.guestSocket` is set",
			    f, f);
		if (r->guest_port != r->guest_port_range[0])
			cfg_err(c, n, "guestPort",
			    "field `%s.guestPort` must match field "
			    "`%s.guestPortRange[0]`",
			    f, f);
	}
	if (r->host_port != 0) {
		if (cfg_set_str(r->host_socket))
			cfg_err(c, n, "hostPort",
			    "field `%s.hostPort` must be 0 when field "
			    "`%s.hostSocket` is set",
			    f, f);
		if (r->host_port != r->host_port_range[0])
			cfg_err(c, n, "hostPort",
			    "field `%s.hostPort` must match field "
			    "`%s.hostPortRange[0]`",
			    f, f);
	}
	for (j = 0; j < 2; j++) {
		snprintf(sub, sizeof sub, "%s.guestPortRange[%zu]", f, j);
		cfg_check_port(
		    c, n, "guestPortRange", sub, r->guest_port_range[j]);
		snprintf(sub, sizeof sub, "%s.hostPortRange[%zu]", f, j);
		cfg_check_port(
		    c, n, "hostPortRange", sub, r->host_port_range[j]);
	}
	if (r->guest_port_range[0] > r->guest_port_range[1])
		cfg_err(c, n, "guestPortRange",
		    "field `%s.guestPortRange[1]` must be greater than or "
		    "equal to field `%s.guestPortRange[0]`",
		    f, f);
	if (r->host_port_range[0] > r->host_port_range[1])
		cfg_err(c, n, "hostPortRange",
		    "field `%s.hostPortRange[1]` must be greater than or equal "
		    "to field `%s.hostPortRange[0]`",
		    f, f);
	if (cfg_set_str(r->guest_socket)) {
		if (r->guest_socket[0] != '/')
			cfg_err(c, n, "guestSocket",
			    "field `%s.guestSocket` must be an absolute path, "
			    "but is %s",
			    f, cfg_q(c, r->guest_socket));
		if (!cfg_set_str(r->host_socket) &&
		    r->host_port_range[1] != r->host_port_range[0])
			cfg_err(c, n, "guestSocket",
			    "field `%s.guestSocket` can only be mapped to a "
			    "single port or socket, not a range",
			    f);
	}
	if (cfg_set_str(r->host_socket)) {
		if (r->host_socket[0] != '/')
			cfg_err(c, n, "hostSocket",
			    "field `%s.hostSocket` must be an absolute path, "
			    "but is %s",
			    f, cfg_q(c, r->host_socket));
		if (!cfg_set_str(r->guest_socket) &&
		    r->guest_port_range[1] != r->guest_port_range[0])
			cfg_err(c, n, "hostSocket",
			    "field `%s.hostSocket` can only be mapped from a "
			    "single port or socket, not a range",
			    f);
		if (strlen(r->host_socket) >= CFG_UNIX_PATH_MAX)
			cfg_err(c, n, "hostSocket",
			    "field `%s.hostSocket` must be less than "
			    "UNIX_PATH_MAX=%d characters, but is %zu",
			    f, CFG_UNIX_PATH_MAX, strlen(r->host_socket));
	}
	if (!cfg_set_str(r->guest_socket) && !cfg_set_str(r->host_socket) &&
	    r->guest_port_range[1] - r->guest_port_range[0] !=
		r->host_port_range[1] - r->host_port_range[0])
		cfg_err(c, n, "hostPortRange",
		    "field `%s.hostPortRange` must specify the same number of "
		    "ports as field `%s.guestPortRange`",
		    f, f);
	if (strcmp(r->proto, "tcp") != 0 && strcmp(r->proto, "udp") != 0 &&
	    strcmp(r->proto, "any") != 0)
		cfg_err(c, n, "proto",
		    "field `%s.proto` must be \"tcp\", \"udp\" or \"any\", got "
		    "%s",
		    f, cfg_q(c, r->proto));
	if (r->reverse &&
	    (!cfg_set_str(r->guest_socket) || !cfg_set_str(r->host_socket)))
		cfg_err(c, n, "reverse",
		    "field `%s.reverse` requires both field `%s.guestSocket` "
		    "and field `%s.hostSocket`",
		    f, f, f);
}

void
cfg_check_port_forwards(struct cfg_check *c)
{
	struct lima_config *cfg = c->cfg;
	const struct config_port_forward *r;
	size_t i;

	for (i = 0; i < cfg->nport_forwards; i++) {
		r = &cfg->port_forwards[i];
		cfg_check_pf(c, r, i);
		if (cfg->plain && r->is_static &&
		    r->guest_port_range[1] - r->guest_port_range[0] + 1 > 10)
			cfg_warn(c,
			    "portForwards[%zu]: forwarding %d ports statically "
			    "in plain mode; consider a smaller range",
			    i,
			    r->guest_port_range[1] - r->guest_port_range[0] +
				1);
	}
}

/* "52:55:55:12:34:56" or with '-': the number of bytes, -1 if bad. */
static int
cfg_mac_len(const char *s)
{
	size_t len = strlen(s), i, n;
	char sep;

	if (len < 2)
		return -1;
	if (len == 2)
		return isxdigit((unsigned char)s[0]) &&
			isxdigit((unsigned char)s[1])
		    ? 1
		    : -1;
	sep = s[2];
	if ((sep != ':' && sep != '-') || (len + 1) % 3 != 0)
		return -1;
	n = (len + 1) / 3;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[3 * i]) ||
		    !isxdigit((unsigned char)s[3 * i + 1]))
			return -1;
		if (i + 1 < n && s[3 * i + 2] != sep)
			return -1;
	}
	return (int)n;
}

static void
cfg_check_network(
    struct cfg_check *c, const struct config_network *nw, size_t i)
{
	const struct config_network *prev;
	const struct node *n = nw->node;
	struct stat sb;
	char f[64];
	size_t j;
	int nset, len;

	snprintf(f, sizeof f, "networks[%zu]", i);
	nset =
	    cfg_set_str(nw->lima) + cfg_set_str(nw->socket) + (nw->vz_nat == 1);
	if (nset == 0)
		cfg_err(c, n, NULL,
		    "field `%s.lima`, field `%s.socket` or field `%s.vzNAT` "
		    "must be set",
		    f, f, f);
	else if (nset > 1)
		cfg_err(c, n, NULL,
		    "field `%s.lima`, field `%s.socket` and field `%s.vzNAT` "
		    "are mutually exclusive",
		    f, f, f);
	if (cfg_set_str(nw->lima) && strcmp(nw->lima, "user-v2") != 0)
		cfg_err(c, n, "lima",
		    "field `%s.lima` is only supported on macOS right now", f);
	if (nw->vz_nat == 1)
		cfg_err(
		    c, n, "vzNAT", "field `%s.vzNAT` requires `vmType: vz`", f);
	if (cfg_set_str(nw->socket)) {
		if (stat(nw->socket, &sb) != 0) {
			if (errno != ENOENT)
				cfg_err(c, n, "socket",
				    "field `%s.socket` refers to an "
				    "inaccessible path: %s: %s",
				    f, cfg_q(c, nw->socket), strerror(errno));
		} else if (!S_ISSOCK(sb.st_mode))
			cfg_err(c, n, "socket",
			    "field `%s.socket` %s points to a non-socket file",
			    f, cfg_q(c, nw->socket));
	}
	len = cfg_mac_len(nw->mac_address);
	if (len < 0)
		cfg_err(c, n, "macAddress",
		    "field `%s.macAddress` has an invalid value %s", f,
		    cfg_q(c, nw->mac_address));
	else if (len != 6)
		cfg_err(c, n, "macAddress",
		    "field `%s.macAddress` must be a 48 bit (6 bytes) MAC "
		    "address; actual length of %s is %d bytes",
		    f, cfg_q(c, nw->mac_address), len);
	if (strlen(nw->interface) >= CFG_IFNAMSIZ)
		cfg_err(c, n, "interface",
		    "field `%s.interface` must be less than %d bytes, but is "
		    "%zu bytes: %s",
		    f, CFG_IFNAMSIZ, strlen(nw->interface),
		    cfg_q(c, nw->interface));
	if (strpbrk(nw->interface, " \t\n\r\f\v/") != NULL)
		cfg_err(c, n, "interface",
		    "field `%s.interface` must not contain whitespace or "
		    "slashes",
		    f);
	if (strcmp(nw->interface, "eth0") == 0)
		cfg_err(c, n, "interface",
		    "field `%s.interface` must not be set to \"eth0\" because "
		    "it is reserved for slirp",
		    f);
	for (j = 0; j < i; j++) {
		prev = &c->cfg->networks[j];
		if (strcmp(prev->interface, nw->interface) == 0)
			cfg_err(c, n, "interface",
			    "field `%s.interface` value %s has already been "
			    "used by field `networks[%zu].interface`",
			    f, cfg_q(c, nw->interface), j);
	}
}

void
cfg_check_networks(struct cfg_check *c)
{
	size_t i;

	for (i = 0; i < c->cfg->nnetworks; i++)
		cfg_check_network(c, &c->cfg->networks[i], i);
}
