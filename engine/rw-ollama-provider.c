/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-chat-request-private.h"
#include "rw-chat-translate-private.h"
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
  int n_calls;
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
  /* Tool calls come whole, with their arguments as an object and no id: one is made. */
  if (message != NULL && JSON_NODE_HOLDS_OBJECT (message))
    {
      JsonArray *calls = rw_json_object_get_array (json_node_get_object (message), "tool_calls");

      for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
        {
          JsonObject *call = rw_json_array_get_object (calls, i);
          JsonObject *fn = call ? rw_json_object_get_object (call, "function") : NULL;
          JsonNode *args = fn ? json_object_get_member (fn, "arguments") : NULL;
          g_autofree char *json = NULL, *id = NULL;
          RwChatDelta delta = RW_CHAT_DELTA_INIT;

          if (fn == NULL)
            continue;
          json = args == NULL ? g_strdup ("{}")
                 : JSON_NODE_HOLDS_VALUE (args) && json_node_get_value_type (args) == G_TYPE_STRING
                 ? g_strdup (json_node_get_string (args)) : rw_json_to_string (args, FALSE);
          id = g_strdup_printf ("call_%d_%08x", state->n_calls, g_random_int ());
          delta.tool_call = state->n_calls++;
          delta.tool_call_id = id;
          delta.tool_name = rw_json_object_get_string (fn, "name", "");
          delta.tool_arguments = json;
          rw_provider_call_emit (state->call, &delta);
        }
    }

  if (rw_json_object_get_boolean (obj, "done", FALSE))
    {
      state->done = TRUE;
      g_free (result->finish_reason);
      result->finish_reason = g_strdup (_rw_json_string_member (obj, "done_reason", &reason) &&
                                        g_str_equal (reason, "length") ? "length"
                                        : state->n_calls > 0 ? "tool_calls" : "stop");
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

/* ------------------------------------------------------------------------ the request */

#define OLLAMA_REFUSE(error, ...) _rw_translate_refuse (error, "ollama", __VA_ARGS__)

/* The messages as /api/chat takes them: text content, images as base64 beside it, tool calls
 * with their arguments as objects, a tool's answer as a "tool" message. */
static gboolean
ollama_write_messages (JsonBuilder   *b,
                       RwChatRequest *request,
                       GError       **error)
{
  g_autoptr(JsonArray) messages = _rw_chat_request_dup_messages (request);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = rw_json_array_get_object (messages, i);
      const char *role = rw_json_object_get_string (m, "role", "user");
      g_autofree char *text = _rw_chat_message_text (m);
      JsonArray *parts = rw_json_object_get_array (m, "content");
      JsonArray *calls = rw_json_object_get_array (m, "tool_calls");
      g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func (g_free);

      for (guint j = 0; parts != NULL && j < json_array_get_length (parts); j++)
        {
          JsonObject *p = rw_json_array_get_object (parts, j);
          const char *type = p ? rw_json_object_get_string (p, "type", "") : "";
          JsonObject *image = p ? rw_json_object_get_object (p, "image_url") : NULL;
          g_autofree char *media = NULL, *data = NULL;

          if (g_str_equal (type, "text"))
            continue;
          if (!g_str_equal (type, "image_url") || image == NULL ||
              !_rw_data_url_split (rw_json_object_get_string (image, "url", NULL), &media, &data))
            return OLLAMA_REFUSE (error, "messages[%u].content[%u] (%s%s)", i, j, type,
                                  g_str_equal (type, "image_url") ? " by URL: send it inline, as "
                                  "a data: URL" : "");
          g_ptr_array_add (images, g_steal_pointer (&data));
        }

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, g_str_equal (role, "developer") ? "system" : role);
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, text);
      if (g_str_equal (role, "tool"))
        {
          /* Ollama names the tool a result is from, not the call. */
          const char *id = rw_json_object_get_string (m, "tool_call_id", "");
          const char *name = g_hash_table_lookup (names, id);
          if (name != NULL)
            {
              json_builder_set_member_name (b, "tool_name");
              json_builder_add_string_value (b, name);
            }
        }
      if (images->len > 0)
        {
          json_builder_set_member_name (b, "images");
          json_builder_begin_array (b);
          for (guint j = 0; j < images->len; j++)
            json_builder_add_string_value (b, images->pdata[j]);
          json_builder_end_array (b);
        }
      if (calls != NULL && json_array_get_length (calls) > 0)
        {
          json_builder_set_member_name (b, "tool_calls");
          json_builder_begin_array (b);
          for (guint j = 0; j < json_array_get_length (calls); j++)
            {
              JsonObject *call = rw_json_array_get_object (calls, j);
              const char *name = NULL;
              g_autoptr(JsonNode) input = _rw_translate_tool_input (call, &name);

              if (input == NULL)
                return OLLAMA_REFUSE (error, "messages[%u].tool_calls[%u], whose arguments are "
                                      "not a JSON object", i, j);
              g_hash_table_insert (names, (char *) rw_json_object_get_string (call, "id", ""),
                                   (char *) name);
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "function");
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "name");
              json_builder_add_string_value (b, name);
              json_builder_set_member_name (b, "arguments");
              json_builder_add_value (b, g_steal_pointer (&input));
              json_builder_end_object (b);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return TRUE;
}

/* The messages, tools (in OpenAI's own form), format and options. */
static gboolean
ollama_write_request (JsonBuilder   *b,
                      RwChatRequest *request,
                      GError       **error)
{
  g_autoptr(JsonObject) extra = rw_chat_request_dup_extra_object (request);
  JsonObject *format = extra ? rw_json_object_get_object (extra, "response_format") : NULL;
  const char *format_type = format ? rw_json_object_get_string (format, "type", "text") : "text";
  JsonObject *schema_of = format ? rw_json_object_get_object (format, "json_schema") : NULL;
  JsonNode *stop = extra ? json_object_get_member (extra, "stop") : NULL;
  JsonNode *choice = extra ? json_object_get_member (extra, "tool_choice") : NULL;

  if (!ollama_write_messages (b, request, error))
    return FALSE;
  if (choice != NULL && !json_node_is_null (choice) &&
      !(JSON_NODE_HOLDS_VALUE (choice) && g_strcmp0 (json_node_get_string (choice), "auto") == 0))
    return OLLAMA_REFUSE (error, "a “tool_choice” other than auto");
  if (extra != NULL && !rw_json_object_get_boolean (extra, "parallel_tool_calls", TRUE))
    return OLLAMA_REFUSE (error, "“parallel_tool_calls”: false");
  _rw_translate_copy (b, extra, "tools", "tools");
  if (g_str_equal (format_type, "json_object"))
    {
      json_builder_set_member_name (b, "format");
      json_builder_add_string_value (b, "json");
    }
  else if (g_str_equal (format_type, "json_schema") && schema_of != NULL &&
           json_object_has_member (schema_of, "schema"))
    _rw_translate_copy (b, schema_of, "schema", "format");
  else if (!g_str_equal (format_type, "text"))
    return OLLAMA_REFUSE (error, "this “response_format”");

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
  _rw_translate_add_list (b, "stop", stop);
  _rw_translate_copy (b, extra, "top_p", "top_p");
  _rw_translate_copy (b, extra, "seed", "seed");
  _rw_translate_copy (b, extra, "presence_penalty", "presence_penalty");
  _rw_translate_copy (b, extra, "frequency_penalty", "frequency_penalty");
  json_builder_end_object (b);
  return TRUE;
}

static gboolean
rw_ollama_provider_check_request (RwProvider     *provider,
                                  RwModel        *model,
                                  RwChatRequest  *request,
                                  GError        **error)
{
  return _rw_translate_check (model, request, ollama_write_request, error);
}

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
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, request->stream);
  if (!ollama_write_request (b, request, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  json_builder_end_object (b);

  if ((req = _rw_http_new_json_post (url, b, request->stream, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _rw_provider_send (call, g_steal_pointer (&req), RW_HTTP_NDJSON,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* GET /api/tags: {"models": [{"name": "llama3.2:latest", ...}, ...]}, the models pulled. */
static const RwModelListing ollama_listing = {
  .path = "/api/tags", .member = "models", .id_member = "name",
};

/* What of a request this protocol translates: its extra fields, message members and content
 * parts; anything else is refused. */
static const char * const ollama_fields[] = { "tools", "tool_choice", "parallel_tool_calls",
                                              "response_format", "stop", "top_p", "seed",
                                              "presence_penalty", "frequency_penalty", NULL };
static const char * const ollama_members[] = { "tool_calls", "tool_call_id", NULL };
static const char * const ollama_parts[] = { "text", "image_url", NULL };

static void
rw_ollama_provider_class_init (RwOllamaProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "ollama";
  provider_class->carried_fields = ollama_fields;
  provider_class->carried_members = ollama_members;
  provider_class->carried_parts = ollama_parts;
  provider_class->needs_base_url = TRUE;
  provider_class->check_request = rw_ollama_provider_check_request;
  provider_class->chat_async = rw_ollama_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
  provider_class->listing = &ollama_listing;
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
