/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

char     *rw_template_render   (const char  *template,
                                JsonObject  *vars,
                                GError     **error);
gboolean  rw_template_has_tags (const char  *text);

G_END_DECLS
