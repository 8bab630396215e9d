/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-learner-private.h"
#include "rw-offline-evaluation.h"

G_BEGIN_DECLS

/* The measures of an offline evaluation, apart from how the routing was done. */

typedef struct
{
  double quality, cost;
} RwPoint;

/* An evaluation under way (rw-offline-evaluation.c), and what it writes (rw-offline-results.c). */
typedef struct
{
  const char *item;
  const char *task;
  const char *prompt;
  const char *benchmark;
  double *score;       /* per model */
  double *cost;
  guint fold;
  /* How the policy routed it */
  int chosen;          /* model index */
  char *used_task;
  guint *candidates;   /* model indices, the policy's order */
  guint n_candidates;
  double *estimate;    /* per model: what the router expects, NAN when it has no estimate */
  double *estimate_cost;
  double strong_score; /* the quality it expects the strong model to add; NAN when none */
} RwOfflineItem;

typedef struct
{
  guint folds;
  RwLearnerOptions options;  /* the policy's, to learn it again on each fold */
  GPtrArray *models;         /* the ids the policy names, borrowed from it */
  GHashTable *model_index;   /* id -> its index in models + 1 */
  GPtrArray *items;          /* every RwOfflineItem (owned) */
  GPtrArray *complete;       /* the items every model answered and was graded on */
  int strong, weak;          /* model indices for RouteLLM's measures, -1 when none */
  double *single_q;          /* per model, over the complete items */
  double *single_c;
  double random_q, random_c;
  RwPoint policy;
  GArray *curve;             /* RwPoint: the policy at each cost weight */
  GArray *oracle_curve;      /* RwPoint: the oracle at each cost weight */
  double lo, hi;             /* the cheapest and the dearest single model's cost */
  GCancellable *cancellable; /* (nullable) */
  gboolean named_tasks;      /* each request names its item's task */
} RwOfflineRun;

extern const double _rw_offline_sweep[];
extern const guint _rw_offline_n_sweep;

void   _rw_offline_write_results (RwOfflineRun *run,
                                  JsonBuilder  *b,
                                  gboolean      decisions);

double _rw_offline_aiq       (const RwPoint *points,
                              guint          n,
                              double         lo,
                              double         hi);
double _rw_offline_zero_router (const double *single_q,
                                const double *single_c,
                                guint         n,
                                double        target,
                                int          *model_a,
                                int          *model_b,
                                double       *share_b,
                                double       *cost);
void   _rw_offline_add_curve (JsonBuilder   *b,
                              const char    *name,
                              const guint   *order,
                              guint          n,
                              const double  *strong,
                              const double  *weak);

G_END_DECLS
