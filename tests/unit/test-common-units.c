/* clima: unit tests for common/units.c. */
/*
 * Table-driven checks of go-units sizes (RAMInBytes, BytesSize) and Go
 * durations (ParseDuration, Duration.String), error messages included.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/units.h"
#include "tests/tap.h"

#define GIB (1024ULL * 1024 * 1024)

static const struct {
	const char *in;
	uint64_t want;
} size_ok[] = {
	{ "0", 0 },
	{ "512", 512 },
	{ "512b", 512 },
	{ "512B", 512 },
	{ "1k", 1024 },
	{ "1K", 1024 },
	{ "1kb", 1024 },
	{ "1KiB", 1024 },
	{ "512MiB", 512ULL * 1024 * 1024 },
	{ "4G", 4 * GIB },
	{ "4g", 4 * GIB },
	{ "4GB", 4 * GIB },
	{ "4GiB", 4 * GIB },
	{ "4gib", 4 * GIB },
	{ "1.5GiB", 3 * GIB / 2 },
	{ "1.5 GiB", 3 * GIB / 2 },
	{ "100GiB", 100 * GIB },
	{ "2T", 2048 * GIB },
	{ "1PiB", 1024 * 1024 * GIB },
	{ "10 ", 10 },
	{ "1.", 1 },
	{ ".5k", 512 },
	{ "1e3", 1000 },
};

static const struct {
	const char *in;
	const char *cause;
} size_bad[] = {
	{ "", "invalid size: ''" },
	{ "abc", "invalid size: 'abc'" },
	{ "-1", "invalid size: '-1'" },
	{ "-1GiB", "invalid size: '-1GiB'" },
	{ "1.2.3G", "invalid size: '1.2.3G'" },
	{ "1  G", "invalid size: '1  G'" },
	{ "0x10", "invalid size: '0x10'" },
	{ "4X", "invalid suffix: 'x'" },
	{ "4GiBs", "invalid suffix: 'GiBs'" },
	{ "4Gb2", "invalid size: '4Gb2'" },
	{ "4bb", "invalid suffix: 'bb'" },
	{ "4kxb", "invalid suffix: 'kxb'" },
	{ "4Gx", "invalid suffix: 'gx'" },
	{ "99999999999E", "invalid suffix: 'e'" },
	{ "9999999P", "invalid size: '9999999P'" },
};

static const struct {
	uint64_t in;
	const char *want;
} size_fmt[] = {
	{ 0, "0B" },
	{ 512, "512B" },
	{ 1023, "1023B" },
	{ 1024, "1KiB" },
	{ 1048576, "1MiB" },
	{ 1610612736, "1.5GiB" },
	{ 4294967296ULL, "4GiB" },
	{ 107374182400ULL, "100GiB" },
	{ 1099511627776ULL, "1TiB" },
	{ 1234567890, "1.15GiB" },
	{ 1048575, "1024KiB" },
	{ UINT64_MAX, "16EiB" },
};

static const struct {
	const char *in;
	double want;
} dur_ok[] = {
	{ "0", 0 },
	{ "-0", 0 },
	{ "5s", 5 },
	{ "10m0s", 600 },
	{ "10m", 600 },
	{ "1h30m", 5400 },
	{ "1.5h", 5400 },
	{ "300ms", 0.3 },
	{ "1us", 0.000001 },
	{ "1\xc2\xb5s", 0.000001 },
	{ "100ns", 0.0000001 },
	{ "+2s", 2 },
	{ "-2s", -2 },
	{ ".5s", 0.5 },
	{ "1.s", 1 },
	{ "1h1m1s", 3661 },
};

static const struct {
	const char *in;
	const char *cause;
} dur_bad[] = {
	{ "", "time: invalid duration \"\"" },
	{ "x", "time: invalid duration \"x\"" },
	{ "-", "time: invalid duration \"-\"" },
	{ ".s", "time: invalid duration \".s\"" },
	{ "10", "time: missing unit in duration \"10\"" },
	{ "1h30", "time: missing unit in duration \"1h30\"" },
	{ "5x", "time: unknown unit \"x\" in duration \"5x\"" },
	{ "5 s", "time: unknown unit \" s\" in duration \"5 s\"" },
	{ "3000000h", "time: invalid duration \"3000000h\"" },
};

static const struct {
	double in;
	const char *want;
} dur_fmt[] = {
	{ 0, "0s" },
	{ 5, "5s" },
	{ 600, "10m0s" },
	{ 190, "3m10s" },
	{ 3600, "1h0m0s" },
	{ 5400, "1h30m0s" },
	{ 0.5, "500ms" },
	{ 1.5, "1.5s" },
	{ 0.0015, "1.5ms" },
	{ 0.0000015, "1.5\xc2\xb5s" },
	{ 0.000000001, "1ns" },
	{ -90, "-1m30s" },
	{ 3661.25, "1h1m1.25s" },
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

int
main(void)
{
	uint64_t got;
	double secs;
	char *cause, *s;
	size_t i;
	int rc;

	for (i = 0; i < NITEMS(size_ok); i++) {
		cause = NULL;
		got = 12345;
		rc = units_parse_size(size_ok[i].in, &got, &cause);
		is_int(rc, 0, "parse size '%s' succeeds", size_ok[i].in);
		ok(got == size_ok[i].want, "parse size '%s' = %llu (got %llu)",
		    size_ok[i].in, (unsigned long long)size_ok[i].want,
		    (unsigned long long)got);
		free(cause);
	}
	for (i = 0; i < NITEMS(size_bad); i++) {
		cause = NULL;
		got = 12345;
		rc = units_parse_size(size_bad[i].in, &got, &cause);
		is_int(rc, -1, "parse size '%s' fails", size_bad[i].in);
		is_str(cause, size_bad[i].cause, "parse size '%s' message",
		    size_bad[i].in);
		ok(got == 12345, "parse size '%s' leaves *out", size_bad[i].in);
		free(cause);
	}
	for (i = 0; i < NITEMS(size_fmt); i++) {
		s = units_bytes_size(size_fmt[i].in);
		is_str(s, size_fmt[i].want, "BytesSize(%llu)",
		    (unsigned long long)size_fmt[i].in);
		free(s);
	}

	for (i = 0; i < NITEMS(dur_ok); i++) {
		cause = NULL;
		secs = -1234;
		rc = units_parse_duration(dur_ok[i].in, &secs, &cause);
		is_int(rc, 0, "parse duration \"%s\" succeeds", dur_ok[i].in);
		ok(secs > dur_ok[i].want - 1e-9 && secs < dur_ok[i].want + 1e-9,
		    "parse duration \"%s\" = %g (got %g)", dur_ok[i].in,
		    dur_ok[i].want, secs);
		free(cause);
	}
	for (i = 0; i < NITEMS(dur_bad); i++) {
		cause = NULL;
		rc = units_parse_duration(dur_bad[i].in, &secs, &cause);
		is_int(rc, -1, "parse duration \"%s\" fails", dur_bad[i].in);
		is_str(cause, dur_bad[i].cause, "parse duration \"%s\" message",
		    dur_bad[i].in);
		free(cause);
	}
	for (i = 0; i < NITEMS(dur_fmt); i++) {
		s = units_format_duration(dur_fmt[i].in);
		is_str(
		    s, dur_fmt[i].want, "Duration(%g).String()", dur_fmt[i].in);
		free(s);
	}

	/* Round trips through the printed forms. */
	s = units_bytes_size(3 * GIB / 2);
	rc = units_parse_size(s, &got, &cause);
	ok(rc == 0 && got == 3 * GIB / 2, "BytesSize output parses back");
	free(s);
	s = units_format_duration(5400);
	rc = units_parse_duration(s, &secs, &cause);
	ok(rc == 0 && secs == 5400, "Duration string parses back");
	free(s);

	return done_testing();
}
