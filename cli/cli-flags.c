/* clima: flag parsing for limactl, pflag style. */
/*
 * A command's flags are its flag sets plus the global (persistent) flags.
 * Values are kept as text in struct cli_flag_value and converted by the
 * cmd_flag_* accessors, so defaults and given values go through one path.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "common/units.h"
#include "common/xmalloc.h"

/* Collects the flags of a command, global flags last. */
void
cli_flags_collect(const struct cmd_entry *cmd, struct cmd_ctx *ctx)
{
	const struct cli_flag *const *set;
	const struct cli_flag *f;
	size_t n = 0;

	ctx->values = NULL;
	ctx->nvalues = 0;
	for (set = cmd->flag_sets; set != NULL && *set != NULL; set++) {
		for (f = *set; f->name != NULL; f++) {
			ctx->values = xreallocarray(ctx->values, n + 1,
			    sizeof *ctx->values);
			memset(&ctx->values[n], 0, sizeof ctx->values[n]);
			ctx->values[n++].flag = f;
		}
	}
	for (f = cli_global_flags; f->name != NULL; f++) {
		ctx->values = xreallocarray(ctx->values, n + 1,
		    sizeof *ctx->values);
		memset(&ctx->values[n], 0, sizeof ctx->values[n]);
		ctx->values[n].flag = f;
		ctx->values[n++].global = 1;
	}
	ctx->nvalues = n;
}

void
cli_flags_free(struct cmd_ctx *ctx)
{
	size_t i, j;

	for (i = 0; i < ctx->nvalues; i++) {
		for (j = 0; j < ctx->values[i].nvals; j++)
			free(ctx->values[i].vals[j]);
		free(ctx->values[i].vals);
	}
	free(ctx->values);
	ctx->values = NULL;
	ctx->nvalues = 0;
}

static struct cli_flag_value *
cli_flags_find_long(struct cmd_ctx *ctx, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ctx->nvalues; i++) {
		if (strlen(ctx->values[i].flag->name) == len &&
		    strncmp(ctx->values[i].flag->name, name, len) == 0)
			return &ctx->values[i];
	}
	return NULL;
}

static struct cli_flag_value *
cli_flags_find_short(struct cmd_ctx *ctx, char c)
{
	size_t i;

	for (i = 0; i < ctx->nvalues; i++) {
		if (ctx->values[i].flag->shorthand == c)
			return &ctx->values[i];
	}
	return NULL;
}

/* Checks and records one value; returns -1 with *cause on bad input. */
static int
cli_flags_set(struct cli_flag_value *v, const char *arg, const char *shown,
    char **cause)
{
	const struct cli_flag *f = v->flag;
	char *end, *err = NULL;
	double d;

	switch (f->type) {
	case FLAG_BOOL:
		if (strcmp(arg, "true") != 0 && strcmp(arg, "false") != 0 &&
		    strcmp(arg, "1") != 0 && strcmp(arg, "0") != 0 &&
		    strcmp(arg, "t") != 0 && strcmp(arg, "f") != 0 &&
		    strcmp(arg, "TRUE") != 0 && strcmp(arg, "FALSE") != 0 &&
		    strcmp(arg, "True") != 0 && strcmp(arg, "False") != 0) {
			xasprintf(cause,
			    "invalid argument \"%s\" for \"%s\" flag: "
			    "strconv.ParseBool: parsing \"%s\": invalid syntax",
			    arg, shown, arg);
			return -1;
		}
		break;
	case FLAG_INT:
		errno = 0;
		(void)strtoll(arg, &end, 0);
		if (*arg == '\0' || *end != '\0' || errno != 0) {
			xasprintf(cause,
			    "invalid argument \"%s\" for \"%s\" flag: "
			    "strconv.ParseInt: parsing \"%s\": invalid syntax",
			    arg, shown, arg);
			return -1;
		}
		break;
	case FLAG_FLOAT:
		errno = 0;
		(void)strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || errno != 0) {
			xasprintf(cause,
			    "invalid argument \"%s\" for \"%s\" flag: "
			    "strconv.ParseFloat: parsing \"%s\": invalid syntax",
			    arg, shown, arg);
			return -1;
		}
		break;
	case FLAG_DURATION:
		if (units_parse_duration(arg, &d, &err) != 0) {
			xasprintf(cause, "invalid argument \"%s\" for \"%s\" "
			    "flag: %s", arg, shown, err);
			free(err);
			return -1;
		}
		break;
	case FLAG_STRING:
	case FLAG_STRINGS:
		break;
	}
	if (f->type != FLAG_STRINGS && v->nvals > 0) {
		free(v->vals[0]);
		v->vals[0] = xstrdup(arg);
	} else {
		v->vals = xreallocarray(v->vals, v->nvals + 1, sizeof *v->vals);
		v->vals[v->nvals++] = xstrdup(arg);
	}
	v->changed = 1;
	return 0;
}

int
cli_flags_parse(struct cmd_ctx *ctx, int argc, char **argv, int intersperse,
    char **cause)
{
	struct cli_flag_value *v;
	const char *arg, *eq, *val;
	char shown[128];
	const char *name;
	int i, j, npos = 0, only_pos = 0;

	ctx->dashdash = -1;
	ctx->argv = xcalloc((size_t)argc + 1, sizeof *ctx->argv);
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			ctx->argv[npos++] = xstrdup(arg);
			if (!intersperse)
				only_pos = 1;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			ctx->dashdash = npos;
			continue;
		}
		if (arg[1] == '-') {
			name = arg + 2;
			eq = strchr(name, '=');
			v = cli_flags_find_long(ctx, name,
			    eq != NULL ? (size_t)(eq - name) : strlen(name));
			if (v == NULL) {
				xasprintf(cause, "unknown flag: --%.*s",
				    eq != NULL ? (int)(eq - name) :
						 (int)strlen(name), name);
				return -1;
			}
			snprintf(shown, sizeof shown, "--%s", v->flag->name);
			if (eq != NULL)
				val = eq + 1;
			else if (v->flag->type == FLAG_BOOL)
				val = "true";
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				xasprintf(cause, "flag needs an argument: %s",
				    shown);
				return -1;
			}
			if (cli_flags_set(v, val, shown, cause) != 0)
				return -1;
			continue;
		}
		/* One or more shorthands: -abc, -n5, -n 5, -n=5. */
		for (j = 1; arg[j] != '\0'; j++) {
			v = cli_flags_find_short(ctx, arg[j]);
			if (v == NULL) {
				xasprintf(cause,
				    "unknown shorthand flag: '%c' in %s",
				    arg[j], arg);
				return -1;
			}
			snprintf(shown, sizeof shown, "-%c, --%s", arg[j],
			    v->flag->name);
			if (arg[j + 1] == '=') {
				val = arg + j + 2;
				j = (int)strlen(arg) - 1;
			} else if (v->flag->type == FLAG_BOOL)
				val = "true";
			else if (arg[j + 1] != '\0') {
				val = arg + j + 1;
				j = (int)strlen(arg) - 1;
			} else if (i + 1 < argc)
				val = argv[++i];
			else {
				xasprintf(cause,
				    "flag needs an argument: '%c' in %s",
				    arg[j], arg);
				return -1;
			}
			if (cli_flags_set(v, val, shown, cause) != 0)
				return -1;
		}
	}
	ctx->argc = npos;
	return 0;
}

static struct cli_flag_value *
cli_flags_get(struct cmd_ctx *ctx, const char *name)
{
	struct cli_flag_value *v;

	v = cli_flags_find_long(ctx, name, strlen(name));
	if (v == NULL)
		fatalx("%s: command %s has no flag %s", __func__,
		    ctx->cmd->name, name);
	return v;
}

static const char *
cli_flags_text(struct cmd_ctx *ctx, const char *name)
{
	struct cli_flag_value *v = cli_flags_get(ctx, name);

	if (v->nvals > 0)
		return v->vals[v->nvals - 1];
	return v->flag->def;
}

int
cmd_flag_bool(struct cmd_ctx *ctx, const char *name)
{
	const char *s = cli_flags_text(ctx, name);

	if (s == NULL)
		return 0;
	return strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	    strcmp(s, "t") == 0 || strcmp(s, "TRUE") == 0 ||
	    strcmp(s, "True") == 0;
}

const char *
cmd_flag_str(struct cmd_ctx *ctx, const char *name)
{
	return cli_flags_text(ctx, name);
}

char **
cmd_flag_strs(struct cmd_ctx *ctx, const char *name, size_t *n)
{
	struct cli_flag_value *v = cli_flags_get(ctx, name);

	*n = v->nvals;
	return v->vals;
}

long long
cmd_flag_int(struct cmd_ctx *ctx, const char *name)
{
	const char *s = cli_flags_text(ctx, name);

	return s == NULL ? 0 : strtoll(s, NULL, 0);
}

double
cmd_flag_float(struct cmd_ctx *ctx, const char *name)
{
	const char *s = cli_flags_text(ctx, name);

	return s == NULL ? 0 : strtod(s, NULL);
}

double
cmd_flag_duration(struct cmd_ctx *ctx, const char *name)
{
	const char *s = cli_flags_text(ctx, name);
	double d = 0;
	char *cause = NULL;

	if (s != NULL && units_parse_duration(s, &d, &cause) != 0)
		free(cause);
	return d;
}

int
cmd_flag_changed(struct cmd_ctx *ctx, const char *name)
{
	return cli_flags_get(ctx, name)->changed;
}
