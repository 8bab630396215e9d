/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

/**
 * RwJudgeVerdict:
 * @RW_JUDGE_FIRST: the first answer given to rw_judge_pairwise_async() is better
 * @RW_JUDGE_SECOND: the second is better
 * @RW_JUDGE_TIE: neither, or the two orders disagreed
 */
typedef enum
{
  RW_JUDGE_FIRST,
  RW_JUDGE_SECOND,
  RW_JUDGE_TIE,
} RwJudgeVerdict;

#define RW_TYPE_JUDGE (rw_judge_get_type ())

G_DECLARE_FINAL_TYPE (RwJudge, rw_judge, RW, JUDGE, GObject)

RwJudge  *rw_judge_new              (RwRouter      *router,
                                     RwModel       *model);
RwModel  *rw_judge_get_model        (RwJudge       *self);
void      rw_judge_pointwise_async  (RwJudge       *self,
                                     const char    *question,
                                     const char    *answer,
                                     const char    *rubric,
                                     const char    *reference,
                                     GCancellable  *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer       user_data);
gboolean  rw_judge_pointwise_finish (RwJudge       *self,
                                     GAsyncResult  *result,
                                     double        *rating,
                                     char         **detail,
                                     GError       **error);
void      rw_judge_pairwise_async   (RwJudge       *self,
                                     const char    *question,
                                     const char    *first,
                                     const char    *second,
                                     GCancellable  *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer       user_data);
gboolean  rw_judge_pairwise_finish  (RwJudge       *self,
                                     GAsyncResult  *result,
                                     RwJudgeVerdict *verdict,
                                     char         **detail,
                                     GError       **error);
void      rw_judge_grade_async      (RwJudge       *self,
                                     JsonObject    *spec,
                                     const char    *question,
                                     const char    *answer,
                                     const char    *reference,
                                     GCancellable  *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer       user_data);
gboolean  rw_judge_grade_finish     (RwJudge       *self,
                                     GAsyncResult  *result,
                                     double        *score,
                                     gboolean      *pass,
                                     char         **detail,
                                     GError       **error);
void      rw_judge_questions_for_async  (RwJudge       *self,
                                         const char    *answer,
                                         guint          n,
                                         GCancellable  *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer       user_data);
char    **rw_judge_questions_for_finish (RwJudge       *self,
                                         GAsyncResult  *result,
                                         GError       **error);
void      rw_judge_select_best_async    (RwJudge       *self,
                                         const char    *criteria,
                                         const char * const *outputs,
                                         guint          n_outputs,
                                         GCancellable  *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer       user_data);
int       rw_judge_select_best_finish   (RwJudge       *self,
                                         GAsyncResult  *result,
                                         char         **detail,
                                         GError       **error);
gboolean  rw_judge_read_reply       (JsonObject    *spec,
                                     guint          n,
                                     const char    *reply,
                                     double        *score,
                                     gboolean      *pass,
                                     char         **detail,
                                     GError       **error);
gboolean  rw_judge_is_graded_type   (const char    *type);
double    rw_judge_parse_rating     (const char    *text);
int       rw_judge_parse_choice     (const char    *text);

G_END_DECLS
