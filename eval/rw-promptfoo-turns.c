/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"
#include "rw-yaml.h"

/*
 * A promptfoo conversation's turns, filled in as they are sent. A test whose prompt reads
 * `_conversation` (the turns before it: {prompt, input, output} each, of the same prompt and
 * conversationId) or whose vars read an earlier test's output (storeOutputAs) cannot be filled
 * in until the tests before it are answered: the importer keeps its template and vars as the
 * item's "sequence", and the evaluation runner fills it in here, one turn after another.
 */

/**
 * rw_promptfoo_fill_turn:
 * @sequence: an item's "sequence": {"template", "chat" (null, "json" or "yaml"), "vars"}
 * @registers: the outputs the tests before it stored, by name (storeOutputAs)
 * @conversation: the turns before it, {prompt, input, output} each
 * @request: the item's request, whose messages become the turn's
 * @error: where a template that cannot be filled in, or a chat that is none, is reported
 *
 * Returns: %TRUE when @request holds the turn
 */
gboolean
rw_promptfoo_fill_turn (JsonObject     *sequence,
                        JsonObject     *registers,
                        JsonArray      *conversation,
                        RwChatRequest  *request,
                        GError        **error)
{
  JsonObject *raw = rw_json_object_get_object (sequence, "vars");
  const char *template = rw_json_object_get_string (sequence, "template", "");
  const char *chat = rw_json_object_get_string (sequence, "chat", NULL);
  g_autoptr(JsonObject) vars = json_object_new ();
  g_autoptr(JsonObject) filled = json_object_new ();
  g_autoptr(JsonNode) messages = NULL;
  g_autoptr(GError) failed = NULL;
  g_autofree char *text = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  /* The stored outputs, then the test's own vars over them, and the turns before it. */
  json_object_iter_init (&iter, registers);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (vars, name, json_node_copy (value));
  if (raw != NULL)
    {
      json_object_iter_init (&iter, raw);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (vars, name, json_node_copy (value));
    }
  json_object_set_array_member (vars, "_conversation", json_array_ref (conversation));
  /* Vars that refer to the others, filled in once, as the importer does. */
  json_object_iter_init (&iter, vars);
  while (json_object_iter_next (&iter, &name, &value))
    if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
        strstr (json_node_get_string (value), "{{") != NULL)
      {
        g_autofree char *v = _rw_promptfoo_render (json_node_get_string (value), vars);
        json_object_set_string_member (filled, name, v);
      }
  json_object_iter_init (&iter, filled);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (vars, name, json_node_copy (value));

  text = _rw_promptfoo_render (template, vars);
  if ((failed = _rw_promptfoo_take_render_error ()) != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&failed));
      return FALSE;
    }
  if (chat == NULL)
    {
      JsonArray *array = json_array_new ();
      JsonObject *user = json_object_new ();

      json_object_set_string_member (user, "role", "user");
      json_object_set_string_member (user, "content", text);
      json_array_add_object_element (array, user);
      messages = json_node_init_array (json_node_alloc (), array);
      json_array_unref (array);
    }
  else
    {
      messages = g_str_equal (chat, "yaml") ? rw_yaml_parse (text, strlen (text), "the turn", &failed)
                                            : rw_json_parse (text, strlen (text), &failed);
      if (messages == NULL || !_rw_promptfoo_is_chat (messages))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the turn filled in is not a chat%s%s",
                       failed ? ": " : "", failed ? failed->message : "");
          return FALSE;
        }
    }
  return rw_chat_request_set_messages_from_json (request, messages, error);
}
