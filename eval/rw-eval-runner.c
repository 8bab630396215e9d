/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner.h"
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
 */

typedef struct
{
  RwSuiteItem *item;
  RwModel *model;
  guint sample;
  gboolean taken;
} Work;

/* What one provider may take now: requests in flight, and requests and tokens in the last
 * window (a minute), as its providers.json entry sets them. */
typedef struct
{
  guint max_concurrency;
  guint rpm;
  guint tpm;
  guint in_flight;
  GArray *sent_us;      /* gint64 */
  GArray *token_us;     /* gint64 time, gint64 tokens, interleaved */
} Limit;

static void
limit_free (Limit *l)
{
  g_array_unref (l->sent_us);
  g_array_unref (l->token_us);
  g_free (l);
}

struct _RwEvalRunner
{
  GObject parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  RwSuite *suite;
  GPtrArray *models;
  guint repeat;
  guint concurrency;
  double budget;
  gboolean use_cache;

  RwRouter *router;
  char *run_id;
  gboolean resumed;
  GPtrArray *pending;     /* Work */
  guint next;
  guint in_flight;
  guint n_total;
  guint n_done;
  guint n_cached;
  guint n_failed;
  double estimate;
  double spent;
  gboolean stopping;
  gboolean comparing;
  RwJudge *judge;
  gboolean pairwise;
  gboolean rating;
  GPtrArray *rating_queue; /* Rating */
  guint next_rating;
  guint n_ratings;
  GPtrArray *judge_queue;  /* Comparison */
  guint next_judge;
  guint n_comparisons;
  /* "item\nsample" -> Live: this session's graded answers to an item, compared as soon as
   * every model has answered, so that a fresh run without a judge has nothing left to read
   * back at the end. */
  GHashTable *live;
  /* A fresh run's rows as they are stored, for the report at the end (NULL when resumed):
   * with no write failed since it began, the database holds exactly these. */
  RwEvalTally *tally;
  JsonNode *params;
  guint write_errors;     /* the store's count when the run began */
  const char *status;     /* once finished */
  gboolean jobs_queued;   /* answers were handed to the store's thread */
  GTask *task;
  GHashTable *prompt_ids; /* item id -> prompt id */
  GHashTable *limits;     /* provider id -> Limit */
  gint64 window_us;
  GSource *rate_timer;
};

enum {
  PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwEvalRunner, rw_eval_runner, G_TYPE_OBJECT)

typedef struct
{
  char *prompt_id;
  char *task;
  guint n_models;
  char **ids;             /* by model, NULL until that model's answer is in */
  double *scores;
  gboolean *scored;       /* it has at least one grade */
  guint n;
} Live;

static void
live_free (Live *l)
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

static void
work_free (Work *w)
{
  rw_suite_item_unref (w->item);
  g_object_unref (w->model);
  g_free (w);
}

static void
rw_eval_runner_finalize (GObject *object)
{
  RwEvalRunner *self = (RwEvalRunner *) object;

  /* Jobs on the store's thread use what is freed below. */
  if (self->jobs_queued && self->store != NULL)
    rw_store_flush (self->store, NULL);
  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->suite);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_object (&self->router);
  g_clear_pointer (&self->run_id, g_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->prompt_ids, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->tally, rw_eval_tally_free);
  g_clear_pointer (&self->params, json_node_unref);
  g_clear_object (&self->judge);
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
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) work_free);
  self->prompt_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->live = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) live_free);
  self->limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) limit_free);
  self->window_us = 60 * G_USEC_PER_SEC;
}

/**
 * rw_eval_runner_set_rate_window:
 * @self: a runner
 * @ms: the window that providers' requests- and tokens-per-minute limits count over
 *
 * A minute unless changed; tests shorten it.
 */
void
rw_eval_runner_set_rate_window (RwEvalRunner *self,
                                guint         ms)
{
  self->window_us = (gint64) MAX (1, ms) * 1000;
}

static Limit *
limit_for (RwEvalRunner *self,
           RwModel      *model)
{
  const char *provider_id = rw_model_get_provider_id (model);
  Limit *l = g_hash_table_lookup (self->limits, provider_id);

  if (l == NULL)
    {
      RwProvider *provider = rw_catalog_lookup_provider (self->catalog, provider_id);

      l = g_new0 (Limit, 1);
      if (provider != NULL)
        rw_provider_get_limits (provider, &l->max_concurrency, &l->rpm, &l->tpm);
      l->sent_us = g_array_new (FALSE, FALSE, sizeof (gint64));
      l->token_us = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->limits, g_strdup (provider_id), l);
    }
  return l;
}

/* Forget the times that fell out of the window from the front of a series whose entries are
 * STRIDE values long, the first of each a time. */
static void
prune_window (GArray *series,
              guint   stride,
              gint64  since)
{
  guint drop = 0;

  while (drop < series->len && g_array_index (series, gint64, drop) <= since)
    drop += stride;
  g_array_remove_range (series, 0, MIN (drop, series->len));
}

/* 0 when the provider takes another request now, else the microseconds until its requests
 * per minute allow one (G_MAXINT64 when only a finished request can free a slot). The same
 * for every item of the provider. */
static gint64
limit_request_wait (RwEvalRunner *self,
                    Limit        *l,
                    gint64        now)
{
  if (l->max_concurrency > 0 && l->in_flight >= l->max_concurrency)
    return G_MAXINT64;
  if (l->rpm == 0)
    return 0;
  prune_window (l->sent_us, 1, now - self->window_us);
  if (l->sent_us->len < l->rpm)
    return 0;
  return g_array_index (l->sent_us, gint64, 0) + self->window_us - now;
}

/* 0 when a request of @tokens fits the provider's tokens per minute now, else the
 * microseconds until it does. */
static gint64
limit_token_wait (RwEvalRunner *self,
                  Limit        *l,
                  gint64        tokens,
                  gint64        now)
{
  gint64 used = 0;

  if (l->tpm == 0)
    return 0;
  prune_window (l->token_us, 2, now - self->window_us);
  for (guint i = 1; i < l->token_us->len; i += 2)
    used += g_array_index (l->token_us, gint64, i);
  if (used == 0 || used + tokens <= l->tpm)
    return 0;
  return g_array_index (l->token_us, gint64, 0) + self->window_us - now;
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
  return self;
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

static char *
run_key (RwEvalRunner *self)
{
  g_autoptr(GString) s = g_string_new (rw_suite_get_checksum (self->suite));

  for (guint i = 0; i < self->models->len; i++)
    g_string_append_printf (s, "\n%s", rw_model_get_id (self->models->pdata[i]));
  g_string_append_printf (s, "\n%u", self->repeat);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, s->str, s->len);
}

static char *
done_key (const char *item,
          const char *model,
          guint       sample)
{
  return g_strdup_printf ("%s\n%s\n%u", item, model, sample);
}

static const char *prompt_id_for (RwEvalRunner *self,
                                  RwSuiteItem  *item);

/* A stored value as it reads back: the store keeps no negative or non-finite number. */
static double
as_stored (double v)
{
  return isfinite (v) && v >= 0 ? v : NAN;
}

/* Stores an answer of this run, and counts it for the report. */
static char *
record_answer (RwEvalRunner *self,
               Work         *w,
               const char   *prompt_id,
               RwChatResult *result,
               guint         attempts,
               const char   *hash,
               gboolean      cached)
{
  const char *task = rw_chat_request_get_task (w->item->request);
  char *id = rw_store_record_eval_response (self->store, self->run_id, prompt_id, result,
                                            attempts, hash, w->item->id, w->sample, task, cached);

  if (self->tally != NULL)
    rw_eval_tally_add_answer (self->tally, id, w->item->id, result->model_id, w->sample,
                              result->error == NULL, task, as_stored (result->cost_usd),
                              as_stored (result->latency_ms), cached);
  return id;
}

static void
record_grade (RwEvalRunner *self,
              const char   *response_id,
              const char   *grader,
              double        score,
              gboolean      pass,
              const char   *detail,
              const char   *source)
{
  rw_store_record_grade (self->store, response_id, grader, score, pass, detail, source);
  if (self->tally != NULL)
    rw_eval_tally_add_grade (self->tally, response_id, FALSE, as_stored (score), pass ? 1 : 0, 0,
                             NULL);
}

static void
record_vote (RwEvalRunner  *self,
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

/* Grades an answer and stores the grades; @mean gets their mean score, and the result says
 * whether there was any grade. */
static gboolean
grade_and_store (RwEvalRunner *self,
                 RwSuiteItem  *item,
                 const char   *response_id,
                 const char   *answer,
                 double       *mean)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) grades = rw_grader_grade_item (item, answer, &error);
  double sum = 0;

  *mean = 0;
  if (grades == NULL)
    {
      record_grade (self, response_id, "config", 0, FALSE, error->message, "grader");
      return TRUE;
    }
  for (guint i = 0; i < grades->len; i++)
    {
      RwGrade *g = grades->pdata[i];
      record_grade (self, response_id, g->grader, g->score, g->pass, g->detail, "grader");
      sum += g->score;
    }
  if (grades->len > 0)
    *mean = sum / grades->len;
  return grades->len > 0;
}

/* The pairwise outcome of two graded answers, stored as a comparison from the grader. */
static void
record_graded_pair (RwEvalRunner *self,
                    const char   *prompt_id,
                    const char   *task,
                    const char   *a,
                    double        score_a,
                    const char   *b,
                    double        score_b)
{
  RwVoteOutcome outcome = score_a > score_b ? RW_VOTE_A : score_a < score_b ? RW_VOTE_B
                                                                              : RW_VOTE_TIE;

  record_vote (self, prompt_id, task, outcome, a, b, "grader");
}

/* A graded answer of this session. Once every model has answered the item, its pairs are
 * compared, in the order the models were given: the earlier model is always "a". With a
 * judge, whose ratings change the scores at the end, comparisons wait for the end instead. */
static void
note_answer (RwEvalRunner *self,
             Work         *w,
             const char   *prompt_id,
             const char   *response_id,
             gboolean      scored,
             double        score)
{
  g_autofree char *key = NULL;
  guint m = 0;
  Live *l;

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

      l = g_new0 (Live, 1);
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
        record_graded_pair (self, l->prompt_id, l->task, l->ids[a], l->scores[a], l->ids[b],
                            l->scores[b]);
  g_hash_table_remove (self->live, key);
}

static const char *
prompt_id_for (RwEvalRunner *self,
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

/* The earliest good answer to each of the run's requests (its hash, which names the model) and
 * repetition, from any run: what the cache can give instead of asking again. One query, on the
 * hash index, for the requests of this suite and these models only. */
static GHashTable *
load_cache (RwEvalRunner  *self,
            GError       **error)
{
  g_autoptr(GHashTable) cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) rw_stored_response_free);
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) answers = NULL;

  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    for (guint m = 0; m < self->models->len; m++)
      {
        RwSuiteItem *item = rw_suite_get_item (self->suite, i);

        g_ptr_array_add (hashes, rw_chat_request_hash_for_model (item->request,
                                                                 rw_model_get_id (self->models->pdata[m])));
      }
  g_ptr_array_add (hashes, NULL);
  answers = rw_store_list_reusable_answers (self->store, (const char * const *) hashes->pdata,
                                            error);
  if (answers == NULL)
    return NULL;
  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_autofree char *key = g_strdup_printf ("%s\n%u", r->request_hash, r->sample);

      if (!g_hash_table_contains (cache, key))
        g_hash_table_insert (cache, g_steal_pointer (&key), g_steal_pointer (&answers->pdata[i]));
    }
  return g_steal_pointer (&cache);
}

/* Reuse an earlier answer to exactly this request from the cache, storing it in this run. */
static gboolean
reuse_cached (RwEvalRunner *self,
              GHashTable   *cache,
              Work         *w)
{
  const char *model_id = rw_model_get_id (w->model);
  g_autofree char *hash = rw_chat_request_hash_for_model (w->item->request, model_id);
  g_autofree char *key = g_strdup_printf ("%s\n%u", hash, w->sample);
  g_autoptr(RwChatResult) result = NULL;
  g_autofree char *response_id = NULL;
  RwStoredResponse *cached = g_hash_table_lookup (cache, key);
  const char *prompt_id;
  gboolean scored;
  double score;

  if (cached == NULL)
    return FALSE;
  result = rw_chat_result_new (model_id);
  g_string_assign (result->text, cached->text ? cached->text : "");
  result->finish_reason = cached->finish_reason && *cached->finish_reason
                          ? g_strdup (cached->finish_reason) : NULL;
  result->tokens_in = cached->tokens_in;
  result->tokens_out = cached->tokens_out;
  /* Reused answers cost nothing now; their timings are the original ones. */
  result->cost_usd = 0;
  result->ttft_ms = isnan (cached->ttft_ms) ? -1 : cached->ttft_ms;
  result->latency_ms = isnan (cached->latency_ms) ? 0 : cached->latency_ms;
  /* The answer and its grades in one transaction. */
  prompt_id = prompt_id_for (self, w->item);
  rw_store_begin_group (self->store);
  response_id = record_answer (self, w, prompt_id, result, 0, hash, TRUE);
  scored = grade_and_store (self, w->item, response_id, result->text->str, &score);
  rw_store_end_group (self->store);
  note_answer (self, w, prompt_id, response_id, scored, score);
  return TRUE;
}

/**
 * rw_eval_runner_prepare:
 * @self: a runner
 * @resume_run_id: (nullable): a run to resume; without it, the run with the same suite, models
 *   and repetitions is resumed when there is one
 * @error: return location for an error
 *
 * Finds what is left to do, takes what the cache has, and estimates the cost of the rest.
 *
 * Returns: %TRUE on success
 */
gboolean
rw_eval_runner_prepare (RwEvalRunner  *self,
                        const char    *resume_run_id,
                        GError       **error)
{
  g_autofree char *key = run_key (self);
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) cache = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *run_id = NULL;

  for (guint i = 0; self->judge == NULL && i < rw_suite_get_n_items (self->suite); i++)
    if (rw_grader_get_judge_spec (rw_suite_get_item (self->suite, i)) != NULL)
      {
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                     "item %s is graded by a judge (an llm-rubric or judge grader): name the judge "
                     "model with --judge MODEL", rw_suite_get_item (self->suite, i)->id);
        return FALSE;
      }

  if (resume_run_id != NULL)
    {
      g_autoptr(RwStoredRun) run = rw_store_lookup_run (self->store, resume_run_id, "eval", &local);

      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (run == NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no evaluation run %s", resume_run_id);
          return FALSE;
        }
      if (g_strcmp0 (run->key, key) != 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "run %s was made with another suite, other models or another --repeat",
                       resume_run_id);
          return FALSE;
        }
      run_id = g_strdup (run->id);
    }
  else
    {
      run_id = rw_store_dup_eval_run_for_key (self->store, key, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }

  if (run_id != NULL)
    {
      g_autoptr(GPtrArray) answered = NULL;

      self->run_id = g_steal_pointer (&run_id);
      self->resumed = TRUE;
      answered = rw_store_list_answered (self->store, self->run_id, error);
      if (answered == NULL)
        return FALSE;
      for (guint i = 0; i < answered->len; i++)
        {
          RwStoredResponse *r = answered->pdata[i];
          g_hash_table_add (done, done_key (r->item_id, r->model, r->sample));
        }
      rw_store_set_run_status (self->store, self->run_id, "running");
    }
  else
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, key);
      json_builder_set_member_name (b, "suite");
      json_builder_add_string_value (b, rw_suite_get_name (self->suite));
      json_builder_set_member_name (b, "suite_checksum");
      json_builder_add_string_value (b, rw_suite_get_checksum (self->suite));
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (guint i = 0; i < self->models->len; i++)
        json_builder_add_string_value (b, rw_model_get_id (self->models->pdata[i]));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "repeat");
      json_builder_add_int_value (b, self->repeat);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      self->write_errors = rw_store_get_n_write_errors (self->store);
      self->run_id = rw_store_begin_run (self->store, "eval", node);
      self->tally = rw_eval_tally_new ();
      self->params = g_steal_pointer (&node);
    }

  if (self->use_cache && (cache = load_cache (self, error)) == NULL)
    return FALSE;

  self->n_total = rw_suite_get_n_items (self->suite) * self->models->len * self->repeat;
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    for (guint m = 0; m < self->models->len; m++)
      for (guint s = 0; s < self->repeat; s++)
        {
          RwSuiteItem *item = rw_suite_get_item (self->suite, i);
          RwModel *model = self->models->pdata[m];
          g_autofree char *k = done_key (item->id, rw_model_get_id (model), s);
          Work *w;

          if (g_hash_table_contains (done, k))
            {
              self->n_done++;
              continue;
            }
          w = g_new0 (Work, 1);
          w->item = rw_suite_item_ref (item);
          w->model = g_object_ref (model);
          w->sample = s;
          if (cache != NULL && reuse_cached (self, cache, w))
            {
              self->n_done++;
              self->n_cached++;
              work_free (w);
              continue;
            }
          g_ptr_array_add (self->pending, w);
          {
            double e = rw_router_estimate_cost (self->router, model, item->request);
            if (isfinite (e))
              self->estimate += e;
          }
        }
  return rw_store_flush (self->store, error);
}

static void schedule (RwEvalRunner *self);
static void schedule_judging (RwEvalRunner *self);
static void start_comparisons (RwEvalRunner *self);
static void schedule_rating (RwEvalRunner *self);
static void finish_if_idle (RwEvalRunner *self);

/* -------------------------------------------------------------------- judge grader */

typedef struct
{
  RwEvalRunner *self;
  RwSuiteItem *item;
  char *response_id;
  char *answer;
} Rating;

static void
rating_free (Rating *r)
{
  rw_suite_item_unref (r->item);
  g_free (r->response_id);
  g_free (r->answer);
  g_free (r);
}

/*
 * Items with a judge grader are rated by the judge model once every answer is in: each of the
 * run's good answers that has no judge grade yet, so a resumed run rates what a killed one did
 * not, and nothing twice. Done before the comparisons, which use the ratings.
 */
static void
start_rating (RwEvalRunner *self)
{
  g_autoptr(GHashTable) items = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) answers = NULL;

  self->rating = TRUE;
  self->rating_queue = g_ptr_array_new_with_free_func ((GDestroyNotify) rating_free);
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    {
      RwSuiteItem *item = rw_suite_get_item (self->suite, i);
      if (rw_grader_get_judge_spec (item) != NULL)
        g_hash_table_insert (items, item->id, item);
    }
  if (g_hash_table_size (items) == 0 || self->judge == NULL)
    return;
  answers = rw_store_list_ungraded_answers (self->store, self->run_id, "judge", NULL);
  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      RwStoredResponse *answer = answers->pdata[i];
      RwSuiteItem *item = g_hash_table_lookup (items, answer->item_id);
      Rating *r;

      if (item == NULL)
        continue;
      r = g_new0 (Rating, 1);
      r->self = self;
      r->item = rw_suite_item_ref (item);
      r->response_id = g_strdup (answer->id);
      r->answer = g_strdup (answer->text ? answer->text : "");
      g_ptr_array_add (self->rating_queue, r);
    }
}

static void
rated_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      user_data)
{
  Rating *r = user_data;
  g_autoptr(RwEvalRunner) self = g_object_ref (r->self);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  double rating;

  self->in_flight--;
  if (rw_judge_pointwise_finish (RW_JUDGE (object), res, &rating, &detail, &error))
    {
      JsonObject *spec = rw_grader_get_judge_spec (r->item);
      double threshold = rw_json_object_get_double (spec, "threshold", 7);
      gboolean pass = rating >= threshold;
      g_autofree char *text = g_strdup_printf ("%g/10 (passes at %g): %s", rating, threshold,
                                               detail ? detail : "");

      if (rw_json_object_get_boolean (spec, "not", FALSE))
        pass = !pass;
      record_grade (self, r->response_id, "judge", (rating - 1) / 9.0, pass, text, "judge");
      self->n_ratings++;
    }
  else if (!g_error_matches (error, RW_ERROR, RW_ERROR_CANCELLED))
    self->n_failed++;
  g_signal_emit (self, signals[PROGRESS], 0);
  schedule_rating (self);
  finish_if_idle (self);
}

static void
schedule_rating (RwEvalRunner *self)
{
  GCancellable *cancellable;

  if (self->task == NULL || self->rating_queue == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);
  while (self->in_flight < self->concurrency && self->next_rating < self->rating_queue->len &&
         !g_cancellable_is_cancelled (cancellable))
    {
      Rating *r = self->rating_queue->pdata[self->next_rating++];
      JsonObject *spec = rw_grader_get_judge_spec (r->item);

      self->in_flight++;
      rw_judge_pointwise_async (self->judge, rw_chat_request_get_last_user_text (r->item->request),
                                r->answer, rw_json_object_get_string (spec, "rubric", NULL),
                                r->item->reference, cancellable, rated_cb, r);
    }
}

/* ------------------------------------------------------------------------- comparisons */

typedef struct
{
  RwEvalRunner *self;
  char *prompt_id;
  char *task;
  char *question;
  char *ids[2];
  char *texts[2];
} Comparison;

static void
comparison_free (Comparison *c)
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
static void
start_comparisons (RwEvalRunner *self)
{
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) have = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) keys = NULL;

  self->comparing = TRUE;
  self->judge_queue = g_ptr_array_new_with_free_func ((GDestroyNotify) comparison_free);
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
              record_graded_pair (self, x->prompt_id, x->task, x->id, x->mean_score, y->id,
                                  y->mean_score);
            if (self->judge != NULL && self->pairwise && !g_hash_table_contains (have, judged))
              {
                Comparison *c = g_new0 (Comparison, 1);
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
judged_cb (GObject      *object,
           GAsyncResult *res,
           gpointer      user_data)
{
  Comparison *c = user_data;
  g_autoptr(RwEvalRunner) self = g_object_ref (c->self);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  RwJudgeVerdict verdict;

  self->in_flight--;
  if (rw_judge_pairwise_finish (RW_JUDGE (object), res, &verdict, &detail, &error))
    {
      RwVoteOutcome outcome = verdict == RW_JUDGE_FIRST ? RW_VOTE_A :
                              verdict == RW_JUDGE_SECOND ? RW_VOTE_B : RW_VOTE_TIE;

      record_vote (self, c->prompt_id, c->task, outcome, c->ids[0], c->ids[1], "judge");
    }
  else
    self->n_failed++;
  g_signal_emit (self, signals[PROGRESS], 0);
  schedule_judging (self);
  finish_if_idle (self);
}

static void
schedule_judging (RwEvalRunner *self)
{
  GCancellable *cancellable;

  if (self->task == NULL || self->judge_queue == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);
  while (self->in_flight < self->concurrency && self->next_judge < self->judge_queue->len &&
         !g_cancellable_is_cancelled (cancellable))
    {
      Comparison *c = self->judge_queue->pdata[self->next_judge++];

      self->in_flight++;
      rw_judge_pairwise_async (self->judge, c->question, c->texts[0], c->texts[1], cancellable,
                               judged_cb, c);
    }
}

static void
finish_if_idle (RwEvalRunner *self)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  const char *status;

  if (self->in_flight > 0 || self->task == NULL)
    return;
  if (!self->stopping && self->next < self->pending->len)
    return;
  if (!self->stopping && !g_cancellable_is_cancelled (g_task_get_cancellable (self->task)))
    {
      /* Every answer is in: rate those the judge grades, compare them, then finish. */
      if (!self->rating)
        {
          start_rating (self);
          schedule_rating (self);
          if (self->in_flight > 0)
            return;
        }
      else if (self->next_rating < self->rating_queue->len)
        return;
      if (!self->comparing)
        {
          start_comparisons (self);
          schedule_judging (self);
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
  if (!rw_store_flush (self->store, &error))
    {
      /* What failed to be stored is asked again when the run is resumed. */
      g_prefix_error (&error, "run %s is not complete: ", self->run_id);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, (gpointer) status, NULL);
}

typedef struct
{
  RwEvalRunner *self;
  Work *work;
} Flight;

/* An answer on its way to the store. Not a reference to the runner: a runner waits for its
 * jobs before it goes. */
typedef struct
{
  RwEvalRunner *self;
  Work *work;
  char *prompt_id;
  RwChatResult *result;
  guint attempts;
} Answered;

static void
answered_free (Answered *a)
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
store_answer (RwStore  *store,
              gpointer  data)
{
  Answered *a = data;
  RwEvalRunner *self = a->self;
  Work *w = a->work;
  guint errors = rw_store_get_n_write_errors (store);
  g_autofree char *hash = rw_chat_request_hash_for_model (w->item->request,
                                                          rw_model_get_id (w->model));
  g_autofree char *response_id = record_answer (self, w, a->prompt_id, a->result, a->attempts,
                                                hash, FALSE);

  if (a->result->error == NULL)
    {
      double score;
      gboolean scored = grade_and_store (self, w->item, response_id, a->result->text->str,
                                         &score);

      /* A write that failed undoes the job: the answer is not stored, and is no pair's. */
      if (rw_store_get_n_write_errors (store) == errors)
        note_answer (self, w, a->prompt_id, response_id, scored, score);
    }
}

static void
route_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      user_data)
{
  Flight *flight = user_data;
  g_autoptr(RwEvalRunner) self = flight->self;
  Work *w = flight->work;
  g_autoptr(RwRouteResult) out = rw_router_route_finish (RW_ROUTER (object), res);
  RwChatResult *result = out->result;

  g_free (flight);
  self->in_flight--;
  {
    Limit *l = limit_for (self, w->model);
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
      finish_if_idle (self);
      return;
    }
  if (isfinite (result->cost_usd))
    self->spent += result->cost_usd;
  if (result->error == NULL)
    self->n_done++;
  else
    self->n_failed++;
  /* The answer, its grades and its comparisons are stored on the store's thread, in one
   * transaction, while this one sends the next request. */
  {
    Answered *a = g_new0 (Answered, 1);

    a->self = self;
    a->work = w;
    a->prompt_id = g_strdup (prompt_id_for (self, w->item));
    a->result = rw_chat_result_ref (result);
    a->attempts = out->attempts->len;
    self->jobs_queued = TRUE;
    rw_store_run_job (self->store, store_answer, a, (GDestroyNotify) answered_free);
  }
  g_signal_emit (self, signals[PROGRESS], 0);
  schedule (self);
  finish_if_idle (self);
}

static gboolean
rate_timer_fired (gpointer data)
{
  RwEvalRunner *self = data;

  g_clear_pointer (&self->rate_timer, g_source_unref);
  schedule (self);
  finish_if_idle (self);
  return G_SOURCE_REMOVE;
}

/*
 * Sends what may go now: the global concurrency, each provider's own limits and the budget
 * allowing. Work whose provider is at its limit waits without holding up other providers'; if
 * only a window's end can free a slot, a timer comes back then.
 */
static void
schedule (RwEvalRunner *self)
{
  GCancellable *cancellable;
  gint64 now = g_get_monotonic_time ();
  gint64 soonest = G_MAXINT64;
  g_autoptr(GHashTable) full = g_hash_table_new (NULL, NULL);

  if (self->task == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);

  while (self->next < self->pending->len && ((Work *) self->pending->pdata[self->next])->taken)
    self->next++;

  for (guint i = self->next; i < self->pending->len; i++)
    {
      Work *w = self->pending->pdata[i];
      double e;
      gint64 wait;
      Limit *l;
      Flight *flight;

      if (self->stopping || self->in_flight >= self->concurrency ||
          g_cancellable_is_cancelled (cancellable))
        break;
      if (w->taken)
        continue;

      /* A provider found full in this pass stays full for all its items in this pass. */
      l = limit_for (self, w->model);
      if (g_hash_table_contains (full, l))
        continue;
      wait = limit_request_wait (self, l, now);
      if (wait > 0)
        g_hash_table_add (full, l);
      else if (l->tpm > 0)
        {
          gint64 tokens = 0;
          for (guint m = 0; m < rw_chat_request_get_n_messages (w->item->request); m++)
            tokens += rw_estimate_tokens (rw_chat_request_get_content (w->item->request, m));
          wait = limit_token_wait (self, l, tokens, now);
        }
      if (wait > 0)
        {
          soonest = MIN (soonest, wait);
          continue;
        }

      e = rw_router_estimate_cost (self->router, w->model, w->item->request);
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
      flight = g_new0 (Flight, 1);
      flight->self = g_object_ref (self);
      flight->work = w;
      self->in_flight++;
      rw_router_route_async (self->router, w->item->request, rw_model_get_id (w->model),
                             NULL, NULL, NULL, cancellable, route_cb, flight);
    }

  while (self->next < self->pending->len && ((Work *) self->pending->pdata[self->next])->taken)
    self->next++;

  if (soonest != G_MAXINT64 && self->rate_timer == NULL && !self->stopping)
    {
      self->rate_timer = g_timeout_source_new (MAX (1, soonest / 1000 + 1));
      g_source_set_callback (self->rate_timer, rate_timer_fired, self, NULL);
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
  schedule (self);
  finish_if_idle (self);
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
