# rtcstats-replay: a libwebsockets client that re-sends recorded dumps.

REPLAY_LWS_CFLAGS := $(shell pkg-config --cflags libwebsockets 2>/dev/null)
REPLAY_LWS_LIBS   := $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets)
REPLAY_OBJS := $(BUILD)/replay/rtcstats-replay.o $(BUILD)/replay/dump.o

$(REPLAY_OBJS): RTC_CFLAGS += $(REPLAY_LWS_CFLAGS)

$(BIN)/rtcstats-replay: $(REPLAY_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) $(REPLAY_LWS_LIBS) -lm

all: $(BIN)/rtcstats-replay
