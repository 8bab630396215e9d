/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "rw-catalog.h"
#include "rw-store.h"
#include "rw-chat-request.h"
#include "rw-chat-result.h"
#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_FANOUT (rw_fanout_get_type ())

G_DECLARE_FINAL_TYPE (RwFanout, rw_fanout, RW, FANOUT, GObject)

RwFanout  *rw_fanout_new          (RwCatalog      *catalog);
void       rw_fanout_run_async    (RwFanout       *self,
                                   RwChatRequest  *request,
                                   GPtrArray      *models,
                                   GCancellable   *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer        user_data);
GPtrArray *rw_fanout_run_finish   (RwFanout       *self,
                                   GAsyncResult   *result,
                                   GError        **error);
void       rw_fanout_set_store    (RwFanout       *self,
                                   RwStore        *store,
                                   const char     *source);
gboolean   rw_fanout_get_recorded (RwFanout       *self,
                                   GAsyncResult   *result,
                                   const char    **run_id,
                                   const char    **prompt_id,
                                   const char * const **response_ids);

G_END_DECLS
