/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-learner.h"

G_BEGIN_DECLS

/* What the learner's files share, and what the offline evaluation takes from it: the
 * outcomes it learns from. */

typedef struct
{
  const char *model;
  guint n;
  double sum, sumsq;
  double cost_sum;
  guint cost_n;
  GArray *latency;
  /* derived once collected; only the score depends on the cost weight */
  double quality, ci, cost, p50, score;
} RwLearnerStat;

typedef struct
{
  GHashTable *tasks;              /* task -> GPtrArray of model ids (owned strings) */
  RwTextClassifier *classifier;
  RwPromptRouter *router;
  double cost_weight;
  double cost_per_1k;             /* of the requests learned from, routed by the router */
  double quality;                 /* their mean score so, each routed as a new prompt; NAN
                                   * without a budget */
} RwLearned;

GPtrArray * _rw_learner_priced_outcomes (GPtrArray *outcomes,
                                         gboolean allow_unpriced,
                                         GPtrArray **excluded,
                                         GError **error);
GPtrArray * _rw_learner_rank_models (GHashTable *models,
                                     const RwLearnerOptions *o,
                                     double cost_weight);
RwPromptRouter * _rw_learner_train_router (GPtrArray *outcomes,
                                           GHashTable *stats);
guint _rw_learner_prompt_part (const char *prompt,
                               guint digit,
                               guint parts);
double _rw_learner_router_weight (RwPromptRouter *router,
                                  GPtrArray *outcomes,
                                  GHashTable *stats,
                                  const RwLearnerOptions *o,
                                  double *cost_per_1k,
                                  double *quality);

G_END_DECLS
