/*
 * metrics.h: process-wide counters, updated with relaxed atomics by the
 * event loop and the pipeline threads, rendered as Prometheus text.
 */
#ifndef RTCSTATS_PROXY_METRICS_H
#define RTCSTATS_PROXY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PROXY_LATENCY_BUCKETS 12

typedef struct proxy_metrics
{
	atomic_long connections;		/* open WebSocket sessions (gauge) */
	atomic_ulong connections_total;
	atomic_ulong connections_rejected;	/* over max-connections or shutting down */
	atomic_ulong auth_failures;
	atomic_ulong messages;
	atomic_ulong bytes;
	atomic_ulong bad_messages;
	atomic_ulong closed_oversize;	/* sessions closed with 1009 */
	atomic_ulong closed_abuse;		/* sessions closed with 1007 */
	atomic_ulong closed_idle;
	atomic_ulong sessions_spooled;
	atomic_ulong sessions_empty;	/* closed without a message: dropped as upstream */
	atomic_ulong sessions_uploaded;
	atomic_ulong sessions_failed;	/* unreadable dump moved to spool/failed */
	atomic_ulong attempts_failed;	/* upload or insert attempts that will be retried */
	atomic_ulong spool_reopens;	/* spool fds reopened after eviction (fd budget) */
	atomic_ulong http_requests;
	atomic_ulong http_uploads;
	atomic_ulong http_upload_rejected;
	atomic_ulong http_upload_timeouts;	/* 408: body not in within upload-timeout */
	atomic_ulong http_upload_aborted;	/* closed by the client before the answer */
	atomic_long queue_depth;		/* gauge */
	atomic_ulong latency_bucket[PROXY_LATENCY_BUCKETS + 1];	/* last is +Inf */
	atomic_ulong latency_count;
	atomic_ulong latency_sum_us;
} proxy_metrics;

extern proxy_metrics proxy_stats;

/* Upper bounds of the upload latency histogram, seconds. */
extern const double proxy_latency_bounds[PROXY_LATENCY_BUCKETS];

void		proxy_metrics_observe_upload(double seconds);
/* Prometheus text; malloc'd, *len set. */
char	   *proxy_metrics_render(size_t *len);

#endif
