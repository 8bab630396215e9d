/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "rw-anthropic-provider.h"
#include "rw-catalog-private.h"
#include "rw-error.h"
#include "rw-file.h"
#include "rw-gemini-provider.h"
#include "rw-json.h"
#include "rw-ollama-provider.h"
#include "rw-openai-provider.h"
#include "rw-paths.h"
#include "rw-recorded-provider.h"

/* A catalog document read into the catalog: providers.json's providers, models and local
 * servers, each checked and named where it is wrong. */

static const char *
catalog_get_string (JsonObject  *obj,
                    const char  *name,
                    gboolean     required,
                    const char  *where,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “%s” is missing", where, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “%s” must be a string", where, name);
      return NULL;
    }
  return json_node_get_string (node);
}

/* "capabilities": {"tools": true, "images": false, ...}: what the entry says, yes or no. */
static gboolean
catalog_get_capabilities (JsonObject           *obj,
                          RwModelCapabilities  *known,
                          RwModelCapabilities  *has,
                          const char           *where,
                          GError              **error)
{
  JsonNode *node = json_object_get_member (obj, "capabilities");
  JsonObject *caps;
  g_autoptr(GList) names = NULL;

  *known = *has = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “capabilities” must be an object",
                   where);
      return FALSE;
    }
  caps = json_node_get_object (node);
  names = json_object_get_members (caps);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (caps, l->data);
      RwModelCapabilities cap = 0;

      for (RwModelCapabilities c = 1; c & RW_MODEL_ALL_CAPABILITIES; c <<= 1)
        if (g_str_equal (rw_model_capability_name (c), l->data))
          cap = c;
      if (cap == 0 || !JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: “capabilities” takes tools, images, json_schema and reasoning, each "
                       "true or false", where);
          return FALSE;
        }
      *known |= cap;
      if (json_node_get_boolean (v))
        *has |= cap;
    }
  return TRUE;
}

static gboolean
catalog_get_number (JsonObject  *obj,
                    const char  *name,
                    double      *out,
                    const char  *where,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64) ||
      json_node_get_double (node) < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “%s” must be a number, 0 or more",
                   where, name);
      return FALSE;
    }
  *out = json_node_get_double (node);
  return TRUE;
}

/* The provider kinds providers.json may name: one class per wire protocol, each naming its kind. */
static GType (* const catalog_provider_types[]) (void) = {
  rw_openai_provider_get_type,
  rw_anthropic_provider_get_type,
  rw_gemini_provider_get_type,
  rw_ollama_provider_get_type,
  rw_recorded_provider_get_type,
};

static GType
catalog_provider_type (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (catalog_provider_types); i++)
    {
      GType type = catalog_provider_types[i] ();
      g_autoptr(GTypeClass) klass = g_type_class_ref (type);

      if (g_str_equal (RW_PROVIDER_CLASS (klass)->kind, kind))
        return type;
    }
  return G_TYPE_INVALID;
}

static char *
catalog_provider_kinds (void)
{
  g_autoptr(GString) known = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (catalog_provider_types); i++)
    {
      g_autoptr(GTypeClass) klass = g_type_class_ref (catalog_provider_types[i] ());

      g_string_append_printf (known, "%s%s", i ? ", " : "", RW_PROVIDER_CLASS (klass)->kind);
    }
  return g_string_free (g_steal_pointer (&known), FALSE);
}

/* Every member of @obj is one of @known or @more (a member whose name starts with "_" is a
 * comment): a misspelt one ("api_key_evn") would otherwise be dropped in silence. */
static gboolean
catalog_check_members (JsonObject          *obj,
                       const char * const  *known,
                       const char * const  *more,
                       const char          *what,
                       const char          *where,
                       GError             **error)
{
  GList *members = json_object_get_members (obj);
  gboolean ok = TRUE;

  for (GList *l = members; l != NULL && ok; l = l->next)
    {
      const char *name = l->data;
      g_autoptr(GString) takes = NULL;

      if (g_str_has_prefix (name, "_") || g_strv_contains (known, name) ||
          (more != NULL && g_strv_contains (more, name)))
        continue;
      takes = g_string_new (NULL);
      for (guint i = 0; known[i] != NULL; i++)
        g_string_append_printf (takes, "%s%s", i ? ", " : "", known[i]);
      for (guint i = 0; more != NULL && more[i] != NULL; i++)
        g_string_append_printf (takes, ", %s", more[i]);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: unknown member “%s” (%s takes %s)", where, name, what, takes->str);
      ok = FALSE;
    }
  g_list_free (members);
  return ok;
}

RwProvider *
_rw_catalog_provider_from_json (JsonObject  *obj,
                                const char  *where,
                                GError     **error)
{
  g_autoptr(RwProvider) provider = NULL;
  g_autoptr(GTypeClass) class_ref = NULL;
  RwProviderClass *klass;
  const char *id, *kind, *base_url = NULL, *key_env;
  GType type;
  GError *local = NULL;

  if ((id = catalog_get_string (obj, "id", TRUE, where, error)) == NULL ||
      (kind = catalog_get_string (obj, "kind", TRUE, where, error)) == NULL)
    return NULL;
  if (!_rw_catalog_is_valid_id (id) || strchr (id, '/') != NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: “id” “%s” may hold only letters, digits and - _ . : @", where, id);
      return NULL;
    }
  if (json_object_has_member (obj, "api_key") || json_object_has_member (obj, "key"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: keys do not belong in providers.json; name the environment variable "
                   "that holds the key in “api_key_env”", where);
      return NULL;
    }
  key_env = catalog_get_string (obj, "api_key_env", FALSE, where, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }

  if ((type = catalog_provider_type (kind)) == G_TYPE_INVALID)
    {
      g_autofree char *known = catalog_provider_kinds ();

      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: the kind “%s” is unknown (known kinds: %s)", where, kind, known);
      return NULL;
    }
  class_ref = g_type_class_ref (type);
  klass = RW_PROVIDER_CLASS (class_ref);
  {
    static const char * const common[] = { "id", "kind", "base_url", "api_key_env", "headers",
                                           "max_concurrency", "rpm", "tpm", "max_answer_bytes",
                                           NULL };
    g_autofree char *what = g_strdup_printf ("a provider of kind %s", kind);

    if (!catalog_check_members (obj, common, klass->config_members, what, where, error))
      return NULL;
  }
  if (klass->needs_base_url)
    {
      if ((base_url = catalog_get_string (obj, "base_url", TRUE, where, error)) == NULL)
        return NULL;
      if (!g_str_has_prefix (base_url, "http://") && !g_str_has_prefix (base_url, "https://"))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: “base_url” must start with http:// or https://", where);
          return NULL;
        }
      if (!g_uri_is_valid (base_url, G_URI_FLAGS_NONE, NULL))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “base_url” is not a valid URL",
                       where);
          return NULL;
        }
    }
  provider = g_object_new (type,
                           "id", id,
                           "base-url", klass->needs_base_url ? base_url : NULL,
                           "api-key-env", klass->takes_api_key ? key_env : NULL,
                           NULL);

  if (!rw_provider_configure (provider, obj, &local))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", where, local->message);
      g_error_free (local);
      return NULL;
    }
  {
    double limits[3] = { 0, 0, 0 };
    if (!catalog_get_number (obj, "max_concurrency", &limits[0], where, error) ||
        !catalog_get_number (obj, "rpm", &limits[1], where, error) ||
        !catalog_get_number (obj, "tpm", &limits[2], where, error))
      return NULL;
    /* A limit past any count is no limit at all; it must fit the count it becomes. */
    rw_provider_set_limits (provider, (guint) MIN (limits[0], G_MAXUINT),
                            (guint) MIN (limits[1], G_MAXUINT), (guint) MIN (limits[2], G_MAXUINT));
  }
  {
    double max_answer = 0;
    if (!catalog_get_number (obj, "max_answer_bytes", &max_answer, where, error))
      return NULL;
    if (max_answer > 0 && max_answer < 1024)
      {
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                     "%s: “max_answer_bytes” must be at least 1024", where);
        return NULL;
      }
    rw_provider_set_max_answer_bytes (provider, (gsize) MIN (max_answer, 1e18));
  }
  return g_steal_pointer (&provider);
}

gboolean
_rw_catalog_apply_model (RwCatalog   *self,
                         JsonObject  *obj,
                         const char  *where,
                         GError     **error)
{
  g_autoptr(RwModel) model = NULL;
  const char *id, *provider_id, *name, *display, *openrouter_id = NULL;
  RwModel *existing;
  double in_price = -1, out_price = -1, ctx = 0;
  RwModelCapabilities known, has;
  GError *local = NULL;

  static const char * const model_members[] = { "id", "provider", "name", "display_name",
                                                 "openrouter_id", "input_price", "output_price",
                                                 "context_length", "capabilities", NULL };

  if (!catalog_check_members (obj, model_members, NULL, "a model", where, error) ||
      (id = catalog_get_string (obj, "id", TRUE, where, error)) == NULL)
    return FALSE;
  if (!_rw_catalog_is_valid_id (id))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: the model id “%s” may hold only letters, digits and - _ . : / @",
                   where, id);
      return FALSE;
    }
  provider_id = catalog_get_string (obj, "provider", FALSE, where, &local);
  if (local == NULL)
    name = catalog_get_string (obj, "name", FALSE, where, &local);
  if (local == NULL)
    display = catalog_get_string (obj, "display_name", FALSE, where, &local);
  if (local == NULL)
    openrouter_id = catalog_get_string (obj, "openrouter_id", FALSE, where, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (!catalog_get_number (obj, "input_price", &in_price, where, error) ||
      !catalog_get_number (obj, "output_price", &out_price, where, error) ||
      !catalog_get_number (obj, "context_length", &ctx, where, error) ||
      !catalog_get_capabilities (obj, &known, &has, where, error))
    return FALSE;
  if ((in_price >= 0) != (out_price >= 0))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: give both “input_price” and “output_price”, or neither", where);
      return FALSE;
    }
  /* No model reads a billion billion tokens; a number past any context is a mistake, and would
   * not even fit the count it becomes. */
  if (ctx > 1e12)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: “context_length” is more tokens than any model takes", where);
      return FALSE;
    }

  existing = rw_catalog_lookup_model (self, id);
  if (provider_id == NULL)
    {
      if (existing == NULL)
        {
          const char *slash = strchr (id, '/');
          g_autofree char *prefix = slash ? g_strndup (id, slash - id) : NULL;

          if (prefix == NULL || rw_catalog_lookup_provider (self, prefix) == NULL)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “provider” is missing", where);
              return FALSE;
            }
          provider_id = rw_catalog_lookup_provider (self, prefix) ?
            rw_provider_get_id (rw_catalog_lookup_provider (self, prefix)) : NULL;
          if (name == NULL)
            name = slash + 1;
        }
      else
        provider_id = rw_model_get_provider_id (existing);
    }
  if (rw_catalog_lookup_provider (self, provider_id) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the provider “%s” is not defined",
                   where, provider_id);
      return FALSE;
    }
  if (name == NULL)
    name = existing ? rw_model_get_upstream_name (existing) : NULL;
  if (name == NULL)
    {
      const char *slash = strchr (id, '/');
      name = slash ? slash + 1 : id;
    }

  model = rw_model_new (id, provider_id, name);
  if (display != NULL)
    rw_model_set_display_name (model, display);
  else if (existing != NULL)
    rw_model_set_display_name (model, rw_model_get_display_name (existing));
  if (openrouter_id != NULL)
    rw_model_set_openrouter_id (model, openrouter_id);
  else if (existing != NULL)
    rw_model_set_openrouter_id (model, rw_model_get_openrouter_id (existing));
  if (in_price >= 0)
    rw_model_set_price (model, in_price, out_price);
  else if (existing != NULL && rw_model_has_price (existing))
    rw_model_set_price (model, rw_model_get_input_price (existing),
                        rw_model_get_output_price (existing));
  if (ctx > 0)
    rw_model_set_context_length (model, (gint64) ctx);
  else if (existing != NULL)
    rw_model_set_context_length (model, rw_model_get_context_length (existing));
  /* The entry's word on a capability wins over the provider's list. */
  if (existing != NULL)
    {
      RwModelCapabilities listed = rw_model_get_known_capabilities (existing) & ~known;

      has |= rw_model_get_capabilities (existing) & listed;
      known |= listed;
    }
  rw_model_set_capabilities (model, known, has);

  rw_catalog_add_model (self, model);
  return TRUE;
}

static void
catalog_add_listed_models (RwCatalog  *self,
                           GPtrArray  *models)
{
  for (guint i = 0; i < models->len; i++)
    if (rw_catalog_lookup_model (self, rw_model_get_id (models->pdata[i])) == NULL)
      rw_catalog_add_model (self, models->pdata[i]);
}

static void
catalog_list_now_cb (GObject      *object,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  GPtrArray **out = user_data;
  *out = rw_provider_list_models_finish (RW_PROVIDER (object), res, NULL);
  if (*out == NULL)
    *out = g_ptr_array_new ();
}

/* The recorded provider lists its models without I/O; take them at once. */
static void
catalog_add_recorded_models (RwCatalog  *self,
                             RwProvider *provider)
{
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  rw_provider_list_models_async (provider, NULL, catalog_list_now_cb, &models);
  while (models == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  catalog_add_listed_models (self, models);
}

/* The file's providers, added to @scratch, and the recorded ones' models with them. */
static gboolean
catalog_read_providers (RwCatalog   *scratch,
                        JsonObject  *obj,
                        const char  *origin,
                        GError     **error)
{
  g_autoptr(GPtrArray) new_providers = g_ptr_array_new_with_free_func (g_object_unref);
  JsonNode *providers;

  providers = json_object_get_member (obj, "providers");
  if (providers != NULL && !JSON_NODE_HOLDS_ARRAY (providers))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “providers” must be an array", origin);
      return FALSE;
    }
  for (guint i = 0; providers && i < json_array_get_length (json_node_get_array (providers)); i++)
    {
      JsonNode *p = json_array_get_element (json_node_get_array (providers), i);
      g_autofree char *where = g_strdup_printf ("%s: providers[%u]", origin, i);
      RwProvider *provider;

      if (!JSON_NODE_HOLDS_OBJECT (p))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: must be an object", where);
          return FALSE;
        }
      provider = _rw_catalog_provider_from_json (json_node_get_object (p), where, error);
      if (provider == NULL)
        return FALSE;
      rw_catalog_add_provider (scratch, provider);
      g_ptr_array_add (new_providers, provider);
    }

  for (guint i = 0; i < new_providers->len; i++)
    if (RW_IS_RECORDED_PROVIDER (new_providers->pdata[i]))
      catalog_add_recorded_models (scratch, new_providers->pdata[i]);

  return TRUE;
}

/* The file's models, added to @scratch or changing the ones it has. */
static gboolean
catalog_read_models (RwCatalog   *scratch,
                     JsonObject  *obj,
                     const char  *origin,
                     GError     **error)
{
  JsonNode *models;

  models = json_object_get_member (obj, "models");
  if (models != NULL && !JSON_NODE_HOLDS_ARRAY (models))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “models” must be an array", origin);
      return FALSE;
    }
  for (guint i = 0; models && i < json_array_get_length (json_node_get_array (models)); i++)
    {
      JsonNode *m = json_array_get_element (json_node_get_array (models), i);
      g_autofree char *where = g_strdup_printf ("%s: models[%u]", origin, i);

      if (!JSON_NODE_HOLDS_OBJECT (m))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: must be an object", where);
          return FALSE;
        }
      if (!_rw_catalog_apply_model (scratch, json_node_get_object (m), where, error))
        return FALSE;
    }
  return TRUE;
}

/* The local servers the file names, as ids and base URLs. */
static gboolean
catalog_read_local (JsonObject  *obj,
                    const char  *origin,
                    GPtrArray   *local_ids,
                    GPtrArray   *local_urls,
                    GError     **error)
{
  JsonNode *local_servers;

  local_servers = json_object_get_member (obj, "local");
  if (local_servers != NULL && !JSON_NODE_HOLDS_ARRAY (local_servers))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “local” must be an array", origin);
      return FALSE;
    }
  for (guint i = 0; local_servers
       && i < json_array_get_length (json_node_get_array (local_servers));
       i++)
    {
      JsonNode *e = json_array_get_element (json_node_get_array (local_servers), i);
      g_autofree char *where = g_strdup_printf ("%s: local[%u]", origin, i);
      const char *id, *url;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: must be an object", where);
          return FALSE;
        }
      static const char * const local_members[] = { "id", "base_url", NULL };

      if (!catalog_check_members (json_node_get_object (e), local_members, NULL,
                                  "a local server", where, error) ||
          (id = catalog_get_string (json_node_get_object (e), "id", TRUE, where, error)) == NULL ||
          (url = catalog_get_string (json_node_get_object (e), "base_url", TRUE, where,
                                     error)) == NULL)
        return FALSE;
      if (!_rw_catalog_is_valid_id (id) || strchr (id, '/') != NULL ||
          (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://")))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: needs a plain “id” and an http:// or https:// “base_url”", where);
          return FALSE;
        }
      g_ptr_array_add (local_ids, g_strdup (id));
      g_ptr_array_add (local_urls, g_strdup (url));
    }
  return TRUE;
}

/**
 * rw_catalog_load_data:
 * @self: a #RwCatalog
 * @origin: the name of the file or resource, for messages
 * @json: the document: `{"providers": [...], "models": [...]}`
 * @length: its length, or -1
 * @error: return location for an error
 *
 * Adds the providers and models of @json, replacing those with the same ids. A model entry
 * with only an id and prices changes the prices of a known model.
 *
 * Returns: %TRUE on success; on failure the catalog is unchanged
 */
gboolean
rw_catalog_load_data (RwCatalog   *self,
                      const char  *origin,
                      const char  *json,
                      gssize       length,
                      GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(RwCatalog) scratch = NULL;
  g_autoptr(GPtrArray) local_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) local_urls = g_ptr_array_new_with_free_func (g_free);
  JsonObject *obj;

  g_return_val_if_fail (RW_IS_CATALOG (self), FALSE);

  if ((root = rw_json_parse (json, length < 0 ? strlen (json) : (gsize) length, &local)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not valid JSON: %s",
                   origin, local->message);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: expected an object with “providers” and “models”", origin);
      return FALSE;
    }
  obj = json_node_get_object (root);
  {
    static const char * const file_members[] = { "providers", "models", "local", NULL };

    if (!catalog_check_members (obj, file_members, NULL, "the file", origin, error))
      return FALSE;
  }

  /* Validate everything against a scratch copy first, so that a bad file changes nothing. */
  scratch = rw_catalog_new ();
  {
    GHashTableIter iter;
    gpointer k, v;
    g_hash_table_iter_init (&iter, self->providers);
    while (g_hash_table_iter_next (&iter, &k, &v))
      rw_catalog_add_provider (scratch, v);
    g_hash_table_iter_init (&iter, self->models);
    while (g_hash_table_iter_next (&iter, &k, &v))
      rw_catalog_add_model (scratch, v);
  }

  if (!catalog_read_providers (scratch, obj, origin, error) ||
      !catalog_read_models (scratch, obj, origin, error) ||
      !catalog_read_local (obj, origin, local_ids, local_urls, error))
    return FALSE;

  /* Commit: take the scratch catalog's contents. */
  for (guint i = 0; i < local_ids->len; i++)
    rw_catalog_add_local_server (self, local_ids->pdata[i], local_urls->pdata[i]);
  for (guint i = 0; i < scratch->provider_order->len; i++)
    rw_catalog_add_provider (self, g_hash_table_lookup (scratch->providers,
                                                        scratch->provider_order->pdata[i]));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (scratch->model_list)); i++)
    {
      g_autoptr(RwModel) m = g_list_model_get_item (G_LIST_MODEL (scratch->model_list), i);
      if (rw_catalog_lookup_model (self, rw_model_get_id (m)) != m)
        rw_catalog_add_model (self, m);
    }
  return TRUE;
}

/**
 * rw_catalog_load_file:
 * @self: a #RwCatalog
 * @path: a providers.json file
 * @error: return location for an error
 *
 * Returns: %TRUE on success; on failure, with a message naming the file and the entry, the
 *   catalog is unchanged
 */
gboolean
rw_catalog_load_file (RwCatalog   *self,
                      const char  *path,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;

  if (!rw_file_read_text (path, RW_FILE_DOCUMENT_MAX, &contents, &len, &local))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, local->message);
      return FALSE;
    }
  return rw_catalog_load_data (self, path, contents, len, error);
}

/**
 * rw_catalog_new_for_user:
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the defaults with the user's providers.json on top, or
 *   %NULL with @error set when that file is malformed
 */
RwCatalog *
rw_catalog_new_for_user (GError **error)
{
  g_autoptr(RwCatalog) self = rw_catalog_new ();
  g_autofree char *path = rw_paths_providers_file ();

  if (!rw_catalog_load_defaults (self, error))
    return NULL;
  if (g_file_test (path, G_FILE_TEST_EXISTS) && !rw_catalog_load_file (self, path, error))
    return NULL;
  return g_steal_pointer (&self);
}
