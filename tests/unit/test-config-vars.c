/* clima: tests of template variables, ~ expansion and path cleaning. */
/*
 * cfg_expand directly (guest and host data), then the same variables in
 * the fields Lima expands, through a whole load; then the checks of
 * validateParamIsUsed, config_hostname and config_expand_guest.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/config-int.h"
#include "tests/unit/test-config.h"

static struct config_map tv_param;

static void
tv_vars(struct cfg_vars *v, int host)
{
	memset(v, 0, sizeof *v);
	v->host = host;
	v->name = "vm1";
	v->hostname = "lima-vm1";
	v->dir = "/lh/vm1";
	v->home = host ? "/home/alice" : "/home/alice.guest";
	v->user = "alice";
	v->lima_home = "/lh";
	v->tmpdir = "/var/tmp/alice";
	v->uid = 501;
	v->param = &tv_param;
}

static void
tv_is(int host, const char *in, const char *want, const char *what)
{
	struct cfg_vars v;
	char *out = NULL, *cause = NULL;

	tv_vars(&v, host);
	if (cfg_expand(&v, "f", in, &out, &cause) != 0) {
		ok(0, "%s", what);
		printf("# %s\n", cause);
		free(cause);
		return;
	}
	is_str(out, want, "%s", what);
	free(out);
}

static void
tv_err(int host, const char *in, const char *want, const char *what)
{
	struct cfg_vars v;
	char *out = NULL, *cause = NULL;

	tv_vars(&v, host);
	if (cfg_expand(&v, "f", in, &out, &cause) == 0) {
		ok(0, "%s", what);
		printf("# expanded to %s\n", out);
		free(out);
		return;
	}
	is_str(cause, want, "%s", what);
	free(cause);
}

static void
test_expand(void)
{
	cfg_map_set(&tv_param, "K", "kv");
	tv_is(0,
	    "{{.Name}} {{ .Hostname }} {{.UID}} {{.User}} {{.Home}} "
	    "{{.Param.K}}",
	    "vm1 lima-vm1 501 alice /home/alice.guest kv", "guest variables");
	tv_is(1,
	    "{{.Dir}} {{.Name}} {{.UID}} {{.User}} {{.Home}} {{.Param.K}} "
	    "{{.GlobalTempDir}} {{.TempDir}} {{.Instance}} {{.LimaHome}}",
	    "/lh/vm1 vm1 501 alice /home/alice kv /tmp /var/tmp/alice vm1 /lh",
	    "host variables");
	tv_is(0, "no templates } here }}", "no templates } here }}",
	    "plain text unchanged");
	tv_is(0, "{{\"{{\"}}.X}}", "{{.X}}", "string literal action");
	tv_is(0, "{{`a\"b`}}", "a\"b", "raw string literal action");
	tv_is(0, "{{\"a\\tb\"}}", "a\tb", "escapes in string literals");
	tv_is(0, "a{{/* comment */}}b", "ab", "comments");
	tv_is(0, "a  {{- .Name -}}  b", "avm1b", "trim markers");
	tv_err(0, "{{-.Name}}",
	    "field `f`: template: unsupported action `{{-.Name}}`",
	    "{{- without a space is no trim marker");
	tv_err(0, "{{.Foo}}", "field `f`: template: unknown variable `.Foo`",
	    "unknown variable");
	tv_err(0, "{{.Dir}}", "field `f`: template: unknown variable `.Dir`",
	    "host-only variable in a guest field");
	tv_err(1, "{{.Hostname}}",
	    "field `f`: template: unknown variable `.Hostname`",
	    "guest-only variable in a host field");
	tv_err(0, "{{.Param.NOPE}}",
	    "field `f`: template: `.Param.NOPE` is not defined in field "
	    "`param`",
	    "undefined param");
	tv_err(0, "{{ if .Name }}x{{ end }}",
	    "field `f`: template: unsupported action `{{ if .Name }}`",
	    "unsupported action");
	tv_err(0, "{{.Name | printf}}",
	    "field `f`: template: unsupported action `{{.Name | printf}}`",
	    "pipelines unsupported");
	tv_err(0, "{{..Name}}",
	    "field `f`: template: unsupported action `{{..Name}}`",
	    "bad variable syntax");
	tv_err(0, "x {{.Name", "field `f`: template: unclosed action",
	    "unclosed action");
	tv_err(0, "{{\"}}", "field `f`: template: unclosed action",
	    "unterminated string literal");
	cfg_map_free(&tv_param);
}

static void
tv_clean(const char *in, const char *want)
{
	char *out = cfg_clean_path(in);

	is_str(out, want, "clean %s", in);
	free(out);
}

static void
test_paths(void)
{
	char *out = NULL;

	tv_clean("/a//b/./c/..", "/a/b");
	tv_clean("/a/b/", "/a/b");
	tv_clean("a/../..", "..");
	tv_clean("../../a/..", "../..");
	tv_clean("/..", "/");
	tv_clean("/../a", "/a");
	tv_clean("", ".");
	tv_clean("./", ".");
	tv_clean("//", "/");
	is_int(cfg_expand_tilde("/h", "~", &out), 0, "~ expands");
	is_str(out, "/h", "~ is the home");
	free(out);
	is_int(cfg_expand_tilde("/h", "~/x/y", &out), 0, "~/x expands");
	is_str(out, "/h/x/y", "~/x/y");
	free(out);
	is_int(cfg_expand_tilde("/h", "/x~", &out), 0, "no ~ prefix");
	is_str(out, "/x~", "kept");
	free(out);
	is_int(cfg_expand_tilde("/h", "~bob/x", &out), -1, "~user refused");
}

static void
test_load(const struct config_env *env)
{
	struct lima_config *cfg;
	char *s, *cause = NULL;

	cfg = tc_ok(env,
	    TC_IMAGE
	    "param: {P: pv}\nuser: {home: "
	    "\"/home/{{.User}}-{{.UID}}\"}\nmounts:\n- location: "
	    "\"{{.Dir}}/share\"\n  mountPoint: \"{{.Home}}/m\"\n- location: "
	    "\"~/src/../code\"\n- location: \"{{.LimaHome}}/{{.Param.P}}\"\n  "
	    "mountPoint: \"/mnt/{{.Name}}-{{.Param.P}}\"\n- location: "
	    "\"{{.TempDir}}\"\n  mountPoint: /mnt/t\nprovision:\n- script: "
	    "\"#!/bin/sh\\n{{.Name}} {{.Hostname}} {{.UID}} {{.User}} "
	    "{{.Home}}\"\n- mode: data\n  path: \"{{.Home}}/.p\"\n  owner: "
	    "\"{{.User}}\"\n  content: \"{{.Param.P}}\"\n- mode: yq\n  path: "
	    "/etc/x\n  expression: \".u = \\\"{{.User}}\\\"\"\nprobes:\n- "
	    "script: \"#!/bin/sh\\ntest -d {{.Home}}\"\nportForwards:\n- "
	    "guestSocket: \"{{.Home}}/s.sock\"\n  hostSocket: "
	    "\"{{.Name}}.sock\"\ncopyToHost:\n- guest: \"{{.Home}}/f\"\n  "
	    "host: \"{{.Home}}/f\"\n");
	ok(cfg != NULL, "templates in every expanded field load");
	if (cfg == NULL)
		return;
	is_str(cfg->user.home, "/home/alice-501", "user.home expanded");
	is_str(cfg->mounts[0].location, "/nonexistent/lima/test/share",
	    "mount location {{.Dir}}");
	is_str(cfg->mounts[0].mount_point, "/home/alice-501/m",
	    "mountPoint {{.Home}} is the guest home");
	is_str(cfg->mounts[1].location, "/home/alice/code",
	    "~ expanded and cleaned");
	is_str(cfg->mounts[2].location, "/nonexistent/lima/pv",
	    "{{.LimaHome}} and {{.Param.P}}");
	is_str(cfg->mounts[3].location, "/var/tmp/alice", "{{.TempDir}}");
	is_str(cfg->mounts[2].mount_point, "/mnt/test-pv",
	    "mountPoint with {{.Name}} and {{.Param.P}}");
	is_str(cfg->provision[0].script,
	    "#!/bin/sh\ntest lima-test 501 alice /home/alice-501",
	    "provision script");
	is_str(cfg->provision[1].path, "/home/alice-501/.p", "data path");
	is_str(cfg->provision[1].owner, "alice", "data owner");
	is_str(cfg->provision[1].content, "pv", "data content");
	is_str(cfg->provision[2].expression, ".u = \"alice\"", "yq expression");
	is_str(cfg->probes[0].script, "#!/bin/sh\ntest -d /home/alice-501",
	    "probe script");
	is_str(cfg->port_forwards[0].guest_socket, "/home/alice-501/s.sock",
	    "guestSocket");
	is_str(cfg->port_forwards[0].host_socket,
	    "/nonexistent/lima/test/sock/test.sock", "hostSocket");
	is_str(cfg->copy_to_host[0].guest, "/home/alice-501/f",
	    "copyToHost guest uses the guest home");
	is_str(cfg->copy_to_host[0].host, "/home/alice/f",
	    "copyToHost host uses the host home");
	s = config_expand_guest(cfg, "{{.User}}@{{.Hostname}}", &cause);
	is_str(s, "alice@lima-test", "config_expand_guest");
	free(s);
	s = config_expand_guest(cfg, "{{.Nope}}", &cause);
	ok(s == NULL && cause != NULL, "config_expand_guest error");
	free(cause);
	config_free(cfg);

	ok(tc_fails_with(env, TC_IMAGE "provision:\n- script: \"{{.Foo}}\"\n",
	       "field `provision[0].script`: template: unknown variable "
	       "`.Foo`"),
	    "unknown variable in a load names the field");
	ok(tc_fails_with(env,
	       TC_IMAGE "mounts:\n- location: \"{{.Hostname}}\"\n",
	       "field `mounts[0].location`: template: unknown variable "
	       "`.Hostname`"),
	    "guest variable in a host field");
	ok(tc_fails_with(env, TC_IMAGE "user: {home: \"{{.Home}}/x\"}\n",
	       "field `user.home`: template: variable `.Home` has no value "
	       "here"),
	    "user.home cannot use {{.Home}}");
}

static void
test_param_used(const struct config_env *env)
{
	struct lima_config *cfg;

	ok(tc_fails_with(env,
	       TC_IMAGE
	       "param: {KEY: v}\nprovision: [{script: \"echo $PARAM_KEY2\"}]\n",
	       "field `param` key `KEY` is not used"),
	    "PARAM_KEY2 does not use KEY");
	ok(tc_fails_with(env,
	       TC_IMAGE
	       "param: {KEY: v}\nprovision: [{script: \"echo .Param.KEY\"}]\n",
	       "field `param` key `KEY` is not used"),
	    ".Param.KEY outside {{ }} does not count");
	cfg = tc_ok(env,
	    TC_IMAGE
	    "param: {KEY: v}\nprovision: [{script: \"echo ${PARAM_KEY}\"}]\n");
	ok(cfg != NULL, "${PARAM_KEY} uses KEY");
	config_free(cfg);
	cfg = tc_ok(env,
	    TC_IMAGE "param: {KEY: v}\ncopyToHost: [{guest: \"/{{ .Param.KEY "
		     "}}\", host: /h}]\n");
	ok(cfg != NULL, "{{ .Param.KEY }} in copyToHost uses KEY");
	config_free(cfg);
	cfg = tc_ok(env,
	    TC_IMAGE "param: {KEY: v}\nportForwards: [{guestSocket: /g, "
		     "hostSocket: \"/{{.Param.KEY}}\"}]\n");
	ok(cfg != NULL, "hostSocket uses KEY");
	config_free(cfg);
	ok(tc_fails_with(env,
	       TC_IMAGE "param: {KEY: v}\nprovision: [{mode: data, path: /x, "
			"content: x, permissions: \"{{.Param.KEY}}\"}]\n",
	       "must be an octal number"),
	    "permissions count as a use (but are not expanded)");
}

int
main(void)
{
	struct config_env env;
	char *h;

	test_expand();
	test_paths();
	tc_env(&env);
	test_load(&env);
	test_param_used(&env);
	h = config_hostname("foo.bar_baz");
	is_str(h, "lima-foo-bar-baz", "config_hostname");
	free(h);
	config_env_free(&env);
	return done_testing();
}
