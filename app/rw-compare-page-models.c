/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rw-compare-page-private.h"
#include "rw-window.h"

/* The Compare view's models: the models popover and the selection it keeps in GSettings, the
 * samples popover, the selection a first run gets once a real provider can answer, Try a
 * Sample, and Random Pair. */

void
_rw_compare_page_update_models_button (RwComparePage *self)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "selected-models");
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autofree char *label = NULL;
  guint n = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      if (self->catalog == NULL || rw_catalog_lookup_model (self->catalog, ids[i]) != NULL)
        n++;
      else
        g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", ids[i]);
    }
  label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Model", "%u Models", n), n);
  gtk_menu_button_set_label (self->models_button, label);
  /* D8: a chosen model that is not there (its provider gone, its key removed) is said, not
   * dropped in silence. */
  if (missing->len > 0)
    {
      g_autofree char *tip = g_strdup_printf (_("Not available, left out: %s"), missing->str);

      gtk_widget_set_tooltip_text (GTK_WIDGET (self->models_button), tip);
      gtk_widget_add_css_class (GTK_WIDGET (self->models_button), "warning");
    }
  else
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->models_button),
                                   _("Choose the models to compare"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->models_button), "warning");
    }
}

/* The selection keeps the order in which models were chosen: that is the columns' order. */
static void
compare_page_on_model_toggled (GtkCheckButton *check,
                               RwComparePage  *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "model-id");
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "selected-models");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  gboolean active = gtk_check_button_get_active (check);

  for (guint i = 0; ids[i]; i++)
    if (!g_str_equal (ids[i], id))
      g_strv_builder_add (builder, ids[i]);
  if (active)
    g_strv_builder_add (builder, id);
  updated = g_strv_builder_end (builder);
  self->toggling = TRUE;
  g_settings_set_strv (self->settings, "selected-models", (const char * const *) updated);
  self->toggling = FALSE;
  _rw_compare_page_load_selection (self);
  if (self->current != NULL)
    self->current->selection_changed = TRUE;
}

GtkWidget *
_rw_compare_page_create_model_row (gpointer item,
                                   gpointer user_data)
{
  RwComparePage *self = user_data;
  RwModel *model = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *subtitle = NULL;

  if (rw_model_has_price (model))
    subtitle = g_strdup_printf (_("%s · $%.3g / $%.3g per million tokens"), rw_model_get_id (model),
                                rw_model_get_input_price (model),
                                rw_model_get_output_price (model));
  else
    subtitle = g_strdup (rw_model_get_id (model));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rw_model_get_display_name (model));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                               g_hash_table_contains (self->selected, rw_model_get_id (model)));
  g_object_set_data_full (G_OBJECT (check), "model-id", g_strdup (rw_model_get_id (model)), g_free);
  g_signal_connect (check, "toggled", G_CALLBACK (compare_page_on_model_toggled), self);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  return row;
}

gboolean
_rw_compare_page_filter_model (gpointer item,
                               gpointer user_data)
{
  RwComparePage *self = user_data;
  RwModel *model = item;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->models_search));
  g_autofree char *q = g_utf8_strdown (query, -1);
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;

  if (*q == '\0')
    return TRUE;
  id = g_utf8_strdown (rw_model_get_id (model), -1);
  name = g_utf8_strdown (rw_model_get_display_name (model), -1);
  return strstr (id, q) != NULL || strstr (name, q) != NULL;
}

void
_rw_compare_page_on_models_search_changed (RwComparePage *self)
{
  gtk_filter_changed (GTK_FILTER (self->model_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

GtkWidget *
_rw_compare_page_create_sample_row (gpointer item,
                                    gpointer user_data)
{
  RwSamplePrompt *p = item;
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  /* The prompt whole, on up to three lines: two prompts may begin alike (D13). */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rw_sample_prompt_get_text (p));
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 3);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), rw_sample_prompt_get_task (p));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "prompt", g_object_ref (p), g_object_unref);
  return row;
}

gboolean
_rw_compare_page_filter_sample (gpointer item,
                                gpointer user_data)
{
  RwComparePage *self = user_data;
  g_autofree char *q = g_utf8_strdown (gtk_editable_get_text (GTK_EDITABLE (self->samples_search)),
                                       -1);
  g_autofree char *text = NULL;
  g_autofree char *task = NULL;

  if (*q == '\0')
    return TRUE;
  text = g_utf8_strdown (rw_sample_prompt_get_text (item), -1);
  task = g_utf8_strdown (rw_sample_prompt_get_task (item), -1);
  return strstr (text, q) != NULL || strstr (task, q) != NULL;
}

void
_rw_compare_page_on_samples_search_changed (RwComparePage *self)
{
  gtk_filter_changed (GTK_FILTER (self->samples_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

void
_rw_compare_page_on_sample_activated (RwComparePage *self,
                                      GtkListBoxRow *row)
{
  RwSamplePrompt *p = g_object_get_data (G_OBJECT (row), "prompt");

  rw_compare_page_set_prompt (self, rw_sample_prompt_get_text (p));
  gtk_popover_popdown (self->samples_popover);
}

/* Whether a model is a real one that can answer now: not a recording, and its provider needs
 * no key (a local server), or has one (rw_provider_can_send()). */
static gboolean
compare_page_model_usable (RwComparePage *self,
                           RwModel       *model)
{
  RwProvider *p = rw_catalog_lookup_provider (self->catalog, rw_model_get_provider_id (model));

  if (p == NULL || g_str_equal (rw_provider_get_kind (p), "recorded"))
    return FALSE;
  return rw_provider_can_send (p);
}

/* The real models that can answer now. */
static GPtrArray *
compare_page_usable_models (RwComparePage *self)
{
  g_autoptr(GPtrArray) all = rw_catalog_list_models (self->catalog);
  GPtrArray *usable = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < all->len; i++)
    if (compare_page_model_usable (self, all->pdata[i]))
      g_ptr_array_add (usable, g_object_ref (all->pdata[i]));
  return usable;
}

/* First run: until a real provider works, Compare offers the samples (which the recordings
 * answer) and Preferences; once one works, and unless the user chose models, the selection is
 * real models, of different providers first. */
void
_rw_compare_page_update_first_run (RwComparePage *self)
{
  g_autoptr(GPtrArray) usable = compare_page_usable_models (self);
  g_autoptr(GVariant) chosen = g_settings_get_user_value (self->settings, "selected-models");
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  if (usable->len > 0 && chosen == NULL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_autoptr(GHashTable) providers = g_hash_table_new (g_str_hash, g_str_equal);
      g_auto(GStrv) ids = NULL;
      guint n = 0;

      for (guint pass = 0; pass < 2; pass++)
        for (guint i = 0; i < usable->len && n < 3; i++)
          {
            RwModel *m = usable->pdata[i];
            gboolean seen = g_hash_table_contains (providers, rw_model_get_provider_id (m));

            if ((pass == 0) == seen)
              continue;
            if (pass == 1 && g_hash_table_contains (providers, rw_model_get_id (m)))
              continue;
            g_hash_table_add (providers, (gpointer) rw_model_get_provider_id (m));
            g_hash_table_add (providers, (gpointer) rw_model_get_id (m));
            g_strv_builder_add (builder, rw_model_get_id (m));
            n++;
          }
      ids = g_strv_builder_end (builder);
      rw_compare_page_set_selected_models (self, (const char * const *) ids);
    }
  if (g_strcmp0 (page, "columns") != 0)
    gtk_stack_set_visible_child_name (self->stack, usable->len > 0 ? "empty" : "first-run");
}

gboolean
_rw_compare_page_first_run_idle (gpointer data)
{
  RwComparePage *self = data;

  self->first_run_idle = 0;
  _rw_compare_page_update_first_run (self);
  _rw_compare_page_update_models_button (self);
  return G_SOURCE_REMOVE;
}

/* The catalog tells of a change while it holds its list's lock: the page looks at the models
 * once it has let go. */
void
_rw_compare_page_on_models_changed (GListModel    *models,
                                    guint          position,
                                    guint          removed,
                                    guint          added,
                                    RwComparePage *self)
{
  if (self->first_run_idle == 0)
    self->first_run_idle = g_idle_add (_rw_compare_page_first_run_idle, self);
}

/* A sample prompt, sent to the recordings that answer it. */
void
_rw_compare_page_try_sample_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  GListModel *prompts = rw_prompt_library_get_prompts (rw_prompt_library_get_default ());
  g_autoptr(RwSamplePrompt) sample = NULL;
  g_autoptr(GVariant) fallback = g_settings_get_default_value (self->settings, "selected-models");
  g_autofree const char **ids = NULL;

  if (g_list_model_get_n_items (prompts) == 0)
    return;
  sample = g_list_model_get_item (prompts, g_random_int_range (0, g_list_model_get_n_items (prompts)));
  ids = g_variant_get_strv (fallback, NULL);
  rw_compare_page_set_selected_models (self, ids);
  rw_compare_page_set_prompt (self, rw_sample_prompt_get_text (sample));
  gtk_widget_activate_action (widget, "compare.send", NULL);
}

/* Two models picked at random answer blind, as in Chatbot Arena: among the real ones that can
 * answer, or, when there are not two of those, the recordings that have an answer to the
 * prompt. */
void
_rw_compare_page_random_pair_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  g_autofree char *prompt = _rw_compare_page_take_prompt (self);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) real = g_ptr_array_new ();
  g_autoptr(GPtrArray) recorded = g_ptr_array_new ();
  g_autoptr(GPtrArray) pair = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *pool;

  if (prompt == NULL)
    return;
  all = rw_catalog_list_models (self->catalog);
  for (guint i = 0; i < all->len; i++)
    {
      RwModel *m = all->pdata[i];
      RwProvider *p = rw_catalog_lookup_provider (self->catalog, rw_model_get_provider_id (m));

      if (RW_IS_RECORDED_PROVIDER (p))
        {
          /* A recording that has no answer to the prompt would only fail. */
          g_autofree char *answer = rw_recorded_provider_lookup (RW_RECORDED_PROVIDER (p),
                                                                 rw_model_get_upstream_name (m),
                                                                 prompt, NULL);
          if (answer != NULL)
            g_ptr_array_add (recorded, m);
        }
      else if (compare_page_model_usable (self, m))
        g_ptr_array_add (real, m);
    }
  pool = real->len >= 2 ? real : recorded;
  if (pool->len < 2)
    {
      rw_window_toast_for (GTK_WIDGET (self), _("A random pair needs two models that can answer"));
      return;
    }
  {
    guint a = g_random_int_range (0, pool->len);
    guint b = g_random_int_range (0, pool->len - 1);

    if (b >= a)
      b++;
    g_ptr_array_add (pair, g_object_ref (pool->pdata[a]));
    g_ptr_array_add (pair, g_object_ref (pool->pdata[b]));
  }
  _rw_compare_page_start (self, prompt, pair, TRUE);
}

void
_rw_compare_page_on_selection_setting (RwComparePage *self)
{
  _rw_compare_page_load_selection (self);
  /* The checks follow a change made elsewhere; a check's own toggle has them right. */
  if (!self->toggling && self->filtered_models != NULL)
    gtk_list_box_bind_model (self->models_list, G_LIST_MODEL (self->filtered_models),
                             _rw_compare_page_create_model_row, self, NULL);
}

void
_rw_compare_page_load_selection (RwComparePage *self)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "selected-models");

  g_hash_table_remove_all (self->selected);
  for (guint i = 0; ids[i]; i++)
    g_hash_table_add (self->selected, g_strdup (ids[i]));
  _rw_compare_page_update_models_button (self);
}

void
rw_compare_page_set_selected_models (RwComparePage      *self,
                                     const char * const *ids)
{
  g_settings_set_strv (self->settings, "selected-models", ids);
}

char **
rw_compare_page_dup_selected_models (RwComparePage *self)
{
  return g_settings_get_strv (self->settings, "selected-models");
}
