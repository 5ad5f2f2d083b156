#!/usr/bin/env bash
# Build the test-only module evlat_fault.ko for the newest cloud kernel of a Debian suite.
#
# usage: tests/kmod/build.sh SUITE        (bookworm, trixie, sid, experimental; the flavour:
#                                         EVLAT_KERNEL_FLAVOUR, as for tests/vm/kernels.sh)
#
# Prints the path of build/kmod/<release>/evlat_fault.ko on stdout. When the module cannot be
# built for that kernel, exits 77 with one line on stderr: "cannot build for this kernel: REASON".
# Other exit codes: 2 usage, 1 the build itself failed (a bug: build/kmod/<release>/build.log).
#
# Against Debian's linux-headers-<release> + linux-headers-<abi>-common + linux-kbuild-<ver>
# (tests/vm/kernels.sh fetch-headers SUITE --extract), without installing them:
#   build/kmod/<release>/kbuild/     a private objtree: the flavour headers dir, its Makefile's
#                                    absolute /usr/src paths pointed at the extracted tree
#   build/kmod/<release>/src/        a copy of the sources, and kbuild's output
#   build/kmod/<release>/hosttools/  linux-kbuild's scripts/ and tools/, adapted (see below)
#   build/kmod/<release>/evlat_fault.ko, build.log
#
# Compiler: the kernel's (CC in the headers' .kernelvariables: gcc-12 for bookworm, gcc-14 for
# trixie, gcc-16 for sid) when installed. Otherwise the host's gcc-12 stands in (set
# EVLAT_KMOD_CC_FALLBACK=0 to refuse): its only missing option, -fmin-function-alignment=N
# (gcc 14), becomes -falign-functions=N, what the kernel's Makefile itself uses for compilers
# without it. Host tools: trixie's and sid's linux-kbuild binaries need glibc >= 2.38, only for
# C23's __isoc23_strto*(): glibc-compat.py renames that requirement and libc23shim.so supplies
# the functions. tests/kmod/README.md has the details and what was measured.
set -euo pipefail

KMOD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$KMOD_DIR/../.." && pwd)
E_FAIL=1 E_USAGE=2 E_SKIP=77
SHIM_SYMBOLS="__isoc23_strtol; __isoc23_strtoll; __isoc23_strtoul; __isoc23_strtoull;"

log() { printf 'kmod: %s\n' "$*" >&2; }

skip() {
	printf 'cannot build for this kernel: %s\n' "$*" >&2
	exit "$E_SKIP"
}

have() { command -v "$1" >/dev/null 2>&1; }

# find_headers SUITE: sets KVER, ROOT (extracted packages), FLAVOUR (the headers dir), COMMON
# (the -common dir, as /usr/src/...), KB_SCRIPTS and KB_TOOLS (linux-kbuild's).
find_headers() {
	local hdir rc=0
	hdir=$("$REPO/tests/vm/kernels.sh" fetch-headers "$1" --extract) || rc=$?
	((rc == 0)) || skip "no linux-headers for the $1 kernel (tests/vm/kernels.sh fetch-headers exit $rc)"
	KVER=${hdir##*/}
	ROOT=$hdir/root
	FLAVOUR=$ROOT/usr/src/linux-headers-$KVER
	[[ -f $FLAVOUR/.config && -f $FLAVOUR/Makefile && -f $FLAVOUR/Module.symvers ]] ||
		skip "$FLAVOUR is not a linux-headers tree"
	COMMON=$(sed -n 's|^include \(/usr/src/[^ ]*\)/Makefile$|\1|p' "$FLAVOUR/Makefile" | head -n 1)
	[[ -n $COMMON && -f $ROOT$COMMON/Makefile ]] || skip "cannot find the -common headers of $KVER"
	KB_SCRIPTS=$(readlink -f "$FLAVOUR/scripts")
	KB_TOOLS=$(readlink -f "$FLAVOUR/tools")
	[[ -x $KB_SCRIPTS/basic/fixdep && -x $KB_SCRIPTS/mod/modpost ]] ||
		skip "no linux-kbuild tools for $KVER"
}

# choose_compiler: sets MAKE_CC (make arguments) and HOST_CC.
choose_compiler() {
	local vars=$FLAVOUR/.kernelvariables kcc cross
	# CC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-14
	kcc=$(sed -n 's/^CC = .*)\(gcc-[0-9][0-9]*\)[[:space:]]*$/\1/p' "$vars" 2>/dev/null | head -n 1)
	[[ -n $kcc ]] || skip "cannot tell the compiler of $KVER from its headers"
	cross=$(sed -n 's/^override CROSS_COMPILE = //p' "$vars" 2>/dev/null | head -n 1)
	MAKE_CC=()
	HOST_CC=gcc
	if have "$cross$kcc" || have "$kcc"; then
		have "$cross$kcc" || MAKE_CC=(CROSS_COMPILE=)
		HOST_CC=$kcc
		log "$KVER: compiler $kcc (the kernel's)"
		return 0
	fi
	[[ ${EVLAT_KMOD_CC_FALLBACK:-1} == 1 ]] || skip "$KVER was built with $kcc, not installed here"
	have gcc-12 && HOST_CC=gcc-12
	have "$HOST_CC" || skip "$KVER was built with $kcc; there is no gcc here"
	cat >"$OUT/cc" <<EOF
#!/bin/sh
# $HOST_CC standing in for $kcc (tests/kmod/build.sh): gcc 14's -fmin-function-alignment=N is
# -falign-functions=N, the kernel Makefile's own fallback for compilers without it.
for a; do
	shift
	case \$a in
	-fmin-function-alignment=*) set -- "\$@" "-falign-functions=\${a#*=}" ;;
	*) set -- "\$@" "\$a" ;;
	esac
done
exec $HOST_CC "\$@"
EOF
	chmod 0755 "$OUT/cc"
	MAKE_CC=("CC=$OUT/cc" "HOSTCC=$HOST_CC")
	log "$KVER: $kcc is not installed: $HOST_CC stands in ($OUT/cc)"
}

elf_files() { # DIR...: the executable ELF files under DIR
	find "$@" -type f -perm -u+x -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print
}

tools_runnable() { # DIR...: does every ELF under DIR load with this machine's libraries?
	local f
	while read -r f; do
		LC_ALL=C ldd "$f" 2>&1 | grep -q 'not found' && return 1
	done < <(elf_files "$@")
	return 0
}

# host_tools: sets SCRIPTS_DIR and TOOLS_DIR: linux-kbuild's when they run here, else adapted
# copies (newer-glibc requirement renamed, libc23shim.so preloaded by a wrapper script).
host_tools() {
	local ht=$OUT/hosttools glibc f elfs
	SCRIPTS_DIR=$KB_SCRIPTS TOOLS_DIR=$KB_TOOLS
	rm -rf "$ht"
	tools_runnable "$KB_SCRIPTS" "$KB_TOOLS" && return 0
	glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }')
	[[ -n $glibc ]] || skip "the linux-kbuild tools of $KVER do not run here (no glibc)"
	have python3 || skip "the linux-kbuild tools of $KVER need a newer glibc (no python3 to adapt them)"
	mkdir -p "$ht"
	cp -a "$KB_SCRIPTS" "$ht/scripts"
	cp -a "$KB_TOOLS" "$ht/tools"
	printf 'GLIBC_2.34 { global: %s local: *; };\n' "$SHIM_SYMBOLS" >"$ht/libc23shim.map"
	"$HOST_CC" -O2 -shared -fPIC -Wl,--version-script="$ht/libc23shim.map" \
		-o "$ht/libc23shim.so" "$KMOD_DIR/libc23shim.c" >>"$LOG" 2>&1 ||
		skip "cannot build libc23shim.so (see $LOG)"
	mapfile -t elfs < <(elf_files "$ht/scripts" "$ht/tools")
	python3 "$KMOD_DIR/glibc-compat.py" "$glibc" "${elfs[@]}" >>"$LOG" 2>&1 ||
		skip "the linux-kbuild tools of $KVER need glibc symbols newer than $glibc:" \
			"$(grep needs "$LOG" | head -n 1)"
	# kbuild runs the tools by these paths: each patched one becomes a wrapper preloading the shim
	for f in "${elfs[@]}"; do
		grep -qF "$f: GLIBC" "$LOG" || continue
		mv "$f" "$f.elf"
		# shellcheck disable=SC2016 # the wrapper's own variables
		printf '#!/bin/sh\nLD_PRELOAD=%s${LD_PRELOAD:+:$LD_PRELOAD} exec "$0.elf" "$@"\n' \
			"$ht/libc23shim.so" >"$f"
		chmod 0755 "$f"
	done
	tools_runnable "$ht/scripts" "$ht/tools" ||
		skip "the adapted linux-kbuild tools of $KVER still do not run (see $LOG)"
	SCRIPTS_DIR=$ht/scripts TOOLS_DIR=$ht/tools
	log "$KVER: linux-kbuild tools need glibc > $glibc: adapted copies in $ht"
}

# make_objtree DIR: the flavour headers dir, with its own Makefile, scripts/ and tools/.
make_objtree() {
	local obj=$1 e
	rm -rf "$obj"
	mkdir -p "$obj"
	for e in "$FLAVOUR"/* "$FLAVOUR"/.[!.]*; do
		[[ -e $e ]] || continue
		# no vmlinux (6.12+ ship one for module BTF): that needs pahole, and the tests do not
		case ${e##*/} in Makefile | scripts | tools | vmlinux) continue ;; esac
		ln -s "$(readlink -f "$e")" "$obj/${e##*/}"
	done
	ln -s "$SCRIPTS_DIR" "$obj/scripts"
	ln -s "$TOOLS_DIR" "$obj/tools"
	# The flavour Makefile names absolute /usr/src paths: the -common tree it includes and
	# (7.x) KBUILD_OUTPUT, the objtree itself.
	sed -e "s|^KBUILD_OUTPUT *=.*|KBUILD_OUTPUT=$obj|" -e "s|^include /usr/src/|include $ROOT/usr/src/|" \
		"$FLAVOUR/Makefile" >"$obj/Makefile"
}

build_module() {
	local src=$OUT/src t0 vermagic
	rm -rf "$src" "$OUT/evlat_fault.ko"
	mkdir -p "$src"
	cp "$KMOD_DIR/Kbuild" "$KMOD_DIR/evlat_fault.c" "$src/"
	t0=$EPOCHREALTIME
	if ! make -C "$OUT/kbuild" M="$src" "${MAKE_CC[@]}" modules >>"$LOG" 2>&1; then
		sed 's/^/kmod:   /' "$LOG" | tail -n 20 >&2
		log "build failed for $KVER (full log: $LOG)"
		exit "$E_FAIL"
	fi
	# the kernel refuses a module whose vermagic is not its own
	vermagic=$(modinfo -F vermagic "$src/evlat_fault.ko" 2>/dev/null || true)
	[[ ${vermagic%% *} == "$KVER" ]] || skip "built, but vermagic '$vermagic' is not $KVER"
	# the guest's copy without debug info (src/ keeps it): ~20 KiB instead of ~0.5 MiB
	strip --strip-debug -o "$OUT/evlat_fault.ko" "$src/evlat_fault.ko" 2>>"$LOG" ||
		cp "$src/evlat_fault.ko" "$OUT/evlat_fault.ko"
	log "$KVER: built in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

main() {
	[[ $# == 1 && $1 =~ ^(bookworm|trixie|sid|experimental)$ ]] || {
		echo "usage: ${0##*/} bookworm|trixie|sid|experimental" >&2
		exit "$E_USAGE"
	}
	have make || skip "no make on this machine"
	find_headers "$1"
	OUT=$REPO/build/kmod/$KVER
	LOG=$OUT/build.log
	mkdir -p "$OUT"
	: >"$LOG"
	choose_compiler
	host_tools
	make_objtree "$OUT/kbuild"
	build_module
	printf '%s\n' "$OUT/evlat_fault.ko"
}

main "$@"
