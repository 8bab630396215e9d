/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-paths.h"
#include "rw-store-private.h"

/* Prompts, the models that answered them, and their answers. */

/**
 * rw_store_record_prompt:
 * @self: a #RwStore
 * @request: the request whose messages make the prompt
 *
 * Queues the prompt, once: the id is the hash of its messages. A task given with the request
 * is kept; a later record with a task fills in one that was missing.
 *
 * Returns: (transfer full): the prompt's id
 */
char *
rw_store_record_prompt (RwStore       *self,
                        RwChatRequest *request)
{
  char *id = rw_chat_request_hash_prompt (request);
  g_autofree char *messages = NULL;
  const char *text = rw_chat_request_get_last_user_text (request);
  const char *task = rw_chat_request_get_task (request);
  gpointer queued;
  RwStoreOp *op;

  g_mutex_lock (&self->lock);
  queued = g_hash_table_lookup (self->prompts_queued, id);
  if (queued == PROMPT_QUEUED_WITH_TASK || (queued == PROMPT_QUEUED && task == NULL))
    {
      g_mutex_unlock (&self->lock);
      return id;
    }
  if (g_hash_table_size (self->prompts_queued) >= PROMPTS_QUEUED_MAX)
    g_hash_table_remove_all (self->prompts_queued);
  g_hash_table_replace (self->prompts_queued, g_strdup (id),
                        task ? PROMPT_QUEUED_WITH_TASK : PROMPT_QUEUED);
  g_mutex_unlock (&self->lock);

  messages = rw_chat_request_messages_to_string (request);
  op = _rw_store_op_new ("INSERT INTO prompts (id, messages, text, task, created_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                   "task = coalesce (prompts.task, excluded.task)");

  _rw_store_op_text (op, id);
  _rw_store_op_text (op, messages);
  _rw_store_op_text (op, text ? text : "");
  _rw_store_op_text (op, task);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
  return id;
}

/**
 * rw_store_record_model:
 * @self: a #RwStore
 * @model: a model
 *
 * Queues the model's catalog entry (its prices as they are now), so that stored costs can be
 * explained later.
 */
void
rw_store_record_model (RwStore *self,
                       RwModel *model)
{
  RwStoreOp *op = _rw_store_op_new ("INSERT OR REPLACE INTO models "
                   "(id, provider, name, input_price, output_price, context_length, updated_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

  _rw_store_op_text (op, rw_model_get_id (model));
  _rw_store_op_text (op, rw_model_get_provider_id (model));
  _rw_store_op_text (op, rw_model_get_upstream_name (model));
  _rw_store_op_double_or_null (op, rw_model_get_input_price (model));
  _rw_store_op_double_or_null (op, rw_model_get_output_price (model));
  _rw_store_op_int_or_null (op, rw_model_get_context_length (model) > 0 ?
                      rw_model_get_context_length (model) : -1);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
}

/**
 * rw_store_record_answer:
 * @self: a #RwStore
 * @answer: the answer, with the run and prompt it belongs to
 *
 * Queues an answer, or its failure, with its metrics: the one way an answer is stored, whether
 * the router served it, a comparison asked for it or an evaluation did.
 *
 * Returns: (transfer full): the response's id
 */
char *
rw_store_record_answer (RwStore              *self,
                        const RwAnswerRecord *answer)
{
  RwChatResult *result;
  RwStoreOp *op;
  char *id;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  g_return_val_if_fail (answer != NULL && answer->result != NULL, NULL);

  result = answer->result;
  id = _rw_store_new_id ();
  op = _rw_store_op_new ("INSERT INTO responses (id, run_id, prompt_id, model, attempt, status, text, "
                   "finish_reason, tokens_in, tokens_out, cost_usd, ttft_ms, latency_ms, "
                   "http_status, error_kind, error_message, request_hash, created_ms, "
                   "usage_estimated, item_id, sample, cached, task, tool_calls) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)");

  _rw_store_op_text (op, id);
  _rw_store_op_text (op, answer->run_id);
  _rw_store_op_text (op, answer->prompt_id);
  _rw_store_op_text (op, result->model_id);
  _rw_store_op_int (op, MAX (1, answer->attempt));
  _rw_store_op_text (op, result->error ? "error" : "ok");
  _rw_store_op_text (op, result->text->str);
  _rw_store_op_text (op, result->finish_reason);
  _rw_store_op_int_or_null (op, result->tokens_in);
  _rw_store_op_int_or_null (op, result->tokens_out);
  _rw_store_op_double_or_null (op, result->cost_usd);
  _rw_store_op_double_or_null (op, result->ttft_ms);
  _rw_store_op_double_or_null (op, result->latency_ms);
  _rw_store_op_int_or_null (op, result->http_status ? (gint64) result->http_status : -1);
  _rw_store_op_text (op, result->error ? rw_error_get_kind (result->error) : NULL);
  _rw_store_op_text (op, result->error ? result->error->message : NULL);
  _rw_store_op_text (op, answer->request_hash);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_op_int (op, result->usage_estimated ? 1 : 0);
  _rw_store_op_text (op, answer->item_id);
  _rw_store_op_int (op, answer->sample);
  _rw_store_op_int (op, answer->cached ? 1 : 0);
  _rw_store_op_text (op, answer->task);
  {
    g_autofree char *calls = rw_chat_result_dup_tool_calls_json (result);
    _rw_store_op_text (op, calls);
  }
  _rw_store_enqueue (self, op);
  return id;
}

/**
 * rw_store_has_response:
 *
 * Returns: whether an answer of id @response_id is stored; %FALSE with @error set when the
 *   query failed
 */
gboolean
rw_store_has_response (RwStore     *self,
                       const char  *response_id,
                       GError     **error)
{
  const char *params[] = { response_id, NULL };
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);

  rows = _rw_store_query (self, "SELECT id FROM responses WHERE id = ?1", params, error);
  return rows != NULL && rows->len > 0;
}

/* Adds @text to what history search finds @run_id by: only comparisons are indexed, so no other
 * answer pays for it. */
static void
store_index_for_history (RwStore    *self,
                         const char *run_id,
                         const char *text)
{
  RwStoreOp *op;

  if (text == NULL || *text == '\0')
    return;
  op = _rw_store_op_new ("INSERT INTO history_search (run_id, text) VALUES (?1, ?2)");
  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, text);
  _rw_store_enqueue (self, op);
}

/**
 * rw_store_record_compare:
 * @self: a #RwStore
 * @request: the request every model was sent
 * @models: (element-type RwModel): the models, in the order shown
 * @results: (element-type RwChatResult): their results, in the same order
 * @source: what ran the comparison ("cli", "app", ...)
 * @cancelled: whether the user stopped it
 * @prompt_id: (out) (optional): the prompt's id
 * @response_ids: (out) (optional) (array zero-terminated=1): the answers' ids, in order
 *
 * Queues a whole side-by-side comparison: the prompt, a "compare" run with the models, each
 * model's catalog entry and each answer with its metrics or its error. The run is "done" when a
 * model answered, "failed" when none did, "cancelled" when stopped.
 *
 * Returns: (transfer full): the run's id
 */
char *
rw_store_record_compare (RwStore        *self,
                         RwChatRequest  *request,
                         GPtrArray      *models,
                         GPtrArray      *results,
                         const char     *source,
                         gboolean        cancelled,
                         char          **prompt_id,
                         GStrv          *response_ids)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_autofree char *pid = NULL;
  char *run_id;
  guint n_ok = 0;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  g_return_val_if_fail (models->len == results->len, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    json_builder_add_string_value (b, rw_model_get_id (models->pdata[i]));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, request->stream);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, source);
  json_builder_end_object (b);
  params = json_builder_get_root (b);

  pid = rw_store_record_prompt (self, request);
  run_id = rw_store_begin_run (self, "compare", params);
  store_index_for_history (self, run_id, rw_chat_request_get_last_user_text (request));
  for (guint i = 0; i < results->len; i++)
    {
      RwModel *model = models->pdata[i];
      RwChatResult *result = results->pdata[i];
      g_autofree char *hash = rw_chat_request_hash_for_model (request, rw_model_get_id (model));
      g_autofree char *rid = NULL;

      rw_store_record_model (self, model);
      rid = rw_store_record_answer (self, &(RwAnswerRecord) {
                                      .run_id = run_id,
                                      .prompt_id = pid,
                                      .result = result,
                                      .attempt = 1,
                                      .request_hash = hash,
                                    });
      g_strv_builder_add (ids, rid);
      store_index_for_history (self, run_id, result->text->str);
      if (rw_chat_result_is_ok (result))
        n_ok++;
    }
  rw_store_finish_run (self, run_id, cancelled ? "cancelled" : n_ok > 0 ? "done" : "failed");

  if (prompt_id != NULL)
    *prompt_id = g_steal_pointer (&pid);
  if (response_ids != NULL)
    *response_ids = g_strv_builder_end (ids);
  return run_id;
}

static gboolean
store_read_run_response (RwStoreRow *row,
                         gpointer    data)
{
  gpointer *call = data;
  RwStoredResponse r = {
    .item_id = (char *) _rw_store_row_text (row, 0),
    .model = (char *) _rw_store_row_text (row, 1),
    .sample = (guint) _rw_store_row_int (row, 2),
    .ok = _rw_store_row_int (row, 3) != 0,
    .task = (char *) _rw_store_row_text (row, 4),
    .cost_usd = _rw_store_row_double (row, 5),
    .latency_ms = _rw_store_row_double (row, 6),
    .cached = _rw_store_row_int (row, 7) != 0,
    .id = (char *) _rw_store_row_text (row, 8),
    .tokens_in = -1,
    .tokens_out = -1,
    .ttft_ms = NAN,
    .mean_score = NAN,
  };

  return ((RwStoredResponseFunc) call[0]) (&r, call[1]);
}

/**
 * rw_store_foreach_run_response:
 * @func: called with each answer of the run, lent for the call: its id, item, model, sample,
 *   whether it is good, its task, cost, latency and whether it came from the cache; it returns
 *   %FALSE to stop
 *
 * An answer stored before its task was (schema 8) is filed under its prompt's task.
 *
 * Returns: %FALSE when the query could not run
 */
gboolean
rw_store_foreach_run_response (RwStore               *self,
                               const char            *run_id,
                               RwStoredResponseFunc   func,
                               gpointer               data,
                               GError               **error)
{
  const char *params[] = { run_id, NULL };
  gpointer call[] = { (gpointer) func, data };

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);

  return _rw_store_query_each (self,
                              "SELECT r.item_id, r.model, r.sample, r.status = 'ok', "
                              "  coalesce (r.task, "
                              "            (SELECT p.task FROM prompts p WHERE p.id = r.prompt_id), "
                              "            'general'), "
                              "  r.cost_usd, r.latency_ms, r.cached, r.id "
                              "FROM responses r WHERE r.run_id = ?1",
                              params, store_read_run_response, call, error);
}

static gpointer
store_make_answered (RwStoreRow *row)
{
  RwStoredResponse *r = _rw_store_response_new ();

  r->item_id = _rw_store_row_dup (row, 0);
  r->model = _rw_store_row_dup (row, 1);
  r->sample = (guint) _rw_store_row_int (row, 2);
  r->ok = TRUE;
  return r;
}

/**
 * rw_store_list_answered:
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredResponse): the good answers of an
 *   evaluation run: their item, model and sample only
 */
GPtrArray *
rw_store_list_answered (RwStore     *self,
                        const char  *run_id,
                        GError     **error)
{
  const char *params[] = { run_id, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT item_id, model, sample FROM responses "
                               "WHERE run_id = ?1 AND status = 'ok'",
                         params, store_make_answered, (GDestroyNotify) rw_stored_response_free,
                         error);
}

static gpointer
store_make_reusable (RwStoreRow *row)
{
  RwStoredResponse *r = _rw_store_response_new ();

  r->request_hash = _rw_store_row_dup (row, 0);
  r->sample = (guint) _rw_store_row_int (row, 1);
  r->text = _rw_store_row_dup (row, 2);
  r->finish_reason = _rw_store_row_dup (row, 3);
  r->tokens_in = _rw_store_row_int_or_unset (row, 4);
  r->tokens_out = _rw_store_row_int_or_unset (row, 5);
  r->ttft_ms = _rw_store_row_double (row, 6);
  r->latency_ms = _rw_store_row_double (row, 7);
  r->tool_calls = _rw_store_row_dup (row, 8);
  r->ok = TRUE;
  return r;
}

/**
 * rw_store_list_reusable_answers:
 * @request_hashes: the hashes of requests, %NULL-terminated
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredResponse): the good answers to any
 *   of these requests, oldest first: their request hash, sample, text, finish reason, tokens,
 *   timings and tool calls
 */
GPtrArray *
rw_store_list_reusable_answers (RwStore             *self,
                                const char * const  *request_hashes,
                                GError             **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *hashes = NULL;
  const char *params[] = { NULL, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  json_builder_begin_array (b);
  for (guint i = 0; request_hashes[i] != NULL; i++)
    json_builder_add_string_value (b, request_hashes[i]);
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  params[0] = hashes = rw_json_to_string (node, FALSE);
  return _rw_store_list (self, "SELECT request_hash, sample, text, finish_reason, tokens_in, "
                               "tokens_out, ttft_ms, latency_ms, tool_calls FROM responses "
                               "WHERE request_hash "
                               "IN (SELECT value FROM json_each (?1)) AND status = 'ok' "
                               "ORDER BY created_ms",
                         params, store_make_reusable, (GDestroyNotify) rw_stored_response_free,
                         error);
}

static gpointer
store_make_ungraded (RwStoreRow *row)
{
  RwStoredResponse *r = _rw_store_response_new ();

  r->id = _rw_store_row_dup (row, 0);
  r->item_id = _rw_store_row_dup (row, 1);
  r->text = _rw_store_row_dup (row, 2);
  r->model = _rw_store_row_dup (row, 3);
  r->sample = (guint) _rw_store_row_int (row, 4);
  r->ok = TRUE;
  return r;
}

/**
 * rw_store_list_ungraded_answers:
 * @grader: a grader's name ("judge")
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredResponse): the good answers of the
 *   run that @grader has not graded, oldest first: their id, item, text, model and sample
 */
GPtrArray *
rw_store_list_ungraded_answers (RwStore     *self,
                                const char  *run_id,
                                const char  *grader,
                                GError     **error)
{
  const char *params[] = { run_id, grader, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT r.id, r.item_id, r.text, r.model, r.sample FROM responses r WHERE "
                               "r.run_id = ?1 AND r.status = 'ok' AND NOT EXISTS (SELECT 1 FROM "
                               "grades g WHERE g.response_id = r.id AND g.grader = ?2) "
                               "ORDER BY r.created_ms",
                         params, store_make_ungraded, (GDestroyNotify) rw_stored_response_free,
                         error);
}

static gpointer
store_make_run_answer (RwStoreRow *row)
{
  RwStoredResponse *r = _rw_store_response_new ();

  r->item_id = _rw_store_row_dup (row, 0);
  r->sample = (guint) _rw_store_row_int (row, 1);
  r->id = _rw_store_row_dup (row, 2);
  r->model = _rw_store_row_dup (row, 3);
  r->prompt_id = _rw_store_row_dup (row, 4);
  r->task = _rw_store_row_dup (row, 5);
  r->text = _rw_store_row_dup (row, 6);
  r->prompt_text = _rw_store_row_dup (row, 7);
  r->mean_score = _rw_store_row_double (row, 8);
  r->ok = TRUE;
  return r;
}

/**
 * rw_store_list_run_answers:
 * @with_texts: whether to read the answers' and prompts' texts
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredResponse): the good answers of the
 *   run, oldest first: their item, sample, id, model, prompt, task (the prompt's, else
 *   "general"), mean grade, and with @with_texts their text and their prompt's
 */
GPtrArray *
rw_store_list_run_answers (RwStore     *self,
                           const char  *run_id,
                           gboolean     with_texts,
                           GError     **error)
{
  const char *params[] = { run_id, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self,
                         with_texts
                         ? "SELECT r.item_id, r.sample, r.id, r.model, r.prompt_id, "
                           "  coalesce (p.task, 'general'), r.text, p.text, "
                           "  (SELECT sum (score * weight) / sum (CASE WHEN score IS NOT NULL THEN weight END) FROM grades g WHERE g.response_id = r.id) "
                           "FROM responses r JOIN prompts p ON p.id = r.prompt_id "
                           "WHERE r.run_id = ?1 AND r.status = 'ok' ORDER BY r.created_ms"
                         : "SELECT r.item_id, r.sample, r.id, r.model, r.prompt_id, "
                           "  coalesce (p.task, 'general'), NULL, NULL, "
                           "  (SELECT sum (score * weight) / sum (CASE WHEN score IS NOT NULL THEN weight END) FROM grades g WHERE g.response_id = r.id) "
                           "FROM responses r JOIN prompts p ON p.id = r.prompt_id "
                           "WHERE r.run_id = ?1 AND r.status = 'ok' ORDER BY r.created_ms",
                         params, store_make_run_answer, (GDestroyNotify) rw_stored_response_free,
                         error);
}

static gpointer
store_make_graded_item (RwStoreRow *row)
{
  RwStoredGradedItem *g = g_new0 (RwStoredGradedItem, 1);

  g->item = _rw_store_row_dup (row, 0);
  g->task = _rw_store_row_dup (row, 1);
  g->prompt = _rw_store_row_dup (row, 2);
  g->model = _rw_store_row_dup (row, 3);
  g->score = _rw_store_row_double (row, 4);
  g->cost_usd = _rw_store_row_double (row, 5);
  g->latency_ms = _rw_store_row_double (row, 6);
  g->benchmark = _rw_store_row_dup (row, 7);
  return g;
}

/**
 * rw_store_list_graded_items:
 *
 * Every graded good answer, one per item (a prompt and a repetition) and model: answers to
 * the same prompt and repetition by the same model are averaged; a person's latest grade of
 * an answer counts instead of the machines'. An answer no one graded that a person voted on
 * (in the window, or with compare) is graded by the vote: 1 for the answer that won, 0 for
 * the others it was weighed against, ½ each for a tie and 0 each when both were bad; it takes
 * the task the vote was cast for. So a policy can be learned from votes alone. The benchmark
 * is the one its run was imported as, else the suite it ran. Ordered by
 * item, then model.
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredGradedItem): the graded items
 */
GPtrArray *
rw_store_list_graded_items (RwStore  *self,
                            GError  **error)
{
  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self,
    "SELECT item, task, prompt, model, avg (score), avg (cost), avg (latency), "
    "  max (benchmark) FROM ("
    "  SELECT item, prompt, model, cost, latency, benchmark, "
    "    coalesce (human, machine, voted) AS score, "
    "    coalesce (CASE WHEN human IS NULL AND machine IS NULL THEN vote_task END, task, "
    "              'general') AS task "
    "  FROM ("
    "    SELECT r.prompt_id || '#' || r.sample AS item, p.task AS task, p.text AS prompt, "
    "      r.model AS model, r.cost_usd AS cost, r.latency_ms AS latency, "
    "      (SELECT CASE WHEN json_valid (u.params) THEN coalesce ("
    "         json_extract (u.params, '$.benchmark'), json_extract (u.params, '$.suite')) END "
    "       FROM runs u WHERE u.id = r.run_id) AS benchmark, "
    "      (SELECT g.score FROM grades g WHERE g.response_id = r.id AND g.source = 'human' "
    "       ORDER BY g.created_ms DESC LIMIT 1) AS human, "
    "      (SELECT sum (g.score * g.weight) / sum (CASE WHEN g.score IS NOT NULL THEN g.weight END) FROM grades g WHERE g.response_id = r.id) AS machine, "
    "      v.voted AS voted, v.task AS vote_task "
    "    FROM responses r JOIN prompts p ON p.id = r.prompt_id "
    "    LEFT JOIN ("
    "      SELECT c.value AS response_id, "
    "        CASE WHEN v.outcome = 'tie' THEN 0.5 WHEN v.outcome = 'both_bad' THEN 0.0 "
    "             WHEN v.winner = c.value THEN 1.0 ELSE 0.0 END AS voted, "
    "        v.task AS task, "
    "        row_number () OVER (PARTITION BY c.value ORDER BY v.created_ms DESC) AS latest "
    "      FROM votes v, json_each (CASE WHEN v.candidates IS NOT NULL THEN v.candidates "
    "                                    ELSE json_array (v.response_a, v.response_b) END) c "
    "      WHERE v.source = 'human') v ON v.response_id = r.id AND v.latest = 1 "
    "    WHERE r.status = 'ok')) "
    "WHERE score IS NOT NULL GROUP BY item, model ORDER BY item, model",
    NULL, store_make_graded_item, (GDestroyNotify) rw_stored_graded_item_free, error);
}
