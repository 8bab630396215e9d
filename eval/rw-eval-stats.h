/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

double    rw_sign_test              (guint        wins,
                                     guint        losses);
void      rw_wilson_interval        (guint        passed,
                                     guint        n,
                                     double      *low,
                                     double      *high);

G_END_DECLS
