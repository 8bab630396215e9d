/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-exporter-private.h"
#include "rw-json.h"

/* A learned policy exported for the router or a production gateway: the formats, and what
 * their exporters share. */

static const struct
{
  const char *name;
  RwExportFunc func;   /* NULL: the policy file itself */
} exporter_formats[] = {
  { "routewise", NULL },
  { "portkey", _rw_exporter_portkey },
  { "openrouter", _rw_exporter_openrouter },
  { "litellm", _rw_exporter_litellm },
};

static GPtrArray *
exporter_policy_lists (JsonObject *policy)
{
  /* Pairs: task name (NULL for the default), then its list node. */
  GPtrArray *out = g_ptr_array_new ();
  JsonNode *tasks = json_object_get_member (policy, "tasks");

  if (tasks && JSON_NODE_HOLDS_OBJECT (tasks))
    {
      g_autoptr(GList) names = g_list_sort (json_object_get_members (json_node_get_object (tasks)),
                                           (GCompareFunc) g_strcmp0);
      for (GList *l = names; l; l = l->next)
        {
          JsonNode *list = json_object_get_member (json_node_get_object (tasks), l->data);
          if (JSON_NODE_HOLDS_ARRAY (list) && json_array_get_length (json_node_get_array (list)) > 0)
            {
              g_ptr_array_add (out, l->data);
              g_ptr_array_add (out, json_node_get_array (list));
            }
        }
    }
  if (json_object_has_member (policy, "default") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (policy, "default")))
    {
      g_ptr_array_add (out, NULL);
      g_ptr_array_add (out, rw_json_object_get_array (policy, "default"));
    }
  return out;
}


RwExportTarget
_rw_exporter_target_for (RwCatalog  *catalog,
                         const char *model_id)
{
  RwExportTarget t = { "openai", "http://127.0.0.1:8642/v1", model_id, "ROUTEWISE_TOKEN", TRUE,
                       "routewise" };
  RwModel *model = catalog ? rw_catalog_lookup_model (catalog, model_id) : NULL;
  RwProvider *provider = model ? rw_catalog_lookup_provider (catalog, rw_model_get_provider_id (model)) : NULL;
  const char *kind = provider ? rw_provider_get_kind (provider) : NULL;

  if (kind == NULL || g_str_equal (kind, "recorded"))
    return t;
  t.kind = g_str_equal (kind, "gemini") ? "google" : kind;
  t.base_url = rw_provider_get_base_url (provider);
  t.name = rw_model_get_upstream_name (model);
  t.key_env = rw_provider_get_api_key_env (provider);
  t.takes_key = RW_PROVIDER_GET_CLASS (provider)->takes_api_key;
  t.provider_id = rw_provider_get_id (provider);
  return t;
}

void
_rw_exporter_add_yaml_string (GString    *s,
                              const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);
  g_autofree char *quoted = rw_json_to_string (node, FALSE);
  g_string_append (s, quoted);   /* a JSON string is a YAML double-quoted scalar */
}

char *
_rw_exporter_task_slug (const char *task)
{
  GString *s = g_string_new ("routewise-");
  if (task == NULL)
    g_string_append (s, "default");
  else
    for (const char *p = task; *p; p++)
      g_string_append_c (s, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '-');
  return g_string_free (s, FALSE);
}

/**
 * rw_exporter_export:
 * @policy: a policy
 * @catalog: (nullable): how the models are reached
 * @format: "routewise", "portkey", "openrouter" or "litellm"
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the exported configuration; no key is ever in it
 */
char *
rw_exporter_export (JsonObject  *policy,
                    RwCatalog   *catalog,
                    const char  *format,
                    GError     **error)
{
  g_autoptr(GPtrArray) lists = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (exporter_formats); i++)
    {
      if (!g_str_equal (format, exporter_formats[i].name))
        continue;
      if (exporter_formats[i].func == NULL)
        {
          g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), policy);
          return rw_json_to_string (root, TRUE);
        }
      lists = exporter_policy_lists (policy);
      if (lists->len == 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the policy names no model");
          return NULL;
        }
      return exporter_formats[i].func (lists, catalog);
    }
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
               "unknown format “%s” (routewise, portkey, openrouter, litellm)", format);
  return NULL;
}
