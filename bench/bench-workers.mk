# Extraction benchmark (bench/bench-workers.sh): dumps/s fetched from s3rver,
# parsed and stored by 1 and 2 background workers and by rtcstats-worker
# --concurrency 1 and 2, and the workers' RSS after 50 dumps and after 5,000.
# Needs root (a private PostgreSQL 15 cluster run as postgres, port 55436;
# s3rver on 4570).  Prints figures, asserts nothing.
bench-workers:
	+$(MAKE) --no-print-directory all extension-install
	@BUILD='$(BUILD)' bash bench/bench-workers.sh

bench: bench-workers
.PHONY: bench-workers
