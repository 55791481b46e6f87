/*
 * fuzz_reader: libFuzzer target for the whole read path (input, format 3 and
 * webrtc-internals readers, every feature group).  The input is split in two
 * feeds at a point taken from its first byte, so chunk boundaries are fuzzed
 * too.  Seeded from test/corpus/dumps by test/suites/16-fuzz-smoke.sh.
 */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "rtcstats/features.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rtcstats_reader_options opts = {.max_line_bytes = 1 << 20,.max_document_bytes = 1 << 22};
	rtcstats_extractor *x;
	rtcstats_error err;
	json_object *features = NULL;
	size_t		split;

	if (size == 0)
		return 0;
	opts.strict_lines = (data[0] & 1) != 0;
	split = size > 1 ? (size_t) data[0] * size / 256 : 0;
	x = rtcstats_extractor_new(&opts);
	if (x == NULL)
		return 0;
	if (rtcstats_extractor_feed(x, data, split, &err) == RTCSTATS_OK &&
		rtcstats_extractor_feed(x, data + split, size - split, &err) == RTCSTATS_OK &&
		rtcstats_extractor_finish(x, &features, &err) == RTCSTATS_OK)
		(void) json_object_to_json_string(features);
	json_object_put(features);
	rtcstats_extractor_free(x);
	return 0;
}
