/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "rw-provider.h"

G_BEGIN_DECLS

#define RW_HTTP_MAX_BODY (32 * 1024 * 1024)
#define RW_HTTP_MAX_ERROR_BODY (64 * 1024)

gboolean _rw_http_is_loopback_url   (const char    *url);
gint64   _rw_http_retry_after_ms    (SoupMessage   *msg);
void     _rw_http_read_all_async    (GInputStream  *stream,
                                     gsize          max_size,
                                     GCancellable  *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer       user_data);
GBytes  *_rw_http_read_all_finish   (GAsyncResult  *result,
                                     gboolean      *truncated,
                                     GError       **error);
GError  *_rw_http_error_for_reply   (RwProviderCall *call,
                                     SoupMessage   *msg,
                                     GBytes        *body);

G_END_DECLS
