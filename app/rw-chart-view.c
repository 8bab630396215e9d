/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-chart-view.h"
#include "rw-window.h"

/**
 * RwChartView:
 *
 * A chart with its title and what a person does with it: see its numbers as a table (and copy
 * them), or save it as a PNG or SVG file.
 */
struct _RwChartView
{
  GtkBox parent_instance;

  RwChart *chart;
  GtkLabel *title;
  GtkToggleButton *table_button;
  GtkRevealer *revealer;
  GtkLabel *table;
};

G_DEFINE_FINAL_TYPE (RwChartView, rw_chart_view, GTK_TYPE_BOX)


void
rw_chart_view_refresh_table (RwChartView *self)
{
  g_autofree char *table = rw_chart_dup_table (self->chart);

  gtk_label_set_text (self->table, table);
}

static void
chart_view_table_toggled (RwChartView *self)
{
  gboolean on = gtk_toggle_button_get_active (self->table_button);

  if (on)
    rw_chart_view_refresh_table (self);
  gtk_revealer_set_reveal_child (self->revealer, on);
}

static void
chart_view_copy (RwChartView *self)
{
  g_autofree char *table = rw_chart_dup_table (self->chart);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), table);
  rw_window_toast_for (GTK_WIDGET (self), _("Numbers copied"));
}

static void
chart_view_save_response (GtkNativeDialog *dialog,
                          int              response,
                          RwChartView     *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (rw_chart_save (self->chart, path, 900, 500, &error))
        {
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *text = g_strdup_printf (_("Saved as %s"), base);
          rw_window_toast_for (GTK_WIDGET (self), text);
        }
      else
        rw_window_toast_for (GTK_WIDGET (self), error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
chart_view_save (RwChartView *self,
                 const char  *extension)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));
  GtkFileChooserNative *dialog;
  g_autofree char *name = NULL;
  const char *title = rw_chart_get_title (self->chart);

  dialog = gtk_file_chooser_native_new (g_str_equal (extension, "svg") ? _("Save Chart as SVG")
                                                                       : _("Save Chart as PNG"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  name = g_strdup_printf ("%s.%s", title && *title ? title : _("chart"), extension);
  g_strdelimit (name, "/\\:", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (chart_view_save_response),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
chart_view_save_png (RwChartView *self)
{
  chart_view_save (self, "png");
}

static void
chart_view_save_svg (RwChartView *self)
{
  chart_view_save (self, "svg");
}

static void
rw_chart_view_class_init (RwChartViewClass *klass)
{
}

static GtkWidget *
chart_view_button (const char *icon,
                   const char *tooltip)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (b, tooltip);
  gtk_widget_add_css_class (b, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  return b;
}

static void
rw_chart_view_init (RwChartView *self)
{
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *b, *scroll;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);
  gtk_widget_add_css_class (GTK_WIDGET (self), "card");
  gtk_widget_add_css_class (GTK_WIDGET (self), "chart-view");

  self->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title, 0);
  gtk_label_set_wrap (self->title, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "heading");
  gtk_box_append (GTK_BOX (head), GTK_WIDGET (self->title));

  self->table_button = GTK_TOGGLE_BUTTON (gtk_toggle_button_new ());
  gtk_button_set_icon_name (GTK_BUTTON (self->table_button), "view-list-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->table_button), _("Show the numbers as a table"));
  gtk_widget_add_css_class (GTK_WIDGET (self->table_button), "flat");
  g_signal_connect_swapped (self->table_button, "toggled",
                            G_CALLBACK (chart_view_table_toggled), self);
  gtk_box_append (GTK_BOX (head), GTK_WIDGET (self->table_button));
  b = chart_view_button ("edit-copy-symbolic", _("Copy the numbers"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (chart_view_copy), self);
  gtk_box_append (GTK_BOX (head), b);
  b = chart_view_button ("image-x-generic-symbolic", _("Save as PNG…"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (chart_view_save_png), self);
  gtk_box_append (GTK_BOX (head), b);
  b = chart_view_button ("document-save-symbolic", _("Save as SVG…"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (chart_view_save_svg), self);
  gtk_box_append (GTK_BOX (head), b);
  gtk_box_append (GTK_BOX (self), head);

  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  self->table = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_selectable (self->table, TRUE);
  gtk_label_set_xalign (self->table, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->table), "monospace");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->table));
  gtk_revealer_set_child (self->revealer, scroll);
}

/**
 * rw_chart_view_new:
 * @kind: the chart's kind
 * @title: what it shows
 */
RwChartView *
rw_chart_view_new (RwChartKind  kind,
                   const char  *title)
{
  RwChartView *self = g_object_new (RW_TYPE_CHART_VIEW, NULL);

  self->chart = rw_chart_new (kind);
  rw_chart_set_title (self->chart, title);
  gtk_label_set_text (self->title, title);
  gtk_widget_set_vexpand (GTK_WIDGET (self->chart), FALSE);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->chart));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->revealer));
  return self;
}

RwChart *
rw_chart_view_get_chart (RwChartView *self)
{
  return self->chart;
}

void
rw_chart_view_set_table_visible (RwChartView *self,
                                 gboolean     visible)
{
  gtk_toggle_button_set_active (self->table_button, visible);
}
