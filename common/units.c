/* clima: sizes and durations in Go's notations. */
/*
 * units_parse_size/units_bytes_size mirror docker/go-units' RAMInBytes
 * and BytesSize (all binary multiples); the duration functions mirror
 * Go's time.ParseDuration and Duration.String, messages included.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/units.h"
#include "common/xmalloc.h"

#define UNITS_NS_PER_SEC   1000000000ULL
#define UNITS_DURATION_MAX ((uint64_t)INT64_MAX)

/* A decimal float as strconv.ParseFloat reads it (no inf, nan or hex). */
static int
units_is_decimal(const char *s)
{
	size_t digits = 0, n;

	if (*s == '+' || *s == '-')
		s++;
	n = strspn(s, "0123456789");
	digits += n;
	s += n;
	if (*s == '.') {
		s++;
		n = strspn(s, "0123456789");
		digits += n;
		s += n;
	}
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* go-units RAMInBytes: every suffix (k, kb, kib, ...) is binary. */
int
units_parse_size(const char *s, uint64_t *out, char **cause)
{
	static const char prefixes[] = "kmgtp";
	char *num = NULL, sfx[4];
	const char *p = "";
	size_t sep, len, i;
	double size;
	int rc = -1;

	len = strlen(s);
	for (sep = len; sep > 0; sep--) {
		if (strchr("0123456789. ", s[sep - 1]) != NULL)
			break;
	}
	if (sep == 0)
		goto bad_size;
	sep--;
	num = xstrndup(s, s[sep] == ' ' ? sep : sep + 1);
	p = s + sep + 1;
	if (!units_is_decimal(num))
		goto bad_size;
	size = strtod(num, NULL);
	if (size < 0 || signbit(size))
		goto bad_size;

	sfx[0] = '\0';
	if (*p != '\0') {
		if (strlen(p) > 3)
			goto bad_suffix;
		for (i = 0; p[i] != '\0'; i++)
			sfx[i] = tolower((unsigned char)p[i]);
		sfx[i] = '\0';
		if (sfx[0] != 'b') {
			if (sfx[0] == '\0' || strchr(prefixes, sfx[0]) == NULL)
				goto bad_suffix;
			/* k=1024, m=1024^2, ... (no libm: the hostagent is lean) */
			for (i = 0; prefixes[i] != sfx[0]; i++)
				size *= 1024;
			size *= 1024;
			if (sfx[1] != '\0' && strcmp(sfx + 1, "b") != 0 &&
			    strcmp(sfx + 1, "ib") != 0)
				goto bad_suffix;
		} else if (sfx[1] != '\0')
			goto bad_suffix;
	}
	/* Go's int64 conversion would overflow: call it invalid. */
	if (size >= 9223372036854775807.0)
		goto bad_size;
	*out = (uint64_t)size;
	rc = 0;
	goto out;

bad_suffix:
	/* Like go-units: lower-cased unless it was too long to look at. */
	xasprintf(cause, "invalid suffix: '%s'", strlen(p) > 3 ? p : sfx);
	goto out;
bad_size:
	xasprintf(cause, "invalid size: '%s'", s);
out:
	free(num);
	return rc;
}

/* go-units BytesSize: "%.4g" and B, KiB, MiB ... EiB. */
char *
units_bytes_size(uint64_t bytes)
{
	static const char *abbrs[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB",
		"EiB", "ZiB", "YiB" };
	double size = (double)bytes;
	size_t i = 0;

	while (size >= 1024 && i < sizeof abbrs / sizeof abbrs[0] - 1) {
		size /= 1024;
		i++;
	}
	return xstrprintf("%.4g%s", size, abbrs[i]);
}

static int
units_duration_error(const char *orig, char **cause)
{
	char *q;

	q = log_quote(orig);
	xasprintf(cause, "time: invalid duration %s", q);
	free(q);
	return -1;
}

static uint64_t
units_duration_unit(const char *u, size_t len)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} table[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
		{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
		{ "ms", 1000000 },
		{ "s", UNITS_NS_PER_SEC },
		{ "m", 60 * UNITS_NS_PER_SEC },
		{ "h", 3600 * UNITS_NS_PER_SEC },
	};
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strlen(table[i].name) == len &&
		    memcmp(table[i].name, u, len) == 0)
			return table[i].ns;
	}
	return 0;
}

/* time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0". */
int
units_parse_duration(const char *orig, double *secs, char **cause)
{
	const char *s = orig, *start;
	uint64_t total = 0, v, f, unit, scale;
	char *u, *q;
	size_t n;
	int neg = 0, pre, post;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (*s == '\0')
		return units_duration_error(orig, cause);
	while (*s != '\0') {
		if (*s != '.' && !isdigit((unsigned char)*s))
			return units_duration_error(orig, cause);

		/* [0-9]*, overflowing like Go's leadingInt. */
		v = 0;
		start = s;
		for (; isdigit((unsigned char)*s); s++) {
			if (v > (UINT64_C(1) << 63) / 10)
				return units_duration_error(orig, cause);
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > (UINT64_C(1) << 63))
				return units_duration_error(orig, cause);
		}
		pre = s != start;

		/* (\.[0-9]*)?; digits past what fits are dropped. */
		f = 0;
		scale = 1;
		post = 0;
		if (*s == '.') {
			s++;
			start = s;
			for (; isdigit((unsigned char)*s); s++) {
				if (scale > UINT64_MAX / 100 ||
				    f > (UINT64_MAX - 9) / 10)
					continue;
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
			post = s != start;
		}
		if (!pre && !post)
			return units_duration_error(orig, cause);

		n = 0;
		while (s[n] != '\0' && s[n] != '.' &&
		    !isdigit((unsigned char)s[n]))
			n++;
		if (n == 0) {
			q = log_quote(orig);
			xasprintf(
			    cause, "time: missing unit in duration %s", q);
			free(q);
			return -1;
		}
		if ((unit = units_duration_unit(s, n)) == 0) {
			u = xstrndup(s, n);
			q = log_quote(u);
			free(u);
			u = log_quote(orig);
			xasprintf(cause, "time: unknown unit %s in duration %s",
			    q, u);
			free(q);
			free(u);
			return -1;
		}
		s += n;

		if (v > (UINT64_C(1) << 63) / unit)
			return units_duration_error(orig, cause);
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > (UINT64_C(1) << 63))
				return units_duration_error(orig, cause);
		}
		total += v;
		if (total > (UINT64_C(1) << 63))
			return units_duration_error(orig, cause);
	}
	if (neg) {
		*secs = -(double)total / UNITS_NS_PER_SEC;
		return 0;
	}
	if (total > UNITS_DURATION_MAX)
		return units_duration_error(orig, cause);
	*secs = (double)total / UNITS_NS_PER_SEC;
	return 0;
}

/* Appends "v" then ".frac" of width prec (trailing zeros dropped). */
static void
units_fmt_frac(char *buf, size_t size, uint64_t u, int prec, const char *unit)
{
	uint64_t div = 1;
	char frac[32];
	int i, n;

	for (i = 0; i < prec; i++)
		div *= 10;
	frac[0] = '\0';
	if (prec > 0 && u % div != 0) {
		snprintf(frac, sizeof frac, ".%0*llu", prec,
		    (unsigned long long)(u % div));
		n = (int)strlen(frac);
		while (frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	snprintf(
	    buf, size, "%llu%s%s", (unsigned long long)(u / div), frac, unit);
}

/* Duration.String(): "1h2m3.5s", "1m0s", "300ms", "0s". */
char *
units_format_duration(double secs)
{
	char buf[64], sec[48];
	double ns;
	uint64_t u, s;
	const char *sign;

	ns = secs * 1e9;
	sign = ns < 0 ? "-" : "";
	if (ns < 0)
		ns = -ns;
	if (!(ns < 9223372036854775807.0))
		ns = 9223372036854775807.0;
	else
		ns = (double)(uint64_t)(ns + 0.5); /* half away from zero */
	u = (uint64_t)ns;
	if (u == 0)
		return xstrdup("0s");
	if (u < UNITS_NS_PER_SEC) {
		if (u < 1000)
			units_fmt_frac(buf, sizeof buf, u, 0, "ns");
		else if (u < 1000000)
			units_fmt_frac(buf, sizeof buf, u, 3, "\xc2\xb5s");
		else
			units_fmt_frac(buf, sizeof buf, u, 6, "ms");
		return xstrprintf("%s%s", sign, buf);
	}
	s = u / UNITS_NS_PER_SEC;
	units_fmt_frac(sec, sizeof sec,
	    (s % 60) * UNITS_NS_PER_SEC + u % UNITS_NS_PER_SEC, 9, "s");
	if (s >= 3600)
		return xstrprintf("%s%lluh%llum%s", sign,
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s / 60 % 60), sec);
	if (s >= 60)
		return xstrprintf(
		    "%s%llum%s", sign, (unsigned long long)(s / 60), sec);
	return xstrprintf("%s%s", sign, sec);
}
