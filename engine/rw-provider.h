/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "rw-chat-request.h"
#include "rw-chat-result.h"
#include "rw-model.h"
#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_PROVIDER (rw_provider_get_type ())

G_DECLARE_DERIVABLE_TYPE (RwProvider, rw_provider, RW, PROVIDER, GObject)

/**
 * RwProviderCall:
 *
 * One request in flight to one model. A provider subclass reads the request from it, reports
 * each piece of text with rw_provider_call_emit_delta() and fills in the result's finish reason
 * and token usage; the base class measures time, enforces the time limits, classifies errors
 * and computes the cost.
 */
typedef struct _RwProviderCall RwProviderCall;

/**
 * RwModelListing:
 * @path: what follows the base URL ("/models", "/api/tags"), with its query
 * @member: the member of the reply's object that holds the entries ("data", "models")
 * @absent_is_empty: whether a reply without @member lists no models (Google leaves an empty
 *   list out)
 * @id_member: the member that names an entry's model ("id", "name")
 * @id_prefix: (nullable): what the name starts with that is not part of it ("models/")
 * @describe: (nullable): adds what an entry says of its model (its context, what it can do),
 *   or returns %FALSE to leave the entry out
 *
 * How a protocol lists its models: one GET of the provider's list, read as the base class reads
 * every list (at most RW_PROVIDER_MAX_LISTED models, each once).
 */
typedef struct
{
  const char *path;
  const char *member;
  gboolean absent_is_empty;
  const char *id_member;
  const char *id_prefix;
  gboolean (*describe) (RwModel *model, JsonObject *entry);
} RwModelListing;

struct _RwProviderClass
{
  GObjectClass parent_class;

  /* The wire protocol's name in providers.json, and what an entry of that kind gives: a base
   * URL the provider speaks HTTP to, and the variable that holds its key. */
  const char  *kind;
  gboolean     needs_base_url;
  gboolean     takes_api_key;
  /* What of a request beyond plain text the protocol carries (NULL: all of it, as it is): the
   * request's extra fields it translates, the members of a message beyond its role and content
   * ("tool_calls", "tool_call_id", "name"), and the types of content parts ("text",
   * "image_url"). The rest is refused, never dropped. */
  const char * const *carried_fields;
  const char * const *carried_members;
  const char * const *carried_parts;
  /* What the lists cannot say (a value the protocol has no word for), or NULL. */
  gboolean   (*check_request)      (RwProvider      *self,
                                    RwModel         *model,
                                    RwChatRequest   *request,
                                    GError         **error);

  gboolean   (*configure)          (RwProvider      *self,
                                    JsonObject      *config,
                                    GError         **error);
  void       (*chat_async)         (RwProvider      *self,
                                    RwProviderCall  *call,
                                    GCancellable    *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer         user_data);
  gboolean   (*chat_finish)        (RwProvider      *self,
                                    GAsyncResult    *result,
                                    GError         **error);
  void       (*list_models_async)  (RwProvider      *self,
                                    GCancellable    *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer         user_data);
  GPtrArray *(*list_models_finish) (RwProvider      *self,
                                    GAsyncResult    *result,
                                    GError         **error);

  /* How every request of the protocol (chats, model lists, embeddings) carries the key: in
   * @key_header after @key_prefix ("Authorization", "Bearer "), none where @key_header is
   * NULL; and the headers every request of it carries, name, value, ..., NULL (the API's
   * version), or NULL. */
  const char  *key_header;
  const char  *key_prefix;
  const char * const *protocol_headers;
  /* How the protocol lists its models (the default list_models_async), or NULL for none. */
  const RwModelListing *listing;

  /* The members of a providers.json entry of this kind that its configure reads, beyond those
   * every provider has (id, kind, base_url, api_key_env, headers and the limits), or NULL. */
  const char * const *config_members;

  /*< private >*/
  gpointer _reserved[1];
};

gboolean       rw_provider_check_request     (RwProvider          *self,
                                              RwModel             *model,
                                              RwChatRequest       *request,
                                              GError             **error);
const char    *rw_provider_get_id            (RwProvider          *self);
const char    *rw_provider_get_kind          (RwProvider          *self);
const char    *rw_provider_get_base_url      (RwProvider          *self);
const char    *rw_provider_get_api_key_env   (RwProvider          *self);
GStrv          rw_provider_dup_header_names  (RwProvider          *self);
gboolean       rw_provider_has_api_key       (RwProvider          *self);
gboolean       rw_provider_needs_api_key     (RwProvider          *self);
gboolean       rw_provider_can_send          (RwProvider          *self);
const char    *rw_provider_get_api_key_source (RwProvider         *self);
void           rw_provider_forget_api_key    (RwProvider          *self);
void           rw_provider_get_limits        (RwProvider          *self,
                                              guint               *max_concurrency,
                                              guint               *requests_per_minute,
                                              guint               *tokens_per_minute);
/* The most one answer may hold, unless providers.json says otherwise (max_answer_bytes). */
#define RW_PROVIDER_MAX_ANSWER_BYTES ((gsize) 16 << 20)
void           rw_provider_set_max_answer_bytes (RwProvider       *self,
                                                 gsize             max_bytes);
gsize          rw_provider_get_max_answer_bytes (RwProvider       *self);
void           rw_provider_set_limits        (RwProvider          *self,
                                              guint                max_concurrency,
                                              guint                requests_per_minute,
                                              guint                tokens_per_minute);
SoupSession   *rw_provider_get_session       (RwProvider          *self);
gboolean       rw_provider_configure         (RwProvider          *self,
                                              JsonObject          *config,
                                              GError             **error);
void           rw_provider_chat_async        (RwProvider          *self,
                                              RwModel             *model,
                                              RwChatRequest       *request,
                                              RwDeltaFunc          delta_func,
                                              gpointer             delta_data,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
RwChatResult  *rw_provider_chat_finish       (RwProvider          *self,
                                              GAsyncResult        *result);
void           rw_provider_list_models_async (RwProvider          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray     *rw_provider_list_models_finish (RwProvider         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

void           rw_provider_embed_async       (RwProvider          *self,
                                              RwModel             *model,
                                              const char * const  *texts,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray     *rw_provider_embed_finish      (RwProvider          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void           rw_provider_embeddings_async  (RwProvider          *self,
                                              RwModel             *model,
                                              JsonObject          *request,
                                              guint                n_inputs,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GBytes        *rw_provider_embeddings_finish (RwProvider          *self,
                                              GAsyncResult        *result,
                                              gint64              *prompt_tokens,
                                              GError             **error);
void           rw_provider_moderate_async    (RwProvider          *self,
                                              RwModel             *model,
                                              const char          *text,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GStrv          rw_provider_moderate_finish   (RwProvider          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
double         rw_cosine_similarity          (GArray              *a,
                                              GArray              *b);

RwChatRequest *rw_provider_call_get_request  (RwProviderCall      *call);
RwModel       *rw_provider_call_get_model    (RwProviderCall      *call);
RwChatResult  *rw_provider_call_get_result   (RwProviderCall      *call);
char          *rw_provider_call_dup_api_key  (RwProviderCall      *call);
void           rw_provider_call_headers_received (RwProviderCall  *call,
                                              guint                status);
void           rw_provider_call_emit         (RwProviderCall      *call,
                                              const RwChatDelta   *delta);
void           rw_provider_call_emit_delta   (RwProviderCall      *call,
                                              const char          *text,
                                              gssize               len);
char          *rw_provider_call_redact       (RwProviderCall      *call,
                                              const char          *text);

G_END_DECLS
