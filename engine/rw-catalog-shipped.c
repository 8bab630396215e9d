/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "rw-catalog-private.h"
#include "rw-error.h"
#include "rw-json.h"
#include "rw-keyring.h"

/* The catalog shipped with Routewise: its providers and their models with prices, added as
 * their keys appear. */

/* The catalog shipped with Routewise, parsed. */
static JsonObject *
catalog_shipped (JsonParser  *parser,
                 GError     **error)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data ("/io/github/routewise/engine/catalog.json",
                                                     0, error);

  if (bytes == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                                    g_bytes_get_size (bytes), error))
    return NULL;
  return json_node_get_object (json_parser_get_root (parser));
}

/* The shipped cloud provider @provider_id's entry, as "detect" lists it; %NULL when there is
 * none. */
static JsonObject *
catalog_shipped_entry (JsonObject *shipped,
                       const char *provider_id)
{
  JsonArray *detect = rw_json_object_get_array (shipped, "detect");

  for (guint i = 0; detect != NULL && i < json_array_get_length (detect); i++)
    {
      JsonObject *entry = json_array_get_object_element (detect, i);

      if (g_strcmp0 (rw_json_object_get_string (entry, "id", NULL), provider_id) == 0)
        return entry;
    }
  return NULL;
}

/* The shipped models of @provider_id, or of every provider present when it is %NULL. */
static gboolean
catalog_apply_shipped_models (RwCatalog   *self,
                              JsonObject  *shipped,
                              const char  *provider_id,
                              GError     **error)
{
  JsonArray *models = rw_json_object_get_array (shipped, "models");

  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      JsonObject *m = json_array_get_object_element (models, i);
      const char *provider = rw_json_object_get_string (m, "provider", NULL);

      if (provider == NULL || (provider_id != NULL && !g_str_equal (provider, provider_id)))
        continue;
      if (rw_catalog_lookup_provider (self, provider) != NULL &&
          !_rw_catalog_apply_model (self, m, "defaults", error))
        return FALSE;
    }
  return TRUE;
}

/**
 * rw_catalog_list_shipped_providers:
 * @self: a #RwCatalog
 *
 * The cloud providers Routewise knows without configuration (OpenAI, Anthropic, Gemini, Groq
 * and the others), whether or not a key makes them part of the catalog yet: what a key can be
 * given to. Each is a new provider, not the catalog's.
 *
 * Returns: (transfer full) (element-type RwProvider): the providers, in the shipped order
 */
GPtrArray *
rw_catalog_list_shipped_providers (RwCatalog *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  JsonObject *shipped = catalog_shipped (parser, NULL);
  JsonArray *detect = shipped ? rw_json_object_get_array (shipped, "detect") : NULL;

  for (guint i = 0; detect != NULL && i < json_array_get_length (detect); i++)
    {
      RwProvider *p = _rw_catalog_provider_from_json (json_array_get_object_element (detect, i),
                                                      "defaults", NULL);
      if (p != NULL)
        g_ptr_array_add (out, p);
    }
  return out;
}

/**
 * rw_catalog_add_shipped_provider:
 * @self: a #RwCatalog
 * @provider_id: the id of a shipped cloud provider
 * @error: return location for an error
 *
 * Adds a shipped cloud provider and its models, as the catalog does at start-up once the
 * provider's key is set: after its key was stored, it is used at once.
 *
 * Returns: whether it is in the catalog now
 */
gboolean
rw_catalog_add_shipped_provider (RwCatalog   *self,
                                 const char  *provider_id,
                                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *shipped, *entry;
  RwProvider *provider;

  g_return_val_if_fail (RW_IS_CATALOG (self), FALSE);

  if (rw_catalog_lookup_provider (self, provider_id) != NULL)
    return TRUE;
  if ((shipped = catalog_shipped (parser, error)) == NULL)
    return FALSE;
  if ((entry = catalog_shipped_entry (shipped, provider_id)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no shipped provider “%s”",
                   provider_id);
      return FALSE;
    }
  if ((provider = _rw_catalog_provider_from_json (entry, "defaults", error)) == NULL)
    return FALSE;
  rw_catalog_add_provider (self, provider);
  g_object_unref (provider);
  return catalog_apply_shipped_models (self, shipped, provider_id, error);
}

/**
 * rw_catalog_knows_provider:
 * @self: a #RwCatalog
 * @provider_id: a provider's id
 *
 * Returns: whether @provider_id is one of the catalog's providers, or one the shipped catalog
 *   adds once its key is set: a key may be stored for it before it is
 */
gboolean
rw_catalog_knows_provider (RwCatalog  *self,
                           const char *provider_id)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *shipped;

  g_return_val_if_fail (RW_IS_CATALOG (self), FALSE);

  if (rw_catalog_lookup_provider (self, provider_id) != NULL)
    return TRUE;
  shipped = catalog_shipped (parser, NULL);
  return shipped != NULL && catalog_shipped_entry (shipped, provider_id) != NULL;
}

/**
 * rw_catalog_load_defaults:
 * @self: a #RwCatalog
 * @error: return location for an error
 *
 * Loads the catalog shipped with Routewise: the recorded provider with its models, every
 * provider whose key is in its usual environment variable or in the keyring, and their models
 * with prices.
 *
 * Returns: %TRUE on success
 */
gboolean
rw_catalog_load_defaults (RwCatalog  *self,
                          GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) doc = NULL;
  g_autofree char *text = NULL;
  JsonObject *root;
  JsonArray *detect;
  JsonArray *providers;
  g_autoptr(GHashTable) stored = NULL;
  gboolean asked_keyring = FALSE;

  if ((root = catalog_shipped (parser, error)) == NULL)
    return FALSE;

  /* Providers: the fixed ones, plus each cloud provider whose key variable is set or whose key
   * the keyring holds (asked once, and only when a variable is missing). */
  providers = rw_json_object_get_array (root, "providers");
  detect = rw_json_object_get_array (root, "detect");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "providers");
  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (providers); i++)
    json_builder_add_value (b, json_node_copy (json_array_get_element (providers, i)));
  for (guint i = 0; i < json_array_get_length (detect); i++)
    {
      JsonObject *p = json_array_get_object_element (detect, i);
      const char *env = rw_json_object_get_string (p, "api_key_env", NULL);
      const char *id = rw_json_object_get_string (p, "id", NULL);
      gboolean keyed = env != NULL && g_getenv (env) != NULL && *g_getenv (env) != '\0';

      if (!keyed && !asked_keyring)
        {
          stored = rw_keyring_list_providers (NULL);
          asked_keyring = TRUE;
        }
      if (keyed || (stored != NULL && id != NULL && g_hash_table_contains (stored, id)))
        json_builder_add_value (b, json_node_copy (json_array_get_element (detect, i)));
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "local");
  json_builder_add_value (b, json_node_copy (json_object_get_member (root, "local")));
  json_builder_end_object (b);
  doc = json_builder_get_root (b);
  text = rw_json_to_string (doc, FALSE);
  if (!rw_catalog_load_data (self, "defaults", text, -1, error))
    return FALSE;

  /* Models whose provider is present. */
  return catalog_apply_shipped_models (self, root, NULL, error);
}
