/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner-private.h"
#include "rw-grader.h"
#include "rw-json.h"

/**
 * RwEvalRunner:
 *
 * Runs a suite against models: every item, every model, every repetition, a bounded number
 * at a time through the router (so retries, circuits and timeouts apply), grading each answer
 * as it comes and storing everything as it goes. A run is identified by its suite's checksum,
 * its models and its repetitions: running the same again resumes it, sending only what is not
 * yet stored. An answer already given to the very same request in an earlier run is reused
 * from the database instead of being paid for again. A budget stops the run before it is
 * broken.
 *
 * This file holds the object and sending a run's requests; rw-eval-runner-prepare.c preparing
 * a run (what is left of it, what the cache gives, what the rest will cost),
 * rw-eval-runner-limits.c the providers' rate limits, rw-eval-runner-recording.c storing
 * answers, grades and votes, and rw-eval-runner-judging.c the judge's ratings and the pairwise
 * comparisons made at the end.
 */

enum {
  PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwEvalRunner, rw_eval_runner, G_TYPE_OBJECT)

/* Tells the listeners of the runner that it moved on. */
void
_rw_eval_runner_emit_progress (RwEvalRunner *self)
{
  g_signal_emit (self, signals[PROGRESS], 0);
}

static void
runner_live_free (RwEvalLive *l)
{
  g_free (l->prompt_id);
  g_free (l->task);
  for (guint i = 0; i < l->n_models; i++)
    g_free (l->ids[i]);
  g_free (l->ids);
  g_free (l->scores);
  g_free (l->scored);
  g_free (l);
}

void
_rw_eval_runner_work_free (RwEvalWork *w)
{
  rw_suite_item_unref (w->item);
  g_object_unref (w->model);
  g_clear_pointer (&w->request, rw_chat_request_unref);
  g_free (w);
}

static void
rw_eval_runner_finalize (GObject *object)
{
  RwEvalRunner *self = (RwEvalRunner *) object;

  gboolean held = self->hold != NULL;

  g_clear_pointer (&self->hold, rw_run_hold_release);
  /* Jobs on the store's thread use what is freed below. */
  if ((self->jobs_queued || held) && self->store != NULL)
    rw_store_flush (self->store, NULL);
  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->suite);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_object (&self->router);
  g_clear_pointer (&self->run_id, g_free);
  g_clear_pointer (&self->model_options, g_hash_table_unref);
  g_clear_pointer (&self->model_requests, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->prompt_ids, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->tally, rw_eval_tally_free);
  g_clear_pointer (&self->params, json_node_unref);
  g_clear_object (&self->judge);
  g_clear_object (&self->embedding_model);
  g_clear_object (&self->moderation_model);
  g_clear_pointer (&self->registers, g_hash_table_unref);
  g_clear_pointer (&self->item_outputs, g_hash_table_unref);
  g_clear_pointer (&self->item_failures, g_hash_table_unref);
  g_clear_pointer (&self->conversations, g_hash_table_unref);
  g_clear_pointer (&self->judge_queue, g_ptr_array_unref);
  g_clear_pointer (&self->rating_queue, g_ptr_array_unref);
  g_clear_pointer (&self->limits, g_hash_table_unref);
  if (self->rate_timer != NULL)
    {
      g_source_destroy (self->rate_timer);
      g_clear_pointer (&self->rate_timer, g_source_unref);
    }
  G_OBJECT_CLASS (rw_eval_runner_parent_class)->finalize (object);
}

static void
rw_eval_runner_class_init (RwEvalRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_eval_runner_finalize;

  /**
   * RwEvalRunner::progress:
   *
   * An answer was stored: read the counts and the spend.
   */
  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
rw_eval_runner_init (RwEvalRunner *self)
{
  self->pairwise = TRUE;
  self->concurrency = 8;
  self->use_cache = TRUE;
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) _rw_eval_runner_work_free);
  self->prompt_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->live = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) runner_live_free);
  self->limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) _rw_eval_runner_limit_free);
  self->window_us = 60 * G_USEC_PER_SEC;
}

/**
 * rw_eval_runner_new:
 * @catalog: the models and providers
 * @store: where everything is recorded
 * @suite: the suite
 * @models: (element-type RwModel): the models
 * @repeat: how many times each item goes to each model
 *
 * Returns: (transfer full): a runner; call rw_eval_runner_prepare() next
 */
RwEvalRunner *
rw_eval_runner_new (RwCatalog *catalog,
                    RwStore   *store,
                    RwSuite   *suite,
                    GPtrArray *models,
                    guint      repeat)
{
  RwEvalRunner *self = g_object_new (RW_TYPE_EVAL_RUNNER, NULL);

  self->catalog = g_object_ref (catalog);
  self->store = g_object_ref (store);
  self->suite = g_object_ref (suite);
  self->models = g_ptr_array_ref (models);
  self->repeat = MAX (1, repeat);
  self->router = rw_router_new (catalog, NULL);
  self->model_options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) json_object_unref);
  self->model_requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) rw_chat_request_unref);
  return self;
}

/**
 * rw_eval_runner_set_model_options:
 * @self: a runner, not yet prepared
 * @model_id: one of its models
 * @options: request fields for that model: temperature, max_tokens, and others (top_p,
 *   tools, response_format, ...) that go upstream as they are, where the item sets none
 *
 * A promptfoo provider's `config`. The options are part of what identifies the run.
 */
void
rw_eval_runner_set_model_options (RwEvalRunner *self,
                                  const char   *model_id,
                                  JsonObject   *options)
{
  g_return_if_fail (RW_IS_EVAL_RUNNER (self));
  if (options == NULL || json_object_get_size (options) == 0)
    g_hash_table_remove (self->model_options, model_id);
  else
    g_hash_table_insert (self->model_options, g_strdup (model_id), json_object_ref (options));
}

/* The request @item is sent to @model as: the item's own, or a copy with the model's options. */
RwChatRequest *
_rw_eval_runner_request_for (RwEvalRunner *self,
                             RwSuiteItem  *item,
                             RwModel      *model)
{
  JsonObject *options = g_hash_table_lookup (self->model_options, rw_model_get_id (model));
  g_autofree char *key = NULL;
  RwChatRequest *request;

  if (options == NULL)
    return item->request;
  key = g_strdup_printf ("%s\x1f%s", item->id, rw_model_get_id (model));
  if ((request = g_hash_table_lookup (self->model_requests, key)) == NULL)
    {
      g_autoptr(JsonObject) extra = rw_chat_request_dup_extra_object (item->request);
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      request = rw_chat_request_copy (item->request);
      if (extra == NULL)
        extra = json_object_new ();
      json_object_iter_init (&iter, options);
      while (json_object_iter_next (&iter, &name, &value))
        {
          if (g_str_equal (name, "temperature") && JSON_NODE_HOLDS_VALUE (value))
            request->temperature = json_node_get_double (value);
          else if (g_str_equal (name, "max_tokens") && JSON_NODE_HOLDS_VALUE (value))
            request->max_tokens = json_node_get_int (value);
          else if (!json_object_has_member (extra, name))
            json_object_set_member (extra, name, json_node_copy (value));
        }
      {
        g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), extra);
        g_autofree char *text = rw_json_to_string (node, FALSE);
        rw_chat_request_set_extra (request, text);
      }
      g_hash_table_insert (self->model_requests, g_steal_pointer (&key), request);
    }
  return request;
}

/* What @w sends: its turn as filled in, else its item's request for its model. */
RwChatRequest *
_rw_eval_runner_work_request (RwEvalRunner *self,
                              RwEvalWork   *w)
{
  return w->request ? w->request : _rw_eval_runner_request_for (self, w->item, w->model);
}

void
rw_eval_runner_set_concurrency (RwEvalRunner *self,
                                guint         concurrency)
{
  self->concurrency = MAX (1, concurrency);
}

void
rw_eval_runner_set_budget (RwEvalRunner *self,
                           double        usd)
{
  self->budget = MAX (0, usd);
}

void
rw_eval_runner_set_use_cache (RwEvalRunner *self,
                              gboolean      use_cache)
{
  self->use_cache = use_cache;
}

/**
 * rw_eval_runner_set_pairwise:
 * @self: a runner
 * @pairwise: whether the judge also compares every pair of answers (the default); without,
 *   it only rates the answers of items that have a judge grader
 */
void
rw_eval_runner_set_pairwise (RwEvalRunner *self,
                             gboolean      pairwise)
{
  self->pairwise = pairwise;
}

/**
 * rw_eval_runner_set_moderation_model:
 * @self: a runner
 * @model: (nullable): the moderation model (of an OpenAI-compatible provider, at /moderations)
 *   for the suite's moderation graders
 */
void
rw_eval_runner_set_moderation_model (RwEvalRunner *self,
                                     RwModel      *model)
{
  g_set_object (&self->moderation_model, model);
}

/**
 * rw_eval_runner_set_embedding_model:
 * @self: a runner
 * @model: (nullable): the model that gives embeddings (of an OpenAI-compatible provider) for
 *   the suite's similar graders
 */
void
rw_eval_runner_set_embedding_model (RwEvalRunner *self,
                                    RwModel      *model)
{
  g_set_object (&self->embedding_model, model);
}

/**
 * rw_eval_runner_set_judge:
 * @self: a runner
 * @judge: (nullable): a model that compares every pair of answers to each item, in both orders
 *
 * Set it before rw_eval_runner_prepare(): without a judge, answers reused from the cache are
 * compared as soon as they are taken.
 */
void
rw_eval_runner_set_judge (RwEvalRunner *self,
                          RwModel      *judge)
{
  g_clear_object (&self->judge);
  if (judge != NULL)
    self->judge = rw_judge_new (self->router, judge);
}

guint
rw_eval_runner_get_n_comparisons (RwEvalRunner *self)
{
  return g_atomic_int_get (&self->n_comparisons);
}
guint rw_eval_runner_get_n_ratings (RwEvalRunner *self) { return self->n_ratings; }
const char *rw_eval_runner_get_run_id (RwEvalRunner *self) { return self->run_id; }
gboolean rw_eval_runner_is_resumed (RwEvalRunner *self) { return self->resumed; }

/**
 * rw_eval_runner_build_report:
 * @self: a runner whose run has finished
 *
 * The report of a run this runner began, made from the rows it stored as it stored them, with
 * nothing read back: the same as rw_eval_report_build() gives from the database.
 *
 * Returns: (transfer full) (nullable): the report, or %NULL when it must be read from the
 *   database instead: the run was resumed, has not finished, or a write failed
 */
JsonNode *
rw_eval_runner_build_report (RwEvalRunner *self)
{
  g_return_val_if_fail (RW_IS_EVAL_RUNNER (self), NULL);

  if (self->tally == NULL || self->status == NULL || self->task != NULL ||
      rw_store_get_n_write_errors (self->store) != self->write_errors)
    return NULL;
  return rw_eval_tally_to_report (self->tally, self->run_id, self->status, self->params);
}
guint rw_eval_runner_get_n_total (RwEvalRunner *self) { return self->n_total; }
guint rw_eval_runner_get_n_done (RwEvalRunner *self) { return self->n_done; }
guint rw_eval_runner_get_n_cached (RwEvalRunner *self) { return self->n_cached; }
guint rw_eval_runner_get_n_failed (RwEvalRunner *self) { return self->n_failed; }
double rw_eval_runner_get_estimate (RwEvalRunner *self) { return self->estimate; }
double rw_eval_runner_get_spent (RwEvalRunner *self) { return self->spent; }

void
_rw_eval_runner_finish_if_idle (RwEvalRunner *self)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  const char *status;

  if (self->in_flight > 0 || self->task == NULL)
    return;
  /* Cancelled, the run ends once what was in flight is back, whether that came back cancelled
   * or answered: work not yet sent waits for a resume. */
  if (!self->stopping && self->next < self->pending->len &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (self->task)))
    return;
  if (!self->stopping && !g_cancellable_is_cancelled (g_task_get_cancellable (self->task)))
    {
      /* Every answer is in: rate those the judge grades, compare them, then finish. */
      if (!self->rating)
        {
          _rw_eval_runner_start_rating (self);
          _rw_eval_runner_schedule_rating (self);
          if (self->in_flight > 0)
            return;
        }
      else if (self->next_rating < self->rating_queue->len)
        return;
      if (!self->comparing)
        {
          _rw_eval_runner_start_comparisons (self);
          _rw_eval_runner_schedule_judging (self);
          if (self->in_flight > 0)
            return;
        }
      else if (self->next_judge < self->judge_queue->len)
        return;
    }
  task = g_steal_pointer (&self->task);
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    status = "cancelled";
  else if (self->stopping)
    status = "stopped";
  else
    status = self->n_failed > 0 ? "partial" : "done";
  rw_store_set_run_status (self->store, self->run_id, status);
  self->status = status;
  g_clear_pointer (&self->hold, rw_run_hold_release);
  if (!rw_store_flush (self->store, &error) || self->store_failed)
    {
      /* What the database holds now, whatever was in the transactions that failed. */
      g_autoptr(GPtrArray) answered = rw_store_list_answered (self->store, self->run_id, NULL);
      guint stored = answered ? answered->len - MIN (answered->len, self->n_answered_before) : 0;

      /* What failed to be stored is asked again when the run is resumed. */
      if (error == NULL)
        error = g_error_new_literal (RW_ERROR, RW_ERROR_STORE, "a write failed");
      g_prefix_error (&error, "run %s stopped: the database could not be written (", self->run_id);
      {
        GError *full = g_error_new (RW_ERROR, RW_ERROR_STORE,
                                    "%s); %u answers received, %u stored, %u lost. Free some "
                                    "space and run it again: only what is missing is sent",
                                    error->message, self->n_received, stored,
                                    self->n_received - MIN (stored, self->n_received));
        g_error_free (error);
        error = full;
      }
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, (gpointer) status, NULL);
}

static void
runner_answered_free (RwEvalAnswered *a)
{
  g_free (a->prompt_id);
  rw_chat_result_unref (a->result);
  g_free (a);
}

/* On the store's thread: the answer, its grades and, once every model has answered its item,
 * the item's comparisons. The live comparisons and the tally are only touched here while the
 * run sends; before it (answers from the cache) and after it (the judge's work, once a flush
 * has waited for these jobs) they are touched from the runner's thread. */
static void
runner_store_answer (RwStore  *store,
                     gpointer  data)
{
  RwEvalAnswered *a = data;
  RwEvalRunner *self = a->self;
  RwEvalWork *w = a->work;
  guint errors = rw_store_get_n_write_errors (store);
  g_autofree char *hash = rw_chat_request_hash_for_model (_rw_eval_runner_work_request (self, w),
                                                          rw_model_get_id (w->model));
  g_autofree char *response_id = _rw_eval_runner_record_answer (self, w, a->prompt_id, a->result, a->attempts,
                                                hash, FALSE);

  if (a->result->error == NULL)
    {
      double score;
      gboolean scored = _rw_eval_runner_grade_and_store (self, w->item, response_id, a->result,
                                                         &score);

      /* A write that failed undoes the job: the answer is not stored, and is no pair's. */
      if (rw_store_get_n_write_errors (store) == errors)
        _rw_eval_runner_note_answer (self, w, a->prompt_id, response_id, scored, score);
    }
}

/* The answer, its grades and its comparisons, stored on the store's thread in one transaction
 * while this one sends the next request. */
static void
runner_queue_answer (RwEvalRunner *self,
                     RwEvalWork   *w,
                     RwChatResult *result,
                     guint         attempts)
{
  RwEvalAnswered *a = g_new0 (RwEvalAnswered, 1);

  a->self = self;
  a->work = w;
  a->prompt_id = w->request ? rw_store_record_prompt (self->store, w->request)
                            : g_strdup (_rw_eval_runner_prompt_id_for (self, w->item));
  a->result = rw_chat_result_ref (result);
  a->attempts = attempts;
  self->jobs_queued = TRUE;
  rw_store_run_job (self->store, runner_store_answer, a, (GDestroyNotify) runner_answered_free);
}

static void
runner_route_cb (GObject      *object,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  RwEvalFlight *flight = user_data;
  g_autoptr(RwEvalRunner) self = flight->self;
  RwEvalWork *w = flight->work;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  RwChatResult *result = out->result;

  g_free (flight);
  self->in_flight--;
  w->finished = TRUE;
  {
    RwEvalLimit *l = _rw_eval_runner_limit_for (self, w->model);
    gint64 now = g_get_monotonic_time ();
    gint64 tokens = MAX (0, result->tokens_in) + MAX (0, result->tokens_out);

    l->in_flight--;
    if (l->tpm > 0)
      {
        g_array_append_val (l->token_us, now);
        g_array_append_val (l->token_us, tokens);
      }
  }
  if (g_error_matches (result->error, RW_ERROR, RW_ERROR_CANCELLED))
    {
      /* Not stored: a resumed run sends it again. */
      _rw_eval_runner_finish_if_idle (self);
      return;
    }
  if (isfinite (result->cost_usd))
    self->spent += result->cost_usd;
  if (result->error == NULL)
    {
      self->n_done++;
      self->n_received++;
    }
  else
    self->n_failed++;
  if (w->request != NULL)
    {
      g_autofree char *calls = rw_chat_result_dup_tool_calls_json (result);

      _rw_eval_runner_turn_answered (self, w->item, w->model, w->sample, w->request,
                                     result->error == NULL ? result->text->str : NULL, calls);
    }
  runner_queue_answer (self, w, result, out->attempts->len);
  g_signal_emit (self, signals[PROGRESS], 0);
  _rw_eval_runner_schedule (self);
  _rw_eval_runner_finish_if_idle (self);
}

/*
 * Sends what may go now: the global concurrency, each provider's own limits and the budget
 * allowing. Work whose provider is at its limit waits without holding up other providers'; if
 * only a window's end can free a slot, a timer comes back then.
 */
void
_rw_eval_runner_schedule (RwEvalRunner *self)
{
  GCancellable *cancellable;
  gint64 now = g_get_monotonic_time ();
  gint64 soonest = G_MAXINT64;
  g_autoptr(GHashTable) full = g_hash_table_new (NULL, NULL);

  if (self->task == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);

  while (self->next < self->pending->len && ((RwEvalWork *) self->pending->pdata[self->next])->taken)
    self->next++;

  if (!self->store_failed && rw_store_get_n_write_errors (self->store) != self->write_errors)
    {
      /* The database stopped taking answers (a full disk, most often): nothing more is sent. */
      self->store_failed = TRUE;
      self->stopping = TRUE;
    }

  for (guint i = self->next; i < self->pending->len; i++)
    {
      RwEvalWork *w = self->pending->pdata[i];
      double e;
      gint64 wait;
      RwEvalLimit *l;
      RwEvalFlight *flight;

      if (self->stopping || self->in_flight >= self->concurrency ||
          g_cancellable_is_cancelled (cancellable))
        break;
      if (w->taken || !_rw_eval_runner_turn_ready (self, i))
        continue;

      /* A provider found full in this pass stays full for all its items in this pass. */
      l = _rw_eval_runner_limit_for (self, w->model);
      if (g_hash_table_contains (full, l))
        continue;
      wait = _rw_eval_runner_limit_request_wait (self, l, now);
      if (wait > 0)
        g_hash_table_add (full, l);
      else if (l->tpm > 0)
        {
          gint64 tokens = 0;
          for (guint m = 0; m < rw_chat_request_get_n_messages (w->item->request); m++)
            tokens += rw_estimate_tokens (rw_chat_request_get_content (w->item->request, m));
          wait = _rw_eval_runner_limit_token_wait (self, l, tokens, now);
        }
      if (wait > 0)
        {
          soonest = MIN (soonest, wait);
          continue;
        }

      if (self->registers != NULL && _rw_eval_runner_is_turn (w->item) && w->request == NULL)
        {
          g_autoptr(GError) unfilled = NULL;

          /* A turn that cannot be filled in is not sent: it is stored as a failed answer
           * that says why, and the turns after it go on. */
          if (!_rw_eval_runner_fill_turn (self, w, &unfilled))
            {
              g_autoptr(RwChatResult) failed = rw_chat_result_new (rw_model_get_id (w->model));

              failed->error = g_error_new (RW_ERROR, RW_ERROR_CONFIG, "%s", unfilled->message);
              w->taken = w->finished = TRUE;
              self->n_failed++;
              runner_queue_answer (self, w, failed, 0);
              continue;
            }
        }
      e = rw_router_estimate_cost (self->router, w->model, _rw_eval_runner_work_request (self, w));
      if (self->budget > 0 && isfinite (e) && self->spent + e > self->budget)
        {
          /* The next request could break the budget: stop here, resumable later. */
          self->stopping = TRUE;
          break;
        }

      w->taken = TRUE;
      l->in_flight++;
      if (l->rpm > 0)
        g_array_append_val (l->sent_us, now);
      flight = g_new0 (RwEvalFlight, 1);
      flight->self = g_object_ref (self);
      flight->work = w;
      self->in_flight++;
      rw_router_route_async (self->router, _rw_eval_runner_work_request (self, w),
                             rw_model_get_id (w->model),
                             NULL, NULL, NULL, cancellable, runner_route_cb, flight);
    }

  while (self->next < self->pending->len && ((RwEvalWork *) self->pending->pdata[self->next])->taken)
    self->next++;

  if (soonest != G_MAXINT64 && self->rate_timer == NULL && !self->stopping)
    {
      self->rate_timer = g_timeout_source_new (MAX (1, soonest / 1000 + 1));
      g_source_set_callback (self->rate_timer, _rw_eval_runner_rate_timer_fired, self, NULL);
      g_source_attach (self->rate_timer, g_task_get_context (self->task));
    }
}

/**
 * rw_eval_runner_run_async:
 * @self: a prepared runner
 * @cancellable: (nullable): stops the run; what was stored stays
 * @callback: called when everything is answered, or the run stopped
 * @user_data: data for @callback
 */
void
rw_eval_runner_run_async (RwEvalRunner        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (self->run_id != NULL);
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_check_cancellable (self->task, FALSE);
  _rw_eval_runner_schedule (self);
  _rw_eval_runner_finish_if_idle (self);
}

/**
 * rw_eval_runner_run_finish:
 * @self: a runner
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: the run's status: "done", "partial" (some answers failed), "stopped" (the budget)
 *   or "cancelled"
 */
const char *
rw_eval_runner_run_finish (RwEvalRunner  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
