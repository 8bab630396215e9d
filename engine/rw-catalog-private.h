/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-catalog.h"

G_BEGIN_DECLS

/* The catalog, shared by rw-catalog.c and rw-catalog-discover.c. */
struct _RwCatalog
{
  GObject parent_instance;

  GHashTable *providers;      /* id -> RwProvider */
  GPtrArray *provider_order;  /* ids */
  GHashTable *models;         /* id -> RwModel */
  GListStore *model_list;
  /* A GListStore remembers where the last read was: reads from several threads (the
   * endpoint's event loops) go through rw_catalog_list_models(), under this lock. */
  GMutex list_lock;
  GPtrArray *local_ids;       /* local servers to look for: ids and base URLs */
  GPtrArray *local_urls;
};

G_END_DECLS
