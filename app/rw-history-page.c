/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rw-history-page.h"

/**
 * RwHistoryPage:
 *
 * The History view: every comparison, the latest first, grouped by day, each with its prompt,
 * models, vote and cost. A search looks through prompts and answers (the store's full-text
 * index); filters keep one model, one task, a period, or the voted or unvoted ones. A
 * comparison opens again, read-only, in the Compare view; it can be deleted; what is listed
 * exports as JSON, CSV or Markdown, as `history export` writes them.
 */

/* The most comparisons listed at once: a search or a filter finds older ones. */
#define HISTORY_PAGE_LIMIT 500

struct _RwHistoryPage
{
  GtkBox parent_instance;

  RwStore *store;
  GPtrArray *listed;            /* RwStoredComparison */
  char *model;                  /* the filters' values, kept for the query */
  char *task;
  char *query;
  gboolean reloading;

  GtkLabel *count_label;
  GtkDropDown *date_dropdown;
  GtkBox *days_box;
  AdwStatusPage *empty_status;
  GtkDropDown *model_dropdown;
  GtkSearchEntry *search_entry;
  GtkStack *stack;
  GtkDropDown *task_dropdown;
  GtkDropDown *vote_dropdown;
};

enum {
  COMPARISON_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwHistoryPage, rw_history_page, GTK_TYPE_BOX)

/* The item a dropdown shows, or %NULL for its first, "all" item. */
static const char *
history_page_dropdown_choice (GtkDropDown *dropdown)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (i == 0 || i == GTK_INVALID_LIST_POSITION)
    return NULL;
  return gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (dropdown)), i);
}

/* Fills a dropdown with "all" and @values, keeping what was chosen when it is still there. */
static void
history_page_fill_dropdown (GtkDropDown *dropdown,
                            const char  *all,
                            GPtrArray   *values)
{
  g_autofree char *chosen = g_strdup (history_page_dropdown_choice (dropdown));
  GtkStringList *list = gtk_string_list_new (NULL);
  guint selected = 0;

  gtk_string_list_append (list, all);
  for (guint i = 0; values != NULL && i < values->len; i++)
    {
      gtk_string_list_append (list, values->pdata[i]);
      if (g_strcmp0 (chosen, values->pdata[i]) == 0)
        selected = i + 1;
    }
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (dropdown, selected);
  g_object_unref (list);
}

static void
history_page_load_facets (RwHistoryPage *self)
{
  g_autoptr(GPtrArray) models = rw_store_list_compared_models (self->store, NULL);
  g_autoptr(GPtrArray) tasks = rw_store_list_compared_tasks (self->store, NULL);

  history_page_fill_dropdown (self->model_dropdown, _("All Models"), models);
  history_page_fill_dropdown (self->task_dropdown, _("All Tasks"), tasks);
}

/* The filter the search entry and the dropdowns describe. */
static void
history_page_get_filter (RwHistoryPage   *self,
                         RwHistoryFilter *filter)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  static const int days_back[] = { 0, 0, 6, 29 };
  guint period = gtk_drop_down_get_selected (self->date_dropdown);
  guint vote = gtk_drop_down_get_selected (self->vote_dropdown);

  g_free (self->query);
  g_free (self->model);
  g_free (self->task);
  self->query = g_strstrip (g_strdup (text));
  self->model = g_strdup (history_page_dropdown_choice (self->model_dropdown));
  self->task = g_strdup (history_page_dropdown_choice (self->task_dropdown));

  *filter = (RwHistoryFilter) {
    .query = *self->query != '\0' ? self->query : NULL,
    .model = self->model,
    .task = self->task,
    .voted = vote == 1 ? 1 : vote == 2 ? 0 : -1,
    .limit = HISTORY_PAGE_LIMIT,
  };
  if (period > 0 && period < G_N_ELEMENTS (days_back))
    {
      g_autoptr(GDateTime) since = g_date_time_add_days (midnight, -days_back[period]);
      filter->since_ms = g_date_time_to_unix (since) * 1000;
    }
}

/* "Today", "Yesterday", or the date. */
static char *
history_page_format_day (GDateTime *when)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  int days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (when);

  if (g_date_time_get_year (now) == g_date_time_get_year (when))
    {
      if (days == 0)
        return g_strdup (_("Today"));
      if (days == 1)
        return g_strdup (_("Yesterday"));
      /* Translators: a day in this year, see g_date_time_format() */
      return g_date_time_format (when, _("%A, %e %B"));
    }
  /* Translators: a day in another year, see g_date_time_format() */
  return g_date_time_format (when, _("%A, %e %B %Y"));
}

/* The prompt on one line, cut at @max characters. */
static char *
history_page_one_line (const char *text,
                       guint       max)
{
  g_autofree char *copy = g_strdup (text ? text : "");
  GString *out = g_string_new (NULL);
  guint n = 0;

  for (char *p = copy; *p != '\0' && n < max; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isspace (c))
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
        }
      else
        g_string_append_unichar (out, c);
    }
  if (n == max)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static char *
history_page_describe (RwStoredComparison *c)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (c->created_ms / 1000);
  g_autofree char *time = g_date_time_format (when, "%H:%M");
  g_autofree char *models = g_strjoinv (", ", c->models);
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, "%s · %s", time, models);
  if (c->winner == NULL)
    g_string_append_printf (s, " · %s", _("not voted"));
  else if (g_str_equal (c->winner, "tie"))
    g_string_append_printf (s, " · %s", _("tie"));
  else if (g_str_equal (c->winner, "both_bad"))
    g_string_append_printf (s, " · %s", _("both bad"));
  else
    {
      g_string_append (s, " · ");
      /* Translators: %s is the model a person voted for */
      g_string_append_printf (s, _("%s won"), c->winner);
    }
  if (!isnan (c->cost_usd))
    g_string_append_printf (s, " · $%.4f", c->cost_usd);
  if (g_strcmp0 (c->status, "done") != 0)
    g_string_append_printf (s, " · %s", c->status);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
history_page_on_row_activated (AdwActionRow  *row,
                               RwHistoryPage *self)
{
  g_signal_emit (self, signals[COMPARISON_ACTIVATED], 0,
                 g_object_get_data (G_OBJECT (row), "comparison-id"));
}

static GtkWidget *
history_page_create_row (RwHistoryPage      *self,
                         RwStoredComparison *c)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *delete = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *title = history_page_one_line (c->prompt, 120);
  g_autofree char *subtitle = history_page_describe (c);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "comparison-id", g_strdup (c->id), g_free);
  g_signal_connect (row, "activated", G_CALLBACK (history_page_on_row_activated), self);

  gtk_widget_set_valign (delete, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (delete, "flat");
  gtk_widget_set_tooltip_text (delete, _("Delete this comparison"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (delete), "history.delete");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (delete), "s", c->id);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), delete);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  return row;
}

static void
history_page_clear (RwHistoryPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->days_box))) != NULL)
    gtk_box_remove (self->days_box, child);
}

static void
history_page_show (RwHistoryPage         *self,
                   const RwHistoryFilter *filter)
{
  AdwPreferencesGroup *group = NULL;
  g_autofree char *group_day = NULL;
  g_autofree char *count = NULL;
  guint n = self->listed->len;

  history_page_clear (self);
  for (guint i = 0; i < n; i++)
    {
      RwStoredComparison *c = self->listed->pdata[i];
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (c->created_ms / 1000);
      g_autofree char *day = history_page_format_day (when);

      if (group == NULL || g_strcmp0 (day, group_day) != 0)
        {
          group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
          adw_preferences_group_set_title (group, day);
          gtk_box_append (self->days_box, GTK_WIDGET (group));
          g_free (group_day);
          group_day = g_steal_pointer (&day);
        }
      adw_preferences_group_add (group, history_page_create_row (self, c));
    }

  if (n == 0)
    {
      gboolean filtered = filter->query != NULL || filter->model != NULL || filter->task != NULL
                          || filter->voted >= 0 || filter->since_ms > 0;

      adw_status_page_set_title (self->empty_status, filtered ? _("No Matches")
                                                              : _("No Comparisons Yet"));
      adw_status_page_set_description (self->empty_status,
                                       filtered ? _("No comparison holds these words or "
                                                    "passes these filters.")
                                                : _("Every comparison made in the Compare "
                                                    "view is listed here, with its answers "
                                                    "and its vote."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "list");

  if (n >= HISTORY_PAGE_LIMIT)
    count = g_strdup_printf (_("The latest %u comparisons; search or filter to find older ones"),
                             n);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u comparison", "%u comparisons", n),
                             n);
  gtk_label_set_label (self->count_label, count);
}

/* Lists the comparisons the search and the filters pick, from what the store holds now. */
static void
history_page_list (RwHistoryPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  RwHistoryFilter filter;

  history_page_get_filter (self, &filter);
  found = rw_store_list_history (self->store, &filter, &error);
  if (found == NULL)
    {
      g_warning ("history: %s", error->message);
      found = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_stored_comparison_free);
    }
  g_clear_pointer (&self->listed, g_ptr_array_unref);
  self->listed = g_steal_pointer (&found);
  history_page_show (self, &filter);
}

/* A change of the search or a filter lists again. It comes here, not to
 * rw_history_page_reload(): refilling a dropdown while it tells of its choice would have it
 * tell again, without end. What the Compare view has just queued is written first, so that
 * it is listed. */
static void
history_page_relist (RwHistoryPage *self)
{
  if (self->store == NULL || self->reloading)
    return;
  self->reloading = TRUE;
  rw_store_flush (self->store, NULL);
  history_page_list (self);
  self->reloading = FALSE;
}

/**
 * rw_history_page_reload:
 * @self: the page
 *
 * Lists the comparisons again, with what the store has been given up to now, and the models
 * and tasks the filters offer.
 */
void
rw_history_page_reload (RwHistoryPage *self)
{
  if (self->store == NULL || self->reloading)
    return;
  self->reloading = TRUE;
  rw_store_flush (self->store, NULL);
  history_page_load_facets (self);
  history_page_list (self);
  self->reloading = FALSE;
}

/**
 * rw_history_page_delete:
 * @self: the page
 * @id: a comparison
 *
 * Deletes the comparison with its answers and votes, and lists the others.
 */
void
rw_history_page_delete (RwHistoryPage *self,
                        const char    *id)
{
  rw_store_delete_comparison (self->store, id);
  rw_history_page_reload (self);
}

static void
history_page_on_delete_response (AdwMessageDialog *dialog,
                                 const char       *response,
                                 RwHistoryPage    *self)
{
  if (g_str_equal (response, "delete"))
    rw_history_page_delete (self, g_object_get_data (G_OBJECT (dialog), "comparison-id"));
}

static void
history_page_delete_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  RwHistoryPage *self = RW_HISTORY_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (root),
                                                       _("Delete This Comparison?"),
                                                       _("Its answers and its vote are deleted "
                                                         "too, and no longer count in the "
                                                         "ratings.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "comparison-id",
                          g_variant_dup_string (param, NULL), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (history_page_on_delete_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  RwStore *store;
  RwHistoryFilter filter;       /* its strings are the job's own, below */
  char *query;
  char *model;
  char *task;
  char *format;
  GFile *file;
} HistoryExport;

static void
history_export_free (HistoryExport *job)
{
  g_clear_object (&job->store);
  g_free (job->query);
  g_free (job->model);
  g_free (job->task);
  g_free (job->format);
  g_clear_object (&job->file);
  g_free (job);
}

/* Read and written on a thread: a long history is megabytes of answers. */
static void
history_page_export_thread (GTask        *task,
                            gpointer      source,
                            gpointer      data,
                            GCancellable *cancellable)
{
  HistoryExport *job = data;
  g_autofree char *text = NULL;
  GError *error = NULL;

  if ((text = rw_history_export (job->store, &job->filter, job->format, &error)) == NULL ||
      !g_file_replace_contents (job->file, text, strlen (text), NULL, FALSE,
                                G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * rw_history_page_export_async:
 * @self: the page
 * @format: "json", "csv" or "md"
 * @file: where to write
 * @callback: called once it is written, or could not be
 * @user_data: data for @callback
 *
 * Writes the comparisons listed (every one of them, not only the page shown), with their
 * answers, as `history export` does, read and written on a thread.
 */
void
rw_history_page_export_async (RwHistoryPage       *self,
                              const char          *format,
                              GFile               *file,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  HistoryExport *job;

  if (self->store == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_STORE, "%s",
                               _("The database could not be opened"));
      return;
    }
  job = g_new0 (HistoryExport, 1);
  history_page_get_filter (self, &job->filter);
  job->query = g_strdup (job->filter.query);
  job->model = g_strdup (job->filter.model);
  job->task = g_strdup (job->filter.task);
  job->filter.query = job->query;
  job->filter.model = job->model;
  job->filter.task = job->task;
  job->filter.limit = 0;
  job->filter.offset = 0;
  job->store = g_object_ref (self->store);
  job->format = g_strdup (format);
  job->file = g_object_ref (file);
  g_task_set_task_data (task, job, (GDestroyNotify) history_export_free);
  g_task_run_in_thread (task, history_page_export_thread);
}

/**
 * rw_history_page_export_finish:
 *
 * Returns: whether the file was written
 */
gboolean
rw_history_page_export_finish (RwHistoryPage  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
history_page_exported (GObject      *object,
                       GAsyncResult *result,
                       gpointer      data)
{
  RwHistoryPage *self = RW_HISTORY_PAGE (object);
  g_autoptr(GError) error = NULL;
  GtkWidget *window;

  if (rw_history_page_export_finish (self, result, &error))
    return;
  window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_APPLICATION_WINDOW);
  if (window != NULL)
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (window), _("Export Failed"),
                                                  NULL);

      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
history_page_on_export_response (GtkNativeDialog *chooser,
                                 int              response,
                                 RwHistoryPage   *self)
{
  const char *format = g_object_get_data (G_OBJECT (chooser), "format");
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  if (response == GTK_RESPONSE_ACCEPT && file != NULL)
    rw_history_page_export_async (self, format, file, history_page_exported, NULL);
  g_object_unref (chooser);
}

static void
history_page_export_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  RwHistoryPage *self = RW_HISTORY_PAGE (widget);
  const char *format = g_variant_get_string (param, NULL);
  g_autofree char *name = g_strdup_printf ("routewise-history.%s", format);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export History"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data_full (G_OBJECT (chooser), "format", g_strdup (format), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (history_page_on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
history_page_on_map (RwHistoryPage *self)
{
  rw_history_page_reload (self);
}

static void
rw_history_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), RW_TYPE_HISTORY_PAGE);
  G_OBJECT_CLASS (rw_history_page_parent_class)->dispose (object);
}

static void
rw_history_page_finalize (GObject *object)
{
  RwHistoryPage *self = (RwHistoryPage *) object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->listed, g_ptr_array_unref);
  g_clear_pointer (&self->query, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->task, g_free);
  G_OBJECT_CLASS (rw_history_page_parent_class)->finalize (object);
}

static void
rw_history_page_class_init (RwHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rw_history_page_dispose;
  object_class->finalize = rw_history_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/routewise/Routewise/rw-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, date_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, days_box);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, empty_status);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, task_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RwHistoryPage, vote_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, history_page_relist);

  gtk_widget_class_install_action (widget_class, "history.delete", "s",
                                   history_page_delete_action);
  gtk_widget_class_install_action (widget_class, "history.export", "s",
                                   history_page_export_action);

  /**
   * RwHistoryPage::comparison-activated:
   * @id: the comparison's id
   *
   * The user asked to see a comparison again.
   */
  signals[COMPARISON_ACTIVATED] =
    g_signal_new ("comparison-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
rw_history_page_init (RwHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->listed = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_stored_comparison_free);
  g_signal_connect (self, "map", G_CALLBACK (history_page_on_map), NULL);
  g_signal_connect_swapped (self->model_dropdown, "notify::selected",
                            G_CALLBACK (history_page_relist), self);
  g_signal_connect_swapped (self->task_dropdown, "notify::selected",
                            G_CALLBACK (history_page_relist), self);
  g_signal_connect_swapped (self->date_dropdown, "notify::selected",
                            G_CALLBACK (history_page_relist), self);
  g_signal_connect_swapped (self->vote_dropdown, "notify::selected",
                            G_CALLBACK (history_page_relist), self);
}

/**
 * rw_history_page_set_store:
 * @self: the page
 * @store: (nullable): the database; without it the page lists nothing
 */
void
rw_history_page_set_store (RwHistoryPage *self,
                           RwStore       *store)
{
  g_set_object (&self->store, store);
  if (store == NULL)
    {
      adw_status_page_set_title (self->empty_status, _("History Is Not Available"));
      adw_status_page_set_description (self->empty_status,
                                       _("The database could not be opened, so comparisons "
                                         "are not kept."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
      gtk_widget_set_sensitive (GTK_WIDGET (self->search_entry), FALSE);
    }
}

/**
 * rw_history_page_set_search:
 * @self: the page
 * @text: words to look for
 *
 * Lists the comparisons that hold every word of @text (or a word it starts), as typing it into
 * the search would.
 */
void
rw_history_page_set_search (RwHistoryPage *self,
                            const char    *text)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  history_page_relist (self);
}

/**
 * rw_history_page_get_listed:
 * @self: the page
 *
 * Returns: (transfer none) (element-type RwStoredComparison): the comparisons listed
 */
GPtrArray *
rw_history_page_get_listed (RwHistoryPage *self)
{
  return self->listed;
}
