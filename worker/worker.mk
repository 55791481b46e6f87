# rtcstats-worker: the extraction loop over libpq (worker/rtcstats-worker.c),
# linked with the core library.  Included by the top Makefile.

WORKER_PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I$$(pg_config --includedir))
WORKER_PQ_LIBS   := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
WORKER_SRCS      := $(wildcard worker/*.c)
WORKER_OBJS      := $(patsubst %.c,$(BUILD)/%.o,$(WORKER_SRCS))

$(WORKER_OBJS): RTC_CFLAGS += $(WORKER_PQ_CFLAGS)

$(BIN)/rtcstats-worker: $(WORKER_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(WORKER_PQ_LIBS) $(DEPS_LIBS) -lm

all: $(BIN)/rtcstats-worker
