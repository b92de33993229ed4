#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds one libFuzzer target with clang and runs it over a scratch copy of
# its committed seed corpus; prints TAP.
#
#   tests/fuzz/run-fuzz.sh BUILD_DIR [SECONDS] [TARGET]
#
# TARGET is `message` (the hub's envelope decoder, the default) or
# `path-template` (path templates); SECONDS defaults to 60. BUILD_DIR is a
# configured and built meson build directory (for config.h and the
# generated libqi headers). The sources under test are compiled into the
# target, so that libFuzzer sees their coverage. Needs clang and
# libclang-rt-14-dev (Debian 12). Exits non-zero on a crash, leak,
# sanitizer report or failed check; the reproducer is kept and named in
# the output.
set -eu

build=${1:?usage: run-fuzz.sh BUILD_DIR [SECONDS] [TARGET]}
seconds=${2:-60}
target=${3:-message}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "$build" && pwd)
name=fuzz-$target

case $target in
  message)
    sources="$src/libqi/hub/qi-message.c $src/libqi/core/qi-json-reader.c $src/libqi/core/qi-json-writer.c
             $src/libqi/hub/qi-hub-error.c"
    max_len=4096 ;;
  path-template)
    # qi-enum-types.c: the GType of QiPlatform, for QiTemplateSet's property
    sources="$src/libqi/core/qi-path-template.c $src/libqi/core/qi-template-set.c $build/libqi/qi-enum-types.c"
    max_len=512 ;;
  *)
    echo "run-fuzz.sh: unknown target $target" >&2
    exit 2 ;;
esac

echo "1..1"

if ! command -v clang >/dev/null 2>&1; then
  echo "ok 1 - $name # SKIP clang is not installed (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/qi-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2046,SC2086 # word splitting of pkg-config output and $sources is wanted
if ! clang -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DQI_COMPILATION -DG_LOG_DOMAIN='"Qi"' \
    -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
    -I"$build" -I"$build/libqi" -I"$build/libqi/include" -I"$build/libqi/include/qi" -I"$src/libqi/core" \
    -I"$src/libqi/hub" \
    $(pkg-config --cflags glib-2.0 gobject-2.0 json-glib-1.0 libsoup-3.0) \
    "$here/$name.c" $sources \
    $(pkg-config --libs glib-2.0 gobject-2.0 json-glib-1.0) \
    -o "$work/$name" >"$work/build.log" 2>&1; then
  echo "not ok 1 - $name: the target does not build"
  sed 's/^/# /' "$work/build.log"
  exit 1
fi

cp -R "$here/corpus/$target" "$work/corpus"
mkdir "$work/artifacts"

status=0
(
  cd "$work"
  G_SLICE=always-malloc \
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  LSAN_OPTIONS="suppressions=$src/tests/lsan.supp" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ./"$name" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" corpus
) >"$work/fuzz.log" 2>&1 || status=$?

runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/fuzz.log" | tail -n 1)

if [ "$status" -ne 0 ] || [ -z "$runs" ]; then
  keep=$(mktemp -d "${TMPDIR:-/tmp}/qi-fuzz-crash-XXXXXX")
  cp -R "$work/artifacts/." "$keep/" 2>/dev/null || true
  cp "$work/fuzz.log" "$keep/"
  echo "not ok 1 - $name: crash or failed check (exit $status); reproducers and log in $keep"
  grep -E "ERROR|$name:|SUMMARY|Test unit written" "$work/fuzz.log" | head -n 20 | sed 's/^/# /'
  exit 1
fi

echo "ok 1 - $name: $runs runs in $seconds s, no crash"
