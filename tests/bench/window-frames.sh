#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The window streaming eight answers in Markdown at about 100 tokens a second each, under Xvfb
# with the cairo renderer: milliseconds of work per frame (the frame clock's update to its
# after-paint), p50 / p99 / max, the time between frames, and the main loop's longest stall.
# Side by side in the same run: the same stream into eight plain GtkTextViews (the baseline: a
# window that shows text without rendering it), and the Markdown window once more after a first,
# unmeasured round (every font, icon and buffer of the window in use already).
#
#   bash tests/bench/window-frames.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/common.sh
bench_need xvfb-run:xvfb
rounds=${1:-3}
bin=_build/tests/bench-window-frames
[ -x "$bin" ] || ninja -C _build tests/bench-window-frames >/dev/null

run () {
  env "$@" GDK_DEBUG=gl-disable GSK_RENDERER=cairo GTK_A11Y=none GSETTINGS_BACKEND=memory \
      GSETTINGS_SCHEMA_DIR=_build/data \
      xvfb-run -a -s "-screen 0 1920x1080x24" "$bin" "${mode}" 2>/dev/null | grep 'frames='
}

declare -A sum
for i in $(seq "$rounds"); do
  for mode in plain markdown markdown-warm; do
    if [ "$mode" = markdown-warm ]; then line=$(mode=markdown run BENCH_WARM=1 | sed 's/^markdown/markdown-warm/')
    else line=$(run); fi
    echo "$line"
    for key in work_p50 work_p99 work_max stall_max; do
      v=$(grep -o "$key=[0-9.]*" <<<"$line" | cut -d= -f2)
      sum[$mode.$key]=$(python3 -c "print(${sum[$mode.$key]:-0} + $v)")
    done
  done
done

echo
printf '%-14s %9s %9s %9s %10s   (mean of %s runs, ms)\n' mode work_p50 work_p99 work_max stall_max "$rounds"
for mode in plain markdown markdown-warm; do
  printf '%-14s' "$mode"
  for key in work_p50 work_p99 work_max stall_max; do
    printf ' %9.2f' "$(python3 -c "print(${sum[$mode.$key]} / $rounds)")"
  done
  echo
done
for mode in markdown markdown-warm; do
  printf '%s / plain: p50 %.2fx, p99 %.2fx\n' "$mode" \
    "$(python3 -c "print(${sum[$mode.work_p50]} / ${sum[plain.work_p50]})")" \
    "$(python3 -c "print(${sum[$mode.work_p99]} / ${sum[plain.work_p99]})")"
done
