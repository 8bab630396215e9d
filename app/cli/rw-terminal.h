/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdio.h>
#include <routewise-engine.h>

G_BEGIN_DECLS

typedef struct _RwTerminalView RwTerminalView;

RwTerminalView *rw_terminal_view_new      (GPtrArray      *models,
                                           FILE           *out);
void            rw_terminal_view_append   (RwTerminalView *self,
                                           guint           index,
                                           const char     *text);
void            rw_terminal_view_finish   (RwTerminalView *self,
                                           guint           index,
                                           RwChatResult   *result);
void            rw_terminal_view_close    (RwTerminalView *self);
void            rw_terminal_view_free     (RwTerminalView *self);
char           *rw_terminal_format_block  (RwModel        *model,
                                           RwChatResult   *result,
                                           gboolean        color);
GPtrArray      *rw_terminal_metrics_lines (RwChatResult   *result);
GPtrArray      *rw_terminal_wrap          (const char     *text,
                                           guint           width);
char           *rw_terminal_sanitize      (const char     *text);

G_END_DECLS
