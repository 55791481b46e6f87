/*
 * jsonscan.h: is a WebSocket message one JSON array (section 1 of the dump
 * format)?  A strict RFC 8259 syntax check, UTF-8 included (RFC 3629), that
 * allocates nothing and never recurses, so the event loop can afford it on
 * every message; nesting deeper than PROXY_JSON_MAX_DEPTH is refused (the
 * core reader's default limit).  A text frame that is not UTF-8 is thus a
 * bad message like any other (lws's own check would drop the connection).
 */
#ifndef RTCSTATS_PROXY_JSONSCAN_H
#define RTCSTATS_PROXY_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_JSON_MAX_DEPTH 64

bool		proxy_json_is_array(const char *s, size_t n);

#endif
