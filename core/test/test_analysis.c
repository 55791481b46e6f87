/*
 * test_analysis.c: the analysis layer on hand-made traces (each rule just
 * over and just under its threshold), the E-model against worked values, and
 * the corpus dumps that show (or must not show) a problem.  Run from the
 * repository root.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "rtcstats/analysis.h"
#include "rtcstats/reader.h"

static rtcstats_status
on_event(void *arg, const rtcstats_event *ev, rtcstats_error *err)
{
	rtcstats_analysis_event(arg, ev);
	return RTCSTATS_OK;
}

/* Feeds bytes (a dump) through the reader with the analysis attached. */
static json_object *
analyse(const char *data, size_t len)
{
	rtcstats_reader_callbacks cb = {NULL, on_event};
	rtcstats_analysis *a = rtcstats_analysis_new();
	rtcstats_reader *r = rtcstats_reader_new(NULL, &cb, a);
	rtcstats_error err;
	json_object *out = NULL;

	if (rtcstats_reader_feed(r, data, len, &err) == RTCSTATS_OK &&
		rtcstats_reader_finish(r, &err) == RTCSTATS_OK)
		out = rtcstats_analysis_finish(a, NULL);
	else
		fprintf(stderr, "reader: %s\n", err.detail);
	rtcstats_reader_free(r);
	rtcstats_analysis_free(a);
	return out;
}

/* A growing trace: the header, then event lines. */
typedef struct trace
{
	char	   *s;
	size_t		len;
} trace;

static void
line(trace *t, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
line(trace *t, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	t->s = realloc(t->s, t->len + n + 2);
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, n + 1, fmt, ap);
	va_end(ap);
	t->len += n;
	t->s[t->len++] = '\n';
	t->s[t->len] = '\0';
}

static void
start(trace *t)
{
	t->s = NULL;
	t->len = 0;
	line(t, "RTCStatsDump");
	line(t, "{\"fileFormat\":3}");
	line(t, "[\"create\",\"PC_0\",{\"iceServers\":[{\"urls\":\"stun:stun.example.org\"}]},1700000000000]");
}

/* The trace's observations of one type (count), freeing the result. */
static int
count_type(trace *t, const char *type, const char **severity)
{
	json_object *out = analyse(t->s, t->len);
	json_object *obs;
	int			n = 0;
	static char sev[16];

	free(t->s);
	t->s = NULL;
	if (out == NULL)
		return -1;
	obs = json_object_object_get(out, "observations");
	for (size_t i = 0; i < json_object_array_length(obs); i++)
	{
		json_object *o = json_object_array_get_idx(obs, i);

		if (strcmp(json_object_get_string(json_object_object_get(o, "type")), type) == 0)
		{
			n++;
			snprintf(sev, sizeof(sev), "%s", json_object_get_string(json_object_object_get(o, "severity")));
			if (severity)
				*severity = sev;
		}
	}
	json_object_put(out);
	return n;
}

static void
connected(trace *t, int ice_ms)
{
	line(t, "[\"oniceconnectionstatechange\",\"PC_0\",\"checking\",10]");
	line(t, "[\"oniceconnectionstatechange\",\"PC_0\",\"connected\",%d]", ice_ms);
	line(t, "[\"onconnectionstatechange\",\"PC_0\",\"connected\",5]");
}

/* A getStats with the selected pair's RTT (s) and available outgoing bitrate. */
static void
pair_stats(trace *t, double rtt, double aob, long bytes)
{
	line(t, "[\"getStats\",\"PC_0\",{\"T\":{\"type\":\"transport\",\"selectedCandidatePairId\":\"CP\","
		 "\"bytesSent\":%ld,\"bytesReceived\":%ld},\"CP\":{\"type\":\"candidate-pair\",\"localCandidateId\":\"L\","
		 "\"currentRoundTripTime\":%g,\"availableOutgoingBitrate\":%g},\"L\":{\"type\":\"local-candidate\","
		 "\"candidateType\":\"host\",\"protocol\":\"udp\"}},1000]", bytes, bytes, rtt, aob);
}

/* A getStats whose selected local candidate has the given type and relay protocol. */
static void
relay_stats(trace *t, const char *type, const char *relay_protocol)
{
	line(t, "[\"getStats\",\"PC_0\",{\"T\":{\"type\":\"transport\",\"selectedCandidatePairId\":\"CP\"},"
		 "\"CP\":{\"type\":\"candidate-pair\",\"localCandidateId\":\"L\",\"currentRoundTripTime\":0.02},"
		 "\"L\":{\"type\":\"local-candidate\",\"candidateType\":\"%s\",\"protocol\":\"udp\","
		 "\"relayProtocol\":\"%s\"}},1000]", type, relay_protocol);
}

static void outbound_video(trace *t, int i, double bw, double none, double encode_ms, int height);

static void
test_emodel(void)
{
	/* G.107 default parameter set: R = 93.2, MOS 4.41 */
	CHECK(fabs(rtcstats_emodel_r(0, 0, 0, 25.1, 1) - 93.2) < 1e-9);
	CHECK(fabs(rtcstats_emodel_mos(93.2) - 4.409) < 0.001);
	/* G.107 Annex B / G.109 category edges: R 80 -> 4.02, R 70 -> 3.60, R 50 -> 2.58 */
	CHECK(fabs(rtcstats_emodel_mos(80) - 4.024) < 0.001);
	CHECK(fabs(rtcstats_emodel_mos(70) - 3.597) < 0.001);
	CHECK(fabs(rtcstats_emodel_mos(50) - 2.575) < 0.001);
	CHECK_EQ_DOUBLE(rtcstats_emodel_mos(-5), 1.0);
	CHECK_EQ_DOUBLE(rtcstats_emodel_mos(120), 4.5);
	/* Idd is 0 up to 100 ms; at Ta = 200 ms (X = 1) 25 (2^(1/6) - 3 (1 + 3^-6)^(1/6) + 2) = 3.04 */
	CHECK(fabs(rtcstats_emodel_r(100, 0, 0, 25.1, 1) - 93.2) < 1e-9);
	CHECK(fabs(93.2 - rtcstats_emodel_r(200, 0, 0, 25.1, 1) - 3.04) < 0.01);
	/* at Ta = 400 ms (X = 2) Idd = 24.08 */
	CHECK(fabs(93.2 - rtcstats_emodel_r(400, 0, 0, 25.1, 1) - 24.08) < 0.01);
	/* Ie,eff = 95 Ppl / (Ppl + Bpl): 1 % with Bpl 25.1 -> 3.64; G.711 without PLC (Bpl 4.3) at 2 % -> 30.16 */
	CHECK(fabs(93.2 - rtcstats_emodel_r(0, 1, 0, 25.1, 1) - 3.640) < 0.001);
	CHECK(fabs(93.2 - rtcstats_emodel_r(0, 2, 0, 4.3, 1) - 30.159) < 0.001);
}

static void
test_connectivity_rules(void)
{
	trace		t;
	const char *sev = NULL;

	/* ICE failure */
	start(&t);
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"checking\",10]");
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"failed\",30000]");
	CHECK_EQ_LONG(count_type(&t, "ice_failure", &sev), 1);
	CHECK_EQ_STR(sev, "error");
	/* connectionState failed before ICE connected: still ICE */
	start(&t);
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"checking\",10]");
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"disconnected\",15000]");
	line(&t, "[\"onconnectionstatechange\",\"PC_0\",\"failed\",3]");
	CHECK_EQ_LONG(count_type(&t, "ice_failure", NULL), 1);
	start(&t);
	connected(&t, 100);
	CHECK_EQ_LONG(count_type(&t, "ice_failure", NULL), 0);
	/* DTLS failure: ICE connected, the connection failed */
	start(&t);
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"checking\",10]");
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"connected\",10]");
	line(&t, "[\"onconnectionstatechange\",\"PC_0\",\"failed\",10000]");
	CHECK_EQ_LONG(count_type(&t, "dtls_failure", NULL), 1);
	/* slow ICE: 2000 ms threshold */
	start(&t);
	connected(&t, 2100);
	CHECK_EQ_LONG(count_type(&t, "slow_ice", NULL), 1);
	start(&t);
	connected(&t, 1900);
	CHECK_EQ_LONG(count_type(&t, "slow_ice", NULL), 0);
	/* slow DTLS: 1000 ms */
	start(&t);
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"checking\",10]");
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"connected\",10]");
	line(&t, "[\"onconnectionstatechange\",\"PC_0\",\"connected\",1100]");
	CHECK_EQ_LONG(count_type(&t, "slow_dtls", NULL), 1);
	start(&t);
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"checking\",10]");
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"connected\",10]");
	line(&t, "[\"onconnectionstatechange\",\"PC_0\",\"connected\",900]");
	CHECK_EQ_LONG(count_type(&t, "slow_dtls", NULL), 0);
	/* ICE disconnections and their total duration */
	start(&t);
	connected(&t, 100);
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"disconnected\",1000]");
	line(&t, "[\"oniceconnectionstatechange\",\"PC_0\",\"connected\",2500]");
	CHECK_EQ_LONG(count_type(&t, "ice_disconnected", NULL), 1);
	start(&t);
	connected(&t, 100);
	CHECK_EQ_LONG(count_type(&t, "ice_disconnected", NULL), 0);
	/* ICE restart */
	start(&t);
	line(&t, "[\"createOffer\",\"PC_0\",{\"iceRestart\":true},10]");
	CHECK_EQ_LONG(count_type(&t, "ice_restart", NULL), 1);
	start(&t);
	line(&t, "[\"restartIce\",\"PC_0\",null,10]");
	CHECK_EQ_LONG(count_type(&t, "ice_restart", NULL), 1);
	start(&t);
	line(&t, "[\"createOffer\",\"PC_0\",{\"iceRestart\":false},10]");
	CHECK_EQ_LONG(count_type(&t, "ice_restart", NULL), 0);
	/* no STUN/TURN */
	start(&t);
	line(&t, "[\"create\",\"PC_1\",{\"iceServers\":[]},10]");
	CHECK_EQ_LONG(count_type(&t, "no_ice_servers", NULL), 1);
	start(&t);
	CHECK_EQ_LONG(count_type(&t, "no_ice_servers", NULL), 0);
	/* no remote candidates */
	start(&t);
	line(&t, "[\"setRemoteDescription\",\"PC_0\",{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"},10]");
	CHECK_EQ_LONG(count_type(&t, "no_remote_candidates", NULL), 1);
	start(&t);
	line(&t, "[\"setRemoteDescription\",\"PC_0\",{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"},10]");
	line(&t, "[\"addIceCandidate\",\"PC_0\",{\"candidate\":\"candidate:1 1 udp 1 192.0.2.1 9 typ host\"},10]");
	CHECK_EQ_LONG(count_type(&t, "no_remote_candidates", NULL), 0);
	/* negotiation failure, addIceCandidate failure, pending negotiation */
	start(&t);
	line(&t, "[\"setRemoteDescriptionOnFailure\",\"PC_0\",\"OperationError: bad sdp\",10]");
	CHECK_EQ_LONG(count_type(&t, "negotiation_failure", NULL), 1);
	start(&t);
	line(&t, "[\"addIceCandidateOnFailure\",\"PC_0\",\"OperationError: no ufrag\",10]");
	CHECK_EQ_LONG(count_type(&t, "add_ice_candidate_failure", NULL), 1);
	start(&t);
	line(&t, "[\"onsignalingstatechange\",\"PC_0\",\"have-local-offer\",10]");
	CHECK_EQ_LONG(count_type(&t, "negotiation_pending", NULL), 1);
	start(&t);
	line(&t, "[\"onsignalingstatechange\",\"PC_0\",\"have-local-offer\",10]");
	line(&t, "[\"onsignalingstatechange\",\"PC_0\",\"stable\",10]");
	CHECK_EQ_LONG(count_type(&t, "negotiation_pending", NULL), 0);
}

static void
test_network_rules(void)
{
	trace		t;
	const char *sev = NULL;

	/* relayed connection: UDP is info, TCP/TLS a warning */
	start(&t);
	connected(&t, 100);
	relay_stats(&t, "relay", "udp");
	CHECK_EQ_LONG(count_type(&t, "relayed_connection", &sev), 1);
	CHECK_EQ_STR(sev, "info");
	start(&t);
	connected(&t, 100);
	relay_stats(&t, "relay", "tls");
	CHECK_EQ_LONG(count_type(&t, "relay_tcp", &sev), 1);
	CHECK_EQ_STR(sev, "warning");
	start(&t);
	connected(&t, 100);
	relay_stats(&t, "srflx", "");
	CHECK_EQ_LONG(count_type(&t, "relayed_connection", NULL) , 0);

	/* high RTT: 300 ms for 3 intervals */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		pair_stats(&t, 0.31, 1e6, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "high_rtt", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		pair_stats(&t, 0.29, 1e6, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "high_rtt", NULL), 0);
	/* two intervals over is not sustained */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 3; i++)
		pair_stats(&t, 0.31, 1e6, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "high_rtt", NULL), 0);
	/* low available bandwidth while sending video: below 300 kbps for 3 intervals */
	start(&t);
	connected(&t, 100);
	outbound_video(&t, 0, 0, 0, 5, 720);
	for (int i = 0; i < 4; i++)
		pair_stats(&t, 0.02, 299000, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "low_bandwidth", NULL), 1);
	start(&t);
	connected(&t, 100);
	outbound_video(&t, 0, 0, 0, 5, 720);
	for (int i = 0; i < 4; i++)
		pair_stats(&t, 0.02, 301000, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "low_bandwidth", NULL), 0);
	/* rising RTT */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 30; i++)
		pair_stats(&t, i < 10 ? 0.05 : i < 20 ? 0.1 : 0.2, 1e6, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "rising_rtt", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 30; i++)
		pair_stats(&t, 0.05, 1e6, 1000L * i);
	CHECK_EQ_LONG(count_type(&t, "rising_rtt", NULL), 0);
}

/* An inbound audio stream: packets received and lost so far, jitter (s), concealment. */
static void
inbound_audio(trace *t, long recv, long lost, double jitter, long samples, long concealed)
{
	line(t, "[\"getStats\",\"PC_0\",{\"IA\":{\"type\":\"inbound-rtp\",\"kind\":\"audio\",\"trackIdentifier\":\"ta\","
		 "\"packetsReceived\":%ld,\"packetsLost\":%ld,\"bytesReceived\":%ld,\"jitter\":%g,"
		 "\"totalSamplesReceived\":%ld,\"concealedSamples\":%ld,\"silentConcealedSamples\":0,"
		 "\"jitterBufferDelay\":%g,\"jitterBufferEmittedCount\":%ld}},1000]",
		 recv, lost, recv * 100, jitter, samples, concealed, samples * 0.05, samples);
}

static void
test_media_rules(void)
{
	trace		t;
	const char *sev = NULL;

	/* sustained loss: 5 % of packets in 3 consecutive intervals */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_audio(&t, 95L * i, 5L * i, 0.01, 48000L * i, 0);
	CHECK_EQ_LONG(count_type(&t, "packet_loss", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_audio(&t, 96L * i, 4L * i, 0.01, 48000L * i, 0);
	CHECK_EQ_LONG(count_type(&t, "packet_loss", NULL), 0);
	/* a burst: one interval at 20 % */
	start(&t);
	connected(&t, 100);
	inbound_audio(&t, 0, 0, 0.01, 0, 0);
	inbound_audio(&t, 80, 20, 0.01, 48000, 0);
	inbound_audio(&t, 180, 20, 0.01, 96000, 0);
	CHECK_EQ_LONG(count_type(&t, "packet_loss_burst", NULL), 1);
	start(&t);
	connected(&t, 100);
	inbound_audio(&t, 0, 0, 0.01, 0, 0);
	inbound_audio(&t, 81, 19, 0.01, 48000, 0);
	inbound_audio(&t, 181, 19, 0.01, 96000, 0);
	CHECK_EQ_LONG(count_type(&t, "packet_loss_burst", NULL), 0);
	/* jitter above 50 ms */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_audio(&t, 100L * i, 0, 0.051, 48000L * i, 0);
	CHECK_EQ_LONG(count_type(&t, "high_jitter", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_audio(&t, 100L * i, 0, 0.049, 48000L * i, 0);
	CHECK_EQ_LONG(count_type(&t, "high_jitter", NULL), 0);
	/* concealment above 5 % */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_audio(&t, 100L * i, 0, 0.01, 48000L * i, 2460L * i);
	CHECK_EQ_LONG(count_type(&t, "audio_concealment", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_audio(&t, 100L * i, 0, 0.01, 48000L * i, 2340L * i);
	CHECK_EQ_LONG(count_type(&t, "audio_concealment", NULL), 0);
	/* one-way media: connected, nothing received for 5 intervals */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 6; i++)
		inbound_audio(&t, 0, 0, 0, 0, 0);
	CHECK_EQ_LONG(count_type(&t, "no_media_received", &sev), 1);
	CHECK_EQ_STR(sev, "error");
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 5; i++)
		inbound_audio(&t, 0, 0, 0, 0, 0);
	CHECK_EQ_LONG(count_type(&t, "no_media_received", NULL), 0);
}

/* Outbound video with qualityLimitationDurations (s) and encode time per frame. */
static void
outbound_video(trace *t, int i, double bw, double none, double encode_ms, int height)
{
	line(t, "[\"getStats\",\"PC_0\",{\"OV\":{\"type\":\"outbound-rtp\",\"kind\":\"video\",\"mediaSourceId\":\"MS\","
		 "\"bytesSent\":%d,\"packetsSent\":%d,\"framesEncoded\":%d,\"totalEncodeTime\":%g,\"frameHeight\":%d,"
		 "\"framesPerSecond\":30,\"qualityLimitationReason\":\"%s\",\"qualityLimitationDurations\":"
		 "{\"bandwidth\":%g,\"cpu\":0,\"other\":0,\"none\":%g}},\"MS\":{\"type\":\"media-source\",\"kind\":\"video\","
		 "\"trackIdentifier\":\"tv\",\"height\":720}},1000]",
		 i * 100000, i * 100, i * 30, i * 30 * encode_ms / 1000.0, height, bw > 0 ? "bandwidth" : "none", bw, none);
}

/* Inbound video: fps, frames decoded, freezes, decoder. */
static void
inbound_video(trace *t, int i, double fps, int freezes, const char *decoder)
{
	line(t, "[\"getStats\",\"PC_0\",{\"IV\":{\"type\":\"inbound-rtp\",\"kind\":\"video\",\"trackIdentifier\":\"rv\","
		 "\"packetsReceived\":%d,\"packetsLost\":0,\"bytesReceived\":%d,\"jitter\":0.01,\"framesDecoded\":%d,"
		 "\"totalDecodeTime\":%g,\"framesPerSecond\":%g,\"frameHeight\":480,\"freezeCount\":%d,"
		 "\"totalFreezesDuration\":%g,\"decoderImplementation\":\"%s\"}},1000]",
		 i * 100, i * 100000, (int) (i * fps), i * fps * 0.005, fps, freezes, freezes * 0.5, decoder);
}

static void
test_video_rules(void)
{
	trace		t;

	/* bandwidth limitation: 10 % of the time */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 3; i++)
		outbound_video(&t, i, i * 0.1, i * 0.9, 5, 720);
	CHECK_EQ_LONG(count_type(&t, "bandwidth_limited", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 3; i++)
		outbound_video(&t, i, i * 0.09, i * 0.91, 5, 720);
	CHECK_EQ_LONG(count_type(&t, "bandwidth_limited", NULL), 0);
	/* slow encode: more than 33.3 ms per frame */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		outbound_video(&t, i, 0, i, 34, 720);
	CHECK_EQ_LONG(count_type(&t, "slow_encode", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		outbound_video(&t, i, 0, i, 33, 720);
	CHECK_EQ_LONG(count_type(&t, "slow_encode", NULL), 0);
	/* resolution drop: below 3/4 of the highest */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		outbound_video(&t, i, 0, i, 5, i < 2 ? 720 : 360);
	CHECK_EQ_LONG(count_type(&t, "resolution_drop", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		outbound_video(&t, i, 0, i, 5, i < 2 ? 720 : 540);
	CHECK_EQ_LONG(count_type(&t, "resolution_drop", NULL), 0);
	/* low frame rate: below 15 fps */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_video(&t, i, 14, 0, "libvpx");
	CHECK_EQ_LONG(count_type(&t, "low_frame_rate", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		inbound_video(&t, i, 15, 0, "libvpx");
	CHECK_EQ_LONG(count_type(&t, "low_frame_rate", NULL), 0);
	/* freezes */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 3; i++)
		inbound_video(&t, i, 30, i == 2, "libvpx");
	CHECK_EQ_LONG(count_type(&t, "video_freeze", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 3; i++)
		inbound_video(&t, i, 30, 0, "libvpx");
	CHECK_EQ_LONG(count_type(&t, "video_freeze", NULL), 0);
	/* CPU limitation: 10 % of the time */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 3; i++)
		line(&t, "[\"getStats\",\"PC_0\",{\"OV\":{\"type\":\"outbound-rtp\",\"kind\":\"video\",\"mediaSourceId\":\"MS\","
			 "\"bytesSent\":%d,\"qualityLimitationDurations\":{\"bandwidth\":0,\"cpu\":%g,\"other\":0,\"none\":%g}},"
			 "\"MS\":{\"type\":\"media-source\",\"kind\":\"video\",\"trackIdentifier\":\"tv\"}},1000]",
			 i * 1000, i * 0.1, i * 0.9);
	CHECK_EQ_LONG(count_type(&t, "cpu_limited", NULL), 1);
	/* slow decode: 34 ms per frame vs 33 */
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		line(&t, "[\"getStats\",\"PC_0\",{\"IV\":{\"type\":\"inbound-rtp\",\"kind\":\"video\",\"trackIdentifier\":\"rv\","
			 "\"bytesReceived\":%d,\"framesDecoded\":%d,\"totalDecodeTime\":%g,\"framesPerSecond\":20}},1000]",
			 i * 1000, i * 20, i * 20 * 0.034);
	CHECK_EQ_LONG(count_type(&t, "slow_decode", NULL), 1);
	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 4; i++)
		line(&t, "[\"getStats\",\"PC_0\",{\"IV\":{\"type\":\"inbound-rtp\",\"kind\":\"video\",\"trackIdentifier\":\"rv\","
			 "\"bytesReceived\":%d,\"framesDecoded\":%d,\"totalDecodeTime\":%g,\"framesPerSecond\":20}},1000]",
			 i * 1000, i * 20, i * 20 * 0.033);
	CHECK_EQ_LONG(count_type(&t, "slow_decode", NULL), 0);
	/* jitter buffer flushes every 4 s, three times; then one at 2 s breaks the cadence */
	start(&t);
	for (int i = 0; i <= 12; i++)
		line(&t, "[\"getStats\",\"PC_0\",{\"IA\":{\"type\":\"inbound-rtp\",\"kind\":\"audio\",\"trackIdentifier\":\"ta\","
			 "\"bytesReceived\":%d,\"jitterBufferFlushes\":%d}},1000]", i * 1000, i / 4);
	CHECK_EQ_LONG(count_type(&t, "periodic_jitter_buffer_flush", NULL), 1);
	start(&t);
	for (int i = 0; i <= 12; i++)
		line(&t, "[\"getStats\",\"PC_0\",{\"IA\":{\"type\":\"inbound-rtp\",\"kind\":\"audio\",\"trackIdentifier\":\"ta\","
			 "\"bytesReceived\":%d,\"jitterBufferFlushes\":%d}},1000]", i * 1000, i < 10 ? i / 4 : i - 7);
	CHECK_EQ_LONG(count_type(&t, "periodic_jitter_buffer_flush", NULL), 0);
	/* NullVideoDecoder */
	start(&t);
	for (int i = 0; i < 2; i++)
		inbound_video(&t, i, 30, 0, "NullVideoDecoder");
	CHECK_EQ_LONG(count_type(&t, "null_video_decoder", NULL), 1);
}

static void
test_client_rules(void)
{
	trace		t;
	const char *sev = NULL;

	start(&t);
	line(&t, "[\"navigator.mediaDevices.getUserMediaOnFailure\",null,\"NotAllowedError\",10]");
	CHECK_EQ_LONG(count_type(&t, "getusermedia_failure", &sev), 1);
	CHECK_EQ_STR(sev, "error");
	start(&t);
	line(&t, "[\"navigator.mediaDevices.getUserMediaOnFailure\",null,\"NotFoundError\",10]");
	line(&t, "[\"navigator.mediaDevices.getUserMediaOnSuccess\",null,[[\"audio\",\"t1\",\"mic\",\"s\"]],10]");
	CHECK_EQ_LONG(count_type(&t, "getusermedia_failure", &sev), 1);
	CHECK_EQ_STR(sev, "warning");
	start(&t);
	line(&t, "[\"navigator.mediaDevices.getUserMediaOnSuccess\",null,[[\"audio\",\"t1\",\"mic\",\"s\"]],10]");
	CHECK_EQ_LONG(count_type(&t, "getusermedia_failure", NULL), 0);
	start(&t);
	line(&t, "[\"navigator.mediaDevices.getDisplayMediaOnFailure\",null,\"NotAllowedError\",10]");
	CHECK_EQ_LONG(count_type(&t, "getdisplaymedia_failure", NULL), 1);
	/* track ended within a second */
	start(&t);
	line(&t, "[\"navigator.mediaDevices.getUserMediaOnSuccess\",null,[[\"audio\",\"t1\",\"mic\",\"s\"]],10]");
	line(&t, "[\"MediaStreamTrack.onended\",null,\"t1\",900]");
	CHECK_EQ_LONG(count_type(&t, "track_ended_early", &sev), 1);
	CHECK_EQ_STR(sev, "warning");
	start(&t);
	line(&t, "[\"navigator.mediaDevices.getUserMediaOnSuccess\",null,[[\"audio\",\"t1\",\"mic\",\"s\"]],10]");
	line(&t, "[\"MediaStreamTrack.onended\",null,\"t1\",1100]");
	CHECK_EQ_LONG(count_type(&t, "track_ended_early", NULL), 0);
	/* page reloads (rtcstats-js countReloads: reloadCount in the page's create) */
	start(&t);
	line(&t, "[\"create\",null,{\"reloadCount\":1},10]");
	CHECK_EQ_LONG(count_type(&t, "page_reload", NULL), 1);
	start(&t);
	line(&t, "[\"create\",null,{\"reloadCount\":0},10]");
	CHECK_EQ_LONG(count_type(&t, "page_reload", NULL), 0);
	/* abrupt end: WebSocket closed abnormally (1006), not 1001 going away */
	start(&t);
	line(&t, "[\"close\",null,1006,10]");
	CHECK_EQ_LONG(count_type(&t, "abrupt_close", NULL), 1);
	start(&t);
	line(&t, "[\"close\",null,1001,10]");
	CHECK_EQ_LONG(count_type(&t, "abrupt_close", NULL), 0);
	/* a connection still up at the end, and one closed */
	start(&t);
	connected(&t, 100);
	CHECK_EQ_LONG(count_type(&t, "not_closed", NULL), 1);
	start(&t);
	connected(&t, 100);
	line(&t, "[\"close\",\"PC_0\",null,10]");
	CHECK_EQ_LONG(count_type(&t, "not_closed", NULL), 0);
	/* limits: connections and streams beyond what is analysed are counted */
	start(&t);
	for (int i = 1; i <= 1000; i++)
		line(&t, "[\"create\",\"PC_%d\",null,1]", i);
	CHECK_EQ_LONG(count_type(&t, "analysis_limit", NULL), 1);
	start(&t);
	for (int i = 1; i < 1000; i++)
		line(&t, "[\"create\",\"PC_%d\",null,1]", i);
	CHECK_EQ_LONG(count_type(&t, "analysis_limit", NULL), 0);
	{
		char	   *big = malloc(300 * 120 + 64);
		size_t		n = 0;

		n += sprintf(big + n, "[\"getStats\",\"PC_0\",{");
		for (int i = 0; i < 300; i++)
			n += sprintf(big + n, "%s\"I%d\":{\"type\":\"inbound-rtp\",\"kind\":\"audio\",\"trackIdentifier\":\"t%d\"}",
						 i ? "," : "", i, i);
		sprintf(big + n, "},1000]");
		start(&t);
		line(&t, "%s", big);
		CHECK_EQ_LONG(count_type(&t, "analysis_limit", NULL), 1);
		free(big);
	}
	/* clock skew: stats timestamp 1.5 s behind the event time */
	start(&t);
	line(&t, "[\"getStats\",\"PC_0\",{\"P\":{\"type\":\"peer-connection\",\"timestamp\":1700000000000}},1500]");
	CHECK_EQ_LONG(count_type(&t, "clock_skew", NULL), 1);
	start(&t);
	line(&t, "[\"getStats\",\"PC_0\",{\"P\":{\"type\":\"peer-connection\",\"timestamp\":1700000000000}},900]");
	CHECK_EQ_LONG(count_type(&t, "clock_skew", NULL), 0);
}

/* A long call keeps at most 300 points per series; the summary reads the connection. */
static void
test_bounded_and_summary(void)
{
	trace		t;
	json_object *out,
			   *rtt;
	const char *summary;

	start(&t);
	connected(&t, 100);
	for (int i = 0; i < 5000; i++)
		pair_stats(&t, 0.02, 1e6, 1000L * i);
	out = analyse(t.s, t.len);
	free(t.s);
	CHECK(out != NULL);
	if (out == NULL)
		return;
	rtt = json_object_object_get(json_object_object_get(json_object_object_get(
			json_object_object_get(out, "timeseries"), "PC_0"), "series"), "roundTripTime");
	CHECK(json_object_array_length(rtt) <= 301);
	CHECK(json_object_array_length(rtt) >= 150);
	summary = json_object_get_string(json_object_object_get(out, "summary"));
	CHECK(strncmp(summary, "The call connected in 115 ms over a direct UDP path.", 52) == 0);
	json_object_put(out);
}

/* A connection that never tried ICE (a capability probe) does not score the call's connectivity. */
static void
test_scores(void)
{
	trace		t;
	json_object *out;
	json_object *call;

	start(&t);
	connected(&t, 100);
	line(&t, "[\"create\",\"PC_1\",null,10]");
	line(&t, "[\"close\",\"PC_1\",null,10]");
	out = analyse(t.s, t.len);
	free(t.s);
	call = json_object_object_get(json_object_object_get(out, "scores"), "call");
	CHECK(fabs(json_object_get_double(json_object_object_get(call, "connectivity")) - 5.0) < 1e-9);
	json_object_put(out);
	/* a slow setup (1.5 s) costs half a point, a relay over TCP three quarters */
	start(&t);
	connected(&t, 1500);
	relay_stats(&t, "relay", "tcp");
	out = analyse(t.s, t.len);
	free(t.s);
	call = json_object_object_get(json_object_object_get(out, "scores"), "call");
	CHECK(fabs(json_object_get_double(json_object_object_get(call, "connectivity")) - 3.75) < 1e-9);
	json_object_put(out);
}

/* The types of the observations of a corpus dump, and how many warnings/errors. */
static json_object *
corpus(const char *name)
{
	char		path[256];
	FILE	   *f;
	char	   *buf;
	long		len;
	json_object *out;

	snprintf(path, sizeof(path), "test/corpus/dumps/%s", name);
	f = fopen(path, "rb");
	if (f == NULL)
	{
		CHECK(!"corpus dump readable (run from the repository root)");
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len);
	if (fread(buf, 1, len, f) != (size_t) len)
		len = 0;
	fclose(f);
	out = analyse(buf, len);
	free(buf);
	return out;
}

static int
corpus_count(json_object *out, const char *type, const char *severity)
{
	json_object *obs = json_object_object_get(out, "observations");
	int			n = 0;

	for (size_t i = 0; i < json_object_array_length(obs); i++)
	{
		json_object *o = json_object_array_get_idx(obs, i);

		if (type && strcmp(json_object_get_string(json_object_object_get(o, "type")), type) != 0)
			continue;
		if (severity && strcmp(json_object_get_string(json_object_object_get(o, "severity")), severity) != 0)
			continue;
		n++;
	}
	return n;
}

static void
test_corpus(void)
{
	static const char *const healthy[] = {"av-call.rtcstats", "audio-only.rtcstats",
	"av-call.raw.rtcstats", "multi-pc.rtcstats", "datachannel-only.rtcstats", "codec-preferences.rtcstats",
	"simulcast.rtcstats", "screen-share.rtcstats"};
	json_object *out;

	for (size_t i = 0; i < sizeof(healthy) / sizeof(healthy[0]); i++)
	{
		out = corpus(healthy[i]);
		CHECK(out != NULL);
		if (out == NULL)
			continue;
		if (corpus_count(out, NULL, "warning") + corpus_count(out, NULL, "error") != 0)
			printf("unexpected in %s: %s\n", healthy[i],
				   json_object_to_json_string(json_object_object_get(out, "observations")));
		CHECK_EQ_LONG(corpus_count(out, NULL, "warning"), 0);
		CHECK_EQ_LONG(corpus_count(out, NULL, "error"), 0);
		json_object_put(out);
	}
	out = corpus("ice-failure.rtcstats");
	CHECK_EQ_LONG(corpus_count(out, "ice_failure", "error"), 2);
	CHECK(strstr(json_object_get_string(json_object_object_get(out, "summary")), "never connected") != NULL);
	json_object_put(out);
	/* simulcast: only the top layer is scored, lower layers are scaled on purpose */
	out = corpus("simulcast.rtcstats");
	CHECK(json_object_get_double(json_object_object_get(json_object_object_get(
			json_object_object_get(out, "scores"), "call"), "video")) > 4.0);
	json_object_put(out);
	out = corpus("gum-failure.rtcstats");
	CHECK_EQ_LONG(corpus_count(out, "getusermedia_failure", NULL), 1);
	json_object_put(out);
	/* renegotiation adds a video track whose encoder ramps up under bandwidth limitation */
	out = corpus("renegotiation.rtcstats");
	CHECK_EQ_LONG(corpus_count(out, "bandwidth_limited", "warning"), 1);
	json_object_put(out);
}

int
main(void)
{
	test_emodel();
	test_connectivity_rules();
	test_network_rules();
	test_media_rules();
	test_video_rules();
	test_client_rules();
	test_bounded_and_summary();
	test_scores();
	test_corpus();
	return check_summary("analysis");
}
