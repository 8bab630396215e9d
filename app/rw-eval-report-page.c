/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

#include "rw-chart-view.h"
#include "rw-eval-report-page.h"
#include "rw-json.h"
#include "rw-table.h"
#include "rw-window.h"

/**
 * RwEvalReportPage:
 *
 * An evaluation's report, as `routewise-cli eval report` builds it: per model and per task the
 * pass rate with its 95% interval, cost and latency percentiles; the paired comparisons with
 * their sign test; set against an earlier run on demand; exported as HTML, Markdown, CSV or
 * JSON, the same text the command writes.
 */

struct _RwEvalReportPage
{
  GtkBox parent_instance;

  RwStore *store;
  char *run_id;
  JsonNode *report;
  GPtrArray *earlier_ids;

  GtkLabel *title;
  GtkGrid *rows_table;
  GtkGrid *pairs_table;
  RwChartView *pass_chart;
  RwChartView *latency_chart;
  GtkDropDown *against;
  GtkStringList *against_names;
  GtkLabel *comparison;
};

G_DEFINE_FINAL_TYPE (RwEvalReportPage, rw_eval_report_page, GTK_TYPE_BOX)

static const struct
{
  const char *id;
  const char *label;
  const char *extension;
} report_formats[] = {
  { "html", N_("HTML"), "html" },
  { "md", N_("Markdown"), "md" },
  { "csv", N_("CSV"), "csv" },
  { "json", N_("JSON"), "json" },
};




/**
 * rw_eval_report_page_dup_text:
 * @format: "html", "md", "csv" or "json"
 *
 * Returns: (transfer full) (nullable): the report shown, as `eval report --format` writes it
 */
char *
rw_eval_report_page_dup_text (RwEvalReportPage *self,
                              const char       *format)
{
  if (self->report == NULL)
    return NULL;
  if (g_str_equal (format, "json"))
    return rw_json_to_string (self->report, TRUE);
  if (g_str_equal (format, "csv"))
    return rw_eval_report_to_csv (self->report);
  if (g_str_equal (format, "html"))
    return rw_eval_report_to_html (self->report);
  {
    g_autofree char *table = rw_eval_report_to_markdown (self->report);
    g_autofree char *comparison = rw_eval_report_comparison_to_markdown (self->report);
    return g_strconcat (table, comparison, NULL);
  }
}

static void
report_page_show (RwEvalReportPage *self)
{
  JsonObject *r = json_node_get_object (self->report);
  JsonArray *rows = rw_json_object_get_array (r, "rows");
  JsonArray *pairs = rw_json_object_get_array (r, "pairs");
  JsonObject *params = rw_json_object_get_object (r, "params");
  RwChart *pass = rw_chart_view_get_chart (self->pass_chart);
  RwChart *latency = rw_chart_view_get_chart (self->latency_chart);
  static const char *headings[] = {
    N_("Model"), N_("Task"), N_("Passed"),
    /* xgettext:no-c-format */
    N_("Pass rate (95% interval)"), N_("Cost"),
    N_("Latency p50"), N_("p90"), N_("Failed"),
  };
  g_autoptr(GPtrArray) models = g_ptr_array_new ();
  g_autofree char *title = NULL;
  guint pass_series, lat_series;
  int line = 1;

  title = g_strdup_printf (_("Run %s · %s · %s"), self->run_id,
                           rw_json_object_get_string (params, "suite", "?"),
                           rw_json_object_get_string (r, "status", "?"));
  gtk_label_set_text (self->title, title);

  rw_table_clear (self->rows_table);
  for (guint h = 0; h < G_N_ELEMENTS (headings); h++)
    rw_table_set_cell (self->rows_table, _(headings[h]), h, 0, h >= 2, TRUE);
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      if (g_strcmp0 (rw_json_object_get_string (row, "task", NULL), "all") == 0)
        g_ptr_array_add (models, (char *) rw_json_object_get_string (row, "model", ""));
    }
  g_ptr_array_add (models, NULL);

  rw_chart_clear (pass);
  rw_chart_clear (latency);
  rw_chart_set_categories (pass, (const char * const *) models->pdata);
  rw_chart_set_categories (latency, (const char * const *) models->pdata);
  pass_series = rw_chart_add_series (pass, _("Pass rate"));
  lat_series = rw_chart_add_series (latency, _("Median latency"));
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *task = rw_json_object_get_string (row, "task", "");
      g_autofree char *passed = g_strdup_printf ("%" PRId64 "/%" PRId64,
                                                 rw_json_object_get_int (row, "passed", 0),
                                                 rw_json_object_get_int (row, "n", 0));
      g_autofree char *rate = g_strdup_printf ("%.1f%% (%.1f–%.1f)",
                                               100 * rw_json_object_get_double (row, "pass_rate", 0),
                                               100 * rw_json_object_get_double (row, "ci_low", 0),
                                               100 * rw_json_object_get_double (row, "ci_high", 0));
      g_autofree char *cost = g_strdup_printf ("$%.4f", rw_json_object_get_double (row, "cost_usd", 0));
      g_autofree char *p50 = g_strdup_printf (_("%.3g ms"), rw_json_object_get_double (row, "latency_p50_ms", NAN));
      g_autofree char *p90 = g_strdup_printf (_("%.3g ms"), rw_json_object_get_double (row, "latency_p90_ms", NAN));
      g_autofree char *failed = g_strdup_printf ("%" PRId64, rw_json_object_get_int (row, "failed", 0));
      const char *cells[] = { rw_json_object_get_string (row, "model", ""), task, passed, rate,
                              cost, p50, p90, failed };

      for (guint c = 0; c < G_N_ELEMENTS (cells); c++)
        rw_table_set_cell (self->rows_table, cells[c], c, line, c >= 2, g_str_equal (task, "all"));
      line++;
      if (g_str_equal (task, "all"))
        {
          guint m = 0;
          while (models->pdata[m] != NULL && g_strcmp0 (models->pdata[m], cells[0]) != 0)
            m++;
          rw_chart_add_interval (pass, pass_series, m,
                                 100 * rw_json_object_get_double (row, "pass_rate", 0),
                                 100 * rw_json_object_get_double (row, "ci_low", 0),
                                 100 * rw_json_object_get_double (row, "ci_high", 0), cells[0]);
          rw_chart_add_interval (latency, lat_series, m,
                                 rw_json_object_get_double (row, "latency_p50_ms", 0),
                                 rw_json_object_get_double (row, "latency_p25_ms", 0),
                                 rw_json_object_get_double (row, "latency_p90_ms", 0), cells[0]);
        }
    }
  rw_chart_view_refresh_table (self->pass_chart);
  rw_chart_view_refresh_table (self->latency_chart);

  rw_table_clear (self->pairs_table);
  rw_table_set_cell (self->pairs_table, _("Model A"), 0, 0, FALSE, TRUE);
  rw_table_set_cell (self->pairs_table, _("Model B"), 1, 0, FALSE, TRUE);
  rw_table_set_cell (self->pairs_table, _("By"), 2, 0, FALSE, TRUE);
  rw_table_set_cell (self->pairs_table, _("A better · B better · as good"), 3, 0, TRUE, TRUE);
  rw_table_set_cell (self->pairs_table, _("Sign test p"), 4, 0, TRUE, TRUE);
  for (guint i = 0; pairs != NULL && i < json_array_get_length (pairs); i++)
    {
      JsonObject *p = json_array_get_object_element (pairs, i);
      g_autofree char *record = g_strdup_printf ("%" PRId64 " · %" PRId64 " · %" PRId64,
                                                 rw_json_object_get_int (p, "wins", 0),
                                                 rw_json_object_get_int (p, "losses", 0),
                                                 rw_json_object_get_int (p, "ties", 0));
      g_autofree char *pv = g_strdup_printf ("%.3g", rw_json_object_get_double (p, "sign_test_p", NAN));

      rw_table_set_cell (self->pairs_table, rw_json_object_get_string (p, "model_a", ""), 0, i + 1,
                        FALSE, FALSE);
      rw_table_set_cell (self->pairs_table, rw_json_object_get_string (p, "model_b", ""), 1, i + 1,
                        FALSE, FALSE);
      rw_table_set_cell (self->pairs_table, rw_json_object_get_string (p, "source", ""), 2, i + 1,
                        FALSE, FALSE);
      rw_table_set_cell (self->pairs_table, record, 3, i + 1, TRUE, FALSE);
      rw_table_set_cell (self->pairs_table, pv, 4, i + 1, TRUE, FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->pairs_table),
                          pairs != NULL && json_array_get_length (pairs) > 0);
}

/* The earlier runs to set this one against. */
static void
report_page_fill_against (RwEvalReportPage *self)
{
  g_autoptr(GPtrArray) runs = rw_store_list_runs (self->store, "eval", FALSE, 50, NULL);

  g_ptr_array_set_size (self->earlier_ids, 0);
  gtk_string_list_splice (self->against_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->against_names)), NULL);
  gtk_string_list_append (self->against_names, _("No earlier run"));
  g_ptr_array_add (self->earlier_ids, NULL);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      RwStoredRun *run = runs->pdata[i];
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (run->created_ms / 1000);
      g_autofree char *when = g_date_time_format (t, "%x %X");
      g_autofree char *name = NULL;

      if (g_strcmp0 (run->id, self->run_id) == 0)
        continue;
      name = g_strdup_printf (_("Against the run of %s"), when);
      gtk_string_list_append (self->against_names, name);
      g_ptr_array_add (self->earlier_ids, g_strdup (run->id));
    }
  gtk_drop_down_set_selected (self->against, 0);
}

/**
 * rw_eval_report_page_compare_with:
 * @earlier_id: (nullable): another run; %NULL for none
 *
 * Sets the report against an earlier run's, model by model, as `eval report --against` does.
 *
 * Returns: %TRUE when both reports were built
 */
gboolean
rw_eval_report_page_compare_with (RwEvalReportPage  *self,
                                  const char        *earlier_id,
                                  GError           **error)
{
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(JsonNode) earlier = NULL;
  g_autofree char *text = NULL;

  if ((report = rw_eval_report_build (self->store, self->run_id, error)) == NULL)
    return FALSE;
  if (earlier_id != NULL)
    {
      if ((earlier = rw_eval_report_build (self->store, earlier_id, error)) == NULL)
        return FALSE;
      rw_eval_report_add_comparison (report, earlier);
      text = rw_eval_report_comparison_to_markdown (report);
    }
  g_clear_pointer (&self->report, json_node_unref);
  self->report = g_steal_pointer (&report);
  gtk_label_set_text (self->comparison, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->comparison), text != NULL && *text != '\0');
  report_page_show (self);
  return TRUE;
}

static void
report_page_against_changed (RwEvalReportPage *self)
{
  guint i = gtk_drop_down_get_selected (self->against);
  g_autoptr(GError) error = NULL;

  if (self->run_id == NULL || i >= self->earlier_ids->len)
    return;
  if (!rw_eval_report_page_compare_with (self, self->earlier_ids->pdata[i], &error))
    rw_window_toast_for (GTK_WIDGET (self), error->message);
}

/**
 * rw_eval_report_page_show_run:
 *
 * Returns: %TRUE when the run's report was built and shown
 */
gboolean
rw_eval_report_page_show_run (RwEvalReportPage  *self,
                              const char        *run_id,
                              GError           **error)
{
  g_free (self->run_id);
  self->run_id = g_strdup (run_id);
  rw_store_flush (self->store, NULL);
  g_signal_handlers_block_by_func (self->against, report_page_against_changed, self);
  report_page_fill_against (self);
  g_signal_handlers_unblock_by_func (self->against, report_page_against_changed, self);
  return rw_eval_report_page_compare_with (self, NULL, error);
}

static void
report_page_export_response (GtkNativeDialog  *dialog,
                             int               response,
                             RwEvalReportPage *self)
{
  const char *format = g_object_get_data (G_OBJECT (dialog), "format");
  g_autoptr(GFile) file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (text = rw_eval_report_page_dup_text (self, format)) != NULL)
    {
      if (g_file_replace_contents (file, text, strlen (text), NULL, FALSE,
                                   G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, &error))
        rw_window_toast_for (GTK_WIDGET (self), _("Report exported"));
      else
        rw_window_toast_for (GTK_WIDGET (self), error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
report_page_export_clicked (GtkButton        *button,
                            RwEvalReportPage *self)
{
  guint f = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "format"));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autofree char *name = g_strdup_printf ("report-%s.%s", self->run_id ? self->run_id : "run",
                                           report_formats[f].extension);
  GtkWidget *popover = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_POPOVER);

  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
  dialog = gtk_file_chooser_native_new (_("Export Report"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_object_set_data (G_OBJECT (dialog), "format", (gpointer) report_formats[f].id);
  g_signal_connect (dialog, "response", G_CALLBACK (report_page_export_response),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
rw_eval_report_page_finalize (GObject *object)
{
  RwEvalReportPage *self = RW_EVAL_REPORT_PAGE (object);

  g_clear_object (&self->store);
  g_clear_object (&self->against_names);
  g_free (self->run_id);
  g_clear_pointer (&self->report, json_node_unref);
  g_ptr_array_unref (self->earlier_ids);
  G_OBJECT_CLASS (rw_eval_report_page_parent_class)->finalize (object);
}

static void
rw_eval_report_page_class_init (RwEvalReportPageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_eval_report_page_finalize;
}


static void
rw_eval_report_page_init (RwEvalReportPage *self)
{
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *export = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *menu = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scroll;

  self->earlier_ids = g_ptr_array_new_with_free_func (g_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);

  self->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title, 0);
  gtk_label_set_wrap (self->title, TRUE);
  gtk_label_set_wrap_mode (self->title, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (self->title, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "title-4");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->title));
  self->against_names = gtk_string_list_new (NULL);
  self->against = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->against_names)),
                                                    NULL));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->against), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Set against an earlier run"), -1);
  g_signal_connect_swapped (self->against, "notify::selected",
                            G_CALLBACK (report_page_against_changed), self);
  gtk_box_append (GTK_BOX (head), GTK_WIDGET (self->against));
  gtk_menu_button_set_label (GTK_MENU_BUTTON (export), _("Export"));
  for (guint f = 0; f < G_N_ELEMENTS (report_formats); f++)
    {
      GtkWidget *item = gtk_button_new_with_label (_(report_formats[f].label));
      gtk_widget_add_css_class (item, "flat");
      g_object_set_data (G_OBJECT (item), "format", GUINT_TO_POINTER (f));
      g_signal_connect (item, "clicked", G_CALLBACK (report_page_export_clicked), self);
      gtk_box_append (GTK_BOX (menu), item);
    }
  gtk_popover_set_child (GTK_POPOVER (popover), menu);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (export), popover);
  gtk_box_append (GTK_BOX (head), export);
  gtk_box_append (GTK_BOX (self), head);

  self->rows_table = rw_table_new (18);
  scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->rows_table));
  gtk_box_append (GTK_BOX (self), scroll);

  self->pass_chart = rw_chart_view_new (RW_CHART_BARS,
                                        /* xgettext:no-c-format */
                                        _("Pass rate per model, with its 95% interval"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->pass_chart), _("Model"), _("Passed (%)"));
  rw_chart_set_format (rw_chart_view_get_chart (self->pass_chart), NULL, "%.1f");
  rw_chart_set_y_range (rw_chart_view_get_chart (self->pass_chart), 0, 100);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->pass_chart));
  self->latency_chart = rw_chart_view_new (RW_CHART_BARS,
                                           _("Median latency per model, 25th to 90th percentile"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->latency_chart), _("Model"),
                     _("Latency (ms)"));
  rw_chart_set_format (rw_chart_view_get_chart (self->latency_chart), NULL, "%.3g");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->latency_chart));

  self->pairs_table = rw_table_new (18);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->pairs_table));
  self->comparison = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_selectable (self->comparison, TRUE);
  gtk_label_set_xalign (self->comparison, 0);
  gtk_label_set_wrap (self->comparison, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->comparison), "monospace");
  gtk_widget_set_visible (GTK_WIDGET (self->comparison), FALSE);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->comparison));
}

RwEvalReportPage *
rw_eval_report_page_new (RwStore *store)
{
  RwEvalReportPage *self = g_object_new (RW_TYPE_EVAL_REPORT_PAGE, NULL);

  self->store = g_object_ref (store);
  return self;
}

JsonNode *
rw_eval_report_page_get_report (RwEvalReportPage *self)
{
  return self->report;
}
