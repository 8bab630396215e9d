/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-provider.h"

G_BEGIN_DECLS

#define RW_TYPE_ANTHROPIC_PROVIDER (rw_anthropic_provider_get_type ())

G_DECLARE_FINAL_TYPE (RwAnthropicProvider, rw_anthropic_provider, RW, ANTHROPIC_PROVIDER, RwProvider)

RwProvider *rw_anthropic_provider_new (const char *id,
                                    const char *base_url,
                                    const char *api_key_env);

G_END_DECLS
