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
#include "rw-http-private.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-sse-parser.h"

/* The exchange through libsoup, for upstreams elsewhere: TLS, proxies, HTTP/2. */

typedef struct
{
  GInputStream *stream;
  GByteArray *buf;
  gsize max_size;
  gboolean truncated;
} RwHttpReadAll;

static void
http_read_all_free (RwHttpReadAll *ra)
{
  g_clear_object (&ra->stream);
  g_clear_pointer (&ra->buf, g_byte_array_unref);
  g_free (ra);
}

static void
http_read_all_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwHttpReadAll *ra = g_task_get_task_data (task);
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
  _rw_http_read_all_next (g_steal_pointer (&task));
}

void
_rw_http_read_all_next (GTask *task)
{
  RwHttpReadAll *ra = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (ra->stream, 65536, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), http_read_all_cb, task);
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
  RwHttpReadAll *ra = g_new0 (RwHttpReadAll, 1);

  ra->stream = g_object_ref (stream);
  ra->buf = g_byte_array_new ();
  ra->max_size = max_size;
  g_task_set_task_data (task, ra, (GDestroyNotify) http_read_all_free);
  g_task_set_source_tag (task, _rw_http_read_all_async);
  _rw_http_read_all_next (task);
}

GBytes *
_rw_http_read_all_finish (GAsyncResult  *result,
                          gboolean      *truncated,
                          GError       **error)
{
  RwHttpReadAll *ra = g_task_get_task_data (G_TASK (result));

  if (truncated != NULL)
    *truncated = ra->truncated;
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
http_soup_read_cb (GObject      *object,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwHttpExchange *x = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (x->stream, res, &error);
  const char *data;
  gsize len;

  if (bytes == NULL)
    {
      if (x->streaming && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, _rw_http_broke_mid_answer (x, error->message));
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
        _rw_http_exchange_stream_end (x, &error);
      else
        _rw_http_exchange_whole (x, &error);
      _rw_http_return_outcome (task, g_steal_pointer (&error));
      return;
    }
  if (!x->streaming)
    {
      _rw_http_exchange_keep (x, data, len);
      if (x->truncated)
        {
          _rw_http_exchange_whole (x, &error);
          _rw_http_return_outcome (task, g_steal_pointer (&error));
          return;
        }
    }
  else if (!_rw_http_exchange_feed (x, data, len, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  else if (_rw_http_exchange_ended (x))
    {
      /* The upstream said it is done; what it said must also be a whole answer. */
      _rw_http_exchange_stream_end (x, &error);
      _rw_http_return_outcome (task, g_steal_pointer (&error));
      return;
    }
  _rw_http_soup_read_next (g_steal_pointer (&task));
}

void
_rw_http_soup_read_next (GTask *task)
{
  RwHttpExchange *x = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (x->stream, x->streaming ? 16384 : 65536, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), http_soup_read_cb, task);
}

static void
http_soup_send_cb (GObject      *object,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwHttpExchange *x = g_task_get_task_data (task);
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
  x->wait_ms = _rw_http_retry_after_ms (soup_message_headers_get_one (headers, "retry-after-ms"),
                               soup_message_headers_get_one (headers, "retry-after"));
  if (SOUP_STATUS_IS_REDIRECTION (x->status))
    x->location = g_strdup (soup_message_headers_get_one (headers, "location"));
  _rw_http_exchange_head (x, soup_message_headers_get_content_type (headers, NULL));
  _rw_http_soup_read_next (g_steal_pointer (&task));
}

void
_rw_http_exchange_by_soup (GTask *task)
{
  RwHttpExchange *x = g_task_get_task_data (task);

  /* libsoup sends a POST on a fresh connection unless told it may reuse a kept-alive one: a
   * connection the upstream closed while idle is then retried on a new one, which is safe here
   * since the upstream never saw the request. Without this, every request costs a TCP
   * handshake (and a proxy lookup), and idle connections pile up. */
  x->msg = _rw_http_request_to_soup (x->req);
  soup_message_add_flags (x->msg, SOUP_MESSAGE_IDEMPOTENT);
  soup_session_send_async (_rw_http_client_get_session (x->client), x->msg, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), http_soup_send_cb, task);
}
