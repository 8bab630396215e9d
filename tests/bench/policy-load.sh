#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What loading a learned policy costs: the demo's policy (RouteLLM's MMLU and GSM8K, a budget
# of $0.50 per 1,000 requests: 58 tasks, a classifier and a per-prompt router, about 10 MB of
# JSON) loaded by `routewise-cli classify`, which reads it as `serve` and the window do, then
# routes one prompt. Prints the median wall time and the largest peak memory of RUNS runs.
#
#   tests/bench/policy-load.sh [RUNS, default 7]
#
# With ROUTEWISE_BASELINE=/path/to/another/routewise-cli, that build learns the same policy and
# loads the file it wrote, in the same run, alternating with this one, and the ratios are
# printed: a change to how the file is written counts as well as one to how it is read.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-7}

. tests/bench/common.sh
bench_need time:time

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ROUTEWISE_DATA_DIR=$WORK/data ROUTEWISE_CONFIG_DIR=$WORK/config
CLI=$PWD/_build/app/routewise-cli
"$CLI" import routellm data/routellm/mmlu > /dev/null 2>&1
"$CLI" import routellm data/recorded/gsm8k_responses.csv > /dev/null 2>&1

PROMPT="Find the degree for the given field extension Q(sqrt(2), sqrt(3)) over Q."
# one K -> "seconds peak-KiB": build K loads the policy it wrote
one () {
  /usr/bin/time -f "%e %M" -o "$WORK/time" "${clis[$1]}" classify --policy "$WORK/policy-$1.json" \
    "$PROMPT" > /dev/null
  cat "$WORK/time"
}

declare -a names=(this) clis=("$CLI")
[ -n "${ROUTEWISE_BASELINE:-}" ] && names+=(baseline) clis+=("$ROUTEWISE_BASELINE")
for k in "${!clis[@]}"; do
  "${clis[$k]}" policy learn --budget 0.5 -o "$WORK/policy-$k.json" > /dev/null 2>&1
  printf '%-9s policy file %d bytes\n' "${names[$k]}" "$(stat -c %s "$WORK/policy-$k.json")"
done
echo "$RUNS runs each"
for k in "${!clis[@]}"; do : > "$WORK/runs-$k"; done
for ((r = 0; r < RUNS; r++)); do
  for k in "${!clis[@]}"; do one "$k" >> "$WORK/runs-$k"; done
done
for k in "${!clis[@]}"; do
  read -r secs kib < <(sort -n "$WORK/runs-$k" | awk '{t[NR]=$1; if ($2>m) m=$2} END {print t[int((NR+1)/2)], m}')
  printf '%-9s median %.2f s, peak %d MiB\n' "${names[$k]}" "$secs" $((kib / 1024))
  echo "$secs $kib" > "$WORK/result-$k"
done
if [ ${#clis[@]} -eq 2 ]; then
  read -r s0 m0 < "$WORK/result-0"; read -r s1 m1 < "$WORK/result-1"
  awk -v s0="$s0" -v s1="$s1" -v m0="$m0" -v m1="$m1" \
    'BEGIN { printf "this / baseline: time %.2f, peak memory %.2f\n", s0 / s1, m0 / m1 }'
fi
