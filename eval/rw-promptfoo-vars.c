/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"

/*
 * A promptfoo test's vars as promptfoo expands them: a var whose value is a list of texts, or a
 * file:// pattern matching several files, makes one test per value, over every combination of
 * such vars, the first var varying slowest; a list of anything else is one value.
 */

#define MAX_MATCHES 10000

static gboolean
promptfoo_has_wildcard (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

static int
promptfoo_compare_names (gconstpointer a,
                         gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Walks @parts from @i in @dir, adding each path that matches to @out (relative to the base,
 * as @prefix). */
static gboolean
promptfoo_glob_walk (const char  *dir,
                     const char  *prefix,
                     char       **parts,
                     guint        i,
                     GPtrArray   *out,
                     GError     **error)
{
  g_autoptr(GPatternSpec) spec = NULL;
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (parts[i] == NULL)
    return TRUE;
  if (g_str_equal (parts[i], "**"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "“**” in a file:// pattern is not supported");
      return FALSE;
    }
  if (!promptfoo_has_wildcard (parts[i]))
    {
      g_autofree char *path = g_build_filename (dir, parts[i], NULL);
      g_autofree char *rel = *prefix ? g_build_filename (prefix, parts[i], NULL)
                                     : g_strdup (parts[i]);

      if (parts[i + 1] == NULL)
        {
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (out, g_steal_pointer (&rel));
          return TRUE;
        }
      return g_file_test (path, G_FILE_TEST_IS_DIR) ?
             promptfoo_glob_walk (path, rel, parts, i + 1, out, error) : TRUE;
    }
  if ((d = g_dir_open (dir, 0, NULL)) == NULL)
    return TRUE;
  spec = g_pattern_spec_new (parts[i]);
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (d)) != NULL)
    if (*name != '.' && g_pattern_spec_match_string (spec, name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, promptfoo_compare_names);
  for (guint k = 0; k < names->len && out->len < MAX_MATCHES; k++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[k], NULL);
      g_autofree char *rel = *prefix ? g_build_filename (prefix, names->pdata[k], NULL)
                                     : g_strdup (names->pdata[k]);

      if (parts[i + 1] == NULL)
        {
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (out, g_steal_pointer (&rel));
        }
      else if (g_file_test (path, G_FILE_TEST_IS_DIR) &&
               !promptfoo_glob_walk (path, rel, parts, i + 1, out, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * _rw_promptfoo_glob:
 * @base_dir: the configuration's folder
 * @pattern: a path with * ? [...] in its parts, relative to @base_dir
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the files that match, relative to @base_dir, in the
 *   order promptfoo's glob gives them for one folder (the names sorted, last first)
 */
GPtrArray *
_rw_promptfoo_glob (const char  *base_dir,
                    const char  *pattern,
                    GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (pattern, "/", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  const char *root = g_path_is_absolute (pattern) ? "/" : base_dir;

  if (!promptfoo_glob_walk (root, g_path_is_absolute (pattern) ? "/" : "",
                            parts + (g_path_is_absolute (pattern) ? 1 : 0), 0, out, error))
    return NULL;
  for (guint i = 0; i < out->len / 2; i++)
    {
      gpointer t = out->pdata[i];
      out->pdata[i] = out->pdata[out->len - 1 - i];
      out->pdata[out->len - 1 - i] = t;
    }
  return g_steal_pointer (&out);
}

/* The values of one var: a list of texts is each of them; a file:// pattern each file. */
static GPtrArray *
promptfoo_var_values (JsonNode    *value,
                      const char  *base_dir,
                      const char  *name,
                      const char  *origin,
                      GError     **error)
{
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  const char *text = JSON_NODE_HOLDS_VALUE (value) &&
                     json_node_get_value_type (value) == G_TYPE_STRING ? json_node_get_string (value)
                                                                        : NULL;

  if (text != NULL && g_str_has_prefix (text, "file://") && base_dir != NULL &&
      promptfoo_has_wildcard (text + 7))
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(GPtrArray) files = _rw_promptfoo_glob (base_dir, text + 7, &local);

      if (files == NULL || files->len == 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the var %s: no file matches %s%s%s",
                       origin, name, text, local ? ": " : "", local ? local->message : "");
          g_ptr_array_unref (values);
          return NULL;
        }
      for (guint i = 0; i < files->len; i++)
        {
          g_autofree char *ref = g_strconcat ("file://", (char *) files->pdata[i], NULL);
          g_ptr_array_add (values, json_node_init_string (json_node_alloc (), ref));
        }
      return values;
    }
  if (JSON_NODE_HOLDS_ARRAY (value) && json_array_get_length (json_node_get_array (value)) > 0)
    {
      JsonArray *array = json_node_get_array (value);
      JsonNode *first = json_array_get_element (array, 0);

      if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
        {
          for (guint i = 0; i < json_array_get_length (array); i++)
            g_ptr_array_add (values, json_node_copy (json_array_get_element (array, i)));
          return values;
        }
    }
  g_ptr_array_add (values, json_node_copy (value));
  return values;
}

/**
 * _rw_promptfoo_expand_tests:
 * @tests: the tests, as the configuration lists them
 * @base_dir: (nullable): the configuration's folder
 * @origin: the configuration's name, for messages
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): one test per combination of the values of its vars
 */
JsonArray *
_rw_promptfoo_expand_tests (JsonArray   *tests,
                            const char  *base_dir,
                            const char  *origin,
                            GError     **error)
{
  g_autoptr(JsonArray) out = json_array_new ();

  for (guint t = 0; t < json_array_get_length (tests); t++)
    {
      JsonObject *test = json_array_get_object_element (tests, t);
      JsonObject *vars = _rw_promptfoo_object_member (test, "vars");
      g_autoptr(GPtrArray) combos = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_autoptr(GList) names = vars ? json_object_get_members (vars) : NULL;

      g_ptr_array_add (combos, json_object_new ());
      for (GList *l = names; l; l = l->next)
        {
          g_autoptr(GPtrArray) values = promptfoo_var_values (json_object_get_member (vars, l->data),
                                                              base_dir, l->data, origin, error);
          g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

          if (values == NULL)
            return NULL;
          for (guint c = 0; c < combos->len; c++)
            for (guint v = 0; v < values->len; v++)
              {
                JsonObject *combo = json_object_new ();
                JsonObjectIter iter;
                const char *key;
                JsonNode *node;

                json_object_iter_init (&iter, combos->pdata[c]);
                while (json_object_iter_next (&iter, &key, &node))
                  json_object_set_member (combo, key, json_node_copy (node));
                json_object_set_member (combo, l->data, json_node_copy (values->pdata[v]));
                g_ptr_array_add (next, combo);
              }
          if (next->len > MAX_MATCHES)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                           "%s: tests[%u]: its vars make more than %d tests", origin, t,
                           MAX_MATCHES);
              return NULL;
            }
          g_ptr_array_unref (combos);
          combos = g_steal_pointer (&next);
        }
      for (guint c = 0; c < combos->len; c++)
        {
          JsonObject *copy = json_object_new ();
          JsonObjectIter iter;
          const char *key;
          JsonNode *node;

          json_object_iter_init (&iter, test);
          while (json_object_iter_next (&iter, &key, &node))
            if (!g_str_equal (key, "vars"))
              json_object_set_member (copy, key, json_node_copy (node));
          if (vars != NULL)
            json_object_set_object_member (copy, "vars", json_object_ref (combos->pdata[c]));
          json_array_add_object_element (out, copy);
        }
    }
  return g_steal_pointer (&out);
}
