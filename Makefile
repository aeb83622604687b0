# ctmod: make | make check | make demo | make bench | make fuzz | make install
# SAN=1 builds everything with ASan+UBSan into build-san/.

VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
PKGS     := libkmod libcrypto
# opened with dlopen() on first use (lib/dl-curl.c, dl-archive.c, dl-seccomp.c,
# dl-yaml.c, dl-elf.c, dl-json.c): their headers only, so that `ctmod deps` or
# ctmod as the kernel's modprobe helper does not load them and the ~40
# libraries behind them.  libcrypto stays linked: libkmod links it anyway.
DL_PKGS  := libarchive libcurl libseccomp yaml-0.1 libelf json-c

ifeq ($(SAN),1)
B        := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B        := build
SANFLAGS :=
endif

CC       ?= cc
CFLAGS   ?= -O2 -g
# pkg-config runs when a recipe first needs its answer, once (the
# $(eval) caches it): after `deps` has installed what a fresh machine lacks
PKG_CFLAGS  = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(DL_PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS    = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)
# the unit tests write archives with libarchive themselves
TEST_LDLIBS = $(eval TEST_LDLIBS := $(shell pkg-config --libs libarchive cmocka 2>/dev/null))$(TEST_LDLIBS)
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	    -DCTMOD_VERSION='"$(VERSION)"' $(SANFLAGS) -Ishared $(PKG_CFLAGS)
# header dependencies: each object's .d, written by the compiler
DEPFLAGS  = -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread

SHARED_SRC := $(sort $(wildcard shared/*.c))
LIB_SRC  := $(SHARED_SRC) $(sort $(wildcard lib/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
CTMOD    := $(B)/ctmod

export CTMOD_BIN := $(abspath $(CTMOD))

all: $(CTMOD)

# a fresh machine: what is missing is installed first (scripts/deps), by
# this target, never while the Makefile is read; everything that compiles
# waits for it
ensure-deps:
	@pkg-config --exists $(PKGS) $(DL_PKGS) cmocka 2>/dev/null || { \
		echo "ctmod: build dependencies missing, running scripts/deps" >&2; \
		./scripts/deps || { echo "scripts/deps failed: install the packages it lists, then run make again" >&2; exit 1; }; }

$(B)/%.o: %.c | ensure-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UNIT_BIN:=.d)

$(B)/libctmod.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CTMOD): $(CMD_OBJ) $(B)/libctmod.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(B)/libctmod.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libctmod.a | ensure-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -MF $@.d -Ilib -o $@ $< $(B)/libctmod.a $(LDFLAGS) $(LDLIBS) $(TEST_LDLIBS)

# --- tests: each part appends "pass NAME" / "fail NAME" lines to $(RESULTS)
RESULTS := $(abspath $(B)/test-results)
export CTMOD_RESULTS := $(RESULTS)

check: all $(UNIT_BIN)
	@rm -f $(RESULTS)
	-@$(MAKE) --no-print-directory check-unit-run
	-@$(MAKE) --no-print-directory check-cli-run
	-@$(MAKE) --no-print-directory check-vm-run
	@tests/summary $(RESULTS)

check-unit: all $(UNIT_BIN)
	@rm -f $(RESULTS)
	-@$(MAKE) --no-print-directory check-unit-run
	@tests/summary $(RESULTS)

check-cli: all
	@rm -f $(RESULTS)
	-@$(MAKE) --no-print-directory check-cli-run
	@tests/summary $(RESULTS)

check-vm: all
	@rm -f $(RESULTS)
	-@$(MAKE) --no-print-directory check-vm-run
	@tests/summary $(RESULTS)

# ctmod's own code under valgrind: the CLI suite with every ctmod run wrapped
check-valgrind: all
	@rm -f $(RESULTS)
	-@CTMOD_VALGRIND=1 $(MAKE) --no-print-directory check-cli-run
	@tests/summary $(RESULTS)

check-unit-run: $(UNIT_BIN)
	@tests/unit/run $(UNIT_BIN)

check-cli-run:
	@tests/cli/run

check-vm-run:
	@tests/vm/run

demo: all
	@./demo/run

bench: all
	@bench/run

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	       -Wall -Wextra -Wno-unused-parameter -Ishared $(PKG_CFLAGS)

build-fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h shared/*.h) | ensure-deps
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -Ilib -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BIN)

# make install [PREFIX=/usr] [DESTDIR=...] [MODULE_LINKS=1]
# MODULE_LINKS=1 (or the older MODPROBE_LINK=1) also installs SBINDIR/modprobe
# -> ctmod, so ctmod can be the kernel's modprobe helper, and SBINDIR/dkms when
# the binary answers to that name.  Units are made from contrib/systemd/*.in
# with ExecStart naming BINDIR's ctmod.
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
UNITDIR  ?= $(PREFIX)/lib/systemd/system
MODULE_LINKS ?= $(MODPROBE_LINK)
LINKS    := modprobe $(if $(wildcard cmd/dkms.c),dkms)

install: all
	install -D -m 0755 $(CTMOD) $(DESTDIR)$(BINDIR)/ctmod
	@# MODULE_LINKS=1: the modprobe and dkms personalities (ctmod-modprobe.8, ctmod-dkms.8)
	@if [ "$(MODULE_LINKS)" = 1 ]; then for l in $(LINKS); do \
		install -d $(DESTDIR)$(SBINDIR) && \
		ln -sfn "$$(realpath -m --relative-to=$(SBINDIR) $(BINDIR)/ctmod)" $(DESTDIR)$(SBINDIR)/$$l; \
	done; fi
	@# KERNEL_HOOK=1: build DKMS modules for each newly installed kernel (/etc/kernel/postinst.d)
	@if [ "$(KERNEL_HOOK)" = 1 ]; then install -D -m 0755 contrib/kernel/postinst.d/ctmod $(DESTDIR)/etc/kernel/postinst.d/ctmod; fi
	@for m in man/*.8; do [ -f "$$m" ] && install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/$$(basename $$m); done; true
	@[ -f completions/ctmod.bash ] && install -D -m 0644 completions/ctmod.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ctmod || true
	@if [ "$(MODULE_LINKS)" = 1 ]; then ln -sf ctmod $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dkms; fi
	@[ -f completions/_ctmod ] && install -D -m 0644 completions/_ctmod $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ctmod || true
	@[ -f completions/ctmod.fish ] && install -D -m 0644 completions/ctmod.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/ctmod.fish || true
	@if [ "$(MODULE_LINKS)" = 1 ]; then ln -sf ctmod.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/dkms.fish; fi
	@for u in contrib/systemd/*.service contrib/systemd/*.socket; do [ -f "$$u" ] && install -D -m 0644 $$u $(DESTDIR)$(UNITDIR)/$$(basename $$u); done; true
	@for u in contrib/systemd/*.in; do [ -f "$$u" ] || continue; \
		install -d $(DESTDIR)$(UNITDIR) && \
		sed -e 's|@BINDIR@|$(BINDIR)|g' $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u .in); \
	done

deps:
	./scripts/deps

# localhost/ctmod:$(VERSION) and :latest, offline from Debian's packages
# (scripts/image: mmdebstrap bases cached in ~/.cache/ctmod-image, podman)
image:
	./scripts/image $(VERSION)

FORMAT_SRC = $(wildcard lib/*.[ch] cmd/*.[ch] shared/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/vm/*.c)

format:
	clang-format -i $(FORMAT_SRC)

# run by .ci/run: any file that clang-format would change fails the build
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build build-san build-fuzz

.PHONY: image all check check-unit check-cli check-vm check-valgrind check-unit-run check-cli-run check-vm-run \
	demo bench fuzz fuzz-build install deps ensure-deps format format-check clean
.SECONDARY:
