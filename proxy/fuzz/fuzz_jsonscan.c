/*
 * fuzz_jsonscan: libFuzzer target for the proxy's check of a WebSocket
 * message (jsonscan.c, proxy_json_is_array), which sees every client
 * message before anything else does.  Besides not crashing, the scanner
 * must agree with json-c in strict mode on what is a JSON array within its
 * depth limit: a message the scanner accepts and the core reader would
 * refuse is stored, then voids its line (a differential check).  Built with
 * proxy/jsonscan.c alone (see proxy.mk: proxy/fuzz/fuzz_NAME.c links
 * proxy/NAME.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "../jsonscan.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	bool		scan = proxy_json_is_array(s, size);
	json_tokener *tok;
	json_object *obj;

	if (!scan || size > 1 << 20)
		return 0;
	/* accepted: json-c (strict, UTF-8, same depth) must read one array */
	tok = json_tokener_new_ex(PROXY_JSON_MAX_DEPTH);
	if (tok == NULL)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int) size);
	if (obj == NULL || !json_object_is_type(obj, json_type_array))
		abort();				/* the scanner let through what the reader refuses */
	json_object_put(obj);
	json_tokener_free(tok);
	return 0;
}
