/* clima: sizes and durations in Go's notations. */
/*
 * Sizes follow docker/go-units (RAMInBytes to parse, BytesSize to print:
 * every multiple is binary) and durations follow Go's time package
 * (ParseDuration and Duration.String).
 */
#ifndef COMMON_UNITS_H
#define COMMON_UNITS_H

#include <stdint.h>

/*
 * "4GiB", "4g", "1.5 GiB", "512": 0 and *out set, or -1 and *cause (the
 * caller's) set to "invalid size: 'x'" or "invalid suffix: 'x'".
 */
int units_parse_size(const char *, uint64_t *, char **cause);
/* "4GiB", "1.5GiB", "512B" (%.4g and a binary unit); the caller's. */
char *units_bytes_size(uint64_t);

/*
 * "10m0s", "1h30m", "300ms", "1.5h", "0": 0 and *secs set, or -1 and
 * *cause (the caller's) set to Go's message, e.g.
 * `time: invalid duration "x"`.
 */
int units_parse_duration(const char *, double *secs, char **cause);
/* Go's Duration.String() ("10m0s", "500ms", "0s"); the caller's. */
char *units_format_duration(double secs);

#endif
