/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "rw-yaml.h"

/*
 * YAML, read into the JSON tree the rest of the harness already understands. Mappings become
 * objects (keys as strings), sequences arrays; a plain scalar is typed as YAML's core schema
 * types it (null, booleans, integers, floats), a quoted or block scalar is always a string.
 * Anchors and aliases are resolved, merge keys (<<) included. Only the first document is read.
 * Input is untrusted: nesting and alias expansion are bounded, in nodes and in the bytes that
 * aliases copy, so a "billion laughs" file fails with a message instead of eating the memory.
 * A mapping key must be a scalar: JSON has no other kind of name, and a key built from a
 * mapping's text could double in size at each level.
 */

#define MAX_DEPTH 128
#define MAX_NODES 1000000
#define MAX_ALIAS_BYTES (64 << 20)

typedef struct
{
  yaml_parser_t parser;
  GHashTable *anchors;  /* name -> JsonNode */
  guint64 n_nodes;
  guint64 alias_bytes;  /* the text that aliases have copied so far */
  const char *origin;
} Reader;

static JsonNode *yaml_read_node (Reader *r, yaml_event_t *event, guint depth, GError **error);

static gboolean
yaml_fail (Reader     *r,
           GError    **error,
           const char *message,
           gsize       line,
           gsize       column)
{
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:%" G_GSIZE_FORMAT ":%" G_GSIZE_FORMAT ": %s",
               r->origin, line + 1, column + 1, message);
  return FALSE;
}

static gboolean
yaml_next_event (Reader       *r,
                 yaml_event_t *event,
                 GError      **error)
{
  if (!yaml_parser_parse (&r->parser, event))
    {
      g_autofree char *message = g_strdup_printf ("not valid YAML: %s%s%s",
                                                  r->parser.problem ? r->parser.problem : "error",
                                                  r->parser.context ? " " : "",
                                                  r->parser.context ? r->parser.context : "");
      return yaml_fail (r, error, message, r->parser.problem_mark.line,
                        r->parser.problem_mark.column);
    }
  return TRUE;
}

/* Counts the nodes in @node and the bytes of its text, so aliases cannot multiply a small file
 * into a huge tree. */
static guint64
yaml_count_nodes (JsonNode *node,
                  guint64  *bytes)
{
  guint64 n = 1;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          *bytes += strlen (name);
          n += yaml_count_nodes (member, bytes);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      n += yaml_count_nodes (json_array_get_element (json_node_get_array (node), i), bytes);
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    *bytes += strlen (json_node_get_string (node));
  else
    *bytes += 8;
  return n;
}

/* The plain scalars YAML's core schema types; compiled once, every scalar is tried. */
enum { IS_NULL, IS_TRUE, IS_FALSE, IS_INT, IS_HEX, IS_FLOAT, N_KINDS };

static gboolean
yaml_matches (guint       kind,
              const char *text)
{
  static const char *const patterns[N_KINDS] = {
    "^(~|null|Null|NULL)$", "^(true|True|TRUE)$", "^(false|False|FALSE)$", "^[-+]?[0-9]+$",
    "^0x[0-9a-fA-F]+$", "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$",
  };
  static GRegex *compiled[N_KINDS];
  static gsize once;

  if (g_once_init_enter (&once))
    {
      for (guint i = 0; i < N_KINDS; i++)
        compiled[i] = g_regex_new (patterns[i], G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&once, 1);
    }
  return g_regex_match (compiled[kind], text, 0, NULL);
}

static JsonNode *
yaml_plain_scalar (const char *text)
{
  JsonNode *node = json_node_alloc ();

  if (*text == '\0' || yaml_matches (IS_NULL, text))
    return json_node_init_null (node);
  if (yaml_matches (IS_TRUE, text))
    return json_node_init_boolean (node, TRUE);
  if (yaml_matches (IS_FALSE, text))
    return json_node_init_boolean (node, FALSE);
  if (yaml_matches (IS_INT, text))
    {
      char *end = NULL;
      gint64 v;

      errno = 0;
      v = g_ascii_strtoll (text, &end, 10);
      if (errno == 0 && *end == '\0')
        return json_node_init_int (node, v);
    }
  if (yaml_matches (IS_HEX, text))
    {
      char *end = NULL;
      guint64 v;

      errno = 0;
      v = g_ascii_strtoull (text + 2, &end, 16);
      if (errno == 0 && *end == '\0' && v <= G_MAXINT64)
        return json_node_init_int (node, (gint64) v);
    }
  if (yaml_matches (IS_FLOAT, text))
    return json_node_init_double (node, g_ascii_strtod (text, NULL));
  /* Anything else, .inf and .nan included (JSON has neither), stays text. */
  return json_node_init_string (node, text);
}

static void
yaml_remember (Reader        *r,
               yaml_char_t   *anchor,
               JsonNode      *node)
{
  if (anchor != NULL)
    g_hash_table_replace (r->anchors, g_strdup ((const char *) anchor), json_node_copy (node));
}

/* Merges the members of @source into @target where @target has none of that name. */
static gboolean
yaml_merge_into (JsonObject *target,
                 JsonNode   *source)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (JSON_NODE_HOLDS_ARRAY (source))
    {
      for (guint i = 0; i < json_array_get_length (json_node_get_array (source)); i++)
        if (!yaml_merge_into (target, json_array_get_element (json_node_get_array (source), i)))
          return FALSE;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (source))
    return FALSE;
  json_object_iter_init (&iter, json_node_get_object (source));
  while (json_object_iter_next (&iter, &name, &member))
    if (!json_object_has_member (target, name))
      json_object_set_member (target, name, json_node_copy (member));
  return TRUE;
}

static char *
yaml_key_text (JsonNode *key)
{
  if (JSON_NODE_HOLDS_NULL (key))
    return g_strdup ("null");
  if (JSON_NODE_HOLDS_VALUE (key) && json_node_get_value_type (key) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (key));
  return rw_json_to_string (key, FALSE);
}

static JsonNode *
yaml_read_mapping (Reader       *r,
                   yaml_event_t *start,
                   guint         depth,
                   GError      **error)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonObject) merged = json_object_new ();
  yaml_char_t *anchor = start->data.mapping_start.anchor;
  g_autofree char *anchor_copy = anchor ? g_strdup ((const char *) anchor) : NULL;
  JsonNode *node;

  for (;;)
    {
      yaml_event_t event;
      g_autoptr(JsonNode) key = NULL;
      JsonNode *value;
      g_autofree char *name = NULL;
      gboolean is_merge;

      if (!yaml_next_event (r, &event, error))
        return NULL;
      if (event.type == YAML_MAPPING_END_EVENT)
        {
          yaml_event_delete (&event);
          break;
        }
      is_merge = event.type == YAML_SCALAR_EVENT && event.data.scalar.plain_implicit &&
                 g_str_equal ((const char *) event.data.scalar.value, "<<");
      key = yaml_read_node (r, &event, depth + 1, error);
      if (key == NULL)
        return NULL;
      if (JSON_NODE_HOLDS_OBJECT (key) || JSON_NODE_HOLDS_ARRAY (key))
        {
          yaml_fail (r, error, "a mapping key must be a scalar, not a mapping or a list",
                     r->parser.mark.line, r->parser.mark.column);
          return NULL;
        }
      if (!yaml_next_event (r, &event, error))
        return NULL;
      value = yaml_read_node (r, &event, depth + 1, error);
      if (value == NULL)
        return NULL;
      if (is_merge)
        {
          gboolean ok = yaml_merge_into (merged, value);
          json_node_unref (value);
          if (!ok)
            {
              yaml_fail (r, error, "a merge key (<<) takes a mapping or a list of mappings",
                    r->parser.mark.line, r->parser.mark.column);
              return NULL;
            }
          continue;
        }
      name = yaml_key_text (key);
      json_object_set_member (object, name, value);
    }

  /* Merged members give way to the mapping's own. */
  {
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;
    json_object_iter_init (&iter, merged);
    while (json_object_iter_next (&iter, &name, &member))
      if (!json_object_has_member (object, name))
        json_object_set_member (object, name, json_node_copy (member));
  }
  node = json_node_init_object (json_node_alloc (), object);
  yaml_remember (r, (yaml_char_t *) anchor_copy, node);
  return node;
}

static JsonNode *
yaml_read_sequence (Reader       *r,
                    yaml_event_t *start,
                    guint         depth,
                    GError      **error)
{
  g_autoptr(JsonArray) array = json_array_new ();
  yaml_char_t *anchor = start->data.sequence_start.anchor;
  g_autofree char *anchor_copy = anchor ? g_strdup ((const char *) anchor) : NULL;
  JsonNode *node;

  for (;;)
    {
      yaml_event_t event;
      JsonNode *value;

      if (!yaml_next_event (r, &event, error))
        return NULL;
      if (event.type == YAML_SEQUENCE_END_EVENT)
        {
          yaml_event_delete (&event);
          break;
        }
      value = yaml_read_node (r, &event, depth + 1, error);
      if (value == NULL)
        return NULL;
      json_array_add_element (array, value);
    }
  node = json_node_init_array (json_node_alloc (), array);
  yaml_remember (r, (yaml_char_t *) anchor_copy, node);
  return node;
}

/* Reads the node that begins with @event, which it deletes. */
static JsonNode *
yaml_read_node (Reader       *r,
                yaml_event_t *event,
                guint         depth,
                GError      **error)
{
  JsonNode *node = NULL;
  gsize line = event->start_mark.line, column = event->start_mark.column;

  if (depth > MAX_DEPTH)
    {
      yaml_event_delete (event);
      yaml_fail (r, error, "nested too deeply", line, column);
      return NULL;
    }
  if (++r->n_nodes > MAX_NODES)
    {
      yaml_event_delete (event);
      yaml_fail (r, error, "too many nodes", line, column);
      return NULL;
    }

  switch (event->type)
    {
    case YAML_SCALAR_EVENT:
      {
        const char *text = (const char *) event->data.scalar.value;
        const char *tag = (const char *) event->data.scalar.tag;

        if (tag != NULL && g_str_equal (tag, YAML_STR_TAG))
          node = json_node_init_string (json_node_alloc (), text);
        else if (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
          node = yaml_plain_scalar (text);
        else
          node = json_node_init_string (json_node_alloc (), text);
        if (!g_utf8_validate (text, event->data.scalar.length, NULL) ||
            strlen (text) != event->data.scalar.length)
          {
            json_node_unref (node);
            node = NULL;
            yaml_fail (r, error, "a scalar is not valid UTF-8 text", line, column);
            break;
          }
        yaml_remember (r, event->data.scalar.anchor, node);
        break;
      }

    case YAML_ALIAS_EVENT:
      {
        JsonNode *target = g_hash_table_lookup (r->anchors, event->data.alias.anchor);

        if (target == NULL)
          {
            g_autofree char *message = g_strdup_printf ("unknown alias *%s",
                                                        event->data.alias.anchor);
            yaml_fail (r, error, message, line, column);
            break;
          }
        r->n_nodes += yaml_count_nodes (target, &r->alias_bytes);
        if (r->n_nodes > MAX_NODES)
          {
            yaml_fail (r, error, "aliases expand to too many nodes", line, column);
            break;
          }
        if (r->alias_bytes > MAX_ALIAS_BYTES)
          {
            yaml_fail (r, error, "aliases expand to more than 64 MiB of text", line, column);
            break;
          }
        node = json_node_copy (target);
        break;
      }

    case YAML_MAPPING_START_EVENT:
      node = yaml_read_mapping (r, event, depth, error);
      break;

    case YAML_SEQUENCE_START_EVENT:
      node = yaml_read_sequence (r, event, depth, error);
      break;

    default:
      yaml_fail (r, error, "unexpected YAML structure", line, column);
      break;
    }
  yaml_event_delete (event);
  return node;
}

/**
 * rw_yaml_parse:
 * @data: YAML text
 * @length: its length in bytes
 * @origin: the file's name, for messages
 * @error: return location for an error, naming the line and column
 *
 * Returns: (transfer full) (nullable): the first document as JSON; an empty document is null
 */
JsonNode *
rw_yaml_parse (const char  *data,
               gsize        length,
               const char  *origin,
               GError     **error)
{
  Reader r = { 0 };
  JsonNode *root = NULL;
  yaml_event_t event;

  if (!yaml_parser_initialize (&r.parser))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: cannot start the YAML reader", origin);
      return NULL;
    }
  r.origin = origin;
  r.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) json_node_unref);
  yaml_parser_set_input_string (&r.parser, (const unsigned char *) data, length);

  /* The stream's start, then the first document's (or the stream's end). */
  while (root == NULL)
    {
      if (!yaml_next_event (&r, &event, error))
        break;
      if (event.type == YAML_STREAM_START_EVENT || event.type == YAML_DOCUMENT_START_EVENT)
        {
          yaml_event_delete (&event);
          continue;
        }
      if (event.type == YAML_STREAM_END_EVENT)
        {
          yaml_event_delete (&event);
          root = json_node_init_null (json_node_alloc ());
          break;
        }
      root = yaml_read_node (&r, &event, 0, error);
      if (root == NULL)
        break;
    }

  g_hash_table_unref (r.anchors);
  yaml_parser_delete (&r.parser);
  return root;
}
