# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# mptcp-evlat: bpf/ (kernel side) -> include/ (records) -> src/ (loader) -> tests/
#
#   make            build ./mptcp-evlat and the static guest binaries in build/static/
#   make deps       install build and test dependencies (Debian, apt-get)
#   make test       unit + host + VM matrix tests (root)
#   make vmlinux    regenerate vmlinux.h from the newest kernel of the matrix
#   make V=1        show the commands

OUT := build
BIN := mptcp-evlat
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -MMD -MP -Iinclude -Isrc -I$(OUT) -DEVLAT_VERSION='"$(VERSION)"'
# -fms-extensions: since 6.18 the kernel embeds tagged structs anonymously
# (struct ns_common { ... struct ns_tree; }), and bpftool dumps them that way.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ -I. -Iinclude \
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
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LOADER_SRCS := $(wildcard src/*.c)
LOADER_OBJS := $(LOADER_SRCS:src/%.c=$(OUT)/%.o)
# everything but main(): what unit tests link against
CORE_OBJS := $(filter-out $(OUT)/main.o,$(LOADER_OBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
TRAFGEN_SRCS := $(wildcard tests/trafgen/*.c)

.DELETE_ON_ERROR:
.PHONY: all deps test test-unit test-host vmtest vmlinux format lint clean bench install uninstall soak

all: $(BIN) $(OUT)/static/$(BIN) $(OUT)/static/trafgen

$(OUT) $(OUT)/static $(OUT)/tests:
	$(Q)mkdir -p $@

# --- BPF object and skeleton -------------------------------------------------
$(OUT)/evlat.bpf.o: bpf/evlat.bpf.c include/evlat_record.h vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/evlat.skel.h: $(OUT)/evlat.bpf.o Makefile
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name evlat_bpf > $@

# --- loader ------------------------------------------------------------------
$(OUT)/%.o: src/%.c $(OUT)/evlat.skel.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(LOADER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS) -lm -o $@

# the same objects, linked statically: a guest initramfs needs no libraries
$(OUT)/static/$(BIN): $(LOADER_OBJS) | $(OUT)/static
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(STATIC_LIBS) -lm -o $@

# --- tests -------------------------------------------------------------------
$(OUT)/static/trafgen: $(TRAFGEN_SRCS) | $(OUT)/static
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -static $(TRAFGEN_SRCS) -o $@

$(OUT)/tests/%: tests/unit/%.c $(CORE_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -lm -o $@

# host-side test tools (netlink capture, listener, MPTCP pair); tests/tools/*_preload.c
# are LD_PRELOAD shims, built as shared objects (build/tools/NAME_preload.so)
TOOLS := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(filter-out %_preload.c,$(wildcard tests/tools/*.c)))
PRELOADS := $(patsubst tests/tools/%.c,$(OUT)/tools/%.so,$(wildcard tests/tools/*_preload.c))

$(OUT)/tools:
	$(Q)mkdir -p $@

$(OUT)/tools/%: tests/tools/%.c $(CORE_OBJS) | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -lm -o $@

$(OUT)/tools/%_preload.so: tests/tools/%_preload.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -fPIC -shared $< -ldl -o $@

test-unit: $(UNIT_TESTS)
	$(Q)tests/unit/run $(UNIT_TESTS)

test-host: all $(TOOLS) $(PRELOADS)
	$(Q)tests/host/run

vmtest: all
	$(Q)tests/vm/run

test: test-unit test-host vmtest

$(OUT)/bench/bench_correlate: tests/bench/bench_correlate.c $(CORE_OBJS)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -lm -o $@

# 10 minutes of churn in one trixie guest, the tracer's RSS sampled (tests/vm/guest/soak.sh)
soak: all
	$(Q)tests/vm/run --suite trixie --suite-script tests/vm/guest/soak.sh --timeout 900

$(OUT)/bench/bench_rss: tests/bench/bench_rss.c $(OUT)/correlate.o $(OUT)/hist.o
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -lm -o $@

# BENCH_FLAGS: --icount (instruction-counted guest clock), --no-vm, --suite SUITE
bench: all $(OUT)/bench/bench_correlate $(OUT)/bench/bench_rss
	$(Q)tests/bench/run $(BENCH_FLAGS)

# --- fuzzing: libFuzzer + ASan/UBSan (clang; Debian: clang, libclang-rt-dev) ---------------
#   make fuzz                   each harness FUZZ_SECONDS on build/fuzz/corpus/NAME (tests/fuzz/)
#   make fuzz FUZZ_SECONDS=10   CI smoke run
#   make fuzz-replay            the saved inputs of tests/fuzz/crashes/, once each
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -std=gnu11 $(WARN) -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Iinclude -Isrc
FUZZ_TARGETS := nl_decode correlate record
FUZZ_BINS := $(FUZZ_TARGETS:%=$(OUT)/fuzz/fuzz_%)

# what each harness links from src/, compiled here with the sanitizers
$(OUT)/fuzz/fuzz_nl_decode: src/nl_decode.c src/genl.c src/names.c src/line.c
$(OUT)/fuzz/fuzz_correlate: src/correlate.c
$(OUT)/fuzz/fuzz_record: src/record_fmt.c src/names.c src/line.c
$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(wildcard src/*.h include/*.h)
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -lmnl -o $@

.PHONY: fuzz fuzz-replay
fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/seeds.sh $(OUT)/fuzz/corpus
	$(Q)mkdir -p $(OUT)/fuzz/artifacts
	$(Q)for t in $(FUZZ_TARGETS); do \
		echo "  FUZZ     $$t, $(FUZZ_SECONDS) s"; \
		$(OUT)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-print_final_stats=1 -artifact_prefix=$(OUT)/fuzz/artifacts/$$t- \
			$(OUT)/fuzz/corpus/$$t >$(OUT)/fuzz/$$t.log 2>&1 || \
			{ tail -n 40 $(OUT)/fuzz/$$t.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE|^stat::average_exec_per_sec' $(OUT)/fuzz/$$t.log; \
	done

fuzz-replay: $(FUZZ_BINS)
	$(Q)for f in tests/fuzz/crashes/*-*; do \
		[ -e "$$f" ] || continue; t=$${f##*/}; t=$${t%%-*}; \
		$(OUT)/fuzz/fuzz_$$t -timeout=10 "$$f" >$(OUT)/fuzz/replay.log 2>&1 || \
			{ tail -n 40 $(OUT)/fuzz/replay.log; echo "fuzz-replay: $$f fails"; exit 1; }; \
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

format:
	$(Q)clang-format -i src/*.c src/*.h include/*.h bpf/*.c tests/unit/*.c tests/trafgen/*.c \
		tests/tools/*.c tests/bench/*.c tests/fuzz/*.c tests/fuzz/*.h

lint:
	$(Q)clang-format --dry-run --Werror src/*.c src/*.h include/*.h bpf/*.c tests/unit/*.c \
		tests/trafgen/*.c tests/tools/*.c tests/bench/*.c tests/fuzz/*.c tests/fuzz/*.h
	$(Q)bash -n tests/vm/run tests/vm/*.sh tests/host/*.sh tests/lib/*.sh tests/fuzz/seeds.sh .ci/run \
		tests/bench/run tests/bench/icount/qemu-system-x86_64

clean:
	$(Q)rm -rf $(OUT) $(BIN)

-include $(wildcard $(OUT)/*.d $(OUT)/tests/*.d)
