/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner-private.h"
#include "rw-grader-private.h"
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
  GPtrArray *ids;           /* select_best: the answers compared, in the models' order */
  GPtrArray *texts;
} RwEvalRating;

static void
runner_rating_free (RwEvalRating *r)
{
  rw_suite_item_unref (r->item);
  g_free (r->grader);
  json_object_unref (r->spec);
  g_free (r->response_id);
  g_free (r->answer);
  g_clear_pointer (&r->ids, g_ptr_array_unref);
  g_clear_pointer (&r->texts, g_ptr_array_unref);
  g_free (r);
}

/* The place of @model in the run's models. */
static guint
runner_model_index (RwEvalRunner *self,
                    const char   *model)
{
  for (guint m = 0; m < self->models->len; m++)
    if (g_strcmp0 (rw_model_get_id (self->models->pdata[m]), model) == 0)
      return m;
  return G_MAXUINT;
}

/* select_best compares the answers of every model to an item's repetition at once: one rating
 * per repetition with two answers or more, none of them graded yet. */
static void
runner_queue_select_best (RwEvalRunner *self,
                          GHashTable   *items,
                          GHashTable   *by_id,
                          const char   *grader,
                          GPtrArray    *answers)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GList) keys = NULL;

  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      RwStoredResponse *answer = answers->pdata[i];
      g_autofree char *key = g_strdup_printf ("%s\n%u", answer->item_id, answer->sample);
      GPtrArray *group = g_hash_table_lookup (groups, key);

      if (group == NULL)
        {
          group = g_ptr_array_new ();
          g_hash_table_insert (groups, g_steal_pointer (&key), group);
        }
      g_ptr_array_add (group, answer);
    }
  keys = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) strcmp);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      GPtrArray *group = g_hash_table_lookup (groups, l->data);
      RwStoredResponse *first = group->pdata[0];
      GHashTable *judged = g_hash_table_lookup (items, first->item_id);
      JsonObject *spec = judged ? g_hash_table_lookup (judged, grader) : NULL;
      RwEvalRating *r;

      if (spec == NULL || group->len < 2)
        continue;
      r = g_new0 (RwEvalRating, 1);
      r->self = self;
      r->item = rw_suite_item_ref (g_hash_table_lookup (by_id, first->item_id));
      r->grader = g_strdup (grader);
      r->spec = json_object_ref (spec);
      r->ids = g_ptr_array_new_with_free_func (g_free);
      r->texts = g_ptr_array_new_with_free_func (g_free);
      for (guint m = 0; m < self->models->len; m++)
        for (guint j = 0; j < group->len; j++)
          {
            RwStoredResponse *answer = group->pdata[j];

            if (runner_model_index (self, answer->model) == m)
              {
                g_ptr_array_add (r->ids, g_strdup (answer->id));
                g_ptr_array_add (r->texts, g_strdup (answer->text ? answer->text : ""));
                break;
              }
          }
      if (r->ids->len < 2)
        {
          runner_rating_free (r);
          continue;
        }
      g_ptr_array_add (self->rating_queue, r);
    }
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

      if (g_str_has_prefix (l->data, "select_best"))
        {
          if (self->judge != NULL)
            runner_queue_select_best (self, items, by_id, l->data, answers);
          continue;
        }
      for (guint i = 0; answers != NULL && i < answers->len; i++)
        {
          RwStoredResponse *answer = answers->pdata[i];
          GHashTable *judged = g_hash_table_lookup (items, answer->item_id);
          JsonObject *spec = judged ? g_hash_table_lookup (judged, l->data) : NULL;
          RwEvalRating *r;

          /* Each by the model it needs; a run without it was refused before it began. */
          if (spec == NULL ||
              (g_str_has_prefix (l->data, "similar") ? self->embedding_model == NULL
               : g_str_has_prefix (l->data, "moderation") ? self->moderation_model == NULL
               : self->judge == NULL) ||
              (g_str_has_prefix (l->data, "answer_relevance") && self->embedding_model == NULL))
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

/* A rating is over: the next one, or the end. */
static void
runner_rating_over (RwEvalRunner *self,
                    const char   *grader,
                    const char   *response_id,
                    GError       *error)
{
  self->in_flight--;
  if (error != NULL && !g_error_matches (error, RW_ERROR, RW_ERROR_CANCELLED))
    {
      g_debug ("%s of %s: %s", grader, response_id, error->message);
      self->n_failed++;
    }
  _rw_eval_runner_emit_progress (self);
  _rw_eval_runner_schedule_rating (self);
  _rw_eval_runner_finish_if_idle (self);
}

static void
runner_record_rating (RwEvalRating *r,
                      const char   *response_id,
                      double        score,
                      gboolean      pass,
                      const char   *detail)
{
  _rw_eval_runner_record_grade (r->self, response_id, r->grader, score, pass, detail, "judge",
                                rw_grader_get_weight (r->spec),
                                rw_json_object_get_string (r->spec, "metric", NULL));
  r->self->n_ratings++;
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

  if (ok)
    runner_record_rating (r, r->response_id, score, pass, detail);
  runner_rating_over (self, r->grader, r->response_id, ok ? NULL : error);
}

/* promptfoo's select-best: the output the judge chose passes, the others fail; a reply that
 * names none of them fails them all. */
static void
runner_selected_cb (GObject      *object,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  RwEvalRating *r = user_data;
  g_autoptr(RwEvalRunner) self = g_object_ref (r->self);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  const char *criteria = rw_json_object_get_string (r->spec, "value", "");
  int choice = rw_judge_select_best_finish (RW_JUDGE (object), res, &detail, &error);

  if (error == NULL)
    for (guint i = 0; i < r->ids->len; i++)
      {
        g_autofree char *why = choice < 0
          ? g_strdup_printf ("the judge chose none of the %u outputs: %s", r->ids->len, detail)
          : g_strdup_printf ("%s as the best of %u (%s): %s",
                             (int) i == choice ? "chosen" : "not chosen", r->ids->len, criteria,
                             detail);

        runner_record_rating (r, r->ids->pdata[i], (int) i == choice, (int) i == choice, why);
      }
  runner_rating_over (self, r->grader, r->ids->pdata[0], error);
}

/* promptfoo's answer relevance: the mean cosine similarity of the query's embedding and those
 * of the judge's questions for the answer, passing at the threshold (0.7). */
static void
runner_relevance_embedded_cb (GObject      *object,
                              GAsyncResult *res,
                              gpointer      user_data)
{
  RwEvalRating *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vectors = rw_provider_embed_finish (RW_PROVIDER (object), res, &error);
  g_autofree char *detail = NULL;
  double threshold = rw_json_object_get_double (r->spec, "threshold", 0.7);
  double sum = 0;
  gboolean pass;
  double score;

  if (vectors == NULL)
    {
      runner_grade_done (r, FALSE, 0, FALSE, NULL, error);
      return;
    }
  for (guint i = 1; i < vectors->len; i++)
    {
      double s = rw_cosine_similarity (vectors->pdata[0], vectors->pdata[i]);
      sum += isnan (s) ? 0 : s;
    }
  score = vectors->len > 1 ? sum / (vectors->len - 1) : 0;
  pass = score >= threshold - 1e-12;
  detail = g_strdup_printf ("relevance %.2f (passes at %g): the questions the answer answers: %s",
                            score, threshold, r->answer);
  score = CLAMP (score, 0, 1);
  if (rw_json_object_get_boolean (r->spec, "not", FALSE))
    runner_grade_done (r, TRUE, 1 - score, !pass, detail, NULL);
  else
    runner_grade_done (r, TRUE, score, pass, detail, NULL);
}

static RwProvider *
runner_model_provider (RwEvalRunner  *self,
                       RwModel       *model,
                       const char    *what,
                       GError       **error)
{
  RwProvider *provider = rw_catalog_lookup_provider (self->catalog,
                                                     rw_model_get_provider_id (model));

  if (provider == NULL)
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the %s model's provider is not configured",
                 what);
  return provider;
}

/* promptfoo's moderation: passes unless the answer is flagged, in one of the value's categories
 * when it lists some. */
static void
runner_moderated_cb (GObject      *object,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  RwEvalRating *r = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) flagged = rw_provider_moderate_finish (RW_PROVIDER (object), res, &error);
  JsonArray *only = rw_json_object_get_array (r->spec, "value");
  g_autoptr(GString) hits = g_string_new (NULL);
  g_autofree char *detail = NULL;
  gboolean pass;

  if (flagged == NULL)
    {
      runner_grade_done (r, FALSE, 0, FALSE, NULL, error);
      return;
    }
  for (guint i = 0; flagged[i] != NULL; i++)
    {
      gboolean counted = only == NULL;

      for (guint j = 0; only != NULL && j < json_array_get_length (only); j++)
        if (g_strcmp0 (json_array_get_string_element (only, j), flagged[i]) == 0)
          counted = TRUE;
      if (counted)
        g_string_append_printf (hits, "%s%s", hits->len ? ", " : "", flagged[i]);
    }
  pass = hits->len == 0;
  detail = pass ? g_strdup ("no moderation flags")
                : g_strdup_printf ("flagged by moderation: %s", hits->str);
  if (rw_json_object_get_boolean (r->spec, "not", FALSE))
    pass = !pass;
  runner_grade_done (r, TRUE, pass, pass, detail, NULL);
}

static void
runner_questions_cb (GObject      *object,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  RwEvalRating *r = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) questions = rw_judge_questions_for_finish (RW_JUDGE (object), res, &error);
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  RwProvider *provider;

  if (questions == NULL || (provider = runner_model_provider (r->self, r->self->embedding_model, "embedding",
                                         &error)) == NULL)
    {
      runner_grade_done (r, FALSE, 0, FALSE, NULL, error);
      return;
    }
  g_ptr_array_add (texts, (gpointer) rw_json_object_get_string (r->spec, "query",
                                                                  rw_chat_request_get_last_user_text (r->item->request)));
  for (guint i = 0; questions[i] != NULL; i++)
    g_ptr_array_add (texts, questions[i]);
  g_ptr_array_add (texts, NULL);
  /* The answer's text is no longer needed: the detail names the questions instead. */
  g_free (r->answer);
  r->answer = g_strjoinv (" | ", questions);
  rw_provider_embed_async (provider, r->self->embedding_model, (const char **) texts->pdata,
                           g_task_get_cancellable (r->self->task), runner_relevance_embedded_cb, r);
}

/* promptfoo's contextTransform: an expression over the answer (`output`) and `context` whose
 * string is the context the context graders read, run as a transform is (its context: the
 * vars, the prompt as {label}, no metadata); the spec with it, or NULL with @error set. */
static JsonObject *
runner_transform_context (RwEvalRating  *r,
                          GError       **error)
{
  g_autoptr(JsonObject) transform = json_object_new ();
  g_autoptr(JsonObject) context = json_object_new ();
  g_autoptr(JsonObject) label = json_object_new ();
  g_autoptr(JsonNode) result = NULL;
  JsonObject *spec;

  json_object_set_string_member (transform, "value",
                                 rw_json_object_get_string (r->spec, "context_transform", ""));
  json_object_set_string_member (label, "label", rw_json_object_get_string (r->spec, "prompt", ""));
  json_object_set_object_member (context, "vars",
                                 rw_json_object_get_object (r->spec, "vars")
                                 ? json_object_ref (rw_json_object_get_object (r->spec, "vars"))
                                 : json_object_new ());
  json_object_set_object_member (context, "prompt", json_object_ref (label));
  json_object_set_object_member (context, "metadata", json_object_new ());
  json_object_set_object_member (transform, "context", json_object_ref (context));
  result = _rw_grader_run_transform (transform, r->answer, NULL, error);
  if (result == NULL ||
      !JSON_NODE_HOLDS_VALUE (result) || json_node_get_value_type (result) != G_TYPE_STRING)
    {
      if (result != NULL)
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "it gave no string");
      g_prefix_error (error, "the contextTransform of %s: ", r->grader);
      return NULL;
    }
  spec = json_object_new ();
  {
    g_autoptr(GList) members = json_object_get_members (r->spec);

    for (GList *l = members; l != NULL; l = l->next)
      json_object_set_member (spec, l->data,
                              json_node_copy (json_object_get_member (r->spec, l->data)));
  }
  json_object_set_string_member (spec, "context", json_node_get_string (result));
  return spec;
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

/* An answer through its item's transform, once for all of its graders (by the answer's id). */
static char *
runner_item_output (RwEvalRunner  *self,
                    RwSuiteItem   *item,
                    const char    *response_id,
                    const char    *text,
                    GError       **error)
{
  const char *seen;
  GError *failed;

  if (self->item_outputs == NULL)
    self->item_outputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (self->item_failures == NULL)
    self->item_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) g_error_free);
  if ((failed = g_hash_table_lookup (self->item_failures, response_id)) != NULL)
    {
      g_propagate_error (error, g_error_copy (failed));
      return NULL;
    }
  if ((seen = g_hash_table_lookup (self->item_outputs, response_id)) == NULL)
    {
      char *done = rw_grader_transform_answer (item, NULL, text, NULL, &failed);

      if (done == NULL)
        {
          g_hash_table_insert (self->item_failures, g_strdup (response_id), g_error_copy (failed));
          g_propagate_error (error, failed);
          return NULL;
        }
      g_hash_table_insert (self->item_outputs, g_strdup (response_id), done);
      seen = done;
    }
  return g_strdup (seen);
}

/* What a rating's grader reads of @text (the answer @response_id): through the item's
 * transform, then the grader's own. */
static char *
runner_grader_output (RwEvalRating  *r,
                      const char    *response_id,
                      const char    *text,
                      GError       **error)
{
  JsonObject *own = rw_json_object_get_object (r->spec, "transform");
  g_autofree char *item = runner_item_output (r->self, r->item, response_id, text, error);

  if (item == NULL || own == NULL)
    return g_steal_pointer (&item);
  return rw_grader_transform (own, item, NULL, error);
}

static gboolean
runner_transform (RwEvalRating  *r,
                  GError       **error)
{
  JsonObject *meta = r->item->metadata && JSON_NODE_HOLDS_OBJECT (r->item->metadata)
                     ? json_node_get_object (r->item->metadata) : NULL;

  if ((meta == NULL || !json_object_has_member (meta, "transform")) &&
      !json_object_has_member (r->spec, "transform"))
    return TRUE;
  for (guint i = 0; r->texts != NULL && i < r->texts->len; i++)
    {
      char *seen = runner_grader_output (r, r->ids->pdata[i], r->texts->pdata[i], error);

      if (seen == NULL)
        return FALSE;
      g_free (r->texts->pdata[i]);
      r->texts->pdata[i] = seen;
    }
  if (r->answer != NULL)
    {
      char *seen = runner_grader_output (r, r->response_id, r->answer, error);

      if (seen == NULL)
        return FALSE;
      g_free (r->answer);
      r->answer = seen;
    }
  return TRUE;
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
      g_autoptr(GError) untransformed = NULL;

      self->in_flight++;
      /* What the grader reads: the answer through promptfoo's transforms, when there are
       * any; one that fails fails the grade. */
      if (!runner_transform (r, &untransformed))
        {
          /* The last rating may finish the run and drop the caller's reference. */
          g_autoptr(RwEvalRunner) held G_GNUC_UNUSED = g_object_ref (self);

          for (guint i = 0; r->ids != NULL && i < r->ids->len; i++)
            runner_record_rating (r, r->ids->pdata[i], 0, FALSE, untransformed->message);
          if (r->ids == NULL)
            runner_record_rating (r, r->response_id, 0, FALSE, untransformed->message);
          runner_rating_over (self, r->grader, r->response_id, NULL);
          continue;
        }
      if (r->ids != NULL)
        {
          rw_judge_select_best_async (self->judge, rw_json_object_get_string (r->spec, "value", ""),
                                      (const char * const *) r->texts->pdata, r->texts->len,
                                      cancellable, runner_selected_cb, r);
          continue;
        }
      if (g_str_has_prefix (r->grader, "moderation"))
        {
          g_autoptr(GError) missing = NULL;
          RwProvider *provider = runner_model_provider (self, self->moderation_model,
                                                        "moderation", &missing);

          if (provider == NULL)
            runner_grade_done (r, FALSE, 0, FALSE, NULL, missing);
          else
            rw_provider_moderate_async (provider, self->moderation_model, r->answer, cancellable,
                                        runner_moderated_cb, r);
          continue;
        }
      if (g_str_has_prefix (r->grader, "answer_relevance"))
        {
          rw_judge_questions_for_async (self->judge, r->answer, 3, cancellable,
                                        runner_questions_cb, r);
          continue;
        }
      if (json_object_has_member (r->spec, "context_transform"))
        {
          g_autoptr(GError) failed = NULL;
          g_autoptr(JsonObject) spec = runner_transform_context (r, &failed);

          if (spec == NULL)
            {
              runner_grade_done (r, FALSE, 0, FALSE, NULL, failed);
              continue;
            }
          rw_judge_grade_async (self->judge, spec,
                                rw_chat_request_get_last_user_text (r->item->request), r->answer,
                                r->item->reference, cancellable, runner_rated_cb, r);
          continue;
        }
      if (g_str_has_prefix (r->grader, "similar"))
        {
          const char *value = rw_json_object_get_string (r->spec, "value", r->item->reference);
          const char *texts[] = { r->answer, value ? value : "", NULL };
          g_autoptr(GError) missing = NULL;
          RwProvider *provider = runner_model_provider (self, self->embedding_model,
                                                        "embedding", &missing);

          if (provider == NULL)
            {
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
