/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-engine.h>

G_BEGIN_DECLS

RwChatResult *rw_test_chat_sync   (RwProvider     *provider,
                                   RwModel        *model,
                                   RwChatRequest  *request,
                                   GString        *deltas,
                                   GCancellable   *cancellable);
char         *rw_test_make_tmpdir (void);
void          rw_test_rmtree      (const char     *path);
void          rw_test_wait_until  (gboolean       *flag);
gint64        rw_test_db_int      (const char     *path,
                                   const char     *sql);
char         *rw_test_db_text     (const char     *path,
                                   const char     *sql);
/* A reply read by soup_session_send_and_read_async() with rw_test_http_sent_cb. */
typedef struct
{
  GBytes *body;
  gboolean done;
} RwTestHttpReply;

void          rw_test_http_sent_cb (GObject       *object,
                                   GAsyncResult   *res,
                                   gpointer        data);
SoupMessage  *rw_test_http        (SoupSession    *session,
                                   const char     *method,
                                   const char     *url,
                                   const char     *token,
                                   const char     *body,
                                   char          **out);

G_END_DECLS
