/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_EVAL_COMPILATION
# define RW_EVAL_COMPILATION 1
#endif
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-eval-report.h"

/*
 * The report of an evaluation run: per model and task, how many items passed with a 95%
 * interval, the mean score, what it cost, latency percentiles and failures. Every
 * (item, model, repetition) counts once: its successful answer if there is one, else as a
 * failure.
 */

/**
 * rw_wilson_interval:
 * @passed: successes
 * @n: trials
 * @low: (out): the lower bound
 * @high: (out): the upper bound
 *
 * The 95% Wilson score interval of a pass rate, which stays inside [0, 1] and behaves for
 * small n and for rates near 0 or 1.
 */
void
rw_wilson_interval (guint   passed,
                    guint   n,
                    double *low,
                    double *high)
{
  const double z = 1.959963984540054;
  double p, denom, centre, half;

  if (n == 0)
    {
      *low = 0;
      *high = 1;
      return;
    }
  p = (double) passed / n;
  denom = 1 + z * z / n;
  centre = (p + z * z / (2.0 * n)) / denom;
  half = z * sqrt (p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
  *low = MAX (0, centre - half);
  *high = MIN (1, centre + half);
}

/**
 * rw_sign_test:
 * @wins: pairs the first model won
 * @losses: pairs it lost (ties are left out)
 *
 * Returns: the two-sided p-value of the exact sign test: how likely a split at least this
 *   uneven is when both models are equally good
 */
double
rw_sign_test (guint wins,
              guint losses)
{
  guint n = wins + losses, k = MIN (wins, losses);
  double tail = 0;

  if (n == 0)
    return 1.0;
  for (guint i = 0; i <= k; i++)
    tail += exp (lgamma (n + 1.0) - lgamma (i + 1.0) - lgamma (n - i + 1.0) - n * log (2.0));
  return MIN (1.0, 2 * tail);
}

typedef struct
{
  char *model;
  char *task;
  guint n;
  guint passed;
  guint failed;
  guint cached;
  double score_sum;
  double cost;
  GArray *latencies;
} Cell;

static void
cell_free (Cell *c)
{
  g_free (c->model);
  g_free (c->task);
  g_array_unref (c->latencies);
  g_free (c);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
percentile (GArray *values,
            double  q)
{
  double pos;
  guint lo;

  if (values->len == 0)
    return NAN;
  g_array_sort (values, compare_double);
  pos = q * (values->len - 1);
  lo = (guint) floor (pos);
  if (lo + 1 >= values->len)
    return g_array_index (values, double, values->len - 1);
  return g_array_index (values, double, lo) +
         (pos - lo) * (g_array_index (values, double, lo + 1) - g_array_index (values, double, lo));
}

static Cell *
get_cell (GHashTable *cells,
          GPtrArray  *order,
          const char *model,
          const char *task)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", model, task);
  Cell *c = g_hash_table_lookup (cells, key);

  if (c == NULL)
    {
      c = g_new0 (Cell, 1);
      c->model = g_strdup (model);
      c->task = g_strdup (task);
      c->latencies = g_array_new (FALSE, FALSE, sizeof (double));
      g_hash_table_insert (cells, g_steal_pointer (&key), c);
      g_ptr_array_add (order, c);
    }
  return c;
}

static gint
compare_cells (gconstpointer a,
               gconstpointer b)
{
  const Cell *x = *(const Cell **) a, *y = *(const Cell **) b;
  int c = g_strcmp0 (x->model, y->model);

  if (c != 0)
    return c;
  /* The "all" row of a model comes first. */
  if (g_str_equal (x->task, "all") != g_str_equal (y->task, "all"))
    return g_str_equal (x->task, "all") ? -1 : 1;
  return g_strcmp0 (x->task, y->task);
}

static void
add_number (JsonBuilder *b,
            const char  *name,
            double       v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/**
 * rw_eval_report_build:
 * @store: the database
 * @run_id: an evaluation run
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the report as JSON
 */
JsonNode *
rw_eval_report_build (RwStore     *store,
                      const char  *run_id,
                      GError     **error)
{
  const char *params[] = { run_id, NULL };
  g_autoptr(GPtrArray) run = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) cell_free);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  run = rw_store_query (store, "SELECT id, status, params, created_ms FROM runs WHERE id = ?1 "
                               "AND kind = 'eval'", params, error);
  if (run == NULL)
    return NULL;
  if (run->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no evaluation run %s", run_id);
      return NULL;
    }

  /* Successful answers first, so that each (item, model, sample) counts its best outcome. */
  rows = rw_store_query (store,
                         "SELECT r.item_id, r.model, r.sample, r.status, coalesce (p.task, 'general'), "
                         "  coalesce (r.cost_usd, ''), coalesce (r.latency_ms, ''), r.cached, "
                         "  (SELECT avg (score) FROM grades g WHERE g.response_id = r.id), "
                         "  (SELECT min (pass) FROM grades g WHERE g.response_id = r.id) "
                         "FROM responses r JOIN prompts p ON p.id = r.prompt_id "
                         "WHERE r.run_id = ?1 ORDER BY r.status = 'ok' DESC, r.created_ms",
                         params, error);
  if (rows == NULL)
    return NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      char **r = rows->pdata[i];
      g_autofree char *key = g_strdup_printf ("%s\n%s\n%s", r[0], r[1], r[2]);
      gboolean ok = g_str_equal (r[3], "ok");
      Cell *targets[2];

      if (!g_hash_table_add (seen, g_steal_pointer (&key)))
        continue;
      targets[0] = get_cell (cells, order, r[1], r[4]);
      targets[1] = get_cell (cells, order, r[1], "all");
      for (guint t = 0; t < 2; t++)
        {
          Cell *c = targets[t];
          c->n++;
          if (*r[5])
            c->cost += g_ascii_strtod (r[5], NULL);
          if (!ok)
            {
              c->failed++;
              continue;
            }
          if (g_str_equal (r[7], "1"))
            c->cached++;
          else if (*r[6])
            {
              double latency = g_ascii_strtod (r[6], NULL);
              g_array_append_val (c->latencies, latency);
            }
          if (*r[8])
            c->score_sum += g_ascii_strtod (r[8], NULL);
          if (g_str_equal (r[9], "1"))
            c->passed++;
        }
    }
  g_ptr_array_sort (order, compare_cells);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "run_id");
  json_builder_add_string_value (b, run_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, ((char **) run->pdata[0])[1]);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    if (json_parser_load_from_data (parser, ((char **) run->pdata[0])[2], -1, NULL))
      {
        json_builder_set_member_name (b, "params");
        json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
      }
  }
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (guint i = 0; i < order->len; i++)
    {
      Cell *c = order->pdata[i];
      guint answered = c->n - c->failed;
      double low, high;

      rw_wilson_interval (c->passed, c->n, &low, &high);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, c->model);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, c->task);
      json_builder_set_member_name (b, "n");
      json_builder_add_int_value (b, c->n);
      json_builder_set_member_name (b, "passed");
      json_builder_add_int_value (b, c->passed);
      add_number (b, "pass_rate", c->n ? (double) c->passed / c->n : NAN);
      add_number (b, "ci_low", low);
      add_number (b, "ci_high", high);
      add_number (b, "mean_score", answered ? c->score_sum / answered : NAN);
      add_number (b, "cost_usd", c->cost);
      add_number (b, "latency_p50_ms", percentile (c->latencies, 0.5));
      add_number (b, "latency_p90_ms", percentile (c->latencies, 0.9));
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, c->failed);
      json_builder_set_member_name (b, "cached");
      json_builder_add_int_value (b, c->cached);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* Paired comparisons: the outcomes made from this run's pairs of answers. */
  {
    g_autoptr(GPtrArray) pairs = rw_store_query (store,
      "SELECT ra.model, rb.model, v.source, "
      "  sum (v.outcome = 'a'), sum (v.outcome = 'b'), sum (v.outcome IN ('tie', 'both_bad')) "
      "FROM votes v JOIN responses ra ON ra.id = v.response_a JOIN responses rb ON rb.id = v.response_b "
      "WHERE v.run_id = ?1 GROUP BY ra.model, rb.model, v.source ORDER BY ra.model, rb.model, v.source",
      params, error);

    if (pairs == NULL)
      return NULL;
    json_builder_set_member_name (b, "pairs");
    json_builder_begin_array (b);
    for (guint i = 0; i < pairs->len; i++)
      {
        char **r = pairs->pdata[i];
        guint wins = g_ascii_strtoull (r[3], NULL, 10), losses = g_ascii_strtoull (r[4], NULL, 10);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "model_a");
        json_builder_add_string_value (b, r[0]);
        json_builder_set_member_name (b, "model_b");
        json_builder_add_string_value (b, r[1]);
        json_builder_set_member_name (b, "source");
        json_builder_add_string_value (b, r[2]);
        json_builder_set_member_name (b, "wins");
        json_builder_add_int_value (b, wins);
        json_builder_set_member_name (b, "losses");
        json_builder_add_int_value (b, losses);
        json_builder_set_member_name (b, "ties");
        json_builder_add_int_value (b, g_ascii_strtoull (r[5], NULL, 10));
        add_number (b, "sign_test_p", rw_sign_test (wins, losses));
        json_builder_end_object (b);
      }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The formats are the fixed ones of this file. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
fmt (JsonObject *row,
     const char *name,
     const char *format,
     double      scale)
{
  JsonNode *node = json_object_get_member (row, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("–");
  return g_strdup_printf (format, json_node_get_double (node) * scale);
}
#pragma GCC diagnostic pop

/**
 * rw_eval_report_to_markdown:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report as a Markdown table
 */
char *
rw_eval_report_to_markdown (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *rows = json_object_get_array_member (root, "rows");
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "# Evaluation run %s (%s)\n\n", json_object_get_string_member (root, "run_id"),
                          json_object_get_string_member (root, "status"));
  g_string_append (s, "| model | task | n | pass rate | 95% interval | mean score | cost | "
                      "p50 latency | p90 latency | failed |\n"
                      "|---|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_autofree char *rate = fmt (r, "pass_rate", "%.1f%%", 100);
      g_autofree char *low = fmt (r, "ci_low", "%.1f", 100);
      g_autofree char *high = fmt (r, "ci_high", "%.1f%%", 100);
      g_autofree char *score = fmt (r, "mean_score", "%.3f", 1);
      g_autofree char *cost = fmt (r, "cost_usd", "$%.4f", 1);
      g_autofree char *p50 = fmt (r, "latency_p50_ms", "%.0f ms", 1);
      g_autofree char *p90 = fmt (r, "latency_p90_ms", "%.0f ms", 1);
      gboolean all = g_str_equal (json_object_get_string_member (r, "task"), "all");

      g_string_append_printf (s, "| %s%s%s | %s | %" G_GINT64_FORMAT " | %s | %s–%s | %s | %s | %s | %s | %"
                              G_GINT64_FORMAT " |\n",
                              all ? "**" : "", json_object_get_string_member (r, "model"), all ? "**" : "",
                              json_object_get_string_member (r, "task"),
                              json_object_get_int_member (r, "n"), rate, low, high, score, cost, p50, p90,
                              json_object_get_int_member (r, "failed"));
    }
  {
    JsonArray *pairs = json_object_get_array_member (root, "pairs");

    if (pairs != NULL && json_array_get_length (pairs) > 0)
      {
        g_string_append (s, "\n## Paired comparisons\n\n"
                            "| model A | model B | from | A wins | B wins | ties | sign test p |\n"
                            "|---|---|---|---:|---:|---:|---:|\n");
        for (guint i = 0; i < json_array_get_length (pairs); i++)
          {
            JsonObject *r = json_array_get_object_element (pairs, i);
            g_string_append_printf (s, "| %s | %s | %s | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
                                    " | %" G_GINT64_FORMAT " | %.3g |\n",
                                    json_object_get_string_member (r, "model_a"),
                                    json_object_get_string_member (r, "model_b"),
                                    json_object_get_string_member (r, "source"),
                                    json_object_get_int_member (r, "wins"),
                                    json_object_get_int_member (r, "losses"),
                                    json_object_get_int_member (r, "ties"),
                                    json_object_get_double_member (r, "sign_test_p"));
          }
      }
  }
  return g_string_free (s, FALSE);
}

/**
 * rw_eval_report_to_csv:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report's rows as CSV
 */
char *
rw_eval_report_to_csv (JsonNode *report)
{
  static const char * const numbers[] = {
    "pass_rate", "ci_low", "ci_high", "mean_score", "cost_usd", "latency_p50_ms", "latency_p90_ms",
  };
  JsonArray *rows = json_object_get_array_member (json_node_get_object (report), "rows");
  GString *s = g_string_new ("model,task,n,passed,pass_rate,ci_low,ci_high,mean_score,cost_usd,"
                             "latency_p50_ms,latency_p90_ms,failed,cached\n");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);

      g_string_append_printf (s, "\"%s\",\"%s\",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
                              json_object_get_string_member (r, "model"),
                              json_object_get_string_member (r, "task"),
                              json_object_get_int_member (r, "n"), json_object_get_int_member (r, "passed"));
      for (guint k = 0; k < G_N_ELEMENTS (numbers); k++)
        {
          g_autofree char *v = fmt (r, numbers[k], "%.6g", 1);
          g_string_append_printf (s, ",%s", g_str_equal (v, "–") ? "" : v);
        }
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "\n",
                              json_object_get_int_member (r, "failed"),
                              json_object_get_int_member (r, "cached"));
    }
  return g_string_free (s, FALSE);
}
