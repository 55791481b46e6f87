/*
 * http_stub.h: a scripted HTTP/1.1 server on 127.0.0.1 for the storage
 * tests (test_storage.c, test_sigv4.c).
 *
 * One thread accepts connections on an ephemeral port and answers requests
 * in order from a script of canned responses (200 with no body once the
 * script runs out), recording each request: method, path, headers, body.
 * Keep-alive is honoured, so a test can see libcurl reuse its connection.
 * Header-only (static functions): each core test is one .c file.
 */
#ifndef RTCSTATS_HTTP_STUB_H
#define RTCSTATS_HTTP_STUB_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define STUB_MAX_REQUESTS 64
#define STUB_MAX_SCRIPT 16
#define STUB_MAX_HEAD 16384
#define STUB_MAX_BODY (4 << 20)

typedef enum stub_mode
{
	STUB_NORMAL,				/* status, headers, body with a true Content-Length */
	STUB_NO_LENGTH_CLOSE,		/* body without Content-Length, then close */
	STUB_HANG					/* read the request, never answer */
} stub_mode;

typedef struct stub_response
{
	int			status;
	const char *headers;		/* extra lines, each ending "\r\n"; may be NULL */
	const char *body;			/* may be NULL */
	size_t		body_len;		/* 0: strlen(body) */
	stub_mode	mode;
} stub_response;

typedef struct stub_request
{
	char		method[16];
	char		path[1024];
	char		head[STUB_MAX_HEAD];	/* request head, header lines as received */
	char	   *body;
	size_t		body_len;
	int			conn;			/* which accepted connection carried it */
} stub_request;

typedef struct http_stub
{
	int			fd;
	int			port;
	pthread_t	thread;
	pthread_mutex_t lock;
	bool		stopping;
	stub_response script[STUB_MAX_SCRIPT];
	int			nscript;
	int			next;
	stub_request req[STUB_MAX_REQUESTS];
	int			nreq;
	int			nconn;
} http_stub;

/* Value of header name in a recorded request head, copied into out ("" if absent). */
static inline const char *
stub_header(const stub_request *r, const char *name, char *out, size_t size)
{
	const char *p = strstr(r->head, "\r\n");
	size_t		n = strlen(name);

	out[0] = '\0';
	while (p != NULL && p[2] != '\0' && p[2] != '\r')
	{
		const char *line = p + 2;
		const char *eol = strstr(line, "\r\n");

		if (eol == NULL)
			break;
		if ((size_t) (eol - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':')
		{
			const char *v = line + n + 1;
			size_t		len;

			while (*v == ' ' || *v == '\t')
				v++;
			len = (size_t) (eol - v);
			if (len >= size)
				len = size - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
		p = eol;
	}
	return out;
}

static inline bool
stub_send(int fd, const char *p, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t) n;
	}
	return true;
}

/* Serves one connection until the peer closes or a response closes it. */
static inline void
stub_serve(http_stub *st, int c, int conn)
{
	char	   *buf = malloc(STUB_MAX_HEAD + 1);
	size_t		have = 0;

	for (;;)
	{
		char	   *end;
		size_t		head_len;
		stub_request *r;
		stub_response resp = {200, NULL, NULL, 0, STUB_NORMAL};
		char		cl[32];
		char		expect[64];
		size_t		body_len;
		char		out[1024];
		size_t		blen;
		size_t		first;
		int			n;

		buf[have] = '\0';
		while ((end = strstr(buf, "\r\n\r\n")) == NULL)
		{
			ssize_t		got;

			if (have >= STUB_MAX_HEAD)
				goto done;
			got = recv(c, buf + have, STUB_MAX_HEAD - have, 0);
			if (got <= 0)
				goto done;
			have += (size_t) got;
			buf[have] = '\0';
		}
		head_len = (size_t) (end - buf) + 4;

		pthread_mutex_lock(&st->lock);
		if (st->nreq >= STUB_MAX_REQUESTS)
		{
			pthread_mutex_unlock(&st->lock);
			goto done;
		}
		r = &st->req[st->nreq];
		memset(r, 0, sizeof(*r));
		if (st->next < st->nscript)
			resp = st->script[st->next++];
		pthread_mutex_unlock(&st->lock);

		memcpy(r->head, buf, head_len < sizeof(r->head) ? head_len : sizeof(r->head) - 1);
		sscanf(buf, "%15s %1023s", r->method, r->path);
		r->conn = conn;
		stub_header(r, "Content-Length", cl, sizeof(cl));
		body_len = cl[0] ? strtoul(cl, NULL, 10) : 0;
		if (body_len > STUB_MAX_BODY)
			goto done;
		stub_header(r, "Expect", expect, sizeof(expect));
		if (strcasecmp(expect, "100-continue") == 0 &&
			!stub_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25))
			goto done;
		r->body = malloc(body_len + 1);
		/* body bytes that came with the head; the rest is read below */
		first = have - head_len < body_len ? have - head_len : body_len;
		memcpy(r->body, buf + head_len, first);
		blen = first;
		while (blen < body_len)
		{
			ssize_t		got = recv(c, r->body + blen, body_len - blen, 0);

			if (got <= 0)
			{
				free(r->body);
				r->body = NULL;
				goto done;
			}
			blen += (size_t) got;
		}
		r->body[body_len] = '\0';
		r->body_len = body_len;
		/* keep what follows (a pipelined request) for the next round */
		memmove(buf, buf + head_len + first, have - head_len - first);
		have -= head_len + first;

		pthread_mutex_lock(&st->lock);
		st->nreq++;
		pthread_mutex_unlock(&st->lock);

		if (resp.mode == STUB_HANG)
		{
			char		sink[256];

			while (recv(c, sink, sizeof(sink), 0) > 0)
				;
			goto done;
		}
		if (resp.body != NULL && resp.body_len == 0)
			resp.body_len = strlen(resp.body);
		if (resp.mode == STUB_NO_LENGTH_CLOSE)
			n = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nConnection: close\r\n%s\r\n",
						 resp.status, resp.headers ? resp.headers : "");
		else
			n = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
						 resp.status, resp.body ? resp.body_len : 0,
						 resp.headers ? resp.headers : "");
		if (!stub_send(c, out, (size_t) n))
			goto done;
		if (resp.body != NULL && strcmp(r->method, "HEAD") != 0 &&
			!stub_send(c, resp.body, resp.body_len))
			goto done;
		if (resp.mode == STUB_NO_LENGTH_CLOSE)
			goto done;
	}
done:
	free(buf);
	close(c);
}

static inline void *
stub_main(void *arg)
{
	http_stub  *st = arg;

	for (;;)
	{
		int			c = accept(st->fd, NULL, NULL);
		int			conn;
		struct timeval tv = {10, 0};

		if (c < 0)
		{
			if (errno == EINTR)
				continue;
			break;
		}
		pthread_mutex_lock(&st->lock);
		conn = st->nconn++;
		if (st->stopping)
		{
			pthread_mutex_unlock(&st->lock);
			close(c);
			break;
		}
		pthread_mutex_unlock(&st->lock);
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		stub_serve(st, c, conn);
	}
	return NULL;
}

/* Starts the stub with a script (copied; n may be 0). */
static inline bool
stub_start(http_stub *st, const stub_response *script, int n)
{
	struct sockaddr_in a;
	socklen_t	alen = sizeof(a);
	int			one = 1;

	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	st->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (st->fd < 0)
		return false;
	setsockopt(st->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(st->fd, (struct sockaddr *) &a, sizeof(a)) != 0 || listen(st->fd, 16) != 0 ||
		getsockname(st->fd, (struct sockaddr *) &a, &alen) != 0)
		return false;
	st->port = ntohs(a.sin_port);
	if (n > STUB_MAX_SCRIPT)
		n = STUB_MAX_SCRIPT;
	if (n > 0)
		memcpy(st->script, script, sizeof(*script) * (size_t) n);
	st->nscript = n;
	return pthread_create(&st->thread, NULL, stub_main, st) == 0;
}

/* Requests recorded so far (after the client has its answer, all of them). */
static inline int
stub_count(http_stub *st)
{
	int			n;

	pthread_mutex_lock(&st->lock);
	n = st->nreq;
	pthread_mutex_unlock(&st->lock);
	return n;
}

/*
 * Stops the thread.  The client must have closed its connections first
 * (rtcstats_storage_free, curl_easy_cleanup), or the thread waits for them
 * up to its receive timeout.
 */
static inline void
stub_stop(http_stub *st)
{
	pthread_mutex_lock(&st->lock);
	st->stopping = true;
	pthread_mutex_unlock(&st->lock);
	shutdown(st->fd, SHUT_RDWR);	/* wakes accept() on Linux */
	pthread_join(st->thread, NULL);
	close(st->fd);
}

/* Frees what the stub recorded (after stub_stop, once the test has looked). */
static inline void
stub_free(http_stub *st)
{
	int			i;

	for (i = 0; i < st->nreq; i++)
		free(st->req[i].body);
	pthread_mutex_destroy(&st->lock);
}

/* A port with nothing listening: bound, then closed. */
static inline int
stub_closed_port(void)
{
	struct sockaddr_in a;
	socklen_t	alen = sizeof(a);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	int			port = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0 &&
		getsockname(fd, (struct sockaddr *) &a, &alen) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

#endif
