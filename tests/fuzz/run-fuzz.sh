#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the libFuzzer target for the hub's envelope decoder with clang and
# runs it over a scratch copy of the committed seed corpus; prints TAP.
#
#   tests/fuzz/run-fuzz.sh BUILD_DIR [SECONDS]    (SECONDS defaults to 60)
#
# BUILD_DIR is a configured and built meson build directory (for config.h
# and the generated libqi headers). The decoder's sources are compiled into
# the target, so that libFuzzer sees their coverage. Needs clang and
# libclang-rt-14-dev (Debian 12). Exits non-zero on a crash, leak, sanitizer
# report or failed check; the reproducer is kept and named in the output.
set -eu

build=${1:?usage: run-fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "$build" && pwd)

echo "1..1"

if ! command -v clang >/dev/null 2>&1; then
  echo "ok 1 - fuzz-message # SKIP clang is not installed (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/qi-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2046 # word splitting of pkg-config output is wanted
if ! clang -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DQI_COMPILATION -DG_LOG_DOMAIN='"Qi"' \
    -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
    -I"$build" -I"$build/libqi" -I"$build/libqi/include" -I"$src/libqi/core" -I"$src/libqi/hub" \
    $(pkg-config --cflags glib-2.0 gobject-2.0 json-glib-1.0 libsoup-3.0) \
    "$here/fuzz-message.c" "$src/libqi/hub/qi-message.c" "$src/libqi/core/qi-json-reader.c" \
    "$src/libqi/core/qi-json-writer.c" "$src/libqi/hub/qi-hub-error.c" \
    $(pkg-config --libs glib-2.0 gobject-2.0 json-glib-1.0) \
    -o "$work/fuzz-message" >"$work/build.log" 2>&1; then
  echo "not ok 1 - fuzz-message: the target does not build"
  sed 's/^/# /' "$work/build.log"
  exit 1
fi

cp -R "$here/corpus/message" "$work/corpus"
mkdir "$work/artifacts"

status=0
(
  cd "$work"
  G_SLICE=always-malloc \
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  LSAN_OPTIONS="suppressions=$src/tests/lsan.supp" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ./fuzz-message -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" corpus
) >"$work/fuzz.log" 2>&1 || status=$?

runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/fuzz.log" | tail -n 1)

if [ "$status" -ne 0 ] || [ -z "$runs" ]; then
  keep=$(mktemp -d "${TMPDIR:-/tmp}/qi-fuzz-crash-XXXXXX")
  cp -R "$work/artifacts/." "$keep/" 2>/dev/null || true
  cp "$work/fuzz.log" "$keep/"
  echo "not ok 1 - fuzz-message: crash or failed check (exit $status); reproducers and log in $keep"
  grep -E 'ERROR|fuzz-message:|SUMMARY|Test unit written' "$work/fuzz.log" | head -n 20 | sed 's/^/# /'
  exit 1
fi

echo "ok 1 - fuzz-message: $runs runs in $seconds s, no crash"
