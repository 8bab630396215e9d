/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <routewise-engine.h>

#include "rw-http1.h"
#include "rw-test-util.h"

/* ---------------------------------------------------------------------------------- heads */

static gssize
parse_req (const char  *text,
           char       **buf,
           RwHttp1Head *head,
           const char **why)
{
  *buf = g_strdup (text);
  return rw_http1_parse_request (*buf, strlen (text), head, why);
}

static void
test_request_head (void)
{
  const char *text = "\r\nPOST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\n"
                     "Content-Length: 12\r\nAuthorization:   Bearer t  \r\nX-Custom: A b\r\n\r\n{\"model\":1}";
  g_autofree char *buf = NULL;
  RwHttp1Head head;
  const char *why;
  gssize n = parse_req (text, &buf, &head, &why);

  g_assert_cmpint (n, ==, (gssize) (strstr (text, "{") - text));
  g_assert_cmpstr (head.method, ==, "POST");
  g_assert_cmpstr (head.target, ==, "/v1/chat/completions?x=1");
  g_assert_cmpuint (head.minor_version, ==, 1);
  g_assert_cmpint (head.content_length, ==, 12);
  g_assert_false (head.chunked);
  g_assert_true (head.keep_alive);
  g_assert_false (head.expect_continue);
  g_assert_cmpstr (rw_http1_head_get (&head, "authorization"), ==, "Bearer t");
  g_assert_cmpstr (rw_http1_head_get (&head, "x-custom"), ==, "A b");
  g_assert_null (rw_http1_head_get (&head, "missing"));

  /* Every prefix of a head is incomplete, and leaves the buffer as it was. */
  for (gsize len = 0; len < (gsize) n; len++)
    {
      g_autofree char *copy = g_strndup (text, len);
      g_assert_cmpint (rw_http1_parse_request (copy, len, &head, &why), ==, RW_HTTP1_INCOMPLETE);
      g_assert_cmpint (memcmp (copy, text, len), ==, 0);
    }
}

static void
test_request_options (void)
{
  g_autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *b5 = NULL;
  RwHttp1Head head;
  const char *why;

  g_assert_cmpint (parse_req ("GET / HTTP/1.0\r\n\r\n", &b1, &head, &why), >, 0);
  g_assert_false (head.keep_alive);
  g_assert_cmpint (head.content_length, ==, -1);
  g_assert_cmpint (parse_req ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &b2, &head, &why), >, 0);
  g_assert_true (head.keep_alive);
  g_assert_cmpint (parse_req ("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", &b3, &head, &why), >, 0);
  g_assert_false (head.keep_alive);
  g_assert_cmpint (parse_req ("POST / HTTP/1.1\nTransfer-Encoding: chunked\nExpect: 100-Continue\n\n",
                              &b4, &head, &why), >, 0);
  g_assert_true (head.chunked);
  g_assert_true (head.expect_continue);
  g_assert_cmpint (parse_req ("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                              &b5, &head, &why), >, 0);
  g_assert_cmpint (head.content_length, ==, 5);
}

static void
test_request_malformed (void)
{
  static const char * const bad[] = {
    "GET\r\n\r\n",
    "GET  / HTTP/1.1\r\n\r\n",
    "GET / HTTP/2.0\r\n\r\n",
    "G(T / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
    "GET / HTTP/1.1\r\nBad Name: b\r\n\r\n",
    "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\001c\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *buf = NULL;
      RwHttp1Head head;
      const char *why = NULL;

      g_test_message ("%s", bad[i]);
      g_assert_cmpint (parse_req (bad[i], &buf, &head, &why), ==, RW_HTTP1_MALFORMED);
      g_assert_nonnull (why);
    }
}

static void
test_head_too_large (void)
{
  g_autoptr(GString) s = g_string_new ("GET / HTTP/1.1\r\n");
  const char *why = NULL;
  RwHttp1Head head;

  while (s->len <= RW_HTTP1_MAX_HEAD + 10)
    g_string_append (s, "X-Filler: 0123456789012345678901234567890123456789\r\n");
  /* Too large even before the head ends. */
  g_assert_cmpint (rw_http1_parse_request (s->str, s->len, &head, &why), ==, RW_HTTP1_TOO_LARGE);
  g_assert_nonnull (why);

  /* Too many header lines in a head that is not too large. */
  g_string_assign (s, "GET / HTTP/1.1\r\n");
  for (guint i = 0; i <= RW_HTTP1_MAX_HEADERS; i++)
    g_string_append (s, "A: b\r\n");
  g_string_append (s, "\r\n");
  g_assert_cmpint (rw_http1_parse_request (s->str, s->len, &head, &why), ==, RW_HTTP1_TOO_LARGE);
}

static void
test_response_head (void)
{
  g_autofree char *a = g_strdup ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\n"
                                 "Transfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n");
  g_autofree char *b = g_strdup ("HTTP/1.0 200\r\n\r\n");
  g_autofree char *c = g_strdup ("HTTP/1.1 20 OK\r\n\r\n");
  g_autofree char *d = g_strdup ("HTTP/1.1 099 Odd\r\n\r\n");
  gsize a_len = strlen (a);
  RwHttp1Head head;
  const char *why;

  g_assert_cmpint (rw_http1_parse_response (a, a_len, &head, &why), ==, (gssize) a_len);
  g_assert_cmpuint (head.status, ==, 429);
  g_assert_true (head.chunked);
  g_assert_cmpint (head.content_length, ==, -1);   /* chunked wins */
  g_assert_cmpstr (rw_http1_head_get (&head, "retry-after"), ==, "2");
  g_assert_cmpint (rw_http1_parse_response (b, strlen (b), &head, &why), >, 0);
  g_assert_cmpuint (head.status, ==, 200);
  g_assert_false (head.keep_alive);
  g_assert_cmpint (rw_http1_parse_response (c, strlen (c), &head, &why), ==, RW_HTTP1_MALFORMED);
  g_assert_cmpint (rw_http1_parse_response (d, strlen (d), &head, &why), ==, RW_HTTP1_MALFORMED);
}

/* -------------------------------------------------------------------------------- chunked */

static char *
decode_in_pieces (const char *text,
                  gsize       piece,
                  gssize     *status,
                  gsize      *rest)
{
  RwHttp1Chunked c = { 0 };
  GString *out = g_string_new (NULL);
  gsize len = strlen (text), pos = 0;
  gboolean done = FALSE;

  *status = 0;
  while (pos < len && !done)
    {
      gsize n = MIN (piece, len - pos);
      g_autofree char *buf = g_strndup (text + pos, n);
      gsize got = 0;
      gssize used = rw_http1_chunked_decode (&c, buf, n, &got, &done);

      if (used < 0)
        {
          *status = -1;
          break;
        }
      g_string_append_len (out, buf, (gssize) got);
      pos += (gsize) used;
    }
  *rest = done ? len - pos : 0;
  if (!done && *status == 0)
    *status = 1;   /* incomplete */
  return g_string_free (out, FALSE);
}

static void
test_chunked (void)
{
  const char *body = "5\r\nHello\r\n7;ext=1\r\n, world\r\n1\n!\n0\r\nTrailer: x\r\n\r\nNEXT";

  /* The same body whatever the pieces it arrives in. */
  for (gsize piece = 1; piece <= strlen (body); piece++)
    {
      gssize status;
      gsize rest;
      g_autofree char *out = decode_in_pieces (body, piece, &status, &rest);

      g_assert_cmpint (status, ==, 0);
      g_assert_cmpstr (out, ==, "Hello, world!");
      g_assert_cmpuint (rest, ==, 4);   /* what follows the body is left alone */
    }
}

static void
test_chunked_malformed (void)
{
  static const char * const bad[] = {
    "x\r\n",
    "\r\n",
    "5\r\nHelloXX",
    "5\rX",
    "11111111111111111\r\n",
    "fffffffffffffffff\r\n",
  };
  gssize status;
  gsize rest;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = decode_in_pieces (bad[i], 3, &status, &rest);
      g_test_message ("%s", bad[i]);
      g_assert_cmpint (status, ==, -1);
    }
  {
    g_autofree char *out = decode_in_pieces ("5\r\nHel", 2, &status, &rest);
    g_assert_cmpint (status, ==, 1);
    g_assert_cmpstr (out, ==, "Hel");
  }
}

/* ------------------------------------------------------------- the client, on a raw upstream */

/*
 * An upstream written against the socket API, so that it can do what servers do and libsoup's
 * server does not: close a kept-alive connection, answer in HTTP/1.0, send an interim reply,
 * send garbage. Each step answers one request (or closes instead).
 */
typedef struct
{
  const char *reply;      /* NULL: close without answering */
  gboolean close_after;
} Step;

typedef struct
{
  GSocket *listener;
  guint16 port;
  GThread *thread;
  const Step *steps;
  guint n_steps;
  gint accepted;
} Raw;

static gboolean
read_request (GSocket *s)
{
  GString *in = g_string_new (NULL);
  char buf[4096];
  gssize n;
  const char *end = NULL;
  gsize want = 0;

  for (;;)
    {
      if (end == NULL && (end = strstr (in->str, "\r\n\r\n")) != NULL)
        {
          const char *cl = strstr (in->str, "Content-Length: ");
          want = (gsize) (end - in->str) + 4 + (cl ? strtoul (cl + 16, NULL, 10) : 0);
        }
      if (end != NULL && in->len >= want)
        break;
      n = g_socket_receive (s, buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        {
          g_string_free (in, TRUE);
          return FALSE;
        }
      g_string_append_len (in, buf, n);
      end = NULL;
    }
  g_string_free (in, TRUE);
  return TRUE;
}

static gpointer
raw_upstream (gpointer data)
{
  Raw *raw = data;
  GSocket *conn = NULL;

  for (guint i = 0; i < raw->n_steps; i++)
    {
      const Step *step = &raw->steps[i];

      if (conn == NULL)
        {
          conn = g_socket_accept (raw->listener, NULL, NULL);
          g_assert_nonnull (conn);
          g_atomic_int_inc (&raw->accepted);
        }
      if (!read_request (conn))
        {
          /* The client closed this connection: the step is served on the next one. */
          g_clear_object (&conn);
          i--;
          continue;
        }
      if (step->reply != NULL)
        {
          /* In small pieces, as a network would deliver it. */
          gsize len = strlen (step->reply);
          for (gsize pos = 0; pos < len; pos += 7)
            g_socket_send (conn, step->reply + pos, MIN (7, len - pos), NULL, NULL);
        }
      if (step->reply == NULL || step->close_after)
        {
          g_socket_close (conn, NULL);
          g_clear_object (&conn);
        }
    }
  g_clear_object (&conn);
  return NULL;
}

static void
raw_start (Raw        *raw,
           const Step *steps,
           guint       n_steps)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  raw->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (raw->listener, addr, TRUE, &error));
  g_assert_true (g_socket_listen (raw->listener, &error));
  bound = g_socket_get_local_address (raw->listener, &error);
  raw->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  raw->steps = steps;
  raw->n_steps = n_steps;
  raw->thread = g_thread_new ("raw-upstream", raw_upstream, raw);
}

static void
raw_stop (Raw *raw)
{
  g_thread_join (raw->thread);
  g_socket_close (raw->listener, NULL);
  g_object_unref (raw->listener);
}

static RwChatResult *
raw_chat (Raw *raw)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1", raw->port);
  g_autoptr(RwProvider) provider = rw_openai_provider_new ("raw", url, NULL);
  g_autoptr(RwModel) model = rw_model_new ("raw/m", "raw", "m");
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Say hello");

  return rw_test_chat_sync (provider, model, request, NULL, NULL);
}

#define CHAT_JSON "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"}," \
                  "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}"
#define OK_REPLY "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"

static char *
ok_reply (void)
{
  return g_strdup_printf (OK_REPLY, (int) strlen (CHAT_JSON), CHAT_JSON);
}

/* Two requests through one provider share one kept-alive connection; when the upstream closed
 * it in between, the second is sent again on a new one, unseen by the caller. */
static void
test_client_keep_alive (void)
{
  g_autofree char *ok = ok_reply ();
  g_autofree char *url = NULL;
  Step steps[] = { { ok, FALSE }, { ok, TRUE }, { ok, FALSE } };
  Raw raw = { 0 };
  g_autoptr(RwProvider) provider = NULL;
  g_autoptr(RwModel) model = rw_model_new ("raw/m", "raw", "m");

  raw_start (&raw, steps, G_N_ELEMENTS (steps));
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", raw.port);
  provider = rw_openai_provider_new ("raw", url, NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Say hello");
      g_autoptr(RwChatResult) r = rw_test_chat_sync (provider, model, request, NULL, NULL);

      g_assert_no_error (r->error);
      g_assert_cmpstr (r->text->str, ==, "Hi");
    }
  raw_stop (&raw);
  /* The first two on one connection, the third on a new one after the upstream closed it. */
  g_assert_cmpint (raw.accepted, ==, 2);
}

static void
test_client_framings (void)
{
  g_autofree char *until_close = g_strdup_printf ("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n%s",
                                                  CHAT_JSON);
  g_autofree char *chunked = g_strdup_printf ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                                              "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n",
                                              (unsigned) strlen (CHAT_JSON), CHAT_JSON);
  Step steps[] = { { until_close, TRUE }, { chunked, FALSE } };
  Raw raw = { 0 };

  raw_start (&raw, steps, G_N_ELEMENTS (steps));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(RwChatResult) r = raw_chat (&raw);
      g_assert_no_error (r->error);
      g_assert_cmpstr (r->text->str, ==, "Hi");
      g_assert_cmpint (r->tokens_in, ==, 3);
    }
  raw_stop (&raw);
}

static void
test_client_faults (void)
{
  g_autofree char *cut = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n%s", CHAT_JSON);
  g_autofree char *bad_chunks = g_strdup ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  Step steps[] = {
    { NULL, TRUE },
    { "HTTP/1.1 2OO OK\r\n\r\n", TRUE },
    { cut, TRUE },
    { bad_chunks, TRUE },
    { "HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 28\r\n\r\n{\"error\":{\"message\":\"busy\"}}", FALSE },
  };
  Raw raw = { 0 };
  RwChatResult *r;

  raw_start (&raw, steps, G_N_ELEMENTS (steps));

  r = raw_chat (&raw);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_NETWORK);
  g_assert_nonnull (strstr (r->error->message, "no reply"));
  rw_chat_result_unref (r);

  r = raw_chat (&raw);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (r->error->message, "status line"));
  rw_chat_result_unref (r);

  r = raw_chat (&raw);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_NETWORK);
  g_assert_nonnull (strstr (r->error->message, "cut short"));
  rw_chat_result_unref (r);

  r = raw_chat (&raw);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (r->error->message, "chunked"));
  rw_chat_result_unref (r);

  r = raw_chat (&raw);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_OVERLOADED);
  g_assert_cmpint (r->retry_after_ms, ==, 7000);
  g_assert_cmpuint (r->http_status, ==, 503);
  rw_chat_result_unref (r);

  raw_stop (&raw);

  /* Nobody listens any more. */
  r = raw_chat (&raw);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_NETWORK);
  g_assert_nonnull (strstr (r->error->message, "cannot connect"));
  rw_chat_result_unref (r);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Rw/Http1/request-head", test_request_head);
  g_test_add_func ("/Rw/Http1/request-options", test_request_options);
  g_test_add_func ("/Rw/Http1/request-malformed", test_request_malformed);
  g_test_add_func ("/Rw/Http1/head-too-large", test_head_too_large);
  g_test_add_func ("/Rw/Http1/response-head", test_response_head);
  g_test_add_func ("/Rw/Http1/chunked", test_chunked);
  g_test_add_func ("/Rw/Http1/chunked-malformed", test_chunked_malformed);
  g_test_add_func ("/Rw/Http1/client-keep-alive", test_client_keep_alive);
  g_test_add_func ("/Rw/Http1/client-framings", test_client_framings);
  g_test_add_func ("/Rw/Http1/client-faults", test_client_faults);
  return g_test_run ();
}
