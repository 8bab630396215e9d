/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rw-compare-page.h"
#include "rw-window.h"

/**
 * RwComparePage:
 *
 * The Compare view sends one prompt to the chosen models at once, streams each
 * answer into its own column with its metrics, keeps everything in the database, and takes the
 * user's vote: for two answers, left better, right better, tie or both bad; for more, the best.
 */

typedef struct
{
  RwChatRequest *request;
  GPtrArray *models;
  GPtrArray *columns;      /* RwAnswerColumn, borrowed from the box */
  GPtrArray *results;
  GStrv response_ids;
  GCancellable *cancellable;
  char *prompt_id;
  char *run_id;
  gboolean finished;
  gboolean voted;
  gboolean blind;
  gboolean stored;         /* reopened from the history: read-only */
  gboolean selection_changed; /* other models were chosen since it was reopened */
} Comparison;

struct _RwComparePage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  RwFanout *fanout;
  GSettings *settings;
  GHashTable *selected;    /* model id set */
  GtkCustomFilter *model_filter;
  GtkFilterListModel *filtered_models;
  Comparison *current;
  char *last_run_id;

  GtkBox *columns_box;
  GtkMenuButton *models_button;
  GtkListBox *models_list;
  GtkSearchEntry *models_search;
  GtkBox *pair_box;
  GtkTextView *prompt_view;
  GtkListBox *samples_list;
  GtkPopover *samples_popover;
  GtkStack *stack;
  GtkLabel *stored_label;
  GtkRevealer *stored_revealer;
  GtkLabel *task_label;
  GtkLabel *vote_label;
  GtkRevealer *vote_revealer;
  AdwWindowTitle *compare_page_title;
};

enum {
  COMPARE_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwComparePage, rw_compare_page, GTK_TYPE_BOX)

static void
compare_page_comparison_free (Comparison *c)
{
  if (c == NULL)
    return;
  g_cancellable_cancel (c->cancellable);
  g_clear_object (&c->cancellable);
  g_clear_pointer (&c->request, rw_chat_request_unref);
  g_clear_pointer (&c->models, g_ptr_array_unref);
  g_clear_pointer (&c->columns, g_ptr_array_unref);
  g_clear_pointer (&c->results, g_ptr_array_unref);
  g_clear_pointer (&c->response_ids, g_strfreev);
  g_free (c->prompt_id);
  g_free (c->run_id);
  g_free (c);
}

static void
compare_page_toast (RwComparePage *self,
                    const char    *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), RW_TYPE_WINDOW);

  if (window != NULL)
    rw_window_add_toast (RW_WINDOW (window), text);
}

/* Whether every answer of a finished comparison is whole: a vote on a failed, cancelled or
 * stopped answer would count in the ratings for what the model never said. */
static gboolean
compare_page_answers_complete (Comparison *c)
{
  if (c == NULL || !c->finished || c->results == NULL)
    return FALSE;
  for (guint i = 0; i < c->results->len; i++)
    if (!rw_chat_result_is_ok (c->results->pdata[i]))
      return FALSE;
  return TRUE;
}

/* Whether a vote can be taken on @c: its answers are whole and stored, and none was cast yet. */
static gboolean
compare_page_can_vote (Comparison *c)
{
  return compare_page_answers_complete (c) && !c->voted && !c->stored && c->response_ids != NULL;
}

static void
compare_page_update_actions (RwComparePage *self)
{
  Comparison *c = self->current;
  gboolean running = c != NULL && !c->finished;
  gboolean can_vote = compare_page_can_vote (c);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.send", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.run-again", c != NULL && c->stored);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.vote-pair",
                                 can_vote && c->models->len == 2);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.vote-best",
                                 can_vote && c->models->len > 2);
}

static void
compare_page_update_models_button (RwComparePage *self)
{
  guint n = g_hash_table_size (self->selected);
  g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Model",
                                                         "%u Models", n), n);

  gtk_menu_button_set_label (self->models_button, label);
}

static void compare_page_load_selection (RwComparePage *self);

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
  g_settings_set_strv (self->settings, "selected-models", (const char * const *) updated);
  compare_page_load_selection (self);
  if (self->current != NULL)
    self->current->selection_changed = TRUE;
}

static GtkWidget *
compare_page_create_model_row (gpointer item,
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

static gboolean
compare_page_filter_model (gpointer item,
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

static void
compare_page_on_models_search_changed (RwComparePage *self)
{
  gtk_filter_changed (GTK_FILTER (self->model_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static GtkWidget *
compare_page_create_sample_row (gpointer item,
                                gpointer user_data)
{
  RwSamplePrompt *p = item;
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rw_sample_prompt_get_title (p));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), rw_sample_prompt_get_task (p));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "prompt", g_object_ref (p), g_object_unref);
  return row;
}

static void
compare_page_on_sample_activated (RwComparePage *self,
                                  GtkListBoxRow *row)
{
  RwSamplePrompt *p = g_object_get_data (G_OBJECT (row), "prompt");

  rw_compare_page_set_prompt (self, rw_sample_prompt_get_text (p));
  gtk_popover_popdown (self->samples_popover);
}

static char *
compare_page_dup_prompt (RwComparePage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
compare_page_on_prompt_changed (GtkTextBuffer *buffer,
                                RwComparePage *self)
{
  g_autofree char *text = compare_page_dup_prompt (self);
  const char *task = rw_prompt_library_task_for (rw_prompt_library_get_default (), text);
  g_autofree char *label = task ? g_strdup_printf (_("Task: %s"), task) : NULL;

  gtk_label_set_label (self->task_label, label ? label : "");
}

/* ------------------------------------------------------------------------------- compare */

static void
compare_page_on_delta (RwFanout      *fanout,
                       guint          index,
                       const char    *text,
                       RwComparePage *self)
{
  Comparison *c = self->current;

  if (c != NULL && index < c->columns->len)
    rw_answer_column_append (c->columns->pdata[index], text);
}

static void
compare_page_on_model_finished (RwFanout      *fanout,
                                guint          index,
                                RwChatResult  *result,
                                RwComparePage *self)
{
  Comparison *c = self->current;

  if (c != NULL && index < c->columns->len)
    rw_answer_column_finish (c->columns->pdata[index], result);
}

/* What the fan-out recorded of the comparison, when the window has a store. */
static void
compare_page_take_recorded (RwComparePage *self,
                            Comparison    *c,
                            GAsyncResult  *res)
{
  const char *run_id = NULL, *prompt_id = NULL;
  const char * const *response_ids = NULL;

  if (!rw_fanout_get_recorded (self->fanout, res, &run_id, &prompt_id, &response_ids))
    return;
  c->run_id = g_strdup (run_id);
  c->prompt_id = g_strdup (prompt_id);
  c->response_ids = g_strdupv ((GStrv) response_ids);
  g_free (self->last_run_id);
  self->last_run_id = g_strdup (c->run_id);
}

static void
compare_page_fanout_done_cb (GObject      *object,
                             GAsyncResult *res,
                             gpointer      user_data)
{
  g_autoptr(RwComparePage) self = user_data;
  g_autoptr(GPtrArray) results = rw_fanout_run_finish (RW_FANOUT (object), res, NULL);
  Comparison *c;

  if (self->current == NULL || self->current->finished)
    return;
  c = self->current;
  c->results = g_steal_pointer (&results);
  c->finished = TRUE;
  compare_page_take_recorded (self, c, res);

  if (c->models->len >= 2 && self->store != NULL && compare_page_answers_complete (c))
    {
      gtk_label_set_label (self->vote_label, c->models->len == 2 ? _("Which answer is better?")
                                                                  : _("Pick the best answer"));
      gtk_widget_set_visible (GTK_WIDGET (self->pair_box), c->models->len == 2);
      for (guint i = 0; i < c->columns->len; i++)
        rw_answer_column_set_can_pick (c->columns->pdata[i], c->models->len > 2, i);
      gtk_revealer_set_reveal_child (self->vote_revealer, TRUE);
    }
  compare_page_update_actions (self);
  g_signal_emit (self, signals[COMPARE_FINISHED], 0);
}

static void
compare_page_clear_columns (RwComparePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->columns_box))) != NULL)
    gtk_box_remove (self->columns_box, child);
}

static void
compare_page_send_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  g_autofree char *prompt = compare_page_dup_prompt (self);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  Comparison *c;
  const char *task;

  if (self->current != NULL && !self->current->finished)
    return;
  if (*g_strstrip (prompt) == '\0')
    {
      compare_page_toast (self, _("Write a prompt or pick a sample first"));
      gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
      return;
    }
  {
    g_auto(GStrv) ids = g_settings_get_strv (self->settings, "selected-models");
    for (guint i = 0; ids[i]; i++)
      {
        RwModel *m = rw_catalog_lookup_model (self->catalog, ids[i]);
        if (m != NULL)
          g_ptr_array_add (models, g_object_ref (m));
      }
  }
  if (models->len == 0)
    {
      compare_page_toast (self, _("Choose at least one model"));
      gtk_menu_button_popup (self->models_button);
      return;
    }

  g_clear_pointer (&self->current, compare_page_comparison_free);
  c = g_new0 (Comparison, 1);
  self->current = c;
  c->request = rw_chat_request_new_for_prompt (prompt);
  task = rw_prompt_library_task_for (rw_prompt_library_get_default (), prompt);
  rw_chat_request_set_task (c->request, task);
  c->models = g_ptr_array_ref (models);
  c->columns = g_ptr_array_new ();
  c->cancellable = g_cancellable_new ();
  c->blind = g_settings_get_boolean (self->settings, "blind-mode") && models->len >= 2;

  compare_page_clear_columns (self);
  gtk_revealer_set_reveal_child (self->vote_revealer, FALSE);
  gtk_revealer_set_reveal_child (self->stored_revealer, FALSE);
  for (guint i = 0; i < models->len; i++)
    {
      g_autofree char *blind = c->blind ? g_strdup_printf (_("Model %c"), 'A' + (char) (i % 26))
                                        : NULL;
      RwAnswerColumn *column = rw_answer_column_new (models->pdata[i], blind);

      gtk_box_append (self->columns_box, GTK_WIDGET (column));
      g_ptr_array_add (c->columns, column);
    }
  gtk_stack_set_visible_child_name (self->stack, "columns");
  compare_page_update_actions (self);

  rw_fanout_run_async (self->fanout, c->request, c->models, c->cancellable, compare_page_fanout_done_cb,
                       g_object_ref (self));
}

static void
compare_page_stop_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);

  if (self->current != NULL)
    g_cancellable_cancel (self->current->cancellable);
}

static void
compare_page_after_vote (RwComparePage *self,
                         Comparison    *c)
{
  c->voted = TRUE;
  for (guint i = 0; i < c->columns->len; i++)
    rw_answer_column_set_revealed (c->columns->pdata[i], TRUE);
  compare_page_update_actions (self);
  /* Said where the vote was cast, not in a toast over the answers' metrics (D14). */
  gtk_widget_set_visible (GTK_WIDGET (self->pair_box), FALSE);
  gtk_label_set_label (self->vote_label, c->request->task ? _("Vote saved for this task")
                                                          : _("Vote saved"));
}

static void
compare_page_vote_pair_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  Comparison *c = self->current;
  const char *choice = g_variant_get_string (param, NULL);
  RwVoteOutcome outcome;
  g_autofree char *vote_id = NULL;

  if (!compare_page_can_vote (c) || c->models->len != 2)
    return;
  if (g_str_equal (choice, "a"))
    outcome = RW_VOTE_A;
  else if (g_str_equal (choice, "b"))
    outcome = RW_VOTE_B;
  else if (g_str_equal (choice, "tie"))
    outcome = RW_VOTE_TIE;
  else if (g_str_equal (choice, "both_bad"))
    outcome = RW_VOTE_BOTH_BAD;
  else
    return;

  vote_id = rw_store_record_vote (self->store, c->prompt_id, c->run_id,
                                  rw_chat_request_get_task (c->request), outcome,
                                  (const char * const *) c->response_ids, NULL, "human");
  if (vote_id != NULL)
    compare_page_after_vote (self, c);
}

static void
compare_page_vote_best_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  Comparison *c = self->current;
  guint index = g_variant_get_uint32 (param);
  g_autofree char *vote_id = NULL;

  if (!compare_page_can_vote (c) || c->models->len < 3 || index >= c->models->len)
    return;
  vote_id = rw_store_record_vote (self->store, c->prompt_id, c->run_id,
                                  rw_chat_request_get_task (c->request), RW_VOTE_BEST,
                                  (const char * const *) c->response_ids,
                                  c->response_ids[index], "human");
  if (vote_id != NULL)
    {
      rw_answer_column_set_picked (c->columns->pdata[index], TRUE);
      compare_page_after_vote (self, c);
    }
}

static void
compare_page_pick_models_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *param)
{
  gtk_menu_button_popup (RW_COMPARE_PAGE (widget)->models_button);
}

/* ------------------------------------------------------------------------------- stored */

/* The model of a stored answer: the catalog's, or, for one no longer configured, a model that
 * carries its id. */
static RwModel *
compare_page_stored_model (RwComparePage *self,
                           const char    *id)
{
  RwModel *model = rw_catalog_lookup_model (self->catalog, id);
  const char *slash = strchr (id, '/');
  g_autofree char *provider = NULL;

  if (model != NULL)
    return g_object_ref (model);
  provider = slash ? g_strndup (id, slash - id) : g_strdup ("");
  return rw_model_new (id, provider, slash ? slash + 1 : id);
}

static RwChatResult *
compare_page_stored_result (RwStoredResponse *r)
{
  RwChatResult *result = rw_chat_result_new (r->model);

  g_string_assign (result->text, r->text ? r->text : "");
  result->finish_reason = g_strdup (r->finish_reason);
  result->tokens_in = r->tokens_in;
  result->tokens_out = r->tokens_out;
  result->cost_usd = r->cost_usd;
  result->ttft_ms = isnan (r->ttft_ms) ? -1 : r->ttft_ms;
  result->latency_ms = isnan (r->latency_ms) ? -1 : r->latency_ms;
  if (!r->ok)
    result->error = g_error_new_literal (RW_ERROR, rw_error_kind_from_string (r->error_kind),
                                         r->error_message ? r->error_message : "");
  return result;
}

static char *
compare_page_describe_stored (RwStoredComparison *stored)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (stored->created_ms / 1000);
  /* Translators: when a comparison was asked, see g_date_time_format() */
  g_autofree char *date = g_date_time_format (when, _("%-d %B %Y, %H:%M"));
  g_autofree char *asked = g_strdup_printf (_("Asked %s"), date);

  if (stored->winner == NULL)
    return g_strdup_printf ("%s · %s", asked, _("not voted"));
  if (g_str_equal (stored->winner, "tie"))
    return g_strdup_printf ("%s · %s", asked, _("voted a tie"));
  if (g_str_equal (stored->winner, "both_bad"))
    return g_strdup_printf ("%s · %s", asked, _("voted both bad"));
  /* Translators: the first %s says when a comparison was asked, the second names a model */
  return g_strdup_printf (_("%s · voted for %s"), asked, stored->winner);
}

/**
 * rw_compare_page_show_stored:
 * @self: the page
 * @run_id: a comparison of the history
 * @error: where a failure is told
 *
 * Shows a stored comparison again, read-only: its prompt, each answer with its metrics or its
 * error, and the vote it got. "Run Again" asks the same models, or the ones chosen since.
 *
 * Returns: whether it is shown; not while a comparison is running
 */
gboolean
rw_compare_page_show_stored (RwComparePage  *self,
                             const char     *run_id,
                             GError        **error)
{
  g_autoptr(RwStoredComparison) stored = NULL;
  g_autoptr(GPtrArray) answers = NULL;
  g_autofree char *description = NULL;
  Comparison *c;

  if (self->store == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, _("There is no database to read from"));
      return FALSE;
    }
  if (self->current != NULL && !self->current->finished)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   _("Stop the comparison that is running first"));
      return FALSE;
    }
  stored = rw_store_lookup_comparison (self->store, run_id, error);
  if (stored == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, RW_ERROR, RW_ERROR_STORE, _("This comparison was deleted"));
      return FALSE;
    }
  if ((answers = rw_store_list_comparison_answers (self->store, run_id, error)) == NULL)
    return FALSE;

  g_clear_pointer (&self->current, compare_page_comparison_free);
  c = g_new0 (Comparison, 1);
  self->current = c;
  c->stored = TRUE;
  c->finished = TRUE;
  c->voted = stored->voted;
  c->run_id = g_strdup (stored->id);
  c->request = rw_chat_request_new_for_prompt (stored->prompt);
  rw_chat_request_set_task (c->request, stored->task);
  c->models = g_ptr_array_new_with_free_func (g_object_unref);
  c->columns = g_ptr_array_new ();
  c->results = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_chat_result_unref);
  c->cancellable = g_cancellable_new ();

  rw_compare_page_set_prompt (self, stored->prompt);
  compare_page_clear_columns (self);
  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      RwModel *model = compare_page_stored_model (self, r->model);
      RwAnswerColumn *column = rw_answer_column_new (model, NULL);
      RwChatResult *result = compare_page_stored_result (r);

      rw_answer_column_finish (column, result);
      if (g_strcmp0 (stored->winner, r->model) == 0)
        {
          rw_answer_column_set_can_pick (column, TRUE, i);
          rw_answer_column_set_picked (column, TRUE);
        }
      gtk_box_append (self->columns_box, GTK_WIDGET (column));
      g_ptr_array_add (c->columns, column);
      g_ptr_array_add (c->models, model);
      g_ptr_array_add (c->results, result);
    }

  description = compare_page_describe_stored (stored);
  gtk_label_set_label (self->stored_label, description);
  gtk_revealer_set_reveal_child (self->stored_revealer, TRUE);
  gtk_revealer_set_reveal_child (self->vote_revealer, FALSE);
  gtk_stack_set_visible_child_name (self->stack, "columns");
  compare_page_update_actions (self);
  return TRUE;
}

/* Asks the models of the comparison shown again, unless others were chosen since it was
 * opened: then those. */
static void
compare_page_run_again_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  Comparison *c = self->current;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) ids = NULL;

  if (c == NULL || !c->stored)
    return;
  if (!c->selection_changed)
    {
      for (guint i = 0; i < c->models->len; i++)
        if (rw_catalog_lookup_model (self->catalog, rw_model_get_id (c->models->pdata[i])))
          g_strv_builder_add (builder, rw_model_get_id (c->models->pdata[i]));
      ids = g_strv_builder_end (builder);
      if (ids[0] != NULL)
        rw_compare_page_set_selected_models (self, (const char * const *) ids);
    }
  gtk_widget_activate_action (widget, "compare.send", NULL);
}

/* ------------------------------------------------------------------------------- object */

static void
rw_compare_page_dispose (GObject *object)
{
  RwComparePage *self = (RwComparePage *) object;

  g_clear_pointer (&self->current, compare_page_comparison_free);
  if (self->fanout != NULL)
    g_signal_handlers_disconnect_by_data (self->fanout, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), RW_TYPE_COMPARE_PAGE);
  G_OBJECT_CLASS (rw_compare_page_parent_class)->dispose (object);
}

static void
rw_compare_page_finalize (GObject *object)
{
  RwComparePage *self = (RwComparePage *) object;

  g_clear_object (&self->fanout);
  g_clear_object (&self->filtered_models);
  g_clear_object (&self->model_filter);
  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->selected, g_hash_table_unref);
  g_clear_pointer (&self->last_run_id, g_free);
  G_OBJECT_CLASS (rw_compare_page_parent_class)->finalize (object);
}

static void
rw_compare_page_class_init (RwComparePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rw_compare_page_dispose;
  object_class->finalize = rw_compare_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/routewise/Routewise/rw-compare-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, columns_box);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, models_button);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, models_list);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, models_search);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, pair_box);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, samples_list);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, samples_popover);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, stack);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, stored_label);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, stored_revealer);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, task_label);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, vote_label);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, vote_revealer);
  gtk_widget_class_bind_template_callback (widget_class, compare_page_on_models_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, compare_page_on_sample_activated);

  gtk_widget_class_install_action (widget_class, "compare.send", NULL, compare_page_send_action);
  gtk_widget_class_install_action (widget_class, "compare.stop", NULL, compare_page_stop_action);
  gtk_widget_class_install_action (widget_class, "compare.vote-pair", "s",
                                   compare_page_vote_pair_action);
  gtk_widget_class_install_action (widget_class, "compare.vote-best", "u",
                                   compare_page_vote_best_action);
  gtk_widget_class_install_action (widget_class, "compare.pick-models", NULL,
                                   compare_page_pick_models_action);
  gtk_widget_class_install_action (widget_class, "compare.run-again", NULL,
                                   compare_page_run_again_action);

  /**
   * RwComparePage::compare-finished:
   *
   * Every model of the comparison has answered or failed, and the run is queued for storage.
   */
  signals[COMPARE_FINISHED] =
    g_signal_new ("compare-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (RW_TYPE_ANSWER_COLUMN);
}

/* The page's shortcuts act in the capture phase, before the focused widget sees the key: the
 * prompt's text view would otherwise take Ctrl+Enter as a newline. A disabled action lets the
 * key go on to the widget. */
static void
compare_page_add_shortcuts (RwComparePage *self)
{
  static const struct { const char *trigger, *action; } shortcuts[] = {
    { "<Control>Return", "compare.send" },
    { "<Control>KP_Enter", "compare.send" },
    { "Escape", "compare.stop" },
    { "<Control>m", "compare.pick-models" },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (controller), GTK_SHORTCUT_SCOPE_MANAGED);
  for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_shortcut_trigger_parse_string (shortcuts[i].trigger),
                                                            gtk_named_action_new (shortcuts[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
rw_compare_page_init (RwComparePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->selected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->settings = g_settings_new (APP_ID);
  g_signal_connect (gtk_text_view_get_buffer (self->prompt_view), "changed",
                    G_CALLBACK (compare_page_on_prompt_changed), self);
  compare_page_add_shortcuts (self);
  compare_page_update_actions (self);
}

static void
compare_page_load_selection (RwComparePage *self)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "selected-models");

  g_hash_table_remove_all (self->selected);
  for (guint i = 0; ids[i]; i++)
    g_hash_table_add (self->selected, g_strdup (ids[i]));
  compare_page_update_models_button (self);
}

/**
 * rw_compare_page_set_engine:
 * @self: the page
 * @catalog: the model catalog
 * @store: (nullable): the database; without it nothing is saved and votes are not offered
 *
 * Gives the page what it compares with and where it keeps the answers. Called once.
 */
void
rw_compare_page_set_engine (RwComparePage *self,
                            RwCatalog     *catalog,
                            RwStore       *store)
{
  g_return_if_fail (self->catalog == NULL);

  self->catalog = g_object_ref (catalog);
  self->store = store ? g_object_ref (store) : NULL;
  self->fanout = rw_fanout_new (catalog);
  rw_fanout_set_store (self->fanout, store, "app");
  g_signal_connect (self->fanout, "delta", G_CALLBACK (compare_page_on_delta), self);
  g_signal_connect (self->fanout, "model-finished",
                    G_CALLBACK (compare_page_on_model_finished), self);

  compare_page_load_selection (self);
  self->model_filter = gtk_custom_filter_new (compare_page_filter_model, self, NULL);
  self->filtered_models = gtk_filter_list_model_new (g_object_ref (rw_catalog_get_models (catalog)),
                                                     g_object_ref (GTK_FILTER (self->model_filter)));
  gtk_list_box_bind_model (self->models_list, G_LIST_MODEL (self->filtered_models),
                           compare_page_create_model_row, self, NULL);
  gtk_list_box_bind_model (self->samples_list,
                           rw_prompt_library_get_prompts (rw_prompt_library_get_default ()),
                           compare_page_create_sample_row, self, NULL);
  compare_page_update_actions (self);
}

void
rw_compare_page_set_selected_models (RwComparePage      *self,
                                     const char * const *ids)
{
  g_settings_set_strv (self->settings, "selected-models", ids);
  compare_page_load_selection (self);
  gtk_list_box_bind_model (self->models_list, G_LIST_MODEL (self->filtered_models),
                           compare_page_create_model_row, self, NULL);
}

char **
rw_compare_page_dup_selected_models (RwComparePage *self)
{
  return g_settings_get_strv (self->settings, "selected-models");
}

void
rw_compare_page_set_prompt (RwComparePage *self,
                            const char    *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view), text, -1);
}

guint
rw_compare_page_get_n_columns (RwComparePage *self)
{
  return self->current ? self->current->columns->len : 0;
}

/**
 * rw_compare_page_get_column:
 * @self: the window
 * @index: a column
 *
 * Returns: (transfer none): the column
 */
RwAnswerColumn *
rw_compare_page_get_column (RwComparePage *self,
                            guint          index)
{
  g_return_val_if_fail (self->current != NULL && index < self->current->columns->len, NULL);
  return self->current->columns->pdata[index];
}

const char *
rw_compare_page_get_last_run_id (RwComparePage *self)
{
  return self->last_run_id;
}
