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

size_t
proxy_log_quote(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *) (src ? src : "");
	size_t		len = strlen((const char *) p);
	size_t		n = 0;

	if (cap == 0)
		return 0;
	/* Trailing newlines and blanks of libpq messages say nothing. */
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	for (const unsigned char *end = p + len; p < end; p++)
	{
		char		esc[4];
		size_t		k = 0;

		if (*p == '"' || *p == '\\')
		{
			esc[k++] = '\\';
			esc[k++] = (char) *p;
		}
		else if (*p == '\n' || *p == '\r' || *p == '\t')
		{
			esc[k++] = '\\';
			esc[k++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		}
		else if (*p < 0x20 || *p == 0x7f)
		{
			esc[k++] = '\\';
			esc[k++] = 'x';
			esc[k++] = hex[*p >> 4];
			esc[k++] = hex[*p & 15];
		}
		else
			esc[k++] = (char) *p;
		if (n + k >= cap)
			break;
		memcpy(dst + n, esc, k);
		n += k;
	}
	dst[n] = '\0';
	return n;
}

/*
 * Formats the whole line first so that concurrent threads never interleave
 * inside a line (stderr is unbuffered: one fputs is one write).  Whatever a
 * caller passed unquoted, a control byte never reaches the output as such:
 * one event is one line.
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
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr);
}
