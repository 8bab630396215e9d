/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "rw-anthropic-provider.h"
#include "rw-catalog-private.h"
#include "rw-error.h"
#include "rw-gemini-provider.h"
#include "rw-http-private.h"
#include "rw-json.h"
#include "rw-ollama-provider.h"
#include "rw-openai-provider.h"
#include "rw-paths.h"
#include "rw-recorded-provider.h"

/* Local model servers found on their default ports and added to the catalog with their models. */

typedef struct
{
  guint pending;
  guint added;
} RwCatalogDiscover;

static void
catalog_discover_list_cb (GObject      *object,
                          GAsyncResult *res,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwCatalog *self = g_task_get_source_object (task);
  RwCatalogDiscover *d = g_task_get_task_data (task);
  RwProvider *provider = RW_PROVIDER (object);
  g_autoptr(GPtrArray) models = rw_provider_list_models_finish (provider, res, NULL);

  if (models != NULL && models->len > 0)
    {
      rw_catalog_add_provider (self, provider);
      for (guint i = 0; i < models->len; i++)
        {
          RwModel *m = models->pdata[i];
          if (rw_catalog_lookup_model (self, rw_model_get_id (m)) == NULL)
            {
              /* Local models cost nothing per token. */
              rw_model_set_price (m, 0, 0);
              rw_catalog_add_model (self, m);
              d->added++;
            }
        }
    }
  if (--d->pending == 0)
    g_task_return_int (task, d->added);
}

/**
 * rw_catalog_discover_async:
 * @self: a #RwCatalog
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every probe has answered or given up
 * @user_data: data for @callback
 *
 * Looks for local servers on their default ports (Ollama, the llama.cpp server, LM Studio,
 * vLLM) and adds each one that answers, with its models. Probes give up after a second.
 */
void
rw_catalog_discover_async (RwCatalog           *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  RwCatalogDiscover *d = g_new0 (RwCatalogDiscover, 1);

  g_task_set_source_tag (task, rw_catalog_discover_async);
  g_task_set_task_data (task, d, g_free);

  d->pending = 1;
  for (guint i = 0; i < self->local_ids->len; i++)
    {
      const char *id = self->local_ids->pdata[i];
      const char *url = self->local_urls->pdata[i];
      g_autoptr(RwProvider) provider = NULL;
      gboolean taken = FALSE;

      if (rw_catalog_lookup_provider (self, id) != NULL)
        continue;
      /* A provider the user configured on the same address wins. */
      for (guint j = 0; j < self->provider_order->len; j++)
        {
          RwProvider *other = g_hash_table_lookup (self->providers, self->provider_order->pdata[j]);
          if (g_strcmp0 (rw_provider_get_base_url (other), url) == 0)
            taken = TRUE;
        }
      if (taken)
        continue;

      provider = rw_openai_provider_new (id, url, NULL);
      g_object_set (rw_provider_get_session (provider), "timeout", 1, NULL);
      d->pending++;
      rw_provider_list_models_async (provider, cancellable, catalog_discover_list_cb,
                                     g_object_ref (task));
    }
  if (--d->pending == 0)
    g_task_return_int (task, d->added);
}

/**
 * rw_catalog_discover_finish:
 * @self: a #RwCatalog
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: how many models were added
 */
guint
rw_catalog_discover_finish (RwCatalog     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  gssize n = g_task_propagate_int (G_TASK (result), error);
  return n < 0 ? 0 : (guint) n;
}
