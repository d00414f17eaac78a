# Sourced by .ci/run: makes sure Python's aiosmtpd is importable, so the end-to-end mail tests
# run against a real SMTP server process, and makes those tests fail rather than skip.

if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "installing aiosmtpd"
  if ! command -v python3 >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3 >/dev/null
  fi
  python3 -m pip install -q aiosmtpd 2>/dev/null \
    || python3 -m pip install -q --break-system-packages aiosmtpd 2>/dev/null \
    || { command -v apt-get >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-aiosmtpd >/dev/null; } \
    || true
fi
python3 -c 'import aiosmtpd' || { echo "FAIL: cannot install aiosmtpd" >&2; exit 1; }
export TENANTRY_TEST_SMTP_REQUIRED=1
