/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"

/* Members of a json-glib object read safely: a member of another kind gives the fallback, never
 * a critical. */

/* A scalar member, or NULL when absent, null or not a scalar. */
static JsonNode *
json_scalar_member (JsonObject *object,
                    const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? node : NULL;
}

/* A string member, else @fallback: a number, an object or an array is not a string. */
const char *
rw_json_object_get_string (JsonObject *object,
                           const char *name,
                           const char *fallback)
{
  JsonNode *node = json_scalar_member (object, name);
  return node && json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node)
                                                                  : fallback;
}

gint64
rw_json_object_get_int (JsonObject *object,
                        const char *name,
                        gint64      fallback)
{
  JsonNode *node = json_scalar_member (object, name);
  return node ? json_node_get_int (node) : fallback;
}

double
rw_json_object_get_double (JsonObject *object,
                           const char *name,
                           double      fallback)
{
  JsonNode *node = json_scalar_member (object, name);
  return node ? json_node_get_double (node) : fallback;
}

gboolean
rw_json_object_get_boolean (JsonObject *object,
                            const char *name,
                            gboolean    fallback)
{
  JsonNode *node = json_scalar_member (object, name);
  return node ? json_node_get_boolean (node) : fallback;
}

JsonArray *
rw_json_object_get_array (JsonObject *object,
                          const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonObject *
rw_json_object_get_object (JsonObject *object,
                           const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * rw_json_array_get_object:
 * @array: an array from outside
 * @index: an element's index
 *
 * Returns: (transfer none) (nullable): the element when it is an object, else %NULL, where
 *   json_array_get_object_element() would complain
 */
JsonObject *
rw_json_array_get_object (JsonArray *array,
                          guint      index)
{
  JsonNode *node;

  if (array == NULL || index >= json_array_get_length (array))
    return NULL;
  node = json_array_get_element (array, index);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}
