/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RW_TYPE_MARKDOWN_VIEW (rw_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (RwMarkdownView, rw_markdown_view, RW, MARKDOWN_VIEW, GtkTextView)

GtkWidget  *rw_markdown_view_new           (void);
void        rw_markdown_view_append        (RwMarkdownView *self,
                                            const char     *text);
void        rw_markdown_view_finish        (RwMarkdownView *self);
void        rw_markdown_view_set_markdown  (RwMarkdownView *self,
                                            const char     *text);
const char *rw_markdown_view_get_markdown  (RwMarkdownView *self);
void        rw_markdown_view_flush         (RwMarkdownView *self);
char       *rw_markdown_view_dup_shown     (RwMarkdownView *self);
guint       rw_markdown_view_get_n_renders (RwMarkdownView *self);

G_END_DECLS
