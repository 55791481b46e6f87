# rtcstats-proxy: libwebsockets event loop + pipeline threads (see docs/proxy.md).

PROXY_SRCS := $(wildcard proxy/*.c)
PROXY_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(PROXY_SRCS))
PROXY_PKGS := libwebsockets libpq
PROXY_CFLAGS := $(shell pkg-config --cflags $(PROXY_PKGS) 2>/dev/null)
PROXY_LIBS := $(shell pkg-config --libs $(PROXY_PKGS) 2>/dev/null)

# The core anonymizer is being written alongside; until its source defines
# rtcstats_anonymizer_new the proxy builds without it (addresses only).
PROXY_ANON_SRC := $(shell grep -ls '^rtcstats_anonymizer_new' core/src/*.c 2>/dev/null)
ifneq ($(PROXY_ANON_SRC),)
PROXY_CFLAGS += -DPROXY_HAVE_ANONYMIZER
endif

$(PROXY_OBJS): RTC_CFLAGS += $(PROXY_CFLAGS)
$(BUILD)/proxy/uploader.o $(BUILD)/proxy/addr.o $(BUILD)/proxy/main.o: $(PROXY_ANON_SRC)

$(BIN)/rtcstats-proxy: $(PROXY_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(PROXY_LIBS) $(DEPS_LIBS) -lpthread -lm

all: $(BIN)/rtcstats-proxy
