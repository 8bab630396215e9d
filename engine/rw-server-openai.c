/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <math.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>

#include "rw-error.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-server-private.h"

/* OpenAI's wire format: the endpoint's routes, their requests, and their replies, whole or
 * streamed as server-sent events. */

/* ---------------------------------------------------------------------------- completions */

/* The replies are written directly rather than built as a tree: they are written for every
 * request. */
static void
server_append_usage (GString      *out,
                     RwChatResult *r)
{
  gint64 in = MAX (0, r->tokens_in), done = MAX (0, r->tokens_out);

  g_string_append (out, "\"usage\":{\"prompt_tokens\":");
  rw_json_append_int (out, in);
  g_string_append (out, ",\"completion_tokens\":");
  rw_json_append_int (out, done);
  g_string_append (out, ",\"total_tokens\":");
  rw_json_append_int (out, in + done);
  if (r->usage_details != NULL)
    {
      g_string_append_c (out, ',');
      g_string_append (out, r->usage_details);
    }
  g_string_append_c (out, '}');
}

static void
server_append_chunk_head (RwServerCall *call,
                          GString      *line,
                          const char   *model)
{
  g_string_append (line, "data: {\"id\":");
  rw_json_append_string (line, call->id);
  g_string_append (line, ",\"object\":\"chat.completion.chunk\",\"created\":");
  rw_json_append_int (line, call->created);
  g_string_append (line, ",\"model\":");
  rw_json_append_string (line, model ? model : "");
  if (call->fingerprint != NULL)
    {
      g_string_append (line, ",\"system_fingerprint\":");
      rw_json_append_string (line, call->fingerprint);
    }
  g_string_append (line, ",\"choices\":[");
}

static void
server_append_chunk_tail (RwServerCall *call,
                          GString      *line)
{
  g_string_append (line, "}\n\n");
  _rw_server_stream_append (call->conn, line->str, line->len);
}

/* One chunk: a piece of one choice, its role when @role, or its finish reason. */
static void
server_append_chunk (RwServerCall      *call,
                     const char        *model,
                     const RwChatDelta *delta,
                     const char        *finish_reason,
                     gboolean           role)
{
  g_autoptr(GString) line = g_string_sized_new (256);
  gboolean first = TRUE;

  server_append_chunk_head (call, line, model);
  g_string_append (line, "{\"index\":");
  rw_json_append_int (line, delta->choice);
  g_string_append (line, ",\"delta\":{");
#define SEPARATE() (first ? (void) (first = FALSE) : (void) g_string_append_c (line, ','))
  if (role)
    {
      SEPARATE ();
      g_string_append (line, "\"role\":\"assistant\"");
    }
  if (delta->text != NULL)
    {
      SEPARATE ();
      g_string_append (line, "\"content\":");
      rw_json_append_string (line, delta->text);
    }
  if (delta->refusal != NULL)
    {
      SEPARATE ();
      g_string_append (line, "\"refusal\":");
      rw_json_append_string (line, delta->refusal);
    }
  if (delta->tool_call >= 0)
    {
      SEPARATE ();
      g_string_append (line, "\"tool_calls\":[{\"index\":");
      rw_json_append_int (line, delta->tool_call);
      if (delta->tool_call_id != NULL)
        {
          /* The first piece of a call: its id, type and name, as OpenAI sends them. */
          g_string_append (line, ",\"id\":");
          rw_json_append_string (line, delta->tool_call_id);
          g_string_append (line, ",\"type\":\"function\"");
        }
      g_string_append (line, ",\"function\":{");
      if (delta->tool_name != NULL)
        {
          g_string_append (line, "\"name\":");
          rw_json_append_string (line, delta->tool_name);
          g_string_append_c (line, ',');
        }
      g_string_append (line, "\"arguments\":");
      rw_json_append_string (line, delta->tool_arguments ? delta->tool_arguments : "");
      g_string_append (line, "}}]");
    }
#undef SEPARATE
  g_string_append (line, "},\"logprobs\":");
  if (delta->logprobs != NULL)
    {
      g_string_append (line, "{\"content\":[");
      g_string_append (line, delta->logprobs);
      g_string_append (line, "]}");
    }
  else
    g_string_append (line, "null");
  g_string_append (line, ",\"finish_reason\":");
  if (finish_reason != NULL)
    rw_json_append_string (line, finish_reason);
  else
    g_string_append (line, "null");
  g_string_append (line, "}]");
  server_append_chunk_tail (call, line);
}

/* The last chunk when the caller asked for usage: no choices, the usage. */
static void
server_append_usage_chunk (RwServerCall *call,
                           const char   *model,
                           RwChatResult *usage)
{
  g_autoptr(GString) line = g_string_sized_new (256);

  server_append_chunk_head (call, line, model);
  g_string_append (line, "],");
  server_append_usage (line, usage);
  server_append_chunk_tail (call, line);
}

/* One choice of a whole reply: its message, log probabilities and finish reason. */
static void
server_append_choice (GString      *body,
                      RwChatResult *r,
                      guint         index)
{
  RwChatChoice *choice = rw_chat_result_peek_choice (r, index);
  GString *text = index == 0 ? r->text : choice->text;
  const char *finish = index == 0 ? r->finish_reason : choice ? choice->finish_reason : NULL;
  gboolean calls = choice != NULL && choice->tool_calls->len > 0;

  g_string_append (body, "{\"index\":");
  rw_json_append_int (body, index);
  g_string_append (body, ",\"message\":{\"role\":\"assistant\",\"content\":");
  /* A message that only calls tools has no content, as OpenAI writes it. */
  if (calls && text->len == 0)
    g_string_append (body, "null");
  else
    rw_json_append_string (body, text->str);
  g_string_append (body, ",\"refusal\":");
  if (choice != NULL && choice->refusal != NULL)
    rw_json_append_string (body, choice->refusal->str);
  else
    g_string_append (body, "null");
  if (calls)
    {
      g_string_append (body, ",\"tool_calls\":[");
      for (guint i = 0; i < choice->tool_calls->len; i++)
        {
          if (i > 0)
            g_string_append_c (body, ',');
          rw_tool_call_append_json (choice->tool_calls->pdata[i], -1, body);
        }
      g_string_append_c (body, ']');
    }
  g_string_append (body, "},\"logprobs\":");
  if (choice != NULL && choice->logprobs != NULL)
    {
      g_string_append (body, "{\"content\":[");
      g_string_append (body, choice->logprobs->str);
      g_string_append (body, "]}");
    }
  else
    g_string_append (body, "null");
  g_string_append (body, ",\"finish_reason\":");
  rw_json_append_string (body, finish ? finish : "stop");
  g_string_append_c (body, '}');
}

static void
server_reply_whole (RwServerCall  *call,
                    RwRouteResult *out)
{
  RwChatResult *r = out->result;
  GString *body = g_string_sized_new (256 + r->text->len);

  g_string_append (body, "{\"id\":");
  rw_json_append_string (body, call->id);
  g_string_append (body, ",\"object\":\"chat.completion\",\"created\":");
  rw_json_append_int (body, call->created);
  g_string_append (body, ",\"model\":");
  rw_json_append_string (body, out->model_id);
  if (r->system_fingerprint != NULL)
    {
      g_string_append (body, ",\"system_fingerprint\":");
      rw_json_append_string (body, r->system_fingerprint);
    }
  g_string_append (body, ",\"choices\":[");
  for (guint i = 0; i < rw_chat_result_get_n_choices (r); i++)
    {
      if (i > 0)
        g_string_append_c (body, ',');
      server_append_choice (body, r, i);
    }
  g_string_append (body, "],");
  server_append_usage (body, r);
  g_string_append_c (body, '}');

  _rw_server_reply_json (call->conn, 200, out->model_id, out->task ? out->task : "default",
                         g_string_free (body, FALSE));
}

/* Chat Completions' stream: a role chunk for each choice asked for, a chunk per piece, the
 * finish reason of each choice, the usage when asked for, and [DONE]. */
static void
chat_stream_start (RwServerCall *call,
                   const char   *model)
{
  for (guint i = 0; i < call->n_choices; i++)
    {
      RwChatDelta role = RW_CHAT_DELTA_INIT;

      role.choice = i;
      role.text = "";
      server_append_chunk (call, model, &role, NULL, TRUE);
    }
}

static void
chat_stream_delta (RwServerCall      *call,
                   const char        *model,
                   const RwChatDelta *delta)
{
  server_append_chunk (call, model, delta, NULL, FALSE);
}

static void
chat_stream_finish (RwServerCall  *call,
                    RwRouteResult *out)
{
  RwChatResult *r = out->result;

  call->fingerprint = g_strdup (r->system_fingerprint);
  for (guint i = 0; i < MAX (call->n_choices, rw_chat_result_get_n_choices (r)); i++)
    {
      RwChatChoice *choice = rw_chat_result_peek_choice (r, i);
      const char *finish = i == 0 ? r->finish_reason : choice != NULL ? choice->finish_reason : NULL;
      RwChatDelta end = RW_CHAT_DELTA_INIT;

      end.choice = i;
      server_append_chunk (call, out->model_id, &end, finish ? finish : "stop", FALSE);
    }
  if (call->include_usage)
    server_append_usage_chunk (call, out->model_id, r);
  _rw_server_stream_append (call->conn, "data: [DONE]\n\n", 14);
}

static void
chat_stream_fail (RwServerCall *call,
                  guint         status,
                  const GError *error,
                  const char   *code)
{
  g_autofree char *json = _rw_server_error_json (status, error->message, code,
                                                 rw_error_get_param (error));
  g_autofree char *line = g_strdup_printf ("data: %s\n\n", json);

  _rw_server_stream_append (call->conn, line, strlen (line));
}

static const RwServerFormat chat_format = {
  chat_stream_start,
  chat_stream_delta,
  chat_stream_finish,
  chat_stream_fail,
  server_reply_whole,
  NULL,
};

static RwChatRequest *
server_parse_request (const char  *body,
                      gsize        len,
                      const char  *task_header,
                      char       **model,
                      gboolean    *include_usage,
                      guint       *n_choices,
                      GError     **error)
{
  g_autoptr(RwChatRequest) request = rw_chat_request_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (body, len, &local);
  g_autoptr(JsonNode) messages = NULL;
  const char *name;
  guint32 v, stream_v, temperature_v, limit_v;

  if (doc == NULL && g_str_equal (local->message, RW_JSON_EMPTY))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the body is empty: it must be a JSON "
                   "object");
      return NULL;
    }
  if (doc == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the body is not valid JSON: %s",
                   local->message);
      return NULL;
    }
  if (rw_json_doc_type (doc, RW_JSON_ROOT) != RW_JSON_OBJECT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the body must be a JSON object");
      return NULL;
    }

  name = rw_json_doc_string (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "model"));
  if (name == NULL)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "model", "“model” is required");
      return NULL;
    }
  *model = g_strdup (name);

  /* Read once the way every other caller reads messages. */
  messages = rw_json_doc_to_node (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "messages"));
  if (!rw_chat_request_set_messages_from_json (request, messages, error))
    return NULL;

  /* The limit keeps the name the caller gave it: reasoning models refuse max_tokens. */
  stream_v = rw_json_doc_member (doc, RW_JSON_ROOT, "stream");
  temperature_v = rw_json_doc_member (doc, RW_JSON_ROOT, "temperature");
  limit_v = rw_json_doc_member (doc, RW_JSON_ROOT, "max_completion_tokens");
  request->max_completion_tokens = limit_v != RW_JSON_NONE;
  if (limit_v == RW_JSON_NONE)
    limit_v = rw_json_doc_member (doc, RW_JSON_ROOT, "max_tokens");
  {
    g_autoptr(JsonNode) stream = rw_json_doc_to_node (doc, stream_v);
    g_autoptr(JsonNode) temperature = rw_json_doc_to_node (doc, temperature_v);
    g_autoptr(JsonNode) tokens = rw_json_doc_to_node (doc, limit_v);

    if (!_rw_server_check_request (stream, temperature, tokens,
                                   request->max_completion_tokens ? "max_completion_tokens"
                                                                  : "max_tokens", error))
      return NULL;
  }
  request->stream = rw_json_doc_boolean (doc, stream_v, FALSE);
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "stream_options");
  *include_usage = rw_json_doc_boolean (doc, rw_json_doc_member (doc, v, "include_usage"), FALSE);
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "n");
  if (v != RW_JSON_NONE && rw_json_doc_type (doc, v) != RW_JSON_NULL &&
      (rw_json_doc_type (doc, v) != RW_JSON_INT || rw_json_doc_int (doc, v, 0) < 1 ||
       rw_json_doc_int (doc, v, 0) > 128))
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "n",
                          "“n” must be a whole number from 1 to 128");
      return NULL;
    }
  *n_choices = (guint) rw_json_doc_int (doc, v, 1);
  request->max_tokens = rw_json_doc_int (doc, limit_v, 0);
  request->temperature = rw_json_doc_double (doc, temperature_v, -1);

  /* Every other field goes upstream as the caller sent it. */
  {
    g_autoptr(JsonObject) extra = json_object_new ();
    static const char * const own[] = { "model", "messages", "stream", "stream_options",
                                        "temperature", "max_tokens", "max_completion_tokens",
                                        NULL };

    for (guint32 m = rw_json_doc_first (doc, RW_JSON_ROOT); m != RW_JSON_NONE;
         m = rw_json_doc_next (doc, m))
      if (!g_strv_contains (own, rw_json_doc_name (doc, m)))
        json_object_set_member (extra, rw_json_doc_name (doc, m), rw_json_doc_to_node (doc, m));
    _rw_server_request_set_extra (request, extra, task_header);
  }

  return g_steal_pointer (&request);
}

static void
server_handle_completions (RwServer     *self,
                           RwServerConn *c,
                           const char   *body,
                           gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  gboolean include_usage = FALSE;
  guint n_choices = 1;
  g_autoptr(RwChatRequest) request = server_parse_request (body, len, c->req.task, &model,
                                                           &include_usage, &n_choices, &error);
  RwServerCall *call;

  if (request == NULL)
    {
      _rw_server_reply_request_error (c, error);
      return;
    }
  call = _rw_server_call_start (c, &chat_format, "chatcmpl-", request, model);
  call->include_usage = include_usage;
  call->n_choices = n_choices;
  _rw_server_call_route (call, request);
}

/* A model as OpenAI's API describes one. */
static void
server_add_model (JsonBuilder *b,
                  const char  *id,
                  const char  *owned_by)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "model");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "owned_by");
  json_builder_add_string_value (b, owned_by);
  json_builder_end_object (b);
}

static void
server_handle_models (RwServer *self,
                      RwServerConn     *c)
{
  g_autoptr(GPtrArray) models = rw_catalog_list_models (rw_router_get_catalog (self->router));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "list");
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  server_add_model (b, RW_POLICY_AUTO_MODEL, "routewise");
  for (guint i = 0; i < models->len; i++)
    server_add_model (b, rw_model_get_id (models->pdata[i]),
                      rw_model_get_provider_id (models->pdata[i]));
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  _rw_server_reply_json (c, 200, NULL, NULL, rw_json_to_string (root, FALSE));
}

/* GET /v1/models/{id}: the id may hold slashes ("openai/gpt-4o"), as sent or percent-encoded. */
static void
server_handle_model (RwServer     *self,
                     RwServerConn *c,
                     const char   *escaped)
{
  g_autofree char *id = g_uri_unescape_string (escaped, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  RwModel *model;

  if (id == NULL || *id == '\0')
    {
      _rw_server_reply_error (c, 400, "the model id is not valid", NULL);
      return;
    }
  if (g_str_equal (id, RW_POLICY_AUTO_MODEL))
    server_add_model (b, id, "routewise");
  else if ((model = rw_catalog_lookup_model (rw_router_get_catalog (self->router), id)) != NULL)
    server_add_model (b, rw_model_get_id (model), rw_model_get_provider_id (model));
  else
    {
      g_autofree char *message = g_strdup_printf ("the model %s does not exist", id);
      _rw_server_reply_error (c, 404, message, "model_not_found");
      return;
    }
  root = json_builder_get_root (b);
  _rw_server_reply_json (c, 200, NULL, NULL, rw_json_to_string (root, FALSE));
}

gboolean
_rw_server_token_matches (const char *given,
                          const char *token)
{
  gsize a = strlen (given), b = strlen (token);
  guint8 diff = a != b;

  /* Compare in constant time for tokens of the right length. */
  for (gsize i = 0; i < b; i++)
    diff |= (guint8) (given[i < a ? i : 0] ^ token[i]);
  return diff == 0;
}

/* Answers a whole request: its head is in c->req, its body in the input buffer. */
void
_rw_server_dispatch (RwServerConn       *c,
                     const char *body,
                     gsize       len)
{
  RwServer *self = c->server;
  const char *path = c->req.path;

  /* A request without the token never gets here (see server_read_head()). */
  g_return_if_fail (c->req.authorized);
  if (g_str_equal (path, "/v1/chat/completions"))
    {
      if (!g_str_equal (c->req.method, "POST"))
        _rw_server_reply_error (c, 405, "use POST", NULL);
      else
        server_handle_completions (self, c, body, len);
    }
  else if (g_str_equal (path, "/v1/responses"))
    {
      if (!g_str_equal (c->req.method, "POST"))
        _rw_server_reply_error (c, 405, "use POST", NULL);
      else
        _rw_server_handle_responses (self, c, body, len);
    }
  else if (g_str_equal (path, "/v1/embeddings"))
    {
      if (!g_str_equal (c->req.method, "POST"))
        _rw_server_reply_error (c, 405, "use POST", NULL);
      else
        _rw_server_handle_embeddings (self, c, body, len);
    }
  else if (g_str_equal (path, "/v1/models"))
    {
      if (!g_str_equal (c->req.method, "GET"))
        _rw_server_reply_error (c, 405, "use GET", NULL);
      else
        server_handle_models (self, c);
    }
  else if (g_str_has_prefix (path, "/v1/models/"))
    {
      if (!g_str_equal (c->req.method, "GET"))
        _rw_server_reply_error (c, 405, "use GET", NULL);
      else
        server_handle_model (self, c, path + strlen ("/v1/models/"));
    }
  else
    _rw_server_reply_error (c, 404, "no such endpoint; Routewise serves /v1/chat/completions, "
                            "/v1/responses, /v1/embeddings, /v1/models and /v1/models/{id}",
                            NULL);
}
