/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <glib.h>

#include "rw-types.h"

G_BEGIN_DECLS

/*
 * The records the store's typed queries give: callers read rows through these, never through
 * SQL. A record passed to a callback (the rw_store_foreach_*() queries) lends its strings for
 * the call only; one in an array (the rw_store_list_*() queries) owns them. A number that was
 * not recorded is NAN, a count -1, a string %NULL.
 */

/**
 * RwAnswerRecord:
 * @run_id: the run it belongs to
 * @prompt_id: the prompt it answers
 * @result: the answer, or its failure, with its metrics
 * @attempt: which attempt it was, from 1
 * @request_hash: (nullable): the request's cache key
 * @item_id: (nullable): the suite item it answers, in an evaluation
 * @sample: which repetition of the item it is, from 0
 * @task: (nullable): the item's task, which the report files the answer under
 * @cached: it was reused from an earlier answer, not asked again
 *
 * An answer to store, as rw_store_record_answer() takes it; unset fields are zero.
 */
typedef struct
{
  const char *run_id;
  const char *prompt_id;
  RwChatResult *result;
  guint attempt;
  const char *request_hash;
  const char *item_id;
  guint sample;
  const char *task;
  gboolean cached;
} RwAnswerRecord;

/**
 * RwStoredRun:
 * @id: its id
 * @kind: "compare", "eval" or "serve"
 * @status: "running", "done", "failed", "cancelled", "stopped"..., or "interrupted": stored
 *   as running by a process that is gone (killed, or crashed) or silent for longer than a
 *   claim lives
 * @params: (nullable): its parameters, as JSON text
 * @key: (nullable): an evaluation's key: its suite, models and repetitions
 * @created_ms: when it began, in milliseconds since the epoch
 */
typedef struct
{
  char *id;
  char *kind;
  char *status;
  char *params;
  char *key;
  gint64 created_ms;
} RwStoredRun;

/**
 * RwStoredResponse:
 *
 * An answer. Which fields a query fills is said where the query is.
 */
typedef struct
{
  char *id;
  char *item_id;
  char *model;
  char *prompt_id;
  char *task;
  char *text;
  char *prompt_text;
  char *finish_reason;
  char *request_hash;
  guint sample;
  gboolean ok;
  gboolean cached;
  gint64 tokens_in;
  gint64 tokens_out;
  double cost_usd;
  double ttft_ms;
  double latency_ms;
  double mean_score;
  char *error_kind;
  char *error_message;
  char *tool_calls;            /* a JSON array, or NULL */
} RwStoredResponse;

/**
 * RwStoredComparison:
 * @id: its run's id
 * @created_ms: when it was asked
 * @status: "done", "failed" or "cancelled"
 * @prompt: the prompt's text
 * @task: (nullable): the prompt's task
 * @models: the models asked, in their columns' order
 * @cost_usd: what the answers cost together, NAN when none was priced
 * @winner: (nullable): what a person's latest vote said: the winning model's id, "tie" or
 *   "both_bad"; %NULL before a vote
 * @voted: whether a person voted
 *
 * A comparison as the history lists it.
 */
typedef struct
{
  char *id;
  gint64 created_ms;
  char *status;
  char *prompt;
  char *task;
  GStrv models;
  double cost_usd;
  char *winner;
  gboolean voted;
} RwStoredComparison;

/**
 * RwHistoryFilter:
 * @query: (nullable): words that the prompt or an answer must all hold
 * @model: (nullable): a model the comparison asked
 * @task: (nullable): the prompt's task
 * @since_ms: when above 0, comparisons asked at or after this time
 * @until_ms: when above 0, comparisons asked before this time
 * @voted: 1 only the voted ones, 0 only the others, -1 both
 * @limit: at most this many; 0 for all
 * @offset: leave out this many first
 *
 * Which comparisons rw_store_list_history() lists.
 */
typedef struct
{
  const char *query;
  const char *model;
  const char *task;
  gint64 since_ms;
  gint64 until_ms;
  int voted;
  guint limit;
  guint offset;
} RwHistoryFilter;

/**
 * RwVoteFilter:
 * @since_ms: when above 0, votes given at or after this time
 * @until_ms: when above 0, votes given before this time
 * @sources: (nullable) (array zero-terminated=1): the sources kept ("human", "judge",
 *   "grader", "import"); %NULL for all
 *
 * Which votes rw_store_list_pairwise_votes_filtered() lists.
 */
typedef struct
{
  gint64 since_ms;
  gint64 until_ms;
  const char * const *sources;
} RwVoteFilter;

/**
 * RwStoredRequest:
 * @created_ms: when the answer was stored
 * @kind: what asked: "compare", "eval" or "serve"
 * @model: the model that answered
 * @task: (nullable): its task, as the answer or its prompt was filed
 * @prompt_text: the prompt's text
 * @attempt: 1 for the first model tried for a request, 2 for the next...
 * @ok: whether it answered
 * @fell_back: whether it failed and the request went on to another model
 * @error_kind: (nullable): why it failed
 * @cached: whether it came from the cache, costing nothing
 * @tokens_in: tokens read, -1 when unknown
 * @tokens_out: tokens written, -1 when unknown
 * @cost_usd: its cost, NAN when unknown
 * @ttft_ms: time to its first token, NAN when unknown
 * @latency_ms: time to its end, NAN when unknown
 * @request_key: what the attempts of one request share (its run and prompt)
 *
 * One attempt at a request to a model, as stats are drawn from.
 */
typedef struct
{
  gint64 created_ms;
  char *kind;
  char *model;
  char *task;
  char *prompt_text;
  guint attempt;
  gboolean ok;
  gboolean fell_back;
  char *error_kind;
  gboolean cached;
  gint64 tokens_in;
  gint64 tokens_out;
  double cost_usd;
  double ttft_ms;
  double latency_ms;
  char *request_key;
} RwStoredRequest;

/**
 * RwStoredAnswerGrade:
 * @grader: what graded it: a grader's name, "judge", "human"...
 * @score: its score, 0 to 1, NAN when none
 * @pass: 1 passed, 0 failed, -1 not said
 * @detail: (nullable): what the grader said: a judge's reasoning, a failed check
 * @source: "grader", "judge", "human"...
 */
typedef struct
{
  char *grader;
  double score;
  int pass;
  char *detail;
  char *source;
} RwStoredAnswerGrade;

/**
 * RwStoredPolicy:
 * @id: its id
 * @name: its name
 * @active: whether routewise/auto routes by it
 * @created_ms: when it was saved
 * @body: (nullable): the policy file's text, where the query says it reads it
 *
 * A saved routing policy.
 */
typedef struct
{
  char *id;
  char *name;
  gboolean active;
  gint64 created_ms;
  char *body;
} RwStoredPolicy;

/**
 * RwStoredGrade:
 * @id: its id
 * @response_id: the answer graded
 * @human: whether a person gave it
 * @score: the score, 0 to 1
 * @pass: 1 passed, 0 failed, -1 not said
 * @created_ms: when it was given
 * @weight: how much it counts in the answer's score
 * @metric: (nullable): the named metric it also counts towards
 */
typedef struct
{
  char *id;
  char *response_id;
  gboolean human;
  double score;
  int pass;
  gint64 created_ms;
  double weight;
  char *metric;
} RwStoredGrade;

/**
 * RwStoredVote:
 * @response_a: the first answer
 * @response_b: the second answer
 * @source: "human", "judge", "grader" or "import"
 * @outcome: "a", "b", "tie", "both_bad" or "best"
 * @task: (nullable): the task it counts for
 * @model_a: (nullable): the model of @response_a
 * @model_b: (nullable): the model of @response_b
 */
typedef struct
{
  char *response_a;
  char *response_b;
  char *source;
  char *outcome;
  char *task;
  char *model_a;
  char *model_b;
} RwStoredVote;

/**
 * RwStoredVoteTally:
 *
 * The votes of one source on the answers of two models: @wins for @model_a, @losses, @ties.
 */
typedef struct
{
  char *model_a;
  char *model_b;
  char *source;
  guint64 wins;
  guint64 losses;
  guint64 ties;
} RwStoredVoteTally;

/**
 * RwStoredGradedItem:
 *
 * How well one model answered one item (a prompt and a repetition), averaged over its graded
 * good answers, with what they cost and how long they took on average.
 */
typedef struct
{
  char *item;
  char *task;
  char *prompt;
  char *model;
  double score;
  double cost_usd;
  double latency_ms;
  char *benchmark;
} RwStoredGradedItem;

void rw_stored_run_free          (RwStoredRun        *run);
void rw_stored_response_free     (RwStoredResponse   *response);
void rw_stored_vote_free         (RwStoredVote       *vote);
void rw_stored_vote_tally_free   (RwStoredVoteTally  *tally);
void rw_stored_graded_item_free  (RwStoredGradedItem *item);
void rw_stored_comparison_free   (RwStoredComparison *comparison);
void rw_stored_request_free     (RwStoredRequest    *request);
void rw_stored_policy_free      (RwStoredPolicy     *policy);
void rw_stored_answer_grade_free (RwStoredAnswerGrade *grade);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwStoredRun, rw_stored_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwStoredComparison, rw_stored_comparison_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwStoredPolicy, rw_stored_policy_free)

typedef gboolean (*RwStoredResponseFunc) (const RwStoredResponse *response,
                                          gpointer                data);
typedef gboolean (*RwStoredGradeFunc)    (const RwStoredGrade    *grade,
                                          gpointer                data);
typedef gboolean (*RwStoredVoteFunc)     (const RwStoredVote     *vote,
                                          gpointer                data);

G_END_DECLS
