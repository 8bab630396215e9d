/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

/*
 * One client connection: HTTP/1.1 with keep-alive, one request at a time (pipelined requests
 * wait in the input buffer), replies written as one buffer per event so that a whole answer
 * usually leaves in a single send(). While a request is being answered the socket is still
 * read, so that a client that goes away cancels its request at once.
 *
 * A client cannot hold the server: a request without the token is refused from its head,
 * before its body is read; each connection has a deadline for its idle time, its request's
 * head and body, and a reply left unread; pipelined requests wait while replies pile up, and a
 * client that does not read its streamed answer is dropped.
 */

#define UNAUTHORIZED_MESSAGE "a valid bearer token is required: it is in the file “token” of " \
                             "the Routewise configuration folder"

void
_rw_server_conn_set_deadline (RwServerConn *c,
                              guint         ms,
                              const char   *what)
{
  c->deadline_us = ms ? g_get_monotonic_time () + (gint64) ms * 1000 : 0;
  c->deadline_what = what;
}

/* Once the connection has no request in flight: waiting for the next request, or for the rest
 * of one that has begun. */
static void
conn_set_waiting_deadline (RwServerConn *c)
{
  if (c->call != NULL || c->server == NULL)
    return;
  if (c->in->len > 0 || c->req.parsed)
    {
      if (c->deadline_what == NULL || g_str_equal (c->deadline_what, "idle"))
        _rw_server_conn_set_deadline (c, c->server->head_timeout_ms, "head");
    }
  else
    _rw_server_conn_set_deadline (c, c->server->idle_timeout_ms, "idle");
}

static gboolean
conn_is_late (RwServerConn *c,
              gint64        now)
{
  return (c->deadline_us != 0 && now >= c->deadline_us) ||
         (c->stalled_since_us != 0 &&
          now - c->stalled_since_us >= (gint64) c->server->send_timeout_ms * 1000);
}

/* Closes the connections of a loop that are past their deadline; on that loop. */
gboolean
_rw_server_sweep (gpointer data)
{
  RwServerWorker *w = data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) late = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, w->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (conn_is_late (key, now))
      g_ptr_array_add (late, _rw_server_conn_ref (key));
  for (guint i = 0; i < late->len; i++)
    {
      RwServerConn *c = late->pdata[i];
      struct pollfd pfd = { c->fd, POLLIN, 0 };

      /* An idle deadline measures the client, not this loop: a request the client sent while
       * the loop was busy elsewhere is read first, and starts its head and body deadlines.
       * Those run from the request's first byte and do not move for more of it. */
      if (c->fd >= 0 && c->deadline_us != 0 && g_strcmp0 (c->deadline_what, "idle") == 0 &&
          poll (&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
        _rw_server_conn_ready (c, G_IO_IN);
      if (c->fd >= 0 && conn_is_late (c, now))
        _rw_server_conn_close (c);
      _rw_server_conn_unref (c);
    }
  return G_SOURCE_CONTINUE;
}

RwServerConn *
_rw_server_conn_ref (RwServerConn *c)
{
  c->ref_count++;
  return c;
}

static void
server_request_clear (RwServerRequest *r)
{
  g_free (r->method);
  g_free (r->path);
  g_free (r->task);
  g_free (r->cors_origin);
  memset (r, 0, sizeof *r);
}

void
_rw_server_conn_unref (RwServerConn *c)
{
  if (--c->ref_count > 0)
    return;
  g_assert (c->fd < 0);
  server_request_clear (&c->req);
  g_byte_array_unref (c->in);
  g_string_free (c->out, TRUE);
  g_free (c);
}

void
_rw_server_conn_close (RwServerConn *c)
{
  if (c->fd < 0)
    return;
  _rw_server_clear_source (&c->drain_timer);
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
    _rw_server_call_client_gone (c->call);
  _rw_server_conn_unref (c);   /* the open connection's own reference */
}

static gboolean
server_drain_timeout (gpointer data)
{
  RwServerConn *c = data;

  g_clear_pointer (&c->drain_timer, g_source_unref);
  _rw_server_conn_close (c);
  return G_SOURCE_REMOVE;
}


/* A value that came from a request (a task, a model's name), written into a reply's header as
 * visible ASCII: anything else, CR and LF above all, and % itself, as %XX. It can never end
 * the header or add one. */
static void
conn_append_header_value (GString    *o,
                          const char *value)
{
  for (const guchar *p = (const guchar *) value; *p; p++)
    {
      if (*p >= 0x20 && *p < 0x7f && *p != '%')
        g_string_append_c (o, *p);
      else
        g_string_append_printf (o, "%%%02X", *p);
    }
}

static void
server_conn_update_events (RwServerConn *c)
{
  GIOCondition events = 0;

  if (c->fd < 0)
    return;
  /* Input waits while replies are unread, unless a request is in flight: then the socket is
   * read to see the client go, into a buffer that is bounded anyway. */
  if (!c->peer_closed && c->in->len < MAX_BUFFERED_INPUT &&
      (c->call != NULL || c->out->len - c->out_pos < MAX_QUEUED_OUTPUT))
    events |= G_IO_IN;
  if (c->out_pos < c->out->len)
    events |= G_IO_OUT;
  rw_fd_watch_set_events (c->watch, events);
}

/* Sends what is queued; the rest waits for the socket to be writable. */
void
_rw_server_conn_flush (RwServerConn *c)
{
  gboolean sent = FALSE;

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
          _rw_server_conn_close (c);
          return;
        }
      c->out_pos += (gsize) n;
      sent = TRUE;
    }
  if (c->fd < 0)
    return;
  if (c->out_pos == c->out->len)
    c->stalled_since_us = 0;
  else if (sent || c->stalled_since_us == 0)
    c->stalled_since_us = g_get_monotonic_time ();
  if (sent)
    c->last_active_us = g_get_monotonic_time ();
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
          c->drain_timer = _rw_server_add_timeout (2000, server_drain_timeout, c);
        }
    }
  server_conn_update_events (c);
}

static const char *
server_reason_phrase (guint status)
{
  switch (status)
    {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
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
server_http_date (void)
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

/* What lets an allowed web page read the reply (CORS): its origin named back, and the
 * headers it may read beside the usual ones. */
static void
server_append_cors (RwServerConn *c,
                    GString      *o)
{
  if (c->req.cors_origin == NULL)
    return;
  g_string_append (o, "Access-Control-Allow-Origin: ");
  g_string_append (o, c->req.cors_origin);
  g_string_append (o, "\r\nVary: Origin\r\n"
                      "Access-Control-Expose-Headers: x-routewise-model, x-routewise-task\r\n");
}

/* Queues a reply's head. A @content_length of -1 means a streamed body: chunked for HTTP/1.1
 * clients, delimited by closing the connection for HTTP/1.0 ones. */
void
_rw_server_begin_reply (RwServerConn       *c,
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
  g_string_append (o, server_reason_phrase (status));
  g_string_append (o, "\r\nServer: Routewise/" PACKAGE_VERSION "\r\nDate: ");
  g_string_append (o, server_http_date ());
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
  if ((status == 429 || status == 503) && c->retry_after_s > 0)
    {
      g_string_append (o, "Retry-After: ");
      rw_json_append_int (o, c->retry_after_s);
      g_string_append (o, "\r\n");
    }
  c->retry_after_s = 0;
  server_append_cors (c, o);
  if (model != NULL)
    {
      g_string_append (o, "x-routewise-model: ");
      conn_append_header_value (o, model);
      g_string_append (o, "\r\n");
    }
  /* Without a task, the policy's default list served the request. */
  if (model != NULL || task != NULL)
    {
      g_string_append (o, "x-routewise-task: ");
      conn_append_header_value (o, task ? task : "default");
      g_string_append (o, "\r\n");
    }
  if (!c->req.keep_alive || c->close_after)
    {
      c->close_after = TRUE;
      g_string_append (o, "Connection: close\r\n");
    }
  g_string_append (o, "\r\n");
}

void
_rw_server_reply_json (RwServerConn       *c,
                       guint       status,
                       const char *model,
                       const char *task,
                       char       *body)
{
  gsize len = strlen (body);

  _rw_server_begin_reply (c, status, "application/json", (gssize) len, model, task);
  g_string_append_len (c->out, body, (gssize) len);
  g_free (body);
}

void
_rw_server_reply_error (RwServerConn       *c,
                        guint       status,
                        const char *message,
                        const char *code)
{
  _rw_server_reply_json (c, status, NULL, NULL, _rw_server_error_json (status, message, code,
                                                                       NULL));
}

/* A request the endpoint refused to route: 400, naming the member it is about. */
void
_rw_server_reply_request_error (RwServerConn *c,
                                const GError *error)
{
  _rw_server_reply_json (c, 400, NULL, NULL,
                         _rw_server_error_json (400, error->message, NULL,
                                                rw_error_get_param (error)));
}

/* A request that cannot be read is answered and the connection closed after the answer. */
static void
server_refuse (RwServerConn       *c,
               guint       status,
               const char *message)
{
  c->req.keep_alive = FALSE;
  _rw_server_reply_error (c, status, message, NULL);
  c->peer_closed = TRUE;   /* read nothing more */
  _rw_server_conn_flush (c);
}

/* Whether @list is a list of header names (tokens, commas and spaces), as a preflight's
 * Access-Control-Request-Headers is. */
static gboolean
server_is_header_list (const char *list)
{
  for (const char *p = list; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.!#$%&'*+^`|~, ", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* A browser's preflight from an allowed web page, before a request with a bearer token (it
 * carries none itself): every method the endpoint serves, and the headers the page asked for
 * (the OpenAI SDK sends its own x-stainless-* beside Authorization and Content-Type). The
 * connection closes after it. */
static void
server_answer_preflight (RwServerConn *c,
                         const char   *headers)
{
  GString *o = c->out;

  c->req.keep_alive = FALSE;
  g_string_append (o, "HTTP/1.1 204 No Content\r\nServer: Routewise/" PACKAGE_VERSION
                      "\r\nDate: ");
  g_string_append (o, server_http_date ());
  g_string_append (o, "\r\n");
  server_append_cors (c, o);
  g_string_append (o, "Access-Control-Allow-Methods: GET, POST\r\nAccess-Control-Allow-Headers: ");
  g_string_append (o, headers != NULL && *headers && strlen (headers) < 2048 &&
                      server_is_header_list (headers) ? headers
                                                      : "authorization, content-type");
  g_string_append (o, "\r\nAccess-Control-Max-Age: 600\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
  c->peer_closed = TRUE;   /* read nothing more */
  _rw_server_conn_flush (c);
}

/* Reads the head of the next request. FALSE when more bytes are needed or it was refused. */

/* Only this machine's clients, by the name they reached it under: Host must be 127.0.0.1,
 * localhost or [::1] with the server's port, once (HTTP/1.0 may name none), so that a page a
 * DNS rebinding points here is refused; and a request from a web page (with an Origin) only from an origin allowed.
 * Returns the status to refuse with, or 0. */
static guint
server_check_host_and_origin (RwServerConn       *c,
                              const RwHttp1Head  *head,
                              const char        **why)
{
  static const char * const names[] = { "127.0.0.1", "localhost", "[::1]" };
  const char *host = NULL, *origin = rw_http1_head_get (head, "origin"), *colon;
  g_autofree char *name = NULL;
  guint n = 0;
  gboolean known = FALSE;

  for (guint i = 0; i < head->n_headers; i++)
    if (g_str_equal (head->headers[i].name, "host"))
      {
        host = head->headers[i].value;
        n++;
      }
  if (n > 1 || (n == 0 && head->minor_version >= 1))
    {
      *why = n == 0 ? "the request names no Host" : "the request names more than one Host";
      return 400;
    }
  if (host == NULL)
    goto origin;   /* HTTP/1.0 need not name one */
  colon = host[0] == '[' ? strstr (host, "]:") : strrchr (host, ':');
  if (colon != NULL && host[0] == '[')
    colon++;
  name = colon ? g_strndup (host, colon - host) : g_strdup (host);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    known |= g_ascii_strcasecmp (name, names[i]) == 0;
  if (!known || (colon ? g_ascii_strtoull (colon + 1, NULL, 10) != c->server->port ||
                         !g_ascii_isdigit (colon[1])
                       : c->server->port != 80))
    {
      *why = "the endpoint answers only requests to 127.0.0.1, localhost or [::1] with its port";
      return 403;
    }
origin:
  if (origin != NULL && (c->server->allowed_origins == NULL ||
                         !g_strv_contains ((const char * const *) c->server->allowed_origins,
                                           origin)))
    {
      *why = "requests from web pages are refused unless their origin is allowed "
             "(routewise-cli serve --allow-origin ORIGIN)";
      return 403;
    }
  return 0;
}

static gboolean
server_read_head (RwServerConn *c)
{
  RwHttp1Head head;
  const char *why = NULL;
  const char *auth, *task, *query;
  gssize n = rw_http1_parse_request ((char *) c->in->data, c->in->len, &head, &why);

  if (n == RW_HTTP1_INCOMPLETE)
    return FALSE;
  if (n < 0)
    {
      server_refuse (c, n == RW_HTTP1_TOO_LARGE ? 431 : 400, why);
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
  {
    guint status = server_check_host_and_origin (c, &head, &why);
    if (status != 0)
      {
        server_refuse (c, status, why);
        return FALSE;
      }
  }
  /* Only an allowed origin is here (see server_check_host_and_origin()); the one a reply
   * before this request answered is not this request's. */
  g_clear_pointer (&c->req.cors_origin, g_free);
  if (rw_http1_head_get (&head, "origin") != NULL)
    c->req.cors_origin = g_strdup (rw_http1_head_get (&head, "origin"));
  if (c->req.cors_origin != NULL && g_str_equal (c->req.method, "OPTIONS") &&
      rw_http1_head_get (&head, "access-control-request-method") != NULL)
    {
      server_answer_preflight (c, rw_http1_head_get (&head, "access-control-request-headers"));
      return FALSE;
    }
  auth = rw_http1_head_get (&head, "authorization");
  c->req.authorized = auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 &&
                      _rw_server_token_matches (auth + 7, c->server->token);
  if (!c->req.authorized)
    {
      /* Refused from its head: its body is never read, nor buffered. */
      c->req.keep_alive = FALSE;
      _rw_server_reply_error (c, 401, UNAUTHORIZED_MESSAGE, "invalid_api_key");
      c->peer_closed = TRUE;
      _rw_server_conn_flush (c);
      return FALSE;
    }
  _rw_server_conn_set_deadline (c, c->server->body_timeout_ms, "body");
  task = rw_http1_head_get (&head, "x-routewise-task");
  c->req.task = task && *task ? g_strdup (task) : NULL;

  if (c->req.content_length > MAX_REQUEST_BODY)
    {
      server_refuse (c, 413, "the request is too large");
      return FALSE;
    }
  if (head.expect_continue && c->req.authorized && (c->req.content_length > 0 || c->req.chunked))
    {
      /* The client waits for a word before it sends the body. */
      g_string_append (c->out, "HTTP/1.1 100 Continue\r\n\r\n");
      c->req.continue_sent = TRUE;
      _rw_server_conn_flush (c);
    }
  return c->fd >= 0;
}

/* Whether the whole body is in; decodes a chunked body in place as it comes. */
static gboolean
server_read_body (RwServerConn *c)
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
          server_refuse (c, 400, "the chunked body is malformed");
          return FALSE;
        }
      /* Decoded bytes now start at body_end; drop the framing that followed them. */
      g_byte_array_remove_range (c->in, (guint) (c->req.body_end + out),
                                 (guint) ((gsize) used - out));
      c->req.body_end += out;
      if (c->req.body_end - c->req.head_len > MAX_REQUEST_BODY)
        {
          server_refuse (c, 413, "the request is too large");
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
void
_rw_server_conn_process (RwServerConn *c)
{
  while (c->fd >= 0 && c->call == NULL && !c->close_after && c->in->len > 0 &&
         c->out->len - c->out_pos < MAX_QUEUED_OUTPUT)
    {
      if (!c->req.parsed && !server_read_head (c))
        break;
      if (c->fd < 0 || c->close_after || !server_read_body (c))
        break;

      _rw_server_conn_set_deadline (c, 0, NULL);
      _rw_server_dispatch (c, (const char *) c->in->data + c->req.head_len, c->req.body_end - c->req.head_len);
      g_byte_array_remove_range (c->in, 0, (guint) c->req.body_end);
      {
        /* What the reply needs of the request outlives it: its version, keep-alive, and the
         * web page's origin it answers. */
        guint minor = c->req.minor_version;
        gboolean keep_alive = c->req.keep_alive;
        char *cors_origin = g_steal_pointer (&c->req.cors_origin);
        server_request_clear (&c->req);
        c->req.minor_version = minor;
        c->req.keep_alive = keep_alive;
        c->req.cors_origin = cors_origin;
      }
      _rw_server_conn_flush (c);
    }
  if (c->fd >= 0)
    {
      conn_set_waiting_deadline (c);
      server_conn_update_events (c);
    }
}

gboolean
_rw_server_conn_ready (gpointer     data,
                       GIOCondition ready)
{
  RwServerConn *c = _rw_server_conn_ref (data);

  if (ready & G_IO_OUT)
    {
      _rw_server_conn_flush (c);
      /* Requests that waited for the replies before them to be read. */
      if (c->fd >= 0 && c->call == NULL && c->in->len > 0 &&
          c->out->len - c->out_pos < MAX_QUEUED_OUTPUT)
        _rw_server_conn_process (c);
    }
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
            _rw_server_conn_close (c);
        }
      else if (n > 0)
        {
          c->last_active_us = g_get_monotonic_time ();
          if (c->call == NULL && !c->req.parsed &&
              (c->deadline_what == NULL || g_str_equal (c->deadline_what, "idle")))
            _rw_server_conn_set_deadline (c, c->server->head_timeout_ms, "head");
          if (c->call == NULL)
            _rw_server_conn_process (c);
          else
            server_conn_update_events (c);
        }
      else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        {
          /* The client closed its side, or the connection broke. */
          c->peer_closed = TRUE;
          if (c->call != NULL || n < 0 || c->out_pos == c->out->len)
            _rw_server_conn_close (c);
          else
            server_conn_update_events (c);
        }
    }
  _rw_server_conn_unref (c);
  return G_SOURCE_CONTINUE;
}
