/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-compare-options.h"

/**
 * RwCompareOptions:
 *
 * What every model of a comparison is asked with besides the prompt: a system prompt, a
 * temperature (or each model's own default), and the most tokens an answer may take (or the
 * model's own limit). Kept in GSettings.
 */
struct _RwCompareOptions
{
  GtkPopover parent_instance;

  GSettings *settings;
  GtkSpinButton *temperature;
  GtkSpinButton *max_tokens;
};

G_DEFINE_FINAL_TYPE (RwCompareOptions, rw_compare_options, GTK_TYPE_POPOVER)

static void
compare_options_on_max_tokens (GtkSpinButton    *spin,
                               RwCompareOptions *self)
{
  g_settings_set_int (self->settings, "max-tokens", gtk_spin_button_get_value_as_int (spin));
}

static void
compare_options_on_temperature (GtkSpinButton    *spin,
                                RwCompareOptions *self)
{
  g_settings_set_double (self->settings, "temperature", gtk_spin_button_get_value (spin));
}

static GtkWidget *
compare_options_label (const char *text,
                       GtkWidget  *target)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), target);
  return label;
}

static void
rw_compare_options_finalize (GObject *object)
{
  g_clear_object (&RW_COMPARE_OPTIONS (object)->settings);
  G_OBJECT_CLASS (rw_compare_options_parent_class)->finalize (object);
}

static void
rw_compare_options_class_init (RwCompareOptionsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_compare_options_finalize;
}

static void
rw_compare_options_init (RwCompareOptions *self)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *system = gtk_text_view_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *use_temperature = gtk_check_button_new_with_mnemonic (_("Set the _temperature"));
  GtkWidget *hint;

  self->settings = g_settings_new (APP_ID);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  g_object_set (grid, "margin-top", 6, "margin-bottom", 6, "margin-start", 6, "margin-end", 6,
                "width-request", 340, NULL);

  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (system), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (system), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (system), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (system), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (system), 6);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), system);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 90);
  gtk_widget_add_css_class (scroller, "card");
  g_settings_bind (self->settings, "system-prompt", gtk_text_view_get_buffer (GTK_TEXT_VIEW (system)),
                   "text", G_SETTINGS_BIND_DEFAULT);
  gtk_grid_attach (GTK_GRID (grid), compare_options_label (_("_System prompt"), system), 0, 0, 2, 1);
  gtk_grid_attach (GTK_GRID (grid), scroller, 0, 1, 2, 1);

  self->temperature = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 2, 0.1));
  gtk_spin_button_set_digits (self->temperature, 1);
  gtk_spin_button_set_value (self->temperature,
                             g_settings_get_double (self->settings, "temperature"));
  g_signal_connect (self->temperature, "value-changed",
                    G_CALLBACK (compare_options_on_temperature), self);
  g_settings_bind (self->settings, "use-temperature", use_temperature, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_object_bind_property (use_temperature, "active", self->temperature, "sensitive",
                          G_BINDING_SYNC_CREATE);
  gtk_grid_attach (GTK_GRID (grid), use_temperature, 0, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->temperature), 1, 2, 1, 1);

  self->max_tokens = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 1000000, 64));
  gtk_spin_button_set_value (self->max_tokens, g_settings_get_int (self->settings, "max-tokens"));
  g_signal_connect (self->max_tokens, "value-changed",
                    G_CALLBACK (compare_options_on_max_tokens), self);
  gtk_grid_attach (GTK_GRID (grid), compare_options_label (_("_Most tokens in an answer"),
                                                           GTK_WIDGET (self->max_tokens)),
                   0, 3, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->max_tokens), 1, 3, 1, 1);
  hint = gtk_label_new (_("0 lets each model decide."));
  gtk_label_set_xalign (GTK_LABEL (hint), 0);
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_widget_add_css_class (hint, "caption");
  gtk_grid_attach (GTK_GRID (grid), hint, 0, 4, 2, 1);

  gtk_popover_set_child (GTK_POPOVER (self), grid);
}

/**
 * rw_compare_options_make_request:
 * @self: the options
 * @prompt: the user's prompt
 *
 * Returns: (transfer full): the request every model of the comparison is sent: the system
 *   prompt, then @prompt, with the temperature and the token limit when they are set
 */
RwChatRequest *
rw_compare_options_make_request (RwCompareOptions *self,
                                 const char       *prompt)
{
  RwChatRequest *request = rw_chat_request_new ();
  g_autofree char *system = g_settings_get_string (self->settings, "system-prompt");
  int max_tokens = g_settings_get_int (self->settings, "max-tokens");

  if (*g_strstrip (system) != '\0')
    rw_chat_request_add_message (request, "system", system);
  rw_chat_request_add_message (request, "user", prompt);
  if (g_settings_get_boolean (self->settings, "use-temperature"))
    request->temperature = g_settings_get_double (self->settings, "temperature");
  if (max_tokens > 0)
    request->max_tokens = max_tokens;
  return request;
}

/**
 * rw_compare_options_describe:
 *
 * Returns: (transfer full) (nullable): the options set, in a few words, or %NULL when none is
 */
char *
rw_compare_options_describe (RwCompareOptions *self)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *system = g_settings_get_string (self->settings, "system-prompt");
  int max_tokens = g_settings_get_int (self->settings, "max-tokens");

  if (*g_strstrip (system) != '\0')
    g_string_append (s, _("system prompt"));
  if (g_settings_get_boolean (self->settings, "use-temperature"))
    g_string_append_printf (s, "%s%s %.1f", s->len ? ", " : "", _("temperature"),
                            g_settings_get_double (self->settings, "temperature"));
  if (max_tokens > 0)
    g_string_append_printf (s, "%s%s %d", s->len ? ", " : "", _("at most"), max_tokens);
  return s->len ? g_string_free (g_steal_pointer (&s), FALSE) : NULL;
}
