/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>
#include "rw-outcome.h"

G_BEGIN_DECLS

JsonNode *rw_offline_evaluate           (GPtrArray   *outcomes,
                                        JsonObject  *policy,
                                        guint        folds,
                                        const char  *strong,
                                        const char  *weak,
                                        GError     **error);
JsonNode *rw_offline_evaluate_cancellable (GPtrArray    *outcomes,
                                           JsonObject   *policy,
                                           guint         folds,
                                           const char   *strong,
                                           const char   *weak,
                                           GCancellable *cancellable,
                                           GError      **error);
char     *rw_offline_evaluation_to_text (JsonNode   *evaluation);

G_END_DECLS
