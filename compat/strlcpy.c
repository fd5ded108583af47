/* clima: strlcpy and strlcat for C libraries without them. */
/*
 * Both return the length of the string they tried to create, so that
 * truncation is detected with "if (ret >= size)".
 */
#include "config.h"

#include <string.h>

#include "compat/compat.h"

#ifndef HAVE_STRLCPY
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len;

	len = strlen(src);
	if (size != 0) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#endif

#ifndef HAVE_STRLCAT
size_t
strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen;

	dlen = strnlen(dst, size);
	if (dlen == size)
		return size + strlen(src);
	return dlen + strlcpy(dst + dlen, src, size - dlen);
}
#endif
