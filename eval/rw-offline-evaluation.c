/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-learner-private.h"
#include "rw-offline-evaluation.h"

/*
 * A policy proved on held-out data: k-fold, by item, learning on the other folds each time,
 * never testing on an item it learned from; against every single model, random routing and
 * the oracle, with the cost-quality curve and RouteLLM's measures.
 */

typedef struct
{
  const char *item;
  const char *task;
  const char *prompt;
  double *score;   /* per model */
  double *cost;
  guint fold;
} Item;

static void
offline_item_free (Item *it)
{
  g_free (it->score);
  g_free (it->cost);
  g_free (it);
}

static double
offline_options_double (JsonObject *policy,
                        const char *name)
{
  JsonObject *learned = json_object_has_member (policy, "learned") &&
                        JSON_NODE_HOLDS_OBJECT (json_object_get_member (policy, "learned")) ?
                        rw_json_object_get_object (policy, "learned") : NULL;
  JsonObject *opts = learned && json_object_has_member (learned, "options") &&
                     JSON_NODE_HOLDS_OBJECT (json_object_get_member (learned, "options")) ?
                     rw_json_object_get_object (learned, "options") : NULL;
  return opts ? rw_json_object_get_double (opts, name, 0) : 0;
}

typedef struct
{
  double quality, cost;
} Point;

/* One fold of the cross-validation: what is learned from the other folds that does not
 * depend on the cost weight (the statistics, the classifier's task for each held-out item). */
typedef struct
{
  GHashTable *stats;
  GHashTable *counts;
  GHashTable *predicted;   /* item -> task (owned) */
} Fold;

static void
offline_fold_clear (Fold *f)
{
  g_clear_pointer (&f->stats, g_hash_table_unref);
  g_clear_pointer (&f->counts, g_hash_table_unref);
  g_clear_pointer (&f->predicted, g_hash_table_unref);
}

/* Cancelled, the folds left are made empty: they are only cleared. */
static Fold *
offline_prepare_folds (GPtrArray    *outcomes,
                       GPtrArray    *items,
                       GHashTable   *fold_map,
                       guint         folds,
                       GCancellable *cancellable)
{
  Fold *out = g_new0 (Fold, folds);

  for (guint f = 0; f < folds; f++)
    {
      g_autoptr(GHashTable) held = NULL;
      g_autoptr(RwTextClassifier) c = NULL;

      out[f].predicted = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      if (g_cancellable_is_cancelled (cancellable))
        {
          out[f].stats = g_hash_table_new (g_str_hash, g_str_equal);
          out[f].counts = g_hash_table_new (g_str_hash, g_str_equal);
          continue;
        }
      held = _rw_learner_fold_items (fold_map, f);
      out[f].stats = _rw_learner_collect_stats (outcomes, held);
      out[f].counts = _rw_learner_items_per_task (outcomes, held);
      c = _rw_learner_train_classifier (outcomes, held);
      for (guint i = 0; i < items->len; i++)
        {
          Item *it = items->pdata[i];
          if (it->fold == f && rw_text_classifier_get_n_labels (c) > 0)
            g_hash_table_insert (out[f].predicted, (gpointer) it->item,
                                 g_strdup (rw_text_classifier_predict (c, it->prompt, NULL)));
        }
    }
  return out;
}

/* Cross-validated quality and cost of learning with @o: each fold routed by a policy learned
 * on the other folds. */
static Point
offline_cross_validate (Fold                 *prepared,
                        GPtrArray            *items,
                        GPtrArray            *models,
                        guint                 folds,
                        const RwLearnerOptions *o,
                        GHashTable           *picks)
{
  Point p = { 0, 0 };
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint m = 0; m < models->len; m++)
    g_hash_table_insert (index, models->pdata[m], GUINT_TO_POINTER (m + 1));
  for (guint f = 0; f < folds; f++)
    {
      Fold *fd = &prepared[f];
      double w = _rw_learner_resolve_cost_weight (fd->stats, fd->counts, o);
      g_autoptr(GHashTable) choice = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter iter;
      const char *task;
      GHashTable *task_models;

      g_hash_table_iter_init (&iter, fd->stats);
      while (g_hash_table_iter_next (&iter, (gpointer *) &task, (gpointer *) &task_models))
        {
          g_autoptr(GPtrArray) ranked = _rw_learner_rank_models (task_models, o, w);
          if (ranked->len > 0)
            g_hash_table_insert (choice, (gpointer) task, (gpointer) ((RwLearnerStat *) ranked->pdata[0])->model);
        }
      for (guint i = 0; i < items->len; i++)
        {
          Item *it = items->pdata[i];
          const char *predicted, *chosen;
          guint m;

          if (it->fold != f)
            continue;
          predicted = g_hash_table_lookup (fd->predicted, it->item);
          chosen = predicted ? g_hash_table_lookup (choice, predicted) : NULL;
          if (chosen == NULL)
            chosen = g_hash_table_lookup (choice, "all");
          m = chosen ? GPOINTER_TO_UINT (g_hash_table_lookup (index, chosen)) : 0;
          if (m == 0)
            m = 1;   /* a model not evaluated on every item: take the first */
          p.quality += it->score[m - 1];
          p.cost += it->cost[m - 1];
          if (picks != NULL)
            g_hash_table_insert (picks, (gpointer) models->pdata[m - 1],
                                 GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (picks, models->pdata[m - 1])) + 1));
        }
    }
  p.quality /= items->len;
  p.cost /= items->len;
  return p;
}

static int
offline_compare_points (gconstpointer a,
                        gconstpointer b)
{
  const Point *x = a, *y = b;
  return x->cost < y->cost ? -1 : x->cost > y->cost;
}

/* RouteLLM's measures for a strong and a weak model: items are sent to the strong model in the
 * order of a score; at each share of strong calls, the accuracy; its area; the average
 * performance gap recovered; the share of strong calls needed for a part of the gap. */
static void
offline_add_curve (JsonBuilder *b,
                   const char  *name,
                   GArray      *order,    /* guint item indices, most in need of the strong model first */
                   double      *strong,
                   double      *weak,
                   double       q_strong,
                   double       q_weak)
{
  guint n = order->len;
  double acc[11], auc = 0, cpt[2] = { NAN, NAN };
  const double want[2] = { 0.5, 0.8 };

  for (guint s = 0; s <= 10; s++)
    {
      guint k = (guint) round (n * s / 10.0);
      double sum = 0;
      for (guint i = 0; i < n; i++)
        {
          guint it = g_array_index (order, guint, i);
          sum += i < k ? strong[it] : weak[it];
        }
      acc[s] = sum / n;
    }
  for (guint s = 0; s < 10; s++)
    auc += (acc[s] + acc[s + 1]) / 2 * 0.1;
  for (guint w = 0; w < 2; w++)
    {
      double target = want[w] * (q_strong - q_weak) + q_weak;
      for (guint s = 0; s <= 10 && isnan (cpt[w]); s++)
        if (acc[s] >= target)
          cpt[w] = s == 0 ? 0 : 10 * (s - 1) + 10 * (target - acc[s - 1]) / MAX (1e-12, acc[s] - acc[s - 1]);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "router");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "apgr");
  json_builder_add_double_value (b, q_strong != q_weak ? (auc - q_weak) / (q_strong - q_weak) : NAN);
  json_builder_set_member_name (b, "auc");
  json_builder_add_double_value (b, auc);
  json_builder_set_member_name (b, "cpt50");
  if (isnan (cpt[0])) json_builder_add_null_value (b); else json_builder_add_double_value (b, cpt[0]);
  json_builder_set_member_name (b, "cpt80");
  if (isnan (cpt[1])) json_builder_add_null_value (b); else json_builder_add_double_value (b, cpt[1]);
  json_builder_set_member_name (b, "accuracy_by_strong_share");
  json_builder_begin_array (b);
  for (guint s = 0; s <= 10; s++)
    json_builder_add_double_value (b, acc[s]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

typedef struct
{
  guint index;
  double key;
} Keyed;

static int
offline_compare_keyed (gconstpointer a,
                       gconstpointer b)
{
  const Keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key > y->key ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static GArray *
offline_order_by (Keyed *keys,
                  guint  n)
{
  GArray *order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  qsort (keys, n, sizeof (Keyed), offline_compare_keyed);
  for (guint i = 0; i < n; i++)
    g_array_append_val (order, keys[i].index);
  return order;
}

/* One offline evaluation as it goes through its phases. */
typedef struct
{
  guint folds;
  RwLearnerOptions options;  /* the policy's, to learn it again on each fold */
  GPtrArray *models;         /* the ids the policy names, borrowed from it */
  GHashTable *model_index;   /* id -> its index in models + 1 */
  GPtrArray *items;          /* every Item (owned) */
  GPtrArray *complete;       /* the items every model answered and was graded on */
  double *single_q;          /* per model, over the complete items */
  double *single_c;
  double random_q, random_c, oracle_q, oracle_c;
  Point policy;              /* the policy's, cross-validated */
  GHashTable *picks;         /* model id -> how many held-out items the policy sent it */
  GArray *curve;             /* Point: the policy's cost-quality curve */
  GCancellable *cancellable; /* (nullable) */
} Offline;

static void
offline_clear (Offline *run)
{
  g_clear_pointer (&run->models, g_ptr_array_unref);
  g_clear_pointer (&run->model_index, g_hash_table_unref);
  g_clear_pointer (&run->items, g_ptr_array_unref);
  g_clear_pointer (&run->complete, g_ptr_array_unref);
  g_clear_pointer (&run->single_q, g_free);
  g_clear_pointer (&run->single_c, g_free);
  g_clear_pointer (&run->picks, g_hash_table_unref);
  g_clear_pointer (&run->curve, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Offline, offline_clear)

static void
offline_add_model (Offline    *run,
                   const char *model)
{
  if (model && !g_hash_table_contains (run->model_index, model))
    {
      g_ptr_array_add (run->models, (gpointer) model);
      g_hash_table_insert (run->model_index, (gpointer) model, GUINT_TO_POINTER (run->models->len));
    }
}

/* The policy's models: every one it names, its default list first. */
static gboolean
offline_collect_models (Offline     *run,
                        JsonObject  *policy,
                        GError     **error)
{
  JsonNode *tasks_node = json_object_get_member (policy, "tasks");
  JsonNode *default_node = json_object_get_member (policy, "default");

  if (default_node && JSON_NODE_HOLDS_ARRAY (default_node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (default_node)); i++)
      offline_add_model (run, json_array_get_string_element (json_node_get_array (default_node), i));
  if (tasks_node && JSON_NODE_HOLDS_OBJECT (tasks_node))
    {
      JsonObjectIter iter;
      JsonNode *list;

      json_object_iter_init (&iter, json_node_get_object (tasks_node));
      while (json_object_iter_next (&iter, NULL, &list))
        for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) &&
                          i < json_array_get_length (json_node_get_array (list)); i++)
          offline_add_model (run, json_array_get_string_element (json_node_get_array (list), i));
    }
  if (run->models->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the policy names no model");
      return FALSE;
    }
  return TRUE;
}

/* The items answered by every one of the policy's models, enough of them to hold some out. */
static gboolean
offline_collect_items (Offline    *run,
                       GPtrArray  *outcomes,
                       GError    **error)
{
  g_autoptr(GHashTable) by_item = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_models = run->models->len;

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *oc = outcomes->pdata[i];
      guint m = GPOINTER_TO_UINT (g_hash_table_lookup (run->model_index, oc->model));
      Item *it;

      if (m == 0)
        continue;
      it = g_hash_table_lookup (by_item, oc->item);
      if (it == NULL)
        {
          it = g_malloc0 (sizeof (Item));
          it->item = oc->item;
          it->task = oc->task;
          it->prompt = oc->prompt;
          it->score = g_new (double, n_models);
          it->cost = g_new (double, n_models);
          for (guint k = 0; k < n_models; k++)
            it->score[k] = NAN;
          g_hash_table_insert (by_item, oc->item, it);
          g_ptr_array_add (run->items, it);
        }
      it->score[m - 1] = oc->score;
      it->cost[m - 1] = isfinite (oc->cost_usd) ? oc->cost_usd : 0;
    }
  for (guint i = 0; i < run->items->len; i++)
    {
      Item *it = run->items->pdata[i];
      gboolean complete = TRUE;

      for (guint k = 0; k < n_models; k++)
        complete &= !isnan (it->score[k]);
      if (complete)
        g_ptr_array_add (run->complete, it);
    }
  if (run->complete->len < run->folds * 2)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "only %u items were answered and graded for every one of the policy's %u "
                   "models: too few to hold any out", run->complete->len, n_models);
      return FALSE;
    }
  return TRUE;
}

/* Every single model, random routing and the oracle (the best answer, the cheapest of equals). */
static void
offline_score_baselines (Offline *run)
{
  guint n = run->complete->len, n_models = run->models->len;

  run->single_q = g_new0 (double, n_models);
  run->single_c = g_new0 (double, n_models);
  for (guint i = 0; i < n; i++)
    {
      Item *it = run->complete->pdata[i];
      double best = -1, best_cost = 0;

      for (guint k = 0; k < n_models; k++)
        {
          run->single_q[k] += it->score[k] / n;
          run->single_c[k] += it->cost[k] / n;
          run->random_q += it->score[k] / (n * n_models);
          run->random_c += it->cost[k] / (n * n_models);
          if (it->score[k] > best || (it->score[k] == best && it->cost[k] < best_cost))
            {
              best = it->score[k];
              best_cost = it->cost[k];
            }
        }
      run->oracle_q += best / n;
      run->oracle_c += best_cost / n;
    }
}

/* The policy cross-validated, and again at each cost weight of a sweep for its curve. */
static void
offline_cross_validate_all (Offline   *run,
                            GPtrArray *outcomes)
{
  static const double sweep[] = { 0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3,
                                  10, 100 };
  g_autoptr(GHashTable) fold_map = _rw_learner_assign_folds (outcomes, run->folds);
  Fold *prepared;

  for (guint i = 0; i < run->complete->len; i++)
    {
      Item *it = run->complete->pdata[i];
      it->fold = GPOINTER_TO_UINT (g_hash_table_lookup (fold_map, it->item)) - 1;
    }
  prepared = offline_prepare_folds (outcomes, run->complete, fold_map, run->folds,
                                    run->cancellable);
  if (g_cancellable_is_cancelled (run->cancellable))
    {
      for (guint f = 0; f < run->folds; f++)
        offline_fold_clear (&prepared[f]);
      g_free (prepared);
      return;
    }
  run->policy = offline_cross_validate (prepared, run->complete, run->models, run->folds,
                                        &run->options, run->picks);
  for (guint w = 0; w < G_N_ELEMENTS (sweep) && !g_cancellable_is_cancelled (run->cancellable);
       w++)
    {
      RwLearnerOptions sw = run->options;
      Point p;

      sw.cost_weight = sweep[w];
      sw.budget_per_1k = 0;
      p = offline_cross_validate (prepared, run->complete, run->models, run->folds, &sw, NULL);
      g_array_append_val (run->curve, p);
    }
  for (guint f = 0; f < run->folds; f++)
    offline_fold_clear (&prepared[f]);
  g_free (prepared);
  g_array_sort (run->curve, offline_compare_points);
}

/* The best mix of single models, each request sent to one of two models at random in the
 * shares that make the mix cost what the policy costs: the line between two models' points.
 * A router earns its keep only above it. When the policy costs less than the cheapest model or
 * more than the dearest, the mix is that model alone. */
static void
offline_cost_matched_mix (Offline  *run,
                          double   *quality,
                          double   *cost,
                          int      *model_a,
                          int      *model_b,
                          double   *share_b)
{
  double target = run->policy.cost, best = -INFINITY;
  guint n = run->models->len;
  int cheapest = -1, dearest = -1;

  *model_a = *model_b = -1;
  *share_b = 0;
  for (guint k = 0; k < n; k++)
    {
      if (cheapest < 0 || run->single_c[k] < run->single_c[cheapest])
        cheapest = (int) k;
      if (dearest < 0 || run->single_c[k] > run->single_c[dearest] ||
          (run->single_c[k] == run->single_c[dearest] && run->single_q[k] > run->single_q[dearest]))
        dearest = (int) k;
    }
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        double ci = run->single_c[i], cj = run->single_c[j], t, q;

        if (!(ci <= target && target <= cj))
          continue;
        t = cj > ci ? (target - ci) / (cj - ci) : 0;
        q = (1 - t) * run->single_q[i] + t * run->single_q[j];
        if (q > best)
          {
            best = q;
            *model_a = (int) i;
            *model_b = (int) j;
            *share_b = t;
          }
      }
  if (*model_a < 0 && n > 0)
    {
      int only = target < run->single_c[cheapest] ? cheapest : dearest;
      *model_a = *model_b = only;
      *share_b = 0;
      best = run->single_q[only];
      target = run->single_c[only];
    }
  *quality = isfinite (best) ? best : NAN;
  *cost = target;
}

static void
offline_write_mix (Offline     *run,
                   JsonBuilder *b)
{
  double q, c, share;
  int a, z;

  offline_cost_matched_mix (run, &q, &c, &a, &z, &share);
  if (a < 0)
    return;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "cost-matched mix");
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, q);
  json_builder_set_member_name (b, "cost_usd");
  json_builder_add_double_value (b, c);
  json_builder_set_member_name (b, "mix");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, run->models->pdata[a]);
  json_builder_add_double_value (b, a == z ? 1 : 1 - share);
  if (a != z)
    {
      json_builder_set_member_name (b, run->models->pdata[z]);
      json_builder_add_double_value (b, share);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
offline_write_policy (Offline     *run,
                      JsonBuilder *b)
{
  guint n_models = run->models->len;

  json_builder_set_member_name (b, "policy");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, run->policy.quality);
  json_builder_set_member_name (b, "cost_usd");
  json_builder_add_double_value (b, run->policy.cost);
  json_builder_set_member_name (b, "calls");
  json_builder_begin_object (b);
  for (guint k = 0; k < n_models; k++)
    {
      json_builder_set_member_name (b, run->models->pdata[k]);
      json_builder_add_double_value (b, GPOINTER_TO_UINT (g_hash_table_lookup (run->picks,
                                                                               run->models->pdata[k])) /
                                        (double) run->complete->len);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "baselines");
  json_builder_begin_array (b);
  for (guint k = 0; k < n_models + 2; k++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, k < n_models ? run->models->pdata[k] :
                                        k == n_models ? "random" : "oracle");
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, k < n_models ? run->single_q[k] :
                                        k == n_models ? run->random_q : run->oracle_q);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, k < n_models ? run->single_c[k] :
                                        k == n_models ? run->random_c : run->oracle_c);
      json_builder_end_object (b);
    }
  offline_write_mix (run, b);
  json_builder_end_array (b);
}

/* The cost-quality curve and its area, over the span from the cheapest to the dearest single
 * model, as the average quality across that span (quality held flat beyond the points). */
static void
offline_write_curve (Offline     *run,
                     JsonBuilder *b)
{
  GArray *curve = run->curve;
  double lo = INFINITY, hi = -INFINITY, area = 0;

  json_builder_set_member_name (b, "curve");
  json_builder_begin_array (b);
  for (guint i = 0; i < curve->len; i++)
    {
      Point *p = &g_array_index (curve, Point, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, p->cost);
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, p->quality);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  for (guint k = 0; k < run->models->len; k++)
    {
      lo = MIN (lo, run->single_c[k]);
      hi = MAX (hi, run->single_c[k]);
    }
  if (hi > lo)
    {
      const guint steps = 200;
      for (guint s = 0; s <= steps; s++)
        {
          double c = lo + (hi - lo) * s / steps, q = 0;
          /* The best quality the curve reaches at this cost or less. */
          for (guint i = 0; i < curve->len; i++)
            if (g_array_index (curve, Point, i).cost <= c + 1e-15)
              q = MAX (q, g_array_index (curve, Point, i).quality);
          area += q / (steps + 1);
        }
      json_builder_set_member_name (b, "curve_area");
      json_builder_add_double_value (b, area);
    }
}

/* Each held-out item scored by a classifier of "the strong model is needed" trained on the
 * other folds, plus its task's gain from the strong model there. */
static void
offline_score_need (Offline      *run,
                    const double *sv,
                    const double *wv,
                    Keyed        *keys)
{
  guint n = run->complete->len;

  for (guint f = 0; f < run->folds; f++)
    {
      g_autoptr(RwTextClassifier) need = rw_text_classifier_new (0);
      g_autoptr(GHashTable) gain = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

      for (guint i = 0; i < n; i++)
        {
          Item *it = run->complete->pdata[i];
          double *g;

          if (it->fold == f)
            continue;
          rw_text_classifier_add (need, it->prompt, sv[i] > wv[i] ? "strong" : "weak");
          g = g_hash_table_lookup (gain, it->task);
          if (g == NULL)
            {
              g = g_new0 (double, 2);
              g_hash_table_insert (gain, (gpointer) it->task, g);
            }
          g[0] += sv[i] - wv[i];
          g[1] += 1;
        }
      for (guint i = 0; i < n; i++)
        {
          Item *it = run->complete->pdata[i];
          double *g;

          if (it->fold != f)
            continue;
          g = g_hash_table_lookup (gain, it->task);
          keys[i].index = i;
          keys[i].key = rw_text_classifier_probability (need, it->prompt, "strong") +
                        (g ? g[0] / g[1] : 0);
        }
    }
}

/* RouteLLM's measures, for a strong and a weak model: named, or the two when there are two. */
static void
offline_write_strong_weak (Offline     *run,
                           JsonBuilder *b,
                           const char  *strong,
                           const char  *weak)
{
  guint n = run->complete->len;
  g_autofree double *sv = NULL, *wv = NULL;
  g_autofree Keyed *keys = NULL;
  g_autoptr(GRand) rng = NULL;
  g_autoptr(GArray) order = NULL;
  gint si = -1, wi = -1;
  double qs, qw;

  for (guint k = 0; k < run->models->len; k++)
    {
      if (strong && g_str_equal (strong, run->models->pdata[k])) si = k;
      if (weak && g_str_equal (weak, run->models->pdata[k])) wi = k;
    }
  if (si < 0 && wi < 0 && strong == NULL && weak == NULL && run->models->len == 2)
    {
      si = run->single_q[0] >= run->single_q[1] ? 0 : 1;
      wi = 1 - si;
    }
  if (si < 0 || wi < 0 || si == wi)
    return;

  sv = g_new (double, n);
  wv = g_new (double, n);
  keys = g_new (Keyed, n);
  rng = g_rand_new_with_seed (0);
  qs = run->single_q[si];
  qw = run->single_q[wi];
  for (guint i = 0; i < n; i++)
    {
      Item *it = run->complete->pdata[i];
      sv[i] = it->score[si];
      wv[i] = it->score[wi];
    }
  json_builder_set_member_name (b, "strong_weak");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "strong");
  json_builder_add_string_value (b, run->models->pdata[si]);
  json_builder_set_member_name (b, "weak");
  json_builder_add_string_value (b, run->models->pdata[wi]);
  json_builder_set_member_name (b, "strong_quality");
  json_builder_add_double_value (b, qs);
  json_builder_set_member_name (b, "weak_quality");
  json_builder_add_double_value (b, qw);
  json_builder_set_member_name (b, "routers");
  json_builder_begin_array (b);

  offline_score_need (run, sv, wv, keys);
  order = offline_order_by (keys, n);
  offline_add_curve (b, "routewise", order, sv, wv, qs, qw);
  g_clear_pointer (&order, g_array_unref);

  for (guint i = 0; i < n; i++)
    {
      keys[i].index = i;
      keys[i].key = g_rand_double (rng);
    }
  order = offline_order_by (keys, n);
  offline_add_curve (b, "random", order, sv, wv, qs, qw);
  g_clear_pointer (&order, g_array_unref);

  for (guint i = 0; i < n; i++)
    {
      keys[i].index = i;
      keys[i].key = sv[i] - wv[i];
    }
  order = offline_order_by (keys, n);
  offline_add_curve (b, "oracle", order, sv, wv, qs, qw);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/**
 * rw_offline_evaluate:
 *
 * rw_offline_evaluate_cancellable() that cannot be cancelled.
 *
 * Returns: (transfer full) (nullable): the evaluation
 */
JsonNode *
rw_offline_evaluate (GPtrArray   *outcomes,
                     JsonObject  *policy,
                     guint        folds,
                     const char  *strong,
                     const char  *weak,
                     GError     **error)
{
  return rw_offline_evaluate_cancellable (outcomes, policy, folds, strong, weak, NULL, error);
}

/**
 * rw_offline_evaluate_cancellable:
 * @outcomes: (element-type RwOutcome): graded answers
 * @policy: a learned policy: its models and settings are evaluated, learned again on each
 *   training fold
 * @folds: how many folds (2 or more)
 * @strong: (nullable): the strong model of RouteLLM's measures
 * @weak: (nullable): the weak one; with two models and neither named, the better is strong
 * @cancellable: (nullable): stops the evaluation between its steps (the learning of a fold,
 *   the points of the curve); it then fails with %G_IO_ERROR_CANCELLED
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the evaluation
 */
JsonNode *
rw_offline_evaluate_cancellable (GPtrArray    *outcomes,
                                 JsonObject   *policy,
                                 guint         folds,
                                 const char   *strong,
                                 const char   *weak,
                                 GCancellable *cancellable,
                                 GError      **error)
{
  g_auto(Offline) run = {
    .folds = MAX (folds, 2),
    .models = g_ptr_array_new (),
    .model_index = g_hash_table_new (g_str_hash, g_str_equal),
    .items = g_ptr_array_new_with_free_func ((GDestroyNotify) offline_item_free),
    .complete = g_ptr_array_new (),
    .picks = g_hash_table_new (g_str_hash, g_str_equal),
    .curve = g_array_new (FALSE, FALSE, sizeof (Point)),
  };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) priced = NULL;

  run.options.cost_weight = offline_options_double (policy, "cost_weight");
  run.options.budget_per_1k = offline_options_double (policy, "budget_per_1k");
  run.options.ceiling_usd = offline_options_double (policy, "ceiling_usd");
  run.options.latency_ms = offline_options_double (policy, "latency_ms");
  run.options.allow_unpriced = offline_options_double (policy, "allow_unpriced") != 0;
  /* The same outcomes the policy would be learned from: no model counted as free. */
  if ((priced = _rw_learner_priced_outcomes (outcomes, run.options.allow_unpriced, NULL,
                                             error)) == NULL)
    return NULL;
  outcomes = priced;

  run.cancellable = cancellable;
  if (!offline_collect_models (&run, policy, error) ||
      !offline_collect_items (&run, outcomes, error))
    return NULL;
  offline_score_baselines (&run);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  offline_cross_validate_all (&run, outcomes);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, run.complete->len);
  json_builder_set_member_name (b, "folds");
  json_builder_add_int_value (b, run.folds);
  offline_write_policy (&run, b);
  offline_write_curve (&run, b);
  offline_write_strong_weak (&run, b, strong, weak);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * rw_offline_evaluation_to_text:
 * @evaluation: from rw_offline_evaluate()
 *
 * Returns: (transfer full): the evaluation as Markdown tables
 */
char *
rw_offline_evaluation_to_text (JsonNode *evaluation)
{
  JsonObject *e = json_node_get_object (evaluation);
  JsonObject *p = rw_json_object_get_object (e, "policy");
  JsonArray *base = rw_json_object_get_array (e, "baselines");
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "Held out: %" G_GINT64_FORMAT " items, %" G_GINT64_FORMAT
                          "-fold (each fold routed by a policy learned on the others)\n\n",
                          rw_json_object_get_int (e, "items", 0), rw_json_object_get_int (e, "folds", 0));
  g_string_append (s, "| router | quality | cost per 1k requests |\n|---|---:|---:|\n");
  g_string_append_printf (s, "| **learned policy** | **%.1f%%** | **$%.4f** |\n",
                          100 * rw_json_object_get_double (p, "quality", 0),
                          1000 * rw_json_object_get_double (p, "cost_usd", 0));
  for (guint i = 0; i < json_array_get_length (base); i++)
    {
      JsonObject *r = json_array_get_object_element (base, i);
      g_string_append_printf (s, "| %s | %.1f%% | $%.4f |\n", rw_json_object_get_string (r, "name", NULL),
                              100 * rw_json_object_get_double (r, "quality", 0),
                              1000 * rw_json_object_get_double (r, "cost_usd", 0));
    }
  if (json_object_has_member (e, "curve_area"))
    g_string_append_printf (s, "\nArea under the cost-quality curve (average quality from the cheapest "
                               "to the dearest model's cost): %.3f\n",
                            rw_json_object_get_double (e, "curve_area", 0));
  if (json_object_has_member (e, "strong_weak"))
    {
      JsonObject *sw = rw_json_object_get_object (e, "strong_weak");
      JsonArray *routers = rw_json_object_get_array (sw, "routers");

      g_string_append_printf (s, "\nStrong %s (%.1f%%), weak %s (%.1f%%), RouteLLM's measures:\n\n",
                              rw_json_object_get_string (sw, "strong", NULL),
                              100 * rw_json_object_get_double (sw, "strong_quality", 0),
                              rw_json_object_get_string (sw, "weak", NULL),
                              100 * rw_json_object_get_double (sw, "weak_quality", 0));
      g_string_append (s, "| router | APGR | CPT(50%) | CPT(80%) |\n|---|---:|---:|---:|\n");
      for (guint i = 0; i < json_array_get_length (routers); i++)
        {
          JsonObject *r = json_array_get_object_element (routers, i);
          JsonNode *c50 = json_object_get_member (r, "cpt50"), *c80 = json_object_get_member (r, "cpt80");
          g_autofree char *a = JSON_NODE_HOLDS_NULL (c50) ? g_strdup ("–") : g_strdup_printf ("%.1f%%", json_node_get_double (c50));
          g_autofree char *z = JSON_NODE_HOLDS_NULL (c80) ? g_strdup ("–") : g_strdup_printf ("%.1f%%", json_node_get_double (c80));
          g_string_append_printf (s, "| %s | %.3f | %s | %s |\n", rw_json_object_get_string (r, "router", NULL),
                                  rw_json_object_get_double (r, "apgr", 0), a, z);
        }
    }
  return g_string_free (s, FALSE);
}
