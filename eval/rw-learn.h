/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

#include "rw-ratings.h"

G_BEGIN_DECLS

/**
 * RwOutcome:
 * @item: what was asked (a prompt, and which repetition)
 * @task: its task
 * @prompt: its text
 * @model: the model that answered
 * @score: the answer's grade, 0 to 1 (a person's grade over the machines')
 * @cost_usd: what the answer cost, NAN when unknown
 * @latency_ms: how long it took
 */
typedef struct
{
  char *item;
  char *task;
  char *prompt;
  char *model;
  double score;
  double cost_usd;
  double latency_ms;
} RwOutcome;

/**
 * RwLearnOptions:
 * @cost_weight: quality points given up for each US dollar per thousand requests
 * @budget_per_1k: when above 0, the cost weight is the least that keeps the expected cost of a
 *   thousand requests within this many dollars
 * @ceiling_usd: when above 0, models whose answers cost more on average are left out
 * @latency_ms: when above 0, models whose median latency is longer are left out
 */
typedef struct
{
  double cost_weight;
  double budget_per_1k;
  double ceiling_usd;
  double latency_ms;
} RwLearnOptions;

void       rw_outcome_free            (RwOutcome           *outcome);
GPtrArray *rw_learn_load_outcomes     (RwStore             *store,
                                       GError             **error);
char      *rw_routellm_import         (RwStore             *store,
                                       RwCatalog           *catalog,
                                       const char          *path,
                                       guint               *n_items,
                                       GError             **error);
JsonNode  *rw_policy_learn            (GPtrArray           *outcomes,
                                       RwComparisons       *comparisons,
                                       const RwLearnOptions *options,
                                       GError             **error);
JsonNode  *rw_policy_evaluate         (GPtrArray           *outcomes,
                                       JsonObject          *policy,
                                       guint                folds,
                                       const char          *strong,
                                       const char          *weak,
                                       GError             **error);
char      *rw_policy_evaluation_to_text (JsonNode          *evaluation);
char      *rw_policy_export           (JsonObject          *policy,
                                       RwCatalog           *catalog,
                                       const char          *format,
                                       GError             **error);

G_END_DECLS
