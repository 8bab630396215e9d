/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-policies-page-private.h"
#include "rw-window.h"

/* The Policies view: the policies kept, the one active, and their exports. */

static const struct
{
  const char *id;
  const char *name;
  const char *extension;
} export_formats[] = {
  { "routewise", N_("Routewise policy"), "json" },
  { "portkey", N_("Portkey gateway config"), "json" },
  { "litellm", N_("LiteLLM proxy config"), "yaml" },
  { "openrouter", N_("OpenRouter request presets"), "json" },
};

static void
policies_page_activate_toggled (GtkCheckButton *check,
                                RwPoliciesPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "policy-id");

  if (!gtk_check_button_get_active (check))
    return;
  rw_store_activate_policy (self->store, id);
  rw_store_flush (self->store, NULL);
  g_signal_emit (self, _rw_policies_page_signals[_RW_POLICIES_PAGE_ACTIVE_POLICY_CHANGED], 0);
}

static void
policies_page_delete_clicked (GtkButton      *button,
                              RwPoliciesPage *self)
{
  rw_store_delete_policy (self->store, g_object_get_data (G_OBJECT (button), "policy-id"));
  rw_store_flush (self->store, NULL);
  _rw_policies_page_list_kept (self);
  g_signal_emit (self, _rw_policies_page_signals[_RW_POLICIES_PAGE_ACTIVE_POLICY_CHANGED], 0);
}

typedef struct
{
  RwPoliciesPage *self;
  char *policy_id;
  char *format;
} ExportRequest;

/* What the gateway's format could not carry, said when the file is written. */
static void
policies_page_show_notes (RwPoliciesPage     *self,
                          const char         *heading,
                          const char * const *notes)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GString) list = g_string_new (NULL);
  AdwMessageDialog *dialog;
  GtkWidget *label;

  /* One note a paragraph, each from the left edge: they are read, not glanced at. */
  for (guint i = 0; notes[i] != NULL; i++)
    g_string_append_printf (list, "%s• %s", i ? "\n\n" : "", notes[i]);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                           : NULL,
                                                       heading,
                                                       _("This gateway's format cannot carry "
                                                         "everything the policy does:")));
  label = gtk_label_new (list->str);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  adw_message_dialog_set_extra_child (dialog, label);
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
policies_page_exported (GObject      *object,
                        GAsyncResult *result,
                        gpointer      data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  g_autofree char *path = data;
  g_auto(GStrv) notes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;

  if (!rw_policies_page_export_finish (self, result, &notes, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        rw_window_toast_for (GTK_WIDGET (self), error->message);
      return;
    }
  base = g_path_get_basename (path);
  text = g_strdup_printf (_("Exported as %s"), base);
  if (notes != NULL && notes[0] != NULL)
    policies_page_show_notes (self, text, (const char * const *) notes);
  else
    rw_window_toast_for (GTK_WIDGET (self), text);
}

/**
 * rw_policies_page_export_and_tell:
 * @policy_id: (nullable): a kept policy, or %NULL for the one learned
 * @format: an export format
 * @path: where to write it
 *
 * Exports as rw_policies_page_export_async() does, and says how it went once it is written: a
 * dialog listing what the gateway's format could not carry, else a toast.
 */
void
rw_policies_page_export_and_tell (RwPoliciesPage *self,
                                  const char     *policy_id,
                                  const char     *format,
                                  const char     *path)
{
  rw_policies_page_export_async (self, policy_id, format, path, policies_page_exported,
                                 g_strdup (path));
}

static void
policies_page_export_response (GtkNativeDialog *dialog,
                               int              response,
                               ExportRequest   *req)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    rw_policies_page_export_and_tell (req->self, req->policy_id, req->format, path);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (req->self);
  g_free (req->policy_id);
  g_free (req->format);
  g_free (req);
}

static void
policies_page_export_clicked (GtkButton      *button,
                              RwPoliciesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  guint f = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "format"));
  ExportRequest *req = g_new0 (ExportRequest, 1);
  GtkFileChooserNative *dialog;
  g_autofree char *name = NULL;
  GtkWidget *popover = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_POPOVER);

  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
  req->self = g_object_ref (self);
  req->policy_id = g_strdup (g_object_get_data (G_OBJECT (button), "policy-id"));
  req->format = g_strdup (export_formats[f].id);
  dialog = gtk_file_chooser_native_new (_("Export Policy"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  name = g_strdup_printf ("policy-%s.%s", export_formats[f].id, export_formats[f].extension);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (policies_page_export_response), req);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* A menu button whose items export the policy @policy_id (%NULL: the one learned last). */
GtkWidget *
_rw_policies_page_export_button (RwPoliciesPage *self,
                                 const char     *policy_id)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "document-send-symbolic");
  gtk_widget_set_tooltip_text (button, _("Export to a file"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  for (guint f = 0; f < G_N_ELEMENTS (export_formats); f++)
    {
      GtkWidget *item = gtk_button_new_with_label (_(export_formats[f].name));
      gtk_widget_add_css_class (item, "flat");
      gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (item))), 0);
      g_object_set_data (G_OBJECT (item), "format", GUINT_TO_POINTER (f));
      g_object_set_data_full (G_OBJECT (item), "policy-id", g_strdup (policy_id), g_free);
      g_signal_connect (item, "clicked", G_CALLBACK (policies_page_export_clicked), self);
      gtk_box_append (GTK_BOX (box), item);
    }
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
  return button;
}

void
_rw_policies_page_list_kept (RwPoliciesPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  GtkCheckButton *group = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->kept))) != NULL)
    gtk_list_box_remove (self->kept, child);
  if (self->store == NULL || (kept = rw_store_list_policies (self->store, &error)) == NULL)
    return;
  if (kept->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No policy is kept yet"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("Keep the one learned above under a name"));
      gtk_list_box_append (self->kept, row);
      return;
    }
  for (guint i = 0; i < kept->len; i++)
    {
      RwStoredPolicy *p = kept->pdata[i];
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (p->created_ms / 1000);
      g_autofree char *when = g_date_time_format (t, "%x %X");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), p->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), when);
      if (group != NULL)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      else
        group = GTK_CHECK_BUTTON (check);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), p->active);
      gtk_widget_set_tooltip_text (check, _("Route routewise/auto by this policy"));
      g_object_set_data_full (G_OBJECT (check), "policy-id", g_strdup (p->id), g_free);
      g_signal_connect (check, "toggled", G_CALLBACK (policies_page_activate_toggled), self);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), _rw_policies_page_export_button (self, p->id));
      gtk_widget_set_tooltip_text (remove, _("Remove this policy"));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      g_object_set_data_full (G_OBJECT (remove), "policy-id", g_strdup (p->id), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (policies_page_delete_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_append (self->kept, row);
    }
}

typedef struct
{
  RwStore *store;
  JsonNode *policy;
  char *name;
  gboolean activate;
} Keep;

static void
keep_free (Keep *keep)
{
  g_clear_object (&keep->store);
  g_clear_pointer (&keep->policy, json_node_unref);
  g_free (keep->name);
  g_free (keep);
}

/* Written out and stored on a thread: a learned policy is megabytes of JSON. */
static void
policies_page_keep_thread (GTask        *task,
                           gpointer      source,
                           gpointer      data,
                           GCancellable *cancellable)
{
  Keep *keep = data;
  g_autofree char *text = rw_json_to_string (keep->policy, TRUE);
  g_autofree char *id = rw_store_save_policy (keep->store, keep->name, text, keep->activate);
  GError *error = NULL;

  if (!rw_store_flush (keep->store, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&id), g_free);
}

static void
policies_page_kept (GObject      *object,
                    GAsyncResult *result,
                    gpointer      data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  GTask *outer = data;
  Keep *keep = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  char *id = g_task_propagate_pointer (G_TASK (result), &error);

  /* The page went while it was stored: it is kept, and nothing is left to show it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  self->keeping = FALSE;
  _rw_policies_page_sync_busy (self);
  if (id == NULL)
    g_task_return_error (outer, error);
  else
    {
      _rw_policies_page_list_kept (self);
      if (keep->activate)
        g_signal_emit (self, _rw_policies_page_signals[_RW_POLICIES_PAGE_ACTIVE_POLICY_CHANGED], 0);
      g_task_return_pointer (outer, id, g_free);
    }
  g_object_unref (outer);
}

/**
 * rw_policies_page_keep_async:
 * @name: its name
 * @activate: whether routewise/auto routes by it from now on
 * @callback: called when it is kept, or could not be
 * @user_data: data for @callback
 *
 * Keeps the policy learned last in the database, written out on a thread; the list of kept
 * policies shows it, and the window reads it when it is made active.
 */
void
rw_policies_page_keep_async (RwPoliciesPage      *self,
                             const char          *name,
                             gboolean             activate,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) outer = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GTask) task = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (name ? name : ""));
  Keep *keep;

  if (self->learned == NULL || self->store == NULL)
    {
      g_task_return_new_error (outer, RW_ERROR, RW_ERROR_CONFIG, "%s",
                               _("No policy is learned yet"));
      return;
    }
  if (*trimmed == '\0')
    {
      g_task_return_new_error (outer, RW_ERROR, RW_ERROR_CONFIG, "%s", _("Give the policy a name"));
      return;
    }
  if (self->keeping)
    {
      g_task_return_new_error (outer, RW_ERROR, RW_ERROR_CONFIG, "%s",
                               _("A policy is being kept already"));
      return;
    }
  keep = g_new0 (Keep, 1);
  keep->store = g_object_ref (self->store);
  keep->policy = json_node_ref (self->learned);
  keep->name = g_steal_pointer (&trimmed);
  keep->activate = activate;
  self->keeping = TRUE;
  _rw_policies_page_sync_busy (self);
  task = g_task_new (self, self->cancellable, policies_page_kept, g_steal_pointer (&outer));
  g_task_set_task_data (task, keep, (GDestroyNotify) keep_free);
  g_task_run_in_thread (task, policies_page_keep_thread);
}

/**
 * rw_policies_page_keep_finish:
 *
 * Returns: (transfer full) (nullable): the kept policy's id, or %NULL with @error set
 */
char *
rw_policies_page_keep_finish (RwPoliciesPage  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
policies_page_keep_done (GObject      *object,
                         GAsyncResult *result,
                         gpointer      data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  gboolean activate = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = rw_policies_page_keep_finish (self, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (id == NULL)
    rw_window_toast_for (GTK_WIDGET (self), error->message);
  else
    rw_window_toast_for (GTK_WIDGET (self), activate ? _("Policy kept; routewise/auto routes by it")
                                        : _("Policy kept"));
}

void
_rw_policies_page_keep_clicked (GtkButton      *button,
                                RwPoliciesPage *self)
{
  gboolean activate = g_object_get_data (G_OBJECT (button), "activate") != NULL;

  rw_policies_page_keep_async (self, gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                               activate, policies_page_keep_done, GINT_TO_POINTER (activate));
}

typedef struct
{
  RwStore *store;
  RwCatalog *catalog;
  char *policy_id;
  JsonNode *learned;
  char *format;
  char *path;
  GStrv notes;
} Export;

static void
export_free (Export *e)
{
  g_clear_object (&e->store);
  g_clear_object (&e->catalog);
  g_free (e->policy_id);
  g_clear_pointer (&e->learned, json_node_unref);
  g_free (e->format);
  g_free (e->path);
  g_strfreev (e->notes);
  g_free (e);
}

/* Read, converted and written on a thread: a kept policy is megabytes of JSON to parse. */
static void
policies_page_export_thread (GTask        *task,
                             gpointer      source,
                             gpointer      data,
                             GCancellable *cancellable)
{
  Export *e = data;
  g_autoptr(JsonNode) policy = NULL;
  g_autofree char *text = NULL;
  GError *error = NULL;

  if (e->policy_id != NULL)
    {
      g_autoptr(RwStoredPolicy) kept = rw_store_lookup_policy (e->store, e->policy_id, &error);

      if (kept == NULL)
        {
          if (error == NULL)
            error = g_error_new (RW_ERROR, RW_ERROR_CONFIG, _("No kept policy is called %s"),
                                 e->policy_id);
          g_task_return_error (task, error);
          return;
        }
      if ((policy = rw_json_parse (kept->body, strlen (kept->body), &error)) == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  else
    policy = json_node_ref (e->learned);
  if ((text = rw_exporter_export_with_notes (json_node_get_object (policy), e->catalog,
                                             e->format, &e->notes, &error)) == NULL ||
      !g_file_set_contents (e->path, text, -1, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
policies_page_export_done (GObject      *object,
                           GAsyncResult *result,
                           gpointer      data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  GTask *outer = data;
  Export *e = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  gboolean written = g_task_propagate_boolean (G_TASK (result), &error);

  /* The page went while it was written: nothing is left to show it. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->exporting--;
      _rw_policies_page_sync_busy (self);
    }
  if (written)
    {
      g_task_set_task_data (outer, g_steal_pointer (&e->notes), (GDestroyNotify) g_strfreev);
      g_task_return_boolean (outer, TRUE);
    }
  else
    g_task_return_error (outer, error);
  g_object_unref (outer);
}

/**
 * rw_policies_page_export_async:
 * @policy_id: (nullable): a kept policy; %NULL for the one learned last
 * @format: "routewise", "portkey", "litellm" or "openrouter"
 * @path: the file to write
 * @callback: called once it is written, or could not be
 * @user_data: data for @callback
 *
 * Writes the policy in @format to @path, read and converted on a thread; the page is busy
 * meanwhile.
 */
void
rw_policies_page_export_async (RwPoliciesPage      *self,
                               const char          *policy_id,
                               const char          *format,
                               const char          *path,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) outer = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GTask) task = NULL;
  Export *e;

  if (policy_id == NULL && self->learned == NULL)
    {
      g_task_return_new_error (outer, RW_ERROR, RW_ERROR_CONFIG, "%s",
                               _("No policy is learned yet"));
      return;
    }
  if (policy_id != NULL && self->store == NULL)
    {
      g_task_return_new_error (outer, RW_ERROR, RW_ERROR_CONFIG, _("No kept policy is called %s"),
                               policy_id);
      return;
    }
  e = g_new0 (Export, 1);
  e->store = self->store ? g_object_ref (self->store) : NULL;
  e->catalog = g_object_ref (self->catalog);
  e->policy_id = g_strdup (policy_id);
  e->learned = policy_id == NULL ? json_node_ref (self->learned) : NULL;
  e->format = g_strdup (format);
  e->path = g_strdup (path);
  self->exporting++;
  _rw_policies_page_sync_busy (self);
  task = g_task_new (self, self->cancellable, policies_page_export_done,
                     g_steal_pointer (&outer));
  g_task_set_task_data (task, e, (GDestroyNotify) export_free);
  g_task_run_in_thread (task, policies_page_export_thread);
}

/**
 * rw_policies_page_export_finish:
 * @notes: (out) (optional) (transfer full): what the format could not carry
 *
 * Returns: %TRUE when written
 */
gboolean
rw_policies_page_export_finish (RwPoliciesPage  *self,
                                GAsyncResult    *result,
                                GStrv           *notes,
                                GError         **error)
{
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (notes != NULL)
    *notes = g_strdupv (g_task_get_task_data (G_TASK (result)));
  return TRUE;
}
