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
 * Each may carry "not", which turns its verdict (and score) around.
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

typedef struct
{
  JsonObject *spec;
  double score;
  gboolean pass;
  char *detail;
} Graded;

static void
graded_free (Graded *g)
{
  json_object_unref (g->spec);
  g_free (g->detail);
  g_free (g);
}

/**
 * rw_judge_is_graded_type:
 * @type: a grader's type
 *
 * Returns: whether graders of @type are graded by the judge model
 */
gboolean
rw_judge_is_graded_type (const char *type)
{
  return g_strcmp0 (type, "judge") == 0 || g_strcmp0 (type, "factuality") == 0 ||
         g_strcmp0 (type, "closedqa") == 0;
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

static void
judge_graded_cb (GObject      *object,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  Graded *g = g_task_get_task_data (task);
  const char *type = rw_json_object_get_string (g->spec, "type", "");
  const char *text;

  if (out->result->error != NULL)
    {
      g_task_return_error (task, g_error_copy (out->result->error));
      return;
    }
  text = out->result->text->str;
  if (g_str_equal (type, "factuality"))
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
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                   "the judge chose none of the cases (A) to (E)");
          return;
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
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                   "the judge ended with neither Y nor N");
          return;
        }
      g->pass = c == 'Y';
      g->score = g->pass;
      g->detail = g_strdup_printf ("%s: %s", g->pass ? "meets the criterion"
                                                      : "does not meet the criterion", text);
    }
  g_task_return_boolean (task, TRUE);
}

static void
judge_rated_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Graded *g = g_task_get_task_data (task);
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
  Graded *g = g_new0 (Graded, 1);

  g->spec = json_object_ref (spec);
  g_task_set_task_data (task, g, (GDestroyNotify) graded_free);
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
  Graded *g = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *score = g->score;
  *pass = g->pass;
  *detail = g_steal_pointer (&g->detail);
  if (rw_json_object_get_boolean (g->spec, "not", FALSE))
    {
      *pass = !*pass;
      *score = 1 - *score;
    }
  return TRUE;
}
