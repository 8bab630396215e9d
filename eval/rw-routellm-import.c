/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-import-private.h"
#include "rw-json.h"
#include "rw-outcome.h"
#include "rw-routellm-import.h"

/* RouteLLM's per-item correctness of two models, imported as a graded run. */

/* The most model columns a file may have: 2,016 comparisons an item. */
#define MAX_MODELS 64u

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
routellm_estimate_cost (RwModel    *model,
                        const char *prompt,
                        const char *answer)
{
  gint64 tin = rw_estimate_tokens (prompt), tout = MAX (1, rw_estimate_tokens (answer));

  if (model == NULL || !rw_model_has_price (model))
    return NAN;
  return (tin * rw_model_get_input_price (model) + tout * rw_model_get_output_price (model)) / 1e6;
}

static gboolean
routellm_import_routellm_csv (RwStore     *store,
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
  g_autoptr(GHashTable) columns = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize len, pos = 0;
  guint line = 1;

  if (!rw_file_read_text (path, RW_FILE_DATA_MAX, &data, &len, &local))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, local->message);
      return FALSE;
    }
  header = rw_csv_read_record (data, len, &pos, &line, &local);
  if (header == NULL || header->len < 3 || !g_str_equal (header->pdata[0], "prompt"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: not RouteLLM's form (prompt, then a column of True/False per model)", base);
      return FALSE;
    }
  /* Every pair of models becomes a comparison: the work and the storage grow with the square
   * of the models, so a file with thousands of columns is refused before anything is stored. */
  for (guint c = 1; c < header->len; c++)
    g_hash_table_insert (columns, header->pdata[c], GUINT_TO_POINTER (c));
  for (guint c = 1; c < header->len; c++)
    {
      const char *h = header->pdata[c];
      g_autofree char *want = NULL;
      gint t = -1;

      if (g_str_has_suffix (h, "_response"))
        continue;
      if (models->len == MAX_MODELS)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: more than %u model columns; each pair of models is stored as a "
                       "comparison, so split the file", base, MAX_MODELS);
          return FALSE;
        }
      want = g_strconcat (h, "_response", NULL);
      if (g_hash_table_contains (columns, want))
        t = GPOINTER_TO_UINT (g_hash_table_lookup (columns, want));
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
          result->cost_usd = routellm_estimate_cost (model, row->pdata[0], text);
          /* RouteLLM's data has no timings: unknown, never 0 ms. */
          result->latency_ms = NAN;
          g_ptr_array_add (ids, rw_store_record_answer (store, &(RwAnswerRecord) {
                                  .run_id = run_id,
                                  .prompt_id = prompt_id,
                                  .result = result,
                                  .attempt = 1,
                                  .item_id = item_id,
                                  .sample = rw_outcome_next_sample (seen, item_id,
                                                                    models->pdata[m]),
                                  .task = task,
                                }));
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

/* Files in the order of their names, whatever order the folder lists them in: a question asked
 * in two subjects keeps the first one's task, the same on every machine and every import. */
static int
routellm_compare_paths (gconstpointer a,
                        gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
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
  return rw_routellm_import_cancellable (store, catalog, path, NULL, n_items, error);
}

/**
 * rw_routellm_import_cancellable:
 * @cancellable: (nullable): stops the import between files; what was imported stays, in a run
 *   marked "cancelled", and the import fails with %G_IO_ERROR_CANCELLED
 * @n_items: (out): the items imported; set after each file (atomically), so that another
 *   thread can show how far the import is
 *
 * rw_routellm_import(), which can be stopped.
 *
 * Returns: (transfer full) (nullable): the run's id
 */
char *
rw_routellm_import_cancellable (RwStore       *store,
                                RwCatalog     *catalog,
                                const char    *path,
                                GCancellable  *cancellable,
                                guint         *n_items,
                                GError       **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *sha256 = NULL;

  g_autoptr(GHashTable) contaminated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *parent = NULL;
  guint n_dropped = 0;

  g_atomic_int_set ((gint *) n_items, 0);
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

          if (!g_file_test (list, G_FILE_TEST_EXISTS))
            continue;
          if (!rw_file_read_text (list, RW_FILE_DATA_MAX, &text, NULL, error))
            return FALSE;
          lines = g_strsplit (text, "\n", -1);
          for (guint i = 0; lines[i]; i++)
            {
              g_autoptr(JsonNode) root = NULL;

              if (*lines[i] == '\0' ||
                  (root = rw_json_parse (lines[i], strlen (lines[i]), NULL)) == NULL)
                continue;
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
      g_ptr_array_sort (files, routellm_compare_paths);
    }
  else
    g_ptr_array_add (files, g_strdup (path));
  if (files->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: no .csv file", path);
      return NULL;
    }

  sha256 = _rw_import_checksum_files (files, TRUE, error);
  if (sha256 == NULL || !_rw_import_check_new (store, "routellm", sha256, path, error))
    return NULL;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "routellm");
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, sha256);
  /* The benchmark, as RouteLLM names its files: mmlu_<subject>.csv, gsm8k_responses.csv. */
  json_builder_set_member_name (b, "benchmark");
  {
    g_autofree char *first = g_path_get_basename (files->pdata[0]);
    first[strcspn (first, "_.")] = '\0';
    json_builder_add_string_value (b, first);
  }
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
      guint done = *n_items;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          rw_store_set_run_status (store, run_id, "cancelled");
          rw_store_flush (store, NULL);
          return NULL;
        }

      /* mmlu_college_biology.csv: the subject; anything else (GSM8K's): math. */
      if (g_str_has_prefix (base, "mmlu_"))
        task = g_strndup (base + 5, strlen (base) - 9);
      else
        task = g_strdup ("math");
      if (!routellm_import_routellm_csv (store, catalog, run_id, files->pdata[i], task, contaminated, &done,
                                &n_dropped, error))
        {
          rw_store_set_run_status (store, run_id, "partial");
          rw_store_flush (store, NULL);
          return NULL;
        }
      g_atomic_int_set ((gint *) n_items, (gint) done);
    }
  rw_store_set_run_status (store, run_id, "done");
  if (!rw_store_flush (store, error))
    return NULL;
  return g_steal_pointer (&run_id);
}
