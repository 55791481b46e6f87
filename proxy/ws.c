/*
 * ws.c: the rtcstats#5.0 WebSocket sessions, and the protocol callback that
 * lws calls for every connection (HTTP requests are passed to http.c).
 *
 * A session: check the token, write "RTCStatsDump" and the metadata line to
 * <id>.part, append every message verbatim as a line, and at close append
 * ["close",null,code,delta], rename to <id>.dump and queue it for the
 * pipeline.  Only write(2) on the spool happens here; everything slower is in
 * uploader.c.
 *
 * Messages are not written one by one: each is appended to its session's
 * write-behind buffer, and every buffer is written (one write(2) per
 * session) by proxy_flush_sessions(), which the loop calls before it waits
 * for events again; also when a buffer fills, at close, and when the pool of
 * buffers runs out.  So no message stays in memory longer than the loop
 * iteration that read it from the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <json-c/json.h>

#include "rtcstats/utf8.h"

#include "jsonscan.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "spool.h"

/* WebSocket close codes of RFC 6455 / the IANA registry that lws lacks. */
#define CLOSE_TRY_AGAIN_LATER 1013
/* Longest header value recorded in the metadata (URL, user agent, origin). */
#define MAX_HEADER_BYTES 8192
/* X-Forwarded-For entries kept. */
#define MAX_FORWARDED 16
/* Reassembly buffer: kept between messages up to this size, freed after this quiet time. */
#define FRAG_KEEP_MAX (64 * 1024)
#define FRAG_IDLE_MS 2000
/* Reassembly memory freed before the sweep asks glibc to give back what it keeps. */
#define TRIM_AFTER_BYTES (16 * 1024 * 1024)
/* At most one line a second for events an attacker can repeat (the rest counted). */
#define NOISY_LOG_MS 1000
/*
 * Write-behind buffers: WBUF_SIZE bytes each (lws reads at most the
 * protocol's rx buffer, 16 KB, per socket per service), at most WBUF_COUNT
 * in use at once; taken by a session for its first message of a read and
 * given back when written, so an idle session holds none.  A session that
 * finds none free writes out the others first: a read's messages reach the
 * file after at most WBUF_COUNT reads, whatever the loop iteration's length,
 * still with one write(2) per read.
 */
#define WBUF_SIZE (64 * 1024)
#define WBUF_COUNT 4

typedef struct session
{
	struct session *prev,
			   *next;			/* open WebSocket sessions */
	struct session *lru_prev,
			   *lru_next;		/* sessions holding an open spool fd */
	struct session *dirty_prev,
			   *dirty_next;		/* sessions holding a write-behind buffer */
	struct lws *wsi;
	void	   *http;			/* http.c's state for HTTP requests */
	char	   *frag;			/* message being assembled from fragments */
	size_t		frag_len,
				frag_cap;
	char	   *wbuf;			/* write-behind buffer (WBUF_SIZE), NULL when none */
	size_t		wlen;
	uint64_t	msgs;
	uint64_t	bytes;			/* spool file size */
	int64_t		start_ms,
				last_ms;
	uint32_t	bad;
	int			fd;				/* spool file, -1 when none */
	short		close_code;		/* sent (or to send) by us */
	short		peer_code;		/* received in the peer's close frame */
	bool		is_ws;
	bool		binary;			/* current message is binary */
	bool		closing;		/* no longer storing anything */
	bool		spooled;		/* <id>.part exists (fd may be closed: see fd LRU) */
	char		id[PROXY_ID_LEN + 1];
} session;

static session *sessions;
static long nsessions;

/*
 * Every connection lws accepts (WSI_CREATE to WSI_DESTROY), HTTP and
 * half-open ones included: max-connections counts WebSocket sessions only,
 * and plain TCP connects used to fill the descriptor table until accept(2)
 * failed.  At socket_budget (main.c: the limit minus the spool files'
 * share and a margin) a newcomer takes the place of the oldest connection
 * without a request, or is closed as soon as it is accepted.
 */
static long socket_budget = 1L << 20;
static long live_sockets;

/*
 * Connections that have not yet sent a whole request (nor upgraded), oldest
 * first, each linked from its wsi's opaque user data.  When every socket of
 * the budget is taken, the oldest of them is closed to make room, so that
 * idle or trickling connects cannot lock out /healthcheck and new sessions;
 * a real client's headers take milliseconds.
 */
typedef struct unserved
{
	struct unserved *prev,
			   *next;
	struct lws *wsi;
} unserved;

static unserved *unserved_head,
		   *unserved_tail;

/*
 * Evicted connections are closed at the next service, while lws may accept
 * several more in the same wakeup: at most EVICTING_MAX are in flight (the
 * descriptor margin of main.c has room for them), beyond which a newcomer is
 * refused.  An evicted wsi's opaque pointer is evicted_mark until it goes.
 */
#define EVICTING_MAX 8
static int	evicting;
static char evicted_mark;

static void
unserved_unlink(unserved *u)
{
	if (u->prev)
		u->prev->next = u->next;
	else
		unserved_head = u->next;
	if (u->next)
		u->next->prev = u->prev;
	else
		unserved_tail = u->prev;
	free(u);
}

/* Closes the oldest connection without a request; false if there is none. */
bool
proxy_evict_unserved(void)
{
	if (!unserved_head || evicting >= EVICTING_MAX)
		return false;
	lws_set_timeout(unserved_head->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	lws_set_opaque_user_data(unserved_head->wsi, &evicted_mark);
	evicting++;
	unserved_unlink(unserved_head);
	atomic_fetch_add_explicit(&proxy_stats.sockets_evicted, 1, memory_order_relaxed);
	return true;
}

/* The connection sent its request: no longer a candidate for eviction. */
static void
mark_served(struct lws *wsi)
{
	unserved   *u = lws_get_opaque_user_data(wsi);

	if (u && (void *) u != (void *) &evicted_mark)
	{
		lws_set_opaque_user_data(wsi, NULL);
		unserved_unlink(u);
	}
}

/* Bytes of reassembly buffers (frag_cap) of all sessions: max-pending-bytes. */
static size_t frag_total;
static size_t frag_freed;		/* since the last malloc_trim */

void
proxy_set_socket_budget(long budget)
{
	socket_budget = budget < 1 ? 1 : budget;
}

long
proxy_socket_budget(void)
{
	return socket_budget;
}

/* True if a line may be logged now; else counts it in *skipped. */
static bool
noisy_log_ok(int64_t *last_ms, unsigned long *skipped)
{
	int64_t		now = proxy_now_ms();

	if (*last_ms && now - *last_ms < NOISY_LOG_MS)
	{
		(*skipped)++;
		return false;
	}
	*last_ms = now;
	return true;
}

/* Frees the session's reassembly buffer and takes it out of frag_total. */
static void
frag_release(session *s)
{
	if (s->frag)
	{
		free(s->frag);
		frag_total -= s->frag_cap;
		frag_freed += s->frag_cap;
		atomic_store_explicit(&proxy_stats.pending_bytes, (long) frag_total, memory_order_relaxed);
	}
	s->frag = NULL;
	s->frag_len = s->frag_cap = 0;
}

/*
 * Spool fds in least-recently-written order.  Each session would hold a
 * socket and a spool file, two descriptors: with 10,000 connections that is
 * the whole of a common 20,000 limit.  At most spool_fd_budget stay open; the
 * least recently written is closed (reopened with O_APPEND by its next
 * message), which mostly hits idle sessions.
 */
static session *lru_head,
		   *lru_tail;
static long open_spool_fds;
static long spool_fd_budget = 1024;

void
proxy_set_spool_fd_budget(long budget)
{
	spool_fd_budget = budget < 16 ? 16 : budget;
}

static void
lru_unlink(session *s)
{
	if (s->lru_prev)
		s->lru_prev->lru_next = s->lru_next;
	else
		lru_head = s->lru_next;
	if (s->lru_next)
		s->lru_next->lru_prev = s->lru_prev;
	else
		lru_tail = s->lru_prev;
	s->lru_prev = s->lru_next = NULL;
}

static void
lru_push(session *s)
{
	s->lru_prev = NULL;
	s->lru_next = lru_head;
	if (lru_head)
		lru_head->lru_prev = s;
	lru_head = s;
	if (!lru_tail)
		lru_tail = s;
}

static void
spool_fd_close(session *s)
{
	if (s->fd < 0)
		return;
	close(s->fd);
	s->fd = -1;
	lru_unlink(s);
	open_spool_fds--;
}

/* Makes room for one more spool fd. */
static void
spool_fd_reserve(void)
{
	while (open_spool_fds >= spool_fd_budget && lru_tail)
		spool_fd_close(lru_tail);
}

/* The session's spool fd, reopened if it was closed; -1 with errno. */
static int
spool_fd(session *s)
{
	if (s->fd >= 0)
	{
		if (lru_head != s)
		{
			lru_unlink(s);
			lru_push(s);
		}
		return s->fd;
	}
	if (!s->spooled)
	{
		errno = EBADF;
		return -1;
	}
	spool_fd_reserve();
	{
		char		path[4096];

		proxy_spool_path(path, sizeof(path), proxy_cfg.spool_dir, s->id, ".part");
		s->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (s->fd < 0)
		return -1;
	lru_push(s);
	open_spool_fds++;
	atomic_fetch_add_explicit(&proxy_stats.spool_reopens, 1, memory_order_relaxed);
	return s->fd;
}
static lws_sorted_usec_list_t sweep_sul;
static bool all_closed;

size_t
proxy_session_size(void)
{
	return sizeof(session);
}

long
proxy_open_sessions(void)
{
	return nsessions;
}

/* Schedules a close with code from outside a receive callback. */
static void
request_close(session *s, int code)
{
	if (s->close_code == 0)
		s->close_code = (short) code;
	s->closing = true;
	lws_callback_on_writable(s->wsi);
}

/* Grace for clients to answer our 1001 before the loop stops anyway. */
#define CLOSE_GRACE_MS 3000
static int64_t stop_deadline;

/* Shutdown, first step: close every session; the loop stops when none is left. */
void
proxy_close_all_sessions(void)
{
	if (all_closed)
		return;
	all_closed = true;
	stop_deadline = proxy_now_ms() + CLOSE_GRACE_MS;
	for (session *s = sessions; s; s = s->next)
		request_close(s, LWS_CLOSE_STATUS_GOINGAWAY);
	log_info("event=shutdown sessions=%ld", nsessions);
	if (nsessions == 0)
		proxy_loop_break();
}

void
proxy_sweep_sessions(void)
{
	int64_t		now;

	proxy_flush_sessions();
	now = proxy_now_ms();
	for (session *s = sessions; s; s = s->next)
	{
		if (s->frag && s->frag_len == 0 && now - s->last_ms > FRAG_IDLE_MS)
			frag_release(s);
		if (proxy_cfg.idle_timeout > 0 && !s->closing && now - s->last_ms > (int64_t) proxy_cfg.idle_timeout * 1000)
		{
			log_info("event=idle dump=%s idle_ms=%lld", s->id[0] ? s->id : "-",
					 (long long) (now - s->last_ms));
			atomic_fetch_add_explicit(&proxy_stats.closed_idle, 1, memory_order_relaxed);
			request_close(s, LWS_CLOSE_STATUS_GOINGAWAY);
		}
	}
}

static void
sweep_cb(lws_sorted_usec_list_t *sul)
{
	/*
	 * Buffers of many closed sessions: large ones were mappings, gone at
	 * free() (main.c fixes the mmap threshold); give back the heap's free
	 * tail too, so that RSS falls after an attack.
	 */
	if (frag_freed > TRIM_AFTER_BYTES)
	{
		frag_freed = 0;
		(void) malloc_trim(0);
	}
	if (proxy_stopping)
		proxy_close_all_sessions();		/* in case the wakeup was missed */
	if (all_closed && (nsessions == 0 || proxy_now_ms() > stop_deadline))
		proxy_loop_break();
	proxy_sweep_sessions();
	lws_sul_schedule(proxy_ctx, 0, &sweep_sul, sweep_cb, LWS_US_PER_SEC);
}

/* Copies a header, NULL if absent; bytes of invalid UTF-8 become '?'. */
static char *
header(struct lws *wsi, enum lws_token_indexes h)
{
	int			len = lws_hdr_total_length(wsi, h);
	char	   *buf;

	if (len <= 0)
		return NULL;
	if (len > MAX_HEADER_BYTES)
		len = MAX_HEADER_BYTES;
	buf = malloc((size_t) len + 1);
	if (!buf)
		return NULL;
	if (lws_hdr_copy(wsi, buf, len + 1, h) < 0)
	{
		free(buf);
		return NULL;
	}
	/* Keep the metadata valid JSON text for jsonb: replace bad UTF-8. */
	rtcstats_utf8_repair(buf, strlen(buf), '?');
	return buf;
}

/*
 * Appends s percent-encoded.  lws hands us the URI decoded, so the recorded
 * url is re-encoded the way upstream's Node produces it: the query as
 * URLSearchParams serializes it (upstream sets rtcstats-token, which
 * re-serializes the query: space as '+', only [A-Za-z0-9*-._] kept), the path
 * keeping what a URL path may hold.
 */
static size_t
append_encoded(char *out, size_t n, size_t cap, const char *s, bool query)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *) s; *p && n + 4 < cap; p++)
	{
		unsigned char c = *p;
		bool		keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' || c == '_';

		if (!query && !keep)
			keep = c > 0x20 && c < 0x7f && !strchr("\"#<>?`{}%^", c);
		if (keep)
			out[n++] = (char) c;
		else if (query && c == ' ')
			out[n++] = '+';
		else
		{
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return n;
}

/*
 * The recorded url: path and query as the client sent them, with the value
 * of rtcstats-token replaced by "obfuscated" (upstream extractMetadata).
 */
static char *
recorded_url(struct lws *wsi)
{
	char	   *path = header(wsi, WSI_TOKEN_GET_URI);
	size_t		cap = (path ? strlen(path) * 3 : 1) + 16;
	char	   *url;
	size_t		n = 0;
	char		frag[MAX_HEADER_BYTES];

	for (int i = 0; lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++)
		cap += (size_t) lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) * 3 + 32;
	url = malloc(cap);
	if (!url)
	{
		free(path);
		return NULL;
	}
	url[0] = '\0';
	n = append_encoded(url, n, cap, path ? path : "/", false);
	free(path);
	for (int i = 0, emitted = 0; n + 2 < cap; i++)
	{
		int			l = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		char	   *eq;

		if (l < 0)
			break;
		/*
		 * Empty pairs are dropped, as URLSearchParams does; lws stores an
		 * empty trailing pair ("/x?", "?a=1&") as a last fragment "/".
		 */
		if (l == 0 || (strcmp(frag, "/") == 0 &&
					   lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i + 1) <= 0))
			continue;
		url[n++] = emitted++ ? '&' : '?';
		url[n] = '\0';
		eq = strchr(frag, '=');
		if (eq)
			*eq = '\0';
		n = append_encoded(url, n, cap, frag, true);
		if (n + 2 >= cap)
			break;
		url[n++] = '=';
		url[n] = '\0';
		n = append_encoded(url, n, cap, strcmp(frag, "rtcstats-token") == 0 ? "obfuscated" :
						   eq ? eq + 1 : "", true);
	}
	return url;
}

/* The metadata line (upstream extractMetadata + fileFormat), with "\n". */
static char *
metadata_line(struct lws *wsi, int64_t start_ms, size_t *len)
{
	struct json_object *m = json_object_new_object();
	struct json_object *addrs = json_object_new_array();
	char	   *v;
	char		peer[128] = "";
	char	   *fwd = NULL;
	const char *s;
	char	   *line = NULL;

	if (!m || !addrs)
	{
		json_object_put(m);
		json_object_put(addrs);
		return NULL;
	}
	if ((v = recorded_url(wsi)) != NULL)
	{
		json_object_object_add(m, "url", json_object_new_string(v));
		free(v);
	}
	if ((v = header(wsi, WSI_TOKEN_ORIGIN)) != NULL)
	{
		json_object_object_add(m, "origin", json_object_new_string(v));
		free(v);
	}
	if ((v = header(wsi, WSI_TOKEN_HTTP_USER_AGENT)) != NULL)
	{
		json_object_object_add(m, "userAgent", json_object_new_string(v));
		free(v);
	}
	json_object_object_add(m, "startTime", json_object_new_int64(start_ms));

	lws_get_peer_simple(wsi, peer, sizeof(peer));
	if (proxy_peer_is_trusted(peer))
		fwd = header(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (fwd)
	{
		char	   *save = NULL;
		int			count = 0;

		for (char *t = strtok_r(fwd, ",", &save); t && count < MAX_FORWARDED;
			 t = strtok_r(NULL, ",", &save), count++)
		{
			while (*t == ' ' || *t == '\t')
				t++;
			for (char *e = t + strlen(t); e > t && (e[-1] == ' ' || e[-1] == '\t');)
				*--e = '\0';
			json_object_array_add(addrs, json_object_new_string(t));
		}
		free(fwd);
	}
	if (json_object_array_length(addrs) == 0)
		json_object_array_add(addrs, json_object_new_string(peer));
	if (!proxy_cfg.no_anonymize)
	{
		for (size_t i = 0; i < json_object_array_length(addrs); i++)
		{
			char	   *o = proxy_obfuscate_address(json_object_get_string(json_object_array_get_idx(addrs, i)));

			if (o)
			{
				json_object_array_put_idx(addrs, i, json_object_new_string(o));
				free(o);
			}
		}
	}
	json_object_object_add(m, "remoteAddresses", addrs);
	if ((v = header(wsi, WSI_TOKEN_PROTOCOL)) != NULL)
	{
		json_object_object_add(m, "clientProtocol", json_object_new_string(v));
		free(v);
	}
	json_object_object_add(m, "fileFormat", json_object_new_int(3));
	s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
	{
		*len = strlen(s) + 1;
		line = malloc(*len + 1);
		if (line)
		{
			memcpy(line, s, *len - 1);
			line[*len - 1] = '\n';
			line[*len] = '\0';
		}
	}
	json_object_put(m);
	return line;
}

/* Writes all of iov to fd (a regular file: short writes only on errors). */
static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0)
	{
		ssize_t		w = writev(fd, iov, n);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t) w >= iov->iov_len)
		{
			w -= (ssize_t) iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0)
		{
			iov->iov_base = (char *) iov->iov_base + w;
			iov->iov_len -= (size_t) w;
		}
	}
	return 0;
}

/*
 * Write-behind buffers (see the top of this file).  Sessions holding one are
 * on the dirty list; the counters of accepted messages are published to
 * proxy_stats once per flush instead of twice per message.
 */
static session *dirty_head;
static char *wbuf_free[WBUF_COUNT];
static int	nwbuf_free,
			nwbuf_used;
static uint64_t pending_msgs,
			pending_bytes;

static void
wbuf_release(session *s)
{
	if (!s->wbuf)
		return;
	if (nwbuf_free < WBUF_COUNT)
		wbuf_free[nwbuf_free++] = s->wbuf;
	else
		free(s->wbuf);
	s->wbuf = NULL;
	s->wlen = 0;
	nwbuf_used--;
	if (s->dirty_prev)
		s->dirty_prev->dirty_next = s->dirty_next;
	else
		dirty_head = s->dirty_next;
	if (s->dirty_next)
		s->dirty_next->dirty_prev = s->dirty_prev;
	s->dirty_prev = s->dirty_next = NULL;
}

/*
 * Writes what the session has buffered and gives the buffer back; 0, or -1
 * after logging (the buffered messages are lost: the caller closes the
 * session with 1011, as a failed write always did).
 */
static int
session_flush(session *s)
{
	struct iovec iov;
	int			rc = 0;

	if (!s->wbuf)
		return 0;
	if (s->wlen > 0)
	{
		iov.iov_base = s->wbuf;
		iov.iov_len = s->wlen;
		if (spool_fd(s) < 0 || write_all(s->fd, &iov, 1) != 0)
		{
			log_error("event=spool_error dump=%s error=\"write: %s\"", s->id, strerror(errno));
			rc = -1;
		}
		s->last_ms = proxy_now_ms();
	}
	wbuf_release(s);
	return rc;
}

void
proxy_flush_sessions(void)
{
	while (dirty_head)
	{
		session    *s = dirty_head;

		if (session_flush(s) != 0)
			request_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);
	}
	if (pending_msgs)
	{
		atomic_fetch_add_explicit(&proxy_stats.messages, pending_msgs, memory_order_relaxed);
		atomic_fetch_add_explicit(&proxy_stats.bytes, pending_bytes, memory_order_relaxed);
		pending_msgs = pending_bytes = 0;
	}
}

/* Gives the session a write-behind buffer; false if out of memory. */
static bool
session_take_wbuf(session *s)
{
	if (nwbuf_used >= WBUF_COUNT)
		proxy_flush_sessions();
	if (nwbuf_free > 0)
		s->wbuf = wbuf_free[--nwbuf_free];
	else if ((s->wbuf = malloc(WBUF_SIZE)) == NULL)
		return false;
	nwbuf_used++;
	s->wlen = 0;
	s->dirty_prev = NULL;
	s->dirty_next = dirty_head;
	if (dirty_head)
		dirty_head->dirty_prev = s;
	dirty_head = s;
	return true;
}

/* Sets up the session after the handshake; returns a close code or 0. */
static int
session_open(struct lws *wsi, session *s)
{
	proxy_claims claims = {0};
	char	   *line,
			   *hdr;
	size_t		len,
				hlen = 0;
	struct iovec iov[3];

	if (*proxy_cfg.jwt_secret)
	{
		char		buf[PROXY_JWT_MAX_BYTES + 32];
		const char *tok = lws_get_urlarg_by_name(wsi, "rtcstats-token=", buf, sizeof(buf));
		char		why[128];

		if (proxy_jwt_verify(tok, proxy_cfg.jwt_secret, proxy_cfg.jwt_leeway, time(NULL),
							 &claims, why, sizeof(why)) != 0)
		{
			char		peer[128] = "";
			char	   *o;

			lws_get_peer_simple(wsi, peer, sizeof(peer));
			o = proxy_obfuscate_address(peer);
			log_warn("event=auth_failed peer=%s reason=\"%s\"", o ? o : "-", why);
			free(o);
			atomic_fetch_add_explicit(&proxy_stats.auth_failures, 1, memory_order_relaxed);
			return LWS_CLOSE_STATUS_POLICY_VIOLATION;
		}
	}
	if (proxy_uuid_v4(s->id) != 0)
	{
		proxy_claims_free(&claims);
		return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
	}
	s->start_ms = s->last_ms = proxy_now_ms();
	line = metadata_line(wsi, s->start_ms, &len);
	hdr = proxy_spool_header(s->start_ms, &claims, false, &hlen);
	proxy_claims_free(&claims);
	spool_fd_reserve();
	if (!line || !hdr || (s->fd = proxy_spool_create(proxy_cfg.spool_dir, s->id)) < 0)
	{
		log_error("event=spool_error dump=%s error=\"cannot create spool file in %s: %s\"",
				  s->id, proxy_cfg.spool_dir, strerror(errno));
		free(line);
		free(hdr);
		return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
	}
	s->spooled = true;
	lru_push(s);
	open_spool_fds++;
	iov[0].iov_base = hdr;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *) "RTCStatsDump\n";
	iov[1].iov_len = 13;
	iov[2].iov_base = line;
	iov[2].iov_len = len;
	if (write_all(s->fd, iov, 3) != 0)
	{
		log_error("event=spool_error dump=%s error=\"write: %s\"", s->id, strerror(errno));
		free(line);
		free(hdr);
		spool_fd_close(s);
		s->spooled = false;
		proxy_spool_remove(proxy_cfg.spool_dir, s->id);
		return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
	}
	free(hdr);
	s->bytes = 13 + len;
	log_info("event=open dump=%s auth=%s protocol=%s", s->id, *proxy_cfg.jwt_secret ? "jwt" : "none",
			 lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) > 0 ? "rtcstats#5.0" : "none");
	free(line);
	return 0;
}

/* At LWS_CALLBACK_CLOSED: close line, rename, queue (or drop when empty). */
static void
session_finish(session *s)
{
	int			code = s->close_code ? s->close_code : s->peer_code ? s->peer_code : 1006;

	if (s->spooled)
	{
		char		line[64];
		size_t		len = proxy_close_line(line, sizeof(line), code, proxy_now_ms() - s->last_ms);
		struct iovec iov = {line, len};
		bool		ok;

		/* What the session still buffers goes first (there is none without a message). */
		(void) session_flush(s);
		if (s->msgs == 0)
			ok = true;			/* removed below: no need to reopen an evicted fd */
		else
			ok = spool_fd(s) >= 0 && write_all(s->fd, &iov, 1) == 0;
		spool_fd_close(s);
		s->spooled = false;
		if (s->msgs == 0)
		{
			/* Upstream drops sessions without a message (handleWebSocket). */
			proxy_spool_remove(proxy_cfg.spool_dir, s->id);
			atomic_fetch_add_explicit(&proxy_stats.sessions_empty, 1, memory_order_relaxed);
			log_info("event=dropped dump=%s reason=empty code=%d", s->id, code);
		}
		else if (proxy_spool_complete(proxy_cfg.spool_dir, s->id) != 0)
		{
			/* Left as .part: the next start completes it. */
			log_error("event=spool_error dump=%s error=\"cannot complete: %s\"", s->id,
					  strerror(errno));
		}
		else
		{
			/*
			 * Without its close line (disk full) the dump is still worth
			 * storing: the pipeline's reader skips a torn last line.
			 */
			if (!ok)
				log_error("event=spool_error dump=%s error=\"close line not written: %s\"",
						  s->id, strerror(errno));
			atomic_fetch_add_explicit(&proxy_stats.sessions_spooled, 1, memory_order_relaxed);
			log_info("event=closed dump=%s code=%d messages=%llu bytes=%llu bad=%u", s->id, code,
					 (unsigned long long) s->msgs, (unsigned long long) s->bytes, s->bad);
			proxy_uploader_queue(s->id);
		}
	}
	wbuf_release(s);
	frag_release(s);
	if (s->prev)
		s->prev->next = s->next;
	else if (sessions == s)
		sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	nsessions--;
	atomic_fetch_sub_explicit(&proxy_stats.connections, 1, memory_order_relaxed);
	if (all_closed && nsessions == 0)
		proxy_loop_break();
}

/*
 * Raw CR and LF in a valid message can only be JSON whitespace between
 * tokens (jsonscan.c refuses control characters inside strings): stored as
 * they are, they would split the message's line in the dump, and the reader
 * would see two broken events.  Made spaces, the message means the same.
 */
static void
normalize_line_breaks(char *msg, size_t len)
{
	bool		changed = false;

	for (char *p = msg, *end = msg + len; (p = memchr(p, '\n', (size_t) (end - p))) != NULL; p++)
	{
		*p = ' ';
		changed = true;
	}
	for (char *p = msg, *end = msg + len; (p = memchr(p, '\r', (size_t) (end - p))) != NULL; p++)
	{
		*p = ' ';
		changed = true;
	}
	if (changed)
		atomic_fetch_add_explicit(&proxy_stats.messages_normalized, 1, memory_order_relaxed);
}

/* One complete message (modified in place): returns a close code or 0. */
static int
session_message(session *s, char *msg, size_t len, bool binary)
{
	struct iovec iov[2];

	if (binary || !proxy_json_is_array(msg, len))
	{
		s->bad++;
		atomic_fetch_add_explicit(&proxy_stats.bad_messages, 1, memory_order_relaxed);
		if (s->bad > (uint32_t) proxy_cfg.max_bad_messages)
		{
			log_warn("event=abuse dump=%s bad_messages=%u", s->id, s->bad);
			atomic_fetch_add_explicit(&proxy_stats.closed_abuse, 1, memory_order_relaxed);
			return LWS_CLOSE_STATUS_INVALID_PAYLOAD;
		}
		return 0;
	}
	normalize_line_breaks(msg, len);
	if (s->bytes + len + 1 + 64 > proxy_cfg.max_dump_bytes)
	{
		log_warn("event=dump_too_large dump=%s bytes=%llu", s->id, (unsigned long long) s->bytes);
		atomic_fetch_add_explicit(&proxy_stats.closed_oversize, 1, memory_order_relaxed);
		return LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
	}
	/* No room left: write out what is buffered first, keeping the order. */
	if (s->wbuf && len + 1 > WBUF_SIZE - s->wlen && session_flush(s) != 0)
		return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
	if (len + 1 <= WBUF_SIZE && (s->wbuf || session_take_wbuf(s)))
	{
		memcpy(s->wbuf + s->wlen, msg, len);
		s->wbuf[s->wlen + len] = '\n';
		s->wlen += len + 1;
	}
	else
	{
		/* Larger than a buffer (or no memory for one): straight to the file. */
		iov[0].iov_base = (void *) msg;
		iov[0].iov_len = len;
		iov[1].iov_base = (void *) "\n";
		iov[1].iov_len = 1;
		if (spool_fd(s) < 0 || write_all(s->fd, iov, 2) != 0)
		{
			log_error("event=spool_error dump=%s error=\"write: %s\"", s->id, strerror(errno));
			return LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
		}
		s->last_ms = proxy_now_ms();
	}
	s->bytes += len + 1;
	s->msgs++;
	pending_msgs++;
	pending_bytes += len;
	return 0;
}

static int
close_now(struct lws *wsi, session *s, int code, const char *reason)
{
	s->close_code = (short) code;
	s->closing = true;
	lws_close_reason(wsi, (enum lws_close_status) code, (unsigned char *) reason, strlen(reason));
	return -1;
}

static const char *
close_reason(int code)
{
	switch (code)
	{
		case LWS_CLOSE_STATUS_GOINGAWAY:
			return "going away";
		case LWS_CLOSE_STATUS_INVALID_PAYLOAD:
			return "too many invalid messages";
		case LWS_CLOSE_STATUS_POLICY_VIOLATION:
			return "unauthorized";
		case LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE:
			return "too large";
		case CLOSE_TRY_AGAIN_LATER:
			return "too many connections";
		default:
			return "internal error";
	}
}

static int
ws_receive(struct lws *wsi, session *s, char *in, size_t len)
{
	bool		final = lws_is_final_fragment(wsi);
	int			code;

	if (s->closing || !s->spooled)
		return 0;
	if (lws_is_first_fragment(wsi) && s->frag_len == 0)
		s->binary = lws_frame_is_binary(wsi);
	if (s->frag_len + len > proxy_cfg.max_message_bytes)
	{
		log_warn("event=message_too_large dump=%s bytes=%zu", s->id, s->frag_len + len);
		atomic_fetch_add_explicit(&proxy_stats.closed_oversize, 1, memory_order_relaxed);
		return close_now(wsi, s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
	}
	if (final && s->frag_len == 0)
		code = session_message(s, in, len, s->binary);	/* the common case: no copy */
	else
	{
		if (s->frag_len + len > s->frag_cap)
		{
			size_t		ncap = s->frag_cap ? s->frag_cap : 4096;
			char	   *n;

			while (ncap < s->frag_len + len)
				ncap *= 2;
			if (ncap > proxy_cfg.max_message_bytes)
				ncap = proxy_cfg.max_message_bytes;
			/*
			 * All sessions' half-received messages together: past
			 * max-pending-bytes this one goes (1013, Try Again Later), the
			 * others keep theirs.  Held per session: max-message-bytes.
			 */
			if (frag_total - s->frag_cap + ncap > proxy_cfg.max_pending_bytes)
			{
				static int64_t last_ms;
				static unsigned long skipped;

				if (noisy_log_ok(&last_ms, &skipped))
				{
					log_warn("event=pending_limit dump=%s pending_bytes=%zu max_pending_bytes=%zu skipped=%lu",
							 s->id, frag_total, proxy_cfg.max_pending_bytes, skipped);
					skipped = 0;
				}
				atomic_fetch_add_explicit(&proxy_stats.closed_pending, 1, memory_order_relaxed);
				frag_release(s);
				return close_now(wsi, s, CLOSE_TRY_AGAIN_LATER, "server busy");
			}
			n = realloc(s->frag, ncap);
			if (!n)
				return close_now(wsi, s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
			frag_total += ncap - s->frag_cap;
			atomic_store_explicit(&proxy_stats.pending_bytes, (long) frag_total, memory_order_relaxed);
			s->frag = n;
			s->frag_cap = ncap;
		}
		memcpy(s->frag + s->frag_len, in, len);
		s->frag_len += len;
		if (!final)
			return 0;
		code = session_message(s, s->frag, s->frag_len, s->binary);
		/*
		 * Kept for the next message of a busy session (no malloc per
		 * fragmented message); the sweep frees it once the session is quiet,
		 * so idle connections hold no buffer.
		 */
		s->frag_len = 0;
		if (s->frag_cap > FRAG_KEEP_MAX)
			frag_release(s);
	}
	if (code)
		return close_now(wsi, s, code, close_reason(code));
	return 0;
}

int
proxy_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			   size_t len)
{
	session    *s = user;

	switch (reason)
	{
		case LWS_CALLBACK_PROTOCOL_INIT:
			lws_sul_schedule(proxy_ctx, 0, &sweep_sul, sweep_cb, LWS_US_PER_SEC);
			break;

		case LWS_CALLBACK_PROTOCOL_DESTROY:
			lws_sul_cancel(&sweep_sul);
			proxy_flush_sessions();
			while (nwbuf_free > 0)
				free(wbuf_free[--nwbuf_free]);
			break;

		case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
			proxy_http_uploads_completed();
			if (proxy_stopping)
				proxy_close_all_sessions();
			break;

		case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
			/* After SIGTERM: accept nothing new. */
			if (proxy_stopping)
				return -1;
			if (live_sockets >= socket_budget)
			{
				static int64_t last_ms;
				static unsigned long skipped;
				bool		evicted = proxy_evict_unserved();

				if (noisy_log_ok(&last_ms, &skipped))
				{
					log_warn("event=%s reason=sockets sockets=%ld budget=%ld skipped=%lu",
							 evicted ? "evicted" : "refused", live_sockets, socket_budget, skipped);
					skipped = 0;
				}
				if (!evicted)
				{
					atomic_fetch_add_explicit(&proxy_stats.sockets_refused, 1, memory_order_relaxed);
					return -1;
				}
			}
			return 0;

		case LWS_CALLBACK_WSI_CREATE:
			live_sockets++;
			atomic_store_explicit(&proxy_stats.sockets, live_sockets, memory_order_relaxed);
			break;

		case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
			/* Not at WSI_CREATE: lws sets the opaque pointer after it (adopt.c). */
			{
				unserved   *u = calloc(1, sizeof(*u));

				if (u)
				{
					u->wsi = wsi;
					u->prev = unserved_tail;
					if (unserved_tail)
						unserved_tail->next = u;
					else
						unserved_head = u;
					unserved_tail = u;
					lws_set_opaque_user_data(wsi, u);
				}
			}
			break;

		case LWS_CALLBACK_WSI_DESTROY:
			live_sockets--;
			atomic_store_explicit(&proxy_stats.sockets, live_sockets, memory_order_relaxed);
			if (lws_get_opaque_user_data(wsi) == (void *) &evicted_mark)
			{
				lws_set_opaque_user_data(wsi, NULL);
				evicting--;
			}
			else if (lws_get_opaque_user_data(wsi))
			{
				/* lws never got a whole request (or upgrade) from it: unlinked here. */
				mark_served(wsi);
				if (!proxy_stopping)
					atomic_fetch_add_explicit(&proxy_stats.requests_incomplete, 1,
											  memory_order_relaxed);
			}
			break;

		case LWS_CALLBACK_ESTABLISHED:
			{
				int			code;

				mark_served(wsi);
				/* An HTTP keep-alive connection that upgraded: drop its HTTP state. */
				if (s->http)
					proxy_http_callback(wsi, LWS_CALLBACK_CLOSED_HTTP, &s->http, NULL, 0);
				memset(s, 0, sizeof(*s));
				s->wsi = wsi;
				s->fd = -1;
				s->is_ws = true;
				s->next = sessions;
				if (sessions)
					sessions->prev = s;
				sessions = s;
				nsessions++;
				s->start_ms = s->last_ms = proxy_now_ms();
				atomic_fetch_add_explicit(&proxy_stats.connections, 1, memory_order_relaxed);
				atomic_fetch_add_explicit(&proxy_stats.connections_total, 1, memory_order_relaxed);
				if (proxy_stopping || all_closed)
					code = LWS_CLOSE_STATUS_GOINGAWAY;
				else if (nsessions > proxy_cfg.max_connections)
				{
					log_warn("event=rejected reason=max_connections sessions=%ld", nsessions);
					code = CLOSE_TRY_AGAIN_LATER;
				}
				else
					code = session_open(wsi, s);
				if (code)
				{
					if (code != LWS_CLOSE_STATUS_POLICY_VIOLATION)
						atomic_fetch_add_explicit(&proxy_stats.connections_rejected, 1,
												  memory_order_relaxed);
					request_close(s, code);
				}
				break;
			}

		case LWS_CALLBACK_RECEIVE:
			return ws_receive(wsi, s, in, len);

		case LWS_CALLBACK_SERVER_WRITEABLE:
			if (s->close_code)
			{
				const char *r = close_reason(s->close_code);

				lws_close_reason(wsi, (enum lws_close_status) s->close_code,
								 (unsigned char *) r, strlen(r));
				return -1;
			}
			break;

		case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
			if (len >= 2)
				s->peer_code = (short) ((((const unsigned char *) in)[0] << 8) |
										((const unsigned char *) in)[1]);
			else
				s->peer_code = LWS_CLOSE_STATUS_NO_STATUS;
			break;

		case LWS_CALLBACK_CLOSED:
			if (s && s->is_ws)
			{
				session_finish(s);
				s->is_ws = false;
			}
			break;

		case LWS_CALLBACK_HTTP:
			mark_served(wsi);
			if (!s)
				break;
			return proxy_http_callback(wsi, reason, &s->http, in, len);

		case LWS_CALLBACK_HTTP_BODY:
		case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		case LWS_CALLBACK_HTTP_WRITEABLE:
		case LWS_CALLBACK_CLOSED_HTTP:
		case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			if (!s)
				break;
			return proxy_http_callback(wsi, reason, &s->http, in, len);

		default:
			break;
	}
	return 0;
}
