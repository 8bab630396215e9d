/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner-private.h"
#include "rw-grader.h"
#include "rw-json.h"

/* Once every answer is in: the judge's ratings of answers, and every pair of answers to an
 * item compared, by their grades and by the judge. */

typedef struct
{
  RwEvalRunner *self;
  RwSuiteItem *item;
  char *grader;             /* the name its grade is stored under */
  JsonObject *spec;
  char *response_id;
  char *answer;
} RwEvalRating;

static void
runner_rating_free (RwEvalRating *r)
{
  rw_suite_item_unref (r->item);
  g_free (r->grader);
  json_object_unref (r->spec);
  g_free (r->response_id);
  g_free (r->answer);
  g_free (r);
}

/*
 * Items with graders a judge grades (rubrics, factuality, criteria) are graded by the judge
 * model once every answer is in: each of the run's good answers that has no grade of that
 * grader yet, so a resumed run grades what a killed one did not, and nothing twice. Done before
 * the comparisons, which use the grades.
 */
void
_rw_eval_runner_start_rating (RwEvalRunner *self)
{
  /* item id -> its judged graders by name; and every such name in the suite */
  g_autoptr(GHashTable) items = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify) g_hash_table_unref);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) sorted = NULL;

  self->rating = TRUE;
  self->rating_queue = g_ptr_array_new_with_free_func ((GDestroyNotify) runner_rating_free);
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    {
      RwSuiteItem *item = rw_suite_get_item (self->suite, i);
      GHashTable *judged = rw_grader_list_judged (item);
      GHashTableIter iter;
      gpointer name;

      if (g_hash_table_size (judged) == 0)
        {
          g_hash_table_unref (judged);
          continue;
        }
      g_hash_table_iter_init (&iter, judged);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        g_hash_table_add (names, name);
      g_hash_table_insert (items, item->id, judged);
      g_hash_table_insert (by_id, item->id, item);
    }
  if (g_hash_table_size (items) == 0)
    return;
  sorted = g_list_sort (g_hash_table_get_keys (names), (GCompareFunc) strcmp);
  for (GList *l = sorted; l != NULL; l = l->next)
    {
      g_autoptr(GPtrArray) answers = rw_store_list_ungraded_answers (self->store, self->run_id,
                                                                     l->data, NULL);

      for (guint i = 0; answers != NULL && i < answers->len; i++)
        {
          RwStoredResponse *answer = answers->pdata[i];
          GHashTable *judged = g_hash_table_lookup (items, answer->item_id);
          JsonObject *spec = judged ? g_hash_table_lookup (judged, l->data) : NULL;
          RwEvalRating *r;

          /* Each by the model it needs; a run without it was refused before it began. */
          if (spec == NULL ||
              (g_str_has_prefix (l->data, "similar") ? self->embedding_model == NULL
                                                      : self->judge == NULL))
            continue;
          r = g_new0 (RwEvalRating, 1);
          r->self = self;
          r->item = rw_suite_item_ref (g_hash_table_lookup (by_id, answer->item_id));
          r->grader = g_strdup (l->data);
          r->spec = json_object_ref (spec);
          r->response_id = g_strdup (answer->id);
          r->answer = g_strdup (answer->text ? answer->text : "");
          g_ptr_array_add (self->rating_queue, r);
        }
    }
}

static void
runner_grade_done (RwEvalRating *r,
                   gboolean      ok,
                   double        score,
                   gboolean      pass,
                   const char   *detail,
                   GError       *error)
{
  g_autoptr(RwEvalRunner) self = g_object_ref (r->self);

  self->in_flight--;
  if (ok)
    {
      _rw_eval_runner_record_grade (self, r->response_id, r->grader, score, pass, detail, "judge",
                                    rw_grader_get_weight (r->spec),
                                    rw_json_object_get_string (r->spec, "metric", NULL));
      self->n_ratings++;
    }
  else if (!g_error_matches (error, RW_ERROR, RW_ERROR_CANCELLED))
    {
      g_debug ("%s of %s: %s", r->grader, r->response_id, error->message);
      self->n_failed++;
    }
  _rw_eval_runner_emit_progress (self);
  _rw_eval_runner_schedule_rating (self);
  _rw_eval_runner_finish_if_idle (self);
}

/* promptfoo's similar: the cosine similarity of the answer's and the value's embeddings, at
 * least the threshold (0.75); with "not", below it. */
static void
runner_embedded_cb (GObject      *object,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  RwEvalRating *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vectors = rw_provider_embed_finish (RW_PROVIDER (object), res, &error);
  g_autofree char *detail = NULL;
  double threshold = rw_json_object_get_double (r->spec, "threshold", 0.75);
  double similarity;
  gboolean pass;

  if (vectors == NULL)
    {
      runner_grade_done (r, FALSE, 0, FALSE, NULL, error);
      return;
    }
  similarity = rw_cosine_similarity (vectors->pdata[0], vectors->pdata[1]);
  if (isnan (similarity))
    similarity = 0;
  pass = similarity >= threshold;
  detail = g_strdup_printf ("similarity %.3f (passes at %g)", similarity, threshold);
  if (rw_json_object_get_boolean (r->spec, "not", FALSE))
    {
      pass = !pass;
      runner_grade_done (r, TRUE, 1 - CLAMP (similarity, 0, 1), pass, detail, NULL);
      return;
    }
  runner_grade_done (r, TRUE, CLAMP (similarity, 0, 1), pass, detail, NULL);
}

static void
runner_rated_cb (GObject      *object,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  RwEvalRating *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  double score = 0;
  gboolean pass = FALSE;
  gboolean ok = rw_judge_grade_finish (RW_JUDGE (object), res, &score, &pass, &detail, &error);

  runner_grade_done (r, ok, score, pass, detail, error);
}

void
_rw_eval_runner_schedule_rating (RwEvalRunner *self)
{
  GCancellable *cancellable;

  if (self->task == NULL || self->rating_queue == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);
  while (self->in_flight < self->concurrency && self->next_rating < self->rating_queue->len &&
         !g_cancellable_is_cancelled (cancellable))
    {
      RwEvalRating *r = self->rating_queue->pdata[self->next_rating++];

      self->in_flight++;
      if (g_str_has_prefix (r->grader, "similar"))
        {
          const char *value = rw_json_object_get_string (r->spec, "value", r->item->reference);
          const char *texts[] = { r->answer, value ? value : "", NULL };
          RwProvider *provider = rw_catalog_lookup_provider (self->catalog,
                                                             rw_model_get_provider_id (self->embedding_model));

          if (provider == NULL)
            {
              g_autoptr(GError) missing = g_error_new (RW_ERROR, RW_ERROR_CONFIG,
                                                       "the embedding model's provider is not "
                                                       "configured");
              runner_grade_done (r, FALSE, 0, FALSE, NULL, missing);
              continue;
            }
          rw_provider_embed_async (provider, self->embedding_model, texts, cancellable,
                                   runner_embedded_cb, r);
          continue;
        }
      rw_judge_grade_async (self->judge, r->spec,
                            rw_chat_request_get_last_user_text (r->item->request), r->answer,
                            r->item->reference, cancellable, runner_rated_cb, r);
    }
}

typedef struct
{
  RwEvalRunner *self;
  char *prompt_id;
  char *task;
  char *question;
  char *ids[2];
  char *texts[2];
} RwEvalComparison;

static void
runner_comparison_free (RwEvalComparison *c)
{
  g_free (c->prompt_id);
  g_free (c->task);
  g_free (c->question);
  for (guint i = 0; i < 2; i++)
    {
      g_free (c->ids[i]);
      g_free (c->texts[i]);
    }
  g_free (c);
}

/* Notes that a vote of this source was made on this first answer. */
static gboolean
runner_add_voted (const RwStoredVote *vote,
                  gpointer            data)
{
  g_hash_table_add (data, g_strdup_printf ("%s %s", vote->response_a, vote->source));
  return TRUE;
}

/*
 * Every pair of answers to the same item and repetition becomes a pairwise outcome, stored with
 * the votes: from the grades (the higher score wins, equal scores tie) and, with a judge, from
 * the judge's verdict. Done once all answers are in, from the database, so a resumed run makes
 * the comparisons a killed one did not, and none twice.
 */
void
_rw_eval_runner_start_comparisons (RwEvalRunner *self)
{
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) have = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) keys = NULL;

  self->comparing = TRUE;
  self->judge_queue = g_ptr_array_new_with_free_func ((GDestroyNotify) runner_comparison_free);
  /* A fresh run without a judge compared every item as its answers came in. */
  if (self->models->len < 2 || (self->judge == NULL && !self->resumed))
    return;

  /* The texts only for a judge to read. */
  answers = rw_store_list_run_answers (self->store, self->run_id,
                                       self->judge != NULL && self->pairwise, NULL);
  if (answers == NULL ||
      !rw_store_foreach_run_vote (self->store, self->run_id, runner_add_voted, have, NULL))
    return;

  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_autofree char *key = g_strdup_printf ("%s\n%u", r->item_id, r->sample);
      GPtrArray *group = g_hash_table_lookup (groups, key);

      if (group == NULL)
        {
          group = g_ptr_array_new ();
          g_hash_table_insert (groups, g_steal_pointer (&key), group);
        }
      /* One answer per model: the first stored. */
      for (guint j = 0; r != NULL && j < group->len; j++)
        if (g_str_equal (((RwStoredResponse *) group->pdata[j])->model, r->model))
          r = NULL;
      if (r != NULL)
        g_ptr_array_add (group, r);
    }

  keys = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      GPtrArray *group = g_hash_table_lookup (groups, l->data);
      g_autoptr(GPtrArray) ordered = g_ptr_array_new ();

      if (group->len < self->models->len)
        continue;
      /* Pairs in the order the models were given: the earlier model is always "a". */
      for (guint m = 0; m < self->models->len; m++)
        for (guint j = 0; j < group->len; j++)
          if (g_str_equal (((RwStoredResponse *) group->pdata[j])->model,
                           rw_model_get_id (self->models->pdata[m])))
            g_ptr_array_add (ordered, group->pdata[j]);
      group = ordered;
      for (guint a = 0; a < group->len; a++)
        for (guint b = a + 1; b < group->len; b++)
          {
            RwStoredResponse *x = group->pdata[a], *y = group->pdata[b];
            g_autofree char *graded = g_strdup_printf ("%s grader", x->id);
            g_autofree char *judged = g_strdup_printf ("%s judge", x->id);
            /* Response pairs are stored with the first one as response_a: a vote already made
             * for this first answer and source marks the pair done. */

            if (!isnan (x->mean_score) && !isnan (y->mean_score) &&
                !g_hash_table_contains (have, graded))
              _rw_eval_runner_record_graded_pair (self, x->prompt_id, x->task, x->id, x->mean_score, y->id,
                                  y->mean_score);
            if (self->judge != NULL && self->pairwise && !g_hash_table_contains (have, judged))
              {
                RwEvalComparison *c = g_new0 (RwEvalComparison, 1);
                c->self = self;
                c->prompt_id = g_strdup (x->prompt_id);
                c->task = g_strdup (x->task);
                c->question = g_strdup (x->prompt_text);
                c->ids[0] = g_strdup (x->id);
                c->ids[1] = g_strdup (y->id);
                c->texts[0] = g_strdup (x->text);
                c->texts[1] = g_strdup (y->text);
                g_ptr_array_add (self->judge_queue, c);
              }
          }
    }
}

static void
runner_judged_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  RwEvalComparison *c = user_data;
  g_autoptr(RwEvalRunner) self = g_object_ref (c->self);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  RwJudgeVerdict verdict;

  self->in_flight--;
  if (rw_judge_pairwise_finish (RW_JUDGE (object), res, &verdict, &detail, &error))
    {
      RwVoteOutcome outcome = verdict == RW_JUDGE_FIRST ? RW_VOTE_A :
                              verdict == RW_JUDGE_SECOND ? RW_VOTE_B : RW_VOTE_TIE;

      _rw_eval_runner_record_vote (self, c->prompt_id, c->task, outcome, c->ids[0], c->ids[1], "judge");
    }
  else
    self->n_failed++;
  _rw_eval_runner_emit_progress (self);
  _rw_eval_runner_schedule_judging (self);
  _rw_eval_runner_finish_if_idle (self);
}

void
_rw_eval_runner_schedule_judging (RwEvalRunner *self)
{
  GCancellable *cancellable;

  if (self->task == NULL || self->judge_queue == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);
  while (self->in_flight < self->concurrency && self->next_judge < self->judge_queue->len &&
         !g_cancellable_is_cancelled (cancellable))
    {
      RwEvalComparison *c = self->judge_queue->pdata[self->next_judge++];

      self->in_flight++;
      rw_judge_pairwise_async (self->judge, c->question, c->texts[0], c->texts[1], cancellable,
                               runner_judged_cb, c);
    }
}
