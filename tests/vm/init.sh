#!/bin/busybox sh
# shellcheck shell=dash
# /init of the QEMU test guests (busybox sh, PID 1). Copied into each initramfs by tests/vm/run.
#
# Mounts the pseudo filesystems, brings lo up, loads the modules listed in
# /etc/evlat/modules.list, runs the guest suite under a timeout, then writes the framed result
# and the full dmesg to the result channel (/dev/ttyS1) and powers off.
#
# Host -> guest: kernel command line "evlat.nonce=<hex>"; /etc/evlat/vm.conf (sh assignments:
# EVLAT_SUITE_SCRIPT, EVLAT_TEST_TIMEOUT, EVLAT_KERNEL_SUITE, EVLAT_KVER, EVLAT_PHASES,
# EVLAT_KMOD_SKIP).
# Guest -> host on ttyS1 (or the device evlat.result= names on the kernel command line):
#   EVLAT-BEGIN <nonce> / key=value lines of $EVLAT_RESULT / EVLAT-RC <rc> / EVLAT-UNAME <release>
#   / EVLAT-END <nonce>, then EVLAT-DMESG-BEGIN <nonce> / dmesg / EVLAT-DMESG-END <nonce>.
# Console (ttyS0) markers for the host's timings: EVLAT-INIT, EVLAT-SUITE-START, EVLAT-SUITE-END.
# This file must never exit: PID 1 exiting panics the kernel (the host then reports no result).

PATH=/opt/evlat/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
RESULT_TTY=/dev/ttyS1 # evlat.result=NAME on the kernel command line: /dev/NAME (arm64: hvc0)

say() { echo "evlat-init: $*"; }

mount_fs() { # TYPE TARGET [OPTIONS]
	mkdir -p "$2"
	# busybox-static (bookworm) has no mountpoint applet: read /proc/mounts
	[ -r /proc/mounts ] && grep -q " $2 " /proc/mounts && return 0
	if [ -n "${3:-}" ]; then
		mount -t "$1" -o "$3" "$1" "$2"
	else
		mount -t "$1" "$1" "$2"
	fi || say "cannot mount $1 on $2"
}

mount_all() {
	mount_fs proc /proc
	mount_fs sysfs /sys
	mount_fs devtmpfs /dev
	mount_fs devpts /dev/pts
	mount_fs tmpfs /dev/shm
	mount_fs tmpfs /run mode=0755
	mount_fs tmpfs /tmp mode=1777
	mount_fs bpf /sys/fs/bpf mode=0700
	if grep -qw debugfs /proc/filesystems; then mount_fs debugfs /sys/kernel/debug; fi
	if grep -qw tracefs /proc/filesystems; then mount_fs tracefs /sys/kernel/tracing; fi
	mkdir -p /var /root
	[ -e /var/run ] || ln -s /run /var/run
}

cmdline_arg() { # NAME: value of NAME=... on the kernel command line
	read -r cmdline </proc/cmdline
	for arg in $cmdline; do
		case $arg in "$1"=*) echo "${arg#*=}"; return 0 ;; esac
	done
	return 1
}

load_modules() {
	[ -f /etc/evlat/modules.list ] || return 0
	while read -r ko; do
		[ -n "$ko" ] || continue
		name=${ko##*/}
		name=${name%.ko}
		if insmod "$ko"; then
			echo "vm_module_$name=loaded" >>"$EVLAT_RESULT"
		else
			say "insmod $ko failed"
			echo "vm_module_$name=failed" >>"$EVLAT_RESULT"
		fi
	done </etc/evlat/modules.list
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

run_suite() {
	cd /tmp || return 1
	echo "EVLAT-SUITE-START $(uptime_s)"
	timeout -s KILL "$EVLAT_TEST_TIMEOUT" /bin/sh "$EVLAT_SUITE_SCRIPT" </dev/null
	rc=$?
	echo "EVLAT-SUITE-END rc=$rc $(uptime_s)"
	return $rc
}

write_result() { # RC
	stty -F "$RESULT_TTY" raw -echo 2>/dev/null
	{
		echo "EVLAT-BEGIN $NONCE"
		grep -E '^[A-Za-z0-9_.-]+=' "$EVLAT_RESULT"
		echo "EVLAT-RC $1"
		echo "EVLAT-UNAME $(uname -r)"
		echo "EVLAT-END $NONCE"
		echo "EVLAT-DMESG-BEGIN $NONCE"
		dmesg
		echo "EVLAT-DMESG-END $NONCE"
	} >"$RESULT_TTY" || say "cannot write to $RESULT_TTY"
}

power_off() {
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	while :; do sleep 1; done
}

# The applets as links (/bin/sh included); existing files such as /usr/sbin/ip stay.
install_busybox() {
	/bin/busybox mkdir -p /proc /usr/bin /usr/sbin /sbin
	/bin/busybox mount -t proc proc /proc
	/bin/busybox --install -s
}

main() {
	install_busybox
	mount_all
	exec </dev/console >/dev/console 2>&1
	echo "EVLAT-INIT $(uptime_s)"
	NONCE=$(cmdline_arg evlat.nonce) || NONCE=missing
	if tty=$(cmdline_arg evlat.result); then RESULT_TTY=/dev/$tty; fi
	EVLAT_SUITE_SCRIPT=/opt/evlat/guest/suite.sh
	EVLAT_TEST_TIMEOUT=300
	EVLAT_KERNEL_SUITE=custom
	EVLAT_KVER=
	EVLAT_PHASES=
	EVLAT_KMOD_SKIP=
	# shellcheck disable=SC1091
	[ -f /etc/evlat/vm.conf ] && . /etc/evlat/vm.conf
	EVLAT_RESULT=/tmp/result.kv
	IP=/usr/sbin/ip
	HOME=/root
	TMPDIR=/tmp
	export EVLAT_RESULT IP HOME TMPDIR EVLAT_SUITE_SCRIPT EVLAT_TEST_TIMEOUT EVLAT_KERNEL_SUITE \
		EVLAT_KVER EVLAT_PHASES EVLAT_KMOD_SKIP
	export EVLAT_BIN=/opt/evlat/bin EVLAT_GUEST=/opt/evlat/guest EVLAT_LIB=/opt/evlat/lib
	: >"$EVLAT_RESULT"
	hostname evlat-vm
	if [ -x "$IP" ]; then "$IP" link set lo up; else ip link set lo up; fi
	load_modules
	run_suite
	write_result $?
	power_off
}

main
