/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-provider.h"

G_BEGIN_DECLS

#define RW_TYPE_GEMINI_PROVIDER (rw_gemini_provider_get_type ())

G_DECLARE_FINAL_TYPE (RwGeminiProvider, rw_gemini_provider, RW, GEMINI_PROVIDER, RwProvider)

RwProvider *rw_gemini_provider_new (const char *id,
                                    const char *base_url,
                                    const char *api_key_env);

G_END_DECLS
