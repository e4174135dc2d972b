# Build and install liblts as a system library.
#
#   make                          # cargo build --release
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make uninstall PREFIX=/usr/local
#   make header                   # regenerate include/lts.h (pinned cbindgen)
#
# PROFILE=debug installs the debug build instead (the tests use it).

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
PROFILE ?= release
CARGO   ?= cargo

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ABI     := 0
BUILD   := target/$(PROFILE)
ifeq ($(PROFILE),release)
CARGO_FLAGS := --release
endif

# The static library needs these system libraries (cargo's native-static-libs on Linux).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

all: build

build:
	$(CARGO) build $(CARGO_FLAGS) -p liblts --lib

header:
	$(CARGO) run -q -p xtask -- gen-header

lts.pc: lts.pc.in Cargo.toml
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' $< > $@

install: build lts.pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)
	install -m 755 $(BUILD)/liblts.so $(DESTDIR)$(LIBDIR)/liblts.so.$(VERSION)
	ln -sf liblts.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblts.so.$(ABI)
	ln -sf liblts.so.$(ABI) $(DESTDIR)$(LIBDIR)/liblts.so
	install -m 644 $(BUILD)/liblts.a $(DESTDIR)$(LIBDIR)/liblts.a
	install -m 644 include/lts.h $(DESTDIR)$(INCDIR)/lts.h
	if [ -f include/lts.hpp ]; then install -m 644 include/lts.hpp $(DESTDIR)$(INCDIR)/lts.hpp; fi
	install -m 644 lts.pc $(DESTDIR)$(LIBDIR)/pkgconfig/lts.pc
	rm -f lts.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/liblts.so $(DESTDIR)$(LIBDIR)/liblts.so.$(ABI) \
	      $(DESTDIR)$(LIBDIR)/liblts.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblts.a \
	      $(DESTDIR)$(INCDIR)/lts.h $(DESTDIR)$(INCDIR)/lts.hpp $(DESTDIR)$(LIBDIR)/pkgconfig/lts.pc

.PHONY: all build header install uninstall
