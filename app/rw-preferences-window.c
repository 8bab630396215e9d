/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rw-preferences-window.h"

/**
 * RwPreferencesWindow:
 *
 * Preferences: the providers and their keys. The cloud providers Routewise knows take a key,
 * kept in the keyring; the user's own providers (any server of the OpenAI, Anthropic, Gemini or
 * Ollama protocol) are added, changed and removed with their models and prices, in
 * providers.json; local servers found running are listed. Every provider can be tested.
 */
struct _RwPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  RwCatalog *catalog;
  RwProvidersFile *file;
  gboolean has_keyring;
  GPtrArray *rows;

  AdwPreferencesGroup *cloud_group;
  AdwPreferencesGroup *local_group;
  AdwPreferencesGroup *own_group;
};

G_DEFINE_FINAL_TYPE (RwPreferencesWindow, rw_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The protocols a provider of one's own may speak, as providers.json names them. */
static const struct { const char *kind, *label; } preferences_kinds[] = {
  { "openai", N_("OpenAI-compatible") },
  { "anthropic", N_("Anthropic") },
  { "gemini", N_("Google Gemini") },
  { "ollama", N_("Ollama") },
};

static void preferences_window_fill (RwPreferencesWindow *self);

static void
preferences_window_toast (RwPreferencesWindow *self,
                          const char          *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
}

static void
preferences_window_add_row (RwPreferencesWindow *self,
                            AdwPreferencesGroup *group,
                            RwProvider          *provider,
                            RwProvidersFile     *file,
                            GHashTable          *stored)
{
  RwProviderRow *row = rw_provider_row_new (provider, self->catalog, file, self->has_keyring,
                                            stored != NULL
                                            && g_hash_table_contains (stored,
                                                                      rw_provider_get_id (provider)));

  if (file != NULL)
    g_signal_connect_swapped (row, "removed", G_CALLBACK (preferences_window_fill), self);
  adw_preferences_group_add (group, GTK_WIDGET (row));
  g_ptr_array_add (self->rows, row);
}

static void
preferences_window_clear (RwPreferencesWindow *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = self->rows->pdata[i];
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->rows, 0);
}

static void
preferences_window_fill (RwPreferencesWindow *self)
{
  g_autoptr(GPtrArray) shipped = rw_catalog_list_shipped_providers (self->catalog);
  g_autoptr(GPtrArray) own = rw_providers_file_list_providers (self->file);
  g_autoptr(GPtrArray) present = rw_catalog_list_providers (self->catalog);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  /* Which providers the keyring holds a key for: one search for every row, reading no key. */
  g_autoptr(GHashTable) stored = self->has_keyring ? rw_keyring_list_providers (NULL) : NULL;
  guint n_local = 0;

  preferences_window_clear (self);
  for (guint i = 0; i < own->len; i++)
    {
      const char *id = rw_json_object_get_string (own->pdata[i], "id", NULL);
      RwProvider *p = id ? rw_catalog_lookup_provider (self->catalog, id) : NULL;

      if (p == NULL)
        continue;
      preferences_window_add_row (self, self->own_group, p, self->file, stored);
      g_hash_table_add (listed, (gpointer) rw_provider_get_id (p));
    }
  for (guint i = 0; i < shipped->len; i++)
    {
      RwProvider *p = shipped->pdata[i];

      if (g_hash_table_contains (listed, rw_provider_get_id (p)))
        continue;
      preferences_window_add_row (self, self->cloud_group, p, NULL, stored);
      g_hash_table_add (listed, (gpointer) rw_provider_get_id (p));
    }
  for (guint i = 0; i < present->len; i++)
    {
      RwProvider *p = present->pdata[i];

      if (g_hash_table_contains (listed, rw_provider_get_id (p))
          || g_str_equal (rw_provider_get_kind (p), "recorded"))
        continue;
      preferences_window_add_row (self, self->local_group, p, NULL, stored);
      n_local++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->local_group), n_local > 0);
}

/**
 * rw_preferences_window_add_provider:
 * @self: the window
 * @id: the provider's id, as model ids will start
 * @kind: its protocol: "openai", "anthropic", "gemini" or "ollama"
 * @base_url: where it is served
 * @key: (nullable): its key, stored in the keyring
 * @error: where a failure is told
 *
 * Adds a provider of the user's own to providers.json and to the catalog, with its key in the
 * keyring.
 *
 * Returns: whether it was added
 */
gboolean
rw_preferences_window_add_provider (RwPreferencesWindow  *self,
                                    const char           *id,
                                    const char           *kind,
                                    const char           *base_url,
                                    const char           *key,
                                    GError              **error)
{
  if (!rw_providers_file_set_provider (self->file, id, kind, base_url, NULL, self->catalog, error))
    return FALSE;
  if (key != NULL && *key != '\0' && !rw_keyring_store (id, key, error))
    return FALSE;
  preferences_window_fill (self);
  return TRUE;
}

static void
preferences_window_on_add_response (AdwMessageDialog    *dialog,
                                    const char          *response,
                                    RwPreferencesWindow *self)
{
  GtkEditable *id = g_object_get_data (G_OBJECT (dialog), "id");
  GtkEditable *url = g_object_get_data (G_OBJECT (dialog), "url");
  GtkEditable *key = g_object_get_data (G_OBJECT (dialog), "key");
  AdwComboRow *kind = g_object_get_data (G_OBJECT (dialog), "kind");
  guint k = adw_combo_row_get_selected (kind);
  g_autoptr(GError) error = NULL;
  g_autofree char *key_text = g_strstrip (g_strdup (gtk_editable_get_text (key)));

  gtk_editable_set_text (key, "");
  if (g_str_equal (response, "add"))
    {
      g_autofree char *id_text = g_strstrip (g_strdup (gtk_editable_get_text (id)));
      g_autofree char *url_text = g_strstrip (g_strdup (gtk_editable_get_text (url)));

      if (!rw_preferences_window_add_provider (self, id_text,
                                               preferences_kinds[MIN (k, G_N_ELEMENTS (preferences_kinds) - 1)].kind,
                                               url_text, key_text, &error))
        preferences_window_toast (self, error->message);
      else
        preferences_window_toast (self, _("Provider added"));
    }
  memset (key_text, 0, strlen (key_text));
}

static GtkWidget *
preferences_window_entry (GtkWidget  *list,
                          GtkWidget  *row,
                          const char *title)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return row;
}

static void
preferences_window_add_provider_action (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *param)
{
  RwPreferencesWindow *self = RW_PREFERENCES_WINDOW (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Add a Provider"), NULL);
  GtkWidget *list = gtk_list_box_new ();
  GtkStringList *kinds = gtk_string_list_new (NULL);
  GtkWidget *kind = adw_combo_row_new ();

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("The id starts the ids of its models, as in “box/llama3”. "
                                 "The key is kept in the keyring."));
  for (guint i = 0; i < G_N_ELEMENTS (preferences_kinds); i++)
    gtk_string_list_append (kinds, _(preferences_kinds[i].label));
  adw_combo_row_set_model (ADW_COMBO_ROW (kind), G_LIST_MODEL (kinds));
  g_object_unref (kinds);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  g_object_set_data (G_OBJECT (dialog), "id",
                     preferences_window_entry (list, adw_entry_row_new (), _("Id")));
  g_object_set_data (G_OBJECT (dialog), "kind",
                     preferences_window_entry (list, kind, _("Protocol")));
  g_object_set_data (G_OBJECT (dialog), "url",
                     preferences_window_entry (list, adw_entry_row_new (),
                                               _("Address, as http://127.0.0.1:8080/v1")));
  g_object_set_data (G_OBJECT (dialog), "key",
                     preferences_window_entry (list, adw_password_entry_row_new (),
                                               _("API Key (optional)")));
  gtk_widget_set_sensitive (g_object_get_data (G_OBJECT (dialog), "key"), self->has_keyring);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "add", _("_Add"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add",
                                              ADW_RESPONSE_SUGGESTED);
  g_signal_connect (dialog, "response", G_CALLBACK (preferences_window_on_add_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
rw_preferences_window_finalize (GObject *object)
{
  RwPreferencesWindow *self = (RwPreferencesWindow *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->file);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (rw_preferences_window_parent_class)->finalize (object);
}

static void
rw_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), RW_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (rw_preferences_window_parent_class)->dispose (object);
}

static void
rw_preferences_window_class_init (RwPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rw_preferences_window_dispose;
  object_class->finalize = rw_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/routewise/Routewise/"
                                                             "rw-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RwPreferencesWindow, cloud_group);
  gtk_widget_class_bind_template_child (widget_class, RwPreferencesWindow, local_group);
  gtk_widget_class_bind_template_child (widget_class, RwPreferencesWindow, own_group);
  gtk_widget_class_install_action (widget_class, "prefs.add-provider", NULL,
                                   preferences_window_add_provider_action);
}

static void
rw_preferences_window_init (RwPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
}

/**
 * rw_preferences_window_new:
 * @parent: (nullable): the window it belongs to
 * @catalog: the live catalog, which changes as providers and keys do
 *
 * Returns: (transfer full): a new Preferences window
 */
RwPreferencesWindow *
rw_preferences_window_new (GtkWindow *parent,
                           RwCatalog *catalog)
{
  RwPreferencesWindow *self = g_object_new (RW_TYPE_PREFERENCES_WINDOW,
                                            "transient-for", parent, NULL);
  g_autoptr(GError) error = NULL;

  self->catalog = g_object_ref (catalog);
  self->file = rw_providers_file_new (NULL);
  if (!rw_providers_file_load (self->file, &error))
    {
      preferences_window_toast (self, error->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->own_group), FALSE);
      g_clear_error (&error);
    }
  self->has_keyring = rw_keyring_check (&error);
  if (self->has_keyring)
    adw_preferences_group_set_description (self->cloud_group,
                                           _("Keys are kept in the keyring, never in a file. "
                                             "A provider's environment variable, when set, is "
                                             "used instead."));
  else
    {
      g_autofree char *text = g_strdup_printf (_("No keyring is available, so keys cannot be "
                                                 "stored: %s. Keys can still come from "
                                                 "environment variables, such as "
                                                 "OPENAI_API_KEY."), error->message);
      adw_preferences_group_set_description (self->cloud_group, text);
    }
  preferences_window_fill (self);
  return self;
}

/**
 * rw_preferences_window_find_row:
 *
 * Returns: (transfer none) (nullable): the row of that provider
 */
RwProviderRow *
rw_preferences_window_find_row (RwPreferencesWindow *self,
                                const char          *provider_id)
{
  for (guint i = 0; i < self->rows->len; i++)
    if (g_str_equal (rw_provider_get_id (rw_provider_row_get_provider (self->rows->pdata[i])),
                     provider_id))
      return self->rows->pdata[i];
  return NULL;
}
