/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-markdown-view.h"

G_BEGIN_DECLS

/* The renderer RwMarkdownView draws with (rw-markdown-render.c). */
typedef struct _RwMarkdownRenderer RwMarkdownRenderer;

RwMarkdownRenderer *_rw_markdown_renderer_new       (GtkTextView        *view);
void                _rw_markdown_renderer_free      (RwMarkdownRenderer *self);
void                _rw_markdown_renderer_render    (RwMarkdownRenderer *self,
                                                     const char         *text,
                                                     gsize               len,
                                                     gboolean            tail);
void                _rw_markdown_renderer_drop_tail (RwMarkdownRenderer *self);

G_END_DECLS
