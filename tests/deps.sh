#!/bin/bash
# make deps: install every build and test dependency from Debian's packages.
# Idempotent: only missing packages are installed; apt-get only.
#
# The arm64 guest of the VM matrix needs the loader and trafgen cross-built: Debian multiarch
# (dpkg --add-architecture arm64) gives the cross compiler's libraries as :arm64 -dev packages.
# Its userland (busybox, ip, jq) is not installed: tests/vm/sysroot.sh unpacks it.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config      # build: loader (gcc), BPF object (clang -target bpf)
	libclang-rt-dev                     # make fuzz: libFuzzer, ASan, UBSan runtimes for clang
	libbpf-dev bpftool libelf-dev zlib1g-dev libmnl-dev  # libbpf + skeletons, netlink
	libmicrohttpd-dev                   # --prometheus: GET /metrics inside the epoll loop
	libgnutls28-dev libyaml-dev libcrypt-dev  # --web-config: TLS, the YAML file, bcrypt
	prometheus curl                     # tests/host/prometheus.sh: promtool, scrapes
	openssl apache2-utils               # tests/host/webconfig.sh: test CA (openssl), htpasswd
	clang-format groff-base man-db      # make lint / make format; man page checks
	shellcheck                          # make lint: every shell script
	iproute2 jq                         # host tests: netns, veth, ip mptcp monitor; JSON checks
	strace                              # VM tests: mptcpd's netlink traffic (tests/vm/mptcpd.sh)
	qemu-system-x86 busybox-static cpio # VM tests: TCG guests on a busybox initramfs
	xz-utils zstd lz4 kmod file         # kernel/module extraction (6.1 cloud: lz4), modinfo
	python3 libc6-dev                   # tests/kmod: adapting linux-kbuild host tools; shim build
	ca-certificates                     # apt-get download over https mirrors
	qemu-system-arm gcc-aarch64-linux-gnu  # the arm64 guest (TCG) and its cross-built binaries
)
# the loader's libraries for the arm64 cross build (make ARCH=arm64)
FOREIGN_ARCH=arm64
FOREIGN_PKGS=(libbpf-dev libelf-dev zlib1g-dev libmnl-dev libmicrohttpd-dev libgnutls28-dev libyaml-dev
	libcrypt-dev)

NATIVE_ARCH=$(dpkg --print-architecture)

# installed PKG ARCH...: PKG is installed for one of ARCH ("all" for architecture-independent
# packages); with a foreign architecture a package may be listed once per architecture
installed() {
	local p=$1
	shift
	dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null |
		grep -Eq "^install ok installed ($(IFS='|'; echo "$*"))$"
}

missing=()
for p in "${PKGS[@]}"; do installed "$p" "$NATIVE_ARCH" all || missing+=("$p"); done
for p in "${FOREIGN_PKGS[@]}"; do
	installed "$p" "$FOREIGN_ARCH" || missing+=("$p:$FOREIGN_ARCH")
done
if ((${#missing[@]} == 0)); then
	echo "deps: all $((${#PKGS[@]} + ${#FOREIGN_PKGS[@]})) packages present"
	exit 0
fi
if ((EUID != 0)); then
	echo "deps: missing ${missing[*]}; run as root (apt-get install)" >&2
	exit 1
fi
if ! dpkg --print-foreign-architectures | grep -qx "$FOREIGN_ARCH"; then
	echo "deps: dpkg --add-architecture $FOREIGN_ARCH"
	dpkg --add-architecture "$FOREIGN_ARCH"
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
