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

/* How many parts the prompts learned from are split into to see the router on prompts it did not
 * learn from, and the fewest items for which that is done. */
#define INNER_FOLDS 3
#define INNER_MIN_ITEMS 30

typedef struct
{
  guint n;          /* models that may serve it */
  double *quality;  /* what the router expects of each */
  double *cost;     /* what each costs on average for the task */
  double *score;    /* what each answered, else its average for the task */
} Choice;

static void
learner_choice_clear (Choice *c)
{
  g_free (c->quality);
  g_free (c->cost);
  g_free (c->score);
}

/**
 * _rw_learner_prompt_part:
 * @prompt: (nullable): a prompt
 * @digit: where, in the hexadecimal SHA-256 of the prompt, the 8 digits read start (0 to 56):
 *   splits made from different digits do not follow one another
 * @parts: how many parts
 *
 * The part of a split that a prompt falls in: the same text, whatever its spacing, always in
 * the same part.
 */
guint
_rw_learner_prompt_part (const char *prompt,
                         guint       digit,
                         guint       parts)
{
  g_autofree char *text = rw_text_normalize_space (prompt ? prompt : "");
  g_autofree char *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);

  h[MIN (digit, 56) + 8] = '\0';
  return (guint) (g_ascii_strtoull (h + MIN (digit, 56), NULL, 16) % parts);
}

/* The part of the prompts learned from that each item falls in, by its prompt (the first
 * digits of its hash; the held-out evaluation's folds read the last). item -> part + 1. */
static GHashTable *
learner_router_parts (GPtrArray *outcomes)
{
  GHashTable *parts = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];

      if (o->prompt != NULL && !g_hash_table_contains (parts, o->item))
        g_hash_table_insert (parts, o->item,
                             GUINT_TO_POINTER (_rw_learner_prompt_part (o->prompt, 0,
                                                                        INNER_FOLDS) + 1));
    }
  return parts;
}

/* Each item's answer by each model: item -> (model -> score, the mean of its answers). */
static GHashTable *
learner_router_scores (GPtrArray *outcomes)
{
  GHashTable *items = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) g_hash_table_unref);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      GHashTable *models = g_hash_table_lookup (items, o->item);
      double *sum;

      if (models == NULL)
        {
          models = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
          g_hash_table_insert (items, o->item, models);
        }
      sum = g_hash_table_lookup (models, o->model);
      if (sum == NULL)
        {
          sum = g_new0 (double, 2);
          g_hash_table_insert (models, o->model, sum);
        }
      sum[0] += o->score;
      sum[1] += 1;
    }
  return items;
}

/* For each item learned from, what the router expects of every model the task allows, and
 * what each answered (@scores, from learner_router_scores()). With @routers[part] for each
 * item's part (@parts, each router learned without that part), else @routers[0] for all. */
static GArray *
learner_router_choices (RwPromptRouter        **routers,
                        GHashTable             *parts,
                        GHashTable             *scores,
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
      GHashTable *answered = g_hash_table_lookup (scores, oc->item);
      g_autoptr(GPtrArray) allowed = NULL;
      g_autofree const char **names = NULL;
      RwPromptRouter *router;
      const char *tasks[] = { oc->task };
      const double probs[] = { 1 };
      Choice c = { 0 };

      if (oc->prompt == NULL || models == NULL || g_hash_table_contains (seen, oc->item))
        continue;
      g_hash_table_add (seen, oc->item);
      router = routers[parts ? GPOINTER_TO_UINT (g_hash_table_lookup (parts, oc->item)) - 1 : 0];
      allowed = _rw_learner_rank_models (models, o, 0);
      c.quality = g_new (double, MAX (1, allowed->len));
      c.cost = g_new (double, MAX (1, allowed->len));
      c.score = g_new (double, MAX (1, allowed->len));
      names = g_new (const char *, MAX (1, allowed->len));
      for (guint k = 0; k < allowed->len; k++)
        names[k] = ((RwLearnerStat *) allowed->pdata[k])->model;
      rw_prompt_router_qualities (router, names, allowed->len, oc->prompt, tasks, probs, 1,
                                  c.quality);
      for (guint k = 0; k < allowed->len; k++)
        {
          RwLearnerStat *s = allowed->pdata[k];
          double *sum = g_hash_table_lookup (answered, s->model);

          if (isnan (c.quality[k]))
            c.quality[k] = s->quality;
          c.cost[k] = s->cost;
          c.score[k] = sum != NULL ? sum[0] / sum[1] : s->quality;
        }
      c.n = allowed->len;
      g_array_append_val (choices, c);
    }
  return choices;
}

/* What a thousand of the items cost, routed with @weight, and their mean score. */
static void
learner_router_outcome (GArray *choices,
                        double  weight,
                        double *cost_per_1k,
                        double *quality)
{
  double total = 0, score = 0;

  for (guint i = 0; i < choices->len; i++)
    {
      Choice *c = &g_array_index (choices, Choice, i);
      double best = -INFINITY;
      int pick = -1;

      for (guint k = 0; k < c->n; k++)
        {
          double v = c->quality[k] - weight * c->cost[k] * 1000;
          if (v > best || (v == best && pick >= 0 && c->cost[k] < c->cost[pick]))
            {
              best = v;
              pick = (int) k;
            }
        }
      if (pick >= 0)
        {
          total += c->cost[pick];
          score += c->score[pick];
        }
    }
  *cost_per_1k = choices->len > 0 ? 1000 * total / choices->len : 0;
  *quality = choices->len > 0 ? score / choices->len : NAN;
}

static double
learner_router_cost_per_1k (GArray *choices,
                            double  weight)
{
  double cost, quality;

  learner_router_outcome (choices, weight, &cost, &quality);
  return cost;
}

typedef struct
{
  GPtrArray *outcomes;      /* those of the other parts, borrowed */
  GHashTable *stats;        /* read only */
} InnerJob;

static gpointer
learner_router_inner_thread (gpointer data)
{
  InnerJob *job = data;

  return _rw_learner_train_router (job->outcomes, job->stats);
}

/* The routers that see each part of the prompts (@parts) as new: each learned without that
 * part, all at once, each in a thread of its own (they only read the outcomes and @stats).
 * NULL where there are too few items, or a part is empty. */
static GPtrArray *
learner_router_inner (GPtrArray  *outcomes,
                      GHashTable *parts,
                      GHashTable *stats)
{
  GPtrArray *routers, *rest[INNER_FOLDS];
  GThread *threads[INNER_FOLDS];
  InnerJob jobs[INNER_FOLDS];
  guint per_part[INNER_FOLDS + 1] = { 0 };
  GHashTableIter iter;
  gpointer part;

  if (g_hash_table_size (parts) < INNER_MIN_ITEMS)
    return NULL;
  g_hash_table_iter_init (&iter, parts);
  while (g_hash_table_iter_next (&iter, NULL, &part))
    per_part[GPOINTER_TO_UINT (part)]++;
  for (guint f = 1; f <= INNER_FOLDS; f++)
    if (per_part[f] == 0)
      return NULL;
  for (guint f = 0; f < INNER_FOLDS; f++)
    {
      rest[f] = g_ptr_array_new ();
      for (guint i = 0; i < outcomes->len; i++)
        {
          RwOutcome *o = outcomes->pdata[i];
          if (o->prompt != NULL &&
              GPOINTER_TO_UINT (g_hash_table_lookup (parts, o->item)) != f + 1)
            g_ptr_array_add (rest[f], o);
        }
      jobs[f] = (InnerJob) { rest[f], stats };
      threads[f] = g_thread_new ("routewise-router", learner_router_inner_thread, &jobs[f]);
    }
  routers = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_prompt_router_unref);
  for (guint f = 0; f < INNER_FOLDS; f++)
    {
      g_ptr_array_add (routers, g_thread_join (threads[f]));
      g_ptr_array_unref (rest[f]);
    }
  return routers;
}

/* The least weight that keeps a thousand of the items within @budget, or the greatest tried. */
static double
learner_router_least_weight (GArray *choices,
                             double  budget)
{
  double lo = 0, hi = 1;

  if (learner_router_cost_per_1k (choices, 0) <= budget)
    return 0;
  while (hi < 1e9 && learner_router_cost_per_1k (choices, hi) > budget)
    hi *= 4;
  for (guint i = 0; i < 50; i++)
    {
      double mid = (lo + hi) / 2;
      if (learner_router_cost_per_1k (choices, mid) > budget)
        lo = mid;
      else
        hi = mid;
    }
  return hi;
}

/* The cost weight: the options' own; or, with a budget, the one that routes best within it.
 * Spending more is not always better: where the router's guesses that a dear model would do
 * better are wrong, it buys nothing. So the spending is chosen on the prompts learned from,
 * each routed by a router that did not learn it (INNER_FOLDS parts), by what the chosen model
 * answered: of the costs within the budget that some weight gives, the one that scores highest
 * (the cheaper of two that score the same). The weight is then the least with which the router
 * learned from every prompt spends no more than that on them. Sets @cost_per_1k to what a
 * thousand of those requests cost with it, and @quality to what they scored as new prompts at
 * that cost (NAN without a budget or with too few items to tell). */
double
_rw_learner_router_weight (RwPromptRouter         *router,
                           GPtrArray              *outcomes,
                           GHashTable             *stats,
                           const RwLearnerOptions *o,
                           double                 *cost_per_1k,
                           double                 *quality)
{
  g_autoptr(GHashTable) scores = learner_router_scores (outcomes);
  g_autoptr(GArray) choices = learner_router_choices (&router, NULL, scores, outcomes, stats, o);
  g_autoptr(GArray) inner_choices = NULL;
  g_autoptr(GPtrArray) inner = NULL;
  g_autoptr(GHashTable) parts = NULL;
  double w, target, best_q = -INFINITY, best_c = NAN;

  *quality = NAN;
  if (!(o->budget_per_1k > 0))
    {
      w = MAX (0, o->cost_weight);
      *cost_per_1k = learner_router_cost_per_1k (choices, w);
      return w;
    }
  target = o->budget_per_1k;
  parts = learner_router_parts (outcomes);
  inner = learner_router_inner (outcomes, parts, stats);
  if (inner != NULL)
    {
      inner_choices = learner_router_choices ((RwPromptRouter **) inner->pdata, parts, scores,
                                              outcomes, stats, o);
      /* Every weight from the least within the budget up, by steps of a fifth. */
      for (double t = learner_router_least_weight (inner_choices, target); t <= 1e9;
           t = MAX (t, 1e-6) * 1.2)
        {
          double c, q;

          learner_router_outcome (inner_choices, t, &c, &q);
          if (c <= target + 1e-12 && (q > best_q || (q == best_q && c < best_c)))
            {
              best_q = q;
              best_c = c;
            }
        }
      if (!isnan (best_c))
        {
          target = MIN (target, best_c);
          *quality = best_q;
        }
    }
  w = learner_router_least_weight (choices, target);
  *cost_per_1k = learner_router_cost_per_1k (choices, w);
  return w;
}
