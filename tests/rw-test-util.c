/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "rw-test-util.h"

static void
delta_cb (RwModel           *model,
          const RwChatDelta *delta,
          gpointer           user_data)
{
  GString *deltas = user_data;
  if (deltas != NULL && delta->choice == 0 && delta->text != NULL)
    g_string_append (deltas, delta->text);
}

static void
done_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  RwChatResult **out = user_data;
  *out = rw_provider_chat_finish (RW_PROVIDER (object), res);
}

/* Runs one request on the thread-default main context until it completes. */
RwChatResult *
rw_test_chat_sync (RwProvider    *provider,
                   RwModel       *model,
                   RwChatRequest *request,
                   GString       *deltas,
                   GCancellable  *cancellable)
{
  RwChatResult *result = NULL;

  rw_provider_chat_async (provider, model, request, delta_cb, deltas, cancellable, done_cb,
                          &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return result;
}

/* Iterates the main context until *flag is set. */
void
rw_test_wait_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

char *
rw_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("routewise-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
rw_test_rmtree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rw_test_rmtree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

static sqlite3_stmt *
db_query (const char  *path,
          const char  *sql,
          sqlite3    **db)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (*db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  return stmt;
}

/* The first column of the first row of a query on its own read-only connection, or -1. */
gint64
rw_test_db_int (const char *path,
                const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = db_query (path, sql, &db);
  gint64 value = -1;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

char *
rw_test_db_text (const char *path,
                 const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = db_query (path, sql, &db);
  char *value = NULL;

  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

void
rw_test_http_sent_cb (GObject      *object,
                      GAsyncResult *res,
                      gpointer      data)
{
  RwTestHttpReply *reply = data;
  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (object), res, NULL);
  reply->done = TRUE;
}

/* Sends one request with libsoup, turning the thread-default main context (where a server
 * under test may run) until the whole reply is in; *out gets its body. */
SoupMessage *
rw_test_http (SoupSession *session,
              const char  *method,
              const char  *url,
              const char  *token,
              const char  *body,
              char       **out)
{
  SoupMessage *msg = soup_message_new (method, url);
  RwTestHttpReply reply = { 0 };

  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, rw_test_http_sent_cb,
                                    &reply);
  rw_test_wait_until (&reply.done);
  g_assert_nonnull (reply.body);
  *out = g_strndup (g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body));
  g_bytes_unref (reply.body);
  return msg;
}
