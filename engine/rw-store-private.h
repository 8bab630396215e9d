/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-store.h"

G_BEGIN_DECLS

gboolean _rw_store_create_at_version (const char  *path,
                                      int          version,
                                      GError     **error);
guint    _rw_store_wait_checkpoints  (RwStore     *self,
                                      guint        after,
                                      gint64       timeout_us);

G_END_DECLS
