/*
 * log.c: timestamped, levelled log lines on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

proxy_log_level proxy_log_min_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int
proxy_log_set_level(const char *name)
{
	for (int i = 0; i < 4; i++)
	{
		if (strcmp(name, level_names[i]) == 0)
		{
			proxy_log_min_level = (proxy_log_level) i;
			return 0;
		}
	}
	return -1;
}

/*
 * Formats the whole line first so that concurrent threads never interleave
 * inside a line (stderr is unbuffered: one fputs is one write).
 */
void
proxy_log(proxy_log_level level, const char *fmt,...)
{
	char		line[1024];
	struct timespec ts;
	struct tm	tm;
	size_t		n;
	va_list		ap;

	if (level < proxy_log_min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s ",
				  ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr);
}
