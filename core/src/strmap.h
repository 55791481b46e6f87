/*
 * strmap.h: a small string -> pointer hash map (open addressing, FNV-1a),
 * for the per-dump state the extractor keys by id.  Keys are copied.
 */
#ifndef RTCSTATS_STRMAP_H
#define RTCSTATS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strmap_slot
{
	char	   *key;
	void	   *value;
} strmap_slot;

typedef struct strmap
{
	strmap_slot *slots;
	size_t		cap;			/* power of two */
	size_t		count;
} strmap;

/* The value slot for key, inserted (value NULL) when absent; NULL if out of memory. */
void	  **strmap_put(strmap *m, const char *key, bool *created);
/* The value for key, or NULL. */
void	   *strmap_get(const strmap *m, const char *key);
/* Frees keys and slots; free_value (may be NULL) is called on every value. */
void		strmap_free(strmap *m, void (*free_value) (void *));

#endif
