/*
 * httpbody.h: incremental parsers of an upload's body, fed in chunks of any
 * size with memory independent of the body's length (fuzzed by
 * core/fuzz/fuzz_httpbody.c).
 *
 *   proxy_chunked    Transfer-Encoding: chunked (RFC 9112 section 7.1), strictly:
 *                    CRLF line ends only, hex sizes without sign or space,
 *                    extensions and trailers bounded and ignored.
 *   proxy_multipart  multipart/form-data (RFC 7578, RFC 2046 section 5.1): the
 *                    content of the first part whose headers name a filename
 *                    (upstream's rtcstats-server takes one file part).
 *
 * Both hand decoded bytes to a sink and return 0 to go on, or an HTTP status
 * (400, or the sink's own non-zero return) with a reason.
 */
#ifndef RTCSTATS_PROXY_HTTPBODY_H
#define RTCSTATS_PROXY_HTTPBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Receives decoded body bytes; returns 0 or an HTTP status that stops the parse. */
typedef unsigned (*proxy_body_sink) (void *arg, const unsigned char *data, size_t len);

/* Longest chunk-size line (with extensions) and trailer line accepted. */
#define PROXY_CHUNKED_LINE_MAX 4096
/* Longest multipart part header block. */
#define PROXY_MULTIPART_HEADERS_MAX 8192
/* RFC 2046: a boundary is 1 to 70 characters. */
#define PROXY_MULTIPART_BOUNDARY_MAX 70

typedef struct proxy_chunked
{
	int			state;
	uint64_t	remain;			/* bytes of chunk data still to come */
	size_t		linelen;		/* bytes of the current size or trailer line */
	int			digits;
	size_t		trailer_bytes;
} proxy_chunked;

void		proxy_chunked_init(proxy_chunked *c);
/*
 * Decodes in[0..len).  *used is set to the bytes consumed: all of them,
 * unless the body ended inside in.  Returns 0 (more needed or done: see
 * proxy_chunked_done) or 400 with *why.
 */
unsigned	proxy_chunked_feed(proxy_chunked *c, const unsigned char *in, size_t len,
							   size_t *used, proxy_body_sink sink, void *arg,
							   const char **why);
bool		proxy_chunked_done(const proxy_chunked *c);

typedef struct proxy_multipart
{
	int			state;
	char		delim[PROXY_MULTIPART_BOUNDARY_MAX + 5];	/* "\r\n--" boundary */
	size_t		dlen;
	size_t		match;			/* bytes of delim matched so far */
	bool		in_file;		/* the current part is the file part */
	char		hdr[PROXY_MULTIPART_HEADERS_MAX];
	size_t		hlen;
	int			pad;			/* transport padding bytes after a delimiter */
} proxy_multipart;

/* Reads the boundary from a Content-Type value; 0 or 400 with *why. */
unsigned	proxy_multipart_init(proxy_multipart *m, const char *content_type,
								 const char **why);
unsigned	proxy_multipart_feed(proxy_multipart *m, const unsigned char *in, size_t len,
								 proxy_body_sink sink, void *arg, const char **why);
/* At the end of the body: 0 if a whole file part was seen, else 400 with *why. */
unsigned	proxy_multipart_finish(const proxy_multipart *m, const char **why);

#endif
