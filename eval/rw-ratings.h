/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

typedef struct _RwComparisons RwComparisons;

RwComparisons *rw_comparisons_new              (void);
void           rw_comparisons_free             (RwComparisons  *self);
gboolean       rw_comparisons_add              (RwComparisons  *self,
                                                const char     *task,
                                                const char     *a,
                                                const char     *b,
                                                double          score_a,
                                                double          weight,
                                                const char     *key);
gboolean       rw_comparisons_load_store       (RwComparisons  *self,
                                                RwStore        *store,
                                                GError        **error);
gboolean       rw_comparisons_load_store_filtered (RwComparisons *self,
                                                RwStore        *store,
                                                const RwVoteFilter *filter,
                                                GError        **error);
gboolean       rw_comparisons_load_csv         (RwComparisons  *self,
                                                const char     *path,
                                                GError        **error);
guint64        rw_comparisons_get_n            (RwComparisons  *self);
guint64        rw_comparisons_get_n_from       (RwComparisons  *self,
                                                const char     *source);
guint64        rw_comparisons_get_n_duplicates (RwComparisons  *self);
GStrv          rw_comparisons_dup_tasks        (RwComparisons  *self);
JsonNode      *rw_comparisons_rate             (RwComparisons  *self,
                                                const char     *task,
                                                guint           n_bootstrap,
                                                guint32         seed);
gboolean       rw_comparisons_get_theta        (RwComparisons  *self,
                                                const char     *task,
                                                const char     *model,
                                                double         *theta);
gboolean       rw_bradley_terry_fit            (guint           k,
                                                const double   *wins,
                                                double         *theta,
                                                guint          *iterations,
                                                gboolean       *regularized);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwComparisons, rw_comparisons_free)

G_END_DECLS
