/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-anthropic-provider.h"
#include "rw-error.h"
#include "rw-chat-request-private.h"
#include "rw-chat-translate-private.h"
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

/* The tool a response_format becomes: Anthropic answers in a schema through a tool's input. */
#define JSON_TOOL "json_response"

typedef struct
{
  RwProviderCall *call;
  guint stopped : 1;     /* message_stop, or a whole reply */
  guint saw_reason : 1;
  guint json_tool : 1;   /* the request's response_format went as JSON_TOOL */
  GArray *block_tool;    /* content block index -> tool call index, -1 for text, -2 JSON text */
  int n_tools;
} State;

static void
anthropic_state_free (State *state)
{
  g_clear_pointer (&state->block_tool, g_array_unref);
  g_free (state);
}

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
  /* The answer in a schema came as a call of our tool: to the caller it is a plain answer. */
  if (state->json_tool && g_strcmp0 (stop_reason, "tool_use") == 0)
    stop_reason = "end_turn";
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

/* The kind of a content block: a tool call's index, -1 for text, -2 for the answer in a schema. */
static int
anthropic_block_kind (State *state,
                      gint64 block)
{
  if (state->block_tool == NULL || block < 0 || block >= state->block_tool->len)
    return -1;
  return g_array_index (state->block_tool, int, block);
}

/* A tool_use block begins: a tool call, or the answer in the request's schema. */
static void
anthropic_tool_use (State      *state,
                    gint64      block,
                    const char *id,
                    const char *name,
                    const char *input)
{
  RwChatDelta delta = RW_CHAT_DELTA_INIT;
  int kind;

  if (block < 0 || block > 1024)
    return;
  if (state->block_tool == NULL)
    state->block_tool = g_array_new (FALSE, FALSE, sizeof (int));
  kind = state->json_tool && g_strcmp0 (name, JSON_TOOL) == 0 ? -2 : state->n_tools++;
  while (state->block_tool->len <= block)
    {
      int text = -1;
      g_array_append_val (state->block_tool, text);
    }
  g_array_index (state->block_tool, int, block) = kind;
  if (kind == -2)
    {
      rw_provider_call_emit_delta (state->call, input, -1);
      return;
    }
  delta.tool_call = kind;
  delta.tool_call_id = id;
  delta.tool_name = name;
  delta.tool_arguments = input ? input : "";
  rw_provider_call_emit (state->call, &delta);
}

/* More of a tool_use block's input, as JSON text. */
static void
anthropic_tool_input (State      *state,
                      gint64      block,
                      const char *piece)
{
  RwChatDelta delta = RW_CHAT_DELTA_INIT;
  int kind = anthropic_block_kind (state, block);

  if (kind == -2)
    rw_provider_call_emit_delta (state->call, piece, -1);
  else if (kind >= 0)
    {
      delta.tool_call = kind;
      delta.tool_arguments = piece;
      rw_provider_call_emit (state->call, &delta);
    }
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
  else if (g_strcmp0 (type, "content_block_start") == 0)
    {
      JsonObject *block = rw_json_object_get_object (obj, "content_block");

      if (block != NULL && g_strcmp0 (rw_json_object_get_string (block, "type", NULL),
                                      "tool_use") == 0)
        anthropic_tool_use (state, rw_json_object_get_int (obj, "index", -1),
                            rw_json_object_get_string (block, "id", NULL),
                            rw_json_object_get_string (block, "name", NULL), NULL);
    }
  else if (g_strcmp0 (type, "content_block_delta") == 0)
    {
      JsonObject *delta = rw_json_object_get_object (obj, "delta");
      const char *piece;

      if (delta != NULL && _rw_json_string_member (delta, "text", &piece))
        rw_provider_call_emit_delta (state->call, piece, -1);
      else if (delta != NULL && _rw_json_string_member (delta, "partial_json", &piece))
        anthropic_tool_input (state, rw_json_object_get_int (obj, "index", -1), piece);
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
      JsonObject *o;

      if (!JSON_NODE_HOLDS_OBJECT (block))
        continue;
      o = json_node_get_object (block);
      if (g_strcmp0 (rw_json_object_get_string (o, "type", NULL), "tool_use") == 0)
        {
          JsonNode *input = json_object_get_member (o, "input");
          g_autofree char *args = input ? rw_json_to_string (input, FALSE) : g_strdup ("{}");

          anthropic_tool_use (state, i, rw_json_object_get_string (o, "id", NULL),
                              rw_json_object_get_string (o, "name", NULL), args);
        }
      else if (_rw_json_string_member (o, "text", &piece))
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

/* ------------------------------------------------------------------------ the request */

#define ANTHROPIC_REFUSE(error, ...) _rw_translate_refuse (error, "anthropic", __VA_ARGS__)

static JsonObject *
anthropic_text_block (const char *text)
{
  JsonObject *block = json_object_new ();

  json_object_set_string_member (block, "type", "text");
  json_object_set_string_member (block, "text", text);
  return block;
}

/* A user's content part: text, or an image (a data: URL inline, any other by its URL). */
static gboolean
anthropic_add_part (JsonArray   *blocks,
                    JsonObject  *part,
                    guint        m,
                    guint        p,
                    GError     **error)
{
  const char *type = rw_json_object_get_string (part, "type", "");
  JsonObject *block, *source;
  const char *url;
  g_autofree char *media = NULL, *data = NULL;

  if (g_str_equal (type, "text"))
    {
      json_array_add_object_element (blocks,
                                     anthropic_text_block (rw_json_object_get_string (part, "text",
                                                                                      "")));
      return TRUE;
    }
  url = rw_json_object_get_string (rw_json_object_get_object (part, "image_url")
                                   ? rw_json_object_get_object (part, "image_url") : part,
                                   "url", NULL);
  if (!g_str_equal (type, "image_url") || url == NULL)
    return ANTHROPIC_REFUSE (error, "messages[%u].content[%u] (%s)", m, p, type);
  block = json_object_new ();
  source = json_object_new ();
  json_object_set_string_member (block, "type", "image");
  if (_rw_data_url_split (url, &media, &data))
    {
      json_object_set_string_member (source, "type", "base64");
      json_object_set_string_member (source, "media_type", media);
      json_object_set_string_member (source, "data", data);
    }
  else
    {
      json_object_set_string_member (source, "type", "url");
      json_object_set_string_member (source, "url", url);
    }
  json_object_set_object_member (block, "source", source);
  json_array_add_object_element (blocks, block);
  return TRUE;
}

/* The messages as Anthropic's turns, the system and developer messages apart. */
static gboolean
anthropic_write_messages (JsonBuilder   *b,
                          RwChatRequest *request,
                          GError       **error)
{
  g_autoptr(JsonArray) messages = _rw_chat_request_dup_messages (request);
  g_autoptr(JsonArray) turns = json_array_new ();
  g_autoptr(GString) system = NULL;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = rw_json_array_get_object (messages, i);
      const char *role = rw_json_object_get_string (m, "role", "user");
      g_autoptr(JsonArray) blocks = json_array_new ();
      g_autofree char *text = _rw_chat_message_text (m);
      JsonArray *parts = rw_json_object_get_array (m, "content");
      JsonArray *calls = rw_json_object_get_array (m, "tool_calls");

      if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
        {
          _rw_translate_add_system (&system, text);
          continue;
        }
      if (g_str_equal (role, "tool"))
        {
          JsonObject *result = json_object_new ();

          json_object_set_string_member (result, "type", "tool_result");
          json_object_set_string_member (result, "tool_use_id",
                                         rw_json_object_get_string (m, "tool_call_id", ""));
          json_object_set_string_member (result, "content", text);
          json_array_add_object_element (blocks, result);
          _rw_translate_add_turn (turns, "user", "content", blocks);
          continue;
        }
      if (parts != NULL && !g_str_equal (role, "assistant"))
        {
          for (guint j = 0; j < json_array_get_length (parts); j++)
            if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (parts, j)) ||
                !anthropic_add_part (blocks, rw_json_array_get_object (parts, j), i, j, error))
              return error == NULL || *error != NULL ? FALSE
                     : ANTHROPIC_REFUSE (error, "messages[%u].content[%u]", i, j);
        }
      else if (*text != '\0')
        json_array_add_object_element (blocks, anthropic_text_block (text));
      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        {
          JsonObject *call = rw_json_array_get_object (calls, j);
          const char *name = NULL;
          g_autoptr(JsonNode) input = _rw_translate_tool_input (call, &name);
          JsonObject *use;

          if (input == NULL)
            return ANTHROPIC_REFUSE (error, "messages[%u].tool_calls[%u], whose arguments are "
                                     "not a JSON object", i, j);
          use = json_object_new ();
          json_object_set_string_member (use, "type", "tool_use");
          json_object_set_string_member (use, "id", rw_json_object_get_string (call, "id", ""));
          json_object_set_string_member (use, "name", name);
          json_object_set_member (use, "input", g_steal_pointer (&input));
          json_array_add_object_element (blocks, use);
        }
      _rw_translate_add_turn (turns, g_str_equal (role, "assistant") ? "assistant" : "user",
                              "content", blocks);
    }

  /* A turn of one text is written as a string, as it always was. */
  for (guint i = 0; i < json_array_get_length (turns); i++)
    {
      JsonObject *turn = rw_json_array_get_object (turns, i);
      JsonArray *content = json_object_get_array_member (turn, "content");
      JsonObject *only = json_array_get_length (content) == 1
                         ? rw_json_array_get_object (content, 0) : NULL;

      if (only != NULL && g_str_equal (json_object_get_string_member (only, "type"), "text"))
        json_object_set_string_member (turn, "content",
                                       json_object_get_string_member (only, "text"));
    }
  if (system != NULL)
    {
      json_builder_set_member_name (b, "system");
      json_builder_add_string_value (b, system->str);
    }
  json_builder_set_member_name (b, "messages");
  json_builder_add_value (b, json_node_init_array (json_node_alloc (), turns));
  return TRUE;
}

/* OpenAI's tools, tool_choice and parallel_tool_calls, and response_format as a tool of its
 * own that the model must call. */
static gboolean
anthropic_write_tools (JsonBuilder  *b,
                       JsonObject   *extra,
                       gboolean     *json_tool,
                       GError      **error)
{
  JsonArray *tools = rw_json_object_get_array (extra, "tools");
  JsonNode *choice = json_object_get_member (extra, "tool_choice");
  JsonObject *format = rw_json_object_get_object (extra, "response_format");
  const char *format_type = format ? rw_json_object_get_string (format, "type", "text") : "text";
  gboolean parallel = rw_json_object_get_boolean (extra, "parallel_tool_calls", TRUE);
  g_autoptr(JsonArray) out = json_array_new ();
  g_autoptr(JsonObject) forced = NULL;

  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonObject *t = rw_json_array_get_object (tools, i);
      JsonObject *fn = t ? rw_json_object_get_object (t, "function") : NULL;
      JsonObject *tool;

      if (fn == NULL || g_strcmp0 (rw_json_object_get_string (t, "type", NULL), "function") != 0)
        return ANTHROPIC_REFUSE (error, "tools[%u], which is not a function", i);
      tool = json_object_new ();
      json_object_set_string_member (tool, "name", rw_json_object_get_string (fn, "name", ""));
      if (rw_json_object_get_string (fn, "description", NULL) != NULL)
        json_object_set_string_member (tool, "description",
                                       rw_json_object_get_string (fn, "description", NULL));
      if (json_object_has_member (fn, "parameters"))
        json_object_set_member (tool, "input_schema",
                                json_node_copy (json_object_get_member (fn, "parameters")));
      else
        json_object_set_object_member (tool, "input_schema", json_object_new ());
      json_array_add_object_element (out, tool);
    }

  if (!g_str_equal (format_type, "text"))
    {
      JsonObject *schema_of = rw_json_object_get_object (format, "json_schema");
      JsonObject *tool = json_object_new ();

      if (tools != NULL && json_array_get_length (tools) > 0)
        return ANTHROPIC_REFUSE (error, "“response_format” together with “tools”");
      if (!g_str_equal (format_type, "json_schema") && !g_str_equal (format_type, "json_object"))
        return ANTHROPIC_REFUSE (error, "a response_format of type “%s”", format_type);
      json_object_set_string_member (tool, "name", JSON_TOOL);
      json_object_set_string_member (tool, "description", "Give the answer as this tool's input.");
      if (schema_of != NULL && json_object_has_member (schema_of, "schema"))
        json_object_set_member (tool, "input_schema",
                                json_node_copy (json_object_get_member (schema_of, "schema")));
      else
        {
          JsonObject *any = json_object_new ();
          json_object_set_string_member (any, "type", "object");
          json_object_set_object_member (tool, "input_schema", any);
        }
      json_array_add_object_element (out, tool);
      forced = json_object_new ();
      json_object_set_string_member (forced, "type", "tool");
      json_object_set_string_member (forced, "name", JSON_TOOL);
      *json_tool = TRUE;
    }
  else if (choice != NULL && !json_node_is_null (choice))
    {
      const char *word = JSON_NODE_HOLDS_VALUE (choice) ? json_node_get_string (choice) : NULL;
      JsonObject *named = JSON_NODE_HOLDS_OBJECT (choice) ? json_node_get_object (choice) : NULL;
      JsonObject *fn = named ? rw_json_object_get_object (named, "function") : NULL;

      forced = json_object_new ();
      if (g_strcmp0 (word, "auto") == 0 || g_strcmp0 (word, "none") == 0)
        json_object_set_string_member (forced, "type", word);
      else if (g_strcmp0 (word, "required") == 0)
        json_object_set_string_member (forced, "type", "any");
      else if (fn != NULL && rw_json_object_get_string (fn, "name", NULL) != NULL)
        {
          json_object_set_string_member (forced, "type", "tool");
          json_object_set_string_member (forced, "name",
                                         rw_json_object_get_string (fn, "name", ""));
        }
      else
        return ANTHROPIC_REFUSE (error, "this “tool_choice”");
    }
  if (!parallel && json_array_get_length (out) > 0)
    {
      if (forced == NULL)
        {
          forced = json_object_new ();
          json_object_set_string_member (forced, "type", "auto");
        }
      json_object_set_boolean_member (forced, "disable_parallel_tool_use", TRUE);
    }
  if (json_array_get_length (out) > 0)
    {
      json_builder_set_member_name (b, "tools");
      json_builder_add_value (b, json_node_init_array (json_node_alloc (), out));
    }
  if (forced != NULL)
    {
      json_builder_set_member_name (b, "tool_choice");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), forced));
    }
  return TRUE;
}

/* Everything of the request but the model, the token limit, stream and temperature. */
static gboolean
anthropic_write_request (JsonBuilder   *b,
                         RwChatRequest *request,
                         gboolean      *json_tool,
                         GError       **error)
{
  g_autoptr(JsonObject) extra = rw_chat_request_dup_extra_object (request);
  *json_tool = FALSE;
  if (!anthropic_write_messages (b, request, error))
    return FALSE;
  if (extra == NULL)
    return TRUE;
  if (!anthropic_write_tools (b, extra, json_tool, error))
    return FALSE;
  _rw_translate_add_list (b, "stop_sequences", json_object_get_member (extra, "stop"));
  _rw_translate_copy (b, extra, "top_p", "top_p");
  if (rw_json_object_get_string (extra, "user", NULL) != NULL)
    {
      json_builder_set_member_name (b, "metadata");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "user_id");
      json_builder_add_string_value (b, rw_json_object_get_string (extra, "user", NULL));
      json_builder_end_object (b);
    }
  return TRUE;
}

static gboolean
anthropic_translate (JsonBuilder   *b,
                     RwChatRequest *request,
                     GError       **error)
{
  gboolean json_tool;

  return anthropic_write_request (b, request, &json_tool, error);
}

/* The request translates, or what does not is named. */
static gboolean
rw_anthropic_provider_check_request (RwProvider     *provider,
                                     RwModel        *model,
                                     RwChatRequest  *request,
                                     GError        **error)
{
  return _rw_translate_check (model, request, anthropic_translate, error);
}

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
  gboolean json_tool = FALSE;
  State *state = g_new0 (State, 1);

  g_task_set_source_tag (task, rw_anthropic_provider_chat_async);
  state->call = call;
  g_task_set_task_data (task, state, (GDestroyNotify) anthropic_state_free);
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
  if (!anthropic_write_request (b, request, &json_tool, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  state->json_tool = json_tool;
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
  _rw_provider_send (call, g_steal_pointer (&req), RW_HTTP_SSE,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* Whether the model list's entry says a capability is supported:
 * "capabilities": {"image_input": {"supported": true}, ...}. */
static void
anthropic_listed_capability (JsonObject          *caps,
                             const char          *name,
                             RwModelCapabilities  which,
                             RwModelCapabilities *known,
                             RwModelCapabilities *has)
{
  JsonObject *cap = rw_json_object_get_object (caps, name);

  if (cap == NULL)
    return;
  *known |= which;
  if (rw_json_object_get_boolean (cap, "supported", FALSE))
    *has |= which;
}

/* What an entry of GET /v1/models says of its model: {"id", "display_name", "capabilities",
 * "max_input_tokens"}. */
static gboolean
anthropic_describe_model (RwModel    *model,
                          JsonObject *entry)
{
  JsonObject *caps = rw_json_object_get_object (entry, "capabilities");
  RwModelCapabilities known = 0, has = 0;

  if (rw_json_object_get_string (entry, "display_name", NULL) != NULL)
    rw_model_set_display_name (model, rw_json_object_get_string (entry, "display_name", NULL));
  if (caps != NULL)
    {
      anthropic_listed_capability (caps, "image_input", RW_MODEL_CAN_IMAGES, &known, &has);
      anthropic_listed_capability (caps, "structured_outputs", RW_MODEL_CAN_JSON_SCHEMA, &known,
                                   &has);
      anthropic_listed_capability (caps, "thinking", RW_MODEL_CAN_REASONING, &known, &has);
      rw_model_set_capabilities (model, known, has);
    }
  if (rw_json_object_get_int (entry, "max_input_tokens", 0) > 0)
    rw_model_set_context_length (model, rw_json_object_get_int (entry, "max_input_tokens", 0));
  return TRUE;
}

/* GET /v1/models: {"data": [...], "has_more"}, one page of up to 1,000 (the most it gives). */
static const RwModelListing anthropic_listing = {
  .path = "/models?limit=1000", .member = "data", .id_member = "id",
  .describe = anthropic_describe_model,
};

/* What of a request this protocol translates: its extra fields, message members and content
 * parts; anything else is refused. */
static const char * const anthropic_fields[] = { "tools", "tool_choice", "parallel_tool_calls",
                                                 "response_format", "stop", "top_p", "user",
                                                 NULL };
static const char * const anthropic_members[] = { "tool_calls", "tool_call_id", NULL };
static const char * const anthropic_parts[] = { "text", "image_url", NULL };

/* The version of the API this speaks, on every request. */
static const char * const anthropic_headers[] = { "anthropic-version", ANTHROPIC_VERSION, NULL };

static void
rw_anthropic_provider_class_init (RwAnthropicProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "anthropic";
  provider_class->carried_fields = anthropic_fields;
  provider_class->carried_members = anthropic_members;
  provider_class->carried_parts = anthropic_parts;
  provider_class->needs_base_url = TRUE;
  provider_class->takes_api_key = TRUE;
  provider_class->check_request = rw_anthropic_provider_check_request;
  provider_class->chat_async = rw_anthropic_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
  provider_class->listing = &anthropic_listing;
  provider_class->key_header = "x-api-key";
  provider_class->protocol_headers = anthropic_headers;
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
