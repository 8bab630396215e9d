/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkGrid *rw_table_new      (int         column_spacing);
void     rw_table_set_cell (GtkGrid    *table,
                            const char *text,
                            int         column,
                            int         row,
                            gboolean    numeric,
                            gboolean    heading);
void     rw_table_clear    (GtkGrid    *table);

G_END_DECLS
