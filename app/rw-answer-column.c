/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rw-answer-column.h"
#include "rw-markdown-view.h"

/**
 * RwAnswerColumn:
 *
 * One model's answer in the Compare view: its name (hidden in blind mode until the vote), the
 * answer rendered as Markdown as it streams, following its end unless the user scrolled up, and
 * under it the time to first token, latency, tokens, speed and cost, or the error. Its menu
 * copies the answer as Markdown or as the text shown.
 */
struct _RwAnswerColumn
{
  GtkBox parent_instance;

  RwModel *model;
  char *blind_label;
  gint64 start_us;
  guint tick_id;

  GtkLabel *error_label;
  GtkLabel *metrics;
  GtkButton *pick_button;
  GtkScrolledWindow *scroller;
  GtkSpinner *spinner;
  GtkImage *status_icon;
  GtkLabel *subtitle;
  RwMarkdownView *text_view;
  GtkLabel *title;
  gboolean follow;            /* keep the end of the answer in view while it streams */
  GtkTextMark *end_mark;
  double last_value;
  double last_upper;
  gboolean revealed;
  char *metrics_text;         /* what the metrics and error labels say once revealed */
  char *error_text;
  gboolean streaming;
};

G_DEFINE_FINAL_TYPE (RwAnswerColumn, rw_answer_column, GTK_TYPE_BOX)

static void
rw_answer_column_dispose (GObject *object)
{
  RwAnswerColumn *self = (RwAnswerColumn *) object;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), RW_TYPE_ANSWER_COLUMN);
  G_OBJECT_CLASS (rw_answer_column_parent_class)->dispose (object);
}

static void
rw_answer_column_finalize (GObject *object)
{
  RwAnswerColumn *self = (RwAnswerColumn *) object;

  g_clear_object (&self->model);
  g_clear_pointer (&self->blind_label, g_free);
  g_clear_pointer (&self->metrics_text, g_free);
  g_clear_pointer (&self->error_text, g_free);
  G_OBJECT_CLASS (rw_answer_column_parent_class)->finalize (object);
}

static void
answer_column_copy_markdown_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *param)
{
  RwAnswerColumn *self = RW_ANSWER_COLUMN (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          rw_markdown_view_get_markdown (self->text_view));
}

static void
answer_column_copy_text_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *param)
{
  RwAnswerColumn *self = RW_ANSWER_COLUMN (widget);
  g_autofree char *text = rw_markdown_view_dup_shown (self->text_view);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
}

static void
rw_answer_column_class_init (RwAnswerColumnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rw_answer_column_dispose;
  object_class->finalize = rw_answer_column_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/routewise/Routewise/rw-answer-column.ui");
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, error_label);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, metrics);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, pick_button);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, scroller);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, spinner);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, status_icon);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, subtitle);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, text_view);
  gtk_widget_class_bind_template_child (widget_class, RwAnswerColumn, title);
  gtk_widget_class_install_action (widget_class, "column.copy-markdown", NULL,
                                   answer_column_copy_markdown_action);
  gtk_widget_class_install_action (widget_class, "column.copy-text", NULL,
                                   answer_column_copy_text_action);
  g_type_ensure (RW_TYPE_MARKDOWN_VIEW);
}

/* While the answer streams, the column follows its end; scrolling up stops that until the end
 * is reached again (D4). The text view moves the adjustment itself as it lays out what
 * arrives: a move up counts as the user's only when the content's height did not change. */
static void
answer_column_on_scrolled (GtkAdjustment  *adj,
                           RwAnswerColumn *self)
{
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj);

  if (value >= upper - gtk_adjustment_get_page_size (adj) - 24)
    self->follow = TRUE;
  else if (value < self->last_value && upper == self->last_upper)
    self->follow = FALSE;
  self->last_value = value;
  self->last_upper = upper;
}

static void
answer_column_on_grown (GtkAdjustment  *adj,
                        GParamSpec     *pspec,
                        RwAnswerColumn *self)
{
  /* Through the text view, which otherwise keeps its first line where it was as the tail is
   * laid out again. */
  if (self->streaming && self->follow)
    gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (self->text_view), self->end_mark, 0, TRUE, 0,
                                  1.0);
  self->last_value = gtk_adjustment_get_value (adj);
  self->last_upper = gtk_adjustment_get_upper (adj);
}

/* A wheel or touchpad turned up stops the following at once. */
static gboolean
answer_column_on_wheel (GtkEventControllerScroll *controller,
                        double                    dx,
                        double                    dy,
                        RwAnswerColumn           *self)
{
  if (dy < 0)
    self->follow = FALSE;
  return FALSE;
}

static void
rw_answer_column_init (RwAnswerColumn *self)
{
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->follow = TRUE;
  {
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view));
    GtkTextIter end;

    gtk_text_buffer_get_end_iter (buffer, &end);
    self->end_mark = gtk_text_buffer_create_mark (buffer, NULL, &end, FALSE);
  }
  adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect (adj, "value-changed", G_CALLBACK (answer_column_on_scrolled), self);
  g_signal_connect (adj, "notify::upper", G_CALLBACK (answer_column_on_grown), self);
  {
    GtkEventController *wheel =
      gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);

    gtk_event_controller_set_propagation_phase (wheel, GTK_PHASE_CAPTURE);
    g_signal_connect (wheel, "scroll", G_CALLBACK (answer_column_on_wheel), self);
    gtk_widget_add_controller (GTK_WIDGET (self->scroller), wheel);
  }
}

static gboolean
answer_column_tick (gpointer data)
{
  RwAnswerColumn *self = data;
  double secs = (g_get_monotonic_time () - self->start_us) / 1e6;
  g_autofree char *text = g_strdup_printf (_("Answering… %.1f s"), secs);

  gtk_label_set_label (self->metrics, text);
  return G_SOURCE_CONTINUE;
}

/* Blind, until the vote: the cost, the speed and the tokens would tell the price and so the
 * model, and an error's text may name it (D5). */
static void
answer_column_show_details (RwAnswerColumn *self)
{
  gboolean hidden = self->blind_label != NULL && !self->revealed;

  if (self->metrics_text != NULL)
    gtk_label_set_label (self->metrics, hidden ? _("Time, tokens and cost show after the vote")
                                               : self->metrics_text);
  if (self->error_text != NULL)
    gtk_label_set_label (self->error_label, hidden ? _("This answer failed; why shows after "
                                                       "the vote")
                                                   : self->error_text);
}

static void
answer_column_update_title (RwAnswerColumn *self,
                            gboolean        revealed)
{
  if (revealed || self->blind_label == NULL)
    {
      const char *name = rw_model_get_display_name (self->model);
      const char *id = rw_model_get_id (self->model);

      gtk_label_set_label (self->title, name);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->title), name);
      /* A model without a name of its own is shown by its id, once. */
      gtk_label_set_label (self->subtitle, g_strcmp0 (name, id) != 0 ? id : "");
      gtk_widget_set_visible (GTK_WIDGET (self->subtitle), g_strcmp0 (name, id) != 0);
    }
  else
    {
      gtk_label_set_label (self->title, self->blind_label);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->title), NULL);
      gtk_label_set_label (self->subtitle, _("Hidden until you vote"));
      gtk_widget_set_visible (GTK_WIDGET (self->subtitle), TRUE);
    }
}

/**
 * rw_answer_column_new:
 * @model: the model
 * @blind_label: (nullable): a neutral name shown instead of the model's until the vote
 *
 * Returns: (transfer full): a new column, waiting for the answer
 */
RwAnswerColumn *
rw_answer_column_new (RwModel    *model,
                      const char *blind_label)
{
  RwAnswerColumn *self = g_object_new (RW_TYPE_ANSWER_COLUMN, NULL);

  self->model = g_object_ref (model);
  self->blind_label = g_strdup (blind_label);
  self->start_us = g_get_monotonic_time ();
  self->streaming = TRUE;
  answer_column_update_title (self, FALSE);
  answer_column_tick (self);
  self->tick_id = g_timeout_add (100, answer_column_tick, self);
  return self;
}

RwModel *
rw_answer_column_get_model (RwAnswerColumn *self)
{
  return self->model;
}

void
rw_answer_column_append (RwAnswerColumn *self,
                         const char     *text)
{
  rw_markdown_view_append (self->text_view, text);
}

static char *
answer_column_format_ms (double ms)
{
  if (ms < 0)
    return g_strdup ("–");
  if (ms < 1000)
    return g_strdup_printf (_("%.0f ms"), ms);
  return g_strdup_printf (_("%.2f s"), ms / 1000.0);
}

/**
 * rw_answer_column_finish:
 * @self: a column
 * @result: the model's result
 *
 * Shows the whole answer with its metrics, or its error.
 */
void
rw_answer_column_finish (RwAnswerColumn *self,
                         RwChatResult   *result)
{
  g_autofree char *ttft = answer_column_format_ms (result->ttft_ms);
  g_autofree char *latency = answer_column_format_ms (result->latency_ms);
  g_autoptr(GString) m = g_string_new (NULL);
  double tps = rw_chat_result_tokens_per_second (result);
  const char *approx = result->usage_estimated ? "~" : "";

  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->streaming = FALSE;
  /* The answer as the provider gave it whole, which the stream's pieces may not spell. */
  if (g_strcmp0 (rw_markdown_view_get_markdown (self->text_view), result->text->str) != 0)
    rw_markdown_view_set_markdown (self->text_view, result->text->str);
  else
    rw_markdown_view_finish (self->text_view);
  gtk_spinner_set_spinning (self->spinner, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->status_icon), TRUE);

  if (g_error_matches (result->error, RW_ERROR, RW_ERROR_CANCELLED))
    {
      /* The user's own Stop: what arrived is kept, and nothing went wrong. */
      gtk_image_set_from_icon_name (self->status_icon, "media-playback-stop-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "dim-label");
      gtk_label_set_label (self->error_label, _("Stopped"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->error_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "dim-label");
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
    }
  else if (result->error != NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s: %s", rw_error_get_kind (result->error),
                                              result->error->message);
      gtk_image_set_from_icon_name (self->status_icon, "dialog-error-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->error_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
      self->error_text = g_steal_pointer (&msg);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
    }
  else
    {
      gtk_image_set_from_icon_name (self->status_icon, "emblem-ok-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "success");
    }

  /* Translators: time to first token, then total time */
  g_string_append_printf (m, _("First token %s · total %s"), ttft, latency);
  if (result->tokens_in >= 0 && result->tokens_out >= 0)
    {
      g_autofree char *in = g_strdup_printf ("%s%" G_GINT64_FORMAT, approx, result->tokens_in);
      g_autofree char *out = g_strdup_printf ("%s%" G_GINT64_FORMAT, approx, result->tokens_out);

      g_string_append_c (m, '\n');
      /* Translators: tokens in, then out; "~" before a number marks an estimate */
      g_string_append_printf (m, _("%s → %s tokens"), in, out);
      if (isfinite (tps))
        g_string_append_printf (m, _(" · %.0f tokens/s"), tps);
    }
  g_string_append (m, " · ");
  if (isfinite (result->cost_usd))
    g_string_append_printf (m, result->cost_usd < 0.01 ? "$%.5f" : "$%.4f", result->cost_usd);
  else
    g_string_append (m, _("cost unknown"));
  g_free (self->metrics_text);
  self->metrics_text = g_string_free (g_steal_pointer (&m), FALSE);
  answer_column_show_details (self);
}

/**
 * rw_answer_column_dup_text:
 * @self: a column
 *
 * Returns: (transfer full): the answer, as Markdown
 */
char *
rw_answer_column_dup_text (RwAnswerColumn *self)
{
  return g_strdup (rw_markdown_view_get_markdown (self->text_view));
}

/**
 * rw_answer_column_dup_shown_text:
 * @self: a column
 *
 * Returns: (transfer full): the answer as shown, rendered
 */
char *
rw_answer_column_dup_shown_text (RwAnswerColumn *self)
{
  return rw_markdown_view_dup_shown (self->text_view);
}

/**
 * rw_answer_column_get_markdown_view:
 * @self: a column
 *
 * Returns: (transfer none): the view that shows the answer
 */
RwMarkdownView *
rw_answer_column_get_markdown_view (RwAnswerColumn *self)
{
  return self->text_view;
}

const char *
rw_answer_column_get_metrics (RwAnswerColumn *self)
{
  return gtk_label_get_label (self->metrics);
}

void
rw_answer_column_set_revealed (RwAnswerColumn *self,
                               gboolean        revealed)
{
  self->revealed = revealed;
  answer_column_update_title (self, revealed);
  answer_column_show_details (self);
}

/**
 * rw_answer_column_set_can_pick:
 * @self: a column
 * @can_pick: whether to offer the “Best Answer” button
 * @index: the column's position, the button's action target
 */
void
rw_answer_column_set_can_pick (RwAnswerColumn *self,
                               gboolean        can_pick,
                               guint           index)
{
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->pick_button), "u", index);
  gtk_widget_set_visible (GTK_WIDGET (self->pick_button), can_pick);
}

void
rw_answer_column_set_picked (RwAnswerColumn *self,
                             gboolean        picked)
{
  if (picked)
    {
      gtk_button_set_label (self->pick_button, _("Voted Best"));
      gtk_widget_add_css_class (GTK_WIDGET (self->pick_button), "suggested-action");
    }
}
