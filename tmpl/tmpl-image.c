/* clima: templates synthesized from a disk image locator. */
/*
 * `limactl start ./debian-12-genericcloud-amd64.qcow2` makes a minimal
 * template around the image: the architecture is guessed from words in
 * the locator and the instance name is the file name with its format,
 * architecture, build date and generic distribution tags stripped.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/node.h"
#include "common/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl-int.h"

static const char *tmpl_image_formats[] = { ".img", ".qcow2", ".raw", ".iso" };
static const char *tmpl_image_compress[] = { ".gz", ".xz", ".bz2", ".zst",
	".zstd" };

/* Words that name an architecture, looked for in this order. */
static const struct {
	const char *word;
	const char *arch;
} tmpl_arch_words[] = {
	{ "x86_64", "x86_64" },
	{ "amd64", "x86_64" },
	{ "aarch64", "aarch64" },
	{ "arm64", "aarch64" },
	{ "armv7l", "armv7l" },
	{ "armhf", "armv7l" },
	{ "riscv64", "riscv64" },
	{ "ppc64le", "ppc64le" },
	{ "ppc64el", "ppc64le" },
	{ "s390x", "s390x" },
};

/* Tags distributions put into image names that say nothing useful. */
static const char *tmpl_generic_tags[] = {
	"base",         /* Fedora, Rocky */
	"cloud",        /* Fedora, openSUSE */
	"cloudimg",     /* Ubuntu, Arch */
	"cloudinit",    /* Alpine */
	"daily",        /* Debian */
	"default",      /* Gentoo */
	"generic",      /* Fedora */
	"genericcloud", /* CentOS, Debian, Rocky, Alma */
	"kvm",          /* Oracle */
	"latest",       /* Gentoo, CentOS, Rocky, Alma */
	"linux",        /* Arch */
	"minimal",      /* openSUSE */
	"openstack",    /* Gentoo */
	"server",       /* Ubuntu */
	"std",          /* Alpine-Lima */
	"stream",       /* CentOS */
	"uefi",         /* Alpine */
	"vm",           /* openSUSE */
};

#define TMPL_NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A regexp \w character. */
static int
tmpl_is_word(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of the image suffix (".qcow2.xz") at the end of s, or 0. */
static size_t
tmpl_image_suffix(const char *s)
{
	size_t len = strlen(s), c = 0, n, i;

	for (i = 0; i < TMPL_NITEMS(tmpl_image_compress); i++) {
		n = strlen(tmpl_image_compress[i]);
		if (len >= n &&
		    strcmp(s + len - n, tmpl_image_compress[i]) == 0) {
			c = n;
			break;
		}
	}
	for (i = 0; i < TMPL_NITEMS(tmpl_image_formats); i++) {
		n = strlen(tmpl_image_formats[i]);
		if (len - c >= n &&
		    strncmp(s + len - c - n, tmpl_image_formats[i], n) == 0)
			return c + n;
	}
	return 0;
}

/* 1 if the locator names a disk image rather than a YAML file. */
int
tmpl_image_locator(const char *s)
{
	return tmpl_image_suffix(s) != 0;
}

/* 1 if word occurs in s as a whole regexp word (\bword\b). */
static int
tmpl_has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(s, word); p != NULL; p = strstr(p + 1, word)) {
		if ((p == s || !tmpl_is_word(p[-1])) && !tmpl_is_word(p[n]))
			return 1;
	}
	return 0;
}

/* Removes every "[-_.]tag\b" from s, in place. */
static void
tmpl_strip_tag(char *s, const char *tag)
{
	size_t n = strlen(tag);
	char *p;

	for (p = s; *p != '\0'; p++) {
		while (*p != '\0' && strchr("-_.", *p) != NULL &&
		    strncmp(p + 1, tag, n) == 0 && !tmpl_is_word(p[n + 1]))
			memmove(p, p + n + 1, strlen(p + n + 1) + 1);
	}
}

/* Removes build dates: "[-_.]20\d{6}([-_.]\d+)?\b", in place. */
static void
tmpl_strip_dates(char *s)
{
	char *p, *end, *q;
	size_t at = 0;
	int i;

	while (s[at] != '\0') {
		p = s + at++;
		if (strchr("-_.", *p) == NULL || p[1] != '2' || p[2] != '0')
			continue;
		for (i = 3; i < 9; i++) {
			if (!isdigit((unsigned char)p[i]))
				break;
		}
		if (i < 9)
			continue;
		end = p + 9;
		if (*end != '\0' && strchr("-_.", *end) != NULL &&
		    isdigit((unsigned char)end[1])) {
			for (q = end + 1; isdigit((unsigned char)*q); q++)
				/* nothing */;
			if (!tmpl_is_word(*q))
				end = q;
		}
		if (end == p + 9 && tmpl_is_word(*end))
			continue;
		memmove(p, end, strlen(end) + 1);
		at--; /* look at the character that moved into p again */
	}
}

/* "rocky-8-8.10" to "rocky-8.10": drops a repeated major version. */
static void
tmpl_strip_major(char *s)
{
	char *p, *a, *b, *e;
	size_t alen, blen;

	for (p = s; *p != '\0'; p++) {
		if (*p != '-' || !isdigit((unsigned char)p[1]))
			continue;
		for (a = p + 1, e = a; isdigit((unsigned char)*e); e++)
			/* nothing */;
		alen = e - a;
		if (*e != '-' || !isdigit((unsigned char)e[1]))
			continue;
		for (b = e + 1, e = b; isdigit((unsigned char)*e); e++)
			/* nothing */;
		blen = e - b;
		if (*e != '.')
			continue;
		if (alen == blen && strncmp(a, b, alen) == 0)
			memmove(a + alen, e, strlen(e) + 1);
		else
			p = e; /* continue after this match, as Go does */
	}
}

/*
 * Instance name for an image: lowercased base name without the image
 * suffix, "nocloud_" prefix, generic tags, the host's architecture
 * (under any of its names), build dates and repeated major versions.
 * Returns NULL if what is left is not a valid instance name.
 */
char *
tmpl_name_from_image(const char *locator, const char *arch)
{
	char *s, *p;
	size_t i;

	s = xstrdup(tmpl_path_base(locator));
	for (p = s; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	s[strlen(s) - tmpl_image_suffix(s)] = '\0';
	if (strncmp(s, "nocloud_", 8) == 0)
		memmove(s, s + 8, strlen(s + 8) + 1);
	for (i = 0; i < TMPL_NITEMS(tmpl_generic_tags); i++)
		tmpl_strip_tag(s, tmpl_generic_tags[i]);
	if (arch != NULL && strcmp(arch, tmpl_host_arch()) == 0) {
		for (i = 0; i < TMPL_NITEMS(tmpl_arch_words); i++) {
			if (strcmp(tmpl_arch_words[i].arch, arch) == 0)
				tmpl_strip_tag(s, tmpl_arch_words[i].word);
		}
	}
	tmpl_strip_dates(s);
	if (strncmp(s, "arch", 4) == 0 && !tmpl_is_word(s[4])) {
		p = s;
		xasprintf(&s, "archlinux%s", p + 4);
		free(p);
	}
	tmpl_strip_major(s);
	if (!tmpl_valid_name(s)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Builds the minimal template for an image locator. */
int
tmpl_read_image(struct tmpl *t, const char *locator, char **cause)
{
	struct node *doc = NULL, *images, *img;
	const char *arch = NULL;
	char *location = NULL;
	size_t i;
	int ret = -1;

	for (i = 0; i < TMPL_NITEMS(tmpl_arch_words); i++) {
		if (tmpl_has_word(locator, tmpl_arch_words[i].word)) {
			arch = tmpl_arch_words[i].arch;
			break;
		}
	}
	if (arch == NULL) {
		arch = tmpl_host_arch();
		tmpl_warn(t,
		    "cannot determine image arch from URL `%s`; "
		    "assuming `%s`",
		    locator, arch);
	}
	if (tmpl_scheme_len(locator) > 1)
		location = xstrdup(locator);
	else if ((location = tmpl_path_abs(locator, cause)) == NULL)
		goto out;

	doc = node_new_map();
	node_map_set(doc, "os", node_new_str("Linux"));
	node_map_set(doc, "arch", node_new_str(arch));
	img = node_new_map();
	node_map_set(img, "location", node_new_str(location));
	node_map_set(img, "arch", node_new_str(arch));
	images = node_new_seq();
	node_seq_append(images, img);
	node_map_set(doc, "images", images);

	t->bytes = node_to_yaml(doc);
	t->len = strlen(t->bytes);
	t->name = tmpl_name_from_image(locator, arch);
	t->location = location;
	location = NULL;
	ret = 0;
out:
	node_free(doc);
	free(location);
	return ret;
}
