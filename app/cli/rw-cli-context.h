/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-eval.h>

#include "rw-cli-command.h"

G_BEGIN_DECLS

int        rw_cli_context_run_command   (const RwCliCommand *command,
                                         int                 argc,
                                         char              **argv);
RwCatalog *rw_cli_context_get_catalog   (RwCliContext       *self);
void       rw_cli_context_discover      (RwCliContext       *self);
RwStore   *rw_cli_context_open_store    (RwCliContext       *self,
                                         GError            **error);
RwStore   *rw_cli_context_get_store     (RwCliContext       *self);
GPtrArray *rw_cli_context_resolve_models (RwCliContext      *self,
                                         const char * const *ids,
                                         gboolean            discover);

G_END_DECLS
