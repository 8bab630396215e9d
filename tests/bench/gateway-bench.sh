#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Gateway overhead, in one run on loopback: a static upstream (nginx) alone, Routewise's endpoint
# in front of it (every request stored), and the Portkey gateway in front of it, each driven by
# wrk at 1, 16 and 64 connections. Prints requests/s, median and p99 latency, the latency added
# over the upstream alone, peak resident memory, and the ratios against Portkey.
#
# For scale it also measures nginx itself as a bare reverse proxy in front of the same upstream
# (keep-alive upstream connections, no access log): what a proxy that does nothing but forward
# costs on this machine, with the load generator and the upstream on the same cores.
#
#   tests/bench/gateway-bench.sh [SECONDS per run, default 10]
#
# With ROUTEWISE_BASELINE=/path/to/another/routewise-cli, that build serves too, in front of the
# same upstream, and is measured in the same turns: how a change is measured before it lands.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DURATION=${1:-10}
CONNS=(1 16 64)

. tests/bench/common.sh
bench_need wrk:wrk nginx:nginx-light
if [ ! -f tests/bench/node_modules/@portkey-ai/gateway/package.json ]; then
  (cd tests/bench && npm install --no-audit --no-fund --no-package-lock --loglevel=error --ignore-scripts)
fi

WORK=$(mktemp -d)
PIDS=()
cleanup () {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -f "$WORK/proxy/nginx.pid" ] && kill "$(cat "$WORK/proxy/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

UP=$(free_port); RW=$(free_port); PK=$(free_port); NP=$(free_port); BL=$(free_port)
BASELINE=${ROUTEWISE_BASELINE:-}

# The upstream: one static chat completion, as fast as nginx can say it.
BODY='{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, world!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}'
mkdir -p "$WORK/proxy"
cat > "$WORK/proxy/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/proxy/nginx.pid;
error_log $WORK/proxy/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/proxy;
  upstream up { server 127.0.0.1:$UP; keepalive 128; }
  server {
    listen 127.0.0.1:$NP;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
bench_upstream "$WORK" "$UP" "$BODY"
"$(command -v nginx || echo /usr/sbin/nginx)" -c "$WORK/proxy/nginx.conf" -p "$WORK/proxy"

# Routewise in front of it, storing every request.
mkdir -p "$WORK/config" "$WORK/data"
cat > "$WORK/config/providers.json" <<JSON
{"providers": [{"id": "up", "kind": "openai", "base_url": "http://127.0.0.1:$UP/v1"}],
 "models": [{"id": "up/m", "provider": "up", "name": "m", "input_price": 1, "output_price": 2}]}
JSON
ROUTEWISE_CONFIG_DIR="$WORK/config" ROUTEWISE_DATA_DIR="$WORK/data" \
  "$ROOT/_build/app/routewise-cli" serve --port "$RW" > "$WORK/routewise.log" 2>&1 &
RW_PID=$!; PIDS+=("$RW_PID")
if [ -n "$BASELINE" ]; then
  mkdir -p "$WORK/baseline-data"
  ROUTEWISE_CONFIG_DIR="$WORK/config" ROUTEWISE_DATA_DIR="$WORK/baseline-data" \
    "$BASELINE" serve --port "$BL" > "$WORK/baseline.log" 2>&1 &
  BL_PID=$!; PIDS+=("$BL_PID")
fi

# Portkey's gateway in front of it.
NODE_ENV=production node tests/bench/node_modules/@portkey-ai/gateway/build/start-server.js \
  --port="$PK" --headless > "$WORK/portkey.log" 2>&1 &
PK_PID=$!; PIDS+=("$PK_PID")

wait_for () { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
wait_for "$UP"; wait_for "$RW"; wait_for "$PK"; wait_for "$NP"
[ -z "$BASELINE" ] || wait_for "$BL"
TOKEN=$(cat "$WORK/config/token")
NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx.pid")" | head -1)
PROXY_WORKER=$(pgrep -P "$(cat "$WORK/proxy/nginx.pid")" | head -1)

peak_kb () { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# run NAME URL MODEL TOKEN CUSTOM_HOST CONNS -> "rps p50_ms p99_ms requests"
run () {
  local out
  out=$(BENCH_MODEL=$3 BENCH_TOKEN=$4 BENCH_CUSTOM_HOST=$5 \
        wrk -t 1 -c "$6" -d "${DURATION}s" --latency -s tests/bench/post.lua "$2" 2>&1)
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$1 at $6 connections answered errors:" >&2; echo "$out" >&2; exit 1
  fi
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v + 0 / 1; if (v ~ /ms$/) return v * 1; if (v ~ /s$/) return v * 1000; return v }
    function to_ms(v,  n) { n = v; sub(/[a-z]+$/, "", n); if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n; if (v ~ /s$/) return n * 1000; return n }
    /^ +50%/ { p50 = to_ms($2) } /^ +99%/ { p99 = to_ms($2) }
    /Requests\/sec/ { rps = $2 } / requests in / { n = $1 }
    END { printf "%s %.3f %.3f %s\n", rps, p50, p99, n }'
}

# Warm up each, so that the first measured run does not pay for JIT or connection set-up.
run up "http://127.0.0.1:$UP/v1/chat/completions" m x "" 4 >/dev/null
RW_WARMUP=$(run rw "http://127.0.0.1:$RW/v1/chat/completions" up/m "$TOKEN" "" 4 | cut -d' ' -f4)
run pk "http://127.0.0.1:$PK/v1/chat/completions" m x "http://127.0.0.1:$UP/v1" 4 >/dev/null
run np "http://127.0.0.1:$NP/v1/chat/completions" m x "" 4 >/dev/null
[ -z "$BASELINE" ] || run bl "http://127.0.0.1:$BL/v1/chat/completions" up/m "$TOKEN" "" 4 >/dev/null

declare -A R
rw_requests=0
for c in "${CONNS[@]}"; do
  R[up,$c]=$(run upstream "http://127.0.0.1:$UP/v1/chat/completions" m x "" "$c")
  R[rw,$c]=$(run routewise "http://127.0.0.1:$RW/v1/chat/completions" up/m "$TOKEN" "" "$c")
  R[pk,$c]=$(run portkey "http://127.0.0.1:$PK/v1/chat/completions" m x "http://127.0.0.1:$UP/v1" "$c")
  R[np,$c]=$(run nginx-proxy "http://127.0.0.1:$NP/v1/chat/completions" m x "" "$c")
  [ -z "$BASELINE" ] ||
    R[bl,$c]=$(run baseline "http://127.0.0.1:$BL/v1/chat/completions" up/m "$TOKEN" "" "$c")
  rw_requests=$((rw_requests + $(echo "${R[rw,$c]}" | cut -d' ' -f4)))
done

MEM_UP=$(peak_kb "$NGINX_WORKER"); MEM_RW=$(peak_kb "$RW_PID"); MEM_PK=$(peak_kb "$PK_PID")
MEM_NP=$(peak_kb "$PROXY_WORKER")
[ -z "$BASELINE" ] || MEM_BL=$(peak_kb "$BL_PID")

# Every request Routewise served is in its database.
kill -INT "$RW_PID"; wait "$RW_PID" 2>/dev/null || true
STORED=$(sqlite3 "$WORK/data/routewise.db" "SELECT count(*) FROM responses WHERE status = 'ok'")

echo
echo "Gateway overhead on loopback, ${DURATION} s per run, wrk -t1, $(nproc) cores, $(date -u +%F)"
printf '%-11s %5s %10s %10s %10s %12s %10s\n' target conns "req/s" "p50 ms" "p99 ms" "added p50" "peak MB"
TARGETS=(up rw pk np)
[ -z "$BASELINE" ] || TARGETS+=(bl)
for c in "${CONNS[@]}"; do
  read -r up_rps up_p50 up_p99 _ <<< "${R[up,$c]}"
  for t in "${TARGETS[@]}"; do
    read -r rps p50 p99 _ <<< "${R[$t,$c]}"
    case $t in
      up) name=upstream; mem=$MEM_UP;; rw) name=routewise; mem=$MEM_RW;;
      pk) name=portkey; mem=$MEM_PK;; np) name=nginx-proxy; mem=$MEM_NP;;
      bl) name=baseline; mem=$MEM_BL;;
    esac
    added=$(awk -v a="$p50" -v b="$up_p50" 'BEGIN { printf "%.3f", a - b }')
    printf '%-11s %5d %10.0f %10.3f %10.3f %12s %10.1f\n' "$name" "$c" "$rps" "$p50" "$p99" "$added" \
      "$(awk -v k="$mem" 'BEGIN { print k / 1024 }')"
  done
done
echo
for c in "${CONNS[@]}"; do
  read -r up_rps up_p50 _ _ <<< "${R[up,$c]}"
  read -r rw_rps rw_p50 rw_p99 _ <<< "${R[rw,$c]}"
  read -r pk_rps pk_p50 pk_p99 _ <<< "${R[pk,$c]}"
  read -r np_rps np_p50 np_p99 _ <<< "${R[np,$c]}"
  awk -v c="$c" -v rr="$rw_rps" -v pr="$pk_rps" -v r5="$rw_p50" -v p5="$pk_p50" -v u5="$up_p50" \
      -v nr="$np_rps" -v r9="$rw_p99" -v n9="$np_p99" \
    'BEGIN { printf "%2d connections: Routewise/Portkey throughput %.1fx; added p50 Routewise %.3f ms, Portkey %.3f ms (%.1fx less); Routewise added p50 / upstream p50 = %.2f; against the bare nginx proxy: throughput %.2fx, p99 %.2fx\n",
             c, rr / pr, r5 - u5, p5 - u5, (p5 - u5) / (r5 - u5 > 0 ? r5 - u5 : 0.001), (r5 - u5) / u5,
             rr / nr, r9 / n9 }'
done
if [ -n "$BASELINE" ]; then
  for c in "${CONNS[@]}"; do
    read -r rw_rps rw_p50 rw_p99 _ <<< "${R[rw,$c]}"
    read -r bl_rps bl_p50 bl_p99 _ <<< "${R[bl,$c]}"
    awk -v c="$c" -v a="$rw_rps" -v b="$bl_rps" -v x="$rw_p50" -v y="$bl_p50" -v p="$rw_p99" \
        -v q="$bl_p99" -v m="$MEM_RW" -v n="$MEM_BL" \
      'BEGIN { printf "%2d connections: this build/baseline throughput %.3fx, p50 %.3fx, p99 %.3fx, peak memory %.3fx\n",
               c, a / b, x / y, p / q, m / n }'
  done
fi
echo "Routewise stored $STORED of the $((rw_requests + RW_WARMUP)) requests it served ($RW_WARMUP of them in the warm-up)."
read -r up1_rps up1_p50 _ _ <<< "${R[up,1]}"
read -r _ rw1_p50 _ _ <<< "${R[rw,1]}"
read -r rw16_rps _ _ _ <<< "${R[rw,16]}"
read -r pk16_rps _ _ _ <<< "${R[pk,16]}"
read -r _ _ rw64_p99 _ <<< "${R[rw,64]}"
read -r _ _ np64_p99 _ <<< "${R[np,64]}"
awk -v u="$up1_p50" -v r="$rw1_p50" -v a="$rw16_rps" -v p="$pk16_rps" -v q="$rw64_p99" \
    -v m="$MEM_RW" -v s="$STORED" -v n="$((rw_requests + RW_WARMUP))" -v nq="$np64_p99" \
  'function met(c) { return c ? "met" : "NOT met" }
   BEGIN { printf "Targets: added p50 at 1 connection within 2x the upstream'"'"'s (%.2fx): %s; at least 20x Portkey at 16 connections (%.1fx): %s; p99 under 2 ms at 64 connections (%.2f ms; the bare nginx proxy %.2f ms): %s; under 30 MB (%.1f MB): %s; every request stored: %s\n",
                  (r - u) / u, met((r - u) / u <= 2), a / p, met(a / p >= 20), q, nq, met(q < 2),
                  m / 1024, met(m / 1024 < 30), met(s >= n) }'
