/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "rw-import-private.h"
#include "rw-json.h"
#include "rw-outcomes-import.h"

/* Anyone's logged results, imported as a graded run: one row per answer, with the item it
 * answers, its task, the prompt, the model, a score from 0 to 1, and what the call cost and how
 * long it took when known. A cost given is used as given; a missing one comes from the
 * catalog's prices, and stays unknown for a model without them; a missing latency stays
 * missing. */

/* The most a file may hold: a log of millions of calls, not a disk. */
#define MAX_FILE (256 * 1024 * 1024)

typedef struct
{
  char *item;
  char *task;
  char *prompt;
  char *model;
  double score;
  double cost;
  double latency;
} Row;

static void
row_free (Row *row)
{
  g_free (row->item);
  g_free (row->task);
  g_free (row->prompt);
  g_free (row->model);
  g_free (row);
}

/* A number from a cell or a member: NAN when absent or empty; FALSE when not a number. */
static gboolean
outcomes_number (const char *text,
                 double     *out)
{
  char *end = NULL;

  *out = NAN;
  if (text == NULL || *text == '\0')
    return TRUE;
  *out = g_ascii_strtod (text, &end);
  return end != text && *end == '\0' && isfinite (*out);
}

/* Checks and keeps a row; @where names it in an error. @items maps each item to its first row:
 * an item is one prompt of one task, whichever model answered it. */
static gboolean
outcomes_add_row (GPtrArray   *rows,
                  GHashTable  *items,
                  const char  *item,
                  const char  *task,
                  const char  *prompt,
                  const char  *model,
                  const char  *score,
                  const char  *cost,
                  const char  *latency,
                  const char  *where,
                  GError     **error)
{
  Row *row;
  double s, c, l;

  if (item == NULL || *item == '\0' || prompt == NULL || *prompt == '\0' || model == NULL ||
      *model == '\0')
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: give item, prompt and model", where);
      return FALSE;
    }
  if (!outcomes_number (score, &s) || isnan (s) || s < 0 || s > 1)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: score must be a number from 0 to 1",
                   where);
      return FALSE;
    }
  if (!outcomes_number (cost, &c) || c < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: cost must be US dollars (0 or more) or left empty", where);
      return FALSE;
    }
  if (!outcomes_number (latency, &l) || l < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: latency_ms must be milliseconds (0 or more) or left empty", where);
      return FALSE;
    }
  if ((row = g_hash_table_lookup (items, item)) != NULL)
    {
      const char *given = task && *task ? task : "general";

      if (!g_str_equal (row->prompt, prompt))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: item “%s” has another prompt than on its first row: an item is one "
                       "prompt, answered by each model", where, item);
          return FALSE;
        }
      if (!g_str_equal (row->task, given))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: item “%s” is of the task “%s” here and of “%s” on its first row",
                       where, item, given, row->task);
          return FALSE;
        }
    }
  row = g_new0 (Row, 1);
  row->item = g_strdup (item);
  row->task = g_strdup (task && *task ? task : "general");
  row->prompt = g_strdup (prompt);
  row->model = g_strdup (model);
  row->score = s;
  row->cost = c;
  row->latency = l;
  g_ptr_array_add (rows, row);
  if (!g_hash_table_contains (items, row->item))
    g_hash_table_insert (items, row->item, row);
  return TRUE;
}

static gboolean
outcomes_read_csv (const char  *data,
                   gsize        len,
                   const char  *base,
                   GPtrArray   *rows,
                   GHashTable  *items,
                   GError     **error)
{
  static const char * const names[] = { "item", "task", "prompt", "model", "score", "cost",
                                        "latency_ms" };
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GError) local = NULL;
  int col[G_N_ELEMENTS (names)];
  gsize pos = 0;
  guint line = 1;

  header = rw_csv_read_record (data, len, &pos, &line, &local);
  if (header == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: no header row", base);
      return FALSE;
    }
  for (guint n = 0; n < G_N_ELEMENTS (names); n++)
    {
      col[n] = -1;
      for (guint c = 0; c < header->len; c++)
        if (g_str_equal (header->pdata[c], names[n]) ||
            (n == 5 && g_str_equal (header->pdata[c], "cost_usd")))
          col[n] = c;
    }
  if (col[0] < 0 || col[2] < 0 || col[3] < 0 || col[4] < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the columns item, prompt, model and "
                   "score are needed (task, cost and latency_ms may follow)", base);
      return FALSE;
    }
  for (;;)
    {
      guint at = 0;
      g_autoptr(GPtrArray) r = rw_csv_read_row (data, len, &pos, &line, header->len, base, &at,
                                                &local);
      g_autofree char *where = NULL;
#define CELL(n) (col[n] >= 0 ? (const char *) r->pdata[col[n]] : NULL)

      if (r == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          return TRUE;
        }
      where = g_strdup_printf ("%s:%u", base, at);
      if (!outcomes_add_row (rows, items, CELL (0), CELL (1), CELL (2), CELL (3), CELL (4), CELL (5),
                             CELL (6), where, error))
        return FALSE;
#undef CELL
    }
}

/* A member as text: a string as it is, a number in its shortest form, else NULL. */
static char *
outcomes_member_text (JsonObject *o,
                      const char *name)
{
  JsonNode *v = json_object_get_member (o, name);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (v == NULL || !JSON_NODE_HOLDS_VALUE (v))
    return NULL;
  if (json_node_get_value_type (v) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (v));
  if (json_node_get_value_type (v) == G_TYPE_INT64 || json_node_get_value_type (v) == G_TYPE_DOUBLE)
    return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (v)));
  if (json_node_get_value_type (v) == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (v) ? "1" : "0");
  return g_strdup ("not a number");
}

static gboolean
outcomes_read_jsonl (const char  *data,
                     gsize        len,
                     const char  *base,
                     GPtrArray   *rows,
                     GHashTable  *items,
                     GError     **error)
{
  const char *p = data, *end = data + len;
  guint line = 0;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize n = (nl ? nl : end) - p;
      g_autoptr(GError) local = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *where = NULL;
      JsonObject *o;

      line++;
      where = g_strdup_printf ("%s:%u", base, line);
      gboolean blank = TRUE;

      for (gsize c = 0; c < n && blank; c++)
        blank = g_ascii_isspace (p[c]);
      if (!blank)
        {
          g_autofree char *item = NULL, *task = NULL, *prompt = NULL, *model = NULL;
          g_autofree char *score = NULL, *cost = NULL, *latency = NULL;

          if ((node = rw_json_parse_line (p, n, &local)) == NULL)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not valid JSON: %s", where,
                           local->message);
              return FALSE;
            }
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not a JSON object", where);
              return FALSE;
            }
          o = json_node_get_object (node);
          item = outcomes_member_text (o, "item");
          task = outcomes_member_text (o, "task");
          prompt = outcomes_member_text (o, "prompt");
          model = outcomes_member_text (o, "model");
          score = outcomes_member_text (o, "score");
          cost = outcomes_member_text (o, json_object_has_member (o, "cost") ? "cost" : "cost_usd");
          latency = outcomes_member_text (o, "latency_ms");
          if (!outcomes_add_row (rows, items, item, task, prompt, model, score, cost, latency, where,
                                 error))
            return FALSE;
        }
      p += n + (nl ? 1 : 0);
    }
  return TRUE;
}

/* Estimated from the catalog's prices when the file gives no cost; NAN without prices. */
static double
outcomes_cost (RwCatalog  *catalog,
               const Row  *row)
{
  RwModel *model = catalog ? rw_catalog_lookup_model (catalog, row->model) : NULL;

  if (!isnan (row->cost))
    return row->cost;
  if (model == NULL || !rw_model_has_price (model))
    return NAN;
  return rw_model_compute_cost (model, rw_estimate_tokens (row->prompt), 1);
}

/* The rows of @data, every one of the form, or an error naming the first that is not; CSV
 * when @name ends in .csv, else JSONL. */
static GPtrArray *
outcomes_parse_rows (const char  *name,
                     const char  *data,
                     gsize        len,
                     GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);

  g_autoptr(GHashTable) items = g_hash_table_new (g_str_hash, g_str_equal);

  if (!(g_str_has_suffix (name, ".csv") ? outcomes_read_csv (data, len, name, rows, items, error)
                                         : outcomes_read_jsonl (data, len, name, rows, items,
                                                                error)))
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: no outcomes", name);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* The file's rows, every one of the form, or an error naming the first that is not. */
static GPtrArray *
outcomes_read_rows (const char  *path,
                    GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  GStatBuf st;
  gsize len;

  if (g_stat (path, &st) == 0 && st.st_size > MAX_FILE)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: larger than %d MB: split it", base,
                   MAX_FILE / (1024 * 1024));
      return NULL;
    }
  if (!rw_file_read_text (path, MAX_FILE, &data, &len, &local))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, local->message);
      return NULL;
    }
  return outcomes_parse_rows (base, data, len, error);
}

static GPtrArray *
outcomes_from_rows (RwCatalog  *catalog,
                    GPtrArray  *rows,
                    const char *name)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_outcome_free);

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      RwOutcome *o = g_new0 (RwOutcome, 1);

      o->item = g_strdup (row->item);
      o->task = g_strdup (row->task);
      o->prompt = g_strdup (row->prompt);
      o->model = g_strdup (row->model);
      o->score = row->score;
      o->cost_usd = outcomes_cost (catalog, row);
      o->latency_ms = row->latency;
      o->benchmark = g_strdup (name);
      g_ptr_array_add (out, o);
    }
  return out;
}

/**
 * rw_outcomes_parse:
 * @catalog: (nullable): prices for answers whose cost the data does not give
 * @name: the data's name, for messages; CSV when it ends in .csv, else JSONL
 * @data: the data
 * @length: its length
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type RwOutcome) (nullable): the outcomes
 */
GPtrArray *
rw_outcomes_parse (RwCatalog   *catalog,
                   const char  *name,
                   const char  *data,
                   gsize        length,
                   GError     **error)
{
  g_autoptr(GPtrArray) rows = outcomes_parse_rows (name, data, length, error);

  return rows ? outcomes_from_rows (catalog, rows, name) : NULL;
}

/**
 * rw_outcomes_read:
 * @catalog: (nullable): prices for answers whose cost the file does not give
 * @path: a file of the form rw_outcomes_import() takes
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type RwOutcome) (nullable): the file's outcomes, as
 *   rw_outcomes_load() gives the stored ones, without storing them
 */
GPtrArray *
rw_outcomes_read (RwCatalog   *catalog,
                  const char  *path,
                  GError     **error)
{
  g_autoptr(GPtrArray) rows = outcomes_read_rows (path, error);
  g_autofree char *base = g_path_get_basename (path);

  return rows ? outcomes_from_rows (catalog, rows, base) : NULL;
}

/**
 * rw_outcome_next_sample:
 * @seen: (element-type utf8 guint): what an import has stored so far, created with
 *   g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL)
 *
 * An item answered by the same model more than once in one file is that many samples of it
 * (0, 1, ...), as repetitions of an evaluation are: the database takes each sample once.
 *
 * Returns: the sample number of this answer of @model to @item
 */
guint
rw_outcome_next_sample (GHashTable *seen,
                        const char *item,
                        const char *model)
{
  char *key = g_strdup_printf ("%s\x1f%s", item, model);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (seen, key));

  g_hash_table_insert (seen, key, GUINT_TO_POINTER (n + 1));
  return n;
}

/**
 * rw_outcomes_import:
 * @store: the database
 * @catalog: (nullable): prices for answers whose cost the file does not give
 * @path: a CSV file (columns item, task, prompt, model, score, cost, latency_ms) or JSONL (one
 *   object a line with those members); task, cost and latency_ms may be missing
 * @n_items: (out): how many items were stored
 * @error: return location for an error: a row that is not of the form, naming its line
 *
 * Stores the file as a graded evaluation run: each item's prompt, each row as a model's
 * answer with its score as a grade ("import"), its cost and latency, and each pair of two
 * models' answers to an item as a comparison. Where a model answered an item more than once,
 * its answers are samples, and each sample is compared with the other models' answers of the
 * same sample, as an evaluation with repetitions compares them; a model is never compared with
 * itself. Nothing is stored unless every row is of the form.
 *
 * Returns: (transfer full) (nullable): the run's id
 */
char *
rw_outcomes_import (RwStore     *store,
                    RwCatalog   *catalog,
                    const char  *path,
                    guint       *n_items,
                    GError     **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) by_item = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *sha256 = NULL;

  *n_items = 0;
  if ((rows = outcomes_read_rows (path, error)) == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      GPtrArray *answers = g_hash_table_lookup (by_item, row->item);

      if (answers == NULL)
        {
          answers = g_ptr_array_new ();
          g_hash_table_insert (by_item, row->item, answers);
          g_ptr_array_add (order, row->item);
        }
      g_ptr_array_add (answers, row);
    }

  {
    g_autoptr(GPtrArray) files = g_ptr_array_new ();

    g_ptr_array_add (files, (gpointer) path);
    sha256 = _rw_import_checksum_files (files, FALSE, error);
  }
  if (sha256 == NULL || !_rw_import_check_new (store, "outcomes", sha256, path, error))
    return NULL;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "outcomes");
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, sha256);
  json_builder_end_object (b);
  params = json_builder_get_root (b);
  run_id = rw_store_begin_run (store, "eval", params);
  for (guint i = 0; i < order->len; i++)
    {
      GPtrArray *answers = g_hash_table_lookup (by_item, order->pdata[i]);
      Row *first = answers->pdata[0];
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (first->prompt);
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      g_autofree guint *samples = g_new (guint, answers->len);
      g_autofree char *prompt_id = NULL;

      rw_chat_request_set_task (request, first->task);
      prompt_id = rw_store_record_prompt (store, request);
      for (guint a = 0; a < answers->len; a++)
        {
          Row *row = answers->pdata[a];
          g_autoptr(RwChatResult) result = rw_chat_result_new (row->model);

          samples[a] = rw_outcome_next_sample (seen, row->item, row->model);
          result->tokens_in = rw_estimate_tokens (row->prompt);
          result->usage_estimated = TRUE;
          result->cost_usd = outcomes_cost (catalog, row);
          result->latency_ms = row->latency;
          g_ptr_array_add (ids, rw_store_record_answer (store, &(RwAnswerRecord) {
                                  .run_id = run_id,
                                  .prompt_id = prompt_id,
                                  .result = result,
                                  .attempt = 1,
                                  .item_id = row->item,
                                  .sample = samples[a],
                                  .task = first->task,
                                }));
          rw_store_record_grade (store, ids->pdata[ids->len - 1], "import", row->score,
                                 row->score >= 0.5, "as the imported file scored it", "import");
        }
      for (guint a = 0; a < ids->len; a++)
        for (guint c = a + 1; c < ids->len; c++)
          {
            const char *pair[] = { ids->pdata[a], ids->pdata[c], NULL };
            double sa = ((Row *) answers->pdata[a])->score, sb = ((Row *) answers->pdata[c])->score;

            /* Two answers of one model are never of the same sample. */
            if (samples[a] != samples[c])
              continue;
            g_free (rw_store_record_vote (store, prompt_id, run_id, first->task,
                                          sa > sb ? RW_VOTE_A : sa < sb ? RW_VOTE_B : RW_VOTE_TIE,
                                          pair, NULL, "import"));
          }
      (*n_items)++;
    }
  rw_store_set_run_status (store, run_id, "done");
  if (!rw_store_flush (store, error))
    return NULL;
  return g_steal_pointer (&run_id);
}
