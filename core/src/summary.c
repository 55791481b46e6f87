/*
 * summary.c: a few plain sentences about a call, built only from the
 * analysis state, the observations and the scores, so the same dump always
 * reads the same:
 *   1. how (and how fast) the call connected, or that it did not;
 *   2. the scores;
 *   3. the errors, then the warnings, as their explanations (at most
 *      SUMMARY_MAX_PROBLEMS), or "No problems were detected."
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

#define SUMMARY_MAX_PROBLEMS 3

/* A growing string; on out of memory it stays as it was. */
typedef struct text
{
	char	   *s;
	size_t		len;
	size_t		cap;
} text;

static void
append(text *t, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
append(text *t, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + n + 2 > t->cap)
	{
		size_t		cap = (t->len + n + 2) * 2;
		char	   *s = realloc(t->s, cap);

		if (s == NULL)
			return;
		t->s = s;
		t->cap = cap;
	}
	if (t->len > 0)
		t->s[t->len++] = ' ';
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += n;
}

/* "a direct UDP path", "a TURN relay over TCP". */
static void
path_words(const an_pc *p, char *buf, size_t size)
{
	char		proto[8];
	const char *src = strcmp(p->local_type, "relay") == 0 && p->relay_protocol[0] ?
		p->relay_protocol : p->protocol;
	size_t		i;

	for (i = 0; i + 1 < sizeof(proto) && src[i]; i++)
		proto[i] = (src[i] >= 'a' && src[i] <= 'z') ? src[i] - 32 : src[i];
	proto[i] = '\0';
	if (strcmp(p->local_type, "relay") == 0)
		snprintf(buf, size, "through a TURN relay over %s", proto[0] ? proto : "UDP");
	else if (p->have_pair)
		snprintf(buf, size, "over a direct %s path", proto[0] ? proto : "UDP");
	else
		snprintf(buf, size, "over an unknown path");
}

static double
get_score(json_object *o, const char *key)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && v)
		return json_object_get_double(v);
	return NAN;
}

static void
connection_sentence(rtcstats_analysis *a, text *t)
{
	const an_pc *first = NULL;
	int			connected = 0;

	if (a->npcs == 0)
	{
		append(t, "No peer connection was created.");
		return;
	}
	for (int i = 0; i < a->npcs; i++)
	{
		if (isnan(an_setup_ms(a->pcs[i])))
			continue;
		connected++;
		if (first == NULL)
			first = a->pcs[i];
	}
	if (first)
	{
		char		path[64];

		path_words(first, path, sizeof(path));
		if (a->npcs == 1)
			append(t, "The call connected in %.0f ms %s.", an_setup_ms(first), path);
		else
			append(t, "The call used %d peer connections (%d connected); the first connected in %.0f ms %s.",
				   a->npcs, connected, an_setup_ms(first), path);
		return;
	}
	for (int i = 0; i < a->npcs; i++)
		if (a->pcs[i]->ice_failed || a->pcs[i]->conn_failed)
		{
			append(t, "The call never connected: %s failed.",
				   a->pcs[i]->ever_ice_connected ? "the connection" : "ICE");
			return;
		}
	append(t, "The call never connected.");
}

static void
score_sentence(json_object *scores, text *t)
{
	json_object *call = NULL;
	double		au,
				vi,
				ov;

	if (scores)
		json_object_object_get_ex(scores, "call", &call);
	au = get_score(call, "audio");
	vi = get_score(call, "video");
	ov = get_score(call, "overall");
	if (!isnan(au) && !isnan(vi))
		append(t, "Audio scored %.1f (E-model MOS) and video %.1f out of 5; overall experience %.1f.",
			   au, vi, ov);
	else if (!isnan(au))
		append(t, "Audio scored %.1f out of 5 (E-model MOS); overall experience %.1f.", au, ov);
	else if (!isnan(vi))
		append(t, "Video scored %.1f out of 5; overall experience %.1f.", vi, ov);
	else if (!isnan(ov))
		append(t, "Overall experience %.1f out of 5.", ov);
}

static void
problem_sentences(json_object *obs, text *t)
{
	static const char *const order[2] = {"error", "warning"};
	int			shown = 0,
				more = 0;
	const char *last = NULL;

	for (int k = 0; k < 2; k++)
	{
		for (size_t i = 0; i < json_object_array_length(obs); i++)
		{
			json_object *o = json_object_array_get_idx(obs, i);
			json_object *sev,
					   *ex;

			if (!json_object_object_get_ex(o, "severity", &sev) ||
				strcmp(json_object_get_string(sev), order[k]) != 0)
				continue;
			if (shown == SUMMARY_MAX_PROBLEMS)
			{
				more++;
				continue;
			}
			if (json_object_object_get_ex(o, "explanation", &ex) &&
				(last == NULL || strcmp(last, json_object_get_string(ex)) != 0))
			{
				last = json_object_get_string(ex);	/* the same problem on both legs reads once */
				append(t, "%s", json_object_get_string(ex));
				shown++;
			}
		}
	}
	if (shown == 0)
		append(t, "No problems were detected.");
	else if (more > 0)
		append(t, "%d more problem%s listed in the observations.", more,
			   more == 1 ? " is" : "s are");
}

char *
an_summary(rtcstats_analysis *a, json_object *observations, json_object *scores)
{
	text		t = {0};

	connection_sentence(a, &t);
	score_sentence(scores, &t);
	problem_sentences(observations, &t);
	return t.s;
}
