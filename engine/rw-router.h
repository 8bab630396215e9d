/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "rw-catalog.h"
#include "rw-chat-request.h"
#include "rw-chat-result.h"
#include "rw-policy.h"
#include "rw-store.h"

G_BEGIN_DECLS

#define RW_TYPE_ROUTER (rw_router_get_type ())

G_DECLARE_FINAL_TYPE (RwRouter, rw_router, RW, ROUTER, GObject)

typedef enum
{
  RW_CIRCUIT_CLOSED,
  RW_CIRCUIT_OPEN,
  RW_CIRCUIT_HALF_OPEN,
} RwCircuitState;

/**
 * RwRouteCommitFunc:
 * @model: the model whose answer reaches the caller
 * @task: (nullable): the request's task
 * @user_data: closure data
 *
 * Called once, just before the first streamed text reaches the caller: from then on the router
 * never falls back silently.
 */
typedef void (*RwRouteCommitFunc) (RwModel    *model,
                                   const char *task,
                                   gpointer    user_data);

/**
 * RwClockFunc:
 * @user_data: closure data
 *
 * Returns: monotonic microseconds
 */
typedef gint64 (*RwClockFunc) (gpointer user_data);

#define RW_TYPE_ROUTE_RESULT (rw_route_result_get_type ())

typedef struct _RwRouteResult RwRouteResult;

/**
 * RwRouteResult:
 * @result: the answer that was served, or the last failure
 * @model_id: (nullable): the model that served it, or was tried last
 * @task: (nullable): the request's task
 * @attempts: (element-type RwChatResult): every attempt, in order
 * @committed: text reached the caller; a failure after that was not hidden by a fallback
 * @prompt_id: (nullable): the stored prompt
 */
struct _RwRouteResult
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  RwChatResult *result;
  char *model_id;
  char *task;
  GPtrArray *attempts;
  gboolean committed;
  char *prompt_id;
};

GType          rw_route_result_get_type   (void) G_GNUC_CONST;
RwRouteResult *rw_route_result_ref        (RwRouteResult *self);
void           rw_route_result_unref      (RwRouteResult *self);

RwRouter      *rw_router_new              (RwCatalog          *catalog,
                                           RwStore            *store);
RwCatalog     *rw_router_get_catalog      (RwRouter           *self);
RwStore       *rw_router_get_store        (RwRouter           *self);
RwPolicy      *rw_router_get_policy       (RwRouter           *self);
void           rw_router_set_policy       (RwRouter           *self,
                                           RwPolicy           *policy);
void           rw_router_set_run_id       (RwRouter           *self,
                                           const char         *run_id);
void           rw_router_set_retries      (RwRouter           *self,
                                           guint               max_retries,
                                           guint               base_delay_ms,
                                           guint               max_delay_ms);
void           rw_router_set_circuit      (RwRouter           *self,
                                           guint               failures,
                                           guint               window_ms,
                                           guint               cooldown_ms);
void           rw_router_set_cost_ceilings (RwRouter          *self,
                                           double              per_request_usd,
                                           double              daily_usd);
double         rw_router_get_spent_today  (RwRouter           *self);
void           rw_router_add_spent        (RwRouter           *self,
                                           double              cost_usd);
gboolean       rw_router_check_ceilings   (RwRouter           *self,
                                           const char         *model_id,
                                           double              estimate_usd,
                                           GError            **error);
void           rw_router_set_clock        (RwRouter           *self,
                                           RwClockFunc         clock,
                                           gpointer            user_data);
RwCircuitState rw_router_get_circuit_state (RwRouter          *self,
                                           const char         *model_id);
double         rw_router_estimate_cost    (RwRouter           *self,
                                           RwModel            *model,
                                           RwChatRequest      *request);
void           rw_router_route_async      (RwRouter           *self,
                                           RwChatRequest      *request,
                                           const char         *model,
                                           RwDeltaFunc         delta_func,
                                           RwRouteCommitFunc   commit_func,
                                           gpointer            func_data,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
RwRouteResult *rw_router_route_finish     (RwRouter           *self,
                                           GAsyncResult       *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwRouteResult, rw_route_result_unref)

G_END_DECLS
