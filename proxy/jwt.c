/*
 * jwt.c: HS256 JSON Web Tokens with OpenSSL's HMAC and json-c.
 *
 * Only what upstream's jsonwebtoken.verify() accepts for an HS256 secret:
 * alg must be "HS256" (never "none", never an asymmetric alg on a shared
 * secret), the signature is compared in constant time, exp and nbf are
 * checked when present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rtcstats/utf8.h"

#include "jwt.h"

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
proxy_base64url_decode(const char *in, size_t len, unsigned char *out, size_t outcap)
{
	unsigned int acc = 0;
	int			bits = 0;
	size_t		n = 0;

	/* Tolerate '=' padding at the end only. */
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++)
	{
		int			v = b64val((unsigned char) in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned int) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			if (n >= outcap)
				return -1;
			out[n++] = (unsigned char) (acc >> bits);
		}
	}
	return (long) n;
}

static struct json_object *
decode_json_part(const char *part, size_t len)
{
	unsigned char *buf;
	long		n;
	struct json_tokener *tok;
	struct json_object *obj;

	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	n = proxy_base64url_decode(part, len, buf, len);
	if (n < 0)
	{
		free(buf);
		return NULL;
	}
	tok = json_tokener_new_ex(16);
	if (!tok)
	{
		free(buf);
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, (const char *) buf, (int) n);
	if (obj && tok->char_offset != (int) n)
	{
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	if (obj && !json_object_is_type(obj, json_type_object))
	{
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

char *
proxy_claim_clean(const char *s, size_t len)
{
	char	   *out;
	size_t		n = 0;

	if (len > PROXY_CLAIM_MAX_BYTES)
	{
		/* Cut at a character boundary: back over continuation bytes. */
		len = PROXY_CLAIM_MAX_BYTES;
		while (len > 0 && ((unsigned char) s[len] & 0xc0) == 0x80)
			len--;
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	/* text cannot hold NUL (a JSON "\u0000" decodes to one): drop them. */
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\0')
			out[n++] = s[i];
	out[n] = '\0';
	rtcstats_utf8_repair(out, n, '?');
	return out;
}

/* A claim value as text: strings as they are, numbers and booleans as JSON. */
static char *
claim_string(struct json_object *parent, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(parent, key, &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
	{
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		return proxy_claim_clean(s, strlen(s));
	}
	if (json_object_is_type(v, json_type_string))
		return proxy_claim_clean(json_object_get_string(v), (size_t) json_object_get_string_len(v));
	s = json_object_get_string(v);
	return proxy_claim_clean(s, strlen(s));
}

/* A NumericDate claim; 1 if present and numeric, 0 if absent, -1 if malformed. */
static int
numeric_claim(struct json_object *payload, const char *key, double *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(payload, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_double(v);
	return 1;
}

int
proxy_jwt_verify(const char *token, const char *secret, int leeway, time_t now,
				 proxy_claims *claims, char *why, size_t whylen)
{
	const char *dot1,
			   *dot2;
	size_t		len;
	unsigned char sig[64];
	long		siglen;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct json_object *header = NULL,
			   *payload = NULL,
			   *v;
	double		t;
	int			r;
	int			rc = -1;

	memset(claims, 0, sizeof(*claims));
	len = token ? strnlen(token, PROXY_JWT_MAX_BYTES + 1) : 0;
	if (len == 0)
	{
		snprintf(why, whylen, "missing token");
		return -1;
	}
	if (len > PROXY_JWT_MAX_BYTES)
	{
		snprintf(why, whylen, "token too long");
		return -1;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - token)))
	{
		snprintf(why, whylen, "malformed token");
		return -1;
	}
	header = decode_json_part(token, (size_t) (dot1 - token));
	if (!header)
	{
		snprintf(why, whylen, "malformed token header");
		goto out;
	}
	if (!json_object_object_get_ex(header, "alg", &v) ||
		!json_object_is_type(v, json_type_string) ||
		strcmp(json_object_get_string(v), "HS256") != 0)
	{
		snprintf(why, whylen, "token algorithm is not HS256");
		goto out;
	}
	siglen = proxy_base64url_decode(dot2 + 1, len - (size_t) (dot2 + 1 - token), sig, sizeof(sig));
	if (!HMAC(EVP_sha256(), secret, (int) strlen(secret), (const unsigned char *) token,
			  (size_t) (dot2 - token), mac, &maclen) ||
		siglen != (long) maclen ||
		CRYPTO_memcmp(sig, mac, maclen) != 0)
	{
		snprintf(why, whylen, "invalid token signature");
		goto out;
	}
	payload = decode_json_part(dot1 + 1, (size_t) (dot2 - dot1 - 1));
	if (!payload)
	{
		snprintf(why, whylen, "malformed token payload");
		goto out;
	}
	r = numeric_claim(payload, "exp", &t);
	if (r < 0 || (r > 0 && (double) now >= t + leeway))
	{
		snprintf(why, whylen, r < 0 ? "malformed exp claim" : "token expired");
		goto out;
	}
	r = numeric_claim(payload, "nbf", &t);
	if (r < 0 || (r > 0 && (double) now + leeway < t))
	{
		snprintf(why, whylen, r < 0 ? "malformed nbf claim" : "token not yet valid");
		goto out;
	}
	if (json_object_object_get_ex(payload, "rtcStats", &v) &&
		json_object_is_type(v, json_type_object))
	{
		claims->user = claim_string(v, "user");
		claims->conference = claim_string(v, "conference");
		claims->session = claim_string(v, "session");
	}
	rc = 0;
out:
	json_object_put(header);
	json_object_put(payload);
	return rc;
}

void
proxy_claims_free(proxy_claims *claims)
{
	free(claims->user);
	free(claims->conference);
	free(claims->session);
	memset(claims, 0, sizeof(*claims));
}
