-- First start only: rtcstats in POSTGRES_DB (where the entrypoint runs this file), pg_cron
-- in "postgres" (its default cron.database_name); jobs for the rtcstats database are
-- scheduled from there with cron.schedule_in_database (docs/operations.md).
CREATE EXTENSION IF NOT EXISTS rtcstats;
\connect postgres
CREATE EXTENSION IF NOT EXISTS pg_cron;
