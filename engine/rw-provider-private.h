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
void        _rw_provider_post_json_async  (RwProvider           *self,
                                           const char           *path,
                                           const char           *what,
                                           JsonNode             *body,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GBytes     *_rw_provider_post_json_finish (RwProvider           *self,
                                           GAsyncResult         *result,
                                           GError              **error);
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
