/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RW_TYPE_INTERVAL_BAR (rw_interval_bar_get_type ())

G_DECLARE_FINAL_TYPE (RwIntervalBar, rw_interval_bar, RW, INTERVAL_BAR, GtkWidget)

GtkWidget *rw_interval_bar_new (double scale_low,
                                double scale_high,
                                double low,
                                double value,
                                double high);

G_END_DECLS
