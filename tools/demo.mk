# The demo stack (tools/demo.sh; docs/quickstart.md).  Included by the top Makefile.
#
#   make demo          install, build, start Postgres (port 55440) + rtcstats-proxy
#                      (127.0.0.1:8080), replay the sample dumps, print their summary
#   make -s demo-env   shell lines for psql and clients: eval "$(make -s demo-env)"
#   make demo-stop     stop what make demo started (its pid files), nothing else
#   make demo-clean    stop, then delete the demo's state directory
#
# DEMO_DIR holds all of the demo's state (default /tmp/rtcstats-demo): set it with
# make demo DEMO_DIR=... or RTCSTATS_DEMO_DIR in the environment; demo-env and
# demo-stop need the same one.
# tools/demo.sh runs make itself (after installing packages), so these rules
# depend on nothing.

DEMO_DIR ?= $(or $(RTCSTATS_DEMO_DIR),/tmp/rtcstats-demo)
DEMO_SH   = RTCSTATS_DEMO_DIR='$(DEMO_DIR)' BUILD='$(BUILD)' bash tools/demo.sh

.PHONY: demo demo-stop demo-env demo-clean
demo:
	@$(DEMO_SH) up
demo-stop:
	@$(DEMO_SH) stop
demo-env:
	@$(DEMO_SH) env
demo-clean:
	@$(DEMO_SH) clean
