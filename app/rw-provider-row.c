/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rw-provider-row.h"

/**
 * RwProviderRow:
 *
 * One provider in Preferences: where its key comes from, a password row that stores a key in
 * the keyring, its address (editable for the user's own providers), its models with their
 * prices, and a Test that asks the provider for its model list and says what came back.
 */
struct _RwProviderRow
{
  AdwExpanderRow parent_instance;

  RwProvider *provider;
  RwCatalog *catalog;
  RwProvidersFile *file;       /* the user's own provider: editable; else NULL */
  gboolean has_keyring;
  gboolean in_keyring;         /* the keyring holds its key, even while the environment's wins */
  GCancellable *cancellable;
  char *status;

  AdwPasswordEntryRow *key_row;
  AdwActionRow *forget_row;
  AdwActionRow *test_row;
  GtkButton *test_button;
  GPtrArray *model_rows;
  GtkWidget *remove_row;       /* kept last, after the models */
  GPtrArray *listed_rows;      /* models the provider listed that are not configured */
};

enum {
  REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwProviderRow, rw_provider_row, ADW_TYPE_EXPANDER_ROW)

static const struct { const char *id, *name; } provider_row_names[] = {
  { "openai", "OpenAI" },
  { "openrouter", "OpenRouter" },
  { "groq", "Groq" },
  { "mistral", "Mistral AI" },
  { "deepseek", "DeepSeek" },
  { "together", "Together AI" },
  { "fireworks", "Fireworks AI" },
  { "anthropic", "Anthropic" },
  { "gemini", "Google Gemini" },
  { "ollama", "Ollama" },
  { "llamacpp", "llama.cpp" },
  { "lmstudio", "LM Studio" },
  { "vllm", "vLLM" },
};

static const char *
provider_row_name (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (provider_row_names); i++)
    if (g_str_equal (provider_row_names[i].id, id))
      return provider_row_names[i].name;
  return id;
}

static void
provider_row_toast (RwProviderRow *self,
                    const char    *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  if (window != NULL)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), adw_toast_new (escaped));
}

/* The catalog's provider once it is there (a shipped one joins when its key is stored). */
static RwProvider *
provider_row_live (RwProviderRow *self)
{
  RwProvider *live = rw_catalog_lookup_provider (self->catalog,
                                                 rw_provider_get_id (self->provider));

  return live ? live : self->provider;
}

static void
provider_row_update_key (RwProviderRow *self)
{
  RwProvider *p = provider_row_live (self);
  RwProviderClass *klass = RW_PROVIDER_GET_CLASS (p);
  const char *env = rw_provider_get_api_key_env (p);
  const char *source;
  g_autofree char *text = NULL;

  rw_provider_forget_api_key (p);
  source = klass->takes_api_key ? rw_provider_get_api_key_source (p) : NULL;
  if (!klass->takes_api_key)
    text = g_strdup (_("No key needed"));
  else if (g_strcmp0 (source, "environment") == 0)
    text = g_strdup_printf (_("Key from the environment variable %s"), env);
  else if (g_strcmp0 (source, "keyring") == 0)
    text = g_strdup (_("Key in the keyring"));
  else if (!self->has_keyring && env != NULL)
    text = g_strdup_printf (_("No key: set %s"), env);
  else
    text = g_strdup (_("No key yet"));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), text);
  if (self->forget_row != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->forget_row), self->in_keyring);
}

static char *
provider_row_price (RwModel *model)
{
  if (!rw_model_has_price (model))
    return g_strdup (_("No price: its cost counts as unknown"));
  /* Translators: prices in US dollars per million input and output tokens */
  return g_strdup_printf (_("$%.3g in · $%.3g out per million tokens"),
                          rw_model_get_input_price (model), rw_model_get_output_price (model));
}

static void provider_row_fill_models (RwProviderRow *self);

/* Removing the provider stays the last row, under its models. */
static void
provider_row_keep_remove_last (RwProviderRow *self)
{
  if (self->remove_row == NULL)
    return;
  g_object_ref (self->remove_row);
  adw_expander_row_remove (ADW_EXPANDER_ROW (self), self->remove_row);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), self->remove_row);
  g_object_unref (self->remove_row);
}

static void
provider_row_on_remove_model (GtkButton     *button,
                              RwProviderRow *self)
{
  const char *id = g_object_get_data (G_OBJECT (button), "model-id");
  g_autoptr(GError) error = NULL;

  if (!rw_providers_file_remove_model (self->file, id, self->catalog, &error))
    provider_row_toast (self, error->message);
  else
    provider_row_fill_models (self);
}

/* The models the catalog has of this provider, each with its price; the user's own can be
 * removed. */
static void
provider_row_fill_models (RwProviderRow *self)
{
  g_autoptr(GPtrArray) models = rw_catalog_list_models (self->catalog);
  g_autoptr(GPtrArray) own = self->file ? rw_providers_file_list_models (self->file,
                                                                         rw_provider_get_id (self->provider))
                                        : NULL;
  const char *id = rw_provider_get_id (self->provider);

  for (guint i = 0; i < self->model_rows->len; i++)
    adw_expander_row_remove (ADW_EXPANDER_ROW (self), self->model_rows->pdata[i]);
  g_ptr_array_set_size (self->model_rows, 0);

  for (guint i = 0; i < models->len; i++)
    {
      RwModel *m = models->pdata[i];
      GtkWidget *row;
      g_autofree char *price = NULL;
      gboolean removable = FALSE;

      if (g_strcmp0 (rw_model_get_provider_id (m), id) != 0)
        continue;
      for (guint j = 0; own != NULL && j < own->len; j++)
        removable |= g_strcmp0 (rw_json_object_get_string (own->pdata[j], "id", NULL),
                                rw_model_get_id (m)) == 0;
      row = adw_action_row_new ();
      price = provider_row_price (m);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rw_model_get_upstream_name (m));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), price);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                 gtk_image_new_from_icon_name ("application-x-addon-symbolic"));
      if (removable)
        {
          GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");

          gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (remove, "flat");
          gtk_widget_set_tooltip_text (remove, _("Remove this model"));
          g_object_set_data_full (G_OBJECT (remove), "model-id",
                                  g_strdup (rw_model_get_id (m)), g_free);
          g_signal_connect (remove, "clicked", G_CALLBACK (provider_row_on_remove_model), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
        }
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
      g_ptr_array_add (self->model_rows, row);
    }
  provider_row_keep_remove_last (self);
}

/**
 * rw_provider_row_store_key:
 * @self: the row
 * @key: the provider's API key
 * @error: where a failure is told
 *
 * Stores @key in the keyring for this provider, where the window, the command line and the
 * endpoint find it; a shipped provider joins the catalog with its models.
 *
 * Returns: whether it was stored
 */
gboolean
rw_provider_row_store_key (RwProviderRow  *self,
                           const char     *key,
                           GError        **error)
{
  const char *id = rw_provider_get_id (self->provider);

  if (!rw_keyring_store (id, key, error))
    return FALSE;
  self->in_keyring = TRUE;
  if (rw_catalog_lookup_provider (self->catalog, id) == NULL
      && !rw_catalog_add_shipped_provider (self->catalog, id, error))
    return FALSE;
  provider_row_update_key (self);
  provider_row_fill_models (self);
  return TRUE;
}

static void
provider_row_on_key_apply (AdwPasswordEntryRow *row,
                           RwProviderRow       *self)
{
  g_autofree char *key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr(GError) error = NULL;

  /* The text is taken out of the row first, so that no copy stays in the widget. */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
  if (*key == '\0')
    return;
  if (rw_provider_row_store_key (self, key, &error))
    provider_row_toast (self, _("Key saved in the keyring"));
  else
    provider_row_toast (self, error->message);
  memset (key, 0, strlen (key));
}

static void
provider_row_on_forget (GtkButton     *button,
                        RwProviderRow *self)
{
  g_autoptr(GError) error = NULL;

  if (!rw_keyring_clear (rw_provider_get_id (self->provider), NULL, &error))
    provider_row_toast (self, error->message);
  else
    self->in_keyring = FALSE;
  provider_row_update_key (self);
}

static void
provider_row_on_base_url_apply (AdwEntryRow   *row,
                                RwProviderRow *self)
{
  RwProvider *p = provider_row_live (self);
  g_autoptr(GError) error = NULL;

  if (!rw_providers_file_set_provider (self->file, rw_provider_get_id (p), rw_provider_get_kind (p),
                                       gtk_editable_get_text (GTK_EDITABLE (row)),
                                       rw_provider_get_api_key_env (p), self->catalog, &error))
    {
      provider_row_toast (self, error->message);
      gtk_editable_set_text (GTK_EDITABLE (row), rw_provider_get_base_url (p));
      return;
    }
  provider_row_toast (self, _("Address saved"));
}

static void
provider_row_clear_listed (RwProviderRow *self)
{
  for (guint i = 0; i < self->listed_rows->len; i++)
    adw_expander_row_remove (ADW_EXPANDER_ROW (self), self->listed_rows->pdata[i]);
  g_ptr_array_set_size (self->listed_rows, 0);
}

static void
provider_row_on_add_listed (GtkButton     *button,
                            RwProviderRow *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "model-name");
  g_autoptr(GError) error = NULL;

  if (!rw_providers_file_set_model (self->file, rw_provider_get_id (self->provider), name, NAN,
                                    NAN, self->catalog, &error))
    {
      provider_row_toast (self, error->message);
      return;
    }
  /* The row goes with the list it was in: the model is a configured one now. */
  provider_row_clear_listed (self);
  provider_row_fill_models (self);
}

/* The models the provider listed that are not configured yet, each with a button that adds it
 * (without a price: the dialog's Add Model sets one). At most 50; a search of so many belongs
 * to a model list, not to a Test. */
static void
provider_row_offer_listed (RwProviderRow *self,
                           GPtrArray     *models)
{
  const char *id = rw_provider_get_id (self->provider);
  guint shown = 0, left = 0;

  provider_row_clear_listed (self);
  for (guint i = 0; i < models->len; i++)
    {
      const char *name = rw_model_get_upstream_name (models->pdata[i]);
      g_autofree char *model_id = g_strdup_printf ("%s/%s", id, name);
      GtkWidget *row, *button;

      if (rw_catalog_lookup_model (self->catalog, model_id) != NULL)
        continue;
      if (shown == 50)
        {
          left++;
          continue;
        }
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Listed by the provider"));
      button = gtk_button_new_with_mnemonic (_("_Add"));
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (button, _("Compare this model too"));
      g_object_set_data_full (G_OBJECT (button), "model-name", g_strdup (name), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (provider_row_on_add_listed), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
      g_ptr_array_add (self->listed_rows, row);
      shown++;
    }
  if (left > 0)
    {
      g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "and %u more model listed",
                                                            "and %u more models listed", left),
                                               left);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), more);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
      g_ptr_array_add (self->listed_rows, row);
    }
  provider_row_keep_remove_last (self);
}

/**
 * rw_provider_row_get_n_listed:
 *
 * Returns: how many models the last Test found that are not configured yet, as offered
 */
guint
rw_provider_row_get_n_listed (RwProviderRow *self)
{
  return self->listed_rows->len;
}

static void
provider_row_test_cb (GObject      *object,
                      GAsyncResult *res,
                      gpointer      user_data)
{
  RwProviderRow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) models = rw_provider_list_models_finish (RW_PROVIDER (object), res, &error);
  g_autoptr(GString) text = g_string_new (NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (error, RW_ERROR, RW_ERROR_CANCELLED))
    return;
  if (models == NULL)
    g_string_printf (text, _("Failed: %s"), error->message);
  else
    {
      g_string_printf (text, g_dngettext (GETTEXT_PACKAGE, "Works: %u model listed",
                                          "Works: %u models listed", models->len), models->len);
      for (guint i = 0; i < models->len && i < 4; i++)
        g_string_append_printf (text, "%s%s", i == 0 ? ": " : ", ",
                                rw_model_get_upstream_name (models->pdata[i]));
      if (models->len > 4)
        g_string_append (text, ", …");
    }
  g_free (self->status);
  self->status = g_string_free (g_steal_pointer (&text), FALSE);
  adw_action_row_set_subtitle (self->test_row, self->status);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  if (models != NULL && self->file != NULL)
    provider_row_offer_listed (self, models);
}

/**
 * rw_provider_row_test:
 * @self: the row
 *
 * Asks the provider for its model list, with its key, and shows what came back.
 */
void
rw_provider_row_test (RwProviderRow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->status, g_free);
  adw_action_row_set_subtitle (self->test_row, _("Asking the provider for its models…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), FALSE);
  rw_provider_list_models_async (provider_row_live (self), self->cancellable,
                                 provider_row_test_cb, self);
}

/**
 * rw_provider_row_get_status:
 *
 * Returns: (nullable): what the last Test found, once it is done
 */
const char *
rw_provider_row_get_status (RwProviderRow *self)
{
  return self->status;
}

static void
provider_row_on_test_clicked (GtkButton     *button,
                              RwProviderRow *self)
{
  rw_provider_row_test (self);
}

/* A price typed in: empty is unknown (NAN); anything else must be a number of 0 or more. */
static gboolean
provider_row_parse_price (const char *text,
                          double     *price)
{
  char *end = NULL;

  if (text == NULL || *text == '\0')
    {
      *price = NAN;
      return TRUE;
    }
  *price = g_ascii_strtod (text, &end);
  return end != text && *end == '\0' && isfinite (*price) && *price >= 0;
}

static void
provider_row_on_add_model_response (AdwMessageDialog *dialog,
                                    const char       *response,
                                    RwProviderRow    *self)
{
  GtkEditable *name = g_object_get_data (G_OBJECT (dialog), "name");
  GtkEditable *in = g_object_get_data (G_OBJECT (dialog), "input-price");
  GtkEditable *out = g_object_get_data (G_OBJECT (dialog), "output-price");
  g_autoptr(GError) error = NULL;
  double in_price, out_price;

  if (!g_str_equal (response, "add"))
    return;
  if (!provider_row_parse_price (gtk_editable_get_text (in), &in_price)
      || !provider_row_parse_price (gtk_editable_get_text (out), &out_price))
    {
      provider_row_toast (self, _("A price is a number of US dollars per million tokens"));
      return;
    }
  if (!rw_providers_file_set_model (self->file, rw_provider_get_id (self->provider),
                                    g_strstrip ((char *) gtk_editable_get_text (name)),
                                    in_price, out_price, self->catalog, &error))
    provider_row_toast (self, error->message);
  else
    provider_row_fill_models (self);
}

static GtkWidget *
provider_row_entry (GtkWidget  *list,
                    const char *title)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return row;
}

static void
provider_row_on_add_model (GtkButton     *button,
                           RwProviderRow *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (window), _("Add a Model"), NULL);
  GtkWidget *list = gtk_list_box_new ();

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("Prices are US dollars per million tokens; leave them empty "
                                 "when unknown."));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  g_object_set_data (G_OBJECT (dialog), "name", provider_row_entry (list, _("Name")));
  g_object_set_data (G_OBJECT (dialog), "input-price",
                     provider_row_entry (list, _("Input Price")));
  g_object_set_data (G_OBJECT (dialog), "output-price",
                     provider_row_entry (list, _("Output Price")));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "add", _("_Add"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  g_signal_connect (dialog, "response", G_CALLBACK (provider_row_on_add_model_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
provider_row_on_remove_provider (GtkButton     *button,
                                 RwProviderRow *self)
{
  g_autoptr(GError) error = NULL;

  if (!rw_providers_file_remove_provider (self->file, rw_provider_get_id (self->provider),
                                          self->catalog, &error))
    provider_row_toast (self, error->message);
  else
    g_signal_emit (self, signals[REMOVED], 0);
}

static GtkWidget *
provider_row_button_row (const char *title,
                         const char *button_label,
                         GCallback   callback,
                         gpointer    data,
                         GtkWidget **button_out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (button_label);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect (button, "clicked", callback, data);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  if (button_out != NULL)
    *button_out = button;
  return row;
}

static void
rw_provider_row_dispose (GObject *object)
{
  RwProviderRow *self = (RwProviderRow *) object;

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (rw_provider_row_parent_class)->dispose (object);
}

static void
rw_provider_row_finalize (GObject *object)
{
  RwProviderRow *self = (RwProviderRow *) object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->provider);
  g_clear_object (&self->catalog);
  g_clear_object (&self->file);
  g_clear_pointer (&self->model_rows, g_ptr_array_unref);
  g_clear_pointer (&self->listed_rows, g_ptr_array_unref);
  g_clear_pointer (&self->status, g_free);
  G_OBJECT_CLASS (rw_provider_row_parent_class)->finalize (object);
}

static void
rw_provider_row_class_init (RwProviderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_provider_row_dispose;
  object_class->finalize = rw_provider_row_finalize;

  /**
   * RwProviderRow::removed:
   *
   * The user's own provider was removed from providers.json and from the catalog.
   */
  signals[REMOVED] = g_signal_new ("removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
rw_provider_row_init (RwProviderRow *self)
{
  self->model_rows = g_ptr_array_new ();
  self->listed_rows = g_ptr_array_new ();
}

/**
 * rw_provider_row_new:
 * @provider: the provider
 * @catalog: the live catalog
 * @file: (nullable): the user's providers.json when @provider is one of its own: its address
 *   and models can be changed and it can be removed
 * @has_keyring: whether a keyring is there to store a key in
 * @in_keyring: whether it holds @provider's key (the window asks the keyring once for every
 *   row)
 *
 * Returns: (transfer full): a new row
 */
RwProviderRow *
rw_provider_row_new (RwProvider      *provider,
                     RwCatalog       *catalog,
                     RwProvidersFile *file,
                     gboolean         has_keyring,
                     gboolean         in_keyring)
{
  RwProviderRow *self = g_object_new (RW_TYPE_PROVIDER_ROW, NULL);
  RwProviderClass *klass = RW_PROVIDER_GET_CLASS (provider);
  const char *id = rw_provider_get_id (provider);
  GtkWidget *row, *button;

  self->provider = g_object_ref (provider);
  self->catalog = g_object_ref (catalog);
  self->file = file ? g_object_ref (file) : NULL;
  self->has_keyring = has_keyring;
  self->in_keyring = in_keyring;
  gtk_widget_set_name (GTK_WIDGET (self), id);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), provider_row_name (id));

  if (klass->takes_api_key)
    {
      self->key_row = ADW_PASSWORD_ENTRY_ROW (adw_password_entry_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row), _("API Key"));
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (self->key_row), TRUE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->key_row), has_keyring);
      g_signal_connect (self->key_row, "apply", G_CALLBACK (provider_row_on_key_apply), self);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), GTK_WIDGET (self->key_row));

      row = provider_row_button_row (_("Key in the Keyring"), _("_Remove"),
                                     G_CALLBACK (provider_row_on_forget), self, NULL);
      self->forget_row = ADW_ACTION_ROW (row);
      adw_action_row_set_subtitle (self->forget_row, _("The command line and the endpoint use "
                                                       "it too"));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
    }

  if (file != NULL && klass->needs_base_url)
    {
      row = adw_entry_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Address"));
      gtk_editable_set_text (GTK_EDITABLE (row), rw_provider_get_base_url (provider));
      adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
      g_signal_connect (row, "apply", G_CALLBACK (provider_row_on_base_url_apply), self);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
    }
  else if (rw_provider_get_base_url (provider) != NULL)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Address"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), rw_provider_get_base_url (provider));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
    }

  row = provider_row_button_row (_("Connection"), _("_Test"),
                                 G_CALLBACK (provider_row_on_test_clicked), self, &button);
  self->test_row = ADW_ACTION_ROW (row);
  self->test_button = GTK_BUTTON (button);
  adw_action_row_set_subtitle (self->test_row, _("Lists the provider's models, with its key"));
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);

  if (file != NULL)
    {
      row = provider_row_button_row (_("Models"), _("_Add Model…"),
                                     G_CALLBACK (provider_row_on_add_model), self, NULL);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("The models to compare, by the "
                                                           "name the provider gives them"));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);

      row = provider_row_button_row (_("Remove This Provider"), _("_Remove"),
                                     G_CALLBACK (provider_row_on_remove_provider), self, &button);
      gtk_widget_add_css_class (button, "destructive-action");
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
      self->remove_row = row;
    }

  provider_row_update_key (self);
  provider_row_fill_models (self);
  return self;
}

RwProvider *
rw_provider_row_get_provider (RwProviderRow *self)
{
  return provider_row_live (self);
}
