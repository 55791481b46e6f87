/*
 * tables.h: the decompression tables (generated into tables.c) and lookups.
 */
#ifndef RTCSTATS_TABLES_H
#define RTCSTATS_TABLES_H

#include <stddef.h>

typedef struct rtcstats_table_entry
{
	const char *key;
	const char *value;
} rtcstats_table_entry;

typedef struct rtcstats_table
{
	const char *const *numeric;	/* indexed by the key's number */
	size_t		nnumeric;
	const rtcstats_table_entry *other;	/* non-numeric keys, NULL-terminated */
} rtcstats_table;

extern const rtcstats_table rtcstats_methods_table;
extern const rtcstats_table rtcstats_stats_types_table;
extern const rtcstats_table rtcstats_stats_properties_table;

/* The full name for key (the JSON value's text), or NULL when key is not compressed. */
const char *rtcstats_table_lookup(const rtcstats_table *t, const char *key, size_t len);

#endif
