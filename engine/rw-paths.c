/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-paths.h"

/**
 * rw_paths_config_dir:
 *
 * Returns: (transfer full): `$ROUTEWISE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/routewise`
 */
char *
rw_paths_config_dir (void)
{
  const char *env = g_getenv ("ROUTEWISE_CONFIG_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_config_dir (), "routewise", NULL);
}

/**
 * rw_paths_data_dir:
 *
 * Returns: (transfer full): `$ROUTEWISE_DATA_DIR`, else `$XDG_DATA_HOME/routewise`
 */
char *
rw_paths_data_dir (void)
{
  const char *env = g_getenv ("ROUTEWISE_DATA_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "routewise", NULL);
}

char *
rw_paths_providers_file (void)
{
  g_autofree char *dir = rw_paths_config_dir ();
  return g_build_filename (dir, "providers.json", NULL);
}

char *
rw_paths_database_file (void)
{
  g_autofree char *dir = rw_paths_data_dir ();
  return g_build_filename (dir, "routewise.db", NULL);
}
