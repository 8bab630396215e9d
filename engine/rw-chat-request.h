/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-model.h"
#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_CHAT_REQUEST (rw_chat_request_get_type ())

/**
 * RwChatRequest:
 * @stream: whether the answer is streamed
 * @temperature: sampling temperature, or a negative number to leave it to the provider
 * @max_tokens: the most output tokens, or 0 to leave it to the provider
 * @max_completion_tokens: the caller named that limit max_completion_tokens, the only name
 *   OpenAI's reasoning models take; an OpenAI-compatible upstream gets it under that name
 * @connect_timeout_ms: the longest wait for the reply's headers
 * @first_token_timeout_ms: the longest wait for the first token
 * @idle_timeout_ms: the longest gap between two tokens
 * @total_timeout_ms: the longest the whole answer may take
 *
 * One chat request, whatever the provider: messages, sampling parameters and time limits.
 * A timeout of 0 means no limit.
 */
struct _RwChatRequest
{
  /*< private >*/
  gatomicrefcount ref_count;
  GPtrArray *roles;
  GPtrArray *contents;
  char *task;
  /* The caller's messages as JSON text, when they hold more than a role and a string each
   * (parts, tool calls, names); and the request's other fields, as a JSON object's text. */
  char *raw_messages;
  char *extra;
  /* Computed once, on first use; cleared when the messages change. */
  char *messages_json;
  char *prompt_hash;

  /*< public >*/
  gboolean stream;
  double temperature;
  gint64 max_tokens;
  gboolean max_completion_tokens;
  guint connect_timeout_ms;
  guint first_token_timeout_ms;
  guint idle_timeout_ms;
  guint total_timeout_ms;
};

GType          rw_chat_request_get_type           (void) G_GNUC_CONST;
RwChatRequest *rw_chat_request_new                (void);
RwChatRequest *rw_chat_request_new_for_prompt     (const char     *prompt);
RwChatRequest *rw_chat_request_ref                (RwChatRequest  *self);
void           rw_chat_request_unref              (RwChatRequest  *self);
RwChatRequest *rw_chat_request_copy               (RwChatRequest  *self);
void           rw_chat_request_add_message        (RwChatRequest  *self,
                                                   const char     *role,
                                                   const char     *content);
guint          rw_chat_request_get_n_messages     (RwChatRequest  *self);
const char    *rw_chat_request_get_role           (RwChatRequest  *self,
                                                   guint           i);
const char    *rw_chat_request_get_content        (RwChatRequest  *self,
                                                   guint           i);
const char    *rw_chat_request_get_last_user_text (RwChatRequest  *self);
const char    *rw_chat_request_get_task           (RwChatRequest  *self);
void           rw_chat_request_set_task           (RwChatRequest  *self,
                                                   const char     *task);
JsonNode      *rw_chat_request_messages_to_json   (RwChatRequest  *self);
char          *rw_chat_request_messages_to_string (RwChatRequest  *self);
gboolean       rw_chat_request_set_messages_from_json (RwChatRequest *self,
                                                   JsonNode       *messages,
                                                   GError        **error);
char          *rw_chat_request_hash_prompt        (RwChatRequest  *self);
char          *rw_chat_request_hash_for_model     (RwChatRequest  *self,
                                                   const char     *model_id);
const char    *rw_chat_request_get_raw_messages   (RwChatRequest  *self);
RwModelCapabilities rw_chat_request_get_needs     (RwChatRequest  *self);
const char    *rw_chat_request_get_extra          (RwChatRequest  *self);
void           rw_chat_request_set_extra          (RwChatRequest  *self,
                                                   const char     *json);
JsonObject    *rw_chat_request_dup_extra_object   (RwChatRequest  *self);
gint64         rw_estimate_tokens                 (const char     *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwChatRequest, rw_chat_request_unref)

G_END_DECLS
