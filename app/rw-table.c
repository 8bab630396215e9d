/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-table.h"

/* A table of figures as the views show them (a report's rows, the stats per model, a held-out
 * evaluation): selectable labels on a card, the first column taking the width left, numbers
 * right-aligned in tabular figures. */

/**
 * rw_table_new:
 * @column_spacing: pixels between columns
 *
 * Returns: (transfer floating): an empty table
 */
GtkGrid *
rw_table_new (int column_spacing)
{
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());

  gtk_grid_set_column_spacing (grid, column_spacing);
  gtk_grid_set_row_spacing (grid, 6);
  gtk_widget_add_css_class (GTK_WIDGET (grid), "card");
  gtk_widget_add_css_class (GTK_WIDGET (grid), "evaluation-table");
  return grid;
}

/**
 * rw_table_set_cell:
 * @numeric: right-aligned, in tabular figures
 * @heading: in the heading style
 */
void
rw_table_set_cell (GtkGrid    *table,
                   const char *text,
                   int         column,
                   int         row,
                   gboolean    numeric,
                   gboolean    heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, column == 0);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  gtk_grid_attach (table, label, column, row, 1, 1);
}

void
rw_table_clear (GtkGrid *table)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (table))) != NULL)
    gtk_grid_remove (table, child);
}
