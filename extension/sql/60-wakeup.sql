/*
 * 60-wakeup.sql: a committed insert into rtcstats_dumps wakes the background
 * workers at once (their latches, see shmem.c in extension/src) and sends a
 * NOTIFY on channel "rtcstats_dumps" for rtcstats-worker; without it the
 * workers would only poll every rtcstats.naptime.  One call per statement,
 * so a bulk insert wakes them once.
 */
CREATE FUNCTION @extschema@._rtcstats_wake_workers()
RETURNS trigger
AS 'MODULE_PATHNAME', 'rtcstats_wake_trigger'
LANGUAGE C;

CREATE TRIGGER rtcstats_dumps_wake_workers
	AFTER INSERT ON @extschema@.rtcstats_dumps
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._rtcstats_wake_workers();
