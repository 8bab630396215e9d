/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"
#include "rw-yaml.h"

/* The files a promptfoo configuration names (file:// references, globs aside): where they are,
 * relative to the configuration, and their text or data. */

/* Files are read relative to the configuration's folder; without one (a configuration given as
 * data) references to files are refused. */
char *
_rw_promptfoo_file_path (const char  *base_dir,
                         const char  *ref,
                         const char  *origin,
                         GError     **error)
{
  const char *path = ref + strlen ("file://");

  if (base_dir == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s: files are not read here", origin,
                   ref);
      return NULL;
    }
  if (strpbrk (path, "*?[") != NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: %s: name the files one by one (no patterns)",
                   origin, ref);
      return NULL;
    }
  return g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (base_dir, path, NULL);
}

char *
_rw_promptfoo_read_text (const char  *path,
                         const char  *origin,
                         gsize       *length,
                         GError     **error)
{
  g_autoptr(GError) local = NULL;
  char *contents = NULL;

  if (!rw_file_read_text (path, RW_FILE_DOCUMENT_MAX, &contents, length, &local))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", origin, local->message);
      return NULL;
    }
  if (!g_utf8_validate (contents, *length, NULL))
    {
      g_free (contents);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s is not UTF-8 text", origin, path);
      return NULL;
    }
  return contents;
}

gboolean
_rw_promptfoo_is_data_file (const char *path)
{
  return g_str_has_suffix (path, ".json") || g_str_has_suffix (path, ".jsonl") ||
         g_str_has_suffix (path, ".yaml") || g_str_has_suffix (path, ".yml");
}

/**
 * rw_promptfoo_read_data_file:
 * @path: a `.json`, `.jsonl` (read as a list), `.yaml` or `.yml` file
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): its contents
 */
JsonNode *
rw_promptfoo_read_data_file (const char  *path,
                             GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;

  if ((contents = _rw_promptfoo_read_text (path, base, &len, error)) == NULL)
    return NULL;
  if (g_str_has_suffix (path, ".json"))
    {
      JsonNode *root = rw_json_parse (contents, len, &local);

      if (root == NULL)
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not valid JSON: %s", base,
                     local->message);
      return root;
    }
  if (g_str_has_suffix (path, ".jsonl"))
    {
      JsonArray *array = json_array_new ();
      g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        {
          JsonNode *node;

          if (*g_strstrip (lines[i]) == '\0')
            continue;
          if ((node = rw_json_parse_line (lines[i], strlen (lines[i]), &local)) == NULL)
            {
              json_array_unref (array);
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:%u: not valid JSON: %s", base,
                           i + 1,
                           local->message);
              return NULL;
            }
          json_array_add_element (array, node);
        }
      return json_node_init_array (json_node_alloc (), array);
    }
  return rw_yaml_parse (contents, len, base, error);
}
