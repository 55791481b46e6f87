/*
 * tables_lookup.c: lookups in the generated decompression tables.
 */
#include <string.h>

#include "rtcstats/reader.h"
#include "tables.h"

/*
 * Keys are compared on their JSON text, as upstream's object lookups do: 6
 * and "6" both find "setLocalDescription", "06" finds nothing.
 */
const char *
rtcstats_table_lookup(const rtcstats_table *t, const char *key, size_t len)
{
	if (len == 0)
		return NULL;
	if (key[0] >= '0' && key[0] <= '9')
	{
		size_t		n = 0;

		if (len > 4 || (key[0] == '0' && len > 1))
			return NULL;
		for (size_t i = 0; i < len; i++)
		{
			if (key[i] < '0' || key[i] > '9')
				goto other;
			n = n * 10 + (size_t) (key[i] - '0');
		}
		return n < t->nnumeric ? t->numeric[n] : NULL;
	}
other:
	for (const rtcstats_table_entry *e = t->other; e->key; e++)
		if (strlen(e->key) == len && memcmp(e->key, key, len) == 0)
			return e->value;
	return NULL;
}

const char *
rtcstats_decompress_method(const char *key)
{
	const char *full = rtcstats_table_lookup(&rtcstats_methods_table, key, strlen(key));

	return full ? full : key;
}

const char *
rtcstats_decompress_stats_property(const char *key)
{
	const char *full = rtcstats_table_lookup(&rtcstats_stats_properties_table, key, strlen(key));

	return full ? full : key;
}

const char *
rtcstats_decompress_stats_type(const char *key)
{
	const char *full = rtcstats_table_lookup(&rtcstats_stats_types_table, key, strlen(key));

	return full ? full : key;
}
