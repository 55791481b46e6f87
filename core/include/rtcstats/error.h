/*
 * error.h: how the core reports failure.
 *
 * The core never raises, longjmps or exits: every fallible call returns an
 * rtcstats_status and fills a caller-owned rtcstats_error.  Hosts map the code
 * to their own idiom (ereport errcode in the extension, exit status in the CLIs,
 * an HTTP status in the proxy).
 */
#ifndef RTCSTATS_ERROR_H
#define RTCSTATS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

typedef enum rtcstats_status
{
	RTCSTATS_OK = 0,
	RTCSTATS_ERR_FORMAT,		/* not a dump we know (first line, shape) */
	RTCSTATS_ERR_JSON,			/* a line is not valid JSON */
	RTCSTATS_ERR_LINE_SHAPE,	/* valid JSON, but not what the format requires */
	RTCSTATS_ERR_GZIP,			/* corrupt or truncated gzip stream */
	RTCSTATS_ERR_TOO_LARGE,		/* a line or document exceeds its limit */
	RTCSTATS_ERR_NOMEM,
	RTCSTATS_ERR_IO,			/* local file I/O (also EACCES from the system) */
	RTCSTATS_ERR_STORAGE,		/* object storage: HTTP error, S3 error code */
	RTCSTATS_ERR_NETWORK,		/* could not reach storage (timeout, refused) */
	RTCSTATS_ERR_NOT_FOUND,		/* object does not exist */
	RTCSTATS_ERR_PERMISSION,	/* a path the storage refuses: outside the root, via a symlink */
	RTCSTATS_ERR_ARGUMENT,		/* bad argument (e.g. malformed URL or address) */
	RTCSTATS_ERR_CANCELLED		/* the host asked to stop */
} rtcstats_status;

#define RTCSTATS_ERROR_DETAIL_SIZE 512

typedef struct rtcstats_error
{
	rtcstats_status code;
	long		line;			/* 1-based input line, 0 when not about a line */
	char		detail[RTCSTATS_ERROR_DETAIL_SIZE];	/* human-readable reason */
} rtcstats_error;

/* Sets err (if not NULL) and returns code, so "return rtcstats_fail(...)" reads well. */
rtcstats_status rtcstats_fail(rtcstats_error *err, rtcstats_status code, long line,
							  const char *fmt,...) __attribute__((format(printf, 4, 5)));

void		rtcstats_error_clear(rtcstats_error *err);

/* Short stable name of a status ("json", "gzip", ...), for logs and tests. */
const char *rtcstats_status_name(rtcstats_status code);

/*
 * True when a failure is an outage (storage or database unavailable) rather
 * than a data error (the dump itself): outages do not spend a dump's
 * extraction attempts.  By status, or by the SQLSTATE a server returned.
 */
bool		rtcstats_status_is_outage(rtcstats_status code);
bool		rtcstats_sqlstate_is_outage(const char *sqlstate);

#endif
