/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-eval-runner.h"
#include "rw-eval-tally.h"

G_BEGIN_DECLS

/* What the files of RwEvalRunner share: the runner, the work it does, and the functions one
 * file gives the others. */

typedef struct _RwEvalWork RwEvalWork;

struct _RwEvalWork
{
  RwSuiteItem *item;
  RwModel *model;
  guint sample;
  gboolean taken;
  gboolean finished;      /* came back */
  RwChatRequest *request; /* a turn's, filled in when sent (rw-eval-runner-turns.c) */
  RwEvalWork *after;      /* a turn's: the turn before it of its model and repetition, or NULL */
};

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
} RwEvalLimit;

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
  RwRunHold *hold;        /* no other process runs the run meanwhile */
  /* model id -> JsonObject: request fields for that model (a promptfoo provider's config), and
   * "item\x1fmodel" -> RwChatRequest, the requests made with them */
  GHashTable *model_options;
  GHashTable *model_requests;
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
  RwModel *embedding_model; /* for similar graders */
  RwModel *moderation_model; /* for moderation graders */
  gboolean pairwise;
  gboolean rating;
  GPtrArray *rating_queue; /* Rating */
  /* response id -> the answer through its item's transform, or why that failed: for all of
   * its judged graders at once */
  GHashTable *item_outputs;
  GHashTable *item_failures;
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
  /* Good answers: stored before this session, and received in it. A write that fails stops
   * the sending: each answer after it would be paid for and lost. */
  guint n_answered_before;
  guint n_received;
  gboolean store_failed;
  const char *status;     /* once finished */
  gboolean jobs_queued;   /* answers were handed to the store's thread */
  GTask *task;
  GHashTable *prompt_ids; /* item id -> prompt id */
  GHashTable *limits;     /* provider id -> Limit */
  /* A conversation's turns: "model\x1fsample" -> JsonObject of stored outputs, and the same
   * with "\x1fprompt\x1fconversation" -> JsonArray of turns; NULL for a suite without turns */
  GHashTable *registers;
  GHashTable *conversations;
  gint64 window_us;
  GSource *rate_timer;
};

typedef struct
{
  char *prompt_id;
  char *task;
  guint n_models;
  char **ids;             /* by model, NULL until that model's answer is in */
  double *scores;
  gboolean *scored;       /* it has at least one grade */
  guint n;
} RwEvalLive;

typedef struct
{
  RwEvalRunner *self;
  RwEvalWork *work;
} RwEvalFlight;

/* An answer on its way to the store. Not a reference to the runner: a runner waits for its
 * jobs before it goes. */
typedef struct
{
  RwEvalRunner *self;
  RwEvalWork *work;
  char *prompt_id;
  RwChatResult *result;
  guint attempts;
} RwEvalAnswered;

void        _rw_eval_runner_limit_free         (RwEvalLimit *l);
RwEvalLimit      *_rw_eval_runner_limit_for          (RwEvalRunner *self,
                                                RwModel *model);
gint64      _rw_eval_runner_limit_request_wait (RwEvalRunner *self,
                                                RwEvalLimit *l,
                                                gint64 now);
gint64      _rw_eval_runner_limit_token_wait   (RwEvalRunner *self,
                                                RwEvalLimit *l,
                                                gint64 tokens,
                                                gint64 now);
gboolean    _rw_eval_runner_rate_timer_fired   (gpointer data);
void        _rw_eval_runner_finish_if_idle     (RwEvalRunner *self);
void        _rw_eval_runner_work_free          (RwEvalWork *w);
gboolean    _rw_eval_runner_turns_init         (RwEvalRunner *self);
gboolean    _rw_eval_runner_is_turn            (RwSuiteItem *item);
gboolean    _rw_eval_runner_turn_ready         (RwEvalRunner *self,
                                                guint index);
gboolean    _rw_eval_runner_fill_turn          (RwEvalRunner *self,
                                                RwEvalWork *w,
                                                GError **error);
void        _rw_eval_runner_turn_answered      (RwEvalRunner *self,
                                                RwSuiteItem *item,
                                                RwModel *model,
                                                guint sample,
                                                RwChatRequest *request,
                                                const char *text,
                                                const char *tool_calls);
void        _rw_eval_runner_restore_turns      (RwEvalRunner *self);
void        _rw_eval_runner_chain_turns        (RwEvalRunner *self);
RwChatRequest *_rw_eval_runner_work_request    (RwEvalRunner *self,
                                                RwEvalWork *w);
void        _rw_eval_runner_schedule           (RwEvalRunner *self);
char       *_rw_eval_runner_record_answer      (RwEvalRunner *self,
                                                RwEvalWork *w,
                                                const char *prompt_id,
                                                RwChatResult *result,
                                                guint attempts,
                                                const char *hash,
                                                gboolean cached);
void        _rw_eval_runner_record_grade       (RwEvalRunner *self,
                                                const char *response_id,
                                                const char *grader,
                                                double score,
                                                gboolean pass,
                                                const char *detail,
                                                const char *source,
                                                double weight,
                                                const char *metric);
void        _rw_eval_runner_record_vote        (RwEvalRunner *self,
                                                const char *prompt_id,
                                                const char *task,
                                                RwVoteOutcome outcome,
                                                const char *a,
                                                const char *b,
                                                const char *source);
gboolean    _rw_eval_runner_grade_and_store    (RwEvalRunner *self,
                                                RwSuiteItem *item,
                                                const char *response_id,
                                                RwChatResult *answer,
                                                double *mean);
void        _rw_eval_runner_record_graded_pair (RwEvalRunner *self,
                                                const char *prompt_id,
                                                const char *task,
                                                const char *a,
                                                double score_a,
                                                const char *b,
                                                double score_b);
void        _rw_eval_runner_note_answer        (RwEvalRunner *self,
                                                RwEvalWork *w,
                                                const char *prompt_id,
                                                const char *response_id,
                                                gboolean scored,
                                                double score);
const char *_rw_eval_runner_prompt_id_for      (RwEvalRunner *self,
                                                RwSuiteItem *item);
void        _rw_eval_runner_start_rating       (RwEvalRunner *self);
void        _rw_eval_runner_schedule_rating    (RwEvalRunner *self);
void        _rw_eval_runner_start_comparisons  (RwEvalRunner *self);
void        _rw_eval_runner_schedule_judging   (RwEvalRunner *self);
void        _rw_eval_runner_emit_progress      (RwEvalRunner *self);

RwChatRequest *_rw_eval_runner_request_for (RwEvalRunner *self,
                                            RwSuiteItem  *item,
                                            RwModel      *model);

G_END_DECLS
