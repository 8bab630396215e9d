/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

#include "rw-chart-view.h"
#include "rw-interval-bar.h"
#include "rw-ratings-page.h"

/**
 * RwRatingsPage:
 *
 * The Ratings view: for each task, the models ranked by their Bradley-Terry rating from every
 * pairwise outcome stored (votes in the window and with compare, judge verdicts, graded pairs,
 * imports), each rating with its 95% interval drawn on the scale the task's models share; ranks
 * tie where intervals overlap, as `routewise-cli ratings` ranks them. The ratings are computed
 * off the main loop: the bootstrap over many comparisons takes a while.
 */

#define RATINGS_PAGE_BOOTSTRAP 200
#define RATINGS_PAGE_SEED 1

struct _RwRatingsPage
{
  GtkBox parent_instance;

  RwStore *store;
  JsonNode *rated;
  GCancellable *cancellable;
  gboolean busy;

  GtkDropDown *task_dropdown;
  GtkStringList *tasks;
  GtkBox *board;
  GtkStack *stack;
  AdwStatusPage *empty_status;
  GtkLabel *summary;
  GtkDropDown *source_dropdown;
  GtkDropDown *period_dropdown;
  RwChartView *heat;
  char *sources_text;
};

/* The source menu's choices, as the store names them; NULL for all. */
static const char * const source_ids[] = { NULL, "human", "judge", "grader", "import" };
/* The period menu's choices, in days back from today; 0 for all time. */
static const guint period_days[] = { 0, 7, 30, 90 };

G_DEFINE_FINAL_TYPE (RwRatingsPage, rw_ratings_page, GTK_TYPE_BOX)

static JsonObject *
ratings_page_task (RwRatingsPage *self,
                   const char    *name)
{
  JsonArray *tasks = self->rated ? rw_json_object_get_array (json_node_get_object (self->rated),
                                                             "tasks")
                                 : NULL;

  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++)
    {
      JsonObject *t = json_array_get_object_element (tasks, i);
      if (g_strcmp0 (rw_json_object_get_string (t, "task", NULL), name) == 0)
        return t;
    }
  return NULL;
}

static void
ratings_page_clear (RwRatingsPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->board))) != NULL)
    gtk_box_remove (self->board, child);
}

static GtkWidget *
ratings_page_label (const char *text,
                    gboolean    numeric,
                    int         width_chars)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_width_chars (GTK_LABEL (label), width_chars);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

/* The share of its comparisons each model (row) won against each other (column), in the
 * leaderboard's order. */
static void
ratings_page_show_heat (RwRatingsPage *self,
                        JsonObject    *task,
                        JsonArray     *models)
{
  JsonObject *rates = rw_json_object_get_object (task, "win_rates");
  guint n = json_array_get_length (models);
  g_autofree const char **names = g_new0 (const char *, n + 1);
  g_autofree double *values = g_new (double, MAX (n * n, 1));

  for (guint i = 0; i < n; i++)
    names[i] = rw_json_object_get_string (json_array_get_object_element (models, i), "model", "");
  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = rates ? rw_json_object_get_object (rates, names[i]) : NULL;
      for (guint j = 0; j < n; j++)
        values[i * n + j] = row && json_object_has_member (row, names[j])
                              ? json_object_get_double_member (row, names[j]) : NAN;
    }
  rw_chart_clear (rw_chart_view_get_chart (self->heat));
  rw_chart_set_heat (rw_chart_view_get_chart (self->heat), names, names, values);
  rw_chart_view_refresh_table (self->heat);
}

/* The leaderboard of the task chosen. */
static void
ratings_page_show_task (RwRatingsPage *self)
{
  guint i = gtk_drop_down_get_selected (self->task_dropdown);
  const char *name = i != GTK_INVALID_LIST_POSITION && i < g_list_model_get_n_items (G_LIST_MODEL (self->tasks))
                       ? gtk_string_list_get_string (self->tasks, i) : NULL;
  JsonObject *task = name ? ratings_page_task (self, name) : NULL;
  JsonArray *models = task ? rw_json_object_get_array (task, "models") : NULL;
  double lo = INFINITY, hi = -INFINITY;
  g_autofree char *summary = NULL;
  g_autoptr(GtkSizeGroup) names = NULL;
  GtkWidget *group;

  ratings_page_clear (self);
  if (models == NULL || json_array_get_length (models) == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  for (guint m = 0; m < json_array_get_length (models); m++)
    {
      JsonObject *mo = json_array_get_object_element (models, m);
      lo = MIN (lo, rw_json_object_get_double (mo, "ci_low", 1000));
      hi = MAX (hi, rw_json_object_get_double (mo, "ci_high", 1000));
    }
  /* A margin on either side, so that no bar touches the edge. */
  lo -= 10;
  hi += 10;

  /* One width for every row's name, so that the bars share their scale on screen too. */
  names = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);
  group = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (group), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (group, "boxed-list");
  for (guint m = 0; m < json_array_get_length (models); m++)
    {
      JsonObject *mo = json_array_get_object_element (models, m);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *bar;
      g_autofree char *rank = g_strdup_printf ("%" G_GINT64_FORMAT,
                                               rw_json_object_get_int (mo, "rank", 0));
      g_autofree char *rating = g_strdup_printf ("%.0f", rw_json_object_get_double (mo, "rating", 0));
      g_autofree char *interval = g_strdup_printf ("%.0f–%.0f",
                                                   rw_json_object_get_double (mo, "ci_low", 0),
                                                   rw_json_object_get_double (mo, "ci_high", 0));
      /* Translators: pairwise wins and losses of a model, ties counted as half of each */
      g_autofree char *record = g_strdup_printf (_("%.1f won · %.1f lost"),
                                                 rw_json_object_get_double (mo, "wins", 0),
                                                 rw_json_object_get_double (mo, "losses", 0));
      GtkWidget *name_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *name_label = ratings_page_label (rw_json_object_get_string (mo, "model", ""),
                                                  FALSE, 18);
      GtkWidget *record_label = ratings_page_label (record, FALSE, 18);

      g_object_set (row, "margin-top", 8, "margin-bottom", 8, "margin-start", 12,
                    "margin-end", 12, NULL);
      gtk_widget_add_css_class (record_label, "dim-label");
      gtk_widget_add_css_class (record_label, "caption");
      gtk_box_append (GTK_BOX (name_box), name_label);
      gtk_box_append (GTK_BOX (name_box), record_label);
      gtk_size_group_add_widget (names, name_box);
      gtk_box_append (GTK_BOX (row), ratings_page_label (rank, TRUE, 3));
      gtk_box_append (GTK_BOX (row), name_box);
      bar = rw_interval_bar_new (lo, hi, rw_json_object_get_double (mo, "ci_low", 0),
                                 rw_json_object_get_double (mo, "rating", 0),
                                 rw_json_object_get_double (mo, "ci_high", 0));
      gtk_widget_set_hexpand (bar, TRUE);
      gtk_widget_set_tooltip_text (bar, interval);
      gtk_box_append (GTK_BOX (row), bar);
      gtk_box_append (GTK_BOX (row), ratings_page_label (rating, TRUE, 5));
      gtk_box_append (GTK_BOX (row), ratings_page_label (interval, TRUE, 10));
      gtk_list_box_append (GTK_LIST_BOX (group), row);
    }
  gtk_box_append (self->board, group);
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "From %" PRId64 " pairwise outcome. Ranks tie where "
                                          "the 95%% intervals overlap.",
                                          "From %" PRId64 " pairwise outcomes. Ranks tie where "
                                          "the 95%% intervals overlap.",
                                          rw_json_object_get_int (task, "comparisons", 0)),
                             rw_json_object_get_int (task, "comparisons", 0));
  if (self->sources_text != NULL)
    {
      g_autofree char *both = g_strconcat (summary, " ", self->sources_text, NULL);
      gtk_label_set_label (self->summary, both);
    }
  else
    gtk_label_set_label (self->summary, summary);
  ratings_page_show_heat (self, task, models);
  gtk_stack_set_visible_child_name (self->stack, "board");
}

static void
ratings_page_fill_tasks (RwRatingsPage *self)
{
  JsonArray *tasks = rw_json_object_get_array (json_node_get_object (self->rated), "tasks");
  g_autofree char *chosen = NULL;
  guint selected = 0, i = gtk_drop_down_get_selected (self->task_dropdown);

  if (i != GTK_INVALID_LIST_POSITION && i < g_list_model_get_n_items (G_LIST_MODEL (self->tasks)))
    chosen = g_strdup (gtk_string_list_get_string (self->tasks, i));
  g_signal_handlers_block_by_func (self->task_dropdown, ratings_page_show_task, self);
  gtk_string_list_splice (self->tasks, 0, g_list_model_get_n_items (G_LIST_MODEL (self->tasks)),
                          NULL);
  for (guint t = 0; tasks != NULL && t < json_array_get_length (tasks); t++)
    {
      const char *name = rw_json_object_get_string (json_array_get_object_element (tasks, t),
                                                    "task", "");
      gtk_string_list_append (self->tasks, name);
      if (g_strcmp0 (name, chosen) == 0)
        selected = t;
    }
  gtk_drop_down_set_selected (self->task_dropdown, selected);
  g_signal_handlers_unblock_by_func (self->task_dropdown, ratings_page_show_task, self);
}

static void
ratings_page_rate_thread (GTask        *task,
                          gpointer      source,
                          gpointer      data,
                          GCancellable *cancellable)
{
  RwComparisons *comparisons = data;

  g_task_return_pointer (task, rw_comparisons_rate (comparisons, NULL, RATINGS_PAGE_BOOTSTRAP,
                                                    RATINGS_PAGE_SEED),
                         (GDestroyNotify) json_node_unref);
}

static void
ratings_page_rated_cb (GObject      *object,
                       GAsyncResult *res,
                       gpointer      user_data)
{
  RwRatingsPage *self = RW_RATINGS_PAGE (object);
  JsonNode *rated = g_task_propagate_pointer (G_TASK (res), NULL);

  self->busy = FALSE;
  if (rated == NULL)
    return;
  g_clear_pointer (&self->rated, json_node_unref);
  self->rated = rated;
  ratings_page_fill_tasks (self);
  ratings_page_show_task (self);
}

/**
 * rw_ratings_page_reload:
 * @self: the page
 *
 * Rates every pairwise outcome stored, off the main loop, and shows the leaderboards.
 */
void
rw_ratings_page_reload (RwRatingsPage *self)
{
  RwComparisons *comparisons;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  if (self->store == NULL || self->busy)
    return;
  rw_store_flush (self->store, NULL);
  comparisons = rw_comparisons_new ();
  {
    guint si = gtk_drop_down_get_selected (self->source_dropdown);
    guint pi = gtk_drop_down_get_selected (self->period_dropdown);
    const char *one[] = { si < G_N_ELEMENTS (source_ids) ? source_ids[si] : NULL, NULL };
    RwVoteFilter filter = { 0, 0, one[0] ? one : NULL };

    if (pi < G_N_ELEMENTS (period_days) && period_days[pi] > 0)
      {
        g_autofree char *days = g_strdup_printf ("%ud", period_days[pi] - 1);
        rw_usage_parse_date (days, FALSE, &filter.since_ms, NULL);
      }
    if (!rw_comparisons_load_store_filtered (comparisons, self->store, &filter, &error))
      {
        adw_status_page_set_description (self->empty_status, error->message);
        rw_comparisons_free (comparisons);
        return;
      }
  }
  g_clear_pointer (&self->sources_text, g_free);
  /* Translators: where the pairwise outcomes rated come from */
  self->sources_text = g_strdup_printf (_("People %" PRIu64 ", judges %" PRIu64 ", grades %"
                                          PRIu64 ", imports %" PRIu64 "."),
                                        rw_comparisons_get_n_from (comparisons, "human"),
                                        rw_comparisons_get_n_from (comparisons, "judge"),
                                        rw_comparisons_get_n_from (comparisons, "grader"),
                                        rw_comparisons_get_n_from (comparisons, "import"));
  if (rw_comparisons_get_n (comparisons) == 0)
    {
      rw_comparisons_free (comparisons);
      ratings_page_clear (self);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  self->busy = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, ratings_page_rated_cb, NULL);
  g_task_set_task_data (task, comparisons, (GDestroyNotify) rw_comparisons_free);
  g_task_run_in_thread (task, ratings_page_rate_thread);
}

static void
rw_ratings_page_dispose (GObject *object)
{
  RwRatingsPage *self = (RwRatingsPage *) object;

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (rw_ratings_page_parent_class)->dispose (object);
}

static void
rw_ratings_page_finalize (GObject *object)
{
  RwRatingsPage *self = (RwRatingsPage *) object;

  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->tasks);
  g_clear_pointer (&self->rated, json_node_unref);
  g_free (self->sources_text);
  G_OBJECT_CLASS (rw_ratings_page_parent_class)->finalize (object);
}

static void
rw_ratings_page_class_init (RwRatingsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_ratings_page_dispose;
  object_class->finalize = rw_ratings_page_finalize;
}

static void
rw_ratings_page_init (RwRatingsPage *self)
{
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *filters;
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Task"));
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  self->tasks = gtk_string_list_new (NULL);
  self->task_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (g_object_ref (G_LIST_MODEL (self->tasks)),
                                                          NULL));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (self->task_dropdown));
  g_object_set (toolbar, "margin-top", 12, "margin-start", 12, "margin-end", 12, NULL);
  gtk_box_append (GTK_BOX (toolbar), label);
  gtk_box_append (GTK_BOX (toolbar), GTK_WIDGET (self->task_dropdown));
  {
    static const char *sources[] = {
      N_("Every source"), N_("People's votes"), N_("Judges"), N_("Grades"), N_("Imports"), NULL,
    };
    static const char *periods[] = {
      N_("All time"), N_("Last 7 days"), N_("Last 30 days"), N_("Last 90 days"), NULL,
    };
    g_autoptr(GtkStringList) source_names = gtk_string_list_new (NULL);
    g_autoptr(GtkStringList) period_names = gtk_string_list_new (NULL);

    for (guint i = 0; sources[i] != NULL; i++)
      gtk_string_list_append (source_names, _(sources[i]));
    for (guint i = 0; periods[i] != NULL; i++)
      gtk_string_list_append (period_names, _(periods[i]));
    self->source_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (source_names)),
                                                              NULL));
    self->period_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (period_names)),
                                                              NULL));
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->source_dropdown),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Source"), -1);
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->period_dropdown),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Period"), -1);
    g_signal_connect_swapped (self->source_dropdown, "notify::selected",
                              G_CALLBACK (rw_ratings_page_reload), self);
    g_signal_connect_swapped (self->period_dropdown, "notify::selected",
                              G_CALLBACK (rw_ratings_page_reload), self);
    /* The filters go under the task where the window is too narrow for one line. */
    filters = gtk_flow_box_new ();
    gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (filters), GTK_SELECTION_NONE);
    gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (filters), 2);
    gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (filters), 12);
    gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (filters), 6);
    gtk_flow_box_append (GTK_FLOW_BOX (filters), GTK_WIDGET (self->source_dropdown));
    gtk_flow_box_append (GTK_FLOW_BOX (filters), GTK_WIDGET (self->period_dropdown));
  }
  g_object_set (filters, "margin-top", 6, "margin-start", 12, "margin-end", 12, NULL);
  gtk_widget_set_halign (filters, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (self), toolbar);
  gtk_box_append (GTK_BOX (self), filters);
  g_signal_connect_swapped (self->task_dropdown, "notify::selected",
                            G_CALLBACK (ratings_page_show_task), self);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  self->empty_status = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->empty_status, "view-sort-descending-symbolic");
  adw_status_page_set_title (self->empty_status, _("No Ratings Yet"));
  adw_status_page_set_description (self->empty_status,
                                   _("Vote in Compare, or run an evaluation with two or more "
                                     "models: every pairwise outcome rates the models of its "
                                     "task."));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_status), "empty");

  self->board = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 12));
  self->summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->summary, TRUE);
  gtk_label_set_xalign (self->summary, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->summary), "dim-label");
  g_object_set (column, "margin-top", 12, "margin-bottom", 12, "margin-start", 12,
                "margin-end", 12, NULL);
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->board));
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->summary));
  self->heat = rw_chart_view_new (RW_CHART_HEAT,
                                  _("Share of comparisons won, row against column"));
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->heat));
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 960);
  adw_clamp_set_child (ADW_CLAMP (clamp), column);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_stack_add_named (self->stack, scroller, "board");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->stack));

  g_signal_connect (self, "map", G_CALLBACK (rw_ratings_page_reload), NULL);
}

void
rw_ratings_page_set_store (RwRatingsPage *self,
                           RwStore       *store)
{
  g_set_object (&self->store, store);
}

/**
 * rw_ratings_page_get_rated:
 *
 * Returns: (transfer none) (nullable): the ratings shown, as `ratings --json` prints them
 */
JsonNode *
rw_ratings_page_get_rated (RwRatingsPage *self)
{
  return self->rated;
}

gboolean
rw_ratings_page_is_busy (RwRatingsPage *self)
{
  return self->busy;
}
