/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>
#include "rw-outcome.h"

G_BEGIN_DECLS

/**
 * RwOfflineOptions:
 * @folds: how many folds to cross-validate with (2 or more)
 * @strong: (nullable): the strong model of RouteLLM's measures
 * @weak: (nullable): the weak one; with two models and neither named, the better is strong
 * @test: (nullable) (element-type RwOutcome): a fixed split: the policy file itself routes
 *   these items, and nothing is learned again
 * @decisions: whether the evaluation gives each item's decision ("decisions")
 * @named_tasks: whether each request names its item's task, as a caller that knows it does (a
 *   header, or the request's metadata); without it the policy's classifier predicts the task
 * @cancellable: (nullable): stops the evaluation between its steps; it then fails with
 *   %G_IO_ERROR_CANCELLED
 */
typedef struct
{
  guint folds;
  const char *strong;
  const char *weak;
  GPtrArray *test;
  gboolean decisions;
  gboolean named_tasks;
  GCancellable *cancellable;
} RwOfflineOptions;

JsonNode *rw_offline_evaluate_with      (GPtrArray              *outcomes,
                                         JsonObject             *policy,
                                         const RwOfflineOptions *options,
                                         GError                **error);
JsonNode *rw_offline_evaluate           (GPtrArray   *outcomes,
                                        JsonObject  *policy,
                                        guint        folds,
                                        const char  *strong,
                                        const char  *weak,
                                        GError     **error);
JsonNode *rw_offline_evaluate_cancellable (GPtrArray    *outcomes,
                                           JsonObject   *policy,
                                           guint         folds,
                                           const char   *strong,
                                           const char   *weak,
                                           GCancellable *cancellable,
                                           GError      **error);
char     *rw_offline_evaluation_to_text (JsonNode   *evaluation);

G_END_DECLS
