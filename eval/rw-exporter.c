/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <string.h>

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
 * _rw_exporter_openrouter_id:
 * @catalog: (nullable): the catalog
 * @model_id: a model's id
 *
 * Returns: (nullable): the id OpenRouter serves the model under: the catalog's
 *   `openrouter_id`, or the model's own name where it is reached through OpenRouter
 */
const char *
_rw_exporter_openrouter_id (RwCatalog  *catalog,
                            const char *model_id)
{
  RwModel *model = catalog ? rw_catalog_lookup_model (catalog, model_id) : NULL;
  RwProvider *provider = model ? rw_catalog_lookup_provider (catalog, rw_model_get_provider_id (model)) : NULL;
  const char *base = provider ? rw_provider_get_base_url (provider) : NULL;

  if (model == NULL)
    return NULL;
  if (rw_model_get_openrouter_id (model) != NULL)
    return rw_model_get_openrouter_id (model);
  if (base != NULL && strstr (base, "://openrouter.ai/") != NULL)
    return rw_model_get_upstream_name (model);
  return NULL;
}

static void
exporter_note (GPtrArray  *notes,
               const char *format,
               ...) G_GNUC_PRINTF (2, 3);

static void
exporter_note (GPtrArray  *notes,
               const char *format,
               ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (notes, g_strdup_vprintf (format, args));
  va_end (args);
}

/* The models only Routewise answers (recorded ones), which the gateway reaches through
 * routewise-cli serve. */
static void
exporter_served_note (GPtrArray *lists,
                      RwCatalog *catalog,
                      GPtrArray *notes)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) names = g_string_new (NULL);
  const char *base = NULL;

  for (guint i = 0; i < lists->len; i += 2)
    for (guint m = 0; m < json_array_get_length (lists->pdata[i + 1]); m++)
      {
        const char *id = json_array_get_string_element (lists->pdata[i + 1], m);
        RwExportTarget t = _rw_exporter_target_for (catalog, id);

        if (id == NULL || g_strcmp0 (t.provider_id, "routewise") != 0 ||
            !g_hash_table_add (seen, (gpointer) id))
          continue;
        g_string_append_printf (names, "%s%s", names->len ? ", " : "", id);
        base = t.base_url;
      }
  if (names->len > 0)
    g_ptr_array_add (notes, g_strdup_printf ("%s: only Routewise answers them, so the gateway "
                                             "reaches them through routewise-cli serve at %s, "
                                             "with its token from ROUTEWISE_TOKEN; keep serve "
                                             "running, or drop them from the policy",
                                             names->str, base));
}

/* The headers a provider's entry adds to every request: a gateway's config is written without
 * them (their values may be secrets, which never go into an export), so it says which. */
static void
exporter_headers_note (GPtrArray *lists,
                       RwCatalog *catalog,
                       GPtrArray *notes)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; catalog != NULL && i < lists->len; i += 2)
    for (guint m = 0; m < json_array_get_length (lists->pdata[i + 1]); m++)
      {
        const char *id = json_array_get_string_element (lists->pdata[i + 1], m);
        RwModel *model = id ? rw_catalog_lookup_model (catalog, id) : NULL;
        RwProvider *provider = model ? rw_catalog_lookup_provider (
                                         catalog, rw_model_get_provider_id (model)) : NULL;
        g_auto(GStrv) names = NULL;
        g_autofree char *list = NULL;

        if (provider == NULL || !g_hash_table_add (seen, (gpointer) rw_provider_get_id (provider)))
          continue;
        names = rw_provider_dup_header_names (provider);
        if (names[0] == NULL)
          continue;
        list = g_strjoinv (", ", names);
        exporter_note (notes, "the headers %s that providers.json adds to %s's requests: their "
                              "values are not written into an export; add them to the "
                              "gateway's configuration of %s", list,
                       rw_provider_get_id (provider), rw_provider_get_id (provider));
      }
}

/* What no gateway carries, and how its caller makes up for it. */
static void
exporter_common_notes (JsonObject *policy,
                       const char *format,
                       GPtrArray  *lists,
                       RwCatalog  *catalog,
                       GPtrArray  *notes)
{
  JsonNode *rules = json_object_get_member (policy, "rules");
  JsonNode *fallbacks = json_object_get_member (policy, "fallbacks");
  guint n_rules = rules && JSON_NODE_HOLDS_ARRAY (rules) ?
                  json_array_get_length (json_node_get_array (rules)) : 0;
  const char *how = g_str_equal (format, "portkey") ?
    "the caller names the task in the request's metadata (x-portkey-metadata: {\"task\": "
    "\"code\"}); a request naming none goes to the default targets" :
    g_str_equal (format, "litellm") ?
    "the caller asks for the task's model name, routewise-TASK (routewise-default for any "
    "other request)" :
    "the caller sends the request body of the task's preset (the default one for any other "
    "request)";

  if (json_object_has_member (policy, "router"))
    exporter_note (notes, "the router per prompt: the gateway sends each task's requests to the "
                          "first model of its list, then its fallbacks; to route each prompt, "
                          "put routewise-cli serve behind it");
  if (json_object_has_member (policy, "classifier") || n_rules > 0)
    exporter_note (notes, "the task classifier%s: the gateway cannot find a request's task, so "
                          "%s; routewise-cli classify PROMPT prints the task and the model the "
                          "policy would pick, for a script in front of the gateway",
                   n_rules > 0 ? " and the rules" : "", how);
  if (fallbacks && JSON_NODE_HOLDS_OBJECT (fallbacks) &&
      json_object_get_size (json_node_get_object (fallbacks)) > 0 &&
      !g_str_equal (format, "litellm"))
    exporter_note (notes, "the fallbacks the policy names for a model asked for by name: only "
                          "each task's list is carried");
  if (!g_str_equal (format, "openrouter"))
    {
      exporter_served_note (lists, catalog, notes);
      exporter_headers_note (lists, catalog, notes);
    }
}

/**
 * rw_exporter_export_with_notes:
 * @policy: a policy
 * @catalog: (nullable): how the models are reached
 * @format: "routewise", "portkey", "openrouter" or "litellm"
 * @notes: (out) (optional) (transfer full): what the format could not carry, and how a caller
 *   of the gateway makes up for it, a sentence each
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the exported configuration; no key is ever in it
 */
char *
rw_exporter_export_with_notes (JsonObject  *policy,
                               RwCatalog   *catalog,
                               const char  *format,
                               GStrv       *notes,
                               GError     **error)
{
  g_autoptr(GPtrArray) lists = NULL;
  g_autoptr(GPtrArray) said = g_ptr_array_new_with_free_func (g_free);
  char *text;

  for (guint i = 0; i < G_N_ELEMENTS (exporter_formats); i++)
    {
      if (!g_str_equal (format, exporter_formats[i].name))
        continue;
      if (exporter_formats[i].func == NULL)
        {
          g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), policy);
          text = rw_json_to_string (root, TRUE);
        }
      else
        {
          lists = exporter_policy_lists (policy);
          if (lists->len == 0)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the policy names no model");
              return NULL;
            }
          exporter_common_notes (policy, format, lists, catalog, said);
          if ((text = exporter_formats[i].func (policy, lists, catalog, said)) == NULL)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                           "no model of the policy can be reached through %s", format);
              return NULL;
            }
        }
      if (notes != NULL)
        {
          g_ptr_array_add (said, NULL);
          *notes = (GStrv) g_ptr_array_steal (said, NULL);
        }
      return text;
    }
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
               "unknown format “%s” (routewise, portkey, openrouter, litellm)", format);
  return NULL;
}

/**
 * rw_exporter_export:
 *
 * rw_exporter_export_with_notes() without the notes.
 *
 * Returns: (transfer full) (nullable): the exported configuration
 */
char *
rw_exporter_export (JsonObject  *policy,
                    RwCatalog   *catalog,
                    const char  *format,
                    GError     **error)
{
  return rw_exporter_export_with_notes (policy, catalog, format, NULL, error);
}
