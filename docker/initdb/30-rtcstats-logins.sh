#!/usr/bin/env bash
# First start only, after 20-create-extensions.sql: the logins the proxy and the worker
# services use, members of the roles CREATE EXTENSION rtcstats made (docs/operations.md,
# "Roles and privileges"): rtcstats_proxy may only insert dump rows (rtcstats_ingest),
# rtcstats_extractor only call the worker API (rtcstats_worker); neither is a superuser.
# The example gives them POSTGRES_PASSWORD; change it before exposing anything.
set -eu
psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
	-v pw="${POSTGRES_PASSWORD:-}" <<'SQL'
CREATE ROLE rtcstats_proxy LOGIN PASSWORD :'pw' IN ROLE rtcstats_ingest;
CREATE ROLE rtcstats_extractor LOGIN PASSWORD :'pw' IN ROLE rtcstats_worker;
SQL
