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

/* Why a dump was quarantined (spool-dir/failed): the label of the counter. */
typedef enum proxy_quarantine_reason
{
	PROXY_QUARANTINE_UNREADABLE = 0,	/* the anonymizer cannot read it */
	PROXY_QUARANTINE_STORAGE,	/* storage refused the object (a 4xx) */
	PROXY_QUARANTINE_DATABASE,	/* the database refused the row (a data error) */
	PROXY_QUARANTINE_REASONS
} proxy_quarantine_reason;

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
	atomic_ulong sessions_failed;	/* quarantined: moved to spool/failed */
	atomic_ulong quarantined[PROXY_QUARANTINE_REASONS];
	atomic_ulong attempts_failed;	/* upload or insert attempts that will be retried */
	atomic_ulong spool_reopens;	/* spool fds reopened after eviction (fd budget) */
	atomic_ulong http_requests;
	atomic_ulong http_uploads;
	atomic_ulong http_upload_rejected;
	atomic_ulong http_upload_timeouts;	/* 408: body not in within upload-timeout */
	atomic_ulong http_upload_aborted;	/* closed by the client before the answer */
	atomic_long queue_depth;		/* gauge */
	atomic_long sockets;			/* open connections of every kind (gauge) */
	atomic_ulong sockets_refused;	/* closed at accept: socket share of the fd limit */
	atomic_ulong sockets_evicted;	/* oldest request-less connection closed to make room */
	atomic_ulong accept_errors;		/* accept(2) failed (EMFILE, ENFILE) */
	atomic_ulong connections_shed;	/* accepted on the spare descriptor and closed */
	atomic_ulong requests_incomplete;	/* closed before their request headers were complete */
	atomic_long pending_bytes;		/* reassembly buffers of all sessions (gauge) */
	atomic_ulong closed_pending;	/* sessions closed with 1013: max-pending-bytes */
	atomic_ulong messages_normalized;	/* raw CR/LF between tokens made spaces */
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
