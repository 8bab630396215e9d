/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_ENGINE_COMPILATION
# define RW_ENGINE_COMPILATION 1
#endif
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-http.h"
#include "rw-sse-parser.h"

/* Helpers shared by the HTTP providers. */

gboolean
_rw_http_is_loopback_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (uri == NULL || (host = g_uri_get_host (uri)) == NULL)
    return FALSE;
  return g_str_equal (host, "localhost") || g_str_has_prefix (host, "127.") ||
         g_str_equal (host, "::1") || g_str_equal (host, "[::1]");
}

/* How long the server asked us to wait, from retry-after-ms or Retry-After. */
gint64
_rw_http_retry_after_ms (SoupMessage *msg)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *ms = soup_message_headers_get_one (headers, "retry-after-ms");
  gint64 value;

  if (ms != NULL)
    {
      char *end = NULL;
      double v = g_ascii_strtod (ms, &end);
      if (end != ms && v >= 0 && v < 86400000.0)
        return (gint64) v;
    }
  value = rw_parse_retry_after (soup_message_headers_get_one (headers, "retry-after"),
                                g_get_real_time () / G_USEC_PER_SEC);
  return value;
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
GError *
_rw_http_error_for_reply (RwProviderCall *call,
                          SoupMessage    *msg,
                          GBytes         *body)
{
  guint status = soup_message_get_status (msg);
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  g_autoptr(GError) raw = rw_error_from_http (status, data, len);
  g_autofree char *clean = rw_provider_call_redact (call, raw->message);
  RwChatResult *result = rw_provider_call_get_result (call);

  result->retry_after_ms = _rw_http_retry_after_ms (msg);
  return g_error_new_literal (RW_ERROR, raw->code, clean);
}

/* ------------------------------------------------------------------------------ exchange */

#define MAX_LINE (8 * 1024 * 1024)

typedef struct
{
  RwProviderCall *call;
  SoupMessage *msg;
  GInputStream *stream;
  RwHttpFraming framing;
  const RwHttpHandlers *handlers;
  gpointer data;
  RwSseParser *sse;
  GString *line;          /* NDJSON: the line so far */
} Exchange;

static void
exchange_free (Exchange *x)
{
  g_clear_object (&x->msg);
  g_clear_object (&x->stream);
  g_clear_pointer (&x->sse, rw_sse_parser_free);
  if (x->line != NULL)
    g_string_free (x->line, TRUE);
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

static void exchange_read_next (GTask *task);

static void
exchange_stream_end (GTask *task)
{
  Exchange *x = g_task_get_task_data (task);
  RwChatResult *result = rw_provider_call_get_result (x->call);

  /* NDJSON: a last line without its newline still counts. */
  if (x->framing == RW_HTTP_NDJSON && x->line->len > 0)
    {
      GError *error = NULL;
      if (!feed_ndjson (x, "\n", 1, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  if (!x->handlers->complete (x->data))
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                               "the stream ended before the answer was complete "
                               "(%" G_GSIZE_FORMAT " bytes of text received)", result->text->len);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
exchange_read_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *x = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (x->stream, res, &error);
  const char *data;
  gsize len;
  gboolean ok;

  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          RwChatResult *result = rw_provider_call_get_result (x->call);
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_NETWORK,
                                   "the connection broke mid-answer after %" G_GSIZE_FORMAT
                                   " bytes of text: %s", result->text->len, error->message);
        }
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      exchange_stream_end (task);
      return;
    }
  if (x->framing == RW_HTTP_SSE)
    ok = rw_sse_parser_feed (x->sse, data, len, &error);
  else
    ok = feed_ndjson (x, data, len, &error);
  if (!ok)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (x->handlers->ended != NULL && x->handlers->ended (x->data))
    {
      /* The upstream said it is done; what it said must also be a whole answer. */
      exchange_stream_end (task);
      return;
    }
  exchange_read_next (g_steal_pointer (&task));
}

static void
exchange_read_next (GTask *task)
{
  Exchange *x = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (x->stream, 16384, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), exchange_read_cb, task);
}

static void
exchange_body_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *x = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  gboolean truncated = FALSE;
  g_autoptr(GBytes) body = _rw_http_read_all_finish (res, &truncated, &error);
  JsonObject *root;
  const char *text;
  gsize len;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (x->msg)))
    {
      g_task_return_error (task, _rw_http_error_for_reply (x->call, x->msg, body));
      return;
    }
  if (truncated)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                               "the reply is larger than %d bytes", RW_HTTP_MAX_BODY);
      return;
    }
  text = g_bytes_get_data (body, &len);
  parser = json_parser_new_immutable ();
  if ((root = _rw_json_parse_object (parser, text, len, "reply", &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (json_object_has_member (root, "error"))
    {
      g_task_return_error (task, _rw_http_stream_error (text, len));
      return;
    }
  if (!x->handlers->body (x->data, root, text, len, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
exchange_send_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *x = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  const char *content_type;
  guint status;

  x->stream = soup_session_send_finish (SOUP_SESSION (object), res, &error);
  if (x->stream == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = soup_message_get_status (x->msg);
  rw_provider_call_headers_received (x->call, status);
  content_type = soup_message_headers_get_content_type (
    soup_message_get_response_headers (x->msg), NULL);

  if (SOUP_STATUS_IS_SUCCESSFUL (status) && rw_provider_call_get_request (x->call)->stream &&
      ((x->framing == RW_HTTP_SSE && g_strcmp0 (content_type, "text/event-stream") == 0) ||
       (x->framing == RW_HTTP_NDJSON && g_strcmp0 (content_type, "application/json") != 0)))
    {
      if (x->framing == RW_HTTP_SSE)
        x->sse = rw_sse_parser_new (on_sse, x);
      else
        x->line = g_string_new (NULL);
      exchange_read_next (g_steal_pointer (&task));
      return;
    }
  _rw_http_read_all_async (x->stream, SOUP_STATUS_IS_SUCCESSFUL (status) ? RW_HTTP_MAX_BODY
                                                                        : RW_HTTP_MAX_ERROR_BODY,
                           cancellable, exchange_body_cb, g_steal_pointer (&task));
}

void
_rw_http_exchange_async (RwProviderCall       *call,
                         SoupMessage          *msg,
                         RwHttpFraming         framing,
                         const RwHttpHandlers *handlers,
                         gpointer              data,
                         GCancellable         *cancellable,
                         GAsyncReadyCallback   callback,
                         gpointer              user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Exchange *x = g_new0 (Exchange, 1);
  RwProvider *provider = NULL;

  x->call = call;
  x->msg = g_object_ref (msg);
  x->framing = framing;
  x->handlers = handlers;
  x->data = data;
  g_task_set_task_data (task, x, (GDestroyNotify) exchange_free);
  g_task_set_source_tag (task, _rw_http_exchange_async);
  provider = _rw_provider_call_get_provider (call);
  /* libsoup sends a POST on a fresh connection unless told it may reuse a kept-alive one: a
   * connection the upstream closed while idle is then retried on a new one, which is safe here
   * since the upstream never saw the request. Without this, every request costs a TCP
   * handshake (and a proxy lookup), and idle connections pile up. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  soup_session_send_async (rw_provider_get_session (provider), msg, G_PRIORITY_DEFAULT, cancellable,
                           exchange_send_cb, task);
}

gboolean
_rw_http_exchange_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A POST with a JSON body, or NULL with an error when the URL is not valid. */
SoupMessage *
_rw_http_new_json_post (const char   *url,
                        JsonBuilder  *body,
                        gboolean      stream,
                        GError      **error)
{
  g_autoptr(JsonNode) root = json_builder_get_root (body);
  g_autofree char *text = json_to_string (root, FALSE);
  g_autoptr(GBytes) bytes = NULL;
  SoupMessage *msg = soup_message_new ("POST", url);
  gsize len = strlen (text);

  if (msg == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "not a valid URL: %s", url);
      return NULL;
    }
  bytes = g_bytes_new_take (g_steal_pointer (&text), len);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                stream ? "text/event-stream, application/x-ndjson, application/json"
                                       : "application/json");
  return msg;
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

JsonObject *
_rw_json_parse_object (JsonParser  *parser,
                       const char  *text,
                       gsize        len,
                       const char  *what,
                       GError     **error)
{
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, len, &local))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "malformed JSON in the %s: %s",
                   what, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the %s is not a JSON object", what);
      return NULL;
    }
  return json_node_get_object (root);
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

  if (_rw_http_exchange_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
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
