/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-chat-choice.h"

/* A tool call's index comes from the upstream: past this many calls in one answer, a piece is
 * not kept, so that an index of 2^31 does not allocate its way there. */
#define MAX_TOOL_CALLS 1024

RwChatChoice *
rw_chat_choice_new (guint index)
{
  RwChatChoice *self = g_new0 (RwChatChoice, 1);

  self->index = index;
  self->text = g_string_new (NULL);
  self->tool_calls = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_tool_call_free);
  return self;
}

void
rw_chat_choice_free (RwChatChoice *self)
{
  if (self == NULL)
    return;
  g_string_free (self->text, TRUE);
  if (self->refusal != NULL)
    g_string_free (self->refusal, TRUE);
  if (self->logprobs != NULL)
    g_string_free (self->logprobs, TRUE);
  g_ptr_array_unref (self->tool_calls);
  g_free (self->finish_reason);
  g_free (self);
}

static void
chat_choice_append (GString   **s,
                    const char *piece,
                    const char *separator)
{
  if (piece == NULL || *piece == '\0')
    return;
  if (*s == NULL)
    *s = g_string_new (NULL);
  else if (separator != NULL && (*s)->len > 0)
    g_string_append (*s, separator);
  g_string_append (*s, piece);
}

/**
 * rw_chat_choice_add_tool_call:
 * @self: a choice
 * @id: (nullable): the call's id
 * @name: (nullable): the function's name
 * @arguments: (nullable): its arguments as JSON text
 *
 * Adds a whole tool call after the ones already there.
 *
 * Returns: (transfer none): the new call
 */
RwToolCall *
rw_chat_choice_add_tool_call (RwChatChoice *self,
                              const char   *id,
                              const char   *name,
                              const char   *arguments)
{
  RwToolCall *call = rw_tool_call_new ();

  call->id = g_strdup (id);
  call->name = g_strdup (name);
  if (arguments != NULL)
    g_string_append (call->arguments, arguments);
  g_ptr_array_add (self->tool_calls, call);
  return call;
}

/**
 * rw_chat_choice_apply:
 * @self: a choice
 * @delta: a piece of it
 *
 * Adds a streamed piece: its refusal, its tool call's id, name and arguments, its log
 * probabilities. The text is left to the caller, which keeps choice 0's elsewhere.
 */
void
rw_chat_choice_apply (RwChatChoice      *self,
                      const RwChatDelta *delta)
{
  chat_choice_append (&self->refusal, delta->refusal, NULL);
  chat_choice_append (&self->logprobs, delta->logprobs, ",");
  if (delta->tool_call >= 0 && delta->tool_call < MAX_TOOL_CALLS)
    {
      RwToolCall *call;

      while (self->tool_calls->len <= (guint) delta->tool_call)
        g_ptr_array_add (self->tool_calls, rw_tool_call_new ());
      call = self->tool_calls->pdata[delta->tool_call];
      if (delta->tool_call_id != NULL && *delta->tool_call_id != '\0')
        {
          g_free (call->id);
          call->id = g_strdup (delta->tool_call_id);
        }
      if (delta->tool_name != NULL && *delta->tool_name != '\0')
        {
          /* Some servers send the name whole in each piece, others once. */
          if (call->name == NULL)
            call->name = g_strdup (delta->tool_name);
          else if (!g_str_equal (call->name, delta->tool_name))
            {
              char *joined = g_strconcat (call->name, delta->tool_name, NULL);

              g_free (call->name);
              call->name = joined;
            }
        }
      if (delta->tool_arguments != NULL)
        g_string_append (call->arguments, delta->tool_arguments);
    }
}
