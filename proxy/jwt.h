/*
 * jwt.h: the rtcstats-token (JWT, HS256 only) as upstream's server checks it
 * with jsonwebtoken: signature, exp and nbf; the claim rtcStats = {user,
 * session, conference} is what the dumps row records.
 */
#ifndef RTCSTATS_PROXY_JWT_H
#define RTCSTATS_PROXY_JWT_H

#include <stddef.h>
#include <time.h>

/* Longest token accepted; real ones are a few hundred bytes. */
#define PROXY_JWT_MAX_BYTES 8192

typedef struct proxy_claims
{
	char	   *user;			/* malloc'd or NULL */
	char	   *conference;
	char	   *session;
} proxy_claims;

/*
 * 0 when token is a valid HS256 JWT signed with secret and current at now
 * (exp and nbf honoured with leeway seconds); claims are filled (free with
 * proxy_claims_free).  -1 otherwise, with a short reason in why.
 */
int			proxy_jwt_verify(const char *token, const char *secret, int leeway, time_t now,
							 proxy_claims *claims, char *why, size_t whylen);
void		proxy_claims_free(proxy_claims *claims);

/* Longest claim kept (bytes); longer ones are cut at a character boundary. */
#define PROXY_CLAIM_MAX_BYTES 1024
/*
 * A client string made fit for a text column, malloc'd: at most
 * PROXY_CLAIM_MAX_BYTES, NUL bytes dropped, invalid UTF-8 replaced by '?'
 * (rtcstats_utf8_repair).  NULL if out of memory.
 */
char	   *proxy_claim_clean(const char *s, size_t len);

/* base64url without padding; returns the decoded length or -1. */
long		proxy_base64url_decode(const char *in, size_t len, unsigned char *out, size_t outcap);

#endif
