/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-http-private.h"
#include "rw-provider.h"

G_BEGIN_DECLS

/* What the HTTP providers share with their base class, and what the class shares with its
 * calls (rw-provider-call.c). */

typedef struct
{
  char *id;
  char *base_url;
  char *api_key_env;
  RwHttpClient *http;     /* made at first use */
  /* The key the keyring holds for this provider, read again now and then (see
   * provider_dup_api_key()), under key_lock; wiped when the provider goes or forgets it. */
  GMutex key_lock;
  gint64 key_expires_us;    /* when the keyring is asked again; 0: at once */
  char *keyring_key;
  guint max_concurrency;
  guint rpm;
  guint tpm;
  gsize max_answer_bytes;
  guint list_timeout_ms;
  GPtrArray *headers;       /* the entry's "headers": name, value, ... */
  /* Replies played to every call instead of sending it (see _rw_provider_set_replay()). */
  guint replay_status;
  char *replay_content_type;
  GBytes *replay_body;
  gsize replay_piece;
} RwProviderPrivate;

RwProviderPrivate *_rw_provider_get_private (RwProvider *self);

RwProvider *_rw_provider_call_get_provider (RwProviderCall       *call);
gboolean    _rw_provider_call_check_key    (RwProviderCall       *call,
                                            GError              **error);
void        _rw_provider_send              (RwProviderCall       *call,
                                            RwHttpRequest        *request,
                                            RwHttpFraming         framing,
                                            const RwHttpHandlers *handlers,
                                            gpointer              data,
                                            GCancellable         *cancellable,
                                            GTask                *task);
gboolean    _rw_provider_chat_finish_task  (RwProvider           *provider,
                                            GAsyncResult         *result,
                                            GError              **error);
char       *_rw_provider_dup_api_key       (RwProvider           *self);
typedef void (*RwProviderSetHeader) (gpointer    target,
                                     const char *name,
                                     const char *value);
void        _rw_provider_add_headers       (RwProvider           *self,
                                            const char           *key,
                                            RwProviderSetHeader   set,
                                            gpointer              target);
/* What a JSON reply comes to, or NULL with @error set. */
typedef gpointer (*RwReplyParser) (const char  *text,
                                   gsize        len,
                                   gpointer     data,
                                   GError     **error);
void        _rw_provider_fetch_json_async (RwProvider           *self,
                                           const char           *method,
                                           const char           *path,
                                           const char           *what,
                                           JsonNode             *body,
                                           guint                 timeout_ms,
                                           RwReplyParser         parse,
                                           gpointer              parse_data,
                                           GDestroyNotify        result_free,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
void        _rw_provider_post_openai_async (RwProvider          *self,
                                            const char          *path,
                                            const char          *what,
                                            JsonNode            *body,
                                            RwReplyParser        parse,
                                            gpointer             parse_data,
                                            GDestroyNotify       result_free,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* The most models a provider's list may name: the largest today (OpenRouter's) names a few
 * hundred. */
#define RW_PROVIDER_MAX_LISTED 10000
void        _rw_provider_list_models_async (RwProvider          *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* How long a request beside chat may take, as a whole chat answer by default. */
#define RW_PROVIDER_POST_TIMEOUT_MS (600 * 1000)
#define _rw_provider_list_timeout_ms(p) (_rw_provider_get_private (p)->list_timeout_ms)
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
