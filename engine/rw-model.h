/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_MODEL (rw_model_get_type ())

G_DECLARE_FINAL_TYPE (RwModel, rw_model, RW, MODEL, GObject)

RwModel    *rw_model_new                  (const char *id,
                                           const char *provider_id,
                                           const char *upstream_name);
const char *rw_model_get_id               (RwModel    *self);
const char *rw_model_get_provider_id      (RwModel    *self);
const char *rw_model_get_upstream_name    (RwModel    *self);
const char *rw_model_get_display_name     (RwModel    *self);
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
double      rw_model_compute_cost         (RwModel    *self,
                                           gint64      tokens_in,
                                           gint64      tokens_out);

G_END_DECLS
