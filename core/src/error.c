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
