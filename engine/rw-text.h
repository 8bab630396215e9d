/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * RwJsonLineFunc:
 * @object: one line's object
 * @line: the line number, from 1
 * @user_data: closure data
 */
typedef void (*RwJsonLineFunc) (JsonObject *object,
                                guint       line,
                                gpointer    user_data);

/**
 * RwTextFeatureFunc:
 * @bucket: a feature's bucket
 * @user_data: closure data
 */
typedef void (*RwTextFeatureFunc) (guint    bucket,
                                   gpointer user_data);

/* The words of a text its features are taken from. */
#define RW_TEXT_MAX_WORDS 16384
void   rw_text_each_feature    (guint              buckets,
                                const char        *text,
                                RwTextFeatureFunc  func,
                                gpointer           user_data);
void   rw_text_count_numbers   (const char        *text,
                                guint             *n_numbers,
                                guint             *n_distinct);
char  *rw_text_normalize_space (const char     *text);
gboolean rw_text_has_word      (const char     *text,
                                const char     *word);
void   rw_text_position        (const char     *text,
                                const char     *at,
                                guint          *line,
                                guint          *column);
guint  rw_jsonl_foreach        (GBytes         *bytes,
                                RwJsonLineFunc  func,
                                gpointer        user_data);

void       rw_csv_append_text  (GString        *out,
                               const char     *text);
GPtrArray *rw_csv_read_record  (const char     *data,
                               gsize           length,
                               gsize          *pos,
                               guint          *line,
                               GError        **error);
GPtrArray *rw_csv_read_row     (const char     *data,
                               gsize           length,
                               gsize          *pos,
                               guint          *line,
                               guint           n_fields,
                               const char     *name,
                               guint          *row_line,
                               GError        **error);

G_END_DECLS
