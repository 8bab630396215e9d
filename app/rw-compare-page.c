/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rw-compare-page-private.h"
#include "rw-window.h"

/**
 * RwComparePage:
 *
 * The Compare view sends one prompt to the chosen models at once, streams each
 * answer into its own column with its metrics, keeps everything in the database, and takes the
 * user's vote: for two answers, left better, right better, tie or both bad; for more, the best.
 */

enum {
  COMPARE_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwComparePage, rw_compare_page, GTK_TYPE_BOX)

void
_rw_compare_page_comparison_free (Comparison *c)
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

void
_rw_compare_page_update_actions (RwComparePage *self)
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

static char *
compare_page_dup_prompt (RwComparePage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The task a prompt gets when none is chosen: a sample's own; for the others, the one the
 * active policy's rules or classifier give it, as routewise/auto would; else "general". */
static char *
compare_page_auto_task (RwComparePage *self,
                        const char    *prompt)
{
  const char *task = rw_prompt_library_task_for (rw_prompt_library_get_default (), prompt);
  char *classified = NULL;

  if (task != NULL)
    return g_strdup (task);
  if (self->policy != NULL && prompt != NULL && *prompt != '\0')
    {
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (prompt);
      classified = rw_policy_classify (self->policy, request);
    }
  return classified != NULL ? classified : g_strdup ("general");
}

/* The first item of the task list says which task the prompt gets when none is chosen. */
static void
compare_page_on_prompt_changed (GtkTextBuffer *buffer,
                                RwComparePage *self)
{
  g_autofree char *text = compare_page_dup_prompt (self);
  g_autofree char *task = compare_page_auto_task (self, text);
  g_autofree char *label = g_strdup_printf (_("Auto: %s"), task);
  const char *items[] = { label, NULL };
  guint selected = gtk_drop_down_get_selected (self->task_dropdown);

  if (g_strcmp0 (gtk_string_list_get_string (self->tasks, 0), label) == 0)
    return;
  gtk_string_list_splice (self->tasks, 0, 1, items);
  gtk_drop_down_set_selected (self->task_dropdown, selected);
}

static int
compare_page_compare_tasks (gconstpointer a,
                            gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The tasks a prompt can be given: those of the samples, those compared before, "general". */
static void
compare_page_fill_tasks (RwComparePage *self)
{
  GListModel *prompts = rw_prompt_library_get_prompts (rw_prompt_library_get_default ());
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) compared = self->store ? rw_store_list_compared_tasks (self->store, NULL)
                                              : NULL;

  g_ptr_array_add (tasks, g_strdup ("general"));
  for (guint i = 0; i < g_list_model_get_n_items (prompts); i++)
    {
      g_autoptr(RwSamplePrompt) p = g_list_model_get_item (prompts, i);
      g_ptr_array_add (tasks, g_strdup (rw_sample_prompt_get_task (p)));
    }
  for (guint i = 0; compared != NULL && i < compared->len; i++)
    g_ptr_array_add (tasks, g_strdup (compared->pdata[i]));
  g_ptr_array_sort (tasks, compare_page_compare_tasks);
  gtk_string_list_splice (self->tasks, 1, g_list_model_get_n_items (G_LIST_MODEL (self->tasks)) - 1,
                          NULL);
  for (guint i = 0; i < tasks->len; i++)
    if (i == 0 || g_strcmp0 (tasks->pdata[i], tasks->pdata[i - 1]) != 0)
      gtk_string_list_append (self->tasks, tasks->pdata[i]);
}

/* The task chosen for the prompt, or the automatic one. */
static char *
compare_page_task (RwComparePage *self,
                   const char    *prompt)
{
  guint i = gtk_drop_down_get_selected (self->task_dropdown);

  if (i == 0 || i == GTK_INVALID_LIST_POSITION)
    return compare_page_auto_task (self, prompt);
  return g_strdup (gtk_string_list_get_string (self->tasks, i));
}

/**
 * rw_compare_page_set_policy:
 * @policy: (nullable): the active policy, %NULL for none
 *
 * Its rules and classifier name the task of a prompt of one's own, as routewise/auto would.
 */
void
rw_compare_page_set_policy (RwComparePage *self,
                            RwPolicy      *policy)
{
  g_set_object (&self->policy, policy);
  compare_page_on_prompt_changed (gtk_text_view_get_buffer (self->prompt_view), self);
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
  else if (c->blind)
    {
      /* No vote to keep blind for: a failed or stopped answer takes none. */
      for (guint i = 0; i < c->columns->len; i++)
        rw_answer_column_set_revealed (c->columns->pdata[i], TRUE);
    }
  _rw_compare_page_update_actions (self);
  g_signal_emit (self, signals[COMPARE_FINISHED], 0);
}

void
_rw_compare_page_clear_columns (RwComparePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->columns_box))) != NULL)
    gtk_box_remove (self->columns_box, child);
}

/* Sends the prompt to @models; blind, in an order of chance and without names, costs or speeds
 * until the vote. */
void
_rw_compare_page_start (RwComparePage *self,
                        const char    *prompt,
                        GPtrArray     *models,
                        gboolean       blind)
{
  Comparison *c;

  g_clear_pointer (&self->current, _rw_compare_page_comparison_free);
  c = g_new0 (Comparison, 1);
  self->current = c;
  c->request = rw_compare_options_make_request (self->options, prompt);
  {
    g_autofree char *task = compare_page_task (self, prompt);
    rw_chat_request_set_task (c->request, task);
  }
  c->models = g_ptr_array_ref (models);
  c->columns = g_ptr_array_new ();
  c->cancellable = g_cancellable_new ();
  c->blind = blind && models->len >= 2;
  /* The order in which the models were chosen would tell them apart (D5). */
  for (guint i = models->len; c->blind && i > 1; i--)
    {
      guint j = g_random_int_range (0, i);
      gpointer tmp = models->pdata[i - 1];

      models->pdata[i - 1] = models->pdata[j];
      models->pdata[j] = tmp;
    }

  _rw_compare_page_clear_columns (self);
  gtk_revealer_set_reveal_child (self->vote_revealer, FALSE);
  gtk_revealer_set_reveal_child (self->stored_revealer, FALSE);
  for (guint i = 0; i < models->len; i++)
    {
      g_autofree char *blind_label = c->blind ? g_strdup_printf (_("Model %c"), 'A' + (char) (i % 26))
                                              : NULL;
      RwAnswerColumn *column = rw_answer_column_new (models->pdata[i], blind_label);

      gtk_box_append (self->columns_box, GTK_WIDGET (column));
      g_ptr_array_add (c->columns, column);
    }
  gtk_stack_set_visible_child_name (self->stack, "columns");
  _rw_compare_page_update_actions (self);

  rw_fanout_run_async (self->fanout, c->request, c->models, c->cancellable,
                       compare_page_fanout_done_cb, g_object_ref (self));
}

/* The prompt, or %NULL after telling the user to write one. */
char *
_rw_compare_page_take_prompt (RwComparePage *self)
{
  g_autofree char *prompt = compare_page_dup_prompt (self);

  if (self->current != NULL && !self->current->finished)
    return NULL;
  if (*g_strstrip (prompt) == '\0')
    {
      rw_window_toast_for (GTK_WIDGET (self), _("Write a prompt or pick a sample first"));
      gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
      return NULL;
    }
  return g_steal_pointer (&prompt);
}

static void
compare_page_send_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  RwComparePage *self = RW_COMPARE_PAGE (widget);
  g_autofree char *prompt = _rw_compare_page_take_prompt (self);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) ids = NULL;

  if (prompt == NULL)
    return;
  ids = g_settings_get_strv (self->settings, "selected-models");
  for (guint i = 0; ids[i]; i++)
    {
      RwModel *m = rw_catalog_lookup_model (self->catalog, ids[i]);
      if (m != NULL)
        g_ptr_array_add (models, g_object_ref (m));
    }
  if (models->len > 0 && models->len < g_strv_length (ids))
    {
      const char *tip = gtk_widget_get_tooltip_text (GTK_WIDGET (self->models_button));
      rw_window_toast_for (GTK_WIDGET (self), tip);
    }
  if (models->len == 0)
    {
      rw_window_toast_for (GTK_WIDGET (self), _("Choose at least one model"));
      gtk_menu_button_popup (self->models_button);
      return;
    }
  _rw_compare_page_start (self, prompt, models,
                      g_settings_get_boolean (self->settings, "blind-mode"));
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
  _rw_compare_page_update_actions (self);
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

/* ------------------------------------------------------------------------------- object */

static void
rw_compare_page_dispose (GObject *object)
{
  RwComparePage *self = (RwComparePage *) object;

  g_clear_pointer (&self->current, _rw_compare_page_comparison_free);
  g_clear_handle_id (&self->first_run_idle, g_source_remove);
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
  g_clear_object (&self->filtered_samples);
  g_clear_object (&self->samples_filter);
  g_clear_object (&self->model_filter);
  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->policy);
  g_clear_object (&self->settings);
  g_clear_object (&self->tasks);
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
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, columns_hint);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, columns_scroller);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, samples_list);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, samples_search);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, samples_popover);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, stack);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, empty_status);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, stored_label);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, stored_revealer);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, options);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, task_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, vote_label);
  gtk_widget_class_bind_template_child (widget_class, RwComparePage, vote_revealer);
  gtk_widget_class_bind_template_callback (widget_class, _rw_compare_page_on_models_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, _rw_compare_page_on_sample_activated);
  gtk_widget_class_bind_template_callback (widget_class, _rw_compare_page_on_samples_search_changed);

  gtk_widget_class_install_action (widget_class, "compare.send", NULL, compare_page_send_action);
  gtk_widget_class_install_action (widget_class, "compare.random-pair", NULL,
                                   _rw_compare_page_random_pair_action);
  gtk_widget_class_install_action (widget_class, "compare.try-sample", NULL,
                                   _rw_compare_page_try_sample_action);
  gtk_widget_class_install_action (widget_class, "compare.stop", NULL, compare_page_stop_action);
  gtk_widget_class_install_action (widget_class, "compare.vote-pair", "s",
                                   compare_page_vote_pair_action);
  gtk_widget_class_install_action (widget_class, "compare.vote-best", "u",
                                   compare_page_vote_best_action);
  gtk_widget_class_install_action (widget_class, "compare.pick-models", NULL,
                                   compare_page_pick_models_action);
  gtk_widget_class_install_action (widget_class, "compare.run-again", NULL,
                                   _rw_compare_page_run_again_action);

  /**
   * RwComparePage::compare-finished:
   *
   * Every model of the comparison has answered or failed, and the run is queued for storage.
   */
  signals[COMPARE_FINISHED] =
    g_signal_new ("compare-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (RW_TYPE_ANSWER_COLUMN);
  g_type_ensure (RW_TYPE_COMPARE_OPTIONS);
}

/* The page's shortcuts act in the capture phase, before the focused widget sees the key: the
 * prompt's text view would otherwise take Ctrl+Enter as a newline. A disabled action lets the
 * key go on to the widget. */
/* D15: when the answers do not all fit, a hint says which are in view and how many there are. */
static void
compare_page_update_columns_hint (RwComparePage *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_hadjustment (self->columns_scroller);
  double upper = gtk_adjustment_get_upper (adj);
  double page = gtk_adjustment_get_page_size (adj);
  double value = gtk_adjustment_get_value (adj);
  guint n = self->current ? self->current->columns->len : 0;
  g_autofree char *text = NULL;
  guint first, last;

  if (n == 0 || upper <= page + 1)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->columns_hint), FALSE);
      return;
    }
  first = MIN (n, (guint) (value / (upper / n) + 0.5) + 1);
  last = MAX (first, MIN (n, (guint) ((value + page) / (upper / n) + 0.5)));
  if (first == last)
    /* Translators: which answer is in view, of how many; the others are a scroll away */
    text = g_strdup_printf (_("Answer %u of %u · scroll for more"), first, n);
  else
    /* Translators: which answers are in view, of how many; the others are a scroll away */
    text = g_strdup_printf (_("Answers %u–%u of %u · scroll for more"), first, last, n);
  gtk_label_set_label (self->columns_hint, text);
  gtk_widget_set_visible (GTK_WIDGET (self->columns_hint), TRUE);
}

/**
 * rw_compare_page_get_columns_hint:
 *
 * Returns: (nullable): what the hint over the answers says, when it shows
 */
const char *
rw_compare_page_get_columns_hint (RwComparePage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->columns_hint))
           ? gtk_label_get_label (self->columns_hint) : NULL;
}

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
  const char *automatic[] = { "", NULL };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->tasks = gtk_string_list_new (automatic);
  gtk_drop_down_set_model (self->task_dropdown, G_LIST_MODEL (self->tasks));
  self->selected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->settings = g_settings_new (APP_ID);
  g_signal_connect (gtk_text_view_get_buffer (self->prompt_view), "changed",
                    G_CALLBACK (compare_page_on_prompt_changed), self);
  compare_page_add_shortcuts (self);
  compare_page_on_prompt_changed (NULL, self);
  {
    GtkAdjustment *adj = gtk_scrolled_window_get_hadjustment (self->columns_scroller);

    g_signal_connect_swapped (adj, "value-changed", G_CALLBACK (compare_page_update_columns_hint),
                              self);
    g_signal_connect_swapped (adj, "changed", G_CALLBACK (compare_page_update_columns_hint), self);
  }
  _rw_compare_page_update_actions (self);
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

  _rw_compare_page_load_selection (self);
  self->model_filter = gtk_custom_filter_new (_rw_compare_page_filter_model, self, NULL);
  self->filtered_models = gtk_filter_list_model_new (g_object_ref (rw_catalog_get_models (catalog)),
                                                     g_object_ref (GTK_FILTER (self->model_filter)));
  gtk_list_box_bind_model (self->models_list, G_LIST_MODEL (self->filtered_models),
                           _rw_compare_page_create_model_row, self, NULL);
  self->samples_filter = gtk_custom_filter_new (_rw_compare_page_filter_sample, self, NULL);
  self->filtered_samples =
    gtk_filter_list_model_new (g_object_ref (rw_prompt_library_get_prompts (rw_prompt_library_get_default ())),
                               g_object_ref (GTK_FILTER (self->samples_filter)));
  gtk_list_box_bind_model (self->samples_list, G_LIST_MODEL (self->filtered_samples),
                           _rw_compare_page_create_sample_row, self, NULL);
  /* D8: the label and the checks follow the setting, whoever changes it. */
  g_signal_connect_swapped (self->settings, "changed::selected-models",
                            G_CALLBACK (_rw_compare_page_on_selection_setting), self);
  compare_page_fill_tasks (self);
  g_signal_connect_object (rw_catalog_get_models (catalog), "items-changed",
                           G_CALLBACK (_rw_compare_page_on_models_changed), self, 0);
  /* D17: the empty page says what happens to the answers. */
  if (store == NULL)
    adw_status_page_set_description (self->empty_status,
                                     _("Choose two or more models, write a prompt or pick a "
                                       "sample, and press Compare. The database could not be "
                                       "opened, so answers are not kept."));
  _rw_compare_page_update_first_run (self);
  _rw_compare_page_update_actions (self);
}

/**
 * rw_compare_page_is_running:
 *
 * Returns: whether answers are still coming in
 */
gboolean
rw_compare_page_is_running (RwComparePage *self)
{
  return self->current != NULL && !self->current->finished;
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
