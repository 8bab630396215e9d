/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-preferences-window.h"
#include "rw-window.h"

/**
 * RwWindow:
 *
 * The main window: a header with the view switcher (a bar at the bottom when the window is
 * narrow) over the views, Compare, History and Ratings, and the toasts every view shows. The window
 * keeps its size, whether it was maximised and the view last shown in GSettings.
 */
struct _RwWindow
{
  AdwApplicationWindow parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  GSettings *settings;

  gboolean quitting;       /* closing once the running comparison is stopped and stored */

  RwComparePage *compare_page;
  RwHistoryPage *history_page;
  RwRatingsPage *ratings_page;
  RwEndpointPage *endpoint_page;
  RwPoliciesPage *policies_page;
  RwStatsPage *stats_page;
  RwEvaluatePage *evaluate_page;
  AdwToastOverlay *toast_overlay;
  AdwViewStack *view_stack;

  /* The active policy is read on a thread, once for Compare and the endpoint: a learned one is
   * megabytes of JSON. Only the latest read is used. */
  guint policy_reads;          /* reads started */
  guint policy_reading;        /* reads not yet back */
  /* Which policy is active, as last read: another process (routewise-cli policy activate,
   * serve's owner) may make another one active, which the window follows. */
  char *active_policy_id;
  guint follow_source;
};

/* How often the window asks the database which policy is active. */
#define FOLLOW_INTERVAL_S 2

G_DEFINE_FINAL_TYPE (RwWindow, rw_window, ADW_TYPE_APPLICATION_WINDOW)

/* A toast's title is Pango markup: text from elsewhere (a file name, "<data>:1:105") is
 * escaped, or it shows as nothing. */
static AdwToast *
window_toast_new (const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  return adw_toast_new (escaped);
}

/**
 * rw_window_add_toast:
 * @self: a #RwWindow
 * @text: what to say, as plain text
 *
 * Shows @text in a toast for a few seconds.
 */
void
rw_window_add_toast (RwWindow   *self,
                     const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, window_toast_new (text));
}

/**
 * rw_window_toast_for:
 * @widget: a widget inside a #RwWindow
 * @text: what to say, as plain text
 *
 * Shows @text in a toast of the window that holds @widget; nothing when none does.
 */
void
rw_window_toast_for (GtkWidget  *widget,
                     const char *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (widget, RW_TYPE_WINDOW);

  if (window != NULL)
    rw_window_add_toast (RW_WINDOW (window), text);
}

/**
 * rw_window_show_error:
 * @self: a #RwWindow
 * @message: what went wrong, as plain text
 *
 * Shows @message in a toast that stays long enough to be read, first in the queue, and then
 * goes, so that it never hides the toasts after it.
 */
void
rw_window_show_error (RwWindow   *self,
                      const char *message)
{
  AdwToast *t = window_toast_new (message);

  adw_toast_set_timeout (t, 15);
  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
window_on_stopped_close (RwWindow *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
window_on_quit_response (AdwMessageDialog *dialog,
                         const char       *response,
                         RwWindow         *self)
{
  if (!g_str_equal (response, "quit"))
    return;
  /* The answers that finished are stored with the others, stopped, before the window goes. */
  self->quitting = TRUE;
  g_signal_connect_object (self->compare_page, "compare-finished",
                           G_CALLBACK (window_on_stopped_close), self, G_CONNECT_SWAPPED);
  gtk_widget_activate_action (GTK_WIDGET (self->compare_page), "compare.stop", NULL);
}

/* D10: closing while answers stream asks first. */
static void
window_ask_before_closing (RwWindow *self)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Stop the Comparison and Quit?"),
                                                       _("Answers are still coming in. The ones "
                                                         "that finished are kept, and so is "
                                                         "what the others said so far.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Keep Answering"),
                                    "quit", _("_Stop and Quit"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "quit", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (window_on_quit_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The size is kept as the user left it, not as a maximised window has it. */
static gboolean
window_close_request (GtkWindow *window)
{
  RwWindow *self = RW_WINDOW (window);
  int width, height;

  if (rw_compare_page_is_running (self->compare_page))
    {
      if (!self->quitting)
        window_ask_before_closing (self);
      return TRUE;
    }

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);
  return GTK_WINDOW_CLASS (rw_window_parent_class)->close_request (window);
}

static void
window_on_visible_child_changed (RwWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->view_stack);

  if (name != NULL)
    g_settings_set_string (self->settings, "last-view", name);
}

static void
window_show_view_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  rw_window_set_view (RW_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* A comparison picked in the History view opens, read-only, in the Compare view. */
static void
window_on_comparison_activated (RwWindow   *self,
                                const char *id)
{
  g_autoptr(GError) error = NULL;

  if (rw_compare_page_show_stored (self->compare_page, id, &error))
    rw_window_set_view (self, "compare");
  else
    rw_window_show_error (self, error->message);
}

/* A long job ended while the window was not in front: a desktop notification says so, and
 * activating it brings the window back on the view of the job. */
static void
window_notify_job (RwWindow   *self,
                   const char *view,
                   const char *title,
                   const char *body)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr(GNotification) notification = NULL;

  if (app == NULL || gtk_window_is_active (GTK_WINDOW (self)))
    return;
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-view", "s", view);
  g_application_send_notification (app, view, notification);
}

static void
window_on_evaluation_finished (RwWindow   *self,
                               const char *status)
{
  g_autofree char *body = NULL;

  if (g_strcmp0 (status, "done") == 0)
    body = g_strdup (_("Every answer is in; the report is ready."));
  else if (g_strcmp0 (status, "stopped") == 0)
    body = g_strdup (_("Stopped before passing its budget; it can be resumed."));
  else if (g_strcmp0 (status, "cancelled") == 0)
    return;
  else
    body = g_strdup_printf (_("It ended as %s; it can be resumed."), status);
  window_notify_job (self, "evaluate", _("Evaluation Finished"), body);
}

static void
window_on_policy_evaluated (RwWindow *self)
{
  window_notify_job (self, "policies", _("Policy Evaluated"),
                     _("The held-out evaluation of the policy is ready."));
}

static void
window_preferences_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  RwWindow *self = RW_WINDOW (widget);
  RwPreferencesWindow *prefs = rw_preferences_window_new (GTK_WINDOW (self), self->catalog);

  gtk_window_present (GTK_WINDOW (prefs));
}

static void
rw_window_dispose (GObject *object)
{
  /* A read still under way is dropped when it comes back. */
  RW_WINDOW (object)->policy_reads++;
  g_clear_handle_id (&RW_WINDOW (object)->follow_source, g_source_remove);
  /* The action follows the setting, which outlives the window in other windows' settings. */
  g_action_map_remove_action (G_ACTION_MAP (object), "blind-mode");
  gtk_widget_dispose_template (GTK_WIDGET (object), RW_TYPE_WINDOW);
  G_OBJECT_CLASS (rw_window_parent_class)->dispose (object);
}

static void
rw_window_finalize (GObject *object)
{
  RwWindow *self = (RwWindow *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_free (self->active_policy_id);
  G_OBJECT_CLASS (rw_window_parent_class)->finalize (object);
}

static void
rw_window_class_init (RwWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = rw_window_dispose;
  object_class->finalize = rw_window_finalize;
  window_class->close_request = window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/routewise/Routewise/rw-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RwWindow, compare_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, history_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, ratings_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, endpoint_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, policies_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, stats_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, evaluate_page);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RwWindow, view_stack);

  gtk_widget_class_install_action (widget_class, "win.show-view", "s", window_show_view_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL,
                                   window_preferences_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "win.preferences", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-view",
                                       "s", "compare");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-view",
                                       "s", "history");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-view",
                                       "s", "ratings");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-view",
                                       "s", "evaluate");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK, "win.show-view",
                                       "s", "policies");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_6, GDK_ALT_MASK, "win.show-view",
                                       "s", "endpoint");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_7, GDK_ALT_MASK, "win.show-view",
                                       "s", "stats");

  g_type_ensure (RW_TYPE_COMPARE_PAGE);
  g_type_ensure (RW_TYPE_HISTORY_PAGE);
  g_type_ensure (RW_TYPE_RATINGS_PAGE);
  g_type_ensure (RW_TYPE_ENDPOINT_PAGE);
  g_type_ensure (RW_TYPE_POLICIES_PAGE);
  g_type_ensure (RW_TYPE_STATS_PAGE);
  g_type_ensure (RW_TYPE_EVALUATE_PAGE);
}

static void
rw_window_init (RwWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  /* Blind mode is a setting; its action drives the menu's check item. */
  {
    g_autoptr(GAction) blind = g_settings_create_action (self->settings, "blind-mode");
    g_action_map_add_action (G_ACTION_MAP (self), blind);
  }
}

typedef struct
{
  RwStore *store;
  guint read;                  /* which of the window's reads */
  RwPolicy *policy;
  char *name;
  GError *error;
} PolicyRead;

static void
policy_read_free (PolicyRead *read)
{
  g_clear_object (&read->store);
  g_clear_object (&read->policy);
  g_free (read->name);
  g_clear_error (&read->error);
  g_free (read);
}

static void
window_policy_read_thread (GTask        *task,
                           gpointer      source,
                           gpointer      data,
                           GCancellable *cancellable)
{
  PolicyRead *read = data;

  read->policy = rw_policy_new_from_store (read->store, NULL, &read->name, &read->error);
  g_task_return_boolean (task, TRUE);
}

static void
window_policy_read (GObject      *object,
                    GAsyncResult *result,
                    gpointer      data)
{
  RwWindow *self = RW_WINDOW (object);
  PolicyRead *read = g_task_get_task_data (G_TASK (result));

  self->policy_reading--;
  if (read->read != self->policy_reads)
    return;
  rw_compare_page_set_policy (self->compare_page, read->policy);
  rw_endpoint_page_set_policy (self->endpoint_page, read->policy, read->name, read->error);
}

/**
 * rw_window_reload_policy:
 * @self: a #RwWindow
 *
 * Reads which policy is active again, on a thread: Compare names a prompt's task by it and the
 * endpoint routes routewise/auto by it once it is read.
 */
void
rw_window_reload_policy (RwWindow *self)
{
  g_autoptr(GTask) task = NULL;
  PolicyRead *read;

  self->policy_reads++;
  if (self->store == NULL)
    return;
  g_clear_pointer (&self->active_policy_id, g_free);
  rw_store_get_active_policy_id (self->store, &self->active_policy_id, NULL);
  read = g_new0 (PolicyRead, 1);
  read->store = g_object_ref (self->store);
  read->read = self->policy_reads;
  self->policy_reading++;
  task = g_task_new (self, NULL, window_policy_read, NULL);
  g_task_set_task_data (task, read, (GDestroyNotify) policy_read_free);
  g_task_run_in_thread (task, window_policy_read_thread);
}

/* Another process made another policy active (or none): read it, and list the kept policies
 * again where they show. */
static gboolean
window_follow_active_policy (gpointer data)
{
  RwWindow *self = data;
  g_autofree char *id = NULL;

  if (!rw_store_get_active_policy_id (self->store, &id, NULL) ||
      g_strcmp0 (id, self->active_policy_id) == 0)
    return G_SOURCE_CONTINUE;
  rw_window_reload_policy (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self->policies_page)))
    rw_policies_page_reload (self->policies_page);
  return G_SOURCE_CONTINUE;
}

/**
 * rw_window_is_reading_policy:
 * @self: a #RwWindow
 *
 * Returns: whether a read of the active policy is under way
 */
gboolean
rw_window_is_reading_policy (RwWindow *self)
{
  return self->policy_reading > 0;
}

/**
 * rw_window_new:
 * @app: (nullable): the application
 * @catalog: the model catalog
 * @store: (nullable): the database; without it nothing is saved and votes are not offered
 *
 * Returns: (transfer full): a new window, on the view it showed last
 */
RwWindow *
rw_window_new (GtkApplication *app,
               RwCatalog      *catalog,
               RwStore        *store)
{
  RwWindow *self = g_object_new (RW_TYPE_WINDOW, "application", app, NULL);
  g_autofree char *view = NULL;

  self->catalog = g_object_ref (catalog);
  self->store = store ? g_object_ref (store) : NULL;
  rw_compare_page_set_engine (self->compare_page, catalog, store);
  rw_history_page_set_store (self->history_page, store);
  rw_ratings_page_set_store (self->ratings_page, store);
  rw_endpoint_page_set_engine (self->endpoint_page, catalog, store);
  rw_policies_page_set_engine (self->policies_page, catalog, store);
  rw_stats_page_set_engine (self->stats_page, catalog, store);
  rw_evaluate_page_set_engine (self->evaluate_page, catalog, store);
  g_signal_connect_swapped (self->policies_page, "active-policy-changed",
                            G_CALLBACK (rw_window_reload_policy), self);
  rw_window_reload_policy (self);
  if (store != NULL)
    self->follow_source = g_timeout_add_seconds (FOLLOW_INTERVAL_S, window_follow_active_policy,
                                                 self);
  g_signal_connect_swapped (self->policies_page, "evaluated",
                            G_CALLBACK (window_on_policy_evaluated), self);
  g_signal_connect_swapped (self->evaluate_page, "finished",
                            G_CALLBACK (window_on_evaluation_finished), self);
  g_signal_connect_swapped (self->history_page, "comparison-activated",
                            G_CALLBACK (window_on_comparison_activated), self);

  view = g_settings_get_string (self->settings, "last-view");
  rw_window_set_view (self, view);
  g_signal_connect_swapped (self->view_stack, "notify::visible-child",
                            G_CALLBACK (window_on_visible_child_changed), self);
  return self;
}

/**
 * rw_window_get_compare_page:
 * @self: the window
 *
 * Returns: (transfer none): the Compare view
 */
RwComparePage *
rw_window_get_compare_page (RwWindow *self)
{
  return self->compare_page;
}

/**
 * rw_window_get_history_page:
 * @self: the window
 *
 * Returns: (transfer none): the History view
 */
RwHistoryPage *
rw_window_get_history_page (RwWindow *self)
{
  return self->history_page;
}

/**
 * rw_window_get_ratings_page:
 * @self: the window
 *
 * Returns: (transfer none): the Ratings view
 */
RwRatingsPage *
rw_window_get_ratings_page (RwWindow *self)
{
  return self->ratings_page;
}

/**
 * rw_window_get_endpoint_page:
 * @self: the window
 *
 * Returns: (transfer none): the Endpoint view
 */
RwEndpointPage *
rw_window_get_endpoint_page (RwWindow *self)
{
  return self->endpoint_page;
}

/**
 * rw_window_get_policies_page:
 * @self: the window
 *
 * Returns: (transfer none): the Policies view
 */
RwPoliciesPage *
rw_window_get_policies_page (RwWindow *self)
{
  return self->policies_page;
}

/**
 * rw_window_get_stats_page:
 * @self: the window
 *
 * Returns: (transfer none): the Stats view
 */
RwStatsPage *
rw_window_get_stats_page (RwWindow *self)
{
  return self->stats_page;
}

/**
 * rw_window_get_evaluate_page:
 * @self: the window
 *
 * Returns: (transfer none): the Evaluate view
 */
RwEvaluatePage *
rw_window_get_evaluate_page (RwWindow *self)
{
  return self->evaluate_page;
}

/**
 * rw_window_set_view:
 * @self: the window
 * @name: a view's name: "compare", "history" or "ratings"; another shows Compare
 *
 * Shows the view named @name.
 */
void
rw_window_set_view (RwWindow   *self,
                    const char *name)
{
  if (name == NULL || adw_view_stack_get_child_by_name (self->view_stack, name) == NULL)
    name = "compare";
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

const char *
rw_window_get_view (RwWindow *self)
{
  return adw_view_stack_get_visible_child_name (self->view_stack);
}
