/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rw-eval-tally-private.h"
#include "rw-ratings.h"
#include "rw-usage-stats.h"

/* What the router did over a period: every attempt to have a model answer, from comparisons,
 * evaluations and the endpoint, counted per day and model, per model and kind of error, with
 * their latencies; which model won each task by the votes, judges and grades of the period;
 * and what the active policy would have cost for the same requests. */

typedef struct
{
  char *model;
  guint64 attempts;
  guint64 failures;
  guint64 fallbacks;
  guint64 cached;
  gint64 tokens_in;
  gint64 tokens_out;
  double cost_usd;
  GHashTable *errors;    /* error kind -> GUINT_TO_POINTER (count) */
  GArray *latencies;     /* double, answered attempts */
  GArray *ttfts;         /* double */
} ModelStats;

static void
model_stats_free (ModelStats *m)
{
  g_free (m->model);
  g_hash_table_unref (m->errors);
  g_array_unref (m->latencies);
  g_array_unref (m->ttfts);
  g_free (m);
}

static ModelStats *
model_stats_get (GHashTable *models,
                 const char *model)
{
  ModelStats *m = g_hash_table_lookup (models, model);

  if (m == NULL)
    {
      m = g_new0 (ModelStats, 1);
      m->model = g_strdup (model);
      m->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      m->latencies = g_array_new (FALSE, FALSE, sizeof (double));
      m->ttfts = g_array_new (FALSE, FALSE, sizeof (double));
      g_hash_table_insert (models, m->model, m);
    }
  return m;
}

/* One day's attempts of one model. */
typedef struct
{
  guint64 requests;
  double cost_usd;
} DayCell;

static char *
usage_day_of (gint64 ms)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (ms / 1000);

  return t ? g_date_time_format (t, "%Y-%m-%d") : g_strdup ("?");
}

static int
usage_compare_double (gconstpointer a,
                      gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
usage_add_percentiles (JsonBuilder *b,
                       const char  *name,
                       GArray      *values)
{
  static const struct { const char *name; double q; } qs[] = {
    { "p50", 0.5 }, { "p90", 0.9 }, { "p99", 0.99 },
  };

  json_builder_set_member_name (b, name);
  if (values->len == 0)
    {
      json_builder_add_null_value (b);
      return;
    }
  g_array_sort (values, usage_compare_double);
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (qs); i++)
    {
      json_builder_set_member_name (b, qs[i].name);
      json_builder_add_double_value (b, _rw_eval_percentile (values, qs[i].q));
    }
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, values->len);
  json_builder_end_object (b);
}

static void
usage_add_number (JsonBuilder *b,
                  const char  *name,
                  double       value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static int
usage_compare_keys (gconstpointer a,
                    gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The keys of @table, sorted. */
static GPtrArray *
usage_sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);

  g_ptr_array_sort (keys, usage_compare_keys);
  return keys;
}

static void
usage_add_days (JsonBuilder *b,
                GHashTable  *days)
{
  g_autoptr(GPtrArray) names = usage_sorted_keys (days);

  json_builder_set_member_name (b, "days");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    {
      GHashTable *cells = g_hash_table_lookup (days, names->pdata[i]);
      g_autoptr(GPtrArray) models = usage_sorted_keys (cells);
      guint64 requests = 0;
      double cost = 0;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "day");
      json_builder_add_string_value (b, names->pdata[i]);
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (guint j = 0; j < models->len; j++)
        {
          DayCell *c = g_hash_table_lookup (cells, models->pdata[j]);

          requests += c->requests;
          cost += c->cost_usd;
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, models->pdata[j]);
          json_builder_set_member_name (b, "requests");
          json_builder_add_int_value (b, c->requests);
          json_builder_set_member_name (b, "cost_usd");
          json_builder_add_double_value (b, c->cost_usd);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "requests");
      json_builder_add_int_value (b, requests);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, cost);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
usage_add_models (JsonBuilder *b,
                  GHashTable  *models)
{
  g_autoptr(GPtrArray) names = usage_sorted_keys (models);

  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    {
      ModelStats *m = g_hash_table_lookup (models, names->pdata[i]);
      g_autoptr(GPtrArray) kinds = usage_sorted_keys (m->errors);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, m->model);
      json_builder_set_member_name (b, "requests");
      json_builder_add_int_value (b, m->attempts);
      json_builder_set_member_name (b, "failures");
      json_builder_add_int_value (b, m->failures);
      json_builder_set_member_name (b, "failure_rate");
      json_builder_add_double_value (b, m->attempts ? (double) m->failures / m->attempts : 0);
      json_builder_set_member_name (b, "fallbacks");
      json_builder_add_int_value (b, m->fallbacks);
      json_builder_set_member_name (b, "fallback_rate");
      json_builder_add_double_value (b, m->attempts ? (double) m->fallbacks / m->attempts : 0);
      json_builder_set_member_name (b, "errors");
      json_builder_begin_object (b);
      for (guint k = 0; k < kinds->len; k++)
        {
          json_builder_set_member_name (b, kinds->pdata[k]);
          json_builder_add_int_value (b, GPOINTER_TO_UINT (g_hash_table_lookup (m->errors,
                                                                                kinds->pdata[k])));
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "cached");
      json_builder_add_int_value (b, m->cached);
      json_builder_set_member_name (b, "tokens_in");
      json_builder_add_int_value (b, m->tokens_in);
      json_builder_set_member_name (b, "tokens_out");
      json_builder_add_int_value (b, m->tokens_out);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, m->cost_usd);
      usage_add_percentiles (b, "latency_ms", m->latencies);
      usage_add_percentiles (b, "ttft_ms", m->ttfts);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* Per task, the model rated first by the period's pairwise outcomes, with its record. */
static gboolean
usage_add_winners (JsonBuilder          *b,
                   RwStore              *store,
                   const RwUsagePeriod  *period,
                   GError              **error)
{
  g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
  RwVoteFilter filter = { period->since_ms, period->until_ms, NULL };
  g_autoptr(JsonNode) rated = NULL;
  JsonArray *tasks;

  if (!rw_comparisons_load_store_filtered (comparisons, store, &filter, error))
    return FALSE;
  rated = rw_comparisons_rate (comparisons, NULL, 0, 0);
  tasks = json_object_get_array_member (json_node_get_object (rated), "tasks");
  json_builder_set_member_name (b, "comparisons");
  json_builder_add_int_value (b, rw_comparisons_get_n (comparisons));
  json_builder_set_member_name (b, "winners");
  json_builder_begin_array (b);
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++)
    {
      JsonObject *t = json_array_get_object_element (tasks, i);
      JsonArray *models = json_object_get_array_member (t, "models");
      JsonObject *top;

      if (models == NULL || json_array_get_length (models) == 0)
        continue;
      top = json_array_get_object_element (models, 0);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, json_object_get_string_member (t, "task"));
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, json_object_get_string_member (top, "model"));
      json_builder_set_member_name (b, "rating");
      json_builder_add_double_value (b, json_object_get_double_member (top, "rating"));
      json_builder_set_member_name (b, "wins");
      json_builder_add_int_value (b, json_object_get_int_member_with_default (top, "wins", 0));
      json_builder_set_member_name (b, "losses");
      json_builder_add_int_value (b, json_object_get_int_member_with_default (top, "losses", 0));
      json_builder_set_member_name (b, "models");
      json_builder_add_int_value (b, json_array_get_length (models));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return TRUE;
}

/* What the policy's first choice for each request would have cost on the request's own
 * tokens, against what its attempts cost. */
typedef struct
{
  double spent;
  double would_cost;
  guint64 requests;
  guint64 priced;
  GHashTable *chosen;    /* model -> GUINT_TO_POINTER (requests) */
} PolicyCost;

static void
usage_policy_add (PolicyCost      *pc,
                  RwPolicy        *policy,
                  RwCatalog       *catalog,
                  RwStoredRequest *q)
{
  g_autoptr(RwChatRequest) request = NULL;
  g_autofree char *task = NULL;
  g_auto(GStrv) candidates = NULL;
  RwModel *model;
  double cost;

  pc->requests++;
  request = rw_chat_request_new_for_prompt (q->prompt_text ? q->prompt_text : "");
  if (q->task != NULL)
    rw_chat_request_set_task (request, q->task);
  task = rw_policy_classify (policy, request);
  candidates = rw_policy_route (policy, RW_POLICY_AUTO_MODEL, task, request);
  if (candidates == NULL || candidates[0] == NULL)
    return;
  g_hash_table_insert (pc->chosen, g_strdup (candidates[0]),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (pc->chosen,
                                                                                candidates[0]))
                                         + 1));
  model = catalog ? rw_catalog_lookup_model (catalog, candidates[0]) : NULL;
  cost = model ? rw_model_compute_cost (model, q->tokens_in, q->tokens_out) : NAN;
  if (isfinite (cost))
    {
      pc->would_cost += cost;
      pc->priced++;
    }
}

static void
usage_add_policy (JsonBuilder *b,
                  PolicyCost  *pc,
                  const char  *name)
{
  g_autoptr(GPtrArray) models = usage_sorted_keys (pc->chosen);

  json_builder_set_member_name (b, "policy");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name ? name : "");
  json_builder_set_member_name (b, "requests");
  json_builder_add_int_value (b, pc->requests);
  json_builder_set_member_name (b, "priced_requests");
  json_builder_add_int_value (b, pc->priced);
  json_builder_set_member_name (b, "would_cost_usd");
  json_builder_add_double_value (b, pc->would_cost);
  json_builder_set_member_name (b, "spent_usd");
  json_builder_add_double_value (b, pc->spent);
  json_builder_set_member_name (b, "chosen");
  json_builder_begin_object (b);
  for (guint i = 0; i < models->len; i++)
    {
      json_builder_set_member_name (b, models->pdata[i]);
      json_builder_add_int_value (b, GPOINTER_TO_UINT (g_hash_table_lookup (pc->chosen,
                                                                            models->pdata[i])));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/**
 * rw_usage_stats_compute:
 * @store: the database
 * @period: the period
 * @catalog: (nullable): the models' prices, for what @policy would have cost
 * @policy: (nullable): a policy to set against what was spent
 * @policy_name: (nullable): its name
 * @error: return location for an error
 *
 * A request is a first attempt; every attempt counts for its model. An attempt fell back when
 * it failed and its request went on to another model.
 *
 * Returns: (transfer full) (nullable): `{"since_ms", "until_ms", "requests", "attempts",
 *   "failures", "fallbacks", "cost_usd", "days": [{"day", "requests", "cost_usd", "models":
 *   [{"model", "requests", "cost_usd"}]}], "models": [{"model", "requests", "failures",
 *   "failure_rate", "fallbacks", "fallback_rate", "errors": {kind: n}, "cached", "tokens_in",
 *   "tokens_out", "cost_usd", "latency_ms": {"p50", "p90", "p99", "n"}, "ttft_ms"}],
 *   "comparisons", "winners": [{"task", "model", "rating", "wins", "losses", "models"}],
 *   "policy": {"name", "requests", "priced_requests", "would_cost_usd", "spent_usd",
 *   "chosen"} or null}`
 */
JsonNode *
rw_usage_stats_compute (RwStore             *store,
                        const RwUsagePeriod *period,
                        RwCatalog           *catalog,
                        RwPolicy            *policy,
                        const char          *policy_name,
                        GError             **error)
{
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GHashTable) models = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) model_stats_free);
  g_autoptr(GHashTable) days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) g_hash_table_unref);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  PolicyCost pc = { 0 };
  guint64 n_requests = 0, failures = 0, fallbacks = 0;
  double cost = 0;

  g_return_val_if_fail (RW_IS_STORE (store), NULL);
  g_return_val_if_fail (period != NULL, NULL);

  requests = rw_store_list_requests (store, period->since_ms, period->until_ms, error);
  if (requests == NULL)
    return NULL;
  pc.chosen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < requests->len; i++)
    {
      RwStoredRequest *q = requests->pdata[i];
      ModelStats *m = model_stats_get (models, q->model);
      g_autofree char *day = usage_day_of (q->created_ms);
      GHashTable *cells = g_hash_table_lookup (days, day);
      DayCell *cell;
      double c = isfinite (q->cost_usd) && q->cost_usd > 0 ? q->cost_usd : 0;

      if (cells == NULL)
        {
          cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (days, g_strdup (day), cells);
        }
      if ((cell = g_hash_table_lookup (cells, q->model)) == NULL)
        g_hash_table_insert (cells, g_strdup (q->model), cell = g_new0 (DayCell, 1));
      cell->requests++;
      cell->cost_usd += c;

      m->attempts++;
      m->cost_usd += c;
      cost += c;
      if (q->cached)
        m->cached++;
      if (q->tokens_in > 0)
        m->tokens_in += q->tokens_in;
      if (q->tokens_out > 0)
        m->tokens_out += q->tokens_out;
      if (q->attempt == 1)
        n_requests++;
      if (!q->ok)
        {
          const char *kind = q->error_kind ? q->error_kind : "unknown";

          m->failures++;
          failures++;
          g_hash_table_insert (m->errors, g_strdup (kind),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (m->errors,
                                                                                        kind))
                                                 + 1));
        }
      if (q->fell_back)
        {
          m->fallbacks++;
          fallbacks++;
        }
      if (q->ok && !q->cached && isfinite (q->latency_ms) && q->latency_ms >= 0)
        g_array_append_val (m->latencies, q->latency_ms);
      if (q->ok && !q->cached && isfinite (q->ttft_ms) && q->ttft_ms >= 0)
        g_array_append_val (m->ttfts, q->ttft_ms);
      if (policy != NULL)
        {
          pc.spent += c;
          if (q->attempt == 1)
            usage_policy_add (&pc, policy, catalog, q);
        }
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "since_ms");
  if (period->since_ms > 0)
    json_builder_add_int_value (b, period->since_ms);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "until_ms");
  if (period->until_ms > 0)
    json_builder_add_int_value (b, period->until_ms);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "requests");
  json_builder_add_int_value (b, n_requests);
  json_builder_set_member_name (b, "attempts");
  json_builder_add_int_value (b, requests->len);
  json_builder_set_member_name (b, "failures");
  json_builder_add_int_value (b, failures);
  json_builder_set_member_name (b, "fallbacks");
  json_builder_add_int_value (b, fallbacks);
  usage_add_number (b, "cost_usd", cost);
  usage_add_days (b, days);
  usage_add_models (b, models);
  if (!usage_add_winners (b, store, period, error))
    {
      g_hash_table_unref (pc.chosen);
      return NULL;
    }
  if (policy != NULL)
    usage_add_policy (b, &pc, policy_name);
  else
    {
      json_builder_set_member_name (b, "policy");
      json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  g_hash_table_unref (pc.chosen);
  return json_builder_get_root (b);
}

/**
 * rw_usage_parse_date:
 * @text: a date (`2026-12-01`), a date and time in ISO 8601, "today", "yesterday", or a
 *   number of days ago (`7d`)
 * @end_of_day: for a plain date, its end (the next midnight) rather than its start
 * @ms: (out): the time, in milliseconds since the epoch, in local time
 * @error: return location for an error
 *
 * Returns: %TRUE when @text is understood
 */
gboolean
rw_usage_parse_date (const char  *text,
                     gboolean     end_of_day,
                     gint64      *ms,
                     GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  g_autoptr(GDateTime) t = NULL;
  int y, mo, d, days;
  char tail;

  if (g_strcmp0 (text, "today") == 0)
    t = g_date_time_ref (midnight);
  else if (g_strcmp0 (text, "yesterday") == 0)
    t = g_date_time_add_days (midnight, -1);
  else if (text != NULL && sscanf (text, "%dd%c", &days, &tail) == 1 && days >= 0 &&
           days <= 100000 && g_str_has_suffix (text, "d"))
    t = g_date_time_add_days (midnight, -days);
  else if (text != NULL && strlen (text) == 10 &&
           sscanf (text, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3)
    t = g_date_time_new_local (y, mo, d, 0, 0, 0);
  else if (text != NULL)
    {
      g_autoptr(GTimeZone) local = g_time_zone_new_local ();
      t = g_date_time_new_from_iso8601 (text, local);
      end_of_day = FALSE;
    }
  if (t == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "“%s” is not a date: give YYYY-MM-DD, an ISO 8601 time, today, yesterday "
                   "or a number of days ago such as 7d", text ? text : "");
      return FALSE;
    }
  if (end_of_day)
    {
      GDateTime *next = g_date_time_add_days (t, 1);
      g_date_time_unref (t);
      t = next;
    }
  *ms = g_date_time_to_unix (t) * 1000 + g_date_time_get_microsecond (t) / 1000;
  return TRUE;
}
