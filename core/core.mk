# The core library: no Postgres, linked statically into the programs, the
# proxy and the extension's shared module (hence -fPIC).

CORE_SRCS := $(wildcard core/src/*.c)
CORE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS))
CORE_LIB  := $(BUILD)/librtcstats-core.a

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

all: $(CORE_LIB)

# Unit tests: one program per module, each prints "N passed, N failed".
CORE_TEST_SRCS := $(wildcard core/test/test_*.c)
# check.c (the checks) and recorder.c (reader events as text) are linked into each.
CORE_TESTS     := $(patsubst core/test/%.c,$(BUILD)/test/%,$(CORE_TEST_SRCS))

$(BUILD)/test/%: $(BUILD)/core/test/%.o $(BUILD)/core/test/check.o $(BUILD)/core/test/recorder.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

core-tests: $(CORE_TESTS)
.PHONY: core-tests

# The corpus comparison tool (section 5 of the dump format).
$(BUILD)/test/json-compare: $(BUILD)/core/test/json-compare.o
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

core-tests: $(BUILD)/test/json-compare

# Benchmark: extraction vs its floor (prints figures, asserts nothing).
$(BUILD)/bench/bench-core: $(BUILD)/bench/bench-core.o $(BUILD)/bench/bench-common.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

bench-core: $(BUILD)/bench/bench-core
	@echo "== core: extraction vs the gunzip+json-c floor (uncompressed MB/s, peak RSS)"
	@for d in test/corpus/dumps/multi-pc.rtcstats test/corpus/dumps/av-call.rtcstats; do \
		$(BUILD)/bench/bench-core $$d 50 || exit 1; done

bench: bench-core
.PHONY: bench bench-core

# libFuzzer targets (core/fuzz/fuzz_*.c): the core compiled with clang, ASan and UBSan into one binary each.
FUZZ_CC ?= clang
FUZZ_TARGETS := $(patsubst core/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard core/fuzz/fuzz_*.c))
$(BUILD)/fuzz/fuzz_%: core/fuzz/fuzz_%.c $(CORE_SRCS) $(wildcard core/src/*.h core/include/rtcstats/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-D_GNU_SOURCE -Icore/include $(DEPS_CFLAGS) -o $@ $< $(CORE_SRCS) \
		$(DEPS_LIBS) -lm

# Proxy parsers compiled into their target (core/fuzz/fuzz_httpbody.c includes the .c).
$(BUILD)/fuzz/fuzz_httpbody: proxy/httpbody.c proxy/httpbody.h

fuzz-targets: $(FUZZ_TARGETS)

# Long runs (docs/testing.md): the smoke of 16-fuzz-smoke.sh, FUZZ_SECONDS per
# target (default 600); FUZZ_ONLY="fuzz_reader fuzz_jwt" picks targets.
FUZZ_SECONDS ?= 600
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_ONLY="$(FUZZ_ONLY)" BUILD=$(BUILD) test/suites/16-fuzz-smoke.sh
.PHONY: fuzz fuzz-targets
