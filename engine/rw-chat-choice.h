/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-chat-delta.h"
#include "rw-tool-call.h"

G_BEGIN_DECLS

/**
 * RwChatChoice:
 * @index: the choice's index
 * @text: the choice's text; for choice 0 the result's own text holds it and this stays empty
 * @refusal: (nullable): the model's refusal, when it gave one
 * @tool_calls: (element-type RwToolCall): the tool calls, by their index
 * @logprobs: (nullable): the entries of `logprobs.content` as JSON text, joined by commas
 * @finish_reason: (nullable): why the choice ended; for choice 0 the result's own
 *
 * One of the answers a request asked for, beyond its text: what a tool-calling, refusing or
 * log-probability-reporting model sent, as it arrived.
 */
struct _RwChatChoice
{
  guint index;
  GString *text;
  GString *refusal;
  GPtrArray *tool_calls;
  GString *logprobs;
  char *finish_reason;
};

RwChatChoice *rw_chat_choice_new   (guint              index);
void          rw_chat_choice_free  (RwChatChoice      *self);
void          rw_chat_choice_apply (RwChatChoice      *self,
                                    const RwChatDelta *delta);
RwToolCall   *rw_chat_choice_add_tool_call (RwChatChoice *self,
                                    const char        *id,
                                    const char        *name,
                                    const char        *arguments);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwChatChoice, rw_chat_choice_free)

G_END_DECLS
