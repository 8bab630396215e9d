/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

#include "rw-answer-column.h"

G_BEGIN_DECLS

#define RW_TYPE_WINDOW (rw_window_get_type ())

G_DECLARE_FINAL_TYPE (RwWindow, rw_window, RW, WINDOW, AdwApplicationWindow)

RwWindow       *rw_window_new                 (GtkApplication     *app,
                                               RwCatalog          *catalog,
                                               RwStore            *store);
void            rw_window_set_selected_models (RwWindow           *self,
                                               const char * const *ids);
char          **rw_window_dup_selected_models (RwWindow           *self);
void            rw_window_set_prompt          (RwWindow           *self,
                                               const char         *text);
guint           rw_window_get_n_columns       (RwWindow           *self);
RwAnswerColumn *rw_window_get_column          (RwWindow           *self,
                                               guint               index);
const char     *rw_window_get_last_run_id     (RwWindow           *self);
void            rw_window_show_error          (RwWindow           *self,
                                               const char         *message);

G_END_DECLS
