/*
 * rtcstats-proxy: receives rtcstats dumps (WebSocket rtcstats#5.0 and HTTP
 * POST), spools them, and hands them to the pipeline threads that anonymize,
 * gzip, store and record them.  See docs/proxy.md.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "rtcstats/storage.h"

#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "spool.h"

proxy_config proxy_cfg;
struct lws_context *proxy_ctx;
volatile sig_atomic_t proxy_stopping;

/*
 * The event loop: libev (epoll) by default, through lws's event-lib plugin,
 * as a loop we own so that we can stop it; lws's own poll(2) loop otherwise.
 * poll costs O(connections) per wakeup, which at 10,000 connections is most
 * of the loop's time.
 */
static struct ev_loop *ev_loop_p;
static volatile bool loop_done;

/* Before the loop waits for events: the messages read meanwhile go to disk. */
static ev_prepare flush_watcher;

static void
on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void) loop;
	(void) w;
	(void) revents;
	proxy_flush_sessions();
}

void
proxy_loop_break(void)
{
	loop_done = true;
	if (ev_loop_p)
		ev_break(ev_loop_p, EVBREAK_ALL);
}

static struct lws_protocols protocols[] = {
	/*
	 * First: the default for clients naming no subprotocol, and for HTTP.
	 * The rx buffer (allocated per connection, touched only as far as
	 * messages fill it) is also how much lws reads from a socket at once:
	 * 16 KB reads cost about a third less per message than 4 KB ones.
	 */
	{"rtcstats#5.0", proxy_callback, 0, 16384, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}	/* lws 4.1 lacks LWS_PROTOCOL_LIST_TERM */
};

static void
on_signal(int sig)
{
	if (proxy_stopping)
		_exit(128 + sig);		/* second signal: at once; the spool stays consistent */
	proxy_stopping = 1;
	if (proxy_ctx)
		lws_cancel_service(proxy_ctx);
}

/*
 * lws's error lines, at most LWS_LOG_BURST per LWS_LOG_INTERVAL_MS and the
 * rest counted in the next line: at the open-file limit lws 4.1 logs
 * "accept: errno 24" at every wakeup (lib/roles/listen/ops-listen.c), which
 * was 3.1 GB of log in two minutes.  That failure also makes room or sheds
 * the waiting connection (listen.c), so the loop stops waking for it.
 */
/* glibc's default initial mmap threshold (mallopt(3)), made fixed. */
#define MMAP_THRESHOLD_BYTES (128 * 1024)

#define LWS_LOG_INTERVAL_MS 10000
#define LWS_LOG_BURST 5

static void
lws_log_to_ours(int level, const char *line)
{
	static int64_t window_ms;
	static unsigned long in_window,
				suppressed;
	size_t		n = strlen(line);
	int64_t		now = proxy_now_ms();
	bool		accept_failed = strstr(line, "accept: errno") != NULL;

	(void) level;
	if (accept_failed)
	{
		atomic_fetch_add_explicit(&proxy_stats.accept_errors, 1, memory_order_relaxed);
		/*
		 * Room for the waiting connection: the oldest one without a
		 * request goes (its descriptor is free at the next service, when
		 * lws accepts again); with none, the waiting one is shed.
		 */
		if (!proxy_evict_unserved() && proxy_listen_shed())
			atomic_fetch_add_explicit(&proxy_stats.connections_shed, 1, memory_order_relaxed);
	}
	if (now - window_ms >= LWS_LOG_INTERVAL_MS)
	{
		window_ms = now;
		in_window = 0;
	}
	if (++in_window > LWS_LOG_BURST)
	{
		suppressed++;
		return;
	}
	while (n > 0 && line[n - 1] == '\n')
		n--;
	if (suppressed)
		log_warn("event=lws message=\"%.*s\" suppressed=%lu", (int) n, line, suppressed);
	else
		log_warn("event=lws message=\"%.*s\"", (int) n, line);
	suppressed = 0;
}

/*
 * Descriptors (see docs/proxy.md, "Limits"): the soft limit is raised to the
 * hard one; spool files get 40% of it (ws.c closes the least recently
 * written beyond that), a margin is kept for the pipeline threads, lws's own
 * descriptors and uploads, and sockets get the rest.  ws.c refuses a
 * connection beyond that share at accept (plain TCP connects count, not
 * only WebSocket sessions), so accept(2) does not reach EMFILE in normal
 * operation; when it does anyway, listen.c sheds the connection.
 */
static void
plan_descriptors(void)
{
	long		limit = proxy_listen_raise_nofile();
	long		spool = limit * 2 / 5;
	long		margin = 16 + 2L * proxy_cfg.workers;
	long		sockets;

	if (margin > limit / 8)
		margin = limit / 8;
	sockets = limit - spool - margin;
	if (sockets < 1)
		sockets = 1;
	proxy_set_spool_fd_budget(spool);
	proxy_set_socket_budget(sockets);
	if (proxy_cfg.max_connections == 0)
		proxy_cfg.max_connections = (int) (sockets > INT_MAX ? INT_MAX : sockets);
	else if (proxy_cfg.max_connections > sockets)
		log_warn("event=config_warning error=\"max-connections %d is above what the open-file limit %ld leaves for sockets (%ld): connections beyond that are refused\"",
				 proxy_cfg.max_connections, limit, sockets);
	if (proxy_listen_reserve() != 0)
		log_warn("event=config_warning error=\"cannot open the spare descriptor: %s\"", strerror(errno));
}

/*
 * Reassembly of fragmented messages across all sessions (ws.c): by default a
 * sixteenth of the physical memory, between 64 MB and 1 GB, and room for at
 * least four messages of max-message-bytes.
 */
static size_t
default_pending_bytes(void)
{
	long		pages = sysconf(_SC_PHYS_PAGES),
				page = sysconf(_SC_PAGESIZE);
	size_t		n = pages > 0 && page > 0 ? (size_t) pages / 16 * (size_t) page : (size_t) 256 << 20;

	if (n < (size_t) 64 << 20)
		n = (size_t) 64 << 20;
	if (n > (size_t) 1 << 30)
		n = (size_t) 1 << 30;
	if (n < proxy_cfg.max_message_bytes * 4)
		n = proxy_cfg.max_message_bytes * 4;
	return n;
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	static lws_retry_bo_t retry;
	struct sigaction sa;
	int			rc;
	long		left;
	int			queued;
	proxy_listen where;
	char		why[200];

	/* rtcstats-proxy --requeue-failed [ID...]: a command on the spool, then exit. */
	if ((rc = proxy_requeue_command(argc, argv)) >= 0)
		return rc;
	rc = proxy_config_load(&proxy_cfg, argc, argv);
	if (rc != 0)
	{
		proxy_config_free(&proxy_cfg);
		return rc > 0 ? 0 : 2;
	}
	if (proxy_listen_parse(proxy_cfg.listen, &where, why, sizeof(why)) != 0)
	{
		fprintf(stderr, "rtcstats-proxy: %s\n", why);
		proxy_config_free(&proxy_cfg);
		return 2;
	}
	proxy_log_set_level(proxy_cfg.log_level);
	if (proxy_trusted_init(proxy_cfg.trusted_proxies) != 0)
		return 2;
	if (proxy_spool_init(proxy_cfg.spool_dir) != 0)
	{
		fprintf(stderr, "rtcstats-proxy: cannot use spool-dir \"%s\": %s\n",
				proxy_cfg.spool_dir, strerror(errno));
		return 2;
	}
	/* Two proxies on one spool would complete each other's open sessions. */
	if (proxy_spool_lock(proxy_cfg.spool_dir) != 0)
	{
		fprintf(stderr, "rtcstats-proxy: spool-dir \"%s\" is in use by another rtcstats-proxy\n",
				proxy_cfg.spool_dir);
		return 2;
	}

	/* A local storage directory is created like the spool (the demo's default). */
	if (strncmp(proxy_cfg.storage_url, "file://", 7) == 0 &&
		proxy_mkdir_p(proxy_cfg.storage_url + 7) != 0)
	{
		fprintf(stderr, "rtcstats-proxy: cannot create storage directory \"%s\": %s\n",
				proxy_cfg.storage_url + 7, strerror(errno));
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	plan_descriptors();
	if (proxy_cfg.max_pending_bytes == 0)
		proxy_cfg.max_pending_bytes = default_pending_bytes();
	/*
	 * Reassembly buffers are large (up to max-message-bytes) and come and go
	 * with sessions.  A fixed mmap threshold keeps every such buffer in its
	 * own mapping, given back to the system at free(); glibc's default
	 * raises the threshold after the first large free, and then keeps the
	 * memory of thousands of closed sessions in its heap.
	 */
	(void) mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);

	rtcstats_storage_global_init();
	if (proxy_health_start() != 0)
	{
		fprintf(stderr, "rtcstats-proxy: invalid storage-url \"%s\" (file:///dir or s3://bucket/prefix)\n",
				proxy_cfg.storage_url);
		return 2;
	}
	if (proxy_uploader_start() != 0)
	{
		fprintf(stderr, "rtcstats-proxy: cannot start the pipeline threads\n");
		proxy_health_stop();
		return 2;
	}
	lws_set_log_level(LLL_ERR, lws_log_to_ours);
	protocols[0].per_session_data_size = proxy_session_size();
	memset(&info, 0, sizeof(info));
	info.port = proxy_cfg.port;
	info.iface = proxy_listen_iface(&where);
	info.protocols = protocols;
	/* UTF-8 is checked with the JSON (jsonscan.c): invalid text is a bad message. */
	info.options = where.options;
	info.max_http_header_data = 16384;	/* URL with a token, long user agents */
	/*
	 * A header table for every connection we accept: with lws's default
	 * of 256, 300 clients sending their headers slowly made every other
	 * request wait for a table (5-20 s, /healthcheck timing out).  lws
	 * allocates tables as requests need them and frees them when no
	 * request waits, so memory follows the connections in their header
	 * phase (16 KB each), each held at most header-timeout seconds.
	 */
	info.max_http_header_pool = 0;
	info.max_http_header_pool2 = (unsigned int) proxy_socket_budget();
	info.timeout_secs_ah_idle = (unsigned int) proxy_cfg.header_timeout;
	info.timeout_secs = 20;			/* handshakes and HTTP requests */
	info.ka_time = 0;
	info.pt_serv_buf_size = 64 * 1024;
	/*
	 * Dead peers (a laptop closed mid-call) are found by WebSocket pings:
	 * lws pings after ping-interval without a pong and hangs up when none
	 * comes within as long again.  Live browsers answer pings themselves, so
	 * a quiet but open page is never closed (rtcstats-js does not reconnect).
	 */
	retry.secs_since_valid_ping = (uint16_t) proxy_cfg.ping_interval;
	retry.secs_since_valid_hangup = (uint16_t) (proxy_cfg.ping_interval * 2 > 65535 ?
												65535 : proxy_cfg.ping_interval * 2);
	info.retry_and_idle_policy = &retry;
	if (!proxy_listen_can_bind(&where, info.port))
	{
		fprintf(stderr, "rtcstats-proxy: cannot listen on %s:%d: %s\n", proxy_cfg.listen,
				proxy_cfg.port, strerror(errno));
		proxy_uploader_stop();
		proxy_health_stop();
		proxy_config_free(&proxy_cfg);
		return 1;
	}
	if (strcmp(proxy_cfg.event_loop, "libev") == 0)
	{
		static void *foreign[1];

		ev_loop_p = ev_loop_new(EVFLAG_AUTO);
		foreign[0] = ev_loop_p;
		info.foreign_loops = foreign;
		info.options |= LWS_SERVER_OPTION_LIBEV;
		proxy_ctx = ev_loop_p ? lws_create_context(&info) : NULL;
		if (!proxy_ctx)
		{
			/* No evlib plugin installed (libwebsockets-evlib-ev): poll(2). */
			log_warn("event=config_error error=\"could not start with the libev loop (plugin libwebsockets-evlib-ev missing?), trying poll\"");
			if (ev_loop_p)
				ev_loop_destroy(ev_loop_p);
			ev_loop_p = NULL;
			info.foreign_loops = NULL;
			info.options &= ~(uint64_t) LWS_SERVER_OPTION_LIBEV;
		}
	}
	if (!proxy_ctx)
		proxy_ctx = lws_create_context(&info);
	if (!proxy_ctx)
	{
		fprintf(stderr, "rtcstats-proxy: cannot listen on %s:%d\n", proxy_cfg.listen,
				proxy_cfg.port);
		proxy_uploader_stop();
		proxy_health_stop();
		proxy_config_free(&proxy_cfg);
		return 1;
	}
	if (proxy_listen_find_socket(proxy_cfg.port) < 0)
		log_warn("event=config_warning error=\"listening socket not found: no shedding at the open-file limit\"");
	/* Listening: now this process owns the spool (locked) and finishes it. */
	queued = proxy_spool_recover(proxy_cfg.spool_dir, proxy_uploader_queue);
	log_info("event=start version=%s listen=%s port=%d loop=%s spool=%s storage=%s database=%s auth=%s anonymize=%s recovered=%d max_connections=%d sockets=%ld max_pending_bytes=%zu",
			 EXTVERSION, proxy_cfg.listen, proxy_cfg.port, ev_loop_p ? "libev" : "poll",
			 proxy_cfg.spool_dir,
			 proxy_cfg.storage_url, *proxy_cfg.dsn ? "yes" : "no",
			 *proxy_cfg.jwt_secret ? "jwt" : "none",
			 proxy_cfg.no_anonymize ? "no" : "yes",
			 queued < 0 ? 0 : queued, proxy_cfg.max_connections, proxy_socket_budget(),
			 proxy_cfg.max_pending_bytes);

	/* Runs until ws.c calls proxy_loop_break() (after SIGTERM/SIGINT). */
	if (ev_loop_p)
	{
		ev_prepare_init(&flush_watcher, on_prepare);
		ev_prepare_start(ev_loop_p, &flush_watcher);
		ev_unref(ev_loop_p);	/* does not keep the loop alive */
		ev_run(ev_loop_p, 0);
		ev_ref(ev_loop_p);
		ev_prepare_stop(ev_loop_p, &flush_watcher);
	}
	else
		while (!loop_done && lws_service(proxy_ctx, 0) >= 0)
			proxy_flush_sessions();
	proxy_flush_sessions();
	/* Validation threads wake the loop through the context: let them end first. */
	proxy_http_wait_uploads();
	/* Closes what is left; each CLOSED callback completes and queues its dump. */
	lws_context_destroy(proxy_ctx);
	proxy_ctx = NULL;
	if (ev_loop_p)
		ev_loop_destroy(ev_loop_p);
	ev_loop_p = NULL;

	left = proxy_uploader_drain(proxy_cfg.shutdown_timeout);
	proxy_uploader_stop();
	proxy_health_stop();
	log_info("event=stop left_in_spool=%ld", left);
	proxy_config_free(&proxy_cfg);
	return 0;
}
