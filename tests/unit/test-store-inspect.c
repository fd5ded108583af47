/* clima: unit tests for store/: instance status (store_inspect). */
/*
 * Status rules with live and dead pids (forked children), the GET
 * /v1/info probe against a tiny HTTP server on ha.sock run in a forked
 * child, the ssh.config fallback, broken lima.yaml, and the list data
 * (JSON key order, Go field names).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "compat/compat.h"
#include "store/store-int.h"
#include "store/store.h"
#include "tests/tap.h"

static const char yaml[] = "vmType: qemu\n"
			   "cpus: 2\n"
			   "memory: 2GiB\n"
			   "disk: 10GiB\n"
			   "images:\n"
			   "- location: https://example.com/x86_64.qcow2\n"
			   "  arch: x86_64\n"
			   "- location: https://example.com/aarch64.qcow2\n"
			   "  arch: aarch64\n"
			   "param:\n"
			   "  FOO: bar\n"
			   "provision:\n"
			   "- mode: system\n"
			   "  script: echo \"$PARAM_FOO\"\n";

static char *top, *home, *dir;

static void
setup(void)
{
	char tmpl[] = "/tmp/clima-insp.XXXXXX", *cause = NULL;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	top = xstrdup(tmpl);
	xasprintf(&home, "%s/lima", top);
	mkdir(home, 0700);
	setenv("LIMA_HOME", home, 1);
	setenv("HOME", top, 1);
	if (store_instance_create(home, "foo", yaml, sizeof yaml - 1, &cause) !=
	    0) {
		printf("# create: %s\n", cause);
		exit(1);
	}
	dir = store_instance_dir(home, "foo");
}

static void
teardown(void)
{
	char *cause = NULL;

	if (store_rmtree(top, &cause) != 0) {
		printf("# cleanup: %s\n", cause);
		free(cause);
	}
	free(top);
	free(home);
	free(dir);
}

static void
put(const char *name, const char *text)
{
	char *path, *cause = NULL;

	xasprintf(&path, "%s/%s", dir, name);
	if (store_write_file_atomic(path, text, strlen(text), 0644, &cause) !=
	    0) {
		printf("# put: %s\n", cause);
		free(cause);
	}
	free(path);
}

static void
put_pid(const char *name, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%ld\n", (long)pid);
	put(name, buf);
}

static int
exists(const char *name)
{
	char *path;
	struct stat st;
	int r;

	xasprintf(&path, "%s/%s", dir, name);
	r = lstat(path, &st) == 0;
	free(path);
	return r;
}

static void
rm(const char *name)
{
	char *path;

	xasprintf(&path, "%s/%s", dir, name);
	unlink(path);
	free(path);
}

static pid_t
sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static pid_t
dead_pid(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	return pid;
}

static void
reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/*
 * A one-shot HTTP server on <dir>/ha.sock in a child: answers every
 * connection with reply (NULL: accept and never answer).  Returns once
 * it listens; its pid doubles as the hostagent pid.
 */
static pid_t
ha_server(const char *reply)
{
	struct sockaddr_un sun;
	char buf[1024], c;
	int ready[2], fd, c_fd;
	size_t len;
	ssize_t n;
	pid_t pid;

	if (pipe(ready) == -1)
		exit(1);
	pid = fork();
	if (pid != 0) {
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1)
			printf("# server did not start\n");
		close(ready[0]);
		return pid;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/ha.sock", dir);
	unlink(sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, 4) == -1)
		_exit(1);
	if (write(ready[1], "x", 1) != 1)
		_exit(1);
	for (;;) {
		c_fd = accept(fd, NULL, NULL);
		if (c_fd == -1)
			_exit(1);
		len = 0;
		while (len < sizeof buf - 1) {
			n = read(c_fd, buf + len, sizeof buf - 1 - len);
			if (n <= 0)
				break;
			len += n;
			buf[len] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		if (reply == NULL) {
			pause();
			_exit(0);
		}
		if (strncmp(buf, "GET /v1/info HTTP/1.1\r\n", 23) != 0)
			reply = "HTTP/1.1 404 Not Found\r\n"
				"Content-Length: 0\r\n\r\n";
		if (write(c_fd, reply, strlen(reply)) < 0)
			_exit(1);
		close(c_fd);
	}
}

static struct store_inst *
inspect(void)
{
	struct store_inst *inst;
	char *cause = NULL;

	inst = store_inspect(home, "foo", NULL, &cause);
	if (inst == NULL) {
		printf("# inspect: %s\n", cause);
		free(cause);
	}
	return inst;
}

static void
test_stopped(void)
{
	struct store_inst *inst;
	char *cause = NULL;

	setup();
	inst = inspect();
	ok(inst != NULL, "inspect");
	if (inst == NULL)
		goto out;
	is_str(inst->status, "Stopped", "no pid files: Stopped");
	is_int(inst->nerrors, 0, "no errors");
	is_str(inst->hostname, "lima-foo", "hostname");
	is_str(inst->vm_type, "qemu", "vmType");
	is_int(inst->cpus, 2, "cpus");
	ok(inst->memory == 2ULL << 30, "memory in bytes");
	ok(inst->disk == 10ULL << 30, "disk in bytes");
	is_str(inst->lima_version, PACKAGE_VERSION, "limaVersion");
	is_int(inst->ssh_local_port, 0, "no port yet");
	ok(!inst->protected, "not protected");
	ok(inst->param != NULL, "param");
	store_inst_free(inst);

	put("ssh.config",
	    "Host lima-foo\n  Hostname 127.0.0.1\n"
	    "  Port 45678\n");
	put_pid("ha.pid", dead_pid());
	put_pid("qemu.pid", dead_pid());
	store_protect(home, "foo", &cause);
	inst = inspect();
	is_str(inst->status, "Stopped", "dead pids: Stopped");
	ok(!exists("ha.pid") && !exists("qemu.pid"), "stale pid files gone");
	is_int(inst->ssh_local_port, 45678, "port from ssh.config");
	ok(inst->protected, "protected");
	store_inst_free(inst);
out:
	teardown();
}

static void
test_broken(void)
{
	struct store_inst *inst;
	char *cause = NULL, *want, *path;
	pid_t q, h;
	long long t0;

	setup();
	q = sleeper();
	put_pid("qemu.pid", q);
	inst = inspect();
	is_str(inst->status, "Broken", "qemu alone: Broken");
	ok(inst->nerrors == 1 &&
		strcmp(inst->errors[0],
		    "qemu driver is running but host agent is not") == 0,
	    "qemu alone: error text");
	is_int(inst->driver_pid, q, "driverPID");
	store_inst_free(inst);
	reap(q);
	rm("qemu.pid");

	h = sleeper();
	put_pid("ha.pid", h);
	inst = inspect();
	is_str(inst->status, "Broken", "hostagent without ha.sock: Broken");
	/* As Lima: once Broken, the pid rules add no second error. */
	ok(inst->nerrors == 1, "one error");
	xasprintf(&want, "failed to get Info from `%s/ha.sock`: ", dir);
	ok(inst->nerrors == 1 &&
		strncmp(inst->errors[0], want, strlen(want)) == 0,
	    "ha.sock error text");
	free(want);
	store_inst_free(inst);
	reap(h);

	/* A hostagent that never answers: bounded by the timeout. */
	h = ha_server(NULL);
	put_pid("ha.pid", h);
	q = sleeper();
	put_pid("qemu.pid", q);
	t0 = time(NULL);
	inst = inspect();
	is_str(inst->status, "Broken", "silent hostagent: Broken");
	ok(time(NULL) - t0 < 3, "probe timed out quickly");
	ok(inst->nerrors == 1 && strstr(inst->errors[0], "timed out") != NULL,
	    "timeout error");
	store_inst_free(inst);
	reap(h);

	h = ha_server("HTTP/1.1 500 Internal Server Error\r\n"
		      "Content-Length: 21\r\n\r\n{\"message\":\"broken\"}\n");
	put_pid("ha.pid", h);
	inst = inspect();
	is_str(inst->status, "Broken", "HTTP 500: Broken");
	ok(inst->nerrors == 1 && strstr(inst->errors[0], "500") != NULL,
	    "status code in the error");
	store_inst_free(inst);
	reap(h);
	reap(q);

	put("ha.pid", "garbage");
	inst = inspect();
	is_str(inst->status, "Broken", "unparsable ha.pid: Broken");
	store_inst_free(inst);
	rm("ha.pid");

	put("lima.yaml", "cpus: [\n");
	inst = inspect();
	is_str(inst->status, "Broken", "bad lima.yaml: Broken");
	ok(inst->nerrors == 1, "with an error");
	store_inst_free(inst);

	xasprintf(&path, "%s/lima.yaml", dir);
	unlink(path);
	inst = inspect();
	is_str(inst->status, "Broken", "no lima.yaml: Broken");
	xasprintf(&want, "open %s: no such file or directory", path);
	ok(inst->nerrors == 1 && strcmp(inst->errors[0], want) == 0,
	    "missing lima.yaml error");
	store_inst_free(inst);
	free(want);
	free(path);

	ok(store_inspect(home, "nope", NULL, &cause) == NULL,
	    "missing instance: NULL");
	xasprintf(&want, "stat %s/nope: no such file or directory", home);
	is_str(cause, want, "missing instance message");
	free(want);
	free(cause);
	teardown();
}

static void
test_running(void)
{
	struct store_inst *inst;
	pid_t h, q;

	setup();
	put("ssh.config", "  Port 1111\n");
	h = ha_server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		      "Content-Length: 23\r\n\r\n{\"sshLocalPort\":60022}\n");
	q = sleeper();
	put_pid("ha.pid", h);
	put_pid("qemu.pid", q);
	inst = inspect();
	is_str(inst->status, "Running", "both alive + /v1/info: Running");
	is_int(inst->nerrors, 0, "no errors");
	is_int(inst->ssh_local_port, 60022, "port from /v1/info");
	is_int(inst->ha_pid, h, "hostAgentPID");
	is_int(inst->driver_pid, q, "driverPID");
	store_inst_free(inst);
	reap(h);

	h = ha_server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "10\r\n{\"sshLocalPort\":\r\n"
		      "5\r\n2222,\r\n"
		      "26\r\n\"autoStartedIdentifier\":\"lima-vm@foo\"}\r\n"
		      "0\r\n\r\n");
	put_pid("ha.pid", h);
	inst = inspect();
	is_str(inst->status, "Running", "chunked reply: Running");
	is_int(inst->ssh_local_port, 2222, "port from a chunked reply");
	is_str(inst->auto_started_identifier, "lima-vm@foo",
	    "autoStartedIdentifier");
	store_inst_free(inst);
	reap(h);
	reap(q);
	teardown();
}

static void
test_node(void)
{
	static const char *json_keys[] = { "name", "hostname", "status", "dir",
		"vmType", "arch", "cpus", "memory", "disk", "sshConfigFile",
		"config", "sshAddress", "protected", "limaVersion", "param",
		"HostOS", "HostArch", "LimaHome", "IdentityFile", NULL };
	static const char *go_keys[] = { "Name", "Hostname", "Status", "Dir",
		"VMType", "Arch", "CPUs", "Memory", "Disk", "Message",
		"AdditionalDisks", "Networks", "SSHLocalPort", "SSHConfigFile",
		"HostAgentPID", "DriverPID", "Errors", "Config", "SSHAddress",
		"Protected", "LimaVersion", "Param", "AutoStartedIdentifier",
		"HostOS", "HostArch", "LimaHome", "IdentityFile", NULL };
	struct store_inst *inst;
	struct node *n;
	char *json, *want;
	size_t i;
	int same;

	setup();
	inst = inspect();
	n = store_inst_to_node(inst, 0);
	same = n->npairs == 19;
	for (i = 0; same && json_keys[i] != NULL; i++)
		same = strcmp(n->pairs[i].key, json_keys[i]) == 0;
	ok(same, "JSON keys in Lima's order, empty ones omitted");
	json = node_to_json(n, 0);
	xasprintf(&want,
	    "{\"name\":\"foo\",\"hostname\":\"lima-foo\","
	    "\"status\":\"Stopped\",\"dir\":\"%s\",\"vmType\":\"qemu\",",
	    dir);
	ok(strncmp(json, want, strlen(want)) == 0, "JSON begins like Lima's");
	free(want);
	ok(strstr(json,
	       "\"cpus\":2,\"memory\":2147483648,"
	       "\"disk\":10737418240,") != NULL,
	    "sizes in bytes");
	ok(strstr(json,
	       "\"protected\":false,\"limaVersion\":\"" PACKAGE_VERSION
	       "\",\"param\":{\"FOO\":\"bar\"},\"HostOS\":\"linux\"") != NULL,
	    "protected, limaVersion, param, HostOS");
	free(json);
	node_free(n);

	n = store_inst_to_node(inst, 1);
	same = n->npairs == 27;
	for (i = 0; same && go_keys[i] != NULL; i++)
		same = strcmp(n->pairs[i].key, go_keys[i]) == 0;
	ok(same, "Go field names, all present");
	ok(node_get_str(node_map_get(n, "Message")) == NULL ||
		strcmp(node_get_str(node_map_get(n, "Message")), "") == 0,
	    "zero Message present");
	ok(node_map_get(n, "SSHLocalPort") != NULL, "zero SSHLocalPort");
	node_free(n);
	store_inst_free(inst);
	teardown();
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_stopped();
	test_broken();
	test_running();
	test_node();
	return done_testing();
}
