/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

char *rw_exporter_export            (JsonObject  *policy,
                                    RwCatalog   *catalog,
                                    const char  *format,
                                    GError     **error);
char *rw_exporter_export_with_notes (JsonObject  *policy,
                                    RwCatalog   *catalog,
                                    const char  *format,
                                    GStrv       *notes,
                                    GError     **error);

G_END_DECLS
