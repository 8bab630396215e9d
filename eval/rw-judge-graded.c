/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-judge-private.h"
#include "rw-json.h"

/*
 * Assertions graded by the judge model, with promptfoo's semantics for the model-graded
 * types its configurations use:
 *
 *   judge       {"rubric", "threshold"?}   a 1-10 rating; passes at the threshold (7)
 *   factuality  {"value", "scores"?}       the answer against an expert answer, as one of five
 *               cases: (A) a consistent subset, (B) a consistent superset, (C) the same
 *               details, (D) a disagreement, (E) differences that do not matter to the facts.
 *               Each case scores 1 but (D), which scores 0, unless "scores" says otherwise
 *               ({"subset", "superset", "agree", "disagree", "differ"}); a case passes when its
 *               score is above 0, or at the "threshold" when one is given.
 *   closedqa    {"value"}                  whether the answer meets a criterion: the judge
 *               reasons, then ends with Y or N.
 *
 *   geval       {"value", "threshold"?}    G-Eval: for each criterion (a string, or a list of
 *               them) the judge writes evaluation steps, then scores the answer from 0 to 10 by
 *               them; the score is the mean over the criteria of a tenth of that, and passes at
 *               the threshold (0.7).
 *   context_*   see rw-judge-context.c
 *
 * Each may carry "not", which turns its verdict (and score) around; a reply out of the form
 * asked for is a failing grade that "not" keeps.
 */

static const char factuality_system[] =
  "You compare the factual content of a submitted answer with an expert's answer to the same "
  "question. Ignore differences of style, grammar and punctuation. The submission may be a "
  "subset or a superset of the expert's answer, or conflict with it. Decide which case applies "
  "and say so by ending your reply with exactly one of these options, letter in brackets:\n"
  "(A) The submitted answer is a subset of the expert answer and is fully consistent with it.\n"
  "(B) The submitted answer is a superset of the expert answer and is fully consistent with it.\n"
  "(C) The submitted answer contains all the same details as the expert answer.\n"
  "(D) There is a disagreement between the submitted answer and the expert answer.\n"
  "(E) The answers differ, but these differences don't matter from the perspective of "
  "factuality.";

static const char closedqa_system[] =
  "You assess a submitted answer to a task against a criterion. First reason step by step about "
  "whether the submission meets the criterion, without stating your conclusion at the outset. "
  "Then write the single character Y or N on a line of its own, and repeat that letter alone on "
  "the last line.";

static const char geval_steps_system[] =
  "You are given a criterion for judging a text. Write three or four short steps by which any "
  "text can be evaluated against it. Reply with minified JSON only, with no other words: "
  "{\"steps\": [\"first step\", \"second step\", ...]}";

static const char geval_score_system[] =
  "You evaluate a reply to an input against a criterion, following the evaluation steps given. "
  "Score the reply from 0 (it does not meet the criterion at all) to 10 (it meets it fully). "
  "Reply with minified JSON only, with no other words: {\"score\": 0 to 10, \"reason\": "
  "\"why, in a sentence or two\"}";

static void
graded_free (RwJudgeGraded *g)
{
  json_object_unref (g->spec);
  g_free (g->question);
  g_free (g->answer);
  g_free (g->detail);
  g_clear_pointer (&g->texts, g_ptr_array_unref);
  if (g->reasons != NULL)
    g_string_free (g->reasons, TRUE);
  g_free (g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwJudgeGraded, graded_free)

/**
 * rw_judge_is_graded_type:
 * @type: a grader's type
 *
 * Returns: whether graders of @type are graded by the judge model
 */
gboolean
rw_judge_is_graded_type (const char *type)
{
  static const char * const types[] = {
    "judge", "factuality", "closedqa", "geval", "context_relevance", "context_faithfulness",
    "context_recall", "answer_relevance", "select_best", NULL
  };

  return type != NULL && g_strv_contains (types, type);
}

/* The case the judge chose: the last "(A)" to "(E)" in its reply, else a last line that is
 * the letter alone. */
static char
judge_parse_case (const char *text)
{
  char found = 0;
  g_auto(GStrv) lines = NULL;

  for (const char *p = strchr (text, '('); p != NULL; p = strchr (p + 1, '('))
    if (p[1] >= 'A' && p[1] <= 'E' && p[2] == ')')
      found = p[1];
  if (found)
    return found;
  lines = g_strsplit (text, "\n", -1);
  for (gint i = (gint) g_strv_length (lines) - 1; i >= 0; i--)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0')
        continue;
      if (lines[i][1] == '\0' && lines[i][0] >= 'A' && lines[i][0] <= 'E')
        return lines[i][0];
      break;
    }
  return 0;
}

/* Y or N: the reply's last line that is not empty, alone or ending it. */
static char
judge_parse_yes_no (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (gint i = (gint) g_strv_length (lines) - 1; i >= 0; i--)
    {
      gsize n;

      g_strstrip (lines[i]);
      n = strlen (lines[i]);
      if (n == 0)
        continue;
      while (n > 0 && strchr (".*\"'`", lines[i][n - 1]) != NULL)
        n--;
      if (n > 0 && (lines[i][n - 1] == 'Y' || lines[i][n - 1] == 'N') &&
          (n == 1 || !g_ascii_isalnum (lines[i][n - 2])))
        return lines[i][n - 1];
      return 0;
    }
  return 0;
}

/* The text of the judge's reply, or NULL with @error set. */
char *
_rw_judge_reply_text (GObject       *router,
                      GAsyncResult  *res,
                      GError       **error)
{
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (router), res);

  if (out->result->error != NULL)
    {
      g_propagate_error (error, g_error_copy (out->result->error));
      return NULL;
    }
  return g_strdup (out->result->text->str);
}

/* The JSON object in a reply: from its first "{" to its last "}". */
static JsonObject *
judge_reply_object (const char *text)
{
  const char *open = strchr (text, '{');
  const char *close = strrchr (text, '}');
  g_autoptr(JsonNode) root = NULL;

  if (open == NULL || close == NULL || close < open)
    return NULL;
  root = rw_json_parse (open, close - open + 1, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static void judge_geval_next (RwJudge *self,
                              GTask   *task);

/* The score in a G-Eval reply's JSON, from 0 to 10; NAN when there is none. */
static double
judge_geval_score (JsonObject *reply)
{
  JsonNode *node = reply ? json_object_get_member (reply, "score") : NULL;
  double score = NAN;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        score = g_ascii_strtod (json_node_get_string (node), NULL);
      else if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
        score = json_node_get_double (node);
    }
  return isfinite (score) ? CLAMP (score, 0, 10) : NAN;
}

static void
judge_geval_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwJudgeGraded *g = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *reply = _rw_judge_reply_text (object, res, &error);
  g_autoptr(JsonObject) reply_object = reply ? judge_reply_object (reply) : NULL;
  guint criterion = g->step / 2;
  double threshold = rw_json_object_get_double (g->spec, "threshold", 0.7);

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g->step % 2 == 0)
    {
      /* The steps, then the score by them. */
      JsonArray *steps = reply_object ? rw_json_object_get_array (reply_object, "steps") : NULL;
      g_autoptr(GString) user = g_string_new (NULL);

      for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
        {
          JsonNode *step = json_array_get_element (steps, i);

          if (JSON_NODE_HOLDS_VALUE (step) && json_node_get_value_type (step) == G_TYPE_STRING)
            g_string_append_printf (user, "%s- %s", user->len ? "\n" : "", json_node_get_string (step));
        }
      if (user->len == 0)
        {
          g->malformed = TRUE;
          g->detail = g_strdup_printf ("the judge gave no evaluation steps as JSON: %s", reply);
          g_task_return_boolean (task, TRUE);
          return;
        }
      g_string_prepend (user, "\n\n[Evaluation steps]\n");
      g_string_prepend (user, (char *) g->texts->pdata[criterion]);
      g_string_prepend (user, "[Criterion]\n");
      g_string_append_printf (user, "\n\n[Input]\n%s\n\n[Reply]\n%s", g->question, g->answer);
      g->step++;
      _rw_judge_ask_next (task, geval_score_system, user->str, judge_geval_cb);
      return;
    }
  {
    double score = judge_geval_score (reply_object);

    if (!isfinite (score))
      {
        g->malformed = TRUE;
        g->detail = g_strdup_printf ("the judge gave no score from 0 to 10 as JSON: %s", reply);
        g_task_return_boolean (task, TRUE);
        return;
      }
    g->sum += score / 10;
    if (g->reasons == NULL)
      g->reasons = g_string_new (NULL);
    g_string_append_printf (g->reasons, "%s%g/10: %s", g->reasons->len ? "\n\n" : "", score,
                            rw_json_object_get_string (reply_object, "reason", ""));
  }
  g->step++;
  if (g->step / 2 < g->texts->len)
    {
      {
        RwJudge *self = RW_JUDGE (g_task_get_source_object (task));

        judge_geval_next (self, g_steal_pointer (&task));
      }
      return;
    }
  g->score = g->sum / g->texts->len;
  g->pass = g->score >= threshold;
  g->detail = g_strdup_printf ("%.2f (passes at %g): %s", g->score, threshold, g->reasons->str);
  g_task_return_boolean (task, TRUE);
}

/* Asks for the steps of the next criterion. */
static void
judge_geval_next (RwJudge *self,
                  GTask   *task)
{
  RwJudgeGraded *g = g_task_get_task_data (task);
  g_autofree char *user = g_strdup_printf ("[Criterion]\n%s",
                                           (char *) g->texts->pdata[g->step / 2]);

  _rw_judge_ask (self, geval_steps_system, user, g_task_get_cancellable (task), judge_geval_cb,
                 task);
}

/* What the judge's reply to a factuality or closedqa question comes to, in @g; FALSE with
 * @error set when it chose no case. */
static gboolean
judge_read_verdict (RwJudgeGraded  *g,
                    const char     *text,
                    GError        **error)
{
  if (g_str_equal (rw_json_object_get_string (g->spec, "type", ""), "factuality"))
    {
      static const char * const names[] = { "subset", "superset", "agree", "disagree", "differ" };
      static const char * const says[] = {
        "a consistent subset of the expert answer", "a consistent superset of the expert answer",
        "the same details as the expert answer", "in disagreement with the expert answer",
        "different from the expert answer in ways that do not matter to the facts",
      };
      JsonObject *scores = rw_json_object_get_object (g->spec, "scores");
      char c = judge_parse_case (text);
      double threshold = rw_json_object_get_double (g->spec, "threshold", NAN);

      if (c == 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the judge chose none of the cases (A) to (E)");
          return FALSE;
        }
      g->score = scores ? rw_json_object_get_double (scores, names[c - 'A'], c == 'D' ? 0 : 1)
                        : c == 'D' ? 0 : 1;
      g->pass = isnan (threshold) ? g->score > 0 : g->score >= threshold;
      g->detail = g_strdup_printf ("(%c) %s: %s", c, says[c - 'A'], text);
    }
  else
    {
      char c = judge_parse_yes_no (text);

      if (c == 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the judge ended with neither Y nor N");
          return FALSE;
        }
      g->pass = c == 'Y';
      g->score = g->pass;
      g->detail = g_strdup_printf ("%s: %s", g->pass ? "meets the criterion"
                                                      : "does not meet the criterion", text);
    }
  return TRUE;
}

static void
judge_graded_cb (GObject      *object,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwJudgeGraded *g = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *reply = _rw_judge_reply_text (object, res, &error);

  if (reply == NULL || !judge_read_verdict (g, reply, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
judge_rated_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwJudgeGraded *g = g_task_get_task_data (task);
  g_autofree char *detail = NULL;
  GError *error = NULL;
  double rating;
  double threshold = rw_json_object_get_double (g->spec, "threshold", 7);

  if (!rw_judge_pointwise_finish (RW_JUDGE (object), res, &rating, &detail, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g->score = (rating - 1) / 9.0;
  g->pass = rating >= threshold;
  g->detail = g_strdup_printf ("%g/10 (passes at %g): %s", rating, threshold, detail ? detail : "");
  g_task_return_boolean (task, TRUE);
}

/**
 * rw_judge_grade_async:
 * @self: a judge
 * @spec: a grader of a type rw_judge_is_graded_type() takes
 * @question: what the answer answers
 * @answer: the answer
 * @reference: (nullable): the item's reference answer, the expert's for factuality without a
 *   "value"
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the grade
 * @user_data: data for @callback
 *
 * Grades @answer as @spec says (see the top of this file).
 */
void
rw_judge_grade_async (RwJudge             *self,
                      JsonObject          *spec,
                      const char          *question,
                      const char          *answer,
                      const char          *reference,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  const char *type = rw_json_object_get_string (spec, "type", "");
  const char *value = rw_json_object_get_string (spec, "value", NULL);
  g_autoptr(GString) user = g_string_new (NULL);
  RwJudgeGraded *g = g_new0 (RwJudgeGraded, 1);

  g->spec = json_object_ref (spec);
  g->question = g_strdup (rw_json_object_get_string (spec, "prompt", question ? question : ""));
  g->answer = g_strdup (answer);
  g_task_set_task_data (task, g, (GDestroyNotify) graded_free);
  if (_rw_judge_grade_context (self, task))
    return;
  if (g_str_equal (type, "geval"))
    {
      /* One criterion, or several. */
      JsonNode *node = json_object_get_member (spec, "value");
      JsonArray *list = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      g->texts = g_ptr_array_new_with_free_func (g_free);
      if (value != NULL)
        g_ptr_array_add (g->texts, g_strdup (value));
      for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
        {
          JsonNode *c = json_array_get_element (list, i);

          if (JSON_NODE_HOLDS_VALUE (c) && json_node_get_value_type (c) == G_TYPE_STRING)
            g_ptr_array_add (g->texts, g_strdup (json_node_get_string (c)));
        }
      if (g->texts->len == 0)
        {
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                                   "a g-eval grader needs its criteria (“value”)");
          g_object_unref (task);
          return;
        }
      judge_geval_next (self, task);
      return;
    }
  if (g_str_equal (type, "judge"))
    {
      rw_judge_pointwise_async (self, question, answer, rw_json_object_get_string (spec, "rubric", NULL),
                                reference, cancellable, judge_rated_cb, task);
      return;
    }
  if (g_str_equal (type, "factuality"))
    {
      const char *expert = value ? value : reference;

      if (expert == NULL)
        {
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                                   "a factuality grader needs the expert's answer (“value”)");
          g_object_unref (task);
          return;
        }
      g_string_append_printf (user, "[Question]\n%s\n\n[Expert answer]\n%s\n\n"
                              "[Submitted answer]\n%s", question, expert, answer);
      _rw_judge_ask (self, factuality_system, user->str, cancellable, judge_graded_cb, task);
      return;
    }
  if (g_str_equal (type, "closedqa") && value != NULL)
    {
      g_string_append_printf (user, "[Task]\n%s\n\n[Submission]\n%s\n\n[Criterion]\n%s", question,
                              answer, value);
      _rw_judge_ask (self, closedqa_system, user->str, cancellable, judge_graded_cb, task);
      return;
    }
  g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                           "a %s grader is not graded by a judge, or lacks its “value”", type);
  g_object_unref (task);
}

/**
 * rw_judge_grade_finish:
 * @self: a judge
 * @result: the #GAsyncResult
 * @score: (out): from 0 to 1
 * @pass: (out): whether the answer passes
 * @detail: (out) (transfer full): what the judge said, and what it came to
 * @error: return location for an error
 *
 * Returns: %TRUE when the judge gave a verdict
 */
gboolean
rw_judge_grade_finish (RwJudge       *self,
                       GAsyncResult  *result,
                       double        *score,
                       gboolean      *pass,
                       char         **detail,
                       GError       **error)
{
  RwJudgeGraded *g = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *score = g->score;
  *pass = g->pass;
  *detail = g_steal_pointer (&g->detail);
  if (rw_json_object_get_boolean (g->spec, "not", FALSE) && !g->malformed)
    {
      *pass = !*pass;
      *score = 1 - *score;
    }
  return TRUE;
}

static const char select_best_system[] =
  "You are given a criterion and several outputs, numbered from 0. Choose the one output that "
  "best meets the criterion. Reply with its number only.";

/* The output a select-best reply chose: the first number in it, when it is one of the @n; else
 * -1. */
static int
judge_read_choice (const char *reply,
                   guint       n)
{
  const char *digits = reply + strcspn (reply, "0123456789");
  guint64 choice;

  if (*digits == '\0' || strspn (digits, "0123456789") > 9)
    return -1;
  choice = g_ascii_strtoull (digits, NULL, 10);
  return choice < n ? (int) choice : -1;
}

static void
judge_select_best_cb (GObject      *object,
                      GAsyncResult *res,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwJudgeGraded *g = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *reply = _rw_judge_reply_text (object, res, &error);
  int choice;

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  choice = judge_read_choice (reply, g->step);
  g->detail = g_steal_pointer (&reply);
  g_task_return_int (task, choice);
}

/**
 * rw_judge_select_best_async:
 * @self: a judge
 * @criteria: what the best output does
 * @outputs: (array length=n_outputs): the outputs, 2 or more
 * @n_outputs: how many
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the choice
 * @user_data: data for @callback
 *
 * Asks the judge which of @outputs best meets @criteria, as promptfoo's select-best does: it
 * names one by its number.
 */
void
rw_judge_select_best_async (RwJudge             *self,
                            const char          *criteria,
                            const char * const  *outputs,
                            guint                n_outputs,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RwJudgeGraded *g = g_new0 (RwJudgeGraded, 1);
  g_autoptr(GString) user = g_string_new (NULL);

  g->spec = json_object_new ();
  g->step = n_outputs;
  g_task_set_task_data (task, g, (GDestroyNotify) graded_free);
  g_string_append_printf (user, "[Criterion]\n%s\n", criteria);
  for (guint i = 0; i < n_outputs; i++)
    g_string_append_printf (user, "\n[Output %u]\n%s\n", i, outputs[i]);
  _rw_judge_ask (self, select_best_system, user->str, cancellable, judge_select_best_cb, task);
}

/**
 * rw_judge_select_best_finish:
 * @self: a judge
 * @result: the #GAsyncResult
 * @detail: (out) (transfer full) (optional): what the judge said
 * @error: return location for an error
 *
 * Returns: the number of the output the judge chose; -1 when it named none of them (with
 *   @detail set), or with @error set when it could not be asked
 */
int
rw_judge_select_best_finish (RwJudge       *self,
                             GAsyncResult  *result,
                             char         **detail,
                             GError       **error)
{
  RwJudgeGraded *g = g_task_get_task_data (G_TASK (result));
  GError *local = NULL;
  gssize choice = g_task_propagate_int (G_TASK (result), &local);

  if (local != NULL)
    {
      g_propagate_error (error, local);
      return -1;
    }
  if (detail != NULL)
    *detail = g_steal_pointer (&g->detail);
  return (int) choice;
}

/**
 * rw_judge_read_reply:
 * @spec: a grader the judge grades, of a type read from one reply: factuality, closedqa, geval
 *   (one criterion's score), context_relevance, context_recall, context_faithfulness (the
 *   verdicts) or select_best
 * @n: for context_faithfulness, how many statements were judged; for select_best, how many
 *   outputs were compared (the one chosen passes: its number is the score's)
 * @reply: the judge's reply to the grade's last question
 * @score: (out): from 0 to 1; for select_best, the number of the output chosen, or -1
 * @pass: (out): whether the answer passes (before "not")
 * @detail: (out) (transfer full): what the reply came to
 * @error: where a reply that comes to no grade is reported
 *
 * What a judge's reply comes to, as the grades read it.
 *
 * Returns: %TRUE with a grade
 */
gboolean
rw_judge_read_reply (JsonObject  *spec,
                     guint        n,
                     const char  *reply,
                     double      *score,
                     gboolean    *pass,
                     char       **detail,
                     GError     **error)
{
  const char *type = rw_json_object_get_string (spec, "type", "");
  g_autoptr(RwJudgeGraded) g = g_new0 (RwJudgeGraded, 1);
  gboolean ok = TRUE;

  g->spec = json_object_ref (spec);
  if (g_str_equal (type, "select_best"))
    {
      int choice = judge_read_choice (reply, n);

      g->score = choice;
      g->pass = choice >= 0;
      g->detail = g_strdup (reply);
    }
  else if (g_str_equal (type, "geval"))
    {
      g_autoptr(JsonObject) object = judge_reply_object (reply);
      double threshold = rw_json_object_get_double (spec, "threshold", 0.7);

      g->score = judge_geval_score (object) / 10;
      if (isnan (g->score))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the judge gave no score from 0 to 10 as JSON");
          ok = FALSE;
        }
      g->pass = g->score >= threshold;
      g->detail = g_strdup (reply);
    }
  else if (g_str_equal (type, "factuality") || g_str_equal (type, "closedqa"))
    ok = judge_read_verdict (g, reply, error);
  else
    {
      g->texts = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (g->texts, g_strdup_printf ("statement %u", i + 1));
      g->step = 1;
      if (!_rw_judge_read_context (g, reply))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a %s grader is not read from one "
                       "reply of the judge", type);
          ok = FALSE;
        }
    }
  if (!ok)
    return FALSE;
  *score = g->score;
  *pass = g->pass;
  *detail = g_steal_pointer (&g->detail);
  return TRUE;
}
