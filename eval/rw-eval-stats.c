/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-eval-tally-private.h"
#include "rw-json.h"

/* The statistics of a report: Wilson intervals of pass rates, the sign test of paired outcomes. */

/*
 * The report of an evaluation run: per model and task, how many items passed with a 95%
 * interval, the mean score, what it cost, latency percentiles and failures. Every
 * (item, model, repetition) counts once: its successful answer if there is one, else as a
 * failure.
 */

/**
 * rw_wilson_interval:
 * @passed: successes
 * @n: trials
 * @low: (out): the lower bound
 * @high: (out): the upper bound
 *
 * The 95% Wilson score interval of a pass rate, which stays inside [0, 1] and behaves for
 * small n and for rates near 0 or 1.
 */
void
rw_wilson_interval (guint   passed,
                    guint   n,
                    double *low,
                    double *high)
{
  const double z = 1.959963984540054;
  double p, denom, centre, half;

  if (n == 0)
    {
      *low = 0;
      *high = 1;
      return;
    }
  p = (double) passed / n;
  denom = 1 + z * z / n;
  centre = (p + z * z / (2.0 * n)) / denom;
  half = z * sqrt (p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
  *low = MAX (0, centre - half);
  *high = MIN (1, centre + half);
}

/**
 * rw_sign_test:
 * @wins: pairs the first model won
 * @losses: pairs it lost (ties are left out)
 *
 * Returns: the two-sided p-value of the exact sign test: how likely a split at least this
 *   uneven is when both models are equally good
 */
double
rw_sign_test (guint wins,
              guint losses)
{
  guint n = wins + losses, k = MIN (wins, losses);
  double tail = 0;

  if (n == 0)
    return 1.0;
  for (guint i = 0; i <= k; i++)
    tail += exp (lgamma (n + 1.0) - lgamma (i + 1.0) - lgamma (n - i + 1.0) - n * log (2.0));
  return MIN (1.0, 2 * tail);
}
