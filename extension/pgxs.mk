# PGXS build of the rtcstats extension.  Run from the top directory (PGXS
# looks for rtcstats.control, sql/ and expected/ in the current directory),
# by extension/extension.mk, which passes BUILD, CORE_LIB, EXTVERSION,
# DEPS_CFLAGS and DEPS_LIBS from the top Makefile.

PG_CONFIG  ?= pg_config
BUILD      ?= build
CORE_LIB   ?= $(BUILD)/librtcstats-core.a
EXTVERSION ?= $(shell sed -n 's/^EXTVERSION *= *//p' Makefile)
DEPS_CFLAGS ?= $(shell pkg-config --cflags json-c zlib libcurl openssl)
DEPS_LIBS  ?= $(shell pkg-config --libs json-c zlib libcurl openssl)

EXT_BUILD  = $(BUILD)/extension

MODULE_big = rtcstats
EXT_SRCS   = $(sort $(wildcard extension/src/*.c))
OBJS       = $(patsubst extension/src/%.c,$(EXT_BUILD)/%.o,$(EXT_SRCS))
EXTENSION  = rtcstats

# The install script: the parts extension/sql/NN-*.sql in name order
# (docs/architecture.md).  Upgrade scripts are kept as
# written, in extension/sql/upgrades/.
EXT_PARTS  = $(sort $(wildcard extension/sql/[0-9][0-9]-*.sql))
EXT_SCRIPT = $(EXT_BUILD)/rtcstats--$(EXTVERSION).sql
DATA_built = $(EXT_SCRIPT)
DATA       = $(wildcard extension/sql/upgrades/rtcstats--*--*.sql)

PG_CPPFLAGS = -Icore/include -Iextension/src -I$(EXT_BUILD) $(DEPS_CFLAGS) -DEXTVERSION='"$(EXTVERSION)"'
PG_CFLAGS   = -Werror -Wmissing-prototypes
SHLIB_LINK  = $(CORE_LIB) $(DEPS_LIBS) -lm

# pg_regress: every sql/*.sql, against a temporary instance that preloads the
# library (extension/regress.conf).  test/suites/30-extension.sh runs it as
# the postgres user with its own options; this is for `make installcheck`.
REGRESS      = $(sort $(patsubst sql/%.sql,%,$(wildcard sql/*.sql)))
REGRESS_OPTS = --temp-config=extension/regress.conf --temp-instance=./tmp_regress \
               --port=55432
EXTRA_CLEAN  = rtcstats.control

# No LLVM bitcode: JIT-inlining glue that calls into the core buys nothing,
# and the bitcode rules would not find our objects in $(BUILD).
override with_llvm = no

# PGXS takes the directory of the first makefile (extension/) as srcdir
# unless VPATH is set: the control file, sql/ and expected/ are here.
VPATH = .

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

all: rtcstats.control

rtcstats.control: extension/rtcstats.control.in Makefile
	sed 's/@EXTVERSION@/$(EXTVERSION)/g' $< > $@

# Assembled every time (a part may be added or removed), replaced only when
# its text changed, so an unchanged script does not look new to install.
$(EXT_SCRIPT): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '\echo Use "CREATE EXTENSION rtcstats" to load this file. \quit' > $@.tmp
	@for f in $(EXT_PARTS); do \
		printf '\n-- %s\n' "$$f" >> $@.tmp && cat "$$f" >> $@.tmp || exit 1; \
	done
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "assembled $@"; fi

.PHONY: FORCE
FORCE:

$(EXT_BUILD)/%.o: extension/src/%.c $(wildcard extension/src/*.h) $(wildcard core/include/rtcstats/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# Until the core's anonymizer is in every tree, the SQL functions over it
# raise "feature not supported" rather than leave an unresolved symbol in
# the module.  A header rewritten only when the answer changes, so the
# object is rebuilt when it does.
EXT_HAVE = $(EXT_BUILD)/rtcstats_have.h
$(EXT_HAVE): FORCE
	@mkdir -p $(dir $@)
	@if grep -qs 'rtcstats_anonymizer_new' core/src/*.c; then \
		echo '#define HAVE_RTCSTATS_ANONYMIZER 1'; else echo '/* no anonymizer */'; fi > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(EXT_BUILD)/anonymize_fns.o: $(EXT_HAVE)

# Relinked every time: rtcstats.so sits at the top, shared by every BUILD
# directory (build/, build-san/, private ones), so "newer than my objects"
# does not mean "linked from them".
$(shlib): $(CORE_LIB) FORCE
