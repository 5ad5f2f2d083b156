#!/usr/bin/env bash
# Debian kernels for the QEMU test matrix: fetch, cache, extract; find the ELF inside a vmlinuz.
#
# CLI:
#   tests/vm/kernels.sh fetch SUITE                  newest <flavour> kernel of SUITE; prints its dir
#   tests/vm/kernels.sh fetch-headers SUITE [--extract]
#                                                    linux-headers-<kver> .debs (+ -common, kbuild)
#   tests/vm/kernels.sh path SUITE                   cached kernel dir of SUITE, no network
#   tests/vm/kernels.sh prune SUITE                  drop cached kernels of SUITE except the current one
#   tests/vm/kernels.sh btf-elf VMLINUZ OUT_ELF      write the ELF (with .BTF) inside a vmlinuz
#   tests/vm/kernels.sh btf KERNEL OUT               write what `bpftool btf dump file` reads: the
#                                                    ELF inside a compressed vmlinuz (x86-64), or
#                                                    the raw .BTF of an uncompressed Image (arm64)
#
# Sourceable: `source tests/vm/kernels.sh` defines the kernels_* functions and runs nothing.
#
# Cache:  ${EVLAT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mptcp-evlat/kernels}/<suite>/
#         (<suite>-<flavour>/ for another flavour than cloud-amd64: trixie-rt-amd64/, sid-cloud-arm64/)
#           apt/            private apt configuration, lists and archive cache
#           <kver>/         vmlinuz, version, config (if shipped), modules/ (lib/modules/<kver> tree)
#           headers/<kver>/ linux-headers .debs (fetch-headers)
#           current         symlink to the last resolved <kver>
#
# Environment:
#   EVLAT_KERNEL_CACHE           cache root (see above)
#   EVLAT_KERNEL_FLAVOUR         kernel flavour, default cloud-amd64 (meta package linux-image-<flavour>):
#                                rt-amd64 (PREEMPT_RT), cloud-arm64, ...; its last word is the Debian
#                                architecture whose package lists are read
#   EVLAT_APT_MAX_AGE            seconds the package lists stay fresh, default 3600 (0: always update)
#   EVLAT_DEBIAN_MIRROR          Debian archive URI (default: read from the system's apt sources)
#   EVLAT_DEBIAN_SECURITY_MIRROR security archive URI (default: read from the system's apt sources)
#
# Exit codes: 0 ok, 2 usage, 3 missing tool, 4 no Debian mirror in the apt sources,
#             5 registry unreachable and nothing cached, 6 package resolution failed,
#             7 download or extraction failed, 8 no ELF (btf-elf) or no BTF (btf) in the kernel.

# Exit codes (also used by tests/vm/run through `source`).
KERNELS_E_USAGE=2 KERNELS_E_TOOL=3 KERNELS_E_MIRROR=4 KERNELS_E_OFFLINE=5
KERNELS_E_RESOLVE=6 KERNELS_E_FETCH=7 KERNELS_E_NOELF=8

KERNELS_FLAVOUR=${EVLAT_KERNEL_FLAVOUR:-cloud-amd64}
KERNELS_DEFAULT_FLAVOUR=cloud-amd64
KERNELS_CACHE=${EVLAT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mptcp-evlat/kernels}
KERNELS_APT_MAX_AGE=${EVLAT_APT_MAX_AGE:-3600}
KERNELS_DEFAULT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

kernels_log() { printf 'kernels: %s\n' "$*" >&2; }

# kernels_die CODE MESSAGE: print MESSAGE and exit with CODE (from a subshell: returns CODE).
kernels_die() {
	local code=$1
	shift
	printf 'kernels: error: %s\n' "$*" >&2
	exit "$code"
}

kernels_need_tools() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			kernels_die "$KERNELS_E_TOOL" "'$tool' not found (Debian packages: apt, dpkg, xz-utils, zstd, lz4, util-linux)"
	done
}

kernels_check_suite() {
	[[ $1 =~ ^[a-z][a-z0-9]*$ ]] || kernels_die "$KERNELS_E_USAGE" "bad suite name '$1' (bookworm, trixie, sid, experimental)"
}

# kernels_suite_dir SUITE: the cache of SUITE's kernels of KERNELS_FLAVOUR
kernels_suite_dir() {
	if [[ $KERNELS_FLAVOUR == "$KERNELS_DEFAULT_FLAVOUR" ]]; then
		printf '%s/%s\n' "$KERNELS_CACHE" "$1"
	else
		printf '%s/%s-%s\n' "$KERNELS_CACHE" "$1" "$KERNELS_FLAVOUR"
	fi
}

# kernels_arch: the Debian architecture of KERNELS_FLAVOUR (cloud-arm64 -> arm64)
kernels_arch() { printf '%s\n' "${KERNELS_FLAVOUR##*-}"; }

# ---------------------------------------------------------------------------------------------
# The system's apt sources -> mirror URIs (never hard-coded).

# Prints "main URI KEYRING" / "security URI KEYRING" lines for each Debian entry of the system's
# apt sources (deb822 *.sources and one-line *.list). KEYRING is "-" when the entry names none.
kernels_system_sources() {
	local codename=bookworm files=() f
	if [[ -r /etc/os-release ]]; then
		codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
	fi
	for f in /etc/apt/sources.list.d/*.sources; do [[ -r $f ]] && files+=("$f"); done
	if ((${#files[@]})); then
		awk -v codename="$codename" -f <(kernels_awk_common; kernels_awk_deb822) "${files[@]}"
	fi
	files=()
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [[ -r $f ]] && files+=("$f"); done
	if ((${#files[@]})); then
		awk -v codename="$codename" -f <(kernels_awk_common; kernels_awk_oneline) "${files[@]}"
	fi
}

kernels_awk_common() {
	cat <<'AWK'
# kind(suite): "main" for a Debian release suite, "security" for its security suite, "" otherwise.
function kind(suite,   base) {
	base = suite
	sub(/(-security|\/updates)$/, "", base)
	if (base != codename && base !~ /^(oldoldstable|oldstable|stable|testing|unstable|sid|bullseye|bookworm|trixie|forky|duke)$/)
		return ""
	if (base == suite) return "main"
	return "security"
}
function emit(uris, suites, keyring,   n, s, i, k, u) {
	split(uris, u, /[ \t]+/)
	sub(/\/+$/, "", u[1])
	if (keyring == "") keyring = "-"
	n = split(suites, s, /[ \t]+/)
	for (i = 1; i <= n; i++) {
		k = kind(s[i])
		if (k != "" && u[1] != "") print k, u[1], keyring
	}
}
AWK
}

kernels_awk_deb822() {
	cat <<'AWK'
function flush() {
	if (f["types"] ~ /(^|[ \t])deb([ \t]|$)/ && tolower(f["enabled"]) != "no") {
		key = f["signed-by"]
		if (key !~ /^\//) key = ""
		emit(f["uris"], f["suites"], key)
	}
	delete f
}
FNR == 1 { flush() }
/^#/ { next }
/^[ \t]*$/ { flush(); next }
/^[ \t]/ { next }   # continuation lines (an inline key): ignored
/^[A-Za-z-]+:/ {
	name = tolower(substr($0, 1, index($0, ":") - 1))
	value = substr($0, index($0, ":") + 1)
	gsub(/^[ \t]+|[ \t]+$/, "", value)
	f[name] = value
}
END { flush() }
AWK
}

kernels_awk_oneline() {
	cat <<'AWK'
/^[ \t]*deb[ \t]/ {
	line = $0
	sub(/^[ \t]*deb[ \t]+/, "", line)
	key = ""
	if (line ~ /^\[/) {
		opts = substr(line, 2, index(line, "]") - 2)
		line = substr(line, index(line, "]") + 1)
		n = split(opts, o, /[ \t]+/)
		for (i = 1; i <= n; i++) if (o[i] ~ /^signed-by=\//) key = substr(o[i], 11)
	}
	sub(/^[ \t]+/, "", line)
	split(line, w, /[ \t]+/)
	emit(w[1], w[2], key)
}
AWK
}

# kernels_mirror KIND: URI and keyring ("URI KEYRING") of the first source of KIND (main|security).
kernels_mirror() {
	local kind=$1 override uri key
	if [[ $kind == main ]]; then override=${EVLAT_DEBIAN_MIRROR:-}; else override=${EVLAT_DEBIAN_SECURITY_MIRROR:-}; fi
	if [[ -n $override ]]; then
		printf '%s %s\n' "${override%/}" -
		return 0
	fi
	read -r uri key < <(kernels_system_sources | awk -v k="$kind" '$1 == k { print $2, $3; exit }') || true
	[[ -n ${uri:-} ]] || return 1
	printf '%s %s\n' "$uri" "$key"
}

# kernels_write_sources SUITE FILE: private one-line sources list for SUITE (+ -updates, -security).
kernels_write_sources() {
	local suite=$1 file=$2 uri key opt sec_uri sec_key
	read -r uri key < <(kernels_mirror main) ||
		kernels_die "$KERNELS_E_MIRROR" "no Debian archive found in /etc/apt/sources.list{,.d/*} (set EVLAT_DEBIAN_MIRROR)"
	[[ $key == - && -r $KERNELS_DEFAULT_KEYRING ]] && key=$KERNELS_DEFAULT_KEYRING
	opt=""
	[[ $key != - ]] && opt="[signed-by=$key] "
	{
		printf 'deb %s%s %s main\n' "$opt" "$uri" "$suite"
		case $suite in
		sid | unstable | experimental) ;;
		*)
			printf 'deb %s%s %s-updates main\n' "$opt" "$uri" "$suite"
			if read -r sec_uri sec_key < <(kernels_mirror security); then
				[[ $sec_key == - && -r $KERNELS_DEFAULT_KEYRING ]] && sec_key=$KERNELS_DEFAULT_KEYRING
				opt=""
				[[ $sec_key != - ]] && opt="[signed-by=$sec_key] "
				printf 'deb %s%s %s-security main\n' "$opt" "$sec_uri" "$suite"
			else
				kernels_log "notice: no security archive in the apt sources: $suite-security not searched"
			fi
			;;
		esac
	} >"$file"
}

# ---------------------------------------------------------------------------------------------
# Private apt.

# kernels_apt_setup SUITE [DIR [ARCH]]: fills the global array KERNELS_APT with the private apt
# options (lists and archives in DIR, default the suite's cache; ARCH default kernels_arch).
kernels_apt_setup() {
	local suite=$1 adir=${2:-} arch=${3:-}
	[[ -n $adir ]] || adir=$(kernels_suite_dir "$suite")/apt
	[[ -n $arch ]] || arch=$(kernels_arch)
	mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial" "$adir/preferences.d"
	[[ -e $adir/status ]] || : >"$adir/status"
	kernels_write_sources "$suite" "$adir/sources.list.new"
	mv -f "$adir/sources.list.new" "$adir/sources.list"
	KERNELS_APT=(
		-o "Dir::Etc::SourceList=$adir/sources.list"
		-o "Dir::Etc::SourceParts=-"
		-o "Dir::Etc::Preferences=$adir/preferences"
		-o "Dir::Etc::PreferencesParts=$adir/preferences.d"
		-o "Dir::State::Lists=$adir/lists"
		-o "Dir::State::status=$adir/status"
		-o "Dir::Cache=$adir/cache"
		-o "Dir::Cache::pkgcache="
		-o "Dir::Cache::srcpkgcache="
		-o "APT::Architecture=$arch"
		-o "APT::Architectures=$arch"
		-o "Acquire::Languages=none"
		-o "Acquire::Retries=1"
		-o "APT::Get::List-Cleanup=false"
		-o "Acquire::http::Timeout=20"
	)
	# The cache usually lives under a 0700 $HOME that apt's _apt sandbox user cannot enter.
	((EUID == 0)) && KERNELS_APT+=(-o "APT::Sandbox::User=root")
	return 0
}

# kernels_apt_update SUITE [DIR]: refresh the private package lists (in DIR, default the suite's
# cache) unless fresher than the max age (then KERNELS_LISTS_UNCHANGED=1).
kernels_apt_update() {
	local suite=$1 adir=${2:-} stamp age log
	[[ -n $adir ]] || adir=$(kernels_suite_dir "$suite")/apt
	KERNELS_LISTS_UNCHANGED=0
	stamp=$adir/updated
	if [[ -f $stamp ]] && cmp -s "$stamp" "$adir/sources.list"; then
		age=$(($(date +%s) - $(stat -c %Y "$stamp")))
		if ((age < KERNELS_APT_MAX_AGE)); then
			kernels_log "$suite: package lists are ${age}s old (max ${KERNELS_APT_MAX_AGE}s): not updated"
			KERNELS_LISTS_UNCHANGED=1
			return 0
		fi
	fi
	log=$adir/update.log
	kernels_log "$suite: updating the private package lists"
	if apt-get "${KERNELS_APT[@]}" -q update >"$log" 2>&1 && ! grep -qE '^(E:|Err:)' "$log"; then
		cp -f "$adir/sources.list" "$stamp"
		return 0
	fi
	kernels_log "$suite: apt-get update failed (see $log)"
	rm -f "$stamp"
	return 1
}

# apt-cache show is slow here (it inflates the compressed lists on each call): records are read in
# batches into KERNELS_RECORDS and looked up from there.
KERNELS_RECORDS=""

# kernels_load_records PKG[=VER]...: add the records of the candidate (or given) versions.
kernels_load_records() {
	KERNELS_RECORDS+=$(apt-cache "${KERNELS_APT[@]}" show --no-all-versions "$@" 2>/dev/null || true)
	KERNELS_RECORDS+=$'\n\n'
}

# kernels_field NAME[=VER] FIELD: a field of a loaded record, empty if none.
kernels_field() {
	local name=${1%%=*} ver=""
	[[ $1 == *=* ]] && ver=${1#*=}
	awk -v name="$name" -v ver="$ver" -v field="$2" '
		function done() {
			if (f["Package"] == name && (ver == "" || f["Version"] == ver) && (field in f)) {
				print f[field]; found = 1; exit
			}
			delete f
		}
		/^$/ { done(); next }
		/^[^ \t][^:]*: / { k = substr($0, 1, index($0, ":") - 1); f[k] = substr($0, length(k) + 3) }
		END { if (!found) done() }' <<<"$KERNELS_RECORDS"
}

kernels_has() { [[ -n $(kernels_field "$1" Version) ]]; }

# kernels_deps_matching NAME[=VER] REGEX: "name version" of each dependency matching REGEX
# (version empty when the dependency is not pinned with "=").
kernels_deps_matching() {
	kernels_field "$1" Depends | tr ',' '\n' | sed 's/|.*//' |
		awk -v re="$2" '{ name = $1; ver = ""
			if (match($0, /\(= [^)]*\)/)) ver = substr($0, RSTART + 3, RLENGTH - 4)
			if (name ~ re) print name, ver }'
}

# kernels_resolve SUITE: sets KR_KVER (kernel release), KR_VERSION (package version) and
# KR_PKGS (image packages to download) from the meta package linux-image-<flavour>.
kernels_resolve() {
	local suite=$1 meta="linux-image-$KERNELS_FLAVOUR" dep ver p
	kernels_load_records "$meta"
	kernels_has "$meta" || kernels_die "$KERNELS_E_RESOLVE" "$suite: no package $meta"
	read -r dep ver < <(kernels_deps_matching "$meta" '^linux-image-') ||
		kernels_die "$KERNELS_E_RESOLVE" "$suite: $meta depends on no linux-image-* package"
	[[ -n $ver ]] || ver=$(kernels_field "$meta" Version)
	KR_KVER=${dep#linux-image-}
	KR_VERSION=$ver
	kernels_load_records "linux-binary-unsigned-$KR_KVER=$ver" "linux-modules-$KR_KVER=$ver" \
		"linux-base-$KR_KVER=$ver" "linux-image-$KR_KVER-unsigned=$ver" "linux-image-$KR_KVER=$ver"
	if kernels_has "linux-binary-unsigned-$KR_KVER=$ver"; then
		# sid: linux-image-<kver> is a meta package over linux-binary-*, linux-modules-* and
		# linux-base-* (config, System.map, modules.builtin).
		KR_PKGS=("linux-binary-unsigned-$KR_KVER" "linux-modules-$KR_KVER" "linux-base-$KR_KVER")
	elif kernels_has "linux-image-$KR_KVER-unsigned=$ver"; then
		KR_PKGS=("linux-image-$KR_KVER-unsigned")
	else
		KR_PKGS=("linux-image-$KR_KVER")
	fi
	for p in "${KR_PKGS[@]}"; do
		kernels_has "$p=$ver" || kernels_die "$KERNELS_E_RESOLVE" "$suite: no package $p=$ver"
	done
}

# kernels_deb_path DIR NAME=VER: where apt-get download puts that package (record loaded).
kernels_deb_path() {
	local name=${2%%=*} ver=${2#*=} arch
	arch=$(kernels_field "$2" Architecture)
	printf '%s/%s_%s_%s.deb\n' "$1" "$name" "${ver//:/%3a}" "${arch:-$(kernels_arch)}"
}

# kernels_download DIR PKG=VER...: apt-get download into DIR (skips .debs already there).
kernels_download() {
	local dir=$1 spec file size
	shift
	mkdir -p "$dir"
	for spec in "$@"; do
		file=$(kernels_deb_path "$dir" "$spec")
		if [[ -s $file ]]; then
			kernels_log "cached: ${file##*/}"
			continue
		fi
		size=$(kernels_field "$spec" Size)
		kernels_log "downloading $spec ($((${size:-0} / 1048576)) MiB)"
		(cd "$dir" && apt-get "${KERNELS_APT[@]}" -q download "$spec" >/dev/null) || return 1
		[[ -s $file ]] || { kernels_log "apt-get download left no $file"; return 1; }
	done
}

# ---------------------------------------------------------------------------------------------
# Extraction.

# kernels_find_vmlinuz ROOT KVER: path of the kernel image in an extracted package tree.
kernels_find_vmlinuz() {
	local root=$1 kver=$2 c
	for c in "boot/vmlinuz-$kver" "usr/lib/modules/$kver/vmlinuz.unsigned" "usr/lib/modules/$kver/vmlinuz" \
		"lib/modules/$kver/vmlinuz.unsigned" "lib/modules/$kver/vmlinuz"; do
		[[ -f $root/$c && ! -L $root/$c ]] && { printf '%s\n' "$root/$c"; return 0; }
	done
	find "$root" -type f -name 'vmlinuz*' -print -quit | grep . || return 1
}

kernels_find_modules_dir() {
	local root=$1 kver=$2 c
	for c in "usr/lib/modules/$kver" "lib/modules/$kver"; do
		[[ -d $root/$c/kernel ]] && { printf '%s\n' "$root/$c"; return 0; }
	done
	return 1
}

# kernels_take SRC... DEST: move the first existing SRC to DEST (none: nothing).
kernels_take() {
	local dest=${*: -1} src
	for src in "${@:1:$#-1}"; do
		[[ -f $src ]] && { mv -f "$src" "$dest"; return 0; }
	done
	return 0
}

# kernels_extract SUITE KDIR DEB...: unpack the debs into KDIR (vmlinuz, modules/, config, version).
kernels_extract() {
	local suite=$1 kdir=$2 tmp root deb vmlinuz moddir
	shift 2
	tmp="$kdir.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp/root"
	root=$tmp/root
	for deb in "$@"; do
		dpkg-deb -x "$deb" "$root" || { rm -rf "$tmp"; return 1; }
	done
	vmlinuz=$(kernels_find_vmlinuz "$root" "$KR_KVER") || { kernels_log "no vmlinuz in $*"; rm -rf "$tmp"; return 1; }
	moddir=$(kernels_find_modules_dir "$root" "$KR_KVER") || { kernels_log "no modules/$KR_KVER in $*"; rm -rf "$tmp"; return 1; }
	mv "$vmlinuz" "$tmp/vmlinuz"
	rm -f "$moddir"/vmlinuz*
	mv "$moddir" "$tmp/modules"
	kernels_take "$root/boot/config-$KR_KVER" "$tmp/modules/config" "$tmp/config"
	kernels_take "$root/boot/System.map-$KR_KVER" "$tmp/modules/System.map" "$tmp/System.map"
	rm -rf "$root"
	{
		printf 'release=%s\n' "$KR_KVER"
		printf 'package_version=%s\n' "$KR_VERSION"
		printf 'suite=%s\n' "$suite"
		printf 'packages=%s\n' "${KR_PKGS[*]}"
		printf 'flavour=%s\n' "$KERNELS_FLAVOUR"
	} >"$tmp/version"
	rm -rf "$kdir"
	mv "$tmp" "$kdir"
}

# kernels_version_field KDIR KEY: one field of KDIR/version.
kernels_version_field() {
	sed -n "s/^$2=//p" "$1/version" | head -n 1
}

# kernels_use_cached SUITE: print the cached current kernel dir, or fail.
kernels_use_cached() {
	local cur
	cur=$(kernels_suite_dir "$1")/current
	[[ -f $cur/version && -f $cur/vmlinuz ]] || return 1
	readlink -f "$cur"
}

# ---------------------------------------------------------------------------------------------
# Subcommands.

# kernels_fetch SUITE: prints the kernel dir of the newest kernel of SUITE.
kernels_fetch() {
	local suite=$1 sdir kdir cached specs=() p debs=()
	kernels_check_suite "$suite"
	kernels_need_tools apt-get apt-cache dpkg-deb flock
	sdir=$(kernels_suite_dir "$suite")
	mkdir -p "$sdir"
	exec {lockfd}>"$sdir/.lock"
	flock "$lockfd"
	kernels_apt_setup "$suite"
	if ! kernels_apt_update "$suite"; then
		cached=$(kernels_use_cached "$suite") ||
			kernels_die "$KERNELS_E_OFFLINE" "$suite: the registry cannot be reached and no kernel is cached"
		kernels_log "notice: registry unreachable: using the cached kernel $(kernels_version_field "$cached" release)"
		printf '%s\n' "$cached"
		return 0
	fi
	# Lists unchanged since the current kernel was resolved from them: nothing to ask apt.
	if ((KERNELS_LISTS_UNCHANGED)) && cached=$(kernels_use_cached "$suite") &&
		[[ -f $sdir/resolved && $sdir/resolved -nt $sdir/apt/updated ]]; then
		kernels_log "$suite: $(kernels_version_field "$cached" release) ($(kernels_version_field "$cached" package_version)) already cached"
		printf '%s\n' "$cached"
		return 0
	fi
	kernels_resolve "$suite"
	kdir=$sdir/$KR_KVER
	if [[ -f $kdir/version && $(kernels_version_field "$kdir" package_version) == "$KR_VERSION" &&
		$(kernels_version_field "$kdir" packages) == "${KR_PKGS[*]}" ]]; then
		kernels_log "$suite: $KR_KVER ($KR_VERSION) already cached"
	else
		kernels_log "$suite: newest kernel $KR_KVER ($KR_VERSION): ${KR_PKGS[*]}"
		for p in "${KR_PKGS[@]}"; do specs+=("$p=$KR_VERSION"); done
		if ! kernels_download "$sdir/debs" "${specs[@]}"; then
			cached=$(kernels_use_cached "$suite") ||
				kernels_die "$KERNELS_E_FETCH" "$suite: download of ${specs[*]} failed"
			kernels_log "notice: download failed: using the cached kernel $(kernels_version_field "$cached" release)"
			printf '%s\n' "$cached"
			return 0
		fi
		for p in "${specs[@]}"; do debs+=("$(kernels_deb_path "$sdir/debs" "$p")"); done
		kernels_extract "$suite" "$kdir" "${debs[@]}" || kernels_die "$KERNELS_E_FETCH" "$suite: extraction failed"
		rm -f "${debs[@]}"
	fi
	ln -sfn "$KR_KVER" "$sdir/current"
	touch "$sdir/resolved"
	exec {lockfd}>&-
	printf '%s\n' "$kdir"
}

# kernels_fetch_headers SUITE [--extract]: prints the dir holding the linux-headers .debs.
kernels_fetch_headers() {
	local suite=$1 extract=${2:-} sdir hdir specs=() deps=() dep name ver deb i
	kernels_check_suite "$suite"
	[[ -z $extract || $extract == --extract ]] || kernels_die "$KERNELS_E_USAGE" "fetch-headers: unknown option '$extract'"
	kernels_need_tools apt-get apt-cache dpkg-deb flock
	sdir=$(kernels_suite_dir "$suite")
	mkdir -p "$sdir"
	exec {lockfd}>"$sdir/.lock"
	flock "$lockfd"
	kernels_apt_setup "$suite"
	if kernels_apt_update "$suite"; then
		kernels_resolve "$suite"
		hdir=$sdir/headers/$KR_KVER
		if [[ ! -f $hdir/complete ]]; then
			specs=("linux-headers-$KR_KVER=$KR_VERSION")
			kernels_load_records "${specs[0]}"
			mapfile -t deps < <(kernels_deps_matching "${specs[0]}" '^linux-(headers|kbuild)-')
			for dep in "${deps[@]}"; do
				read -r name ver <<<"$dep"
				specs+=("$name${ver:+=$ver}")
			done
			kernels_load_records "${specs[@]:1}"
			for i in "${!specs[@]}"; do
				[[ ${specs[i]} == *=* ]] || specs[i]+="=$(kernels_field "${specs[i]}" Version)"
			done
			kernels_download "$hdir" "${specs[@]}" || kernels_die "$KERNELS_E_FETCH" "$suite: download of ${specs[*]} failed"
			printf '%s\n' "${specs[@]}" >"$hdir/complete"
		else
			kernels_log "$suite: headers of $KR_KVER already cached"
		fi
	else
		local cached
		cached=$(kernels_use_cached "$suite") || kernels_die "$KERNELS_E_OFFLINE" "$suite: the registry cannot be reached and nothing is cached"
		hdir=$sdir/headers/$(kernels_version_field "$cached" release)
		[[ -f $hdir/complete ]] || kernels_die "$KERNELS_E_OFFLINE" "$suite: the registry cannot be reached and no headers are cached"
		kernels_log "notice: registry unreachable: using the cached headers in $hdir"
	fi
	if [[ -n $extract && ! -d $hdir/root ]]; then
		mkdir -p "$hdir/root.tmp"
		for deb in "$hdir"/*.deb; do dpkg-deb -x "$deb" "$hdir/root.tmp" || kernels_die "$KERNELS_E_FETCH" "cannot extract $deb"; done
		mv "$hdir/root.tmp" "$hdir/root"
	fi
	exec {lockfd}>&-
	printf '%s\n' "$hdir"
}

kernels_path() {
	kernels_check_suite "$1"
	kernels_use_cached "$1" || kernels_die "$KERNELS_E_OFFLINE" "$1: no cached kernel (run: $0 fetch $1)"
}

kernels_prune() {
	local suite=$1 sdir cur d
	kernels_check_suite "$suite"
	sdir=$(kernels_suite_dir "$suite")
	cur=$(readlink "$sdir/current" 2>/dev/null) || kernels_die "$KERNELS_E_OFFLINE" "$suite: nothing cached"
	for d in "$sdir"/*/version; do
		d=${d%/version}
		[[ -L $d || ${d##*/} == "$cur" ]] && continue
		kernels_log "removing $d"
		rm -rf "$d" "$sdir/headers/${d##*/}"
	done
}

# ---------------------------------------------------------------------------------------------
# btf-elf: the ELF inside a vmlinuz (bzImage): the first compressed payload that inflates to an ELF.

kernels_is_elf() { cmp -s -n 4 "$1" <(printf '\177ELF'); }

# kernels_payload_candidates FILE: "offset format" of every compression magic, in file order.
kernels_payload_candidates() {
	local file=$1 fmt magic
	while read -r fmt magic; do
		LC_ALL=C grep -obUaP "$magic" "$file" | cut -d: -f1 | sed "s/\$/ $fmt/" || true
	done <<'MAGICS'
xz \xfd\x37\x7a\x58\x5a\x00
zstd \x28\xb5\x2f\xfd
gzip \x1f\x8b\x08
lz4 \x02\x21\x4c\x18
MAGICS
}

kernels_inflate() {
	case $1 in
	xz) xz -dcq ;;
	zstd) zstd -dcq ;;
	gzip) gzip -dcq ;;
	lz4) lz4 -dcq ;;
	esac
}

# kernels_btf_elf VMLINUZ OUT: write the kernel ELF of VMLINUZ to OUT.
kernels_btf_elf() {
	local in=$1 out=$2 tmp off fmt tried=0
	[[ -r $in ]] || kernels_die "$KERNELS_E_USAGE" "btf-elf: cannot read '$in'"
	kernels_need_tools grep xz zstd gzip
	if kernels_is_elf "$in"; then
		cp -f "$in" "$out"
		return 0
	fi
	tmp=$(mktemp "$out.XXXXXX")
	while read -r off fmt; do
		command -v "$fmt" >/dev/null 2>&1 || continue
		tried=$((tried + 1))
		tail -c "+$((off + 1))" "$in" | kernels_inflate "$fmt" >"$tmp" 2>/dev/null || true
		if kernels_is_elf "$tmp"; then
			chmod 0644 "$tmp"
			mv -f "$tmp" "$out"
			kernels_log "btf-elf: $fmt payload at offset $off -> $out"
			return 0
		fi
		((tried < 64)) || break
	done < <(kernels_payload_candidates "$in" | sort -n -k1,1)
	rm -f "$tmp"
	kernels_die "$KERNELS_E_NOELF" "btf-elf: no xz/zstd/gzip/lz4 payload of '$in' inflates to an ELF ($tried tried)"
}

# kernels_raw_btf KERNEL OUT: the raw BTF of an uncompressed kernel image (arm64's Image keeps
# its .BTF section as is). struct btf_header: magic 0xeB9F, version 1, flags 0, hdr_len 24, then
# type_off, type_len, str_off, str_len (u32, little-endian); the blob ends with the later of
# the two sections. Returns 1 when no header there describes a blob inside the file.
kernels_raw_btf() {
	local in=$1 out=$2 size off hdr toff tlen soff slen len
	size=$(stat -c %s "$in")
	while read -r off; do
		read -r hdr toff tlen soff slen < <(od -An -w20 -j $((off + 4)) -N20 -tu4 "$in")
		[[ $hdr == 24 ]] || continue
		len=$((hdr + (toff + tlen > soff + slen ? toff + tlen : soff + slen)))
		((tlen > 0 && slen > 0 && off + len <= size)) || continue
		tail -c "+$((off + 1))" "$in" | head -c "$len" >"$out"
		kernels_log "btf: raw BTF at offset $off, $len bytes -> $out"
		return 0
	done < <(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$in" | cut -d: -f1)
	return 1
}

# kernels_btf KERNEL OUT: the raw BTF of an uncompressed image, else the ELF inside a vmlinuz.
kernels_btf() {
	[[ -r $1 ]] || kernels_die "$KERNELS_E_USAGE" "btf: cannot read '$1'"
	if ! kernels_is_elf "$1" && kernels_raw_btf "$1" "$2"; then
		return 0
	fi
	kernels_btf_elf "$1" "$2"
}

kernels_usage() {
	cat <<EOF
usage: ${0##*/} fetch SUITE                 fetch the newest linux-image-$KERNELS_FLAVOUR of SUITE, print its dir
       ${0##*/} fetch-headers SUITE [--extract]
                                          fetch its linux-headers .debs, print their dir
       ${0##*/} path SUITE                  print the cached kernel dir of SUITE (no network)
       ${0##*/} prune SUITE                 remove cached kernels of SUITE but the current one
       ${0##*/} btf-elf VMLINUZ OUT_ELF     extract the kernel ELF (with its BTF) from a vmlinuz
       ${0##*/} btf KERNEL OUT              the kernel's BTF as bpftool reads it (ELF or raw BTF)
SUITE: bookworm, trixie, sid or experimental.  Flavour: $KERNELS_FLAVOUR (EVLAT_KERNEL_FLAVOUR).
Cache: $KERNELS_CACHE
EOF
}

kernels_main() {
	local cmd=${1:-}
	(($#)) && shift
	case $cmd in
	fetch) (($# == 1)) || { kernels_usage >&2; exit "$KERNELS_E_USAGE"; }; kernels_fetch "$1" ;;
	fetch-headers) (($# == 1 || $# == 2)) || { kernels_usage >&2; exit "$KERNELS_E_USAGE"; }; kernels_fetch_headers "$@" ;;
	path) (($# == 1)) || { kernels_usage >&2; exit "$KERNELS_E_USAGE"; }; kernels_path "$1" ;;
	prune) (($# == 1)) || { kernels_usage >&2; exit "$KERNELS_E_USAGE"; }; kernels_prune "$1" ;;
	btf-elf) (($# == 2)) || { kernels_usage >&2; exit "$KERNELS_E_USAGE"; }; kernels_btf_elf "$1" "$2" ;;
	btf) (($# == 2)) || { kernels_usage >&2; exit "$KERNELS_E_USAGE"; }; kernels_btf "$1" "$2" ;;
	-h | --help | help) kernels_usage ;;
	*) kernels_usage >&2; exit "$KERNELS_E_USAGE" ;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	kernels_main "$@"
fi
