/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-judge-private.h"
#include "rw-json.h"

/*
 * The judge's grades of retrieval-augmented answers, with promptfoo's semantics (the RAGAS
 * measures):
 *
 *   context_relevance     {"query", "context"}  the share of the context's sentences (its lines,
 *                         when it has several) the judge says the query needs; "Insufficient
 *                         Information" is none of them
 *   context_faithfulness  {"query", "context"}  the answer cut into statements by the judge,
 *                         then each judged supported by the context or not: the share supported
 *   context_recall        {"value", "context"}  the sentences of the expected answer ("value")
 *                         the judge can attribute to the context: the share attributed
 *
 * Each passes at its "threshold" (0 unless given). A reply out of the form asked for is a
 * failing grade that "not" does not turn around.
 *
 * And for answer relevance, questions the judge writes for an answer
 * (rw_judge_questions_for_async()): the runner compares their embeddings with the query's.
 */

static const char relevance_system[] =
  "You are given a query and a context. Copy out, word for word and one per line, the sentences "
  "of the context that are needed to answer the query, changing nothing in them. If the context "
  "holds no such sentence, or the query cannot be answered from it, reply only with the phrase "
  "\"Insufficient Information\".";

static const char statements_system[] =
  "You are given a question and an answer to it. Restate what the answer claims as short, "
  "self-contained statements, one or more for each of its sentences, each on a line of its "
  "own. Write nothing else.";

static const char verdicts_system[] =
  "You are given a context and numbered statements. For each statement in order, explain "
  "briefly whether the context supports it, then end that statement's part with \"Verdict: "
  "Yes.\" or \"Verdict: No.\". Finally write one line: \"Final verdict for each statement in "
  "order:\" followed by Yes. or No. for each statement, in order, for example \"Final verdict "
  "for each statement in order: Yes. No. Yes.\".";

static const char recall_system[] =
  "You are given a context and an answer. Take each sentence of the answer in turn and decide "
  "whether what it says can be attributed to the context. Write one numbered line per "
  "sentence: the sentence, a short reason, and then [Attributed] or [Not Attributed].";

static const char question_system[] =
  "You are given an answer. Write the one question that this answer answers. Reply with the "
  "question only.";

/* promptfoo's units of a text: its lines when it has two or more that are not empty, else its
 * sentences (cut after . ! or ? and a space); a bare list marker ("1.") is no unit. */
static GPtrArray *
judge_split_units (const char *text,
                   gboolean    by_line)
{
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n_lines = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (*g_strstrip (lines[i]) != '\0')
      n_lines++;
  if (by_line || n_lines > 1)
    {
      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i] != '\0')
          g_ptr_array_add (units, g_strdup (lines[i]));
    }
  else
    {
      const char *start = text;

      for (const char *p = text; ; p++)
        {
          gboolean end = *p == '\0' ||
                         ((p[0] == '.' || p[0] == '!' || p[0] == '?') && g_ascii_isspace (p[1]));

          if (!end)
            continue;
          if (*p != '\0')
            p++;
          {
            g_autofree char *unit = g_strndup (start, p - start);

            if (*g_strstrip (unit) != '\0')
              g_ptr_array_add (units, g_steal_pointer (&unit));
          }
          if (*p == '\0')
            break;
          start = p;
        }
    }
  for (guint i = 0; i < units->len;)
    {
      const char *u = units->pdata[i];
      gsize n = strspn (u, "0123456789");

      if (n > 0 && (u[n] == '.' || u[n] == ')') && u[n + 1] == '\0')
        g_ptr_array_remove_index (units, i);
      else
        i++;
    }
  return g_steal_pointer (&units);
}

/* Lower case with every run of white space one space, for comparing quotations. */
static char *
judge_normalize (const char *text)
{
  g_autofree char *lower = g_utf8_strdown (text, -1);
  GString *s = g_string_new (NULL);

  for (const char *p = lower; *p; p++)
    {
      if (g_ascii_isspace (*p))
        {
          if (s->len > 0 && s->str[s->len - 1] != ' ')
            g_string_append_c (s, ' ');
          continue;
        }
      g_string_append_c (s, *p);
    }
  if (s->len > 0 && s->str[s->len - 1] == ' ')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

static void
judge_malformed (RwJudgeGraded *g,
                 const char    *why,
                 const char    *reply)
{
  g->score = 0;
  g->pass = FALSE;
  g->malformed = TRUE;
  g->detail = g_strdup_printf ("%s: %s", why, reply);
}

static void
judge_scored (RwJudgeGraded *g,
              const char    *measure,
              const char    *reply)
{
  double threshold = rw_json_object_get_double (g->spec, "threshold", 0);

  g->score = CLAMP (g->score, 0, 1);
  g->pass = g->score >= threshold - 1e-12;
  g->detail = g_strdup_printf ("%s %.2f (passes at %g): %s", measure, g->score, threshold, reply);
}

static void
judge_relevance (RwJudgeGraded *g,
                 const char    *reply)
{
  const char *context = rw_json_object_get_string (g->spec, "context", "");
  g_auto(GStrv) lines = g_strsplit (context, "\n", -1);
  guint n_lines = 0;
  g_autoptr(GPtrArray) units = judge_split_units (context, FALSE);
  g_autoptr(GPtrArray) relevant = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *whole = judge_normalize (context);
  gboolean quoted = FALSE;
  guint n = 0;

  if (strstr (reply, "Insufficient Information") != NULL)
    {
      g->score = 0;
      judge_scored (g, "context relevance", reply);
      return;
    }
  for (guint i = 0; lines[i] != NULL; i++)
    if (*g_strstrip (lines[i]) != '\0')
      n_lines++;
  /* The reply cut into units as the context was: by line for a context of lines. */
  relevant = judge_split_units (reply, n_lines > 1);
  for (guint i = 0; i < relevant->len; i++)
    {
      const char *unit = relevant->pdata[i];
      const char *bare = unit + strspn (unit, "0123456789");
      g_autofree char *norm = NULL;

      if (!g_hash_table_add (seen, (gpointer) unit))
        continue;
      n++;
      /* Without a list marker ("1.", "2)", "-"), as the judge may number its lines. */
      if (bare != unit && (*bare == '.' || *bare == ')'))
        bare++;
      else if (bare == unit && (*bare == '-' || *bare == '*'))
        bare++;
      else
        bare = unit;
      norm = judge_normalize (bare);
      if (*norm != '\0' && strstr (whole, norm) != NULL)
        quoted = TRUE;
    }
  if (n > 0 && !quoted)
    {
      judge_malformed (g, "the judge quoted nothing from the context", reply);
      return;
    }
  g->score = units->len > 0 ? (double) MIN (n, units->len) / units->len : 0;
  judge_scored (g, "context relevance", reply);
}

static void
judge_recall (RwJudgeGraded *g,
              const char    *reply)
{
  g_auto(GStrv) lines = g_strsplit (reply, "\n", -1);
  guint total = 0, attributed = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *lower = g_utf8_strdown (lines[i], -1);
      gboolean no = strstr (lower, "[not attributed]") != NULL;
      gboolean yes = strstr (lower, "[attributed]") != NULL;

      if (!no && !yes)
        continue;
      total++;
      if (yes && !no)
        attributed++;
    }
  if (total == 0)
    {
      judge_malformed (g, "the judge marked no sentence [Attributed] or [Not Attributed]", reply);
      return;
    }
  g->score = (double) attributed / total;
  judge_scored (g, "context recall", reply);
}

/* Whether @s holds @word as a word of its own. */
static gboolean
judge_has_word (const char *s,
                const char *word)
{
  gsize n = strlen (word);

  for (const char *p = strstr (s, word); p != NULL; p = strstr (p + 1, word))
    if ((p == s || !g_ascii_isalnum (p[-1])) && !g_ascii_isalnum (p[n]))
      return TRUE;
  return FALSE;
}

/* The verdicts on @n statements: after "final verdict for each statement in order:", a yes or
 * no between each pair of full stops; else each "verdict: yes" and "verdict: no". A statement
 * without a verdict counts as unsupported. */
static void
judge_faithfulness (RwJudgeGraded *g,
                    const char    *reply)
{
  static const char marker[] = "final verdict for each statement in order:";
  g_autofree char *lower = g_utf8_strdown (reply, -1);
  guint n = g->texts->len;
  const char *final = strstr (lower, marker);
  guint unsupported = 0, given = 0;

  if (final != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (final + strlen (marker), ".", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          if (*g_strstrip (parts[i]) == '\0')
            continue;
          if (!judge_has_word (parts[i], "yes") && !judge_has_word (parts[i], "no"))
            {
              given = 0;
              break;
            }
          given++;
          if (strstr (parts[i], "yes") == NULL)
            unsupported++;
        }
    }
  else
    {
      for (const char *p = strstr (lower, "verdict: no"); p; p = strstr (p + 1, "verdict: no"))
        unsupported++, given++;
      for (const char *p = strstr (lower, "verdict: yes"); p; p = strstr (p + 1, "verdict: yes"))
        given++;
    }
  if (given == 0)
    {
      judge_malformed (g, "the judge gave no verdict on the statements", reply);
      return;
    }
  g->score = 1 - (double) (unsupported + (given < n ? n - given : 0)) / n;
  judge_scored (g, "faithfulness", reply);
}

/* What the judge's last reply of a context grade comes to, in @g (for faithfulness, whose
 * statements are in @g); FALSE for a grade of another type. */
gboolean
_rw_judge_read_context (RwJudgeGraded *g,
                        const char    *reply)
{
  const char *type = rw_json_object_get_string (g->spec, "type", "");

  if (g_str_equal (type, "context_relevance"))
    judge_relevance (g, reply);
  else if (g_str_equal (type, "context_recall"))
    judge_recall (g, reply);
  else if (g_str_equal (type, "context_faithfulness") && g->texts != NULL && g->texts->len > 0)
    judge_faithfulness (g, reply);
  else
    return FALSE;
  return TRUE;
}

static void
judge_context_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RwJudgeGraded *g = g_task_get_task_data (task);
  const char *type = rw_json_object_get_string (g->spec, "type", "");
  GError *error = NULL;
  g_autofree char *reply = _rw_judge_reply_text (object, res, &error);

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!g_str_equal (type, "context_faithfulness") || g->step > 0)
    _rw_judge_read_context (g, reply);
  else
    {
      /* The answer's statements; then the context's verdict on each. */
      g_autoptr(GPtrArray) statements = judge_split_units (reply, TRUE);
      g_autoptr(GString) user = g_string_new (NULL);

      if (statements->len == 0)
        {
          judge_malformed (g, "the judge made no statements of the answer", reply);
          g_task_return_boolean (task, TRUE);
          return;
        }
      g->texts = g_steal_pointer (&statements);
      g->step++;
      g_string_append_printf (user, "[Context]\n%s\n\n[Statements]\n",
                              rw_json_object_get_string (g->spec, "context", ""));
      for (guint i = 0; i < g->texts->len; i++)
        g_string_append_printf (user, "%u. %s\n", i + 1, (char *) g->texts->pdata[i]);
      _rw_judge_ask_next (task, verdicts_system, user->str, judge_context_cb);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/*
 * Starts the grade of @task when its spec is one of the context types (see the top of this
 * file); FALSE leaves @task alone.
 */
gboolean
_rw_judge_grade_context (RwJudge *self,
                         GTask   *task)
{
  RwJudgeGraded *g = g_task_get_task_data (task);
  const char *type = rw_json_object_get_string (g->spec, "type", "");
  const char *context = rw_json_object_get_string (g->spec, "context", NULL);
  const char *query = rw_json_object_get_string (g->spec, "query", NULL);
  const char *value = rw_json_object_get_string (g->spec, "value", NULL);
  g_autoptr(GString) user = g_string_new (NULL);
  const char *system;

  if (!g_str_has_prefix (type, "context_"))
    return FALSE;
  if (context == NULL || *context == '\0')
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                               "a %s grader needs a context: a “context” var, or a "
                               "“contextTransform”", type);
      g_object_unref (task);
      return TRUE;
    }
  if (g_str_equal (type, "context_recall"))
    {
      if (value == NULL)
        {
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                                   "a context-recall grader needs the expected answer (“value”)");
          g_object_unref (task);
          return TRUE;
        }
      system = recall_system;
      g_string_append_printf (user, "[Context]\n%s\n\n[Answer]\n%s", context, value);
    }
  else
    {
      if (query == NULL)
        {
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                                   "a %s grader needs the user's question: a “query” var", type);
          g_object_unref (task);
          return TRUE;
        }
      if (g_str_equal (type, "context_relevance"))
        {
          system = relevance_system;
          g_string_append_printf (user, "[Query]\n%s\n\n[Context]\n%s", query, context);
        }
      else
        {
          system = statements_system;
          g_string_append_printf (user, "[Question]\n%s\n\n[Answer]\n%s", query, g->answer);
        }
    }
  _rw_judge_ask (self, system, user->str, g_task_get_cancellable (task), judge_context_cb, task);
  return TRUE;
}

typedef struct
{
  char *answer;
  guint n;
  GPtrArray *questions;
} Questions;

static void
questions_free (Questions *q)
{
  g_free (q->answer);
  g_ptr_array_unref (q->questions);
  g_free (q);
}

static void
judge_question_cb (GObject      *object,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Questions *q = g_task_get_task_data (task);
  GError *error = NULL;
  char *reply = _rw_judge_reply_text (object, res, &error);

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_ptr_array_add (q->questions, g_strstrip (reply));
  if (q->questions->len == q->n)
    {
      g_ptr_array_add (q->questions, NULL);
      g_task_return_pointer (task, g_ptr_array_free (g_steal_pointer (&q->questions), FALSE),
                             (GDestroyNotify) g_strfreev);
      q->questions = g_ptr_array_new ();
      return;
    }
  _rw_judge_ask_next (task, question_system, q->answer, judge_question_cb);
}

/**
 * rw_judge_questions_for_async:
 * @self: a judge
 * @answer: an answer
 * @n: how many questions, 1 or more
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the questions
 * @user_data: data for @callback
 *
 * Asks the judge @n times, one after another, for the question @answer answers: promptfoo's
 * answer relevance compares their embeddings with the query's.
 */
void
rw_judge_questions_for_async (RwJudge             *self,
                              const char          *answer,
                              guint                n,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Questions *q = g_new0 (Questions, 1);

  g_return_if_fail (n > 0);
  q->answer = g_strdup_printf ("[Answer]\n%s", answer);
  q->n = n;
  q->questions = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, q, (GDestroyNotify) questions_free);
  _rw_judge_ask (self, question_system, q->answer, cancellable, judge_question_cb, task);
}

/**
 * rw_judge_questions_for_finish:
 * @self: a judge
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the questions, or %NULL with @error set
 */
char **
rw_judge_questions_for_finish (RwJudge       *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
