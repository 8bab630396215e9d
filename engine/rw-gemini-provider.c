/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-gemini-provider.h"
#include "rw-chat-request-private.h"
#include "rw-chat-translate-private.h"
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

#define MAX_CANDIDATES 8

typedef struct
{
  RwProviderCall *call;
  guint finished : 1;
  int n_calls[MAX_CANDIDATES];  /* function calls so far, per candidate */
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

/* One candidate of a response: its text and function calls, as pieces of choice @index. */
static void
gemini_read_candidate (State      *state,
                       JsonObject *candidate,
                       guint       index)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);
  JsonObject *content = rw_json_object_get_object (candidate, "content");
  JsonArray *parts = content ? rw_json_object_get_array (content, "parts") : NULL;
  const char *reason;

  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *call = part ? rw_json_object_get_object (part, "functionCall") : NULL;
      RwChatDelta delta = RW_CHAT_DELTA_INIT;
      const char *text;

      delta.choice = index;
      if (part != NULL && rw_json_object_get_boolean (part, "thought", FALSE))
        continue;
      if (call != NULL)
        {
          JsonNode *args = json_object_get_member (call, "args");
          g_autofree char *json = args ? rw_json_to_string (args, FALSE) : g_strdup ("{}");
          g_autofree char *id = NULL;

          /* Gemini names no call; the caller's answer names it by this id. */
          id = rw_json_object_get_string (call, "id", NULL)
               ? g_strdup (rw_json_object_get_string (call, "id", NULL))
               : g_strdup_printf ("call_%u_%d_%08x", index, state->n_calls[index],
                                  g_random_int ());
          delta.tool_call = state->n_calls[index]++;
          delta.tool_call_id = id;
          delta.tool_name = rw_json_object_get_string (call, "name", "");
          delta.tool_arguments = json;
          rw_provider_call_emit (state->call, &delta);
        }
      else if (part != NULL && _rw_json_string_member (part, "text", &text))
        {
          delta.text = text;
          rw_provider_call_emit (state->call, &delta);
        }
    }
  if (_rw_json_string_member (candidate, "finishReason", &reason))
    {
      const char *finish = state->n_calls[index] > 0 && g_str_equal (reason, "STOP")
                           ? "tool_calls" : gemini_finish_reason (reason);
      RwChatChoice *choice = index > 0 ? rw_chat_result_get_choice (result, index) : NULL;
      char **slot = index == 0 ? &result->finish_reason : choice ? &choice->finish_reason : NULL;

      if (slot != NULL)
        {
          g_free (*slot);
          *slot = g_strdup (finish);
        }
      if (index == 0)
        state->finished = TRUE;
    }
}

/* One GenerateContentResponse: a whole reply, or one chunk of a stream. */
static gboolean
gemini_read_response (State       *state,
                      JsonObject  *obj,
                      GError     **error)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);
  JsonArray *candidates = rw_json_object_get_array (obj, "candidates");
  JsonNode *usage = json_object_get_member (obj, "usageMetadata");

  if (candidates != NULL && json_array_get_length (candidates) > 0)
    {
      for (guint i = 0; i < json_array_get_length (candidates); i++)
        {
          JsonNode *node = json_array_get_element (candidates, i);
          JsonObject *candidate = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                                : NULL;
          gint64 index = candidate ? rw_json_object_get_int (candidate, "index", i) : -1;

          if (candidate != NULL && index >= 0 && index < MAX_CANDIDATES)
            gemini_read_candidate (state, candidate, (guint) index);
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

/* ------------------------------------------------------------------------ the request */

#define GEMINI_REFUSE(error, ...) _rw_translate_refuse (error, "gemini", __VA_ARGS__)

/* A JSON schema as Gemini's Schema takes it: without the keywords it refuses. */
static JsonNode *
gemini_schema (JsonNode *schema)
{
  JsonNode *copy;

  if (JSON_NODE_HOLDS_ARRAY (schema))
    {
      JsonArray *a = json_node_get_array (schema);
      g_autoptr(JsonArray) clean = json_array_new ();

      for (guint i = 0; i < json_array_get_length (a); i++)
        json_array_add_element (clean, gemini_schema (json_array_get_element (a, i)));
      return json_node_init_array (json_node_alloc (), clean);
    }
  copy = json_node_copy (schema);
  if (JSON_NODE_HOLDS_OBJECT (copy))
    {
      /* A copy shares its object: make one of its own before changing it. */
      JsonObject *from = json_node_get_object (copy);
      g_autoptr(JsonObject) o = json_object_new ();
      g_autoptr(GList) names = json_object_get_members (from);

      for (GList *l = names; l != NULL; l = l->next)
        if (!g_str_equal (l->data, "additionalProperties") && !g_str_equal (l->data, "$schema") &&
            !g_str_equal (l->data, "strict"))
          json_object_set_member (o, l->data, gemini_schema (json_object_get_member (from,
                                                                                     l->data)));
      json_node_unref (copy);
      return json_node_init_object (json_node_alloc (), o);
    }
  return copy;
}

static JsonObject *
gemini_text_part (const char *text)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "text", text);
  return part;
}

/* The messages as Gemini's contents, the system and developer messages apart. */
static gboolean
gemini_write_contents (JsonBuilder   *b,
                       RwChatRequest *request,
                       GError       **error)
{
  g_autoptr(JsonArray) messages = _rw_chat_request_dup_messages (request);
  g_autoptr(JsonArray) turns = json_array_new ();
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) system = NULL;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = rw_json_array_get_object (messages, i);
      const char *role = rw_json_object_get_string (m, "role", "user");
      g_autoptr(JsonArray) parts = json_array_new ();
      g_autofree char *text = _rw_chat_message_text (m);
      JsonArray *content = rw_json_object_get_array (m, "content");
      JsonArray *calls = rw_json_object_get_array (m, "tool_calls");

      if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
        {
          _rw_translate_add_system (&system, text);
          continue;
        }
      if (g_str_equal (role, "tool"))
        {
          const char *id = rw_json_object_get_string (m, "tool_call_id", "");
          const char *name = g_hash_table_lookup (names, id);
          JsonObject *answer = json_object_new (), *response = json_object_new ();
          JsonObject *part = json_object_new ();

          if (name == NULL)
            {
              json_object_unref (answer);
              json_object_unref (response);
              json_object_unref (part);
              return GEMINI_REFUSE (error, "messages[%u], the answer to a call no earlier "
                                    "message made (“%s”)", i, id);
            }
          json_object_set_string_member (response, "content", text);
          json_object_set_string_member (answer, "name", name);
          json_object_set_object_member (answer, "response", response);
          json_object_set_object_member (part, "functionResponse", answer);
          json_array_add_object_element (parts, part);
          _rw_translate_add_turn (turns, "user", "parts", parts);
          continue;
        }
      if (content != NULL && !g_str_equal (role, "assistant"))
        for (guint j = 0; j < json_array_get_length (content); j++)
          {
            JsonObject *p = rw_json_array_get_object (content, j);
            const char *type = p ? rw_json_object_get_string (p, "type", "") : "";
            JsonObject *image = p ? rw_json_object_get_object (p, "image_url") : NULL;
            g_autofree char *media = NULL, *data = NULL;

            if (g_str_equal (type, "text"))
              json_array_add_object_element (parts,
                                             gemini_text_part (rw_json_object_get_string (p, "text",
                                                                                          "")));
            else if (g_str_equal (type, "image_url") && image != NULL &&
                     _rw_data_url_split (rw_json_object_get_string (image, "url", NULL), &media,
                                         &data))
              {
                JsonObject *inline_data = json_object_new (), *part = json_object_new ();

                json_object_set_string_member (inline_data, "mimeType", media);
                json_object_set_string_member (inline_data, "data", data);
                json_object_set_object_member (part, "inlineData", inline_data);
                json_array_add_object_element (parts, part);
              }
            else
              return GEMINI_REFUSE (error, "messages[%u].content[%u] (%s%s)", i, j, type,
                                    g_str_equal (type, "image_url") ? " by URL: send it inline, "
                                    "as a data: URL" : "");
          }
      else if (*text != '\0')
        json_array_add_object_element (parts, gemini_text_part (text));
      for (guint j = 0; calls != NULL && j < json_array_get_length (calls); j++)
        {
          JsonObject *call = rw_json_array_get_object (calls, j);
          const char *name = NULL;
          g_autoptr(JsonNode) input = _rw_translate_tool_input (call, &name);
          JsonObject *fc, *part;

          if (input == NULL)
            return GEMINI_REFUSE (error, "messages[%u].tool_calls[%u], whose arguments are not "
                                  "a JSON object", i, j);
          fc = json_object_new ();
          part = json_object_new ();
          json_object_set_string_member (fc, "name", name);
          json_object_set_member (fc, "args", g_steal_pointer (&input));
          json_object_set_object_member (part, "functionCall", fc);
          json_array_add_object_element (parts, part);
          g_hash_table_insert (names, (char *) rw_json_object_get_string (call, "id", ""),
                               (char *) name);
        }
      _rw_translate_add_turn (turns, g_str_equal (role, "assistant") ? "model" : "user",
                              "parts", parts);
    }

  if (system != NULL)
    {
      json_builder_set_member_name (b, "systemInstruction");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "parts");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, system->str);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "contents");
  json_builder_add_value (b, json_node_init_array (json_node_alloc (), turns));
  return TRUE;
}

/* tools as functionDeclarations, tool_choice as the function calling mode. */
static gboolean
gemini_write_tools (JsonBuilder  *b,
                    JsonObject   *extra,
                    GError      **error)
{
  JsonArray *tools = rw_json_object_get_array (extra, "tools");
  JsonNode *choice = json_object_get_member (extra, "tool_choice");

  if (!rw_json_object_get_boolean (extra, "parallel_tool_calls", TRUE))
    return GEMINI_REFUSE (error, "“parallel_tool_calls”: false");
  if (tools != NULL && json_array_get_length (tools) > 0)
    {
      json_builder_set_member_name (b, "tools");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "functionDeclarations");
      json_builder_begin_array (b);
      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonObject *t = rw_json_array_get_object (tools, i);
          JsonObject *fn = t ? rw_json_object_get_object (t, "function") : NULL;

          if (fn == NULL || g_strcmp0 (rw_json_object_get_string (t, "type", NULL), "function"))
            return GEMINI_REFUSE (error, "tools[%u], which is not a function", i);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, rw_json_object_get_string (fn, "name", ""));
          if (rw_json_object_get_string (fn, "description", NULL) != NULL)
            {
              json_builder_set_member_name (b, "description");
              json_builder_add_string_value (b, rw_json_object_get_string (fn, "description", ""));
            }
          if (json_object_has_member (fn, "parameters"))
            {
              json_builder_set_member_name (b, "parameters");
              json_builder_add_value (b, gemini_schema (json_object_get_member (fn, "parameters")));
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      json_builder_end_array (b);
    }
  if (choice != NULL && !json_node_is_null (choice))
    {
      const char *word = JSON_NODE_HOLDS_VALUE (choice) ? json_node_get_string (choice) : NULL;
      JsonObject *named = JSON_NODE_HOLDS_OBJECT (choice) ? json_node_get_object (choice) : NULL;
      JsonObject *fn = named ? rw_json_object_get_object (named, "function") : NULL;
      const char *mode = g_strcmp0 (word, "auto") == 0 ? "AUTO"
                         : g_strcmp0 (word, "none") == 0 ? "NONE"
                         : g_strcmp0 (word, "required") == 0 || fn != NULL ? "ANY" : NULL;

      if (mode == NULL)
        return GEMINI_REFUSE (error, "this “tool_choice”");
      json_builder_set_member_name (b, "toolConfig");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "functionCallingConfig");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "mode");
      json_builder_add_string_value (b, mode);
      if (fn != NULL)
        {
          json_builder_set_member_name (b, "allowedFunctionNames");
          json_builder_begin_array (b);
          json_builder_add_string_value (b, rw_json_object_get_string (fn, "name", ""));
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  return TRUE;
}

/* generationConfig: the limits and sampling, stop sequences, candidates, the answer's format. */
static gboolean
gemini_write_config (JsonBuilder   *b,
                     RwChatRequest *request,
                     JsonObject    *extra,
                     GError       **error)
{
  JsonObject *format = extra ? rw_json_object_get_object (extra, "response_format") : NULL;
  const char *format_type = format ? rw_json_object_get_string (format, "type", "text") : "text";
  JsonObject *schema_of = format ? rw_json_object_get_object (format, "json_schema") : NULL;
  JsonNode *stop = extra ? json_object_get_member (extra, "stop") : NULL;

  if (!g_str_equal (format_type, "text") && !g_str_equal (format_type, "json_object") &&
      !g_str_equal (format_type, "json_schema"))
    return GEMINI_REFUSE (error, "a response_format of type “%s”", format_type);
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
  _rw_translate_add_list (b, "stopSequences", stop);
  _rw_translate_copy (b, extra, "n", "candidateCount");
  _rw_translate_copy (b, extra, "top_p", "topP");
  _rw_translate_copy (b, extra, "seed", "seed");
  _rw_translate_copy (b, extra, "presence_penalty", "presencePenalty");
  _rw_translate_copy (b, extra, "frequency_penalty", "frequencyPenalty");
  if (!g_str_equal (format_type, "text"))
    {
      json_builder_set_member_name (b, "responseMimeType");
      json_builder_add_string_value (b, "application/json");
      if (schema_of != NULL && json_object_has_member (schema_of, "schema"))
        {
          json_builder_set_member_name (b, "responseSchema");
          json_builder_add_value (b, gemini_schema (json_object_get_member (schema_of, "schema")));
        }
    }
  json_builder_end_object (b);
  return TRUE;
}

/* The request's body, inside the object @b has begun. */
static gboolean
gemini_write_request (JsonBuilder   *b,
                      RwChatRequest *request,
                      GError       **error)
{
  g_autoptr(JsonObject) extra = rw_chat_request_dup_extra_object (request);

  if (extra != NULL && rw_json_object_get_int (extra, "n", 1) > MAX_CANDIDATES)
    return GEMINI_REFUSE (error, "“n” over %d", MAX_CANDIDATES);
  return gemini_write_contents (b, request, error) &&
         (extra == NULL || gemini_write_tools (b, extra, error)) &&
         gemini_write_config (b, request, extra, error);
}

static gboolean
rw_gemini_provider_check_request (RwProvider     *provider,
                                  RwModel        *model,
                                  RwChatRequest  *request,
                                  GError        **error)
{
  return _rw_translate_check (model, request, gemini_write_request, error);
}

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
  if (!gemini_write_request (b, request, &error))
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

  _rw_provider_send (call, g_steal_pointer (&req), RW_HTTP_SSE,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* What an entry of GET /models says of its model ("displayName", "inputTokenLimit"); the models
 * that cannot chat (embeddings, for one) are left out. */
static gboolean
gemini_describe_model (RwModel    *model,
                       JsonObject *entry)
{
  JsonArray *methods = rw_json_object_get_array (entry, "supportedGenerationMethods");
  gboolean chats = methods == NULL;

  for (guint j = 0; methods != NULL && j < json_array_get_length (methods); j++)
    {
      JsonNode *v = json_array_get_element (methods, j);
      if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING &&
          g_str_equal (json_node_get_string (v), "generateContent"))
        chats = TRUE;
    }
  if (rw_json_object_get_string (entry, "displayName", NULL) != NULL)
    rw_model_set_display_name (model, rw_json_object_get_string (entry, "displayName", NULL));
  if (rw_json_object_get_int (entry, "inputTokenLimit", 0) > 0)
    rw_model_set_context_length (model, rw_json_object_get_int (entry, "inputTokenLimit", 0));
  return chats;
}

/* GET /models: {"models": [{"name": "models/gemini-2.5-flash", ...}, ...], "nextPageToken"},
 * one page of up to 1,000; a list of none leaves "models" out. */
static const RwModelListing gemini_listing = {
  .path = "/models?pageSize=1000", .member = "models", .absent_is_empty = TRUE,
  .id_member = "name", .id_prefix = "models/", .describe = gemini_describe_model,
};

/* What of a request this protocol translates: its extra fields, message members and content
 * parts; anything else is refused. */
static const char * const gemini_fields[] = { "tools", "tool_choice", "parallel_tool_calls",
                                              "response_format", "stop", "n", "top_p", "seed",
                                              "presence_penalty", "frequency_penalty", NULL };
static const char * const gemini_members[] = { "tool_calls", "tool_call_id", NULL };
static const char * const gemini_parts[] = { "text", "image_url", NULL };

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
  provider_class->check_request = rw_gemini_provider_check_request;
  provider_class->chat_async = rw_gemini_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
  provider_class->listing = &gemini_listing;
  /* The key in a header: never in the URL, where logs keep it. */
  provider_class->key_header = "x-goog-api-key";
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
