# Claim benchmark (bench/bench-claim.sh): rtcstats_claim_dump() time and rows
# read per claim with 100,000 failed rows (given up, or backing off) in the
# queue.  Needs root (a private PostgreSQL 15 cluster run as postgres, port
# 55437).  Prints figures, asserts nothing.
bench-claim:
	+$(MAKE) --no-print-directory all extension-install
	@BUILD='$(BUILD)' bash bench/bench-claim.sh

bench: bench-claim
.PHONY: bench-claim
