/*
 * fuzz_internals: libFuzzer target for the webrtc-internals converter
 * (internals.c) behind the reader.  The input is made a document whatever
 * its first byte, so every run reaches the converter: bytes that do not
 * start with '{' get "{\"PeerConnections\":" before them and "}" after,
 * which puts the fuzzed text where the peer connections and their stats
 * series are read.  Events are decoded and thrown away; features are built
 * too, so what the converter hands on is exercised as well.  Seeded with
 * the webrtc-internals documents of test/corpus by 16-fuzz-smoke.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rtcstats/features.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "{\"PeerConnections\":";
	rtcstats_reader_options opts = {.max_line_bytes = 1 << 20,.max_document_bytes = 1 << 22};
	rtcstats_extractor *x;
	rtcstats_error err;
	json_object *features = NULL;
	char	   *doc;
	size_t		len = 0;

	if (size == 0)
		return 0;
	if ((doc = malloc(size + sizeof(head) + 1)) == NULL)
		return 0;
	if (data[0] != '{')
	{
		memcpy(doc, head, sizeof(head) - 1);
		len = sizeof(head) - 1;
	}
	memcpy(doc + len, data, size);
	len += size;
	if (data[0] != '{')
		doc[len++] = '}';
	x = rtcstats_extractor_new(&opts);
	if (x != NULL &&
		rtcstats_extractor_feed(x, doc, len, &err) == RTCSTATS_OK &&
		rtcstats_extractor_finish(x, &features, &err) == RTCSTATS_OK)
		(void) json_object_to_json_string(features);
	json_object_put(features);
	rtcstats_extractor_free(x);
	free(doc);
	return 0;
}
