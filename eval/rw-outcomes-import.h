/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>
#include "rw-outcome.h"

G_BEGIN_DECLS

GPtrArray *rw_outcomes_parse (RwCatalog   *catalog,
                              const char  *name,
                              const char  *data,
                              gsize        length,
                              GError     **error);
GPtrArray *rw_outcomes_read (RwCatalog   *catalog,
                             const char  *path,
                             GError     **error);
char *rw_outcomes_import (RwStore     *store,
                          RwCatalog   *catalog,
                          const char  *path,
                          guint       *n_items,
                          GError     **error);

G_END_DECLS
