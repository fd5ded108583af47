/* clima tests: log in to a VNC server with a password (RFB 3.8). */
/*
 * vnc-auth HOST PORT PASSWORD: exits 0 when the server takes the
 * password, 1 when it refuses it, 2 on any other failure.  The e2e test
 * uses it to prove that vncdisplay and vncpassword name a working login.
 */
#include "config.h"

#include <sys/socket.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/des.h>

#define RFB_VERSION	"RFB 003.008\n"
#define RFB_SEC_VNCAUTH 2

static int
read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* VNC's DES key: the password's first 8 bytes, each bit-reversed. */
static void
vnc_key(const char *pw, unsigned char key[8])
{
	size_t i;
	int b;

	memset(key, 0, 8);
	for (i = 0; i < 8 && pw[i] != '\0'; i++)
		for (b = 0; b < 8; b++)
			if ((unsigned char)pw[i] & (1 << b))
				key[i] |= (unsigned char)(0x80 >> b);
}

int
main(int argc, char **argv)
{
	unsigned char buf[16], key[8], resp[16], types[256], n;
	mbedtls_des_context des;
	uint32_t result;
	int fd, i, found = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: vnc-auth HOST PORT PASSWORD\n");
		return 2;
	}
	if ((fd = dial(argv[1], argv[2])) == -1) {
		fprintf(stderr, "vnc-auth: cannot connect to %s:%s\n", argv[1],
		    argv[2]);
		return 2;
	}
	if (read_full(fd, buf, 12) != 0 || memcmp(buf, "RFB ", 4) != 0 ||
	    write(fd, RFB_VERSION, 12) != 12 || read_full(fd, &n, 1) != 0 ||
	    n == 0 || read_full(fd, types, n) != 0) {
		fprintf(stderr, "vnc-auth: bad RFB handshake\n");
		return 2;
	}
	for (i = 0; i < n; i++)
		found |= types[i] == RFB_SEC_VNCAUTH;
	if (!found) {
		fprintf(stderr, "vnc-auth: the server offers no password "
				"authentication\n");
		return 2;
	}
	n = RFB_SEC_VNCAUTH;
	if (write(fd, &n, 1) != 1 || read_full(fd, buf, 16) != 0) {
		fprintf(stderr, "vnc-auth: no challenge\n");
		return 2;
	}
	vnc_key(argv[3], key);
	mbedtls_des_init(&des);
	mbedtls_des_setkey_enc(&des, key);
	mbedtls_des_crypt_ecb(&des, buf, resp);
	mbedtls_des_crypt_ecb(&des, buf + 8, resp + 8);
	mbedtls_des_free(&des);
	if (write(fd, resp, 16) != 16 || read_full(fd, &result, 4) != 0) {
		fprintf(stderr, "vnc-auth: no security result\n");
		return 2;
	}
	close(fd);
	if (result != 0) {
		printf("refused\n");
		return 1;
	}
	printf("accepted\n");
	return 0;
}
