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

#include "rw-chat-request-private.h"
#include "rw-error.h"
#include "rw-file.h"
#include "rw-http-private.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-sse-parser.h"

/*
 * One HTTP exchange with an upstream: send, classify a failing status from its body, then
 * either parse a stream (SSE events or NDJSON lines) with the handlers, or hand a whole JSON
 * body to them. A stream that ends before the handlers say the answer is complete is an error.
 * It goes by one of two paths: rw-http-direct.c for upstreams on this machine, rw-http-soup.c
 * for the others.
 */

/* Returns a task's outcome: @error (taken), or success when it is NULL. */
void
_rw_http_return_outcome (GTask  *task,
                         GError *error)
{
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* How long the server asked us to wait, from retry-after-ms or Retry-After. */
gint64
_rw_http_retry_after_ms (const char *ms,
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

/* The classified, redacted error for a reply with a failing status. */
static GError *
http_error_for_reply (const RwHttpSink *sink,
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
  sink->result->retry_after_ms = wait_ms;
  return rw_error_new_redacted (raw, sink->redact, sink->owner);
}

#define MAX_LINE (8 * 1024 * 1024)

static void
http_exchange_free (RwHttpExchange *x)
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
http_on_sse (const char  *event,
             const char  *data,
             gsize        len,
             gpointer     user_data,
             GError     **error)
{
  RwHttpExchange *x = user_data;

  if (x->handlers->ended != NULL && x->handlers->ended (x->data))
    return TRUE;
  return x->handlers->event (x->data, event, data, len, error);
}

static gboolean
http_feed_ndjson (RwHttpExchange    *x,
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
void
_rw_http_exchange_head (RwHttpExchange   *x,
                        const char *content_type)
{
  x->sink.headers (x->sink.owner, x->status);
  x->streaming = SOUP_STATUS_IS_SUCCESSFUL (x->status) &&
                 x->sink.stream &&
                 ((x->framing == RW_HTTP_SSE &&
                   g_strcmp0 (content_type, "text/event-stream") == 0) ||
                  (x->framing == RW_HTTP_NDJSON &&
                   g_strcmp0 (content_type, "application/json") != 0));
  if (x->streaming && x->framing == RW_HTTP_SSE)
    x->sse = rw_sse_parser_new (http_on_sse, x);
  else if (x->streaming)
    x->line = g_string_new (NULL);
  else
    x->body = g_byte_array_new ();
}

/* A piece of a streamed reply. */
gboolean
_rw_http_exchange_feed (RwHttpExchange    *x,
                        const char  *data,
                        gsize        len,
                        GError     **error)
{
  if (x->framing == RW_HTTP_SSE)
    return rw_sse_parser_feed (x->sse, data, len, error);
  return http_feed_ndjson (x, data, len, error);
}

gboolean
_rw_http_exchange_ended (RwHttpExchange *x)
{
  return x->handlers->ended != NULL && x->handlers->ended (x->data);
}

/* The stream is over: what came must be a whole answer. */
gboolean
_rw_http_exchange_stream_end (RwHttpExchange  *x,
                              GError   **error)
{
  RwChatResult *result = x->sink.result;

  /* NDJSON: a last line without its newline still counts. */
  if (x->framing == RW_HTTP_NDJSON && x->line->len > 0 && !http_feed_ndjson (x, "\n", 1, error))
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

/* The most a whole reply may be: an answer at the provider's limit, every byte of it escaped
 * (as \n or \") in the JSON around it, and the rest of the reply. */
static gsize
exchange_max_body (RwHttpExchange *x)
{
  if (!SOUP_STATUS_IS_SUCCESSFUL (x->status))
    return RW_HTTP_MAX_ERROR_BODY;
  if (x->sink.max_answer_bytes == 0)
    return RW_HTTP_MAX_BODY;
  return MIN (2 * x->sink.max_answer_bytes, G_MAXUINT - (1 << 20)) + (1 << 20);
}

/* A piece of a whole reply, kept up to the limit for its status. */
void
_rw_http_exchange_keep (RwHttpExchange   *x,
                        const char *data,
                        gsize       len)
{
  gsize max = exchange_max_body (x);

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
gboolean
_rw_http_exchange_whole (RwHttpExchange  *x,
                         GError   **error)
{
  g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&x->body));
  g_autoptr(RwJsonDoc) doc = NULL;
  g_autoptr(JsonNode) root = NULL;
  const char *text;
  gsize len;

  if (!SOUP_STATUS_IS_SUCCESSFUL (x->status))
    {
      g_propagate_error (error, http_error_for_reply (&x->sink, x->status, x->wait_ms, x->req->uri,
                                                 x->location, body));
      return FALSE;
    }
  if (x->truncated)
    {
      g_autofree char *size = rw_file_format_size (exchange_max_body (x));

      if (x->sink.max_answer_bytes == 0)
        g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the reply is larger than %s", size);
      else
        {
          g_autofree char *limit = rw_file_format_size (x->sink.max_answer_bytes);
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the reply is larger than %s, more than an answer of %s can take, the most "
                       "taken for one answer (max_answer_bytes in providers.json)", size, limit);
        }
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

GError *
_rw_http_broke_mid_answer (RwHttpExchange   *x,
                           const char *why)
{
  RwChatResult *result = x->sink.result;

  return g_error_new (RW_ERROR, RW_ERROR_NETWORK, "the connection broke mid-answer after %"
                      G_GSIZE_FORMAT " bytes of text: %s", result->text->len, why);
}

/**
 * _rw_http_replay:
 * @sink: as for _rw_http_exchange_async()
 * @request: (transfer full): the request the reply answers; nothing is sent
 * @framing: as for _rw_http_exchange_async()
 * @handlers: as for _rw_http_exchange_async()
 * @data: the handlers' data
 * @status: the reply's status
 * @content_type: (nullable): its Content-Type
 * @body: its body, whatever it holds
 * @piece: how many bytes of it arrive at a time; 0 for all at once
 * @error: what the exchange would have failed with
 *
 * Plays a reply given as bytes through @handlers, exactly as the exchange takes one off the
 * network, without a network: the provider's reading of any reply (the fuzz target `replies`).
 *
 * Returns: whether the reply was a whole answer
 */
gboolean
_rw_http_replay (const RwHttpSink     *sink,
                 RwHttpRequest        *request,
                 RwHttpFraming         framing,
                 const RwHttpHandlers *handlers,
                 gpointer              data,
                 guint                 status,
                 const char           *content_type,
                 GBytes               *body,
                 gsize                 piece,
                 GError              **error)
{
  RwHttpExchange *x = g_new0 (RwHttpExchange, 1);
  gsize len = 0;
  const char *bytes = g_bytes_get_data (body, &len);
  gboolean ok = TRUE;

  x->sink = *sink;
  x->req = request;
  x->framing = framing;
  x->handlers = handlers;
  x->data = data;
  x->status = status;
  _rw_http_exchange_head (x, content_type);
  for (gsize pos = 0; ok && pos < len && !(x->streaming && _rw_http_exchange_ended (x));)
    {
      gsize n = piece == 0 ? len - pos : MIN (piece, len - pos);

      if (x->streaming)
        ok = _rw_http_exchange_feed (x, bytes + pos, n, error);
      else
        _rw_http_exchange_keep (x, bytes + pos, n);
      pos += n;
    }
  if (ok)
    ok = x->streaming ? _rw_http_exchange_stream_end (x, error) : _rw_http_exchange_whole (x, error);
  http_exchange_free (x);
  return ok;
}

/* Sends @request (taking it) and hands the reply to @handlers. */
void
_rw_http_exchange_async (RwHttpClient         *client,
                         const RwHttpSink     *sink,
                         RwHttpRequest        *request,
                         RwHttpFraming         framing,
                         const RwHttpHandlers *handlers,
                         gpointer              data,
                         GCancellable         *cancellable,
                         GAsyncReadyCallback   callback,
                         gpointer              user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  RwHttpExchange *x = g_new0 (RwHttpExchange, 1);

  x->client = client;
  x->sink = *sink;
  x->req = request;
  x->framing = framing;
  x->handlers = handlers;
  x->data = data;
  g_task_set_task_data (task, x, (GDestroyNotify) http_exchange_free);
  g_task_set_source_tag (task, _rw_http_exchange_async);

  if (!_rw_http_direct_possible (x))
    {
      _rw_http_exchange_by_soup (task);
      return;
    }
  x->task = task;
  x->request = _rw_http_direct_request (request);
  if (cancellable != NULL)
    {
      x->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (x->cancel_source, (GSourceFunc) _rw_http_direct_cancelled, x, NULL);
      g_source_attach (x->cancel_source, g_main_context_get_thread_default ());
    }
  _rw_http_direct_start (x);
}

gboolean
_rw_http_exchange_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
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
  _rw_http_return_outcome (task, error);
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
