/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-http-private.h"
#include "rw-provider-private.h"
#include "rw-json.h"
#include "rw-ollama-provider.h"

/**
 * RwOllamaProvider:
 *
 * Ollama's native /api/chat, streamed as NDJSON: one JSON object per line, the last with
 * "done": true, the stop reason and the token counts.
 */
struct _RwOllamaProvider
{
  RwProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (RwOllamaProvider, rw_ollama_provider, RW_TYPE_PROVIDER)

typedef struct
{
  RwProviderCall *call;
  guint done : 1;
} State;

static gboolean
ollama_read_object (State       *state,
                    JsonObject  *obj,
                    const char  *text,
                    gsize        len,
                    GError     **error)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);
  JsonNode *message = json_object_get_member (obj, "message");
  const char *content, *reason;

  if (json_object_has_member (obj, "error"))
    {
      g_propagate_error (error, _rw_http_stream_error (text, len));
      return FALSE;
    }
  if (message != NULL && JSON_NODE_HOLDS_OBJECT (message) &&
      _rw_json_string_member (json_node_get_object (message), "content", &content))
    rw_provider_call_emit_delta (state->call, content, -1);

  if (rw_json_object_get_boolean (obj, "done", FALSE))
    {
      state->done = TRUE;
      g_free (result->finish_reason);
      result->finish_reason = g_strdup (_rw_json_string_member (obj, "done_reason", &reason) &&
                                        g_str_equal (reason, "length") ? "length" : "stop");
      if (json_object_has_member (obj, "prompt_eval_count"))
        result->tokens_in = rw_json_object_get_int (obj, "prompt_eval_count", -1);
      if (json_object_has_member (obj, "eval_count"))
        result->tokens_out = rw_json_object_get_int (obj, "eval_count", -1);
      if (result->tokens_in >= 0 && result->tokens_out >= 0)
        result->usage_estimated = FALSE;
    }
  return TRUE;
}

static gboolean
ollama_on_event (gpointer     data,
                 const char  *event,
                 const char  *text,
                 gsize        len,
                 GError     **error)
{
  g_autoptr(JsonObject) obj = _rw_json_parse_object (text, len, "stream", error);

  return obj != NULL && ollama_read_object (data, obj, text, len, error);
}

static gboolean
ollama_on_body (gpointer     data,
                JsonObject  *root,
                const char  *text,
                gsize        len,
                GError     **error)
{
  State *state = data;

  if (!ollama_read_object (state, root, text, len, error))
    return FALSE;
  if (!state->done)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the reply is not done");
      return FALSE;
    }
  return TRUE;
}

static gboolean
ollama_is_done (gpointer data)
{
  return ((State *) data)->done;
}

static const RwHttpHandlers handlers = { ollama_on_event, ollama_on_body, ollama_is_done,
                                         ollama_is_done };

static void
rw_ollama_provider_chat_async (RwProvider          *provider,
                               RwProviderCall      *call,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  RwChatRequest *request = rw_provider_call_get_request (call);
  RwModel *model = rw_provider_call_get_model (call);
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(RwHttpRequest) req = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strconcat (rw_provider_get_base_url (provider), "/api/chat", NULL);
  State *state = g_new0 (State, 1);

  g_task_set_source_tag (task, rw_ollama_provider_chat_async);
  state->call = call;
  g_task_set_task_data (task, state, g_free);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, rw_model_get_upstream_name (model));
  json_builder_set_member_name (b, "messages");
  json_builder_add_value (b, rw_chat_request_messages_to_json (request));
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, request->stream);
  if (request->max_tokens > 0 || request->temperature >= 0)
    {
      json_builder_set_member_name (b, "options");
      json_builder_begin_object (b);
      if (request->max_tokens > 0)
        {
          json_builder_set_member_name (b, "num_predict");
          json_builder_add_int_value (b, request->max_tokens);
        }
      if (request->temperature >= 0)
        {
          json_builder_set_member_name (b, "temperature");
          json_builder_add_double_value (b, request->temperature);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  if ((req = _rw_http_new_json_post (url, b, request->stream, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _rw_provider_send (call, g_steal_pointer (&req), NULL, NULL, RW_HTTP_NDJSON,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* What of a request this protocol translates: its extra fields, message members and content
 * parts; anything else is refused. */
static const char * const ollama_fields[] = { NULL };
static const char * const ollama_members[] = { NULL };
static const char * const ollama_parts[] = { "text", NULL };

static void
rw_ollama_provider_class_init (RwOllamaProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "ollama";
  provider_class->carried_fields = ollama_fields;
  provider_class->carried_members = ollama_members;
  provider_class->carried_parts = ollama_parts;
  provider_class->needs_base_url = TRUE;
  provider_class->chat_async = rw_ollama_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
}

static void
rw_ollama_provider_init (RwOllamaProvider *self)
{
}

/**
 * rw_ollama_provider_new:
 * @id: the provider's id
 * @base_url: the server, such as `http://127.0.0.1:11434`
 *
 * Returns: (transfer full): a new provider
 */
RwProvider *
rw_ollama_provider_new (const char *id,
                        const char *base_url)
{
  return g_object_new (RW_TYPE_OLLAMA_PROVIDER, "id", id, "base-url", base_url, NULL);
}
