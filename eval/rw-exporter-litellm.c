/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-exporter-private.h"
#include "rw-json.h"

/* A LiteLLM router configuration, in YAML: a deployment per model of each task's chain, the
 * chain as fallbacks. */
char *
_rw_exporter_litellm (GPtrArray *lists,
                      RwCatalog *catalog)
{
  /* LiteLLM's router configuration, in YAML: a deployment per model of each task's chain,
   * the chain as fallbacks. */
  GString *s = g_string_new ("# LiteLLM router configuration exported by Routewise\nmodel_list:\n");
  GString *fb = g_string_new ("router_settings:\n  fallbacks:\n");

  for (guint i = 0; i < lists->len; i += 2)
    {
      g_autofree char *name = _rw_exporter_task_slug (lists->pdata[i]);
      JsonArray *models = lists->pdata[i + 1];

      for (guint m = 0; m < json_array_get_length (models); m++)
        {
          RwExportTarget t = _rw_exporter_target_for (catalog, json_array_get_string_element (models, m));
          g_autofree char *dep = m == 0 ? g_strdup (name) : g_strdup_printf ("%s-%u", name, m + 1);
          g_autofree char *lm = g_strdup_printf ("%s/%s", g_str_equal (t.kind, "google") ? "gemini" : t.kind, t.name);

          g_string_append (s, "  - model_name: ");
          _rw_exporter_add_yaml_string (s, dep);
          g_string_append (s, "\n    litellm_params:\n      model: ");
          _rw_exporter_add_yaml_string (s, lm);
          if (t.base_url != NULL)
            {
              g_string_append (s, "\n      api_base: ");
              _rw_exporter_add_yaml_string (s, t.base_url);
            }
          if (t.key_env != NULL)
            {
              g_autofree char *env = g_strdup_printf ("os.environ/%s", t.key_env);
              g_string_append (s, "\n      api_key: ");
              _rw_exporter_add_yaml_string (s, env);
            }
          g_string_append (s, "\n");
        }
      if (json_array_get_length (models) > 1)
        {
          g_string_append (fb, "    - ");
          _rw_exporter_add_yaml_string (fb, name);
          g_string_append (fb, ":\n");
          for (guint m = 1; m < json_array_get_length (models); m++)
            {
              g_autofree char *dep = g_strdup_printf ("%s-%u", name, m + 1);
              g_string_append (fb, "        - ");
              _rw_exporter_add_yaml_string (fb, dep);
              g_string_append (fb, "\n");
            }
        }
    }
  g_string_append (s, fb->str);
  g_string_free (fb, TRUE);
  return g_string_free (s, FALSE);
}
