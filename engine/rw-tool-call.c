/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-json.h"
#include "rw-tool-call.h"

/**
 * rw_tool_call_new:
 *
 * Returns: (transfer full): a tool call with no id, no name and no arguments yet
 */
RwToolCall *
rw_tool_call_new (void)
{
  RwToolCall *self = g_new0 (RwToolCall, 1);

  self->arguments = g_string_new (NULL);
  return self;
}

void
rw_tool_call_free (RwToolCall *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->name);
  g_string_free (self->arguments, TRUE);
  g_free (self);
}

/**
 * rw_tool_call_append_json:
 * @self: a tool call
 * @index: its place among the answer's tool calls, as a streamed piece names it; or -1, as
 *   a whole message leaves it out
 * @out: where to write
 *
 * Writes the call as an element of OpenAI's `message.tool_calls`:
 * `{"id":"...","type":"function","function":{"name":"...","arguments":"..."}}`.
 * The arguments stay a string, as the caller's parser expects, whatever the model wrote.
 */
void
rw_tool_call_append_json (RwToolCall *self,
                          int         index,
                          GString    *out)
{
  g_string_append_c (out, '{');
  if (index >= 0)
    {
      g_string_append (out, "\"index\":");
      rw_json_append_int (out, index);
      g_string_append_c (out, ',');
    }
  g_string_append (out, "\"id\":");
  rw_json_append_string (out, self->id ? self->id : "");
  g_string_append (out, ",\"type\":\"function\",\"function\":{\"name\":");
  rw_json_append_string (out, self->name ? self->name : "");
  g_string_append (out, ",\"arguments\":");
  rw_json_append_string (out, self->arguments->str);
  g_string_append (out, "}}");
}
