/*
 * listen.c: binding exactly the address asked for, and shedding connections
 * at the descriptor limit (see listen.h).
 *
 * lws 4.1 (lib/core-net/network.c, lws_socket_bind) makes an IPv6 socket
 * whenever it is built with IPv6 and the vhost does not disable it, and then
 * reads iface with lws_interface_to_sa() (lib/plat/unix/unix-sockets.c): an
 * interface name, else inet_pton(AF_INET6), else inet_pton(AF_INET) into the
 * sockaddr_in6 cast as a sockaddr_in.  An IPv4 address thus lands in
 * sin6_flowinfo, sin6_addr stays "::", and "127.0.0.1" binds every
 * interface of both families.  So: an IPv4 address gets an IPv4-only vhost
 * (LWS_SERVER_OPTION_DISABLE_IPV6), whose bind reads it correctly; an IPv6
 * address gets IPV6_V6ONLY ("::" then means IPv6 only, as asked); "*" keeps
 * lws's dual-stack wildcard.  Interface names are refused: lws would bind the
 * last address the interface lists, whichever family it is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"

/* The open-file limit we raise to at most (see proxy_listen_raise_nofile). */
#define MAX_NOFILE (1L << 20)

int
proxy_listen_parse(const char *value, proxy_listen *out, char *err, size_t errlen)
{
	struct in_addr a4;
	struct in6_addr a6;
	size_t		n = strlen(value);

	memset(out, 0, sizeof(*out));
	if (n == 0 || strcmp(value, "*") == 0)
	{
		out->family = AF_UNSPEC;
		return 0;
	}
	if (n >= 2 && value[0] == '[' && value[n - 1] == ']')
	{
		value++;
		n -= 2;
	}
	if (n >= sizeof(out->iface))
		goto bad;
	memcpy(out->iface, value, n);
	out->iface[n] = '\0';
	if (inet_pton(AF_INET, out->iface, &a4) == 1)
	{
		out->family = AF_INET;
		out->options = LWS_SERVER_OPTION_DISABLE_IPV6;
		return 0;
	}
	if (inet_pton(AF_INET6, out->iface, &a6) == 1)
	{
		out->family = AF_INET6;
		out->options = LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
		return 0;
	}
bad:
	snprintf(err, errlen, "invalid listen address \"%s\" (an IPv4 or IPv6 address, or \"*\" for every interface)",
			 value);
	return -1;
}

const char *
proxy_listen_iface(const proxy_listen *l)
{
	return l->iface[0] ? l->iface : NULL;
}

/*
 * Checked before lws_create_context(), whose failure path leaks (lws 4.1),
 * so that a port in use is a clean error.  Same family and V6ONLY as lws's
 * socket will have.
 */
bool
proxy_listen_can_bind(const proxy_listen *l, int port)
{
	struct addrinfo hints = {0},
			   *res = NULL;
	char		service[16];
	bool		ok = false;
	int			saved = 0;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = l->family;
	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(proxy_listen_iface(l), service, &hints, &res) != 0)
	{
		errno = EADDRNOTAVAIL;
		return false;
	}
	for (struct addrinfo *a = res; a && !ok; a = a->ai_next)
	{
		int			fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		int			one = 1;

		if (fd < 0)
		{
			saved = errno;
			continue;
		}
		(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->ai_family == AF_INET6 && l->family == AF_INET6)
			(void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		ok = bind(fd, a->ai_addr, a->ai_addrlen) == 0;
		if (!ok)
			saved = errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (!ok)
		errno = saved;
	return ok;
}

long
proxy_listen_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	/*
	 * lws allocates a pointer per possible descriptor (lws_plat_init): a
	 * hard limit of 2^30, as some container runtimes set, would cost 8 GB.
	 */
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < MAX_NOFILE)
	{
		rl.rlim_cur = rl.rlim_max > MAX_NOFILE ? MAX_NOFILE : rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
		(void) getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_NOFILE ? MAX_NOFILE : (long) rl.rlim_cur;
}

static int	spare_fd = -1;
static int	listen_fd = -1;

int
proxy_listen_reserve(void)
{
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return spare_fd < 0 ? -1 : 0;
}

int
proxy_listen_find_socket(int port)
{
	/* lws opens it early, among the first few hundred descriptors. */
	for (int fd = 0; fd < 1024; fd++)
	{
		int			acc = 0;
		socklen_t	len = sizeof(acc);
		struct sockaddr_storage ss;
		socklen_t	slen = sizeof(ss);
		int			p;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 || !acc)
			continue;
		if (getsockname(fd, (struct sockaddr *) &ss, &slen) != 0)
			continue;
		p = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *) &ss)->sin6_port) :
			ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *) &ss)->sin_port) : -1;
		if (p == port)
		{
			listen_fd = fd;
			return fd;
		}
	}
	return -1;
}

bool
proxy_listen_shed(void)
{
	int			fd;

	if (listen_fd < 0)
		return false;
	if (spare_fd >= 0)
	{
		close(spare_fd);
		spare_fd = -1;
	}
	/* The listening socket is non-blocking (lws): EAGAIN when nothing waits. */
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	(void) proxy_listen_reserve();
	return fd >= 0;
}
