/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-chat-request.h"

G_BEGIN_DECLS

/* What the providers use to write a request's messages. */
char *_rw_chat_request_join_system      (RwChatRequest *request);
void  _rw_chat_request_append_messages  (RwChatRequest *request,
                                         GString       *out);
void  _rw_chat_request_append_extra     (RwChatRequest *request,
                                         GString       *out);
JsonArray *_rw_chat_request_dup_messages (RwChatRequest *request);
char *_rw_chat_message_text             (JsonObject    *message);
gboolean _rw_data_url_split             (const char    *url,
                                         char         **media_type,
                                         char         **data);

G_END_DECLS
