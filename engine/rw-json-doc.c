/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json-private.h"

/* Reading a document once it is read (rw-json.c reads it): its values by number, and the
 * way to and from json-glib's trees. Every accessor takes RW_JSON_NONE, or a value of
 * another kind, and gives its fallback. */

static inline const Node *
json_node (RwJsonDoc *doc,
           guint32    v)
{
  return v < doc->n_nodes ? &doc->nodes[v] : NULL;
}

RwJsonType
rw_json_doc_type (RwJsonDoc *doc,
                  guint32    v)
{
  const Node *n = json_node (doc, v);
  return n ? n->type : RW_JSON_MISSING;
}

/* An object's member by name, the last when the name is given twice; NONE when @v is not an
 * object or has no such member. */
guint32
rw_json_doc_member (RwJsonDoc  *doc,
                    guint32     v,
                    const char *name)
{
  const Node *n = json_node (doc, v);
  guint32 found = RW_JSON_NONE;

  if (n == NULL || n->type != RW_JSON_OBJECT)
    return RW_JSON_NONE;
  for (guint32 c = n->first; c != RW_JSON_NONE; c = doc->nodes[c].next)
    if (strcmp (doc->strings->str + doc->nodes[c].key, name) == 0)
      found = c;
  return found;
}

/* The first element of an array, or the first member of an object. */
guint32
rw_json_doc_first (RwJsonDoc *doc,
                   guint32    v)
{
  const Node *n = json_node (doc, v);
  return n && (n->type == RW_JSON_ARRAY || n->type == RW_JSON_OBJECT) ? n->first : RW_JSON_NONE;
}

guint32
rw_json_doc_next (RwJsonDoc *doc,
                  guint32    v)
{
  const Node *n = json_node (doc, v);
  return n ? n->next : RW_JSON_NONE;
}

/* A member's name, or NULL for anything else. */
const char *
rw_json_doc_name (RwJsonDoc *doc,
                  guint32    v)
{
  const Node *n = json_node (doc, v);
  return n && n->key != RW_JSON_NONE ? doc->strings->str + n->key : NULL;
}

guint
rw_json_doc_length (RwJsonDoc *doc,
                    guint32    v)
{
  guint count = 0;

  for (guint32 c = rw_json_doc_first (doc, v); c != RW_JSON_NONE; c = doc->nodes[c].next)
    count++;
  return count;
}

/* A string's text (which holds no NUL), or NULL when @v is not a string. */
const char *
rw_json_doc_string (RwJsonDoc *doc,
                    guint32    v)
{
  const Node *n = json_node (doc, v);
  return n && n->type == RW_JSON_STRING ? doc->strings->str + n->v.s : NULL;
}

/* A number as an integer (a double is truncated), or @fallback for anything else. */
gint64
rw_json_doc_int (RwJsonDoc *doc,
                 guint32    v,
                 gint64     fallback)
{
  const Node *n = json_node (doc, v);

  if (n != NULL && n->type == RW_JSON_INT)
    return n->v.i;
  if (n != NULL && n->type == RW_JSON_DOUBLE && n->v.d >= (double) G_MININT64 &&
      n->v.d < (double) G_MAXINT64)
    return (gint64) n->v.d;
  return fallback;
}

/* A number as a double, or @fallback for anything else. */
double
rw_json_doc_double (RwJsonDoc *doc,
                    guint32    v,
                    double     fallback)
{
  const Node *n = json_node (doc, v);

  if (n != NULL && n->type == RW_JSON_INT)
    return (double) n->v.i;
  if (n != NULL && n->type == RW_JSON_DOUBLE)
    return n->v.d;
  return fallback;
}

/* true or false, or @fallback for anything else. */
gboolean
rw_json_doc_boolean (RwJsonDoc *doc,
                     guint32    v,
                     gboolean   fallback)
{
  const Node *n = json_node (doc, v);

  if (n != NULL && n->type == RW_JSON_TRUE)
    return TRUE;
  if (n != NULL && n->type == RW_JSON_FALSE)
    return FALSE;
  return fallback;
}

/**
 * rw_json_doc_new_from_node:
 * @node: (nullable): a json-glib tree
 *
 * The other way: for a reader of documents given a tree that code built.
 *
 * Returns: (transfer full): @node as a document; %NULL, or a tree that is no JSON (a number
 *   that is not finite), as a document that is null
 */
RwJsonDoc *
rw_json_doc_new_from_node (JsonNode *node)
{
  g_autofree char *text = node ? rw_json_to_string (node, FALSE) : NULL;
  RwJsonDoc *doc = text ? rw_json_doc_parse (text, strlen (text), NULL) : NULL;

  return doc ? doc : rw_json_doc_parse ("null", 4, NULL);
}

/**
 * rw_json_doc_to_node:
 * @doc: a document
 * @v: a value in it
 *
 * Returns: (transfer full): @v as a json-glib tree, or %NULL when there is no such value
 */
JsonNode *
rw_json_doc_to_node (RwJsonDoc *doc,
                     guint32    v)
{
  const Node *n = json_node (doc, v);

  if (n == NULL)
    return NULL;
  switch (n->type)
    {
    case RW_JSON_NULL:
      return json_node_init_null (json_node_alloc ());
    case RW_JSON_TRUE:
    case RW_JSON_FALSE:
      return json_node_init_boolean (json_node_alloc (), n->type == RW_JSON_TRUE);
    case RW_JSON_INT:
      return json_node_init_int (json_node_alloc (), n->v.i);
    case RW_JSON_DOUBLE:
      return json_node_init_double (json_node_alloc (), n->v.d);
    case RW_JSON_STRING:
      return json_node_init_string (json_node_alloc (), doc->strings->str + n->v.s);
    case RW_JSON_ARRAY:
      {
        JsonArray *array = json_array_new ();
        JsonNode *out = json_node_alloc ();

        for (guint32 c = n->first; c != RW_JSON_NONE; c = doc->nodes[c].next)
          json_array_add_element (array, rw_json_doc_to_node (doc, c));
        json_node_init_array (out, array);
        json_array_unref (array);
        return out;
      }
    case RW_JSON_OBJECT:
      {
        JsonObject *object = json_object_new ();
        JsonNode *out = json_node_alloc ();

        /* A name given twice keeps its last value, as JsonParser does. */
        for (guint32 c = n->first; c != RW_JSON_NONE; c = doc->nodes[c].next)
          json_object_set_member (object, doc->strings->str + doc->nodes[c].key,
                                  rw_json_doc_to_node (doc, c));
        json_node_init_object (out, object);
        json_object_unref (object);
        return out;
      }
    case RW_JSON_MISSING:
    default:
      g_return_val_if_reached (NULL);
    }
}
