/*
 * test_anonymize.c: IP obfuscation (section 7 of the dump format).
 *
 * Every address form, candidates of each type, SDP lines, the streaming
 * anonymizer on hand-made dumps (compressed methods and stats properties,
 * errors, chunking), and the corpus: av-call.raw anonymized must equal, line
 * by line as parsed JSON with exact numbers, what upstream's anonymizer wrote
 * (test/corpus/expected/av-call.raw.anonymized.rtcstats).  Run from the
 * repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <json-c/json.h>

#include "check.h"
#include "rtcstats/anonymize.h"

/* ---- helpers ---- */

static void
check_address(const char *in, const char *want, int line)
{
	char	   *got = rtcstats_obfuscate_address(in);
	char	   *again = got ? rtcstats_obfuscate_address(got) : NULL;

	check_eq_str(got, want, __FILE__, line, in);
	/* idempotent: anonymizing an anonymized dump changes nothing */
	check_eq_str(again, want, __FILE__, line, "obfuscating twice");
	free(got);
	free(again);
}
#define ADDR(in, want) check_address((in), (want), __LINE__)

static void
check_candidate(const char *in, const char *want, int line)
{
	char	   *got = rtcstats_anonymize_candidate(in);

	check_eq_str(got, want, __FILE__, line, in);
	free(got);
}
#define CAND(in, want) check_candidate((in), (want), __LINE__)

typedef struct sink
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			calls;
	int			fail_after;		/* > 0: the nth call fails */
} sink;

static rtcstats_status
sink_write(void *arg, const void *data, size_t len, rtcstats_error *err)
{
	sink	   *s = arg;

	s->calls++;
	if (s->fail_after > 0 && s->calls >= s->fail_after)
		return rtcstats_fail(err, RTCSTATS_ERR_IO, 0, "write error: disk full");
	if (s->len + len + 1 > s->cap)
	{
		s->cap = (s->len + len + 1) * 2;
		s->data = realloc(s->data, s->cap);
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	s->data[s->len] = '\0';
	return RTCSTATS_OK;
}

/* Anonymize data fed in chunks of step bytes; the output is in s (caller frees s->data). */
static rtcstats_status
anonymize(const void *data, size_t len, size_t step, const rtcstats_reader_options *opts,
		  sink *s, rtcstats_error *err, long *skipped)
{
	rtcstats_anonymizer *a = rtcstats_anonymizer_new(opts, sink_write, s);
	rtcstats_status rc = RTCSTATS_OK;

	rtcstats_error_clear(err);
	if (a == NULL)
		return RTCSTATS_ERR_NOMEM;
	for (size_t off = 0; off < len && rc == RTCSTATS_OK; off += step)
		rc = rtcstats_anonymizer_feed(a, (const char *) data + off,
									  off + step < len ? step : len - off, err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_anonymizer_finish(a, err);
	if (skipped)
		*skipped = rtcstats_anonymizer_skipped_lines(a);
	rtcstats_anonymizer_free(a);
	return rc;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (fread(buf, 1, (size_t) n, f) != (size_t) n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*len = (size_t) n;
	return buf;
}

/* JSON equality with exact numbers (an int and a double of the same value are equal). */
static bool
json_equal(json_object *a, json_object *b)
{
	json_type	ta = json_object_get_type(a),
				tb = json_object_get_type(b);

	if ((ta == json_type_int || ta == json_type_double) &&
		(tb == json_type_int || tb == json_type_double))
	{
		if (ta == json_type_int && tb == json_type_int)
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return false;
	switch (ta)
	{
		case json_type_null:
			return true;
		case json_type_boolean:
			return json_object_get_boolean(a) == json_object_get_boolean(b);
		case json_type_string:
			return json_object_get_string_len(a) == json_object_get_string_len(b) &&
				memcmp(json_object_get_string(a), json_object_get_string(b),
					   (size_t) json_object_get_string_len(a)) == 0;
		case json_type_array:
			if (json_object_array_length(a) != json_object_array_length(b))
				return false;
			for (size_t i = 0; i < json_object_array_length(a); i++)
				if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
					return false;
			return true;
		case json_type_object:
			{
				if (json_object_object_length(a) != json_object_object_length(b))
					return false;
				json_object_object_foreach(a, k, va)
				{
					json_object *vb;

					if (!json_object_object_get_ex(b, k, &vb) || !json_equal(va, vb))
						return false;
				}
				return true;
			}
		default:
			return false;
	}
}

/* The nth line (0-based) of text, as a new string. */
static char *
nth_line(const char *text, int n)
{
	const char *p = text;
	const char *e;
	char	   *out;

	for (; n > 0 && p; n--)
	{
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p == NULL)
		return strdup("(none)");
	e = strchr(p, '\n');
	if (e == NULL)
		e = p + strlen(p);
	out = malloc((size_t) (e - p) + 1);
	memcpy(out, p, (size_t) (e - p));
	out[e - p] = '\0';
	return out;
}

static void
check_line(const char *text, int n, const char *want, int line)
{
	char	   *got = nth_line(text, n);

	check_eq_str(got, want, __FILE__, line, "output line");
	free(got);
}
#define LINE(text, n, want) check_line((text), (n), (want), __LINE__)

/* ---- addresses ---- */

static void
test_addresses(void)
{
	/* IPv4: the last octet */
	ADDR("192.0.2.7", "192.0.2.x");
	ADDR("203.0.113.255", "203.0.113.x");
	ADDR("10.0.0.1", "10.0.0.x");
	ADDR("127.0.0.2", "127.0.0.x");	/* only 127.0.0.1 itself is kept, as upstream */

	/* kept: loopback, the unspecified address, hostnames */
	ADDR("127.0.0.1", "127.0.0.1");
	ADDR("0.0.0.0", "0.0.0.0");
	ADDR("::1", "::1");
	ADDR("0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1");
	ADDR("::", "::");
	ADDR("3c2d9a2e-4b5f-4a7d-9c1e-2f3a4b5c6d7e.local", "3c2d9a2e-4b5f-4a7d-9c1e-2f3a4b5c6d7e.local");
	ADDR("turn.example.com", "turn.example.com");
	ADDR("localhost", "localhost");
	ADDR("", "");
	/* four dot-separated labels read as IPv4 (upstream's rule): masked, never leaked */
	ADDR("a.b.example.com", "a.b.example.x");

	/* IPv6 in full: the /48 kept */
	ADDR("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3:x:x:x:x:x");
	ADDR("2001:0db8:85a3:08d3:1319:8a2e:0370:7348", "2001:0db8:85a3:x:x:x:x:x");

	/*
	 * Compressed IPv6: "::" expanded first.  Here we deliberately differ
	 * from upstream (spec section 7), which would write "fd00::2x:x:x:x:x:x"
	 * (the whole address) and "2001:DB8:x:x:x:x:x:x".
	 */
	ADDR("fd00::2", "fd00:0:0:x:x:x:x:x");
	ADDR("2001:DB8::8:800:200C:417A", "2001:DB8:0:x:x:x:x:x");
	ADDR("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3:x:x:x:x:x");
	ADDR("::2", "0:0:0:x:x:x:x:x");
	ADDR("2001:db8::", "2001:db8:0:x:x:x:x:x");
	ADDR("1:2:3:4:5:6:7::", "1:2:3:x:x:x:x:x");
	ADDR("1::8", "1:0:0:x:x:x:x:x");
	ADDR("fe80::1c2b:3d4e:5f60:7182", "fe80:0:0:x:x:x:x:x");

	/* zone ids: the interface name goes with the interface part */
	ADDR("fe80::1%eth0", "fe80:0:0:x:x:x:x:x");
	ADDR("fe80::a:b:c:d%2", "fe80:0:0:x:x:x:x:x");
	ADDR("::1%lo", "::1%lo");

	/* IPv4-mapped: the IPv4 rule inside the mapping, as written */
	ADDR("::ffff:203.0.113.7", "::ffff:203.0.113.x");
	ADDR("::FFFF:203.0.113.7", "::FFFF:203.0.113.x");
	ADDR("0:0:0:0:0:ffff:203.0.113.7", "0:0:0:0:0:ffff:203.0.113.x");
	ADDR("::ffff:cb00:7107", "::ffff:203.0.113.x");	/* hex form: written dotted */
	ADDR("::ffff:127.0.0.1", "::ffff:127.0.0.1");	/* mapped loopback kept */
	ADDR("::ffff:0.0.0.0", "::ffff:0.0.0.0");
	/* other embedded IPv4 forms are plain IPv6 (the IPv4 is in the masked part) */
	ADDR("64:ff9b::192.0.2.33", "64:ff9b:0:x:x:x:x:x");
	ADDR("::192.0.2.33", "0:0:0:x:x:x:x:x");

	/* a colon but no IPv6 address: replaced whole, nothing survives */
	ADDR("192.0.2.7:5000", "x:x:x:x:x:x:x:x");
	ADDR("1::2::3", "x:x:x:x:x:x:x:x");
	ADDR("12345::1", "x:x:x:x:x:x:x:x");
	ADDR("1:2:3:4:5:6:7:8:9", "x:x:x:x:x:x:x:x");
	ADDR("1:2:3", "x:x:x:x:x:x:x:x");
	ADDR("[2001:db8::1]", "x:x:x:x:x:x:x:x");
	ADDR("::ffff:300.1.2.3", "x:x:x:x:x:x:x:x");
	ADDR(":", "x:x:x:x:x:x:x:x");
	/* upstream's own (leaky) output form, met in already obfuscated dumps */
	ADDR("fd00::2x:x:x:x:x:x", "x:x:x:x:x:x:x:x");
	ADDR("::ffffx:x:x:x:x:x", "x:x:x:x:x:x:x:x");

	CHECK(rtcstats_obfuscate_address(NULL) == NULL);
}

/* ---- candidates ---- */

static void
test_candidates(void)
{
	/* host, UDP: upstream's writeCandidate (UDP, no generation/network-id) */
	CAND("candidate:1685474236 1 udp 2122194687 192.0.2.2 35551 typ host generation 0 ufrag Et5C network-id 1",
		 "candidate:1685474236 1 UDP 2122194687 192.0.2.x 35551 typ host ufrag Et5C");
	/* host, IPv6 compressed (our rule) */
	CAND("candidate:1661216524 1 udp 2122265343 fd00::2 53781 typ host generation 0 ufrag Et5C network-id 2",
		 "candidate:1661216524 1 UDP 2122265343 fd00:0:0:x:x:x:x:x 53781 typ host ufrag Et5C");
	/* host, TCP with tcptype */
	CAND("candidate:448375076 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 ufrag Et5C network-id 1",
		 "candidate:448375076 1 TCP 1518214911 192.0.2.x 9 typ host tcptype active ufrag Et5C");
	/* tcptype is written only for TCP */
	CAND("candidate:1 1 udp 5 192.0.2.2 9 typ host tcptype active",
		 "candidate:1 1 UDP 5 192.0.2.x 9 typ host");
	/* mDNS host: kept */
	CAND("candidate:2 1 udp 2122262783 3c2d9a2e-4b5f.local 54321 typ host generation 0 ufrag abcd network-cost 999",
		 "candidate:2 1 UDP 2122262783 3c2d9a2e-4b5f.local 54321 typ host ufrag abcd");
	/* srflx: both addresses masked */
	CAND("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 192.0.2.2 rport 46154 generation 0 ufrag abcd network-cost 999",
		 "candidate:842163049 1 UDP 1677729535 203.0.113.x 46154 typ srflx raddr 192.0.2.x rport 46154 ufrag abcd");
	/* srflx with a hidden related address (raddr 0.0.0.0 rport 0): upstream drops them */
	CAND("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0",
		 "candidate:842163049 1 UDP 1677729535 203.0.113.x 46154 typ srflx");
	/* prflx, IPv6 */
	CAND("candidate:3 1 udp 1853824767 2001:db8:85a3:8d3:1319:8a2e:370:7348 50000 typ prflx raddr 2001:db8::5 rport 50001 ufrag q",
		 "candidate:3 1 UDP 1853824767 2001:db8:85a3:x:x:x:x:x 50000 typ prflx raddr 2001:db8:0:x:x:x:x:x rport 50001 ufrag q");
	/* relay: the TURN server's address is kept, the related (client) address masked */
	CAND("candidate:1 1 udp 1 8.8.8.8 9 typ relay raddr 1.1.1.1 rport 9 ufrag HjHI",
		 "candidate:1 1 UDP 1 8.8.8.8 9 typ relay raddr 1.1.1.x rport 9 ufrag HjHI");
	CAND("candidate:4 2 tcp 16776447 198.51.100.20 3478 typ relay raddr 203.0.113.7 rport 60000 tcptype passive",
		 "candidate:4 2 TCP 16776447 198.51.100.20 3478 typ relay raddr 203.0.113.x rport 60000 tcptype passive");
	/* host candidates have no raddr in writeCandidate */
	CAND("candidate:1 1 udp 5 192.0.2.2 9 typ host raddr 10.0.0.1 rport 9",
		 "candidate:1 1 UDP 5 192.0.2.x 9 typ host");
	/* the SDP attribute form keeps its a= in the helper */
	CAND("a=candidate:1 1 udp 2122194687 192.0.2.2 35551 typ host",
		 "a=candidate:1 1 UDP 2122194687 192.0.2.x 35551 typ host");
	/* no prefix: writeCandidate's */
	CAND("1 1 udp 5 192.0.2.7 9 typ host", "candidate:1 1 UDP 5 192.0.2.x 9 typ host");
	/* numbers as JavaScript prints parseInt() */
	CAND("candidate:1 1 udp 99999999999999999999 192.0.2.7 009 typ host",
		 "candidate:1 1 UDP 100000000000000000000 192.0.2.x 9 typ host");
	CAND("candidate:1 1 udp 1e5 192.0.2.7 x typ host",
		 "candidate:1 1 UDP 1 192.0.2.x NaN typ host");
	CAND("candidate:1 1 udp 1234567890123456789012345 192.0.2.7 -0 typ host",
		 "candidate:1 1 UDP 1.2345678901234568e+24 192.0.2.x 0 typ host");
	/* ufrag: the last one wins; usernameFragment fills in only when unset */
	CAND("candidate:1 1 udp 5 192.0.2.7 9 typ host ufrag a ufrag b",
		 "candidate:1 1 UDP 5 192.0.2.x 9 typ host ufrag b");
	CAND("candidate:1 1 udp 5 192.0.2.7 9 typ host usernameFragment u",
		 "candidate:1 1 UDP 5 192.0.2.x 9 typ host ufrag u");
	/* relatedAddress spelled out is still an address to mask */
	CAND("candidate:1 1 udp 5 203.0.113.7 9 typ srflx relatedAddress 192.0.2.9 relatedPort 7",
		 "candidate:1 1 UDP 5 203.0.113.x 9 typ srflx raddr 192.0.2.x rport 7");
	/* fewer fields than upstream can parse (it would throw and keep the line): masked in place */
	CAND("candidate:1 1 udp 192.0.2.7", "candidate:1 1 udp 192.0.2.x");
	CAND("candidate:fd00::2", "candidate:fd00:0:0:x:x:x:x:x");
	CAND("192.0.2.7", "192.0.2.x");
	/* short but parsable: missing fields print as upstream's join does */
	CAND("candidate:1 1 udp 5 192.0.2.7", "candidate:1 1 UDP 5 192.0.2.x NaN typ ");
	/* separators no browser writes: an address hidden in any field is still masked */
	CAND("candidate:\t2\tudp\t1e21\t0.0.0.0\tInfinity\t\tprflx\tactive\t192.0.2.56\xc2\xa0",
		 "candidate:\t2\tudp\t1e21\t0.0.0.0\tInfinity\t\tprflx\tactive\t192.0.2.x\xc2\xa0");
	CAND("candidate:1 1 udp 5 host.local\t10.0.0.1 9 typ host",
		 "candidate:1 1 UDP 5 host.local\t10.0.0.x 9 typ host");
	CAND("candidate:1 1 udp 5 192.0.2.7\r 9 typ host", "candidate:1 1 UDP 5 192.0.2.x 9 typ host");
	CAND("candidate:1 1 udp 5 192.0.2.7 9 typ host ufrag 10.0.0.1",
		 "candidate:1 1 UDP 5 192.0.2.x 9 typ host ufrag 10.0.0.x");
	CAND("candidate:1 1 udp 5 198.51.100.9 9 typ relay\t10.0.0.1",
		 "candidate:1 1 UDP 5 198.51.100.x 9 typ relay\t10.0.0.x");	/* not "relay" */
	/* parseCandidate names components 1 and 2, writeCandidate numbers the names */
	CAND("candidate:1 rtp udp 5 192.0.2.7 9 typ host", "candidate:1 1 UDP 5 192.0.2.x 9 typ host");
	CAND("candidate:1 rtcp udp 5 192.0.2.7 9 typ host", "candidate:1 2 UDP 5 192.0.2.x 9 typ host");
	CAND("candidate:1 3 udp 5 192.0.2.7 9 typ host", "candidate:1 3 UDP 5 192.0.2.x 9 typ host");
	/* end-of-candidates */
	CAND("", "");
	CHECK(rtcstats_anonymize_candidate(NULL) == NULL);
}

/* ---- SDP ---- */

static void
test_sdp(void)
{
	/* upstream's own test SDP: LF line ends, a trailing space */
	const char *sdp =
		"v=0\n"
		"o=- 0 3 IN IP4 127.0.0.1\n"
		"s=-\n"
		"t=0 0\n"
		"m=audio 9 RTP/SAVPF 111\n"
		"c=IN IP4 8.8.8.8\n"
		"a=rtcp:9 IN IP4 8.8.8.8\n"
		"a=rtcp-mux\n"
		"a=mid:audio\n"
		"a=candidate:1 1 udp 1 192.168.0.1 9 typ host ufrag HjHI\n"
		"a=candidate:1 1 udp 1 8.8.8.8 9 typ relay raddr 1.1.1.1 rport 9 ufrag HjHI\n"
		"a=msid:streamid trackid \n";
	const char *want =
		"v=0\r\n"
		"o=- 0 3 IN IP4 127.0.0.1\r\n"
		"s=-\r\n"
		"t=0 0\r\n"
		"m=audio 9 RTP/SAVPF 111\r\n"
		"c=IN IP4 0.0.0.0\r\n"
		"a=rtcp:9 IN IP4 0.0.0.0\r\n"
		"a=rtcp-mux\r\n"
		"a=mid:audio\r\n"
		"a=candidate:1 1 UDP 1 192.168.0.x 9 typ host ufrag HjHI\r\n"
		"a=candidate:1 1 UDP 1 8.8.8.8 9 typ relay raddr 1.1.1.x rport 9 ufrag HjHI\r\n"
		"a=msid:streamid trackid\r\n";
	char	   *got = rtcstats_anonymize_sdp(sdp);

	CHECK_EQ_STR(got, want);
	free(got);

	/* CRLF input, IPv6 c= and a=rtcp: lines, a port other than 9 */
	got = rtcstats_anonymize_sdp("v=0\r\nm=video 50000 UDP/TLS/RTP/SAVPF 96\r\n"
								 "c=IN IP6 2001:db8::7\r\na=rtcp:50001 IN IP6 2001:db8::7\r\n");
	CHECK_EQ_STR(got, "v=0\r\nm=video 50000 UDP/TLS/RTP/SAVPF 96\r\n"
				 "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
	free(got);

	/* compressed SDP (section 3): placeholder sections stay placeholders */
	got = rtcstats_anonymize_sdp("v=\r\nm=\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
								 "c=IN IP4 192.0.2.2\r\na=candidate:1 1 udp 5 192.0.2.2 9 typ host\r\n");
	CHECK_EQ_STR(got, "v=\r\nm=\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
				 "c=IN IP4 0.0.0.0\r\na=candidate:1 1 UDP 5 192.0.2.x 9 typ host\r\n");
	free(got);

	/* surrounding white space (also Unicode's, as JavaScript's trim) goes */
	got = rtcstats_anonymize_sdp("\xc2\xa0 \r\nv=0\xe2\x80\xa8\r\n\r\n");
	CHECK_EQ_STR(got, "v=0\r\n");
	free(got);
	/* a candidate line is only one that starts so; an "a=candidate" mention elsewhere stays */
	got = rtcstats_anonymize_sdp("a=x-note:a=candidate:1 1 udp 5 192.0.2.2 9 typ host");
	CHECK_EQ_STR(got, "a=x-note:a=candidate:1 1 udp 5 192.0.2.2 9 typ host\r\n");
	free(got);

	got = rtcstats_anonymize_sdp("");
	CHECK_EQ_STR(got, "");
	free(got);
	CHECK(rtcstats_anonymize_sdp(NULL) == NULL);
}

/* ---- the dump anonymizer ---- */

static const char *dump_text =
	"RTCStatsDump\n"
	"{\"url\":\"/x?a=1\",\"remoteAddresses\":[\"203.0.113.7\",\"::ffff:127.0.0.1\"],\"fileFormat\":3}\n"
	"[\"getUserMedia\", null, { \"audio\" : true, \"n\": 1.50 }, 1795504936279]\n"
	"\n"
	"[20,\"PC_0\",{\"candidate\":\"candidate:1 1 udp 2122194687 192.0.2.2 35551 typ host generation 0\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0},5]\n"
	"[\"addIceCandidate\",\"PC_0\",{\"candidate\":\"candidate:2 1 udp 1 198.51.100.9 3478 typ relay raddr 192.0.2.2 rport 5 ufrag u\"},2]\n"
	"[\"onicecandidate\",\"PC_0\",{\"candidate\":\"\"},1]\n"
	"[\"onicecandidate\",\"PC_0\",null,1]\n"
	"[6,\"PC_0\",{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nc=IN IP4 192.0.2.2\\r\\n\"},1]\n"
	"[\"setRemoteDescription\",\"PC_0\",{\"type\":\"answer\",\"sdp\":\"v=0\\r\\na=rtcp:9 IN IP4 203.0.113.7\\r\\n\"},1]\n"
	"[\"g\",\"PC_0\",{\"1\":{\"134\":\"192.0.2.2\",\"136\":\"host\",\"ip\":\"192.0.2.2\"},"
	"\"2\":{\"134\":\"198.51.100.9\",\"136\":\"relay\",\"141\":\"192.0.2.2\"},"
	"\"3\":{\"134\":\"fd00::2\"},\"4\":null,\"5\":{\"1\":5},\"t\":1795504937000},1000]\n"
	"[\"getStats\",\"PC_0\",{\"c1\":{\"type\":\"local-candidate\",\"address\":\"192.0.2.2\",\"candidateType\":\"srflx\","
	"\"relatedAddress\":\"10.0.0.1\",\"ip\":\"192.0.2.2\"},\"c2\":{\"ip\":\"192.0.2.3\"}},5]\n"
	"[\"publicIP\",null,[\"203.0.113.7\",\"198.51.100.2\"],3]\n"
	"[\"publicIP\",null,\"203.0.113.8\",3]\n"
	"[\"publicIP\",null,7]\n"
	"[\"custom\",null,{\"address\":\"192.0.2.2\"},1]\n"
	"[21,\"PC_0\",{\"address\":\"192.0.2.2\",\"port\":5000,\"hostCandidate\":\"192.0.2.2:5000\","
	"\"url\":\"stun:stun.example.com:3478\",\"errorCode\":701,\"errorText\":\"STUN host lookup received error.\"},1]\n"
	"[\"onicecandidateerror\",\"PC_0\",{\"address\":\"fd00::2\",\"hostCandidate\":\"[fd00::2]:5000\",\"url\":\"turn:198.51.100.9\"},1]\n"
	"[\"onicecandidateerror\",\"PC_0\",{\"address\":null,\"hostCandidate\":\"\"},1]\n"
	"[\"close\",null,1005,12]";

static const char *const dump_want[] = {
	"RTCStatsDump",
	"{\"url\":\"/x?a=1\",\"remoteAddresses\":[\"203.0.113.x\",\"::ffff:127.0.0.1\"],\"fileFormat\":3}",
	/* nothing to anonymize: copied byte for byte */
	"[\"getUserMedia\", null, { \"audio\" : true, \"n\": 1.50 }, 1795504936279]",
	/* (the empty line is dropped) compressed method 20 = onicecandidate */
	"[20,\"PC_0\",{\"candidate\":\"candidate:1 1 UDP 2122194687 192.0.2.x 35551 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0},5]",
	"[\"addIceCandidate\",\"PC_0\",{\"candidate\":\"candidate:2 1 UDP 1 198.51.100.9 3478 typ relay raddr 192.0.2.x rport 5 ufrag u\"},2]",
	"[\"onicecandidate\",\"PC_0\",{\"candidate\":\"\"},1]",
	"[\"onicecandidate\",\"PC_0\",null,1]",
	/* compressed method 6 = setLocalDescription */
	"[6,\"PC_0\",{\"type\":\"offer\",\"sdp\":\"v=0\\r\\nc=IN IP4 0.0.0.0\\r\\n\"},1]",
	"[\"setRemoteDescription\",\"PC_0\",{\"type\":\"answer\",\"sdp\":\"v=0\\r\\na=rtcp:9 IN IP4 0.0.0.0\\r\\n\"},1]",
	/* compressed stats: 134 address, 136 candidateType, 141 relatedAddress */
	"[\"g\",\"PC_0\",{\"1\":{\"134\":\"192.0.2.x\",\"136\":\"host\"},"
	"\"2\":{\"134\":\"198.51.100.9\",\"136\":\"relay\",\"141\":\"192.0.2.x\"},"
	"\"3\":{\"134\":\"fd00:0:0:x:x:x:x:x\"},\"4\":null,\"5\":{\"1\":5},\"t\":1795504937000},1000]",
	/* an ip without an address goes too (upstream would keep it) */
	"[\"getStats\",\"PC_0\",{\"c1\":{\"type\":\"local-candidate\",\"address\":\"192.0.2.x\",\"candidateType\":\"srflx\","
	"\"relatedAddress\":\"10.0.0.x\"},\"c2\":{}},5]",
	"[\"publicIP\",null,[\"203.0.113.x\",\"198.51.100.x\"],3]",
	"[\"publicIP\",null,\"203.0.113.x\",3]",
	/* [method, pc, delta]: the delta is no address */
	"[\"publicIP\",null,7]",
	/* methods that carry no address are not searched */
	"[\"custom\",null,{\"address\":\"192.0.2.2\"},1]",
	/* compressed method 21: onicecandidateerror (our addition to upstream's list) */
	"[21,\"PC_0\",{\"address\":\"192.0.2.x\",\"port\":5000,\"hostCandidate\":\"192.0.2.x:5000\","
	"\"url\":\"stun:stun.example.com:3478\",\"errorCode\":701,\"errorText\":\"STUN host lookup received error.\"},1]",
	"[\"onicecandidateerror\",\"PC_0\",{\"address\":\"fd00:0:0:x:x:x:x:x\",\"hostCandidate\":\"[fd00:0:0:x:x:x:x:x]:5000\",\"url\":\"turn:198.51.100.9\"},1]",
	"[\"onicecandidateerror\",\"PC_0\",{\"address\":null,\"hostCandidate\":\"\"},1]",
	"[\"close\",null,1005,12]",
	NULL
};

static void
test_dump(void)
{
	sink		s = {0};
	sink		s1 = {0};
	rtcstats_error err;
	size_t		n = 0;

	CHECK_EQ_LONG(anonymize(dump_text, strlen(dump_text), strlen(dump_text), NULL, &s, &err, NULL),
				  RTCSTATS_OK);
	for (int i = 0; dump_want[i]; i++, n++)
		check_line(s.data, i, dump_want[i], __LINE__);
	/* one write per line, each ending with a newline (the last one too) */
	CHECK_EQ_LONG(s.calls, (long) n);
	CHECK(s.len > 0 && s.data[s.len - 1] == '\n');

	/* any chunking gives the same bytes */
	for (size_t step = 1; step < 64; step += 7)
	{
		s1.len = 0;
		s1.calls = 0;
		CHECK_EQ_LONG(anonymize(dump_text, strlen(dump_text), step, NULL, &s1, &err, NULL), RTCSTATS_OK);
		CHECK(s1.len == s.len && memcmp(s1.data, s.data, s.len) == 0);
	}

	/* gzip input */
	{
		unsigned char gz[8192];
		z_stream	zs = {0};

		deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
		zs.next_in = (unsigned char *) dump_text;
		zs.avail_in = (uInt) strlen(dump_text);
		zs.next_out = gz;
		zs.avail_out = sizeof(gz);
		deflate(&zs, Z_FINISH);
		deflateEnd(&zs);
		s1.len = 0;
		CHECK_EQ_LONG(anonymize(gz, zs.total_out, 100, NULL, &s1, &err, NULL), RTCSTATS_OK);
		CHECK(s1.len == s.len && memcmp(s1.data, s.data, s.len) == 0);
		/* truncated gzip */
		s1.len = 0;
		CHECK_EQ_LONG(anonymize(gz, zs.total_out - 10, 100, NULL, &s1, &err, NULL), RTCSTATS_ERR_GZIP);
	}

	/* the output anonymizes to itself */
	s1.len = 0;
	CHECK_EQ_LONG(anonymize(s.data, s.len, 4096, NULL, &s1, &err, NULL), RTCSTATS_OK);
	CHECK(s1.len == s.len && memcmp(s1.data, s.data, s.len) == 0);

	free(s.data);
	free(s1.data);
}

/*
 * Numbers survive re-serialization: json-c would saturate an integer beyond
 * 64 bits, JavaScript reads a double; we write the same number.
 */
static void
test_numbers(void)
{
	const char *t = "RTCStatsDump\n{}\n"
		"[\"publicIP\",null,\"192.0.2.2\",99999999999999999999999,-99999999999999999999,"
		"9007199254740993,1.50,1e3,0.1,\"12345678901234567890123\",1]\n"
		"[\"x\",null,99999999999999999999999,1]";
	sink		s = {0};
	rtcstats_error err;
	char	   *l;
	json_object *o;

	CHECK_EQ_LONG(anonymize(t, strlen(t), strlen(t), NULL, &s, &err, NULL), RTCSTATS_OK);
	l = nth_line(s.data, 2);
	o = json_tokener_parse(l);
	CHECK(o != NULL);
	if (o)
	{
		CHECK_EQ_STR(json_object_get_string(json_object_array_get_idx(o, 2)), "192.0.2.x");
		CHECK(json_object_get_double(json_object_array_get_idx(o, 3)) == 1e23);
		CHECK(json_object_get_double(json_object_array_get_idx(o, 4)) == -1e20);
		CHECK(json_object_get_double(json_object_array_get_idx(o, 5)) == 9007199254740992.0);
		CHECK_EQ_STR(json_object_get_string(json_object_array_get_idx(o, 9)), "12345678901234567890123");
	}
	/* the other numbers as written */
	CHECK(strstr(l, ",1.50,1e3,0.1,") != NULL);
	json_object_put(o);
	free(l);
	/* an untouched line keeps its text */
	LINE(s.data, 3, "[\"x\",null,99999999999999999999999,1]");
	free(s.data);
}

/* ---- webrtc-internals documents ---- */

/* The string at path a/b/c... of o (keys, or array indexes as numbers), or NULL. */
static const char *
str_at(json_object *o, const char *const *path)
{
	for (; *path && o; path++)
	{
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t) atoi(*path));
		else if (!json_object_object_get_ex(o, *path, &o))
			return NULL;
	}
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}
#define AT(o, ...) str_at((o), (const char *const []) {__VA_ARGS__, NULL})

static void
test_internals(void)
{
	const char *doc =
		"{\n \"PeerConnections\": {\n  \"1-1\": {\n"
		"   \"rtcConfiguration\": \"{ iceServers: [turn:198.51.100.9] }\",\n"
		"   \"updateLog\": [\n"
		"    {\"type\": \"icecandidate (host)\", \"value\": \"sdpMid: 0, sdpMLineIndex: 0, candidate: candidate:1 1 udp 2122194687 192.0.2.2 35551 typ host generation 0\"},\n"
		"    {\"type\": \"icecandidate\", \"value\": \"{\\\"candidate\\\":\\\"candidate:1 1 udp 5 192.0.2.2 9 typ host generation 0\\\",\\\"sdpMid\\\":\\\"0\\\"}\"},\n"
		"    {\"type\": \"setLocalDescription\", \"value\": \"type: offer, sdp: v=0\\r\\nc=IN IP4 192.0.2.2\\r\\na=candidate:1 1 udp 5 fd00::2 9 typ host\\r\\n\"},\n"
		"    {\"type\": \"iceconnectionstatechange\", \"value\": \"connected\"},\n"
		"    {\"type\": \"icecandidateerror\", \"value\": \"url: stun:stun.example.com:3478, address: 192.0.2.2, port: 5000, host_candidate: 192.0.2.2:5000, error_text: x, error_code: 701\"},\n"
		"    {\"type\": \"something\", \"value\": \"{\\\"note\\\":[\\\"via 203.0.113.7:3478.\\\"]}\"},\n"
		"    {\"type\": \"note\", \"value\": \"ip-10.0.0.1-x turn:198.51.100.9:3478?transport=udp 192.0.2.56\u00a0 10.0.0.1.nip.io fd00::2/64 [fd00::3]:80 Chrome/120.0.6099.109 stun:stun.example.com:19302\"}\n"
		"   ],\n"
		"   \"stats\": {\n"
		"    \"I1-address\": {\"statsType\": \"local-candidate\", \"values\": \"[\\\"192.0.2.2\\\",\\\"fd00::2\\\"]\"},\n"
		"    \"I1-candidateType\": {\"statsType\": \"local-candidate\", \"values\": \"[\\\"host\\\",\\\"host\\\"]\"},\n"
		"    \"I2-address\": {\"statsType\": \"local-candidate\", \"values\": \"[\\\"198.51.100.9\\\"]\"},\n"
		"    \"I2-ip\": {\"statsType\": \"local-candidate\", \"values\": \"[\\\"198.51.100.9\\\"]\"},\n"
		"    \"I2-candidateType\": {\"statsType\": \"local-candidate\", \"values\": \"[\\\"relay\\\"]\"},\n"
		"    \"I2-relatedAddress\": {\"statsType\": \"local-candidate\", \"values\": \"[\\\"192.0.2.2\\\"]\"},\n"
		"    \"I2-port\": {\"statsType\": \"local-candidate\", \"values\": \"[3478]\"}\n"
		"   }\n  }\n },\n \"getUserMedia\": [],\n \"UserAgent\": \"Mozilla/5.0\"\n}\n";
	sink		s = {0};
	rtcstats_error err;
	json_object *o;

	CHECK_EQ_LONG(anonymize(doc, strlen(doc), 100, NULL, &s, &err, NULL), RTCSTATS_OK);
	o = json_tokener_parse(s.data ? s.data : "");
	CHECK(o != NULL);
	if (o == NULL)
	{
		printf("  output: %s\n  error: %s\n", s.data ? s.data : "(none)", err.detail);
		free(s.data);
		return;
	}
	/* text values: each word that is an address, the rest as written */
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "0", "value"),
				 "sdpMid: 0, sdpMLineIndex: 0, candidate: candidate:1 1 udp 2122194687 192.0.2.x 35551 typ host generation 0");
	/* JSON values: the event of that type, as in a dump */
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "1", "value"),
				 "{\"candidate\":\"candidate:1 1 UDP 5 192.0.2.x 9 typ host\",\"sdpMid\":\"0\"}");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "2", "value"),
				 "type: offer, sdp: v=0\r\nc=IN IP4 192.0.2.x\r\na=candidate:1 1 udp 5 fd00:0:0:x:x:x:x:x 9 typ host\r\n");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "3", "value"), "connected");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "4", "value"),
				 "url: stun:stun.example.com:3478, address: 192.0.2.x, port: 5000, host_candidate: 192.0.2.x:5000, error_text: x, error_code: 701");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "5", "value"), "{\"note\":[\"via 203.0.113.x:3478.\"]}");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "updateLog", "6", "value"),
				 "ip-10.0.0.x-x turn:198.51.100.x:3478?transport=udp 192.0.2.x\xc2\xa0 10.0.0.x.nip.io "
				 "fd00:0:0:x:x:x:x:x/64 [fd00:0:0:x:x:x:x:x]:80 Chrome/120.0.6099.109 stun:stun.example.com:19302");
	/* stats series: address, ip and relatedAddress; a relay candidate keeps its address */
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "stats", "I1-address", "values"),
				 "[\"192.0.2.x\",\"fd00:0:0:x:x:x:x:x\"]");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "stats", "I2-address", "values"), "[\"198.51.100.9\"]");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "stats", "I2-ip", "values"), "[\"198.51.100.9\"]");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "stats", "I2-relatedAddress", "values"), "[\"192.0.2.x\"]");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "stats", "I2-port", "values"), "[3478]");
	CHECK_EQ_STR(AT(o, "PeerConnections", "1-1", "rtcConfiguration"), "{ iceServers: [turn:198.51.100.9] }");
	CHECK_EQ_STR(AT(o, "UserAgent"), "Mozilla/5.0");
	CHECK(strstr(s.data, "192.0.2.2") == NULL && strstr(s.data, "fd00::2") == NULL);
	/* one document, ending with a newline; anonymizing it again changes nothing */
	CHECK(s.len > 0 && s.data[s.len - 1] == '\n');
	{
		sink		s2 = {0};

		CHECK_EQ_LONG(anonymize(s.data, s.len, 4096, NULL, &s2, &err, NULL), RTCSTATS_OK);
		CHECK(s2.len == s.len && memcmp(s2.data, s.data, s.len) == 0);
		free(s2.data);
	}
	json_object_put(o);

	/* bounded: a document over max_document_bytes is refused */
	{
		rtcstats_reader_options opts = {.max_document_bytes = 200};

		s.len = 0;
		CHECK_EQ_LONG(anonymize(doc, strlen(doc), 100, &opts, &s, &err, NULL), RTCSTATS_ERR_TOO_LARGE);
	}
	free(s.data);
}

/* A dump that must fail with code at line, its message containing what. */
static void
check_bad(const char *text, size_t len, rtcstats_status code, long line, const char *what,
		  int srcline)
{
	sink		s = {0};
	rtcstats_error err;
	rtcstats_status rc = anonymize(text, len, 1000, NULL, &s, &err, NULL);

	check_eq_long(rc, code, __FILE__, srcline, "status");
	if (line >= 0)
		check_eq_long(err.line, line, __FILE__, srcline, "error line");
	if (strstr(err.detail, what) == NULL)
		check_eq_str(err.detail, what, __FILE__, srcline, "error detail");
	free(s.data);
}
#define BAD(text, code, line, what) check_bad((text), strlen(text), (code), (line), (what), __LINE__)

static void
test_bad_input(void)
{
	rtcstats_reader_options opts = {0};
	sink		s = {0};
	rtcstats_error err;
	long		skipped = 0;
	char	   *deep;
	size_t		depth = 100000;

	BAD("", RTCSTATS_ERR_FORMAT, 0, "the dump is empty");
	BAD("RTCStatsDump\n", RTCSTATS_ERR_FORMAT, 1, "before its metadata line");
	BAD("hello\n{}\n", RTCSTATS_ERR_FORMAT, 1, "not an rtcstats dump");
	BAD("{\"PeerConnections\":{}", RTCSTATS_ERR_JSON, 0, "webrtc-internals dump is not a valid JSON object");
	BAD("{\"PeerConnections\":{}} x", RTCSTATS_ERR_JSON, 0, "webrtc-internals dump is not a valid JSON object");
	BAD("RTCStatsDump\n{oops\n", RTCSTATS_ERR_JSON, 2, "metadata line is not valid JSON");
	BAD("RTCStatsDump\n[1]\n", RTCSTATS_ERR_FORMAT, 2, "metadata line is not a JSON object");
	BAD("RTCStatsDump\n{}\n[1,2,3]\nnot json\n", RTCSTATS_ERR_JSON, 4, "line is not valid JSON");
	BAD("RTCStatsDump\n{}\n{\"a\":1}\n", RTCSTATS_ERR_LINE_SHAPE, 3, "line is not a JSON array");
	BAD("RTCStatsDump\n{}\n[1,2] x\n", RTCSTATS_ERR_JSON, 3, "line is not valid JSON");
	BAD("RTCStatsDump\n{}\n[\"publicIP\",null,\"1.2.3.4\"", RTCSTATS_ERR_JSON, 3, "unexpected end of line");
	BAD("RTCStatsDump\n{}\n[\"publicIP\",null,\"\xff\xfe\",1]\n", RTCSTATS_ERR_JSON, 3,
		"line is not valid JSON");
	/* gzip of garbage */
	BAD("\x1f\x8b\x08\x00garbage garbage garbage", RTCSTATS_ERR_GZIP, -1, "");

	/* nesting 100,000 deep: an error, not a stack overflow */
	deep = malloc(depth * 2 + 64);
	strcpy(deep, "RTCStatsDump\n{}\n");
	memset(deep + 16, '[', depth);
	memset(deep + 16 + depth, ']', depth);
	deep[16 + 2 * depth] = '\0';
	BAD(deep, RTCSTATS_ERR_JSON, 3, "line is not valid JSON");
	free(deep);

	/* a line over the limit */
	opts.max_line_bytes = 64;
	{
		const char *t = "RTCStatsDump\n{}\n[\"publicIP\",null,\"1.2.3.4\",1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]\n";

		CHECK_EQ_LONG(anonymize(t, strlen(t), 7, &opts, &s, &err, NULL), RTCSTATS_ERR_TOO_LARGE);
		CHECK_EQ_LONG(err.line, 3);
	}

	/* skip_bad_lines: bad lines are dropped (never copied: they may hold anything) */
	memset(&opts, 0, sizeof(opts));
	opts.skip_bad_lines = true;
	s.len = 0;
	{
		const char *t = "RTCStatsDump\n{}\nnot json 192.0.2.2\n{\"address\":\"192.0.2.2\"}\n[\"publicIP\",null,\"192.0.2.2\",1]\n";

		CHECK_EQ_LONG(anonymize(t, strlen(t), 5, &opts, &s, &err, &skipped), RTCSTATS_OK);
		CHECK_EQ_LONG(skipped, 2);
		CHECK_EQ_STR(s.data, "RTCStatsDump\n{}\n[\"publicIP\",null,\"192.0.2.x\",1]\n");
	}

	/* a failing write stops the anonymizer with the writer's error, and it stays failed */
	{
		const char *t = "RTCStatsDump\n{}\n[\"publicIP\",null,\"192.0.2.2\",1]\n";
		sink		w = {.fail_after = 2};
		rtcstats_anonymizer *a = rtcstats_anonymizer_new(NULL, sink_write, &w);

		CHECK_EQ_LONG(rtcstats_anonymizer_feed(a, t, strlen(t), &err), RTCSTATS_ERR_IO);
		CHECK(strstr(err.detail, "disk full") != NULL);
		CHECK_EQ_LONG(rtcstats_anonymizer_feed(a, t, 1, &err), RTCSTATS_ERR_IO);
		CHECK_EQ_LONG(rtcstats_anonymizer_finish(a, &err), RTCSTATS_ERR_IO);
		rtcstats_anonymizer_free(a);
		free(w.data);
	}
	CHECK(rtcstats_anonymizer_new(NULL, NULL, NULL) == NULL);
	rtcstats_anonymizer_free(NULL);
	free(s.data);
}

/* ---- the corpus ---- */

static void
test_corpus(void)
{
	size_t		rawlen,
				wantlen;
	char	   *raw = read_file("test/corpus/dumps/av-call.raw.rtcstats", &rawlen);
	char	   *want = read_file("test/corpus/expected/av-call.raw.anonymized.rtcstats", &wantlen);
	sink		s = {0};
	rtcstats_error err;
	int			lines = 0,
				equal = 0;
	char	   *gp,
			   *wp;

	if (raw == NULL || want == NULL)
	{
		CHECK(!"corpus files readable (run from the repository root)");
		free(raw);
		free(want);
		return;
	}
	CHECK_EQ_LONG(anonymize(raw, rawlen, 65536, NULL, &s, &err, NULL), RTCSTATS_OK);

	/*
	 * Line by line, as parsed JSON, numbers exact.  Upstream's anonymizer
	 * wrote "fd00::2x:x:x:x:x:x" for this machine's IPv6 address, which keeps
	 * it whole; section 7 of the spec deliberately differs and writes
	 * "fd00:0:0:x:x:x:x:x".  The expected file already holds our form in those
	 * places (and is upstream's output everywhere else): we check it does, so
	 * the deliberate difference is exactly that replacement and nothing more.
	 */
	CHECK(strstr(want, "fd00::2x:x:x:x:x:x") == NULL);
	CHECK(strstr(want, "fd00:0:0:x:x:x:x:x") != NULL);
	CHECK(strstr(s.data, "fd00::2x:x:x:x:x:x") == NULL);
	gp = s.data;
	wp = want;
	while (*gp || *wp)
	{
		char	   *ge = strchr(gp, '\n'),
				   *we = strchr(wp, '\n');
		json_object *g,
				   *w;

		if (ge)
			*ge = '\0';
		if (we)
			*we = '\0';
		lines++;
		if (strcmp(gp, "RTCStatsDump") == 0 || strcmp(wp, "RTCStatsDump") == 0)
			equal += strcmp(gp, wp) == 0;
		else
		{
			g = json_tokener_parse(gp);
			w = json_tokener_parse(wp);
			if (g && w && json_equal(g, w))
				equal++;
			else
				printf("  corpus line %d differs:\n    got  %.300s\n    want %.300s\n", lines, gp, wp);
			json_object_put(g);
			json_object_put(w);
		}
		gp = ge ? ge + 1 : gp + strlen(gp);
		wp = we ? we + 1 : wp + strlen(wp);
	}
	CHECK_EQ_LONG(lines, 145);
	CHECK_EQ_LONG(equal, lines);

	/* none of the recording machine's addresses survives */
	s.len = 0;
	CHECK_EQ_LONG(anonymize(raw, rawlen, 65536, NULL, &s, &err, NULL), RTCSTATS_OK);
	CHECK(strstr(raw, "192.0.2.2") != NULL && strstr(raw, "fd00::2") != NULL);
	CHECK(strstr(s.data, "192.0.2.2") == NULL);
	CHECK(strstr(s.data, "fd00::2") == NULL);
	CHECK(strstr(s.data, "network-id") == NULL);

	free(raw);
	free(want);
	free(s.data);
}

int
main(void)
{
	test_addresses();
	test_candidates();
	test_sdp();
	test_dump();
	test_numbers();
	test_internals();
	test_bad_input();
	test_corpus();
	return check_summary("anonymize");
}
