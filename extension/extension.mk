# The PostgreSQL extension, built by PGXS (extension/pgxs.mk) from this
# directory, after the core library it links statically (CORE_LIB is built
# with -fPIC: RTC_CFLAGS).  Included by the top Makefile.
#
#   make extension            rtcstats.so, rtcstats.control, the install script
#   make extension-install    into the server of $(PG_CONFIG)
#   make install              the extension, plus every program into $(PREFIX)/bin

EXT_MAKE = $(MAKE) --no-print-directory -f extension/pgxs.mk \
	PG_CONFIG='$(PG_CONFIG)' BUILD='$(BUILD)' CORE_LIB='$(CORE_LIB)' \
	EXTVERSION='$(EXTVERSION)' DEPS_CFLAGS='$(DEPS_CFLAGS)' DEPS_LIBS='$(DEPS_LIBS)'

extension: $(CORE_LIB)
	+$(EXT_MAKE)

# Suites running at once install into the same system directories: one
# install at a time (flock, util-linux), so none copies a half-written file.
EXT_INSTALL_LOCK ?= /tmp/rtcstats-extension-install.lock

extension-install: extension
	+flock '$(EXT_INSTALL_LOCK)' $(EXT_MAKE) install

# pg_regress against a temporary instance (run as the postgres user, see
# test/suites/30-extension.sh, which also prepares what the tests read).
extension-installcheck: extension
	+$(EXT_MAKE) installcheck

extension-clean:
	+$(EXT_MAKE) clean

# What PGXS leaves at the top (objects and the script are under $(BUILD)).
clean: extension-clean-top
extension-clean-top:
	rm -f rtcstats.so rtcstats.control

# Not in sanitizer builds: a module linked with an ASan core cannot be
# loaded by a server that is not built with ASan.
ifneq ($(SANITIZE),1)
all: extension
endif

# Every program the build produced ($(BIN)/rtcstats-*), whichever .mk built it.
install: extension-install all
	@mkdir -p '$(DESTDIR)$(PREFIX)/bin'
	@for p in $(BIN)/rtcstats-*; do \
		[ -x "$$p" ] || continue; \
		echo "install $$p -> $(DESTDIR)$(PREFIX)/bin/"; \
		install -m 0755 "$$p" '$(DESTDIR)$(PREFIX)/bin/' || exit 1; \
	done

.PHONY: extension-installcheck extension-clean extension-clean-top
