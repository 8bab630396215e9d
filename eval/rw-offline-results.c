/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-offline-private.h"

/*
 * What an offline evaluation found, as its JSON: the policy beside every single model, random
 * routing, the oracle and the zero router, with AIQ and the curve over cost weights; each task
 * against its own zero router; RouteLLM's measures for the strong and the weak model, overall
 * and per benchmark; and each held-out item's decision. rw-offline-evaluation.c routes and
 * scores the items.
 */

/* The complete items by their task, or by their benchmark ("" for none): label -> GPtrArray
 * of items; and the labels, sorted, into @labels. */
static GHashTable *
offline_group_items (RwOfflineRun  *run,
                     gboolean       by_benchmark,
                     GList        **labels)
{
  GHashTable *groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < run->complete->len; i++)
    {
      RwOfflineItem *it = run->complete->pdata[i];
      const char *label = by_benchmark ? (it->benchmark ? it->benchmark : "") : it->task;
      GPtrArray *g = g_hash_table_lookup (groups, label);

      if (g == NULL)
        g_hash_table_insert (groups, (gpointer) label, g = g_ptr_array_new ());
      g_ptr_array_add (g, it);
    }
  *labels = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) g_strcmp0);
  return groups;
}

static void
offline_write_zero_router (RwOfflineRun     *run,
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
offline_write_tasks (RwOfflineRun     *run,
                     JsonBuilder *b)
{
  g_autoptr(GList) names = NULL;
  g_autoptr(GHashTable) groups = offline_group_items (run, FALSE, &names);
  guint n_models = run->models->len;

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
          RwOfflineItem *it = g->pdata[i];
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
                    RwOfflineRun       *run,
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
offline_write_policy (RwOfflineRun     *run,
                      JsonBuilder *b)
{
  guint n_models = run->models->len, n = run->complete->len;
  g_autofree guint *calls = g_new0 (guint, n_models);
  double aiq = _rw_offline_aiq ((RwPoint *) (gpointer) run->curve->data, run->curve->len,
                                run->lo, run->hi);

  for (guint i = 0; i < n; i++)
    calls[((RwOfflineItem *) run->complete->pdata[i])->chosen]++;
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
      json_builder_add_double_value (b, _rw_offline_sweep[i]);
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
offline_strong_key (RwOfflineRun *run,
                    RwOfflineItem    *it)
{
  return isnan (it->strong_score) ? -INFINITY : it->strong_score;
}

/* RouteLLM's measures over @items: the router's ranking by its strong score, random, the
 * oracle. */
static void
offline_write_measures (RwOfflineRun     *run,
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
      RwOfflineItem *it = items->pdata[i];
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
offline_write_strong_weak (RwOfflineRun     *run,
                           JsonBuilder *b)
{
  g_autoptr(GHashTable) groups = NULL;
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
  groups = offline_group_items (run, TRUE, &names);
  json_builder_set_member_name (b, "benchmarks");
  json_builder_begin_array (b);
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
offline_write_decisions (RwOfflineRun     *run,
                         JsonBuilder *b)
{
  json_builder_set_member_name (b, "decisions");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->complete->len; i++)
    {
      RwOfflineItem *it = run->complete->pdata[i];

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

/* The evaluation's findings, once every item is routed and scored: the policy against the
 * baselines, each task, RouteLLM's measures and, with @decisions, each held-out item. */
void
_rw_offline_write_results (RwOfflineRun *run,
                           JsonBuilder  *b,
                           gboolean      decisions)
{
  offline_write_policy (run, b);
  offline_write_tasks (run, b);
  offline_write_strong_weak (run, b);
  if (decisions)
    offline_write_decisions (run, b);
}
