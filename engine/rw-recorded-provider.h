/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-provider.h"

G_BEGIN_DECLS

#define RW_TYPE_RECORDED_PROVIDER (rw_recorded_provider_get_type ())

G_DECLARE_FINAL_TYPE (RwRecordedProvider, rw_recorded_provider, RW, RECORDED_PROVIDER, RwProvider)

RwProvider *rw_recorded_provider_new       (const char         *id);
void        rw_recorded_provider_set_speed (RwRecordedProvider *self,
                                            double              speed);
double      rw_recorded_provider_get_speed (RwRecordedProvider *self);
char       *rw_recorded_provider_lookup    (RwRecordedProvider *self,
                                            const char         *model_name,
                                            const char         *prompt,
                                            double             *duration_ms);

G_END_DECLS
