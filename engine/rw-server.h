/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "rw-router.h"

G_BEGIN_DECLS

/**
 * RwServedRequest:
 * @time_ms: when it was answered, in milliseconds since the epoch
 * @requested: the model the client asked for ("routewise/auto" or a catalog id)
 * @served: (nullable): the model that answered, or was tried last
 * @task: (nullable): the request's task
 * @status: the HTTP status of the reply
 * @stream: whether it was streamed
 * @latency_ms: from the request's arrival to its end
 * @cost_usd: what every attempt cost together, NAN when none was priced
 * @fallbacks: the attempts after the first
 *
 * A request the endpoint answered, as its log shows it.
 */
typedef struct
{
  gint64 time_ms;
  char *requested;
  char *served;
  char *task;
  guint status;
  gboolean stream;
  double latency_ms;
  double cost_usd;
  guint fallbacks;
} RwServedRequest;

#define RW_TYPE_SERVED_REQUEST (rw_served_request_get_type ())
GType            rw_served_request_get_type (void) G_GNUC_CONST;
RwServedRequest *rw_served_request_copy     (const RwServedRequest *request);
void             rw_served_request_free     (RwServedRequest       *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwServedRequest, rw_served_request_free)

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
void      rw_server_set_client_limits (RwServer  *self,
                                       guint      max_conns,
                                       guint      idle_ms,
                                       guint      head_ms,
                                       guint      body_ms,
                                       guint      send_ms);
void      rw_server_set_responses_kept (RwServer *self,
                                        guint     max_responses,
                                        gsize     max_bytes);
void      rw_server_set_allowed_origins (RwServer           *self,
                                         const char * const *origins);
char     *rw_server_normalize_origin (const char  *origin,
                                      GError     **error);
void      rw_server_stop         (RwServer    *self);
char     *rw_server_load_token   (const char  *path,
                                  GError     **error);

G_END_DECLS
