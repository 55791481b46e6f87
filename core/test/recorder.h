/*
 * recorder.h: reader callbacks for the tests that keep each event as text
 * (pc, method, time, value, extra, stats ids in order, line), so a check
 * compares strings.  Events past RECORDER_MAX_EVENTS are dropped.
 */
#ifndef RTCSTATS_TEST_RECORDER_H
#define RTCSTATS_TEST_RECORDER_H

#include "rtcstats/reader.h"

#define RECORDER_MAX_EVENTS 64

typedef struct recorded
{
	char		pc[32];			/* "(null)" for client events */
	int			pc_index;
	char		method[96];
	double		ts;
	char		value[2048];
	char		extra[256];
	char		order[256];		/* getStats ids in the order given */
	long		line;
} recorded;

typedef struct recorder
{
	recorded	ev[RECORDER_MAX_EVENTS];
	int			n;
	char		metadata[512];
} recorder;

/* Callbacks whose arg is a recorder (zero it before reading). */
extern const rtcstats_reader_callbacks recorder_callbacks;

#endif
