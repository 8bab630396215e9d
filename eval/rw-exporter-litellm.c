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

/* One deployment of model_list. */
static void
litellm_add_deployment (GString    *s,
                        RwCatalog  *catalog,
                        const char *name,
                        const char *model_id)
{
  RwExportTarget t = _rw_exporter_target_for (catalog, model_id);
  g_autofree char *lm = g_strdup_printf ("%s/%s", litellm_prefix (t.kind), t.name);

  g_string_append (s, "  - model_name: ");
  _rw_exporter_add_yaml_string (s, name);
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

static void
litellm_add_fallbacks (GString    *fb,
                       const char *name,
                       GPtrArray  *to)
{
  g_string_append (fb, "    - ");
  _rw_exporter_add_yaml_string (fb, name);
  g_string_append (fb, ":\n");
  for (guint m = 0; m < to->len; m++)
    {
      g_string_append (fb, "        - ");
      _rw_exporter_add_yaml_string (fb, to->pdata[m]);
      g_string_append (fb, "\n");
    }
}

/* The fallbacks the policy names for a model asked for by name: a deployment named after each
 * model, and its chain. */
static void
litellm_add_model_fallbacks (JsonObject *policy,
                             RwCatalog  *catalog,
                             GString    *s,
                             GString    *fb)
{
  JsonNode *node = json_object_get_member (policy, "fallbacks");
  g_autoptr(GHashTable) added = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) names = NULL;
  JsonObject *fallbacks;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  fallbacks = json_node_get_object (node);
  names = g_list_sort (json_object_get_members (fallbacks), (GCompareFunc) g_strcmp0);
  for (GList *l = names; l; l = l->next)
    {
      JsonNode *list = json_object_get_member (fallbacks, l->data);
      g_autoptr(GPtrArray) to = g_ptr_array_new ();

      for (guint m = 0; JSON_NODE_HOLDS_ARRAY (list) &&
                        m < json_array_get_length (json_node_get_array (list)); m++)
        {
          const char *id = json_array_get_string_element (json_node_get_array (list), m);
          if (id != NULL)
            g_ptr_array_add (to, (gpointer) id);
        }
      if (to->len == 0)
        continue;
      g_ptr_array_insert (to, 0, l->data);
      for (guint m = 0; m < to->len; m++)
        if (g_hash_table_add (added, to->pdata[m]))
          litellm_add_deployment (s, catalog, to->pdata[m], to->pdata[m]);
      g_ptr_array_remove_index (to, 0);
      litellm_add_fallbacks (fb, l->data, to);
    }
}

/* A LiteLLM proxy configuration, in YAML: a deployment per model of each task's chain, named
 * routewise-TASK then routewise-TASK-2..., the chain as router_settings.fallbacks; a
 * deployment per model the policy names fallbacks for, under the model's own id, with those
 * fallbacks. What it cannot carry heads the file as comments. */
char *
_rw_exporter_litellm (JsonObject *policy,
                      GPtrArray  *lists,
                      RwCatalog  *catalog,
                      GPtrArray  *notes)
{
  GString *out = g_string_new ("# LiteLLM proxy configuration exported by Routewise\n");
  g_autoptr(GString) s = g_string_new ("model_list:\n");
  g_autoptr(GString) fb = g_string_new ("router_settings:\n  fallbacks:\n");
  gsize empty = fb->len;

  for (guint i = 0; i < lists->len; i += 2)
    {
      g_autofree char *name = _rw_exporter_task_slug (lists->pdata[i]);
      JsonArray *models = lists->pdata[i + 1];
      g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_free);

      for (guint m = 0; m < json_array_get_length (models); m++)
        {
          g_autofree char *dep = m == 0 ? g_strdup (name) : g_strdup_printf ("%s-%u", name, m + 1);

          litellm_add_deployment (s, catalog, dep, json_array_get_string_element (models, m));
          if (m > 0)
            g_ptr_array_add (chain, g_steal_pointer (&dep));
        }
      if (chain->len > 0)
        litellm_add_fallbacks (fb, name, chain);
    }
  litellm_add_model_fallbacks (policy, catalog, s, fb);
  for (guint i = 0; i < notes->len; i++)
    {
      g_autofree char *line = g_strdup_printf ("# Not carried: %s\n", (char *) notes->pdata[i]);
      g_string_append (out, line);
    }
  g_string_append (out, s->str);
  if (fb->len > empty)
    g_string_append (out, fb->str);
  return g_string_free (out, FALSE);
}
