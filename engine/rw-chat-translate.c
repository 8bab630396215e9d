/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-chat-translate-private.h"
#include "rw-error.h"
#include "rw-json.h"

/* Refuses what a protocol cannot carry, naming it. Returns FALSE. */
gboolean
_rw_translate_refuse (GError    **error,
                      const char *protocol,
                      const char *format,
                      ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED, "the %s protocol cannot carry %s", protocol,
               what);
  return FALSE;
}

/* Whether @request translates, by translating it into a body that is thrown away. */
gboolean
_rw_translate_check (RwModel         *model,
                     RwChatRequest   *request,
                     RwTranslateFunc  translate,
                     GError         **error)
{
  g_autoptr(JsonBuilder) scratch = json_builder_new ();
  g_autoptr(GError) local = NULL;

  json_builder_begin_object (scratch);
  if (translate (scratch, request, &local))
    return TRUE;
  g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED, "%s cannot take this request: %s",
               rw_model_get_id (model), local->message);
  return FALSE;
}

/* Adds @items (the turn's @member: its content blocks, its parts) as a turn of @role, or to the
 * last turn when it is the same role's: turns alternate, and the answers to one turn's tool
 * calls go back together. */
void
_rw_translate_add_turn (JsonArray  *turns,
                        const char *role,
                        const char *member,
                        JsonArray  *items)
{
  guint n = json_array_get_length (turns);
  JsonObject *last = n > 0 ? rw_json_array_get_object (turns, n - 1) : NULL;

  if (json_array_get_length (items) == 0)
    return;
  if (last != NULL && g_str_equal (json_object_get_string_member (last, "role"), role))
    {
      JsonArray *all = json_object_get_array_member (last, member);
      for (guint i = 0; i < json_array_get_length (items); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (items, i)));
      return;
    }
  last = json_object_new ();
  json_object_set_string_member (last, "role", role);
  json_object_set_array_member (last, member, json_array_ref (items));
  json_array_add_object_element (turns, last);
}

/* The system and developer messages, joined, for protocols that take them apart. */
void
_rw_translate_add_system (GString   **system,
                          const char *text)
{
  if (*system == NULL)
    *system = g_string_new (text);
  else
    g_string_append_printf (*system, "\n\n%s", text);
}

/* An OpenAI tool call's arguments as the object they encode, and its function's name; NULL when
 * they are not a JSON object. */
JsonNode *
_rw_translate_tool_input (JsonObject  *call,
                          const char **name)
{
  JsonObject *fn = call ? rw_json_object_get_object (call, "function") : NULL;
  const char *args = fn ? rw_json_object_get_string (fn, "arguments", "{}") : NULL;
  JsonNode *input;

  if (args == NULL || (input = rw_json_parse (args, strlen (args), NULL)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (input))
    {
      json_node_unref (input);
      return NULL;
    }
  *name = rw_json_object_get_string (fn, "name", "");
  return input;
}

/* Copies @from's member @name as @to, when it is there and not null. */
void
_rw_translate_copy (JsonBuilder *b,
                    JsonObject  *from,
                    const char  *name,
                    const char  *to)
{
  JsonNode *v = from ? json_object_get_member (from, name) : NULL;

  if (v == NULL || json_node_is_null (v))
    return;
  json_builder_set_member_name (b, to);
  json_builder_add_value (b, json_node_copy (v));
}

/* @value (a string or an array of them, as OpenAI's stop) as the array @to, when not null. */
void
_rw_translate_add_list (JsonBuilder *b,
                        const char  *to,
                        JsonNode    *value)
{
  if (value == NULL || json_node_is_null (value))
    return;
  json_builder_set_member_name (b, to);
  if (JSON_NODE_HOLDS_ARRAY (value))
    json_builder_add_value (b, json_node_copy (value));
  else
    {
      json_builder_begin_array (b);
      json_builder_add_value (b, json_node_copy (value));
      json_builder_end_array (b);
    }
}
