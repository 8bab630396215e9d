/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-error.h"
#include "rw-chat-request-private.h"
#include "rw-http-private.h"
#include "rw-provider-private.h"
#include "rw-json.h"
#include "rw-openai-provider.h"

/**
 * RwOpenaiProvider:
 *
 * The OpenAI-compatible chat completions protocol, spoken by OpenAI, OpenRouter, Groq,
 * Mistral, DeepSeek, vLLM, the llama.cpp server, LM Studio and Ollama's /v1. Streams over SSE
 * and asks for the usage in the final chunk.
 */
struct _RwOpenaiProvider
{
  RwProvider parent_instance;

  gboolean stream_options;
};

G_DEFINE_FINAL_TYPE (RwOpenaiProvider, rw_openai_provider, RW_TYPE_PROVIDER)

typedef struct
{
  RwProviderCall *call;
  guint done : 1;
  guint saw_finish : 1;
} ChatState;

/* Replies and stream chunks are read as compact documents: they come for every request. */
static void
openai_read_usage (RwChatResult *result,
                   RwJsonDoc    *doc,
                   guint32       obj)
{
  static const char * const counts[] = { "prompt_tokens", "completion_tokens", "total_tokens",
                                          NULL };
  guint32 u = rw_json_doc_member (doc, obj, "usage"), v;
  g_autoptr(GString) details = NULL;

  if (rw_json_doc_type (doc, u) != RW_JSON_OBJECT)
    return;
  if ((v = rw_json_doc_member (doc, u, "prompt_tokens")) != RW_JSON_NONE)
    result->tokens_in = rw_json_doc_int (doc, v, -1);
  if ((v = rw_json_doc_member (doc, u, "completion_tokens")) != RW_JSON_NONE)
    result->tokens_out = rw_json_doc_int (doc, v, -1);
  result->usage_estimated = FALSE;
  /* The details (cached, reasoning, audio tokens), for a caller that reads them. */
  for (guint32 m = rw_json_doc_first (doc, u); m != RW_JSON_NONE; m = rw_json_doc_next (doc, m))
    if (!g_strv_contains (counts, rw_json_doc_name (doc, m)))
      {
        g_autoptr(JsonNode) node = rw_json_doc_to_node (doc, m);
        g_autofree char *text = rw_json_to_string (node, FALSE);

        if (details == NULL)
          details = g_string_new (NULL);
        else
          g_string_append_c (details, ',');
        rw_json_append_string (details, rw_json_doc_name (doc, m));
        g_string_append_c (details, ':');
        g_string_append (details, text);
      }
  g_free (result->usage_details);
  result->usage_details = details ? g_string_free (g_steal_pointer (&details), FALSE) : NULL;
}

/* The answer's own fields beyond its choices. */
static void
openai_read_reply (RwChatResult *result,
                   RwJsonDoc    *doc)
{
  const char *fingerprint = rw_json_doc_string (doc, rw_json_doc_member (doc, RW_JSON_ROOT,
                                                                         "system_fingerprint"));

  if (fingerprint != NULL && g_strcmp0 (fingerprint, result->system_fingerprint) != 0)
    {
      g_free (result->system_fingerprint);
      result->system_fingerprint = g_strdup (fingerprint);
    }
  openai_read_usage (result, doc, RW_JSON_ROOT);
}

static void
openai_read_finish_reason (ChatState *state,
                           RwJsonDoc *doc,
                           guint32    choice,
                           guint      index)
{
  RwChatResult *result = rw_provider_call_get_result (state->call);
  const char *reason = rw_json_doc_string (doc, rw_json_doc_member (doc, choice, "finish_reason"));
  RwChatChoice *other;
  char **slot;

  if (reason == NULL)
    return;
  if (index == 0)
    slot = &result->finish_reason;
  else if ((other = rw_chat_result_get_choice (result, index)) != NULL)
    slot = &other->finish_reason;
  else
    return;
  g_free (*slot);
  *slot = g_strdup (reason);
  if (index == 0)
    state->saw_finish = TRUE;
}

/* A choice's `logprobs.content` entries as JSON text, joined by commas; NULL when none. */
static char *
openai_logprobs_text (RwJsonDoc *doc,
                      guint32    choice)
{
  guint32 list = rw_json_doc_member (doc, rw_json_doc_member (doc, choice, "logprobs"), "content");
  g_autoptr(GString) out = NULL;

  if (rw_json_doc_type (doc, list) != RW_JSON_ARRAY)
    return NULL;
  for (guint32 e = rw_json_doc_first (doc, list); e != RW_JSON_NONE; e = rw_json_doc_next (doc, e))
    {
      g_autoptr(JsonNode) node = rw_json_doc_to_node (doc, e);
      g_autofree char *text = rw_json_to_string (node, FALSE);

      if (out == NULL)
        out = g_string_new (NULL);
      else
        g_string_append_c (out, ',');
      g_string_append (out, text);
    }
  return out ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

/* One choice of a chunk (its "delta") or of a whole reply (its "message"): text, refusal, log
 * probabilities and each tool call go to the caller as pieces. A whole reply's tool call has no
 * index of its own: its place in the list is its index. */
static void
openai_read_choice (ChatState  *state,
                    RwJsonDoc  *doc,
                    guint32     choice,
                    guint       position,
                    const char *part)
{
  guint32 message = rw_json_doc_member (doc, choice, part);
  guint32 calls = rw_json_doc_member (doc, message, "tool_calls");
  gint64 index = rw_json_doc_int (doc, rw_json_doc_member (doc, choice, "index"), position);
  g_autofree char *logprobs = openai_logprobs_text (doc, choice);
  RwChatDelta delta = RW_CHAT_DELTA_INIT;
  guint n = 0;

  if (index < 0 || index > G_MAXINT)
    return;
  delta.choice = (guint) index;
  delta.text = rw_json_doc_string (doc, rw_json_doc_member (doc, message, "content"));
  delta.refusal = rw_json_doc_string (doc, rw_json_doc_member (doc, message, "refusal"));
  delta.logprobs = logprobs;
  rw_provider_call_emit (state->call, &delta);

  for (guint32 c = rw_json_doc_first (doc, calls); c != RW_JSON_NONE;
       c = rw_json_doc_next (doc, c), n++)
    {
      RwChatDelta piece = RW_CHAT_DELTA_INIT;
      guint32 function = rw_json_doc_member (doc, c, "function");
      gint64 at = rw_json_doc_int (doc, rw_json_doc_member (doc, c, "index"), n);

      if (rw_json_doc_type (doc, c) != RW_JSON_OBJECT || at < 0 || at > G_MAXINT)
        continue;
      piece.choice = (guint) index;
      piece.tool_call = (int) at;
      piece.tool_call_id = rw_json_doc_string (doc, rw_json_doc_member (doc, c, "id"));
      piece.tool_name = rw_json_doc_string (doc, rw_json_doc_member (doc, function, "name"));
      piece.tool_arguments = rw_json_doc_string (doc, rw_json_doc_member (doc, function,
                                                                          "arguments"));
      rw_provider_call_emit (state->call, &piece);
    }
  openai_read_finish_reason (state, doc, choice, (guint) index);
}

/* Each choice of a chunk or reply, in order. */
static guint
openai_read_choices (ChatState  *state,
                     RwJsonDoc  *doc,
                     const char *part)
{
  guint32 list = rw_json_doc_member (doc, RW_JSON_ROOT, "choices");
  guint n = 0;

  for (guint32 c = rw_json_doc_first (doc, list); c != RW_JSON_NONE; c = rw_json_doc_next (doc, c))
    if (rw_json_doc_type (doc, c) == RW_JSON_OBJECT && rw_json_doc_name (doc, c) == NULL)
      openai_read_choice (state, doc, c, n++, part);
  return n;
}

static gboolean
openai_on_event (gpointer     data,
                 const char  *event,
                 const char  *text,
                 gsize        len,
                 GError     **error)
{
  ChatState *state = data;
  g_autoptr(RwJsonDoc) doc = NULL;

  if (len == 6 && memcmp (text, "[DONE]", 6) == 0)
    {
      state->done = TRUE;
      return TRUE;
    }
  if ((doc = _rw_json_parse_doc (text, len, "stream", error)) == NULL)
    return FALSE;

  if (rw_json_doc_member (doc, RW_JSON_ROOT, "error") != RW_JSON_NONE ||
      g_strcmp0 (event, "error") == 0)
    {
      g_propagate_error (error, _rw_http_stream_error (text, len));
      return FALSE;
    }

  openai_read_choices (state, doc, "delta");
  openai_read_reply (rw_provider_call_get_result (state->call), doc);
  return TRUE;
}

static gboolean
openai_on_body (gpointer     data,
                RwJsonDoc   *doc,
                const char  *text,
                gsize        len,
                GError     **error)
{
  ChatState *state = data;
  guint32 first = rw_json_doc_first (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "choices"));

  if (rw_json_doc_type (doc, rw_json_doc_member (doc, first, "message")) != RW_JSON_OBJECT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the reply has no choices[0].message");
      return FALSE;
    }
  openai_read_choices (state, doc, "message");
  openai_read_reply (rw_provider_call_get_result (state->call), doc);
  return TRUE;
}

/* A finish reason without [DONE] is a whole answer too; neither means the stream was cut. */
static gboolean
openai_is_complete (gpointer data)
{
  ChatState *state = data;
  return state->done || state->saw_finish;
}

static gboolean
openai_is_ended (gpointer data)
{
  return ((ChatState *) data)->done;
}

static const RwHttpHandlers handlers = { openai_on_event, NULL, openai_is_complete, openai_is_ended,
                                         openai_on_body };

static GBytes *
openai_build_body (RwOpenaiProvider *self,
                   RwProviderCall   *call)
{
  RwChatRequest *request = rw_provider_call_get_request (call);
  RwModel *model = rw_provider_call_get_model (call);
  GString *s = g_string_sized_new (256);

  /* Written directly: the body is written for every request. */
  g_string_append (s, "{\"model\":");
  rw_json_append_string (s, rw_model_get_upstream_name (model));
  g_string_append (s, ",\"messages\":");
  _rw_chat_request_append_messages (request, s);
  /* Tools, response_format, n, stop, seed and every other field, as the caller sent them. */
  _rw_chat_request_append_extra (request, s);
  g_string_append (s, request->stream ? ",\"stream\":true" : ",\"stream\":false");
  if (request->stream && self->stream_options)
    g_string_append (s, ",\"stream_options\":{\"include_usage\":true}");
  if (request->temperature >= 0 && isfinite (request->temperature))
    {
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, ",\"temperature\":");
      g_string_append (s, g_ascii_dtostr (num, sizeof num, request->temperature));
    }
  if (request->max_tokens > 0)
    g_string_append_printf (s, request->max_completion_tokens
                                 ? ",\"max_completion_tokens\":%" G_GINT64_FORMAT
                                 : ",\"max_tokens\":%" G_GINT64_FORMAT, request->max_tokens);
  g_string_append_c (s, '}');
  return g_string_free_to_bytes (s);
}

static void
rw_openai_provider_chat_async (RwProvider          *provider,
                               RwProviderCall      *call,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  RwOpenaiProvider *self = RW_OPENAI_PROVIDER (provider);
  RwChatRequest *request = rw_provider_call_get_request (call);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strconcat (rw_provider_get_base_url (provider), "/chat/completions",
                                      NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(RwHttpRequest) req = NULL;
  ChatState *state;

  g_task_set_source_tag (task, rw_openai_provider_chat_async);
  state = g_new0 (ChatState, 1);
  state->call = call;
  g_task_set_task_data (task, state, g_free);

  if (!_rw_provider_call_check_key (call, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  req = _rw_http_request_new ("POST", url, NULL);
  if (req == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                               "the provider's base URL is not a valid URL: %s",
                               rw_provider_get_base_url (provider));
      return;
    }

  _rw_http_request_set_header (req, "Accept",
                               request->stream ? "text/event-stream" : "application/json");

  body = openai_build_body (self, call);
  _rw_http_request_set_body (req, "application/json", body);

  _rw_provider_send (call, g_steal_pointer (&req), RW_HTTP_SSE,
                     &handlers, state, cancellable, g_steal_pointer (&task));
}

/* What the list says a model can do: OpenRouter's entries name their supported parameters,
 * input modalities and context length. */
static gboolean
openai_describe_model (RwModel    *model,
                       JsonObject *entry)
{
  JsonArray *params = rw_json_object_get_array (entry, "supported_parameters");
  JsonObject *arch = rw_json_object_get_object (entry, "architecture");
  JsonArray *inputs = arch ? rw_json_object_get_array (arch, "input_modalities") : NULL;
  RwModelCapabilities known = 0, has = 0;
  gint64 ctx = rw_json_object_get_int (entry, "context_length", 0);

  if (params != NULL)
    {
      known |= RW_MODEL_CAN_TOOLS | RW_MODEL_CAN_JSON_SCHEMA | RW_MODEL_CAN_REASONING;
      for (guint i = 0; i < json_array_get_length (params); i++)
        {
          JsonNode *p = json_array_get_element (params, i);
          const char *v = JSON_NODE_HOLDS_VALUE (p) &&
                          json_node_get_value_type (p) == G_TYPE_STRING
                          ? json_node_get_string (p) : "";

          if (g_str_equal (v, "tools"))
            has |= RW_MODEL_CAN_TOOLS;
          else if (g_str_equal (v, "structured_outputs"))
            has |= RW_MODEL_CAN_JSON_SCHEMA;
          else if (g_str_equal (v, "reasoning"))
            has |= RW_MODEL_CAN_REASONING;
        }
    }
  if (inputs != NULL)
    {
      known |= RW_MODEL_CAN_IMAGES;
      for (guint i = 0; i < json_array_get_length (inputs); i++)
        {
          JsonNode *p = json_array_get_element (inputs, i);
          if (JSON_NODE_HOLDS_VALUE (p) && json_node_get_value_type (p) == G_TYPE_STRING &&
              g_str_equal (json_node_get_string (p), "image"))
            has |= RW_MODEL_CAN_IMAGES;
        }
    }
  rw_model_set_capabilities (model, known, has);
  if (ctx > 0)
    rw_model_set_context_length (model, ctx);
  return TRUE;
}

/* GET /models: {"data": [{"id": ...}, ...]}. */
static const RwModelListing openai_listing = {
  .path = "/models", .member = "data", .id_member = "id", .describe = openai_describe_model,
};

static gboolean
rw_openai_provider_configure (RwProvider  *provider,
                              JsonObject  *config,
                              GError     **error)
{
  RwOpenaiProvider *self = RW_OPENAI_PROVIDER (provider);

  self->stream_options = rw_json_object_get_boolean (config, "stream_usage",
                                                                      TRUE);
  return TRUE;
}

static const char * const openai_config_members[] = { "stream_usage", NULL };

static void
rw_openai_provider_class_init (RwOpenaiProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "openai";
  provider_class->key_header = "Authorization";
  provider_class->key_prefix = "Bearer ";
  provider_class->config_members = openai_config_members;
  provider_class->needs_base_url = TRUE;
  provider_class->takes_api_key = TRUE;
  /* Every field and message goes on as the caller sent it. */
  provider_class->carried_fields = NULL;
  provider_class->carried_members = NULL;
  provider_class->carried_parts = NULL;
  provider_class->configure = rw_openai_provider_configure;
  provider_class->chat_async = rw_openai_provider_chat_async;
  provider_class->chat_finish = _rw_provider_chat_finish_task;
  provider_class->listing = &openai_listing;
}

static void
rw_openai_provider_init (RwOpenaiProvider *self)
{
  self->stream_options = TRUE;
}

/**
 * rw_openai_provider_new:
 * @id: the provider's id
 * @base_url: the API's base URL, up to and including `/v1`
 * @api_key_env: (nullable): the environment variable that holds the key
 *
 * Returns: (transfer full): a new provider
 */
RwProvider *
rw_openai_provider_new (const char *id,
                        const char *base_url,
                        const char *api_key_env)
{
  return g_object_new (RW_TYPE_OPENAI_PROVIDER,
                       "id", id,
                       "base-url", base_url,
                       "api-key-env", api_key_env,
                       NULL);
}
