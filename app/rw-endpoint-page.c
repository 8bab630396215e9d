/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "rw-endpoint-page.h"
#include "rw-window.h"

/**
 * RwEndpointPage:
 *
 * The Endpoint view: the local OpenAI-compatible endpoint, served from the app's own process
 * while it runs. A switch starts and stops it; its address, its port and its bearer token (to
 * copy, or to replace with a new one) are shown with the policy that routewise/auto routes by;
 * a log lists each request as it is answered: when, the model asked, the model that served,
 * the task, the status, the latency, the cost and the fallbacks taken.
 */

#define ENDPOINT_LOG_MAX 500

struct _RwEndpointPage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  GSettings *settings;
  RwRouter *router;
  RwServer *server;
  char *run_id;
  RwRunHold *run_hold;
  RwPolicy *policy;             /* the active one, read by the window */
  gboolean policy_known;        /* whether the window's read has come back */
  char *policy_name;
  guint n_logged;
  gboolean syncing;

  GtkSwitch *serve_switch;
  AdwActionRow *serve_row;
  GtkSpinButton *port_spin;
  AdwActionRow *address_row;
  AdwActionRow *token_row;
  AdwActionRow *policy_row;
  GtkListBox *log;
  GtkStack *log_stack;
  GtkLabel *log_summary;
  guint n_failed;
};

G_DEFINE_FINAL_TYPE (RwEndpointPage, rw_endpoint_page, GTK_TYPE_BOX)

static char *
endpoint_page_token_path (void)
{
  g_autofree char *dir = rw_paths_config_dir ();

  return g_build_filename (dir, "token", NULL);
}


static void
endpoint_page_sync (RwEndpointPage *self)
{
  gboolean running = self->server != NULL;
  g_autofree char *address = NULL;

  self->syncing = TRUE;
  gtk_switch_set_active (self->serve_switch, running);
  self->syncing = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_spin), !running);
  if (running)
    {
      address = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (self->server));
      adw_action_row_set_subtitle (self->serve_row, _("Answering on 127.0.0.1 only"));
    }
  else
    {
      address = g_strdup (_("Not serving"));
      adw_action_row_set_subtitle (self->serve_row,
                                   _("Programs on this computer reach every model through it"));
    }
  adw_action_row_set_subtitle (self->address_row, address);
  adw_action_row_set_subtitle (self->policy_row,
                               self->policy_name ? self->policy_name
                                                 : _("None: routewise/auto goes to the first "
                                                     "models that can be reached"));
}

/* The router routes routewise/auto by the active policy, or by none. */
static void
endpoint_page_route_by_policy (RwEndpointPage *self)
{
  g_autoptr(RwPolicy) none = NULL;

  if (self->router == NULL)
    return;
  if (self->policy == NULL)
    none = rw_policy_new ();
  rw_router_set_policy (self->router, self->policy ? self->policy : none);
}

/**
 * rw_endpoint_page_set_policy:
 * @policy: (nullable): the active policy, %NULL for none
 * @name: (nullable): its name
 * @error: (nullable): why the active policy could not be read, to tell the user
 *
 * A running endpoint routes by @policy from its next request, and one started later does.
 */
void
rw_endpoint_page_set_policy (RwEndpointPage *self,
                             RwPolicy       *policy,
                             const char     *name,
                             const GError   *error)
{
  g_set_object (&self->policy, policy);
  g_free (self->policy_name);
  self->policy_name = g_strdup (name);
  self->policy_known = TRUE;
  if (error != NULL)
    rw_window_toast_for (GTK_WIDGET (self), error->message);
  endpoint_page_route_by_policy (self);
  endpoint_page_sync (self);
}

static GtkWidget *
endpoint_page_cell (const char *text,
                    int         chars,
                    gboolean    numeric)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_width_chars (GTK_LABEL (label), chars);
  gtk_label_set_max_width_chars (GTK_LABEL (label), chars);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

static void
endpoint_page_update_summary (RwEndpointPage *self)
{
  g_autofree char *text = g_strdup_printf (ngettext ("%u request answered, %u failed",
                                                     "%u requests answered, %u failed",
                                                     self->n_logged),
                                           self->n_logged, self->n_failed);

  gtk_label_set_text (self->log_summary, text);
}

static void
endpoint_page_on_served (RwServer        *server,
                         RwServedRequest *served,
                         RwEndpointPage  *self)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (served->time_ms / 1000);
  g_autofree char *when = g_date_time_format (t, "%H:%M:%S");
  g_autofree char *status = g_strdup_printf ("%u", served->status);
  g_autofree char *latency = g_strdup_printf (_("%.0f ms"), served->latency_ms);
  g_autofree char *cost = isfinite (served->cost_usd) ? g_strdup_printf ("$%.5f", served->cost_usd)
                                                      : g_strdup ("–");
  g_autofree char *fallbacks = g_strdup_printf ("%u", served->fallbacks);
  g_autofree char *spoken = NULL;
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *child;

  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (when, 8, TRUE));
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (served->requested, 18, FALSE));
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (served->served ? served->served : "–", 18,
                                                     FALSE));
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (served->task ? served->task : "–", 12, FALSE));
  child = endpoint_page_cell (status, 6, TRUE);
  if (served->status >= 400)
    gtk_widget_add_css_class (child, "error");
  gtk_box_append (GTK_BOX (row), child);
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (latency, 8, TRUE));
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (cost, 9, TRUE));
  gtk_box_append (GTK_BOX (row), endpoint_page_cell (fallbacks, 9, TRUE));
  /* Translators: the endpoint's log as a screen reader reads one request. */
  spoken = g_strdup_printf (_("%s: %s asked, %s served, task %s, status %u, %s, %s, %u fallbacks"),
                            when, served->requested, served->served ? served->served : "–",
                            served->task ? served->task : "–", served->status, latency, cost,
                            served->fallbacks);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);
  gtk_list_box_prepend (self->log, row);

  self->n_logged++;
  if (served->status >= 400)
    self->n_failed++;
  /* The newest ENDPOINT_LOG_MAX are listed; the store keeps them all. */
  if (self->n_logged > ENDPOINT_LOG_MAX)
    {
      GtkListBoxRow *last = gtk_list_box_get_row_at_index (self->log, ENDPOINT_LOG_MAX);
      if (last != NULL)
        gtk_list_box_remove (self->log, GTK_WIDGET (last));
    }
  gtk_stack_set_visible_child_name (self->log_stack, "log");
  endpoint_page_update_summary (self);
}

/**
 * rw_endpoint_page_start:
 *
 * Starts serving on the port chosen, on 127.0.0.1 only, with the token of the configuration
 * folder (the one `routewise-cli serve` uses), routing routewise/auto by the active policy.
 *
 * Returns: %TRUE when serving
 */
gboolean
rw_endpoint_page_start (RwEndpointPage  *self,
                        GError         **error)
{
  g_autofree char *token_path = endpoint_page_token_path ();
  g_autofree char *token = NULL;
  g_autoptr(RwServer) server = NULL;

  if (self->server != NULL)
    return TRUE;
  if (self->catalog == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("The models are not loaded yet"));
      return FALSE;
    }
  if ((token = rw_server_load_token (token_path, error)) == NULL)
    return FALSE;
  /* Started before the window's read of the active policy came back: read here, so that no
   * request is routed by none. */
  if (!self->policy_known && self->store != NULL)
    {
      g_autoptr(GError) read_error = NULL;
      g_autofree char *name = NULL;
      g_autoptr(RwPolicy) policy = rw_policy_new_from_store (self->store, NULL, &name,
                                                            &read_error);

      rw_endpoint_page_set_policy (self, policy, name, read_error);
    }
  g_clear_object (&self->router);
  self->router = rw_router_new (self->catalog, self->store);
  endpoint_page_route_by_policy (self);
  server = rw_server_new (self->router, token);
  if (!rw_server_listen (server, (guint16) gtk_spin_button_get_value_as_int (self->port_spin),
                         error))
    {
      g_clear_object (&self->router);
      return FALSE;
    }
  if (self->store != NULL)
    {
      self->run_id = rw_store_begin_run (self->store, "serve", NULL);
      rw_router_set_run_id (self->router, self->run_id);
      /* Held while it serves: a session whose process died shows as interrupted. */
      self->run_hold = rw_store_hold_run (self->store, self->run_id, NULL);
    }
  g_signal_connect_object (server, "request-served", G_CALLBACK (endpoint_page_on_served), self,
                           0);
  self->server = g_steal_pointer (&server);
  g_settings_set_int (self->settings, "endpoint-port",
                      gtk_spin_button_get_value_as_int (self->port_spin));
  endpoint_page_sync (self);
  return TRUE;
}

/**
 * rw_endpoint_page_stop:
 *
 * Stops serving: requests in flight are cut, and the endpoint's run is marked done.
 */
void
rw_endpoint_page_stop (RwEndpointPage *self)
{
  if (self->server == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->server, self);
  rw_server_stop (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->router);
  g_clear_pointer (&self->run_hold, rw_run_hold_release);
  if (self->store != NULL && self->run_id != NULL)
    rw_store_finish_run (self->store, self->run_id, "done");
  g_clear_pointer (&self->run_id, g_free);
  endpoint_page_sync (self);
}

gboolean
rw_endpoint_page_is_running (RwEndpointPage *self)
{
  return self->server != NULL;
}

guint16
rw_endpoint_page_get_port (RwEndpointPage *self)
{
  return self->server ? rw_server_get_port (self->server) : 0;
}

/**
 * rw_endpoint_page_dup_token:
 *
 * Returns: (transfer full) (nullable): the bearer token, made the first time it is asked for
 */
char *
rw_endpoint_page_dup_token (RwEndpointPage *self)
{
  g_autofree char *path = endpoint_page_token_path ();

  return rw_server_load_token (path, NULL);
}

/**
 * rw_endpoint_page_new_token:
 *
 * Replaces the token with a new one: programs that held the old one are refused from now on,
 * by this endpoint (restarted at once when it runs) and by `routewise-cli serve` when it
 * starts next.
 *
 * Returns: %TRUE when the new token is in place
 */
gboolean
rw_endpoint_page_new_token (RwEndpointPage  *self,
                            GError         **error)
{
  g_autofree char *path = endpoint_page_token_path ();
  g_autofree char *token = NULL;
  gboolean was_running = self->server != NULL;
  guint16 port = rw_endpoint_page_get_port (self);

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, _("Cannot remove %s: %s"), path,
                   g_strerror (errno));
      return FALSE;
    }
  if ((token = rw_server_load_token (path, error)) == NULL)
    return FALSE;
  if (was_running)
    {
      /* The same port again, so that clients only need the new token. */
      rw_endpoint_page_stop (self);
      gtk_spin_button_set_value (self->port_spin, port);
      if (!rw_endpoint_page_start (self, error))
        return FALSE;
    }
  return TRUE;
}

const char *
rw_endpoint_page_get_policy_name (RwEndpointPage *self)
{
  return self->policy_name;
}

guint
rw_endpoint_page_get_n_logged (RwEndpointPage *self)
{
  return self->n_logged;
}

static void
endpoint_page_switch_changed (RwEndpointPage *self)
{
  g_autoptr(GError) error = NULL;

  if (self->syncing)
    return;
  if (!gtk_switch_get_active (self->serve_switch))
    rw_endpoint_page_stop (self);
  else if (!rw_endpoint_page_start (self, &error))
    {
      rw_window_toast_for (GTK_WIDGET (self), error->message);
      endpoint_page_sync (self);
    }
}

static void
endpoint_page_copy (RwEndpointPage *self,
                    const char     *text,
                    const char     *toast)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  rw_window_toast_for (GTK_WIDGET (self), toast);
}

static void
endpoint_page_copy_address (RwEndpointPage *self)
{
  g_autofree char *address = NULL;

  if (self->server == NULL)
    return;
  address = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (self->server));
  endpoint_page_copy (self, address, _("Address copied"));
}

static void
endpoint_page_copy_token (RwEndpointPage *self)
{
  g_autofree char *token = rw_endpoint_page_dup_token (self);

  if (token != NULL)
    endpoint_page_copy (self, token, _("Token copied"));
}

static void
endpoint_page_on_new_token_response (AdwMessageDialog *dialog,
                                     const char       *response,
                                     RwEndpointPage   *self)
{
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "new") == 0)
    {
      if (rw_endpoint_page_new_token (self, &error))
        rw_window_toast_for (GTK_WIDGET (self), _("New token made; the old one no longer works"));
      else
        rw_window_toast_for (GTK_WIDGET (self), error->message);
    }
  g_object_unref (self);
}

static void
endpoint_page_ask_new_token (RwEndpointPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       _("Make a New Token?"),
                                                       _("Programs that use the current token "
                                                         "will be refused until they are given "
                                                         "the new one.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "new", _("_Make New Token"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "new", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (endpoint_page_on_new_token_response),
                    g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
rw_endpoint_page_dispose (GObject *object)
{
  RwEndpointPage *self = RW_ENDPOINT_PAGE (object);

  rw_endpoint_page_stop (self);
  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (rw_endpoint_page_parent_class)->dispose (object);
}

static void
rw_endpoint_page_finalize (GObject *object)
{
  RwEndpointPage *self = RW_ENDPOINT_PAGE (object);

  g_free (self->policy_name);
  g_clear_object (&self->policy);
  g_clear_pointer (&self->run_hold, rw_run_hold_release);
  g_free (self->run_id);
  G_OBJECT_CLASS (rw_endpoint_page_parent_class)->finalize (object);
}

static void
rw_endpoint_page_class_init (RwEndpointPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_endpoint_page_dispose;
  object_class->finalize = rw_endpoint_page_finalize;
}

static GtkWidget *
endpoint_page_icon_button (const char *icon,
                           const char *tooltip)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (b, tooltip);
  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (b, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  return b;
}

static GtkWidget *
endpoint_page_log_header (void)
{
  static const struct { const char *title; int chars; gboolean numeric; } cols[] = {
    { N_("Time"), 8, TRUE }, { N_("Model asked"), 18, FALSE }, { N_("Served by"), 18, FALSE },
    { N_("Task"), 12, FALSE }, { N_("Status"), 6, TRUE }, { N_("Latency"), 8, TRUE },
    { N_("Cost"), 9, TRUE }, { N_("Fallbacks"), 9, TRUE },
  };
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  for (guint i = 0; i < G_N_ELEMENTS (cols); i++)
    {
      GtkWidget *label = endpoint_page_cell (_(cols[i].title), cols[i].chars, cols[i].numeric);
      gtk_widget_add_css_class (label, "caption-heading");
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_set_tooltip_text (label, _(cols[i].title));
      gtk_box_append (GTK_BOX (row), label);
    }
  return row;
}

static void
rw_endpoint_page_init (RwEndpointPage *self)
{
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *log_group = adw_preferences_group_new ();
  GtkWidget *b, *empty, *log_box, *hscroll;

  self->settings = g_settings_new (APP_ID);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_widget_set_vexpand (scroll, TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 960);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Local Endpoint"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
    _("An OpenAI-compatible endpoint for every program on this computer. To keep it on when "
      "the app is closed, enable the routewise-serve user service."));

  self->serve_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->serve_row), _("Serve"));
  self->serve_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->serve_switch), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->serve_row, GTK_WIDGET (self->serve_switch));
  adw_action_row_set_activatable_widget (self->serve_row, GTK_WIDGET (self->serve_switch));
  g_signal_connect_swapped (self->serve_switch, "notify::active",
                            G_CALLBACK (endpoint_page_switch_changed), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->serve_row));

  {
    AdwActionRow *port_row = ADW_ACTION_ROW (adw_action_row_new ());
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (port_row), _("Port"));
    adw_action_row_set_subtitle (port_row, _("0 picks any free port"));
    self->port_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 65535, 1));
    gtk_spin_button_set_value (self->port_spin,
                               g_settings_get_int (self->settings, "endpoint-port"));
    gtk_widget_set_valign (GTK_WIDGET (self->port_spin), GTK_ALIGN_CENTER);
    adw_action_row_add_suffix (port_row, GTK_WIDGET (self->port_spin));
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (port_row));
  }

  self->address_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->address_row), _("Address"));
  gtk_widget_add_css_class (GTK_WIDGET (self->address_row), "property");
  b = endpoint_page_icon_button ("edit-copy-symbolic", _("Copy the address"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (endpoint_page_copy_address), self);
  adw_action_row_add_suffix (self->address_row, b);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->address_row));

  self->token_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->token_row), _("Token"));
  adw_action_row_set_subtitle (self->token_row,
                               _("Sent as “Authorization: Bearer …”; kept in the file “token” "
                                 "of the configuration folder"));
  b = endpoint_page_icon_button ("edit-copy-symbolic", _("Copy the token"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (endpoint_page_copy_token), self);
  adw_action_row_add_suffix (self->token_row, b);
  b = endpoint_page_icon_button ("view-refresh-symbolic", _("Make a new token"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (endpoint_page_ask_new_token), self);
  adw_action_row_add_suffix (self->token_row, b);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->token_row));

  self->policy_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->policy_row),
                                 _("Policy for routewise/auto"));
  gtk_widget_add_css_class (GTK_WIDGET (self->policy_row), "property");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->policy_row));
  gtk_box_append (GTK_BOX (box), group);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (log_group), _("Requests"));
  self->log_summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->log_summary), "dim-label");
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (log_group),
                                           GTK_WIDGET (self->log_summary));
  self->log_stack = GTK_STACK (gtk_stack_new ());
  empty = gtk_label_new (_("Requests appear here as they are answered."));
  gtk_label_set_wrap (GTK_LABEL (empty), TRUE);
  gtk_label_set_justify (GTK_LABEL (empty), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (empty, "dim-label");
  gtk_widget_set_margin_top (empty, 24);
  gtk_widget_set_margin_bottom (empty, 24);
  gtk_stack_add_named (self->log_stack, empty, "empty");
  log_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append (GTK_BOX (log_box), endpoint_page_log_header ());
  self->log = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->log, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->log), "boxed-list");
  gtk_box_append (GTK_BOX (log_box), GTK_WIDGET (self->log));
  /* The log's columns scroll sideways in a narrow window rather than widen it. */
  hscroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (hscroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (hscroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (hscroll), log_box);
  gtk_stack_add_named (self->log_stack, hscroll, "log");
  gtk_stack_set_visible_child_name (self->log_stack, "empty");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (log_group), GTK_WIDGET (self->log_stack));
  gtk_box_append (GTK_BOX (box), log_group);

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), clamp);
  gtk_box_append (GTK_BOX (self), scroll);
  endpoint_page_update_summary (self);
  endpoint_page_sync (self);
}

/**
 * rw_endpoint_page_set_engine:
 * @catalog: the models it serves
 * @store: (nullable): where requests are stored
 */
void
rw_endpoint_page_set_engine (RwEndpointPage *self,
                             RwCatalog      *catalog,
                             RwStore        *store)
{
  g_set_object (&self->catalog, catalog);
  g_set_object (&self->store, store);
}
