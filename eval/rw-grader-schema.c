/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-grader.h"
#include "rw-json.h"

/* The subset of JSON Schema the json and tool_call graders check answers against. */

static const char *
grader_json_type_name (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "array";
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING: return "string";
    case G_TYPE_BOOLEAN: return "boolean";
    case G_TYPE_INT64: return "integer";
    default: return "number";
    }
}

static gboolean
grader_type_matches (JsonNode   *node,
                     const char *type)
{
  const char *actual = grader_json_type_name (node);

  if (g_str_equal (type, actual))
    return TRUE;
  if (g_str_equal (type, "number") && g_str_equal (actual, "integer"))
    return TRUE;
  if (g_str_equal (type, "integer") && g_str_equal (actual, "number"))
    return fmod (json_node_get_double (node), 1.0) == 0.0;
  return FALSE;
}

/**
 * rw_grader_check_schema:
 * @value: a JSON value
 * @schema: a JSON Schema subset: type, enum, properties, required, additionalProperties,
 *   items, minItems, maxItems, minimum, maximum, minLength, maxLength
 * @why: where to say what does not match
 *
 * Returns: whether @value matches
 */
gboolean
rw_grader_check_schema (JsonNode   *value,
                        JsonObject *schema,
                        GString    *why)
{
  JsonNode *type = json_object_get_member (schema, "type");
  JsonNode *node;

  if (type != NULL)
    {
      gboolean ok = FALSE;
      if (JSON_NODE_HOLDS_ARRAY (type))
        {
          for (guint i = 0; i < json_array_get_length (json_node_get_array (type)); i++)
            ok |= grader_type_matches (value,
                                       json_array_get_string_element (json_node_get_array (type),
                                                                      i));
        }
      else
        ok = grader_type_matches (value, json_node_get_string (type));
      if (!ok)
        {
          g_string_append_printf (why, "expected %s, got %s",
                                  JSON_NODE_HOLDS_ARRAY (type) ? "one of the types" : json_node_get_string (type),
                                  grader_json_type_name (value));
          return FALSE;
        }
    }

  if ((node = json_object_get_member (schema, "enum")) != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      gboolean found = FALSE;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (node)) && !found; i++)
        found = json_node_equal (json_array_get_element (json_node_get_array (node), i), value);
      if (!found)
        {
          g_string_append (why, "not one of the allowed values");
          return FALSE;
        }
    }

  if (JSON_NODE_HOLDS_OBJECT (value))
    {
      JsonObject *obj = json_node_get_object (value);
      JsonNode *props = json_object_get_member (schema, "properties");

      if ((node = json_object_get_member (schema, "required")) != NULL
          && JSON_NODE_HOLDS_ARRAY (node))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
          {
            const char *name = json_array_get_string_element (json_node_get_array (node), i);
            if (name != NULL && !json_object_has_member (obj, name))
              {
                g_string_append_printf (why, "“%s” is missing", name);
                return FALSE;
              }
          }
      if (props != NULL && JSON_NODE_HOLDS_OBJECT (props))
        {
          g_autoptr(GList) names = json_object_get_members (obj);
          for (GList *l = names; l; l = l->next)
            {
              JsonNode *sub = json_object_get_member (json_node_get_object (props), l->data);
              if (sub != NULL && JSON_NODE_HOLDS_OBJECT (sub))
                {
                  gsize before = why->len;
                  if (!rw_grader_check_schema (json_object_get_member (obj, l->data),
                                               json_node_get_object (sub), why))
                    {
                      g_string_insert (why, before, "");
                      g_string_append_printf (why, " in “%s”", (char *) l->data);
                      return FALSE;
                    }
                }
              else if (sub == NULL &&
                       !rw_json_object_get_boolean (schema, "additionalProperties", TRUE))
                {
                  g_string_append_printf (why, "“%s” is not allowed", (char *) l->data);
                  return FALSE;
                }
            }
        }
    }

  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);
      guint n = json_array_get_length (array);
      JsonNode *items = json_object_get_member (schema, "items");

      if (json_object_has_member (schema, "minItems") &&
          n < rw_json_object_get_int (schema, "minItems", 0))
        {
          g_string_append_printf (why, "%u items, fewer than %" G_GINT64_FORMAT, n,
                                  rw_json_object_get_int (schema, "minItems", 0));
          return FALSE;
        }
      if (json_object_has_member (schema, "maxItems") &&
          n > rw_json_object_get_int (schema, "maxItems", 0))
        {
          g_string_append_printf (why, "%u items, more than %" G_GINT64_FORMAT, n,
                                  rw_json_object_get_int (schema, "maxItems", 0));
          return FALSE;
        }
      for (guint i = 0; items != NULL && JSON_NODE_HOLDS_OBJECT (items) && i < n; i++)
        if (!rw_grader_check_schema (json_array_get_element (array, i),
                                     json_node_get_object (items), why))
          {
            g_string_append_printf (why, " at item %u", i);
            return FALSE;
          }
    }

  if (JSON_NODE_HOLDS_VALUE (value) && (json_node_get_value_type (value) == G_TYPE_INT64 ||
                                        json_node_get_value_type (value) == G_TYPE_DOUBLE))
    {
      double v = json_node_get_double (value);
      if (json_object_has_member (schema, "minimum") &&
          v < rw_json_object_get_double (schema, "minimum", 0))
        {
          g_string_append (why, "below the minimum");
          return FALSE;
        }
      if (json_object_has_member (schema, "maximum") &&
          v > rw_json_object_get_double (schema, "maximum", 0))
        {
          g_string_append (why, "above the maximum");
          return FALSE;
        }
    }

  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
    {
      glong len = g_utf8_strlen (json_node_get_string (value), -1);
      if (json_object_has_member (schema, "minLength") &&
          len < rw_json_object_get_int (schema, "minLength", 0))
        {
          g_string_append (why, "shorter than minLength");
          return FALSE;
        }
      if (json_object_has_member (schema, "maxLength") &&
          len > rw_json_object_get_int (schema, "maxLength", 0))
        {
          g_string_append (why, "longer than maxLength");
          return FALSE;
        }
    }
  return TRUE;
}
