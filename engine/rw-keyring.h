/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

gboolean rw_keyring_check  (GError     **error);
gboolean rw_keyring_store  (const char  *provider_id,
                            const char  *key,
                            GError     **error);
char    *rw_keyring_lookup (const char  *provider_id,
                            GError     **error);
GHashTable *rw_keyring_list_providers (GError **error);
gboolean rw_keyring_clear  (const char  *provider_id,
                            gboolean    *removed,
                            GError     **error);

G_END_DECLS
