/*
 * internals.c: webrtc-internals "Create dump" documents to events.
 * (Being written; see reader_internal.h for the contract.)
 */
#include "reader_internal.h"

rtcstats_status
rtcstats_internals_convert(rtcstats_reader *r, json_object *doc, rtcstats_error *err)
{
	(void) r;
	(void) doc;
	return rtcstats_fail(err, RTCSTATS_ERR_FORMAT, 0, "webrtc-internals dumps are not supported yet");
}
