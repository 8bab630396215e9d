/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-server-private.h"

/* One request the endpoint routes, whatever the wire format it came in: its lifetime, the
 * route, the heartbeat of its stream, the record of what was answered, and the stream's
 * framing. The format (Chat Completions, Responses) writes the answer. */

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
                       const char *code,
                       const char *param)
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
  if (param != NULL)
    json_builder_add_string_value (b, param);
  else
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
guint
_rw_server_status_for_error (const GError  *error,
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

void
_rw_server_call_free (RwServerCall *call)
{
  if (call->format->free_state != NULL && call->state != NULL)
    call->format->free_state (call->state);
  _rw_server_clear_source (&call->server_heartbeat);
  g_clear_pointer (&call->conn, _rw_server_conn_unref);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->server);
  g_free (call->id);
  g_free (call->requested);
  g_free (call->fingerprint);
  g_free (call);
}

/**
 * _rw_server_call_report:
 * @served: (nullable): the model that answered, or was tried last
 * @task: (nullable): the request's task
 * @cost: what it cost, NAN when nothing of it was priced
 * @fallbacks: the attempts after the first
 *
 * Tells the server's owner what was answered: the log of the app's endpoint.
 */
void
_rw_server_call_report (RwServerCall *call,
                        const char   *served,
                        const char   *task,
                        guint         status,
                        double        cost,
                        guint         fallbacks)
{
  RwServedRequest *r;

  /* Only an owner that listens (the app's log) pays for the record; serve does not. */
  if (!_rw_server_has_served_handler (call->server))
    return;
  r = g_new0 (RwServedRequest, 1);
  r->time_ms = g_get_real_time () / 1000;
  r->requested = g_strdup (call->requested);
  r->served = g_strdup (served);
  r->task = g_strdup (task);
  r->status = status;
  r->stream = call->stream;
  r->latency_ms = (g_get_monotonic_time () - call->started_us) / 1000.0;
  r->cost_usd = cost;
  r->fallbacks = fallbacks;
  _rw_server_emit_served (call->server, r);
}

/* The log's record of a routed request: every attempt's cost together. */
static void
server_call_report (RwServerCall  *call,
                    RwRouteResult *out,
                    guint          status)
{
  double cost = NAN;

  for (guint i = 0; i < out->attempts->len; i++)
    {
      RwChatResult *a = out->attempts->pdata[i];
      if (isfinite (a->cost_usd))
        cost = (isfinite (cost) ? cost : 0) + a->cost_usd;
    }
  _rw_server_call_report (call, out->model_id, out->task, status, cost,
                          out->attempts->len > 0 ? out->attempts->len - 1 : 0);
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
void
_rw_server_stream_append (RwServerConn *c,
                          const char   *data,
                          gsize         len)
{
  if (c->req.minor_version >= 1)
    g_string_append_printf (c->out, "%" G_GSIZE_MODIFIER "x\r\n", len);
  g_string_append_len (c->out, data, (gssize) len);
  if (c->req.minor_version >= 1)
    g_string_append_len (c->out, "\r\n", 2);
}

void
_rw_server_stream_end (RwServerConn *c)
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
      _rw_server_stream_append (call->conn, ": keep-alive\n\n", 14);
      call->last_write_us = g_get_monotonic_time ();
      _rw_server_conn_flush (call->conn);
    }
  return G_SOURCE_CONTINUE;
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
  call->format->stream_start (call, model);
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
  call->format->stream_delta (call, rw_model_get_id (model), delta);
  call->last_write_us = g_get_monotonic_time ();
  _rw_server_conn_flush (call->conn);
  if (call->conn->fd >= 0 && call->conn->out->len - call->conn->out_pos > MAX_UNREAD_OUTPUT)
    {
      /* The client does not read its answer: rather than hold the rest of it in memory, the
       * request ends here, as if the client had gone. */
      g_message ("a client left %u bytes of its streamed answer unread: its connection is closed",
                 (guint) (call->conn->out->len - call->conn->out_pos));
      _rw_server_conn_close (call->conn);
    }
}

static void server_reply_routed (RwServerCall  *call,
                                 RwRouteResult *out);

typedef struct
{
  RwServerCall *call;
  RwRouteResult *out;
  RwServerWorker *worker;
} RwServerRouted;

static void
server_route_stored (GObject      *object,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  RwServerRouted *routed = user_data;

  rw_store_when_stored_finish (RW_STORE (object), res);
  routed->worker->n_storing--;
  server_reply_routed (routed->call, routed->out);
  rw_route_result_unref (routed->out);
  g_free (routed);
}

static void
server_route_done (GObject      *object,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  RwServerCall *call = user_data;
  RwRouteResult *out = rw_router_route_finish (RW_ROUTER (object), res);
  RwStore *store = rw_router_get_store (RW_ROUTER (object));

  if (store != NULL)
    {
      /* The end of the reply goes out once the answer is in the database: a process killed
       * after it has answered has lost nothing it answered. */
      RwServerRouted *routed = g_new0 (RwServerRouted, 1);

      routed->call = call;
      routed->out = out;
      routed->worker = call->conn->worker;
      routed->worker->n_storing++;
      rw_store_when_stored_async (store, server_route_stored, routed);
      return;
    }
  server_reply_routed (call, out);
  rw_route_result_unref (out);
}

static void
server_reply_routed (RwServerCall  *call,
                     RwRouteResult *out)
{
  RwChatResult *r = out->result;
  RwServerConn *c = call->conn;

  __atomic_add_fetch (&call->server->n_served, 1, __ATOMIC_RELAXED);
  _rw_server_clear_source (&call->server_heartbeat);
  {
    const char *code;
    /* A failure after text went out is logged as the failure it was; a client that went away
     * first as 499, as nginx logs it. */
    guint status = call->finished || c->fd < 0 ? 499
                   : r->error != NULL ? _rw_server_status_for_error (r->error, &code) : 200;

    server_call_report (call, out, status);
  }
  if (call->finished || c->fd < 0)
    {
      c->call = NULL;
      _rw_server_call_free (call);
      return;
    }

  if (r->error != NULL && !call->headers_sent)
    {
      const char *code;
      guint status = _rw_server_status_for_error (r->error, &code);

      /* The wait the last upstream asked for, in whole seconds, for the caller's own retry. */
      if (r->retry_after_ms > 0)
        c->retry_after_s = (guint) MIN ((r->retry_after_ms + 999) / 1000, 86400);
      _rw_server_reply_json (c, status, out->model_id, out->task ? out->task : "default",
                  _rw_server_error_json (status, r->error->message, code,
                                        rw_error_get_param (r->error)));
    }
  else if (!call->stream)
    call->format->reply_whole (call, out);
  else
    {
      if (!call->headers_sent)
        server_start_stream (call, out->model_id, out->task);
      if (r->error != NULL)
        {
          /* Text already went out: end the stream with an error event, never a clean finish. */
          const char *code;
          guint status = _rw_server_status_for_error (r->error, &code);

          call->format->stream_fail (call, status, r->error, code);
        }
      else
        call->format->stream_finish (call, out);
      _rw_server_stream_end (c);
    }

  _rw_server_call_done (call);
}

/**
 * _rw_server_call_done:
 * @call: (transfer full): a call whose reply is queued, or whose client went away
 *
 * Frees @call, sends what is queued, and goes on to a request the client sent behind it.
 */
void
_rw_server_call_done (RwServerCall *call)
{
  RwServerConn *c = _rw_server_conn_ref (call->conn);

  c->call = NULL;
  _rw_server_call_free (call);
  _rw_server_conn_flush (c);
  /* A request the client sent behind this one is answered next. */
  if (c->fd >= 0)
    _rw_server_conn_process (c);
  _rw_server_conn_unref (c);
}

/**
 * _rw_server_call_start:
 * @c: the connection the request came on
 * @format: how to write the answer
 * @id_prefix: the answer's id begins with this ("chatcmpl-", "resp_")
 * @request: the request, parsed
 * @model: the model it asked for
 *
 * Routes @request and answers on @c as @format writes it.
 *
 * Returns: (transfer none): the call, the connection's until it is answered
 */
RwServerCall *
_rw_server_call_start (RwServerConn         *c,
                       const RwServerFormat *format,
                       const char           *id_prefix,
                       RwChatRequest        *request,
                       const char           *model)
{
  RwServerCall *call = _rw_server_call_new (c, format, id_prefix, model);

  call->stream = request->stream;
  return call;
}

/**
 * _rw_server_call_new:
 * @c: the connection the request came on
 * @format: how to write the answer
 * @id_prefix: the answer's id begins with this
 * @model: the model it asked for
 *
 * A request in flight on @c, answered whole unless told otherwise; until _rw_server_call_done()
 * the connection reads no request behind it, and a client that goes away cancels the call's
 * cancellable.
 *
 * Returns: (transfer none): the call, the connection's until it is answered
 */
RwServerCall *
_rw_server_call_new (RwServerConn         *c,
                     const RwServerFormat *format,
                     const char           *id_prefix,
                     const char           *model)
{
  RwServer *self = c->server;
  RwServerCall *call = g_new0 (RwServerCall, 1);
  char uuid[33];
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
  call->format = format;
  call->server = g_object_ref (self);
  call->conn = _rw_server_conn_ref (c);
  call->cancellable = g_cancellable_new ();
  call->id = g_strconcat (id_prefix, uuid, NULL);
  call->created = g_get_real_time () / G_USEC_PER_SEC;
  call->n_choices = 1;
  call->requested = g_strdup (model);
  call->started_us = g_get_monotonic_time ();
  c->call = call;
  return call;
}

/* Sends the call's request on its way; the answer comes back through the format. */
void
_rw_server_call_route (RwServerCall  *call,
                       RwChatRequest *request)
{
  rw_router_route_async (call->server->router, request, call->requested, server_on_delta,
                         server_on_commit, call, call->cancellable, server_route_done, call);
}

/* A JSON number that is a whole number, as a token limit must be. */
static gboolean
server_node_is_whole (JsonNode *node,
                      gint64   *value)
{
  double d;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return FALSE;
  d = json_node_get_double (node);
  if (!isfinite (d) || d != floor (d) || fabs (d) > 9e15)
    return FALSE;
  *value = (gint64) d;
  return TRUE;
}

/**
 * _rw_server_check_request:
 * @stream: (nullable): the caller's stream member
 * @temperature: (nullable): the caller's temperature member
 * @limit: (nullable): the caller's token limit member
 * @limit_name: that member's name
 *
 * The members the endpoint reads itself must be of their type and range, as OpenAI's are:
 * where one is not, the request is refused, naming it, rather than sent on without it or with
 * it out of range. A member that is missing or null is the default.
 *
 * Returns: whether the request may go on
 */
gboolean
_rw_server_check_request (JsonNode    *stream,
                          JsonNode    *temperature,
                          JsonNode    *limit,
                          const char  *limit_name,
                          GError     **error)
{
  gint64 n;

  if (stream != NULL && !JSON_NODE_HOLDS_NULL (stream) &&
      json_node_get_value_type (stream) != G_TYPE_BOOLEAN)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "stream", "“stream” must be true or false");
      return FALSE;
    }
  if (temperature != NULL && !JSON_NODE_HOLDS_NULL (temperature) &&
      (!JSON_NODE_HOLDS_VALUE (temperature) ||
       (json_node_get_value_type (temperature) != G_TYPE_INT64 &&
        json_node_get_value_type (temperature) != G_TYPE_DOUBLE) ||
       !(json_node_get_double (temperature) >= 0 && json_node_get_double (temperature) <= 2)))
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "temperature",
                          "“temperature” must be a number from 0 to 2");
      return FALSE;
    }
  if (limit != NULL && !JSON_NODE_HOLDS_NULL (limit) &&
      (!JSON_NODE_HOLDS_VALUE (limit) || !server_node_is_whole (limit, &n) || n < 1))
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, limit_name,
                          "“%s” must be a whole number of 1 or more", limit_name);
      return FALSE;
    }
  return TRUE;
}

/**
 * _rw_server_request_set_extra:
 * @request: a request being read
 * @extra: the caller's fields that go upstream as they are
 * @task_header: (nullable): the x-routewise-task header
 *
 * Gives @request its extra fields and its task: the header's, else the caller's metadata.task.
 * That is Routewise's own routing hint: it leaves metadata rather than go upstream with it, and
 * a metadata left empty goes too. The caller's metadata object is copied, never changed.
 */
void
_rw_server_request_set_extra (RwChatRequest *request,
                              JsonObject    *extra,
                              const char    *task_header)
{
  JsonObject *metadata = rw_json_object_get_object (extra, "metadata");
  g_autofree char *task = g_strdup (task_header ? task_header
                                    : metadata ? rw_json_object_get_string (metadata, "task", NULL)
                                    : NULL);

  if (metadata != NULL)
    {
      g_autoptr(JsonObject) rest = json_object_new ();
      g_autoptr(GList) keys = json_object_get_members (metadata);

      for (GList *l = keys; l != NULL; l = l->next)
        if (!g_str_equal (l->data, "task"))
          json_object_set_member (rest, l->data,
                                  json_node_copy (json_object_get_member (metadata, l->data)));
      if (json_object_get_size (rest) > 0)
        json_object_set_object_member (extra, "metadata", g_steal_pointer (&rest));
      else
        json_object_remove_member (extra, "metadata");
    }
  if (task != NULL && *task != '\0')
    rw_chat_request_set_task (request, task);
  if (json_object_get_size (extra) > 0)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), extra);
      g_autofree char *text = rw_json_to_string (node, FALSE);

      rw_chat_request_set_extra (request, text);
    }
}
