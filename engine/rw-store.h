/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "rw-chat-request.h"
#include "rw-chat-result.h"
#include "rw-model.h"
#include "rw-store-records.h"
#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_STORE (rw_store_get_type ())

G_DECLARE_FINAL_TYPE (RwStore, rw_store, RW, STORE, GObject)

#define RW_STORE_SCHEMA_VERSION 12

/**
 * RwVoteOutcome:
 * @RW_VOTE_A: the first (left) answer is better
 * @RW_VOTE_B: the second (right) answer is better
 * @RW_VOTE_TIE: both are as good
 * @RW_VOTE_BOTH_BAD: neither is good
 * @RW_VOTE_BEST: one answer among several is the best
 */
typedef enum
{
  RW_VOTE_A,
  RW_VOTE_B,
  RW_VOTE_TIE,
  RW_VOTE_BOTH_BAD,
  RW_VOTE_BEST,
} RwVoteOutcome;

RwStore    *rw_store_open              (const char     *path,
                                        GError        **error);
RwStore    *rw_store_open_default      (GError        **error);
const char *rw_store_get_path          (RwStore        *self);
int         rw_store_get_schema_version (RwStore       *self);
guint       rw_store_get_n_write_errors (RwStore       *self);

typedef void (*RwStoreJobFunc) (RwStore  *store,
                                gpointer  data);
void        rw_store_run_job           (RwStore        *self,
                                        RwStoreJobFunc  func,
                                        gpointer        data,
                                        GDestroyNotify  destroy);
void        rw_store_close             (RwStore        *self);
gboolean    rw_store_flush             (RwStore        *self,
                                        GError        **error);
void        rw_store_flush_async       (RwStore        *self,
                                        GCancellable   *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer        user_data);
gboolean    rw_store_flush_finish      (RwStore        *self,
                                        GAsyncResult   *result,
                                        GError        **error);
char       *rw_store_record_prompt     (RwStore        *self,
                                        RwChatRequest  *request);
void        rw_store_record_model      (RwStore        *self,
                                        RwModel        *model);
char       *rw_store_begin_run         (RwStore        *self,
                                        const char     *kind,
                                        JsonNode       *params);
void        rw_store_finish_run        (RwStore        *self,
                                        const char     *run_id,
                                        const char     *status);
char       *rw_store_record_answer     (RwStore        *self,
                                        const RwAnswerRecord *answer);
void        rw_store_record_grade      (RwStore        *self,
                                        const char     *response_id,
                                        const char     *grader,
                                        double          score,
                                        gboolean        pass,
                                        const char     *detail,
                                        const char     *source);
void        rw_store_record_weighted_grade (RwStore    *self,
                                        const char     *response_id,
                                        const char     *grader,
                                        double          score,
                                        gboolean        pass,
                                        const char     *detail,
                                        const char     *source,
                                        double          weight,
                                        const char     *metric);
void        rw_store_set_run_status    (RwStore        *self,
                                        const char     *run_id,
                                        const char     *status);
/* How long a claim lives without a heartbeat: a holder silent for longer is taken to be gone. */
#define RW_STORE_CLAIM_STALE_MS (60 * 1000)
#define RW_STORE_HEARTBEAT_S    10
char       *rw_store_claim_run         (RwStore        *self,
                                        const char     *run_id,
                                        GError        **error);
void        rw_store_heartbeat_run     (RwStore        *self,
                                        const char     *run_id,
                                        const char     *claim);
void        rw_store_release_run       (RwStore        *self,
                                        const char     *run_id,
                                        const char     *claim);
typedef struct _RwRunHold RwRunHold;
RwRunHold  *rw_store_hold_run          (RwStore        *self,
                                        const char     *run_id,
                                        GError        **error);
void        rw_run_hold_release        (RwRunHold      *hold);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwRunHold, rw_run_hold_release)
char       *rw_store_record_vote       (RwStore        *self,
                                        const char     *prompt_id,
                                        const char     *run_id,
                                        const char     *task,
                                        RwVoteOutcome   outcome,
                                        const char * const *response_ids,
                                        const char     *winner_id,
                                        const char     *source);
char       *rw_store_record_compare    (RwStore        *self,
                                        RwChatRequest  *request,
                                        GPtrArray      *models,
                                        GPtrArray      *results,
                                        const char     *source,
                                        gboolean        cancelled,
                                        char          **prompt_id,
                                        GStrv          *response_ids);
/* Runs */
char       *rw_store_dup_latest_run_id (RwStore        *self,
                                        const char     *kind,
                                        GError        **error);
RwStoredRun *rw_store_lookup_run       (RwStore        *self,
                                        const char     *run_id,
                                        const char     *kind,
                                        GError        **error);
char       *rw_store_dup_evidence_stamp (RwStore       *self,
                                        GError        **error);
RwStoredRun *rw_store_lookup_import    (RwStore        *self,
                                        const char     *source,
                                        const char     *sha256,
                                        GError        **error);
char       *rw_store_dup_eval_run_for_key (RwStore     *self,
                                        const char     *key,
                                        GError        **error);
GPtrArray  *rw_store_list_runs         (RwStore        *self,
                                        const char     *kind,
                                        gboolean        unfinished,
                                        guint           limit,
                                        GError        **error);

/* Responses */
gboolean    rw_store_has_response      (RwStore        *self,
                                        const char     *response_id,
                                        GError        **error);
gboolean    rw_store_foreach_run_response (RwStore     *self,
                                        const char     *run_id,
                                        RwStoredResponseFunc func,
                                        gpointer        data,
                                        GError        **error);
GPtrArray  *rw_store_list_answered     (RwStore        *self,
                                        const char     *run_id,
                                        GError        **error);
GPtrArray  *rw_store_list_reusable_answers (RwStore    *self,
                                        const char * const *request_hashes,
                                        GError        **error);
GPtrArray  *rw_store_list_ungraded_answers (RwStore    *self,
                                        const char     *run_id,
                                        const char     *grader,
                                        GError        **error);
GPtrArray  *rw_store_list_run_answers  (RwStore        *self,
                                        const char     *run_id,
                                        gboolean        with_texts,
                                        GError        **error);
GPtrArray  *rw_store_list_graded_items (RwStore        *self,
                                        GError        **error);

/* The history of comparisons */
GPtrArray  *rw_store_list_history      (RwStore        *self,
                                        const RwHistoryFilter *filter,
                                        GError        **error);
RwStoredComparison *rw_store_lookup_comparison (RwStore *self,
                                        const char     *run_id,
                                        GError        **error);
GPtrArray  *rw_store_list_comparison_answers (RwStore  *self,
                                        const char     *run_id,
                                        GError        **error);
void        rw_store_delete_comparison (RwStore        *self,
                                        const char     *run_id);
GPtrArray  *rw_store_list_compared_models (RwStore     *self,
                                        GError        **error);
GPtrArray  *rw_store_list_compared_tasks (RwStore      *self,
                                        GError        **error);

/* Votes and grades */
gboolean    rw_store_foreach_run_grade (RwStore        *self,
                                        const char     *run_id,
                                        RwStoredGradeFunc func,
                                        gpointer        data,
                                        GError        **error);
gboolean    rw_store_foreach_run_vote  (RwStore        *self,
                                        const char     *run_id,
                                        RwStoredVoteFunc func,
                                        gpointer        data,
                                        GError        **error);
GPtrArray  *rw_store_list_answer_grades (RwStore      *self,
                                        const char     *response_id,
                                        GError        **error);
GPtrArray  *rw_store_list_run_vote_tallies (RwStore    *self,
                                        const char     *run_id,
                                        GError        **error);
GPtrArray  *rw_store_list_pairwise_votes (RwStore      *self,
                                        GError        **error);
GPtrArray  *rw_store_list_pairwise_votes_filtered (RwStore *self,
                                        const RwVoteFilter *filter,
                                        GError        **error);
GPtrArray  *rw_store_list_requests     (RwStore        *self,
                                        gint64          since_ms,
                                        gint64          until_ms,
                                        GError        **error);

/* Saved policies */
char       *rw_store_save_policy       (RwStore        *self,
                                        const char     *name,
                                        const char     *body,
                                        gboolean        activate);
void        rw_store_activate_policy   (RwStore        *self,
                                        const char     *id);
void        rw_store_delete_policy     (RwStore        *self,
                                        const char     *id);
GPtrArray  *rw_store_list_policies     (RwStore        *self,
                                        GError        **error);
gboolean    rw_store_get_active_policy_id (RwStore     *self,
                                           char       **id,
                                           GError     **error);
RwStoredPolicy *rw_store_lookup_policy (RwStore        *self,
                                        const char     *id,
                                        GError        **error);

double      rw_store_sum_cost_since    (RwStore        *self,
                                        gint64          since_ms,
                                        const char     *except_run_id,
                                        GError        **error);
const char *rw_vote_outcome_to_string  (RwVoteOutcome  outcome);

void      rw_store_begin_group        (RwStore        *self);
void      rw_store_end_group          (RwStore        *self);
void      rw_store_when_stored_async  (RwStore             *self,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void      rw_store_when_stored_finish (RwStore             *self,
                                       GAsyncResult        *result);
void      rw_store_set_group_commit   (RwStore        *self,
                                       gboolean        enabled);

G_END_DECLS
