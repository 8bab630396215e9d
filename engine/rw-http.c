/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "rw-error.h"
#include "rw-http.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-sse-parser.h"

/* Helpers shared by the HTTP providers. */

static gboolean
is_loopback_host (const char *host)
{
  return host != NULL && (g_str_equal (host, "localhost") || g_str_has_prefix (host, "127.") ||
                          g_str_equal (host, "::1") || g_str_equal (host, "[::1]"));
}

gboolean
_rw_http_is_loopback_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && is_loopback_host (g_uri_get_host (uri));
}

/* Returns a task's outcome: @error (taken), or success when it is NULL. */
static void
return_outcome (GTask  *task,
                GError *error)
{
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* How long the server asked us to wait, from retry-after-ms or Retry-After. */
static gint64
retry_after_ms (const char *ms,
                const char *retry_after)
{
  if (ms != NULL)
    {
      char *end = NULL;
      double v = g_ascii_strtod (ms, &end);
      if (end != ms && v >= 0 && v < 86400000.0)
        return (gint64) v;
    }
  return rw_parse_retry_after (retry_after, g_get_real_time () / G_USEC_PER_SEC);
}

/**
 * _rw_http_redirect_error:
 * @status: a 3xx status
 * @base: (nullable): the URL that was asked
 * @location: (nullable): the reply's Location header
 *
 * Redirects are never followed: the request carries the provider's key, which goes only to the
 * provider's base URL. The error names where the upstream points, without the query, fragment
 * or user name, which may hold secrets.
 *
 * Returns: (transfer full): a %RW_ERROR_BAD_RESPONSE error
 */
GError *
_rw_http_redirect_error (guint       status,
                         GUri       *base,
                         const char *location)
{
  g_autoptr(GUri) target = NULL;
  g_autofree char *shown = NULL;

  if (location != NULL && *location != '\0')
    target = base ? g_uri_parse_relative (base, location, G_URI_FLAGS_NONE, NULL)
                  : g_uri_parse (location, G_URI_FLAGS_NONE, NULL);
  if (target != NULL && g_uri_get_host (target) != NULL)
    shown = g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (target), NULL, g_uri_get_host (target),
                        g_uri_get_port (target), g_uri_get_path (target), NULL, NULL);
  if (shown == NULL)
    return g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE, "HTTP %u: the upstream answered with a "
                        "redirect, which is not followed (a key goes only to its provider's base "
                        "URL)", status);
  return g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE, "HTTP %u: the upstream redirects to %s; "
                      "redirects are not followed, so that a key goes only to its provider's base "
                      "URL: if the provider has moved, change its base URL", status, shown);
}

typedef struct
{
  GInputStream *stream;
  GByteArray *buf;
  gsize max_size;
  gboolean truncated;
} ReadAll;

static void
read_all_free (ReadAll *ra)
{
  g_clear_object (&ra->stream);
  g_clear_pointer (&ra->buf, g_byte_array_unref);
  g_free (ra);
}

static void read_all_next (GTask *task);

static void
read_all_cb (GObject      *object,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadAll *ra = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (ra->stream, res, &error);

  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      /* The whole body is read: closing now hands the connection back for the next request. */
      g_input_stream_close (ra->stream, NULL, NULL);
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&ra->buf)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (ra->buf->len + g_bytes_get_size (bytes) > ra->max_size)
    {
      gsize room = ra->max_size - ra->buf->len;
      g_byte_array_append (ra->buf, g_bytes_get_data (bytes, NULL), room);
      ra->truncated = TRUE;
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&ra->buf)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  g_byte_array_append (ra->buf, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_all_next (g_steal_pointer (&task));
}

static void
read_all_next (GTask *task)
{
  ReadAll *ra = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (ra->stream, 65536, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_all_cb, task);
}

/* Reads a whole body, up to max_size bytes. */
void
_rw_http_read_all_async (GInputStream        *stream,
                         gsize                max_size,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);
  ReadAll *ra = g_new0 (ReadAll, 1);

  ra->stream = g_object_ref (stream);
  ra->buf = g_byte_array_new ();
  ra->max_size = max_size;
  g_task_set_task_data (task, ra, (GDestroyNotify) read_all_free);
  g_task_set_source_tag (task, _rw_http_read_all_async);
  read_all_next (task);
}

GBytes *
_rw_http_read_all_finish (GAsyncResult  *result,
                          gboolean      *truncated,
                          GError       **error)
{
  ReadAll *ra = g_task_get_task_data (G_TASK (result));

  if (truncated != NULL)
    *truncated = ra->truncated;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The classified, redacted error for a reply with a failing status. */
static GError *
error_for_reply (RwProviderCall *call,
                 guint           status,
                 gint64          wait_ms,
                 GUri           *uri,
                 const char     *location,
                 GBytes         *body)
{
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  g_autoptr(GError) raw = SOUP_STATUS_IS_REDIRECTION (status)
                          ? _rw_http_redirect_error (status, uri, location)
                          : rw_error_from_http (status, data, len);
  g_autofree char *clean = rw_provider_call_redact (call, raw->message);
  RwChatResult *result = rw_provider_call_get_result (call);

  result->retry_after_ms = wait_ms;
  return g_error_new_literal (RW_ERROR, raw->code, clean);
}

/* ------------------------------------------------------------------------------ exchange */

#define MAX_LINE (8 * 1024 * 1024)
struct _RwHttpRequest
{
  char *method;
  GUri *uri;
  GPtrArray *headers;     /* name, value, name, value, ... */
  char *content_type;
  GBytes *body;
};

/* The last URL each thread parsed: requests to one upstream use the same URL again and again,
 * and a GUri is immutable. */
typedef struct
{
  char *url;
  GUri *uri;
} UriCache;

static void
uri_cache_free (gpointer data)
{
  UriCache *c = data;

  g_free (c->url);
  g_uri_unref (c->uri);
  g_free (c);
}

static GPrivate uri_cache = G_PRIVATE_INIT (uri_cache_free);

/* @url parsed, or NULL when it is not an http or https URL with a host. */
static GUri *
parse_url (const char *url)
{
  UriCache *c = g_private_get (&uri_cache);
  GUri *uri;

  if (c != NULL && g_str_equal (c->url, url))
    return g_uri_ref (c->uri);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_clear_pointer (&uri, g_uri_unref);
      return NULL;
    }
  c = g_new0 (UriCache, 1);
  c->url = g_strdup (url);
  c->uri = g_uri_ref (uri);
  g_private_replace (&uri_cache, c);
  return uri;
}

/* A request, or NULL with an error when the URL is not an http or https one. */
RwHttpRequest *
_rw_http_request_new (const char  *method,
                      const char  *url,
                      GError     **error)
{
  GUri *uri = parse_url (url);
  RwHttpRequest *r;

  if (uri == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "not a valid URL: %s", url);
      return NULL;
    }
  r = g_new0 (RwHttpRequest, 1);
  r->method = g_strdup (method);
  r->uri = uri;
  r->headers = g_ptr_array_new ();
  return r;
}

/* Sets a header, replacing one of the same name. */
void
_rw_http_request_set_header (RwHttpRequest *r,
                             const char    *name,
                             const char    *value)
{
  for (guint i = 0; i < r->headers->len; i += 2)
    if (g_ascii_strcasecmp (r->headers->pdata[i], name) == 0)
      {
        char *old = r->headers->pdata[i + 1];
        memset (old, 0, strlen (old));
        g_free (old);
        r->headers->pdata[i + 1] = g_strdup (value);
        return;
      }
  g_ptr_array_add (r->headers, g_strdup (name));
  g_ptr_array_add (r->headers, g_strdup (value));
}

void
_rw_http_request_set_body (RwHttpRequest *r,
                           const char    *content_type,
                           GBytes        *body)
{
  g_free (r->content_type);
  r->content_type = g_strdup (content_type);
  g_clear_pointer (&r->body, g_bytes_unref);
  r->body = g_bytes_ref (body);
}

void
_rw_http_request_free (RwHttpRequest *r)
{
  if (r == NULL)
    return;
  /* Header values carry keys: they do not outlive the request in freed memory. */
  for (guint i = 0; i < r->headers->len; i++)
    {
      char *v = r->headers->pdata[i];
      memset (v, 0, strlen (v));
      g_free (v);
    }
  g_ptr_array_unref (r->headers);
  g_uri_unref (r->uri);
  g_free (r->method);
  g_free (r->content_type);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_free (r);
}

/* The same request for libsoup. */
static SoupMessage *
request_to_soup (RwHttpRequest *r)
{
  SoupMessage *msg = soup_message_new_from_uri (r->method, r->uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* The request carries a key: it goes where it was addressed, or nowhere. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);

  for (guint i = 0; i < r->headers->len; i += 2)
    soup_message_headers_replace (headers, r->headers->pdata[i], r->headers->pdata[i + 1]);
  if (r->body != NULL)
    soup_message_set_request_body_from_bytes (msg, r->content_type, r->body);
  return msg;
}

typedef struct _UpConn UpConn;

typedef struct
{
  RwProviderCall *call;
  RwHttpRequest *req;
  SoupMessage *msg;       /* libsoup's path only */
  RwHttpFraming framing;
  const RwHttpHandlers *handlers;
  gpointer data;
  RwSseParser *sse;
  GString *line;          /* NDJSON: the line so far */

  /* The reply as it comes in. */
  guint status;
  gint64 wait_ms;         /* Retry-After */
  char *location;         /* a redirect's Location */
  gboolean streaming;     /* fed to the handlers as it comes, else read whole */
  GByteArray *body;       /* a whole reply */
  gboolean truncated;

  /* libsoup's path: the reply body. */
  GInputStream *stream;

  /* The direct path, for upstreams on this machine. */
  GTask *task;
  UpConn *conn;
  GSource *cancel_source;
  GString *request;       /* the request's bytes */
  gsize sent;
  gboolean reused;        /* sent on a kept-alive connection */
  gboolean retried;
  gboolean head_done;
  gboolean chunked;
  RwHttp1Chunked decoder;
  gint64 body_left;       /* Content-Length still to come; -1 when read to the close */
  gboolean keep_alive;
} Exchange;

static void
exchange_free (Exchange *x)
{
  g_clear_pointer (&x->req, _rw_http_request_free);
  g_clear_object (&x->msg);
  g_clear_object (&x->stream);
  g_clear_pointer (&x->sse, rw_sse_parser_free);
  if (x->line != NULL)
    g_string_free (x->line, TRUE);
  if (x->request != NULL)
    g_string_free (x->request, TRUE);
  g_clear_pointer (&x->body, g_byte_array_unref);
  g_free (x->location);
  g_free (x);
}

static gboolean
on_sse (const char  *event,
        const char  *data,
        gsize        len,
        gpointer     user_data,
        GError     **error)
{
  Exchange *x = user_data;

  if (x->handlers->ended != NULL && x->handlers->ended (x->data))
    return TRUE;
  return x->handlers->event (x->data, event, data, len, error);
}

static gboolean
feed_ndjson (Exchange    *x,
             const char  *buf,
             gsize        len,
             GError     **error)
{
  while (len > 0)
    {
      const char *nl = memchr (buf, '\n', len);
      gsize n = nl ? (gsize) (nl - buf) : len;

      if (x->line->len + n > MAX_LINE)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "stream line longer than %d bytes",
                       MAX_LINE);
          return FALSE;
        }
      g_string_append_len (x->line, buf, n);
      if (nl == NULL)
        return TRUE;
      if (x->line->len > 0 && x->line->str[x->line->len - 1] == '\r')
        g_string_truncate (x->line, x->line->len - 1);
      if (x->line->len > 0 &&
          !(x->handlers->ended != NULL && x->handlers->ended (x->data)) &&
          !x->handlers->event (x->data, NULL, x->line->str, x->line->len, error))
        return FALSE;
      g_string_truncate (x->line, 0);
      buf += n + 1;
      len -= n + 1;
    }
  return TRUE;
}

/* The reply's headers are in: tell the call, and choose between a stream and a whole body. */
static void
exchange_head (Exchange   *x,
               const char *content_type)
{
  rw_provider_call_headers_received (x->call, x->status);
  x->streaming = SOUP_STATUS_IS_SUCCESSFUL (x->status) &&
                 rw_provider_call_get_request (x->call)->stream &&
                 ((x->framing == RW_HTTP_SSE &&
                   g_strcmp0 (content_type, "text/event-stream") == 0) ||
                  (x->framing == RW_HTTP_NDJSON &&
                   g_strcmp0 (content_type, "application/json") != 0));
  if (x->streaming && x->framing == RW_HTTP_SSE)
    x->sse = rw_sse_parser_new (on_sse, x);
  else if (x->streaming)
    x->line = g_string_new (NULL);
  else
    x->body = g_byte_array_new ();
}

/* A piece of a streamed reply. */
static gboolean
exchange_feed (Exchange    *x,
               const char  *data,
               gsize        len,
               GError     **error)
{
  if (x->framing == RW_HTTP_SSE)
    return rw_sse_parser_feed (x->sse, data, len, error);
  return feed_ndjson (x, data, len, error);
}

static gboolean
exchange_ended (Exchange *x)
{
  return x->handlers->ended != NULL && x->handlers->ended (x->data);
}

/* The stream is over: what came must be a whole answer. */
static gboolean
exchange_stream_end (Exchange  *x,
                     GError   **error)
{
  RwChatResult *result = rw_provider_call_get_result (x->call);

  /* NDJSON: a last line without its newline still counts. */
  if (x->framing == RW_HTTP_NDJSON && x->line->len > 0 && !feed_ndjson (x, "\n", 1, error))
    return FALSE;
  if (!x->handlers->complete (x->data))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                   "the stream ended before the answer was complete "
                   "(%" G_GSIZE_FORMAT " bytes of text received)", result->text->len);
      return FALSE;
    }
  return TRUE;
}

/* A piece of a whole reply, kept up to the limit for its status. */
static void
exchange_keep (Exchange   *x,
               const char *data,
               gsize       len)
{
  gsize max = SOUP_STATUS_IS_SUCCESSFUL (x->status) ? RW_HTTP_MAX_BODY : RW_HTTP_MAX_ERROR_BODY;

  if (x->truncated)
    return;
  if (x->body->len + len > max)
    {
      g_byte_array_append (x->body, (const guint8 *) data, (guint) (max - x->body->len));
      x->truncated = TRUE;
      return;
    }
  g_byte_array_append (x->body, (const guint8 *) data, (guint) len);
}

/* A whole reply is in: an error for a failing status, else its JSON to the handlers. */
static gboolean
exchange_whole (Exchange  *x,
                GError   **error)
{
  g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&x->body));
  g_autoptr(RwJsonDoc) doc = NULL;
  g_autoptr(JsonNode) root = NULL;
  const char *text;
  gsize len;

  if (!SOUP_STATUS_IS_SUCCESSFUL (x->status))
    {
      g_propagate_error (error, error_for_reply (x->call, x->status, x->wait_ms, x->req->uri,
                                                 x->location, body));
      return FALSE;
    }
  if (x->truncated)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the reply is larger than %d bytes",
                   RW_HTTP_MAX_BODY);
      return FALSE;
    }
  text = g_bytes_get_data (body, &len);
  if ((doc = _rw_json_parse_doc (text, len, "reply", error)) == NULL)
    return FALSE;
  if (rw_json_doc_member (doc, RW_JSON_ROOT, "error") != RW_JSON_NONE)
    {
      g_propagate_error (error, _rw_http_stream_error (text, len));
      return FALSE;
    }
  if (x->handlers->doc_body != NULL)
    return x->handlers->doc_body (x->data, doc, text, len, error);
  root = rw_json_doc_to_node (doc, RW_JSON_ROOT);
  return x->handlers->body (x->data, json_node_get_object (root), text, len, error);
}

static GError *
broke_mid_answer (Exchange   *x,
                  const char *why)
{
  RwChatResult *result = rw_provider_call_get_result (x->call);

  return g_error_new (RW_ERROR, RW_ERROR_NETWORK, "the connection broke mid-answer after %"
                      G_GSIZE_FORMAT " bytes of text: %s", result->text->len, why);
}

/* ------------------------------------------------------------------- exchange, by libsoup */

static void soup_read_next (GTask *task);

static void
soup_read_cb (GObject      *object,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *x = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (x->stream, res, &error);
  const char *data;
  gsize len;

  if (bytes == NULL)
    {
      if (x->streaming && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, broke_mid_answer (x, error->message));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      /* The whole body is read: closing now hands the connection back for the next request. */
      g_input_stream_close (x->stream, NULL, NULL);
      if (x->streaming)
        exchange_stream_end (x, &error);
      else
        exchange_whole (x, &error);
      return_outcome (task, g_steal_pointer (&error));
      return;
    }
  if (!x->streaming)
    {
      exchange_keep (x, data, len);
      if (x->truncated)
        {
          exchange_whole (x, &error);
          return_outcome (task, g_steal_pointer (&error));
          return;
        }
    }
  else if (!exchange_feed (x, data, len, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  else if (exchange_ended (x))
    {
      /* The upstream said it is done; what it said must also be a whole answer. */
      exchange_stream_end (x, &error);
      return_outcome (task, g_steal_pointer (&error));
      return;
    }
  soup_read_next (g_steal_pointer (&task));
}

static void
soup_read_next (GTask *task)
{
  Exchange *x = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (x->stream, x->streaming ? 16384 : 65536, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), soup_read_cb, task);
}

static void
soup_send_cb (GObject      *object,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *x = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  x->stream = soup_session_send_finish (SOUP_SESSION (object), res, &error);
  if (x->stream == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  headers = soup_message_get_response_headers (x->msg);
  x->status = soup_message_get_status (x->msg);
  x->wait_ms = retry_after_ms (soup_message_headers_get_one (headers, "retry-after-ms"),
                               soup_message_headers_get_one (headers, "retry-after"));
  if (SOUP_STATUS_IS_REDIRECTION (x->status))
    x->location = g_strdup (soup_message_headers_get_one (headers, "location"));
  exchange_head (x, soup_message_headers_get_content_type (headers, NULL));
  soup_read_next (g_steal_pointer (&task));
}

static void
exchange_by_soup (GTask *task)
{
  Exchange *x = g_task_get_task_data (task);
  RwProvider *provider = _rw_provider_call_get_provider (x->call);

  /* libsoup sends a POST on a fresh connection unless told it may reuse a kept-alive one: a
   * connection the upstream closed while idle is then retried on a new one, which is safe here
   * since the upstream never saw the request. Without this, every request costs a TCP
   * handshake (and a proxy lookup), and idle connections pile up. */
  x->msg = request_to_soup (x->req);
  soup_message_add_flags (x->msg, SOUP_MESSAGE_IDEMPOTENT);
  soup_session_send_async (rw_provider_get_session (provider), x->msg, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), soup_send_cb, task);
}

/* ------------------------------------------------------------ exchange, on a local socket */

/*
 * Upstreams on this machine (a local model server, a gateway, the test upstream) are spoken to
 * directly: HTTP/1.1 on a non-blocking socket watched by the main context, connections kept
 * alive in a pool per host and port. This path has no proxy, no TLS and no redirects, which is
 * what loopback needs, and costs a few system calls per request. Everything else goes through
 * libsoup.
 */

struct _RwHttpPool
{
  gint ref_count;
  GMainContext *context;
  GHashTable *idle;       /* "host:port" -> GQueue of idle UpConn */
  gboolean closed;
};

struct _UpConn
{
  RwHttpPool *pool;
  char *key;
  int fd;
  GSource *watch;
  GByteArray *in;         /* what was read and not yet used */
  Exchange *x;            /* the exchange using it; NULL while idle */
  gboolean connecting;
};

#define MAX_IDLE_PER_HOST 256

static gboolean use_direct = TRUE;

/* Whether upstreams on this machine are spoken to directly (the default) or through libsoup,
 * as remote ones are. The test suite runs its upstream faults both ways. */
void
_rw_http_set_direct (gboolean direct)
{
  use_direct = direct;
}

RwHttpPool *
_rw_http_pool_new (void)
{
  RwHttpPool *pool = g_new0 (RwHttpPool, 1);

  pool->ref_count = 1;
  pool->context = g_main_context_ref_thread_default ();
  pool->idle = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return pool;
}

static void up_conn_close (UpConn *c);

static void
pool_unref (RwHttpPool *pool)
{
  if (--pool->ref_count > 0)
    return;
  g_hash_table_unref (pool->idle);
  g_main_context_unref (pool->context);
  g_free (pool);
}

/* Closes the idle connections; the busy ones close when their exchange ends. */
void
_rw_http_pool_close (RwHttpPool *pool)
{
  GHashTableIter iter;
  gpointer value;

  pool->closed = TRUE;
  g_hash_table_iter_init (&iter, pool->idle);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GQueue *q = value;
      UpConn *c;

      while ((c = g_queue_pop_head (q)) != NULL)
        up_conn_close (c);
      g_queue_free (q);
      g_hash_table_iter_remove (&iter);
    }
  pool_unref (pool);
}

static void
up_conn_close (UpConn *c)
{
  g_source_destroy (c->watch);
  g_source_unref (c->watch);
  close (c->fd);
  g_byte_array_unref (c->in);
  g_free (c->key);
  pool_unref (c->pool);
  g_free (c);
}

static gboolean up_conn_ready (gpointer data, GIOCondition ready);

static gboolean
idle_ready (gpointer     data,
            GIOCondition ready)
{
  UpConn *c = data;
  GQueue *q = g_hash_table_lookup (c->pool->idle, c->key);

  /* An idle connection has nothing to say: the upstream closed it, or sent what it should
   * not have. Either way it is not used again. */
  g_queue_remove (q, c);
  up_conn_close (c);
  return G_SOURCE_CONTINUE;
}

static void
pool_put (UpConn *c)
{
  RwHttpPool *pool = c->pool;
  GQueue *q;

  c->x = NULL;
  if (pool->closed || c->in->len > 0)
    {
      up_conn_close (c);
      return;
    }
  q = g_hash_table_lookup (pool->idle, c->key);
  if (q == NULL)
    {
      q = g_queue_new ();
      g_hash_table_insert (pool->idle, g_strdup (c->key), q);
    }
  if (q->length >= MAX_IDLE_PER_HOST)
    {
      up_conn_close (c);
      return;
    }
  rw_fd_watch_set_events (c->watch, G_IO_IN);
  g_queue_push_head (q, c);
}

static UpConn *
pool_take (RwHttpPool *pool,
           const char *key)
{
  GQueue *q = g_hash_table_lookup (pool->idle, key);

  return q ? g_queue_pop_head (q) : NULL;
}

static void direct_start (Exchange *x);

/* Ends the exchange with its outcome (@error taken, NULL for success). Its connection goes back
 * to the pool when @reusable, else it is closed; either way before the caller hears of the
 * outcome, which may start the next request at once. */
static void
direct_finish (Exchange *x,
               GError   *error,
               gboolean  reusable)
{
  g_autoptr(GTask) task = g_steal_pointer (&x->task);
  UpConn *c = g_steal_pointer (&x->conn);

  if (x->cancel_source != NULL)
    {
      g_source_destroy (x->cancel_source);
      g_clear_pointer (&x->cancel_source, g_source_unref);
    }
  if (c != NULL)
    {
      if (reusable && x->keep_alive)
        pool_put (c);
      else
        up_conn_close (c);
    }
  return_outcome (task, error);
}

/* Body bytes, as they come. Returns FALSE when the exchange is over (done or failed). */
static gboolean
direct_body (Exchange *x,
             char     *data,
             gsize     len,
             gboolean  body_complete)
{
  GError *error = NULL;

  if (x->streaming)
    {
      if (len > 0 && !exchange_feed (x, data, len, &error))
        {
          direct_finish (x, error, FALSE);
          return FALSE;
        }
      if (body_complete || exchange_ended (x))
        {
          exchange_stream_end (x, &error);
          direct_finish (x, error, body_complete);
          return FALSE;
        }
      return TRUE;
    }
  exchange_keep (x, data, len);
  if (body_complete || x->truncated)
    {
      exchange_whole (x, &error);
      direct_finish (x, error, body_complete);
      return FALSE;
    }
  return TRUE;
}

/* Uses what is in the connection's buffer. Returns FALSE when the exchange is over. */
static gboolean
direct_process (Exchange *x)
{
  UpConn *c = x->conn;

  while (!x->head_done)
    {
      RwHttp1Head head;
      const char *why = NULL;
      gssize n = rw_http1_parse_response ((char *) c->in->data, c->in->len, &head, &why);

      if (n == RW_HTTP1_INCOMPLETE)
        return TRUE;
      if (n < 0)
        {
          direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                         "malformed HTTP reply: %s", why), FALSE);
          return FALSE;
        }
      if (head.status >= 100 && head.status < 200)
        {
          /* An interim reply (100 Continue): the real one follows. */
          g_byte_array_remove_range (c->in, 0, (guint) n);
          continue;
        }
      x->head_done = TRUE;
      x->status = head.status;
      x->keep_alive = head.keep_alive;
      x->wait_ms = retry_after_ms (rw_http1_head_get (&head, "retry-after-ms"),
                                   rw_http1_head_get (&head, "retry-after"));
      if (SOUP_STATUS_IS_REDIRECTION (head.status))
        x->location = g_strdup (rw_http1_head_get (&head, "location"));
      x->chunked = head.chunked;
      x->body_left = head.status == 204 || head.status == 304 ? 0 : head.content_length;
      if (!x->chunked && x->body_left < 0)
        x->keep_alive = FALSE;   /* the body ends when the connection does */
      {
        g_autofree char *content_type = NULL;
        const char *ct = rw_http1_head_get (&head, "content-type");
        if (ct != NULL)
          {
            const char *semi = strchr (ct, ';');
            content_type = g_ascii_strdown (ct, semi ? semi - ct : -1);
            g_strstrip (content_type);
          }
        g_byte_array_remove_range (c->in, 0, (guint) n);
        exchange_head (x, content_type);
      }
    }

  if (x->chunked)
    {
      gsize out = 0;
      gboolean done = FALSE;
      gssize used = rw_http1_chunked_decode (&x->decoder, (char *) c->in->data, c->in->len,
                                             &out, &done);
      g_autofree char *piece = NULL;

      if (used < 0)
        {
          direct_finish (x, g_error_new_literal (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                                 "malformed chunked body in the reply"), FALSE);
          return FALSE;
        }
      /* The handlers may start the next request on this connection: hand them a copy and
       * leave the buffer holding only what follows this reply. */
      piece = g_memdup2 (c->in->data, out);
      g_byte_array_remove_range (c->in, 0, (guint) used);
      return direct_body (x, piece, out, done);
    }
  else if (x->body_left >= 0)
    {
      gsize n = (gsize) MIN ((gint64) c->in->len, x->body_left);
      g_autofree char *piece = g_memdup2 (c->in->data, n);

      g_byte_array_remove_range (c->in, 0, (guint) n);
      x->body_left -= (gint64) n;
      return direct_body (x, piece, n, x->body_left == 0);
    }
  else
    {
      gsize n = c->in->len;
      g_autofree char *piece = g_memdup2 (c->in->data, n);

      g_byte_array_set_size (c->in, 0);
      return n == 0 || direct_body (x, piece, n, FALSE);
    }
}

/* The connection ended (@error is errno, 0 for an orderly close). */
static void
direct_closed (Exchange *x,
               int       err)
{
  const char *why = err ? g_strerror (err) : "the upstream closed the connection";

  if (!x->head_done && x->conn->in->len == 0 && x->reused && !x->retried)
    {
      /* A kept-alive connection the upstream closed while it was idle: it never saw the
       * request, so it is sent again on a new connection. */
      up_conn_close (g_steal_pointer (&x->conn));
      x->retried = TRUE;
      x->sent = 0;
      direct_start (x);
      return;
    }
  if (!x->head_done)
    direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK,
                                   "no reply from the upstream: %s", why), FALSE);
  else if (!x->chunked && x->body_left < 0 && err == 0)
    direct_body (x, NULL, 0, TRUE);
  else if (x->streaming)
    direct_finish (x, broke_mid_answer (x, why), FALSE);
  else
    direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK,
                                   "the reply was cut short: %s", why), FALSE);
}

/* Sends what is left of the request. FALSE when the exchange no longer uses this connection
 * (it failed, or moved to a new connection). */
static gboolean
direct_send (Exchange *x)
{
  UpConn *c = x->conn;

  while (x->sent < x->request->len)
    {
      gssize n = send (c->fd, x->request->str + x->sent, x->request->len - x->sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            {
              rw_fd_watch_set_events (c->watch, G_IO_OUT | G_IO_IN);
              return TRUE;
            }
          direct_closed (x, errno);
          return FALSE;
        }
      x->sent += (gsize) n;
    }
  rw_fd_watch_set_events (c->watch, G_IO_IN);
  return TRUE;
}

static gboolean
up_conn_ready (gpointer     data,
               GIOCondition ready)
{
  UpConn *c = data;
  Exchange *x = c->x;

  if (x == NULL)
    return idle_ready (c, ready);

  if (c->connecting)
    {
      int err = 0;
      socklen_t len = sizeof err;

      if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
      if (err != 0)
        {
          direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK, "cannot connect to %s: %s",
                                         c->key, g_strerror (err)), FALSE);
          return G_SOURCE_CONTINUE;
        }
      c->connecting = FALSE;
      direct_send (x);
      return G_SOURCE_CONTINUE;
    }

  if ((ready & G_IO_OUT) && x->sent < x->request->len && !direct_send (x))
    return G_SOURCE_CONTINUE;
  if (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      guint old = c->in->len;
      gssize n;

      g_byte_array_set_size (c->in, old + 65536);
      n = recv (c->fd, c->in->data + old, 65536, MSG_DONTWAIT);
      g_byte_array_set_size (c->in, old + (guint) MAX (n, 0));
      if (n > 0)
        direct_process (x);
      else if (n == 0)
        direct_closed (x, 0);
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        direct_closed (x, errno);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
direct_cancelled (GCancellable *cancellable,
                  gpointer      data)
{
  Exchange *x = data;

  direct_finish (x, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"), FALSE);
  return G_SOURCE_REMOVE;
}

/* The socket address of a loopback host, or FALSE. */
static gboolean
loopback_address (const char              *host,
                  guint                    port,
                  struct sockaddr_storage *addr,
                  socklen_t               *len)
{
  struct sockaddr_in *in4 = (struct sockaddr_in *) addr;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) addr;

  memset (addr, 0, sizeof *addr);
  if (g_str_equal (host, "localhost") || inet_pton (AF_INET, host, &in4->sin_addr) == 1)
    {
      in4->sin_family = AF_INET;
      in4->sin_port = g_htons (port);
      if (g_str_equal (host, "localhost"))
        in4->sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
      *len = sizeof *in4;
      return (g_ntohl (in4->sin_addr.s_addr) >> 24) == 127;
    }
  if (inet_pton (AF_INET6, host, &in6->sin6_addr) == 1)
    {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = g_htons (port);
      *len = sizeof *in6;
      return IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
    }
  return FALSE;
}

static void
direct_start (Exchange *x)
{
  RwProvider *provider = _rw_provider_call_get_provider (x->call);
  RwHttpPool *pool = _rw_provider_get_http_pool (provider);
  GUri *uri = x->req->uri;
  const char *host = g_uri_get_host (uri);
  guint port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 80;
  g_autofree char *key = g_strdup_printf ("%s:%u", host, port);
  UpConn *c = x->retried ? NULL : pool_take (pool, key);

  x->reused = c != NULL;
  if (c == NULL)
    {
      struct sockaddr_storage addr;
      socklen_t addr_len;
      int one = 1;
      int fd;

      if (!loopback_address (host, port, &addr, &addr_len))
        {
          direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_CONFIG, "%s is not on this machine",
                                         host), FALSE);
          return;
        }
      fd = socket (addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        {
          direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK, "cannot connect to %s: %s",
                                         key, g_strerror (errno)), FALSE);
          return;
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c = g_new0 (UpConn, 1);
      c->pool = pool;
      pool->ref_count++;
      c->key = g_steal_pointer (&key);
      c->fd = fd;
      c->in = g_byte_array_sized_new (4096);
      c->watch = rw_fd_watch_new (fd, 0, up_conn_ready, c);
      if (connect (fd, (struct sockaddr *) &addr, addr_len) != 0)
        {
          if (errno != EINPROGRESS)
            {
              int err = errno;
              x->conn = c;
              c->x = x;
              direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK,
                                             "cannot connect to %s: %s", c->key, g_strerror (err)),
                             FALSE);
              return;
            }
          c->connecting = TRUE;
        }
    }
  c->x = x;
  x->conn = c;
  if (c->connecting)
    rw_fd_watch_set_events (c->watch, G_IO_OUT);
  else
    direct_send (x);
}

/* The request's bytes: its method, target and headers, and its body. */
static GString *
direct_request (RwHttpRequest *r)
{
  GUri *uri = r->uri;
  gsize len = 0;
  const char *data = r->body ? g_bytes_get_data (r->body, &len) : NULL;
  GString *s = g_string_sized_new (512 + len);

  /* Appends, not printf: this runs for every request. */
  g_string_append (s, r->method);
  g_string_append_c (s, ' ');
  g_string_append (s, *g_uri_get_path (uri) ? g_uri_get_path (uri) : "/");
  if (g_uri_get_query (uri) != NULL)
    {
      g_string_append_c (s, '?');
      g_string_append (s, g_uri_get_query (uri));
    }
  g_string_append (s, " HTTP/1.1\r\nHost: ");
  g_string_append (s, g_uri_get_host (uri));
  if (g_uri_get_port (uri) > 0)
    g_string_append_printf (s, ":%d", g_uri_get_port (uri));
  g_string_append (s, "\r\nUser-Agent: Routewise/" PACKAGE_VERSION "\r\n");
  for (guint i = 0; i < r->headers->len; i += 2)
    {
      const char *name = r->headers->pdata[i];
      if (g_ascii_strcasecmp (name, "Content-Length") == 0 ||
          g_ascii_strcasecmp (name, "Content-Type") == 0 || g_ascii_strcasecmp (name, "Host") == 0)
        continue;
      g_string_append (s, name);
      g_string_append_len (s, ": ", 2);
      g_string_append (s, r->headers->pdata[i + 1]);
      g_string_append_len (s, "\r\n", 2);
    }
  if (r->content_type != NULL)
    {
      g_string_append (s, "Content-Type: ");
      g_string_append (s, r->content_type);
      g_string_append_len (s, "\r\n", 2);
    }
  g_string_append_printf (s, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", len);
  if (len > 0)
    g_string_append_len (s, data, (gssize) len);
  return s;
}

/* Whether this exchange may take the direct path. */
static gboolean
direct_possible (Exchange *x)
{
  RwProvider *provider = _rw_provider_call_get_provider (x->call);
  GUri *uri = x->req->uri;
  g_autoptr(GMainContext) context = NULL;

  if (!use_direct || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 ||
      !is_loopback_host (g_uri_get_host (uri)) || x->req->body == NULL)
    return FALSE;
  context = g_main_context_ref_thread_default ();
  return _rw_provider_get_http_pool (provider)->context == context;
}

/* Sends @request (taking it) and hands the reply to @handlers. */
void
_rw_http_exchange_async (RwProviderCall       *call,
                         RwHttpRequest        *request,
                         RwHttpFraming         framing,
                         const RwHttpHandlers *handlers,
                         gpointer              data,
                         GCancellable         *cancellable,
                         GAsyncReadyCallback   callback,
                         gpointer              user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Exchange *x = g_new0 (Exchange, 1);

  x->call = call;
  x->req = request;
  x->framing = framing;
  x->handlers = handlers;
  x->data = data;
  g_task_set_task_data (task, x, (GDestroyNotify) exchange_free);
  g_task_set_source_tag (task, _rw_http_exchange_async);

  if (!direct_possible (x))
    {
      exchange_by_soup (task);
      return;
    }
  x->task = task;
  x->request = direct_request (request);
  if (cancellable != NULL)
    {
      x->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (x->cancel_source, (GSourceFunc) direct_cancelled, x, NULL);
      g_source_attach (x->cancel_source, g_main_context_get_thread_default ());
    }
  direct_start (x);
}

gboolean
_rw_http_exchange_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A POST with a JSON body, or NULL with an error when the URL is not valid. */
RwHttpRequest *
_rw_http_new_json_post (const char   *url,
                        JsonBuilder  *body,
                        gboolean      stream,
                        GError      **error)
{
  g_autoptr(JsonNode) root = json_builder_get_root (body);
  g_autofree char *text = rw_json_to_string (root, FALSE);
  g_autoptr(GBytes) bytes = NULL;
  RwHttpRequest *r = _rw_http_request_new ("POST", url, error);
  gsize len = strlen (text);

  if (r == NULL)
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&text), len);
  _rw_http_request_set_body (r, "application/json", bytes);
  _rw_http_request_set_header (r, "Accept",
                               stream ? "text/event-stream, application/x-ndjson, application/json"
                                      : "application/json");
  return r;
}

gboolean
_rw_json_string_member (JsonObject  *obj,
                        const char  *name,
                        const char **out)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    {
      *out = json_node_get_string (node);
      return TRUE;
    }
  *out = NULL;
  return FALSE;
}

/* An upstream's JSON object, or NULL with an error that says which part of the reply it was. */
RwJsonDoc *
_rw_json_parse_doc (const char  *text,
                    gsize        len,
                    const char  *what,
                    GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (text, len, &local);

  if (doc == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "malformed JSON in the %s: %s",
                   what, local->message);
      return NULL;
    }
  if (rw_json_doc_type (doc, RW_JSON_ROOT) != RW_JSON_OBJECT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the %s is not a JSON object", what);
      return NULL;
    }
  return g_steal_pointer (&doc);
}

/* The same, as a json-glib object. */
JsonObject *
_rw_json_parse_object (const char  *text,
                       gsize        len,
                       const char  *what,
                       GError     **error)
{
  g_autoptr(RwJsonDoc) doc = _rw_json_parse_doc (text, len, what, error);
  g_autoptr(JsonNode) root = doc ? rw_json_doc_to_node (doc, RW_JSON_ROOT) : NULL;

  return root ? json_object_ref (json_node_get_object (root)) : NULL;
}

/* The system messages of a request, joined, for protocols that take them apart. */
char *
_rw_chat_request_join_system (RwChatRequest *request)
{
  GString *s = NULL;

  for (guint i = 0; i < rw_chat_request_get_n_messages (request); i++)
    if (g_str_equal (rw_chat_request_get_role (request, i), "system"))
      {
        if (s == NULL)
          s = g_string_new (NULL);
        else
          g_string_append (s, "\n\n");
        g_string_append (s, rw_chat_request_get_content (request, i));
      }
  return s ? g_string_free (s, FALSE) : NULL;
}

/* The call's key; a provider that names a key variable and is not on this machine refuses to
 * send without one, rather than sending an anonymous request to a remote service. */
char *
_rw_http_require_key (RwProviderCall  *call,
                      GError         **error)
{
  RwProvider *provider = _rw_provider_call_get_provider (call);
  char *key = rw_provider_call_dup_api_key (call);

  if ((key == NULL || *key == '\0') && rw_provider_get_api_key_env (provider) != NULL &&
      !_rw_http_is_loopback_url (rw_provider_get_base_url (provider)))
    {
      g_free (key);
      g_set_error (error, RW_ERROR, RW_ERROR_AUTH,
                   "no API key: the environment variable %s is not set",
                   rw_provider_get_api_key_env (provider));
      return NULL;
    }
  return key ? key : g_strdup ("");
}

/* Completes a provider's chat task with the exchange's outcome; the providers' callback. */
void
_rw_http_complete_task (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  _rw_http_exchange_finish (result, &error);
  return_outcome (task, error);
}

/* The chat_finish of every HTTP provider. */
gboolean
_rw_http_chat_finish (RwProvider    *provider,
                      GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The error an upstream reported in its reply or inside its stream. */
GError *
_rw_http_stream_error (const char *text,
                       gsize       len)
{
  g_autofree char *copy = g_strndup (text, len);
  GError *error = rw_error_from_json_error (0, copy);

  return error ? error : g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                      "the upstream reported an error without a message");
}
