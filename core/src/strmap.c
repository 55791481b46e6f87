/*
 * strmap.c: see strmap.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static uint64_t
hash_key(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

static bool
grow(strmap *m)
{
	size_t		cap = m->cap ? m->cap * 2 : 16;
	strmap_slot *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	for (size_t i = 0; i < m->cap; i++)
	{
		size_t		j;

		if (m->slots[i].key == NULL)
			continue;
		j = hash_key(m->slots[i].key) & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return true;
}

void	  **
strmap_put(strmap *m, const char *key, bool *created)
{
	size_t		i;

	if (created)
		*created = false;
	if ((m->count + 1) * 4 > m->cap * 3 && !grow(m))
		return NULL;
	i = hash_key(key) & (m->cap - 1);
	while (m->slots[i].key)
	{
		if (strcmp(m->slots[i].key, key) == 0)
			return &m->slots[i].value;
		i = (i + 1) & (m->cap - 1);
	}
	if ((m->slots[i].key = strdup(key)) == NULL)
		return NULL;
	m->slots[i].value = NULL;
	m->count++;
	if (created)
		*created = true;
	return &m->slots[i].value;
}

void *
strmap_get(const strmap *m, const char *key)
{
	size_t		i;

	if (m->cap == 0)
		return NULL;
	i = hash_key(key) & (m->cap - 1);
	while (m->slots[i].key)
	{
		if (strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].value;
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void
strmap_free(strmap *m, void (*free_value) (void *))
{
	for (size_t i = 0; i < m->cap; i++)
	{
		if (m->slots[i].key == NULL)
			continue;
		free(m->slots[i].key);
		if (free_value)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
