/*
 * compat.h: every PostgreSQL version test of the extension, in one place.
 * Built and tested against 15 only (docs/install.md says so); the 16+
 * branches follow the documented API changes and are not built by any test.
 */
#ifndef RTCSTATS_COMPAT_H
#define RTCSTATS_COMPAT_H

#include "funcapi.h"
#include "utils/wait_event.h"

/*
 * 15.0 has SetSingleFuncCall(); InitMaterializedSRF() is its 16 name (and
 * only an alias in later 15 minor releases).
 */
#if PG_VERSION_NUM < 160000
#define rtcstats_init_materialized_srf(fcinfo, flags) SetSingleFuncCall(fcinfo, flags)
#else
#define rtcstats_init_materialized_srf(fcinfo, flags) InitMaterializedSRF(fcinfo, flags)
#endif

/*
 * Wait events: 17 lets an extension name its own (shown in
 * pg_stat_activity.wait_event); before, all are "Extension".
 */
#if PG_VERSION_NUM >= 170000
static inline uint32
rtcstats_wait_event(const char *name, uint32 *cache)
{
	if (*cache == 0)
		*cache = WaitEventExtensionNew(name);
	return *cache;
}
#else
static inline uint32
rtcstats_wait_event(const char *name, uint32 *cache)
{
	return PG_WAIT_EXTENSION;
}
#endif

#endif
