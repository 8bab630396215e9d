/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_COMPARE_OPTIONS (rw_compare_options_get_type ())

G_DECLARE_FINAL_TYPE (RwCompareOptions, rw_compare_options, RW, COMPARE_OPTIONS, GtkPopover)

RwChatRequest *rw_compare_options_make_request (RwCompareOptions *self,
                                                const char       *prompt);
char          *rw_compare_options_describe     (RwCompareOptions *self);

G_END_DECLS
