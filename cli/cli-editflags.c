/* clima: the edit flags of create/start/edit/clone as jq expressions. */
/*
 * Each flag given on the command line becomes one expression applied to
 * the template text (--cpus 2 -> ".cpus = 2"), as Lima's editflags turn
 * them into yq; --set expressions come last, in the order given.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "common/node.h"
#include "common/xmalloc.h"
#include "expr/expr.h"

const struct cli_flag cli_edit_flags[] = {
	{ "cpus", 0, FLAG_INT, NULL, "Number of CPUs", CLI_FLAG_CREATE },
	{ "memory", 0, FLAG_FLOAT, NULL, "Memory in GiB", CLI_FLAG_CREATE },
	{ "disk", 0, FLAG_FLOAT, NULL, "Disk size in GiB", CLI_FLAG_CREATE },
	{ "dns", 0, FLAG_STRINGS, NULL, "Specify custom DNS (disable host "
	    "resolver)", CLI_FLAG_CREATE },
	{ "mount", 0, FLAG_STRINGS, NULL, "Directories to mount, suffix "
	    "':w' for writable (Do not specify directories that overlap with "
	    "the existing mounts)", CLI_FLAG_CREATE },
	{ "mount-only", 0, FLAG_STRINGS, NULL, "Similar to --mount, but "
	    "overrides the existing mounts", CLI_FLAG_CREATE },
	{ "mount-none", 0, FLAG_BOOL, "false", "Remove all mounts",
	    CLI_FLAG_CREATE },
	{ "mount-type", 0, FLAG_STRING, NULL, "Mount type (reverse-sshfs, "
	    "9p, virtiofs)", CLI_FLAG_CREATE },
	{ "mount-writable", 0, FLAG_BOOL, "false", "Make all mounts "
	    "writable", CLI_FLAG_CREATE },
	{ "mount-inotify", 0, FLAG_BOOL, "false", "Enable inotify for "
	    "mounts", CLI_FLAG_CREATE },
	{ "network", 0, FLAG_STRINGS, NULL, "Additional networks, e.g., "
	    "\"vzNAT\" or \"lima:shared\" to assign vmnet IP",
	    CLI_FLAG_CREATE },
	{ "nested-virt", 0, FLAG_BOOL, "false", "Enable nested "
	    "virtualization", CLI_FLAG_CREATE },
	{ "rosetta", 0, FLAG_BOOL, "false", "Enable Rosetta (for vz "
	    "instances)", CLI_FLAG_CREATE | CLI_FLAG_HIDDEN },
	{ "set", 0, FLAG_STRINGS, NULL, "Modify the template inplace, using "
	    "yq syntax. Can be passed multiple times.", CLI_FLAG_CREATE },
	{ "param", 0, FLAG_STRINGS, NULL, "Set a template parameter "
	    "(NAME=VALUE). Can be passed multiple times.", CLI_FLAG_CREATE },
	{ "ssh-port", 0, FLAG_INT, NULL, "SSH port (0 for random)",
	    CLI_FLAG_CREATE },
	{ "video", 0, FLAG_BOOL, "false", "Enable video output (has "
	    "negative performance impact for QEMU)", CLI_FLAG_CREATE },
	{ "vm-type", 0, FLAG_STRING, NULL, "Virtual machine type (qemu)",
	    CLI_FLAG_CREATE },
	{ "shell", 0, FLAG_STRING, NULL, "Login shell to use in the guest",
	    CLI_FLAG_CREATE },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

const struct cli_flag cli_create_flags[] = {
	{ "arch", 0, FLAG_STRING, NULL, "Machine architecture (x86_64, "
	    "aarch64, riscv64, armv7l, s390x, ppc64le)", CLI_FLAG_CREATE },
	{ "image-variant", 0, FLAG_STRING, NULL, "Image variant (e.g. "
	    "server, minimal)", CLI_FLAG_CREATE },
	{ "arch-variant", 0, FLAG_STRING, NULL, "Architecture variant "
	    "(e.g. v3)", CLI_FLAG_CREATE },
	{ "containerd", 0, FLAG_STRING, NULL, "containerd mode (user, "
	    "system, user+system, none)", CLI_FLAG_CREATE },
	{ "plain", 0, FLAG_BOOL, "false", "Plain mode. Disables mounts, port "
	    "forwarding, containerd, etc.", CLI_FLAG_CREATE },
	{ "port-forward", 0, FLAG_STRINGS, NULL, "Port forwards "
	    "(host:guest), e.g., '8080:80' or '9090:9090,static=true' for "
	    "static port-forwards", CLI_FLAG_CREATE },
	{ "audio-device", 0, FLAG_STRING, NULL, "Audio device (e.g. "
	    "\"default\", \"none\")", CLI_FLAG_CREATE | CLI_FLAG_HIDDEN },
	{ "audio-interface", 0, FLAG_STRING, NULL, "Audio interface "
	    "(hda, virtio)", CLI_FLAG_CREATE | CLI_FLAG_HIDDEN },
	{ "name", 0, FLAG_STRING, NULL, "Override the instance name",
	    CLI_FLAG_CREATE },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

void
cli_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A JSON (and so jq) string literal for s; the caller's. */
static char *
cli_editflags_str(const char *s)
{
	char *out, *p;
	const unsigned char *q;

	out = p = xmalloc(strlen(s) * 6 + 3);
	*p++ = '"';
	for (q = (const unsigned char *)s; *q != '\0'; q++) {
		if (*q == '"' || *q == '\\') {
			*p++ = '\\';
			*p++ = (char)*q;
		} else if (*q < 0x20) {
			p += sprintf(p, "\\u%04x", *q);
		} else
			*p++ = (char)*q;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

static int cli_editflags_params(struct cmd_ctx *, const struct node *,
    char ***, size_t *, char **);

static void
cli_editflags_add(char ***exprs, size_t *n, char *e)
{
	*exprs = xreallocarray(*exprs, *n + 1, sizeof **exprs);
	(*exprs)[(*n)++] = e;
}

/* --mount / --mount-only values: "DIR[:w]", comma lists allowed. */
static char *
cli_editflags_mounts(char **vals, size_t nvals)
{
	char *list = xstrdup("["), *tmp, *copy, *item, *save, *loc, *q;
	const char *home = getenv("HOME");
	size_t i;
	int first = 1, writable;

	for (i = 0; i < nvals; i++) {
		copy = xstrdup(vals[i]);
		for (item = strtok_r(copy, ",", &save); item != NULL;
		     item = strtok_r(NULL, ",", &save)) {
			writable = 0;
			if (strlen(item) > 2 &&
			    strcmp(item + strlen(item) - 2, ":w") == 0) {
				writable = 1;
				item[strlen(item) - 2] = '\0';
			}
			if (item[0] == '~' && home != NULL &&
			    (item[1] == '\0' || item[1] == '/'))
				xasprintf(&loc, "%s%s", home, item + 1);
			else
				loc = xstrdup(item);
			q = cli_editflags_str(loc);
			xasprintf(&tmp, "%s%s{\"location\": %s, \"mountPoint\": "
			    "%s, \"writable\": %s}", list, first ? "" : ", ", q,
			    q, writable ? "true" : "false");
			free(q);
			free(loc);
			free(list);
			list = tmp;
			first = 0;
		}
		free(copy);
	}
	xasprintf(&tmp, "%s]", list);
	free(list);
	return tmp;
}

static int
cli_editflags_port_forward(const char *v, char **expr, char **cause)
{
	char *copy, *opt, *colon, *end;
	long host, guest;
	int is_static = 0;

	copy = xstrdup(v);
	if ((opt = strchr(copy, ',')) != NULL) {
		*opt++ = '\0';
		if (strcmp(opt, "static=true") == 0)
			is_static = 1;
		else if (strcmp(opt, "static=false") != 0)
			goto bad;
	}
	if ((colon = strchr(copy, ':')) == NULL)
		goto bad;
	*colon++ = '\0';
	host = strtol(copy, &end, 10);
	if (*copy == '\0' || *end != '\0' || host < 0 || host > 65535)
		goto bad;
	guest = strtol(colon, &end, 10);
	if (*colon == '\0' || *end != '\0' || guest < 0 || guest > 65535)
		goto bad;
	xasprintf(expr, ".portForwards += [{\"guestPort\": %ld, \"hostPort\": "
	    "%ld, \"static\": %s}]", guest, host, is_static ? "true" : "false");
	free(copy);
	return 0;
bad:
	xasprintf(cause, "invalid port forward %s, expected HOST:GUEST or "
	    "HOST:GUEST,static=true", cli_q(v));
	free(copy);
	return -1;
}

int
cli_editflags_exprs(struct cmd_ctx *ctx, int is_create,
    const struct node *doc, char ***exprs, size_t *n, char **cause)
{
	static const char *const create_only[] = { "arch", "image-variant",
		"arch-variant", "containerd", "plain", "port-forward",
		"audio-device", "audio-interface", NULL };
	char **vals, *e = NULL, *q, *tmp;
	size_t nvals, i, j;
	const char *s;
	unsigned char addr[16];
	int mount_flags = 0;

	if (cmd_flag_changed(ctx, "cpus")) {
		if (cmd_flag_int(ctx, "cpus") < 0) {
			xasprintf(cause, "error while processing flag `cpus`: "
			    "must be non-negative");
			return -1;
		}
		xasprintf(&e, ".cpus = %lld", cmd_flag_int(ctx, "cpus"));
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "memory")) {
		xasprintf(&e, ".memory = \"%gGiB\"",
		    cmd_flag_float(ctx, "memory"));
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "disk")) {
		xasprintf(&e, ".disk = \"%gGiB\"", cmd_flag_float(ctx, "disk"));
		cli_editflags_add(exprs, n, e);
	}
	vals = cmd_flag_strs(ctx, "dns", &nvals);
	if (nvals > 0) {
		char *list = xstrdup("");

		for (i = 0; i < nvals; i++) {
			char *copy = xstrdup(vals[i]), *item, *save;

			for (item = strtok_r(copy, ",", &save); item != NULL;
			     item = strtok_r(NULL, ",", &save)) {
				if (inet_pton(AF_INET, item, addr) != 1 &&
				    inet_pton(AF_INET6, item, addr) != 1) {
					xasprintf(cause, "error while "
					    "processing flag `dns`: invalid "
					    "IP address %s", cli_q(item));
					free(copy);
					free(list);
					return -1;
				}
				q = cli_editflags_str(item);
				xasprintf(&tmp, "%s%s%s", list,
				    *list != '\0' ? ", " : "", q);
				free(q);
				free(list);
				list = tmp;
			}
			free(copy);
		}
		log_warnx("Disabling HostResolver, as custom DNS addresses "
			  "(%s) are specified", list);
		xasprintf(&e, ".dns += [%s] | .dns |= unique | "
		    ".hostResolver.enabled = false", list);
		free(list);
		cli_editflags_add(exprs, n, e);
	}
	mount_flags = (cmd_flag_strs(ctx, "mount", &nvals), nvals > 0) +
	    (cmd_flag_strs(ctx, "mount-only", &nvals), nvals > 0) +
	    cmd_flag_changed(ctx, "mount-none");
	if (mount_flags > 1) {
		xasprintf(cause, "flags `--mount`, `--mount-only` and "
				 "`--mount-none` are mutually exclusive");
		return -1;
	}
	vals = cmd_flag_strs(ctx, "mount", &nvals);
	if (nvals > 0) {
		q = cli_editflags_mounts(vals, nvals);
		xasprintf(&e, ".mounts = %s + (.mounts // [])", q);
		free(q);
		cli_editflags_add(exprs, n, e);
	}
	vals = cmd_flag_strs(ctx, "mount-only", &nvals);
	if (nvals > 0) {
		q = cli_editflags_mounts(vals, nvals);
		xasprintf(&e, ".mounts = %s", q);
		free(q);
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "mount-none") &&
	    cmd_flag_bool(ctx, "mount-none"))
		cli_editflags_add(exprs, n, xstrdup(".mounts = null"));
	if ((s = cmd_flag_str(ctx, "mount-type")) != NULL &&
	    cmd_flag_changed(ctx, "mount-type")) {
		q = cli_editflags_str(s);
		xasprintf(&e, ".mountType = %s", q);
		free(q);
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "mount-writable")) {
		xasprintf(&e, ".mounts |= (if . then map(.writable = %s) "
		    "else . end)", cmd_flag_bool(ctx, "mount-writable") ?
		    "true" : "false");
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "mount-inotify")) {
		xasprintf(&e, ".mountInotify = %s",
		    cmd_flag_bool(ctx, "mount-inotify") ? "true" : "false");
		cli_editflags_add(exprs, n, e);
	}
	vals = cmd_flag_strs(ctx, "network", &nvals);
	for (i = 0; i < nvals; i++) {
		if (strcmp(vals[i], "vzNAT") == 0)
			e = xstrdup(".networks += [{\"vzNAT\": true}]");
		else if (strncmp(vals[i], "lima:", 5) == 0) {
			q = cli_editflags_str(vals[i] + 5);
			xasprintf(&e, ".networks += [{\"lima\": %s}] | "
			    ".networks |= unique_by(.lima)", q);
			free(q);
		} else {
			xasprintf(cause, "error while processing flag "
			    "`network`: network name must be `vzNAT` or "
			    "`lima:*`");
			return -1;
		}
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "nested-virt")) {
		xasprintf(&e, ".nestedVirtualization = %s",
		    cmd_flag_bool(ctx, "nested-virt") ? "true" : "false");
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "rosetta")) {
		s = cmd_flag_bool(ctx, "rosetta") ? "true" : "false";
		xasprintf(&e, ".vmOpts.vz.rosetta.enabled = %s | "
		    ".vmOpts.vz.rosetta.binfmt = %s", s, s);
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "ssh-port")) {
		if (cmd_flag_int(ctx, "ssh-port") < 0) {
			xasprintf(cause, "error while processing flag "
			    "`ssh-port`: must be non-negative");
			return -1;
		}
		xasprintf(&e, ".ssh.localPort = %lld",
		    cmd_flag_int(ctx, "ssh-port"));
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "video")) {
		xasprintf(&e, ".video.display = \"%s\"",
		    cmd_flag_bool(ctx, "video") ? "default" : "none");
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "vm-type")) {
		q = cli_editflags_str(cmd_flag_str(ctx, "vm-type"));
		xasprintf(&e, ".vmType = %s", q);
		free(q);
		cli_editflags_add(exprs, n, e);
	}
	if (cmd_flag_changed(ctx, "shell")) {
		q = cli_editflags_str(cmd_flag_str(ctx, "shell"));
		xasprintf(&e, ".user.shell = %s", q);
		free(q);
		cli_editflags_add(exprs, n, e);
	}

	/* Create-only flags: warned about and ignored for an instance. */
	for (j = 0; create_only[j] != NULL; j++) {
		int has = 0;

		for (i = 0; i < ctx->nvalues; i++) {
			if (strcmp(ctx->values[i].flag->name,
			    create_only[j]) == 0)
				has = 1;
		}
		if (!has || !cmd_flag_changed(ctx, create_only[j]))
			continue;
		if (!is_create) {
			log_warnx("`--%s` is not applicable to an existing "
				  "instance (Hint: create a new instance with "
				  "`limactl create --%s=%s --name=NAME`)",
			    create_only[j], create_only[j],
			    cmd_flag_str(ctx, create_only[j]) != NULL ?
				cmd_flag_str(ctx, create_only[j]) : "...");
			continue;
		}
		if (strcmp(create_only[j], "arch") == 0 ||
		    strcmp(create_only[j], "audio-device") == 0 ||
		    strcmp(create_only[j], "audio-interface") == 0) {
			q = cli_editflags_str(cmd_flag_str(ctx,
			    create_only[j]));
			xasprintf(&e, "%s = %s",
			    strcmp(create_only[j], "arch") == 0 ? ".arch" :
			    strcmp(create_only[j], "audio-device") == 0 ?
								   ".audio.device" :
								   ".audio.interface",
			    q);
			free(q);
		} else if (strcmp(create_only[j], "image-variant") == 0 ||
		    strcmp(create_only[j], "arch-variant") == 0) {
			q = cli_editflags_str(cmd_flag_str(ctx,
			    create_only[j]));
			xasprintf(&e, ".images |= map(select(.%s == %s))",
			    create_only[j][0] == 'i' ? "variant" :
						       "archVariant", q);
			free(q);
		} else if (strcmp(create_only[j], "containerd") == 0) {
			s = cmd_flag_str(ctx, "containerd");
			if (strcmp(s, "user") == 0)
				e = xstrdup(".containerd.system = false | "
					    ".containerd.user = true");
			else if (strcmp(s, "system") == 0)
				e = xstrdup(".containerd.system = true | "
					    ".containerd.user = false");
			else if (strcmp(s, "user+system") == 0 ||
			    strcmp(s, "system+user") == 0)
				e = xstrdup(".containerd.system = true | "
					    ".containerd.user = true");
			else if (strcmp(s, "none") == 0)
				e = xstrdup(".containerd.system = false | "
					    ".containerd.user = false");
			else {
				xasprintf(cause, "error while processing flag "
				    "`containerd`: expected one of `user`, "
				    "`system`, `user+system`, or `none`, got "
				    "%s", cli_q(s));
				return -1;
			}
		} else if (strcmp(create_only[j], "plain") == 0) {
			xasprintf(&e, ".plain = %s",
			    cmd_flag_bool(ctx, "plain") ? "true" : "false");
		} else if (strcmp(create_only[j], "port-forward") == 0) {
			vals = cmd_flag_strs(ctx, "port-forward", &nvals);
			for (i = 0; i + 1 < nvals; i++) {
				if (cli_editflags_port_forward(vals[i], &e,
				    cause) != 0)
					return -1;
				cli_editflags_add(exprs, n, e);
			}
			if (cli_editflags_port_forward(vals[nvals - 1], &e,
			    cause) != 0)
				return -1;
		} else
			continue;
		cli_editflags_add(exprs, n, e);
	}

	if (cli_editflags_params(ctx, doc, exprs, n, cause) != 0)
		return -1;
	vals = cmd_flag_strs(ctx, "set", &nvals);
	for (i = 0; i < nvals; i++)
		cli_editflags_add(exprs, n, xstrdup(vals[i]));
	return 0;
}

/* --param NAME=VALUE: the template must declare NAME in its param map. */
static int
cli_editflags_params(struct cmd_ctx *ctx, const struct node *doc,
    char ***exprs, size_t *n, char **cause)
{
	char **vals, *name, *eq, *qn, *qv, *e;
	const struct node *params;
	size_t nvals, i;

	vals = cmd_flag_strs(ctx, "param", &nvals);
	params = doc != NULL ? node_map_get(doc, "param") : NULL;
	for (i = 0; i < nvals; i++) {
		if ((eq = strchr(vals[i], '=')) == NULL || eq == vals[i]) {
			xasprintf(cause, "error while processing flag `param`: "
			    "invalid parameter %s, expected NAME=VALUE",
			    cli_q(vals[i]));
			return -1;
		}
		name = xstrndup(vals[i], (size_t)(eq - vals[i]));
		if (params == NULL || params->kind != NODE_MAP ||
		    node_map_get(params, name) == NULL) {
			xasprintf(cause, "error while processing flag `param`: "
			    "template does not define param %s", cli_q(name));
			free(name);
			return -1;
		}
		qn = cli_editflags_str(name);
		qv = cli_editflags_str(eq + 1);
		xasprintf(&e, ".param[%s] = %s", qn, qv);
		cli_editflags_add(exprs, n, e);
		free(qn);
		free(qv);
		free(name);
	}
	return 0;
}

int
cli_editflags_apply(struct cmd_ctx *ctx, const char *text, size_t len,
    const char *path, char **yaml)
{
	struct node *doc;
	char **exprs = NULL, *cause = NULL;
	size_t nexprs = 0;

	if ((doc = node_from_yaml(text, len, path, &cause)) == NULL)
		cli_fatal("%s", cause);
	if (cli_editflags_exprs(ctx, 0, doc, &exprs, &nexprs, &cause) != 0)
		cli_fatal("%s", cause);
	node_free(doc);
	if (nexprs > 0 && expr_apply_yaml(text, len,
	    (const char *const *)exprs, nexprs, yaml, &cause) != 0)
		cli_fatal("%s", cause);
	cli_strv_free(exprs, nexprs);
	return nexprs > 0;
}
