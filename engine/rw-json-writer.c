/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"

/* JSON written out: strict, compact or indented, numbers as JavaScript reads them back. */

/**
 * rw_json_append_string:
 * @out: where to write
 * @text: UTF-8 text
 *
 * Appends @text as a JSON string, every control character escaped: for the bodies that are
 * written directly rather than built as a tree, because they are small, fixed in shape and
 * written for every request.
 */
void
rw_json_append_string (GString    *out,
                       const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;
  const char *s = text;

  g_string_append_c (out, '"');
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, s - run);
      run = s + 1;
      switch (c)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            g_string_append_len (out, u, 6);
          }
        }
    }
  g_string_append_len (out, run, s - run);
  g_string_append_c (out, '"');
}

/* Appends a decimal integer: printf costs more than the rest of a small reply. */
void
rw_json_append_int (GString *out,
                    gint64   v)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 u = v < 0 ? 0 - (guint64) v : (guint64) v;

  do
    {
      *--p = (char) ('0' + u % 10);
      u /= 10;
    }
  while (u != 0);
  if (v < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

/* A double in the fewest digits that read back to it, always as a JSON number that reads back
 * as a double ("1.0", not "1"); JSON has no infinities or NaN, which are written as null. */
static void
json_append_double (GString *out,
                    double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
json_append_indent (GString *out,
                    guint    depth)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < depth; i++)
    g_string_append_len (out, "  ", 2);
}

/* Indented output fills lines with the members of a long table of numbers (a classifier's
 * counts, a router's weights: hundreds of thousands of them), where one a line made a learned
 * policy half as large again. A record (named fields of all kinds), a list of names, and any
 * table of 64 numbers or fewer stay one a line. */
#define FILL_AFTER 64
#define FILL_WIDTH 100

static gboolean
json_node_is_plain (JsonNode *node)
{
  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  return JSON_NODE_HOLDS_VALUE (node) && (json_node_get_value_type (node) == G_TYPE_INT64 ||
                                          json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

static gboolean
json_container_fills (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObjectIter iter;
      JsonNode *member;

      if (json_object_get_size (object) <= FILL_AFTER)
        return FALSE;
      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, NULL, &member))
        if (!json_node_is_plain (member))
          return FALSE;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      if (n <= FILL_AFTER)
        return FALSE;
      for (guint i = 0; i < n; i++)
        if (!json_node_is_plain (json_array_get_element (array, i)))
          return FALSE;
      return TRUE;
    }
  return FALSE;
}

static void json_append_node (GString  *out,
                              JsonNode *node,
                              gboolean  pretty,
                              guint     depth);

/* One member (`"name": value`, or a value when @name is NULL) of a filled container, after a
 * space, or on a new line at @depth when it would pass the width or is the first. @line_start
 * is where the current line began in @out. */
static void
json_append_filled (GString    *out,
                    const char *name,
                    JsonNode   *value,
                    guint       depth,
                    gsize      *line_start,
                    gboolean    first)
{
  gsize before = out->len;

  if (!first)
    g_string_append_c (out, ' ');
  if (name != NULL)
    {
      rw_json_append_string (out, name);
      g_string_append (out, ": ");
    }
  json_append_node (out, value, FALSE, depth);
  /* The line keeps room for the comma that may follow. */
  if (first || out->len - *line_start + 1 > FILL_WIDTH)
    {
      gsize start = first ? before : before + 1;
      g_autofree char *member = g_strndup (out->str + start, out->len - start);

      g_string_truncate (out, before);
      json_append_indent (out, depth);
      *line_start = out->len - 2 * depth;
      g_string_append (out, member);
    }
}

static void
json_append_node (GString  *out,
                  JsonNode *node,
                  gboolean  pretty,
                  guint     depth)
{
  gboolean fill = pretty && json_container_fills (node);
  gsize line_start = 0;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) names = json_object_get_members (object);

        g_string_append_c (out, '{');
        for (GList *l = names; l != NULL; l = l->next)
          {
            if (l != names)
              g_string_append_c (out, ',');
            if (fill)
              {
                json_append_filled (out, l->data, json_object_get_member (object, l->data),
                                    depth + 1, &line_start, l == names);
                continue;
              }
            if (pretty)
              json_append_indent (out, depth + 1);
            rw_json_append_string (out, l->data);
            g_string_append (out, pretty ? ": " : ":");
            json_append_node (out, json_object_get_member (object, l->data), pretty, depth + 1);
          }
        if (pretty && names != NULL)
          json_append_indent (out, depth);
        g_string_append_c (out, '}');
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            if (fill)
              {
                json_append_filled (out, NULL, json_array_get_element (array, i), depth + 1,
                                    &line_start, i == 0);
                continue;
              }
            if (pretty)
              json_append_indent (out, depth + 1);
            json_append_node (out, json_array_get_element (array, i), pretty, depth + 1);
          }
        if (pretty && n > 0)
          json_append_indent (out, depth);
        g_string_append_c (out, ']');
        break;
      }
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          rw_json_append_int (out, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          json_append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          rw_json_append_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
        }
      break;
    default:
      g_string_append (out, "null");
    }
}

/**
 * rw_json_to_string:
 * @node: a json-glib tree
 * @pretty: indent by two spaces, one member or element a line (the members of an object or
 *   array of more than 64 numbers fill lines of up to 100 columns)
 *
 * Writes @node as JSON, as json_to_string() does but always as JSON: json-glib leaves U+001F
 * unescaped and writes a double such as 1e40 as "1e+40.0", neither of which a strict reader
 * takes.
 *
 * Returns: (transfer full): the text
 */
char *
rw_json_to_string (JsonNode *node,
                   gboolean  pretty)
{
  GString *out = g_string_sized_new (256);

  g_return_val_if_fail (node != NULL, NULL);

  json_append_node (out, node, pretty, 0);
  return g_string_free (out, FALSE);
}
