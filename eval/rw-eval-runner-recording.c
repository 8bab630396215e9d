/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner-private.h"
#include "rw-grader.h"
#include "rw-json.h"

/* Storing what a run made: its answers with their grades, and the votes between them. */

/* A stored value as it reads back: the store keeps no negative or non-finite number. */
static double
runner_as_stored (double v)
{
  return isfinite (v) && v >= 0 ? v : NAN;
}

/* Stores an answer of this run, and counts it for the report. */
char *
_rw_eval_runner_record_answer (RwEvalRunner *self,
                               RwEvalWork         *w,
                               const char   *prompt_id,
                               RwChatResult *result,
                               guint         attempts,
                               const char   *hash,
                               gboolean      cached)
{
  const char *task = rw_chat_request_get_task (w->item->request);
  char *id = rw_store_record_answer (self->store, &(RwAnswerRecord) {
               .run_id = self->run_id,
               .prompt_id = prompt_id,
               .result = result,
               .attempt = attempts,
               .request_hash = hash,
               .item_id = w->item->id,
               .sample = w->sample,
               .task = task,
               .cached = cached,
             });

  if (self->tally != NULL)
    rw_eval_tally_add_answer (self->tally, id, w->item->id, result->model_id, w->sample,
                              result->error == NULL, task, runner_as_stored (result->cost_usd),
                              runner_as_stored (result->latency_ms), cached);
  return id;
}

void
_rw_eval_runner_record_grade (RwEvalRunner *self,
                              const char   *response_id,
                              const char   *grader,
                              double        score,
                              gboolean      pass,
                              const char   *detail,
                              const char   *source,
                              double        weight,
                              const char   *metric)
{
  rw_store_record_weighted_grade (self->store, response_id, grader, score, pass, detail, source,
                                  weight, metric);
  if (self->tally != NULL)
    rw_eval_tally_add_grade (self->tally, response_id, FALSE, runner_as_stored (score), pass ? 1 : 0, 0,
                             NULL, weight, metric);
}

void
_rw_eval_runner_record_vote (RwEvalRunner  *self,
                             const char    *prompt_id,
                             const char    *task,
                             RwVoteOutcome  outcome,
                             const char    *a,
                             const char    *b,
                             const char    *source)
{
  const char *ids[] = { a, b, NULL };

  g_free (rw_store_record_vote (self->store, prompt_id, self->run_id, task, outcome, ids, NULL,
                                source));
  if (self->tally != NULL)
    rw_eval_tally_add_vote (self->tally, a, b, source, rw_vote_outcome_to_string (outcome));
  g_atomic_int_inc (&self->n_comparisons);
}

/* Grades an answer and stores the grades; @mean gets their weighted mean score, and the result says
 * whether there was any grade. */
gboolean
_rw_eval_runner_grade_and_store (RwEvalRunner *self,
                                 RwSuiteItem  *item,
                                 const char   *response_id,
                                 RwChatResult *answer,
                                 double       *mean)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) grades = rw_grader_grade_result (item, answer, &error);
  double sum = 0, weights = 0;

  *mean = 0;
  if (grades == NULL)
    {
      _rw_eval_runner_record_grade (self, response_id, "config", 0, FALSE, error->message, "grader",
                                    1, NULL);
      return TRUE;
    }
  for (guint i = 0; i < grades->len; i++)
    {
      RwGrade *g = grades->pdata[i];
      _rw_eval_runner_record_grade (self, response_id, g->grader, g->score, g->pass, g->detail, "grader",
                                    g->weight, g->metric);
      sum += g->score * g->weight;
      weights += g->weight;
    }
  if (weights > 0)
    *mean = sum / weights;
  return grades->len > 0;
}

/* The pairwise outcome of two graded answers, stored as a comparison from the grader. */
void
_rw_eval_runner_record_graded_pair (RwEvalRunner *self,
                                    const char   *prompt_id,
                                    const char   *task,
                                    const char   *a,
                                    double        score_a,
                                    const char   *b,
                                    double        score_b)
{
  RwVoteOutcome outcome = score_a > score_b ? RW_VOTE_A : score_a < score_b ? RW_VOTE_B
                                                                              : RW_VOTE_TIE;

  _rw_eval_runner_record_vote (self, prompt_id, task, outcome, a, b, "grader");
}

/* A graded answer of this session. Once every model has answered the item, its pairs are
 * compared, in the order the models were given: the earlier model is always "a". With a
 * judge, whose ratings change the scores at the end, comparisons wait for the end instead. */
void
_rw_eval_runner_note_answer (RwEvalRunner *self,
                             RwEvalWork         *w,
                             const char   *prompt_id,
                             const char   *response_id,
                             gboolean      scored,
                             double        score)
{
  g_autofree char *key = NULL;
  guint m = 0;
  RwEvalLive *l;

  if (self->judge != NULL || self->models->len < 2)
    return;
  while (m < self->models->len && self->models->pdata[m] != w->model)
    m++;
  if (m == self->models->len)
    return;
  key = g_strdup_printf ("%s\n%u", w->item->id, w->sample);
  l = g_hash_table_lookup (self->live, key);
  if (l == NULL)
    {
      const char *task = rw_chat_request_get_task (w->item->request);

      l = g_new0 (RwEvalLive, 1);
      l->prompt_id = g_strdup (prompt_id);
      l->task = g_strdup (task ? task : "general");
      l->n_models = self->models->len;
      l->ids = g_new0 (char *, self->models->len);
      l->scores = g_new0 (double, self->models->len);
      l->scored = g_new0 (gboolean, self->models->len);
      g_hash_table_insert (self->live, g_strdup (key), l);
    }
  if (l->ids[m] != NULL)
    return;
  l->ids[m] = g_strdup (response_id);
  l->scores[m] = score;
  l->scored[m] = scored;
  if (++l->n < self->models->len)
    return;
  for (guint a = 0; a < self->models->len; a++)
    for (guint b = a + 1; b < self->models->len; b++)
      if (l->scored[a] && l->scored[b])
        _rw_eval_runner_record_graded_pair (self, l->prompt_id, l->task, l->ids[a], l->scores[a], l->ids[b],
                            l->scores[b]);
  g_hash_table_remove (self->live, key);
}

const char *
_rw_eval_runner_prompt_id_for (RwEvalRunner *self,
                               RwSuiteItem  *item)
{
  char *id = g_hash_table_lookup (self->prompt_ids, item->id);

  if (id == NULL)
    {
      id = rw_store_record_prompt (self->store, item->request);
      g_hash_table_insert (self->prompt_ids, g_strdup (item->id), id);
    }
  return id;
}
