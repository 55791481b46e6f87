/*
 * fuzz_jwt: libFuzzer target for the proxy's token check (jwt.c).  Each
 * input is tried twice: as a token as it stands (the header, base64url and
 * signature paths), and as the header and payload JSON of a token the
 * harness encodes and signs with the secret (input split at its first NUL
 * byte, or all payload), so the claims are parsed as they would be from a
 * validly signed client token.  Built with proxy/jwt.c alone (proxy.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../jwt.h"

#define SECRET "fuzz-secret"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* base64url without padding of in into out (room for 4 * len / 3 + 4) */
static size_t
b64url(const unsigned char *in, size_t len, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t		o = 0;

	for (size_t i = 0; i < len; i += 3)
	{
		unsigned long v = (unsigned long) in[i] << 16;
		size_t		n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (unsigned long) in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		if (n > 1)
			out[o++] = abc[(v >> 6) & 63];
		if (n > 2)
			out[o++] = abc[v & 63];
	}
	return o;
}

static void
verify(const char *token)
{
	proxy_claims claims;
	char		why[128];

	if (proxy_jwt_verify(token, SECRET, 5, 1700000000, &claims, why, sizeof(why)) == 0)
		proxy_claims_free(&claims);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char default_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const unsigned char *header = (const unsigned char *) default_header,
			   *payload = data;
	size_t		hlen = sizeof(default_header) - 1,
				plen = size;
	const unsigned char *nul = memchr(data, 0, size);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char	   *token;
	size_t		n = 0;

	if (size > PROXY_JWT_MAX_BYTES)
		return 0;
	if ((token = malloc(size + 1)) == NULL)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	verify(token);
	free(token);

	if (nul)
	{
		header = data;
		hlen = (size_t) (nul - data);
		payload = nul + 1;
		plen = size - hlen - 1;
	}
	if ((token = malloc(4 * (hlen + plen) / 3 + 8 + 4 * EVP_MAX_MD_SIZE / 3 + 8)) == NULL)
		return 0;
	n = b64url(header, hlen, token);
	token[n++] = '.';
	n += b64url(payload, plen, token + n);
	if (HMAC(EVP_sha256(), SECRET, (int) strlen(SECRET), (const unsigned char *) token, n,
			 mac, &maclen))
	{
		token[n++] = '.';
		n += b64url(mac, maclen, token + n);
		token[n] = '\0';
		verify(token);
	}
	free(token);
	return 0;
}
