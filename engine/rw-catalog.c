/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-catalog-private.h"
#include "rw-error.h"
#include "rw-recorded-provider.h"

/**
 * RwCatalog:
 *
 * The providers and models Routewise knows, with prices. Built from the defaults shipped in
 * the library, the providers whose keys are in the environment, the user's providers.json, and
 * local servers found on their default ports.
 */

G_DEFINE_FINAL_TYPE (RwCatalog, rw_catalog, G_TYPE_OBJECT)

static void
rw_catalog_finalize (GObject *object)
{
  RwCatalog *self = (RwCatalog *) object;

  g_clear_pointer (&self->providers, g_hash_table_unref);
  g_clear_pointer (&self->provider_order, g_ptr_array_unref);
  g_clear_pointer (&self->models, g_hash_table_unref);
  g_clear_object (&self->model_list);
  g_clear_pointer (&self->local_ids, g_ptr_array_unref);
  g_clear_pointer (&self->local_urls, g_ptr_array_unref);
  g_clear_pointer (&self->retired, g_ptr_array_unref);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (rw_catalog_parent_class)->finalize (object);
}

static void
rw_catalog_class_init (RwCatalogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_catalog_finalize;
}

static void
rw_catalog_init (RwCatalog *self)
{
  self->providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->provider_order = g_ptr_array_new_with_free_func (g_free);
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->model_list = g_list_store_new (RW_TYPE_MODEL);
  g_rec_mutex_init (&self->lock);
  self->retired = g_ptr_array_new_with_free_func (g_object_unref);
  self->local_ids = g_ptr_array_new_with_free_func (g_free);
  self->local_urls = g_ptr_array_new_with_free_func (g_free);
}

/**
 * rw_catalog_add_local_server:
 * @self: a #RwCatalog
 * @id: the provider id to give the server when it answers
 * @base_url: its OpenAI-compatible base URL
 *
 * Adds an address that rw_catalog_discover_async() probes. The defaults add the usual ports of
 * Ollama, the llama.cpp server, LM Studio and vLLM.
 */
void
rw_catalog_add_local_server (RwCatalog  *self,
                             const char *id,
                             const char *base_url)
{
  g_return_if_fail (RW_IS_CATALOG (self));
  g_ptr_array_add (self->local_ids, g_strdup (id));
  g_ptr_array_add (self->local_urls, g_strdup (base_url));
}

RwCatalog *
rw_catalog_new (void)
{
  return g_object_new (RW_TYPE_CATALOG, NULL);
}

/**
 * rw_catalog_get_models:
 * @self: a #RwCatalog
 *
 * Returns: (transfer none): the models, sorted by id
 */
GListModel *
rw_catalog_get_models (RwCatalog *self)
{
  g_return_val_if_fail (RW_IS_CATALOG (self), NULL);
  return G_LIST_MODEL (self->model_list);
}

/**
 * rw_catalog_lookup_model:
 * @self: a #RwCatalog
 * @id: a model id
 *
 * Safe from any thread; the model stays valid as long as the catalog, even once it is
 * replaced or its provider removed.
 *
 * Returns: (transfer none) (nullable): the model
 */
RwModel *
rw_catalog_lookup_model (RwCatalog  *self,
                         const char *id)
{
  RwModel *model;

  g_return_val_if_fail (RW_IS_CATALOG (self), NULL);
  if (id == NULL)
    return NULL;
  g_rec_mutex_lock (&self->lock);
  model = g_hash_table_lookup (self->models, id);
  g_rec_mutex_unlock (&self->lock);
  return model;
}

/**
 * rw_catalog_lookup_provider:
 * @self: a #RwCatalog
 * @id: a provider id
 *
 * Safe from any thread; the provider stays valid as long as the catalog.
 *
 * Returns: (transfer none) (nullable): the provider
 */
RwProvider *
rw_catalog_lookup_provider (RwCatalog  *self,
                            const char *id)
{
  RwProvider *provider;

  g_return_val_if_fail (RW_IS_CATALOG (self), NULL);
  if (id == NULL)
    return NULL;
  g_rec_mutex_lock (&self->lock);
  provider = g_hash_table_lookup (self->providers, id);
  g_rec_mutex_unlock (&self->lock);
  return provider;
}

/**
 * rw_catalog_list_providers:
 * @self: a #RwCatalog
 *
 * Returns: (transfer container) (element-type RwProvider): the providers in the order they
 *   were added
 */
GPtrArray *
rw_catalog_list_providers (RwCatalog *self)
{
  GPtrArray *ret = g_ptr_array_new_with_free_func (g_object_unref);

  g_rec_mutex_lock (&self->lock);
  for (guint i = 0; i < self->provider_order->len; i++)
    g_ptr_array_add (ret, g_object_ref (g_hash_table_lookup (self->providers,
                                                             self->provider_order->pdata[i])));
  g_rec_mutex_unlock (&self->lock);
  return ret;
}

/* For g_ptr_array_sort (), which hands pointers to the elements. */
static gint
catalog_compare_model_ptrs (gconstpointer a,
                            gconstpointer b)
{
  return g_strcmp0 (rw_model_get_id (*(RwModel * const *) a),
                    rw_model_get_id (*(RwModel * const *) b));
}

/**
 * rw_catalog_list_models:
 * @self: a #RwCatalog
 *
 * The models as they are now, sorted by id; safe from any thread.
 *
 * Returns: (transfer container) (element-type RwModel): the models
 */
GPtrArray *
rw_catalog_list_models (RwCatalog *self)
{
  GHashTableIter iter;
  gpointer model;
  GPtrArray *ret;
  guint n;

  g_return_val_if_fail (RW_IS_CATALOG (self), NULL);

  /* From the table, not the list: a GListStore remembers where it was last read, and the
   * window's views read the list on the main thread without this lock. */
  g_rec_mutex_lock (&self->lock);
  n = g_hash_table_size (self->models);
  ret = g_ptr_array_new_full (n, g_object_unref);
  g_hash_table_iter_init (&iter, self->models);
  while (g_hash_table_iter_next (&iter, NULL, &model))
    g_ptr_array_add (ret, g_object_ref (model));
  g_rec_mutex_unlock (&self->lock);
  g_ptr_array_sort (ret, catalog_compare_model_ptrs);
  return ret;
}

static gint
catalog_compare_models (gconstpointer a,
                        gconstpointer b,
                        gpointer      user_data)
{
  return g_strcmp0 (rw_model_get_id ((RwModel *) a), rw_model_get_id ((RwModel *) b));
}

/**
 * rw_catalog_add_model:
 * @self: a #RwCatalog
 * @model: a model; one with the same id is replaced
 */
void
rw_catalog_add_model (RwCatalog *self,
                      RwModel   *model)
{
  RwModel *old;
  guint pos;

  g_return_if_fail (RW_IS_CATALOG (self));
  g_return_if_fail (RW_IS_MODEL (model));

  g_rec_mutex_lock (&self->lock);
  old = g_hash_table_lookup (self->models, rw_model_get_id (model));
  if (old != NULL && old != model)
    g_ptr_array_add (self->retired, g_object_ref (old));
  if (old != NULL && g_list_store_find (self->model_list, old, &pos))
    g_list_store_remove (self->model_list, pos);
  g_hash_table_replace (self->models, g_strdup (rw_model_get_id (model)), g_object_ref (model));
  g_list_store_insert_sorted (self->model_list, model, catalog_compare_models, NULL);
  g_rec_mutex_unlock (&self->lock);
}

/**
 * rw_catalog_add_provider:
 * @self: a #RwCatalog
 * @provider: a provider; one with the same id is replaced
 */
void
rw_catalog_add_provider (RwCatalog  *self,
                         RwProvider *provider)
{
  const char *id;
  RwProvider *old;

  g_return_if_fail (RW_IS_CATALOG (self));
  g_return_if_fail (RW_IS_PROVIDER (provider));

  id = rw_provider_get_id (provider);
  g_rec_mutex_lock (&self->lock);
  old = g_hash_table_lookup (self->providers, id);
  if (old == NULL)
    g_ptr_array_add (self->provider_order, g_strdup (id));
  else if (old != provider)
    g_ptr_array_add (self->retired, g_object_ref (old));
  g_hash_table_replace (self->providers, g_strdup (id), g_object_ref (provider));
  g_rec_mutex_unlock (&self->lock);
}

gboolean
_rw_catalog_is_valid_id (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 200)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!(g_ascii_isalnum (*p) || strchr ("-_.:/@", *p)))
      return FALSE;
  return TRUE;
}

/**
 * rw_catalog_remove_provider:
 * @self: a #RwCatalog
 * @provider_id: a provider's id
 *
 * Takes a provider out of the catalog, with its models.
 */
void
rw_catalog_remove_provider (RwCatalog  *self,
                            const char *provider_id)
{
  g_autoptr(GPtrArray) models = NULL;
  RwProvider *provider;

  g_return_if_fail (RW_IS_CATALOG (self));

  models = rw_catalog_list_models (self);
  g_rec_mutex_lock (&self->lock);
  for (guint i = 0; i < models->len; i++)
    {
      RwModel *m = models->pdata[i];
      guint pos;

      if (g_strcmp0 (rw_model_get_provider_id (m), provider_id) != 0)
        continue;
      if (g_list_store_find (self->model_list, m, &pos))
        g_list_store_remove (self->model_list, pos);
      g_ptr_array_add (self->retired, g_object_ref (m));
      g_hash_table_remove (self->models, rw_model_get_id (m));
    }
  for (guint i = 0; i < self->provider_order->len; i++)
    if (g_str_equal (self->provider_order->pdata[i], provider_id))
      {
        g_ptr_array_remove_index (self->provider_order, i);
        break;
      }
  if ((provider = g_hash_table_lookup (self->providers, provider_id)) != NULL)
    g_ptr_array_add (self->retired, g_object_ref (provider));
  g_hash_table_remove (self->providers, provider_id);
  g_rec_mutex_unlock (&self->lock);
}

/**
 * rw_catalog_resolve_model:
 * @self: a #RwCatalog
 * @id: a model id, or a unique name
 * @error: return location for an error
 *
 * Finds a model by its id; failing that, by a name that only one model has ("gpt-4" for
 * "recorded/gpt-4"); failing that, as `provider/name` for a known provider, without a price.
 *
 * Returns: (transfer full) (nullable): the model, or %NULL with a message that suggests ids
 */
RwModel *
rw_catalog_resolve_model (RwCatalog   *self,
                          const char  *id,
                          GError     **error)
{
  RwModel *found = rw_catalog_lookup_model (self, id);
  RwModel *unique = NULL;
  guint matches = 0;
  const char *slash;
  g_autoptr(GString) suggestions = g_string_new (NULL);
  g_autoptr(GPtrArray) models = NULL;

  g_return_val_if_fail (RW_IS_CATALOG (self), NULL);

  if (found != NULL)
    return g_object_ref (found);

  models = rw_catalog_list_models (self);
  for (guint i = 0; i < models->len; i++)
    {
      RwModel *m = models->pdata[i];
      const char *mid = rw_model_get_id (m);
      const char *ms = strchr (mid, '/');

      if (ms != NULL && g_str_equal (ms + 1, id))
        {
          unique = m;
          matches++;
        }
      if (strstr (mid, id) != NULL && suggestions->len < 200)
        g_string_append_printf (suggestions, "%s%s", suggestions->len ? ", " : "", mid);
    }
  if (matches == 1)
    return g_object_ref (unique);

  slash = strchr (id, '/');
  if (slash != NULL && slash[1] != '\0' && _rw_catalog_is_valid_id (id))
    {
      g_autofree char *prefix = g_strndup (id, slash - id);
      RwProvider *provider = rw_catalog_lookup_provider (self, prefix);

      if (provider != NULL && !RW_IS_RECORDED_PROVIDER (provider))
        return rw_model_new (id, prefix, slash + 1);
    }

  if (suggestions->len > 0)
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                 "unknown model “%s” (did you mean: %s?); `routewise-cli models` lists them all",
                 id, suggestions->str);
  else
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                 "unknown model “%s”; `routewise-cli models` lists the models", id);
  return NULL;
}
