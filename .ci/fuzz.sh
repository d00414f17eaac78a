#!/usr/bin/env bash
# Run by .ci/run: a short coverage-guided run of every fuzz target from the committed corpus.
# cargo-fuzz needs nightly compiler features; RUSTC_BOOTSTRAP unlocks them on the stable
# toolchain (no other toolchain can be downloaded here).
set -euo pipefail

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --locked --quiet cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-20}"
for target in scim ceql fulltext request_bodies; do
  echo "-- fuzz $target for ${seconds}s"
  # New inputs go to a scratch folder; the committed corpus is only read.
  scratch="$(mktemp -d)"
  cargo fuzz run --fuzz-dir fuzz "$target" "$scratch" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 | tail -n 12
  rm -rf "$scratch"
done
