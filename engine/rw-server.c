/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_ENGINE_COMPILATION
# define RW_ENGINE_COMPILATION 1
#endif
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "rw-error.h"
#include "rw-server.h"

/**
 * RwServer:
 *
 * The local OpenAI-compatible endpoint: `POST /v1/chat/completions`, streamed or not, and
 * `GET /v1/models`, on 127.0.0.1 only, each request authenticated by the bearer token. Requests
 * go through the router, so `routewise/auto` routes by the policy and a concrete model falls
 * back as the policy says; whatever the upstream protocol, callers see OpenAI's format, and the
 * `x-routewise-model` and `x-routewise-task` headers say what served the request.
 */
struct _RwServer
{
  GObject parent_instance;

  RwRouter *router;
  SoupServer *soup;
  char *token;
  guint16 port;
  guint heartbeat_ms;
  guint64 n_served;
};

G_DEFINE_FINAL_TYPE (RwServer, rw_server, G_TYPE_OBJECT)

#define MAX_REQUEST_BODY (8 * 1024 * 1024)

static void
rw_server_dispose (GObject *object)
{
  RwServer *self = (RwServer *) object;

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->router);
  G_OBJECT_CLASS (rw_server_parent_class)->dispose (object);
}

static void
rw_server_finalize (GObject *object)
{
  RwServer *self = (RwServer *) object;

  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
  G_OBJECT_CLASS (rw_server_parent_class)->finalize (object);
}

static void
rw_server_class_init (RwServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_server_dispose;
  object_class->finalize = rw_server_finalize;
}

static void
rw_server_init (RwServer *self)
{
  self->heartbeat_ms = 15000;
}

/**
 * rw_server_set_heartbeat:
 * @self: a #RwServer
 * @interval_ms: how often a stream that has nothing to send sends an SSE comment
 *
 * The comment keeps proxies from closing a quiet stream, and lets the server notice a client
 * that went away while the upstream is silent.
 */
void
rw_server_set_heartbeat (RwServer *self,
                         guint     interval_ms)
{
  self->heartbeat_ms = MAX (10, interval_ms);
}

/* ----------------------------------------------------------------------------------- token */

/**
 * rw_server_load_token:
 * @path: the token file
 * @error: return location for an error
 *
 * Reads the endpoint's token, creating the file with a new random token (mode 0600) the first
 * time. A file that others can read is made private again.
 *
 * Returns: (transfer full) (nullable): the token
 */
char *
rw_server_load_token (const char  *path,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  GStatBuf st;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot create %s: %s", dir, g_strerror (errno));
      return NULL;
    }

  if (g_stat (path, &st) != 0)
    {
      guint8 bytes[24];
      g_autoptr(GString) token = g_string_new ("rw-");
      int fd;

      if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "no randomness for a token: %s",
                       g_strerror (errno));
          return NULL;
        }
      for (guint i = 0; i < sizeof bytes; i++)
        g_string_append_printf (token, "%02x", bytes[i]);
      g_string_append_c (token, '\n');

      fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0 || write (fd, token->str, token->len) != (gssize) token->len)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot write %s: %s", path,
                       g_strerror (errno));
          if (fd >= 0)
            close (fd);
          return NULL;
        }
      close (fd);
      memset (bytes, 0, sizeof bytes);
    }
  else if ((st.st_mode & 077) != 0)
    {
      g_message ("%s could be read by others; it is private again", path);
      g_chmod (path, 0600);
    }

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot read %s", path);
      return NULL;
    }
  g_strstrip (contents);
  if (strlen (contents) < 16)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s holds no usable token; delete it to have a new one made", path);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

/* --------------------------------------------------------------------------------- replies */

static const char *
status_type (guint status)
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

static char *
error_json (guint       status,
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
  json_builder_add_string_value (b, status_type (status));
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
  return json_to_string (root, FALSE);
}

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            char              *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *message,
             const char        *code)
{
  reply_json (msg, status, error_json (status, message, code));
}

/* The HTTP status and OpenAI error code for a routing failure. */
static guint
status_for_error (const GError  *error,
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

typedef struct
{
  RwServer *server;
  SoupServerMessage *msg;
  GCancellable *cancellable;
  char *id;
  gint64 created;
  gboolean stream;
  gboolean include_usage;
  gboolean headers_sent;
  gboolean finished;
  gulong finished_id;
  gulong disconnected_id;
  guint heartbeat_id;
  gint64 last_write_us;
} Call;

static void
call_free (Call *call)
{
  g_clear_handle_id (&call->heartbeat_id, g_source_remove);
  if (call->finished_id != 0)
    g_signal_handler_disconnect (call->msg, call->finished_id);
  if (call->disconnected_id != 0)
    g_signal_handler_disconnect (call->msg, call->disconnected_id);
  g_clear_object (&call->msg);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->server);
  g_free (call->id);
  g_free (call);
}

static void
on_msg_finished (SoupServerMessage *msg,
                 Call              *call)
{
  /* The client went away or the reply is complete: stop whatever is still running. */
  call->finished = TRUE;
  g_clear_handle_id (&call->heartbeat_id, g_source_remove);
  g_cancellable_cancel (call->cancellable);
}

static gboolean
heartbeat (gpointer data)
{
  Call *call = data;

  if (g_get_monotonic_time () - call->last_write_us >= (gint64) call->server->heartbeat_ms * 1000)
    {
      soup_message_body_append (soup_server_message_get_response_body (call->msg),
                                SOUP_MEMORY_STATIC, ": keep-alive\n\n", 14);
      call->last_write_us = g_get_monotonic_time ();
      soup_server_message_unpause (call->msg);
    }
  return G_SOURCE_CONTINUE;
}

static void
set_route_headers (SoupServerMessage *msg,
                   const char        *model,
                   const char        *task)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  if (model != NULL)
    soup_message_headers_replace (h, "x-routewise-model", model);
  /* Without a task, the policy's default list served the request. */
  soup_message_headers_replace (h, "x-routewise-task", task ? task : "default");
}

static void
append_chunk (Call        *call,
              const char  *model,
              const char  *content,
              const char  *finish_reason,
              gboolean     role,
              RwChatResult *usage)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, call->id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "chat.completion.chunk");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, call->created);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model ? model : "");
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  if (usage == NULL)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, 0);
      json_builder_set_member_name (b, "delta");
      json_builder_begin_object (b);
      if (role)
        {
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, "assistant");
        }
      if (content != NULL)
        {
          json_builder_set_member_name (b, "content");
          json_builder_add_string_value (b, content);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "finish_reason");
      if (finish_reason != NULL)
        json_builder_add_string_value (b, finish_reason);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (usage != NULL)
    {
      json_builder_set_member_name (b, "usage");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "prompt_tokens");
      json_builder_add_int_value (b, MAX (0, usage->tokens_in));
      json_builder_set_member_name (b, "completion_tokens");
      json_builder_add_int_value (b, MAX (0, usage->tokens_out));
      json_builder_set_member_name (b, "total_tokens");
      json_builder_add_int_value (b, MAX (0, usage->tokens_in) + MAX (0, usage->tokens_out));
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  line = g_strdup_printf ("data: %s\n\n", json);
  soup_message_body_append (soup_server_message_get_response_body (call->msg), SOUP_MEMORY_COPY,
                            line, strlen (line));
}

static void
start_stream (Call       *call,
              const char *model,
              const char *task)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (call->msg);

  call->headers_sent = TRUE;
  soup_server_message_set_status (call->msg, 200, NULL);
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (h, "text/event-stream", NULL);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  set_route_headers (call->msg, model, task);
  append_chunk (call, model, "", NULL, TRUE, NULL);
  call->last_write_us = g_get_monotonic_time ();
  call->heartbeat_id = g_timeout_add (call->server->heartbeat_ms, heartbeat, call);
}

static void
on_commit (RwModel    *model,
           const char *task,
           gpointer    user_data)
{
  Call *call = user_data;

  if (call->stream && !call->headers_sent && !call->finished)
    start_stream (call, rw_model_get_id (model), task);
}

static void
on_delta (RwModel    *model,
          const char *text,
          gpointer    user_data)
{
  Call *call = user_data;

  if (!call->stream || call->finished)
    return;
  append_chunk (call, rw_model_get_id (model), text, NULL, FALSE, NULL);
  call->last_write_us = g_get_monotonic_time ();
  soup_server_message_unpause (call->msg);
}

static void
reply_whole (Call          *call,
             RwRouteResult *out)
{
  RwChatResult *r = out->result;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, call->id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "chat.completion");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, call->created);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, out->model_id);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "message");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "assistant");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, r->text->str);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "finish_reason");
  json_builder_add_string_value (b, r->finish_reason ? r->finish_reason : "stop");
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, MAX (0, r->tokens_in));
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, MAX (0, r->tokens_out));
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, MAX (0, r->tokens_in) + MAX (0, r->tokens_out));
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);

  set_route_headers (call->msg, out->model_id, out->task);
  reply_json (call->msg, 200, json_to_string (root, FALSE));
}

static void
route_done (GObject      *object,
            GAsyncResult *res,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  RwChatResult *r = out->result;
  SoupMessageBody *body = soup_server_message_get_response_body (call->msg);

  call->server->n_served++;
  g_clear_handle_id (&call->heartbeat_id, g_source_remove);
  if (call->finished)
    {
      call_free (call);
      return;
    }

  if (r->error != NULL && !call->headers_sent)
    {
      const char *code;
      guint status = status_for_error (r->error, &code);

      set_route_headers (call->msg, out->model_id, out->task);
      reply_error (call->msg, status, r->error->message, code);
    }
  else if (!call->stream)
    reply_whole (call, out);
  else
    {
      if (!call->headers_sent)
        start_stream (call, out->model_id, out->task);
      if (r->error != NULL)
        {
          /* Text already went out: end the stream with an error event, never a clean finish. */
          const char *code;
          guint status = status_for_error (r->error, &code);
          g_autofree char *json = error_json (status, r->error->message, code);
          g_autofree char *line = g_strdup_printf ("data: %s\n\n", json);

          soup_message_body_append (body, SOUP_MEMORY_COPY, line, strlen (line));
        }
      else
        {
          append_chunk (call, out->model_id, NULL, r->finish_reason ? r->finish_reason : "stop",
                        FALSE, NULL);
          if (call->include_usage)
            append_chunk (call, out->model_id, NULL, NULL, FALSE, r);
          soup_message_body_append (body, SOUP_MEMORY_STATIC, "data: [DONE]\n\n", 14);
        }
      soup_message_body_complete (body);
    }
  soup_server_message_unpause (call->msg);
  call_free (call);
}

static RwChatRequest *
parse_request (SoupServerMessage  *msg,
               char              **model,
               gboolean           *include_usage,
               GError            **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(RwChatRequest) request = rw_chat_request_new ();
  g_autoptr(GError) local = NULL;
  JsonObject *obj;
  JsonNode *node;
  const char *task;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   &local))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the body is not valid JSON: %s",
                   local->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the body must be a JSON object");
      return NULL;
    }
  obj = json_node_get_object (json_parser_get_root (parser));

  node = json_object_get_member (obj, "model");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "“model” is required");
      return NULL;
    }
  *model = g_strdup (json_node_get_string (node));

  if (!rw_chat_request_set_messages_from_json (request, json_object_get_member (obj, "messages"),
                                               error))
    return NULL;

  request->stream = json_object_get_boolean_member_with_default (obj, "stream", FALSE);
  node = json_object_get_member (obj, "stream_options");
  *include_usage = node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
                   json_object_get_boolean_member_with_default (json_node_get_object (node),
                                                                "include_usage", FALSE);
  request->max_tokens = json_object_get_int_member_with_default (obj, "max_completion_tokens",
                          json_object_get_int_member_with_default (obj, "max_tokens", 0));
  if (json_object_has_member (obj, "temperature") &&
      !json_object_get_null_member (obj, "temperature"))
    request->temperature = json_object_get_double_member_with_default (obj, "temperature", -1);

  /* The task: our header, else metadata.task. */
  task = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                       "x-routewise-task");
  node = json_object_get_member (obj, "metadata");
  if (task == NULL && node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    task = json_object_get_string_member_with_default (json_node_get_object (node), "task", NULL);
  if (task != NULL && *task != '\0')
    rw_chat_request_set_task (request, task);

  return g_steal_pointer (&request);
}

static void
handle_completions (RwServer          *self,
                    SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  gboolean include_usage = FALSE;
  g_autoptr(RwChatRequest) request = parse_request (msg, &model, &include_usage, &error);
  Call *call;

  if (request == NULL)
    {
      reply_error (msg, 400, error->message, NULL);
      return;
    }

  call = g_new0 (Call, 1);
  call->server = g_object_ref (self);
  call->msg = g_object_ref (msg);
  call->cancellable = g_cancellable_new ();
  {
    g_autofree char *uuid = g_uuid_string_random ();
    call->id = g_strdup_printf ("chatcmpl-%s", uuid);
  }
  call->created = g_get_real_time () / G_USEC_PER_SEC;
  call->stream = request->stream;
  call->include_usage = include_usage;
  call->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_msg_finished), call);
  call->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (on_msg_finished), call);

  soup_server_message_pause (msg);
  rw_router_route_async (self->router, request, model, on_delta, on_commit, call,
                         call->cancellable, route_done, call);
}

static void
handle_models (RwServer          *self,
               SoupServerMessage *msg)
{
  GListModel *models = rw_catalog_get_models (rw_router_get_catalog (self->router));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "list");
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, RW_POLICY_AUTO_MODEL);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "model");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "owned_by");
  json_builder_add_string_value (b, "routewise");
  json_builder_end_object (b);
  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(RwModel) m = g_list_model_get_item (models, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, rw_model_get_id (m));
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "model");
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, 0);
      json_builder_set_member_name (b, "owned_by");
      json_builder_add_string_value (b, rw_model_get_provider_id (m));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  reply_json (msg, 200, json_to_string (root, FALSE));
}

static gboolean
token_matches (const char *given,
               const char *token)
{
  gsize a = strlen (given), b = strlen (token);
  guint8 diff = a != b;

  /* Compare in constant time for tokens of the right length. */
  for (gsize i = 0; i < b; i++)
    diff |= (guint8) (given[i < a ? i : 0] ^ token[i]);
  return diff == 0;
}

static void
handler (SoupServer        *soup,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  RwServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") || !token_matches (auth + 7, self->token))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      reply_error (msg, 401, "a valid bearer token is required: it is in the file “token” of the "
                             "Routewise configuration folder", "invalid_api_key");
      return;
    }

  if (g_str_equal (path, "/v1/chat/completions"))
    {
      if (!g_str_equal (method, "POST"))
        reply_error (msg, 405, "use POST", NULL);
      else if (soup_server_message_get_request_body (msg)->length > MAX_REQUEST_BODY)
        reply_error (msg, 413, "the request is too large", NULL);
      else
        handle_completions (self, msg);
    }
  else if (g_str_equal (path, "/v1/models"))
    {
      if (!g_str_equal (method, "GET"))
        reply_error (msg, 405, "use GET", NULL);
      else
        handle_models (self, msg);
    }
  else
    reply_error (msg, 404, "no such endpoint; Routewise serves /v1/chat/completions and "
                           "/v1/models", NULL);
}

/**
 * rw_server_new:
 * @router: the router requests go through
 * @token: the bearer token every request must carry
 *
 * Returns: (transfer full): a server, not yet listening
 */
RwServer *
rw_server_new (RwRouter   *router,
               const char *token)
{
  RwServer *self;

  g_return_val_if_fail (RW_IS_ROUTER (router), NULL);
  g_return_val_if_fail (token != NULL && *token != '\0', NULL);

  self = g_object_new (RW_TYPE_SERVER, NULL);
  self->router = g_object_ref (router);
  self->token = g_strdup (token);
  self->soup = soup_server_new ("server-header", "Routewise/" PACKAGE_VERSION, NULL);
  soup_server_add_handler (self->soup, "/", handler, self, NULL);
  return self;
}

/**
 * rw_server_listen:
 * @self: a #RwServer
 * @port: the port, or 0 for any free one
 * @error: return location for an error
 *
 * Listens on 127.0.0.1 only.
 *
 * Returns: %TRUE when listening
 */
gboolean
rw_server_listen (RwServer  *self,
                  guint16    port,
                  GError   **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GError) local = NULL;
  GSList *uris;

  if (!soup_server_listen (self->soup, address, 0, &local))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot listen on 127.0.0.1:%u: %s",
                   port, local->message);
      return FALSE;
    }
  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

guint16
rw_server_get_port (RwServer *self)
{
  return self->port;
}

guint64
rw_server_get_n_served (RwServer *self)
{
  return self->n_served;
}
