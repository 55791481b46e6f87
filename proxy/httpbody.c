/*
 * httpbody.c: the chunked de-chunker and the multipart/form-data file part
 * extractor of HTTP uploads (see httpbody.h).  libwebsockets 4.1 hands the
 * raw bytes of a chunked request to LWS_CALLBACK_HTTP_BODY (framing and all,
 * as if the body were 100 MiB long: server.c sets rx_content_length so for a
 * POST without Content-Length), and its lws_spa multipart parser needs a
 * connection (it reads Content-Type from the wsi and writes rx_content_remain
 * from inside the parse), so it cannot run in a validation thread nor be fuzzed
 * alone: both parsers are ours, byte-driven state machines that keep no body.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "httpbody.h"

enum
{
	C_SIZE = 0,					/* first hex digit of a chunk size */
	C_SIZE_MORE,				/* more digits, ';', BWS or CR */
	C_BWS,						/* whitespace between the size and ';' */
	C_EXT,						/* chunk extensions, ignored */
	C_SIZE_LF,
	C_DATA,
	C_DATA_CR,
	C_DATA_LF,
	C_TRAILER_START,			/* a trailer field line or the final CRLF */
	C_TRAILER,
	C_TRAILER_LF,
	C_END_LF,
	C_DONE
};

/* Sizes beyond 2^60 are refused before they could overflow. */
#define CHUNK_SIZE_DIGITS_MAX 15
/* All trailer lines together. */
#define CHUNKED_TRAILERS_MAX (4 * PROXY_CHUNKED_LINE_MAX)

void
proxy_chunked_init(proxy_chunked *c)
{
	memset(c, 0, sizeof(*c));
}

bool
proxy_chunked_done(const proxy_chunked *c)
{
	return c->state == C_DONE;
}

static int
hexval(unsigned char ch)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = ch ? strchr(digits, tolower(ch)) : NULL;

	return p ? (int) (p - digits) : -1;
}

/* Field and extension text: HTAB, SP, VCHAR, obs-text (RFC 9110 section 5.5). */
static bool
is_text(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

unsigned
proxy_chunked_feed(proxy_chunked *c, const unsigned char *in, size_t len, size_t *used,
				   proxy_body_sink sink, void *arg, const char **why)
{
	size_t		i = 0;

	*why = "malformed chunked body";
	while (i < len && c->state != C_DONE)
	{
		unsigned char ch = in[i];
		int			h;

		if (c->state == C_DATA)
		{
			size_t		n = len - i;
			unsigned	s;

			if ((uint64_t) n > c->remain)
				n = (size_t) c->remain;
			if ((s = sink(arg, in + i, n)) != 0)
			{
				*why = NULL;
				return s;
			}
			c->remain -= n;
			i += n;
			if (c->remain == 0)
				c->state = C_DATA_CR;
			continue;
		}
		i++;
		if (c->state == C_EXT || c->state == C_TRAILER || c->state == C_SIZE_MORE ||
			c->state == C_BWS)
		{
			if (++c->linelen > PROXY_CHUNKED_LINE_MAX)
			{
				*why = "chunk line too long";
				return 400;
			}
		}
		switch (c->state)
		{
			case C_SIZE:
				if ((h = hexval(ch)) < 0)
					return 400;
				c->remain = (uint64_t) h;
				c->digits = h > 0;
				c->linelen = 1;
				c->state = C_SIZE_MORE;
				break;
			case C_SIZE_MORE:
				if ((h = hexval(ch)) >= 0)
				{
					if (c->remain > 0 && ++c->digits > CHUNK_SIZE_DIGITS_MAX)
					{
						*why = "chunk size too large";
						return 400;
					}
					if (c->remain == 0 && h > 0)
						c->digits = 1;
					c->remain = c->remain * 16 + (uint64_t) h;
				}
				else if (ch == ';')
					c->state = C_EXT;
				else if (ch == ' ' || ch == '\t')
					c->state = C_BWS;
				else if (ch == '\r')
					c->state = C_SIZE_LF;
				else
					return 400;
				break;
			case C_BWS:
				if (ch == ';')
					c->state = C_EXT;
				else if (ch != ' ' && ch != '\t')
					return 400;
				break;
			case C_EXT:			/* text up to the CR: extensions, trailer fields */
			case C_TRAILER:
				if (ch == '\r')
					c->state = c->state == C_EXT ? C_SIZE_LF : C_TRAILER_LF;
				else if (!is_text(ch))
					return 400;
				break;
			case C_SIZE_LF:
				if (ch != '\n')
					return 400;
				c->linelen = 0;
				c->state = c->remain > 0 ? C_DATA : C_TRAILER_START;
				break;
			case C_DATA_CR:		/* the CRLF closing a chunk's data */
			case C_DATA_LF:
			case C_END_LF:		/* the CRLF closing the body */
				if (ch != (c->state == C_DATA_CR ? '\r' : '\n'))
					return 400;
				c->state = c->state == C_DATA_CR ? C_DATA_LF :
					c->state == C_DATA_LF ? C_SIZE : C_DONE;
				break;
			case C_TRAILER_START:
				if (ch == '\r')
					c->state = C_END_LF;
				else if (is_text(ch) && ch != ' ' && ch != '\t' && ch != ':')
				{
					c->linelen = 1;
					c->state = C_TRAILER;
				}
				else
					return 400;
				break;
			case C_TRAILER_LF:
				if (ch != '\n')
					return 400;
				c->trailer_bytes += c->linelen;
				if (c->trailer_bytes > CHUNKED_TRAILERS_MAX)
				{
					*why = "chunked trailer section too long";
					return 400;
				}
				c->state = C_TRAILER_START;
				break;
		}
	}
	*used = i;
	*why = NULL;
	return 0;
}

enum
{
	M_BODY = 0,					/* a part's content (or the preamble), watching for delim */
	M_AFTER_DELIM,				/* "--" (the last one), padding, or CRLF */
	M_CLOSE_DASH,
	M_DELIM_LF,
	M_HEADERS,
	M_DONE,						/* the file part is complete: the rest is ignored */
	M_EPILOGUE					/* after the close delimiter, no file part seen */
};

/* bchars of RFC 2046 section 5.1.1. */
static bool
is_bchar(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		(ch && strchr("'()+_,-./:=? ", ch) != NULL);
}

unsigned
proxy_multipart_init(proxy_multipart *m, const char *ctype, const char **why)
{
	const char *b = ctype ? strcasestr(ctype, "boundary=") : NULL;
	size_t		blen;

	memset(m, 0, sizeof(*m));
	if (!b)
	{
		*why = "boundary not found in Content-Type";
		return 400;
	}
	b += 9;
	if (*b == '"')
	{
		b++;
		blen = strcspn(b, "\"");
		if (b[blen] != '"')
			blen = 0;
	}
	else
		blen = strcspn(b, "; \t");
	for (size_t i = 0; i < blen; i++)
		if (!is_bchar(b[i]))
			blen = 0;
	if (blen == 0 || blen > PROXY_MULTIPART_BOUNDARY_MAX || b[blen - 1] == ' ')
	{
		*why = "invalid multipart boundary";
		return 400;
	}
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, b, blen);
	m->dlen = blen + 4;
	/* The first delimiter may open the body: act as if a CRLF came before it. */
	m->match = 2;
	m->state = M_BODY;
	return 0;
}

static unsigned
mp_out(proxy_multipart *m, const unsigned char *data, size_t len, proxy_body_sink sink,
	   void *arg)
{
	if (!m->in_file || len == 0)
		return 0;
	return sink(arg, data, len);
}

unsigned
proxy_multipart_feed(proxy_multipart *m, const unsigned char *in, size_t len,
					 proxy_body_sink sink, void *arg, const char **why)
{
	size_t		i = 0;
	size_t		from = 0;		/* first byte of in[] not yet given out or dropped */
	unsigned	s;

	*why = NULL;
	while (i < len)
	{
		unsigned char ch = in[i];

		switch (m->state)
		{
			case M_BODY:
				{
					/*
					 * The delimiter's only CR is its first byte (a boundary has
					 * none), so on a mismatch the match restarts at this byte:
					 * no other suffix of the matched bytes can begin it.  Matched
					 * bytes from an earlier feed are delim's prefix: given out
					 * from delim itself when they turn out to be content.
					 */
					size_t		here = i - from;	/* bytes of in[] before i still held */

					if ((unsigned char) m->delim[m->match] == ch)
					{
						m->match++;
						i++;
						if (m->match < m->dlen)
							break;
						here = m->dlen < i - from ? m->dlen : i - from;
						if ((s = mp_out(m, in + from, i - from - here, sink, arg)) != 0)
							return s;
						from = i;
						m->match = 0;
						m->state = m->in_file ? M_DONE : M_AFTER_DELIM;
						break;
					}
					if (m->match > here)
					{
						/* Held since an earlier feed: content after all. */
						if ((s = mp_out(m, (const unsigned char *) m->delim, m->match - here,
										sink, arg)) != 0)
							return s;
					}
					m->match = (unsigned char) m->delim[0] == ch;
					i++;
					break;
				}
			case M_AFTER_DELIM:
				i++;
				if (ch == '-' && m->pad == 0)
					m->state = M_CLOSE_DASH;
				else if (ch == ' ' || ch == '\t')
				{
					if (++m->pad > PROXY_CHUNKED_LINE_MAX)
					{
						*why = "malformed multipart/form-data body";
						return 400;
					}
				}
				else if (ch == '\r')
					m->state = M_DELIM_LF;
				else
				{
					*why = "malformed multipart/form-data body";
					return 400;
				}
				break;
			case M_CLOSE_DASH:
				i++;
				if (ch != '-')
				{
					*why = "malformed multipart/form-data body";
					return 400;
				}
				m->state = M_EPILOGUE;
				break;
			case M_DELIM_LF:
				i++;
				if (ch != '\n')
				{
					*why = "malformed multipart/form-data body";
					return 400;
				}
				m->pad = 0;
				m->hlen = 0;
				m->state = M_HEADERS;
				break;
			case M_HEADERS:
				i++;
				if (m->hlen >= sizeof(m->hdr) - 1)
				{
					*why = "multipart part headers too long";
					return 400;
				}
				m->hdr[m->hlen++] = (char) ch;
				/* The block ends at an empty line (a part may have no header). */
				if (ch == '\n' && m->hlen >= 2 && m->hdr[m->hlen - 2] == '\r' &&
					(m->hlen == 2 || (m->hlen >= 4 && memcmp(m->hdr + m->hlen - 4, "\r\n\r\n", 4) == 0)))
				{
					m->hdr[m->hlen] = '\0';
					m->in_file = strcasestr(m->hdr, "filename=") != NULL;
					m->state = M_BODY;
					m->match = 0;
					from = i;
				}
				break;
			case M_DONE:
			case M_EPILOGUE:
				return 0;
		}
	}
	if (m->state == M_BODY)
	{
		size_t		here = m->match < len - from ? m->match : len - from;

		return mp_out(m, in + from, len - from - here, sink, arg);
	}
	return 0;
}

unsigned
proxy_multipart_finish(const proxy_multipart *m, const char **why)
{
	if (m->state == M_DONE)
		return 0;
	*why = m->in_file ? "truncated multipart/form-data body" :
		"no file part in multipart/form-data body";
	return 400;
}
