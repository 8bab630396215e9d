/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-chat-request.h"
#include "rw-prompt-router.h"
#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_POLICY (rw_policy_get_type ())

G_DECLARE_FINAL_TYPE (RwPolicy, rw_policy, RW, POLICY, GObject)

/**
 * RwTaskClassifier:
 * @request: a request with no task of its own
 * @user_data: closure data
 *
 * Returns: (transfer full) (nullable): the task of @request
 */
typedef char *(*RwTaskClassifier) (RwChatRequest *request,
                                   gpointer       user_data);

#define RW_POLICY_AUTO_MODEL "routewise/auto"

RwPolicy   *rw_policy_new              (void);
RwPolicy   *rw_policy_new_from_file    (const char        *path,
                                        GError           **error);
RwPolicy   *rw_policy_new_from_store   (RwStore           *store,
                                        const char        *id,
                                        char             **name,
                                        GError           **error);
gboolean    rw_policy_load_data        (RwPolicy          *self,
                                        const char        *origin,
                                        const char        *json,
                                        gssize             length,
                                        GError           **error);
void        rw_policy_set_default      (RwPolicy          *self,
                                        const char * const *models);
void        rw_policy_set_task         (RwPolicy          *self,
                                        const char        *task,
                                        const char * const *models);
void        rw_policy_set_fallbacks    (RwPolicy          *self,
                                        const char        *model,
                                        const char * const *fallbacks);
void        rw_policy_set_classifier   (RwPolicy          *self,
                                        RwTaskClassifier   classifier,
                                        gpointer           user_data,
                                        GDestroyNotify     destroy);
char       *rw_policy_classify         (RwPolicy          *self,
                                        RwChatRequest     *request);
GStrv       rw_policy_candidates       (RwPolicy          *self,
                                        const char        *model,
                                        const char        *task);
GStrv       rw_policy_route            (RwPolicy          *self,
                                        const char        *model,
                                        const char        *task,
                                        RwChatRequest     *request);
gboolean    rw_policy_estimate         (RwPolicy          *self,
                                        RwChatRequest     *request,
                                        const char        *task,
                                        const char        *model,
                                        double            *quality,
                                        double            *cost_usd);
void            rw_policy_estimate_all    (RwPolicy            *self,
                                           RwChatRequest       *request,
                                           const char          *task,
                                           const char * const  *models,
                                           guint                n_models,
                                           double              *quality,
                                           double              *cost_usd);
RwPromptRouter *rw_policy_get_router   (RwPolicy          *self);

G_END_DECLS
