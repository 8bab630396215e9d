/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-evaluate-page-private.h"
#include "rw-window.h"

/* The Evaluate view before a run: the suite, the models and the options picked, and the runs
 * left unfinished that can be resumed. */

/* ---------------------------------------------------------------------------- suites */

/* Where the bundled suites are: installed, else beside the sources of a build not installed. */
GPtrArray *
_rw_evaluate_page_bundled_suites (void)
{
  const char *dirs[] = { g_getenv ("ROUTEWISE_SUITES_DIR"), RW_SUITES_DIR, RW_SOURCE_SUITES_DIR };
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint d = 0; d < G_N_ELEMENTS (dirs) && paths->len == 0; d++)
    {
      g_autoptr(GDir) dir = dirs[d] ? g_dir_open (dirs[d], 0, NULL) : NULL;
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".jsonl") || g_str_has_suffix (name, ".yaml"))
          g_ptr_array_add (paths, g_build_filename (dirs[d], name, NULL));
    }
  /* By name. */
  for (guint i = 1; i < paths->len; i++)
    for (guint j = i; j > 0 && g_strcmp0 (paths->pdata[j - 1], paths->pdata[j]) > 0; j--)
      {
        gpointer t = paths->pdata[j];
        paths->pdata[j] = paths->pdata[j - 1];
        paths->pdata[j - 1] = t;
      }
  return paths;
}

/**
 * rw_evaluate_page_set_suite_file:
 * @path: a suite (`.jsonl`, `.csv`) or a promptfoo configuration
 *
 * Returns: %TRUE when the file reads as a suite
 */
gboolean
rw_evaluate_page_set_suite_file (RwEvaluatePage  *self,
                                 const char      *path,
                                 GError         **error)
{
  g_autoptr(RwSuite) suite = rw_suite_new_from_file (path, error);
  g_autofree char *text = NULL;

  if (suite == NULL)
    return FALSE;
  g_set_object (&self->suite, suite);
  /* The models its grades need are asked for only when they do. */
  self->needs = 0;
  for (guint i = 0; i < rw_suite_get_n_items (suite); i++)
    self->needs |= rw_grader_item_needs (rw_suite_get_item (suite, i));
  gtk_widget_set_visible (self->choices[RW_EVALUATE_EMBEDDING].row,
                          (self->needs & RW_GRADER_NEEDS_EMBEDDING) != 0);
  gtk_widget_set_visible (self->choices[RW_EVALUATE_MODERATION].row,
                          (self->needs & RW_GRADER_NEEDS_MODERATION) != 0);
  g_free (self->suite_path);
  self->suite_path = g_strdup (path);
  text = g_strdup_printf (ngettext ("%s: %u item", "%s: %u items", rw_suite_get_n_items (suite)),
                          rw_suite_get_name (suite), rw_suite_get_n_items (suite));
  gtk_label_set_text (self->suite_label, text);
  /* Remembered, so that a run of it can be resumed later. */
  {
    g_auto(GStrv) known = g_settings_get_strv (self->settings, "eval-suite-files");
    g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
    g_auto(GStrv) files = NULL;

    g_strv_builder_add (b, path);
    for (guint i = 0; known[i] != NULL && i < 20; i++)
      if (g_strcmp0 (known[i], path) != 0)
        g_strv_builder_add (b, known[i]);
    files = g_strv_builder_end (b);
    g_settings_set_strv (self->settings, "eval-suite-files", (const char * const *) files);
  }
  return TRUE;
}

/**
 * rw_evaluate_page_find_suite:
 * @name: a run's suite name (its file's name)
 * @checksum: (nullable): its checksum, which the file found must have
 *
 * Returns: (transfer full) (nullable): the file of that suite among the bundled ones and those
 *   picked before
 */
char *
rw_evaluate_page_find_suite (RwEvaluatePage *self,
                             const char     *name,
                             const char     *checksum)
{
  g_autoptr(GPtrArray) candidates = _rw_evaluate_page_bundled_suites ();
  g_auto(GStrv) known = g_settings_get_strv (self->settings, "eval-suite-files");

  for (guint i = 0; known[i] != NULL; i++)
    g_ptr_array_add (candidates, g_strdup (known[i]));
  for (guint i = 0; i < candidates->len; i++)
    {
      g_autofree char *base = g_path_get_basename (candidates->pdata[i]);
      g_autoptr(RwSuite) suite = NULL;

      if (g_strcmp0 (base, name) != 0)
        continue;
      suite = rw_suite_new_from_file (candidates->pdata[i], NULL);
      if (suite != NULL && (checksum == NULL ||
                            g_strcmp0 (rw_suite_get_checksum (suite), checksum) == 0))
        return g_strdup (candidates->pdata[i]);
    }
  return NULL;
}

static void
evaluate_page_suite_chosen (RwEvaluatePage *self)
{
  guint i = gtk_drop_down_get_selected (self->suite_dropdown);
  g_autoptr(GError) error = NULL;

  if (i < self->suite_paths->len &&
      !rw_evaluate_page_set_suite_file (self, self->suite_paths->pdata[i], &error))
    rw_window_toast_for (GTK_WIDGET (self), error->message);
}

static void
evaluate_page_open_response (GtkNativeDialog *dialog,
                             int              response,
                             RwEvaluatePage  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL &&
      !rw_evaluate_page_set_suite_file (self, path, &error))
    rw_window_toast_for (GTK_WIDGET (self), error->message);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
evaluate_page_open_suite (RwEvaluatePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Open a Suite or a promptfoo Configuration"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Suites and promptfoo configurations"));
  for (const char * const *p = (const char *[]) { "*.jsonl", "*.csv", "*.yaml", "*.yml",
                                                  "*.json", NULL }; *p != NULL; p++)
    gtk_file_filter_add_pattern (filter, *p);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (evaluate_page_open_response),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---------------------------------------------------------------------------- models */

static gboolean
evaluate_page_model_visible (GtkListBoxRow *row,
                             gpointer       data)
{
  RwEvaluatePage *self = data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->model_search));
  const char *id = g_object_get_data (G_OBJECT (row), "model-id");
  g_autofree char *lower = g_utf8_strdown (id ? id : "", -1);
  g_autofree char *q = g_utf8_strdown (query, -1);

  return *q == '\0' || strstr (lower, q) != NULL;
}

/* Picks @model_id in @choice; none when it is not there. */
static void
evaluate_page_choose (RwModelChoice *choice,
                      const char    *model_id)
{
  guint chosen = 0;

  for (guint i = 1; model_id != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (choice->names));
       i++)
    if (g_strcmp0 (gtk_string_list_get_string (choice->names, i), model_id) == 0)
      chosen = i;
  gtk_drop_down_set_selected (choice->dropdown, chosen);
}

/* The catalog's models, as they are now (a provider added or removed in Preferences changes
 * them), with what was ticked and chosen kept where it is still there. */
void
_rw_evaluate_page_fill_models (RwEvaluatePage *self)
{
  GListModel *models = rw_catalog_get_models (self->catalog);
  char *chosen[RW_EVALUATE_N_CHOICES] = { NULL };
  g_autoptr(GStrvBuilder) ticked = g_strv_builder_new ();
  g_auto(GStrv) ticked_ids = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->model_list))) != NULL)
    {
      GtkCheckButton *check = g_object_get_data (G_OBJECT (child), "check");

      if (check != NULL && gtk_check_button_get_active (check))
        g_strv_builder_add (ticked, g_object_get_data (G_OBJECT (child), "model-id"));
      gtk_list_box_remove (self->model_list, child);
    }
  for (guint k = 0; k < RW_EVALUATE_N_CHOICES; k++)
    {
      GtkStringList *names = self->choices[k].names;
      guint at = gtk_drop_down_get_selected (self->choices[k].dropdown);

      if (at > 0 && at != GTK_INVALID_LIST_POSITION)
        chosen[k] = g_strdup (gtk_string_list_get_string (names, at));
      gtk_string_list_splice (names, 0, g_list_model_get_n_items (G_LIST_MODEL (names)), NULL);
      gtk_string_list_append (names, k == RW_EVALUATE_JUDGE ? _("No judge") : _("None"));
    }
  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(RwModel) model = g_list_model_get_item (models, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rw_model_get_id (model));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_object_set_data_full (G_OBJECT (row), "model-id", g_strdup (rw_model_get_id (model)),
                              g_free);
      g_object_set_data (G_OBJECT (row), "check", check);
      gtk_list_box_append (self->model_list, row);
      for (guint k = 0; k < RW_EVALUATE_N_CHOICES; k++)
        gtk_string_list_append (self->choices[k].names, rw_model_get_id (model));
    }
  ticked_ids = g_strv_builder_end (ticked);
  rw_evaluate_page_set_models (self, (const char * const *) ticked_ids);
  for (guint k = 0; k < RW_EVALUATE_N_CHOICES; k++)
    {
      evaluate_page_choose (&self->choices[k], chosen[k]);
      g_free (chosen[k]);
    }
}

/* The model picked for @choice, NULL for none (or when it is no longer in the catalog, which
 * sets @error). */
RwModel *
_rw_evaluate_page_chosen_model (RwEvaluatePage    *self,
                                RwEvaluateChoice   choice,
                                GError           **error)
{
  GtkStringList *names = self->choices[choice].names;
  guint chosen = gtk_drop_down_get_selected (self->choices[choice].dropdown);

  if (chosen == 0 || chosen >= g_list_model_get_n_items (G_LIST_MODEL (names)))
    return NULL;
  return rw_catalog_resolve_model (self->catalog, gtk_string_list_get_string (names, chosen),
                                   error);
}

/**
 * rw_evaluate_page_set_models:
 * @model_ids: the models to evaluate; the others are unticked
 */
void
rw_evaluate_page_set_models (RwEvaluatePage     *self,
                             const char * const *model_ids)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->model_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *id = g_object_get_data (G_OBJECT (row), "model-id");
      GtkCheckButton *check = g_object_get_data (G_OBJECT (row), "check");

      if (check != NULL)
        gtk_check_button_set_active (check, g_strv_contains (model_ids, id));
    }
}

void
rw_evaluate_page_set_options (RwEvaluatePage *self,
                              guint           repeat,
                              guint           concurrency,
                              double          budget_usd,
                              const char     *judge_id)
{
  gtk_spin_button_set_value (self->repeat_spin, repeat);
  gtk_spin_button_set_value (self->concurrency_spin, concurrency);
  gtk_spin_button_set_value (self->budget_spin, budget_usd);
  evaluate_page_choose (&self->choices[RW_EVALUATE_JUDGE], judge_id);
}

/**
 * rw_evaluate_page_set_grading_models:
 * @embedding_id: (nullable): the model that embeds answers for similar and answer-relevance
 *   grades
 * @moderation_id: (nullable): the model that moderates answers for moderation grades
 */
void
rw_evaluate_page_set_grading_models (RwEvaluatePage *self,
                                     const char     *embedding_id,
                                     const char     *moderation_id)
{
  evaluate_page_choose (&self->choices[RW_EVALUATE_EMBEDDING], embedding_id);
  evaluate_page_choose (&self->choices[RW_EVALUATE_MODERATION], moderation_id);
}

GPtrArray *
_rw_evaluate_page_picked_models (RwEvaluatePage  *self,
                                 GError         **error)
{
  g_autoptr(GPtrArray) picked = g_ptr_array_new_with_free_func (g_object_unref);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->model_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkCheckButton *check = g_object_get_data (G_OBJECT (row), "check");
      RwModel *model;

      if (check == NULL || !gtk_check_button_get_active (check))
        continue;
      if ((model = rw_catalog_resolve_model (self->catalog,
                                             g_object_get_data (G_OBJECT (row), "model-id"),
                                             error)) == NULL)
        return NULL;
      g_ptr_array_add (picked, model);
    }
  if (picked->len == 0)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("Pick at least one model"));
      return NULL;
    }
  return g_steal_pointer (&picked);
}

/* ---------------------------------------------------------------------------- runs to resume */

/**
 * rw_evaluate_page_list_resumable:
 *
 * Returns: (transfer full) (element-type RwStoredRun): the evaluation runs that did not finish,
 *   the newest first, whoever ran them
 */
GPtrArray *
rw_evaluate_page_list_resumable (RwEvaluatePage *self)
{
  GPtrArray *runs = self->store ? rw_store_list_runs (self->store, "eval", TRUE, 20, NULL) : NULL;

  return runs ? runs : g_ptr_array_new_with_free_func ((GDestroyNotify) rw_stored_run_free);
}

static void
evaluate_page_resume_run_clicked (GtkButton      *button,
                                  RwEvaluatePage *self)
{
  const char *run_id = g_object_get_data (G_OBJECT (button), "run-id");
  g_autoptr(RwStoredRun) run = rw_store_lookup_run (self->store, run_id, "eval", NULL);
  g_autoptr(JsonNode) params = run && run->params ?
                                     rw_json_parse (run->params, strlen (run->params), NULL) : NULL;
  JsonObject *p = params && JSON_NODE_HOLDS_OBJECT (params) ? json_node_get_object (params) : NULL;
  JsonArray *models = p ? rw_json_object_get_array (p, "models") : NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  if (p == NULL || models == NULL)
    return;
  path = rw_evaluate_page_find_suite (self, rw_json_object_get_string (p, "suite", ""),
                                      rw_json_object_get_string (p, "suite_checksum", NULL));
  if (path == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Open %s first: its suite file is not among "
                                                 "those known"),
                                               rw_json_object_get_string (p, "suite", ""));
      rw_window_toast_for (GTK_WIDGET (self), text);
      return;
    }
  if (!rw_evaluate_page_set_suite_file (self, path, &error))
    {
      rw_window_toast_for (GTK_WIDGET (self), error->message);
      return;
    }
  for (guint i = 0; i < json_array_get_length (models); i++)
    g_ptr_array_add (ids, (char *) json_array_get_string_element (models, i));
  g_ptr_array_add (ids, NULL);
  rw_evaluate_page_set_models (self, (const char * const *) ids->pdata);
  gtk_spin_button_set_value (self->repeat_spin, rw_json_object_get_int (p, "repeat", 1));
  _rw_evaluate_page_ask_start (self, run_id);
}

void
_rw_evaluate_page_list_resumable (RwEvaluatePage *self)
{
  g_autoptr(GPtrArray) runs = rw_evaluate_page_list_resumable (self);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->resumable_list))) != NULL)
    gtk_list_box_remove (self->resumable_list, child);
  gtk_widget_set_visible (self->resumable_group, runs->len > 0);
  for (guint i = 0; i < runs->len; i++)
    {
      RwStoredRun *run = runs->pdata[i];
      g_autoptr(JsonNode) params = run->params ?
                                   rw_json_parse (run->params, strlen (run->params), NULL) : NULL;
      JsonObject *p = params && JSON_NODE_HOLDS_OBJECT (params) ? json_node_get_object (params) : NULL;
      JsonArray *models = p ? rw_json_object_get_array (p, "models") : NULL;
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (run->created_ms / 1000);
      g_autofree char *when = g_date_time_format (t, "%x %X");
      g_autofree char *title = g_strdup_printf ("%s · %s", p ? rw_json_object_get_string (p, "suite", "?")
                                                             : "?", run->status);
      g_autofree char *subtitle = g_strdup_printf (ngettext ("%s · %u model", "%s · %u models",
                                                             models ? json_array_get_length (models) : 0),
                                                   when, models ? json_array_get_length (models) : 0);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *b = gtk_button_new_with_mnemonic (_("_Resume"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (b), "run-id", g_strdup (run->id), g_free);
      g_signal_connect (b, "clicked", G_CALLBACK (evaluate_page_resume_run_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
      gtk_list_box_append (self->resumable_list, row);
    }
}

/* ---------------------------------------------------------------------------- the form */

static GtkWidget *
evaluate_page_spin_row (const char     *title,
                        const char     *subtitle,
                        double          lo,
                        double          hi,
                        double          step,
                        guint           digits,
                        GtkSpinButton **spin)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  *spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (lo, hi, step));
  gtk_spin_button_set_digits (*spin, digits);
  gtk_widget_set_valign (GTK_WIDGET (*spin), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (*spin));
  return row;
}

/* @choice's row in @group, its list filled by _rw_evaluate_page_fill_models(); shown or not. */
static void
evaluate_page_add_choice (GtkWidget     *group,
                          RwModelChoice *choice,
                          const char    *title,
                          const char    *subtitle,
                          gboolean       visible)
{
  choice->row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (choice->row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (choice->row), subtitle);
  choice->names = gtk_string_list_new (NULL);
  choice->dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (choice->names)),
                                                       NULL));
  gtk_drop_down_set_enable_search (choice->dropdown, TRUE);
  gtk_widget_set_valign (GTK_WIDGET (choice->dropdown), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (choice->row), GTK_WIDGET (choice->dropdown));
  gtk_widget_set_visible (choice->row, visible);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), choice->row);
}

void
_rw_evaluate_page_build_setup (RwEvaluatePage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *suite = adw_preferences_group_new ();
  GtkWidget *models = adw_preferences_group_new ();
  GtkWidget *options = adw_preferences_group_new ();
  GtkWidget *resumable = adw_preferences_group_new ();
  GtkWidget *row, *b, *start;

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (suite), _("Suite"));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Bundled suite"));
  self->suite_names = gtk_string_list_new (NULL);
  self->suite_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->suite_names)),
                                                           NULL));
  gtk_widget_set_valign (GTK_WIDGET (self->suite_dropdown), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->suite_dropdown, "notify::selected",
                            G_CALLBACK (evaluate_page_suite_chosen), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->suite_dropdown));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (suite), row);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Or a file"));
  b = gtk_button_new_with_mnemonic (_("_Open…"));
  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (b, _("A suite (.jsonl, .csv) or a promptfoo configuration"));
  g_signal_connect_swapped (b, "clicked", G_CALLBACK (evaluate_page_open_suite), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (suite), row);
  self->suite_label = GTK_LABEL (gtk_label_new (_("No suite picked")));
  gtk_label_set_xalign (self->suite_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->suite_label), "dim-label");
  gtk_widget_set_margin_top (GTK_WIDGET (self->suite_label), 6);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (suite), GTK_WIDGET (self->suite_label));
  gtk_box_append (GTK_BOX (box), suite);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (models), _("Models"));
  self->model_search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->model_search), 6);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (models), GTK_WIDGET (self->model_search));
  self->model_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->model_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->model_list), "boxed-list");
  gtk_list_box_set_filter_func (self->model_list, evaluate_page_model_visible, self, NULL);
  g_signal_connect_swapped (self->model_search, "search-changed",
                            G_CALLBACK (gtk_list_box_invalidate_filter), self->model_list);
  {
    GtkWidget *scroll = gtk_scrolled_window_new ();
    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                    GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 260);
    /* Rows enough to pick from, however many options follow. */
    gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroll), 160);
    gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
    gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->model_list));
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (models), scroll);
  }
  gtk_box_append (GTK_BOX (box), models);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (options), _("Options"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (options),
                             evaluate_page_spin_row (_("Repetitions"),
                                                     _("Each item asked this many times"), 1,
                                                     100, 1, 0, &self->repeat_spin));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (options),
                             evaluate_page_spin_row (_("Concurrency"),
                                                     _("Requests in flight at once"), 1, 256, 1,
                                                     0, &self->concurrency_spin));
  gtk_spin_button_set_value (self->concurrency_spin, 8);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (options),
                             evaluate_page_spin_row (_("Budget"),
                                                     _("US dollars; the run stops before passing "
                                                       "it (0: none)"), 0, 100000, 0.5, 2,
                                                     &self->budget_spin));
  evaluate_page_add_choice (options, &self->choices[RW_EVALUATE_JUDGE], _("Judge"),
                            _("A model that grades the answers and compares them in pairs"),
                            TRUE);
  evaluate_page_add_choice (options, &self->choices[RW_EVALUATE_EMBEDDING], _("Embedding Model"),
                            _("Embeds answers for the suite’s similarity and answer-relevance "
                              "grades"), FALSE);
  evaluate_page_add_choice (options, &self->choices[RW_EVALUATE_MODERATION], _("Moderation Model"),
                            _("Checks answers for the suite’s moderation grades (an "
                              "OpenAI-compatible /moderations)"), FALSE);
  gtk_box_append (GTK_BOX (box), options);

  start = gtk_button_new_with_mnemonic (_("_Start Evaluation…"));
  gtk_widget_add_css_class (start, "suggested-action");
  gtk_widget_add_css_class (start, "pill");
  gtk_widget_set_halign (start, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (start, "clicked", G_CALLBACK (_rw_evaluate_page_start_clicked), self);
  gtk_box_append (GTK_BOX (box), start);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (resumable), _("Unfinished Runs"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (resumable),
    _("Runs cancelled, stopped at their budget, or cut short by a crash, here or on the "
      "command line: resuming asks only what is missing."));
  self->resumable_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->resumable_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->resumable_list), "boxed-list");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (resumable), GTK_WIDGET (self->resumable_list));
  gtk_box_append (GTK_BOX (box), resumable);
  self->resumable_group = resumable;

  gtk_stack_add_named (self->stack, _rw_evaluate_page_scrolled (box), "setup");
}
