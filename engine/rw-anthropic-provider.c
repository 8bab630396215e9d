/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-anthropic-provider.h"
#include "rw-error.h"
#include "rw-chat-request-private.h"
#include "rw-http-private.h"
#include "rw-provider-private.h"
#include "rw-json.h"

/**
 * RwAnthropicProvider:
 *
 * Anthropic's Messages API: system messages go in "system", the usage comes from
 * message_start (input) and message_delta (output), text from content_block_delta events.
 */
struct _RwAnthropicProvider
{
  RwProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (RwAnthropicProvider, rw_anthropic_provider, RW_TYPE_PROVIDER)

#define ANTHROPIC_VERSION "2023-06-01"
/* Messages requires max_tokens; this is what a request without one may use. */
#define DEFAULT_MAX_TOKENS 4096

typedef struct
{
  RwProviderCall *call;
  guint stopped : 1;     /* message_stop, or a whole reply */
  guint saw_reason : 1;
} State;

static const char *
anthropic_finish_reason (const char *stop_reason)
{
  if (g_strcmp0 (stop_reason, "max_tokens") == 0)
    return "length";
  if (g_strcmp0 (stop_reason, "tool_use") == 0)
    return "tool_calls";
  if (g_strcmp0 (stop_reason, "refusal") == 0)
    return "content_filter";
  return "stop";
}

static void
anthropic_set_reason (State      *state,
                      const char *stop_reason)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);

  if (stop_reason == NULL)
    return;
  g_free (result->finish_reason);
  result->finish_reason = g_strdup (anthropic_finish_reason (stop_reason));
  state->saw_reason = TRUE;
}

static void
anthropic_read_usage (State      *state,
                      JsonObject *obj)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);
  JsonNode *node = json_object_get_member (obj, "usage");
  JsonObject *usage;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  usage = json_node_get_object (node);
  if (json_object_has_member (usage, "input_tokens"))
    result->tokens_in = rw_json_object_get_int (usage, "input_tokens", -1) +
                        rw_json_object_get_int (usage, "cache_read_input_tokens", 0) +
                        rw_json_object_get_int (usage, "cache_creation_input_tokens", 0);
  if (json_object_has_member (usage, "output_tokens"))
    result->tokens_out = rw_json_object_get_int (usage, "output_tokens", -1);
  result->usage_estimated = FALSE;
}

static gboolean
anthropic_on_event (gpointer     data,
                    const char  *event,
                    const char  *text,
                    gsize        len,
                    GError     **error)
{
  State *state = data;
  g_autoptr(JsonObject) obj = _rw_json_parse_object (text, len, "stream", error);
  const char *type = NULL;

  if (obj == NULL)
    return FALSE;
  _rw_json_string_member (obj, "type", &type);

  if (g_strcmp0 (type, "error") == 0 || g_strcmp0 (event, "error") == 0)
    {
      g_propagate_error (error, _rw_http_stream_error (text, len));
      return FALSE;
    }
  if (g_strcmp0 (type, "message_start") == 0)
    {
      JsonNode *message = json_object_get_member (obj, "message");
      if (message != NULL && JSON_NODE_HOLDS_OBJECT (message))
        anthropic_read_usage (state, json_node_get_object (message));
    }
  else if (g_strcmp0 (type, "content_block_delta") == 0)
    {
      JsonNode *delta = json_object_get_member (obj, "delta");
      const char *piece;

      if (delta != NULL && JSON_NODE_HOLDS_OBJECT (delta) &&
          _rw_json_string_member (json_node_get_object (delta), "text", &piece))
        rw_provider_call_emit_delta (state->call, piece, -1);
    }
  else if (g_strcmp0 (type, "message_delta") == 0)
    {
      JsonNode *delta = json_object_get_member (obj, "delta");
      const char *reason = NULL;

      if (delta != NULL && JSON_NODE_HOLDS_OBJECT (delta))
        _rw_json_string_member (json_node_get_object (delta), "stop_reason", &reason);
      anthropic_set_reason (state, reason);
      /* Output tokens here are the total so far; input stays from message_start. */
      {
        RwChatResult *result = rw_provider_call_get_result (state->call);
        gint64 in = result->tokens_in;
        anthropic_read_usage (state, obj);
        if (in >= 0)
          result->tokens_in = in;
      }
    }
  else if (g_strcmp0 (type, "message_stop") == 0)
    state->stopped = TRUE;
  return TRUE;
}

static gboolean
anthropic_on_body (gpointer     data,
                   JsonObject  *root,
                   const char  *text,
                   gsize        len,
                   GError     **error)
{
  State *state = data;
  JsonNode *content = json_object_get_member (root, "content");
  const char *reason = NULL;

  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the reply has no content");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
    {
      JsonNode *block = json_array_get_element (json_node_get_array (content), i);
      const char *piece;

      if (JSON_NODE_HOLDS_OBJECT (block) &&
          _rw_json_string_member (json_node_get_object (block), "text", &piece))
        rw_provider_call_emit_delta (state->call, piece, -1);
    }
  _rw_json_string_member (root, "stop_reason", &reason);
  anthropic_set_reason (state, reason ? reason : "end_turn");
  anthropic_read_usage (state, root);
  state->stopped = TRUE;
  return TRUE;
}

static gboolean
anthropic_is_complete (gpointer data)
{
  State *state = data;
  return state->stopped || state->saw_reason;
}

static gboolean
anthropic_is_ended (gpointer data)
{
  return ((State *) data)->stopped;
}

static const RwHttpHandlers handlers = { anthropic_on_event, anthropic_on_body,
                                         anthropic_is_complete, anthropic_is_ended };

static void
rw_anthropic_provider_chat_async (RwProvider          *provider,
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
  g_autofree char *url = g_strconcat (rw_provider_get_base_url (provider), "/messages", NULL);
  g_autofree char *system = _rw_chat_request_join_system (request);
  State *state = g_new0 (State, 1);

  g_task_set_source_tag (task, rw_anthropic_provider_chat_async);
  state->call = call;
  g_task_set_task_data (task, state, g_free);
  if (!_rw_provider_call_check_key (call, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, rw_model_get_upstream_name (model));
  json_builder_set_member_name (b, "max_tokens");
  json_builder_add_int_value (b,
                              request->max_tokens > 0 ? request->max_tokens : DEFAULT_MAX_TOKENS);
  if (system != NULL)
    {
      json_builder_set_member_name (b, "system");
      json_builder_add_string_value (b, system);
    }
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < rw_chat_request_get_n_messages (request); i++)
    {
      const char *role = rw_chat_request_get_role (request, i);

      if (g_str_equal (role, "system"))
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, g_str_equal (role, "assistant") ? "assistant" : "user");
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, rw_chat_request_get_content (request, i));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, request->stream);
  if (request->temperature >= 0)
    {
      json_builder_set_member_name (b, "temperature");
      json_builder_add_double_value (b, MIN (request->temperature, 1.0));
    }
  json_builder_end_object (b);

  if ((req = _rw_http_new_json_post (url, b, request->stream, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _rw_http_request_set_header (req, "anthropic-version", ANTHROPIC_VERSION);

  _rw_provider_send (call, g_steal_pointer (&req), "x-api-key", NULL, RW_HTTP_SSE,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* The extra request fields this protocol translates; anything else is refused. */
static const char * const anthropic_fields[] = { NULL };

static void
rw_anthropic_provider_class_init (RwAnthropicProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "anthropic";
  provider_class->carried_fields = anthropic_fields;
  provider_class->needs_base_url = TRUE;
  provider_class->takes_api_key = TRUE;
  provider_class->chat_async = rw_anthropic_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
}

static void
rw_anthropic_provider_init (RwAnthropicProvider *self)
{
}

/**
 * rw_anthropic_provider_new:
 * @id: the provider's id
 * @base_url: the API's base URL, such as `https://api.anthropic.com/v1`
 * @api_key_env: (nullable): the environment variable that holds the key
 *
 * Returns: (transfer full): a new provider
 */
RwProvider *
rw_anthropic_provider_new (const char *id,
                           const char *base_url,
                           const char *api_key_env)
{
  return g_object_new (RW_TYPE_ANTHROPIC_PROVIDER, "id", id, "base-url", base_url,
                       "api-key-env", api_key_env, NULL);
}
