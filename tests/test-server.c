/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <routewise-engine.h>

#include "rw-http-private.h"
#include "rw-server-private.h"
#include "rw-hostile-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

#define TOKEN "rw-server-test-token-000111222333"

typedef struct
{
  RwTestWorld *world;
  RwMockUpstream *mock;       /* the world's */
  RwCatalog *catalog;
  RwStore *store;
  RwRouter *router;
  RwServer *server;
  SoupSession *session;
  char *base;
} Fixture;

static const char * const hello[] = { "Hello", ", ", "world", "!", NULL };

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\","
    "                 \"max_answer_bytes\": 67108864},"
    "                {\"id\": \"anth\", \"kind\": \"anthropic\", \"base_url\": \"$URL\"}],"
    " \"models\": [{\"id\": \"mock/good\", \"provider\": \"mock\", \"name\": \"good\","
    "               \"input_price\": 1, \"output_price\": 2},"
    "              {\"id\": \"mock/slow\", \"provider\": \"mock\", \"name\": \"slow\"},"
    "              {\"id\": \"anth/claude\", \"provider\": \"anth\", \"name\": \"claude\"}]}",
    TRUE);
  f->mock = f->world->mock;
  f->catalog = f->world->catalog;
  f->store = f->world->store;
  f->router = f->world->router;
  f->server = rw_server_new (f->router, TOKEN);
  rw_server_set_heartbeat (f->server, 50);
  /* The suite runs with one event loop, and again with three. */
  rw_server_set_threads (f->server, MAX (1, GPOINTER_TO_UINT (data)));
  g_assert_true (rw_server_listen (f->server, 0, &error));
  f->base = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (f->server));
  f->session = soup_session_new_with_options ("max-conns-per-host", 32, NULL);
  rw_mock_upstream_set_default (f->mock, "good", rw_mock_reply_new_stream (hello, 11, 5, TRUE));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_object_unref (f->session);
  rw_server_stop (f->server);
  g_object_unref (f->server);
  rw_test_world_free (f->world);
  g_free (f->base);
}

static SoupMessage *
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *token,
         const char *body,
         char      **out)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);

  return rw_test_http (f->session, method, url, token, body, out);
}

static void
test_models (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(SoupMessage) msg = request (f, "GET", "/models", TOKEN, NULL, &out);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (strstr (out, "\"routewise/auto\""));
  g_assert_nonnull (strstr (out, "\"mock/good\""));
}

/* GET /v1/models/{id}: a model, its slash sent as is or encoded; routewise/auto; a 404 with
 * OpenAI's code for one that does not exist. */
static void
test_model_retrieve (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  g_autoptr(SoupMessage) m1 = request (f, "GET", "/models/mock/good", TOKEN, NULL, &a);
  g_autoptr(SoupMessage) m2 = request (f, "GET", "/models/mock%2Fgood", TOKEN, NULL, &b);
  g_autoptr(SoupMessage) m3 = request (f, "GET", "/models/routewise/auto", TOKEN, NULL, &c);
  g_autoptr(SoupMessage) m4 = request (f, "GET", "/models/no/such", TOKEN, NULL, &d);

  g_assert_cmpuint (soup_message_get_status (m1), ==, 200);
  g_assert_nonnull (strstr (a, "\"id\":\"mock/good\""));
  g_assert_nonnull (strstr (a, "\"owned_by\":\"mock\""));
  g_assert_nonnull (strstr (a, "\"object\":\"model\""));
  g_assert_cmpuint (soup_message_get_status (m2), ==, 200);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (soup_message_get_status (m3), ==, 200);
  g_assert_nonnull (strstr (c, "\"id\":\"routewise/auto\""));
  g_assert_cmpuint (soup_message_get_status (m4), ==, 404);
  g_assert_nonnull (strstr (d, "model_not_found"));
  g_assert_nonnull (strstr (d, "no/such"));
}

/* A limit the caller named max_completion_tokens (the only name OpenAI's reasoning models take)
 * reaches an OpenAI-compatible upstream under that name; max_tokens stays max_tokens. */
static void
test_max_completion_tokens (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *a = NULL, *b = NULL;
  g_autofree char *first = NULL, *second = NULL;
  g_autoptr(SoupMessage) m1 = request (f, "POST", "/chat/completions", TOKEN,
                                       "{\"model\": \"mock/good\", \"max_completion_tokens\": 64,"
                                       " \"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}",
                                       &a);

  g_assert_cmpuint (soup_message_get_status (m1), ==, 200);
  first = rw_mock_upstream_dup_last_body (f->mock);
  g_assert_nonnull (strstr (first, "\"max_completion_tokens\":64"));
  g_assert_null (strstr (first, "\"max_tokens\""));
  {
    g_autoptr(SoupMessage) m2 = request (f, "POST", "/chat/completions", TOKEN,
                                         "{\"model\": \"mock/good\", \"max_tokens\": 32,"
                                         " \"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}",
                                         &b);
    g_assert_cmpuint (soup_message_get_status (m2), ==, 200);
  }
  second = rw_mock_upstream_dup_last_body (f->mock);
  g_assert_nonnull (strstr (second, "\"max_tokens\":32"));
  g_assert_null (strstr (second, "max_completion_tokens"));
}

static void
test_completion_stored (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(SoupMessage) msg = request (f, "POST", "/chat/completions", TOKEN,
                                        "{\"model\": \"mock/good\", \"metadata\": {\"task\": \"greeting\"},"
                                        " \"messages\": [{\"role\": \"user\", \"content\": \"Say hello\"}]}",
                                        &out);
  SoupMessageHeaders *h = soup_message_get_response_headers (msg);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (h, "x-routewise-model"), ==, "mock/good");
  g_assert_cmpstr (soup_message_headers_get_one (h, "x-routewise-task"), ==, "greeting");
  g_assert_nonnull (strstr (out, "\"content\":\"Hello, world!\""));
  /* A task is echoed into the reply's header only as visible ASCII: CR LF cannot end the header
   * and add another, or a body. */
  {
    g_autofree char *out2 = NULL;
    g_autoptr(SoupMessage) evil = request (f, "POST", "/chat/completions", TOKEN,
                                           "{\"model\": \"mock/good\", \"metadata\": {\"task\": "
                                           "\"x\\r\\nX-Evil: 1\\r\\n\\r\\n<html>\"},"
                                           " \"messages\": [{\"role\": \"user\", \"content\": \"Say hi\"}]}",
                                           &out2);
    SoupMessageHeaders *eh = soup_message_get_response_headers (evil);

    g_assert_cmpuint (soup_message_get_status (evil), ==, 200);
    g_assert_null (soup_message_headers_get_one (eh, "X-Evil"));
    g_assert_cmpstr (soup_message_headers_get_one (eh, "x-routewise-task"), ==,
                     "x%0D%0AX-Evil: 1%0D%0A%0D%0A<html>");
    g_assert_nonnull (strstr (out2, "\"content\":\"Hello, world!\""));
  }
  /* metadata.task is Routewise's own hint: it does not go upstream, nor an empty metadata. */
  {
    g_autofree char *sent = rw_mock_upstream_dup_last_body (f->mock);
    g_assert_null (strstr (sent, "metadata"));
  }

  /* Every request is stored with its task, without the caller waiting for it. */
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (rw_test_db_int (rw_store_get_path (f->store),
                                   "SELECT count(*) FROM responses r JOIN runs u ON u.id = r.run_id "
                                   "JOIN prompts p ON p.id = r.prompt_id WHERE u.kind = 'serve' AND "
                                   "r.model = 'mock/good' AND r.status = 'ok' AND p.task = 'greeting' "
                                   "AND r.cost_usd > 0"), ==, 1);
}

/* Whatever protocol the upstream speaks, the caller sees OpenAI's format. */
static void
test_other_protocol (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *whole = NULL;
  g_autofree char *streamed = NULL;
  g_autoptr(SoupMessage) m1 = NULL;
  g_autoptr(SoupMessage) m2 = NULL;

  rw_mock_upstream_set_default (f->mock, "claude",
                                rw_mock_reply_new_protocol_stream (RW_MOCK_ANTHROPIC, hello, 11, 5));
  m1 = request (f, "POST", "/chat/completions", TOKEN,
                "{\"model\": \"anth/claude\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                &whole);
  g_assert_cmpuint (soup_message_get_status (m1), ==, 200);
  g_assert_nonnull (strstr (whole, "\"object\":\"chat.completion\""));
  g_assert_nonnull (strstr (whole, "\"content\":\"Hello, world!\""));
  g_assert_nonnull (strstr (whole, "\"completion_tokens\":5"));

  m2 = request (f, "POST", "/chat/completions", TOKEN,
                "{\"model\": \"anth/claude\", \"stream\": true, \"stream_options\": {\"include_usage\": true},"
                " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", &streamed);
  g_assert_nonnull (strstr (streamed, "\"object\":\"chat.completion.chunk\""));
  g_assert_nonnull (strstr (streamed, "\"delta\":{\"content\":\"world\"}"));
  g_assert_nonnull (strstr (streamed, "\"finish_reason\":\"stop\""));
  g_assert_nonnull (strstr (streamed, "\"prompt_tokens\":11"));
  g_assert_true (g_str_has_suffix (streamed, "data: [DONE]\n\n"));
}

static void
test_bad_requests (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *g = NULL;
  g_autoptr(SoupMessage) m1 = request (f, "POST", "/chat/completions", TOKEN, "{not json", &a);
  g_autoptr(SoupMessage) m2 = request (f, "POST", "/chat/completions", TOKEN,
                                       "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", &b);
  g_autoptr(SoupMessage) m3 = request (f, "GET", "/chat/completions", TOKEN, NULL, &c);
  g_autoptr(SoupMessage) m4 = request (f, "GET", "/images/generations", TOKEN, NULL, &d);
  g_autoptr(SoupMessage) m5 = request (f, "GET", "/models", NULL, NULL, &e);
  /* Members of the wrong kind are refused, not taken for granted. */
  g_autoptr(SoupMessage) m6 = request (f, "POST", "/chat/completions", TOKEN,
                                       "{\"model\": \"mock/a\", \"messages\": [{\"role\": {}, "
                                       "\"content\": [{\"text\": []}]}]}", &g);

  g_assert_cmpuint (soup_message_get_status (m1), ==, 400);
  g_assert_nonnull (strstr (a, "\"type\":\"invalid_request_error\""));
  g_assert_cmpuint (soup_message_get_status (m2), ==, 400);
  g_assert_nonnull (strstr (b, "model"));
  g_assert_cmpuint (soup_message_get_status (m3), ==, 405);
  g_assert_cmpuint (soup_message_get_status (m4), ==, 404);
  g_assert_nonnull (strstr (d, "/v1/embeddings"));
  g_assert_cmpuint (soup_message_get_status (m5), ==, 401);
  g_assert_null (strstr (e, TOKEN));
  g_assert_cmpuint (soup_message_get_status (m6), ==, 400);
  g_assert_nonnull (strstr (g, "messages[0] has no"));
}

static void
test_upstream_errors (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  RwMockReply *limited = rw_mock_reply_new_json (429, "{\"error\":{\"message\":\"slow down\"}}");

  rw_router_set_retries (f->router, 0, 1, 1);
  rw_mock_upstream_push (f->mock, "slow", limited);
  msg = request (f, "POST", "/chat/completions", TOKEN,
                 "{\"model\": \"mock/slow\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                 &out);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 429);
  g_assert_nonnull (strstr (out, "\"code\":\"rate_limited\""));
  /* Without a wait from the upstream, none is made up. */
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                               "Retry-After"));

  /* The wait the upstream asked for reaches the caller, whole seconds rounded up. */
  {
    g_autoptr(SoupMessage) again = NULL;
    g_autofree char *out2 = NULL;
    RwMockReply *wait = rw_mock_reply_new_json (429, "{\"error\":{\"message\":\"slow down\"}}");

    rw_mock_reply_add_header (wait, "Retry-After", "7");
    rw_mock_upstream_push (f->mock, "slow", wait);
    again = request (f, "POST", "/chat/completions", TOKEN,
                     "{\"model\": \"mock/slow\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                     &out2);
    g_assert_cmpuint (soup_message_get_status (again), ==, 429);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (again),
                                                   "Retry-After"), ==, "7");
  }
}

static void
read_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      data)
{
  gboolean *done = data;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), res, NULL);
  *done = TRUE;
}

/* A client that goes away mid-stream stops the upstream request, which is stored cancelled. */
static void
test_client_disconnect (Fixture       *f,
                        gconstpointer  data)
{
  RwMockReply *stall = rw_mock_reply_new_stream (hello, 11, 5, TRUE);
  g_autofree char *url = g_strconcat (f->base, "/chat/completions", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  static const char json[] = "{\"model\": \"mock/slow\", \"stream\": true, "
                             "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}";
  g_autoptr(GBytes) body = g_bytes_new_static (json, sizeof json - 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean done = FALSE;
  guint64 served;

  stall->stall_at = 300;
  rw_mock_upstream_push (f->mock, "slow", stall);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer " TOKEN);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_async (f->session, msg, G_PRIORITY_DEFAULT, cancellable, read_cb, &done);
  rw_test_wait_until (&done);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);

  /* Drop the connection: the server notices and cancels the route. */
  served = rw_server_get_n_served (f->server);
  g_object_unref (f->session);
  f->session = soup_session_new ();
  while (rw_server_get_n_served (f->server) == served)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (rw_test_db_int (rw_store_get_path (f->store),
                                   "SELECT count(*) FROM responses WHERE model = 'mock/slow' "
                                   "AND error_kind = 'cancelled'"), ==, 1);
}

static void
test_token_file (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "token", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = rw_server_load_token (path, &error);
  g_autofree char *second = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, "rw-"));
  g_assert_cmpuint (strlen (first), ==, 3 + 48);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* The same token next time. */
  second = rw_server_load_token (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, second);
  g_clear_pointer (&second, g_free);

  /* A file others could read holds a token they may know: a new one replaces it, private. */
  g_chmod (path, 0644);
  second = rw_server_load_token (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (second, "rw-"));
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (g_file_set_contents (path, "short", -1, NULL));
  g_chmod (path, 0600);
  g_assert_null (rw_server_load_token (path, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_clear_error (&error);

  /* Never through a symbolic link: neither read (its target's text is no token) nor chmod'ed. */
  {
    g_autofree char *target = g_build_filename (dir, "elsewhere", NULL);
    g_autofree char *link = g_build_filename (dir, "sub", "linked", NULL);
    g_autofree char *fifo = g_build_filename (dir, "sub", "fifo", NULL);

    g_assert_true (g_file_set_contents (target, "rw-0123456789abcdef0123456789abcdef", -1, NULL));
    g_chmod (target, 0644);
    g_assert_cmpint (symlink (target, link), ==, 0);
    g_assert_null (rw_server_load_token (link, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    g_assert_nonnull (strstr (error->message, "symbolic link"));
    g_clear_error (&error);
    g_assert_cmpint (g_stat (target, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0644);

    /* Nor a FIFO or any file that is not a regular one. */
    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    g_assert_null (rw_server_load_token (fifo, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    g_clear_error (&error);
  }
  rw_test_rmtree (dir);
}

/* ------------------------------------------------------------------ the wire, byte by byte */

/*
 * A client on a plain socket, in a thread, for what ordinary clients do not send: pipelined
 * requests, chunked bodies after "Expect: 100-continue", HTTP/1.0, malformed and oversized
 * heads. It sends @first, waits for @wait_for when given, sends @second, then reads until the
 * server closes the connection.
 */
typedef struct
{
  guint16 port;
  const char *first;
  gsize first_len;
  const char *wait_for;
  const char *second;
  GString *got;
  gboolean done;
} Wire;

static gboolean
wire_finished (gpointer data)
{
  ((Wire *) data)->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
wire_client (gpointer data)
{
  Wire *w = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", w->port,
                                                                      NULL, NULL);
  GSocket *s;
  char buf[4096];
  gssize n;

  g_assert_nonnull (conn);
  s = g_socket_connection_get_socket (conn);
  g_socket_send_with_blocking (s, w->first, w->first_len ? w->first_len : strlen (w->first), TRUE,
                               NULL, NULL);
  if (w->wait_for != NULL)
    while (strstr (w->got->str, w->wait_for) == NULL &&
           (n = g_socket_receive (s, buf, sizeof buf, NULL, NULL)) > 0)
      g_string_append_len (w->got, buf, n);
  if (w->second != NULL)
    g_socket_send_with_blocking (s, w->second, strlen (w->second), TRUE, NULL, NULL);
  while ((n = g_socket_receive (s, buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len (w->got, buf, n);
  g_idle_add (wire_finished, w);
  return NULL;
}

/* The requests of @text as a client on this machine sends them: each HTTP/1.1 request line
 * followed by the Host it reached ("Host: x" in the text stands for it). */
static GString *
wire_with_host (Fixture    *f,
                const char *text,
                gsize       len)
{
  GString *s = g_string_new_len (text, len ? (gssize) len : -1);
  g_autofree char *line = g_strdup_printf (" HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n",
                                           rw_server_get_port (f->server));

  g_string_replace (s, "Host: x\r\n", "", 0);
  g_string_replace (s, " HTTP/1.1\r\n", line, 0);
  return s;
}

static char *
wire_raw (Fixture    *f,
          const char *first,
          gsize       first_len,
          const char *wait_for,
          const char *second)
{
  Wire w = { rw_server_get_port (f->server), first, first_len, wait_for, second,
             g_string_new (NULL), FALSE };
  GThread *thread = g_thread_new ("wire", wire_client, &w);

  rw_test_wait_until (&w.done);
  g_thread_join (thread);
  return g_string_free (w.got, FALSE);
}

static char *
wire (Fixture    *f,
      const char *first,
      gsize       first_len,
      const char *wait_for,
      const char *second)
{
  g_autoptr(GString) a = wire_with_host (f, first, first_len);
  g_autoptr(GString) b = second ? wire_with_host (f, second, 0) : NULL;
  Wire w = { rw_server_get_port (f->server), a->str, a->len, wait_for, b ? b->str : NULL,
             g_string_new (NULL), FALSE };
  GThread *thread = g_thread_new ("wire", wire_client, &w);

  rw_test_wait_until (&w.done);
  g_thread_join (thread);
  return g_string_free (w.got, FALSE);
}

static char *
wire_to (guint16     port,
         const char *text)
{
  Wire w = { port, text, strlen (text), NULL, NULL, g_string_new (NULL), FALSE };
  GThread *thread = g_thread_new ("wire", wire_client, &w);

  rw_test_wait_until (&w.done);
  g_thread_join (thread);
  return g_string_free (w.got, FALSE);
}

typedef struct
{
  guint16 port;
  const char *text;
  GMutex lock;
  GCond cond;
  gboolean sent;
  GString *got;
  gboolean done;
} Busy;

static gboolean
busy_finished (gpointer data)
{
  ((Busy *) data)->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
busy_client (gpointer data)
{
  Busy *b = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", b->port,
                                                                       NULL, NULL);
  GSocket *socket = g_socket_connection_get_socket (conn);
  char buf[4096];
  gssize n;

  g_assert_cmpint (g_socket_send_with_blocking (socket, b->text, strlen (b->text), TRUE, NULL, NULL),
                   ==, strlen (b->text));
  g_mutex_lock (&b->lock);
  b->sent = TRUE;
  g_cond_signal (&b->cond);
  g_mutex_unlock (&b->lock);
  while ((n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len (b->got, buf, n);
  g_idle_add (busy_finished, b);
  return NULL;
}

/* A deadline measures the client, not the server's loop: a request that arrived whole while
 * the loop was busy past the connection's idle deadline is read and answered, not dropped. */
static void
test_wire_busy_loop (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(RwServer) server = rw_server_new (f->router, TOKEN);
  g_autoptr(GError) error = NULL;
  g_autofree char *body = g_strdup ("{\"model\": \"mock/good\", \"messages\": "
                                    "[{\"role\": \"user\", \"content\": \"hi\"}]}");
  g_autofree char *text = NULL;
  RwServerWorker *w;
  GThread *thread;
  Busy b = { 0 };

  rw_server_set_client_limits (server, 0, 100, 100, 100, 100);
  g_assert_true (rw_server_listen (server, 0, &error));
  w = g_ptr_array_index (server->workers, 0);
  text = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Authorization: Bearer " TOKEN "\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n%s", rw_server_get_port (server),
                          strlen (body), body);
  b.port = rw_server_get_port (server);
  b.text = text;
  b.got = g_string_new (NULL);
  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  thread = g_thread_new ("busy", busy_client, &b);
  /* Accepted; the request is sent, and the loop has not read it. */
  while (g_hash_table_size (w->conns) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_mutex_lock (&b.lock);
  while (!b.sent)
    g_cond_wait (&b.cond, &b.lock);
  g_mutex_unlock (&b.lock);
  /* The loop comes back past the idle deadline. */
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, w->conns);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      ((RwServerConn *) key)->deadline_us = g_get_monotonic_time () - 1;
  }
  _rw_server_sweep (w);
  rw_test_wait_until (&b.done);
  g_thread_join (thread);
  if (!g_str_has_prefix (b.got->str, "HTTP/1.1 200 OK\r\n"))
    g_error ("got: %s", b.got->str);
  g_string_free (b.got, TRUE);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  rw_server_stop (server);
}

/* D3: what a client without the token, or a slow or idle one, may take from the server. Each
 * of these held a connection (and its buffers) for as long as the client liked. */
static void
test_wire_client_limits (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(RwServer) server = rw_server_new (f->router, TOKEN);
  g_autoptr(GError) error = NULL;
  g_autofree char *head = NULL;
  g_autofree char *out = NULL;
  guint16 port;

  rw_server_set_client_limits (server, 0, 300, 200, 200, 300);
  g_assert_true (rw_server_listen (server, 0, &error));
  port = rw_server_get_port (server);
  head = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", port);

  /* Without the token, refused from the head: the 8 MB body it announces is never waited for
   * nor read. */
  {
    g_autofree char *text = g_strdup_printf ("%sContent-Length: 8000000\r\n\r\n", head);
    out = wire_to (port, text);
    g_assert_true (g_str_has_prefix (out, "HTTP/1.1 401 Unauthorized\r\n"));
    g_assert_nonnull (strstr (out, "Connection: close\r\n"));
    g_assert_nonnull (strstr (out, "invalid_api_key"));
    g_clear_pointer (&out, g_free);
  }
  /* A head that never ends, a body that never comes, a connection that says nothing: each is
   * closed at its deadline, without a word. */
  out = wire_to (port, head);
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  {
    g_autofree char *text = g_strdup_printf ("%sAuthorization: Bearer " TOKEN "\r\n"
                                             "Content-Length: 100\r\n\r\n{\"model\"", head);
    out = wire_to (port, text);
    g_assert_cmpstr (out, ==, "");
    g_clear_pointer (&out, g_free);
  }
  out = wire_to (port, "");
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  rw_server_stop (server);
}

/* D3: at the limit of connections, those held open without a request give way to a client
 * with one (with 128 descriptors, 150 idle connections made an authorised request time out). */
static void
test_wire_connection_limit (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(RwServer) server = rw_server_new (f->router, TOKEN);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  guint closed = 0;
  guint16 port;

  rw_server_set_client_limits (server, 4, 0, 0, 0, 0);
  g_assert_true (rw_server_listen (server, 0, &error));
  port = rw_server_get_port (server);
  for (guint i = 0; i < 4; i++)
    {
      GSocketConnection *conn = g_socket_client_connect_to_host (client, "127.0.0.1", port,
                                                                 NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (idle, conn);
    }
  /* Until the server has taken all four in. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  text = g_strdup_printf ("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Authorization: Bearer " TOKEN "\r\nConnection: close\r\n\r\n", port);
  out = wire_to (port, text);
  g_assert_true (g_str_has_prefix (out, "HTTP/1.1 200 OK\r\n"));
  for (guint i = 0; i < idle->len; i++)
    {
      GSocket *s = g_socket_connection_get_socket (idle->pdata[i]);
      char byte;

      g_socket_set_blocking (s, FALSE);
      if (g_socket_receive (s, &byte, 1, NULL, NULL) == 0)
        closed++;
    }
  g_assert_cmpuint (closed, ==, 1);
  rw_server_stop (server);
}

static void on_served (RwServer        *server,
                       RwServedRequest *served,
                       GPtrArray       *log);

typedef struct
{
  guint16 port;
  const char *request;
  GSocketConnection *conn;    /* held: its end closes the socket */
} Unread;

static gpointer
unread_client (gpointer data)
{
  Unread *u = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  u->conn = g_socket_client_connect_to_host (client, "127.0.0.1", u->port, NULL, NULL);
  g_assert_nonnull (u->conn);
  g_socket_send_with_blocking (g_socket_connection_get_socket (u->conn), u->request,
                               strlen (u->request), TRUE, NULL, NULL);
  return NULL;
}

/* D5: a client that asks for a stream and does not read it. The answer (32 MiB, under the
 * provider's limit) must not pile up in the server's memory: past 8 MiB unread the request ends
 * as if the client had gone (499), and the connection is closed. */
static void
test_wire_stream_unread (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_served_request_free);
  g_autofree char *body = g_strdup ("{\"model\": \"mock/good\", \"stream\": true, "
                                    "\"messages\": [{\"role\": \"user\", \"content\": \"long\"}]}");
  g_autofree char *text = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                           "Authorization: Bearer " TOKEN "\r\nContent-Length: %zu\r\n\r\n%s",
                                           rw_server_get_port (f->server), strlen (body), body);
  Unread u = { rw_server_get_port (f->server), text, NULL };
  GSocket *socket;
  GThread *thread;
  char buf[65536];
  gssize n;
  gsize got = 0;

  rw_mock_upstream_push (f->mock, "good", rw_hostile_reply_huge_stream (RW_HOSTILE_HUGE_BYTES));
  g_signal_connect (f->server, "request-served", G_CALLBACK (on_served), log);
  thread = g_thread_new ("unread", unread_client, &u);
  while (log->len < 1)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_assert_cmpuint (((RwServedRequest *) log->pdata[0])->status, ==, 499);
  /* What reached the client ends well before the answer would have. */
  socket = g_socket_connection_get_socket (u.conn);
  while ((n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL)) > 0)
    got += n;
  g_assert_cmpuint (got, <, 32 * 1024 * 1024);
  g_object_unref (u.conn);
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

/* Only this machine's clients, by the name they reached it under: a Host that is not
 * 127.0.0.1, localhost or [::1] with the server's port (a page a DNS rebinding points here),
 * none, or two, are refused before anything else; so is a web page's request (an Origin),
 * unless its origin is allowed. */
static void
test_wire_host_and_origin (Fixture       *f,
                           gconstpointer  data)
{
  guint port = rw_server_get_port (f->server);
  const char *allowed[] = { "https://app.example", NULL };
  /* %u: the server's port */
  struct { const char *host; const char *origin; const char *status; } cases[] = {
    { "Host: evil.example\r\n", NULL, "HTTP/1.1 403 " },
    { "Host: 127.0.0.1:1\r\n", NULL, "HTTP/1.1 403 " },
    { "", NULL, "HTTP/1.1 400 " },
    { "Host: 127.0.0.1:%u\r\nHost: 127.0.0.1:%u\r\n", NULL, "HTTP/1.1 400 " },
    { "Host: 127.0.0.1:%u\r\n", "https://evil.example", "HTTP/1.1 403 " },
    { "Host: localhost:%u\r\n", NULL, "HTTP/1.1 200 " },
    { "Host: [::1]:%u\r\n", NULL, "HTTP/1.1 200 " },
    { "Host: 127.0.0.1:%u\r\n", "https://app.example", "HTTP/1.1 200 " },
  };

  rw_server_set_allowed_origins (f->server, allowed);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *port_text = g_strdup_printf ("%u", port);
      g_autoptr(GString) host = g_string_new (cases[i].host);
      g_autofree char *origin = cases[i].origin ? g_strdup_printf ("Origin: %s\r\n", cases[i].origin)
                                                : g_strdup ("");
      g_autofree char *req = NULL;
      g_autofree char *out = NULL;

      g_string_replace (host, "%u", port_text, 0);
      req = g_strdup_printf ("GET /v1/models HTTP/1.1\r\n%s%sConnection: close\r\n"
                             "Authorization: Bearer " TOKEN "\r\n\r\n", host->str, origin);
      out = wire_raw (f, req, 0, NULL, NULL);

      g_test_message ("%s%s-> %.40s", host->str, origin, out);
      g_assert_true (g_str_has_prefix (out, cases[i].status));
    }
}

/* CORS for an allowed page: its preflight is answered without the token, naming the origin,
 * the methods and the headers it asked for; every reply to it, an error or a stream included,
 * names the origin and exposes the routing headers; a reply to no page carries none of it; a
 * preflight from a page not allowed is refused. */
static void
test_wire_cors (Fixture       *f,
                gconstpointer  data)
{
  guint port = rw_server_get_port (f->server);
  const char *allowed[] = { "http://localhost:3000", NULL };
  g_autofree char *preflight = NULL, *reply = NULL, *refused = NULL, *unauthorized = NULL;
  g_autofree char *plain = NULL, *odd = NULL, *other = NULL;
  g_autofree char *req = NULL;

  rw_server_set_allowed_origins (f->server, allowed);
  req = g_strdup_printf ("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Origin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\n"
                         "Access-Control-Request-Headers: authorization, content-type, "
                         "x-stainless-os\r\n\r\n", port);
  preflight = wire_raw (f, req, 0, NULL, NULL);
  g_test_message ("%s", preflight);
  g_assert_true (g_str_has_prefix (preflight, "HTTP/1.1 204 No Content\r\n"));
  g_assert_nonnull (strstr (preflight, "\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\n"));
  g_assert_nonnull (strstr (preflight, "\r\nAccess-Control-Allow-Methods: GET, POST\r\n"));
  g_assert_nonnull (strstr (preflight, "\r\nAccess-Control-Allow-Headers: authorization, "
                                       "content-type, x-stainless-os\r\n"));
  g_assert_nonnull (strstr (preflight, "\r\nVary: Origin\r\n"));

  /* Headers that are not a list of names are not echoed. */
  g_clear_pointer (&req, g_free);
  req = g_strdup_printf ("OPTIONS /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Origin: http://localhost:3000\r\nAccess-Control-Request-Method: GET\r\n"
                         "Access-Control-Request-Headers: a\"b\r\n\r\n", port);
  odd = wire_raw (f, req, 0, NULL, NULL);
  g_assert_nonnull (strstr (odd, "\r\nAccess-Control-Allow-Headers: authorization, content-type\r\n"));

  g_clear_pointer (&req, g_free);
  req = g_strdup_printf ("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Origin: http://localhost:3000\r\nConnection: close\r\n"
                         "Authorization: Bearer " TOKEN "\r\n\r\n", port);
  reply = wire_raw (f, req, 0, NULL, NULL);
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 200 "));
  g_assert_nonnull (strstr (reply, "\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\n"));
  g_assert_nonnull (strstr (reply, "\r\nAccess-Control-Expose-Headers: x-routewise-model, "
                                   "x-routewise-task\r\n"));

  /* A refusal the page can read: its token is wrong. */
  g_clear_pointer (&req, g_free);
  req = g_strdup_printf ("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Origin: http://localhost:3000\r\nAuthorization: Bearer wrong\r\n\r\n",
                         port);
  unauthorized = wire_raw (f, req, 0, NULL, NULL);
  g_assert_true (g_str_has_prefix (unauthorized, "HTTP/1.1 401 "));
  g_assert_nonnull (strstr (unauthorized, "\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\n"));

  g_clear_pointer (&req, g_free);
  req = g_strdup_printf ("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n"
                         "Authorization: Bearer " TOKEN "\r\n\r\n", port);
  plain = wire_raw (f, req, 0, NULL, NULL);
  g_assert_true (g_str_has_prefix (plain, "HTTP/1.1 200 "));
  g_assert_null (strstr (plain, "Access-Control"));

  /* On one connection, a request with no origin after one from the page names none. */
  {
    g_autofree char *two = g_strdup_printf (
      "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nOrigin: http://localhost:3000\r\n"
      "Authorization: Bearer " TOKEN "\r\n\r\n"
      "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n"
      "Authorization: Bearer " TOKEN "\r\n\r\n", port, port);
    g_autofree char *both = wire_raw (f, two, 0, NULL, NULL);
    const char *second = strstr (both + 1, "HTTP/1.1 200 ");

    g_assert_nonnull (strstr (both, "Access-Control-Allow-Origin: http://localhost:3000"));
    g_assert_nonnull (second);
    g_assert_null (strstr (second, "Access-Control"));
  }

  g_clear_pointer (&req, g_free);
  req = g_strdup_printf ("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Origin: http://localhost:3001\r\nAccess-Control-Request-Method: POST\r\n\r\n",
                         port);
  other = wire_raw (f, req, 0, NULL, NULL);
  g_assert_true (g_str_has_prefix (other, "HTTP/1.1 403 Forbidden\r\n"));
  g_assert_null (strstr (other, "Access-Control"));
}

/* An allowed origin as a person writes it is kept as browsers send it, so that it matches; what
 * is no origin, or would let any page in, is refused. */
static void
test_normalize_origin (void)
{
  static const struct { const char *given, *kept; } cases[] = {
    { "http://localhost:3000/", "http://localhost:3000" },
    { "HTTPS://App.Example:443", "https://app.example" },
    { "http://127.0.0.1:80", "http://127.0.0.1" },
    { "http://[::1]:5173", "http://[::1]:5173" },
    { "tauri://localhost", "tauri://localhost" },
    { "*", NULL },
    { "null", NULL },
    { "localhost:3000", NULL },
    { "http://localhost:3000/app", NULL },
    { "http://user@localhost", NULL },
    { "http://x y", NULL },
    { "http://", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *kept = rw_server_normalize_origin (cases[i].given, &error);

      g_test_message ("%s -> %s", cases[i].given, kept ? kept : error->message);
      g_assert_cmpstr (kept, ==, cases[i].kept);
      if (kept == NULL)
        g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    }
}

static void
test_wire_pipelined (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *out = wire (f,
    "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n\r\n"
    "GET /v1/nowhere HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n\r\n"
    "GET /v1/models?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    "Authorization: Bearer " TOKEN "\r\n\r\n", 0, NULL, NULL);
  const char *second = strstr (out, "HTTP/1.1 404");
  const char *third = strstr (out, "HTTP/1.1 401");

  /* Three answers, in the order asked; the last closes the connection. */
  g_assert_cmpuint (count (out, "HTTP/1.1 "), ==, 3);
  g_assert_true (g_str_has_prefix (out, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (second);
  g_assert_null (third);
  g_assert_nonnull (strstr (second, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (second, "Connection: close\r\n"));
  g_assert_cmpuint (count (out, "\"routewise/auto\""), ==, 2);
}

static void
test_wire_chunked_continue (Fixture       *f,
                            gconstpointer  data)
{
  const char *body = "{\"model\": \"mock/good\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";
  g_autofree char *chunks = g_strdup_printf ("10\r\n%.16s\r\n%x;note=rest\r\n%s\r\n0\r\n\r\n", body,
                                             (unsigned) strlen (body + 16), body + 16);
  g_autofree char *out = wire (f,
    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n"
    "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", 0,
    "100 Continue\r\n\r\n", chunks);

  /* The interim answer came before the body was sent, the real one after. */
  g_assert_true (g_str_has_prefix (out, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (out, "x-routewise-model: mock/good\r\n"));
  g_assert_nonnull (strstr (out, "\"content\":\"Hello, world!\""));
}

static void
test_wire_http10 (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *whole = wire (f, "GET /v1/models HTTP/1.0\r\nAuthorization: Bearer " TOKEN "\r\n\r\n",
                                 0, NULL, NULL);
  g_autofree char *streamed = NULL;
  const char *req = "{\"model\": \"mock/good\", \"stream\": true, "
                    "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";
  g_autofree char *post = g_strdup_printf ("POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer "
                                           TOKEN "\r\nContent-Length: %d\r\n\r\n%s",
                                           (int) strlen (req), req);

  /* An HTTP/1.0 client gets a length, or a stream that ends with the connection, never chunks. */
  g_assert_true (g_str_has_prefix (whole, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (whole, "Content-Length: "));
  g_assert_nonnull (strstr (whole, "Connection: close\r\n"));
  streamed = wire (f, post, 0, NULL, NULL);
  g_assert_true (g_str_has_prefix (streamed, "HTTP/1.1 200 OK\r\n"));
  g_assert_null (strstr (streamed, "Transfer-Encoding"));
  g_assert_nonnull (strstr (streamed, "\r\n\r\ndata: {"));
  g_assert_true (g_str_has_suffix (streamed, "data: [DONE]\n\n"));
}

/* A streamed reply to an HTTP/1.1 client is chunked, says the connection closes, ends with the
 * last chunk and then closes it (the client reads to the end of the connection here), even
 * though the client asked to keep it and sent a second request: node-fetch 2 on Node releases
 * that watch idle pooled sockets reads a complete chunked stream on a kept connection as
 * "Premature close". A whole reply keeps the connection for the next request. */
static void
test_wire_stream_closes (Fixture       *f,
                         gconstpointer  data)
{
  const char *req = "{\"model\": \"mock/good\", \"stream\": true, "
                    "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";
  g_autofree char *post = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer " TOKEN "\r\n"
                                           "Connection: keep-alive\r\nContent-Length: %d\r\n\r\n%s"
                                           "GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer " TOKEN "\r\n\r\n",
                                           (int) strlen (req), req);
  g_autofree char *streamed = wire (f, post, 0, NULL, NULL);
  g_autofree char *whole = wire (f,
    "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n\r\n"
    "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n"
    "Connection: close\r\n\r\n", 0, NULL, NULL);

  g_assert_true (g_str_has_prefix (streamed, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (streamed, "Transfer-Encoding: chunked\r\n"));
  g_assert_nonnull (strstr (streamed, "Connection: close\r\n"));
  g_assert_true (g_str_has_suffix (streamed, "data: [DONE]\n\n\r\n0\r\n\r\n"));
  g_assert_cmpuint (count (streamed, "HTTP/1.1 "), ==, 1);
  /* Whole replies: both answered on the one connection. */
  g_assert_cmpuint (count (whole, "HTTP/1.1 200 OK\r\n"), ==, 2);
}

static void
test_wire_malformed (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *garbage = wire (f, "HELLO THERE\r\n\r\n", 0, NULL, NULL);
  g_autofree char *smuggle = wire (f, "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, NULL, NULL);
  g_autofree char *bad_chunk = wire (f, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer "
                                        TOKEN "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, NULL, NULL);
  g_autoptr(GString) huge = g_string_new ("GET /v1/models HTTP/1.1\r\n");
  g_autofree char *too_large = NULL;
  g_autofree char *body_too_large = wire (f, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: "
                                             "Bearer " TOKEN "\r\nContent-Length: 999999999\r\n\r\n",
                                          0, NULL, NULL);

  /* Each is answered with an OpenAI-style error, and the connection closed after it. */
  g_assert_true (g_str_has_prefix (garbage, "HTTP/1.1 400 Bad Request\r\n"));
  g_assert_nonnull (strstr (garbage, "\"type\":\"invalid_request_error\""));
  g_assert_nonnull (strstr (garbage, "Connection: close\r\n"));
  g_assert_true (g_str_has_prefix (smuggle, "HTTP/1.1 400 "));
  g_assert_true (g_str_has_prefix (bad_chunk, "HTTP/1.1 400 "));
  g_assert_nonnull (strstr (bad_chunk, "chunked"));
  g_assert_true (g_str_has_prefix (body_too_large, "HTTP/1.1 413 "));
  {
    g_autofree char *empty = wire (f, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer "
                                      TOKEN "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                   0, NULL, NULL);
    g_assert_true (g_str_has_prefix (empty, "HTTP/1.1 400 "));
    g_assert_nonnull (strstr (empty, "must be a JSON object"));
  }

  while (huge->len < 100 * 1024)
    g_string_append (huge, "X-Filler: 01234567890123456789012345678901234567890123456789\r\n");
  g_string_append (huge, "\r\n");
  too_large = wire (f, huge->str, huge->len, NULL, NULL);
  g_assert_true (g_str_has_prefix (too_large, "HTTP/1.1 431 "));

  /* The server still answers. */
  {
    g_autofree char *out = NULL;
    g_autoptr(SoupMessage) msg = request (f, "GET", "/models", TOKEN, NULL, &out);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }
}

/* Whatever the answer holds, the reply is JSON that says exactly it, streamed or not. */
static void
test_escaping (Fixture       *f,
               gconstpointer  data)
{
  static const char text[] = "He said \"hi\"\\n\ttab\001bell\037 ✓ \xf0\x9f\x98\x80 </script>";
  static const char * const pieces[] = { "He said \"hi\"\\n", "\ttab\001bell\037", " ✓ \xf0\x9f\x98\x80 </script>", NULL };

  for (guint streamed = 0; streamed < 2; streamed++)
    {
      g_autofree char *out = NULL;
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GString) got = g_string_new (NULL);

      rw_mock_upstream_push (f->mock, "good", streamed ? rw_mock_reply_new_stream (pieces, 3, 4, TRUE)
                                                       : rw_mock_reply_new_chat (text, 3, 4));
      msg = request (f, "POST", "/chat/completions", TOKEN,
                     streamed ? "{\"model\": \"mock/good\", \"stream\": true, \"messages\": "
                                "[{\"role\": \"user\", \"content\": \"x\"}]}"
                              : "{\"model\": \"mock/good\", \"messages\": "
                                "[{\"role\": \"user\", \"content\": \"x\"}]}", &out);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      if (!streamed)
        {
          g_autoptr(JsonParser) p = json_parser_new ();
          JsonObject *choice;

          g_assert_true (json_parser_load_from_data (p, out, -1, NULL));
          choice = json_array_get_object_element (
            json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "choices"), 0);
          g_string_append (got, json_object_get_string_member (
            json_object_get_object_member (choice, "message"), "content"));
        }
      else
        {
          g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

          for (guint i = 0; lines[i] != NULL; i++)
            {
              g_autoptr(JsonParser) p = json_parser_new ();
              JsonArray *choices;
              JsonObject *delta;

              if (!g_str_has_prefix (lines[i], "data: {"))
                continue;
              g_assert_true (json_parser_load_from_data (p, lines[i] + 6, -1, NULL));
              choices = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)),
                                                      "choices");
              if (json_array_get_length (choices) == 0)
                continue;
              delta = json_object_get_object_member (json_array_get_object_element (choices, 0), "delta");
              if (json_object_has_member (delta, "content"))
                g_string_append (got, json_object_get_string_member (delta, "content"));
            }
        }
      g_assert_cmpstr (got->str, ==, text);
    }
}

/* Many clients at once, streamed and not, each answered in full and stored once. */
static void
test_many_clients (Fixture       *f,
                   gconstpointer  data)
{
  enum { N = 24 };
  SoupMessage *msgs[N];
  RwTestHttpReply replies[N] = { { 0 } };
  g_autoptr(GError) error = NULL;
  const char *db = f->world->db->path;

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *url = g_strconcat (f->base, "/chat/completions", NULL);
      g_autofree char *body = g_strdup_printf (
        "{\"model\": \"mock/good\", \"stream\": %s, \"messages\": "
        "[{\"role\": \"user\", \"content\": \"client %u\"}]}", i % 2 ? "true" : "false", i);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      msgs[i] = soup_message_new ("POST", url);
      soup_message_headers_replace (soup_message_get_request_headers (msgs[i]), "Authorization",
                                    "Bearer " TOKEN);
      soup_message_set_request_body_from_bytes (msgs[i], "application/json", bytes);
      soup_session_send_and_read_async (f->session, msgs[i], G_PRIORITY_DEFAULT, NULL,
                                        rw_test_http_sent_cb,
                                        &replies[i]);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = NULL;

      rw_test_wait_until (&replies[i].done);
      g_assert_nonnull (replies[i].body);
      g_assert_cmpuint (soup_message_get_status (msgs[i]), ==, 200);
      text = g_strndup (g_bytes_get_data (replies[i].body, NULL),
                        g_bytes_get_size (replies[i].body));
      if (i % 2)
        {
          g_assert_nonnull (strstr (text, "\"content\":\"world\""));
          g_assert_nonnull (strstr (text, "data: [DONE]"));
        }
      else
        g_assert_nonnull (strstr (text, "\"content\":\"Hello, world!\""));
      g_bytes_unref (replies[i].body);
      g_object_unref (msgs[i]);
    }
  g_assert_cmpuint (rw_server_get_n_served (f->server), ==, N);
  g_assert_true (rw_store_flush (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE status = 'ok'"),
                   ==, N);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(DISTINCT prompt_id) FROM responses"), ==, N);
}

/* The same through libsoup, which remote upstreams use, sending from every loop. */
static void
test_many_clients_libsoup (Fixture       *f,
                           gconstpointer  data)
{
  _rw_http_set_direct (FALSE);
  test_many_clients (f, data);
  _rw_http_set_direct (TRUE);
}

static void
on_served (RwServer        *server,
           RwServedRequest *served,
           GPtrArray       *log)
{
  g_ptr_array_add (log, rw_served_request_copy (served));
}

/* Each answered request reaches the server's owner, on its own main context whichever loop
 * answered: the model asked, the one that served, its status, latency and cost. A failure is
 * logged with the status the client got. */
static void
test_request_served (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_served_request_free);
  g_autofree char *out1 = NULL;
  g_autofree char *out2 = NULL;
  g_autoptr(SoupMessage) m1 = NULL;
  g_autoptr(SoupMessage) m2 = NULL;
  RwServedRequest *a, *b;

  g_signal_connect (f->server, "request-served", G_CALLBACK (on_served), log);
  m1 = request (f, "POST", "/chat/completions", TOKEN,
                "{\"model\": \"mock/good\", \"metadata\": {\"task\": \"greeting\"},"
                " \"messages\": [{\"role\": \"user\", \"content\": \"Say hello\"}]}", &out1);
  g_assert_cmpuint (soup_message_get_status (m1), ==, 200);
  m2 = request (f, "POST", "/chat/completions", TOKEN,
                "{\"model\": \"no/such\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                &out2);
  while (log->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (log->len, ==, 2);
  a = log->pdata[0];
  b = log->pdata[1];
  g_assert_cmpstr (a->requested, ==, "mock/good");
  g_assert_cmpstr (a->served, ==, "mock/good");
  g_assert_cmpstr (a->task, ==, "greeting");
  g_assert_cmpuint (a->status, ==, 200);
  g_assert_cmpuint (a->fallbacks, ==, 0);
  g_assert_cmpfloat (a->cost_usd, >, 0);
  g_assert_cmpfloat (a->latency_ms, >=, 0);
  g_assert_cmpint (a->time_ms, >, 0);
  g_assert_cmpstr (b->requested, ==, "no/such");
  g_assert_cmpuint (b->status, ==, soup_message_get_status (m2));
  g_assert_cmpuint (b->status, >=, 400);
}

typedef struct
{
  char *base;
  guint done;       /* atomic: requests answered */
  gint stop;        /* atomic */
  gint exited;      /* atomic: clients out of their loop */
  guint failed;     /* atomic: answers other than 200 */
} Churn;

/* A client of its own thread: model lookups and chats, one after the other, until told. */
static gpointer
churn_client (gpointer data)
{
  Churn *churn = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *models = g_strconcat (churn->base, "/models/mock%2Fgood", NULL);
  g_autofree char *chat = g_strconcat (churn->base, "/chat/completions", NULL);

  g_main_context_push_thread_default (context);
  session = soup_session_new ();
  for (guint i = 0; !g_atomic_int_get (&churn->stop); i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new (i % 2 ? "POST" : "GET", i % 2 ? chat : models);
      g_autoptr(GBytes) reply = NULL;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    "Bearer " TOKEN);
      if (i % 2)
        {
          static const char body[] = "{\"model\": \"mock/good\", \"messages\": [{\"role\": "
                                     "\"user\", \"content\": \"Say hello\"}]}";
          g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));

          soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
        }
      reply = soup_session_send_and_read (session, msg, NULL, NULL);
      if (reply == NULL || soup_message_get_status (msg) != 200)
        g_atomic_int_inc (&churn->failed);
      g_atomic_int_inc (&churn->done);
    }
  g_main_context_pop_thread_default (context);
  g_atomic_int_inc (&churn->exited);
  return NULL;
}

/* The app edits the catalog (Preferences adds and removes providers, models change price)
 * while its endpoint serves on several event loops: a loop's lookups never meet a table being
 * changed, nor a model or provider freed under them (AddressSanitizer's setup sees it). */
static void
test_catalog_edited_while_serving (Fixture       *f,
                                   gconstpointer  data)
{
  Churn churn = { .base = f->base };
  GThread *clients[3];
  guint edits = 0;

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    clients[i] = g_thread_new ("churn-client", churn_client, &churn);
  while (g_atomic_int_get (&churn.done) < 300 || edits < 300)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"providers\": [{\"id\": \"churn%u\", \"kind\": \"openai\", "
        "\"base_url\": \"http://127.0.0.1:9/v1\"}],"
        " \"models\": [{\"id\": \"churn%u/m\", \"provider\": \"churn%u\", \"name\": \"m\"},"
        "              {\"id\": \"mock/good\", \"input_price\": %u, \"output_price\": 2}]}",
        edits % 4, edits % 4, edits % 4, 1 + edits % 5);
      g_autoptr(GError) error = NULL;
      RwModel *replaced = rw_model_new ("mock/good", "mock", "good");

      g_assert_true (rw_catalog_load_data (f->catalog, "edit", json, -1, &error));
      rw_model_set_price (replaced, 1, 2);
      rw_catalog_add_model (f->catalog, replaced);
      g_object_unref (replaced);
      if (edits % 2)
        rw_catalog_remove_provider (f->catalog, "churn1");
      edits++;
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_atomic_int_set (&churn.stop, 1);
  /* A client's last request may be served by this thread's loop: serve until all are out. */
  while (g_atomic_int_get (&churn.exited) < (gint) G_N_ELEMENTS (clients))
    g_main_context_iteration (NULL, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    g_thread_join (clients[i]);
  g_assert_cmpuint (g_atomic_int_get (&churn.failed), ==, 0);
  g_assert_nonnull (rw_catalog_lookup_model (f->catalog, "mock/good"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Rw/Server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown); \
  g_test_add ("/Rw/Server/3-loops/" path, Fixture, GUINT_TO_POINTER (3), fixture_setup, func, \
              fixture_teardown)
  ADD ("models", test_models);
  ADD ("model-retrieve", test_model_retrieve);
  ADD ("max-completion-tokens", test_max_completion_tokens);
  ADD ("many-clients", test_many_clients);
  ADD ("many-clients-libsoup", test_many_clients_libsoup);
  ADD ("completion-stored", test_completion_stored);
  ADD ("request-served", test_request_served);
  ADD ("other-protocol", test_other_protocol);
  ADD ("bad-requests", test_bad_requests);
  ADD ("upstream-errors", test_upstream_errors);
  ADD ("client-disconnect", test_client_disconnect);
  ADD ("escaping", test_escaping);
  ADD ("wire-pipelined", test_wire_pipelined);
  ADD ("wire-client-limits", test_wire_client_limits);
  ADD ("wire-connection-limit", test_wire_connection_limit);
  ADD ("wire-stream-unread", test_wire_stream_unread);
  ADD ("wire-host-and-origin", test_wire_host_and_origin);
  ADD ("wire-cors", test_wire_cors);
  ADD ("wire-chunked-continue", test_wire_chunked_continue);
  ADD ("wire-http10", test_wire_http10);
  ADD ("wire-stream-closes", test_wire_stream_closes);
  ADD ("wire-malformed", test_wire_malformed);
#undef ADD
  g_test_add ("/Rw/Server/catalog-edited-while-serving", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_catalog_edited_while_serving, fixture_teardown);
  g_test_add_func ("/Rw/Server/token-file", test_token_file);
  g_test_add_func ("/Rw/Server/normalize-origin", test_normalize_origin);
  /* One loop: the one this test holds busy. */
  g_test_add ("/Rw/Server/wire-busy-loop", Fixture, NULL, fixture_setup, test_wire_busy_loop,
              fixture_teardown);
  return g_test_run ();
}
