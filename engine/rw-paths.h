/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

char *rw_paths_config_dir     (void);
char *rw_paths_data_dir       (void);
char *rw_paths_providers_file (void);
char *rw_paths_database_file  (void);

G_END_DECLS
