/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-http-private.h"
#include "rw-provider.h"

G_BEGIN_DECLS

/* What the HTTP providers share with their base class. */

RwProvider *_rw_provider_call_get_provider (RwProviderCall       *call);
gboolean    _rw_provider_call_check_key    (RwProviderCall       *call,
                                            GError              **error);
void        _rw_provider_send              (RwProviderCall       *call,
                                            RwHttpRequest        *request,
                                            const char           *key_header,
                                            const char           *key_prefix,
                                            RwHttpFraming         framing,
                                            const RwHttpHandlers *handlers,
                                            gpointer              data,
                                            GCancellable         *cancellable,
                                            GTask                *task);
gboolean    _rw_provider_chat_finish_task  (RwProvider           *provider,
                                            GAsyncResult         *result,
                                            GError              **error);
char       *_rw_provider_dup_api_key       (RwProvider           *self);
/* What a JSON reply comes to, or NULL with @error set. */
typedef gpointer (*RwReplyParser) (const char  *text,
                                   gsize        len,
                                   gpointer     data,
                                   GError     **error);
void        _rw_provider_post_json_async  (RwProvider           *self,
                                           const char           *path,
                                           const char           *what,
                                           JsonNode             *body,
                                           RwReplyParser         parse,
                                           gpointer              parse_data,
                                           GDestroyNotify        result_free,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GStrv       _rw_moderation_parse          (const char           *text,
                                           gsize                 len,
                                           GError              **error);
GPtrArray  *_rw_embeddings_parse           (const char           *text,
                                            gsize                 len,
                                            guint                 n_texts,
                                            GError              **error);
void        _rw_provider_set_replay        (RwProvider           *self,
                                            guint                 status,
                                            const char           *content_type,
                                            GBytes               *body,
                                            gsize                 piece);

G_END_DECLS
