/*
 * test_features.c: each feature group on small hand-made traces, with the
 * presence/absence rules upstream's JSON.stringify() implies.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "rtcstats/features.h"

static json_object *
extract(const char *text)
{
	json_object *f = NULL;
	rtcstats_error err;

	if (rtcstats_extract_buffer(text, strlen(text), &f, &err) != RTCSTATS_OK)
	{
		fprintf(stderr, "extract failed: line %ld: %s\n", err.line, err.detail);
		return NULL;
	}
	return f;
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static bool
has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static json_object *
pc(json_object *f, int i)
{
	return json_object_array_get_idx(get(f, "peerConnections"), i);
}

static json_object *
track(json_object *f, int p, int t)
{
	return json_object_array_get_idx(get(pc(f, p), "tracks"), t);
}

#define NUM(o, k) json_object_get_double(get((o), (k)))
#define BOOL(o, k) json_object_get_boolean(get((o), (k)))
#define STR(o, k) json_object_get_string(get((o), (k)))
#define HEAD "RTCStatsDump\n{\"fileFormat\":3}\n"

static void
client_group(void)
{
	json_object *f = extract(HEAD
							 "[39,null,{\"hardwareConcurrency\":8,\"duration\":\"overridden\",\"operatingSystem\":\"gone\"},1000]\n"
							 "[\"websocket\",null,{\"connectionTime\":42},10]\n"
							 "[60,null,{\"audio\":true},10]\n"
							 "[61,null,[[\"audio\",\"A1\",\"Mic (046d:085e)\",\"s\"],[\"video\",\"V1\",\"Cam\",\"s\"]],10]\n"
							 "[60,null,{\"video\":{\"width\":1}},10]\n"
							 "[65,null,\"NotAllowedError\",10]\n"
							 "[65,null,\"OverconstrainedError\",10]\n"
							 "[63,null,{\"video\":false},10]\n"
							 "[72,null,\"A1\",500]\n"
							 "[72,null,\"V1\",5000]\n"
							 "[66,null,[],10]");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_DOUBLE(NUM(f, "hardwareConcurrency"), 8);	/* ...create spread */
	CHECK_EQ_DOUBLE(NUM(f, "duration"), 5580);			/* computed overrides */
	CHECK(!has(f, "operatingSystem"));	/* undefined computed value drops the key */
	CHECK_EQ_DOUBLE(NUM(f, "startTime"), 1000);
	CHECK_EQ_DOUBLE(NUM(f, "webSocketConnectionTime"), 42);
	CHECK(BOOL(f, "calledGetUserMedia"));
	CHECK(BOOL(f, "calledGetUserMediaAudio"));
	CHECK(BOOL(f, "calledGetUserMediaVideo"));
	CHECK(!BOOL(f, "calledGetUserMediaCombined"));	/* never both in one call */
	CHECK_EQ_STR(STR(f, "getUserMediaError"), "NotAllowedError");
	CHECK_EQ_DOUBLE(NUM(f, "getUserMediaErrorCount"), 2);
	CHECK_EQ_DOUBLE(NUM(f, "getUserMediaSuccessCount"), 1);
	CHECK_EQ_STR(STR(f, "audioDeviceUsbId"), "046d:085e");
	CHECK(!has(f, "videoDeviceUsbId"));
	CHECK(BOOL(f, "calledGetDisplayMedia"));
	CHECK(!BOOL(f, "calledGetDisplayMediaVideo"));	/* video: false */
	CHECK_EQ_DOUBLE(NUM(f, "enumerateDevicesCount"), 1);
	CHECK(BOOL(f, "audioEnded"));
	CHECK(BOOL(f, "audioShortDuration"));	/* ended 500 ms after getUserMedia */
	CHECK(BOOL(f, "videoEnded"));
	CHECK(!has(f, "videoShortDuration"));
	CHECK_EQ_LONG(json_object_array_length(get(f, "peerConnections")), 0);
	json_object_put(f);
}

static void
connection_group(void)
{
	json_object *f = extract(HEAD
							 "[39,null,{},1000]\n"
							 "[39,\"PC_1\",{\"iceServers\":[{\"urls\":[\"stun:s\",\"turn:t?transport=udp\"]},{\"urls\":\"turns:x\"}],\"iceTransportPolicy\":\"relay\",\"bundlePolicy\":\"max-bundle\"},0]\n"
							 "[2,\"PC_1\",{\"iceRestart\":true},10]\n"
							 "[26,\"PC_1\",\"gathering\",10]\n"
							 "[20,\"PC_1\",{\"candidate\":\"candidate:1 1 udp 41885439 203.0.113.9 3478 typ relay raddr 0.0.0.0 rport 0\",\"relayProtocol\":\"udp\"},25]\n"
							 "[20,\"PC_1\",{\"candidate\":\"candidate:2 1 udp 2122260223 x.local 5000 typ host\"},1]\n"
							 "[6,\"PC_1\",{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"},\"6-0\",5]\n"
							 "[7,\"PC_1\",null,\"6-1\",5]\n"
							 "[7,\"PC_1\",null,\"6-0\",5]\n"
							 "[23,\"PC_1\",\"have-local-offer\",1]\n"
							 "[8,\"PC_1\",{\"type\":\"answer\",\"sdp\":\"v=0\\r\\na=ice-lite\\r\\na=candidate:3 1 tcp 1 198.51.100.1 9 typ host tcptype passive\\r\\n\"},\"8-0\",20]\n"
							 "[23,\"PC_1\",\"stable\",1]\n"
							 "[24,\"PC_1\",\"checking\",10]\n"
							 "[25,\"PC_1\",\"connecting\",1]\n"
							 "[24,\"PC_1\",\"connected\",30]\n"
							 "[25,\"PC_1\",\"connected\",10]\n"
							 "[10,\"PC_1\",null,1]\n"
							 "[\"g\",\"PC_1\",{\"1\":{\"type\":5,\"selectedCandidatePairId\":\"2\",\"bytesSent\":1000,\"bytesReceived\":2000,\"tlsVersion\":\"FEFD\",\"dtlsRole\":\"client\"},\"2\":{\"type\":6,\"localCandidateId\":\"3\",\"remoteCandidateId\":\"4\",\"responsesReceived\":2,\"totalRoundTripTime\":0.1},\"3\":{\"type\":7,\"address\":\"192.0.2.x\",\"candidateType\":\"host\",\"priority\":2122260223},\"4\":{\"type\":8,\"address\":\"198.51.100.1\",\"candidateType\":\"host\"},\"5\":{\"type\":10,\"t\":1000},\"t\":1100},100]\n"
							 "[\"g\",\"PC_1\",{\"1\":{\"bytesSent\":2000,\"bytesReceived\":4000},\"2\":{\"responsesReceived\":4,\"totalRoundTripTime\":0.3},\"t\":2100},1000]\n"
							 "[23,\"PC_1\",\"have-remote-offer\",1]\n"
							 "[36,\"PC_1\",null,1]");
	json_object *c;

	CHECK(f != NULL);
	if (!f)
		return;
	c = pc(f, 0);
	CHECK_EQ_DOUBLE(NUM(c, "configuredIceServers"), 2);
	CHECK(BOOL(c, "configuredIceTransportPolicy"));
	CHECK(BOOL(c, "configuredIceServersStun"));
	CHECK(BOOL(c, "configuredIceServersTurnUdp"));
	CHECK(BOOL(c, "configuredIceServersTurns"));
	CHECK(!has(c, "configuredIceServersTurnTcp"));
	CHECK_EQ_STR(STR(c, "configuredBundlePolicy"), "max-bundle");
	CHECK(BOOL(c, "iceRestart"));
	CHECK(BOOL(c, "iceRestartFollowedBySetRemoteDescription"));
	CHECK_EQ_DOUBLE(NUM(c, "gatheringTimeTurnUdp"), 25);
	CHECK(!has(c, "gatheringTimeTurnTcp"));
	CHECK(BOOL(c, "gatheredTurnCandidate"));
	CHECK(BOOL(c, "gatheredMdnsCandidate"));
	CHECK(BOOL(c, "addedNullCandidate"));
	CHECK(BOOL(c, "addedConnectableIceTcpCandidate"));	/* from the remote SDP */
	CHECK(BOOL(c, "usingIceLite"));
	CHECK_EQ_DOUBLE(NUM(c, "setLocalDescriptionDelay"), 10);	/* matched on extra[0] */
	CHECK_EQ_STR(STR(c, "setLocalDescriptionRole"), "offer");
	CHECK(!has(c, "setRemoteDescriptionDelay"));	/* no OnSuccess */
	CHECK_EQ_DOUBLE(NUM(c, "signalingDelay"), 31);
	CHECK_EQ_DOUBLE(NUM(c, "iceConnectionTime"), 31);
	CHECK_EQ_DOUBLE(NUM(c, "connectionTime"), 40);
	CHECK(BOOL(c, "connected"));
	CHECK_EQ_STR(STR(c, "dtlsVersion"), "FEFD");
	CHECK_EQ_STR(STR(c, "dtlsRole"), "client");
	CHECK(!has(c, "srtpCipher"));
	CHECK_EQ_DOUBLE(NUM(c, "clockSkew"), 1235 - 1000);	/* event time - stats time */
	CHECK_EQ_STR(STR(c, "firstCandidatePairLocalType"), "host");
	CHECK_EQ_DOUBLE(NUM(c, "firstCandidatePairLocalTypePreference"), 126);
	CHECK_EQ_STR(STR(c, "firstCandidatePairRemoteAddress"), "198.51.100.1");
	CHECK_EQ_DOUBLE(NUM(c, "averageStunRoundTripTime"), 0.3 / 4);
	CHECK_EQ_DOUBLE(NUM(c, "averageOutboundBitrate"), 8000);
	CHECK_EQ_DOUBLE(NUM(c, "averageInboundBitrate"), 16000);
	CHECK_EQ_DOUBLE(NUM(c, "numberOfNegotiations"), 1);
	CHECK(BOOL(c, "pendingNegotiationAtEnd"));
	CHECK(BOOL(c, "closed"));
	CHECK_EQ_DOUBLE(NUM(c, "numberOfEvents"), 20);
	CHECK_EQ_DOUBLE(NUM(c, "numberOfEventsNotGetStats"), 18);
	CHECK(!BOOL(c, "statsTruncated"));
	json_object_put(f);
}

static void
track_group(void)
{
	json_object *f = extract(HEAD
							 "[39,null,{},1000]\n"
							 "[74,\"PC_0\",\"in-a\",5]\n"	/* unmute before ontrack */
							 "[74,\"PC_0\",\"in-v\",5]\n"
							 "[30,\"PC_0\",[\"video\",\"out-v\",\"cam\",\"s\"],0]\n"
							 "[22,\"PC_0\",[\"audio\",\"in-a\",\"\",\"s\"],10]\n"
							 "[22,\"PC_0\",[\"video\",\"in-v\",\"\",\"s\"],0]\n"
							 "[22,\"PC_0\",[\"video\",\"in-v\",\"\",\"s\"],0]\n"	/* first inbound per id */
							 "[74,\"PC_0\",\"in-v\",150]\n"
							 "[\"g\",\"PC_0\",{\"1\":{\"type\":12,\"trackIdentifier\":\"out-v\"},\"2\":{\"type\":2,\"mediaSourceId\":\"1\",\"codecId\":\"9\",\"frameWidth\":640,\"frameHeight\":480,\"framesEncoded\":10,\"totalEncodeTime\":0.5,\"qualityLimitationDurations\":{\"none\":3,\"bandwidth\":1,\"cpu\":0,\"other\":0}},\"9\":{\"type\":14,\"mimeType\":\"video/VP8\"},\"3\":{\"type\":1,\"trackIdentifier\":\"in-a\",\"jitterBufferFlushes\":0,\"concealedSamples\":5,\"totalSamplesReceived\":100},\"4\":{\"type\":1,\"trackIdentifier\":\"in-v\",\"decoderImplementation\":\"NullVideoDecoder\",\"frameWidth\":320,\"frameHeight\":180},\"t\":1},1000]\n"
							 "[\"g\",\"PC_0\",{\"2\":{\"frameWidth\":1280,\"frameHeight\":720},\"3\":{\"jitterBufferFlushes\":1},\"t\":2},1000]\n"
							 "[\"g\",\"PC_0\",{\"2\":{\"frameWidth\":640,\"frameHeight\":480},\"3\":{\"jitterBufferFlushes\":2},\"t\":3},4000]\n"
							 "[\"g\",\"PC_0\",{\"2\":{\"frameWidth\":1280,\"frameHeight\":720,\"framesEncoded\":20},\"3\":{\"jitterBufferFlushes\":3},\"t\":4},4000]");
	json_object *out,
			   *ina,
			   *inv;

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_LONG(json_object_array_length(get(pc(f, 0), "tracks")), 3);
	out = track(f, 0, 0);
	ina = track(f, 0, 1);
	inv = track(f, 0, 2);
	CHECK_EQ_STR(STR(out, "direction"), "outbound");
	CHECK_EQ_STR(STR(out, "codecMimeType"), "video/VP8");
	CHECK_EQ_STR(STR(out, "codecSdpFmtpLine"), "");
	CHECK_EQ_DOUBLE(NUM(out, "commonWidth"), 640);	/* tie: the smaller key first */
	CHECK_EQ_DOUBLE(NUM(out, "maxHeight"), 720);
	CHECK_EQ_DOUBLE(NUM(out, "minWidth"), 640);
	CHECK_EQ_DOUBLE(NUM(out, "frameCount"), 20);
	CHECK_EQ_DOUBLE(NUM(out, "averageEncodeTime"), 0.5 / 20);
	CHECK_EQ_DOUBLE(NUM(out, "bandwidthQualityLimitationPercentage"), 0.25);
	CHECK_EQ_DOUBLE(NUM(out, "duration"), 11170 - 1010);
	CHECK(!has(out, "timeToFirstFrame"));
	CHECK(!has(out, "hasNullVideoDecoder"));
	CHECK_EQ_STR(STR(ina, "trackIdentifier"), "in-a");
	CHECK(!has(ina, "timeToFirstFrame"));	/* the first unmute came before ontrack */
	CHECK(BOOL(ina, "hasPeriodicJitterBufferFlushes"));	/* 3 flushes 4 s apart */
	CHECK_EQ_DOUBLE(NUM(ina, "concealmentPercentage"), 0.05);
	CHECK(!has(ina, "commonWidth"));		/* audio */
	CHECK(BOOL(inv, "hasNullVideoDecoder"));
	CHECK(!has(inv, "timeToFirstFrame"));	/* first unmute of in-v also before ontrack */
	CHECK_EQ_DOUBLE(NUM(inv, "commonHeight"), 180);
	json_object_put(f);
}

int
main(void)
{
	client_group();
	connection_group();
	track_group();
	return check_summary("features");
}
