/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-json.h"

G_BEGIN_DECLS

#define RW_TYPE_PROMPT_ROUTER (rw_prompt_router_get_type ())

typedef struct _RwPromptRouter RwPromptRouter;

GType           rw_prompt_router_get_type        (void) G_GNUC_CONST;
RwPromptRouter *rw_prompt_router_new             (guint               buckets);
RwPromptRouter *rw_prompt_router_new_from_json   (JsonNode           *node,
                                                  GError            **error);
RwPromptRouter *rw_prompt_router_new_from_doc    (RwJsonDoc          *doc,
                                                  guint32             v,
                                                  GError            **error);
RwPromptRouter *rw_prompt_router_ref             (RwPromptRouter     *self);
void            rw_prompt_router_unref           (RwPromptRouter     *self);
void            rw_prompt_router_add             (RwPromptRouter     *self,
                                                  const char         *model,
                                                  const char         *text,
                                                  const char         *task,
                                                  double              score);
void            rw_prompt_router_train           (RwPromptRouter     *self);
void            rw_prompt_router_set_cost        (RwPromptRouter     *self,
                                                  const char         *task,
                                                  const char         *model,
                                                  double              cost_usd);
gboolean        rw_prompt_router_get_cost        (RwPromptRouter     *self,
                                                  const char         *task,
                                                  const char         *model,
                                                  double             *cost_usd);
void            rw_prompt_router_set_cost_weight (RwPromptRouter     *self,
                                                  double              cost_weight);
double          rw_prompt_router_get_cost_weight (RwPromptRouter     *self);
gboolean        rw_prompt_router_has_model       (RwPromptRouter     *self,
                                                  const char         *model);
double          rw_prompt_router_quality         (RwPromptRouter     *self,
                                                  const char         *model,
                                                  const char         *text,
                                                  const char * const *tasks,
                                                  const double       *task_probs,
                                                  guint               n_tasks);
void            rw_prompt_router_qualities       (RwPromptRouter     *self,
                                                  const char * const *models,
                                                  guint               n_models,
                                                  const char         *text,
                                                  const char * const *tasks,
                                                  const double       *task_probs,
                                                  guint               n_tasks,
                                                  double             *out);
JsonNode       *rw_prompt_router_to_json         (RwPromptRouter     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwPromptRouter, rw_prompt_router_unref)

G_END_DECLS
