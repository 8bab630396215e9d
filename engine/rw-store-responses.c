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
 * rw_store_record_response:
 * @self: a #RwStore
 * @run_id: the run
 * @prompt_id: the prompt
 * @result: the answer, or its failure
 * @attempt: which attempt this was, from 1
 * @request_hash: (nullable): the request's cache key
 *
 * Returns: (transfer full): the response's id
 */
char *
rw_store_record_response (RwStore      *self,
                          const char   *run_id,
                          const char   *prompt_id,
                          RwChatResult *result,
                          guint         attempt,
                          const char   *request_hash)
{
  return rw_store_record_eval_response (self, run_id, prompt_id, result, attempt, request_hash,
                                        NULL, 0, NULL, FALSE);
}

/**
 * rw_store_record_eval_response:
 * @self: a #RwStore
 * @run_id: the run
 * @prompt_id: the prompt
 * @result: the answer, or its failure
 * @attempt: which attempt this was, from 1
 * @request_hash: (nullable): the request's cache key
 * @item_id: (nullable): the suite item it answers
 * @sample: which repetition it is, from 0
 * @task: (nullable): the suite item's task, which the report files the answer under
 * @cached: it was reused from an earlier answer, not asked again
 *
 * Returns: (transfer full): the response's id
 */
char *
rw_store_record_eval_response (RwStore      *self,
                               const char   *run_id,
                               const char   *prompt_id,
                               RwChatResult *result,
                               guint         attempt,
                               const char   *request_hash,
                               const char   *item_id,
                               guint         sample,
                               const char   *task,
                               gboolean      cached)
{
  char *id = _rw_store_new_id ();
  RwStoreOp *op = _rw_store_op_new ("INSERT INTO responses (id, run_id, prompt_id, model, attempt, status, text, "
                   "finish_reason, tokens_in, tokens_out, cost_usd, ttft_ms, latency_ms, "
                   "http_status, error_kind, error_message, request_hash, created_ms, "
                   "usage_estimated, item_id, sample, cached, task) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)");

  _rw_store_op_text (op, id);
  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, prompt_id);
  _rw_store_op_text (op, result->model_id);
  _rw_store_op_int (op, MAX (1, attempt));
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
  _rw_store_op_text (op, request_hash);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_op_int (op, result->usage_estimated ? 1 : 0);
  _rw_store_op_text (op, item_id);
  _rw_store_op_int (op, sample);
  _rw_store_op_int (op, cached ? 1 : 0);
  _rw_store_op_text (op, task);
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

  rows = rw_store_query (self, "SELECT id FROM responses WHERE id = ?1", params, error);
  return rows != NULL && rows->len > 0;
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
  for (guint i = 0; i < results->len; i++)
    {
      RwModel *model = models->pdata[i];
      RwChatResult *result = results->pdata[i];
      g_autofree char *hash = rw_chat_request_hash_for_model (request, rw_model_get_id (model));
      g_autofree char *rid = NULL;

      rw_store_record_model (self, model);
      rid = rw_store_record_response (self, run_id, pid, result, 1, hash);
      g_strv_builder_add (ids, rid);
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
