#!/usr/bin/env bash
# Run by .ci/run after the tests: schemathesis generates thousands of requests from the served
# OpenAPI document against a real server (SQLite) and fails on any 5xx answer, any response
# that breaks the document's schema, and any undocumented status code or content type.
set -euo pipefail

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "installing schemathesis"
  python3 -m pip install -q schemathesis 2>/dev/null \
    || python3 -m pip install -q --break-system-packages schemathesis
fi
export PATH="$HOME/.local/bin:$PATH"

work="$(mktemp -d)"
bin=target/debug/tenantry
[ -x "$bin" ] || cargo build -q -p tenantry --locked
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
# Something for the generated requests to find.
curl -fsS -X POST "http://$address/api/accounts" -H "Authorization: Bearer $owner" \
  -H 'Content-Type: application/json' -d '{"name": "Acme", "device_seats": 10}' >/dev/null

schemathesis run "http://$address/api/openapi.json" \
  -H "Authorization: Bearer $owner" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --request-timeout 10 --seed 1
