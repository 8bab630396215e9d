/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-types.h"

G_BEGIN_DECLS

/**
 * RwChatDelta:
 * @choice: the index of the choice the piece belongs to (a request may ask for several)
 * @text: (nullable): more of the answer's text
 * @refusal: (nullable): more of the model's refusal
 * @tool_call: the index of the tool call the next three members belong to, or -1
 * @tool_call_id: (nullable): the tool call's id, given once, with its first piece
 * @tool_name: (nullable): the function's name, given once, with its first piece
 * @tool_arguments: (nullable): more of the function's arguments, a JSON text in pieces
 * @logprobs: (nullable): log probabilities of the piece's tokens: the entries of OpenAI's
 *   `logprobs.content` array as JSON text, joined by commas, without the brackets
 *
 * One piece of an answer as it streams, whatever the provider's protocol. Its strings are
 * borrowed for the length of the call that hands it over.
 */
struct _RwChatDelta
{
  guint choice;
  const char *text;
  const char *refusal;
  int tool_call;
  const char *tool_call_id;
  const char *tool_name;
  const char *tool_arguments;
  const char *logprobs;
};

/* A delta with nothing in it yet. */
#define RW_CHAT_DELTA_INIT { .choice = 0, .tool_call = -1 }

G_END_DECLS
