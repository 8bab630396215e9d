/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-exporter-private.h"
#include "rw-json.h"

/* The api_base LiteLLM takes for a provider: it appends /v1/messages to Anthropic's and
 * /v1beta/models/... to Gemini's, so those lose the version their base URL ends with. */
static char *
litellm_api_base (const char *kind,
                  const char *base_url)
{
  const char *versions[] = { "/v1beta", "/v1", NULL };
  g_autofree char *base = g_strdup (base_url);
  gsize len;

  while ((len = strlen (base)) > 0 && base[len - 1] == '/')
    base[len - 1] = '\0';
  if (g_str_equal (kind, "anthropic") || g_str_equal (kind, "google"))
    for (guint i = 0; versions[i] != NULL; i++)
      if (g_str_has_suffix (base, versions[i]))
        {
          base[strlen (base) - strlen (versions[i])] = '\0';
          break;
        }
  return g_steal_pointer (&base);
}

/* LiteLLM's name for a provider's models: its own prefix for each kind. */
static const char *
litellm_prefix (const char *kind)
{
  if (g_str_equal (kind, "google"))
    return "gemini";
  if (g_str_equal (kind, "ollama"))
    return "ollama_chat";
  return kind;
}

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
          g_autofree char *lm = g_strdup_printf ("%s/%s", litellm_prefix (t.kind), t.name);

          g_string_append (s, "  - model_name: ");
          _rw_exporter_add_yaml_string (s, dep);
          g_string_append (s, "\n    litellm_params:\n      model: ");
          _rw_exporter_add_yaml_string (s, lm);
          if (t.base_url != NULL)
            {
              g_autofree char *base = litellm_api_base (t.kind, t.base_url);

              g_string_append (s, "\n      api_base: ");
              _rw_exporter_add_yaml_string (s, base);
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
