/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-learner-private.h"

/*
 * The policy's router per prompt: each model's chance to answer a prompt well, learned from
 * every graded answer, with each model's average cost per task; and the cost weight that keeps
 * the requests it routes within a budget.
 */

/* Every graded answer with a prompt, and each model's cost per task ("all" for any). */
RwPromptRouter *
_rw_learner_train_router (GPtrArray  *outcomes,
                          GHashTable *stats)
{
  RwPromptRouter *router = rw_prompt_router_new (0);
  GHashTableIter ti, mi;
  const char *task;
  GHashTable *models;
  RwLearnerStat *s;

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      if (o->prompt != NULL)
        rw_prompt_router_add (router, o->model, o->prompt, o->task, o->score);
    }
  rw_prompt_router_train (router);
  g_hash_table_iter_init (&ti, stats);
  while (g_hash_table_iter_next (&ti, (gpointer *) &task, (gpointer *) &models))
    {
      g_hash_table_iter_init (&mi, models);
      while (g_hash_table_iter_next (&mi, NULL, (gpointer *) &s))
        rw_prompt_router_set_cost (router, task, s->model, s->cost);
    }
  return router;
}

typedef struct
{
  guint n;          /* models that may serve it */
  double *quality;
  double *cost;
} Choice;

static void
learner_choice_clear (Choice *c)
{
  g_free (c->quality);
  g_free (c->cost);
}

/* What the router expects of every model the task allows, for each item learned from. */
static GArray *
learner_router_choices (RwPromptRouter         *router,
                        GPtrArray              *outcomes,
                        GHashTable             *stats,
                        const RwLearnerOptions *o)
{
  GArray *choices = g_array_new (FALSE, TRUE, sizeof (Choice));
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_array_set_clear_func (choices, (GDestroyNotify) learner_choice_clear);
  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *oc = outcomes->pdata[i];
      GHashTable *models = g_hash_table_lookup (stats, oc->task);
      g_autoptr(GPtrArray) allowed = NULL;
      const char *tasks[] = { oc->task };
      const double probs[] = { 1 };
      Choice c = { 0 };

      if (oc->prompt == NULL || models == NULL || g_hash_table_contains (seen, oc->item))
        continue;
      g_hash_table_add (seen, oc->item);
      allowed = _rw_learner_rank_models (models, o, 0);
      c.quality = g_new (double, MAX (1, allowed->len));
      c.cost = g_new (double, MAX (1, allowed->len));
      for (guint k = 0; k < allowed->len; k++)
        {
          RwLearnerStat *s = allowed->pdata[k];
          double q = rw_prompt_router_quality (router, s->model, oc->prompt, tasks, probs, 1);

          c.quality[c.n] = isnan (q) ? s->quality : q;
          c.cost[c.n] = s->cost;
          c.n++;
        }
      g_array_append_val (choices, c);
    }
  return choices;
}

static double
learner_router_cost_per_1k (GArray *choices,
                            double  weight)
{
  double total = 0;

  for (guint i = 0; i < choices->len; i++)
    {
      Choice *c = &g_array_index (choices, Choice, i);
      double best = -INFINITY, cost = 0;

      for (guint k = 0; k < c->n; k++)
        {
          double v = c->quality[k] - weight * c->cost[k] * 1000;
          if (v > best || (v == best && c->cost[k] < cost))
            {
              best = v;
              cost = c->cost[k];
            }
        }
      total += cost;
    }
  return choices->len > 0 ? 1000 * total / choices->len : 0;
}

/* The cost weight: the options' own, or with a budget the least that keeps a thousand of the
 * requests learned from, each routed by the router, within it. Sets @cost_per_1k to what a
 * thousand of them cost with that weight. */
double
_rw_learner_router_weight (RwPromptRouter         *router,
                           GPtrArray              *outcomes,
                           GHashTable             *stats,
                           const RwLearnerOptions *o,
                           double                 *cost_per_1k)
{
  g_autoptr(GArray) choices = learner_router_choices (router, outcomes, stats, o);
  double lo = 0, hi = 1, w;

  if (!(o->budget_per_1k > 0))
    w = MAX (0, o->cost_weight);
  else if (learner_router_cost_per_1k (choices, 0) <= o->budget_per_1k)
    w = 0;
  else
    {
      while (hi < 1e9 && learner_router_cost_per_1k (choices, hi) > o->budget_per_1k)
        hi *= 4;
      for (guint i = 0; i < 50; i++)
        {
          double mid = (lo + hi) / 2;
          if (learner_router_cost_per_1k (choices, mid) > o->budget_per_1k)
            lo = mid;
          else
            hi = mid;
        }
      w = hi;
    }
  *cost_per_1k = learner_router_cost_per_1k (choices, w);
  return w;
}
