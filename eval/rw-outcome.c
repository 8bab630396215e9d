/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-outcome.h"

/* What the learner learns from: how well each model answered each item. */

/*
 * Learning to route. The evidence is what the store holds: graded answers (each item's score
 * per model, with its cost and latency) and pairwise outcomes (Bradley-Terry ratings per task).
 * For each task the policy picks the model that maximises expected quality minus a cost weight
 * times its cost per thousand requests, within the per-request ceiling and latency target, and
 * orders the rest as fallbacks by the same score; a naive Bayes classifier learned from the
 * labelled prompts finds the task of a request that names none. A policy is proved on held-out
 * data: k-fold, by item, learning on the other folds each time, never testing on an item it
 * learned from.
 */

void
rw_outcome_free (RwOutcome *o)
{
  if (o == NULL)
    return;
  g_free (o->item);
  g_free (o->task);
  g_free (o->prompt);
  g_free (o->model);
  g_free (o->benchmark);
  g_free (o);
}

/**
 * rw_outcomes_load:
 * @store: the database
 * @error: return location for an error
 *
 * Every graded good answer, one per item and model: answers to the same prompt and
 * repetition by the same model are averaged; a person's latest grade of an answer counts
 * instead of the machines'.
 *
 * Returns: (transfer full) (element-type RwOutcome): the outcomes
 */
GPtrArray *
rw_outcomes_load (RwStore  *store,
                  GError  **error)
{
  g_autoptr(GPtrArray) items = rw_store_list_graded_items (store, error);
  GPtrArray *out;

  if (items == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_outcome_free);
  for (guint i = 0; i < items->len; i++)
    {
      RwStoredGradedItem *g = items->pdata[i];
      RwOutcome *o = g_new0 (RwOutcome, 1);

      o->item = g_steal_pointer (&g->item);
      o->task = g_steal_pointer (&g->task);
      o->prompt = g_steal_pointer (&g->prompt);
      o->model = g_steal_pointer (&g->model);
      o->score = g->score;
      o->cost_usd = g->cost_usd;
      o->latency_ms = g->latency_ms;
      o->benchmark = g_steal_pointer (&g->benchmark);
      g_ptr_array_add (out, o);
    }
  return out;
}
