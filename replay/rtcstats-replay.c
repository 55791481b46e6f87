/*
 * rtcstats-replay: send recorded rtcstats dumps to a WebSocket server, as the
 * rtcstats-js client originally sent them.
 *
 * One lws client context and one event loop drive every connection (no
 * thread per connection), so thousands of them cost a socket and a small
 * struct each.  Original pacing uses an lws timer per connection; --fast
 * writes while the socket takes it, a batch per WRITEABLE callback.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "replay.h"

#define REPLAY_PROTOCOL		"rtcstats#5.0"
#define DEFAULT_MAX_PENDING	256		/* handshakes in flight: a listen backlog is ~128-4096 */
#define BATCH_BYTES			(64 * 1024)	/* --fast: frames written per WRITEABLE */
#define FD_HEADROOM			64		/* descriptors besides the connections */
#define CONFIRM_TIMEOUT_S	10		/* how long to wait for the pong of the final ping */

typedef enum conn_state
{
	CONN_WAITING,				/* not started yet */
	CONN_CONNECTING,
	CONN_OPEN,
	CONN_DONE
} conn_state;

typedef enum conn_result
{
	RES_OK,
	RES_CONNECT_FAILED,
	RES_CLOSED_BY_SERVER,		/* the server closed before we were done */
	RES_DROPPED,				/* the connection ended without a close frame */
	RES_INTERRUPTED,
	RES_UNCONFIRMED				/* everything sent, but the final ping got no pong */
} conn_result;

static void release_if_all_open(void);

static const char *const result_names[] = {
	"ok", "connect-failed", "closed-by-server", "dropped", "interrupted", "unconfirmed"
};

typedef struct conn
{
	int			id;
	const replay_dump *dump;
	struct lws *wsi;
	conn_state	state;
	conn_result result;
	size_t		next;			/* next message to send */
	size_t		sent;			/* messages sent, over every --repeat round */
	long		round;			/* --repeat rounds completed */
	size_t		limit;			/* messages to send (--max-messages) */
	size_t		bytes;
	lws_usec_t	t_connect;
	lws_usec_t	t_open;
	lws_usec_t	t_end;
	double		due_us;			/* pacing: when message `next` is due, from t_open */
	int			peer_close;		/* code of a close frame the server sent first, or 0 */
	bool		close_started;	/* we sent our close (or dropped on purpose) */
	bool		lingered;		/* the --linger wait is over or running */
	enum
	{
		CONFIRM_NONE, CONFIRM_PING_SENT, CONFIRM_DONE
	}			confirm;		/* the ping after the last message */
	bool		write_failed;	/* stop writing; lws still reads what the server sent */
	bool		no_pong;		/* the final ping was never answered */
	char		error[160];
	lws_sorted_usec_list_t sul; /* pacing timer */
} conn;

typedef struct options
{
	const char *url;
	const char *token;
	const char *origin;
	const char *user_agent;
	bool		original_headers;
	bool		fast;
	double		speed;
	double		max_delay_ms;
	int			connections;
	int			max_pending;
	long		max_messages;
	long		repeat;
	int			close_code;		/* 0 = original; -1 = no close frame */
	bool		wait_all;
	double		linger_s;
	bool		quiet;
	bool		insecure;
	int			verbose;
} options;

static options opt = {
	.original_headers = true, .speed = 1.0, .max_delay_ms = -1, .connections = 1,
	.max_pending = DEFAULT_MAX_PENDING, .max_messages = -1, .repeat = 1, .close_code = 1000
};

/* the URL, split */
static char url_buf[4096];
static const char *url_scheme;
static const char *url_host;
static int	url_port;
static char url_path[4096];
static bool url_tls;

static replay_dump *dumps;
static int	ndumps;
static conn *conns;
static int	next_to_start;
static int	connecting;
static int	opened;			/* connections that completed the handshake */
static int	connect_failed;
static bool released;		/* --wait-all: every connection is open */
static int	finished;
static unsigned char *scratch;	/* LWS_PRE + longest message: lws masks in place */
static unsigned char *batch;	/* --fast: LWS_PRE + frames built here */
static uint64_t mask_state = 0x9e3779b97f4a7c15ULL;	/* xorshift64 for mask keys */
static struct lws_context *context;
static volatile sig_atomic_t interrupted;
static lws_usec_t t_begin;
static lws_usec_t t_all_open;	/* when the last handshake completed (or failed) */

static void start_more(void);

static void
usage(FILE *f)
{
	fprintf(f,
			"NAME\n"
			"    rtcstats-replay - send recorded rtcstats dumps to a WebSocket server\n"
			"\n"
			"SYNOPSIS\n"
			"    rtcstats-replay [OPTIONS] URL FILE...\n"
			"\n"
			"DESCRIPTION\n"
			"    Reads each FILE, an rtcstats dump in file format 3 (plain or gzip, as\n"
			"    rtcstats-server or rtcstats-proxy stores it), and sends the messages its\n"
			"    client sent to URL (ws://host[:port]/path?query or wss://...) over a\n"
			"    WebSocket with subprotocol " REPLAY_PROTOCOL ", one text message per line,\n"
			"    byte for byte.  The lines the server wrote are not sent: \"RTCStatsDump\",\n"
			"    the metadata line and the final [\"close\", null, code, delta] line.\n"
			"    By default the Origin and User-Agent headers are those of the\n"
			"    metadata line, so a proxy records what the original server recorded.\n"
			"\n"
			"    With -c N, N connections run at once in one event loop, connection i\n"
			"    replaying FILE number i modulo the number of files.  After its last\n"
			"    message a connection sends a ping; the server's pong proves it read every\n"
			"    message (a server refusing one sends its close frame first, which is\n"
			"    reported).  Then it ends with a close frame (code 1000 unless\n"
			"    --close-code says otherwise).\n"
			"    rtcstats-replay then prints one line per connection and a total line.\n"
			"\n"
			"OPTIONS\n"
			"    --pace original   reproduce the recorded timing: each message waits for\n"
			"                      its time delta (the last array element) divided by\n"
			"                      --speed (the default)\n"
			"    --speed X         play X times faster than recorded (default 1)\n"
			"    --max-delay MS    never wait more than MS ms between two messages\n"
			"    --fast, --pace fast\n"
			"                      send as fast as the socket takes it (no timing)\n"
			"    -c, --connections N\n"
			"                      open N connections in parallel (default 1); the open\n"
			"                      file limit is raised as needed\n"
			"    --max-pending N   at most N handshakes in flight at once (default %d)\n"
			"    --wait-all        open every connection before any sends, so that all N\n"
			"                      are concurrent (a load test); pacing starts then\n"
			"    --linger S        after the last message, keep each connection open and\n"
			"                      idle for S seconds before closing\n"
			"    --token JWT       add the query parameter rtcstats-token=JWT to URL\n"
			"    --origin ORIGIN   Origin header (default: the dump's \"origin\")\n"
			"    --user-agent UA   User-Agent header (default: the dump's \"userAgent\")\n"
			"    --no-original-headers\n"
			"                      send neither Origin nor User-Agent unless given above\n"
			"    --max-messages N  send only the first N messages of each dump, then\n"
			"                      close as configured\n"
			"    --repeat N        send the dump's messages N times over each connection\n"
			"                      (a longer stream for benchmarks; default 1)\n"
			"    --close-code CODE close with CODE (1000-4999, default 1000); \"original\"\n"
			"                      uses the code of the dump's close line: 1005 sends an\n"
			"                      empty close frame, 1006 drops the connection\n"
			"    --no-close        when done, drop the TCP connection without a close\n"
			"                      frame (what a crashed or killed browser does)\n"
			"    -k, --insecure    with wss://, accept any server certificate\n"
			"    -q, --quiet       print only failed connections and the total line\n"
			"    -v, --verbose     libwebsockets warnings (twice: notices and info)\n"
			"    -h, --help        show this help\n"
			"\n"
			"OUTPUT\n"
			"    One line per connection, key=value:\n"
			"      conn=0 file=call.gz result=ok messages=137/137 bytes=203411\n"
			"        seconds=0.012 close=1000\n"
			"    result is ok (every message sent and read by the server), connect-failed,\n"
			"    closed-by-server (server_close= gives the server's close code, e.g. 1008\n"
			"    for a refused token), dropped (the connection ended without a close\n"
			"    frame), unconfirmed (no pong to the final ping within %d s) or\n"
			"    interrupted (SIGINT/SIGTERM).\n"
			"    Then one line of totals:\n"
			"      total connections=100 ok=100 failed=0 messages=13700 bytes=20341100\n"
			"        seconds=0.52 open_seconds=0.05 msgs_per_s=26346 mb_per_s=37.3\n"
			"    seconds runs from the first connection attempt to the last close,\n"
			"    open_seconds to the last completed handshake.\n"
			"\n"
			"EXIT STATUS\n"
			"    0 when every connection sent all its messages and closed as asked;\n"
			"    1 when a connection failed, was closed by the server or dropped, or a\n"
			"    file could not be read; 2 on a usage error.\n"
			"\n"
			"EXAMPLES\n"
			"    rtcstats-replay ws://127.0.0.1:8080/ call.rtcstats.gz\n"
			"    rtcstats-replay --speed 10 --token \"$JWT\" ws://proxy:8080/app call.gz\n"
			"    rtcstats-replay --fast -q -c 5000 ws://127.0.0.1:8080/ dumps/*.gz\n",
			DEFAULT_MAX_PENDING, CONFIRM_TIMEOUT_S);
}

static lws_usec_t
now_us(void)
{
	return lws_now_usecs();
}

static void
finish(conn *c, conn_result r)
{
	if (c->state == CONN_DONE)
		return;
	if (c->state == CONN_CONNECTING)
	{
		connecting--;
		connect_failed++;
	}
	c->state = CONN_DONE;
	c->result = r;
	c->t_end = now_us();
	lws_sul_cancel(&c->sul);
	finished++;
}

/*
 * --wait-all: once every connection is open (or failed to open), they all
 * start sending, so N connections really are concurrent.
 */
static void
release_if_all_open(void)
{
	lws_usec_t	now;

	if (opened + connect_failed >= opt.connections && t_all_open == 0)
		t_all_open = now_us();
	if (!opt.wait_all || released || opened + connect_failed < opt.connections)
		return;
	released = true;
	now = now_us();
	for (int i = 0; i < opt.connections; i++)
		if (conns[i].state == CONN_OPEN && conns[i].wsi != NULL)
		{
			conns[i].t_open = now;	/* pacing starts now, not at the handshake */
			lws_callback_on_writable(conns[i].wsi);
		}
}

/* Pacing timer: the next message is due. */
static void
pace_due(lws_sorted_usec_list_t *sul)
{
	conn	   *c = lws_container_of(sul, conn, sul);

	if (c->wsi != NULL && c->state == CONN_OPEN)
		lws_callback_on_writable(c->wsi);
}

/* No pong to the final ping: say so and end the connection anyway. */
static void
confirm_timeout(lws_sorted_usec_list_t *sul)
{
	conn	   *c = lws_container_of(sul, conn, sul);

	if (c->wsi == NULL || c->state != CONN_OPEN || c->confirm != CONFIRM_PING_SENT)
		return;
	snprintf(c->error, sizeof(c->error), "no pong within %d s after the last message",
			 CONFIRM_TIMEOUT_S);
	c->no_pong = true;
	c->confirm = CONFIRM_DONE;
	lws_callback_on_writable(c->wsi);
}

/* The gap before message i, as paced: delta / speed, capped by --max-delay. */
static double
gap_us(const conn *c, size_t i)
{
	double		d = c->dump->msgs[i].delta_ms;

	if (opt.max_delay_ms >= 0 && d > opt.max_delay_ms)
		d = opt.max_delay_ms;
	return d * 1000.0 / opt.speed;
}

/* Counts a message as sent; --repeat starts over on the same connection. */
static void
advance(conn *c, size_t len)
{
	c->bytes += len;
	c->next++;
	c->sent++;
	if (c->next >= c->limit && c->round + 1 < opt.repeat)
	{
		c->round++;
		c->next = 0;			/* pacing continues */
	}
}

/* Sends one message with lws_write (paced mode); false when lws failed. */
static bool
send_one(conn *c)
{
	const replay_msg *m = &c->dump->msgs[c->next];
	int			n;

	memcpy(scratch + LWS_PRE, m->data, m->len);
	n = lws_write(c->wsi, scratch + LWS_PRE, m->len, LWS_WRITE_TEXT);
	if (n < (int) m->len)
	{
		snprintf(c->error, sizeof(c->error), "write failed after %zu messages", c->sent);
		c->write_failed = true;
		return false;
	}
	advance(c, m->len);
	return true;
}

/*
 * Appends data as one masked text frame (RFC 6455 section 5.2) at out and
 * returns its size (at most len + 14).  --fast builds its frames itself so
 * that one write carries many messages: lws_write frames one message per
 * call, a system call each, which made the client the benchmark's bottleneck.
 */
static size_t
frame_text(unsigned char *out, const char *data, size_t len)
{
	unsigned char key[4];
	uint64_t	k8;
	size_t		h = 0;
	size_t		i = 0;

	mask_state ^= mask_state << 13;
	mask_state ^= mask_state >> 7;
	mask_state ^= mask_state << 17;
	memcpy(key, &mask_state, 4);
	out[h++] = 0x81;			/* FIN, text */
	if (len < 126)
		out[h++] = (unsigned char) (0x80 | len);
	else if (len <= 0xffff)
	{
		out[h++] = 0x80 | 126;
		out[h++] = (unsigned char) (len >> 8);
		out[h++] = (unsigned char) len;
	}
	else
	{
		out[h++] = 0x80 | 127;
		for (int b = 7; b >= 0; b--)
			out[h++] = (unsigned char) ((uint64_t) len >> (8 * b));
	}
	memcpy(out + h, key, 4);
	h += 4;
	memcpy(&k8, key, 4);
	memcpy((unsigned char *) &k8 + 4, key, 4);
	for (; i + 8 <= len; i += 8)
	{
		uint64_t	v;

		memcpy(&v, data + i, 8);
		v ^= k8;
		memcpy(out + h + i, &v, 8);
	}
	for (; i < len; i++)
		out[h + i] = (unsigned char) data[i] ^ key[i & 3];
	return h + len;
}

/* --fast: as many whole frames as fit in BATCH_BYTES (at least one), one write. */
static bool
send_batch(conn *c)
{
	unsigned char *out = batch + LWS_PRE;
	size_t		used = 0;
	size_t		first = c->sent;

	while (c->next < c->limit)
	{
		const replay_msg *m = &c->dump->msgs[c->next];

		if (used > 0 && used + m->len + 14 > BATCH_BYTES)
			break;
		used += frame_text(out + used, m->data, m->len);
		advance(c, m->len);
		if (c->next == 0)
			break;				/* a --repeat round ended: let the loop look again */
	}
	if (lws_write(c->wsi, out, used, LWS_WRITE_RAW) < (int) used)
	{
		snprintf(c->error, sizeof(c->error), "write failed after %zu messages", first);
		c->write_failed = true;
		return false;
	}
	return true;
}

/*
 * Ends the connection as configured, from a WRITEABLE callback (so every
 * message is flushed first: lws holds WRITEABLE back while it has buffered
 * output).  Returns what the callback must return.
 */
static int
close_now(conn *c)
{
	int			code = opt.close_code;

	c->close_started = true;
	if (code == 0)				/* original */
		code = c->dump->close_code ? c->dump->close_code : 1000;
	if (code == -1 || code == 1006)
		return -1;				/* no close reason set: lws drops without a close frame */
	if (code == 1005)
	{
		/*
		 * An empty close frame, as a browser's close() without a code sends
		 * (the server then records 1005).  lws has no public call for one
		 * (lws_close_reason always adds a code), so write the masked frame
		 * ourselves: safe here, since WRITEABLE means lws holds no buffered
		 * output, and lws then handles the server's close reply.
		 */
		static const unsigned char frame[6] = {0x88, 0x80, 0x5a, 0x17, 0xc3, 0x9e};

		if (send(lws_get_socket_fd(c->wsi), frame, sizeof(frame), MSG_NOSIGNAL) !=
			(ssize_t) sizeof(frame))
			return -1;
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, 5);
		return 0;
	}
	lws_close_reason(c->wsi, (enum lws_close_status) code, NULL, 0);
	return -1;
}

/*
 * A write failed: the server has probably closed.  Rather than closing at
 * once, stop writing and let lws read what the server sent before, so a close
 * frame (1008, 1009, ...) in flight is still seen; lws closes the socket when
 * it notices, or at this timeout.
 */
static int
write_failed(conn *c)
{
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
	return 0;
}

static int
on_writeable(conn *c)
{
	lws_usec_t	now;

	if (c->write_failed)
		return 0;
	if (c->close_started)
		return 0;				/* waiting for the server's close echo */
	if (c->next >= c->limit)
	{
		if (c->confirm == CONFIRM_NONE)
		{
			/*
			 * Before closing, a ping: the server answers it only after reading
			 * every earlier message, so a close frame it sent about one of them
			 * (1008, 1009, 1007) arrives first and is reported.  Closing at once
			 * would race it: lws takes a server close that crosses ours for the
			 * acknowledgement and never reports its code.
			 */
			c->confirm = CONFIRM_PING_SENT;
			if (lws_write(c->wsi, scratch + LWS_PRE, 0, LWS_WRITE_PING) < 0)
				return write_failed(c);
			lws_sul_schedule(context, 0, &c->sul, confirm_timeout,
							 (lws_usec_t) CONFIRM_TIMEOUT_S * LWS_US_PER_SEC);
			return 0;
		}
		if (c->confirm == CONFIRM_PING_SENT)
			return 0;			/* the pong (or its timeout) calls back */
		if (opt.linger_s > 0 && !c->lingered)
		{
			/* stay open and idle, e.g. to measure a server's idle footprint */
			c->lingered = true;
			lws_sul_schedule(context, 0, &c->sul, pace_due,
							 (lws_usec_t) (opt.linger_s * LWS_US_PER_SEC));
			return 0;
		}
		return close_now(c);
	}
	if (opt.fast)
	{
		/* lws calls back only once the kernel took the previous batch */
		if (!send_batch(c))
			return write_failed(c);
		lws_callback_on_writable(c->wsi);
		return 0;
	}

	/*
	 * Original pacing: c->due_us is when message c->next is due (from t_open).
	 * Send whatever is due, then sleep on the timer until the next one.
	 */
	now = now_us();
	while (c->next < c->limit && c->t_open + (lws_usec_t) c->due_us <= now)
	{
		if (!send_one(c))
			return write_failed(c);
		if (c->next < c->limit)
			c->due_us += gap_us(c, c->next);
		if (lws_send_pipe_choked(c->wsi))
			break;
	}
	if (c->next >= c->limit || lws_send_pipe_choked(c->wsi))
		lws_callback_on_writable(c->wsi);
	else
		lws_sul_schedule(context, 0, &c->sul, pace_due,
						 c->t_open + (lws_usec_t) c->due_us - now);
	return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	conn	   *c = user;

	switch (reason)
	{
		case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
			{
				unsigned char **p = in;
				const char *ua = opt.user_agent;

				if (ua == NULL && opt.original_headers && c != NULL)
					ua = c->dump->user_agent;
				if (ua != NULL &&
					lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT,
												 (const unsigned char *) ua, (int) strlen(ua),
												 p, *p + len))
					return -1;
				break;
			}

		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			if (c == NULL)
				break;
			snprintf(c->error, sizeof(c->error), "%s",
					 in ? (const char *) in : "connection failed");
			c->wsi = NULL;
			finish(c, RES_CONNECT_FAILED);
			start_more();
			release_if_all_open();
			break;

		case LWS_CALLBACK_CLIENT_ESTABLISHED:
			connecting--;
			opened++;
			c->state = CONN_OPEN;
			c->t_open = now_us();
			c->due_us = 0;
			start_more();
			if (!opt.wait_all)
				lws_callback_on_writable(wsi);	/* the first message goes at once */
			release_if_all_open();
			break;

		case LWS_CALLBACK_CLIENT_WRITEABLE:
			if (c == NULL || c->state != CONN_OPEN || (opt.wait_all && !released))
				break;
			if (interrupted)
			{
				lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
				return -1;
			}
			return on_writeable(c);

		case LWS_CALLBACK_CLIENT_RECEIVE:
			break;				/* the server sends nothing back (spec section 1) */

		case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
			if (c != NULL && c->confirm == CONFIRM_PING_SENT)
			{
				lws_sul_cancel(&c->sul);
				c->confirm = CONFIRM_DONE;
				lws_callback_on_writable(wsi);
			}
			break;

		case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
			if (c != NULL && !c->close_started && c->peer_close == 0)
			{
				const unsigned char *b = in;

				c->peer_close = len >= 2 ? (b[0] << 8 | b[1]) : 1005;
				if (len > 2)
					snprintf(c->error, sizeof(c->error), "%.*s",
							 (int) (len - 2 < 120 ? len - 2 : 120), (const char *) b + 2);
			}
			break;

		case LWS_CALLBACK_CLIENT_CLOSED:
			if (c == NULL)
				break;
			c->wsi = NULL;
			if (interrupted && !c->close_started)
				finish(c, RES_INTERRUPTED);
			else if (c->peer_close != 0)
				finish(c, RES_CLOSED_BY_SERVER);
			else if (c->close_started)
				finish(c, c->no_pong ? RES_UNCONFIRMED : RES_OK);
			else
				finish(c, RES_DROPPED);
			break;

		case LWS_CALLBACK_WSI_DESTROY:
			if (c != NULL && c->state != CONN_DONE)
			{
				c->wsi = NULL;
				if (c->state == CONN_CONNECTING)
				{
					if (c->error[0] == '\0')
						snprintf(c->error, sizeof(c->error), "connection failed");
					finish(c, RES_CONNECT_FAILED);
				}
				else
					finish(c, c->close_started ? RES_OK : RES_DROPPED);
				start_more();
			}
			break;

		default:
			break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{REPLAY_PROTOCOL, callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

/* Starts connections until max_pending handshakes are in flight. */
static void
start_more(void)
{
	while (!interrupted && next_to_start < opt.connections && connecting < opt.max_pending)
	{
		conn	   *c = &conns[next_to_start++];
		struct lws_client_connect_info i;
		const char *origin = opt.origin;

		if (origin == NULL && opt.original_headers)
			origin = c->dump->origin;
		memset(&i, 0, sizeof(i));
		i.context = context;
		i.address = url_host;
		i.port = url_port;
		i.path = url_path;
		i.host = url_host;
		i.origin = origin;
		i.protocol = REPLAY_PROTOCOL;
		i.ietf_version_or_minus_one = -1;
		i.userdata = c;
		i.pwsi = &c->wsi;
		if (url_tls)
			i.ssl_connection = LCCSCF_USE_SSL |
				(opt.insecure ? LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
				 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE : 0);
		c->state = CONN_CONNECTING;
		c->t_connect = now_us();
		connecting++;
		if (lws_client_connect_via_info(&i) == NULL && c->state != CONN_DONE)
		{
			if (c->error[0] == '\0')
				snprintf(c->error, sizeof(c->error), "could not start the connection");
			c->wsi = NULL;
			finish(c, RES_CONNECT_FAILED);
		}
	}
	release_if_all_open();		/* when the last ones failed at once */
}

/* Splits URL into host, port, path (with the token appended). */
static bool
parse_url(const char *url)
{
	const char *path;
	size_t		n;

	if (strlen(url) >= sizeof(url_buf))
	{
		fprintf(stderr, "rtcstats-replay: URL too long\n");
		return false;
	}
	strcpy(url_buf, url);
	if (lws_parse_uri(url_buf, &url_scheme, &url_host, &url_port, &path) != 0 ||
		url_host[0] == '\0')
	{
		fprintf(stderr, "rtcstats-replay: invalid URL \"%s\" (expected ws://host:port/path)\n",
				url);
		return false;
	}
	if (strcmp(url_scheme, "wss") == 0 || strcmp(url_scheme, "https") == 0)
	{
		url_tls = true;
		if (strstr(url, "://") != NULL && strchr(strstr(url, "://") + 3, ':') == NULL)
			url_port = 443;
	}
	else if (strcmp(url_scheme, "ws") != 0 && strcmp(url_scheme, "http") != 0)
	{
		fprintf(stderr, "rtcstats-replay: unsupported URL scheme \"%s\" (ws or wss)\n",
				url_scheme);
		return false;
	}
	n = (size_t) snprintf(url_path, sizeof(url_path), "/%s", path);
	if (opt.token != NULL)
		n = (size_t) snprintf(url_path + n, sizeof(url_path) - n, "%srtcstats-token=%s",
							  strchr(url_path, '?') ? "&" : "?", opt.token) + n;
	if (n >= sizeof(url_path))
	{
		fprintf(stderr, "rtcstats-replay: URL too long\n");
		return false;
	}
	return true;
}

/* Each connection needs a descriptor: raise the soft limit, and the hard one if root. */
static bool
raise_fd_limit(int nconn)
{
	struct rlimit rl;
	rlim_t		need = (rlim_t) nconn + FD_HEADROOM;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return true;
	if (rl.rlim_cur >= need)
		return true;
	if (rl.rlim_max < need)
	{
		struct rlimit want = {need, need};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return true;
		fprintf(stderr, "rtcstats-replay: %d connections need %lu descriptors, the hard limit "
				"is %lu (raise it with ulimit -Hn as root)\n", nconn,
				(unsigned long) need, (unsigned long) rl.rlim_max);
		return false;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
	{
		fprintf(stderr, "rtcstats-replay: could not raise the open file limit to %lu: %s\n",
				(unsigned long) need, strerror(errno));
		return false;
	}
	return true;
}

static void
on_signal(int sig)
{
	interrupted = 1;
	if (context != NULL)
		lws_cancel_service(context);
}

static bool
parse_long(const char *s, long lo, long hi, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int
report(void)
{
	size_t		msgs = 0;
	size_t		bytes = 0;
	int			ok = 0;
	lws_usec_t	t_last = t_begin;
	double		secs;

	for (int i = 0; i < opt.connections; i++)
	{
		conn	   *c = &conns[i];

		if (c->state != CONN_DONE)
		{
			c->result = RES_INTERRUPTED;
			c->t_end = now_us();
		}
		msgs += c->sent;
		bytes += c->bytes;
		if (c->t_end > t_last)
			t_last = c->t_end;
		if (c->result == RES_OK)
			ok++;
		if (opt.quiet && c->result == RES_OK)
			continue;
		printf("conn=%d file=%s result=%s messages=%zu/%zu bytes=%zu seconds=%.3f",
			   c->id, base_name(c->dump->path), result_names[c->result], c->sent,
			   c->limit * (size_t) opt.repeat,
			   c->bytes, c->t_connect ? (double) (c->t_end - c->t_connect) / 1e6 : 0.0);
		if (c->result == RES_OK)
		{
			int			code = opt.close_code;

			if (code == 0)
				code = c->dump->close_code ? c->dump->close_code : 1000;
			if (code == -1 || code == 1006)
				printf(" close=none");
			else
				printf(" close=%d", code);
		}
		if (c->peer_close)
			printf(" server_close=%d", c->peer_close);
		if (c->error[0] != '\0' && c->result != RES_OK)
		{
			/* one line per connection: no newlines from the server's reason */
			for (char *p = c->error; *p; p++)
				if (*p == '\n' || *p == '\r' || *p == '"')
					*p = ' ';
			printf(" error=\"%s\"", c->error);
		}
		putchar('\n');
	}
	secs = (double) (t_last - t_begin) / 1e6;
	printf("total connections=%d ok=%d failed=%d messages=%zu bytes=%zu seconds=%.3f "
		   "open_seconds=%.3f msgs_per_s=%.0f mb_per_s=%.2f\n",
		   opt.connections, ok, opt.connections - ok, msgs, bytes, secs,
		   t_all_open ? (double) (t_all_open - t_begin) / 1e6 : secs,
		   secs > 0 ? (double) msgs / secs : 0.0,
		   secs > 0 ? (double) bytes / 1e6 / secs : 0.0);
	fflush(stdout);
	return ok == opt.connections ? 0 : 1;
}

int
main(int argc, char **argv)
{
	enum
	{
		O_PACE = 256, O_SPEED, O_MAX_DELAY, O_FAST, O_MAX_PENDING, O_TOKEN, O_ORIGIN,
		O_UA, O_NO_HDR, O_MAX_MSG, O_CLOSE_CODE, O_NO_CLOSE, O_WAIT_ALL, O_LINGER, O_REPEAT
	};
	static const struct option options[] = {
		{"pace", required_argument, NULL, O_PACE},
		{"speed", required_argument, NULL, O_SPEED},
		{"max-delay", required_argument, NULL, O_MAX_DELAY},
		{"fast", no_argument, NULL, O_FAST},
		{"connections", required_argument, NULL, 'c'},
		{"max-pending", required_argument, NULL, O_MAX_PENDING},
		{"token", required_argument, NULL, O_TOKEN},
		{"origin", required_argument, NULL, O_ORIGIN},
		{"user-agent", required_argument, NULL, O_UA},
		{"no-original-headers", no_argument, NULL, O_NO_HDR},
		{"max-messages", required_argument, NULL, O_MAX_MSG},
		{"close-code", required_argument, NULL, O_CLOSE_CODE},
		{"no-close", no_argument, NULL, O_NO_CLOSE},
		{"wait-all", no_argument, NULL, O_WAIT_ALL},
		{"linger", required_argument, NULL, O_LINGER},
		{"repeat", required_argument, NULL, O_REPEAT},
		{"insecure", no_argument, NULL, 'k'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct lws_context_creation_info info;
	size_t		max_len = 0;
	int			status;
	int			ch;
	long		v;
	char		errbuf[600];

	while ((ch = getopt_long(argc, argv, "c:kqvh", options, NULL)) != -1)
	{
		char	   *end;

		switch (ch)
		{
			case O_PACE:
				if (strcmp(optarg, "original") == 0)
					opt.fast = false;
				else if (strcmp(optarg, "fast") == 0)
					opt.fast = true;
				else
				{
					fprintf(stderr, "rtcstats-replay: --pace must be \"original\" or \"fast\"\n");
					return 2;
				}
				break;
			case O_SPEED:
				opt.speed = strtod(optarg, &end);
				if (end == optarg || *end != '\0' || !(opt.speed > 0) || opt.speed > 1e9)
				{
					fprintf(stderr, "rtcstats-replay: --speed must be a number > 0\n");
					return 2;
				}
				break;
			case O_MAX_DELAY:
				opt.max_delay_ms = strtod(optarg, &end);
				if (end == optarg || *end != '\0' || !(opt.max_delay_ms >= 0))
				{
					fprintf(stderr, "rtcstats-replay: --max-delay must be a number of ms >= 0\n");
					return 2;
				}
				break;
			case O_FAST:
				opt.fast = true;
				break;
			case 'c':
				if (!parse_long(optarg, 1, 1000000, &v))
				{
					fprintf(stderr, "rtcstats-replay: --connections must be 1..1000000\n");
					return 2;
				}
				opt.connections = (int) v;
				break;
			case O_MAX_PENDING:
				if (!parse_long(optarg, 1, 100000, &v))
				{
					fprintf(stderr, "rtcstats-replay: --max-pending must be 1..100000\n");
					return 2;
				}
				opt.max_pending = (int) v;
				break;
			case O_TOKEN:
				opt.token = optarg;
				break;
			case O_ORIGIN:
				opt.origin = optarg;
				break;
			case O_UA:
				opt.user_agent = optarg;
				break;
			case O_NO_HDR:
				opt.original_headers = false;
				break;
			case O_MAX_MSG:
				if (!parse_long(optarg, 0, LONG_MAX, &v))
				{
					fprintf(stderr, "rtcstats-replay: --max-messages must be a number >= 0\n");
					return 2;
				}
				opt.max_messages = v;
				break;
			case O_CLOSE_CODE:
				if (strcmp(optarg, "original") == 0)
					opt.close_code = 0;
				else if (parse_long(optarg, 1000, 4999, &v) && v != 1004 && v != 1015)
					opt.close_code = (int) v;
				else
				{
					fprintf(stderr, "rtcstats-replay: --close-code must be \"original\" or a "
							"close code 1000-4999 (1005: empty close frame, 1006: none)\n");
					return 2;
				}
				break;
			case O_NO_CLOSE:
				opt.close_code = -1;
				break;
			case O_REPEAT:
				if (!parse_long(optarg, 1, 1000000000, &v))
				{
					fprintf(stderr, "rtcstats-replay: --repeat must be 1..1000000000\n");
					return 2;
				}
				opt.repeat = v;
				break;
			case O_WAIT_ALL:
				opt.wait_all = true;
				break;
			case O_LINGER:
				opt.linger_s = strtod(optarg, &end);
				if (end == optarg || *end != '\0' || !(opt.linger_s >= 0) || opt.linger_s > 1e6)
				{
					fprintf(stderr, "rtcstats-replay: --linger must be a number of seconds >= 0\n");
					return 2;
				}
				break;
			case 'k':
				opt.insecure = true;
				break;
			case 'q':
				opt.quiet = true;
				break;
			case 'v':
				opt.verbose++;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				fprintf(stderr, "Try \"rtcstats-replay --help\".\n");
				return 2;
		}
	}
	if (argc - optind < 2)
	{
		fprintf(stderr, "rtcstats-replay: expected a URL and at least one FILE\n"
				"Try \"rtcstats-replay --help\".\n");
		return 2;
	}
	opt.url = argv[optind++];
	if (!parse_url(opt.url))
		return 2;

	ndumps = argc - optind;
	dumps = calloc((size_t) ndumps, sizeof(*dumps));
	conns = calloc((size_t) opt.connections, sizeof(*conns));
	if (dumps == NULL || conns == NULL)
	{
		fprintf(stderr, "rtcstats-replay: out of memory\n");
		return 1;
	}
	for (int i = 0; i < ndumps; i++)
	{
		if (!replay_dump_load(argv[optind + i], &dumps[i], errbuf, sizeof(errbuf)))
		{
			fprintf(stderr, "rtcstats-replay: %s\n", errbuf);
			for (int j = 0; j < i; j++)
				replay_dump_free(&dumps[j]);
			free(dumps);
			free(conns);
			return 1;
		}
		if (dumps[i].max_len > max_len)
			max_len = dumps[i].max_len;
	}
	scratch = malloc(LWS_PRE + max_len + 1);
	batch = malloc(LWS_PRE + (max_len + 14 > BATCH_BYTES ? max_len + 14 : BATCH_BYTES));
	if (scratch == NULL || batch == NULL)
	{
		fprintf(stderr, "rtcstats-replay: out of memory\n");
		return 1;
	}
	for (int i = 0; i < opt.connections; i++)
	{
		conn	   *c = &conns[i];

		c->id = i;
		c->dump = &dumps[i % ndumps];
		c->limit = c->dump->n;
		if (opt.max_messages >= 0 && (size_t) opt.max_messages < c->limit)
			c->limit = (size_t) opt.max_messages;
	}
	if (!raise_fd_limit(opt.connections))
		return 1;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	lws_set_log_level(LLL_ERR | (opt.verbose > 0 ? LLL_WARN : 0) |
					  (opt.verbose > 1 ? LLL_NOTICE | LLL_INFO : 0), NULL);

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.fd_limit_per_thread = (unsigned int) opt.connections + FD_HEADROOM;
	info.options = LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;	/* else lws prefixes "http://" */
	if (url_tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	context = lws_create_context(&info);
	if (context == NULL)
	{
		fprintf(stderr, "rtcstats-replay: could not create the libwebsockets context\n");
		return 1;
	}

	t_begin = now_us();
	start_more();
	while (finished < opt.connections && !interrupted)
	{
		if (lws_service(context, 0) < 0)
			break;
	}
	if (interrupted)
	{
		/* give open connections a moment to send their close frame */
		lws_usec_t	stop = now_us() + 2 * LWS_US_PER_SEC;

		for (int i = 0; i < opt.connections; i++)
			if (conns[i].wsi != NULL && conns[i].state == CONN_OPEN)
				lws_callback_on_writable(conns[i].wsi);
		while (finished < opt.connections && now_us() < stop)
			if (lws_service(context, 100) < 0)
				break;
	}
	lws_context_destroy(context);
	context = NULL;
	status = report();
	for (int i = 0; i < ndumps; i++)
		replay_dump_free(&dumps[i]);
	free(dumps);
	free(conns);
	free(scratch);
	free(batch);
	return status;
}
