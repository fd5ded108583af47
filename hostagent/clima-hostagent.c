/* clima: the lean hostagent executable that `limactl hostagent` runs. */
/*
 * The same daemon as hostagent_main, in a program that links only what
 * the hostagent uses (libevent, libyaml, yajl, mbedTLS, libisofs) and
 * not the CLI's libcurl, libssh, libjq: that keeps an idle hostagent's
 * RSS small.  Arguments: [--debug] [--progress] --pidfile P --socket S
 * --boot-dir D NAME.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "hostagent/hostagent.h"

int
main(int argc, char **argv)
{
	struct hostagent_opts opts;
	int i;

	log_init(STDERR_FILENO);
	memset(&opts, 0, sizeof opts);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--debug") == 0)
			opts.debug = 1;
		else if (strcmp(argv[i], "--progress") == 0)
			opts.progress = 1;
		else if (strcmp(argv[i], "--pidfile") == 0 && i + 1 < argc)
			opts.pidfile = argv[++i];
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			opts.sockpath = argv[++i];
		else if (strcmp(argv[i], "--boot-dir") == 0 && i + 1 < argc)
			opts.boot_dir = argv[++i];
		else if (strcmp(argv[i], "--guestagent") == 0 && i + 1 < argc)
			opts.guest_agent = argv[++i];
		else if (strcmp(argv[i], "--nerdctl-archive") == 0 &&
		    i + 1 < argc)
			opts.nerdctl_archive = argv[++i];
		else if (argv[i][0] != '-' && opts.name == NULL)
			opts.name = argv[i];
		else {
			fprintf(stderr, "clima-hostagent: bad argument %s\n",
			    argv[i]);
			return 2;
		}
	}
	if (opts.name == NULL || opts.sockpath == NULL ||
	    opts.boot_dir == NULL) {
		fprintf(stderr, "usage: clima-hostagent [--debug] [--pidfile "
				"P] --socket S --boot-dir D [--guestagent G] "
				"[--nerdctl-archive A] NAME\n");
		return 2;
	}
	return hostagent_main(&opts);
}
