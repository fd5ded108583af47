/* clima: a stand-in for qemu-system-* that speaks just enough QMP. */
/*
 * Accepts QEMU's argv, writes -pidfile, listens on every "-chardev
 * socket,...,server=on" path and answers QMP on the -qmp one: greeting,
 * qmp_capabilities, query-status, stop/cont, system_powerdown (POWERDOWN,
 * then SHUTDOWN and exit 0) and quit.  A test tool, so a plain poll(2)
 * loop.  Faults come from FAKE_QEMU_* variables (see fake_usage below).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/node.h"
#include "common/xmalloc.h"

#define FAKE_CHARDEV_MAX    16
#define FAKE_LINE_MAX       (1024 * 1024)
#define FAKE_POWERDOWN_MSEC 100 /* default guest shutdown time */
#define FAKE_VERSION        "7.2.0"

static const char *fake_usage =
    "FAKE_QEMU_CRASH_AFTER_MS=N    SIGKILL itself after N ms\n"
    "FAKE_QEMU_IGNORE_POWERDOWN=1  the guest ignores the power button\n"
    "FAKE_QEMU_NO_QMP=1            never create the QMP socket\n"
    "FAKE_QEMU_QMP_DELAY_MS=N      create the QMP socket after N ms\n"
    "FAKE_QEMU_LISTEN_DELAY_MS=N   bind the QMP socket, listen after N ms\n"
    "FAKE_QEMU_POWERDOWN_MS=N      guest shutdown time (default 100)\n"
    "FAKE_QEMU_EXIT_STATUS=N       status after a guest shutdown\n";

struct fake_chardev {
	char *id;
	char *path;
	char *logfile;
	int lfd; /* listening */
	int cfd; /* the one client */
	int qmp;
	int caps; /* qmp_capabilities done */
	char *buf;
	size_t len;
};

static struct fake_chardev fake_devs[FAKE_CHARDEV_MAX];
static size_t fake_ndevs;
static char *fake_pidfile;
static volatile sig_atomic_t fake_signal;
static int fake_running = 1;
static int fake_exit_status;

static long long
fake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
fake_env_ms(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? atoll(v) : -1;
}

/* Value of key= in a QEMU option string; the caller's, or NULL. */
static char *
fake_opt(const char *opts, const char *key)
{
	size_t klen = strlen(key);
	const char *p = opts, *end;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=')
			return xstrndup(p + klen + 1, end - p - klen - 1);
		p = *end == ',' ? end + 1 : end;
	}
	return NULL;
}

static void
fake_cleanup(void)
{
	size_t i;

	for (i = 0; i < fake_ndevs; i++) {
		if (fake_devs[i].lfd != -1)
			unlink(fake_devs[i].path);
	}
	if (fake_pidfile != NULL)
		unlink(fake_pidfile);
}

static void
fake_send(struct fake_chardev *d, struct node *msg)
{
	char *s;
	size_t len, off = 0;
	ssize_t n;

	s = node_to_json(msg, 0);
	node_free(msg);
	len = strlen(s);
	s = xrealloc(s, len + 2);
	s[len++] = '\n';
	while (d->cfd != -1 && off < len) {
		n = write(d->cfd, s + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(s);
}

static void
fake_event(const char *name, struct node *data)
{
	struct node *ev, *ts;
	struct timespec now;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &now);
	for (i = 0; i < fake_ndevs; i++) {
		if (!fake_devs[i].qmp || fake_devs[i].cfd == -1 ||
		    !fake_devs[i].caps)
			continue;
		ev = node_new_map();
		node_map_set(ev, "event", node_new_str(name));
		if (data != NULL)
			node_map_set(ev, "data", node_copy(data));
		ts = node_new_map();
		node_map_set(ts, "seconds", node_new_int(now.tv_sec));
		node_map_set(
		    ts, "microseconds", node_new_int(now.tv_nsec / 1000));
		node_map_set(ev, "timestamp", ts);
		fake_send(&fake_devs[i], ev);
	}
	node_free(data);
}

static void
fake_shutdown_event(int guest, const char *reason)
{
	struct node *data = node_new_map();

	node_map_set(data, "guest", node_new_bool(guest));
	node_map_set(data, "reason", node_new_str(reason));
	fake_event("SHUTDOWN", data);
}

static struct node *
fake_error(const char *class, const char *desc)
{
	struct node *msg = node_new_map(), *err = node_new_map();

	node_map_set(err, "class", node_new_str(class));
	node_map_set(err, "desc", node_new_str(desc));
	node_map_set(msg, "error", err);
	return msg;
}

static void
fake_reply(struct fake_chardev *d, struct node *msg, const struct node *req)
{
	const struct node *id = req != NULL ? node_map_get(req, "id") : NULL;

	if (id != NULL)
		node_map_set(msg, "id", node_copy(id));
	fake_send(d, msg);
}

static struct node *
fake_return(struct node *val)
{
	struct node *msg = node_new_map();

	node_map_set(msg, "return", val != NULL ? val : node_new_map());
	return msg;
}

/* One command; *powerdown set when the button was pressed. */
static void
fake_command(
    struct fake_chardev *d, const char *line, size_t len, int *powerdown)
{
	struct node *req, *st, *v, *q;
	const char *cmd;
	char *cause = NULL, *desc;

	if ((req = node_from_json(line, len, &cause)) == NULL) {
		free(cause);
		fake_send(d, fake_error("GenericError", "JSON parse error"));
		return;
	}
	cmd = node_get_str(node_map_get(req, "execute"));
	if (cmd == NULL) {
		fake_reply(d,
		    fake_error("GenericError",
			"QMP input lacks member "
			"'execute'"),
		    req);
	} else if (strcmp(cmd, "qmp_capabilities") == 0) {
		if (d->caps)
			fake_reply(d,
			    fake_error("CommandNotFound",
				"Capabilities negotiation is already "
				"complete, command ignored"),
			    req);
		else
			fake_reply(d, fake_return(NULL), req);
		d->caps = 1;
	} else if (!d->caps) {
		fake_reply(d,
		    fake_error("CommandNotFound",
			"Expecting capabilities negotiation with "
			"'qmp_capabilities'"),
		    req);
	} else if (strcmp(cmd, "query-status") == 0) {
		st = node_new_map();
		node_map_set(st, "status",
		    node_new_str(fake_running ? "running" : "paused"));
		node_map_set(st, "singlestep", node_new_bool(0));
		node_map_set(st, "running", node_new_bool(fake_running));
		fake_reply(d, fake_return(st), req);
	} else if (strcmp(cmd, "query-version") == 0) {
		v = node_new_map();
		q = node_new_map();
		node_map_set(q, "major", node_new_int(7));
		node_map_set(q, "minor", node_new_int(2));
		node_map_set(q, "micro", node_new_int(0));
		node_map_set(v, "qemu", q);
		node_map_set(v, "package", node_new_str("fake-qemu"));
		fake_reply(d, fake_return(v), req);
	} else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "cont") == 0) {
		fake_running = strcmp(cmd, "cont") == 0;
		fake_reply(d, fake_return(NULL), req);
		fake_event(fake_running ? "RESUME" : "STOP", NULL);
	} else if (strcmp(cmd, "system_powerdown") == 0) {
		fake_reply(d, fake_return(NULL), req);
		fake_event("POWERDOWN", NULL);
		*powerdown = 1;
	} else if (strcmp(cmd, "quit") == 0) {
		fake_reply(d, fake_return(NULL), req);
		fake_shutdown_event(0, "host-qmp-quit");
		fake_cleanup();
		exit(0);
	} else {
		xasprintf(&desc, "The command %s has not been found", cmd);
		fake_reply(d, fake_error("CommandNotFound", desc), req);
		free(desc);
	}
	node_free(req);
}

static void
fake_greet(struct fake_chardev *d)
{
	struct node *g = node_new_map(), *qmp = node_new_map();
	struct node *ver = node_new_map(), *q = node_new_map();
	struct node *caps = node_new_seq();

	node_map_set(q, "micro", node_new_int(0));
	node_map_set(q, "minor", node_new_int(2));
	node_map_set(q, "major", node_new_int(7));
	node_map_set(ver, "qemu", q);
	node_map_set(ver, "package", node_new_str("fake-qemu"));
	node_map_set(qmp, "version", ver);
	node_seq_append(caps, node_new_str("oob"));
	node_map_set(qmp, "capabilities", caps);
	node_map_set(g, "QMP", qmp);
	fake_send(d, g);
}

/* Reads from a client; complete lines go to fake_command. */
static void
fake_input(struct fake_chardev *d, int *powerdown)
{
	char tmp[4096], *nl;
	ssize_t n;
	size_t linelen;

	n = read(d->cfd, tmp, sizeof tmp);
	if (n == -1 && errno == EINTR)
		return;
	if (n <= 0) {
		close(d->cfd);
		d->cfd = -1;
		d->len = 0;
		d->caps = 0;
		return;
	}
	if (!d->qmp)
		return;
	if (d->len + (size_t)n > FAKE_LINE_MAX) {
		close(d->cfd);
		d->cfd = -1;
		d->len = 0;
		return;
	}
	d->buf = xrealloc(d->buf, d->len + (size_t)n + 1);
	memcpy(d->buf + d->len, tmp, (size_t)n);
	d->len += (size_t)n;
	while (d->cfd != -1 && (nl = memchr(d->buf, '\n', d->len)) != NULL) {
		linelen = (size_t)(nl - d->buf);
		fake_command(d, d->buf, linelen, powerdown);
		memmove(d->buf, nl + 1, d->len - linelen - 1);
		d->len -= linelen + 1;
	}
}

static int
fake_bind(struct fake_chardev *d)
{
	struct sockaddr_un sun;

	unlink(d->path);
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (d->lfd == -1 || strlen(d->path) >= sizeof sun.sun_path)
		return -1;
	strcpy(sun.sun_path, d->path);
	return bind(d->lfd, (struct sockaddr *)&sun, sizeof sun);
}

static void
fake_signal_cb(int sig)
{
	fake_signal = sig;
}

static void
fake_parse_args(int argc, char **argv, char **qmpid)
{
	struct fake_chardev *d;
	char *path;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-version") == 0) {
			printf("QEMU emulator version " FAKE_VERSION
			       " (fake-qemu)\n"
			       "Copyright (c) 2003-2022 Fabrice Bellard and "
			       "the QEMU Project developers\n");
			exit(0);
		}
		if (strcmp(argv[i], "--help") == 0) {
			fputs(fake_usage, stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "-pidfile") == 0)
			fake_pidfile = argv[++i];
		else if (strcmp(argv[i], "-qmp") == 0) {
			i++;
			if (strncmp(argv[i], "chardev:", 8) == 0)
				*qmpid = argv[i] + 8;
		} else if (strcmp(argv[i], "-chardev") == 0) {
			i++;
			if (strncmp(argv[i], "socket,", 7) != 0 ||
			    fake_ndevs == FAKE_CHARDEV_MAX)
				continue;
			if ((path = fake_opt(argv[i], "path")) == NULL)
				continue;
			d = &fake_devs[fake_ndevs++];
			d->id = fake_opt(argv[i], "id");
			d->path = path;
			d->logfile = fake_opt(argv[i], "logfile");
			d->lfd = d->cfd = -1;
		}
	}
}

int
main(int argc, char **argv)
{
	struct pollfd pfd[FAKE_CHARDEV_MAX];
	size_t pdev[FAKE_CHARDEV_MAX], k;
	struct fake_chardev *d, *qmp = NULL;
	struct sigaction sa;
	struct timespec ts;
	sigset_t empty, block;
	long long now, crash_at, create_at = -1, listen_at = -1;
	long long down_at = -1, next, pd_ms;
	char *qmpid = NULL;
	size_t i, n;
	int fd, timeout, powerdown, ignore_pd, noqmp;
	FILE *f;

	fake_parse_args(argc, argv, &qmpid);
	now = fake_now_ms();
	crash_at = fake_env_ms("FAKE_QEMU_CRASH_AFTER_MS");
	if (crash_at >= 0)
		crash_at += now;
	pd_ms = fake_env_ms("FAKE_QEMU_POWERDOWN_MS");
	if (pd_ms < 0)
		pd_ms = FAKE_POWERDOWN_MSEC;
	ignore_pd = getenv("FAKE_QEMU_IGNORE_POWERDOWN") != NULL &&
	    strcmp(getenv("FAKE_QEMU_IGNORE_POWERDOWN"), "1") == 0;
	noqmp = getenv("FAKE_QEMU_NO_QMP") != NULL &&
	    strcmp(getenv("FAKE_QEMU_NO_QMP"), "1") == 0;
	if (getenv("FAKE_QEMU_EXIT_STATUS") != NULL)
		fake_exit_status = atoi(getenv("FAKE_QEMU_EXIT_STATUS"));

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fake_signal_cb;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&empty);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);

	if (fake_pidfile != NULL) {
		if ((f = fopen(fake_pidfile, "we")) == NULL) {
			fprintf(stderr, "fake-qemu: %s: %s\n", fake_pidfile,
			    strerror(errno));
			return 1;
		}
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	fprintf(stderr, "fake-qemu: started, pid %ld\n", (long)getpid());
	printf("fake-qemu: %zu socket chardevs\n", fake_ndevs);
	fflush(stdout);

	for (i = 0; i < fake_ndevs; i++) {
		d = &fake_devs[i];
		if (d->logfile != NULL &&
		    (fd = open(d->logfile,
			 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) !=
			-1)
			close(fd);
		if (qmpid != NULL && d->id != NULL && strcmp(d->id, qmpid) == 0)
			d->qmp = 1;
		if (d->qmp) {
			qmp = d;
			if (noqmp)
				continue;
			create_at = fake_env_ms("FAKE_QEMU_QMP_DELAY_MS");
			if (create_at >= 0) {
				create_at += now;
				continue;
			}
			listen_at = fake_env_ms("FAKE_QEMU_LISTEN_DELAY_MS");
			if (listen_at >= 0)
				listen_at += now;
		}
		if (fake_bind(d) != 0) {
			fprintf(stderr, "fake-qemu: bind %s: %s\n", d->path,
			    strerror(errno));
			fake_cleanup();
			return 1;
		}
		if (!(d->qmp && listen_at >= 0) && listen(d->lfd, 1) != 0)
			return 1;
	}

	for (;;) {
		if (fake_signal) {
			fprintf(stderr, "fake-qemu: terminating on signal %d\n",
			    (int)fake_signal);
			fake_shutdown_event(0, "host-signal");
			fake_cleanup();
			return 0;
		}
		now = fake_now_ms();
		if (crash_at >= 0 && now >= crash_at) {
			fprintf(stderr, "fake-qemu: crashing\n");
			kill(getpid(), SIGKILL);
		}
		if (create_at >= 0 && now >= create_at) {
			create_at = -1;
			if (fake_bind(qmp) != 0 || listen(qmp->lfd, 1) != 0)
				return 1;
		}
		if (listen_at >= 0 && now >= listen_at) {
			listen_at = -1;
			if (listen(qmp->lfd, 1) != 0)
				return 1;
		}
		if (down_at >= 0 && now >= down_at) {
			fake_shutdown_event(1, "guest-shutdown");
			fake_cleanup();
			return fake_exit_status;
		}

		next = -1;
		if (crash_at >= 0)
			next = crash_at;
		if (create_at >= 0 && (next < 0 || create_at < next))
			next = create_at;
		if (listen_at >= 0 && (next < 0 || listen_at < next))
			next = listen_at;
		if (down_at >= 0 && (next < 0 || down_at < next))
			next = down_at;
		timeout = next < 0 ? -1 : (int)(next - now);

		n = 0;
		for (i = 0; i < fake_ndevs; i++) {
			d = &fake_devs[i];
			if (d->cfd != -1)
				pfd[n].fd = d->cfd;
			else if (d->lfd != -1 && !(d->qmp && listen_at >= 0))
				pfd[n].fd = d->lfd;
			else
				continue;
			pfd[n].events = POLLIN;
			pdev[n++] = i;
		}
		if (timeout >= 0) {
			ts.tv_sec = timeout / 1000;
			ts.tv_nsec = (long)(timeout % 1000) * 1000000;
		}
		/* Signals are only let in while waiting here. */
		if (ppoll(pfd, n, timeout >= 0 ? &ts : NULL, &empty) <= 0)
			continue;
		for (k = 0; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			d = &fake_devs[pdev[k]];
			if (pfd[k].fd == d->cfd) {
				powerdown = 0;
				fake_input(d, &powerdown);
				if (powerdown && !ignore_pd && down_at < 0)
					down_at = fake_now_ms() + pd_ms;
			} else if (d->cfd == -1) {
				d->cfd =
				    accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC);
				if (d->cfd != -1 && d->qmp)
					fake_greet(d);
			}
		}
	}
}
