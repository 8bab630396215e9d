/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-eval.h>

G_BEGIN_DECLS

void     rw_cli_print_error   (const char  *format,
                               ...) G_GNUC_PRINTF (1, 2);
gboolean rw_cli_check_range   (const char  *option,
                               double       value,
                               double       min,
                               double       max,
                               gboolean     above_min);
void     rw_cli_print_json    (JsonNode    *node);
gboolean rw_cli_write_or_print (const char *path,
                               const char  *text);
int      rw_cli_print_report  (RwStore     *store,
                               const char  *run_id,
                               JsonNode    *built,
                               const char  *format,
                               const char  *against);

G_END_DECLS
