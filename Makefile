# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# mptcp-evlat: bpf/ (kernel side) -> include/ (records) -> src/ (loader) -> tests/
#
#   make            build ./mptcp-evlat and the static guest binaries in build/static/
#   make deps       install build and test dependencies (Debian, apt-get)
#   make test       unit + host + VM matrix tests (root)
#   make vmlinux    regenerate vmlinux.h (x86-64) and vmlinux/arm64/vmlinux.h from the newest
#                   sid kernels
#   make ARCH=arm64 cross-build the guest binaries for arm64 into build/arm64/static/ (Debian
#                   multiarch: gcc-aarch64-linux-gnu and the :arm64 -dev packages, make deps)
#   make V=1        show the commands
#
# CFLAGS, LDFLAGS and CC may be given on the command line (make CFLAGS=-O0): what the
# build needs (include paths, dependency files, warnings, sanitizers) is in EVLAT_CFLAGS
# and EVLAT_LDFLAGS, which the command line does not replace.

BIN := mptcp-evlat
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

# The kernel's name of the architecture (__TARGET_ARCH_*, vmlinux/ARCH/). Another one than the
# host's is a cross build: its own folder, Debian's cross compiler and :ARCH libraries.
HOST_ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
TRIPLET_x86 := x86_64-linux-gnu
TRIPLET_arm64 := aarch64-linux-gnu
ifeq ($(TRIPLET_$(ARCH)),)
$(error ARCH=$(ARCH): x86 or arm64)
endif
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_COMPILE ?= $(TRIPLET_$(ARCH))-
export PKG_CONFIG_LIBDIR := /usr/lib/$(TRIPLET_$(ARCH))/pkgconfig:/usr/share/pkgconfig
endif
# build/, or build/ARCH for a cross build; OUT=... on the command line wins
ifneq ($(origin OUT),command line)
OUT := $(if $(CROSS_COMPILE),build/$(ARCH),build)
endif
# make's own defaults (cc, ar) give way to the cross tools; a CC or AR given is kept
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
# the BTF types of the target architecture: vmlinux.h (x86-64) or vmlinux/ARCH/vmlinux.h
VMLINUX_DIR := $(if $(wildcard vmlinux/$(ARCH)/vmlinux.h),vmlinux/$(ARCH),.)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
# -MMD -MP: every object gets a .d file next to it (included at the end), so a header edit
# rebuilds exactly its users, the generated skeleton included.
DEPFLAGS := -MMD -MP
EVLAT_CFLAGS := -std=gnu11 $(WARN) $(DEPFLAGS) -Iinclude -Isrc -I$(OUT) \
	-DEVLAT_VERSION='"$(VERSION)"'
EVLAT_LDFLAGS :=
# -fms-extensions: since 6.18 the kernel embeds tagged structs anonymously
# (struct ns_common { ... struct ns_tree; }), and bpftool dumps them that way.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ -I$(VMLINUX_DIR) -Iinclude \
	-Wall -Werror -Wno-unused-function -mcpu=v3 \
	-fms-extensions -Wno-microsoft-anon-tag

LIBS := $(shell $(PKG_CONFIG) --libs libbpf libmnl libmicrohttpd gnutls yaml-0.1 libcrypt 2>/dev/null || \
	echo -lbpf -lelf -lz -lmnl -lmicrohttpd -lgnutls -lyaml -lcrypt) -lpthread
# For guests: libbpf, libelf and zlib linked statically; bookworm ships no
# libmnl.a, so libmnl and libc stay dynamic and tests/vm copies them along,
# as it does --web-config's libraries (GnuTLS, libyaml, libxcrypt).
STATIC_LIBS := -Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic -lmnl -lmicrohttpd -lgnutls -lyaml -lcrypt \
	-lpthread

ifeq ($(SAN),1)
EVLAT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
EVLAT_LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# compile $@ from $< (an object, with its .d file)
COMPILE = $(CC) $(EVLAT_CFLAGS) $(CFLAGS) -c $< -o $@
# link $@ from the objects and archives among the prerequisites
LINK = $(CC) $(EVLAT_LDFLAGS) $(LDFLAGS) $(filter %.o %.a,$^)

# --- what is built from where ------------------------------------------------
LOADER_OBJS := $(patsubst src/%.c,$(OUT)/%.o,$(wildcard src/*.c))
# everything but main(), as an archive: tests, tools and benchmarks link what they use
CORE_OBJS := $(filter-out $(OUT)/main.o,$(LOADER_OBJS))
CORE_LIB := $(OUT)/libevlat.a
TRAFGEN_OBJS := $(patsubst tests/trafgen/%.c,$(OUT)/trafgen/%.o,$(wildcard tests/trafgen/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
# host-side test tools (netlink capture, listener, MPTCP pair); tests/tools/*_preload.c
# are LD_PRELOAD shims, built as shared objects (build/tools/NAME_preload.so)
TOOL_SRCS := $(filter-out %_preload.c,$(wildcard tests/tools/*.c))
TOOLS := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS))
PRELOADS := $(patsubst tests/tools/%.c,$(OUT)/tools/%.so,$(wildcard tests/tools/*_preload.c))
BENCHES := $(patsubst tests/bench/%.c,$(OUT)/bench/%,$(wildcard tests/bench/*.c))
# every object of this build folder: their .d files are included at the end
ALL_OBJS := $(OUT)/evlat.bpf.o $(LOADER_OBJS) $(TRAFGEN_OBJS) $(UNIT_TESTS:=.o) \
	$(TOOLS:=.o) $(PRELOADS:.so=.o) $(BENCHES:=.o)

# the C and shell sources of the repository, for make format and make lint
C_SRCS := $(wildcard bpf/*.c include/*.h src/*.[ch] tests/*/*.[ch])
SH_SRCS = $(shell tests/lint/shell-scripts)

.DELETE_ON_ERROR:
.PHONY: all deps test test-unit test-host vmtest vmlinux format lint clean bench install \
	uninstall soak tools cross-arm64 test-own-kernel

GUEST_BINS := $(OUT)/static/$(BIN) $(OUT)/static/trafgen $(OUT)/static/genl_listen
ifeq ($(CROSS_COMPILE),)
all: $(BIN) $(GUEST_BINS)
else
# a cross build makes what a guest of that architecture runs, not ./mptcp-evlat
all: $(GUEST_BINS)
endif

# --- BPF object and skeleton -------------------------------------------------
$(OUT)/evlat.bpf.o: bpf/evlat.bpf.c Makefile
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/evlat.skel.h: $(OUT)/evlat.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name evlat_bpf > $@

# --- loader ------------------------------------------------------------------
# The skeleton is order-only: it must exist before any loader object is compiled (the
# compiler has to find it), but only the objects whose .d file names it are rebuilt when
# it changes.
$(OUT)/%.o: src/%.c | $(OUT)/evlat.skel.h
	$(call msg,CC,$@)
	$(Q)$(COMPILE)

$(CORE_LIB): $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(LOADER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(LINK) $(LIBS) -lm -o $@

# the same objects, linked statically: a guest initramfs needs no libraries
$(OUT)/static/$(BIN): $(LOADER_OBJS)
	$(Q)mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(LINK) $(STATIC_LIBS) -lm -o $@

# --- tests -------------------------------------------------------------------
$(OUT)/trafgen/%.o: tests/trafgen/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE)

$(OUT)/static/trafgen: $(TRAFGEN_OBJS)
	$(Q)mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(LINK) -static -o $@

# a reading subscriber for the guest suite's consumer phases; libmnl dynamic, as the loader's
$(OUT)/static/genl_listen: $(OUT)/tools/genl_listen.o $(CORE_LIB)
	$(Q)mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(LINK) $(STATIC_LIBS) -lm -o $@

# unit tests, tools and benchmarks: one object each, linked against the core archive
$(OUT)/tests/%.o: tests/unit/%.c | $(OUT)/evlat.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE)

$(OUT)/tests/%: $(OUT)/tests/%.o $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(LINK) $(LIBS) -lm -o $@

$(OUT)/tools/%.o: tests/tools/%.c | $(OUT)/evlat.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE)

$(OUT)/tools/%_preload.o: tests/tools/%_preload.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE) -fPIC

$(OUT)/tools/%_preload.so: $(OUT)/tools/%_preload.o
	$(call msg,LINK,$@)
	$(Q)$(LINK) -shared -ldl -o $@

$(OUT)/tools/%: $(OUT)/tools/%.o $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(LINK) $(LIBS) -lm -o $@

tools: $(TOOLS) $(PRELOADS)

test-unit: $(UNIT_TESTS)
	$(Q)tests/unit/run $(UNIT_TESTS)

test-host: all tools
	$(Q)tests/host/run

# make vmtest: the kernel matrix (its arm64 kernel needs make ARCH=arm64: built here too);
# make vmtest KERNEL=bzImage-or-Image [MODULES=dir]: your own kernel (tests/vm/README.md)
ifeq ($(KERNEL),)
VMTEST_ARGS :=
VMTEST_ARM64 := $(filter x86,$(HOST_ARCH))
else
VMTEST_ARGS := --kernel $(KERNEL) $(if $(MODULES),--modules $(MODULES))
# an arm64 Image says "ARM\x64" at 0x38
VMTEST_ARM64 := $(if $(filter 41524d64,$(shell od -An -j56 -N4 -tx1 $(KERNEL) 2>/dev/null | tr -d ' ')),$(filter x86,$(HOST_ARCH)))
endif

vmtest: all $(if $(VMTEST_ARM64),cross-arm64)
	$(Q)tests/vm/run $(VMTEST_ARGS)

cross-arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 OUT=build/arm64 all

# the own-kernel path of make vmtest, accepted and refused (tests/vm/own_kernel.sh)
test-own-kernel: all cross-arm64
	$(Q)tests/vm/own_kernel.sh

test: test-unit test-host vmtest

$(OUT)/bench/%.o: tests/bench/%.c | $(OUT)/evlat.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE)

$(OUT)/bench/bench_correlate: $(OUT)/bench/bench_correlate.o $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(LINK) $(LIBS) -lm -o $@

# no libraries beyond libc and libm: the peak RSS is the correlator's, not libbpf's
$(OUT)/bench/bench_rss: $(OUT)/bench/bench_rss.o $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(LINK) -lm -o $@

# 10 minutes of churn with failures in one trixie guest, the tracer's RSS sampled and its
# delivered count checked against ip mptcp monitor (tests/vm/guest/soak.sh); SOAK_SECONDS=N
# for another length
soak: all
	$(Q)EVLAT_VM_APPEND="$(if $(SOAK_SECONDS),evlat.soak_seconds=$(SOAK_SECONDS))" \
		tests/vm/run --suite trixie --suite-script tests/vm/guest/soak.sh --timeout 900

# BENCH_FLAGS: --wallclock (the host's clock instead of QEMU's instruction-counted one),
# --no-vm, --suite SUITE
bench: all $(BENCHES)
	$(Q)tests/bench/run $(BENCH_FLAGS)

# --- fuzzing: libFuzzer + ASan/UBSan (clang; Debian: clang, libclang-rt-dev) ---------------
#   make fuzz                   each harness FUZZ_SECONDS on build/fuzz/corpus/NAME (tests/fuzz/)
#   make fuzz FUZZ_SECONDS=10   CI smoke run
#   make fuzz-replay            the saved inputs of tests/fuzz/crashes/, once each
# The harnesses link an archive of src/ compiled with coverage and the sanitizers: each
# takes the objects it needs.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_OUT := $(OUT)/fuzz
FUZZ_CFLAGS := -g -O1 -std=gnu11 $(WARN) $(DEPFLAGS) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Iinclude -Isrc -I$(OUT) -DEVLAT_VERSION='"$(VERSION)"'
FUZZ_SAN := address,undefined
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)
FUZZ_LIB_OBJS := $(patsubst $(OUT)/%,$(FUZZ_OUT)/obj/%,$(CORE_OBJS))
ALL_OBJS += $(FUZZ_LIB_OBJS) $(FUZZ_BINS:=.o)

$(FUZZ_OUT)/obj/%.o: src/%.c | $(OUT)/evlat.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@

$(FUZZ_OUT)/libevlat.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_OUT)/fuzz_%.o: tests/fuzz/fuzz_%.c
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/fuzz_%.o $(FUZZ_OUT)/libevlat.a
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) $^ $(LIBS) -lm -o $@

.PHONY: fuzz fuzz-replay
fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/seeds.sh $(FUZZ_OUT)/corpus
	$(Q)mkdir -p $(FUZZ_OUT)/artifacts
	$(Q)for t in $(FUZZ_TARGETS); do \
		echo "  FUZZ     $$t, $(FUZZ_SECONDS) s"; \
		$(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t- \
			$(FUZZ_OUT)/corpus/$$t >$(FUZZ_OUT)/$$t.log 2>&1 || \
			{ tail -n 40 $(FUZZ_OUT)/$$t.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE|^stat::average_exec_per_sec' $(FUZZ_OUT)/$$t.log; \
	done

fuzz-replay: $(FUZZ_BINS)
	$(Q)for f in tests/fuzz/crashes/*-*; do \
		[ -e "$$f" ] || continue; t=$${f##*/}; t=$${t%%-*}; \
		$(FUZZ_OUT)/fuzz_$$t -timeout=10 "$$f" >$(FUZZ_OUT)/replay.log 2>&1 || \
			{ tail -n 40 $(FUZZ_OUT)/replay.log; echo "fuzz-replay: $$f fails"; exit 1; }; \
	done; echo "fuzz-replay: tests/fuzz/crashes/ clean"

# --- install -----------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: the loader, its man page and the
# example unit. systemd reads units from /usr/local/lib/systemd/system as well
# as /usr/lib/systemd/system, so $(PREFIX)/lib/systemd/system suits both
# PREFIX=/usr/local and a distribution's PREFIX=/usr.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install

install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/$(BIN))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	$(Q)$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/$(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(MANDIR)/man8/$(BIN).8)
	$(Q)$(INSTALL) -m 0644 doc/$(BIN).8 $(DESTDIR)$(MANDIR)/man8/$(BIN).8
	$(call msg,INSTALL,$(DESTDIR)$(UNITDIR)/$(BIN).service)
	$(Q)sed 's|/usr/local/sbin/$(BIN)|$(SBINDIR)/$(BIN)|' contrib/$(BIN).service \
		>$(DESTDIR)$(UNITDIR)/$(BIN).service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/$(BIN).service

uninstall:
	$(call msg,RM,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/$(BIN) $(DESTDIR)$(MANDIR)/man8/$(BIN).8 \
		$(DESTDIR)$(UNITDIR)/$(BIN).service

# --- set-up and maintenance --------------------------------------------------
deps:
	$(Q)tests/deps.sh

vmlinux:
	$(Q)tests/vm/gen-vmlinux-h > vmlinux.h.tmp && mv vmlinux.h.tmp vmlinux.h
	$(Q)mkdir -p vmlinux/arm64 && EVLAT_KERNEL_FLAVOUR=cloud-arm64 tests/vm/gen-vmlinux-h \
		> vmlinux/arm64/vmlinux.h.tmp && mv vmlinux/arm64/vmlinux.h.tmp vmlinux/arm64/vmlinux.h

format:
	$(Q)clang-format -i $(C_SRCS)

# clang-format over every C file, shellcheck over every shell script (tests/lint/shell-scripts
# lists them; guest scripts are POSIX sh for busybox ash, the others bash)
lint:
	$(call msg,FORMAT,$(words $(C_SRCS)) C files)
	$(Q)clang-format --dry-run --Werror $(C_SRCS)
	$(call msg,SHCHECK,$(words $(SH_SRCS)) shell scripts)
	$(Q)shellcheck -x $(SH_SRCS)

clean:
	$(Q)rm -rf $(OUT) $(BIN)

# objects stay after their binary is linked: the next build only recompiles what changed
.SECONDARY: $(ALL_OBJS)
-include $(wildcard $(ALL_OBJS:.o=.d))
