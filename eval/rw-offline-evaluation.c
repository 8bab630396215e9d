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

const double _rw_offline_sweep[] = { 0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1,
                                     3, 10, 30, 100, 1000 };
const guint _rw_offline_n_sweep = sizeof _rw_offline_sweep / sizeof _rw_offline_sweep[0];

static void
offline_item_free (RwOfflineItem *it)
{
  g_free (it->score);
  g_free (it->cost);
  g_free (it->used_task);
  g_free (it->candidates);
  g_free (it->estimate);
  g_free (it->estimate_cost);
  g_free (it);
}

static void
offline_clear (RwOfflineRun *run)
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

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RwOfflineRun, offline_clear)

static JsonObject *
offline_member_object (JsonObject *obj,
                       const char *name)
{
  JsonNode *n = obj ? json_object_get_member (obj, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static void
offline_read_options (RwOfflineRun    *run,
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
offline_add_model (RwOfflineRun    *run,
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
offline_collect_models (RwOfflineRun     *run,
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

/* The fold of a prompt: the same text, whatever its spacing, always in the same fold (the last
 * digits of its hash; the learner's own inner split reads the first). */
static guint
offline_fold_of (const char *prompt,
                 guint       folds)
{
  return _rw_learner_prompt_part (prompt, 56, folds);
}

/* The items answered by every one of the policy's models. */
static gboolean
offline_collect_items (RwOfflineRun    *run,
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
      RwOfflineItem *it;

      if (m == 0 || oc->prompt == NULL)
        continue;
      it = g_hash_table_lookup (by_item, oc->item);
      if (it == NULL)
        {
          it = g_new0 (RwOfflineItem, 1);
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
      RwOfflineItem *it = run->items->pdata[i];
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
offline_pick_strong_weak (RwOfflineRun    *run,
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

/* The held-out item as a request that names no task (or, when the requests are said to, its
 * own), routed by @policy exactly as the router routes it, with what the policy expects of
 * each model. */
static void
offline_route_item (RwOfflineRun  *run,
                    RwPolicy *policy,
                    RwOfflineItem     *it)
{
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (it->prompt);
  g_auto(GStrv) candidates = NULL;
  guint n;

  if (run->named_tasks)
    rw_chat_request_set_task (request, it->task);
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
  rw_policy_estimate_all (policy, request, it->used_task,
                          (const char * const *) run->models->pdata, run->models->len,
                          it->estimate, it->estimate_cost);
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
offline_cross_validate (RwOfflineRun    *run,
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
          RwOfflineItem *it = run->complete->pdata[i];
          if (it->fold == f)
            offline_route_item (run, policy, it);
        }
    }
  return TRUE;
}

/* The policy file itself on a fixed split. */
static gboolean
offline_route_test (RwOfflineRun     *run,
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
offline_score_singles (RwOfflineRun *run)
{
  guint n = run->complete->len, n_models = run->models->len;

  run->single_q = g_new0 (double, n_models);
  run->single_c = g_new0 (double, n_models);
  run->lo = INFINITY;
  run->hi = -INFINITY;
  for (guint i = 0; i < n; i++)
    {
      RwOfflineItem *it = run->complete->pdata[i];

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
offline_score_policy (RwOfflineRun *run)
{
  guint n = run->complete->len;

  for (guint i = 0; i < n; i++)
    {
      RwOfflineItem *it = run->complete->pdata[i];

      run->policy.quality += it->score[it->chosen] / n;
      run->policy.cost += it->cost[it->chosen] / n;
    }
}

/* The policy at each cost weight of the sweep: the same ranking of the same candidates, by
 * what the router expects of each, with another weight; and the oracle, which knows each
 * answer's score. */
static void
offline_sweep (RwOfflineRun *run)
{
  guint n = run->complete->len;

  for (guint w = 0; w < _rw_offline_n_sweep; w++)
    {
      RwPoint p = { 0, 0 }, o = { 0, 0 };

      for (guint i = 0; i < n; i++)
        {
          RwOfflineItem *it = run->complete->pdata[i];
          int pick = it->chosen, best = 0;
          double top = -INFINITY, otop = -INFINITY;

          for (guint c = 0; c < it->n_candidates; c++)
            {
              guint k = it->candidates[c];
              double v = it->estimate[k] - _rw_offline_sweep[w] * 1000 * it->estimate_cost[k];
              if (!isnan (v) && v > top)
                {
                  top = v;
                  pick = (int) k;
                }
            }
          for (guint k = 0; k < run->models->len; k++)
            {
              double v = it->score[k] - _rw_offline_sweep[w] * 1000 * it->cost[k];
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
  g_auto(RwOfflineRun) run = {
    .folds = test ? 0 : MAX (options->folds, 2),
    .models = g_ptr_array_new (),
    .model_index = g_hash_table_new (g_str_hash, g_str_equal),
    .items = g_ptr_array_new_with_free_func ((GDestroyNotify) offline_item_free),
    .complete = g_ptr_array_new (),
    .curve = g_array_new (FALSE, FALSE, sizeof (RwPoint)),
    .oracle_curve = g_array_new (FALSE, FALSE, sizeof (RwPoint)),
    .cancellable = options->cancellable,
    .named_tasks = options->named_tasks,
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
  json_builder_add_string_value (b, options->named_tasks ? "named" : "predicted");
  _rw_offline_write_results (&run, b, options->decisions);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
