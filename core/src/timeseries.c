/*
 * timeseries.c: bounded per-interval series and condition trackers for the
 * analysis layer.
 *
 * A series keeps at most TS_MAX_POINTS points however long the call: raw
 * samples are averaged into a pending point covering `stride` samples; when
 * the array is full, neighbouring points merge pairwise and the stride doubles.
 * A one-hour call polled every second therefore keeps points of 16 s, a
 * two-minute call keeps every sample.  Rules never need the raw samples: they
 * run on an_cond counters updated per interval (analysis.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis_internal.h"

/* Point i of the merged array: mean of points 2i and 2i+1, time of the first. */
static void
ts_halve(ts_series *s)
{
	int			half = s->n / 2;

	for (int i = 0; i < half; i++)
	{
		s->t[i] = s->t[2 * i];
		s->v[i] = (s->v[2 * i] + s->v[2 * i + 1]) / 2.0;
	}
	if (s->n % 2)
	{
		s->t[half] = s->t[s->n - 1];
		s->v[half] = s->v[s->n - 1];
		half++;
	}
	s->n = half;
	s->stride *= 2;
}

/*
 * Adds one sample.  Non-finite values are dropped (a counter that went
 * backwards, a division by a zero interval) rather than poisoning a mean.
 */
void
ts_add(ts_series *s, double t, double v)
{
	if (!isfinite(v) || !isfinite(t))
		return;
	if (s->t == NULL)
	{
		s->t = malloc(sizeof(double) * TS_MAX_POINTS);
		s->v = malloc(sizeof(double) * TS_MAX_POINTS);
		if (s->t == NULL || s->v == NULL)
		{
			free(s->t);
			free(s->v);
			s->t = s->v = NULL;
			return;				/* out of memory: the series stays empty */
		}
		s->stride = 1;
	}
	s->samples++;
	if (s->acc_n == 0)
		s->acc_t = t;
	s->acc_v += v;
	s->acc_n++;
	if (s->acc_n < s->stride)
		return;
	if (s->n == TS_MAX_POINTS)
		ts_halve(s);
	s->t[s->n] = s->acc_t;
	s->v[s->n] = s->acc_v / s->acc_n;
	s->n++;
	s->acc_v = 0;
	s->acc_n = 0;
}

/* Numbers rounded to 3 decimals: charts need no more, and the JSON stays small. */
static json_object *
ts_number(double d)
{
	double		r = round(d * 1000.0) / 1000.0;

	if (r == floor(r) && fabs(r) < 9e15)
		return json_object_new_int64((int64_t) r);
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), "%.3f", r);	/* as written, not 0.10000000000000001 */
		return json_object_new_double_s(r, buf);
	}
}

/* The series as [[t, v], ...], the pending partial point last. */
json_object *
ts_to_json(const ts_series *s)
{
	json_object *arr;

	if (s->n == 0 && s->acc_n == 0)
		return NULL;
	arr = json_object_new_array_ext(s->n + 1);
	for (int i = 0; i <= s->n; i++)
	{
		json_object *p;
		double		t,
					v;

		if (i < s->n)
		{
			t = s->t[i];
			v = s->v[i];
		}
		else if (s->acc_n > 0)
		{
			t = s->acc_t;
			v = s->acc_v / s->acc_n;
		}
		else
			break;
		p = json_object_new_array_ext(2);
		json_object_array_add(p, ts_number(t));
		json_object_array_add(p, ts_number(v));
		json_object_array_add(arr, p);
	}
	return arr;
}

void
ts_free(ts_series *s)
{
	free(s->t);
	free(s->v);
	s->t = s->v = NULL;
	s->n = 0;
}

/*
 * Mean of the stored points whose position in the series lies in [from, to)
 * (fractions of the point count), e.g. the first and last thirds for a trend.
 */
double
ts_mean_span(const ts_series *s, double from, double to)
{
	int			lo = (int) floor(from * s->n);
	int			hi = (int) ceil(to * s->n);
	double		sum = 0;
	int			k = 0;

	if (hi > s->n)
		hi = s->n;
	for (int i = lo; i < hi; i++)
	{
		sum += s->v[i];
		k++;
	}
	return k ? sum / k : NAN;
}

/*
 * One interval of a condition: counts it, extends or ends the current run,
 * remembers when it was first/last met and the worst value seen while met.
 */
void
cond_step(an_cond *c, bool hit, double t, double dt, double value, bool higher_worse)
{
	c->intervals++;
	if (!hit)
	{
		c->run = 0;
		return;
	}
	if (c->count == 0)
	{
		c->first = t;
		c->worst = value;
	}
	else if (higher_worse ? value > c->worst : value < c->worst)
		c->worst = value;
	c->count++;
	c->last = t;
	if (dt > 0 && isfinite(dt))
		c->duration += dt;
	c->run++;
	if (c->run > c->max_run)
		c->max_run = c->run;
}
