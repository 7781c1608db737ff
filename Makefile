# jokes - a live feed of random jokes: jokes-fetch, jokes-pushd, jokes-fcgi.
#
#   make             build the three programs into build/
#   make run         run the whole stack on http://127.0.0.1:8080/jokes/ (PROXY=nginx|lighttpd)
#   make test        install what is missing, build, run every test
#   make bench       benchmarks (figures for docs/performance.md)
#   make soak        the whole stack under random faults, SOAK_MIN minutes per run (not in make test)
#   make install     PREFIX, DESTDIR, BINDIR, SBINDIR, MANDIR, SYSCONFDIR, DATADIR, STATEDIR
#   make deb         the Debian package: build/jokes_VERSION_ARCH.deb (debian/)
#   make SANITIZE=address,undefined   build with sanitizers (into build-san/)

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/jokes
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
STATEDIR   ?= /var/lib/jokes
RUNDIR     ?= /run/jokes
DESTDIR    ?=
PROXY      ?= nginx
PORT       ?= 8080

PKGS := libcurl jansson sqlite3 libwebsockets libuv fcgi hiredis
CC   ?= cc
ifeq ($(CC),cc)
CC := gcc
endif

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-format-nonliteral
ifdef CI
WARN += -Werror
endif
ifdef WERROR
WARN += -Werror
endif

ifdef SANITIZE
O := build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O := build
SANFLAGS :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -D_GNU_SOURCE -Ilib -I$(O)/gen -DJOKES_VERSION='"$(VERSION)"' \
	-DJOKES_SYSCONFDIR='"$(SYSCONFDIR)"' -DJOKES_DATADIR='"$(DATADIR)"'
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm

PROGS := $(O)/jokes-fetch $(O)/jokes-pushd $(O)/jokes-fcgi

all: $(PROGS)

# --- objects --------------------------------------------------------------------
# The flags are part of what an object is built from: a build for another PREFIX,
# SYSCONFDIR or CFLAGS rebuilds everything instead of mixing objects of both.
# ($(O)/build-flags is rewritten, when they change, as the Makefile is read.)
BUILD_FLAGS := $(strip $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS))
ifneq ($(shell cat $(O)/build-flags 2>/dev/null),$(BUILD_FLAGS))
$(shell mkdir -p $(O) && printf '%s\n' '$(subst ','\'',$(BUILD_FLAGS))' > $(O)/build-flags)
endif

$(O)/%.o: %.c $(O)/build-flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/gen/%.o: $(O)/gen/%.c $(O)/build-flags
	$(CC) $(CPPFLAGS) -Icron $(CFLAGS) -c -o $@ $<

LIB_OBJ   := $(patsubst %.c,$(O)/%.o,$(wildcard lib/*.c))
$(O)/libjokes.a: $(LIB_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^

# --- jokes-fetch (cron/) ------------------------------------------------------
FETCH_GEN := $(O)/gen/bundled_jokes.o
FETCH_OBJ := $(patsubst %.c,$(O)/%.o,$(filter-out cron/main.c,$(wildcard cron/*.c))) \
	$(if $(wildcard cron/bundled-jokes.txt),$(FETCH_GEN))
# each joke's category must be a name of lib/category.c's vocabulary, or the build fails
$(O)/gen/bundled_jokes.c: cron/bundled-jokes.txt tools/embed-jokes.awk lib/category.c
	@mkdir -p $(dir $@)
	awk -f tools/embed-jokes.awk lib/category.c $< > $@.tmp && mv $@.tmp $@
$(O)/libfetch.a: $(FETCH_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(O)/jokes-fetch: $(O)/cron/main.o $(O)/libfetch.a $(O)/libjokes.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- jokes-pushd (pushd/) -----------------------------------------------------
PUSHD_OBJ := $(patsubst %.c,$(O)/%.o,$(filter-out pushd/main.c,$(wildcard pushd/*.c)))
$(O)/libpushd.a: $(PUSHD_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(O)/jokes-pushd: $(O)/pushd/main.o $(O)/libpushd.a $(O)/libjokes.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# test and bench helpers (built by the scripts that use them)
$(O)/tools/pushd-dbput: $(O)/tests/tools/pushd_dbput.o $(O)/libjokes.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# the bench tools parse their numbers with lib/cli.c (libjokes.a)
$(O)/tools/wsload: bench/wsload.c $(O)/libjokes.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# the Redis bench's publisher: a SQLite commit, then jokes-fetch's XADD (cron/publish.c)
$(O)/tools/redis-pub: bench/redis_pub.c $(O)/libfetch.a $(O)/libjokes.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Icron $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# libcrypto (libssl-dev) comes with libwebsockets-dev, which depends on it
$(O)/tools/ws_ideal: bench/ws_ideal.c $(O)/libjokes.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags libcrypto) $(LDFLAGS) -o $@ $^ \
		$(shell pkg-config --libs libcrypto) $(LDLIBS)

# --- jokes-fcgi (fcgi/) -------------------------------------------------------
FCGI_OBJ := $(patsubst %.c,$(O)/%.o,$(filter-out fcgi/main.c,$(wildcard fcgi/*.c)))
# the page links static/ under a versioned URL: ?v=<hash of its files>
$(O)/gen/static_version.h: $(sort $(wildcard static/*.css static/*.js))
	@mkdir -p $(dir $@)
	printf '#define STATIC_VERSION "%s"\n' "$$(cat $^ /dev/null | sha256sum | cut -c1-12)" > $@.tmp
	mv $@.tmp $@
$(FCGI_OBJ) $(O)/fcgi/main.o: $(O)/gen/static_version.h
$(O)/libfcgiapp.a: $(FCGI_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(O)/jokes-fcgi: $(O)/fcgi/main.o $(O)/libfcgiapp.a $(O)/libjokes.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- unit tests: tests/unit/test_*.c, each linked with every part's archive -----
APP_LIBS   := $(O)/libfetch.a $(O)/libpushd.a $(O)/libfcgiapp.a $(O)/libjokes.a
UNIT_BINS  := $(patsubst tests/unit/%.c,$(O)/tests/%,$(wildcard tests/unit/test_*.c))
$(O)/tests/%: $(O)/tests/unit/%.o $(O)/tests/unit/unit.o $(APP_LIBS)
	$(CC) $(LDFLAGS) -o $@ $< $(O)/tests/unit/unit.o $(APP_LIBS) $(LDLIBS)
unit: $(UNIT_BINS)

# --- fuzz targets (clang, libFuzzer): tests/fuzz/fuzz_*.c ----------------------
# FUZZ_RUNS=N: N executions per target instead of FUZZ_SECS seconds (the long run: 10000000)
FUZZ_SECS ?= 60
FUZZ_RUNS ?=
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	@tools/deps.sh fuzz
	FUZZ_RUNS=$(FUZZ_RUNS) tools/fuzz.sh $(FUZZ_SECS) $(FUZZ_SRC)

# --- the things people run ------------------------------------------------------
deps:
	@tools/deps.sh

run: deps all
	tools/run.sh $(PROXY) $(PORT)

# make test: set-up, the normal build, the ASan+UBSan build (unit tests, and the daemons, which
# tests/run.sh runs once more under a chosen set of program and end-to-end tests), every test
# (make lint among them: tests/t_lint.sh).
test:
	@tools/deps.sh test
	$(MAKE) all unit
	$(MAKE) SANITIZE=address,undefined all unit
	tests/run.sh

bench:
	@tools/deps.sh bench
	$(MAKE) all
	bench/run.sh

# make soak: the real stack (SQLite, then Redis with two push nodes) under random faults for
# SOAK_MIN minutes per run, then a table; non-zero when a joke is lost, doubled or out of order
# or a 5xx falls outside a fault (tests/soak/soak.sh; SOAK_SEED, SOAK_RUNS, SOAK_WATCHERS).
SOAK_MIN ?= 10
soak:
	@tools/deps.sh test
	$(MAKE) all
	SOAK_MIN=$(SOAK_MIN) tests/soak/soak.sh

# cppcheck and clang-tidy over the sources; fcgi/ includes the generated static_version.h.
lint: $(O)/gen/static_version.h
	@tools/deps.sh test
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -Ilib -D_GNU_SOURCE lib cron pushd fcgi
	clang-tidy --quiet $(wildcard lib/*.c cron/*.c pushd/*.c fcgi/*.c) -- \
		$(CPPFLAGS) -std=c11 $(PKG_CFLAGS)

format:
	clang-format -i $(wildcard lib/*.[ch] cron/*.[ch] pushd/*.[ch] fcgi/*.[ch])

# Passed to the install script alone: exported to every recipe they would leak into
# nested makes (the tests run `make install PREFIX=…` from inside `make test`).
INSTALL_ENV = PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' SBINDIR='$(SBINDIR)' MANDIR='$(MANDIR)' \
	DATADIR='$(DATADIR)' SYSCONFDIR='$(SYSCONFDIR)' STATEDIR='$(STATEDIR)' RUNDIR='$(RUNDIR)' \
	DESTDIR='$(DESTDIR)' O='$(O)' VERSION='$(VERSION)'
install: all
	$(INSTALL_ENV) tools/install.sh install
uninstall:
	$(INSTALL_ENV) tools/install.sh uninstall

# The package is built from a copy of the tree in build/deb/ (dpkg-buildpackage writes its
# results into the parent directory, and leaves debian/jokes/ and friends behind); its
# version is debian/changelog's, which must be the VERSION above.
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEB_ARCH    = $(shell dpkg --print-architecture)
deb:
	@tools/deps.sh deb
	@[ "$(DEB_VERSION)" = "$(VERSION)" ] || { echo "make deb: debian/changelog says \
	'$(DEB_VERSION)', the Makefile's VERSION is $(VERSION): add a changelog entry" >&2; exit 1; }
	rm -rf build/deb && mkdir -p build/deb/jokes-$(VERSION)
	tar -cf - --exclude=./.git --exclude='./build*' --exclude=./run --exclude=node_modules \
		--exclude='./debian/jokes' --exclude='./debian/_build' --exclude='./debian/.debhelper' . | \
		tar -xf - -C build/deb/jokes-$(VERSION)
	cd build/deb/jokes-$(VERSION) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 30 ../build.log >&2; exit 1; }
	mv build/deb/jokes_$(VERSION)_$(DEB_ARCH).deb build/
	@echo "build/jokes_$(VERSION)_$(DEB_ARCH).deb"

clean:
	rm -rf build build-san build-fuzz

.PHONY: all unit fuzz deps run test bench soak lint format install uninstall deb clean

# (not build/deb/: the package build's copy of the tree, with its own objects and cron.d)
-include $(shell find $(O) -path $(O)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
