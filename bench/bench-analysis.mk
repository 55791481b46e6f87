# Benchmark: extraction with vs without the analysis layer (prints figures, asserts nothing).
$(BUILD)/bench/bench-analysis: $(BUILD)/bench/bench-analysis.o $(BUILD)/bench/bench-common.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RTC_LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lm

bench-analysis: $(BUILD)/bench/bench-analysis
	@echo "== analysis: extraction with vs without the analysis layer (issue 6: <= 1.5x)"
	@for d in test/corpus/dumps/multi-pc.rtcstats test/corpus/dumps/av-call.rtcstats; do \
		for n in 1 50; do $(BUILD)/bench/bench-analysis $$d $$n || exit 1; done; done

bench: bench-analysis
.PHONY: bench-analysis
