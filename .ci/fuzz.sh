#!/usr/bin/env bash
# Run by .ci/run: a short coverage-guided run of every fuzz target from the committed corpus.
# cargo-fuzz needs nightly compiler features; RUSTC_BOOTSTRAP unlocks them on the stable
# toolchain (no other toolchain can be downloaded here). The AddressSanitizer runtime ships with
# rustup's stable toolchain; with a distribution's rustc lacking it, set FUZZ_SANITIZER=none.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --locked --quiet cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-20}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in scim ceql fulltext request_bodies; do
  echo "-- fuzz $target for ${seconds}s"
  # New inputs go to a scratch folder; the committed corpus is only read.
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  if ! cargo fuzz run --fuzz-dir fuzz --sanitizer "${FUZZ_SANITIZER:-address}" "$target" \
      "$scratch/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log" 2>&1; then
    cat "$log"
    echo "FAIL: fuzz target $target found a problem (input under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  tail -n 4 "$log"
done
