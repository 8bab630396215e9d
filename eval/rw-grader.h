/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include "rw-suite.h"

G_BEGIN_DECLS

/**
 * RwGrade:
 * @grader: the grader's name ("numeric", "regex", ...)
 * @score: from 0 to 1
 * @pass: whether the answer passes
 * @detail: why, in words
 */
typedef struct
{
  char *grader;
  double score;
  gboolean pass;
  char *detail;
  double weight;            /* in the answer's weighted score; 1 unless the grader says */
  char *metric;             /* the named metric it also counts towards, or NULL */
} RwGrade;

/**
 * RwGraderNeeds:
 * @RW_GRADER_NEEDS_JUDGE: a judge model (model-graded grades, pairwise comparisons)
 * @RW_GRADER_NEEDS_EMBEDDING: an embedding model (similar, answer-relevance)
 * @RW_GRADER_NEEDS_MODERATION: a moderation model (moderation)
 * @RW_GRADER_NEEDS_MODELS: the answers of two models or more (select-best)
 *
 * What an item's grades need besides its answer.
 */
typedef enum
{
  RW_GRADER_NEEDS_JUDGE = 1 << 0,
  RW_GRADER_NEEDS_EMBEDDING = 1 << 1,
  RW_GRADER_NEEDS_MODERATION = 1 << 2,
  RW_GRADER_NEEDS_MODELS = 1 << 3,
} RwGraderNeeds;

void       rw_grade_free              (RwGrade      *grade);
RwGrade   *rw_grader_grade            (JsonObject   *spec,
                                       const char   *answer,
                                       const char   *reference,
                                       GError      **error);
char      *rw_grader_transform        (JsonObject   *transform,
                                      const char   *answer,
                                      const char   *tool_calls,
                                      GError      **error);
char      *rw_grader_transform_answer (RwSuiteItem  *item,
                                      JsonObject   *spec,
                                      const char   *answer,
                                      const char   *tool_calls,
                                      GError      **error);
GPtrArray *rw_grader_grade_result     (RwSuiteItem  *item,
                                      RwChatResult *result,
                                      GError      **error);
GPtrArray *rw_grader_grade_item       (RwSuiteItem  *item,
                                       const char   *answer,
                                       const char   *tool_calls,
                                       GError      **error);
gboolean   rw_grader_is_judge         (JsonObject   *spec);
JsonObject *rw_grader_get_judge_spec  (RwSuiteItem  *item);
GHashTable *rw_grader_list_judged     (RwSuiteItem  *item);
RwGraderNeeds rw_grader_item_needs    (RwSuiteItem  *item);
gboolean   rw_grader_is_deferred      (JsonObject   *spec);
double     rw_grader_get_weight       (JsonObject   *spec);
gboolean   rw_grader_final_number     (const char   *text,
                                       double       *value);
char       rw_grader_choice_letter    (const char   *text);
gboolean   rw_grader_check_schema     (JsonNode     *value,
                                       JsonObject   *schema,
                                       GString      *why);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwGrade, rw_grade_free)

G_END_DECLS
