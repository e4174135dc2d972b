# Build and install liblts as a system library.
#
#   make                          # cargo build --release (the README's build: nothing rebuilds)
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make uninstall PREFIX=/usr/local
#   make header                   # regenerate include/lts.h (pinned cbindgen)
#   make pkgconfig                # target/release/pkgconfig/lts.pc for using the build in place
#   make dist                     # scripts/dist.sh: every release artifact into target/dist/
#   make install-built ...        # install without building (scripts/dist.sh: BUILD=<its build>,
#                                 # RELOCATABLE=yes for .pc files relative to where they lie)
#
# What install puts under PREFIX:
#   lib/liblts.so.$(VERSION), .so.0, .so   stripped; its debug info in liblts.so.$(VERSION).debug
#                                          beside it (found by gdb through .gnu_debuglink);
#                                          DEBUG_INFO=no leaves that file out
#   lib/liblts.a                           without debug info (symbols kept: it is linked)
#   include/lts.h, include/lts.hpp, include/lts_spdlog.hpp (the spdlog sink)
#   lib/pkgconfig/lts.pc, lts-static.pc    shared (with an rpath to lib/), and static
#   lib/cmake/lts/                         find_package(lts CONFIG): lts::lts, lts::lts_static
#                                          (paths relative to itself: the tree may be moved)
#
# PROFILE=debug installs the debug build instead (unstripped).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCDIR     ?= $(PREFIX)/include
PROFILE    ?= release
CARGO      ?= cargo
DEBUG_INFO ?= yes
RELOCATABLE ?= no
STRIP      ?= strip
OBJCOPY    ?= objcopy

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ABI     := 0
BUILD   ?= target/$(PROFILE)
GEN     := $(BUILD)/install-files
ifeq ($(PROFILE),release)
CARGO_FLAGS := --release
endif

# The static library needs these system libraries (cargo's native-static-libs on Linux).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

all: build

# The same command as the README's, so alternating it with make rebuilds nothing: building a
# subset of the workspace (-p liblts --lib) resolves features differently and recompiles.
build:
	$(CARGO) build $(CARGO_FLAGS)

header:
	$(CARGO) run -q -p xtask -- gen-header

dist:
	./scripts/dist.sh

# $(call rel,FROM,TO): the folder TO as a path relative to the folder FROM.
rel = $(shell realpath -m --relative-to='$(1)' '$(2)')
# $(call subst_for,PREFIX,LIBDIR,INCDIR): the sed that fills a template for those places.
subst_for = sed -e 's|@PREFIX@|$(1)|g' -e 's|@LIBDIR@|$(2)|g' -e 's|@INCDIR@|$(3)|g' \
            -e 's|@VERSION@|$(VERSION)|g' -e 's|@ABI@|$(ABI)|g' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' \
            -e 's|@CMAKE_TO_LIBDIR@|$(call rel,$(LIBDIR)/cmake/lts,$(LIBDIR))|g' \
            -e 's|@CMAKE_TO_INCDIR@|$(call rel,$(LIBDIR)/cmake/lts,$(INCDIR))|g'
# A relocatable .pc names its places from ${pcfiledir}, the folder pkg-config found it in.
ifeq ($(RELOCATABLE),yes)
PC_DIRS = $(foreach d,$(PREFIX) $(LIBDIR) $(INCDIR),$${pcfiledir}/$(call rel,$(LIBDIR)/pkgconfig,$(d)))
SUBST = $(call subst_for,$(word 1,$(PC_DIRS)),$(word 2,$(PC_DIRS)),$(word 3,$(PC_DIRS)))
else
SUBST = $(call subst_for,$(PREFIX),$(LIBDIR),$(INCDIR))
endif

# pkg-config files for the build in place (no install): PKG_CONFIG_PATH=$(BUILD)/pkgconfig.
pkgconfig: build
	@mkdir -p $(BUILD)/pkgconfig
	@$(call subst_for,$(CURDIR),$(CURDIR)/$(BUILD),$(CURDIR)/include) lts.pc.in > $(BUILD)/pkgconfig/lts.pc
	@$(call subst_for,$(CURDIR),$(CURDIR)/$(BUILD),$(CURDIR)/include) lts-static.pc.in > $(BUILD)/pkgconfig/lts-static.pc
	@echo "PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/pkgconfig gives this build's lts.pc and lts-static.pc"

GENERATED := $(GEN)/lts.pc $(GEN)/lts-static.pc $(GEN)/cmake/ltsConfig.cmake \
             $(GEN)/cmake/ltsConfigVersion.cmake

# Made on every install (FORCE): they hold PREFIX, which may differ from the last run's.
$(GEN)/lts.pc: lts.pc.in FORCE
	@mkdir -p $(dir $@)
	@$(SUBST) $< > $@
$(GEN)/lts-static.pc: lts-static.pc.in FORCE
	@mkdir -p $(dir $@)
	@$(SUBST) $< > $@
$(GEN)/cmake/%.cmake: cmake/%.cmake.in FORCE
	@mkdir -p $(dir $@)
	@$(SUBST) $< > $@
FORCE:

SO := liblts.so.$(VERSION)

install: build
	@$(MAKE) --no-print-directory install-built

install-built: $(GENERATED)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/lts $(DESTDIR)$(INCDIR)
ifeq ($(PROFILE),release)
	$(STRIP) --strip-unneeded -o $(DESTDIR)$(LIBDIR)/$(SO) $(BUILD)/liblts.so
ifeq ($(DEBUG_INFO),yes)
	$(OBJCOPY) --only-keep-debug $(BUILD)/liblts.so $(DESTDIR)$(LIBDIR)/$(SO).debug
	chmod 644 $(DESTDIR)$(LIBDIR)/$(SO).debug
	cd $(DESTDIR)$(LIBDIR) && $(OBJCOPY) --add-gnu-debuglink=$(SO).debug $(SO)
endif
	chmod 755 $(DESTDIR)$(LIBDIR)/$(SO)
	$(STRIP) --strip-debug -o $(DESTDIR)$(LIBDIR)/liblts.a $(BUILD)/liblts.a
	chmod 644 $(DESTDIR)$(LIBDIR)/liblts.a
else
	install -m 755 $(BUILD)/liblts.so $(DESTDIR)$(LIBDIR)/$(SO)
	install -m 644 $(BUILD)/liblts.a $(DESTDIR)$(LIBDIR)/liblts.a
endif
	ln -sf $(SO) $(DESTDIR)$(LIBDIR)/liblts.so.$(ABI)
	ln -sf liblts.so.$(ABI) $(DESTDIR)$(LIBDIR)/liblts.so
	install -m 644 include/lts.h include/lts.hpp include/lts_spdlog.hpp $(DESTDIR)$(INCDIR)/
	install -m 644 $(GEN)/lts.pc $(GEN)/lts-static.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 $(GEN)/cmake/ltsConfig.cmake $(GEN)/cmake/ltsConfigVersion.cmake \
	    $(DESTDIR)$(LIBDIR)/cmake/lts/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/liblts.so $(DESTDIR)$(LIBDIR)/liblts.so.$(ABI) \
	      $(DESTDIR)$(LIBDIR)/$(SO) $(DESTDIR)$(LIBDIR)/$(SO).debug $(DESTDIR)$(LIBDIR)/liblts.a \
	      $(DESTDIR)$(INCDIR)/lts.h $(DESTDIR)$(INCDIR)/lts.hpp $(DESTDIR)$(INCDIR)/lts_spdlog.hpp \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/lts.pc $(DESTDIR)$(LIBDIR)/pkgconfig/lts-static.pc \
	      $(DESTDIR)$(LIBDIR)/cmake/lts/ltsConfig.cmake \
	      $(DESTDIR)$(LIBDIR)/cmake/lts/ltsConfigVersion.cmake
	-rmdir $(DESTDIR)$(LIBDIR)/cmake/lts 2>/dev/null

.PHONY: all build dist header install install-built uninstall pkgconfig FORCE
