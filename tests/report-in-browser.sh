#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The HTML report as a person sees it: a run over real recorded GSM8K answers of two models,
# reported as one HTML file, opened in Debian's chromium (headless) with no network. The page
# must load with no script error, its DOM must hold the tables and both charts with every model,
# and the screenshot (tests/report-in-browser.png in the build folder) must be a real picture.
# TAP output.
set -uo pipefail

cli=${ROUTEWISE_CLI:?}
src=${G_TEST_SRCDIR:?}/..
out=${G_TEST_BUILDDIR:?}/report-in-browser.png

echo "1..4"
. "$(dirname "$0")/chromium.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ROUTEWISE_CONFIG_DIR=$work/config ROUTEWISE_DATA_DIR=$work/data HOME=$work
mkdir -p "$ROUTEWISE_CONFIG_DIR"
printf '{"providers": [{"id": "recorded", "kind": "recorded", "speed": 0}]}\n' \
  > "$ROUTEWISE_CONFIG_DIR/providers.json"
head -n 60 "$src/data/suites/gsm8k-sample.jsonl" > "$work/suite.jsonl"

"$cli" eval run "$work/suite.jsonl" -m recorded/gpt-4-1106-preview \
  -m recorded/mixtral-8x7b-instruct-v0.1 -j 16 --json \
  > "$work/run.json" 2> "$work/run.err"
run=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$work/run.json" 2>/dev/null)
if [ -z "$run" ]; then
  echo "not ok 1 the evaluation run"; sed 's/^/# /' "$work/run.err" "$work/run.json"; exit 1
fi
"$cli" eval report "$run" --format html > "$work/report.html" || { echo "not ok 1 the report"; exit 1; }
echo "ok 1 a run of 60 items x 2 models reported as HTML ($(wc -c < "$work/report.html") bytes)"

flags=("${chromium_flags[@]}" --user-data-dir="$work/profile")
"$browser" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
  --dump-dom "file://$work/report.html" > "$work/dom.html" 2> "$work/browser.err"
if grep -q "Uncaught\|SyntaxError\|TypeError" "$work/browser.err"; then
  echo "not ok 2 the page has script errors"; grep "Uncaught\|Error" "$work/browser.err" | sed 's/^/# /'
else
  echo "ok 2 the page loads with no script error"
fi

missing=""
for want in "<svg" "Cost against quality" "Latency" "gpt-4-1106-preview" "mixtral-8x7b-instruct-v0.1" \
            "<table"; do
  grep -q -- "$want" "$work/dom.html" || missing="$missing $want"
done
if [ -n "$missing" ]; then
  echo "not ok 3 the rendered page lacks:$missing"
else
  echo "ok 3 the rendered page holds the tables, both charts and every model"
fi

rm -f "$out"
"$browser" "${flags[@]}" --window-size=1280,2200 --screenshot="$out" "file://$work/report.html" \
  > /dev/null 2>> "$work/browser.err"
python3 - "$out" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
try:
    data = open(path, "rb").read()
except OSError as e:
    print(f"not ok 4 no screenshot: {e}"); sys.exit(0)
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("not ok 4 the screenshot is not a PNG"); sys.exit(0)
w, h = struct.unpack(">II", data[16:24])
# Decode the image to count its colours: a blank or failed page has one or two.
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = data[25] == 6 and 4 or 3
stride = w * bpp + 1
colours = set()
for y in range(0, h, 7):
    row = raw[y * stride + 1:(y + 1) * stride]
    for x in range(0, w * bpp, bpp * 5):
        colours.add(row[x:x + 3])
ok = (w, h) == (1280, 2200) and len(colours) > 20
print(f"{'ok' if ok else 'not ok'} 4 screenshot {w}x{h}, {len(colours)} distinct colours sampled: {path}")
PY
