# rtcstats-pg: one Makefile builds everything.
#
# The core library, the programs and the proxy are plain make rules below
# (each area keeps its rules in its own .mk file); the extension is built by
# PGXS from extension/pgxs.mk, run from this directory so that PGXS finds
# rtcstats.control, sql/ and expected/ where it expects them.
#
#   make               build everything into build/ (programs in build/bin)
#   make test          every test (what .ci/run calls)
#   make SANITIZE=1    build with ASan+UBSan into build-san/
#   make bench         benchmarks; they print figures, they assert nothing
#   make install       extension into the server of pg_config, programs into $(PREFIX)/bin

EXTENSION  = rtcstats
EXTVERSION = 0.1.0
PREFIX    ?= /usr/local
PG_CONFIG ?= pg_config

SANITIZE  ?= 0
ifeq ($(SANITIZE),1)
BUILD     ?= build-san
SAN_FLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT_FLAGS  = -O1 -g
else
BUILD     ?= build
SAN_FLAGS  =
OPT_FLAGS  = -O2 -g
endif

CC        ?= cc
DEPS_PKGS  = json-c zlib libcurl openssl
DEPS_CFLAGS := $(shell pkg-config --cflags $(DEPS_PKGS) 2>/dev/null)
DEPS_LIBS   := $(shell pkg-config --libs $(DEPS_PKGS) 2>/dev/null)

RTC_CFLAGS = -std=gnu11 $(OPT_FLAGS) -fPIC -Wall -Wextra -Werror -Wno-unused-parameter \
             -Wmissing-prototypes -Wshadow=local -D_GNU_SOURCE -DEXTVERSION='"$(EXTVERSION)"' \
             -Icore/include $(DEPS_CFLAGS) $(SAN_FLAGS) $(EXTRA_CFLAGS)
RTC_LDFLAGS = $(SAN_FLAGS) $(EXTRA_LDFLAGS)

BIN = $(BUILD)/bin

.PHONY: all test check bench install clean extension extension-install
all:

include core/core.mk
include cli/cli.mk
-include proxy/proxy.mk
-include replay/replay.mk
-include worker/worker.mk
-include tools/demo.mk
-include extension/extension.mk
-include bench/bench.mk
-include bench/bench-analysis.mk
-include bench/bench-workers.mk
-include bench/bench-claim.mk

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(RTC_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Keep intermediate objects (a test's .o), so a rebuild never relinks stale
# objects of another configuration.
.SECONDARY:

check: test

clean:
	rm -rf build build-san tmp_regress results regression.diffs regression.out

# Every test: installs missing Debian packages first (tools/install-deps.sh),
# then builds and runs test/run.sh.  The suites build what else they need
# (sanitizer builds, the extension) themselves.
test:
	@bash tools/install-deps.sh
	@$(MAKE) --no-print-directory all core-tests
	bash test/run.sh

deps:
	bash tools/install-deps.sh
.PHONY: deps
