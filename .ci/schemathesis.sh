#!/usr/bin/env bash
# Run by .ci/run after the tests: schemathesis generates thousands of requests from the served
# OpenAPI document against a real server (SQLite) and fails on any 5xx answer, any response
# that breaks the document's schema, and any undocumented status code or content type.
set -euo pipefail
cd "$(dirname "$0")/.."

# A virtual environment of its own, so the system Python stays untouched (PEP 668).
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/tenantry-ci/schemathesis-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "installing schemathesis"
  if ! python3 -m venv --help >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  # Pinned: option meanings changed between major versions (e.g. --request-timeout units).
  "$venv/bin/python" -m pip install -q 'schemathesis==4.32.5'
fi

work="$(mktemp -d)"
cargo build -q -p tenantry --locked
bin="${CARGO_TARGET_DIR:-target}/debug/tenantry"
db="sqlite://$work/contract.db"
owner="$("$bin" token create --role owner --database "$db")"
"$bin" serve --listen 127.0.0.1:0 --database "$db" --rate-per-address 0 --rate-per-credential 0 \
  >"$work/out" 2>"$work/err" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/out" 2>/dev/null && break
  sleep 0.1
done
address="$(sed -n 's/^listening on //p' "$work/out")"
[ -n "$address" ] || { echo "FAIL: the server did not start" >&2; cat "$work/err" >&2; exit 1; }
# Something for the generated requests to find (Python rather than curl: one tool fewer).
python3 - "$address" "$owner" <<'PY'
import json, sys, urllib.request
address, owner = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    f"http://{address}/api/accounts",
    data=json.dumps({"name": "Acme", "device_seats": 10}).encode(),
    headers={"Authorization": f"Bearer {owner}", "Content-Type": "application/json"},
)
urllib.request.urlopen(request).read()
PY

cd "$work"  # schemathesis keeps a cache folder where it runs
"$venv/bin/schemathesis" run "http://$address/api/openapi.json" \
  -H "Authorization: Bearer $owner" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --request-timeout 10 --seed 1
