/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

JsonNode *rw_yaml_parse (const char  *data,
                         gsize        length,
                         const char  *origin,
                         GError     **error);

G_END_DECLS
