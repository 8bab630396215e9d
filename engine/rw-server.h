/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "rw-router.h"

G_BEGIN_DECLS

#define RW_TYPE_SERVER (rw_server_get_type ())

G_DECLARE_FINAL_TYPE (RwServer, rw_server, RW, SERVER, GObject)

RwServer *rw_server_new          (RwRouter    *router,
                                  const char  *token);
gboolean  rw_server_listen       (RwServer    *self,
                                  guint16      port,
                                  GError     **error);
guint16   rw_server_get_port     (RwServer    *self);
void      rw_server_set_heartbeat (RwServer   *self,
                                  guint        interval_ms);
guint64   rw_server_get_n_served (RwServer    *self);
void      rw_server_set_threads  (RwServer    *self,
                                  guint        n_loops);
void      rw_server_stop         (RwServer    *self);
char     *rw_server_load_token   (const char  *path,
                                  GError     **error);

G_END_DECLS
