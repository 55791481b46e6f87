/*
 * fuzz_report: libFuzzer target for the HTML report (report.h).  The input
 * is read as JSON and rendered three ways: as the analysis object alone, as
 * {"metadata", "features", "analysis"} parts, and as all three at once, so
 * every part sees values of every type and shape (a stored analysis is
 * caller input in SQL).  Nothing from the input may appear as markup.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rtcstats/report.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *
member(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ?
		v : NULL;
}

static void
render(json_object *metadata, json_object *features, json_object *analysis)
{
	char	   *page = rtcstats_report_html(metadata, features, analysis);

	/* the only script-capable tag would have to come from the input */
	if (page != NULL && strstr(page, "<script") != NULL)
		abort();
	free(page);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	json_object *o;

	if (tok == NULL)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *) data, (int) (size > 1 << 20 ? 1 << 20 : size));
	json_tokener_free(tok);
	if (o == NULL)
		return 0;
	render(NULL, NULL, o);
	render(member(o, "metadata"), member(o, "features"), member(o, "analysis"));
	render(o, o, o);
	json_object_put(o);
	return 0;
}
