/*
 * log.h: one line per event on stderr, "<UTC time> <level> event=... dump=...".
 * Thread-safe (one fprintf per line).  Never log tokens or payloads.
 */
#ifndef RTCSTATS_PROXY_LOG_H
#define RTCSTATS_PROXY_LOG_H

typedef enum proxy_log_level
{
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR
} proxy_log_level;

extern proxy_log_level proxy_log_min_level;

/* Returns 0, or -1 for an unknown name ("debug", "info", "warn", "error"). */
int			proxy_log_set_level(const char *name);
void		proxy_log(proxy_log_level level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/*
 * Copies src into dst[cap] for a quoted value (key="..."): '"' and '\\' are
 * escaped, newlines, tabs and other control bytes written as \n, \t, \xHH,
 * trailing newlines dropped.  Client strings and libpq messages go through it.
 * Returns the length written (cut to fit).
 */
size_t		proxy_log_quote(char *dst, size_t cap, const char *src);

#define log_debug(...) do { if (proxy_log_min_level <= LOG_LEVEL_DEBUG) proxy_log(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) proxy_log(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) proxy_log(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) proxy_log(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
