# Command-line programs: one small main each over the core library.

CLI_PROGRAMS := rtcstats-features rtcstats-anonymize
CLI_BINS := $(addprefix $(BIN)/,$(CLI_PROGRAMS))

$(BIN)/rtcstats-%: $(BUILD)/cli/rtcstats-%.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

all: $(CLI_BINS)
