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

/* An answer's grades as the report counts them: the mean score and whether all passed, unless
 * a person graded it, whose latest grade overrides each of the two it gives. */
typedef struct
{
  double score_sum;
  guint n_scores;
  int pass;                 /* -1: none */
  int human_pass;           /* -1: none */
  double human_score;       /* NAN: none */
  gint64 human_score_ms;
  gint64 human_pass_ms;
  char *human_score_id;
  char *human_pass_id;
} Grade;

static void
grade_free (Grade *g)
{
  g_free (g->human_score_id);
  g_free (g->human_pass_id);
  g_free (g);
}

/* Whether a grade made at @ms with @id comes after the one kept (@kept_ms, @kept_id). */
static gboolean
later (gint64      ms,
       const char *id,
       gint64      kept_ms,
       const char *kept_id)
{
  return kept_id == NULL || ms > kept_ms || (ms == kept_ms && strcmp (id, kept_id) > 0);
}

static gboolean
add_grade (RwStoreRow *row,
           gpointer    data)
{
  GHashTable *grades = data;
  const char *response_id = rw_store_row_text (row, 0);
  gboolean human = rw_store_row_int (row, 1) != 0;
  gboolean has_score = !rw_store_row_is_null (row, 2);
  gboolean has_pass = !rw_store_row_is_null (row, 3);
  gint64 ms = rw_store_row_int (row, 4);
  const char *id = rw_store_row_text (row, 5);
  Grade *g = g_hash_table_lookup (grades, response_id);

  if (g == NULL)
    {
      g = g_new0 (Grade, 1);
      g->pass = g->human_pass = -1;
      g->human_score = NAN;
      g_hash_table_insert (grades, g_strdup (response_id), g);
    }
  if (has_score)
    {
      g->score_sum += rw_store_row_double (row, 2);
      g->n_scores++;
    }
  if (has_pass)
    g->pass = g->pass < 0 ? (int) rw_store_row_int (row, 3) : MIN (g->pass, (int) rw_store_row_int (row, 3));
  if (human && has_score && later (ms, id, g->human_score_ms, g->human_score_id))
    {
      g->human_score = rw_store_row_double (row, 2);
      g->human_score_ms = ms;
      g_free (g->human_score_id);
      g->human_score_id = g_strdup (id);
    }
  if (human && has_pass && later (ms, id, g->human_pass_ms, g->human_pass_id))
    {
      g->human_pass = (int) rw_store_row_int (row, 3);
      g->human_pass_ms = ms;
      g_free (g->human_pass_id);
      g->human_pass_id = g_strdup (id);
    }
  return TRUE;
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
typedef struct
{
  GHashTable *grades;       /* response id -> Grade */
  GHashTable *cells;        /* "model\ntask" -> Cell */
  GPtrArray *order;
  GHashTable *seen;         /* "item\nmodel\nsample" */
  GHashTable *models;       /* response id -> model, for the paired comparisons */
  GStringChunk *names;
} Tally;

static gboolean
add_answer (RwStoreRow *row,
            gpointer    data)
{
  Tally *t = data;
  const char *item = rw_store_row_text (row, 0);
  const char *model = rw_store_row_text (row, 1);
  gint64 sample = rw_store_row_int (row, 2);
  gboolean ok = rw_store_row_int (row, 3) != 0;
  const char *task = rw_store_row_text (row, 4);
  double cost = rw_store_row_double (row, 5);
  double latency = rw_store_row_double (row, 6);
  gboolean cached = rw_store_row_int (row, 7) != 0;
  const char *id = rw_store_row_text (row, 8);
  Grade *g = g_hash_table_lookup (t->grades, id);
  double score = NAN;
  gboolean passed = FALSE;
  char *key;
  Cell *targets[2];

  model = g_string_chunk_insert_const (t->names, model ? model : "");
  g_hash_table_insert (t->models, g_strdup (id), (gpointer) model);

  key = g_strdup_printf ("%s\n%s\n%" G_GINT64_FORMAT, item ? item : "", model, sample);
  if (!g_hash_table_add (t->seen, key))
    return TRUE;
  if (g != NULL)
    {
      score = !isnan (g->human_score) ? g->human_score
              : g->n_scores > 0 ? g->score_sum / g->n_scores : NAN;
      passed = (g->human_pass >= 0 ? g->human_pass : g->pass) == 1;
    }
  targets[0] = get_cell (t->cells, t->order, model, task);
  targets[1] = get_cell (t->cells, t->order, model, "all");
  for (guint i = 0; i < 2; i++)
    {
      Cell *c = targets[i];

      c->n++;
      if (!isnan (cost))
        c->cost += cost;
      if (!ok)
        {
          c->failed++;
          continue;
        }
      if (cached)
        c->cached++;
      else if (!isnan (latency))
        g_array_append_val (c->latencies, latency);
      if (!isnan (score))
        c->score_sum += score;
      if (passed)
        c->passed++;
    }
  return TRUE;
}

/* One line of the paired comparisons: two models and where the outcomes came from. */
typedef struct
{
  char *model_a;
  char *model_b;
  char *source;
  guint wins;
  guint losses;
  guint ties;
} Pair;

static Pair *
pair_new (const char *model_a,
          const char *model_b,
          const char *source)
{
  Pair *p = g_new0 (Pair, 1);

  p->model_a = g_strdup (model_a);
  p->model_b = g_strdup (model_b);
  p->source = g_strdup (source);
  return p;
}

static void
pair_free (Pair *p)
{
  g_free (p->model_a);
  g_free (p->model_b);
  g_free (p->source);
  g_free (p);
}

typedef struct
{
  GHashTable *models;       /* response id -> model */
  GHashTable *pairs;        /* "a\nb\nsource" -> Pair, in out */
  GPtrArray *out;
  gboolean unknown;         /* a vote on an answer from another run */
} Votes;

static gboolean
add_vote (RwStoreRow *row,
          gpointer    data)
{
  Votes *v = data;
  const char *a = rw_store_row_text (row, 0);
  const char *b = rw_store_row_text (row, 1);
  const char *source = rw_store_row_text (row, 2);
  const char *outcome = rw_store_row_text (row, 3);
  const char *model_a, *model_b;
  g_autofree char *key = NULL;
  Pair *p;

  if (a == NULL || b == NULL)
    return TRUE;                /* not a pairwise vote */
  model_a = g_hash_table_lookup (v->models, a);
  model_b = g_hash_table_lookup (v->models, b);
  if (model_a == NULL || model_b == NULL)
    {
      v->unknown = TRUE;
      return FALSE;
    }
  key = g_strdup_printf ("%s\n%s\n%s", model_a, model_b, source);
  p = g_hash_table_lookup (v->pairs, key);
  if (p == NULL)
    {
      p = pair_new (model_a, model_b, source);
      g_hash_table_insert (v->pairs, g_steal_pointer (&key), p);
      g_ptr_array_add (v->out, p);
    }
  if (g_str_equal (outcome, "a"))
    p->wins++;
  else if (g_str_equal (outcome, "b"))
    p->losses++;
  else if (g_str_equal (outcome, "tie") || g_str_equal (outcome, "both_bad"))
    p->ties++;
  return TRUE;
}

static gint
compare_pairs (gconstpointer x,
               gconstpointer y)
{
  const Pair *a = *(const Pair **) x, *b = *(const Pair **) y;
  int c = strcmp (a->model_a, b->model_a);

  if (c == 0)
    c = strcmp (a->model_b, b->model_b);
  return c != 0 ? c : strcmp (a->source, b->source);
}

/* The run's paired comparisons in order of models and source. Votes are read alone and
 * counted against the answers already read; a vote on an answer of another run (which no run
 * of ours makes) sends the counting to SQLite. */
static GPtrArray *
read_pairs (RwStore     *store,
            const char  *run_id,
            GHashTable  *models,
            GError     **error)
{
  const char *params[] = { run_id, NULL };
  g_autoptr(GHashTable) pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pair_free);
  Votes v = { models, pairs, out, FALSE };
  g_autoptr(GPtrArray) rows = NULL;

  if (!rw_store_query_each (store, "SELECT response_a, response_b, source, outcome FROM votes "
                                   "WHERE run_id = ?1", params, add_vote, &v, error))
    return NULL;
  if (!v.unknown)
    {
      g_ptr_array_sort (out, compare_pairs);
      return g_steal_pointer (&out);
    }
  g_hash_table_remove_all (pairs);
  g_ptr_array_set_size (out, 0);

  rows = rw_store_query (store,
    "SELECT ra.model, rb.model, v.source, "
    "  sum (v.outcome = 'a'), sum (v.outcome = 'b'), sum (v.outcome IN ('tie', 'both_bad')) "
    "FROM votes v JOIN responses ra ON ra.id = v.response_a JOIN responses rb ON rb.id = v.response_b "
    "WHERE v.run_id = ?1 GROUP BY ra.model, rb.model, v.source ORDER BY ra.model, rb.model, v.source",
    params, error);
  if (rows == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      char **r = rows->pdata[i];
      Pair *p = pair_new (r[0], r[1], r[2]);

      p->wins = g_ascii_strtoull (r[3], NULL, 10);
      p->losses = g_ascii_strtoull (r[4], NULL, 10);
      p->ties = g_ascii_strtoull (r[5], NULL, 10);
      g_ptr_array_add (out, p);
    }
  return g_steal_pointer (&out);
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
  g_autoptr(GPtrArray) pairs = NULL;
  g_autoptr(GHashTable) grades = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) grade_free);
  g_autoptr(GHashTable) cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) cell_free);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GStringChunk) names = g_string_chunk_new (256);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  Tally t = { grades, cells, order, seen, models, names };

  run = rw_store_query (store, "SELECT id, status, params, created_ms FROM runs WHERE id = ?1 "
                               "AND kind = 'eval'", params, error);
  if (run == NULL)
    return NULL;
  if (run->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no evaluation run %s", run_id);
      return NULL;
    }

  /* Each answer's grades, in one pass over the run's grades. */
  if (!rw_store_query_each (store,
                            "SELECT g.response_id, g.source = 'human', g.score, g.pass, "
                            "  g.created_ms, g.id "
                            "FROM grades g JOIN responses r ON r.id = g.response_id "
                            "WHERE r.run_id = ?1", params, add_grade, grades, error))
    return NULL;
  /* Successful answers first, so that each (item, model, sample) counts its best outcome. */
  if (!rw_store_query_each (store,
                            "SELECT r.item_id, r.model, r.sample, r.status = 'ok', "
                            "  coalesce (p.task, 'general'), r.cost_usd, r.latency_ms, r.cached, r.id "
                            "FROM responses r JOIN prompts p ON p.id = r.prompt_id "
                            "WHERE r.run_id = ?1 ORDER BY r.status = 'ok' DESC, r.created_ms",
                            params, add_answer, &t, error))
    return NULL;
  if ((pairs = read_pairs (store, run_id, models, error)) == NULL)
    return NULL;
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
      add_number (b, "latency_p10_ms", percentile (c->latencies, 0.1));
      add_number (b, "latency_p25_ms", percentile (c->latencies, 0.25));
      add_number (b, "latency_p50_ms", percentile (c->latencies, 0.5));
      add_number (b, "latency_p75_ms", percentile (c->latencies, 0.75));
      add_number (b, "latency_p90_ms", percentile (c->latencies, 0.9));
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, c->failed);
      json_builder_set_member_name (b, "cached");
      json_builder_add_int_value (b, c->cached);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* Paired comparisons: the outcomes made from this run's pairs of answers. */
  json_builder_set_member_name (b, "pairs");
  json_builder_begin_array (b);
  for (guint i = 0; i < pairs->len; i++)
    {
      Pair *p = pairs->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model_a");
      json_builder_add_string_value (b, p->model_a);
      json_builder_set_member_name (b, "model_b");
      json_builder_add_string_value (b, p->model_b);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, p->source);
      json_builder_set_member_name (b, "wins");
      json_builder_add_int_value (b, p->wins);
      json_builder_set_member_name (b, "losses");
      json_builder_add_int_value (b, p->losses);
      json_builder_set_member_name (b, "ties");
      json_builder_add_int_value (b, p->ties);
      add_number (b, "sign_test_p", rw_sign_test (p->wins, p->losses));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
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
    JsonArray *pairs = json_object_has_member (root, "pairs") ? json_object_get_array_member (root, "pairs") : NULL;

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

/* ---------------------------------------------------------------------------------- HTML */

static void
append_escaped (GString    *s,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);
  g_string_append (s, escaped);
}

static double
num (JsonObject *row,
     const char *name)
{
  JsonNode *node = json_object_get_member (row, name);
  return node && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_double (node) : NAN;
}

static const char * const palette[] = {
  "#3584e4", "#e66100", "#2ec27e", "#9141ac", "#c01c28", "#986a44", "#1c71d8", "#f5c211",
};

/* Cost of the whole run against pass rate, one point per model with its 95% interval. */
static void
append_cost_quality (GString   *s,
                     GPtrArray *all)
{
  const double W = 640, H = 360, L = 70, R = 20, T = 20, B = 50;
  double max_cost = 0;

  for (guint i = 0; i < all->len; i++)
    max_cost = MAX (max_cost, num (all->pdata[i], "cost_usd"));
  if (!(max_cost > 0))
    max_cost = 1;
  max_cost *= 1.15;

  g_string_append_printf (s, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='Cost against quality'>", W, H);
  for (int t = 0; t <= 4; t++)
    {
      double y = T + (H - T - B) * (1 - t / 4.0);
      double x = L + (W - L - R) * t / 4.0;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                                 "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>%d%%</text>",
                              L, W - R, y, y, L - 8, y + 4, t * 25);
      g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>$%.3g</text>",
                              x, H - B + 18, max_cost * t / 4.0);
    }
  g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='axis' text-anchor='middle'>cost of the run (US dollars)</text>",
                          L + (W - L - R) / 2, H - 8);
  g_string_append_printf (s, "<text transform='translate(16 %.1f) rotate(-90)' class='axis' text-anchor='middle'>pass rate</text>",
                          T + (H - T - B) / 2);
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      double x = L + (W - L - R) * num (r, "cost_usd") / max_cost;
      double y = T + (H - T - B) * (1 - num (r, "pass_rate"));
      double y0 = T + (H - T - B) * (1 - num (r, "ci_low"));
      double y1 = T + (H - T - B) * (1 - num (r, "ci_high"));
      const char *color = palette[i % G_N_ELEMENTS (palette)];

      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                                 "<circle cx='%.1f' cy='%.1f' r='7' fill='%s'><title>",
                              x, x, y0, y1, color, x, y, color);
      append_escaped (s, json_object_get_string_member (r, "model"));
      /* Labels of points in the right half go to their left, so they stay inside. */
      g_string_append_printf (s, ": %.1f%% for $%.4f</title></circle><text x='%.1f' y='%.1f' class='label' "
                                 "text-anchor='%s'>",
                              100 * num (r, "pass_rate"), num (r, "cost_usd"),
                              x > L + (W - L - R) / 2 ? x - 11 : x + 11, y - 10,
                              x > L + (W - L - R) / 2 ? "end" : "start");
      append_escaped (s, json_object_get_string_member (r, "model"));
      g_string_append (s, "</text>");
    }
  g_string_append (s, "</svg>");
}

/* Latency per model: the box spans the 25th to 75th percentile, the whiskers the 10th to
 * 90th, the bar is the median. */
static void
append_latency (GString   *s,
                GPtrArray *all)
{
  const double W = 640, row = 44, L = 230, R = 30, T = 10;
  double H = T + row * all->len + 40, max_ms = 0;

  for (guint i = 0; i < all->len; i++)
    max_ms = MAX (max_ms, num (all->pdata[i], "latency_p90_ms"));
  if (!(max_ms > 0))
    max_ms = 1;
  max_ms *= 1.1;

  g_string_append_printf (s, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='Latency'>", W, H);
  for (int t = 0; t <= 4; t++)
    {
      double x = L + (W - L - R) * t / 4.0;
      /* As many decimals as the scale needs for its ticks to differ. */
      int decimals = max_ms >= 40 ? 0 : max_ms >= 4 ? 1 : max_ms >= 0.4 ? 2 : 3;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                                 "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>%.*f ms</text>",
                              x, x, T, H - 30, x, H - 12, decimals, max_ms * t / 4.0);
    }
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      double y = T + row * i + row / 2;
      double x10 = L + (W - L - R) * num (r, "latency_p10_ms") / max_ms;
      double x25 = L + (W - L - R) * num (r, "latency_p25_ms") / max_ms;
      double x50 = L + (W - L - R) * num (r, "latency_p50_ms") / max_ms;
      double x75 = L + (W - L - R) * num (r, "latency_p75_ms") / max_ms;
      double x90 = L + (W - L - R) * num (r, "latency_p90_ms") / max_ms;
      const char *color = palette[i % G_N_ELEMENTS (palette)];

      g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='label' text-anchor='end'>", L - 10, y + 4);
      append_escaped (s, json_object_get_string_member (r, "model"));
      g_string_append (s, "</text>");
      if (isnan (x50))
        continue;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                                 "<rect x='%.1f' y='%.1f' width='%.1f' height='20' fill='%s' fill-opacity='0.35' stroke='%s'/>"
                                 "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>",
                              x10, x90, y, y, color, x25, y - 10, MAX (1, x75 - x25), color, color,
                              x50, x50, y - 10, y + 10, color);
    }
  g_string_append (s, "</svg>");
}

/**
 * rw_eval_report_to_html:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report as one self-contained HTML page with its charts
 */
char *
rw_eval_report_to_html (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *rows = json_object_get_array_member (root, "rows");
  JsonArray *pairs = json_object_has_member (root, "pairs") ? json_object_get_array_member (root, "pairs") : NULL;
  JsonNode *params = json_object_get_member (root, "params");
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GString *s = g_string_new (NULL);
  const char *suite = NULL;

  if (params && JSON_NODE_HOLDS_OBJECT (params))
    suite = json_object_get_string_member_with_default (json_node_get_object (params), "suite", NULL);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (rows, i), "task"), "all"))
      g_ptr_array_add (all, json_array_get_object_element (rows, i));

  g_string_append (s, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                      "<meta name='viewport' content='width=device-width, initial-scale=1'><title>");
  append_escaped (s, suite ? suite : "Evaluation");
  g_string_append (s, " — Routewise evaluation</title><style>"
    "body{font:15px/1.5 Cantarell,'Noto Sans',system-ui,sans-serif;margin:0;background:#fafafa;color:#242424}"
    "main{max-width:1100px;margin:0 auto;padding:32px 24px 48px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:36px 0 12px}"
    ".sub{color:#6f6f6f;margin:0 0 24px}.cards{display:flex;gap:16px;flex-wrap:wrap}"
    ".card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;flex:1;min-width:220px}"
    ".card b{display:block;font-size:24px}.card span{color:#6f6f6f;font-size:13px}"
    "table{border-collapse:collapse;width:100%;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "th,td{padding:8px 12px;text-align:right;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}"
    "th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}th{background:#f3f3f3;font-weight:600}"
    "tr.all td{font-weight:600;background:#f8fbff}.bar{display:inline-block;height:8px;background:#3584e4;border-radius:4px;vertical-align:middle;margin-right:6px}"
    ".charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}.chart{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px}"
    "h3{font-size:14px;font-weight:600;margin:4px 8px 8px;color:#444}svg{width:100%;height:auto}.grid{stroke:#e6e6e6}.tick{font-size:11px;fill:#6f6f6f}.axis{font-size:12px;fill:#444}.label{font-size:12px;fill:#242424}"
    "@media (max-width:800px){.charts{grid-template-columns:1fr}}"
    "</style></head><body><main><h1>");
  append_escaped (s, suite ? suite : "Evaluation");
  g_string_append (s, "</h1><p class='sub'>Run ");
  append_escaped (s, json_object_get_string_member (root, "run_id"));
  g_string_append (s, " · ");
  append_escaped (s, json_object_get_string_member (root, "status"));
  g_string_append (s, "</p><div class='cards'>");
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      g_string_append (s, "<div class='card'><span>");
      append_escaped (s, json_object_get_string_member (r, "model"));
      g_string_append_printf (s, "</span><b>%.1f%%</b><span>95%% interval %.1f–%.1f%% · $%.4f · median %.0f ms</span></div>",
                              100 * num (r, "pass_rate"), 100 * num (r, "ci_low"), 100 * num (r, "ci_high"),
                              num (r, "cost_usd"), num (r, "latency_p50_ms"));
    }
  g_string_append (s, "</div><h2>Quality and cost</h2><div class='charts'><div class='chart'>"
                      "<h3>Pass rate against cost, with 95% intervals</h3>");
  append_cost_quality (s, all);
  g_string_append (s, "</div><div class='chart'><h3>Latency: median, 25th–75th and 10th–90th percentiles</h3>");
  append_latency (s, all);
  g_string_append (s, "</div></div><h2>Per model and task</h2><table><tr><th>model</th><th>task</th><th>n</th>"
                      "<th>pass rate</th><th>95% interval</th><th>mean score</th><th>cost</th>"
                      "<th>p50 latency</th><th>p90 latency</th><th>failed</th></tr>");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      gboolean is_all = g_str_equal (json_object_get_string_member (r, "task"), "all");

      g_string_append_printf (s, "<tr%s><td>", is_all ? " class='all'" : "");
      append_escaped (s, json_object_get_string_member (r, "model"));
      g_string_append (s, "</td><td>");
      append_escaped (s, json_object_get_string_member (r, "task"));
      g_string_append_printf (s, "</td><td>%" G_GINT64_FORMAT "</td><td><span class='bar' style='width:%.0fpx'></span>%.1f%%</td>"
                                 "<td>%.1f–%.1f%%</td><td>%.3f</td><td>$%.4f</td><td>%.0f ms</td><td>%.0f ms</td><td>%" G_GINT64_FORMAT "</td></tr>",
                              json_object_get_int_member (r, "n"), 60 * num (r, "pass_rate"), 100 * num (r, "pass_rate"),
                              100 * num (r, "ci_low"), 100 * num (r, "ci_high"), num (r, "mean_score"),
                              num (r, "cost_usd"), num (r, "latency_p50_ms"), num (r, "latency_p90_ms"),
                              json_object_get_int_member (r, "failed"));
    }
  g_string_append (s, "</table>");
  if (pairs != NULL && json_array_get_length (pairs) > 0)
    {
      g_string_append (s, "<h2>Paired comparisons</h2><table><tr><th>model A</th><th>model B</th><th>from</th>"
                          "<th>A wins</th><th>B wins</th><th>ties</th><th>sign test p</th></tr>");
      for (guint i = 0; i < json_array_get_length (pairs); i++)
        {
          JsonObject *r = json_array_get_object_element (pairs, i);
          g_string_append (s, "<tr><td>");
          append_escaped (s, json_object_get_string_member (r, "model_a"));
          g_string_append (s, "</td><td>");
          append_escaped (s, json_object_get_string_member (r, "model_b"));
          g_string_append (s, "</td><td>");
          append_escaped (s, json_object_get_string_member (r, "source"));
          g_string_append_printf (s, "</td><td>%" G_GINT64_FORMAT "</td><td>%" G_GINT64_FORMAT "</td><td>%"
                                     G_GINT64_FORMAT "</td><td>%.3g</td></tr>",
                                  json_object_get_int_member (r, "wins"), json_object_get_int_member (r, "losses"),
                                  json_object_get_int_member (r, "ties"), num (r, "sign_test_p"));
        }
      g_string_append (s, "</table>");
    }
  g_string_append (s, "</main></body></html>\n");
  return g_string_free (s, FALSE);
}

/**
 * rw_eval_report_add_comparison:
 * @report: a report from rw_eval_report_build()
 * @earlier: the report of an earlier run
 *
 * Adds to @report, under "against", each model and task found in both runs with its pass rate
 * then and now, the change, and the costs.
 */
void
rw_eval_report_add_comparison (JsonNode *report,
                               JsonNode *earlier)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *now_rows = json_object_get_array_member (root, "rows");
  JsonArray *then_rows = json_object_get_array_member (json_node_get_object (earlier), "rows");
  JsonObject *against = json_object_new ();
  JsonArray *rows = json_array_new ();

  json_object_set_string_member (against, "run_id",
                                 json_object_get_string_member (json_node_get_object (earlier), "run_id"));
  for (guint i = 0; i < json_array_get_length (now_rows); i++)
    {
      JsonObject *now = json_array_get_object_element (now_rows, i);

      for (guint j = 0; j < json_array_get_length (then_rows); j++)
        {
          JsonObject *then = json_array_get_object_element (then_rows, j);
          JsonObject *row;

          if (!g_str_equal (json_object_get_string_member (now, "model"), json_object_get_string_member (then, "model")) ||
              !g_str_equal (json_object_get_string_member (now, "task"), json_object_get_string_member (then, "task")))
            continue;
          row = json_object_new ();
          json_object_set_string_member (row, "model", json_object_get_string_member (now, "model"));
          json_object_set_string_member (row, "task", json_object_get_string_member (now, "task"));
          json_object_set_double_member (row, "pass_rate", num (now, "pass_rate"));
          json_object_set_double_member (row, "earlier_pass_rate", num (then, "pass_rate"));
          json_object_set_double_member (row, "change", num (now, "pass_rate") - num (then, "pass_rate"));
          json_object_set_double_member (row, "cost_usd", num (now, "cost_usd"));
          json_object_set_double_member (row, "earlier_cost_usd", num (then, "cost_usd"));
          json_array_add_object_element (rows, row);
        }
    }
  json_object_set_array_member (against, "rows", rows);
  json_object_set_object_member (root, "against", against);
}

/* The comparison with an earlier run, as Markdown. */
char *
rw_eval_report_comparison_to_markdown (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonObject *against;
  JsonArray *rows;
  GString *s = g_string_new (NULL);

  if (!json_object_has_member (root, "against"))
    return g_string_free (s, FALSE);
  against = json_object_get_object_member (root, "against");
  rows = json_object_get_array_member (against, "rows");
  g_string_append_printf (s, "\n## Against run %s\n\n| model | task | then | now | change | cost then | cost now |\n"
                             "|---|---|---:|---:|---:|---:|---:|\n",
                          json_object_get_string_member (against, "run_id"));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_string_append_printf (s, "| %s | %s | %.1f%% | %.1f%% | %+.1f points | $%.4f | $%.4f |\n",
                              json_object_get_string_member (r, "model"), json_object_get_string_member (r, "task"),
                              100 * num (r, "earlier_pass_rate"), 100 * num (r, "pass_rate"), 100 * num (r, "change"),
                              num (r, "earlier_cost_usd"), num (r, "cost_usd"));
    }
  return g_string_free (s, FALSE);
}
