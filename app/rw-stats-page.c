/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

#include "rw-chart-view.h"
#include "rw-stats-page.h"
#include "rw-table.h"

/**
 * RwStatsPage:
 *
 * The Stats view: what the router did over a period, as `routewise-cli stats` reports it:
 * requests and cost per day per model, failure and fallback rates per model and kind of error,
 * latency and time to first token per model, which model won each task, and what the active
 * policy would have cost against what was spent. Computed off the main loop.
 */

struct _RwStatsPage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  JsonNode *stats;
  GCancellable *cancellable;
  gboolean busy;
  gboolean again;

  GtkDropDown *period;
  GtkEntry *since_entry;
  GtkEntry *until_entry;
  GtkLabel *summary;
  GtkLabel *policy_label;
  RwChartView *requests_chart;
  RwChartView *cost_chart;
  RwChartView *latency_chart;
  GtkGrid *models_table;
  GtkGrid *winners_table;
  GtkStack *stack;
};

G_DEFINE_FINAL_TYPE (RwStatsPage, rw_stats_page, GTK_TYPE_BOX)

/* The presets of the period menu, in days back from today; 0 for everything. */
static const guint period_days[] = { 7, 30, 90, 0 };



static char *
stats_page_ms (JsonObject *o,
               const char *member)
{
  if (o == NULL || !json_object_has_member (o, member) || json_object_get_null_member (o, member))
    return g_strdup ("–");
  return g_strdup_printf (_("%.0f ms"), json_object_get_double_member (o, member));
}

/* Days on x, a bar segment per model: the requests, then the cost. */
static void
stats_page_show_days (RwStatsPage *self,
                      JsonObject  *s)
{
  JsonArray *days = rw_json_object_get_array (s, "days");
  JsonArray *models = rw_json_object_get_array (s, "models");
  RwChart *requests = rw_chart_view_get_chart (self->requests_chart);
  RwChart *cost = rw_chart_view_get_chart (self->cost_chart);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint n_days = days ? json_array_get_length (days) : 0;
  guint n_models = models ? json_array_get_length (models) : 0;

  rw_chart_clear (requests);
  rw_chart_clear (cost);
  for (guint d = 0; d < n_days; d++)
    g_ptr_array_add (names, (char *) rw_json_object_get_string (json_array_get_object_element (days, d),
                                                                "day", ""));
  g_ptr_array_add (names, NULL);
  rw_chart_set_categories (requests, (const char * const *) names->pdata);
  rw_chart_set_categories (cost, (const char * const *) names->pdata);
  for (guint m = 0; m < n_models; m++)
    {
      const char *model = rw_json_object_get_string (json_array_get_object_element (models, m),
                                                     "model", "");
      guint rs = rw_chart_add_series (requests, model);
      guint cs = rw_chart_add_series (cost, model);

      for (guint d = 0; d < n_days; d++)
        {
          JsonArray *cells = rw_json_object_get_array (json_array_get_object_element (days, d),
                                                       "models");
          for (guint c = 0; cells != NULL && c < json_array_get_length (cells); c++)
            {
              JsonObject *cell = json_array_get_object_element (cells, c);
              if (g_strcmp0 (rw_json_object_get_string (cell, "model", NULL), model) != 0)
                continue;
              rw_chart_add_point (requests, rs, d, rw_json_object_get_int (cell, "requests", 0),
                                  NULL);
              rw_chart_add_point (cost, cs, d, rw_json_object_get_double (cell, "cost_usd", 0),
                                  NULL);
            }
        }
    }
  rw_chart_view_refresh_table (self->requests_chart);
  rw_chart_view_refresh_table (self->cost_chart);
}

static void
stats_page_show_models (RwStatsPage *self,
                        JsonObject  *s)
{
  JsonArray *models = rw_json_object_get_array (s, "models");
  RwChart *latency = rw_chart_view_get_chart (self->latency_chart);
  static const char *headings[] = {
    N_("Model"), N_("Requests"), N_("Failed"), N_("Fell back"), N_("Errors"),
    N_("Latency p50"), N_("p90"), N_("p99"), N_("First token p50"), N_("Cost"),
  };
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint series;

  rw_table_clear (self->models_table);
  for (guint h = 0; h < G_N_ELEMENTS (headings); h++)
    rw_table_set_cell (self->models_table, _(headings[h]), h, 0, h != 0 && h != 4, TRUE);
  rw_chart_clear (latency);
  for (guint m = 0; models != NULL && m < json_array_get_length (models); m++)
    g_ptr_array_add (names, (char *) rw_json_object_get_string (json_array_get_object_element (models, m),
                                                                "model", ""));
  g_ptr_array_add (names, NULL);
  rw_chart_set_categories (latency, (const char * const *) names->pdata);
  series = rw_chart_add_series (latency, _("Median latency"));
  for (guint m = 0; models != NULL && m < json_array_get_length (models); m++)
    {
      JsonObject *mo = json_array_get_object_element (models, m);
      JsonObject *lat = rw_json_object_get_object (mo, "latency_ms");
      JsonObject *ttft = rw_json_object_get_object (mo, "ttft_ms");
      JsonObject *errors = rw_json_object_get_object (mo, "errors");
      g_autoptr(GList) kinds = errors ? json_object_get_members (errors) : NULL;
      g_autoptr(GString) kind_text = g_string_new (NULL);
      g_autofree char *requests = g_strdup_printf ("%" PRId64, rw_json_object_get_int (mo, "requests", 0));
      g_autofree char *failed = g_strdup_printf ("%.1f%%", 100 * rw_json_object_get_double (mo, "failure_rate", 0));
      g_autofree char *fell = g_strdup_printf ("%.1f%%", 100 * rw_json_object_get_double (mo, "fallback_rate", 0));
      g_autofree char *p50 = stats_page_ms (lat, "p50");
      g_autofree char *p90 = stats_page_ms (lat, "p90");
      g_autofree char *p99 = stats_page_ms (lat, "p99");
      g_autofree char *t50 = stats_page_ms (ttft, "p50");
      g_autofree char *cost = g_strdup_printf ("$%.4f", rw_json_object_get_double (mo, "cost_usd", 0));
      const char *cells[] = { names->pdata[m], requests, failed, fell, NULL, p50, p90, p99, t50, cost };

      for (GList *l = kinds; l != NULL; l = l->next)
        g_string_append_printf (kind_text, "%s%s %" PRId64, kind_text->len ? ", " : "",
                                (char *) l->data, rw_json_object_get_int (errors, l->data, 0));
      cells[4] = kind_text->len ? kind_text->str : "–";
      for (guint c = 0; c < G_N_ELEMENTS (cells); c++)
        rw_table_set_cell (self->models_table, cells[c], c, m + 1, c != 0 && c != 4, FALSE);
      if (lat != NULL && json_object_has_member (lat, "p50"))
        rw_chart_add_interval (latency, series, m, rw_json_object_get_double (lat, "p50", 0),
                               rw_json_object_get_double (lat, "p50", 0),
                               rw_json_object_get_double (lat, "p90", 0), names->pdata[m]);
    }
  rw_chart_view_refresh_table (self->latency_chart);
}

static void
stats_page_show_winners (RwStatsPage *self,
                         JsonObject  *s)
{
  JsonArray *winners = rw_json_object_get_array (s, "winners");

  rw_table_clear (self->winners_table);
  rw_table_set_cell (self->winners_table, _("Task"), 0, 0, FALSE, TRUE);
  rw_table_set_cell (self->winners_table, _("Won by"), 1, 0, FALSE, TRUE);
  rw_table_set_cell (self->winners_table, _("Wins"), 2, 0, TRUE, TRUE);
  rw_table_set_cell (self->winners_table, _("Losses"), 3, 0, TRUE, TRUE);
  for (guint i = 0; winners != NULL && i < json_array_get_length (winners); i++)
    {
      JsonObject *w = json_array_get_object_element (winners, i);
      g_autofree char *wins = g_strdup_printf ("%" PRId64, rw_json_object_get_int (w, "wins", 0));
      g_autofree char *losses = g_strdup_printf ("%" PRId64, rw_json_object_get_int (w, "losses", 0));

      rw_table_set_cell (self->winners_table, rw_json_object_get_string (w, "task", ""), 0, i + 1,
                       FALSE, FALSE);
      rw_table_set_cell (self->winners_table, rw_json_object_get_string (w, "model", ""), 1, i + 1,
                       FALSE, FALSE);
      rw_table_set_cell (self->winners_table, wins, 2, i + 1, TRUE, FALSE);
      rw_table_set_cell (self->winners_table, losses, 3, i + 1, TRUE, FALSE);
    }
}

static void
stats_page_show (RwStatsPage *self)
{
  JsonObject *s = json_node_get_object (self->stats);
  JsonObject *policy = rw_json_object_get_object (s, "policy");
  g_autofree char *summary = NULL;
  g_autofree char *policy_text = NULL;

  if (rw_json_object_get_int (s, "attempts", 0) == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "stats");
  summary = g_strdup_printf (_("%" PRId64 " requests, %" PRId64 " attempts, %" PRId64
                               " failed, %" PRId64 " fell back; $%.4f spent."),
                             rw_json_object_get_int (s, "requests", 0),
                             rw_json_object_get_int (s, "attempts", 0),
                             rw_json_object_get_int (s, "failures", 0),
                             rw_json_object_get_int (s, "fallbacks", 0),
                             rw_json_object_get_double (s, "cost_usd", 0));
  gtk_label_set_text (self->summary, summary);
  if (policy != NULL)
    policy_text = g_strdup_printf (_("The active policy “%s” would have cost $%.4f for %" PRId64
                                     " of the %" PRId64 " requests, against $%.4f spent."),
                                   rw_json_object_get_string (policy, "name", ""),
                                   rw_json_object_get_double (policy, "would_cost_usd", 0),
                                   rw_json_object_get_int (policy, "priced_requests", 0),
                                   rw_json_object_get_int (policy, "requests", 0),
                                   rw_json_object_get_double (policy, "spent_usd", 0));
  else
    policy_text = g_strdup (_("No policy is active, so there is nothing to set against what "
                              "was spent."));
  gtk_label_set_text (self->policy_label, policy_text);
  stats_page_show_days (self, s);
  stats_page_show_models (self, s);
  stats_page_show_winners (self, s);
}

typedef struct
{
  RwStore *store;
  RwCatalog *catalog;
  RwUsagePeriod period;
} StatsJob;

static void
stats_job_free (StatsJob *job)
{
  g_object_unref (job->store);
  g_clear_object (&job->catalog);
  g_free (job);
}

static void
stats_page_thread (GTask        *task,
                   gpointer      source,
                   gpointer      data,
                   GCancellable *cancellable)
{
  StatsJob *job = data;
  GError *error = NULL;
  g_autofree char *name = NULL;
  g_autoptr(RwPolicy) policy = rw_policy_new_from_store (job->store, NULL, &name, NULL);
  JsonNode *stats = rw_usage_stats_compute (job->store, &job->period, job->catalog, policy, name,
                                            &error);

  if (stats == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stats, (GDestroyNotify) json_node_unref);
}

static void
stats_page_computed_cb (GObject      *object,
                        GAsyncResult *res,
                        gpointer      user_data)
{
  RwStatsPage *self = RW_STATS_PAGE (object);
  g_autoptr(GError) error = NULL;
  JsonNode *stats = g_task_propagate_pointer (G_TASK (res), &error);

  self->busy = FALSE;
  if (stats != NULL)
    {
      g_clear_pointer (&self->stats, json_node_unref);
      self->stats = stats;
      stats_page_show (self);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_text (self->summary, error->message);
  if (self->again)
    {
      self->again = FALSE;
      rw_stats_page_reload (self);
    }
}

/* The period the menu or the two dates give; %FALSE with a message for a date not understood. */
static gboolean
stats_page_period (RwStatsPage   *self,
                   RwUsagePeriod *period,
                   GError       **error)
{
  const char *since = gtk_editable_get_text (GTK_EDITABLE (self->since_entry));
  const char *until = gtk_editable_get_text (GTK_EDITABLE (self->until_entry));
  guint i = gtk_drop_down_get_selected (self->period);

  *period = (RwUsagePeriod) { 0 };
  if (*since != '\0' || *until != '\0')
    return (*since == '\0' || rw_usage_parse_date (since, FALSE, &period->since_ms, error)) &&
           (*until == '\0' || rw_usage_parse_date (until, TRUE, &period->until_ms, error));
  if (i < G_N_ELEMENTS (period_days) && period_days[i] > 0)
    {
      g_autofree char *days = g_strdup_printf ("%ud", period_days[i] - 1);
      return rw_usage_parse_date (days, FALSE, &period->since_ms, error);
    }
  return TRUE;
}

/**
 * rw_stats_page_reload:
 *
 * Computes the stats of the period chosen again, off the main loop.
 */
void
rw_stats_page_reload (RwStatsPage *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  StatsJob *job;

  if (self->store == NULL)
    return;
  if (self->busy)
    {
      self->again = TRUE;
      return;
    }
  job = g_new0 (StatsJob, 1);
  if (!stats_page_period (self, &job->period, &error))
    {
      gtk_label_set_text (self->summary, error->message);
      g_free (job);
      return;
    }
  rw_store_flush (self->store, NULL);
  job->store = g_object_ref (self->store);
  job->catalog = self->catalog ? g_object_ref (self->catalog) : NULL;
  self->busy = TRUE;
  task = g_task_new (self, self->cancellable, stats_page_computed_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) stats_job_free);
  g_task_run_in_thread (task, stats_page_thread);
}

gboolean
rw_stats_page_is_busy (RwStatsPage *self)
{
  return self->busy;
}

JsonNode *
rw_stats_page_get_stats (RwStatsPage *self)
{
  return self->stats;
}

void
rw_stats_page_set_period (RwStatsPage *self,
                          const char  *since,
                          const char  *until)
{
  gtk_editable_set_text (GTK_EDITABLE (self->since_entry), since ? since : "");
  gtk_editable_set_text (GTK_EDITABLE (self->until_entry), until ? until : "");
  rw_stats_page_reload (self);
}

static void
rw_stats_page_dispose (GObject *object)
{
  RwStatsPage *self = RW_STATS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (rw_stats_page_parent_class)->dispose (object);
}

static void
rw_stats_page_finalize (GObject *object)
{
  RwStatsPage *self = RW_STATS_PAGE (object);

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->stats, json_node_unref);
  G_OBJECT_CLASS (rw_stats_page_parent_class)->finalize (object);
}

static void
rw_stats_page_class_init (RwStatsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_stats_page_dispose;
  object_class->finalize = rw_stats_page_finalize;
}

static GtkWidget *
stats_page_group (const char *title,
                  GtkWidget  *child)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), child);
  return group;
}


static void
rw_stats_page_init (RwStatsPage *self)
{
  static const char *periods[] = {
    N_("Last 7 days"), N_("Last 30 days"), N_("Last 90 days"), N_("All time"), NULL,
  };
  g_autoptr(GtkStringList) period_names = gtk_string_list_new (NULL);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *empty, *hscroll;

  self->cancellable = g_cancellable_new ();
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  for (guint i = 0; periods[i] != NULL; i++)
    gtk_string_list_append (period_names, _(periods[i]));
  self->period = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (period_names)),
                                                   NULL));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->period), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Period"), -1);
  g_signal_connect_swapped (self->period, "notify::selected",
                            G_CALLBACK (rw_stats_page_reload), self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->period));
  /* Dates of one's own in a popover: the bar fits the narrowest window. */
  {
    GtkWidget *dates = gtk_menu_button_new ();
    GtkWidget *popover = gtk_popover_new ();
    GtkWidget *grid = gtk_grid_new ();
    GtkWidget *apply = gtk_button_new_with_mnemonic (_("_Show"));

    gtk_menu_button_set_label (GTK_MENU_BUTTON (dates), _("Dates"));
    gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
    gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
    self->since_entry = GTK_ENTRY (gtk_entry_new ());
    gtk_entry_set_placeholder_text (self->since_entry, _("From (YYYY-MM-DD)"));
    gtk_editable_set_width_chars (GTK_EDITABLE (self->since_entry), 16);
    g_signal_connect_swapped (self->since_entry, "activate", G_CALLBACK (rw_stats_page_reload),
                              self);
    gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->since_entry), 0, 0, 1, 1);
    self->until_entry = GTK_ENTRY (gtk_entry_new ());
    gtk_entry_set_placeholder_text (self->until_entry, _("To (YYYY-MM-DD)"));
    gtk_editable_set_width_chars (GTK_EDITABLE (self->until_entry), 16);
    g_signal_connect_swapped (self->until_entry, "activate", G_CALLBACK (rw_stats_page_reload),
                              self);
    gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->until_entry), 0, 1, 1, 1);
    gtk_widget_add_css_class (apply, "suggested-action");
    g_signal_connect_swapped (apply, "clicked", G_CALLBACK (rw_stats_page_reload), self);
    gtk_grid_attach (GTK_GRID (grid), apply, 0, 2, 1, 1);
    gtk_popover_set_child (GTK_POPOVER (popover), grid);
    gtk_menu_button_set_popover (GTK_MENU_BUTTON (dates), popover);
    gtk_box_append (GTK_BOX (bar), dates);
  }
  gtk_widget_set_margin_top (bar, 12);
  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_halign (bar, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (self), bar);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  empty = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "power-profile-balanced-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Nothing Asked in This Period"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
    _("Comparisons, evaluations and the endpoint's requests are counted here."));
  gtk_stack_add_named (self->stack, empty, "empty");

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1100);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  self->summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->summary, TRUE);
  gtk_label_set_xalign (self->summary, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->summary), "title-4");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->summary));
  self->policy_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->policy_label, TRUE);
  gtk_label_set_xalign (self->policy_label, 0);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->policy_label));

  self->requests_chart = rw_chart_view_new (RW_CHART_BARS, _("Requests per day"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->requests_chart), _("Day"), _("Requests"));
  rw_chart_set_format (rw_chart_view_get_chart (self->requests_chart), NULL, "%.0f");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->requests_chart));
  self->cost_chart = rw_chart_view_new (RW_CHART_BARS, _("Cost per day"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->cost_chart), _("Day"), _("Cost (US$)"));
  rw_chart_set_format (rw_chart_view_get_chart (self->cost_chart), NULL, "%.4g");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->cost_chart));

  self->models_table = rw_table_new (18);
  /* Ten columns scroll sideways in a narrow window rather than widen it. */
  hscroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (hscroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (hscroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (hscroll), GTK_WIDGET (self->models_table));
  gtk_box_append (GTK_BOX (box), stats_page_group (_("Per Model"), hscroll));
  self->latency_chart = rw_chart_view_new (RW_CHART_BARS,
                                           _("Latency per model: median, up to the 90th percentile"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->latency_chart), _("Model"),
                     _("Latency (ms)"));
  rw_chart_set_format (rw_chart_view_get_chart (self->latency_chart), NULL, "%.0f");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->latency_chart));
  self->winners_table = rw_table_new (18);
  gtk_box_append (GTK_BOX (box), stats_page_group (_("Which Model Won Each Task"),
                                                   GTK_WIDGET (self->winners_table)));

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), clamp);
  gtk_stack_add_named (self->stack, scroll, "stats");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->stack));
  g_signal_connect (self, "map", G_CALLBACK (rw_stats_page_reload), NULL);
}

void
rw_stats_page_set_engine (RwStatsPage *self,
                          RwCatalog   *catalog,
                          RwStore     *store)
{
  g_set_object (&self->catalog, catalog);
  g_set_object (&self->store, store);
}
