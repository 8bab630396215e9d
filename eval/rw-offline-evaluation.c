/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-learner-private.h"
#include "rw-offline-private.h"

/*
 * A policy proved on held-out data, by exactly what ships. Cross-validated: the items are
 * split into folds by their prompt (so that a prompt asked twice is never both learned from
 * and tested on); for each fold the policy is learned again from the others with its own
 * settings, written as the file the router loads, loaded by the router's code, and asked to
 * route each held-out prompt as a request that names no task: the task is the one its
 * classifier predicts, and the model the one its prompt router ranks first. With a fixed test
 * split, the policy file itself routes the split's prompts. Beside it: every single model,
 * random routing, the oracle and the zero router (the best mix of single models at the same
 * cost), with RouterBench's AIQ for each, and RouteLLM's measures for a strong and a weak
 * model, overall and per benchmark.
 */

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
} Item;

static void
offline_item_free (Item *it)
{
  g_free (it->score);
  g_free (it->cost);
  g_free (it->used_task);
  g_free (it->candidates);
  g_free (it->estimate);
  g_free (it->estimate_cost);
  g_free (it);
}

typedef struct
{
  guint folds;
  RwLearnerOptions options;  /* the policy's, to learn it again on each fold */
  GPtrArray *models;         /* the ids the policy names, borrowed from it */
  GHashTable *model_index;   /* id -> its index in models + 1 */
  GPtrArray *items;          /* every Item (owned) */
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
} Offline;

static const double sweep[] = { 0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3,
                                10, 30, 100, 1000 };

static void
offline_clear (Offline *run)
{
  g_clear_pointer (&run->models, g_ptr_array_unref);
  g_clear_pointer (&run->model_index, g_hash_table_unref);
  g_clear_pointer (&run->items, g_ptr_array_unref);
  g_clear_pointer (&run->complete, g_ptr_array_unref);
  g_clear_pointer (&run->single_q, g_free);
  g_clear_pointer (&run->single_c, g_free);
  g_clear_pointer (&run->curve, g_array_unref);
  g_clear_pointer (&run->oracle_curve, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Offline, offline_clear)

static JsonObject *
offline_member_object (JsonObject *obj,
                       const char *name)
{
  JsonNode *n = obj ? json_object_get_member (obj, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static void
offline_read_options (Offline    *run,
                      JsonObject *policy)
{
  JsonObject *opts = offline_member_object (offline_member_object (policy, "learned"), "options");

  if (opts == NULL)
    return;
  run->options.cost_weight = rw_json_object_get_double (opts, "cost_weight", 0);
  run->options.budget_per_1k = rw_json_object_get_double (opts, "budget_per_1k", 0);
  run->options.ceiling_usd = rw_json_object_get_double (opts, "ceiling_usd", 0);
  run->options.latency_ms = rw_json_object_get_double (opts, "latency_ms", 0);
  run->options.allow_unpriced = rw_json_object_get_boolean (opts, "allow_unpriced", FALSE);
}

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

/* The fold of a prompt: the same text, whatever its spacing, always in the same fold. */
static guint
offline_fold_of (const char *prompt,
                 guint       folds)
{
  g_autofree char *text = rw_text_normalize_space (prompt ? prompt : "");
  g_autofree char *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);

  return (guint) (g_ascii_strtoull (h + 56, NULL, 16) % folds);
}

/* The items answered by every one of the policy's models. */
static gboolean
offline_collect_items (Offline    *run,
                       GPtrArray  *outcomes,
                       guint       at_least,
                       GError    **error)
{
  g_autoptr(GHashTable) by_item = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_models = run->models->len;

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *oc = outcomes->pdata[i];
      guint m = GPOINTER_TO_UINT (g_hash_table_lookup (run->model_index, oc->model));
      Item *it;

      if (m == 0 || oc->prompt == NULL)
        continue;
      it = g_hash_table_lookup (by_item, oc->item);
      if (it == NULL)
        {
          it = g_new0 (Item, 1);
          it->item = oc->item;
          it->task = oc->task;
          it->prompt = oc->prompt;
          it->benchmark = oc->benchmark;
          it->score = g_new (double, n_models);
          it->cost = g_new (double, n_models);
          it->estimate = g_new (double, n_models);
          it->estimate_cost = g_new (double, n_models);
          it->strong_score = NAN;
          for (guint k = 0; k < n_models; k++)
            it->score[k] = it->estimate[k] = NAN;
          it->fold = run->folds > 0 ? offline_fold_of (oc->prompt, run->folds) : 0;
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
  if (run->complete->len < at_least)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "only %u items were answered and graded for every one of the policy's %u "
                   "models: too few to evaluate it on", run->complete->len, n_models);
      return FALSE;
    }
  return TRUE;
}

/* The strong and the weak model of RouteLLM's measures: named, or the two when there are
 * two (the better is strong). */
static void
offline_pick_strong_weak (Offline    *run,
                          const char *strong,
                          const char *weak)
{
  run->strong = run->weak = -1;
  for (guint k = 0; k < run->models->len; k++)
    {
      if (strong && g_str_equal (strong, run->models->pdata[k])) run->strong = k;
      if (weak && g_str_equal (weak, run->models->pdata[k])) run->weak = k;
    }
  if (run->strong < 0 && run->weak < 0 && strong == NULL && weak == NULL &&
      run->models->len == 2)
    {
      run->strong = run->single_q[0] >= run->single_q[1] ? 0 : 1;
      run->weak = 1 - run->strong;
    }
  if (run->strong == run->weak)
    run->strong = run->weak = -1;
}

/* The held-out item as a request that names no task, routed by @policy exactly as the router
 * routes it, with what the policy expects of each model. */
static void
offline_route_item (Offline  *run,
                    RwPolicy *policy,
                    Item     *it)
{
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (it->prompt);
  g_auto(GStrv) candidates = NULL;
  guint n;

  it->used_task = rw_policy_classify (policy, request);
  candidates = rw_policy_route (policy, RW_POLICY_AUTO_MODEL, it->used_task, request);
  n = candidates ? g_strv_length (candidates) : 0;
  it->candidates = g_new (guint, MAX (1, n));
  it->n_candidates = 0;
  it->chosen = -1;
  for (guint i = 0; i < n; i++)
    {
      guint m = GPOINTER_TO_UINT (g_hash_table_lookup (run->model_index, candidates[i]));
      if (m == 0)
        continue;
      it->candidates[it->n_candidates++] = m - 1;
      if (it->chosen < 0)
        it->chosen = (int) m - 1;
    }
  if (it->chosen < 0)
    it->chosen = 0;
  for (guint k = 0; k < run->models->len; k++)
    if (!rw_policy_estimate (policy, request, it->used_task, run->models->pdata[k],
                             &it->estimate[k], &it->estimate_cost[k]))
      it->estimate[k] = NAN;
  /* RouteLLM counts the cost of routing as the share of calls to the strong model: with
   * every strong call costing the same, the router sends a prompt to the strong model when the
   * quality it expects to gain is above its cost weight times that cost. So its ranking is by
   * that expected gain. */
  if (run->strong >= 0 && !isnan (it->estimate[run->strong]) && !isnan (it->estimate[run->weak]))
    it->strong_score = it->estimate[run->strong] - it->estimate[run->weak];
}

static gboolean
offline_load_policy (RwPolicy    *policy,
                     JsonNode    *node,
                     const char  *origin,
                     GError     **error)
{
  g_autofree char *text = json_to_string (node, FALSE);
  return rw_policy_load_data (policy, origin, text, -1, error);
}

/* Each fold routed by the policy learned again, with the same settings, on the others. */
static gboolean
offline_cross_validate (Offline    *run,
                        GPtrArray  *outcomes,
                        GError    **error)
{
  for (guint f = 0; f < run->folds; f++)
    {
      g_autoptr(GPtrArray) train = g_ptr_array_new ();
      g_autoptr(JsonNode) learned = NULL;
      g_autoptr(RwPolicy) policy = rw_policy_new ();
      g_autofree char *origin = g_strdup_printf ("the policy learned without fold %u", f + 1);
      RwLearnerOptions o = run->options;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      for (guint i = 0; i < outcomes->len; i++)
        {
          RwOutcome *oc = outcomes->pdata[i];
          if (offline_fold_of (oc->prompt, run->folds) != f)
            g_ptr_array_add (train, oc);
        }
      o.cancellable = run->cancellable;
      if ((learned = rw_learner_learn (train, NULL, &o, error)) == NULL ||
          !offline_load_policy (policy, learned, origin, error))
        return FALSE;
      for (guint i = 0; i < run->complete->len; i++)
        {
          Item *it = run->complete->pdata[i];
          if (it->fold == f)
            offline_route_item (run, policy, it);
        }
    }
  return TRUE;
}

/* The policy file itself on a fixed split. */
static gboolean
offline_route_test (Offline     *run,
                    JsonNode    *policy_node,
                    GError     **error)
{
  g_autoptr(RwPolicy) policy = rw_policy_new ();

  if (!offline_load_policy (policy, policy_node, "the policy", error))
    return FALSE;
  for (guint i = 0; i < run->complete->len; i++)
    {
      if (i % 256 == 0 && g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      offline_route_item (run, policy, run->complete->pdata[i]);
    }
  return TRUE;
}

/* Every single model and random routing, and the span of the single models' costs. */
static void
offline_score_singles (Offline *run)
{
  guint n = run->complete->len, n_models = run->models->len;

  run->single_q = g_new0 (double, n_models);
  run->single_c = g_new0 (double, n_models);
  run->lo = INFINITY;
  run->hi = -INFINITY;
  for (guint i = 0; i < n; i++)
    {
      Item *it = run->complete->pdata[i];

      for (guint k = 0; k < n_models; k++)
        {
          run->single_q[k] += it->score[k] / n;
          run->single_c[k] += it->cost[k] / n;
          run->random_q += it->score[k] / (n * n_models);
          run->random_c += it->cost[k] / (n * n_models);
        }
    }
  for (guint k = 0; k < n_models; k++)
    {
      run->lo = MIN (run->lo, run->single_c[k]);
      run->hi = MAX (run->hi, run->single_c[k]);
    }
}

/* The policy as it routed the items. */
static void
offline_score_policy (Offline *run)
{
  guint n = run->complete->len;

  for (guint i = 0; i < n; i++)
    {
      Item *it = run->complete->pdata[i];

      run->policy.quality += it->score[it->chosen] / n;
      run->policy.cost += it->cost[it->chosen] / n;
    }
}

/* The policy at each cost weight of the sweep: the same ranking of the same candidates, by
 * what the router expects of each, with another weight; and the oracle, which knows each
 * answer's score. */
static void
offline_sweep (Offline *run)
{
  guint n = run->complete->len;

  for (guint w = 0; w < G_N_ELEMENTS (sweep); w++)
    {
      RwPoint p = { 0, 0 }, o = { 0, 0 };

      for (guint i = 0; i < n; i++)
        {
          Item *it = run->complete->pdata[i];
          int pick = it->chosen, best = 0;
          double top = -INFINITY, otop = -INFINITY;

          for (guint c = 0; c < it->n_candidates; c++)
            {
              guint k = it->candidates[c];
              double v = it->estimate[k] - sweep[w] * 1000 * it->estimate_cost[k];
              if (!isnan (v) && v > top)
                {
                  top = v;
                  pick = (int) k;
                }
            }
          for (guint k = 0; k < run->models->len; k++)
            {
              double v = it->score[k] - sweep[w] * 1000 * it->cost[k];
              if (v > otop || (v == otop && it->cost[k] < it->cost[best]))
                {
                  otop = v;
                  best = (int) k;
                }
            }
          p.quality += it->score[pick] / n;
          p.cost += it->cost[pick] / n;
          o.quality += it->score[best] / n;
          o.cost += it->cost[best] / n;
        }
      g_array_append_val (run->curve, p);
      g_array_append_val (run->oracle_curve, o);
    }
}

static void
offline_write_zero_router (Offline     *run,
                           JsonBuilder *b)
{
  guint n = run->models->len;
  g_autofree RwPoint *points = g_new (RwPoint, n);
  double share, cost, quality, aiq;
  int a, z;

  for (guint k = 0; k < n; k++)
    points[k] = (RwPoint) { run->single_q[k], run->single_c[k] };
  quality = _rw_offline_zero_router (run->single_q, run->single_c, n, run->policy.cost, &a, &z,
                                 &share, &cost);
  aiq = _rw_offline_aiq (points, n, run->lo, run->hi);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "zero router");
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, quality);
  json_builder_set_member_name (b, "cost_usd");
  json_builder_add_double_value (b, cost);
  json_builder_set_member_name (b, "aiq");
  if (isnan (aiq)) json_builder_add_null_value (b); else json_builder_add_double_value (b, aiq);
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

/* Within each task (as the data labels it): the policy against the zero router of that task's
 * single models at the cost the policy spent there. Where the policy only picks one model per
 * task, it can do no better. */
static void
offline_write_tasks (Offline     *run,
                     JsonBuilder *b)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GList) names = NULL;
  guint n_models = run->models->len;

  for (guint i = 0; i < run->complete->len; i++)
    {
      Item *it = run->complete->pdata[i];
      GPtrArray *g = g_hash_table_lookup (groups, it->task);

      if (g == NULL)
        g_hash_table_insert (groups, (gpointer) it->task, g = g_ptr_array_new ());
      g_ptr_array_add (g, it);
    }
  names = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) g_strcmp0);
  json_builder_set_member_name (b, "tasks_held_out");
  json_builder_begin_array (b);
  for (GList *l = names; l; l = l->next)
    {
      GPtrArray *g = g_hash_table_lookup (groups, l->data);
      g_autofree double *q = g_new0 (double, n_models);
      g_autofree double *c = g_new0 (double, n_models);
      double pq = 0, pc = 0, share, cost, zq;
      int a, z;

      for (guint i = 0; i < g->len; i++)
        {
          Item *it = g->pdata[i];
          for (guint k = 0; k < n_models; k++)
            {
              q[k] += it->score[k] / g->len;
              c[k] += it->cost[k] / g->len;
            }
          pq += it->score[it->chosen] / g->len;
          pc += it->cost[it->chosen] / g->len;
        }
      zq = _rw_offline_zero_router (q, c, n_models, pc, &a, &z, &share, &cost);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, l->data);
      json_builder_set_member_name (b, "items");
      json_builder_add_int_value (b, g->len);
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, pq);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, pc);
      json_builder_set_member_name (b, "zero_router_quality");
      json_builder_add_double_value (b, zq);
      json_builder_set_member_name (b, "zero_router_cost_usd");
      json_builder_add_double_value (b, cost);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
offline_add_router (JsonBuilder   *b,
                    Offline       *run,
                    const char    *name,
                    double         quality,
                    double         cost,
                    const RwPoint *points,
                    guint          n_points)
{
  RwPoint self = { quality, cost };
  double aiq = n_points > 0 ? _rw_offline_aiq (points, n_points, run->lo, run->hi)
                            : _rw_offline_aiq (&self, 1, run->lo, run->hi);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, quality);
  json_builder_set_member_name (b, "cost_usd");
  json_builder_add_double_value (b, cost);
  json_builder_set_member_name (b, "aiq");
  if (isnan (aiq)) json_builder_add_null_value (b); else json_builder_add_double_value (b, aiq);
  json_builder_end_object (b);
}

static void
offline_write_policy (Offline     *run,
                      JsonBuilder *b)
{
  guint n_models = run->models->len, n = run->complete->len;
  g_autofree guint *calls = g_new0 (guint, n_models);
  double aiq = _rw_offline_aiq ((RwPoint *) (gpointer) run->curve->data, run->curve->len,
                                run->lo, run->hi);

  for (guint i = 0; i < n; i++)
    calls[((Item *) run->complete->pdata[i])->chosen]++;
  json_builder_set_member_name (b, "policy");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, run->policy.quality);
  json_builder_set_member_name (b, "cost_usd");
  json_builder_add_double_value (b, run->policy.cost);
  json_builder_set_member_name (b, "aiq");
  if (isnan (aiq)) json_builder_add_null_value (b); else json_builder_add_double_value (b, aiq);
  json_builder_set_member_name (b, "calls");
  json_builder_begin_object (b);
  for (guint k = 0; k < n_models; k++)
    {
      json_builder_set_member_name (b, run->models->pdata[k]);
      json_builder_add_double_value (b, calls[k] / (double) n);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "baselines");
  json_builder_begin_array (b);
  for (guint k = 0; k < n_models; k++)
    offline_add_router (b, run, run->models->pdata[k], run->single_q[k], run->single_c[k],
                        NULL, 0);
  offline_add_router (b, run, "random", run->random_q, run->random_c, NULL, 0);
  {
    /* The oracle: at no cost weight, the best answer (the cheapest of equals). */
    RwPoint *best = &g_array_index (run->oracle_curve, RwPoint, 0);
    offline_add_router (b, run, "oracle", best->quality, best->cost,
                        (RwPoint *) (gpointer) run->oracle_curve->data, run->oracle_curve->len);
  }
  offline_write_zero_router (run, b);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "curve");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->curve->len; i++)
    {
      RwPoint *p = &g_array_index (run->curve, RwPoint, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "cost_weight");
      json_builder_add_double_value (b, sweep[i]);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, p->cost);
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, p->quality);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (!isnan (aiq))
    {
      json_builder_set_member_name (b, "curve_area");
      json_builder_add_double_value (b, aiq);
    }
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

static guint *
offline_order_by (Keyed *keys,
                  guint  n)
{
  guint *order = g_new (guint, MAX (1, n));

  qsort (keys, n, sizeof (Keyed), offline_compare_keyed);
  for (guint i = 0; i < n; i++)
    order[i] = keys[i].index;
  return order;
}

/* The key the router's strong/weak ranking sorts by: its strong score; last where it has none
 * (the policy's router does not know one of the two). */
static double
offline_strong_key (Offline *run,
                    Item    *it)
{
  return isnan (it->strong_score) ? -INFINITY : it->strong_score;
}

/* RouteLLM's measures over @items: the router's ranking by its strong score, random, the
 * oracle. */
static void
offline_write_measures (Offline     *run,
                        JsonBuilder *b,
                        GPtrArray   *items)
{
  guint n = items->len;
  g_autofree double *sv = g_new (double, MAX (1, n));
  g_autofree double *wv = g_new (double, MAX (1, n));
  g_autofree Keyed *keys = g_new (Keyed, MAX (1, n));
  g_autoptr(GRand) rng = g_rand_new_with_seed (0);
  double qs = 0, qw = 0;
  g_autofree guint *order = NULL;

  for (guint i = 0; i < n; i++)
    {
      Item *it = items->pdata[i];
      sv[i] = it->score[run->strong];
      wv[i] = it->score[run->weak];
      qs += sv[i] / n;
      qw += wv[i] / n;
    }
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "strong_quality");
  json_builder_add_double_value (b, qs);
  json_builder_set_member_name (b, "weak_quality");
  json_builder_add_double_value (b, qw);
  json_builder_set_member_name (b, "routers");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    keys[i] = (Keyed) { i, offline_strong_key (run, items->pdata[i]) };
  order = offline_order_by (keys, n);
  _rw_offline_add_curve (b, "routewise", order, n, sv, wv);
  g_free (order);
  for (guint i = 0; i < n; i++)
    keys[i] = (Keyed) { i, g_rand_double (rng) };
  order = offline_order_by (keys, n);
  _rw_offline_add_curve (b, "random", order, n, sv, wv);
  g_free (order);
  for (guint i = 0; i < n; i++)
    keys[i] = (Keyed) { i, sv[i] - wv[i] };
  order = offline_order_by (keys, n);
  _rw_offline_add_curve (b, "oracle", order, n, sv, wv);
  json_builder_end_array (b);
}

static void
offline_write_strong_weak (Offline     *run,
                           JsonBuilder *b)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GList) names = NULL;

  if (run->strong < 0)
    return;
  json_builder_set_member_name (b, "strong_weak");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "strong");
  json_builder_add_string_value (b, run->models->pdata[run->strong]);
  json_builder_set_member_name (b, "weak");
  json_builder_add_string_value (b, run->models->pdata[run->weak]);
  offline_write_measures (run, b, run->complete);

  /* Per benchmark, as RouteLLM reports them. */
  for (guint i = 0; i < run->complete->len; i++)
    {
      Item *it = run->complete->pdata[i];
      const char *name = it->benchmark ? it->benchmark : "";
      GPtrArray *g = g_hash_table_lookup (groups, name);

      if (g == NULL)
        g_hash_table_insert (groups, (gpointer) name, g = g_ptr_array_new ());
      g_ptr_array_add (g, it);
    }
  json_builder_set_member_name (b, "benchmarks");
  json_builder_begin_array (b);
  names = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) g_strcmp0);
  for (GList *l = names; l && g_hash_table_size (groups) > 1; l = l->next)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "benchmark");
      json_builder_add_string_value (b, l->data);
      offline_write_measures (run, b, g_hash_table_lookup (groups, l->data));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
offline_write_decisions (Offline     *run,
                         JsonBuilder *b)
{
  json_builder_set_member_name (b, "decisions");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->complete->len; i++)
    {
      Item *it = run->complete->pdata[i];

      g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, it->prompt, -1);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "item");
      json_builder_add_string_value (b, it->item);
      json_builder_set_member_name (b, "prompt_sha256");
      json_builder_add_string_value (b, sha);
      json_builder_set_member_name (b, "fold");
      json_builder_add_int_value (b, it->fold + 1);
      json_builder_set_member_name (b, "benchmark");
      json_builder_add_string_value (b, it->benchmark);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, it->used_task);
      json_builder_set_member_name (b, "true_task");
      json_builder_add_string_value (b, it->task);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, run->models->pdata[it->chosen]);
      json_builder_set_member_name (b, "score");
      json_builder_add_double_value (b, it->score[it->chosen]);
      json_builder_set_member_name (b, "cost");
      json_builder_add_double_value (b, it->cost[it->chosen]);
      json_builder_set_member_name (b, "strong_score");
      if (isnan (it->strong_score))
        json_builder_add_null_value (b);
      else
        json_builder_add_double_value (b, it->strong_score);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/**
 * rw_offline_evaluate:
 *
 * rw_offline_evaluate_with() cross-validated, without decisions, that cannot be cancelled.
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
  RwOfflineOptions o = { .folds = folds, .strong = strong, .weak = weak };
  return rw_offline_evaluate_with (outcomes, policy, &o, error);
}

/**
 * rw_offline_evaluate_cancellable:
 *
 * rw_offline_evaluate_with() cross-validated, without decisions.
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
  RwOfflineOptions o = { .folds = folds, .strong = strong, .weak = weak,
                         .cancellable = cancellable };
  return rw_offline_evaluate_with (outcomes, policy, &o, error);
}

/**
 * rw_offline_evaluate_with:
 * @outcomes: (element-type RwOutcome): graded answers: what the policy is learned from again
 *   on each fold, or with a test split, nothing
 * @policy: a learned policy: its models and settings
 * @options: the folds or the test split, the strong and the weak model, whether to give the
 *   decisions
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the evaluation
 */
JsonNode *
rw_offline_evaluate_with (GPtrArray              *outcomes,
                          JsonObject             *policy,
                          const RwOfflineOptions *options,
                          GError                **error)
{
  gboolean test = options->test != NULL;
  g_auto(Offline) run = {
    .folds = test ? 0 : MAX (options->folds, 2),
    .models = g_ptr_array_new (),
    .model_index = g_hash_table_new (g_str_hash, g_str_equal),
    .items = g_ptr_array_new_with_free_func ((GDestroyNotify) offline_item_free),
    .complete = g_ptr_array_new (),
    .curve = g_array_new (FALSE, FALSE, sizeof (RwPoint)),
    .oracle_curve = g_array_new (FALSE, FALSE, sizeof (RwPoint)),
    .cancellable = options->cancellable,
  };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) priced = NULL;

  offline_read_options (&run, policy);
  /* The same outcomes the policy would be learned from: no model counted as free. */
  if ((priced = _rw_learner_priced_outcomes (test ? options->test : outcomes,
                                             run.options.allow_unpriced, NULL, error)) == NULL)
    return NULL;
  if (!offline_collect_models (&run, policy, error) ||
      !offline_collect_items (&run, priced, test ? 1 : run.folds * 2, error))
    return NULL;
  offline_score_singles (&run);
  offline_pick_strong_weak (&run, options->strong, options->weak);
  if (test)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), policy);
      if (!offline_route_test (&run, node, error))
        return NULL;
    }
  else if (!offline_cross_validate (&run, priced, error))
    return NULL;
  offline_score_policy (&run);
  offline_sweep (&run);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, run.complete->len);
  json_builder_set_member_name (b, "folds");
  json_builder_add_int_value (b, run.folds);
  json_builder_set_member_name (b, "test");
  json_builder_add_boolean_value (b, test);
  json_builder_set_member_name (b, "tasks");
  json_builder_add_string_value (b, "predicted");
  offline_write_policy (&run, b);
  offline_write_tasks (&run, b);
  offline_write_strong_weak (&run, b);
  if (options->decisions)
    offline_write_decisions (&run, b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
