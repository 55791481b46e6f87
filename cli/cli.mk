# Command-line programs: one small main each over the core library.

# Every cli/rtcstats-*.c is one program.
CLI_PROGRAMS := $(patsubst cli/%.c,%,$(wildcard cli/rtcstats-*.c))
CLI_BINS := $(addprefix $(BIN)/,$(CLI_PROGRAMS))

$(BIN)/rtcstats-%: $(BUILD)/cli/rtcstats-%.o $(BUILD)/cli/options.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

all: $(CLI_BINS)
