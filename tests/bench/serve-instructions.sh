#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The CPU work of one request through the local endpoint, counted in instructions by callgrind:
# routewise-cli serve in front of a static upstream (nginx), N non-streamed requests on one
# kept-alive connection, each stored. The count at N requests less the count at none, divided by
# N, is what one request costs, start-up aside. Unlike a timed run it does not move with the rest
# of the machine, so a change of a few percent shows.
#
#   tests/bench/serve-instructions.sh [REQUESTS, default 1000]
#
# With ROUTEWISE_BASELINE=/path/to/another/routewise-cli, that build is counted too, and the
# ratio printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
N=${1:-1000}

. tests/bench/common.sh
bench_need valgrind:valgrind nginx:nginx-light curl:curl

WORK=$(mktemp -d)
cleanup () {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
UP=$(free_port)
BODY='{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, world!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}'
bench_upstream "$WORK" "$UP" "$BODY"
mkdir -p "$WORK/config"
cat > "$WORK/config/providers.json" <<JSON
{"providers": [{"id": "up", "kind": "openai", "base_url": "http://127.0.0.1:$UP/v1"}],
 "models": [{"id": "up/m", "provider": "up", "name": "m", "input_price": 1, "output_price": 2}],
 "local": []}
JSON

# count CLI REQUESTS -> the instructions callgrind counted, start-up and shut-down included
count () {
  local cli=$1 n=$2 port pid
  port=$(free_port)
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  ROUTEWISE_CONFIG_DIR="$WORK/config" ROUTEWISE_DATA_DIR="$WORK/data" \
    valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
    "$cli" serve --port "$port" --threads 1 > "$WORK/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
  python3 - "$port" "$n" "$WORK/config/token" <<'PY'
import http.client, json, sys
port, n, token = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3]).read().strip()
conn = http.client.HTTPConnection("127.0.0.1", port)
body = json.dumps({"model": "up/m", "messages": [{"role": "user", "content": "hi"}]})
for _ in range(n):
    conn.request("POST", "/v1/chat/completions", body,
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    reply = conn.getresponse()
    reply.read()
    if reply.status != 200:
        sys.exit(f"the endpoint answered {reply.status}")
PY
  kill -INT "$pid"; wait "$pid" || true
  awk '/^(summary|totals):/ { print $2; exit }' "$WORK/callgrind.out"
}

per_request () {  # CLI -> "instructions_per_request startup_instructions"
  local idle busy
  idle=$(count "$1" 0)
  busy=$(count "$1" "$N")
  echo "$(( (busy - idle) / N )) $idle"
}

read -r THIS THIS_START < <(per_request "$ROOT/_build/app/routewise-cli")
echo
echo "One request through routewise-cli serve, counted by callgrind over $N requests, $(date -u +%F)"
printf '%-10s %24s %24s\n' build "instructions/request" "start-up instructions"
printf '%-10s %24d %24d\n' this "$THIS" "$THIS_START"
if [ -n "${ROUTEWISE_BASELINE:-}" ]; then
  read -r BASE BASE_START < <(per_request "$ROUTEWISE_BASELINE")
  printf '%-10s %24d %24d  %s\n' baseline "$BASE" "$BASE_START" "$ROUTEWISE_BASELINE"
  awk -v a="$THIS" -v b="$BASE" 'BEGIN { printf "This build/baseline: %.3fx the instructions per request\n", a / b }'
fi
