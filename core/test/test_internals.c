/*
 * test_internals.c: webrtc-internals "Create dump" documents read as the
 * events upstream's internalsToRtcstats() makes of them, and malformed
 * documents refused with an error naming what is wrong.
 *
 * The documents are written with ' for " and ` for \" (a quote inside a JSON
 * string, as webrtc-internals stores its values), so they stay readable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "recorder.h"
#include "rtcstats/features.h"
#include "rtcstats/reader.h"

/* ' -> ", ` -> \" */
static char *
unquote(const char *text)
{
	size_t		n = 0;
	char	   *out = malloc(strlen(text) * 2 + 1);

	for (const char *p = text; *p; p++)
	{
		if (*p == '\'')
			out[n++] = '"';
		else if (*p == '`')
		{
			out[n++] = '\\';
			out[n++] = '"';
		}
		else
			out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

/* Read a document (in the quoting above), fed chunk bytes at a time (0: whole). */
static rtcstats_status
read_doc(const char *quoted, size_t chunk, recorder *r, rtcstats_error *err)
{
	rtcstats_reader *rd = rtcstats_reader_new(NULL, &recorder_callbacks, r);
	char	   *text = unquote(quoted);
	size_t		len = strlen(text);
	rtcstats_status rc = RTCSTATS_OK;

	memset(r, 0, sizeof(*r));
	rtcstats_error_clear(err);
	if (chunk == 0)
		chunk = len;
	for (size_t off = 0; off < len && rc == RTCSTATS_OK; off += chunk)
		rc = rtcstats_reader_feed(rd, text + off, off + chunk > len ? len - off : chunk, err);
	if (rc == RTCSTATS_OK)
		rc = rtcstats_reader_finish(rd, err);
	if (rc == RTCSTATS_OK)
		CHECK_EQ_LONG(rtcstats_reader_format(rd), RTCSTATS_FORMAT_INTERNALS);
	rtcstats_reader_free(rd);
	free(text);
	return rc;
}

/* The error a malformed document gives: its code, and a detail containing want. */
static void
refused(const char *quoted, rtcstats_status code, const char *want)
{
	recorder	r;
	rtcstats_error err;
	rtcstats_status rc = read_doc(quoted, 0, &r, &err);

	CHECK_EQ_STR(rtcstats_status_name(rc), rtcstats_status_name(code));
	if (!CHECK(strstr(err.detail, want) != NULL))
		fprintf(stderr, "  detail: %s\n  wanted: %s\n", err.detail, want);
}

static json_object *
features_of(const char *quoted)
{
	rtcstats_extractor *x = rtcstats_extractor_new(NULL);
	char	   *text = unquote(quoted);
	json_object *features = NULL;
	rtcstats_error err;

	if (rtcstats_extractor_feed(x, text, strlen(text), &err) != RTCSTATS_OK ||
		rtcstats_extractor_finish(x, &features, &err) != RTCSTATS_OK)
	{
		fprintf(stderr, "extraction failed: %s\n", err.detail);
		features = NULL;
	}
	rtcstats_extractor_free(x);
	free(text);
	return features;
}

static double
num(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_double(v) : -1;
}

static const char *
str(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) && v ? json_object_get_string(v) : "(absent)";
}

/* getUserMedia entries: request, success with its tracks, failure; the client "create". */
#define GUM_DOC \
	"{'getUserMedia':[" \
	"{'request_type':'getUserMedia','audio':'','video':'{width: 640}','timestamp':1000.5,'rid':1}," \
	"{'request_type':'getUserMedia','stream_id':'S1','timestamp':1300," \
	" 'audio_track_info':'null','video_track_info':'{`id`:`V1`,`label`:`Logitech BRIO (046d:085e)`}'}," \
	"{'request_type':'getDisplayMedia','video':'','timestamp':1100}," \
	"{'request_type':'getUserMedia','error':'NotAllowedError','error_message':'denied','timestamp':1200}," \
	"{'request_type':'getUserMedia','timestamp':1250}]," \
	"'UserAgent':'Mozilla/5.0 Chrome/142','UserAgentData':[{'brand':'Chromium','version':'142'}]," \
	"'deviceMemory':null,'PeerConnections':{}"

static void
gum_entries(void)
{
	recorder	r;
	rtcstats_error err;
	json_object *f;

	/* with the dump's own time: create sorts last, as upstream */
	CHECK_EQ_LONG(read_doc(GUM_DOC ",'timestamp':5000}", 0, &r, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 5);
	CHECK_EQ_STR(r.ev[0].method, "navigator.mediaDevices.getUserMedia");
	CHECK_EQ_STR(r.ev[0].value, "{\"audio\":true,\"video\":\"{width: 640}\"}");
	CHECK_EQ_DOUBLE(r.ev[0].ts, 1000.5);
	CHECK_EQ_STR(r.ev[0].pc, "(null)");
	CHECK_EQ_LONG(r.ev[0].pc_index, -1);
	CHECK_EQ_STR(r.ev[0].extra, "[]");
	CHECK_EQ_STR(r.ev[1].method, "navigator.mediaDevices.getDisplayMedia");
	CHECK_EQ_STR(r.ev[1].value, "{\"video\":true}");
	CHECK_EQ_STR(r.ev[2].method, "navigator.mediaDevices.getUserMediaOnFailure");
	CHECK_EQ_STR(r.ev[2].value, "\"NotAllowedError\"");
	CHECK_EQ_DOUBLE(r.ev[2].ts, 1200);
	/* audio_track_info "null": no audio track */
	CHECK_EQ_STR(r.ev[3].method, "navigator.mediaDevices.getUserMediaOnSuccess");
	CHECK_EQ_STR(r.ev[3].value, "[[\"video\",\"V1\",\"Logitech BRIO (046d:085e)\",\"S1\"]]");
	CHECK_EQ_STR(r.ev[4].method, "create");
	CHECK_EQ_DOUBLE(r.ev[4].ts, 5000);
	CHECK_EQ_STR(r.ev[4].value, "{\"deviceMemory\":null,\"userAgent\":\"Mozilla/5.0 Chrome/142\","
				 "\"userAgentData\":[{\"brand\":\"Chromium\",\"version\":\"142\"}]}");
	CHECK(strstr(r.metadata, "\"fileFormat\":\"webrtc-internals\"") != NULL);
	CHECK(strstr(r.metadata, "\"userAgent\":\"Mozilla/5.0 Chrome/142\"") != NULL);
	CHECK(strstr(r.metadata, "\"startTime\":1000.5") != NULL);
	CHECK(strstr(r.metadata, "\"dumpTime\":5000") != NULL);

	/* without it: the dump is as of its latest timestamp (not upstream's 0) */
	CHECK_EQ_LONG(read_doc(GUM_DOC "}", 0, &r, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 5);
	CHECK_EQ_STR(r.ev[0].method, "navigator.mediaDevices.getUserMedia");
	/* create ties with the latest entry and was pushed first */
	CHECK_EQ_STR(r.ev[3].method, "create");
	CHECK_EQ_DOUBLE(r.ev[3].ts, 1300);
	CHECK_EQ_STR(r.ev[4].method, "navigator.mediaDevices.getUserMediaOnSuccess");

	/* the features: start and duration from the dump's own times */
	f = features_of(GUM_DOC "}");
	CHECK(f != NULL);
	if (f)
	{
		CHECK_EQ_DOUBLE(num(f, "startTime"), 1000.5);
		CHECK_EQ_DOUBLE(num(f, "duration"), 299.5);
		CHECK_EQ_DOUBLE(num(f, "getUserMediaSuccessCount"), 1);
		CHECK_EQ_DOUBLE(num(f, "getUserMediaErrorCount"), 1);
		CHECK_EQ_STR(str(f, "getUserMediaError"), "NotAllowedError");
		CHECK_EQ_STR(str(f, "videoDeviceUsbId"), "046d:085e");
		CHECK_EQ_STR(str(f, "calledGetUserMediaCombined"), "true");
		CHECK_EQ_STR(str(f, "calledGetDisplayMediaVideo"), "true");
		CHECK_EQ_STR(str(f, "userAgent"), "Mozilla/5.0 Chrome/142");
		CHECK(json_object_object_get_ex(f, "deviceMemory", NULL));
		CHECK(!json_object_object_get_ex(f, "hardwareConcurrency", NULL));
		CHECK_EQ_LONG(json_object_array_length(json_object_object_get(f, "peerConnections")), 0);
	}
	json_object_put(f);

	/* the smallest document: only the client's create, at 0 */
	CHECK_EQ_LONG(read_doc("{}", 0, &r, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 1);
	CHECK_EQ_STR(r.ev[0].method, "create");
	CHECK_EQ_STR(r.ev[0].value, "{}");
	CHECK_EQ_DOUBLE(r.ev[0].ts, 0);
}

/* A peer connection: create, updateLog, stats series regrouped per timestamp. */
#define PC_DOC \
	"{'timestamp':9000,'PeerConnections':{'7-1':{" \
	"'rtcConfiguration':'{`iceServers`:[]}','url':'https://app'," \
	"'updateLog':[" \
	"{'type':'createOffer','value':'{`offerToReceiveAudio`:true}','timestamp':1000,'time':'x'}," \
	"{'type':'setLocalDescription','value':'{`type`:`offer`,`sdp`:`v=0\\\\r\\\\n`}','timestamp':1001}," \
	"{'type':'signalingstatechange','value':'`have-local-offer`','timestamp':1001}," \
	"{'type':'icecandidate','value':'sdpMid: 0, candidate: x','timestamp':1500}," \
	"{'type':'negotiationneeded','value':'','timestamp':1002}," \
	"{'type':'setRemoteDescription','value':'{`type`:`answer`}','time':'8/1/2025, 10:00:00 AM'}]," \
	"'stats':{" \
	"'OT01-timestamp':{'statsType':'outbound-rtp','values':'[2000,3000,4000]'}," \
	"'OT01-type':{'statsType':'outbound-rtp','values':'[`outbound-rtp`]'}," \
	"'OT01-bytesSent':{'statsType':'outbound-rtp','values':'[10,20,30]'}," \
	"'OT01-targetBitrate':{'statsType':'outbound-rtp','values':'[500]'}," \
	"'OT01-[bytesSent_in_bits/s]':{'statsType':'outbound-rtp','values':'[0,80,80]'}," \
	"'OT01-mid':{'statsType':'outbound-rtp','values':'[`0`,`0`,`0`]'}," \
	"'RI-OT01-timestamp':{'statsType':'remote-inbound-rtp','values':'[2500,3000]'}," \
	"'RI-OT01-roundTripTime':{'statsType':'remote-inbound-rtp','values':'[0.01,0.02]'}," \
	"'5-timestamp':{'statsType':'codec','values':'[2000]'}," \
	"'5-mimeType':{'statsType':'codec','values':'[`audio/opus`]'}}}}}"

static void
peer_connection(void)
{
	recorder	r;
	rtcstats_error err;
	recorded   *e;

	CHECK_EQ_LONG(read_doc(PC_DOC, 0, &r, &err), RTCSTATS_OK);
	if (!CHECK_EQ_LONG(r.n, 12))
		return;
	/* client first */
	CHECK_EQ_STR(r.ev[0].method, "create");
	CHECK_EQ_STR(r.ev[0].pc, "(null)");
	CHECK_EQ_DOUBLE(r.ev[0].ts, 9000);

	e = &r.ev[1];
	CHECK_EQ_STR(e->method, "create");
	CHECK_EQ_STR(e->pc, "7-1");
	CHECK_EQ_LONG(e->pc_index, 0);
	CHECK_EQ_DOUBLE(e->ts, 1000);
	/* rtcConfiguration is passed as it is (a string), like upstream */
	CHECK_EQ_STR(e->value, "\"{\\\"iceServers\\\":[]}\"");
	CHECK_EQ_STR(r.ev[2].method, "createOffer");
	CHECK_EQ_STR(r.ev[2].value, "{\"offerToReceiveAudio\":true}");
	CHECK_EQ_STR(r.ev[3].method, "setLocalDescription");
	CHECK_EQ_STR(r.ev[3].value, "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}");
	/* a JSON string value parses to the bare state */
	CHECK_EQ_STR(r.ev[4].method, "signalingstatechange");
	CHECK_EQ_STR(r.ev[4].value, "\"have-local-offer\"");
	/* "" stays "", sorted by time: 1002 before 1500 */
	CHECK_EQ_STR(r.ev[5].method, "negotiationneeded");
	CHECK_EQ_STR(r.ev[5].value, "\"\"");
	/* an entry without a timestamp keeps the previous entry's time */
	CHECK_EQ_STR(r.ev[6].method, "setRemoteDescription");
	CHECK_EQ_DOUBLE(r.ev[6].ts, 1002);
	/* text that is not JSON stays a string */
	CHECK_EQ_STR(r.ev[7].method, "icecandidate");
	CHECK_EQ_STR(r.ev[7].value, "\"sdpMid: 0, candidate: x\"");
	CHECK_EQ_DOUBLE(r.ev[7].ts, 1500);

	/* one report per timestamp, index ids first; targetBitrate only at the last */
	e = &r.ev[8];
	CHECK_EQ_STR(e->method, "getStats");
	CHECK_EQ_DOUBLE(e->ts, 2000);
	CHECK_EQ_STR(e->order, "5,OT01,");
	/* series ids in JavaScript order too: "5" was regrouped first */
	CHECK_EQ_STR(e->value, "{\"5\":{\"id\":\"5\",\"timestamp\":2000.0,\"type\":\"codec\",\"mimeType\":\"audio/opus\"},"
				 "\"OT01\":{\"id\":\"OT01\",\"timestamp\":2000.0,\"type\":\"outbound-rtp\","
				 "\"bytesSent\":10,\"[bytesSent_in_bits/s]\":0,\"mid\":\"0\"}}");
	e = &r.ev[9];
	CHECK_EQ_DOUBLE(e->ts, 2500);
	CHECK_EQ_STR(e->order, "RI-OT01,");
	CHECK_EQ_STR(e->value, "{\"RI-OT01\":{\"id\":\"RI-OT01\",\"timestamp\":2500.0,"
				 "\"type\":\"remote-inbound-rtp\",\"roundTripTime\":0.01}}");
	e = &r.ev[10];
	CHECK_EQ_DOUBLE(e->ts, 3000);
	CHECK_EQ_STR(e->order, "OT01,RI-OT01,");
	e = &r.ev[11];
	CHECK_EQ_DOUBLE(e->ts, 4000);
	CHECK(strstr(e->value, "\"bytesSent\":30,\"targetBitrate\":500,") != NULL);

	/* fed a byte at a time: the same events */
	{
		recorder	r1;

		CHECK_EQ_LONG(read_doc(PC_DOC, 1, &r1, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(r1.n, r.n);
		for (int i = 0; i < r.n && i < r1.n; i++)
			CHECK(strcmp(r1.ev[i].value, r.ev[i].value) == 0 && r1.ev[i].ts == r.ev[i].ts);
	}
}

static void
peer_connection_edges(void)
{
	recorder	r;
	rtcstats_error err;

	/* no "<id>-timestamp" series (before M117): no stats at all, as upstream */
	CHECK_EQ_LONG(read_doc("{'PeerConnections':{'1':{'updateLog':[{'type':'a','timestamp':50}],"
						   "'stats':{'X-timestamp':{'values':'[60]'},'X-a':{'values':'[1]'},"
						   "'Y-a':{'values':'[1]'}}}}}", 0, &r, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 3);
	CHECK_EQ_STR(r.ev[2].method, "a");

	/* no updateLog: create at the dump's time (its latest), stable among equals */
	CHECK_EQ_LONG(read_doc("{'PeerConnections':{'2-1':{'stats':{"
						   "'X-timestamp':{'statsType':'transport','values':'[60,70]'},"
						   "'X-a':{'values':'[1,2,3]'}}}}}", 0, &r, &err), RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 4);
	CHECK_EQ_STR(r.ev[1].method, "getStats");
	/* three values, two timestamps: the first value has none and is dropped */
	CHECK(strstr(r.ev[1].value, "\"a\":2") != NULL);
	CHECK_EQ_DOUBLE(r.ev[1].ts, 60);
	CHECK_EQ_STR(r.ev[2].method, "create");
	CHECK_EQ_DOUBLE(r.ev[2].ts, 70);
	CHECK_EQ_STR(r.ev[2].value, "null");
	CHECK_EQ_STR(r.ev[3].method, "getStats");
	CHECK(strstr(r.ev[3].value, "\"a\":3") != NULL);

	/*
	 * A timestamp repeated in a series: the last sample's values win, keys in
	 * property order; values matched from the end (p1 starts late).
	 */
	CHECK_EQ_LONG(read_doc("{'timestamp':1,'PeerConnections':{'1':{'stats':{"
						   "'A-timestamp':{'statsType':'t','values':'[100,300,300]'},"
						   "'A-p1':{'values':'[7]'},'A-p2':{'values':'[1,2,3]'}}}}}", 0, &r, &err),
				  RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 4);
	CHECK_EQ_STR(r.ev[2].value, "{\"A\":{\"id\":\"A\",\"timestamp\":100.0,\"type\":\"t\",\"p2\":1}}");
	CHECK_EQ_STR(r.ev[3].value, "{\"A\":{\"id\":\"A\",\"timestamp\":300.0,\"type\":\"t\",\"p1\":7,\"p2\":3}}");

	/* peer connections in JavaScript key order: index keys first */
	CHECK_EQ_LONG(read_doc("{'PeerConnections':{'b':{},'10':{},'2':{},'a':{}}}", 0, &r, &err),
				  RTCSTATS_OK);
	CHECK_EQ_LONG(r.n, 5);
	CHECK_EQ_STR(r.ev[1].pc, "2");
	CHECK_EQ_STR(r.ev[2].pc, "10");
	CHECK_EQ_STR(r.ev[3].pc, "b");
	CHECK_EQ_LONG(r.ev[4].pc_index, 3);

	/* a value nested deeper than the limit is kept as the string it is */
	{
		char		doc[2048];
		char		deep[300];

		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		deep[200] = '\0';
		snprintf(doc, sizeof(doc), "{'PeerConnections':{'1':{'updateLog':[{'type':'x','value':'%s',"
				 "'timestamp':1}]}}}", deep);
		CHECK_EQ_LONG(read_doc(doc, 0, &r, &err), RTCSTATS_OK);
		CHECK_EQ_LONG(r.n, 3);
		CHECK(r.ev[2].value[0] == '"');
		/* the same as stats values is an error */
		snprintf(doc, sizeof(doc), "{'PeerConnections':{'1':{'stats':{'X-timestamp':{'values':'[1]'},"
				 "'X-a':{'values':'[%s]'}}}}}", deep);
		refused(doc, RTCSTATS_ERR_FORMAT, "PeerConnections[\"1\"].stats[\"X-a\"].values is not a JSON array");
	}

	/* the features of a peer connection */
	{
		json_object *f = features_of(PC_DOC);
		json_object *pcs = f ? json_object_object_get(f, "peerConnections") : NULL;
		json_object *pc = pcs ? json_object_array_get_idx(pcs, 0) : NULL;

		CHECK(pc != NULL);
		if (pc)
		{
			CHECK_EQ_DOUBLE(num(pc, "startTime"), 1000);
			CHECK_EQ_DOUBLE(num(pc, "duration"), 3000);
			CHECK_EQ_DOUBLE(num(pc, "numberOfEvents"), 11);
		}
		json_object_put(f);
	}
}

static void
malformed(void)
{
	/* the document itself */
	refused("{'a':", RTCSTATS_ERR_JSON, "not a valid JSON object: unexpected end of input");
	refused("{'a':1} x", RTCSTATS_ERR_JSON, "not a valid JSON object");
	refused("{'a':1}{}", RTCSTATS_ERR_JSON, "not a valid JSON object");
	refused("{'a':'\xff'}", RTCSTATS_ERR_JSON, "not a valid JSON object");
	refused("{a:1}", RTCSTATS_ERR_JSON, "not a valid JSON object");
	{
		char		deep[200];

		memset(deep, '[', 80);
		memset(deep + 80, ']', 80);
		deep[160] = '\0';
		char		doc[300];

		snprintf(doc, sizeof(doc), "{'a':%s}", deep);
		refused(doc, RTCSTATS_ERR_JSON, "not a valid JSON object");
	}
	/* its parts */
	refused("{'getUserMedia':{}}", RTCSTATS_ERR_FORMAT, "getUserMedia is not an array");
	refused("{'getUserMedia':[1]}", RTCSTATS_ERR_FORMAT, "getUserMedia[0] is not an object");
	refused("{'getUserMedia':[{'timestamp':1,'audio_track_info':'{id'}]}", RTCSTATS_ERR_FORMAT,
			"getUserMedia[0].audio_track_info is not valid JSON");
	refused("{'getUserMedia':[{'timestamp':1,'video_track_info':{}}]}", RTCSTATS_ERR_FORMAT,
			"getUserMedia[0].video_track_info is not a JSON string");
	refused("{'PeerConnections':[]}", RTCSTATS_ERR_FORMAT, "PeerConnections is not an object");
	refused("{'PeerConnections':{'1-2':5}}", RTCSTATS_ERR_FORMAT,
			"PeerConnections[\"1-2\"] is not an object");
	refused("{'PeerConnections':{'1-2':{'updateLog':{}}}}", RTCSTATS_ERR_FORMAT,
			"PeerConnections[\"1-2\"].updateLog is not an array");
	refused("{'PeerConnections':{'1-2':{'updateLog':[{'type':'a'},null]}}}", RTCSTATS_ERR_FORMAT,
			"PeerConnections[\"1-2\"].updateLog[1] is not an object");
	refused("{'PeerConnections':{'1-2':{'stats':[]}}}", RTCSTATS_ERR_FORMAT,
			"PeerConnections[\"1-2\"].stats is not an object");
	refused("{'PeerConnections':{'1-2':{'stats':{'X-a':7}}}}", RTCSTATS_ERR_FORMAT,
			"PeerConnections[\"1-2\"].stats[\"X-a\"] is not an object");
	refused("{'PeerConnections':{'1-2':{'stats':{'X-timestamp':{'values':'[1]'},'X-a':{'values':[1]}}}}}",
			RTCSTATS_ERR_FORMAT, "PeerConnections[\"1-2\"].stats[\"X-a\"].values is not a string");
	refused("{'PeerConnections':{'1-2':{'stats':{'X-timestamp':{'values':'[1]'},'X-a':{'values':'[1,'}}}}}",
			RTCSTATS_ERR_FORMAT, "PeerConnections[\"1-2\"].stats[\"X-a\"].values is not a JSON array");
	refused("{'PeerConnections':{'1-2':{'stats':{'X-timestamp':{'values':'1'},'X-a':{'values':'[1]'}}}}}",
			RTCSTATS_ERR_FORMAT, "PeerConnections[\"1-2\"].stats[\"X-timestamp\"].values is not a JSON array");
	refused("{'PeerConnections':{'1-2':{'stats':{'X-a':{'values':'[1]'},'X-timestamp':'x'}}}}",
			RTCSTATS_ERR_FORMAT, "PeerConnections[\"1-2\"].stats[\"X-timestamp\"] is not an object");
	/* a "-type" series is never read, as upstream */
	{
		recorder	r;
		rtcstats_error err;

		CHECK_EQ_LONG(read_doc("{'PeerConnections':{'1':{'stats':{'X-type':5}}}}", 0, &r, &err),
					  RTCSTATS_OK);
	}
}

int
main(void)
{
	gum_entries();
	peer_connection();
	peer_connection_edges();
	malformed();
	return check_summary("internals");
}
