/* clima: a one-question menu on the terminal (arrows, Enter). */
/*
 * What Lima's create menu looks like: the question, then the options
 * with the current one marked; up/down (or k/j) move, Enter chooses,
 * ^C or ^D gives up.  The terminal is put in raw mode on /dev/tty for
 * the duration and always restored.  Only for an interactive limactl.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli-int.h"
#include "common/xmalloc.h"

#define CLI_SELECT_PAGE 10 /* options shown at once; the rest scroll */

struct cli_select {
	int fd;
	const char *question;
	const char *const *options;
	size_t n;
	size_t cur;
	size_t top;   /* first option shown */
	size_t shown; /* lines drawn below the question last time */
};

static void
cli_select_write(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, s, len)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

/* Draws the question and the visible options, over the last drawing. */
static void
cli_select_draw(struct cli_select *s)
{
	size_t i, end;
	char *line;

	if (s->shown > 0) {
		/* Back to the question's line, clearing what is below. */
		xasprintf(&line, "\r\033[%zuA\033[J", s->shown);
		cli_select_write(s->fd, line);
		free(line);
	} else
		cli_select_write(s->fd, "\r\033[J");
	if (s->cur < s->top)
		s->top = s->cur;
	if (s->cur >= s->top + CLI_SELECT_PAGE)
		s->top = s->cur - CLI_SELECT_PAGE + 1;
	end = s->top + CLI_SELECT_PAGE < s->n ? s->top + CLI_SELECT_PAGE :
	    s->n;
	xasprintf(&line, "\033[32m?\033[0m \033[1m%s\033[0m  \033[36m[Use "
	    "arrows to move, Enter to choose]\033[0m", s->question);
	cli_select_write(s->fd, line);
	free(line);
	for (i = s->top; i < end; i++) {
		if (i == s->cur)
			xasprintf(&line, "\r\n\033[1;36m> %s\033[0m",
			    s->options[i]);
		else
			xasprintf(&line, "\r\n  %s", s->options[i]);
		cli_select_write(s->fd, line);
		free(line);
	}
	s->shown = end - s->top;
}

/* Reads one key: 'u'p, 'd'own, '\n' (Enter), 'q' (give up), 0 (other). */
static int
cli_select_key(int fd)
{
	unsigned char c, seq[2];

	if (read(fd, &c, 1) != 1)
		return 'q';
	switch (c) {
	case '\r':
	case '\n':
		return '\n';
	case 3: /* ^C */
	case 4: /* ^D */
		return 'q';
	case 'k':
		return 'u';
	case 'j':
		return 'd';
	case 033:
		if (read(fd, seq, 2) != 2 || (seq[0] != '[' && seq[0] != 'O'))
			return 0;
		if (seq[1] == 'A')
			return 'u';
		if (seq[1] == 'B')
			return 'd';
		return 0;
	}
	return 0;
}

int
cli_select(const char *question, const char *const *options, size_t n,
    size_t def)
{
	struct cli_select s;
	struct termios old, raw;
	char *line;
	int key, ret = -1;

	if (n == 0)
		return -1;
	memset(&s, 0, sizeof s);
	if ((s.fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if (tcgetattr(s.fd, &old) != 0) {
		close(s.fd);
		return -1;
	}
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
	raw.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(s.fd, TCSANOW, &raw);
	cli_select_write(s.fd, "\033[?25l"); /* no cursor while choosing */

	s.question = question;
	s.options = options;
	s.n = n;
	s.cur = def < n ? def : 0;
	for (;;) {
		cli_select_draw(&s);
		key = cli_select_key(s.fd);
		if (key == 'u')
			s.cur = s.cur > 0 ? s.cur - 1 : n - 1;
		else if (key == 'd')
			s.cur = s.cur + 1 < n ? s.cur + 1 : 0;
		else if (key == '\n') {
			ret = (int)s.cur;
			break;
		} else if (key == 'q')
			break;
	}

	/* Leave the question with its answer, as survey does (shown > 0). */
	xasprintf(&line, "\r\033[%zuA\033[J\033[32m?\033[0m \033[1m%s\033[0m "
	    "\033[36m%s\033[0m\r\n\033[?25h", s.shown, question,
	    ret >= 0 ? options[ret] : "");
	cli_select_write(s.fd, line);
	free(line);
	tcsetattr(s.fd, TCSANOW, &old);
	close(s.fd);
	return ret;
}
