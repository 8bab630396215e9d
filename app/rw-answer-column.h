/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

#include "rw-markdown-view.h"

G_BEGIN_DECLS

#define RW_TYPE_ANSWER_COLUMN (rw_answer_column_get_type ())

G_DECLARE_FINAL_TYPE (RwAnswerColumn, rw_answer_column, RW, ANSWER_COLUMN, GtkBox)

RwAnswerColumn *rw_answer_column_new          (RwModel        *model,
                                               const char     *blind_label);
RwModel        *rw_answer_column_get_model    (RwAnswerColumn *self);
void            rw_answer_column_append       (RwAnswerColumn *self,
                                               const char     *text);
void            rw_answer_column_finish       (RwAnswerColumn *self,
                                               RwChatResult   *result);
char           *rw_answer_column_dup_text     (RwAnswerColumn *self);
char           *rw_answer_column_dup_shown_text (RwAnswerColumn *self);
RwMarkdownView *rw_answer_column_get_markdown_view (RwAnswerColumn *self);
const char     *rw_answer_column_get_metrics  (RwAnswerColumn *self);
void            rw_answer_column_set_revealed (RwAnswerColumn *self,
                                               gboolean        revealed);
void            rw_answer_column_set_can_pick (RwAnswerColumn *self,
                                               gboolean        can_pick,
                                               guint           index);
void            rw_answer_column_set_picked   (RwAnswerColumn *self,
                                               gboolean        picked);

G_END_DECLS
