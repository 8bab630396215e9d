/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_EVAL_COMPILATION
# define RW_EVAL_COMPILATION 1
#endif
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-learn.h"

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
  g_free (o);
}

/**
 * rw_learn_load_outcomes:
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
rw_learn_load_outcomes (RwStore  *store,
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
      g_ptr_array_add (out, o);
    }
  return out;
}

/* ------------------------------------------------------------------------ RouteLLM data */

static char *
routellm_model_id (RwCatalog  *catalog,
                   const char *column)
{
  const char *slash = strrchr (column, '/');
  g_autofree char *slug = g_ascii_strdown (slash ? slash + 1 : column, -1);
  g_autofree char *recorded = g_strdup_printf ("recorded/%s", slug);

  if (rw_catalog_lookup_model (catalog, recorded) != NULL)
    return g_steal_pointer (&recorded);
  return g_strdup_printf ("routellm/%s", slug);
}

static double
estimate_cost (RwModel    *model,
               const char *prompt,
               const char *answer)
{
  gint64 tin = rw_estimate_tokens (prompt), tout = MAX (1, rw_estimate_tokens (answer));

  if (model == NULL || !rw_model_has_price (model))
    return NAN;
  return (tin * rw_model_get_input_price (model) + tout * rw_model_get_output_price (model)) / 1e6;
}

static gboolean
import_routellm_csv (RwStore     *store,
                     RwCatalog   *catalog,
                     const char  *run_id,
                     const char  *path,
                     const char  *task,
                     GHashTable  *contaminated,
                     guint       *n_items,
                     guint       *n_dropped,
                     GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) score_col = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr(GArray) text_col = g_array_new (FALSE, FALSE, sizeof (gint));
  gsize len, pos = 0;
  guint line = 1;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s", local->message);
      return FALSE;
    }
  header = rw_csv_read_record (data, len, &pos, &line, &local);
  if (header == NULL || header->len < 3 || !g_str_equal (header->pdata[0], "prompt"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: not RouteLLM's form (prompt, then a column of True/False per model)", base);
      return FALSE;
    }
  for (guint c = 1; c < header->len; c++)
    {
      const char *h = header->pdata[c];
      gint t = -1;

      if (g_str_has_suffix (h, "_response"))
        continue;
      for (guint d = 1; d < header->len; d++)
        {
          g_autofree char *want = g_strconcat (h, "_response", NULL);
          if (g_str_equal (header->pdata[d], want))
            t = d;
        }
      g_ptr_array_add (models, routellm_model_id (catalog, h));
      g_array_append_val (score_col, c);
      g_array_append_val (text_col, t);
    }
  if (models->len < 2)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: fewer than two models", base);
      return FALSE;
    }

  for (;;)
    {
      guint at = 0;
      g_autoptr(GPtrArray) row = rw_csv_read_row (data, len, &pos, &line, header->len, base, &at,
                                                  &local);
      g_autoptr(RwChatRequest) request = NULL;
      g_autofree char *prompt_id = NULL;
      g_autofree char *item_id = NULL;
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GArray) scores = g_array_new (FALSE, FALSE, sizeof (double));

      if (row == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          return TRUE;
        }
      if (*(char *) row->pdata[0] == '\0')
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:%u: the prompt is empty", base, at);
          return FALSE;
        }
      if (g_hash_table_contains (contaminated, row->pdata[0]))
        {
          /* In RouteLLM's training data: left out, as RouteLLM's own evaluation does. */
          (*n_dropped)++;
          continue;
        }
      request = rw_chat_request_new_for_prompt (row->pdata[0]);
      rw_chat_request_set_task (request, task);
      prompt_id = rw_store_record_prompt (store, request);
      item_id = g_strdup_printf ("%s:%u", base, at);

      for (guint m = 0; m < models->len; m++)
        {
          const char *cell = row->pdata[g_array_index (score_col, gint, m)];
          gint tc = g_array_index (text_col, gint, m);
          const char *text = tc >= 0 ? row->pdata[tc] : "";
          gboolean right = g_ascii_strcasecmp (cell, "true") == 0 || g_str_equal (cell, "1");
          g_autoptr(RwChatResult) result = rw_chat_result_new (models->pdata[m]);
          RwModel *model = rw_catalog_lookup_model (catalog, models->pdata[m]);
          double score = right ? 1 : 0;

          if (!right && g_ascii_strcasecmp (cell, "false") != 0 && !g_str_equal (cell, "0"))
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:%u: “%s” is neither True nor False",
                           base, at, cell);
              return FALSE;
            }
          g_string_assign (result->text, text);
          result->tokens_in = rw_estimate_tokens (row->pdata[0]);
          result->tokens_out = MAX (1, rw_estimate_tokens (text));
          result->usage_estimated = TRUE;
          result->cost_usd = estimate_cost (model, row->pdata[0], text);
          g_ptr_array_add (ids, rw_store_record_eval_response (store, run_id, prompt_id, result, 1,
                                                               NULL, item_id, 0, task, FALSE));
          rw_store_record_grade (store, ids->pdata[ids->len - 1], "routellm", score, right,
                                 right ? "correct, as RouteLLM graded it" : "wrong, as RouteLLM graded it",
                                 "import");
          g_array_append_val (scores, score);
        }
      for (guint a = 0; a < ids->len; a++)
        for (guint b = a + 1; b < ids->len; b++)
          {
            const char *pair[] = { ids->pdata[a], ids->pdata[b], NULL };
            double sa = g_array_index (scores, double, a), sb = g_array_index (scores, double, b);
            g_free (rw_store_record_vote (store, prompt_id, run_id, task,
                                          sa > sb ? RW_VOTE_A : sa < sb ? RW_VOTE_B : RW_VOTE_TIE,
                                          pair, NULL, "import"));
          }
      (*n_items)++;
    }
}

/**
 * rw_routellm_import:
 * @store: the database
 * @catalog: the catalog, to name the models as Routewise knows them and price their answers
 * @path: one of RouteLLM's per-item correctness files (GSM8K's, with the answers) or a folder
 *   of them (MMLU's, one file per subject: the subject is the task)
 * @n_items: (out): how many items were stored
 * @error: return location for an error
 *
 * Prompts that RouteLLM lists as contaminated (its contaminated_prompts.jsonl beside the data
 * or a folder up) are left out, as RouteLLM's evaluation does. Stores each item's answers as an
 * evaluation run: a grade per model (right or wrong, as
 * RouteLLM graded it), a cost estimated from the catalog's prices, and each pair of models as
 * a comparison.
 *
 * Returns: (transfer full) (nullable): the run's id
 */
char *
rw_routellm_import (RwStore     *store,
                    RwCatalog   *catalog,
                    const char  *path,
                    guint       *n_items,
                    GError     **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *run_id = NULL;

  g_autoptr(GHashTable) contaminated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *parent = NULL;
  guint n_dropped = 0;

  *n_items = 0;
  /* RouteLLM's list of test prompts that were in its training data, beside the data or a
   * folder up: those items are dropped. */
  parent = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_strdup (path) : g_path_get_dirname (path);
  for (guint up = 0; up < 2; up++)
    {
      const char *names[] = { "contaminated_prompts.jsonl", "gsm8k_contaminated_prompts.jsonl" };
      for (guint n = 0; n < G_N_ELEMENTS (names); n++)
        {
          g_autofree char *list = g_build_filename (parent, names[n], NULL);
          g_autofree char *text = NULL;
          g_auto(GStrv) lines = NULL;

          if (!g_file_get_contents (list, &text, NULL, NULL))
            continue;
          lines = g_strsplit (text, "\n", -1);
          for (guint i = 0; lines[i]; i++)
            {
              g_autoptr(JsonParser) parser = json_parser_new ();
              JsonNode *root;
              if (*lines[i] == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL))
                continue;
              root = json_parser_get_root (parser);
              if (JSON_NODE_HOLDS_OBJECT (root) &&
                  rw_json_object_get_string (json_node_get_object (root), "eval_prompt", NULL))
                g_hash_table_add (contaminated,
                                  g_strdup (rw_json_object_get_string (json_node_get_object (root), "eval_prompt", NULL)));
            }
        }
      {
        char *up_dir = g_path_get_dirname (parent);
        g_free (parent);
        parent = up_dir;
      }
    }

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, error);
      const char *name;

      if (dir == NULL)
        return NULL;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".csv"))
          g_ptr_array_add (files, g_build_filename (path, name, NULL));
      g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
    }
  else
    g_ptr_array_add (files, g_strdup (path));
  if (files->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: no .csv file", path);
      return NULL;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "routellm");
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_end_object (b);
  params = json_builder_get_root (b);
  run_id = rw_store_begin_run (store, "eval", params);
  if (g_hash_table_size (contaminated) > 0)
    g_debug ("RouteLLM's contamination list: %u prompts, left out where found",
               g_hash_table_size (contaminated));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *base = g_path_get_basename (files->pdata[i]);
      g_autofree char *task = NULL;

      /* mmlu_college_biology.csv: the subject; anything else (GSM8K's): math. */
      if (g_str_has_prefix (base, "mmlu_"))
        task = g_strndup (base + 5, strlen (base) - 9);
      else
        task = g_strdup ("math");
      if (!import_routellm_csv (store, catalog, run_id, files->pdata[i], task, contaminated, n_items,
                                &n_dropped, error))
        {
          rw_store_set_run_status (store, run_id, "partial");
          rw_store_flush (store, NULL);
          return NULL;
        }
    }
  rw_store_set_run_status (store, run_id, "done");
  if (!rw_store_flush (store, error))
    return NULL;
  return g_steal_pointer (&run_id);
}

/* ----------------------------------------------------------------------------- learning */

typedef struct
{
  const char *model;
  guint n;
  double sum, sumsq;
  double cost_sum;
  guint cost_n;
  GArray *latency;
  /* derived once collected; only the score depends on the cost weight */
  double quality, ci, cost, p50, score;
} Stat;

static void
stat_free (Stat *s)
{
  g_array_unref (s->latency);
  g_free (s);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void derive (Stat *s);

/* task -> (model -> Stat), over the outcomes whose item @skip_items leaves in. */
static GHashTable *
collect_stats (GPtrArray  *outcomes,
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
          Stat *s;

          if (k == 1 && g_str_equal (o->task, "all"))
            break;
          if (models == NULL)
            {
              models = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stat_free);
              g_hash_table_insert (tasks, (gpointer) keys[k], models);
            }
          s = g_hash_table_lookup (models, o->model);
          if (s == NULL)
            {
              s = g_new0 (Stat, 1);
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
    Stat *s;

    g_hash_table_iter_init (&ti, tasks);
    while (g_hash_table_iter_next (&ti, NULL, (gpointer *) &models))
      {
        g_hash_table_iter_init (&mi, models);
        while (g_hash_table_iter_next (&mi, NULL, (gpointer *) &s))
          derive (s);
      }
  }
  return tasks;
}

static void
derive (Stat *s)
{
  double var;

  s->quality = s->sum / s->n;
  var = s->n > 1 ? MAX (0, (s->sumsq - s->n * s->quality * s->quality) / (s->n - 1)) : 0.25;
  s->ci = 1.96 * sqrt (var / s->n);
  s->cost = s->cost_n > 0 ? s->cost_sum / s->cost_n : 0;
  if (s->latency->len > 0)
    {
      g_array_sort (s->latency, compare_double);
      s->p50 = g_array_index (s->latency, double, s->latency->len / 2);
    }
  else
    s->p50 = NAN;
}

static gint
compare_stats (gconstpointer a,
               gconstpointer b)
{
  const Stat *x = *(Stat **) a, *y = *(Stat **) b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  if (x->cost != y->cost)
    return x->cost < y->cost ? -1 : 1;
  return g_strcmp0 (x->model, y->model);
}

/* The task's models, best first by the score, those outside the limits left out. */
static GPtrArray *
rank_models (GHashTable           *models,
             const RwLearnOptions *o,
             double                cost_weight)
{
  GPtrArray *ranked = g_ptr_array_new ();
  GHashTableIter iter;
  Stat *s;

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
  g_ptr_array_sort (ranked, compare_stats);
  return ranked;
}

typedef struct
{
  GHashTable *tasks;              /* task -> GPtrArray of model ids (owned strings) */
  RwTextClassifier *classifier;
  double cost_weight;
} Learned;

static void
learned_clear (Learned *l)
{
  g_clear_pointer (&l->tasks, g_hash_table_unref);
  g_clear_pointer (&l->classifier, rw_text_classifier_unref);
}

/* The expected cost of a thousand requests with these choices, tasks weighted by their share
 * of the items. */
static double
cost_per_1k (GHashTable *stats,
             GHashTable *counts,
             double      cost_weight,
             const RwLearnOptions *o)
{
  GHashTableIter iter;
  const char *task;
  GHashTable *models;
  double total = 0, n = 0;

  g_hash_table_iter_init (&iter, stats);
  while (g_hash_table_iter_next (&iter, (gpointer *) &task, (gpointer *) &models))
    {
      g_autoptr(GPtrArray) ranked = NULL;
      double items = GPOINTER_TO_UINT (g_hash_table_lookup (counts, task));

      if (g_str_equal (task, "all"))
        continue;
      ranked = rank_models (models, o, cost_weight);
      if (ranked->len > 0)
        total += items * ((Stat *) ranked->pdata[0])->cost;
      n += items;
    }
  return n > 0 ? 1000 * total / n : 0;
}

static GHashTable *
items_per_task (GPtrArray  *outcomes,
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

static double
resolve_cost_weight (GHashTable           *stats,
                     GHashTable           *counts,
                     const RwLearnOptions *o)
{
  double lo = 0, hi = 1;

  if (!(o->budget_per_1k > 0))
    return MAX (0, o->cost_weight);
  if (cost_per_1k (stats, counts, 0, o) <= o->budget_per_1k)
    return 0;
  while (hi < 1e9 && cost_per_1k (stats, counts, hi, o) > o->budget_per_1k)
    hi *= 4;
  for (guint i = 0; i < 60; i++)
    {
      double mid = (lo + hi) / 2;
      if (cost_per_1k (stats, counts, mid, o) > o->budget_per_1k)
        lo = mid;
      else
        hi = mid;
    }
  return hi;
}

static RwTextClassifier *
train_classifier (GPtrArray  *outcomes,
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
learn (GPtrArray            *outcomes,
       const RwLearnOptions *o,
       Learned              *out,
       GHashTable          **stats_out,
       GHashTable          **counts_out)
{
  g_autoptr(GHashTable) stats = collect_stats (outcomes, NULL);
  g_autoptr(GHashTable) counts = items_per_task (outcomes, NULL);
  GHashTableIter iter;
  const char *task;
  GHashTable *models;

  out->cost_weight = resolve_cost_weight (stats, counts, o);
  out->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  g_hash_table_iter_init (&iter, stats);
  while (g_hash_table_iter_next (&iter, (gpointer *) &task, (gpointer *) &models))
    {
      g_autoptr(GPtrArray) ranked = rank_models (models, o, out->cost_weight);
      GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < ranked->len; i++)
        g_ptr_array_add (ids, g_strdup (((Stat *) ranked->pdata[i])->model));
      g_hash_table_insert (out->tasks, g_strdup (task), ids);
    }
  out->classifier = train_classifier (outcomes, NULL);
  *stats_out = g_steal_pointer (&stats);
  *counts_out = g_steal_pointer (&counts);
}

static guint
fold_of (const char *item,
         guint       folds)
{
  g_autofree char *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, item, -1);
  return (guint) (g_ascii_strtoull (h + 56, NULL, 16) % folds);
}

/* Each item's fold, hashed once: item -> fold + 1. */
static GHashTable *
assign_folds (GPtrArray *outcomes,
              guint      folds)
{
  GHashTable *map = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      if (!g_hash_table_contains (map, o->item))
        g_hash_table_insert (map, o->item, GUINT_TO_POINTER (fold_of (o->item, folds) + 1));
    }
  return map;
}

/* The items of fold @f, from assign_folds(). */
static GHashTable *
fold_items (GHashTable *map,
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
classifier_accuracy (GPtrArray *outcomes,
                     guint     *n_tested)
{
  g_autoptr(GHashTable) map = assign_folds (outcomes, 5);
  g_autoptr(GHashTable) held = fold_items (map, 0);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(RwTextClassifier) c = NULL;
  guint right = 0, n = 0;

  c = train_classifier (outcomes, held);
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

/**
 * rw_policy_learn:
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
rw_policy_learn (GPtrArray            *outcomes,
                 RwComparisons        *comparisons,
                 const RwLearnOptions *options,
                 GError              **error)
{
  Learned l = { 0 };
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
  static const double sweep[] = { 0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100 };

  if (outcomes->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "nothing to learn from: no graded answers are stored (run “eval run”, or "
                   "import some)");
      return NULL;
    }
  for (guint i = 0; i < outcomes->len; i++)
    g_hash_table_add (items, ((RwOutcome *) outcomes->pdata[i])->item);
  learn (outcomes, options, &l, &stats, &counts);
  accuracy = classifier_accuracy (outcomes, &n_tested);
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
  json_builder_end_object (b);
  json_builder_set_member_name (b, "expected_cost_per_1k");
  json_builder_add_double_value (b, cost_per_1k (stats, counts, l.cost_weight, options));
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
      g_autoptr(GPtrArray) ranked = rank_models (models, options, l.cost_weight);
      Stat *s;

      json_builder_set_member_name (b, t->data);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "items");
      json_builder_add_int_value (b, g_str_equal (t->data, "all") ? g_hash_table_size (items)
                                     : GPOINTER_TO_UINT (g_hash_table_lookup (counts, t->data)));
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
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
          if (comparisons && rw_comparisons_get_theta (comparisons, t->data, s->model, &theta))
            {
              json_builder_set_member_name (b, "rating");
              json_builder_add_double_value (b, 1000 + 400 * theta / G_LN10);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);

      /* The frontier: what the task gets as the cost weight grows. */
      json_builder_set_member_name (b, "frontier");
      json_builder_begin_array (b);
      {
        const char *last = NULL;
        for (guint w = 0; w < G_N_ELEMENTS (sweep); w++)
          {
            g_autoptr(GPtrArray) r = rank_models (models, options, sweep[w]);
            Stat *top;
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
  learned_clear (&l);
  return json_builder_get_root (b);
}

/* --------------------------------------------------------------------------- evaluation */

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
item_free (Item *it)
{
  g_free (it->score);
  g_free (it->cost);
  g_free (it);
}

static double
options_double (JsonObject *policy,
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
fold_clear (Fold *f)
{
  g_clear_pointer (&f->stats, g_hash_table_unref);
  g_clear_pointer (&f->counts, g_hash_table_unref);
  g_clear_pointer (&f->predicted, g_hash_table_unref);
}

static Fold *
prepare_folds (GPtrArray  *outcomes,
               GPtrArray  *items,
               GHashTable *fold_map,
               guint       folds)
{
  Fold *out = g_new0 (Fold, folds);

  for (guint f = 0; f < folds; f++)
    {
      g_autoptr(GHashTable) held = fold_items (fold_map, f);
      g_autoptr(RwTextClassifier) c = NULL;

      out[f].stats = collect_stats (outcomes, held);
      out[f].counts = items_per_task (outcomes, held);
      out[f].predicted = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      c = train_classifier (outcomes, held);
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
cross_validate (Fold                 *prepared,
                GPtrArray            *items,
                GPtrArray            *models,
                guint                 folds,
                const RwLearnOptions *o,
                GHashTable           *picks)
{
  Point p = { 0, 0 };
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint m = 0; m < models->len; m++)
    g_hash_table_insert (index, models->pdata[m], GUINT_TO_POINTER (m + 1));
  for (guint f = 0; f < folds; f++)
    {
      Fold *fd = &prepared[f];
      double w = resolve_cost_weight (fd->stats, fd->counts, o);
      g_autoptr(GHashTable) choice = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter iter;
      const char *task;
      GHashTable *task_models;

      g_hash_table_iter_init (&iter, fd->stats);
      while (g_hash_table_iter_next (&iter, (gpointer *) &task, (gpointer *) &task_models))
        {
          g_autoptr(GPtrArray) ranked = rank_models (task_models, o, w);
          if (ranked->len > 0)
            g_hash_table_insert (choice, (gpointer) task, (gpointer) ((Stat *) ranked->pdata[0])->model);
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
compare_points (gconstpointer a,
                gconstpointer b)
{
  const Point *x = a, *y = b;
  return x->cost < y->cost ? -1 : x->cost > y->cost;
}

/* RouteLLM's measures for a strong and a weak model: items are sent to the strong model in the
 * order of a score; at each share of strong calls, the accuracy; its area; the average
 * performance gap recovered; the share of strong calls needed for a part of the gap. */
static void
add_curve (JsonBuilder *b,
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
compare_keyed (gconstpointer a,
               gconstpointer b)
{
  const Keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key > y->key ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static GArray *
order_by (Keyed *keys,
          guint  n)
{
  GArray *order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  qsort (keys, n, sizeof (Keyed), compare_keyed);
  for (guint i = 0; i < n; i++)
    g_array_append_val (order, keys[i].index);
  return order;
}

/**
 * rw_policy_evaluate:
 * @outcomes: (element-type RwOutcome): graded answers
 * @policy: a learned policy: its models and settings are evaluated, learned again on each
 *   training fold
 * @folds: how many folds (2 or more)
 * @strong: (nullable): the strong model of RouteLLM's measures
 * @weak: (nullable): the weak one; with two models and neither named, the better is strong
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the evaluation
 */
JsonNode *
rw_policy_evaluate (GPtrArray   *outcomes,
                    JsonObject  *policy,
                    guint        folds,
                    const char  *strong,
                    const char  *weak,
                    GError     **error)
{
  RwLearnOptions o = { 0 };
  g_autoptr(GPtrArray) models = g_ptr_array_new ();
  g_autoptr(GHashTable) model_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_item = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  g_autoptr(GHashTable) fold_map = NULL;
  g_autoptr(GPtrArray) item_list = g_ptr_array_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) picks = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree double *single_q = NULL, *single_c = NULL;
  double random_q = 0, random_c = 0, oracle_q = 0, oracle_c = 0;
  JsonNode *tasks_node = json_object_get_member (policy, "tasks");
  JsonNode *default_node = json_object_get_member (policy, "default");
  Point main_point;
  static const double sweep[] = { 0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100 };
  g_autoptr(GArray) curve = g_array_new (FALSE, FALSE, sizeof (Point));
  Fold *prepared = NULL;
  gint si = -1, wi = -1;

  if (folds < 2)
    folds = 2;
  o.cost_weight = options_double (policy, "cost_weight");
  o.budget_per_1k = options_double (policy, "budget_per_1k");
  o.ceiling_usd = options_double (policy, "ceiling_usd");
  o.latency_ms = options_double (policy, "latency_ms");

  /* The policy's models: every one it names. */
  if (default_node && JSON_NODE_HOLDS_ARRAY (default_node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (default_node)); i++)
      {
        const char *m = json_array_get_string_element (json_node_get_array (default_node), i);
        if (m && !g_hash_table_contains (model_index, m))
          {
            g_ptr_array_add (models, (gpointer) m);
            g_hash_table_insert (model_index, (gpointer) m, GUINT_TO_POINTER (models->len));
          }
      }
  if (tasks_node && JSON_NODE_HOLDS_OBJECT (tasks_node))
    {
      JsonObjectIter iter;
      JsonNode *list;
      json_object_iter_init (&iter, json_node_get_object (tasks_node));
      while (json_object_iter_next (&iter, NULL, &list))
        for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
          {
            const char *m = json_array_get_string_element (json_node_get_array (list), i);
            if (m && !g_hash_table_contains (model_index, m))
              {
                g_ptr_array_add (models, (gpointer) m);
                g_hash_table_insert (model_index, (gpointer) m, GUINT_TO_POINTER (models->len));
              }
          }
    }
  if (models->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the policy names no model");
      return NULL;
    }

  /* Items answered by every one of the policy's models. */
  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *oc = outcomes->pdata[i];
      guint m = GPOINTER_TO_UINT (g_hash_table_lookup (model_index, oc->model));
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
          it->score = g_new (double, models->len);
          it->cost = g_new (double, models->len);
          for (guint k = 0; k < models->len; k++)
            it->score[k] = NAN;
          g_hash_table_insert (by_item, oc->item, it);
          g_ptr_array_add (items, it);
        }
      it->score[m - 1] = oc->score;
      it->cost[m - 1] = isfinite (oc->cost_usd) ? oc->cost_usd : 0;
    }
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = items->pdata[i];
      gboolean complete = TRUE;
      for (guint k = 0; k < models->len; k++)
        complete &= !isnan (it->score[k]);
      if (complete)
        g_ptr_array_add (item_list, it);
    }
  if (item_list->len < folds * 2)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "only %u items were answered and graded for every one of the policy's %u "
                   "models: too few to hold any out", item_list->len, models->len);
      return NULL;
    }

  single_q = g_new0 (double, models->len);
  single_c = g_new0 (double, models->len);
  for (guint i = 0; i < item_list->len; i++)
    {
      Item *it = item_list->pdata[i];
      double best = -1, best_cost = 0;
      for (guint k = 0; k < models->len; k++)
        {
          single_q[k] += it->score[k] / item_list->len;
          single_c[k] += it->cost[k] / item_list->len;
          random_q += it->score[k] / (item_list->len * models->len);
          random_c += it->cost[k] / (item_list->len * models->len);
          if (it->score[k] > best || (it->score[k] == best && it->cost[k] < best_cost))
            {
              best = it->score[k];
              best_cost = it->cost[k];
            }
        }
      oracle_q += best / item_list->len;
      oracle_c += best_cost / item_list->len;
    }

  fold_map = assign_folds (outcomes, folds);
  for (guint i = 0; i < item_list->len; i++)
    {
      Item *it = item_list->pdata[i];
      it->fold = GPOINTER_TO_UINT (g_hash_table_lookup (fold_map, it->item)) - 1;
    }
  prepared = prepare_folds (outcomes, item_list, fold_map, folds);
  main_point = cross_validate (prepared, item_list, models, folds, &o, picks);
  for (guint w = 0; w < G_N_ELEMENTS (sweep); w++)
    {
      RwLearnOptions sw = o;
      Point p;
      sw.cost_weight = sweep[w];
      sw.budget_per_1k = 0;
      p = cross_validate (prepared, item_list, models, folds, &sw, NULL);
      g_array_append_val (curve, p);
    }
  for (guint f = 0; f < folds; f++)
    fold_clear (&prepared[f]);
  g_clear_pointer (&prepared, g_free);
  g_array_sort (curve, compare_points);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, item_list->len);
  json_builder_set_member_name (b, "folds");
  json_builder_add_int_value (b, folds);
  json_builder_set_member_name (b, "policy");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "quality");
  json_builder_add_double_value (b, main_point.quality);
  json_builder_set_member_name (b, "cost_usd");
  json_builder_add_double_value (b, main_point.cost);
  json_builder_set_member_name (b, "calls");
  json_builder_begin_object (b);
  for (guint k = 0; k < models->len; k++)
    {
      json_builder_set_member_name (b, models->pdata[k]);
      json_builder_add_double_value (b, GPOINTER_TO_UINT (g_hash_table_lookup (picks, models->pdata[k])) /
                                        (double) item_list->len);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "baselines");
  json_builder_begin_array (b);
  for (guint k = 0; k < models->len + 2; k++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, k < models->len ? models->pdata[k] : k == models->len ? "random" : "oracle");
      json_builder_set_member_name (b, "quality");
      json_builder_add_double_value (b, k < models->len ? single_q[k] : k == models->len ? random_q : oracle_q);
      json_builder_set_member_name (b, "cost_usd");
      json_builder_add_double_value (b, k < models->len ? single_c[k] : k == models->len ? random_c : oracle_c);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* The cost-quality curve and its area, over the span from the cheapest to the dearest single
   * model, as the average quality across that span (quality held flat beyond the points). */
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
  {
    double lo = INFINITY, hi = -INFINITY, area = 0;
    for (guint k = 0; k < models->len; k++)
      {
        lo = MIN (lo, single_c[k]);
        hi = MAX (hi, single_c[k]);
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

  /* RouteLLM's measures, for a strong and a weak model. */
  for (guint k = 0; k < models->len; k++)
    {
      if (strong && g_str_equal (strong, models->pdata[k])) si = k;
      if (weak && g_str_equal (weak, models->pdata[k])) wi = k;
    }
  if (si < 0 && wi < 0 && strong == NULL && weak == NULL && models->len == 2)
    {
      si = single_q[0] >= single_q[1] ? 0 : 1;
      wi = 1 - si;
    }
  if (si >= 0 && wi >= 0 && si != wi)
    {
      guint n = item_list->len;
      g_autofree double *sv = g_new (double, n), *wv = g_new (double, n);
      g_autofree Keyed *keys = g_new (Keyed, n);
      g_autoptr(GRand) rng = g_rand_new_with_seed (0);
      g_autoptr(GArray) order = NULL;
      double qs = single_q[si], qw = single_q[wi];

      for (guint i = 0; i < n; i++)
        {
          Item *it = item_list->pdata[i];
          sv[i] = it->score[si];
          wv[i] = it->score[wi];
        }
      json_builder_set_member_name (b, "strong_weak");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "strong");
      json_builder_add_string_value (b, models->pdata[si]);
      json_builder_set_member_name (b, "weak");
      json_builder_add_string_value (b, models->pdata[wi]);
      json_builder_set_member_name (b, "strong_quality");
      json_builder_add_double_value (b, qs);
      json_builder_set_member_name (b, "weak_quality");
      json_builder_add_double_value (b, qw);
      json_builder_set_member_name (b, "routers");
      json_builder_begin_array (b);

      /* Learned: each held-out item scored by a classifier of "the strong model is needed"
       * trained on the other folds, plus its task's gain from the strong model there. */
      for (guint f = 0; f < folds; f++)
        {
          g_autoptr(RwTextClassifier) need = rw_text_classifier_new (0);
          g_autoptr(GHashTable) gain = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
          for (guint i = 0; i < n; i++)
            {
              Item *it = item_list->pdata[i];
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
              Item *it = item_list->pdata[i];
              double *g;
              if (it->fold != f)
                continue;
              g = g_hash_table_lookup (gain, it->task);
              keys[i].index = i;
              keys[i].key = rw_text_classifier_probability (need, it->prompt, "strong") +
                            (g ? g[0] / g[1] : 0);
            }
        }
      order = order_by (keys, n);
      add_curve (b, "routewise", order, sv, wv, qs, qw);
      g_clear_pointer (&order, g_array_unref);

      for (guint i = 0; i < n; i++)
        {
          keys[i].index = i;
          keys[i].key = g_rand_double (rng);
        }
      order = order_by (keys, n);
      add_curve (b, "random", order, sv, wv, qs, qw);
      g_clear_pointer (&order, g_array_unref);

      for (guint i = 0; i < n; i++)
        {
          keys[i].index = i;
          keys[i].key = sv[i] - wv[i];
        }
      order = order_by (keys, n);
      add_curve (b, "oracle", order, sv, wv, qs, qw);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

/**
 * rw_policy_evaluation_to_text:
 * @evaluation: from rw_policy_evaluate()
 *
 * Returns: (transfer full): the evaluation as Markdown tables
 */
char *
rw_policy_evaluation_to_text (JsonNode *evaluation)
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

/* ------------------------------------------------------------------------------- export */

static GPtrArray *
policy_lists (JsonObject *policy)
{
  /* Pairs: task name (NULL for the default), then its list node. */
  GPtrArray *out = g_ptr_array_new ();
  JsonNode *tasks = json_object_get_member (policy, "tasks");

  if (tasks && JSON_NODE_HOLDS_OBJECT (tasks))
    {
      g_autoptr(GList) names = g_list_sort (json_object_get_members (json_node_get_object (tasks)),
                                           (GCompareFunc) g_strcmp0);
      for (GList *l = names; l; l = l->next)
        {
          JsonNode *list = json_object_get_member (json_node_get_object (tasks), l->data);
          if (JSON_NODE_HOLDS_ARRAY (list) && json_array_get_length (json_node_get_array (list)) > 0)
            {
              g_ptr_array_add (out, l->data);
              g_ptr_array_add (out, json_node_get_array (list));
            }
        }
    }
  if (json_object_has_member (policy, "default") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (policy, "default")))
    {
      g_ptr_array_add (out, NULL);
      g_ptr_array_add (out, rw_json_object_get_array (policy, "default"));
    }
  return out;
}

/* How a gateway reaches a model: its provider's kind as the gateway names it, the base URL,
 * the name the provider knows it by, and where its key comes from (an environment variable's
 * name, never the key). Models of kinds a gateway does not speak (recorded answers) are
 * reached through Routewise's own endpoint, which speaks OpenAI's protocol. */
typedef struct
{
  const char *kind;
  const char *base_url;
  const char *name;
  const char *key_env;
} Target;

static Target
target_for (RwCatalog  *catalog,
            const char *model_id)
{
  Target t = { "openai", "http://127.0.0.1:8642/v1", model_id, NULL };
  RwModel *model = catalog ? rw_catalog_lookup_model (catalog, model_id) : NULL;
  RwProvider *provider = model ? rw_catalog_lookup_provider (catalog, rw_model_get_provider_id (model)) : NULL;
  const char *kind = provider ? rw_provider_get_kind (provider) : NULL;

  if (kind == NULL || g_str_equal (kind, "recorded"))
    return t;
  t.kind = g_str_equal (kind, "gemini") ? "google" : kind;
  t.base_url = rw_provider_get_base_url (provider);
  t.name = rw_model_get_upstream_name (model);
  t.key_env = rw_provider_get_api_key_env (provider);
  return t;
}

static void
add_yaml_string (GString    *s,
                 const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);
  g_autofree char *quoted = rw_json_to_string (node, FALSE);
  g_string_append (s, quoted);   /* a JSON string is a YAML double-quoted scalar */
}

static char *
task_slug (const char *task)
{
  GString *s = g_string_new ("routewise-");
  if (task == NULL)
    g_string_append (s, "default");
  else
    for (const char *p = task; *p; p++)
      g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '-');
  return g_string_free (s, FALSE);
}

/**
 * rw_policy_export:
 * @policy: a policy
 * @catalog: (nullable): how the models are reached
 * @format: "routewise", "portkey", "openrouter" or "litellm"
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the exported configuration; no key is ever in it
 */
char *
rw_policy_export (JsonObject  *policy,
                  RwCatalog   *catalog,
                  const char  *format,
                  GError     **error)
{
  g_autoptr(GPtrArray) lists = policy_lists (policy);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  if (g_str_equal (format, "routewise"))
    {
      root = json_node_init_object (json_node_alloc (), policy);
      return rw_json_to_string (root, TRUE);
    }
  if (lists->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the policy names no model");
      return NULL;
    }

  if (g_str_equal (format, "portkey"))
    {
      /* Conditional routing on the request's metadata "task", each branch a fallback chain. */
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "strategy");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "mode");
      json_builder_add_string_value (b, "conditional");
      json_builder_set_member_name (b, "conditions");
      json_builder_begin_array (b);
      for (guint i = 0; i < lists->len; i += 2)
        {
          g_autofree char *name = task_slug (lists->pdata[i]);
          if (lists->pdata[i] == NULL)
            continue;
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "query");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "metadata.task");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "$eq");
          json_builder_add_string_value (b, lists->pdata[i]);
          json_builder_end_object (b);
          json_builder_end_object (b);
          json_builder_set_member_name (b, "then");
          json_builder_add_string_value (b, name);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "default");
      json_builder_add_string_value (b, "routewise-default");
      json_builder_end_object (b);
      json_builder_set_member_name (b, "targets");
      json_builder_begin_array (b);
      for (guint i = 0; i < lists->len; i += 2)
        {
          g_autofree char *name = task_slug (lists->pdata[i]);
          JsonArray *models = lists->pdata[i + 1];

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "strategy");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "mode");
          json_builder_add_string_value (b, "fallback");
          json_builder_end_object (b);
          json_builder_set_member_name (b, "targets");
          json_builder_begin_array (b);
          for (guint m = 0; m < json_array_get_length (models); m++)
            {
              Target t = target_for (catalog, json_array_get_string_element (models, m));
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "provider");
              json_builder_add_string_value (b, t.kind);
              if (t.base_url != NULL)
                {
                  json_builder_set_member_name (b, "custom_host");
                  json_builder_add_string_value (b, t.base_url);
                }
              /* Portkey wants a key or a timeout on each target; the key is never written
               * here: the caller's own header for that provider is passed on. */
              json_builder_set_member_name (b, "request_timeout");
              json_builder_add_int_value (b, 120000);
              json_builder_set_member_name (b, "forward_headers");
              json_builder_begin_array (b);
              json_builder_add_string_value (b, g_str_equal (t.kind, "anthropic") ? "x-api-key" :
                                                g_str_equal (t.kind, "google") ? "x-goog-api-key" :
                                                "authorization");
              json_builder_end_array (b);
              json_builder_set_member_name (b, "override_params");
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "model");
              json_builder_add_string_value (b, t.name);
              json_builder_end_object (b);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  else if (g_str_equal (format, "openrouter"))
    {
      /* A request body per task: the first model, and the "models" list OpenRouter falls back
       * along. */
      json_builder_begin_object (b);
      for (guint i = 0; i < lists->len; i += 2)
        {
          JsonArray *models = lists->pdata[i + 1];
          json_builder_set_member_name (b, lists->pdata[i] ? lists->pdata[i] : "default");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, target_for (catalog, json_array_get_string_element (models, 0)).name);
          json_builder_set_member_name (b, "models");
          json_builder_begin_array (b);
          for (guint m = 0; m < json_array_get_length (models); m++)
            json_builder_add_string_value (b, target_for (catalog, json_array_get_string_element (models, m)).name);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  else if (g_str_equal (format, "litellm"))
    {
      /* LiteLLM's router configuration, in YAML: a deployment per model of each task's chain,
       * the chain as fallbacks. */
      GString *s = g_string_new ("# LiteLLM router configuration exported by Routewise\nmodel_list:\n");
      GString *fb = g_string_new ("router_settings:\n  fallbacks:\n");

      for (guint i = 0; i < lists->len; i += 2)
        {
          g_autofree char *name = task_slug (lists->pdata[i]);
          JsonArray *models = lists->pdata[i + 1];

          for (guint m = 0; m < json_array_get_length (models); m++)
            {
              Target t = target_for (catalog, json_array_get_string_element (models, m));
              g_autofree char *dep = m == 0 ? g_strdup (name) : g_strdup_printf ("%s-%u", name, m + 1);
              g_autofree char *lm = g_strdup_printf ("%s/%s", g_str_equal (t.kind, "google") ? "gemini" : t.kind, t.name);

              g_string_append (s, "  - model_name: ");
              add_yaml_string (s, dep);
              g_string_append (s, "\n    litellm_params:\n      model: ");
              add_yaml_string (s, lm);
              if (t.base_url != NULL)
                {
                  g_string_append (s, "\n      api_base: ");
                  add_yaml_string (s, t.base_url);
                }
              if (t.key_env != NULL)
                {
                  g_autofree char *env = g_strdup_printf ("os.environ/%s", t.key_env);
                  g_string_append (s, "\n      api_key: ");
                  add_yaml_string (s, env);
                }
              g_string_append (s, "\n");
            }
          if (json_array_get_length (models) > 1)
            {
              g_string_append (fb, "    - ");
              add_yaml_string (fb, name);
              g_string_append (fb, ":\n");
              for (guint m = 1; m < json_array_get_length (models); m++)
                {
                  g_autofree char *dep = g_strdup_printf ("%s-%u", name, m + 1);
                  g_string_append (fb, "        - ");
                  add_yaml_string (fb, dep);
                  g_string_append (fb, "\n");
                }
            }
        }
      g_string_append (s, fb->str);
      g_string_free (fb, TRUE);
      return g_string_free (s, FALSE);
    }
  else
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "unknown format “%s” (routewise, portkey, openrouter, litellm)", format);
      return NULL;
    }
  root = json_builder_get_root (b);
  return rw_json_to_string (root, TRUE);
}
