/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-learner-private.h"

/*
 * Learning to route. The evidence is what the store holds: graded answers (each item's score
 * per model, with its cost and latency) and pairwise outcomes (Bradley-Terry ratings per task).
 * For each task the policy picks the model that maximises expected quality minus a cost weight
 * times its cost per thousand requests, within the per-request ceiling and latency target, and
 * orders the rest as fallbacks by the same score; a naive Bayes classifier learned from the
 * labelled prompts finds the task of a request that names none.
 */

static void
learner_stat_free (RwLearnerStat *s)
{
  g_array_unref (s->latency);
  g_free (s);
}

static int
learner_compare_double (gconstpointer a,
                        gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void learner_derive (RwLearnerStat *s);

/* The outcomes to learn from: a model no answer of which has a known cost is never counted as
 * free. It is refused by name, or with @allow_unpriced left out and listed in @excluded. */
GPtrArray *
_rw_learner_priced_outcomes (GPtrArray  *outcomes,
                             gboolean    allow_unpriced,
                             GPtrArray **excluded,
                             GError    **error)
{
  g_autoptr(GHashTable) priced = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) unpriced = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *kept;

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];

      g_hash_table_add (seen, o->model);
      if (isfinite (o->cost_usd))
        g_hash_table_add (priced, o->model);
    }
  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];

      if (!g_hash_table_contains (priced, o->model) && g_hash_table_remove (seen, o->model))
        g_ptr_array_add (unpriced, g_strdup (o->model));
    }
  if (unpriced->len > 0 && !allow_unpriced)
    {
      g_autoptr(GString) names = g_string_new (NULL);

      for (guint i = 0; i < unpriced->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", (char *) unpriced->pdata[i]);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "no answer of %s has a known cost, and a model is never counted as free: give "
                   "its prices in providers.json (input_price, output_price), import its outcomes "
                   "with their costs, or leave it out with --allow-unpriced", names->str);
      return NULL;
    }
  kept = g_ptr_array_new ();
  for (guint i = 0; i < outcomes->len; i++)
    if (g_hash_table_contains (priced, ((RwOutcome *) outcomes->pdata[i])->model))
      g_ptr_array_add (kept, outcomes->pdata[i]);
  if (excluded != NULL)
    *excluded = g_steal_pointer (&unpriced);
  return kept;
}

/* task -> (model -> RwLearnerStat), over the outcomes whose item @skip_items leaves in. */
static GHashTable *
_rw_learner_collect_stats (GPtrArray  *outcomes,
                           GHashTable *skip_items)
{
  GHashTable *tasks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) g_hash_table_unref);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      const char *keys[] = { o->task, "all" };

      if (skip_items != NULL && g_hash_table_contains (skip_items, o->item))
        continue;
      for (guint k = 0; k < 2; k++)
        {
          GHashTable *models = g_hash_table_lookup (tasks, keys[k]);
          RwLearnerStat *s;

          if (k == 1 && g_str_equal (o->task, "all"))
            break;
          if (models == NULL)
            {
              models = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) learner_stat_free);
              g_hash_table_insert (tasks, (gpointer) keys[k], models);
            }
          s = g_hash_table_lookup (models, o->model);
          if (s == NULL)
            {
              s = g_new0 (RwLearnerStat, 1);
              s->model = o->model;
              s->latency = g_array_new (FALSE, FALSE, sizeof (double));
              g_hash_table_insert (models, (gpointer) o->model, s);
            }
          s->n++;
          s->sum += o->score;
          s->sumsq += o->score * o->score;
          if (isfinite (o->cost_usd))
            {
              s->cost_sum += o->cost_usd;
              s->cost_n++;
            }
          if (isfinite (o->latency_ms))
            g_array_append_val (s->latency, o->latency_ms);
        }
    }

  {
    GHashTableIter ti, mi;
    GHashTable *models;
    RwLearnerStat *s;

    g_hash_table_iter_init (&ti, tasks);
    while (g_hash_table_iter_next (&ti, NULL, (gpointer *) &models))
      {
        g_hash_table_iter_init (&mi, models);
        while (g_hash_table_iter_next (&mi, NULL, (gpointer *) &s))
          learner_derive (s);
      }
  }
  return tasks;
}

static void
learner_derive (RwLearnerStat *s)
{
  double var;

  s->quality = s->sum / s->n;
  var = s->n > 1 ? MAX (0, (s->sumsq - s->n * s->quality * s->quality) / (s->n - 1)) : 0.25;
  s->ci = 1.96 * sqrt (var / s->n);
  s->cost = s->cost_n > 0 ? s->cost_sum / s->cost_n : 0;
  if (s->latency->len > 0)
    {
      g_array_sort (s->latency, learner_compare_double);
      s->p50 = g_array_index (s->latency, double, s->latency->len / 2);
    }
  else
    s->p50 = NAN;
}

static gint
learner_compare_stats (gconstpointer a,
                       gconstpointer b)
{
  const RwLearnerStat *x = *(RwLearnerStat **) a, *y = *(RwLearnerStat **) b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  if (x->cost != y->cost)
    return x->cost < y->cost ? -1 : 1;
  return g_strcmp0 (x->model, y->model);
}

/* The task's models, best first by the score, those outside the limits left out. */
GPtrArray *
_rw_learner_rank_models (GHashTable           *models,
                         const RwLearnerOptions *o,
                         double                cost_weight)
{
  GPtrArray *ranked = g_ptr_array_new ();
  GHashTableIter iter;
  RwLearnerStat *s;

  g_hash_table_iter_init (&iter, models);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s))
    {
      s->score = s->quality - cost_weight * s->cost * 1000;
      if (o->ceiling_usd > 0 && s->cost > o->ceiling_usd)
        continue;
      if (o->latency_ms > 0 && isfinite (s->p50) && s->p50 > o->latency_ms)
        continue;
      g_ptr_array_add (ranked, s);
    }
  g_ptr_array_sort (ranked, learner_compare_stats);
  return ranked;
}

static void
learner_learned_clear (RwLearned *l)
{
  g_clear_pointer (&l->tasks, g_hash_table_unref);
  g_clear_pointer (&l->classifier, rw_text_classifier_unref);
  g_clear_pointer (&l->router, rw_prompt_router_unref);
}

static GHashTable *
_rw_learner_items_per_task (GPtrArray  *outcomes,
                            GHashTable *skip_items)
{
  GHashTable *counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      if ((skip_items && g_hash_table_contains (skip_items, o->item)) || g_hash_table_contains (seen, o->item))
        continue;
      g_hash_table_add (seen, o->item);
      g_hash_table_insert (counts, o->task,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, o->task)) + 1));
    }
  return counts;
}

static RwTextClassifier *
_rw_learner_train_classifier (GPtrArray  *outcomes,
                              GHashTable *skip_items)
{
  RwTextClassifier *c = rw_text_classifier_new (0);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      if ((skip_items && g_hash_table_contains (skip_items, o->item)) ||
          g_hash_table_contains (seen, o->item) || o->prompt == NULL)
        continue;
      g_hash_table_add (seen, o->item);
      rw_text_classifier_add (c, o->prompt, o->task);
    }
  return c;
}

static void
learner_learn (GPtrArray            *outcomes,
               const RwLearnerOptions *o,
               RwLearned              *out,
               GHashTable          **stats_out,
               GHashTable          **counts_out)
{
  g_autoptr(GHashTable) stats = _rw_learner_collect_stats (outcomes, NULL);
  g_autoptr(GHashTable) counts = _rw_learner_items_per_task (outcomes, NULL);
  GHashTableIter iter;
  const char *task;
  GHashTable *models;

  out->router = _rw_learner_train_router (outcomes, stats);
  out->cost_weight = _rw_learner_router_weight (out->router, outcomes, stats, o,
                                                &out->cost_per_1k, &out->quality);
  rw_prompt_router_set_cost_weight (out->router, out->cost_weight);
  out->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  g_hash_table_iter_init (&iter, stats);
  while (g_hash_table_iter_next (&iter, (gpointer *) &task, (gpointer *) &models))
    {
      g_autoptr(GPtrArray) ranked = _rw_learner_rank_models (models, o, out->cost_weight);
      GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < ranked->len; i++)
        g_ptr_array_add (ids, g_strdup (((RwLearnerStat *) ranked->pdata[i])->model));
      g_hash_table_insert (out->tasks, g_strdup (task), ids);
    }
  out->classifier = _rw_learner_train_classifier (outcomes, NULL);
  *stats_out = g_steal_pointer (&stats);
  *counts_out = g_steal_pointer (&counts);
}

static guint
learner_fold_of (const char *item,
                 guint       folds)
{
  g_autofree char *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, item, -1);
  return (guint) (g_ascii_strtoull (h + 56, NULL, 16) % folds);
}

/* Each item's fold, hashed once: item -> fold + 1. */
static GHashTable *
_rw_learner_assign_folds (GPtrArray *outcomes,
                          guint      folds)
{
  GHashTable *map = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      if (!g_hash_table_contains (map, o->item))
        g_hash_table_insert (map, o->item, GUINT_TO_POINTER (learner_fold_of (o->item, folds) + 1));
    }
  return map;
}

/* The items of fold @f, from assign_folds(). */
static GHashTable *
_rw_learner_fold_items (GHashTable *map,
                        guint       f)
{
  GHashTable *held = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer item, fold;

  g_hash_table_iter_init (&iter, map);
  while (g_hash_table_iter_next (&iter, &item, &fold))
    if (GPOINTER_TO_UINT (fold) == f + 1)
      g_hash_table_add (held, item);
  return held;
}

/* The classifier's accuracy on a fifth of the items it did not learn from. */
static double
learner_classifier_accuracy (GPtrArray *outcomes,
                             guint     *n_tested)
{
  g_autoptr(GHashTable) map = _rw_learner_assign_folds (outcomes, 5);
  g_autoptr(GHashTable) held = _rw_learner_fold_items (map, 0);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(RwTextClassifier) c = NULL;
  guint right = 0, n = 0;

  c = _rw_learner_train_classifier (outcomes, held);
  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      const char *got;
      if (!g_hash_table_contains (held, o->item) || g_hash_table_contains (seen, o->item))
        continue;
      g_hash_table_add (seen, o->item);
      got = rw_text_classifier_predict (c, o->prompt, NULL);
      right += g_strcmp0 (got, o->task) == 0;
      n++;
    }
  *n_tested = n;
  return n > 0 ? (double) right / n : NAN;
}

/* A task's models, best first, with their quality and its interval, cost, latency, score and
 * rating. */
static void
learner_write_ranked (JsonBuilder   *b,
                      GPtrArray     *ranked,
                      RwComparisons *comparisons,
                      const char    *task)
{
  RwLearnerStat *s;

  for (guint i = 0; i < ranked->len; i++)
    {
      double theta;
      s = ranked->pdata[i];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, s->model);
      json_builder_set_member_name (b, "n");
      json_builder_add_int_value (b, s->n);
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, s->quality);
      json_builder_set_member_name (b, "ci_low");
      json_builder_add_double_value (b, MAX (0, s->quality - s->ci));
      json_builder_set_member_name (b, "ci_high");
      json_builder_add_double_value (b, MIN (1, s->quality + s->ci));
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, s->cost);
      json_builder_set_member_name (b, "latency_p50_ms");
      if (isfinite (s->p50))
        json_builder_add_double_value (b, s->p50);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "score");
      json_builder_add_double_value (b, s->score);
      if (comparisons && rw_comparisons_get_theta (comparisons, task, s->model, &theta))
        {
          json_builder_set_member_name (b, "rating");
          json_builder_add_double_value (b, 1000 + 400 * theta / G_LN10);
        }
      json_builder_end_object (b);
    }
}

/* The frontier: what the task gets as the cost weight grows. */
static void
learner_write_frontier (JsonBuilder            *b,
                        GHashTable             *models,
                        const RwLearnerOptions *options)
{
  static const double sweep[] = { 0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100 };
  const char *last = NULL;

  for (guint w = 0; w < G_N_ELEMENTS (sweep); w++)
    {
      g_autoptr(GPtrArray) r = _rw_learner_rank_models (models, options, sweep[w]);
      RwLearnerStat *top;
      if (r->len == 0)
        continue;
      top = r->pdata[0];
      if (last != NULL && g_str_equal (last, top->model))
        continue;
      last = top->model;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "cost_weight");
      json_builder_add_double_value (b, sweep[w]);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, top->model);
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, top->quality);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, top->cost);
      json_builder_end_object (b);
    }
}

/**
 * rw_learner_learn:
 * @outcomes: (element-type RwOutcome): graded answers
 * @comparisons: (nullable): pairwise outcomes; their ratings are kept as evidence, and rank
 *   the models of a task that has no graded answers
 * @options: the cost weight or budget, the ceiling and the latency target
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the policy, as the versioned JSON the router loads, with
 *   its evidence, its classifier and each task's cost-quality frontier
 */
JsonNode *
rw_learner_learn (GPtrArray            *graded,
                  RwComparisons        *comparisons,
                  const RwLearnerOptions *options,
                  GError              **error)
{
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GPtrArray) unpriced = NULL;
  RwLearned l = { 0 };
  g_autoptr(GHashTable) stats = NULL;
  g_autoptr(GHashTable) counts = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GList) tasks = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format_iso8601 (now);
  g_autoptr(GHashTable) items = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *all_ids;
  guint n_tested = 0;
  double accuracy;

  if (graded->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "nothing to learn from: no graded answers are stored (run “eval run”, or "
                   "import some)");
      return NULL;
    }
  if ((outcomes = _rw_learner_priced_outcomes (graded, options->allow_unpriced, &unpriced,
                                               error)) == NULL)
    return NULL;
  if (outcomes->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "nothing to learn from: no model's answers have a known cost");
      return NULL;
    }
  for (guint i = 0; i < outcomes->len; i++)
    g_hash_table_add (items, ((RwOutcome *) outcomes->pdata[i])->item);
  if (g_cancellable_set_error_if_cancelled (options->cancellable, error))
    return NULL;
  learner_learn (outcomes, options, &l, &stats, &counts);
  if (g_cancellable_set_error_if_cancelled (options->cancellable, error))
    {
      learner_learned_clear (&l);
      return NULL;
    }
  accuracy = learner_classifier_accuracy (outcomes, &n_tested);
  if (g_cancellable_set_error_if_cancelled (options->cancellable, error))
    {
      learner_learned_clear (&l);
      return NULL;
    }
  all_ids = g_hash_table_lookup (l.tasks, "all");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "default");
  json_builder_begin_array (b);
  for (guint i = 0; all_ids && i < all_ids->len; i++)
    json_builder_add_string_value (b, all_ids->pdata[i]);
  json_builder_end_array (b);

  tasks = g_list_sort (g_hash_table_get_keys (l.tasks), (GCompareFunc) g_strcmp0);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_object (b);
  for (GList *t = tasks; t; t = t->next)
    {
      GPtrArray *ids = g_hash_table_lookup (l.tasks, t->data);
      if (g_str_equal (t->data, "all") || ids->len == 0)
        continue;
      json_builder_set_member_name (b, t->data);
      json_builder_begin_array (b);
      for (guint i = 0; i < ids->len; i++)
        json_builder_add_string_value (b, ids->pdata[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  if (g_hash_table_size (counts) > 1)
    {
      json_builder_set_member_name (b, "classifier");
      json_builder_add_value (b, rw_text_classifier_to_json (l.classifier));
    }
  json_builder_set_member_name (b, "router");
  json_builder_add_value (b, rw_prompt_router_to_json (l.router));

  json_builder_set_member_name (b, "learned");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "cost_weight");
  json_builder_add_double_value (b, l.cost_weight);
  json_builder_set_member_name (b, "options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cost_weight");
  json_builder_add_double_value (b, options->cost_weight);
  json_builder_set_member_name (b, "budget_per_1k");
  json_builder_add_double_value (b, options->budget_per_1k);
  json_builder_set_member_name (b, "ceiling_usd");
  json_builder_add_double_value (b, options->ceiling_usd);
  json_builder_set_member_name (b, "latency_ms");
  json_builder_add_double_value (b, options->latency_ms);
  json_builder_set_member_name (b, "allow_unpriced");
  json_builder_add_boolean_value (b, options->allow_unpriced);
  json_builder_end_object (b);
  /* The models left out for want of a price, said where the policy's figures are. */
  json_builder_set_member_name (b, "excluded_unpriced");
  json_builder_begin_array (b);
  for (guint i = 0; i < unpriced->len; i++)
    json_builder_add_string_value (b, unpriced->pdata[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "expected_cost_per_1k");
  json_builder_add_double_value (b, l.cost_per_1k);
  json_builder_set_member_name (b, "expected_quality");
  if (isnan (l.quality))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, l.quality);
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "graded_answers");
  json_builder_add_int_value (b, outcomes->len);
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, g_hash_table_size (items));
  json_builder_set_member_name (b, "comparisons");
  json_builder_add_int_value (b, comparisons ? rw_comparisons_get_n (comparisons) : 0);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "classifier_accuracy");
  if (isnan (accuracy))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, accuracy);
  json_builder_set_member_name (b, "classifier_tested_on");
  json_builder_add_int_value (b, n_tested);

  json_builder_set_member_name (b, "tasks");
  json_builder_begin_object (b);
  for (GList *t = tasks; t; t = t->next)
    {
      GHashTable *models = g_hash_table_lookup (stats, t->data);
      g_autoptr(GPtrArray) ranked = _rw_learner_rank_models (models, options, l.cost_weight);
      json_builder_set_member_name (b, t->data);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "items");
      json_builder_add_int_value (b, g_str_equal (t->data, "all") ? g_hash_table_size (items)
                                     : GPOINTER_TO_UINT (g_hash_table_lookup (counts, t->data)));
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      learner_write_ranked (b, ranked, comparisons, t->data);
      json_builder_end_array (b);

      /* The frontier: what the task gets as the cost weight grows. */
      json_builder_set_member_name (b, "frontier");
      json_builder_begin_array (b);
      learner_write_frontier (b, models, options);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  if (comparisons != NULL && rw_comparisons_get_n (comparisons) > 0)
    {
      json_builder_set_member_name (b, "ratings");
      json_builder_add_value (b, rw_comparisons_rate (comparisons, NULL, 0, 1));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  learner_learned_clear (&l);
  return json_builder_get_root (b);
}
