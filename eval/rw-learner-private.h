/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-learner.h"

G_BEGIN_DECLS

/* What the learner gives the offline evaluation, which learns again on each fold. */

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
} RwLearned;

GPtrArray * _rw_learner_priced_outcomes (GPtrArray *outcomes,
                                         gboolean allow_unpriced,
                                         GPtrArray **excluded,
                                         GError **error);
GHashTable * _rw_learner_collect_stats (GPtrArray *outcomes,
                                        GHashTable *skip_items);
GPtrArray * _rw_learner_rank_models (GHashTable *models,
                                     const RwLearnerOptions *o,
                                     double cost_weight);
GHashTable * _rw_learner_items_per_task (GPtrArray *outcomes,
                                         GHashTable *skip_items);
double _rw_learner_resolve_cost_weight (GHashTable *stats,
                                        GHashTable *counts,
                                        const RwLearnerOptions *o);
RwTextClassifier * _rw_learner_train_classifier (GPtrArray *outcomes,
                                                 GHashTable *skip_items);
RwPromptRouter * _rw_learner_train_router (GPtrArray *outcomes,
                                           GHashTable *stats);
double _rw_learner_router_weight (RwPromptRouter *router,
                                  GPtrArray *outcomes,
                                  GHashTable *stats,
                                  const RwLearnerOptions *o,
                                  double *cost_per_1k);
GHashTable * _rw_learner_assign_folds (GPtrArray *outcomes,
                                       guint folds);
GHashTable * _rw_learner_fold_items (GHashTable *map,
                                     guint f);

G_END_DECLS
