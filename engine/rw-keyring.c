/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsecret/secret.h>

#include "rw-error.h"
#include "rw-keyring.h"

/*
 * Provider keys in the Secret Service (GNOME Keyring, KWallet...), one item per provider,
 * found by the provider's id. The window, the command line and the endpoint share them; a key
 * in the environment variable a provider names still works, and wins.
 */

static const SecretSchema *
keyring_schema (void)
{
  static const SecretSchema schema = {
    "io.github.routewise.Routewise.ProviderKey", SECRET_SCHEMA_NONE,
    {
      { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

/* A Secret Service error as the keyring's, saying that there may be none. */
static void
keyring_set_error (GError      **error,
                   GError       *local,
                   const char   *what)
{
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
               "%s: the keyring (Secret Service) is not available: %s", what, local->message);
}

/**
 * rw_keyring_check:
 *
 * Returns: whether the Secret Service can be reached; when it cannot, @error says why
 */
gboolean
rw_keyring_check (GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(SecretService) service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &local);

  if (service == NULL)
    {
      keyring_set_error (error, local, "keys come only from environment variables");
      return FALSE;
    }
  return TRUE;
}

/**
 * rw_keyring_store:
 * @provider_id: the provider the key belongs to
 * @key: the key
 *
 * Stores @key as @provider_id's, in place of any it had.
 *
 * Returns: %TRUE when stored
 */
gboolean
rw_keyring_store (const char  *provider_id,
                  const char  *key,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *label = g_strdup_printf ("Routewise: the API key of %s", provider_id);

  g_return_val_if_fail (provider_id != NULL && key != NULL, FALSE);

  if (!secret_password_store_sync (keyring_schema (), SECRET_COLLECTION_DEFAULT, label, key,
                                   NULL, &local, "provider", provider_id, NULL))
    {
      keyring_set_error (error, local, "cannot store the key");
      return FALSE;
    }
  return TRUE;
}

/**
 * rw_keyring_lookup:
 * @provider_id: a provider
 *
 * Returns: (transfer full) (nullable): the provider's key, or %NULL when the keyring holds none
 *   (without setting @error) or cannot be reached
 */
char *
rw_keyring_lookup (const char  *provider_id,
                   GError     **error)
{
  g_autoptr(GError) local = NULL;
  char *secret;
  char *key;

  g_return_val_if_fail (provider_id != NULL, NULL);

  secret = secret_password_lookup_nonpageable_sync (keyring_schema (), NULL, &local,
                                                    "provider", provider_id, NULL);
  if (local != NULL)
    {
      keyring_set_error (error, local, "cannot read the key");
      return NULL;
    }
  if (secret == NULL)
    return NULL;
  /* The rest of the engine frees keys with g_free(), after wiping them. */
  key = g_strdup (secret);
  secret_password_free (secret);
  return key;
}

/**
 * rw_keyring_list_providers:
 *
 * Which providers the keyring holds a key for, read in one search that neither unlocks the
 * keyring nor reads a key.
 *
 * Returns: (transfer full) (nullable): the set of their ids, or %NULL when the keyring cannot
 *   be reached
 */
GHashTable *
rw_keyring_list_providers (GError **error)
{
  g_autoptr(GError) local = NULL;
  GList *items;
  GHashTable *ids;

  items = secret_password_search_sync (keyring_schema (), SECRET_SEARCH_ALL, NULL, &local, NULL);
  if (local != NULL)
    {
      keyring_set_error (error, local, "cannot list the keys");
      return NULL;
    }
  ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      const char *id = g_hash_table_lookup (attributes, "provider");

      if (id != NULL)
        g_hash_table_add (ids, g_strdup (id));
    }
  g_list_free_full (items, g_object_unref);
  return ids;
}

/**
 * rw_keyring_clear:
 * @provider_id: a provider
 * @removed: (out) (optional): whether there was a key to remove
 *
 * Returns: %TRUE unless the keyring could not be reached
 */
gboolean
rw_keyring_clear (const char  *provider_id,
                  gboolean    *removed,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  gboolean found;

  g_return_val_if_fail (provider_id != NULL, FALSE);

  found = secret_password_clear_sync (keyring_schema (), NULL, &local,
                                      "provider", provider_id, NULL);
  if (local != NULL)
    {
      keyring_set_error (error, local, "cannot remove the key");
      return FALSE;
    }
  if (removed != NULL)
    *removed = found;
  return TRUE;
}
