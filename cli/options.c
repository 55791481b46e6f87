/*
 * options.c: see options.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "options.h"

bool
cli_parse_positive_size(const char *text, size_t *out)
{
	char	   *end;
	unsigned long long v;

	/* strtoull would accept leading blanks and turn "-5" into a huge value */
	if (!isdigit((unsigned char) text[0]))
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end != '\0' || v == 0 || errno == ERANGE || v > SIZE_MAX)
		return false;
	*out = (size_t) v;
	return true;
}
