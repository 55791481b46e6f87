/*
 * connection.c: connection features (upstream rtcstats-features/
 * features/connection.js), one peer connection's events at a time.
 *
 * Every upstream search over the trace is a small state machine here; the
 * comments name the upstream function each block reproduces.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features_internal.h"

/* A candidate event kept for location(): its address and extra[0].rtcstatsLocation. */
typedef struct located_candidate
{
	char	   *address;
	json_object *location;
} located_candidate;

typedef struct pair_rtt
{
	double		responses;		/* pluckStat(..) || 0 */
	double		total_rtt;
} pair_rtt;

typedef struct stats_seen
{
	double		first_seen;
	long		samples;
} stats_seen;

struct connection_features
{
	char	   *id;
	long		nevents;
	long		nevents_not_getstats;
	double		first_ts;
	double		last_ts;
	bool		last_is_close;

	/* apiFailures() */
	jsval		add_ice_failure,
				sld_failure,
				srd_failure;

	/* connectionFeatures(): dtls, clockSkew, connected, connectionTime */
	bool		dtls_done;
	jsval		dtls_role,
				dtls_version,
				srtp_cipher;
	bool		clock_skew_done;
	double		clock_skew;
	bool		connected;
	bool		connecting_seen;
	double		connecting_ts;
	bool		connection_time_done;
	double		connection_time;

	/* iceFeatures() */
	double		gathering_start;
	bool		gathering_done;
	bool		turn_time_set[3];	/* tcp, tls, udp */
	double		turn_time[3];
	bool		ice_connected;
	bool		checking_seen;
	double		checking_ts;
	bool		ice_connection_time_done;
	double		ice_connection_time;
	bool		ice_restart;
	int			restart_stage;	/* 0 none, 1 restart offer, 2 its SLD, 3 answered */
	bool		ice_lite;

	/* configuration */
	bool		have_create;
	jsval		config;

	/* candidateFeatures() */
	bool		added_tcp_passive,
				added_host,
				added_mdns,
				added_null,
				added_srflx,
				added_relay;
	bool		gathered_host,
				gathered_mdns,
				gathered_srflx,
				gathered_relay;
	bool		first_pair_done;
	jsval		fp[9];

	/* location() */
	bool		location_done;
	jsval		relay_loc[3];
	jsval		local_loc[3];
	jsval		peer_loc[3];
	located_candidate *local_cands;
	size_t		nlocal,
				local_cap;
	located_candidate *remote_cands;
	size_t		nremote,
				remote_cap;

	/* lastStatsFeatures() */
	bool		have_last_stats;
	double		last_stats_ts;
	jsval		last_bytes_sent,
				last_bytes_received;
	bool		have_first_stats;
	double		first_stats_ts;
	jsval		first_bytes_sent,
				first_bytes_received;
	strmap		pair_index;		/* selected candidate pair id -> index + 1 */
	pair_rtt   *pairs;
	size_t		npairs,
				pairs_cap;

	/* numberOfNegotiations(), pendingNegotiationAtEnd() */
	long		negotiations;
	bool		have_signaling;
	bool		last_signaling_stable;

	/* setLocal/RemoteDescriptionFeatures(), signalingDelay() */
	struct
	{
		bool		seen;
		double		ts;
		jsval		extra0;
		jsval		role;
		bool		done;
		double		delay;
	}			sld, srd;
	bool		offer_seen;
	double		offer_ts;
	bool		signaling_delay_done;
	double		signaling_delay;

	/* statsTruncated() */
	strmap		stats_seen;

	track_list *tracks;
};

static const char *const fp_names[9] = {
	"firstCandidatePairLocalAddress", "firstCandidatePairLocalNetworkType",
	"firstCandidatePairLocalProtocol", "firstCandidatePairLocalRelayProtocol",
	"firstCandidatePairLocalRelayUrl", "firstCandidatePairLocalType",
	"firstCandidatePairLocalTypePreference", "firstCandidatePairRemoteAddress",
	"firstCandidatePairRemoteType"
};

connection_features *
connection_new(const char *id)
{
	connection_features *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->id = strdup(id);
	c->tracks = tracks_new();
	if (c->id == NULL || c->tracks == NULL)
	{
		connection_free(c);
		return NULL;
	}
	return c;
}

static void
free_candidates(located_candidate *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		free(v[i].address);
		json_object_put(v[i].location);
	}
	free(v);
}

void
connection_free(connection_features *c)
{
	if (c == NULL)
		return;
	free(c->id);
	jsval_clear(&c->add_ice_failure);
	jsval_clear(&c->sld_failure);
	jsval_clear(&c->srd_failure);
	jsval_clear(&c->dtls_role);
	jsval_clear(&c->dtls_version);
	jsval_clear(&c->srtp_cipher);
	jsval_clear(&c->config);
	for (int i = 0; i < 9; i++)
		jsval_clear(&c->fp[i]);
	for (int i = 0; i < 3; i++)
	{
		jsval_clear(&c->relay_loc[i]);
		jsval_clear(&c->local_loc[i]);
		jsval_clear(&c->peer_loc[i]);
	}
	free_candidates(c->local_cands, c->nlocal);
	free_candidates(c->remote_cands, c->nremote);
	jsval_clear(&c->last_bytes_sent);
	jsval_clear(&c->last_bytes_received);
	jsval_clear(&c->first_bytes_sent);
	jsval_clear(&c->first_bytes_received);
	strmap_free(&c->pair_index, NULL);
	free(c->pairs);
	jsval_clear(&c->sld.extra0);
	jsval_clear(&c->sld.role);
	jsval_clear(&c->srd.extra0);
	jsval_clear(&c->srd.role);
	strmap_free(&c->stats_seen, free);
	tracks_free(c->tracks);
	free(c);
}

/* getSelectedTransportStats(): the first transport (key order) with a selected pair. */
static json_object *
selected_transport(const rtcstats_event *ev)
{
	for (size_t i = 0; i < ev->nstats; i++)
	{
		json_object *r = ev->stats[i].report;
		bool		found;
		json_object *sel;

		if (!js_is_string(js_get(r, "type", NULL), "transport"))
			continue;
		sel = js_get(r, "selectedCandidatePairId", &found);
		if (js_truthy(sel, found))
			return r;
	}
	return NULL;
}

/* report[key] where key is a JSON value used as a property name. */
static json_object *
report_by_ref(json_object *report, json_object *ref, bool *found)
{
	if (ref == NULL)
		return js_get(report, "null", found);
	if (json_object_is_type(ref, json_type_string))
		return js_get(report, json_object_get_string(ref), found);
	return js_get(report, json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN), found);
}

/* getSelectedCandidatePairStats() */
static json_object *
selected_pair(const rtcstats_event *ev, json_object **transport_out)
{
	json_object *transport = selected_transport(ev);
	json_object *pair;
	bool		found;

	if (transport_out)
		*transport_out = transport;
	if (transport == NULL)
		return NULL;
	pair = report_by_ref(ev->value, js_get(transport, "selectedCandidatePairId", NULL), &found);
	return js_truthy(pair, found) ? pair : NULL;
}

static bool
append_candidate(located_candidate **v, size_t *n, size_t *cap, const char *address,
				 json_object *location)
{
	if (*n >= MAX_REMEMBERED_ITEMS)
		return false;
	if (*n == *cap)
	{
		size_t		ncap = *cap ? *cap * 2 : 8;
		located_candidate *p = realloc(*v, ncap * sizeof(*p));

		if (p == NULL)
			return false;
		*v = p;
		*cap = ncap;
	}
	(*v)[*n].address = strdup(address);
	(*v)[*n].location = json_object_get(location);
	(*n)++;
	return true;
}

static void
set_location(jsval dst[3], json_object *loc)
{
	static const char *const keys[3] = {"continent", "country", "city"};

	for (int i = 0; i < 3; i++)
	{
		bool		found;
		json_object *v = js_get(loc, keys[i], &found);

		jsval_set_if(&dst[i], found, v);
	}
}

/*
 * location(): candidate events up to the first getStats (whose extra, an
 * array, is always truthy), then the addresses of that report's selected
 * pair looked up among them.
 */
static void
location_event(connection_features *c, const rtcstats_event *ev)
{
	bool		local = strcmp(ev->method, "onicecandidate") == 0;
	json_object *extra0,
			   *loc;
	json_object *cand;
	candidate_info ci;

	if (c->location_done)
		return;
	if (strcmp(ev->method, "getStats") == 0)
	{
		json_object *pair;
		bool		found;
		json_object *addr;

		c->location_done = true;
		if (ev->value == NULL)
			return;
		pair = selected_pair(ev, NULL);
		if (pair == NULL)
			goto done;
		addr = js_get(report_by_ref(ev->value, js_get(pair, "localCandidateId", NULL), NULL),
					  "address", &found);
		if (js_truthy(addr, found) && json_object_is_type(addr, json_type_string))
		{
			for (size_t i = 0; i < c->nlocal; i++)
				if (strcmp(c->local_cands[i].address, json_object_get_string(addr)) == 0)
				{
					set_location(c->local_loc, c->local_cands[i].location);
					break;
				}
		}
		addr = js_get(report_by_ref(ev->value, js_get(pair, "remoteCandidateId", NULL), NULL),
					  "address", &found);
		if (js_truthy(addr, found) && json_object_is_type(addr, json_type_string))
		{
			for (size_t i = 0; i < c->nremote; i++)
				if (strcmp(c->remote_cands[i].address, json_object_get_string(addr)) == 0)
				{
					set_location(c->peer_loc, c->remote_cands[i].location);
					break;
				}
		}
done:
		free_candidates(c->local_cands, c->nlocal);
		free_candidates(c->remote_cands, c->nremote);
		c->local_cands = c->remote_cands = NULL;
		c->nlocal = c->nremote = c->local_cap = c->remote_cap = 0;
		return;
	}
	if (!(local || strcmp(ev->method, "addIceCandidate") == 0) ||
		json_object_array_length(ev->extra) == 0)
		return;
	extra0 = json_object_array_get_idx(ev->extra, 0);
	loc = js_get(extra0, "rtcstatsLocation", NULL);
	if (local && js_truthy(loc, loc != NULL))
		set_location(c->relay_loc, loc);
	/* only candidates with a location can ever match */
	if (!js_truthy(loc, loc != NULL))
		return;
	cand = js_get(ev->value, "candidate", NULL);
	if (cand == NULL || !json_object_is_type(cand, json_type_string) ||
		!parse_candidate(json_object_get_string(cand), &ci))
		return;
	if (local)
		append_candidate(&c->local_cands, &c->nlocal, &c->local_cap, ci.address, loc);
	else
		append_candidate(&c->remote_cands, &c->nremote, &c->remote_cap, ci.address, loc);
}

/* firstCandidatePair: the first selected pair from connectionstate 'connected' on. */
static void
first_pair_event(connection_features *c, const rtcstats_event *ev)
{
	json_object *pair,
			   *local,
			   *remote,
			   *v;
	bool		found;
	static const char *const local_keys[6] = {
		"address", "networkType", "protocol", "relayProtocol", "url", "candidateType"
	};

	if (c->first_pair_done || !c->connected || ev->value == NULL)
		return;
	pair = selected_pair(ev, NULL);
	if (pair == NULL)
		return;
	c->first_pair_done = true;
	local = report_by_ref(ev->value, js_get(pair, "localCandidateId", NULL), NULL);
	remote = report_by_ref(ev->value, js_get(pair, "remoteCandidateId", NULL), NULL);
	for (int i = 0; i < 6; i++)
	{
		v = js_get(local, local_keys[i], &found);
		jsval_set_if(&c->fp[i], found, v);
	}
	/* priority >> 24 on ToInt32(priority); undefined is 0 */
	{
		double		p = js_number(js_get(local, "priority", NULL));
		int32_t		i32 = 0;

		if (isfinite(p))
		{
			double		m = fmod(trunc(p), 4294967296.0);

			if (m < 0)
				m += 4294967296.0;
			i32 = (int32_t) (uint32_t) m;
		}
		json_object *pref = js_new_number((double) (i32 >> 24));

		jsval_set(&c->fp[6], pref);
		json_object_put(pref);
	}
	v = js_get(remote, "address", &found);
	jsval_set_if(&c->fp[7], found, v);
	v = js_get(remote, "candidateType", &found);
	jsval_set_if(&c->fp[8], found, v);
}

/* lastStatsFeatures() */
static void
last_stats_event(connection_features *c, const rtcstats_event *ev)
{
	json_object *transport,
			   *pair,
			   *sel,
			   *v;
	bool		found;
	const char *pair_id;
	char		buf[64];
	void	  **slot;
	bool		created;
	size_t		idx;

	if (ev->value == NULL)
		return;
	pair = selected_pair(ev, &transport);
	if (pair == NULL)
		return;
	c->have_last_stats = true;
	c->last_stats_ts = ev->timestamp;
	v = js_get(transport, "bytesSent", &found);
	jsval_set_if(&c->last_bytes_sent, found, v);
	v = js_get(transport, "bytesReceived", &found);
	jsval_set_if(&c->last_bytes_received, found, v);

	sel = js_get(transport, "selectedCandidatePairId", NULL);
	if (json_object_is_type(sel, json_type_string))
		pair_id = json_object_get_string(sel);
	else
	{
		snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(sel, JSON_C_TO_STRING_PLAIN));
		pair_id = buf;
	}
	slot = strmap_put(&c->pair_index, pair_id, &created);
	if (slot != NULL)
	{
		if (created)
		{
			if (c->npairs == c->pairs_cap)
			{
				size_t		cap = c->pairs_cap ? c->pairs_cap * 2 : 4;
				pair_rtt   *p = realloc(c->pairs, cap * sizeof(*p));

				if (p == NULL)
					return;
				c->pairs = p;
				c->pairs_cap = cap;
			}
			*slot = (void *) (uintptr_t) (++c->npairs);
		}
		idx = (size_t) (uintptr_t) *slot - 1;
		/* pluckStat(..) || 0 */
		v = js_get(pair, "responsesReceived", &found);
		c->pairs[idx].responses = js_truthy(v, found) ? js_number(v) : 0;
		v = js_get(pair, "totalRoundTripTime", &found);
		c->pairs[idx].total_rtt = js_truthy(v, found) ? js_number(v) : 0;
	}

	if (!c->have_first_stats)
	{
		json_object *s = js_get(transport, "bytesSent", NULL);
		json_object *r = js_get(transport, "bytesReceived", NULL);

		if (js_number(s) > 0 && js_number(r) > 0)
		{
			c->have_first_stats = true;
			c->first_stats_ts = ev->timestamp;
			jsval_set(&c->first_bytes_sent, s);
			jsval_set(&c->first_bytes_received, r);
		}
	}
}

/* connectionFeatures(): dtls and clockSkew, from the first report that has them. */
static void
dtls_and_skew_event(connection_features *c, const rtcstats_event *ev)
{
	if (ev->value == NULL)
		return;
	if (!c->dtls_done)
	{
		for (size_t i = 0; i < ev->nstats; i++)
		{
			json_object *r = ev->stats[i].report;
			bool		found;
			json_object *tls;

			if (!js_is_string(js_get(r, "type", NULL), "transport"))
				continue;
			tls = js_get(r, "tlsVersion", &found);
			if (!js_truthy(tls, found))
				continue;
			c->dtls_done = true;
			jsval_set(&c->dtls_version, tls);
			tls = js_get(r, "dtlsRole", &found);
			jsval_set_if(&c->dtls_role, found, tls);
			tls = js_get(r, "srtpCipher", &found);
			jsval_set_if(&c->srtp_cipher, found, tls);
			break;
		}
	}
	if (!c->clock_skew_done)
	{
		for (size_t i = 0; i < ev->nstats; i++)
		{
			json_object *r = ev->stats[i].report;
			json_object *ts;

			if (!js_is_string(js_get(r, "type", NULL), "peer-connection"))
				continue;
			/* only the first peer-connection report counts */
			ts = js_get(r, "timestamp", NULL);
			if (js_is_number(ts))
			{
				c->clock_skew_done = true;
				/* Math.round: halves go up */
				c->clock_skew = floor(ev->timestamp - json_object_get_double(ts) + 0.5);
			}
			break;
		}
	}
}

static void
stats_truncated_event(connection_features *c, const rtcstats_event *ev)
{
	for (size_t i = 0; i < ev->nstats; i++)
	{
		bool		created;
		void	  **slot;
		stats_seen *s;

		/* ids come and go over a call; the bound only stops a hostile dump */
		if (c->stats_seen.count >= 10 * MAX_REMEMBERED_ITEMS &&
			strmap_get(&c->stats_seen, ev->stats[i].id) == NULL)
			continue;
		slot = strmap_put(&c->stats_seen, ev->stats[i].id, &created);
		if (slot == NULL)
			return;
		if (created)
		{
			*slot = s = calloc(1, sizeof(stats_seen));
			if (s == NULL)
				return;
			s->first_seen = ev->timestamp;
		}
		s = *slot;
		if (s)
			s->samples++;
	}
}

typedef struct passive_ctx
{
	bool		found;
} passive_ctx;

static bool
line_is_passive_candidate(void *arg, const char *line, size_t len)
{
	candidate_info ci;
	char		buf[4096];

	(void) arg;
	if (len < 12 || strncmp(line, "a=candidate:", 12) != 0)
		return false;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return parse_candidate(buf, &ci) && strcmp(ci.tcptype, "passive") == 0;
}

static bool
line_is_ice_lite(void *arg, const char *line, size_t len)
{
	(void) arg;
	return len == 10 && memcmp(line, "a=ice-lite", 10) == 0;
}

static void
candidate_event(connection_features *c, const rtcstats_event *ev, bool added)
{
	bool		found;
	json_object *cand = js_get(ev->value, "candidate", &found);
	candidate_info ci;
	bool		mdns;

	if (added && ev->value == NULL)
		c->added_null = true;
	if (!js_truthy(cand, found) || !json_object_is_type(cand, json_type_string))
		return;
	if (!parse_candidate(json_object_get_string(cand), &ci))
		return;
	mdns = strcmp(ci.type, "host") == 0 && strlen(ci.address) >= 6 &&
		strcmp(ci.address + strlen(ci.address) - 6, ".local") == 0;
	if (added)
	{
		c->added_tcp_passive |= strcmp(ci.tcptype, "passive") == 0;
		c->added_host |= strcmp(ci.type, "host") == 0;
		c->added_mdns |= mdns;
		c->added_srflx |= strcmp(ci.type, "srflx") == 0;
		c->added_relay |= strcmp(ci.type, "relay") == 0;
	}
	else
	{
		c->gathered_host |= strcmp(ci.type, "host") == 0;
		c->gathered_mdns |= mdns;
		c->gathered_srflx |= strcmp(ci.type, "srflx") == 0;
		c->gathered_relay |= strcmp(ci.type, "relay") == 0;
	}
}

static const char *
value_type(const rtcstats_event *ev)
{
	json_object *t = js_get(ev->value, "type", NULL);

	return t && json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
}

/* The first SLD/SRD, then its OnSuccess with the same extra[0]. */
static void
description_event(connection_features *c, const rtcstats_event *ev)
{
	const char *m = ev->method;
	bool		local = strncmp(m, "setLocalDescription", 19) == 0;
	json_object *extra0 = NULL;
	bool		has_extra0 = json_object_array_length(ev->extra) > 0;

	if (has_extra0)
		extra0 = json_object_array_get_idx(ev->extra, 0);
	if (strcmp(m, local ? "setLocalDescription" : "setRemoteDescription") == 0)
	{
		typeof(c->sld) *d = local ? (void *) &c->sld : (void *) &c->srd;

		if (!d->seen)
		{
			bool		found;
			json_object *type = js_get(ev->value, "type", &found);

			d->seen = true;
			d->ts = ev->timestamp;
			jsval_set_if(&d->extra0, has_extra0, extra0);
			jsval_set_if(&d->role, found, type);
		}
	}
	else if (strcmp(m, local ? "setLocalDescriptionOnSuccess" : "setRemoteDescriptionOnSuccess") == 0)
	{
		typeof(c->sld) *d = local ? (void *) &c->sld : (void *) &c->srd;

		if (d->seen && !d->done &&
			js_strict_equal(extra0, has_extra0, d->extra0.v, d->extra0.defined))
		{
			d->done = true;
			d->delay = ev->timestamp - d->ts;
		}
	}
}

void
connection_event(connection_features *c, const rtcstats_event *ev)
{
	const char *m = ev->method;
	bool		is_stats = strcmp(m, "getStats") == 0;

	if (c->nevents++ == 0)
		c->first_ts = ev->timestamp;
	c->last_ts = ev->timestamp;
	c->last_is_close = strcmp(m, "close") == 0;
	if (!is_stats)
		c->nevents_not_getstats++;

	/* iceFeatures(): TURN gathering times, first gathering phase only */
	if (!c->gathering_done)
	{
		if (strcmp(m, "onicegatheringstatechange") == 0 && js_is_string(ev->value, "gathering"))
			c->gathering_start = ev->timestamp;
		else if (strcmp(m, "onicegatheringstatechange") == 0 && js_is_string(ev->value, "complete"))
			c->gathering_done = true;
		else if (c->gathering_start != 0 && strcmp(m, "onicecandidate") == 0)
		{
			json_object *rp = js_get(ev->value, "relayProtocol", NULL);
			int			k = js_is_string(rp, "tcp") ? 0 : js_is_string(rp, "tls") ? 1 :
				js_is_string(rp, "udp") ? 2 : -1;

			if (k >= 0 && !c->turn_time_set[k])
			{
				c->turn_time_set[k] = true;
				c->turn_time[k] = ev->timestamp - c->gathering_start;
			}
		}
	}
	location_event(c, ev);

	if (is_stats)
	{
		dtls_and_skew_event(c, ev);
		first_pair_event(c, ev);
		last_stats_event(c, ev);
		if (ev->value)
			stats_truncated_event(c, ev);
	}
	else if (strcmp(m, "onconnectionstatechange") == 0)
	{
		if (js_is_string(ev->value, "connected"))
		{
			/* before first_pair_event: the connected event's index is included */
			c->connected = true;
			if (c->connecting_seen && !c->connection_time_done)
			{
				c->connection_time_done = true;
				c->connection_time = ev->timestamp - c->connecting_ts;
			}
		}
		else if (js_is_string(ev->value, "connecting") && !c->connecting_seen)
		{
			c->connecting_seen = true;
			c->connecting_ts = ev->timestamp;
		}
	}
	else if (strcmp(m, "oniceconnectionstatechange") == 0)
	{
		if (js_is_string(ev->value, "connected"))
		{
			c->ice_connected = true;
			if (c->checking_seen && !c->ice_connection_time_done)
			{
				c->ice_connection_time_done = true;
				c->ice_connection_time = ev->timestamp - c->checking_ts;
			}
		}
		else if (js_is_string(ev->value, "checking") && !c->checking_seen)
		{
			c->checking_seen = true;
			c->checking_ts = ev->timestamp;
		}
	}
	else if (strcmp(m, "onsignalingstatechange") == 0)
	{
		if (js_is_string(ev->value, "stable"))
			c->negotiations++;
		if (!js_is_string(ev->value, "closed"))
		{
			c->have_signaling = true;
			c->last_signaling_stable = js_is_string(ev->value, "stable");
		}
	}
	else if (strcmp(m, "createOffer") == 0)
	{
		json_object *r = js_get(ev->value, "iceRestart", NULL);

		if (r && json_object_is_type(r, json_type_boolean) && json_object_get_boolean(r))
		{
			c->ice_restart = true;
			if (c->restart_stage == 0)
				c->restart_stage = 1;
		}
	}
	else if (strcmp(m, "create") == 0)
	{
		if (!c->have_create)
		{
			c->have_create = true;
			jsval_set(&c->config, ev->value);
		}
	}
	else if (strcmp(m, "addIceCandidate") == 0)
		candidate_event(c, ev, true);
	else if (strcmp(m, "onicecandidate") == 0)
		candidate_event(c, ev, false);
	else if (strcmp(m, "addIceCandidateOnFailure") == 0)
	{
		if (!c->add_ice_failure.defined)
			jsval_set(&c->add_ice_failure, ev->value);
	}
	else if (strcmp(m, "setLocalDescriptionOnFailure") == 0)
	{
		if (!c->sld_failure.defined)
			jsval_set(&c->sld_failure, ev->value);
	}
	else if (strcmp(m, "setRemoteDescriptionOnFailure") == 0)
	{
		if (!c->srd_failure.defined)
			jsval_set(&c->srd_failure, ev->value);
	}

	if (strncmp(m, "setLocalDescription", 19) == 0 || strncmp(m, "setRemoteDescription", 20) == 0)
		description_event(c, ev);

	if (strcmp(m, "setLocalDescription") == 0)
	{
		const char *type = value_type(ev);

		if (type && strcmp(type, "offer") == 0)
		{
			if (!c->offer_seen)
			{
				c->offer_seen = true;
				c->offer_ts = ev->timestamp;
			}
			if (c->restart_stage == 1)
				c->restart_stage = 2;
		}
	}
	else if (strcmp(m, "setRemoteDescription") == 0)
	{
		const char *type = value_type(ev);
		json_object *sdp = js_get(ev->value, "sdp", NULL);

		if (type && strcmp(type, "answer") == 0)
		{
			if (c->offer_seen && !c->signaling_delay_done)
			{
				c->signaling_delay_done = true;
				c->signaling_delay = ev->timestamp - c->offer_ts;
			}
			if (c->restart_stage == 2)
				c->restart_stage = 3;
		}
		if (sdp && json_object_is_type(sdp, json_type_string) &&
			json_object_get_string_len(sdp) > 0)
		{
			const char *text = json_object_get_string(sdp);

			if (!c->ice_lite && sdp_any_line(text, line_is_ice_lite, NULL))
				c->ice_lite = true;
			if (!c->added_tcp_passive && sdp_any_line(text, line_is_passive_candidate, NULL))
				c->added_tcp_passive = true;
		}
	}

	tracks_event(c->tracks, ev);
}

/* iceServerFeatures() and configurationFeatures() */
static void
configuration_finish(connection_features *c, json_object *out)
{
	json_object *config = c->config.v;
	json_object *servers,
			   *v;
	bool		found;

	v = js_get(config, "alwaysNegotiateDataChannels", &found);
	if (found)
		json_object_object_add(out, "configuredAlwaysNegotiateDataChannels", json_object_get(v));
	v = js_get(config, "bundlePolicy", &found);
	if (found)
		json_object_object_add(out, "configuredBundlePolicy", json_object_get(v));

	servers = js_get(config, "iceServers", &found);
	if (!js_truthy(servers, found))
		return;
	if (json_object_is_type(servers, json_type_array))
		put_number(out, "configuredIceServers", (double) json_object_array_length(servers));
	else if (json_object_is_type(servers, json_type_string))
		put_number(out, "configuredIceServers", (double) json_object_get_string_len(servers));
	put_bool(out, "configuredIceTransportPolicy",
			 js_is_string(js_get(config, "iceTransportPolicy", NULL), "relay"));
	if (!json_object_is_type(servers, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(servers); i++)
	{
		json_object *urls = js_get(json_object_array_get_idx(servers, i), "urls", &found);
		size_t		n;

		if (!js_truthy(urls, found))
			continue;
		n = json_object_is_type(urls, json_type_array) ? json_object_array_length(urls) : 1;
		for (size_t j = 0; j < n; j++)
		{
			json_object *u = json_object_is_type(urls, json_type_array) ?
				json_object_array_get_idx(urls, j) : urls;
			const char *url;
			size_t		len;

			if (u == NULL || !json_object_is_type(u, json_type_string))
				continue;
			url = json_object_get_string(u);
			len = strlen(url);
			if (strncmp(url, "stun:", 5) == 0)
				put_bool(out, "configuredIceServersStun", true);
			else if (strncmp(url, "turns:", 6) == 0)
				put_bool(out, "configuredIceServersTurns", true);
			else if (strncmp(url, "turn:", 5) == 0)
			{
				if (len >= 14 && strcmp(url + len - 14, "?transport=udp") == 0)
					put_bool(out, "configuredIceServersTurnUdp", true);
				else if (len >= 14 && strcmp(url + len - 14, "?transport=tcp") == 0)
					put_bool(out, "configuredIceServersTurnTcp", true);
			}
		}
	}
}

static void
put_location(json_object *out, const char *prefix, jsval loc[3])
{
	static const char *const suffix[3] = {"Continent", "Country", "City"};
	char		key[64];

	for (int i = 0; i < 3; i++)
	{
		snprintf(key, sizeof(key), "%s%s", prefix, suffix[i]);
		jsval_put(out, key, &loc[i]);
	}
}

/* (a - b) * 8 / seconds with JavaScript arithmetic on possibly missing values. */
static double
bitrate(const jsval *last, const jsval *first, double seconds)
{
	double		a = last->defined ? js_number(last->v) : NAN;
	double		b = first->defined ? js_number(first->v) : NAN;

	return ((a - b) * 8) / seconds;
}

json_object *
connection_finish(connection_features *c)
{
	json_object *out = json_object_new_object();
	static const char *const turn_names[3] = {
		"gatheringTimeTurnTcp", "gatheringTimeTurnTls", "gatheringTimeTurnUdp"
	};

	if (out == NULL)
		return NULL;
	jsval_put(out, "addIceCandidateFailure", &c->add_ice_failure);
	jsval_put(out, "setLocalDescriptionFailure", &c->sld_failure);
	jsval_put(out, "setRemoteDescriptionFailure", &c->srd_failure);

	if (c->clock_skew_done)
		put_number(out, "clockSkew", c->clock_skew);
	put_bool(out, "connected", c->connected);
	if (c->connection_time_done)
		put_number(out, "connectionTime", c->connection_time);
	if (c->dtls_done)
	{
		jsval_put(out, "dtlsRole", &c->dtls_role);
		jsval_put(out, "dtlsVersion", &c->dtls_version);
		jsval_put(out, "srtpCipher", &c->srtp_cipher);
	}
	put_bool(out, "closed", c->last_is_close);
	put_number(out, "duration", c->last_ts - c->first_ts);

	for (int i = 0; i < 3; i++)
		if (c->turn_time_set[i])
			put_number(out, turn_names[i], c->turn_time[i]);
	put_bool(out, "iceConnected", c->ice_connected);
	if (c->ice_connection_time_done)
		put_number(out, "iceConnectionTime", c->ice_connection_time);
	put_bool(out, "iceRestart", c->ice_restart);
	put_bool(out, "iceRestartFollowedBySetRemoteDescription", c->restart_stage == 3);
	put_bool(out, "usingIceLite", c->ice_lite);

	configuration_finish(c, out);

	put_bool(out, "addedConnectableIceTcpCandidate", c->added_tcp_passive);
	put_bool(out, "addedHostCandidate", c->added_host);
	put_bool(out, "addedMdnsCandidate", c->added_mdns);
	put_bool(out, "addedNullCandidate", c->added_null);
	put_bool(out, "addedSrflxCandidate", c->added_srflx);
	put_bool(out, "addedTurnCandidate", c->added_relay);
	put_bool(out, "gatheredHostCandidate", c->gathered_host);
	put_bool(out, "gatheredMdnsCandidate", c->gathered_mdns);
	put_bool(out, "gatheredSrflxCandidate", c->gathered_srflx);
	put_bool(out, "gatheredTurnCandidate", c->gathered_relay);
	if (c->first_pair_done)
		for (int i = 0; i < 9; i++)
			jsval_put(out, fp_names[i], &c->fp[i]);

	if (c->have_last_stats)
	{
		double		responses = 0,
					rtt = 0;

		for (size_t i = 0; i < c->npairs; i++)
		{
			responses += c->pairs[i].responses;
			rtt += c->pairs[i].total_rtt;
		}
		if (responses != 0)
			put_number(out, "averageStunRoundTripTime", rtt / responses);
		if (c->have_first_stats && c->first_stats_ts < c->last_stats_ts)
		{
			double		seconds = (c->last_stats_ts - c->first_stats_ts) / 1000;

			put_number(out, "averageOutboundBitrate",
					   bitrate(&c->last_bytes_sent, &c->first_bytes_sent, seconds));
			put_number(out, "averageInboundBitrate",
					   bitrate(&c->last_bytes_received, &c->first_bytes_received, seconds));
		}
	}

	put_location(out, "rtcstatsRelayLocation", c->relay_loc);
	put_location(out, "rtcstatsLocation", c->local_loc);
	put_location(out, "rtcstatsPeerLocation", c->peer_loc);

	put_number(out, "numberOfEvents", (double) c->nevents);
	put_number(out, "numberOfEventsNotGetStats", (double) c->nevents_not_getstats);
	put_number(out, "numberOfNegotiations", (double) c->negotiations);
	if (c->have_signaling)
		put_bool(out, "pendingNegotiationAtEnd", !c->last_signaling_stable);
	if (c->sld.done)
	{
		put_number(out, "setLocalDescriptionDelay", c->sld.delay);
		jsval_put(out, "setLocalDescriptionRole", &c->sld.role);
	}
	if (c->srd.done)
	{
		put_number(out, "setRemoteDescriptionDelay", c->srd.delay);
		jsval_put(out, "setRemoteDescriptionRole", &c->srd.role);
	}
	if (c->signaling_delay_done)
		put_number(out, "signalingDelay", c->signaling_delay);
	put_number(out, "startTime", c->first_ts);

	/* statsTruncated(): webrtc-internals keeps only the last 1000 samples */
	{
		bool		truncated = false;

		for (size_t i = 0; i < c->stats_seen.cap && !truncated; i++)
		{
			stats_seen *s = c->stats_seen.slots[i].value;

			if (c->stats_seen.slots[i].key && s && s->samples == 1000 &&
				s->first_seen - c->first_ts > 60000)
				truncated = true;
		}
		put_bool(out, "statsTruncated", truncated);
	}

	json_object_object_add(out, "tracks", tracks_finish(c->tracks));
	return out;
}
