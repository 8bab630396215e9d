/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-paths.h"
#include "rw-store-private.h"

/* Votes and grades: what people, judges and graders said of the answers. */

/**
 * rw_store_record_grade:
 * @self: a #RwStore
 * @response_id: the graded answer
 * @grader: the grader's name
 * @score: from 0 to 1
 * @pass: whether it passed
 * @detail: (nullable): why
 * @source: "grader", "judge" or "human"
 */
void
rw_store_record_grade (RwStore    *self,
                       const char *response_id,
                       const char *grader,
                       double      score,
                       gboolean    pass,
                       const char *detail,
                       const char *source)
{
  rw_store_record_weighted_grade (self, response_id, grader, score, pass, detail, source, 1, NULL);
}

/**
 * rw_store_record_weighted_grade:
 * @weight: how much the grade counts in its answer's score (a weighted mean), 0 or more
 * @metric: (nullable): the named metric it also counts towards
 *
 * rw_store_record_grade(), for a grade that counts more or less than the others, or towards a
 * named metric.
 */
void
rw_store_record_weighted_grade (RwStore    *self,
                                const char *response_id,
                                const char *grader,
                                double      score,
                                gboolean    pass,
                                const char *detail,
                                const char *source,
                                double      weight,
                                const char *metric)
{
  g_autofree char *id = _rw_store_new_id ();
  RwStoreOp *op = _rw_store_op_new ("INSERT INTO grades (id, response_id, grader, score, pass, detail, source, "
                   "created_ms, weight, metric) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");

  _rw_store_op_text (op, id);
  _rw_store_op_text (op, response_id);
  _rw_store_op_text (op, grader);
  _rw_store_op_double_or_null (op, score);
  _rw_store_op_int (op, pass ? 1 : 0);
  _rw_store_op_text (op, detail);
  _rw_store_op_text (op, source ? source : "grader");
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_op_double_or_null (op, isfinite (weight) && weight >= 0 ? weight : 1);
  _rw_store_op_text (op, metric);
  _rw_store_enqueue (self, op);
}

const char *
rw_vote_outcome_to_string (RwVoteOutcome outcome)
{
  switch (outcome)
    {
    case RW_VOTE_A: return "a";
    case RW_VOTE_B: return "b";
    case RW_VOTE_TIE: return "tie";
    case RW_VOTE_BOTH_BAD: return "both_bad";
    case RW_VOTE_BEST: return "best";
    default: g_return_val_if_reached ("tie");
    }
}

/**
 * rw_store_record_vote:
 * @self: a #RwStore
 * @prompt_id: the prompt
 * @run_id: (nullable): the run the answers came from
 * @task: (nullable): the prompt's task
 * @outcome: the outcome
 * @response_ids: (array zero-terminated=1): the answers compared, in the order shown: two for
 *   a pairwise vote, all of them for %RW_VOTE_BEST
 * @winner_id: (nullable): the best answer, for %RW_VOTE_BEST
 * @source: "human", "judge", "grader" or "import"
 *
 * Returns: (transfer full) (nullable): the vote's id, or %NULL when the arguments do not make
 *   a vote
 */
char *
rw_store_record_vote (RwStore            *self,
                      const char         *prompt_id,
                      const char         *run_id,
                      const char         *task,
                      RwVoteOutcome       outcome,
                      const char * const *response_ids,
                      const char         *winner_id,
                      const char         *source)
{
  guint n = response_ids ? g_strv_length ((char **) response_ids) : 0;
  g_autoptr(GString) candidates = NULL;
  char *id;
  RwStoreOp *op;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (outcome == RW_VOTE_BEST ? (n < 2 || winner_id == NULL ||
                                 !g_strv_contains (response_ids, winner_id))
                              : n != 2)
    return NULL;

  /* A JSON array of the ids, written directly: an evaluation records thousands of these. */
  candidates = g_string_sized_new (2 + n * 40);
  g_string_append_c (candidates, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (candidates, ',');
      rw_json_append_string (candidates, response_ids[i]);
    }
  g_string_append_c (candidates, ']');

  id = _rw_store_new_id ();
  op = _rw_store_op_new ("INSERT INTO votes (id, prompt_id, run_id, task, outcome, response_a, response_b, "
               "winner, source, created_ms, candidates) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  _rw_store_op_text (op, id);
  _rw_store_op_text (op, prompt_id);
  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, task);
  _rw_store_op_text (op, rw_vote_outcome_to_string (outcome));
  _rw_store_op_text (op, n == 2 ? response_ids[0] : NULL);
  _rw_store_op_text (op, n == 2 ? response_ids[1] : NULL);
  _rw_store_op_text (op, outcome == RW_VOTE_BEST ? winner_id :
               outcome == RW_VOTE_A ? response_ids[0] :
               outcome == RW_VOTE_B ? response_ids[1] : NULL);
  _rw_store_op_text (op, source ? source : "human");
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_op_text (op, candidates->str);
  _rw_store_enqueue (self, op);
  return id;
}

static gboolean
store_read_grade (RwStoreRow *row,
                  gpointer    data)
{
  gpointer *call = data;
  RwStoredGrade g = {
    .response_id = (char *) _rw_store_row_text (row, 0),
    .human = _rw_store_row_int (row, 1) != 0,
    .score = _rw_store_row_double (row, 2),
    .pass = (int) _rw_store_row_int_or_unset (row, 3),
    .created_ms = _rw_store_row_int (row, 4),
    .id = (char *) _rw_store_row_text (row, 5),
    .weight = _rw_store_row_double (row, 6),
    .metric = (char *) _rw_store_row_text (row, 7),
  };

  return ((RwStoredGradeFunc) call[0]) (&g, call[1]);
}

/**
 * rw_store_foreach_run_grade:
 * @func: called with each grade of an answer of the run, lent for the call; it returns %FALSE
 *   to stop
 *
 * Returns: %FALSE when the query could not run
 */
gboolean
rw_store_foreach_run_grade (RwStore            *self,
                            const char         *run_id,
                            RwStoredGradeFunc   func,
                            gpointer            data,
                            GError            **error)
{
  const char *params[] = { run_id, NULL };
  gpointer call[] = { (gpointer) func, data };

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);

  return _rw_store_query_each (self, "SELECT g.response_id, g.source = 'human', g.score, g.pass, "
                                    "  g.created_ms, g.id, g.weight, g.metric "
                                    "FROM grades g JOIN responses r ON r.id = g.response_id "
                                    "WHERE r.run_id = ?1", params, store_read_grade, call, error);
}

static gboolean
store_read_vote (RwStoreRow *row,
                 gpointer    data)
{
  gpointer *call = data;
  RwStoredVote v = {
    .response_a = (char *) _rw_store_row_text (row, 0),
    .response_b = (char *) _rw_store_row_text (row, 1),
    .source = (char *) _rw_store_row_text (row, 2),
    .outcome = (char *) _rw_store_row_text (row, 3),
  };

  return ((RwStoredVoteFunc) call[0]) (&v, call[1]);
}

/**
 * rw_store_foreach_run_vote:
 * @func: called with each vote of the run (its answers, source and outcome), lent for the
 *   call; it returns %FALSE to stop
 *
 * Returns: %FALSE when the query could not run
 */
gboolean
rw_store_foreach_run_vote (RwStore           *self,
                           const char        *run_id,
                           RwStoredVoteFunc   func,
                           gpointer           data,
                           GError           **error)
{
  const char *params[] = { run_id, NULL };
  gpointer call[] = { (gpointer) func, data };

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);

  return _rw_store_query_each (self, "SELECT response_a, response_b, source, outcome FROM votes "
                                    "WHERE run_id = ?1", params, store_read_vote, call, error);
}

static gpointer
store_make_vote_tally (RwStoreRow *row)
{
  RwStoredVoteTally *t = g_new0 (RwStoredVoteTally, 1);

  t->model_a = _rw_store_row_dup (row, 0);
  t->model_b = _rw_store_row_dup (row, 1);
  t->source = _rw_store_row_dup (row, 2);
  t->wins = (guint64) _rw_store_row_int (row, 3);
  t->losses = (guint64) _rw_store_row_int (row, 4);
  t->ties = (guint64) _rw_store_row_int (row, 5);
  return t;
}

/**
 * rw_store_list_run_vote_tallies:
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredVoteTally): the run's votes
 *   counted by the two models they compared and their source, in that order
 */
GPtrArray *
rw_store_list_run_vote_tallies (RwStore     *self,
                                const char  *run_id,
                                GError     **error)
{
  const char *params[] = { run_id, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self,
    "SELECT ra.model, rb.model, v.source, "
    "  sum (v.outcome = 'a'), sum (v.outcome = 'b'), sum (v.outcome IN ('tie', 'both_bad')) "
    "FROM votes v JOIN responses ra ON ra.id = v.response_a "
    "  JOIN responses rb ON rb.id = v.response_b "
    "WHERE v.run_id = ?1 GROUP BY ra.model, rb.model, v.source "
    "ORDER BY ra.model, rb.model, v.source",
    params, store_make_vote_tally, (GDestroyNotify) rw_stored_vote_tally_free, error);
}

static gpointer
store_make_pairwise_vote (RwStoreRow *row)
{
  RwStoredVote *v = g_new0 (RwStoredVote, 1);

  v->task = _rw_store_row_dup (row, 0);
  v->model_a = _rw_store_row_dup (row, 1);
  v->model_b = _rw_store_row_dup (row, 2);
  v->outcome = _rw_store_row_dup (row, 3);
  v->source = _rw_store_row_dup (row, 4);
  v->response_a = _rw_store_row_dup (row, 5);
  v->response_b = _rw_store_row_dup (row, 6);
  return v;
}

/**
 * rw_store_list_pairwise_votes:
 *
 * Every vote between whole answers (a vote that names a failed one says nothing of the model) as
 * outcomes between two models, in the order they were given: first the votes
 * between two answers (outcome "a", "b", "tie" or "both_bad"), then each vote for the best of
 * several answers as a win ("a") of its winner over each other answer. Each has its task (the
 * vote's, else its prompt's, else "general"), both models and both answers.
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredVote): the outcomes
 */
GPtrArray *
rw_store_list_pairwise_votes (RwStore  *self,
                              GError  **error)
{
  return rw_store_list_pairwise_votes_filtered (self, NULL, error);
}

/**
 * rw_store_list_pairwise_votes_filtered:
 * @filter: (nullable): which votes; %NULL for all
 *
 * The outcomes of rw_store_list_pairwise_votes() that @filter keeps.
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredVote): the outcomes
 */
GPtrArray *
rw_store_list_pairwise_votes_filtered (RwStore            *self,
                                       const RwVoteFilter *filter,
                                       GError            **error)
{
  g_autoptr(GPtrArray) pairs = NULL;
  g_autoptr(GPtrArray) best = NULL;
  g_autofree char *since = NULL;
  g_autofree char *until = NULL;
  g_autofree char *sources = NULL;
  const char *params[3];

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  since = g_strdup_printf ("%" G_GINT64_FORMAT, filter ? filter->since_ms : 0);
  until = g_strdup_printf ("%" G_GINT64_FORMAT,
                           filter && filter->until_ms > 0 ? filter->until_ms : G_MAXINT64);
  sources = filter && filter->sources ? g_strjoinv (",", (char **) filter->sources) : NULL;
  params[0] = since;
  params[1] = until;
  params[2] = sources;

#define VOTE_FILTER \
  "AND v.created_ms >= CAST (?1 AS INTEGER) AND v.created_ms < CAST (?2 AS INTEGER) " \
  "AND (?3 IS NULL OR instr (',' || ?3 || ',', ',' || v.source || ',') > 0) "
  pairs = _rw_store_list_n (self,
    "SELECT coalesce (v.task, p.task, 'general'), ra.model, rb.model, v.outcome, "
    "  v.source, v.response_a, v.response_b "
    "FROM votes v JOIN prompts p ON p.id = v.prompt_id "
    "JOIN responses ra ON ra.id = v.response_a "
    "JOIN responses rb ON rb.id = v.response_b "
    "WHERE v.outcome IN ('a', 'b', 'tie', 'both_bad') AND ra.status = 'ok' AND rb.status = 'ok' "
    VOTE_FILTER
    "ORDER BY v.created_ms",
    params, G_N_ELEMENTS (params), store_make_pairwise_vote,
    (GDestroyNotify) rw_stored_vote_free, error);
  if (pairs == NULL)
    return NULL;
  best = _rw_store_list_n (self,
    "SELECT coalesce (v.task, p.task, 'general'), w.model, c.model, 'a', v.source, "
    "  w.id, c.id "
    "FROM votes v JOIN prompts p ON p.id = v.prompt_id "
    "JOIN responses w ON w.id = v.winner, json_each (v.candidates) j "
    "JOIN responses c ON c.id = j.value "
    "WHERE v.outcome = 'best' AND c.id != w.id AND json_valid (v.candidates) "
    "  AND w.status = 'ok' AND c.status = 'ok' "
    VOTE_FILTER
    "ORDER BY v.created_ms",
    params, G_N_ELEMENTS (params), store_make_pairwise_vote,
    (GDestroyNotify) rw_stored_vote_free, error);
#undef VOTE_FILTER
  if (best == NULL)
    return NULL;
  g_ptr_array_extend_and_steal (pairs, g_steal_pointer (&best));
  return g_steal_pointer (&pairs);
}

static gpointer
store_make_answer_grade (RwStoreRow *row)
{
  RwStoredAnswerGrade *g = g_new0 (RwStoredAnswerGrade, 1);

  g->grader = _rw_store_row_dup (row, 0);
  g->score = _rw_store_row_is_null (row, 1) ? NAN : _rw_store_row_double (row, 1);
  g->pass = _rw_store_row_is_null (row, 2) ? -1 : (int) _rw_store_row_int (row, 2);
  g->detail = _rw_store_row_dup (row, 3);
  g->source = _rw_store_row_dup (row, 4);
  return g;
}

/**
 * rw_store_list_answer_grades:
 * @response_id: an answer
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredAnswerGrade): its grades, oldest
 *   first, each with its grader and what it said (a judge's reasoning)
 */
GPtrArray *
rw_store_list_answer_grades (RwStore     *self,
                             const char  *response_id,
                             GError     **error)
{
  const char *params[] = { response_id, NULL };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT grader, score, pass, detail, source FROM grades "
                               "WHERE response_id = ?1 ORDER BY created_ms, rowid",
                         params, store_make_answer_grade,
                         (GDestroyNotify) rw_stored_answer_grade_free, error);
}
