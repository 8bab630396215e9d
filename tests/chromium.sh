# SPDX-License-Identifier: GPL-3.0-or-later
#
# Debian's chromium for the browser tests (report-in-browser.sh, cors-in-browser.sh), sourced
# after they print their TAP plan: sets $browser, and $chromium_flags for a headless run with no
# network but loopback; without chromium the test is skipped, or fails where
# ROUTEWISE_REQUIRE_CONFORMANCE says it must run (build-aux/run test installs it).
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ -n "${ROUTEWISE_REQUIRE_CONFORMANCE:-}" ]; then
    echo "not ok 1 chromium is not installed (build-aux/run test installs it)"
    exit 1
  fi
  echo "ok 1 # SKIP chromium is not installed"
  exit 0
fi
chromium_flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
                --disable-background-networking --disable-sync --proxy-server=127.0.0.1:9
                --hide-scrollbars)
