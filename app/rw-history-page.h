/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_HISTORY_PAGE (rw_history_page_get_type ())

G_DECLARE_FINAL_TYPE (RwHistoryPage, rw_history_page, RW, HISTORY_PAGE, GtkBox)

void        rw_history_page_set_store      (RwHistoryPage  *self,
                                            RwStore        *store);
void        rw_history_page_reload         (RwHistoryPage  *self);
void        rw_history_page_set_search     (RwHistoryPage  *self,
                                            const char     *text);
GPtrArray  *rw_history_page_get_listed     (RwHistoryPage  *self);
void        rw_history_page_delete         (RwHistoryPage  *self,
                                            const char     *id);
void        rw_history_page_export_async (RwHistoryPage      *self,
                                          const char         *format,
                                          GFile              *file,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean    rw_history_page_export_finish (RwHistoryPage  *self,
                                           GAsyncResult   *result,
                                           GError        **error);

G_END_DECLS
