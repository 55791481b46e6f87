# Proxy benchmark (bench/bench-proxy.sh): rtcstats-proxy with file:// storage
# and no database under rtcstats-replay --fast with 1, 100 and 5,000 concurrent
# connections.  Prints figures, asserts nothing.
bench-proxy: all
	@BUILD='$(BUILD)' bash bench/bench-proxy.sh

bench: bench-proxy
.PHONY: bench-proxy
