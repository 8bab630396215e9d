/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_MODEL (rw_model_get_type ())

/**
 * RwModelCapabilities:
 * @RW_MODEL_CAN_TOOLS: it calls tools
 * @RW_MODEL_CAN_IMAGES: it takes images in its input
 * @RW_MODEL_CAN_JSON_SCHEMA: it answers in a given JSON schema
 * @RW_MODEL_CAN_REASONING: it reasons at a chosen effort
 *
 * What a request may need of a model beyond text.
 */
typedef enum
{
  RW_MODEL_CAN_TOOLS = 1 << 0,
  RW_MODEL_CAN_IMAGES = 1 << 1,
  RW_MODEL_CAN_JSON_SCHEMA = 1 << 2,
  RW_MODEL_CAN_REASONING = 1 << 3,
} RwModelCapabilities;

#define RW_MODEL_ALL_CAPABILITIES (RW_MODEL_CAN_TOOLS | RW_MODEL_CAN_IMAGES | \
                                   RW_MODEL_CAN_JSON_SCHEMA | RW_MODEL_CAN_REASONING)

G_DECLARE_FINAL_TYPE (RwModel, rw_model, RW, MODEL, GObject)

RwModel    *rw_model_new                  (const char *id,
                                           const char *provider_id,
                                           const char *upstream_name);
const char *rw_model_get_id               (RwModel    *self);
const char *rw_model_get_provider_id      (RwModel    *self);
const char *rw_model_get_upstream_name    (RwModel    *self);
const char *rw_model_get_display_name     (RwModel    *self);
const char *rw_model_get_openrouter_id    (RwModel    *self);
void        rw_model_set_openrouter_id    (RwModel    *self,
                                           const char *openrouter_id);
void        rw_model_set_display_name     (RwModel    *self,
                                           const char *display_name);
gboolean    rw_model_has_price            (RwModel    *self);
double      rw_model_get_input_price      (RwModel    *self);
double      rw_model_get_output_price     (RwModel    *self);
void        rw_model_set_price            (RwModel    *self,
                                           double      input_per_million,
                                           double      output_per_million);
gint64      rw_model_get_context_length   (RwModel    *self);
void        rw_model_set_context_length   (RwModel    *self,
                                           gint64      context_length);
void        rw_model_set_capabilities     (RwModel    *self,
                                           RwModelCapabilities known,
                                           RwModelCapabilities has);
RwModelCapabilities rw_model_get_known_capabilities (RwModel *self);
RwModelCapabilities rw_model_get_capabilities (RwModel    *self);
RwModelCapabilities rw_model_lacks        (RwModel    *self,
                                           RwModelCapabilities needs);
const char *rw_model_capability_name      (RwModelCapabilities capability);
double      rw_model_compute_cost         (RwModel    *self,
                                           gint64      tokens_in,
                                           gint64      tokens_out);

G_END_DECLS
