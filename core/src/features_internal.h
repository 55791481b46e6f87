/*
 * features_internal.h: state and helpers shared by the feature groups.
 *
 * Each group (client.c, connection.c, track.c) mirrors one upstream file of
 * rtcstats-features/features/ and sees every event once, in order.  Upstream
 * searches whole traces ("the first event that...", "the last stats
 * that..."); here each search is a little state machine, so nothing grows
 * with the length of the call.
 *
 * Values are json-c objects.  JSON null is a NULL json_object, so "absent"
 * (JavaScript undefined, which JSON.stringify drops) is tracked separately in
 * a jsval.  Leaf values of a stats report are never mutated by the reader
 * (a delta replaces them), so holding a reference to one is a snapshot.
 */
#ifndef RTCSTATS_FEATURES_INTERNAL_H
#define RTCSTATS_FEATURES_INTERNAL_H

#include <stdbool.h>

#include <json-c/json.h>

#include "rtcstats/reader.h"
#include "strmap.h"

/*
 * Bounds on what one dump can make the extractor keep, far above anything a
 * browser produces; past them further items are ignored (tracks, candidate
 * events, getUserMedia tracks), so a hostile dump costs linear time.
 */
#define MAX_TRACKS_PER_CONNECTION 10000
#define MAX_REMEMBERED_ITEMS 10000

/* A JavaScript value: undefined, or a JSON value (NULL meaning null). */
typedef struct jsval
{
	bool		defined;
	json_object *v;				/* owned reference */
} jsval;

void		jsval_set(jsval *x, json_object *v);	/* takes a new reference to v */
void		jsval_set_if(jsval *x, bool defined, json_object *v);
void		jsval_clear(jsval *x);
/* out[key] = x when defined; out[key] removed when not. */
void		jsval_put(json_object *out, const char *key, const jsval *x);

/* o[key] as JavaScript reads it: *found says whether o has that own property. */
json_object *js_get(json_object *o, const char *key, bool *found);
bool		js_has(json_object *o, const char *key);
bool		js_truthy(json_object *v, bool defined);
bool		js_is_string(json_object *v, const char *s);
bool		js_is_number(json_object *v);
double		js_number(json_object *v);	/* numbers only; NaN otherwise */
bool		js_strict_equal(json_object *a, bool a_def, json_object *b, bool b_def);

/* A number as JSON: integral values as integers, others in shortest form; NaN/inf as null. */
json_object *js_new_number(double d);
void		put_number(json_object *out, const char *key, double d);
void		put_bool(json_object *out, const char *key, bool b);

/* Candidate fields upstream's SDPUtils.parseCandidate() gives the features. */
typedef struct candidate_info
{
	char		type[16];
	char		tcptype[16];
	char		address[256];
	bool		valid;
} candidate_info;

bool		parse_candidate(const char *line, candidate_info *c);

/* Iterate the lines of an SDP as SDPUtils.splitLines() (trimmed). */
typedef bool (*sdp_line_fn) (void *arg, const char *line, size_t len);
bool		sdp_any_line(const char *sdp, sdp_line_fn fn, void *arg);

typedef struct client_features client_features;
typedef struct connection_features connection_features;

client_features *client_new(void);
void		client_event(client_features *c, const rtcstats_event *ev);
/* Adds the client features to out (an object). */
void		client_finish(client_features *c, json_object *out);
void		client_free(client_features *c);

connection_features *connection_new(const char *id);
void		connection_event(connection_features *c, const rtcstats_event *ev);
json_object *connection_finish(connection_features *c);
void		connection_free(connection_features *c);

/* track.c, driven by connection.c */
typedef struct track_list track_list;

track_list *tracks_new(void);
void		tracks_event(track_list *t, const rtcstats_event *ev);
json_object *tracks_finish(track_list *t);	/* array of track feature objects */
void		tracks_free(track_list *t);

#endif
