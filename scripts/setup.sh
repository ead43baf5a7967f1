#!/usr/bin/env bash
# kbuildts set-up: installs and unpacks the real parts the toolchain and its tests run against,
# then writes <cache>/manifest.json (read by src/runner/cache.ts).
#
#   bash scripts/setup.sh           install what is missing (idempotent; seconds when all is there)
#   bash scripts/setup.sh --check   only verify; exit 1 and say what is missing
#   --quiet                         print only what it changes and what is wrong
#   --sweep                         also the cross compilers of the wider conformance sweep
#                                   (`npm run conformance`), Debian's for arm, riscv, powerpc,
#                                   mips, s390, alpha, arc, m68k, parisc, sh and sparc (the sweep
#                                   covers every ARCH whose compiler is installed; CI needs none)
#
# What it provides (cache = $KBUILDTS_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/kbuildts):
#   - host Debian packages: flex bison bc make gcc libc6-dev gcc-aarch64-linux-gnu qemu-system-arm
#     linux-source-6.1 linux-source-6.12 linux-config-6.1 linux-config-6.12 linux-kbuild-6.1 libelf-dev
#     libssl-dev cpio xz-utils tmux (tests drive the TUI in it) distcc python3-kconfiglib (bench)
#   - the arm64 target of the newest Debian 6.1 ABI N whose linux-headers-6.1.0-N-arm64,
#     linux-headers-6.1.0-N-common, linux-image-6.1.0-N-arm64-unsigned and linux-kbuild-6.1 share
#     one version (linux-kbuild-6.1 is installed at that version: the headers' scripts/ and tools/
#     are symlinks into it), plus busybox-static:arm64. They are downloaded with `apt-get download`
#     and unpacked with `dpkg-deb -x` under <cache>/arm64/ (never installed into the system), and
#     the absolute /usr/src and /usr/lib links are rewritten so that
#     <cache>/arm64/<ver>/usr/src/linux-headers-6.1.0-N-arm64 works as KDIR for
#     `make -C KDIR ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- M=dir modules`
#     (Documentation/kbuild/modules.rst). A tiny module is built against it once to prove that its
#     vermagic equals the image's.
#   - <cache>/debian-config/{6.1,6.12}/config.arm64_*.xz: Debian's shipped arm64 kernel configs;
#   - <cache>/src/linux-source-{6.1,6.12}: the Debian source tarballs, unpacked pristine;
#     <cache>/oracle/<series>-build/scripts/kconfig/conf: the C conf built out of tree from each.
# Runs as root without stdin (CI); apt-get update runs at most once, and only when needed.
set -euo pipefail

CHECK=0
QUIET=0
SWEEP=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    --quiet) QUIET=1 ;;
    --sweep) SWEEP=1 ;;
    -h | --help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown argument '$arg' (use --check, --quiet and/or --sweep)" >&2; exit 2 ;;
  esac
done

CACHE="${KBUILDTS_CACHE:-}"
if [[ -z $CACHE ]]; then CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kbuildts"; fi
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C
APT_LOCK=(-o DPkg::Lock::Timeout=600)
CROSS=aarch64-linux-gnu-
SERIES=(6.1 6.12)
HOST_PKGS=(flex bison bc make gcc libc6-dev gcc-aarch64-linux-gnu qemu-system-arm distcc
  linux-source-6.1 linux-source-6.12 linux-config-6.1 linux-config-6.12 linux-kbuild-6.1 libelf-dev libssl-dev cpio xz-utils tmux python3-kconfiglib)
# The compilers of src/conformance/sweep.ts SWEEP_ARCHES beyond arm64 and x86_64 (environment.ts DEBIAN_CROSS_COMPILE).
[[ $SWEEP -eq 0 ]] || HOST_PKGS+=(gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu gcc-powerpc64le-linux-gnu gcc-mips-linux-gnu
  gcc-s390x-linux-gnu gcc-alpha-linux-gnu gcc-arc-linux-gnu gcc-m68k-linux-gnu gcc-hppa-linux-gnu gcc-sh4-linux-gnu gcc-sparc64-linux-gnu)
T0=$(date +%s.%N)
PROBLEMS=0

say() { printf 'setup: %s\n' "$*"; }            # an action (always printed)
note() { [[ $QUIET -eq 1 ]] || say "$@"; }      # a status line (not with --quiet)
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
bad() { printf 'setup: MISSING: %s\n' "$*" >&2; PROBLEMS=$((PROBLEMS + 1)); }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo > /dev/null; then sudo -n "$@"
  else die "must run as root to install packages ($*)"; fi
}

installed_version() { { dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$1" 2> /dev/null || true; } | awk '$1 == "ii" { print $2 }'; }

UPDATED=0
apt_update_once() {
  [[ $UPDATED -eq 1 ]] && return 0
  say "apt-get update"
  as_root apt-get update -q "${APT_LOCK[@]}" > /tmp/kbuildts-setup-apt-update.log 2>&1 \
    || { cat /tmp/kbuildts-setup-apt-update.log >&2; die "apt-get update failed"; }
  UPDATED=1
}

# Highest Debian version among stdin lines (dpkg ordering), or nothing.
max_version() {
  local best='' v
  while read -r v; do
    [[ -z $v ]] && continue
    if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done
  [[ -n $best ]] && printf '%s\n' "$best"
  return 0
}

# Sets ABI and ABI_VERSION (the newest ABI whose four packages share one version) and BB_VERSION
# (busybox-static:arm64). apt-cache parses every list on each call here (Debian images set
# Dir::Cache::pkgcache ""), so the answer is remembered, keyed by the state of apt's lists.
pick_abi() {
  ABI='' ABI_VERSION='' BB_VERSION=''
  local key n out k a v b memo="$CACHE/apt-choice"
  key=$({ dpkg --print-foreign-architectures; stat -c '%Y %s %n' /var/lib/apt/lists/*Packages* 2> /dev/null || true; } | md5sum | cut -d' ' -f1)
  if [[ -f $memo ]] && read -r k a v b < "$memo" && [[ $k == "$key" && -n $a && -n $v && -n $b ]]; then
    ABI=$a ABI_VERSION=$v BB_VERSION=$b; return 0
  fi
  BB_VERSION=$(apt-cache madison busybox-static:arm64 2> /dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | max_version)
  for n in $(apt-cache pkgnames linux-headers-6.1.0- 2> /dev/null \
    | sed -n 's/^linux-headers-6\.1\.0-\([0-9][0-9]*\)-arm64$/\1/p' | sort -rnu); do
    out=$(apt-cache madison "linux-headers-6.1.0-$n-arm64:arm64" "linux-headers-6.1.0-$n-common" \
      "linux-image-6.1.0-$n-arm64-unsigned:arm64" linux-kbuild-6.1 2> /dev/null || true)
    # Versions that all four packages have (lines: "package | version | source").
    v=$(printf '%s\n' "$out" | awk -F'|' 'NF >= 3 { gsub(/ /, "", $1); gsub(/ /, "", $2); if (!seen[$1 SUBSEP $2]++) n[$2]++ }
      END { for (x in n) if (n[x] == 4) print x }' | max_version)
    if [[ -n $v ]]; then
      ABI=$n ABI_VERSION=$v
      [[ -n $BB_VERSION && -d $CACHE ]] && echo "$key $ABI $ABI_VERSION $BB_VERSION" > "$memo"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# 1. Host packages and the arm64 foreign architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [[ $CHECK -eq 1 ]]; then bad "dpkg foreign architecture arm64 (dpkg --add-architecture arm64)"
  else say "dpkg --add-architecture arm64"; as_root dpkg --add-architecture arm64; apt_update_once; fi
fi

if ! pick_abi && { [[ $CHECK -eq 1 ]] || { apt_update_once; ! pick_abi; }; }; then
  if [[ $CHECK -eq 1 ]]; then bad "no consistent linux-headers-6.1.0-N-arm64/-common/linux-image-6.1.0-N-arm64-unsigned/linux-kbuild-6.1 version in apt's lists (apt-get update)"
  else die "apt knows no ABI N for which linux-headers-6.1.0-N-arm64:arm64, linux-headers-6.1.0-N-common, linux-image-6.1.0-N-arm64-unsigned:arm64 and linux-kbuild-6.1 share a version (is bookworm-security in sources.list?)"; fi
fi

missing_packages() {
  MISSING=()
  local p
  for p in "${HOST_PKGS[@]}"; do
    if [[ $p == linux-kbuild-6.1 && -n $ABI_VERSION ]]; then
      [[ "$(installed_version "$p")" == "$ABI_VERSION" ]] || MISSING+=("$p=$ABI_VERSION")
    else
      [[ -n "$(installed_version "$p")" ]] || MISSING+=("$p")
    fi
  done
}
missing_packages
# Installing from stale lists fails or picks an old ABI: refresh them first (once).
if [[ ${#MISSING[@]} -gt 0 && $CHECK -eq 0 && $UPDATED -eq 0 ]]; then
  apt_update_once
  pick_abi || die "apt knows no consistent arm64 ABI after apt-get update"
  missing_packages
fi
if [[ ${#MISSING[@]} -gt 0 ]]; then
  if [[ $CHECK -eq 1 ]]; then bad "Debian packages: ${MISSING[*]}"
  else
    say "installing ${MISSING[*]}"
    t=$(date +%s.%N)
    inst() { as_root apt-get install -y -q --allow-downgrades "${APT_LOCK[@]}" "${MISSING[@]}" > /tmp/kbuildts-setup-apt-install.log 2>&1; }
    if ! inst; then apt_update_once; inst || { tail -30 /tmp/kbuildts-setup-apt-install.log >&2; die "apt-get install ${MISSING[*]} failed (log: /tmp/kbuildts-setup-apt-install.log)"; }; fi
    say "installed in $(elapsed "$t")"
  fi
else
  note "host packages: ${#HOST_PKGS[@]} installed (linux-kbuild-6.1 $ABI_VERSION)"
fi

# ---------------------------------------------------------------------------------------------
# 2. The arm64 target parts, unpacked into the cache.
KREL="6.1.0-$ABI-arm64"
ARM_ROOT="$CACHE/arm64/$ABI_VERSION"
KDIR="$ARM_ROOT/usr/src/linux-headers-$KREL"
COMMON="$ARM_ROOT/usr/src/linux-headers-6.1.0-$ABI-common"
VMLINUZ="$ARM_ROOT/boot/vmlinuz-$KREL"
MODULES_DIR="$ARM_ROOT/lib/modules/$KREL"
KCONFIG_FILE="$ARM_ROOT/boot/config-$KREL"
if [[ -z $BB_VERSION ]]; then BB_VERSION=$(ls -1 "$CACHE/arm64" 2> /dev/null | sed -n 's/^busybox-//p' | tail -1); fi
BB_DIR="$CACHE/arm64/busybox-${BB_VERSION#*:}"
BUSYBOX="$BB_DIR/bin/busybox"
DEBS="$CACHE/debs"

# Download packages "name:arch=version" into $DEBS (retrying once after apt-get update).
download() {
  mkdir -p "$DEBS"
  local get=(apt-get download -q -o APT::Sandbox::User=root "${APT_LOCK[@]}" "$@")
  (cd "$DEBS" && "${get[@]}" > /tmp/kbuildts-setup-download.log 2>&1) && return 0
  apt_update_once
  (cd "$DEBS" && "${get[@]}" > /tmp/kbuildts-setup-download.log 2>&1) \
    || { cat /tmp/kbuildts-setup-download.log >&2; die "apt-get download $* failed"; }
}
deb_file() { compgen -G "$DEBS/$1_*$2_*.deb" | head -1 || true; }  # name, version without epoch

if [[ -n $ABI && ! -f $ARM_ROOT/.kbuildts-unpacked ]]; then
  if [[ $CHECK -eq 1 ]]; then bad "arm64 kernel parts for ABI $ABI ($ARM_ROOT)"
  else
    t=$(date +%s.%N)
    pkgs=("linux-headers-$KREL" "linux-headers-6.1.0-$ABI-common" "linux-image-$KREL-unsigned")
    need=()
    for p in "${pkgs[@]}"; do
      q="$p:arm64"; [[ $p == *-common ]] && q=$p  # -common is Architecture: all
      [[ -n $(deb_file "$p" "$ABI_VERSION") ]] || need+=("$q=$ABI_VERSION")
    done
    if [[ ${#need[@]} -gt 0 ]]; then say "downloading ${need[*]}"; download "${need[@]}"; fi
    tmp="$CACHE/arm64/.tmp-$ABI_VERSION"
    rm -rf "$tmp"; mkdir -p "$tmp"
    for p in "${pkgs[@]}"; do
      f=$(deb_file "$p" "$ABI_VERSION"); [[ -n $f ]] || die "downloaded $p not found in $DEBS"
      dpkg-deb -x "$f" "$tmp"
    done
    # Rewrite the absolute paths the packages assume (/usr/src, /usr/lib/linux-kbuild-6.1).
    sed -i "s|^include /usr/src/linux-headers-6.1.0-$ABI-common/Makefile\$|include $COMMON/Makefile|" \
      "$tmp/usr/src/linux-headers-$KREL/Makefile"
    grep -qx "include $COMMON/Makefile" "$tmp/usr/src/linux-headers-$KREL/Makefile" \
      || die "unexpected $tmp/usr/src/linux-headers-$KREL/Makefile (no include of the -common Makefile)"
    ln -sfn "../../../usr/src/linux-headers-$KREL" "$tmp/lib/modules/$KREL/build"
    ln -sfn "../../../usr/src/linux-headers-6.1.0-$ABI-common" "$tmp/lib/modules/$KREL/source"
    for d in "$tmp/usr/src/linux-headers-$KREL" "$tmp/usr/src/linux-headers-6.1.0-$ABI-common"; do
      for l in scripts tools; do
        tgt=$(readlink "$d/$l")
        [[ $tgt == ../../lib/linux-kbuild-6.1/$l ]] || die "unexpected link $d/$l -> $tgt"
        ln -sfn "/usr/lib/linux-kbuild-6.1/$l" "$d/$l"
      done
    done
    rm -rf "$ARM_ROOT"; mv "$tmp" "$ARM_ROOT"
    : > "$ARM_ROOT/.kbuildts-unpacked"
    say "arm64 ABI $ABI ($ABI_VERSION) unpacked in $(elapsed "$t"): $ARM_ROOT"
  fi
elif [[ -n $ABI ]]; then
  note "arm64 ABI $ABI ($ABI_VERSION): present"
fi

if [[ -n $BB_VERSION && ! -x $BUSYBOX ]]; then
  if [[ $CHECK -eq 1 ]]; then bad "static arm64 busybox ($BUSYBOX)"
  else
    f=$(deb_file busybox-static "${BB_VERSION#*:}")
    [[ -n $f ]] || { say "downloading busybox-static:arm64=$BB_VERSION"; download "busybox-static:arm64=$BB_VERSION"; f=$(deb_file busybox-static "${BB_VERSION#*:}"); }
    rm -rf "$BB_DIR.tmp"; mkdir -p "$BB_DIR.tmp"; dpkg-deb -x "$f" "$BB_DIR.tmp"
    rm -rf "$BB_DIR"; mv "$BB_DIR.tmp" "$BB_DIR"
    [[ -x $BUSYBOX ]] || die "busybox-static:arm64 has no bin/busybox"
    say "busybox $BB_VERSION unpacked"
  fi
fi

# Debian's shipped arm64 kernel configurations (linux-config-<series>:arm64), for the
# conformance tests' "olddefconfig of the distribution's own config": downloaded and unpacked into
# <cache>/debian-config/<series>/ (the amd64 ones come with the host's linux-config-<series>).
for s in 6.1 6.12; do
  dc="$CACHE/debian-config/$s"
  if [[ -f $dc/config.arm64_none_arm64.xz ]]; then note "Debian arm64 $s config: present"; continue; fi
  if [[ $CHECK -eq 1 ]]; then bad "Debian's arm64 $s kernel config ($dc)"; continue; fi
  say "downloading linux-config-$s:arm64"; download "linux-config-$s:arm64"
  f=$(compgen -G "$DEBS/linux-config-${s}_*_arm64.deb" | tail -1 || true)
  [[ -n $f ]] || die "downloaded linux-config-$s:arm64 not found in $DEBS"
  rm -rf "$dc.tmp"; mkdir -p "$dc.tmp"; dpkg-deb -x "$f" "$dc.tmp"
  mkdir -p "$dc"; cp "$dc.tmp/usr/src/linux-config-$s/"config.arm64_* "$dc/"; rm -rf "$dc.tmp"
  say "Debian arm64 $s config unpacked: $dc"
done

# Host side of the KDIR: the links into linux-kbuild-6.1 must resolve.
if [[ -d $KDIR ]]; then
  for f in "$KDIR/scripts/basic/fixdep" "$KDIR/scripts/mod/modpost" "$KDIR/include/generated/utsrelease.h" "$COMMON/Makefile"; do
    [[ -e $f ]] || bad "$f (from linux-kbuild-6.1=$ABI_VERSION or the unpacked headers)"
  done
fi

# Prove the headers work as KDIR: a tiny module's vermagic equals an in-tree module's.
modinfo_field() { "${CROSS}objcopy" -O binary --only-section=.modinfo "$1" /dev/stdout | tr '\0' '\n' | sed -n "s/^$2=//p" | head -1; }
vermagic_check() {
  local d ours theirs ref
  d=$(mktemp -d /tmp/kbuildts-vermagic.XXXXXX)
  printf '#include <linux/module.h>\nstatic int __init v_init(void) { return 0; }\nstatic void __exit v_exit(void) { }\nmodule_init(v_init);\nmodule_exit(v_exit);\nMODULE_LICENSE("GPL");\n' > "$d/kbt_vermagic.c"
  echo 'obj-m := kbt_vermagic.o' > "$d/Kbuild"
  if ! make -s -C "$KDIR" ARCH=arm64 CROSS_COMPILE=$CROSS M="$d" modules > "$d/build.log" 2>&1; then
    cat "$d/build.log" >&2; bad "a module does not build against $KDIR"; rm -rf "$d"; return 1
  fi
  ref=$(find "$MODULES_DIR/kernel/fs" -name '*.ko' -print -quit)
  ours=$(modinfo_field "$d/kbt_vermagic.ko" vermagic)
  theirs=$(modinfo_field "$ref" vermagic)
  rm -rf "$d"
  if [[ -z $ours || $ours != "$theirs" ]]; then bad "vermagic '$ours' of a module built against KDIR differs from the image's '$theirs'"; return 1; fi
  note "KDIR works: vermagic '$ours' equals the image's"
  return 0
}
if [[ -d $KDIR && -d $MODULES_DIR ]] && command -v "${CROSS}gcc" > /dev/null; then
  if [[ $CHECK -eq 1 || ! -f $ARM_ROOT/.kbuildts-vermagic-ok ]]; then
    if vermagic_check && [[ $CHECK -eq 0 ]]; then : > "$ARM_ROOT/.kbuildts-vermagic-ok"; fi
  fi
fi

# ---------------------------------------------------------------------------------------------
# 3. Kernel source trees and the C conf built from each.
kernel_version_of() {  # top Makefile -> KERNELVERSION
  awk -F'=' '/^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)[ \t]*=/ { gsub(/[ \t]/, "", $1); gsub(/^[ \t]+|[ \t]+$/, "", $2); v[$1] = $2 }
    END { s = v["VERSION"]; if (v["PATCHLEVEL"] != "") s = s "." v["PATCHLEVEL"]; if (v["SUBLEVEL"] != "") s = s "." v["SUBLEVEL"]; print s v["EXTRAVERSION"] }' "$1"
}
declare -A SRC_VER KVER
for s in "${SERIES[@]}"; do
  deb=$(installed_version "linux-source-$s")
  src="$CACHE/src/linux-source-$s"
  stamp="$CACHE/src/linux-source-$s.kbuildts-version"
  SRC_VER[$s]=$deb
  if [[ -z $deb ]]; then [[ $CHECK -eq 1 ]] || die "linux-source-$s is not installed"; continue; fi
  upstream=${deb%%-*}
  # A tree unpacked by hand from the same package (no stamp yet) is adopted as it is.
  src_ok=0
  if [[ -f $src/Makefile ]]; then
    if [[ -f $stamp ]]; then [[ "$(cat "$stamp")" == "$deb" ]] && src_ok=1
    elif [[ "$(kernel_version_of "$src/Makefile")" == "$upstream" ]]; then
      src_ok=1; [[ $CHECK -eq 1 ]] || echo "$deb" > "$stamp"
    fi
  fi
  if [[ $src_ok -eq 1 ]]; then
    note "source $s ($deb): present"
  elif [[ $CHECK -eq 1 ]]; then bad "unpacked linux-source-$s $deb ($src)"
  else
    t=$(date +%s.%N)
    tmp="$CACHE/src/.tmp-$s"
    rm -rf "$tmp"; mkdir -p "$tmp"
    tar -xJf "/usr/src/linux-source-$s.tar.xz" -C "$tmp"
    [[ -f $tmp/linux-source-$s/Makefile ]] || die "/usr/src/linux-source-$s.tar.xz has no linux-source-$s/Makefile"
    if [[ -e $src ]]; then mv "$src" "$src.old.$$"; fi
    mv "$tmp/linux-source-$s" "$src"; rm -rf "$tmp" "$src.old.$$"
    echo "$deb" > "$stamp"
    rm -f "$CACHE/oracle/$s-build.kbuildts-version"
    src_ok=1
    say "source $s ($deb) unpacked in $(elapsed "$t")"
  fi
  KVER[$s]=$(kernel_version_of "$src/Makefile" 2> /dev/null || true)

  build="$CACHE/oracle/$s-build"
  conf="$build/scripts/kconfig/conf"
  cstamp="$CACHE/oracle/$s-build.kbuildts-version"
  conf_ok=0
  if [[ -x $conf && $src_ok -eq 1 ]]; then
    if [[ -f $cstamp ]]; then [[ "$(cat "$cstamp")" == "$deb" ]] && conf_ok=1
    else conf_ok=1; [[ $CHECK -eq 1 ]] || echo "$deb" > "$cstamp"; fi
  fi
  if [[ $conf_ok -eq 1 ]]; then
    note "C conf $s: present"
  elif [[ $CHECK -eq 1 ]]; then bad "C conf for $s ($conf)"
  else
    t=$(date +%s.%N)
    mkdir -p "$build"
    make -s -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS allnoconfig > /tmp/kbuildts-setup-conf-$s.log 2>&1 \
      || { tail -30 /tmp/kbuildts-setup-conf-$s.log >&2; die "building the C conf for $s failed"; }
    [[ -x $conf ]] || die "make allnoconfig did not produce $conf"
    echo "$deb" > "$cstamp"
    say "C conf $s built in $(elapsed "$t")"
  fi
done

# ---------------------------------------------------------------------------------------------
# 4. The manifest (src/runner/cache.ts: SetupManifest), written atomically.
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
manifest() {
  local first=1 s
  printf '{\n  "cacheDir": %s,\n  "linuxSource": {' "$(json_str "$CACHE")"
  for s in "${SERIES[@]}"; do
    [[ -n ${SRC_VER[$s]:-} ]] || continue
    [[ $first -eq 1 ]] || printf ','
    first=0
    printf '\n    %s: { "debVersion": %s, "kernelVersion": %s, "srcDir": %s, "conf": %s }' \
      "$(json_str "$s")" "$(json_str "${SRC_VER[$s]}")" "$(json_str "${KVER[$s]}")" \
      "$(json_str "$CACHE/src/linux-source-$s")" "$(json_str "$CACHE/oracle/$s-build/scripts/kconfig/conf")"
  done
  printf '\n  },\n  "arm64": {\n'
  printf '    "abi": %s,\n    "debVersion": %s,\n    "kernelRelease": %s,\n' "$(json_str "$ABI")" "$(json_str "$ABI_VERSION")" "$(json_str "$KREL")"
  printf '    "kdir": %s,\n    "vmlinuz": %s,\n    "busybox": %s,\n' "$(json_str "$KDIR")" "$(json_str "$VMLINUZ")" "$(json_str "$BUSYBOX")"
  printf '    "modulesDir": %s,\n    "config": %s,\n    "crossCompile": %s,\n    "busyboxVersion": %s\n  }\n}\n' \
    "$(json_str "$MODULES_DIR")" "$(json_str "$KCONFIG_FILE")" "$(json_str "$CROSS")" "$(json_str "$BB_VERSION")"
}
if [[ $CHECK -eq 0 ]]; then
  manifest > "$CACHE/manifest.json.tmp.$$"
  if cmp -s "$CACHE/manifest.json.tmp.$$" "$CACHE/manifest.json"; then rm -f "$CACHE/manifest.json.tmp.$$"
  else mv -f "$CACHE/manifest.json.tmp.$$" "$CACHE/manifest.json"; say "wrote $CACHE/manifest.json"; fi
else
  if [[ ! -f $CACHE/manifest.json ]]; then bad "$CACHE/manifest.json"
  elif [[ -n $ABI ]] && ! manifest | cmp -s - "$CACHE/manifest.json"; then bad "an up-to-date $CACHE/manifest.json"; fi
fi

if [[ $PROBLEMS -gt 0 ]]; then
  say "$PROBLEMS problem(s); run \`npm run setup\` (bash scripts/setup.sh) to fix them"
  exit 1
fi
note "$([[ $CHECK -eq 1 ]] && echo 'check passed' || echo 'ready') in $(elapsed "$T0") (cache $CACHE)"
