/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

#include "rw-answer-column.h"

G_BEGIN_DECLS

#define RW_TYPE_COMPARE_PAGE (rw_compare_page_get_type ())

G_DECLARE_FINAL_TYPE (RwComparePage, rw_compare_page, RW, COMPARE_PAGE, GtkBox)

void            rw_compare_page_set_engine          (RwComparePage      *self,
                                                     RwCatalog          *catalog,
                                                     RwStore            *store);
void            rw_compare_page_set_selected_models (RwComparePage      *self,
                                                     const char * const *ids);
char          **rw_compare_page_dup_selected_models (RwComparePage      *self);
void            rw_compare_page_set_prompt          (RwComparePage      *self,
                                                     const char         *text);
guint           rw_compare_page_get_n_columns       (RwComparePage      *self);
RwAnswerColumn *rw_compare_page_get_column          (RwComparePage      *self,
                                                     guint               index);
const char     *rw_compare_page_get_last_run_id     (RwComparePage      *self);
const char     *rw_compare_page_get_columns_hint    (RwComparePage      *self);
gboolean        rw_compare_page_is_running          (RwComparePage      *self);
gboolean        rw_compare_page_show_stored         (RwComparePage      *self,
                                                     const char         *run_id,
                                                     GError            **error);

void           rw_compare_page_set_policy (RwComparePage *self,
                                           RwPolicy      *policy);

G_END_DECLS
