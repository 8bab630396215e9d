/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>
#include "rw-outcome.h"
#include "rw-ratings.h"

G_BEGIN_DECLS

/**
 * RwLearnerOptions:
 * @cost_weight: quality points given up for each US dollar per thousand requests
 * @budget_per_1k: when above 0, the cost weight is the least that keeps the expected cost of a
 *   thousand requests within this many dollars
 * @ceiling_usd: when above 0, models whose answers cost more on average are left out
 * @latency_ms: when above 0, models whose median latency is longer are left out
 * @cancellable: (nullable): stops the learning between its steps; it then fails with
 *   %G_IO_ERROR_CANCELLED
 * @allow_unpriced: a model with no cost known for any answer is left out, and the policy says
 *   so; without it, learning refuses such a model by name rather than count it as free
 */
typedef struct
{
  double cost_weight;
  double budget_per_1k;
  double ceiling_usd;
  double latency_ms;
  GCancellable *cancellable;
  gboolean allow_unpriced;
} RwLearnerOptions;

JsonNode *rw_learner_learn (GPtrArray              *outcomes,
                            RwComparisons          *comparisons,
                            const RwLearnerOptions *options,
                            GError                **error);

G_END_DECLS
