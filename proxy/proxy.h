/*
 * proxy.h: state shared by the event loop's files (main.c, ws.c, http.c)
 * and the interfaces of the pipeline (uploader.c) and health (health.c).
 */
#ifndef RTCSTATS_PROXY_H
#define RTCSTATS_PROXY_H

#include <signal.h>
#include <stdbool.h>

#include <libwebsockets.h>

#include "config.h"

extern proxy_config proxy_cfg;
extern struct lws_context *proxy_ctx;
/* Set by SIGTERM/SIGINT; read by the loop. */
extern volatile sig_atomic_t proxy_stopping;

/* main.c: makes the event loop return (loop thread only). */
void		proxy_loop_break(void);

/* ws.c: the one protocol callback (WebSocket and HTTP). */
int			proxy_callback(struct lws *wsi, enum lws_callback_reasons reason,
						   void *user, void *in, size_t len);
size_t		proxy_session_size(void);
long		proxy_open_sessions(void);
/* Loop thread: close every session with 1001 (shutdown). */
void		proxy_close_all_sessions(void);
/* Spool files kept open at most (the rest reopened on demand). */
void		proxy_set_spool_fd_budget(long budget);
/* Sockets accepted at most (every connection: HTTP, WebSocket, half-open). */
void		proxy_set_socket_budget(long budget);
long		proxy_socket_budget(void);
/* Loop thread: closes the oldest connection that has sent no whole request yet. */
bool		proxy_evict_unserved(void);
/* Loop thread: idle sweep, called every second. */
void		proxy_sweep_sessions(void);
/* Loop thread: writes every session's buffered messages; called before each wait. */
void		proxy_flush_sessions(void);

/* http.c: called from proxy_callback for HTTP reasons. */
int			proxy_http_callback(struct lws *wsi, enum lws_callback_reasons reason,
								void **http_state, void *in, size_t len);
/* Loop thread, on a wakeup: asks to write the answers of validated uploads. */
void		proxy_http_uploads_completed(void);
/* Before destroying the context: waits for running validation threads. */
void		proxy_http_wait_uploads(void);
/* Token check shared with ws.c: NULL secret means no auth. */
bool		proxy_peer_is_trusted(const char *addr);
int			proxy_trusted_init(const char *list);

/* uploader.c: the durable pipeline. */
int			proxy_uploader_start(void);
void		proxy_uploader_queue(const char *id);
/* Waits until the queue is empty or timeout_s passes; returns what is left. */
long		proxy_uploader_drain(int timeout_s);
void		proxy_uploader_stop(void);
/*
 * The rtcstats_dumps table, qualified ("<schema>".rtcstats_dumps: the
 * extension's schema, public without the extension) into out; false if the
 * lookup failed.  Declared here to keep libpq out of the other headers.
 */
struct pg_conn;
bool		proxy_db_table(struct pg_conn *conn, char *out, size_t cap);

/* health.c: storage/database reachability, refreshed by a thread. */
int			proxy_health_start(void);
void		proxy_health_stop(void);
/* JSON body into buf; returns the HTTP status (200 or 503). */
int			proxy_health_report(char *buf, size_t cap);
/* GET /readyz: 200 while sessions are accepted and spooled (not stopping, spool not full), else 503. */
int			proxy_ready_report(char *buf, size_t cap);

/* IP obfuscation of remote addresses (core anonymizer when built with it). */
char	   *proxy_obfuscate_address(const char *addr);

#endif
