/*
 * addr.c: remote addresses: which peers may speak for clients
 * (X-Forwarded-For from --trusted-proxies) and their obfuscation.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtcstats/anonymize.h"

#include "log.h"
#include "proxy.h"

#define MAX_TRUSTED 64

typedef struct net
{
	unsigned char addr[16];		/* IPv4 as ::ffff:a.b.c.d */
	int			bits;			/* prefix length over the 128-bit form */
} net;

static net	trusted[MAX_TRUSTED];
static int	ntrusted;

/* Parses an IPv4 or IPv6 address into the 128-bit (v4-mapped) form. */
static int
parse_ip(const char *s, unsigned char out[16], bool *v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1)
	{
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4 = true;
		return 0;
	}
	*v4 = false;
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

int
proxy_trusted_init(const char *list)
{
	char	   *copy = strdup(list),
			   *save = NULL,
			   *tok;
	int			rc = 0;

	if (!copy)
		return -1;
	ntrusted = 0;
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
	{
		char	   *slash = strchr(tok, '/');
		bool		v4;
		int			bits = -1;

		if (slash)
		{
			char	   *end;

			*slash = '\0';
			bits = (int) strtol(slash + 1, &end, 10);
			if (*end || end == slash + 1)
				bits = -2;
		}
		if (ntrusted == MAX_TRUSTED || parse_ip(tok, trusted[ntrusted].addr, &v4) != 0 ||
			bits == -2 || bits > (v4 ? 32 : 128))
		{
			fprintf(stderr, "rtcstats-proxy: invalid trusted-proxies entry \"%s\" (address or CIDR, at most %d)\n",
					tok, MAX_TRUSTED);
			rc = -1;
			break;
		}
		trusted[ntrusted].bits = bits < 0 ? 128 : (v4 ? bits + 96 : bits);
		ntrusted++;
	}
	free(copy);
	return rc;
}

bool
proxy_peer_is_trusted(const char *addr)
{
	unsigned char a[16];
	bool		v4;

	if (ntrusted == 0 || parse_ip(addr, a, &v4) != 0)
		return false;
	for (int i = 0; i < ntrusted; i++)
	{
		int			bits = trusted[i].bits;
		int			full = bits / 8,
					rest = bits % 8;

		if (memcmp(a, trusted[i].addr, (size_t) full) != 0)
			continue;
		if (rest && ((a[full] ^ trusted[i].addr[full]) & (0xff << (8 - rest)) & 0xff))
			continue;
		return true;
	}
	return false;
}

/* Remote addresses as section 7 of the dump format says (core anonymizer). */
char *
proxy_obfuscate_address(const char *addr)
{
	return rtcstats_obfuscate_address(addr);
}
