/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "rw-chat-request.h"
#include "rw-model.h"

G_BEGIN_DECLS

/* What the protocols that translate OpenAI's request (Anthropic, Gemini, Ollama) share. */

typedef gboolean (*RwTranslateFunc) (JsonBuilder   *b,
                                     RwChatRequest *request,
                                     GError       **error);

gboolean  _rw_translate_refuse     (GError       **error,
                                    const char    *protocol,
                                    const char    *format,
                                    ...) G_GNUC_PRINTF (3, 4);
gboolean  _rw_translate_check      (RwModel       *model,
                                    RwChatRequest *request,
                                    RwTranslateFunc translate,
                                    GError       **error);
void      _rw_translate_add_turn   (JsonArray     *turns,
                                    const char    *role,
                                    const char    *member,
                                    JsonArray     *items);
void      _rw_translate_add_system (GString      **system,
                                    const char    *text);
JsonNode *_rw_translate_tool_input (JsonObject    *call,
                                    const char   **name);
void      _rw_translate_copy       (JsonBuilder   *b,
                                    JsonObject    *from,
                                    const char    *name,
                                    const char    *to);
void      _rw_translate_add_list   (JsonBuilder   *b,
                                    const char    *to,
                                    JsonNode      *value);

G_END_DECLS
