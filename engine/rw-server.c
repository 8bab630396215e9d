/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "rw-error.h"
#include "rw-http1.h"
#include "rw-json.h"
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
  int listen_fd;
  GSource *listen_watch;
  GSource *accept_retry;
  char *token;
  guint16 port;
  guint heartbeat_ms;
  guint64 n_served;       /* atomic */
  guint n_loops;
  /* The event loops connections are shared out to, round robin: the first is the one the
   * server listens on, the others run on threads of their own. */
  GPtrArray *workers;
  guint next_worker;
};

typedef struct
{
  RwServer *server;       /* not owned */
  GThread *thread;        /* NULL for the loop the server listens on */
  GMainContext *context;
  GMainLoop *loop;
  GHashTable *conns;      /* Conn -> itself: this loop's open connections */
} Worker;

G_DEFINE_FINAL_TYPE (RwServer, rw_server, G_TYPE_OBJECT)

#define MAX_REQUEST_BODY (8 * 1024 * 1024)

static void close_all (RwServer *self);

static void
rw_server_dispose (GObject *object)
{
  RwServer *self = (RwServer *) object;

  close_all (self);
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
  self->listen_fd = -1;
  self->n_loops = 1;
}

/* A timeout on the thread-default main context: connections live on several loops. */
static GSource *
add_timeout (guint       ms,
             GSourceFunc func,
             gpointer    data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
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
  return rw_json_to_string (root, FALSE);
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

/* ---------------------------------------------------------------------------- connections */

/*
 * One client connection: HTTP/1.1 with keep-alive, one request at a time (pipelined requests
 * wait in the input buffer), replies written as one buffer per event so that a whole answer
 * usually leaves in a single send(). While a request is being answered the socket is still
 * read, so that a client that goes away cancels its request at once.
 */
typedef struct _Call Call;

typedef struct
{
  /* The request being read or answered. */
  gboolean parsed;            /* its head is in */
  gsize head_len;
  gint64 content_length;
  gboolean chunked;
  RwHttp1Chunked decoder;
  gsize body_end;             /* end of the (decoded) body in the input buffer */
  gboolean continue_sent;
  char *method;
  char *path;
  char *task;
  gboolean authorized;
  gboolean keep_alive;
  guint minor_version;
} Request;

typedef struct
{
  gint ref_count;
  RwServer *server;           /* not owned; NULL once the connection is closed */
  Worker *worker;             /* the event loop it lives on */
  int fd;
  GSource *watch;
  GByteArray *in;
  GString *out;
  gsize out_pos;
  Request req;
  Call *call;                 /* the request in flight */
  gboolean close_after;       /* close once everything queued is sent */
  gboolean peer_closed;
  gboolean draining;          /* replied and shut down: input is read and dropped */
  GSource *drain_timer;
} Conn;

#define MAX_BUFFERED_INPUT (MAX_REQUEST_BODY + RW_HTTP1_MAX_HEAD)

static void conn_process (Conn *c);

static Conn *
conn_ref (Conn *c)
{
  c->ref_count++;
  return c;
}

static void
request_clear (Request *r)
{
  g_free (r->method);
  g_free (r->path);
  g_free (r->task);
  memset (r, 0, sizeof *r);
}

static void
conn_unref (Conn *c)
{
  if (--c->ref_count > 0)
    return;
  g_assert (c->fd < 0);
  request_clear (&c->req);
  g_byte_array_unref (c->in);
  g_string_free (c->out, TRUE);
  g_free (c);
}

static void call_client_gone (Call *call);

static void
conn_close (Conn *c)
{
  if (c->fd < 0)
    return;
  clear_source (&c->drain_timer);
  g_source_destroy (c->watch);
  g_clear_pointer (&c->watch, g_source_unref);
  close (c->fd);
  c->fd = -1;
  if (c->server != NULL)
    {
      g_hash_table_remove (c->worker->conns, c);
      c->server = NULL;
    }
  if (c->call != NULL)
    call_client_gone (c->call);
  conn_unref (c);   /* the open connection's own reference */
}

static gboolean
drain_timeout (gpointer data)
{
  Conn *c = data;

  g_clear_pointer (&c->drain_timer, g_source_unref);
  conn_close (c);
  return G_SOURCE_REMOVE;
}

static void
conn_update_events (Conn *c)
{
  GIOCondition events = 0;

  if (c->fd < 0)
    return;
  if (!c->peer_closed && c->in->len < MAX_BUFFERED_INPUT)
    events |= G_IO_IN;
  if (c->out_pos < c->out->len)
    events |= G_IO_OUT;
  rw_fd_watch_set_events (c->watch, events);
}

/* Sends what is queued; the rest waits for the socket to be writable. */
static void
conn_flush (Conn *c)
{
  while (c->fd >= 0 && c->out_pos < c->out->len)
    {
      gssize n = send (c->fd, c->out->str + c->out_pos, c->out->len - c->out_pos,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          conn_close (c);
          return;
        }
      c->out_pos += (gsize) n;
    }
  if (c->fd < 0)
    return;
  if (c->out_pos == c->out->len)
    {
      g_string_truncate (c->out, 0);
      c->out_pos = 0;
      if (c->close_after && c->call == NULL && !c->draining)
        {
          /* Say nothing more, and read what the client still sends until it closes too:
           * closing with unread input would reset the connection and could destroy the reply
           * before the client reads it. */
          shutdown (c->fd, SHUT_WR);
          c->draining = TRUE;
          c->peer_closed = FALSE;
          g_byte_array_set_size (c->in, 0);
          c->drain_timer = add_timeout (2000, drain_timeout, c);
        }
    }
  conn_update_events (c);
}

static const char *
reason_phrase (guint status)
{
  switch (status)
    {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

/* The Date header's value, made again only when the second changes; one per event loop. */
static const char *
http_date (void)
{
  static _Thread_local char buf[64];
  static _Thread_local gint64 last_second = -1;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (now != last_second)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (now);
      g_autofree char *s = g_date_time_format (dt, "%a, %d %b %Y %H:%M:%S GMT");

      g_strlcpy (buf, s, sizeof buf);
      last_second = now;
    }
  return buf;
}

/* Queues a reply's head. A @content_length of -1 means a streamed body: chunked for HTTP/1.1
 * clients, delimited by closing the connection for HTTP/1.0 ones. */
static void
begin_reply (Conn       *c,
             guint       status,
             const char *content_type,
             gssize      content_length,
             const char *model,
             const char *task)
{
  GString *o = c->out;

  /* Appends, not printf: this runs for every reply. */
  g_string_append (o, "HTTP/1.1 ");
  rw_json_append_int (o, status);
  g_string_append_c (o, ' ');
  g_string_append (o, reason_phrase (status));
  g_string_append (o, "\r\nServer: Routewise/" PACKAGE_VERSION "\r\nDate: ");
  g_string_append (o, http_date ());
  g_string_append (o, "\r\nContent-Type: ");
  g_string_append (o, content_type);
  g_string_append (o, "\r\n");
  if (content_length >= 0)
    {
      g_string_append (o, "Content-Length: ");
      rw_json_append_int (o, content_length);
      g_string_append (o, "\r\n");
    }
  else
    {
      g_string_append (o, "Cache-Control: no-cache\r\n");
      if (c->req.minor_version >= 1)
        g_string_append (o, "Transfer-Encoding: chunked\r\n");
      else
        c->close_after = TRUE;
    }
  if (status == 401)
    g_string_append (o, "WWW-Authenticate: Bearer\r\n");
  if (model != NULL)
    {
      g_string_append (o, "x-routewise-model: ");
      g_string_append (o, model);
      g_string_append (o, "\r\n");
    }
  /* Without a task, the policy's default list served the request. */
  if (model != NULL || task != NULL)
    {
      g_string_append (o, "x-routewise-task: ");
      g_string_append (o, task ? task : "default");
      g_string_append (o, "\r\n");
    }
  if (!c->req.keep_alive || c->close_after)
    {
      c->close_after = TRUE;
      g_string_append (o, "Connection: close\r\n");
    }
  g_string_append (o, "\r\n");
}

static void
reply_json (Conn       *c,
            guint       status,
            const char *model,
            const char *task,
            char       *body)
{
  gsize len = strlen (body);

  begin_reply (c, status, "application/json", (gssize) len, model, task);
  g_string_append_len (c->out, body, (gssize) len);
  g_free (body);
}

static void
reply_error (Conn       *c,
             guint       status,
             const char *message,
             const char *code)
{
  reply_json (c, status, NULL, NULL, error_json (status, message, code));
}

/* ---------------------------------------------------------------------------- completions */

struct _Call
{
  RwServer *server;
  Conn *conn;
  GCancellable *cancellable;
  char *id;
  gint64 created;
  gboolean stream;
  gboolean include_usage;
  gboolean headers_sent;
  gboolean finished;
  GSource *heartbeat;
  gint64 last_write_us;
};

static void
call_free (Call *call)
{
  clear_source (&call->heartbeat);
  g_clear_pointer (&call->conn, conn_unref);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->server);
  g_free (call->id);
  g_free (call);
}

static void
call_client_gone (Call *call)
{
  /* The client went away: stop whatever is still running. */
  call->finished = TRUE;
  clear_source (&call->heartbeat);
  g_cancellable_cancel (call->cancellable);
}

/* Appends a piece of a streamed body, in its chunk frame when the client reads chunks. */
static void
stream_append (Conn       *c,
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
stream_end (Conn *c)
{
  if (c->req.minor_version >= 1)
    g_string_append_len (c->out, "0\r\n\r\n", 5);
  else
    c->close_after = TRUE;
}

static gboolean
heartbeat (gpointer data)
{
  Call *call = data;

  if (g_get_monotonic_time () - call->last_write_us >= (gint64) call->server->heartbeat_ms * 1000)
    {
      stream_append (call->conn, ": keep-alive\n\n", 14);
      call->last_write_us = g_get_monotonic_time ();
      conn_flush (call->conn);
    }
  return G_SOURCE_CONTINUE;
}

/* The replies are written directly rather than built as a tree: they are small, fixed in shape,
 * and written for every request. */
static void
append_usage (GString      *out,
              RwChatResult *r)
{
  gint64 in = MAX (0, r->tokens_in), done = MAX (0, r->tokens_out);

  g_string_append (out, "\"usage\":{\"prompt_tokens\":");
  rw_json_append_int (out, in);
  g_string_append (out, ",\"completion_tokens\":");
  rw_json_append_int (out, done);
  g_string_append (out, ",\"total_tokens\":");
  rw_json_append_int (out, in + done);
  g_string_append_c (out, '}');
}

static void
append_chunk (Call         *call,
              const char   *model,
              const char   *content,
              const char   *finish_reason,
              gboolean      role,
              RwChatResult *usage)
{
  g_autoptr(GString) line = g_string_sized_new (256);

  g_string_append (line, "data: {\"id\":");
  rw_json_append_string (line, call->id);
  g_string_append (line, ",\"object\":\"chat.completion.chunk\",\"created\":");
  rw_json_append_int (line, call->created);
  g_string_append (line, ",\"model\":");
  rw_json_append_string (line, model ? model : "");
  g_string_append (line, ",\"choices\":[");
  if (usage == NULL)
    {
      g_string_append (line, "{\"index\":0,\"delta\":{");
      if (role)
        g_string_append (line, content != NULL ? "\"role\":\"assistant\","
                                               : "\"role\":\"assistant\"");
      if (content != NULL)
        {
          g_string_append (line, "\"content\":");
          rw_json_append_string (line, content);
        }
      g_string_append (line, "},\"finish_reason\":");
      if (finish_reason != NULL)
        rw_json_append_string (line, finish_reason);
      else
        g_string_append (line, "null");
      g_string_append (line, "}]");
    }
  else
    {
      g_string_append (line, "],");
      append_usage (line, usage);
    }
  g_string_append (line, "}\n\n");
  stream_append (call->conn, line->str, line->len);
}

static void
start_stream (Call       *call,
              const char *model,
              const char *task)
{
  call->headers_sent = TRUE;
  begin_reply (call->conn, 200, "text/event-stream", -1, model, task ? task : "default");
  append_chunk (call, model, "", NULL, TRUE, NULL);
  call->last_write_us = g_get_monotonic_time ();
  call->heartbeat = add_timeout (call->server->heartbeat_ms, heartbeat, call);
}

static void
on_commit (RwModel    *model,
           const char *task,
           gpointer    user_data)
{
  Call *call = user_data;

  if (call->stream && !call->headers_sent && !call->finished)
    {
      start_stream (call, rw_model_get_id (model), task);
      conn_flush (call->conn);
    }
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
  conn_flush (call->conn);
}

static void
reply_whole (Call          *call,
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
  g_string_append (body, ",\"choices\":[{\"index\":0,"
                         "\"message\":{\"role\":\"assistant\",\"content\":");
  rw_json_append_string (body, r->text->str);
  g_string_append (body, "},\"finish_reason\":");
  rw_json_append_string (body, r->finish_reason ? r->finish_reason : "stop");
  g_string_append (body, "}],");
  append_usage (body, r);
  g_string_append_c (body, '}');

  reply_json (call->conn, 200, out->model_id, out->task ? out->task : "default",
              g_string_free (body, FALSE));
}

static void
route_done (GObject      *object,
            GAsyncResult *res,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  RwChatResult *r = out->result;
  Conn *c = call->conn;

  __atomic_add_fetch (&call->server->n_served, 1, __ATOMIC_RELAXED);
  clear_source (&call->heartbeat);
  if (call->finished || c->fd < 0)
    {
      c->call = NULL;
      call_free (call);
      return;
    }

  if (r->error != NULL && !call->headers_sent)
    {
      const char *code;
      guint status = status_for_error (r->error, &code);

      reply_json (c, status, out->model_id, out->task ? out->task : "default",
                  error_json (status, r->error->message, code));
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

          stream_append (c, line, strlen (line));
        }
      else
        {
          append_chunk (call, out->model_id, NULL, r->finish_reason ? r->finish_reason : "stop",
                        FALSE, NULL);
          if (call->include_usage)
            append_chunk (call, out->model_id, NULL, NULL, FALSE, r);
          stream_append (c, "data: [DONE]\n\n", 14);
        }
      stream_end (c);
    }

  conn_ref (c);
  c->call = NULL;
  call_free (call);
  conn_flush (c);
  /* A request the client sent behind this one is answered next. */
  if (c->fd >= 0)
    conn_process (c);
  conn_unref (c);
}

static RwChatRequest *
parse_request (const char  *body,
               gsize        len,
               const char  *task_header,
               char       **model,
               gboolean    *include_usage,
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
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "max_completion_tokens");
  if (v == RW_JSON_NONE)
    v = rw_json_doc_member (doc, RW_JSON_ROOT, "max_tokens");
  request->max_tokens = rw_json_doc_int (doc, v, 0);
  request->temperature = rw_json_doc_double (doc, rw_json_doc_member (doc, RW_JSON_ROOT,
                                                                      "temperature"), -1);

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
handle_completions (RwServer   *self,
                    Conn       *c,
                    const char *body,
                    gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  gboolean include_usage = FALSE;
  g_autoptr(RwChatRequest) request = parse_request (body, len, c->req.task, &model,
                                                    &include_usage, &error);
  Call *call;
  char uuid[37];

  if (request == NULL)
    {
      reply_error (c, 400, error->message, NULL);
      return;
    }

  call = g_new0 (Call, 1);
  call->server = g_object_ref (self);
  call->conn = conn_ref (c);
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
  c->call = call;

  rw_router_route_async (self->router, request, model, on_delta, on_commit, call,
                         call->cancellable, route_done, call);
}

static void
handle_models (RwServer *self,
               Conn     *c)
{
  g_autoptr(GPtrArray) models = rw_catalog_list_models (rw_router_get_catalog (self->router));
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
  for (guint i = 0; i < models->len; i++)
    {
      RwModel *m = models->pdata[i];

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
  reply_json (c, 200, NULL, NULL, rw_json_to_string (root, FALSE));
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

/* Answers a whole request: its head is in c->req, its body in the input buffer. */
static void
dispatch (Conn       *c,
          const char *body,
          gsize       len)
{
  RwServer *self = c->server;
  const char *path = c->req.path;

  if (!c->req.authorized)
    reply_error (c, 401, "a valid bearer token is required: it is in the file “token” of the "
                         "Routewise configuration folder", "invalid_api_key");
  else if (g_str_equal (path, "/v1/chat/completions"))
    {
      if (!g_str_equal (c->req.method, "POST"))
        reply_error (c, 405, "use POST", NULL);
      else
        handle_completions (self, c, body, len);
    }
  else if (g_str_equal (path, "/v1/models"))
    {
      if (!g_str_equal (c->req.method, "GET"))
        reply_error (c, 405, "use GET", NULL);
      else
        handle_models (self, c);
    }
  else
    reply_error (c, 404, "no such endpoint; Routewise serves /v1/chat/completions and "
                         "/v1/models", NULL);
}

/* A request that cannot be read is answered and the connection closed after the answer. */
static void
refuse (Conn       *c,
        guint       status,
        const char *message)
{
  c->req.keep_alive = FALSE;
  reply_error (c, status, message, NULL);
  c->peer_closed = TRUE;   /* read nothing more */
  conn_flush (c);
}

/* Reads the head of the next request. FALSE when more bytes are needed or it was refused. */
static gboolean
read_head (Conn *c)
{
  RwHttp1Head head;
  const char *why = NULL;
  const char *auth, *task, *query;
  gssize n = rw_http1_parse_request ((char *) c->in->data, c->in->len, &head, &why);

  if (n == RW_HTTP1_INCOMPLETE)
    return FALSE;
  if (n < 0)
    {
      refuse (c, n == RW_HTTP1_TOO_LARGE ? 431 : 400, why);
      return FALSE;
    }

  c->req.parsed = TRUE;
  c->req.head_len = (gsize) n;
  c->req.body_end = (gsize) n;
  c->req.minor_version = head.minor_version;
  c->req.keep_alive = head.keep_alive;
  c->req.content_length = head.content_length;
  c->req.chunked = head.chunked;
  c->req.method = g_strdup (head.method);
  /* The path without its query; an absolute target is reduced to its path. */
  {
    const char *target = head.target;
    if (g_ascii_strncasecmp (target, "http://", 7) == 0)
      {
        const char *slash = strchr (target + 7, '/');
        target = slash ? slash : "/";
      }
    query = strchr (target, '?');
    c->req.path = query ? g_strndup (target, (gsize) (query - target)) : g_strdup (target);
  }
  auth = rw_http1_head_get (&head, "authorization");
  c->req.authorized = auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 &&
                      token_matches (auth + 7, c->server->token);
  task = rw_http1_head_get (&head, "x-routewise-task");
  c->req.task = task && *task ? g_strdup (task) : NULL;

  if (c->req.content_length > MAX_REQUEST_BODY)
    {
      refuse (c, 413, "the request is too large");
      return FALSE;
    }
  if (head.expect_continue && c->req.authorized && (c->req.content_length > 0 || c->req.chunked))
    {
      /* The client waits for a word before it sends the body. */
      g_string_append (c->out, "HTTP/1.1 100 Continue\r\n\r\n");
      c->req.continue_sent = TRUE;
      conn_flush (c);
    }
  return c->fd >= 0;
}

/* Whether the whole body is in; decodes a chunked body in place as it comes. */
static gboolean
read_body (Conn *c)
{
  if (c->req.chunked)
    {
      gsize out = 0;
      gboolean done = FALSE;
      gssize used = rw_http1_chunked_decode (&c->req.decoder,
                                             (char *) c->in->data + c->req.body_end,
                                             c->in->len - c->req.body_end, &out, &done);
      if (used < 0)
        {
          refuse (c, 400, "the chunked body is malformed");
          return FALSE;
        }
      /* Decoded bytes now start at body_end; drop the framing that followed them. */
      g_byte_array_remove_range (c->in, (guint) (c->req.body_end + out),
                                 (guint) ((gsize) used - out));
      c->req.body_end += out;
      if (c->req.body_end - c->req.head_len > MAX_REQUEST_BODY)
        {
          refuse (c, 413, "the request is too large");
          return FALSE;
        }
      return done;
    }
  if (c->req.content_length <= 0)
    return TRUE;
  if (c->in->len - c->req.head_len < (gsize) c->req.content_length)
    return FALSE;
  c->req.body_end = c->req.head_len + (gsize) c->req.content_length;
  return TRUE;
}

/* Answers every whole request in the input buffer, one at a time. */
static void
conn_process (Conn *c)
{
  while (c->fd >= 0 && c->call == NULL && !c->close_after && c->in->len > 0)
    {
      if (!c->req.parsed && !read_head (c))
        break;
      if (c->fd < 0 || c->close_after || !read_body (c))
        break;

      dispatch (c, (const char *) c->in->data + c->req.head_len, c->req.body_end - c->req.head_len);
      g_byte_array_remove_range (c->in, 0, (guint) c->req.body_end);
      {
        /* What the reply needs of the request outlives it: its version and keep-alive. */
        guint minor = c->req.minor_version;
        gboolean keep_alive = c->req.keep_alive;
        request_clear (&c->req);
        c->req.minor_version = minor;
        c->req.keep_alive = keep_alive;
      }
      conn_flush (c);
    }
  if (c->fd >= 0)
    conn_update_events (c);
}

static gboolean
conn_ready (gpointer     data,
            GIOCondition ready)
{
  Conn *c = conn_ref (data);

  if (ready & G_IO_OUT)
    conn_flush (c);
  if (c->fd >= 0 && (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
    {
      gsize room = 65536;
      guint old = c->in->len;
      gssize n;

      g_byte_array_set_size (c->in, old + (guint) room);
      n = recv (c->fd, c->in->data + old, room, MSG_DONTWAIT);
      g_byte_array_set_size (c->in, old + (guint) MAX (n, 0));
      if (c->draining)
        {
          g_byte_array_set_size (c->in, 0);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            conn_close (c);
        }
      else if (n > 0)
        {
          if (c->call == NULL)
            conn_process (c);
          else
            conn_update_events (c);
        }
      else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        {
          /* The client closed its side, or the connection broke. */
          c->peer_closed = TRUE;
          if (c->call != NULL || n < 0 || c->out_pos == c->out->len)
            conn_close (c);
          else
            conn_update_events (c);
        }
    }
  conn_unref (c);
  return G_SOURCE_CONTINUE;
}

/* Closes a loop's connections; on that loop's thread. */
static void
close_conns (Worker *w)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, w->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Conn *c = key;
      g_hash_table_iter_remove (&iter);
      c->server = NULL;
      conn_close (c);
    }
}

static gboolean
worker_stop (gpointer data)
{
  Worker *w = data;

  close_conns (w);
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;

  g_main_context_push_thread_default (w->context);
  g_main_loop_run (w->loop);
  /* Let what closing started (requests cancelled) finish on this loop. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (w->context, FALSE); i++)
    ;
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

static void
worker_free (Worker *w)
{
  g_clear_pointer (&w->loop, g_main_loop_unref);
  g_clear_pointer (&w->context, g_main_context_unref);
  g_clear_pointer (&w->conns, g_hash_table_unref);
  g_free (w);
}

static void
close_all (RwServer *self)
{
  clear_source (&self->accept_retry);
  if (self->listen_watch != NULL)
    {
      g_source_destroy (self->listen_watch);
      g_clear_pointer (&self->listen_watch, g_source_unref);
    }
  if (self->listen_fd >= 0)
    {
      close (self->listen_fd);
      self->listen_fd = -1;
    }
  if (self->workers == NULL)
    return;
  for (guint i = 0; i < self->workers->len; i++)
    if (((Worker *) self->workers->pdata[i])->thread == g_thread_self ())
      {
        /* A loop cannot wait for itself to stop: rw_server_stop() belongs on the listening
         * loop, before the last reference goes. */
        g_critical ("RwServer stopped from one of its own loops; they are left running");
        return;
      }
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *w = self->workers->pdata[i];

      if (w->thread == NULL)
        close_conns (w);
      else
        {
          g_main_context_invoke (w->context, worker_stop, w);
          g_thread_join (g_steal_pointer (&w->thread));
        }
    }
  g_clear_pointer (&self->workers, g_ptr_array_unref);
}

static gboolean
accept_again (gpointer data)
{
  RwServer *self = data;

  g_clear_pointer (&self->accept_retry, g_source_unref);
  rw_fd_watch_set_events (self->listen_watch, G_IO_IN);
  return G_SOURCE_REMOVE;
}

/* A new connection on its loop; on that loop's thread. */
static void
conn_start (Worker *w,
            int     fd)
{
  int one = 1;
  Conn *c;

  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c = g_new0 (Conn, 1);
  c->ref_count = 1;
  c->server = w->server;
  c->worker = w;
  c->fd = fd;
  c->in = g_byte_array_sized_new (4096);
  c->out = g_string_sized_new (1024);
  c->watch = rw_fd_watch_new (fd, G_IO_IN, conn_ready, c);
  g_hash_table_add (w->conns, c);
}

typedef struct
{
  Worker *worker;
  int fd;
} Handoff;

static gboolean
handoff_start (gpointer data)
{
  Handoff *h = data;

  conn_start (h->worker, h->fd);
  h->fd = -1;
  return G_SOURCE_REMOVE;
}

static void
handoff_free (gpointer data)
{
  Handoff *h = data;

  /* Handed to a loop that stopped before it could start it. */
  if (h->fd >= 0)
    close (h->fd);
  g_free (h);
}

static gboolean
accept_ready (gpointer     data,
              GIOCondition ready)
{
  RwServer *self = data;

  for (guint i = 0; i < 64; i++)
    {
      int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      Worker *w;

      if (fd < 0)
        {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            {
              /* Out of descriptors: stop accepting for a moment rather than spin. */
              g_warning ("cannot accept a connection: %s", g_strerror (errno));
              rw_fd_watch_set_events (self->listen_watch, 0);
              clear_source (&self->accept_retry);
              self->accept_retry = add_timeout (200, accept_again, self);
            }
          break;
        }
      w = self->workers->pdata[self->next_worker++ % self->workers->len];
      if (w->thread == NULL)
        conn_start (w, fd);
      else
        {
          Handoff *h = g_new0 (Handoff, 1);
          h->worker = w;
          h->fd = fd;
          g_main_context_invoke_full (w->context, G_PRIORITY_DEFAULT, handoff_start, h,
                                      handoff_free);
        }
    }
  return G_SOURCE_CONTINUE;
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
  return self;
}

/**
 * rw_server_listen:
 * @self: a #RwServer
 * @port: the port, or 0 for any free one
 * @error: return location for an error
 *
 * Listens on 127.0.0.1 only, answering on the thread-default main context.
 *
 * Returns: %TRUE when listening
 */
gboolean
rw_server_listen (RwServer  *self,
                  guint16    port,
                  GError   **error)
{
  struct sockaddr_in addr = { 0 };
  socklen_t addr_len = sizeof addr;
  int one = 1;
  int fd;

  g_return_val_if_fail (RW_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->listen_fd < 0, FALSE);

  addr.sin_family = AF_INET;
  addr.sin_port = g_htons (port);
  addr.sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 ||
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (fd, 1024) != 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &addr_len) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot listen on 127.0.0.1:%u: %s",
                   port, g_strerror (saved));
      return FALSE;
    }
  self->listen_fd = fd;
  self->port = g_ntohs (addr.sin_port);
  self->listen_watch = rw_fd_watch_new (fd, G_IO_IN, accept_ready, self);

  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  for (guint i = 0; i < self->n_loops; i++)
    {
      Worker *w = g_new0 (Worker, 1);
      g_autofree char *name = g_strdup_printf ("rw-serve-%u", i);

      w->server = self;
      w->conns = g_hash_table_new (NULL, NULL);
      g_ptr_array_add (self->workers, w);
      if (i == 0)
        {
          w->context = g_main_context_ref_thread_default ();
          continue;
        }
      w->context = g_main_context_new ();
      w->loop = g_main_loop_new (w->context, FALSE);
      w->thread = g_thread_new (name, worker_main, w);
    }
  return TRUE;
}

/**
 * rw_server_set_threads:
 * @self: a #RwServer, not yet listening
 * @n_loops: how many event loops serve connections, at least 1
 *
 * With more than one, connections are shared out round robin between the loop the server
 * listens on and @n_loops - 1 threads, each with its own loop and its own kept-alive upstream
 * connections. The router, the catalog and the database are shared.
 */
void
rw_server_set_threads (RwServer *self,
                       guint     n_loops)
{
  g_return_if_fail (RW_IS_SERVER (self));
  g_return_if_fail (self->listen_fd < 0);

  self->n_loops = CLAMP (n_loops, 1, 64);
}

/**
 * rw_server_stop:
 * @self: a #RwServer
 *
 * Stops listening, closes every connection (cancelling what they asked) and stops the other
 * loops. Call it from the loop the server listens on; disposing of the server does it too.
 */
void
rw_server_stop (RwServer *self)
{
  g_return_if_fail (RW_IS_SERVER (self));

  close_all (self);
}

guint16
rw_server_get_port (RwServer *self)
{
  return self->port;
}

guint64
rw_server_get_n_served (RwServer *self)
{
  return __atomic_load_n (&self->n_served, __ATOMIC_RELAXED);
}
