/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-gemini-provider.h"
#include "rw-chat-request-private.h"
#include "rw-http-private.h"
#include "rw-provider-private.h"
#include "rw-json.h"

/**
 * RwGeminiProvider:
 *
 * Google's Gemini API: generateContent, and streamGenerateContent with `alt=sse`. The
 * assistant's role is "model", system messages go in "systemInstruction", and each chunk
 * carries the usage so far in "usageMetadata".
 */
struct _RwGeminiProvider
{
  RwProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (RwGeminiProvider, rw_gemini_provider, RW_TYPE_PROVIDER)

typedef struct
{
  RwProviderCall *call;
  guint finished : 1;
} State;

static const char *
gemini_finish_reason (const char *reason)
{
  if (g_strcmp0 (reason, "MAX_TOKENS") == 0)
    return "length";
  if (g_strcmp0 (reason, "SAFETY") == 0 || g_strcmp0 (reason, "RECITATION") == 0 ||
      g_strcmp0 (reason, "BLOCKLIST") == 0 || g_strcmp0 (reason, "PROHIBITED_CONTENT") == 0)
    return "content_filter";
  return "stop";
}

/* One GenerateContentResponse: a whole reply, or one chunk of a stream. */
static gboolean
gemini_read_response (State       *state,
                      JsonObject  *obj,
                      GError     **error)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);
  JsonNode *candidates = json_object_get_member (obj, "candidates");
  JsonNode *usage = json_object_get_member (obj, "usageMetadata");

  if (candidates != NULL && JSON_NODE_HOLDS_ARRAY (candidates) &&
      json_array_get_length (json_node_get_array (candidates)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (candidates), 0);
      JsonObject *candidate = JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
      JsonNode *content = candidate ? json_object_get_member (candidate, "content") : NULL;
      JsonNode *parts = content && JSON_NODE_HOLDS_OBJECT (content) ?
        json_object_get_member (json_node_get_object (content), "parts") : NULL;
      const char *reason;

      for (guint i = 0; parts && JSON_NODE_HOLDS_ARRAY (parts) &&
                        i < json_array_get_length (json_node_get_array (parts)); i++)
        {
          JsonNode *part = json_array_get_element (json_node_get_array (parts), i);
          const char *text;

          if (JSON_NODE_HOLDS_OBJECT (part) &&
              _rw_json_string_member (json_node_get_object (part), "text", &text))
            rw_provider_call_emit_delta (state->call, text, -1);
        }
      if (_rw_json_string_member (candidate, "finishReason", &reason))
        {
          g_free (result->finish_reason);
          result->finish_reason = g_strdup (gemini_finish_reason (reason));
          state->finished = TRUE;
        }
    }
  else if (json_object_has_member (obj, "promptFeedback"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the prompt was blocked");
      return FALSE;
    }

  if (usage != NULL && JSON_NODE_HOLDS_OBJECT (usage))
    {
      JsonObject *u = json_node_get_object (usage);
      if (json_object_has_member (u, "promptTokenCount"))
        result->tokens_in = rw_json_object_get_int (u, "promptTokenCount", -1);
      if (json_object_has_member (u, "candidatesTokenCount"))
        result->tokens_out = rw_json_object_get_int (u, "candidatesTokenCount", -1) +
                             rw_json_object_get_int (u, "thoughtsTokenCount", 0);
      result->usage_estimated = FALSE;
    }
  return TRUE;
}

static gboolean
gemini_on_event (gpointer     data,
                 const char  *event,
                 const char  *text,
                 gsize        len,
                 GError     **error)
{
  State *state = data;
  g_autoptr(JsonObject) obj = _rw_json_parse_object (text, len, "stream", error);

  if (obj == NULL)
    return FALSE;
  if (json_object_has_member (obj, "error"))
    {
      g_propagate_error (error, _rw_http_stream_error (text, len));
      return FALSE;
    }
  return gemini_read_response (state, obj, error);
}

static gboolean
gemini_on_body (gpointer     data,
                JsonObject  *root,
                const char  *text,
                gsize        len,
                GError     **error)
{
  State *state = data;

  if (!gemini_read_response (state, root, error))
    return FALSE;
  state->finished = TRUE;
  return TRUE;
}

static gboolean
gemini_is_complete (gpointer data)
{
  return ((State *) data)->finished;
}

static const RwHttpHandlers handlers = { gemini_on_event, gemini_on_body, gemini_is_complete,
                                         NULL };

static void
rw_gemini_provider_chat_async (RwProvider          *provider,
                               RwProviderCall      *call,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  RwChatRequest *request = rw_provider_call_get_request (call);
  RwModel *model = rw_provider_call_get_model (call);
  const char *name = rw_model_get_upstream_name (model);
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(RwHttpRequest) req = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *system = _rw_chat_request_join_system (request);
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  State *state = g_new0 (State, 1);

  g_task_set_source_tag (task, rw_gemini_provider_chat_async);
  state->call = call;
  g_task_set_task_data (task, state, g_free);
  if (!_rw_provider_call_check_key (call, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_str_has_prefix (name, "models/"))
    name += strlen ("models/");
  escaped = g_uri_escape_string (name, "-._~", FALSE);
  url = g_strdup_printf ("%s/models/%s:%s", rw_provider_get_base_url (provider), escaped,
                         request->stream ? "streamGenerateContent?alt=sse" : "generateContent");

  json_builder_begin_object (b);
  if (system != NULL)
    {
      json_builder_set_member_name (b, "systemInstruction");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "parts");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, system);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "contents");
  json_builder_begin_array (b);
  for (guint i = 0; i < rw_chat_request_get_n_messages (request); i++)
    {
      const char *role = rw_chat_request_get_role (request, i);

      if (g_str_equal (role, "system"))
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, g_str_equal (role, "assistant") ? "model" : "user");
      json_builder_set_member_name (b, "parts");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, rw_chat_request_get_content (request, i));
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (request->max_tokens > 0 || request->temperature >= 0)
    {
      json_builder_set_member_name (b, "generationConfig");
      json_builder_begin_object (b);
      if (request->max_tokens > 0)
        {
          json_builder_set_member_name (b, "maxOutputTokens");
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

  _rw_provider_send (call, g_steal_pointer (&req), "x-goog-api-key", NULL, RW_HTTP_SSE,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* What of a request this protocol translates: its extra fields, message members and content
 * parts; anything else is refused. */
static const char * const gemini_fields[] = { NULL };
static const char * const gemini_members[] = { NULL };
static const char * const gemini_parts[] = { "text", NULL };

static void
rw_gemini_provider_class_init (RwGeminiProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "gemini";
  provider_class->carried_fields = gemini_fields;
  provider_class->carried_members = gemini_members;
  provider_class->carried_parts = gemini_parts;
  provider_class->needs_base_url = TRUE;
  provider_class->takes_api_key = TRUE;
  provider_class->chat_async = rw_gemini_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
}

static void
rw_gemini_provider_init (RwGeminiProvider *self)
{
}

/**
 * rw_gemini_provider_new:
 * @id: the provider's id
 * @base_url: the API's base URL, such as `https://generativelanguage.googleapis.com/v1beta`
 * @api_key_env: (nullable): the environment variable that holds the key
 *
 * Returns: (transfer full): a new provider
 */
RwProvider *
rw_gemini_provider_new (const char *id,
                        const char *base_url,
                        const char *api_key_env)
{
  return g_object_new (RW_TYPE_GEMINI_PROVIDER, "id", id, "base-url", base_url,
                       "api-key-env", api_key_env, NULL);
}
