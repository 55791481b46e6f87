/*
 * anonymize_internals.c: IP obfuscation of a chrome://webrtc-internals
 * "Create dump" document (section 6 of the dump format: users upload these
 * as they are).
 *
 * Upstream's anonymizeBlob() handles the same two places: per peer
 * connection, the stats series named "<statsId>-address", "-ip" and
 * "-relatedAddress" (each a JSON string of an array of values), and the
 * updateLog entries, whose value it JSON-parses and anonymizes as the event
 * of that type.  Chrome writes many updateLog values as text, not JSON
 * ("sdpMid: 0, sdpMLineIndex: 0, candidate: candidate:1 1 udp ..."), where
 * upstream throws; we mask every word of such text that is an IP address.
 * Unlike upstream, a relay candidate's address and ip series are kept when
 * its "-candidateType" series says relay throughout, as in rtcstats dumps.
 * The document is written back pretty-printed, like upstream's.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "anonymize_internal.h"

/* Chrome's updateLog type as the rtcstats method anonymize.c knows. */
static const char *
method_of(const char *type)
{
	if (strncmp(type, "icecandidateerror", 17) == 0)
		return "onicecandidateerror";
	if (strncmp(type, "icecandidate", 12) == 0)	/* also "icecandidate (host)" */
		return "onicecandidate";
	return type;
}

static bool
is_string(json_object *v)
{
	return json_object_is_type(v, json_type_string);
}

/* Mask every address in every string of v (a parsed value of a type we do not know). */
static bool
mask_strings(rtcstats_anonymizer *a, json_object *v, bool *nomem)
{
	bool		touched = false;

	if (json_object_is_type(v, json_type_object))
	{
		json_object_object_foreach(v, key, child)
		{
			if (is_string(child))
			{
				json_object *m = rtcstats_anonymize_text(a, json_object_get_string(child),
														 (size_t) json_object_get_string_len(child));

				if (m == NULL)
				{
					*nomem = true;
					return touched;
				}
				json_object_object_add(v, key, m);
				touched = true;
			}
			else
				touched |= mask_strings(a, child, nomem);
		}
	}
	else if (json_object_is_type(v, json_type_array))
	{
		for (size_t i = 0; i < json_object_array_length(v); i++)
		{
			json_object *child = json_object_array_get_idx(v, i);

			if (is_string(child))
			{
				json_object *m = rtcstats_anonymize_text(a, json_object_get_string(child),
														 (size_t) json_object_get_string_len(child));

				if (m == NULL)
				{
					*nomem = true;
					return touched;
				}
				json_object_array_put_idx(v, i, m);
				touched = true;
			}
			else
				touched |= mask_strings(a, child, nomem);
		}
	}
	return touched;
}

/* Parse text as strict JSON with a depth limit; NULL when it is not JSON. */
static json_object *
parse_json(rtcstats_anonymizer *a, const char *text, size_t len, int max_depth, bool *nomem)
{
	json_tokener *tok;
	json_object *v;
	size_t		n;
	const char *t = rtcstats_widen_long_integers(a, text, len, &n);

	if (t == NULL)
	{
		*nomem = true;
		return NULL;
	}
	if (n > 0x7fffffff || (tok = json_tokener_new_ex(max_depth)) == NULL)
	{
		*nomem = n <= 0x7fffffff;
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, t, (int) n);
	if (json_tokener_get_error(tok) != json_tokener_success)
	{
		json_object_put(v);
		v = NULL;
	}
	else
	{
		for (size_t i = json_tokener_get_parse_end(tok); i < n; i++)
			if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			{
				json_object_put(v);
				v = NULL;
				break;
			}
	}
	json_tokener_free(tok);
	return v;
}

/* One updateLog entry {type, value, time/timestamp}: its value rewritten in place. */
static void
anonymize_update(rtcstats_anonymizer *a, json_object *entry, int max_depth, bool *nomem)
{
	json_object *type,
			   *value,
			   *parsed,
			   *out = NULL;
	const char *text;
	size_t		len;

	if (!json_object_is_type(entry, json_type_object) ||
		!json_object_object_get_ex(entry, "value", &value) || !is_string(value))
		return;
	text = json_object_get_string(value);
	len = (size_t) json_object_get_string_len(value);
	if (len == 0)
		return;
	parsed = parse_json(a, text, len, max_depth, nomem);
	if (*nomem)
		return;
	if (parsed && (json_object_is_type(parsed, json_type_object) ||
				   json_object_is_type(parsed, json_type_array)))
	{
		const char *method = json_object_object_get_ex(entry, "type", &type) && is_string(type)
			? method_of(json_object_get_string(type)) : "";
		json_object *arr = json_object_new_array();
		bool		touched;

		if (arr == NULL)
		{
			*nomem = true;
			json_object_put(parsed);
			return;
		}
		json_object_array_add(arr, json_object_new_string(method));
		json_object_array_add(arr, NULL);
		json_object_array_add(arr, json_object_get(parsed));
		json_object_array_add(arr, json_object_new_int(0));
		touched = rtcstats_anonymize_event(a, arr, nomem);
		/* a type we do not know: any address in any of its strings */
		if (!touched && strcmp(method, "getStats") != 0)
			touched = mask_strings(a, parsed, nomem);
		json_object_put(arr);
		if (touched && !*nomem)
		{
			size_t		n;
			const char *s = json_object_to_json_string_length(parsed, JSON_C_TO_STRING_PLAIN |
															  JSON_C_TO_STRING_NOSLASHESCAPE, &n);

			if (s == NULL || n > INT_MAX || (out = json_object_new_string_len(s, (int) n)) == NULL)
				*nomem = true;
		}
	}
	else
	{
		/* text (or a JSON scalar): every word that is an address */
		out = rtcstats_anonymize_text(a, text, len);
		if (out == NULL)
			*nomem = true;
	}
	json_object_put(parsed);
	if (out)
		json_object_object_add(entry, "value", out);
}

/* A new JSON string: the obfuscated form of the address s of len bytes; NULL when out of memory. */
static json_object *
obfuscated_string(const char *s, size_t len)
{
	char	   *buf;
	json_object *m;
	size_t		n;

	if (len > INT_MAX - 64 || (buf = malloc(RTCSTATS_OBFUSCATED_MAX(len))) == NULL)
		return NULL;
	n = rtcstats_obfuscate_address_into(s, len, buf);
	m = json_object_new_string_len(buf, (int) n);
	free(buf);
	return m;
}

/* Whether the series "<id>-candidateType" of stats says relay at every sample. */
static bool
series_is_relay(rtcstats_anonymizer *a, json_object *stats, const char *id, size_t idlen,
				int max_depth, bool *nomem)
{
	char		key[512];
	json_object *entry,
			   *values,
			   *arr;
	bool		relay = false;

	if (idlen + sizeof("-candidateType") > sizeof(key))
		return false;
	memcpy(key, id, idlen);
	strcpy(key + idlen, "-candidateType");
	if (!json_object_object_get_ex(stats, key, &entry) ||
		!json_object_is_type(entry, json_type_object) ||
		!json_object_object_get_ex(entry, "values", &values) || !is_string(values))
		return false;
	arr = parse_json(a, json_object_get_string(values), (size_t) json_object_get_string_len(values),
					 max_depth, nomem);
	if (json_object_is_type(arr, json_type_array) && json_object_array_length(arr) > 0)
	{
		relay = true;
		for (size_t i = 0; i < json_object_array_length(arr); i++)
		{
			json_object *v = json_object_array_get_idx(arr, i);

			if (!is_string(v) || strcmp(json_object_get_string(v), "relay") != 0)
				relay = false;
		}
	}
	json_object_put(arr);
	return relay;
}

/* The address series of one peer connection's stats. */
static void
anonymize_series(rtcstats_anonymizer *a, json_object *stats, int max_depth, bool *nomem)
{
	json_object_object_foreach(stats, name, entry)
	{
		const char *dash = strrchr(name, '-');
		const char *prop;
		json_object *values,
				   *arr,
				   *out;
		bool		address;

		if (*nomem)
			return;
		if (dash == NULL || !json_object_is_type(entry, json_type_object))
			continue;
		prop = dash + 1;
		address = strcmp(prop, "address") == 0 || strcmp(prop, "ip") == 0;
		if (!address && strcmp(prop, "relatedAddress") != 0)
			continue;
		if (!json_object_object_get_ex(entry, "values", &values) || !is_string(values))
			continue;
		if (address && series_is_relay(a, stats, name, (size_t) (dash - name), max_depth, nomem))
			continue;
		arr = parse_json(a, json_object_get_string(values), (size_t) json_object_get_string_len(values),
						 max_depth, nomem);
		if (arr == NULL)
		{
			/* not the JSON array Chrome writes: mask it as text */
			if (!*nomem && (out = rtcstats_anonymize_text(a, json_object_get_string(values),
														   (size_t) json_object_get_string_len(values))) != NULL)
				json_object_object_add(entry, "values", out);
			else
				*nomem = true;
			continue;
		}
		if (json_object_is_type(arr, json_type_array))
		{
			for (size_t i = 0; i < json_object_array_length(arr); i++)
			{
				json_object *v = json_object_array_get_idx(arr, i);
				json_object *m;

				if (!is_string(v))
					continue;
				/* a value is one address: masked whole, as in a dump */
				m = obfuscated_string(json_object_get_string(v), (size_t) json_object_get_string_len(v));
				if (m == NULL)
				{
					*nomem = true;
					break;
				}
				json_object_array_put_idx(arr, i, m);
			}
		}
		else
			mask_strings(a, arr, nomem);
		if (!*nomem)
		{
			size_t		n;
			const char *s = json_object_to_json_string_length(arr, JSON_C_TO_STRING_PLAIN |
															  JSON_C_TO_STRING_NOSLASHESCAPE, &n);

			if (s == NULL || n > INT_MAX || (out = json_object_new_string_len(s, (int) n)) == NULL)
				*nomem = true;
			else
				json_object_object_add(entry, "values", out);
		}
		json_object_put(arr);
	}
}

rtcstats_status
rtcstats_anonymize_internals(rtcstats_anonymizer *a, const char *doc, size_t len, int max_depth,
							 rtcstats_write_fn write, void *arg, rtcstats_error *err)
{
	json_tokener *tok;
	json_object *root,
			   *pcs;
	enum json_tokener_error jerr;
	bool		nomem = false;
	size_t		n;
	const char *text = rtcstats_widen_long_integers(a, doc, len, &n);
	const char *out;
	rtcstats_status rc;

	if (text == NULL || (tok = json_tokener_new_ex(max_depth)) == NULL)
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	if (n > 0x7fffffff)
	{
		json_tokener_free(tok);
		return rtcstats_fail(err, RTCSTATS_ERR_TOO_LARGE, 0,
							 "webrtc-internals document is larger than 2 GiB");
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int) n);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success)
		for (size_t i = json_tokener_get_parse_end(tok); i < n; i++)
			if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			{
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !json_object_is_type(root, json_type_object))
	{
		json_object_put(root);
		return rtcstats_fail(err, RTCSTATS_ERR_JSON, 0,
							 "webrtc-internals dump is not a valid JSON object: %s",
							 jerr == json_tokener_success ? "not an object"
							 : jerr == json_tokener_continue ? "unexpected end of input"
							 : json_tokener_error_desc(jerr));
	}
	if (json_object_object_get_ex(root, "PeerConnections", &pcs) &&
		json_object_is_type(pcs, json_type_object))
	{
		json_object_object_foreach(pcs, id, pc)
		{
			json_object *log,
					   *stats;

			(void) id;
			if (!json_object_is_type(pc, json_type_object))
				continue;
			if (json_object_object_get_ex(pc, "updateLog", &log) &&
				json_object_is_type(log, json_type_array))
				for (size_t i = 0; i < json_object_array_length(log) && !nomem; i++)
					anonymize_update(a, json_object_array_get_idx(log, i), max_depth, &nomem);
			if (json_object_object_get_ex(pc, "stats", &stats) &&
				json_object_is_type(stats, json_type_object) && !nomem)
				anonymize_series(a, stats, max_depth, &nomem);
			if (nomem)
				break;
		}
	}
	if (nomem)
	{
		json_object_put(root);
		return rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	}
	out = json_object_to_json_string_length(root, JSON_C_TO_STRING_PRETTY |
											JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (out == NULL)
		rc = rtcstats_fail(err, RTCSTATS_ERR_NOMEM, 0, "out of memory");
	else if ((rc = write(arg, out, n, err)) == RTCSTATS_OK)
		rc = write(arg, "\n", 1, err);
	json_object_put(root);
	return rc;
}
