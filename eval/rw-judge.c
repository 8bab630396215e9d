/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-judge.h"
#include "rw-judge-private.h"

/**
 * RwJudge:
 *
 * A model as a grader, in the manner of MT-Bench's judge prompts. Pointwise, it rates one
 * answer from 1 to 10 against a rubric (and a reference answer, when there is one) and replies
 * "[[N]]". Pairwise, it is asked which of two answers is better, "[[A]]", "[[B]]" or "[[C]]"
 * for a tie, once in each order: judges favour a position, so a verdict stands only when both
 * orders agree, and a disagreement counts as a tie.
 */
struct _RwJudge
{
  GObject parent_instance;

  RwRouter *router;
  RwModel *model;
};

G_DEFINE_FINAL_TYPE (RwJudge, rw_judge, G_TYPE_OBJECT)

static RwChatRequest *judge_request (const char *system,
                                     const char *user);

static const char pointwise_system[] =
  "Please act as an impartial judge and evaluate the quality of the response provided by an AI "
  "assistant to the user question displayed below. Be as objective as possible. After a short "
  "explanation, you must rate the response on a scale of 1 to 10 by strictly following this "
  "format: \"[[rating]]\", for example: \"Rating: [[5]]\".";

static const char pairwise_system[] =
  "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
  "assistants to the user question displayed below. Avoid any position biases and ensure that "
  "the order in which the responses were presented does not influence your decision. Do not let "
  "the length of the responses or the names of the assistants influence your evaluation. Be as "
  "objective as possible. After a short explanation, output your final verdict by strictly "
  "following this format: \"[[A]]\" if assistant A is better, \"[[B]]\" if assistant B is "
  "better, and \"[[C]]\" for a tie.";

static void
rw_judge_finalize (GObject *object)
{
  RwJudge *self = (RwJudge *) object;

  g_clear_object (&self->router);
  g_clear_object (&self->model);
  G_OBJECT_CLASS (rw_judge_parent_class)->finalize (object);
}

static void
rw_judge_class_init (RwJudgeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_judge_finalize;
}

static void
rw_judge_init (RwJudge *self)
{
}

/**
 * rw_judge_new:
 * @router: the router the judge's requests go through
 * @model: the judge model
 *
 * Returns: (transfer full): a judge
 */
RwJudge *
rw_judge_new (RwRouter *router,
              RwModel  *model)
{
  RwJudge *self = g_object_new (RW_TYPE_JUDGE, NULL);

  self->router = g_object_ref (router);
  self->model = g_object_ref (model);
  return self;
}

RwModel *
rw_judge_get_model (RwJudge *self)
{
  return self->model;
}

/* Asks the judge model, through the router: the route's result goes to @callback
 * (rw_router_route_finish()). */
void
_rw_judge_ask (RwJudge             *self,
               const char          *system,
               const char          *user,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(RwChatRequest) request = judge_request (system, user);

  rw_router_route_async (self->router, request, rw_model_get_id (self->model), NULL, NULL, NULL,
                         cancellable, callback, user_data);
}

/* The next question of a grade made in several steps: @callback gets @task, with a reference
 * of its own. */
void
_rw_judge_ask_next (GTask               *task,
                    const char          *system,
                    const char          *user,
                    GAsyncReadyCallback  callback)
{
  _rw_judge_ask (RW_JUDGE (g_task_get_source_object (task)), system, user,
                 g_task_get_cancellable (task), callback, g_object_ref (task));
}

/**
 * rw_judge_parse_rating:
 * @text: a judge's reply
 *
 * Returns: the last "[[N]]" rating from 1 to 10, or NAN when there is none
 */
double
rw_judge_parse_rating (const char *text)
{
  g_autoptr(GRegex) re = g_regex_new ("\\[\\[\\s*(\\d+(?:\\.\\d+)?)\\s*\\]\\]", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  double rating = NAN;

  g_regex_match (re, text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *n = g_match_info_fetch (match, 1);
      rating = g_ascii_strtod (n, NULL);
      g_match_info_next (match, NULL);
    }
  if (!(rating >= 1 && rating <= 10))
    return NAN;
  return rating;
}

/**
 * rw_judge_parse_choice:
 * @text: a judge's reply
 *
 * Returns: 'A', 'B' or 'C' (tie) from the last "[[X]]", or 0 when there is none
 */
int
rw_judge_parse_choice (const char *text)
{
  int choice = 0;

  for (const char *p = strstr (text, "[["); p != NULL; p = strstr (p + 2, "[["))
    if ((p[2] == 'A' || p[2] == 'B' || p[2] == 'C') && p[3] == ']' && p[4] == ']')
      choice = p[2];
  return choice;
}

typedef struct
{
  RwJudge *judge;
  char *question;
  char *first;
  char *second;
  int choices[2];
  guint pending;
  GError *error;
  GString *detail;
} Pair;

static void
judge_pair_free (Pair *p)
{
  g_clear_object (&p->judge);
  g_free (p->question);
  g_free (p->first);
  g_free (p->second);
  g_clear_error (&p->error);
  g_string_free (p->detail, TRUE);
  g_free (p);
}

static RwChatRequest *
judge_request (const char *system,
               const char *user)
{
  RwChatRequest *request = rw_chat_request_new ();

  rw_chat_request_add_message (request, "system", system);
  rw_chat_request_add_message (request, "user", user);
  request->temperature = 0;
  request->max_tokens = 1024;
  rw_chat_request_set_task (request, "judge");
  return request;
}

static void
judge_pointwise_cb (GObject      *object,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  double rating;

  if (out->result->error != NULL)
    {
      g_task_return_error (task, g_error_copy (out->result->error));
      return;
    }
  rating = rw_judge_parse_rating (out->result->text->str);
  if (isnan (rating))
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                               "the judge gave no [[rating]] from 1 to 10");
      return;
    }
  g_task_set_task_data (task, g_strdup (out->result->text->str), g_free);
  g_task_return_pointer (task, g_memdup2 (&rating, sizeof rating), g_free);
}

/**
 * rw_judge_pointwise_async:
 * @self: a judge
 * @question: the question
 * @answer: the answer to rate
 * @rubric: (nullable): what to look for
 * @reference: (nullable): a reference answer
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the rating
 * @user_data: data for @callback
 */
void
rw_judge_pointwise_async (RwJudge             *self,
                          const char          *question,
                          const char          *answer,
                          const char          *rubric,
                          const char          *reference,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GString) user = g_string_new (NULL);
  g_autoptr(RwChatRequest) request = NULL;
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  if (rubric != NULL)
    g_string_append_printf (user, "[Rubric]\n%s\n\n", rubric);
  g_string_append_printf (user, "[Question]\n%s\n\n", question);
  if (reference != NULL)
    g_string_append_printf (user, "[The Start of Reference Answer]\n%s\n"
                            "[The End of Reference Answer]\n\n", reference);
  g_string_append_printf (user,
                          "[The Start of Assistant's Answer]\n%s\n[The End of Assistant's Answer]",
                          answer);
  request = judge_request (pointwise_system, user->str);
  rw_router_route_async (self->router, request, rw_model_get_id (self->model), NULL, NULL, NULL,
                         cancellable, judge_pointwise_cb, task);
}

/**
 * rw_judge_pointwise_finish:
 * @self: a judge
 * @result: the #GAsyncResult
 * @rating: (out): from 1 to 10
 * @detail: (out) (optional) (transfer full): the judge's reply
 * @error: return location for an error
 *
 * Returns: %TRUE when the judge gave a rating
 */
gboolean
rw_judge_pointwise_finish (RwJudge       *self,
                           GAsyncResult  *result,
                           double        *rating,
                           char         **detail,
                           GError       **error)
{
  g_autofree double *value = g_task_propagate_pointer (G_TASK (result), error);

  if (value == NULL)
    return FALSE;
  *rating = *value;
  if (detail != NULL)
    *detail = g_strdup (g_task_get_task_data (G_TASK (result)));
  return TRUE;
}

typedef struct
{
  GTask *task;
  guint order;
} Half;

static void
judge_half_cb (GObject      *object,
               GAsyncResult *res,
               gpointer      user_data)
{
  Half *half = user_data;
  g_autoptr(GTask) task = half->task;
  Pair *p = g_task_get_task_data (task);
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  guint order = half->order;

  g_free (half);
  if (out->result->error != NULL)
    {
      if (p->error == NULL)
        p->error = g_error_copy (out->result->error);
    }
  else
    {
      p->choices[order] = rw_judge_parse_choice (out->result->text->str);
      g_string_append_printf (p->detail, "%s: %c\n",
                              order == 0 ? "first answer as A" : "second answer as A",
                              p->choices[order] ? p->choices[order] : '?');
      if (p->choices[order] == 0 && p->error == NULL)
        p->error = g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                "the judge gave no [[A]], [[B]] or [[C]] verdict");
    }

  if (--p->pending > 0)
    return;
  if (p->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&p->error));
      return;
    }
  {
    /* Map both replies to the first/second answer: in order 1 the first answer was "B". */
    int a = p->choices[0] == 'A' ? RW_JUDGE_FIRST : p->choices[0] == 'B' ? RW_JUDGE_SECOND : RW_JUDGE_TIE;
    int b = p->choices[1] == 'A' ? RW_JUDGE_SECOND : p->choices[1] == 'B' ? RW_JUDGE_FIRST : RW_JUDGE_TIE;

    g_task_return_int (task, a == b ? a : RW_JUDGE_TIE);
  }
}

/**
 * rw_judge_pairwise_async:
 * @self: a judge
 * @question: the question
 * @first: one answer
 * @second: another answer
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the verdict
 * @user_data: data for @callback
 *
 * Asks the judge twice, with the answers in both orders.
 */
void
rw_judge_pairwise_async (RwJudge             *self,
                         const char          *question,
                         const char          *first,
                         const char          *second,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Pair *p = g_new0 (Pair, 1);

  p->judge = g_object_ref (self);
  p->detail = g_string_new (NULL);
  p->pending = 2;
  g_task_set_task_data (task, p, (GDestroyNotify) judge_pair_free);

  for (guint order = 0; order < 2; order++)
    {
      const char *a = order == 0 ? first : second;
      const char *b = order == 0 ? second : first;
      g_autofree char *user = g_strdup_printf ("[User Question]\n%s\n\n"
                                               "[The Start of Assistant A's Answer]\n%s\n"
                                               "[The End of Assistant A's Answer]\n\n"
                                               "[The Start of Assistant B's Answer]\n%s\n"
                                               "[The End of Assistant B's Answer]", question, a, b);
      g_autoptr(RwChatRequest) request = judge_request (pairwise_system, user);
      Half *half = g_new0 (Half, 1);

      half->task = g_object_ref (task);
      half->order = order;
      rw_router_route_async (self->router, request, rw_model_get_id (self->model), NULL, NULL, NULL,
                             cancellable, judge_half_cb, half);
    }
  g_object_unref (task);
}

/**
 * rw_judge_pairwise_finish:
 * @self: a judge
 * @result: the #GAsyncResult
 * @verdict: (out): which answer is better; a tie when the two orders disagreed
 * @detail: (out) (optional) (transfer full): what each order said
 * @error: return location for an error
 *
 * Returns: %TRUE when both orders gave a verdict
 */
gboolean
rw_judge_pairwise_finish (RwJudge         *self,
                          GAsyncResult    *result,
                          RwJudgeVerdict  *verdict,
                          char           **detail,
                          GError         **error)
{
  Pair *p = g_task_get_task_data (G_TASK (result));
  gssize v = g_task_propagate_int (G_TASK (result), error);

  if (v < 0)
    return FALSE;
  *verdict = (RwJudgeVerdict) v;
  if (detail != NULL)
    *detail = g_strdup (p->detail->str);
  return TRUE;
}
