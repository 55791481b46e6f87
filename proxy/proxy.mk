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
