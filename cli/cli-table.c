/* clima: a text/tabwriter work-alike for limactl's tables. */
/*
 * Cells are separated by tabs; a column is as wide as its widest cell
 * plus the padding, and at least minwidth, as Go's tabwriter computes
 * it.  The last cell of a row is never padded.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-int.h"
#include "common/xmalloc.h"

struct cli_table {
	char ***rows;
	size_t *ncells;
	size_t nrows;
	int minwidth;
	int padding;
};

struct cli_table *
cli_table_new(int minwidth, int padding)
{
	struct cli_table *t;

	t = xcalloc(1, sizeof *t);
	t->minwidth = minwidth;
	t->padding = padding;
	return t;
}

/* Adds a row from a tab-separated line. */
void
cli_table_add(struct cli_table *t, const char *line)
{
	char *copy, *p, *tab;
	char **cells = NULL;
	size_t n = 0;

	copy = xstrdup(line);
	for (p = copy;; p = tab + 1) {
		tab = strchr(p, '\t');
		if (tab != NULL)
			*tab = '\0';
		cells = xreallocarray(cells, n + 1, sizeof *cells);
		cells[n++] = xstrdup(p);
		if (tab == NULL)
			break;
	}
	free(copy);
	t->rows = xreallocarray(t->rows, t->nrows + 1, sizeof *t->rows);
	t->ncells = xreallocarray(t->ncells, t->nrows + 1,
	    sizeof *t->ncells);
	t->rows[t->nrows] = cells;
	t->ncells[t->nrows++] = n;
}

void
cli_table_print(struct cli_table *t, FILE *f)
{
	size_t *width = NULL, ncols = 0, i, j, w;

	for (i = 0; i < t->nrows; i++) {
		if (t->ncells[i] > ncols) {
			width = xreallocarray(width, t->ncells[i],
			    sizeof *width);
			for (j = ncols; j < t->ncells[i]; j++)
				width[j] = (size_t)t->minwidth;
			ncols = t->ncells[i];
		}
		/* Only cells followed by a tab count toward a column. */
		for (j = 0; j + 1 < t->ncells[i]; j++) {
			w = strlen(t->rows[i][j]) + (size_t)t->padding;
			if (w > width[j])
				width[j] = w;
		}
	}
	for (i = 0; i < t->nrows; i++) {
		for (j = 0; j < t->ncells[i]; j++) {
			if (j + 1 < t->ncells[i])
				fprintf(f, "%-*s", (int)width[j],
				    t->rows[i][j]);
			else
				fputs(t->rows[i][j], f);
		}
		fputc('\n', f);
	}
	free(width);
}

void
cli_table_free(struct cli_table *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows; i++) {
		for (j = 0; j < t->ncells[i]; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
	}
	free(t->rows);
	free(t->ncells);
	free(t);
}
