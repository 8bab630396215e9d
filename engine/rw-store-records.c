/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "rw-store-private.h"

/* The records of the store's typed queries, and how a query fills them. */

void
rw_stored_request_free (RwStoredRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->kind);
  g_free (request->model);
  g_free (request->task);
  g_free (request->prompt_text);
  g_free (request->error_kind);
  g_free (request->request_key);
  g_free (request);
}

void
rw_stored_answer_grade_free (RwStoredAnswerGrade *grade)
{
  if (grade == NULL)
    return;
  g_free (grade->grader);
  g_free (grade->detail);
  g_free (grade->source);
  g_free (grade);
}

void
rw_stored_policy_free (RwStoredPolicy *policy)
{
  if (policy == NULL)
    return;
  g_free (policy->id);
  g_free (policy->name);
  g_free (policy->body);
  g_free (policy);
}

void
rw_stored_run_free (RwStoredRun *run)
{
  if (run == NULL)
    return;
  g_free (run->id);
  g_free (run->kind);
  g_free (run->status);
  g_free (run->params);
  g_free (run->key);
  g_free (run);
}

void
rw_stored_response_free (RwStoredResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->id);
  g_free (response->item_id);
  g_free (response->model);
  g_free (response->prompt_id);
  g_free (response->task);
  g_free (response->text);
  g_free (response->prompt_text);
  g_free (response->finish_reason);
  g_free (response->request_hash);
  g_free (response->error_kind);
  g_free (response->error_message);
  g_free (response->tool_calls);
  g_free (response);
}

void
rw_stored_vote_free (RwStoredVote *vote)
{
  if (vote == NULL)
    return;
  g_free (vote->response_a);
  g_free (vote->response_b);
  g_free (vote->source);
  g_free (vote->outcome);
  g_free (vote->task);
  g_free (vote->model_a);
  g_free (vote->model_b);
  g_free (vote);
}

void
rw_stored_vote_tally_free (RwStoredVoteTally *tally)
{
  if (tally == NULL)
    return;
  g_free (tally->model_a);
  g_free (tally->model_b);
  g_free (tally->source);
  g_free (tally);
}

void
rw_stored_graded_item_free (RwStoredGradedItem *item)
{
  if (item == NULL)
    return;
  g_free (item->item);
  g_free (item->task);
  g_free (item->prompt);
  g_free (item->model);
  g_free (item->benchmark);
  g_free (item);
}

/* Returns: (transfer full): a response record with nothing read yet: no count, no number */
RwStoredResponse *
_rw_store_response_new (void)
{
  RwStoredResponse *r = g_new0 (RwStoredResponse, 1);

  r->tokens_in = r->tokens_out = -1;
  r->cost_usd = r->ttft_ms = r->latency_ms = r->mean_score = NAN;
  return r;
}

/* Returns: (transfer full) (nullable): a copy of a text column, %NULL for NULL */
char *
_rw_store_row_dup (RwStoreRow *row,
                   int         column)
{
  return g_strdup (_rw_store_row_text (row, column));
}

/* Returns: an integer column, or -1 for NULL */
gint64
_rw_store_row_int_or_unset (RwStoreRow *row,
                            int         column)
{
  return _rw_store_row_is_null (row, column) ? -1 : _rw_store_row_int (row, column);
}

/* Adds each row, made a record by the query's @make, to an array. */
gboolean
_rw_store_row_collect (RwStoreRow *row,
                       gpointer    data)
{
  RwStoreCollect *c = data;

  g_ptr_array_add (c->out, c->make (row));
  return TRUE;
}

/* Returns: (transfer full) (nullable): the records @make makes of the rows of @sql, whose
 * @n_params parameters may be NULL */
GPtrArray *
_rw_store_list_n (RwStore             *self,
                  const char          *sql,
                  const char * const  *params,
                  guint                n_params,
                  gpointer           (*make) (RwStoreRow *row),
                  GDestroyNotify       free_func,
                  GError             **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (free_func);
  RwStoreCollect c = { out, make };

  if (!_rw_store_query_each_n (self, sql, params, n_params, _rw_store_row_collect, &c, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* Returns: (transfer full) (nullable): the records @make makes of the rows of @sql */
GPtrArray *
_rw_store_list (RwStore             *self,
                const char          *sql,
                const char * const  *params,
                gpointer           (*make) (RwStoreRow *row),
                GDestroyNotify       free_func,
                GError             **error)
{
  guint n = 0;

  while (params != NULL && params[n] != NULL)
    n++;
  return _rw_store_list_n (self, sql, params, n, make, free_func, error);
}
