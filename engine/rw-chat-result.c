/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-chat-result.h"
#include "rw-error.h"
#include "rw-json.h"

G_DEFINE_BOXED_TYPE (RwChatResult, rw_chat_result, rw_chat_result_ref, rw_chat_result_unref)

/**
 * rw_chat_result_new:
 * @model_id: the catalog id of the model
 *
 * Returns: (transfer full): an empty result with every metric unknown
 */
RwChatResult *
rw_chat_result_new (const char *model_id)
{
  RwChatResult *self = g_new0 (RwChatResult, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->model_id = g_strdup (model_id);
  self->text = g_string_new (NULL);
  self->tokens_in = -1;
  self->tokens_out = -1;
  self->cost_usd = NAN;
  self->ttft_ms = -1;
  self->retry_after_ms = -1;
  return self;
}

RwChatResult *
rw_chat_result_ref (RwChatResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
rw_chat_result_unref (RwChatResult *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->model_id);
      g_string_free (self->text, TRUE);
      g_free (self->finish_reason);
      g_clear_error (&self->error);
      g_clear_pointer (&self->choices, g_ptr_array_unref);
      g_free (self->system_fingerprint);
      g_free (self->usage_details);
      g_free (self);
    }
}

gboolean
rw_chat_result_is_ok (RwChatResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->error == NULL;
}

/**
 * rw_chat_result_tokens_per_second:
 * @self: a #RwChatResult
 *
 * Returns: output tokens per second after the first token, or NAN when unknown
 */
double
rw_chat_result_tokens_per_second (RwChatResult *self)
{
  double gen_ms;

  g_return_val_if_fail (self != NULL, NAN);

  if (self->tokens_out <= 0 || self->latency_ms <= 0)
    return NAN;
  gen_ms = self->ttft_ms >= 0 ? self->latency_ms - self->ttft_ms : self->latency_ms;
  if (gen_ms < 1.0)
    gen_ms = self->latency_ms;
  return (double) self->tokens_out / (gen_ms / 1000.0);
}

/* OpenAI's most for `n`: an upstream's choice index past it is not kept. */
#define MAX_CHOICES 128

/**
 * rw_chat_result_get_choice:
 * @self: a #RwChatResult
 * @index: a choice's index, below 128
 *
 * Returns: (transfer none) (nullable): the choice, made on first use; %NULL for an index past
 *   the most a request may ask for
 */
RwChatChoice *
rw_chat_result_get_choice (RwChatResult *self,
                           guint         index)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (index >= MAX_CHOICES)
    return NULL;
  if (self->choices == NULL)
    self->choices = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_chat_choice_free);
  while (self->choices->len <= index)
    g_ptr_array_add (self->choices, rw_chat_choice_new (self->choices->len));
  return self->choices->pdata[index];
}

/**
 * rw_chat_result_peek_choice:
 * @self: a #RwChatResult
 * @index: a choice's index
 *
 * Returns: (transfer none) (nullable): the choice, if anything beyond plain text came for it
 */
RwChatChoice *
rw_chat_result_peek_choice (RwChatResult *self,
                            guint         index)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->choices != NULL && index < self->choices->len ? self->choices->pdata[index] : NULL;
}

/**
 * rw_chat_result_get_n_choices:
 * @self: a #RwChatResult
 *
 * Returns: how many choices the answer holds, at least 1
 */
guint
rw_chat_result_get_n_choices (RwChatResult *self)
{
  g_return_val_if_fail (self != NULL, 1);
  return self->choices != NULL && self->choices->len > 0 ? self->choices->len : 1;
}

/**
 * rw_chat_result_get_tool_calls:
 * @self: a #RwChatResult
 *
 * Returns: (transfer none) (element-type RwToolCall) (nullable): the first choice's tool calls,
 *   or %NULL when it made none
 */
GPtrArray *
rw_chat_result_get_tool_calls (RwChatResult *self)
{
  RwChatChoice *first = rw_chat_result_peek_choice (self, 0);

  return first != NULL && first->tool_calls->len > 0 ? first->tool_calls : NULL;
}

/**
 * rw_chat_result_apply_delta:
 * @self: a #RwChatResult
 * @delta: a streamed piece of the answer
 *
 * Adds @delta to the answer: choice 0's text to @text, the rest to its choice.
 *
 * Returns: %TRUE when the piece held anything
 */
gboolean
rw_chat_result_apply_delta (RwChatResult      *self,
                            const RwChatDelta *delta)
{
  gboolean text = delta->text != NULL && *delta->text != '\0';
  gboolean other = (delta->refusal != NULL && *delta->refusal != '\0') ||
                   delta->tool_call >= 0 || (delta->logprobs != NULL && *delta->logprobs != '\0');
  RwChatChoice *choice;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!text && !other)
    return FALSE;
  if (delta->choice == 0 && !other)
    {
      g_string_append (self->text, delta->text);
      return TRUE;
    }
  if ((choice = rw_chat_result_get_choice (self, delta->choice)) == NULL)
    return FALSE;
  if (text)
    g_string_append (delta->choice == 0 ? self->text : choice->text, delta->text);
  rw_chat_choice_apply (choice, delta);
  return TRUE;
}

/**
 * rw_chat_result_dup_tool_calls_json:
 * @self: a #RwChatResult
 *
 * Returns: (transfer full) (nullable): the first choice's tool calls as OpenAI's
 *   message.tool_calls writes them, or %NULL when it made none
 */
char *
rw_chat_result_dup_tool_calls_json (RwChatResult *self)
{
  GPtrArray *calls = rw_chat_result_get_tool_calls (self);
  GString *json;

  if (calls == NULL)
    return NULL;
  json = g_string_new ("[");
  for (guint i = 0; i < calls->len; i++)
    {
      if (i > 0)
        g_string_append_c (json, ',');
      rw_tool_call_append_json (calls->pdata[i], -1, json);
    }
  g_string_append_c (json, ']');
  return g_string_free (json, FALSE);
}

/**
 * rw_chat_result_set_tool_calls_json:
 * @self: a #RwChatResult without tool calls
 * @json: (nullable): tool calls as rw_chat_result_dup_tool_calls_json() writes them
 *
 * Gives the first choice the tool calls @json holds: a stored answer's, reused.
 *
 * Returns: %FALSE when @json is not such an array
 */
gboolean
rw_chat_result_set_tool_calls_json (RwChatResult *self,
                                    const char   *json)
{
  g_autoptr(JsonNode) node = NULL;
  JsonArray *calls;

  if (json == NULL)
    return TRUE;
  node = rw_json_parse (json, strlen (json), NULL);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  calls = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *call = rw_json_array_get_object (calls, i);
      JsonObject *fn = call ? rw_json_object_get_object (call, "function") : NULL;

      if (fn == NULL)
        return FALSE;
      rw_chat_choice_add_tool_call (rw_chat_result_get_choice (self, 0),
                                    rw_json_object_get_string (call, "id", NULL),
                                    rw_json_object_get_string (fn, "name", NULL),
                                    rw_json_object_get_string (fn, "arguments", NULL));
    }
  return TRUE;
}

static void
chat_result_set_number_or_null (JsonBuilder *b,
                                const char  *name,
                                double       value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value) && value >= 0)
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

/**
 * rw_chat_result_to_json:
 * @self: a #RwChatResult
 *
 * Returns: (transfer full): the result as a JSON object with its metrics and its error
 */
JsonNode *
rw_chat_result_to_json (RwChatResult *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, self->model_id);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, self->error == NULL);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, self->text->str);
  if (rw_chat_result_get_tool_calls (self) != NULL)
    {
      g_autofree char *json = rw_chat_result_dup_tool_calls_json (self);

      json_builder_set_member_name (b, "tool_calls");
      json_builder_add_value (b, rw_json_parse (json, strlen (json), NULL));
    }
  json_builder_set_member_name (b, "finish_reason");
  if (self->finish_reason)
    json_builder_add_string_value (b, self->finish_reason);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "tokens_in");
  if (self->tokens_in >= 0)
    json_builder_add_int_value (b, self->tokens_in);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "tokens_out");
  if (self->tokens_out >= 0)
    json_builder_add_int_value (b, self->tokens_out);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "usage_estimated");
  json_builder_add_boolean_value (b, self->usage_estimated);
  chat_result_set_number_or_null (b, "cost_usd", self->cost_usd);
  chat_result_set_number_or_null (b, "ttft_ms", self->ttft_ms);
  chat_result_set_number_or_null (b, "latency_ms", self->latency_ms);
  chat_result_set_number_or_null (b, "tokens_per_second", rw_chat_result_tokens_per_second (self));
  json_builder_set_member_name (b, "http_status");
  if (self->http_status)
    json_builder_add_int_value (b, self->http_status);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "error");
  if (self->error)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, rw_error_get_kind (self->error));
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, self->error->message);
      if (self->retry_after_ms >= 0)
        {
          json_builder_set_member_name (b, "retry_after_ms");
          json_builder_add_int_value (b, self->retry_after_ms);
        }
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}
