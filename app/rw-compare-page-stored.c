/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "rw-compare-page-private.h"

/* A comparison of the history, shown again in the Compare view: read-only, with its answers,
 * metrics and vote; Run Again asks its models, or the ones chosen since, again. */

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
compare_page_stored_describe (RwStoredComparison *stored)
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

  g_clear_pointer (&self->current, _rw_compare_page_comparison_free);
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
  _rw_compare_page_clear_columns (self);
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

  description = compare_page_stored_describe (stored);
  gtk_label_set_label (self->stored_label, description);
  gtk_revealer_set_reveal_child (self->stored_revealer, TRUE);
  gtk_revealer_set_reveal_child (self->vote_revealer, FALSE);
  gtk_stack_set_visible_child_name (self->stack, "columns");
  _rw_compare_page_update_actions (self);
  return TRUE;
}

/* Asks the models of the comparison shown again, unless others were chosen since it was
 * opened: then those. */
void
_rw_compare_page_run_again_action (GtkWidget  *widget,
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

