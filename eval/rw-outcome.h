/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

/**
 * RwOutcome:
 * @item: what was asked (a prompt, and which repetition)
 * @task: its task
 * @prompt: its text
 * @model: the model that answered
 * @score: the answer's grade, 0 to 1 (a person's grade over the machines')
 * @cost_usd: what the answer cost, NAN when unknown
 * @latency_ms: how long it took, NAN when unknown
 * @benchmark: (nullable): the benchmark or suite it belongs to
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
  char *benchmark;
} RwOutcome;

void       rw_outcome_free  (RwOutcome  *outcome);
guint      rw_outcome_next_sample (GHashTable *seen,
                                   const char *item,
                                   const char *model);
GPtrArray *rw_outcomes_load (RwStore    *store,
                             GError    **error);

G_END_DECLS
