#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The endpoint called from a web page in a real browser (Debian's chromium, headless, no
# network): `routewise-cli serve --allow-origin` names the page's origin, and the page's own
# fetch() calls, with the bearer token, must get through the browser's CORS checks (the
# preflight, then the reply): a whole answer with the x-routewise-model header readable, a
# streamed one read to its end, and the models list. A page from an origin not allowed must be
# stopped. TAP output.
set -uo pipefail

cli=${ROUTEWISE_CLI:?}

echo "1..5"
. "$(dirname "$0")/chromium.sh"

work=$(mktemp -d)
pids=()
cleanup () {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export ROUTEWISE_CONFIG_DIR=$work/config ROUTEWISE_DATA_DIR=$work/data HOME=$work
mkdir -p "$ROUTEWISE_CONFIG_DIR" "$work/allowed" "$work/other"
printf '{"providers": [{"id": "recorded", "kind": "recorded", "speed": 0}]}\n' \
  > "$ROUTEWISE_CONFIG_DIR/providers.json"

# A static web server on a port of its own; prints the port.
page_server () {
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$1" > "$work/$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/$2.log" | head -n 1)
    [ -n "$port" ] && { echo "$port"; return; }
    sleep 0.1
  done
}
allowed=$(page_server "$work/allowed" allowed)
other=$(page_server "$work/other" other)

"$cli" serve --port 0 --allow-origin "http://127.0.0.1:$allowed" > "$work/serve.out" \
  2> "$work/serve.err" &
pids+=($!)
for _ in $(seq 100); do
  endpoint=$(sed -n 's|^Routewise is serving \(http://[^ ]*\)$|\1|p' "$work/serve.out")
  [ -n "$endpoint" ] && break
  sleep 0.1
done
if [ -z "$allowed" ] || [ -z "$other" ] || [ -z "$endpoint" ]; then
  echo "not ok 1 the endpoint and two page servers"
  sed 's/^/# /' "$work"/*.log "$work/serve.out" "$work/serve.err"
  exit 1
fi
echo "ok 1 the endpoint at $endpoint allows pages from port $allowed, not from port $other"

token=$(cat "$ROUTEWISE_CONFIG_DIR/token")
page='<!doctype html><html><body><pre id="out">pending</pre><script>
const base = "'"$endpoint"'", token = "'"$token"'";
const headers = { "Authorization": "Bearer " + token, "Content-Type": "application/json" };
const prompt = "Argue for and against the use of kubernetes in the style of a haiku.";
const out = {};
(async () => {
  try {
    const r = await fetch(base + "/chat/completions", { method: "POST", headers,
      body: JSON.stringify({ model: "recorded/gpt-4", messages: [{ role: "user", content: prompt }] }) });
    const j = await r.json();
    out.whole = { status: r.status, model: r.headers.get("x-routewise-model"),
                  text: j.choices[0].message.content };
  } catch (e) { out.whole = { error: String(e) }; }
  try {
    const r = await fetch(base + "/chat/completions", { method: "POST", headers,
      body: JSON.stringify({ model: "recorded/gpt-4", stream: true,
                             messages: [{ role: "user", content: prompt }] }) });
    const reader = r.body.getReader(), decoder = new TextDecoder();
    let text = "";
    for (;;) { const { done, value } = await reader.read(); if (done) break; text += decoder.decode(value); }
    out.stream = { status: r.status, events: text.split("data: ").length - 1,
                   done: text.includes("[DONE]") };
  } catch (e) { out.stream = { error: String(e) }; }
  try {
    const r = await fetch(base + "/models", { headers });
    out.models = { status: r.status, count: (await r.json()).data.length };
  } catch (e) { out.models = { error: String(e) }; }
  document.getElementById("out").textContent = "RESULT " + JSON.stringify(out);
})();
</script></body></html>'
printf '%s\n' "$page" > "$work/allowed/page.html"
printf '%s\n' "$page" > "$work/other/page.html"

result () {
  "$browser" "${chromium_flags[@]}" --user-data-dir="$work/profile-$1" --virtual-time-budget=15000 \
    --dump-dom "http://127.0.0.1:$1/page.html" 2> "$work/browser-$1.err" \
    | sed -n 's/.*RESULT \(.*\)<\/pre>.*/\1/p' | sed 's/&quot;/"/g'
}
seen=$(result "$allowed")
echo "# allowed page: $seen"
python3 - "$seen" <<'PY'
import json, sys
try:
    r = json.loads(sys.argv[1])
except ValueError:
    print("not ok 2 the allowed page's whole answer: no result"); print("not ok 3 the stream")
    print("not ok 4 the models"); sys.exit(0)
w, s, m = r.get("whole", {}), r.get("stream", {}), r.get("models", {})
ok = w.get("status") == 200 and w.get("model") == "recorded/gpt-4" and "Kubernetes" in w.get("text", "")
print(("ok" if ok else "not ok") + " 2 the allowed page reads a whole answer and x-routewise-model: %s" % w)
ok = s.get("status") == 200 and s.get("done") and s.get("events", 0) > 2
print(("ok" if ok else "not ok") + " 3 the allowed page reads a streamed answer to its end: %s" % s)
ok = m.get("status") == 200 and m.get("count", 0) > 1
print(("ok" if ok else "not ok") + " 4 the allowed page lists the models: %s" % m)
PY
seen=$(result "$other")
echo "# other page: $seen"
python3 - "$seen" <<'PY'
import json, sys
try:
    r = json.loads(sys.argv[1])
except ValueError:
    print("not ok 5 the other page: no result"); sys.exit(0)
blocked = all("error" in r.get(k, {}) for k in ("whole", "stream", "models"))
print(("ok" if blocked else "not ok") + " 5 a page from an origin not allowed is stopped: %s" % r)
PY
