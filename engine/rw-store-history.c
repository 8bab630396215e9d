/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-store-private.h"

/* The history of comparisons: listed and filtered, searched in full text (the history_search
 * index, which triggers keep), read back with their answers, and deleted. */

void
rw_stored_comparison_free (RwStoredComparison *c)
{
  if (c == NULL)
    return;
  g_free (c->id);
  g_free (c->status);
  g_free (c->prompt);
  g_free (c->task);
  g_strfreev (c->models);
  g_free (c->winner);
  g_free (c);
}

/* @word as an FTS5 prefix phrase ("kuber" finds kubernetes, as a search box finds while one
 * types), quoted so that no character the user typed is read as FTS5 syntax. */
static char *
history_fts_string (const char *word)
{
  GString *q = g_string_new ("\"");

  for (const char *p = word; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (q, '"');
      g_string_append_c (q, *p);
    }
  g_string_append (q, "\"*");
  return g_string_free (q, FALSE);
}

static gboolean
history_add_run (RwStoreRow *row,
                 gpointer    data)
{
  g_hash_table_add (data, g_strdup (_rw_store_row_text (row, 0)));
  return TRUE;
}

/* The comparisons whose prompt or answers hold every word of @text (or a word it starts), as a
 * JSON array of run ids for the listing query; NULL when @text holds no word. */
static char *
history_matching_runs (RwStore     *self,
                       const char  *text,
                       GError     **error)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(GHashTable) found = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) node = NULL;
  GHashTableIter iter;
  gpointer id;

  if (text == NULL)
    return NULL;
  words = g_regex_split_simple ("\\s+", text, 0, 0);
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *match = NULL;
      g_autoptr(GHashTable) runs = NULL;
      const char *params[] = { NULL, NULL };

      if (*words[i] == '\0')
        continue;
      match = history_fts_string (words[i]);
      params[0] = match;
      runs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if (!_rw_store_query_each (self, "SELECT DISTINCT run_id FROM history_search "
                                       "WHERE history_search MATCH ?1",
                                 params, history_add_run, runs, error))
        return NULL;
      if (found == NULL)
        found = g_steal_pointer (&runs);
      else
        {
          g_hash_table_iter_init (&iter, found);
          while (g_hash_table_iter_next (&iter, &id, NULL))
            if (!g_hash_table_contains (runs, id))
              g_hash_table_iter_remove (&iter);
        }
    }
  if (found == NULL)
    return NULL;
  b = json_builder_new ();
  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, found);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    json_builder_add_string_value (b, id);
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  return rw_json_to_string (node, FALSE);
}

#define HISTORY_COLUMNS \
  "SELECT u.id, u.created_ms, u.status, p.text, p.task, " \
  "  (SELECT group_concat (model, char (31)) FROM (SELECT model FROM responses " \
  "    WHERE run_id = u.id ORDER BY rowid)), " \
  "  (SELECT sum (cost_usd) FROM responses WHERE run_id = u.id), " \
  "  (SELECT CASE v.outcome WHEN 'a' THEN (SELECT model FROM responses WHERE id = v.response_a) " \
  "                         WHEN 'b' THEN (SELECT model FROM responses WHERE id = v.response_b) " \
  "                         WHEN 'best' THEN (SELECT model FROM responses WHERE id = v.winner) " \
  "                         ELSE v.outcome END " \
  "     FROM votes v WHERE v.run_id = u.id AND v.source = 'human' " \
  "     ORDER BY v.created_ms DESC LIMIT 1) " \
  "FROM runs u JOIN prompts p ON p.id = " \
  "  (SELECT prompt_id FROM responses WHERE run_id = u.id ORDER BY rowid LIMIT 1) "

static gpointer
history_make_comparison (RwStoreRow *row)
{
  RwStoredComparison *c = g_new0 (RwStoredComparison, 1);
  const char *models = _rw_store_row_text (row, 5);

  c->id = _rw_store_row_dup (row, 0);
  c->created_ms = _rw_store_row_int (row, 1);
  c->status = _rw_store_row_dup (row, 2);
  c->prompt = _rw_store_row_dup (row, 3);
  c->task = _rw_store_row_dup (row, 4);
  c->models = g_strsplit (models ? models : "", "\x1f", -1);
  c->cost_usd = _rw_store_row_double (row, 6);
  c->winner = _rw_store_row_dup (row, 7);
  c->voted = c->winner != NULL;
  return c;
}

/**
 * rw_store_list_history:
 * @filter: (nullable): which comparisons; %NULL for all
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredComparison): the comparisons, the
 *   latest first
 */
GPtrArray *
rw_store_list_history (RwStore                *self,
                       const RwHistoryFilter  *filter,
                       GError                **error)
{
  static const RwHistoryFilter all = { .voted = -1 };
  g_autofree char *match = NULL;
  g_autofree char *since = NULL, *until = NULL, *voted = NULL, *limit = NULL, *offset = NULL;
  const char *params[8] = { NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  if (filter == NULL)
    filter = &all;
  match = history_matching_runs (self, filter->query, error);
  if (match == NULL && error != NULL && *error != NULL)
    return NULL;
  since = filter->since_ms > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, filter->since_ms) : NULL;
  until = filter->until_ms > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, filter->until_ms) : NULL;
  voted = filter->voted >= 0 ? g_strdup_printf ("%d", filter->voted ? 1 : 0) : NULL;
  limit = g_strdup_printf ("%d", filter->limit > 0 ? (int) MIN (filter->limit, G_MAXINT) : -1);
  offset = g_strdup_printf ("%u", filter->offset);
  params[0] = match;
  params[1] = filter->model;
  params[2] = filter->task;
  params[3] = since;
  params[4] = until;
  params[5] = voted;
  params[6] = limit;
  params[7] = offset;

  return _rw_store_list_n (self,
    HISTORY_COLUMNS
    "WHERE u.kind = 'compare' "
    "  AND (?1 IS NULL OR u.id IN (SELECT value FROM json_each (?1))) "
    "  AND (?2 IS NULL OR EXISTS (SELECT 1 FROM responses WHERE run_id = u.id AND model = ?2)) "
    "  AND (?3 IS NULL OR coalesce (p.task, 'general') = ?3) "
    "  AND (?4 IS NULL OR u.created_ms >= CAST (?4 AS INTEGER)) "
    "  AND (?5 IS NULL OR u.created_ms < CAST (?5 AS INTEGER)) "
    "  AND (?6 IS NULL OR EXISTS (SELECT 1 FROM votes WHERE run_id = u.id AND source = 'human') "
    "                     = CAST (?6 AS INTEGER)) "
    "ORDER BY u.created_ms DESC, u.id DESC LIMIT CAST (?7 AS INTEGER) OFFSET CAST (?8 AS INTEGER)",
    params, G_N_ELEMENTS (params), history_make_comparison,
    (GDestroyNotify) rw_stored_comparison_free, error);
}

/**
 * rw_store_lookup_comparison:
 *
 * Returns: (transfer full) (nullable): the comparison of that run, or %NULL when there is none
 *   (without setting @error) or the query failed
 */
RwStoredComparison *
rw_store_lookup_comparison (RwStore     *self,
                            const char  *run_id,
                            GError     **error)
{
  const char *params[] = { run_id, NULL };
  g_autoptr(GPtrArray) found = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  found = _rw_store_list (self, HISTORY_COLUMNS "WHERE u.kind = 'compare' AND u.id = ?1",
                          params, history_make_comparison,
                          (GDestroyNotify) rw_stored_comparison_free, error);
  if (found == NULL || found->len == 0)
    return NULL;
  return g_ptr_array_steal_index (found, 0);
}

static gpointer
history_make_answer (RwStoreRow *row)
{
  RwStoredResponse *r = _rw_store_response_new ();

  r->id = _rw_store_row_dup (row, 0);
  r->model = _rw_store_row_dup (row, 1);
  r->ok = g_strcmp0 (_rw_store_row_text (row, 2), "ok") == 0;
  r->text = _rw_store_row_dup (row, 3);
  r->finish_reason = _rw_store_row_dup (row, 4);
  r->tokens_in = _rw_store_row_int_or_unset (row, 5);
  r->tokens_out = _rw_store_row_int_or_unset (row, 6);
  r->cost_usd = _rw_store_row_double (row, 7);
  r->ttft_ms = _rw_store_row_double (row, 8);
  r->latency_ms = _rw_store_row_double (row, 9);
  r->error_kind = _rw_store_row_dup (row, 10);
  r->error_message = _rw_store_row_dup (row, 11);
  r->prompt_id = _rw_store_row_dup (row, 12);
  return r;
}

/**
 * rw_store_list_comparison_answers:
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredResponse): every answer of the
 *   comparison, good or failed, in the order of its models: id, model, whether it is good,
 *   text, finish reason, tokens, cost, timings, error kind and message, prompt
 */
GPtrArray *
rw_store_list_comparison_answers (RwStore     *self,
                                  const char  *run_id,
                                  GError     **error)
{
  const char *params[] = { run_id, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT id, model, status, text, finish_reason, tokens_in, "
                               "tokens_out, cost_usd, ttft_ms, latency_ms, error_kind, "
                               "error_message, prompt_id FROM responses WHERE run_id = ?1 "
                               "ORDER BY rowid",
                         params, history_make_answer, (GDestroyNotify) rw_stored_response_free,
                         error);
}

/**
 * rw_store_delete_comparison:
 *
 * Queues the deletion of a comparison: its run, its answers with their grades, its votes and
 * its place in the search index, all at once or not at all. The prompt stays, as other runs
 * may have asked it.
 */
void
rw_store_delete_comparison (RwStore    *self,
                            const char *run_id)
{
  RwStoreOp *op;

  g_return_if_fail (RW_IS_STORE (self));

  /* One statement: the history_forget trigger takes the rest with it. */
  op = _rw_store_op_new ("DELETE FROM runs WHERE id = ?1 AND kind = 'compare'");
  _rw_store_op_text (op, run_id);
  _rw_store_enqueue (self, op);
}

static gpointer
history_make_text (RwStoreRow *row)
{
  return _rw_store_row_dup (row, 0);
}

/**
 * rw_store_list_compared_models:
 *
 * Returns: (transfer full) (nullable) (element-type utf8): the models that comparisons asked,
 *   sorted, each once: what a filter by model can choose from
 */
GPtrArray *
rw_store_list_compared_models (RwStore  *self,
                               GError  **error)
{
  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT DISTINCT r.model FROM responses r "
                               "JOIN runs u ON u.id = r.run_id AND u.kind = 'compare' "
                               "ORDER BY r.model",
                         NULL, history_make_text, g_free, error);
}

/**
 * rw_store_list_compared_tasks:
 *
 * Returns: (transfer full) (nullable) (element-type utf8): the tasks of the prompts compared,
 *   "general" for those without one, sorted, each once
 */
GPtrArray *
rw_store_list_compared_tasks (RwStore  *self,
                              GError  **error)
{
  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT DISTINCT coalesce (p.task, 'general') FROM runs u "
                               "JOIN responses r ON r.run_id = u.id "
                               "JOIN prompts p ON p.id = r.prompt_id "
                               "WHERE u.kind = 'compare' ORDER BY 1",
                         NULL, history_make_text, g_free, error);
}
