/*
 * listen.h: where a listening program binds, and what it does at its
 * descriptor limit.  Shared by every program that listens with lws
 * (rtcstats-proxy; the viewer links the same file), so that all of them
 * read "--listen" the same way.
 */
#ifndef RTCSTATS_PROXY_LISTEN_H
#define RTCSTATS_PROXY_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

typedef struct proxy_listen
{
	char		iface[64];		/* for lws_context_creation_info.iface; "" = NULL */
	uint64_t	options;		/* LWS_SERVER_OPTION_* to OR into info.options */
	int			family;			/* AF_INET, AF_INET6, or AF_UNSPEC for every interface */
} proxy_listen;

/*
 * Reads a --listen value: an IPv4 address, an IPv6 address (brackets
 * optional), or "*" / "" for every interface.  0, or -1 with a message
 * in err.
 */
int			proxy_listen_parse(const char *value, proxy_listen *out, char *err, size_t errlen);

/* The iface to give lws: NULL for every interface. */
const char *proxy_listen_iface(const proxy_listen *l);

/* Can we bind it?  false with errno (a port in use, an address not ours). */
bool		proxy_listen_can_bind(const proxy_listen *l, int port);

/*
 * The descriptor limit.  proxy_listen_raise_nofile() raises the soft limit
 * to the hard one and returns it; proxy_listen_reserve() opens the spare
 * descriptor kept for the moment the limit is reached.
 */
long		proxy_listen_raise_nofile(void);
int			proxy_listen_reserve(void);

/* After lws_create_context(): finds our listening socket (for the shedding below). */
int			proxy_listen_find_socket(int port);

/*
 * Called when accept(2) failed with EMFILE/ENFILE: gives up the spare
 * descriptor, accepts the oldest pending connection and closes it at once,
 * and takes the spare back.  The listening socket stays readable while a
 * connection waits in its backlog, so without this lws retries accept at
 * every wakeup (a busy loop).  Returns true if a connection was shed.
 */
bool		proxy_listen_shed(void);

#endif
