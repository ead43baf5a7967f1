#!/usr/bin/env bash
# The main job on the bundled sample (README, first command): install the real parts, then
# configure samples/ with kbuildts, show the routing plan, cross-build for arm64, and boot the
# Debian arm64 kernel in QEMU loading the sample modules with parameters.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${KBUILDTS_DEMO_OUT:-out}
kbuildts() { ./dist/cli/kbuildts.cjs "$@"; }   # as the installed command runs (its #! line sets node options)

bash scripts/setup.sh
npm run --silent build

echo "== kbuildts config defconfig (samples/configs/kbuildts_defconfig)"
kbuildts config defconfig configs/kbuildts_defconfig --srctree samples --objtree "$out/samples"

echo "== kbuildts plan"
kbuildts plan samples --config "$out/samples/.config"

echo "== kbuildts build --arch arm64"
kbuildts build --arch arm64 samples --config "$out/samples/.config" --out "$out/build"

echo "== kbuildts inspect (a built-in object and a module)"
kbuildts inspect "$(find "$out/build" -name 'kbts_early.o' | head -n1)"
kbuildts inspect "$(find "$out/build" -name 'kbts_hello.ko' | head -n1)"

echo "== kbuildts boot --arch arm64"
ko() { find "$out/build" -name "$1.ko" | head -n1; }
kbuildts boot --arch arm64 --quiet \
  --insmod "$(ko kbts_hello) count=2 who=arm64 levels=5,-3,8" \
  --insmod "$(ko kbts_consumer) input=9" \
  --insmod "$(ko kbts_exporter) factor=5" \
  --insmod "$(ko kbts_flags)" \
  --insmod "$(ko kbts_multi)" \
  --expect 'kbts_hello: count=2 who=arm64 nr_levels=3' \
  --expect 'kbts_consumer: kbts_exporter_scale(9) = 45'
