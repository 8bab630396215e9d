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

/* --------------------------------------------------------------------------------- replies */

static const char *
server_status_type (guint status)
{
  switch (status)
    {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "insufficient_quota";
    case 404: return "not_found_error";
    case 405: return "invalid_request_error";
    case 413: return "invalid_request_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

char *
_rw_server_error_json (guint       status,
                       const char *message,
                       const char *code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, server_status_type (status));
  json_builder_set_member_name (b, "param");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "code");
  if (code != NULL)
    json_builder_add_string_value (b, code);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return rw_json_to_string (root, FALSE);
}

/* The HTTP status and OpenAI error code for a routing failure. */
static guint
server_status_for_error (const GError  *error,
                         const char   **code)
{
  *code = rw_error_get_kind (error);
  if (error->domain != RW_ERROR)
    return 500;
  switch (error->code)
    {
    case RW_ERROR_CONFIG:
      *code = "model_not_found";
      return 404;
    case RW_ERROR_BAD_REQUEST:
    case RW_ERROR_UNSUPPORTED:
      return 400;
    case RW_ERROR_CONTEXT_LENGTH:
      *code = "context_length_exceeded";
      return 400;
    case RW_ERROR_BUDGET:
      *code = "budget_exceeded";
      return 402;
    case RW_ERROR_RATE_LIMITED:
      return 429;
    case RW_ERROR_TIMEOUT:
      return 504;
    case RW_ERROR_OVERLOADED:
      return 503;
    case RW_ERROR_CANCELLED:
      return 499;
    default:
      /* Upstream auth, server, network and malformed replies: the gateway's upstream failed. */
      return 502;
    }
}

/* ---------------------------------------------------------------------------- completions */

struct _RwServerCall
{
  RwServer *server;
  RwServerConn *conn;
  GCancellable *cancellable;
  char *id;
  gint64 created;
  gboolean stream;
  gboolean include_usage;
  gboolean headers_sent;
  gboolean finished;
  GSource *server_heartbeat;
  gint64 last_write_us;
  char *requested;
  gint64 started_us;
  guint n_choices;             /* how many choices the caller asked for */
  char *fingerprint;           /* the upstream's system_fingerprint, once known */
};

static void
server_call_free (RwServerCall *call)
{
  _rw_server_clear_source (&call->server_heartbeat);
  g_clear_pointer (&call->conn, _rw_server_conn_unref);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->server);
  g_free (call->id);
  g_free (call->requested);
  g_free (call->fingerprint);
  g_free (call);
}

/* Tells the server's owner what was answered: the log of the app's endpoint. */
static void
server_call_report (RwServerCall  *call,
                    RwRouteResult *out,
                    guint          status)
{
  RwServedRequest *served;
  double cost = NAN;

  /* Only an owner that listens (the app's log) pays for the record; serve does not. */
  if (!_rw_server_has_served_handler (call->server))
    return;
  served = g_new0 (RwServedRequest, 1);
  for (guint i = 0; i < out->attempts->len; i++)
    {
      RwChatResult *a = out->attempts->pdata[i];
      if (isfinite (a->cost_usd))
        cost = (isfinite (cost) ? cost : 0) + a->cost_usd;
    }
  served->time_ms = g_get_real_time () / 1000;
  served->requested = g_strdup (call->requested);
  served->served = g_strdup (out->model_id);
  served->task = g_strdup (out->task);
  served->status = status;
  served->stream = call->stream;
  served->latency_ms = (g_get_monotonic_time () - call->started_us) / 1000.0;
  served->cost_usd = cost;
  served->fallbacks = out->attempts->len > 0 ? out->attempts->len - 1 : 0;
  _rw_server_emit_served (call->server, served);
}

void
_rw_server_call_client_gone (RwServerCall *call)
{
  /* The client went away: stop whatever is still running. */
  call->finished = TRUE;
  _rw_server_clear_source (&call->server_heartbeat);
  g_cancellable_cancel (call->cancellable);
}

/* Appends a piece of a streamed body, in its chunk frame when the client reads chunks. */
static void
server_stream_append (RwServerConn       *c,
                      const char *data,
                      gsize       len)
{
  if (c->req.minor_version >= 1)
    g_string_append_printf (c->out, "%" G_GSIZE_MODIFIER "x\r\n", len);
  g_string_append_len (c->out, data, (gssize) len);
  if (c->req.minor_version >= 1)
    g_string_append_len (c->out, "\r\n", 2);
}

static void
server_stream_end (RwServerConn *c)
{
  if (c->req.minor_version >= 1)
    g_string_append_len (c->out, "0\r\n\r\n", 5);
  else
    c->close_after = TRUE;
}

static gboolean
server_heartbeat (gpointer data)
{
  RwServerCall *call = data;

  if (g_get_monotonic_time () - call->last_write_us >= (gint64) call->server->heartbeat_ms * 1000)
    {
      server_stream_append (call->conn, ": keep-alive\n\n", 14);
      call->last_write_us = g_get_monotonic_time ();
      _rw_server_conn_flush (call->conn);
    }
  return G_SOURCE_CONTINUE;
}

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
  server_stream_append (call->conn, line->str, line->len);
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

static void
server_start_stream (RwServerCall       *call,
                     const char *model,
                     const char *task)
{
  call->headers_sent = TRUE;
  /* A streamed reply ends its connection. node-fetch 2 (the openai package's 4.x client, and
   * others) takes a complete chunked reply on a connection kept alive for "Premature close" on
   * Node releases that keep watching an idle pooled socket (Debian 12's Node 18 among them,
   * nodejs/node#63989); on a connection that closes it reads the same reply whole. A stream
   * lasts seconds, so the next request's new connection costs next to nothing. */
  call->conn->close_after = TRUE;
  _rw_server_begin_reply (call->conn, 200, "text/event-stream", -1, model, task ? task : "default");
  for (guint i = 0; i < call->n_choices; i++)
    {
      RwChatDelta role = RW_CHAT_DELTA_INIT;

      role.choice = i;
      role.text = "";
      server_append_chunk (call, model, &role, NULL, TRUE);
    }
  call->last_write_us = g_get_monotonic_time ();
  call->server_heartbeat = _rw_server_add_timeout (call->server->heartbeat_ms, server_heartbeat,
                                                   call);
}

static void
server_on_commit (RwModel    *model,
                  const char *task,
                  gpointer    user_data)
{
  RwServerCall *call = user_data;

  if (call->stream && !call->headers_sent && !call->finished)
    {
      server_start_stream (call, rw_model_get_id (model), task);
      _rw_server_conn_flush (call->conn);
    }
}

static void
server_on_delta (RwModel           *model,
                 const RwChatDelta *delta,
                 gpointer           user_data)
{
  RwServerCall *call = user_data;

  if (!call->stream || call->finished)
    return;
  server_append_chunk (call, rw_model_get_id (model), delta, NULL, FALSE);
  call->last_write_us = g_get_monotonic_time ();
  _rw_server_conn_flush (call->conn);
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

static void
server_route_done (GObject      *object,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  RwServerCall *call = user_data;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  RwChatResult *r = out->result;
  RwServerConn *c = call->conn;

  __atomic_add_fetch (&call->server->n_served, 1, __ATOMIC_RELAXED);
  _rw_server_clear_source (&call->server_heartbeat);
  {
    const char *code;
    /* A failure after text went out is logged as the failure it was; a client that went away
     * first as 499, as nginx logs it. */
    guint status = call->finished || c->fd < 0 ? 499
                   : r->error != NULL ? server_status_for_error (r->error, &code) : 200;

    server_call_report (call, out, status);
  }
  if (call->finished || c->fd < 0)
    {
      c->call = NULL;
      server_call_free (call);
      return;
    }

  if (r->error != NULL && !call->headers_sent)
    {
      const char *code;
      guint status = server_status_for_error (r->error, &code);

      _rw_server_reply_json (c, status, out->model_id, out->task ? out->task : "default",
                  _rw_server_error_json (status, r->error->message, code));
    }
  else if (!call->stream)
    server_reply_whole (call, out);
  else
    {
      if (!call->headers_sent)
        server_start_stream (call, out->model_id, out->task);
      call->fingerprint = g_strdup (r->system_fingerprint);
      if (r->error != NULL)
        {
          /* Text already went out: end the stream with an error event, never a clean finish. */
          const char *code;
          guint status = server_status_for_error (r->error, &code);
          g_autofree char *json = _rw_server_error_json (status, r->error->message, code);
          g_autofree char *line = g_strdup_printf ("data: %s\n\n", json);

          server_stream_append (c, line, strlen (line));
        }
      else
        {
          for (guint i = 0; i < MAX (call->n_choices, rw_chat_result_get_n_choices (r)); i++)
            {
              RwChatChoice *choice = rw_chat_result_peek_choice (r, i);
              const char *finish = i == 0 ? r->finish_reason
                                  : choice != NULL ? choice->finish_reason : NULL;
              RwChatDelta end = RW_CHAT_DELTA_INIT;

              end.choice = i;
              server_append_chunk (call, out->model_id, &end, finish ? finish : "stop", FALSE);
            }
          if (call->include_usage)
            server_append_usage_chunk (call, out->model_id, r);
          server_stream_append (c, "data: [DONE]\n\n", 14);
        }
      server_stream_end (c);
    }

  _rw_server_conn_ref (c);
  c->call = NULL;
  server_call_free (call);
  _rw_server_conn_flush (c);
  /* A request the client sent behind this one is answered next. */
  if (c->fd >= 0)
    _rw_server_conn_process (c);
  _rw_server_conn_unref (c);
}

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
  const char *task = task_header;
  const char *name;
  guint32 v;

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
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "“model” is required");
      return NULL;
    }
  *model = g_strdup (name);

  /* Read once the way every other caller reads messages. */
  messages = rw_json_doc_to_node (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "messages"));
  if (!rw_chat_request_set_messages_from_json (request, messages, error))
    return NULL;

  request->stream = rw_json_doc_boolean (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "stream"),
                                         FALSE);
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "stream_options");
  *include_usage = rw_json_doc_boolean (doc, rw_json_doc_member (doc, v, "include_usage"), FALSE);
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "n");
  if (v != RW_JSON_NONE && rw_json_doc_type (doc, v) != RW_JSON_NULL &&
      (rw_json_doc_type (doc, v) != RW_JSON_INT || rw_json_doc_int (doc, v, 0) < 1 ||
       rw_json_doc_int (doc, v, 0) > 128))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "“n” must be a whole number from 1 to 128");
      return NULL;
    }
  *n_choices = (guint) rw_json_doc_int (doc, v, 1);
  /* The limit keeps the name the caller gave it: reasoning models refuse max_tokens. */
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "max_completion_tokens");
  request->max_completion_tokens = v != RW_JSON_NONE;
  if (v == RW_JSON_NONE)
    v = rw_json_doc_member (doc, RW_JSON_ROOT, "max_tokens");
  request->max_tokens = rw_json_doc_int (doc, v, 0);
  request->temperature = rw_json_doc_double (doc, rw_json_doc_member (doc, RW_JSON_ROOT,
                                                                      "temperature"), -1);

  /* Every other field goes upstream as the caller sent it. */
  {
    g_autoptr(JsonObject) extra = json_object_new ();
    static const char * const own[] = { "model", "messages", "stream", "stream_options",
                                        "temperature", "max_tokens", "max_completion_tokens",
                                        NULL };

    for (guint32 m = rw_json_doc_first (doc, RW_JSON_ROOT); m != RW_JSON_NONE;
         m = rw_json_doc_next (doc, m))
      if (!g_strv_contains (own, rw_json_doc_name (doc, m)))
        {
          JsonNode *value = rw_json_doc_to_node (doc, m);

          /* metadata.task is Routewise's own routing hint: it stays here. */
          if (g_str_equal (rw_json_doc_name (doc, m), "metadata") && JSON_NODE_HOLDS_OBJECT (value))
            {
              json_object_remove_member (json_node_get_object (value), "task");
              if (json_object_get_size (json_node_get_object (value)) == 0)
                {
                  json_node_unref (value);
                  continue;
                }
            }
          json_object_set_member (extra, rw_json_doc_name (doc, m), value);
        }
    if (json_object_get_size (extra) > 0)
      {
        g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), extra);
        g_autofree char *text = rw_json_to_string (node, FALSE);

        rw_chat_request_set_extra (request, text);
      }
  }

  /* The task: our header, else metadata.task. */
  if (task == NULL)
    task = rw_json_doc_string (doc, rw_json_doc_member (doc, rw_json_doc_member (doc, RW_JSON_ROOT,
                                                                                 "metadata"),
                                                        "task"));
  if (task != NULL && *task != '\0')
    rw_chat_request_set_task (request, task);

  return g_steal_pointer (&request);
}

static void
server_handle_completions (RwServer   *self,
                           RwServerConn       *c,
                           const char *body,
                           gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  gboolean include_usage = FALSE;
  guint n_choices = 1;
  g_autoptr(RwChatRequest) request = server_parse_request (body, len, c->req.task, &model,
                                                           &include_usage, &n_choices, &error);
  RwServerCall *call;
  char uuid[37];

  if (request == NULL)
    {
      _rw_server_reply_error (c, 400, error->message, NULL);
      return;
    }

  call = g_new0 (RwServerCall, 1);
  call->server = g_object_ref (self);
  call->conn = _rw_server_conn_ref (c);
  call->cancellable = g_cancellable_new ();
  {
    /* 128 random bits, as OpenAI's ids carry. */
    static const char hex[] = "0123456789abcdef";
    char *p = uuid;

    for (int i = 0; i < 4; i++)
      {
        guint32 x = g_random_int ();
        for (int j = 0; j < 8; j++, x >>= 4)
          *p++ = hex[x & 15];
      }
    *p = '\0';
  }
  call->id = g_strconcat ("chatcmpl-", uuid, NULL);
  call->created = g_get_real_time () / G_USEC_PER_SEC;
  call->stream = request->stream;
  call->include_usage = include_usage;
  call->n_choices = n_choices;
  call->requested = g_strdup (model);
  call->started_us = g_get_monotonic_time ();
  c->call = call;

  rw_router_route_async (self->router, request, model, server_on_delta, server_on_commit, call,
                         call->cancellable, server_route_done, call);
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

  if (!c->req.authorized)
    _rw_server_reply_error (c, 401, "a valid bearer token is required: it is in the file “token” of the "
                         "Routewise configuration folder", "invalid_api_key");
  else if (g_str_equal (path, "/v1/chat/completions"))
    {
      if (!g_str_equal (c->req.method, "POST"))
        _rw_server_reply_error (c, 405, "use POST", NULL);
      else
        server_handle_completions (self, c, body, len);
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
                         "/v1/models and /v1/models/{id}", NULL);
}
