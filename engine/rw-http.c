/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_ENGINE_COMPILATION
# define RW_ENGINE_COMPILATION 1
#endif
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-http.h"

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
