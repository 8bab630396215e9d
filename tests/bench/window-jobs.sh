#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The main loop's longest stall while the window does its long jobs, under Xvfb with the cairo
# renderer: how late a 1 ms timer on the main context came, p99 and max, in milliseconds.
#
#   idle      the Evaluate view shown, doing nothing: the baseline, in the same run
#   switch    views shown once already, shown again in turn: a whole window repainted by the
#             cairo renderer, with no work of Routewise's beside it (the second baseline)
#   evaluate  500 items × 4 models evaluated from the Evaluate view, the mock upstream answering
#             at once (2,000 answers stored, the live matrix and the report drawn)
#   learn     a policy learned in the Policies view from RouteLLM's grades (57 MMLU subjects and
#             GSM8K: 30,478 graded answers), then evaluated held out (5-fold)
#   activate  that policy (10 MB of JSON) kept and made active: Compare and the endpoint read it
#   export    that kept policy exported as a Routewise file (read back, converted, written)
#
#   bash tests/bench/window-jobs.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/common.sh
bench_need xvfb-run:xvfb
rounds=${1:-3}
bin=${BENCH_BIN:-_build/tests/bench-window-jobs}
[ -x "$bin" ] || ninja -C _build tests/bench-window-jobs >/dev/null

declare -A sum max
for i in $(seq "$rounds"); do
  for mode in idle switch evaluate learn activate export; do
    line=$(env GDK_DEBUG=gl-disable GSK_RENDERER=cairo GTK_A11Y=none GSETTINGS_BACKEND=memory \
             GSETTINGS_SCHEMA_DIR=_build/data \
             xvfb-run -a -s "-screen 0 1920x1080x24" "$bin" "$mode" 2>/dev/null | grep 'stall_max=')
    echo "$line"
    for key in stall_p99 stall_max; do
      v=$(grep -o "$key=[0-9.]*" <<<"$line" | cut -d= -f2)
      sum[$mode.$key]=$(python3 -c "print(${sum[$mode.$key]:-0} + $v)")
      max[$mode.$key]=$(python3 -c "print(max(${max[$mode.$key]:-0}, $v))")
    done
  done
done

echo
printf '%-9s %10s %10s %10s   (%s runs, ms; target: under 16 ms)\n' mode p99_mean max_mean max_worst "$rounds"
for mode in idle switch evaluate learn activate export; do
  printf '%-9s %10.2f %10.2f %10.2f\n' "$mode" \
    "$(python3 -c "print(${sum[$mode.stall_p99]} / $rounds)")" \
    "$(python3 -c "print(${sum[$mode.stall_max]} / $rounds)")" "${max[$mode.stall_max]}"
done
for mode in evaluate learn activate export; do
  printf '%s: longest stall %.1fx idle, %.1fx switching views\n' "$mode" \
    "$(python3 -c "print(${sum[$mode.stall_max]} / max(${sum[idle.stall_max]}, 1e-9))")" \
    "$(python3 -c "print(${sum[$mode.stall_max]} / max(${sum[switch.stall_max]}, 1e-9))")"
done
