/*
 * metrics.c: Prometheus text exposition of proxy_stats.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

proxy_metrics proxy_stats;

const double proxy_latency_bounds[PROXY_LATENCY_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

void
proxy_metrics_observe_upload(double seconds)
{
	int			i;

	for (i = 0; i < PROXY_LATENCY_BUCKETS; i++)
		if (seconds <= proxy_latency_bounds[i])
			break;
	atomic_fetch_add_explicit(&proxy_stats.latency_bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&proxy_stats.latency_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&proxy_stats.latency_sum_us,
							  (unsigned long) (seconds * 1e6), memory_order_relaxed);
}

typedef struct sbuf
{
	char	   *p;
	size_t		len;
	size_t		cap;
} sbuf;

static void
sb_printf(sbuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(sbuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (!b->p)
		return;
	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t) n < b->cap - b->len)
		{
			b->len += (size_t) n;
			return;
		}
		b->cap = b->cap * 2 + (size_t) n;
		{
			char	   *q = realloc(b->p, b->cap);

			if (!q)
			{
				free(b->p);
				b->p = NULL;
				return;
			}
			b->p = q;
		}
	}
}

#define LOAD(f) atomic_load_explicit(&proxy_stats.f, memory_order_relaxed)

static void
counter(sbuf *b, const char *name, const char *help, unsigned long v)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help, name, name, v);
}

static void
gauge(sbuf *b, const char *name, const char *help, long v)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %ld\n", name, help, name, name, v);
}

char *
proxy_metrics_render(size_t *len)
{
	sbuf		b = {malloc(4096), 0, 4096};
	unsigned long cum = 0;

	gauge(&b, "rtcstats_proxy_connections", "Open WebSocket sessions.", LOAD(connections));
	counter(&b, "rtcstats_proxy_connections_total", "WebSocket sessions accepted.",
			LOAD(connections_total));
	counter(&b, "rtcstats_proxy_connections_rejected_total",
			"WebSocket sessions refused (max-connections, shutdown).", LOAD(connections_rejected));
	counter(&b, "rtcstats_proxy_auth_failures_total", "Requests with a missing or invalid token.",
			LOAD(auth_failures));
	counter(&b, "rtcstats_proxy_messages_total", "WebSocket messages stored.", LOAD(messages));
	counter(&b, "rtcstats_proxy_bytes_total", "Bytes of WebSocket messages stored.", LOAD(bytes));
	counter(&b, "rtcstats_proxy_bad_messages_total",
			"WebSocket messages that were not a JSON array (not stored).", LOAD(bad_messages));
	counter(&b, "rtcstats_proxy_closed_oversize_total", "Sessions closed with 1009.",
			LOAD(closed_oversize));
	counter(&b, "rtcstats_proxy_closed_abuse_total", "Sessions closed with 1007.",
			LOAD(closed_abuse));
	counter(&b, "rtcstats_proxy_closed_idle_total", "Sessions closed for idleness.",
			LOAD(closed_idle));
	counter(&b, "rtcstats_proxy_sessions_spooled_total", "Dumps completed in the spool.",
			LOAD(sessions_spooled));
	counter(&b, "rtcstats_proxy_sessions_empty_total", "Sessions without a message (dropped).",
			LOAD(sessions_empty));
	counter(&b, "rtcstats_proxy_sessions_uploaded_total", "Dumps stored and recorded.",
			LOAD(sessions_uploaded));
	counter(&b, "rtcstats_proxy_sessions_failed_total",
			"Dumps quarantined (kept in spool-dir/failed), every reason.",
			LOAD(sessions_failed));
	sb_printf(&b, "# HELP rtcstats_proxy_dumps_quarantined_total Dumps refused as data errors "
			  "(kept in spool-dir/failed), by reason.\n"
			  "# TYPE rtcstats_proxy_dumps_quarantined_total counter\n");
	for (int i = 0; i < PROXY_QUARANTINE_REASONS; i++)
	{
		static const char *const names[PROXY_QUARANTINE_REASONS] = {
			"unreadable", "storage", "database"
		};

		sb_printf(&b, "rtcstats_proxy_dumps_quarantined_total{reason=\"%s\"} %lu\n", names[i],
				  LOAD(quarantined[i]));
	}
	counter(&b, "rtcstats_proxy_attempts_failed_total",
			"Upload or insert attempts that failed and will be retried.", LOAD(attempts_failed));
	counter(&b, "rtcstats_proxy_spool_reopens_total",
			"Spool files reopened because more sessions than spool-fd budget were writing.",
			LOAD(spool_reopens));
	counter(&b, "rtcstats_proxy_http_requests_total", "HTTP requests.", LOAD(http_requests));
	counter(&b, "rtcstats_proxy_http_uploads_total", "Dumps accepted by HTTP POST.",
			LOAD(http_uploads));
	counter(&b, "rtcstats_proxy_http_uploads_rejected_total", "HTTP uploads refused (4xx).",
			LOAD(http_upload_rejected));
	gauge(&b, "rtcstats_proxy_sockets", "Open connections of every kind (HTTP, WebSocket, not yet known).",
		  LOAD(sockets));
	counter(&b, "rtcstats_proxy_sockets_refused_total",
			"Connections closed at accept: the sockets' share of the open-file limit was in use.",
			LOAD(sockets_refused));
	counter(&b, "rtcstats_proxy_sockets_evicted_total",
			"Connections without a whole request yet, closed (oldest first) to make room for a new one.",
			LOAD(sockets_evicted));
	counter(&b, "rtcstats_proxy_accept_errors_total",
			"accept(2) failures (open-file limit reached anyway).", LOAD(accept_errors));
	counter(&b, "rtcstats_proxy_connections_shed_total",
			"Connections accepted on the spare descriptor at the open-file limit and closed.",
			LOAD(connections_shed));
	counter(&b, "rtcstats_proxy_requests_incomplete_total",
			"Connections closed before their request headers were complete (header-timeout, or the client gave up).",
			LOAD(requests_incomplete));
	gauge(&b, "rtcstats_proxy_pending_bytes",
		  "Bytes held for fragmented messages being reassembled, all sessions.", LOAD(pending_bytes));
	counter(&b, "rtcstats_proxy_closed_pending_total",
			"Sessions closed with 1013 because max-pending-bytes was reached.", LOAD(closed_pending));
	counter(&b, "rtcstats_proxy_messages_normalized_total",
			"Messages whose raw line breaks between JSON tokens were replaced by spaces.",
			LOAD(messages_normalized));
	counter(&b, "rtcstats_proxy_http_upload_timeouts_total",
			"HTTP uploads cut with 408 (upload-timeout).", LOAD(http_upload_timeouts));
	counter(&b, "rtcstats_proxy_http_uploads_aborted_total",
			"HTTP uploads whose client closed before the answer.", LOAD(http_upload_aborted));
	gauge(&b, "rtcstats_proxy_queue_depth", "Dumps waiting for upload or insert.",
		  LOAD(queue_depth));
	sb_printf(&b, "# HELP rtcstats_proxy_upload_seconds Time to anonymize, gzip, upload and insert one dump.\n"
			  "# TYPE rtcstats_proxy_upload_seconds histogram\n");
	for (int i = 0; i <= PROXY_LATENCY_BUCKETS; i++)
	{
		cum += LOAD(latency_bucket[i]);
		if (i < PROXY_LATENCY_BUCKETS)
			sb_printf(&b, "rtcstats_proxy_upload_seconds_bucket{le=\"%g\"} %lu\n",
					  proxy_latency_bounds[i], cum);
		else
			sb_printf(&b, "rtcstats_proxy_upload_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	}
	sb_printf(&b, "rtcstats_proxy_upload_seconds_sum %.6f\nrtcstats_proxy_upload_seconds_count %lu\n",
			  LOAD(latency_sum_us) / 1e6, LOAD(latency_count));
	*len = b.len;
	return b.p;
}
