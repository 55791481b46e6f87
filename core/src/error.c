/*
 * error.c: filling rtcstats_error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rtcstats/error.h"

rtcstats_status
rtcstats_fail(rtcstats_error *err, rtcstats_status code, long line, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return code;
}

void
rtcstats_error_clear(rtcstats_error *err)
{
	if (err == NULL)
		return;
	err->code = RTCSTATS_OK;
	err->line = 0;
	err->detail[0] = '\0';
}

const char *
rtcstats_status_name(rtcstats_status code)
{
	switch (code)
	{
		case RTCSTATS_OK:
			return "ok";
		case RTCSTATS_ERR_FORMAT:
			return "format";
		case RTCSTATS_ERR_JSON:
			return "json";
		case RTCSTATS_ERR_LINE_SHAPE:
			return "line-shape";
		case RTCSTATS_ERR_GZIP:
			return "gzip";
		case RTCSTATS_ERR_TOO_LARGE:
			return "too-large";
		case RTCSTATS_ERR_NOMEM:
			return "out-of-memory";
		case RTCSTATS_ERR_IO:
			return "io";
		case RTCSTATS_ERR_STORAGE:
			return "storage";
		case RTCSTATS_ERR_NETWORK:
			return "network";
		case RTCSTATS_ERR_NOT_FOUND:
			return "not-found";
		case RTCSTATS_ERR_PERMISSION:
			return "permission";
		case RTCSTATS_ERR_ARGUMENT:
			return "argument";
		case RTCSTATS_ERR_CANCELLED:
			return "cancelled";
	}
	return "unknown";
}

/*
 * Outages versus data errors, for the extraction queue (docs/operations.md):
 * could not reach storage, a storage error other than "not found" (HTTP 5xx,
 * throttling, refused credentials: the same for every object) or local I/O.
 * Not found, a refused path and everything about the bytes are the dump's.
 */
bool
rtcstats_status_is_outage(rtcstats_status code)
{
	return code == RTCSTATS_ERR_NETWORK || code == RTCSTATS_ERR_STORAGE ||
		code == RTCSTATS_ERR_IO;
}

/*
 * The same for a SQLSTATE (five characters) raised by the server or by the
 * extension's own mapping of the statuses above (extension/src/errors.c):
 * connection exceptions (08), transaction rollbacks such as deadlocks (40),
 * insufficient resources other than out of memory (53: disk full, too many
 * connections), operator intervention other than a cancel (57), system
 * errors other than a missing file (58: I/O error) and the storage's
 * external routine exception (38000).
 */
bool
rtcstats_sqlstate_is_outage(const char *sqlstate)
{
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return false;
	if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "40", 2) == 0)
		return true;
	if (strncmp(sqlstate, "53", 2) == 0)
		return strcmp(sqlstate, "53200") != 0;
	if (strncmp(sqlstate, "57", 2) == 0)
		return strcmp(sqlstate, "57014") != 0;
	if (strncmp(sqlstate, "58", 2) == 0)
		return strcmp(sqlstate, "58P01") != 0;
	return strcmp(sqlstate, "38000") == 0;
}
