/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-import-private.h"
#include "rw-json.h"

/*
 * An import is kept with the checksum of what it read (in its run's parameters, as "sha256"),
 * and the same data from the same source is not stored again: two copies of one set of
 * outcomes would count as twice the evidence, and the ratings' intervals and the learner's
 * confidence would shrink for nothing.
 */

/**
 * _rw_import_checksum_files:
 * @paths: (element-type filename): the files an import reads, in the order it reads them
 * @with_names: whether their names are part of the data (RouteLLM's name the task)
 *
 * Returns: (transfer full) (nullable): the SHA-256 of their contents (and names)
 */
char *
_rw_import_checksum_files (GPtrArray  *paths,
                           gboolean    with_names,
                           GError    **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *base = g_path_get_basename (paths->pdata[i]);
      g_autofree char *contents = NULL;
      gsize len;

      if (!rw_file_read (paths->pdata[i], RW_FILE_DATA_MAX, &contents, &len, error))
        return NULL;
      /* Each file's length (and name) first, so that no two sets of files run together. */
      if (with_names)
        g_checksum_update (sum, (const guchar *) base, strlen (base) + 1);
      g_checksum_update (sum, (const guchar *) &len, sizeof len);
      g_checksum_update (sum, (const guchar *) contents, len);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/**
 * _rw_import_checksum_json:
 * @root: a document an import read
 *
 * Returns: (transfer full): the SHA-256 of its compact text
 */
char *
_rw_import_checksum_json (JsonNode *root)
{
  g_autofree char *text = rw_json_to_string (root, FALSE);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/**
 * _rw_import_check_new:
 * @source: the import's source, as its run's parameters name it
 * @sha256: the checksum of what it read
 * @origin: the file or folder, for the message
 *
 * Returns: %FALSE, with @error saying which run holds it, when the same data was imported
 *   already; %TRUE when it is new
 */
gboolean
_rw_import_check_new (RwStore     *store,
                      const char  *source,
                      const char  *sha256,
                      const char  *origin,
                      GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(RwStoredRun) earlier = rw_store_lookup_import (store, source, sha256, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (earlier != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (earlier->created_ms / 1000);
      g_autofree char *date = g_date_time_format (when, "%Y-%m-%d %H:%M");

      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s was imported already, as run %s on %s: stored again, its outcomes would "
                   "count twice; nothing was stored", origin, earlier->id, date);
      return FALSE;
    }
  return TRUE;
}
