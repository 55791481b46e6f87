# rtcstats-proxy: libwebsockets event loop + pipeline threads (see docs/proxy.md).
# libev (epoll loop) comes with libwebsockets-dev on Debian (it depends on
# libev-dev and the libwebsockets-evlib-ev plugin).

PROXY_SRCS := $(wildcard proxy/*.c)
PROXY_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(PROXY_SRCS))
PROXY_PKGS := libwebsockets libpq
PROXY_CFLAGS := $(shell pkg-config --cflags $(PROXY_PKGS) 2>/dev/null)
PROXY_LIBS := $(shell pkg-config --libs $(PROXY_PKGS) 2>/dev/null)

$(PROXY_OBJS): RTC_CFLAGS += $(PROXY_CFLAGS)

$(BIN)/rtcstats-proxy: $(PROXY_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(PROXY_LIBS) -lev $(DEPS_LIBS) -lpthread -lm

all: $(BIN)/rtcstats-proxy

# Fuzz targets of the proxy's parsers of client bytes: proxy/fuzz/fuzz_NAME.c is
# built with proxy/NAME.c and the core's UTF-8 validator (plus json-c, OpenSSL),
# like the core targets
# (core.mk) with clang, libFuzzer, ASan and UBSan.  A new parser in its own
# file (multipart.c) gets its target by adding proxy/fuzz/fuzz_multipart.c and
# its seeds in test/suites/16-fuzz-smoke.sh.
PROXY_FUZZ_TARGETS := $(patsubst proxy/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard proxy/fuzz/fuzz_*.c))
$(PROXY_FUZZ_TARGETS): $(BUILD)/fuzz/fuzz_%: proxy/fuzz/fuzz_%.c proxy/%.c proxy/%.h core/src/utf8.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-D_GNU_SOURCE -Icore/include $(DEPS_CFLAGS) -o $@ $< proxy/$*.c core/src/utf8.c $(DEPS_LIBS) -lm

fuzz-targets: $(PROXY_FUZZ_TARGETS)
