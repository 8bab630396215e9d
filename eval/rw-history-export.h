/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

extern const char * const rw_history_export_formats[];

JsonNode *rw_history_comparison_to_json (RwStoredComparison    *comparison,
                                         GPtrArray             *answers);
char     *rw_history_export             (RwStore               *store,
                                         const RwHistoryFilter *filter,
                                         const char            *format,
                                         GError               **error);

G_END_DECLS
