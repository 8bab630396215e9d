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
  g_autofree char *id = _rw_store_new_id ();
  RwStoreOp *op = _rw_store_op_new ("INSERT INTO grades (id, response_id, grader, score, pass, detail, source, "
                   "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

  _rw_store_op_text (op, id);
  _rw_store_op_text (op, response_id);
  _rw_store_op_text (op, grader);
  _rw_store_op_double_or_null (op, score);
  _rw_store_op_int (op, pass ? 1 : 0);
  _rw_store_op_text (op, detail);
  _rw_store_op_text (op, source ? source : "grader");
  _rw_store_op_int (op, _rw_store_now_ms ());
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
