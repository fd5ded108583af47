/* clima: download and decompression progress, and Lima's progress bar. */
/*
 * The downloader reports through struct image_prog, which throttles
 * updates; image_progress_bar_cb draws them as cheggaaa/pb does for Lima:
 * "{counters} [bar] {percent} {speed}/s", 80 columns, green bar, TTY only.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "image/image-int.h"

#define IMAGE_BAR_WIDTH     80
#define IMAGE_BAR_MIN_CELLS 10
#define IMAGE_KIB           1024.0

void
image_prog_start(struct image_prog *ip, image_progress_cb cb, void *arg,
    enum image_progress_kind kind, const char *description, int64_t total)
{
	memset(ip, 0, sizeof *ip);
	ip->cb = cb;
	ip->arg = arg;
	ip->p.kind = kind;
	ip->p.state = IMAGE_PROGRESS_START;
	ip->p.description = description;
	ip->p.total = total;
	ip->start = ip->last = image_now();
	if (cb != NULL)
		cb(&ip->p, arg);
}

void
image_prog_update(struct image_prog *ip, uint64_t done, int64_t total)
{
	double now;

	ip->p.done = done;
	ip->p.total = total;
	if (ip->cb == NULL)
		return;
	now = image_now();
	if ((now - ip->last) * 1000 < IMAGE_PROGRESS_INTERVAL_MSEC)
		return;
	ip->last = now;
	ip->p.state = IMAGE_PROGRESS_UPDATE;
	ip->p.elapsed = now - ip->start;
	ip->cb(&ip->p, ip->arg);
}

void
image_prog_done(struct image_prog *ip, uint64_t done)
{
	ip->p.done = done;
	ip->p.total = (int64_t)done;
	if (ip->cb == NULL)
		return;
	ip->p.state = IMAGE_PROGRESS_DONE;
	ip->p.elapsed = image_now() - ip->start;
	ip->cb(&ip->p, ip->arg);
}

/* pb's formatBytes: "%d B" below 1 KiB, else "%.02f KiB" and up. */
static void
image_bar_bytes(char *buf, size_t len, double n)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
	size_t i;

	if (n < IMAGE_KIB) {
		snprintf(buf, len, "%.0f B", n);
		return;
	}
	n /= IMAGE_KIB;
	for (i = 0; i < 3 && n >= IMAGE_KIB; i++)
		n /= IMAGE_KIB;
	snprintf(buf, len, "%.02f %s", n, units[i]);
}

void
image_bar_format(char *buf, size_t len, const struct image_progress *p,
    int width, int colour)
{
	char done[32], total[32], rate[32], counters[80], percent[16];
	char speed[48];
	char cells[IMAGE_BAR_WIDTH + 1];
	int ncells, nfull, i, used;
	double frac = 0;

	image_bar_bytes(done, sizeof done, (double)p->done);
	if (p->total >= 0) {
		image_bar_bytes(total, sizeof total, (double)p->total);
		snprintf(counters, sizeof counters, "%s / %s", done, total);
		frac = p->total > 0 ? (double)p->done / (double)p->total : 1;
		if (frac > 1)
			frac = 1;
	} else
		snprintf(counters, sizeof counters, "%s / ?", done);
	snprintf(percent, sizeof percent, "%.02f%%", frac * 100);
	if (p->elapsed > 0) {
		image_bar_bytes(
		    rate, sizeof rate, (double)p->done / p->elapsed);
		snprintf(speed, sizeof speed, "%s/s", rate);
	} else
		snprintf(speed, sizeof speed, "?\?/s");

	/* Three spaces and the two brackets around the cells. */
	used = (int)(strlen(counters) + strlen(percent) + strlen(speed)) + 5;
	ncells = width - used;
	if (ncells < IMAGE_BAR_MIN_CELLS)
		ncells = IMAGE_BAR_MIN_CELLS;
	if (ncells > IMAGE_BAR_WIDTH)
		ncells = IMAGE_BAR_WIDTH;
	nfull = (int)(frac * ncells);
	for (i = 0; i < ncells; i++) {
		if (i < nfull)
			cells[i] = '=';
		else if (i == nfull && p->total >= 0 && frac < 1)
			cells[i] = '>';
		else
			cells[i] = '_';
	}
	cells[ncells] = '\0';
	snprintf(buf, len, "%s %s[%s]%s %s %s", counters,
	    colour ? "\033[32m" : "", cells, colour ? "\033[0m" : "", percent,
	    speed);
}

void
image_progress_bar_cb(const struct image_progress *p, void *arg)
{
	char line[512];

	if (p->state == IMAGE_PROGRESS_START) {
		if (p->kind == IMAGE_PROGRESS_DECOMPRESS)
			log_info("Decompressing %s", p->description);
		else {
			fprintf(stderr, "Downloading %s\n", p->description);
			fflush(stderr);
		}
		return;
	}
	if (!isatty(STDERR_FILENO))
		return;
	image_bar_format(line, sizeof line, p, IMAGE_BAR_WIDTH, 1);
	fprintf(stderr, "\r%s%s", line,
	    p->state == IMAGE_PROGRESS_DONE ? "\n" : "");
	fflush(stderr);
}
