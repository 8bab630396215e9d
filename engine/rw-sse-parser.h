/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RwSseParser RwSseParser;

/**
 * RwSseEventFunc:
 * @event: the event type, "message" when the stream named none
 * @data: the event's data lines joined by newlines, NUL-terminated
 * @data_len: the length of @data
 * @user_data: closure data
 * @error: where to report why parsing must stop
 *
 * Returns: %FALSE with @error set to stop parsing
 */
typedef gboolean (*RwSseEventFunc) (const char  *event,
                                    const char  *data,
                                    gsize        data_len,
                                    gpointer     user_data,
                                    GError     **error);

RwSseParser *rw_sse_parser_new            (RwSseEventFunc  func,
                                           gpointer        user_data);
void         rw_sse_parser_free           (RwSseParser    *self);
void         rw_sse_parser_set_max_size   (RwSseParser    *self,
                                           gsize           max_event_size);
gboolean     rw_sse_parser_feed           (RwSseParser    *self,
                                           const char     *buf,
                                           gsize           len,
                                           GError        **error);
gboolean     rw_sse_parser_has_partial    (RwSseParser    *self);
guint64      rw_sse_parser_get_n_events   (RwSseParser    *self);
const char  *rw_sse_parser_get_last_id    (RwSseParser    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwSseParser, rw_sse_parser_free)

G_END_DECLS
