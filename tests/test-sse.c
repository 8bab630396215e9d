/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <routewise-engine.h>

typedef struct
{
  GString *log;
  guint stop_after;
  guint n;
} Collect;

static gboolean
collect (const char  *event,
         const char  *data,
         gsize        data_len,
         gpointer     user_data,
         GError     **error)
{
  Collect *c = user_data;

  g_assert_cmpuint (strlen (data), ==, data_len);
  g_string_append_printf (c->log, "[%s|%s]", event, data);
  c->n++;
  if (c->stop_after && c->n >= c->stop_after)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "stopped");
      return FALSE;
    }
  return TRUE;
}

static char *
parse_split (const char *input,
             gsize       len,
             const gsize *cuts,
             guint       n_cuts,
             gboolean   *partial)
{
  Collect c = { g_string_new (NULL), 0, 0 };
  g_autoptr(RwSseParser) parser = rw_sse_parser_new (collect, &c);
  gsize pos = 0;

  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : len;
      g_autoptr(GError) error = NULL;

      g_assert_true (rw_sse_parser_feed (parser, input + pos, end - pos, &error));
      g_assert_no_error (error);
      pos = end;
    }
  if (partial)
    *partial = rw_sse_parser_has_partial (parser);
  return g_string_free (c.log, FALSE);
}

static const char stream[] =
  "\xEF\xBB\xBF: a comment\r\n"
  "data: {\"a\":1}\r\n\r\n"
  "event: ping\n"
  "data:no-space\n\n"
  "data: line one\r"
  "data: line two\r\r"
  "id: 42\n"
  "retry: 1000\n"
  "data\n\n"
  "unknown: field\n"
  "data: ünïcödé ✓\n\n"
  "data: [DONE]\n\n";

static const char expected[] =
  "[message|{\"a\":1}][ping|no-space][message|line one\nline two][message|]"
  "[message|ünïcödé ✓][message|[DONE]]";

static void
test_whole (void)
{
  g_autofree char *log = parse_split (stream, sizeof stream - 1, NULL, 0, NULL);
  g_assert_cmpstr (log, ==, expected);
}

/* The same events whatever the split: every single cut, and one byte at a time. */
static void
test_split_every_byte (void)
{
  gsize len = sizeof stream - 1;

  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autofree char *log = parse_split (stream, len, &cut, 1, NULL);
      g_assert_cmpstr (log, ==, expected);
    }

  {
    g_autofree gsize *cuts = g_new (gsize, len);
    g_autofree char *log = NULL;
    for (gsize i = 0; i < len; i++)
      cuts[i] = i;
    log = parse_split (stream, len, cuts, len, NULL);
    g_assert_cmpstr (log, ==, expected);
  }

  /* Two cuts at every pair of positions in the first 60 bytes. */
  for (gsize a = 0; a < 60; a++)
    for (gsize b = a; b < 60; b++)
      {
        gsize cuts[2] = { a, b };
        g_autofree char *log = parse_split (stream, len, cuts, 2, NULL);
        g_assert_cmpstr (log, ==, expected);
      }
}

static void
test_partial_at_end (void)
{
  const char cut[] = "data: {\"a\":1}\n\ndata: {\"b\":";
  gboolean partial = FALSE;
  g_autofree char *log = parse_split (cut, sizeof cut - 1, NULL, 0, &partial);

  g_assert_cmpstr (log, ==, "[message|{\"a\":1}]");
  g_assert_true (partial);
}

static void
test_line_too_long (void)
{
  Collect c = { g_string_new (NULL), 0, 0 };
  g_autoptr(RwSseParser) parser = rw_sse_parser_new (collect, &c);
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill (5000, 'x');

  rw_sse_parser_set_max_size (parser, 1024);
  g_assert_true (rw_sse_parser_feed (parser, "data: ", 6, NULL));
  g_assert_false (rw_sse_parser_feed (parser, big, 5000, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_clear_error (&error);
  /* A failed parser refuses more input rather than resynchronising on garbage. */
  g_assert_false (rw_sse_parser_feed (parser, "\n\n", 2, &error));
  g_assert_cmpuint (c.n, ==, 0);
  g_string_free (c.log, TRUE);
}

static void
test_event_too_big (void)
{
  Collect c = { g_string_new (NULL), 0, 0 };
  g_autoptr(RwSseParser) parser = rw_sse_parser_new (collect, &c);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  rw_sse_parser_set_max_size (parser, 1024);
  for (guint i = 0; i < 100 && ok; i++)
    ok = rw_sse_parser_feed (parser, "data: 0123456789012345678901234567890123456789\n", 47,
                             &error);
  g_assert_false (ok);
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_string_free (c.log, TRUE);
}

static void
test_callback_stops (void)
{
  Collect c = { g_string_new (NULL), 1, 0 };
  g_autoptr(RwSseParser) parser = rw_sse_parser_new (collect, &c);
  g_autoptr(GError) error = NULL;

  g_assert_false (rw_sse_parser_feed (parser, "data: a\n\ndata: b\n\n", 18, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_cmpuint (c.n, ==, 1);
  g_assert_cmpuint (rw_sse_parser_get_n_events (parser), ==, 1);
  g_string_free (c.log, TRUE);
}

/* Random bytes never crash the parser and memory stays bounded. */
static void
test_garbage (void)
{
  GRand *rand = g_rand_new_with_seed (1234);

  for (guint round = 0; round < 200; round++)
    {
      Collect c = { g_string_new (NULL), 0, 0 };
      g_autoptr(RwSseParser) parser = rw_sse_parser_new (collect, &c);
      guint8 buf[512];

      rw_sse_parser_set_max_size (parser, 256);
      for (guint i = 0; i < sizeof buf; i++)
        {
          static const char alphabet[] = "data: \r\n:event id\xEF\xBB\xBF{}x";
          buf[i] = g_rand_boolean (rand) ? alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)]
                                         : (guint8) g_rand_int_range (rand, 0, 256);
        }
      for (gsize pos = 0; pos < sizeof buf;)
        {
          gsize want = g_rand_int_range (rand, 1, 64);
          gsize n = MIN (sizeof buf - pos, want);
          if (!rw_sse_parser_feed (parser, (const char *) buf + pos, n, NULL))
            break;
          pos += n;
        }
      g_string_free (c.log, TRUE);
    }
  g_rand_free (rand);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Sse/whole", test_whole);
  g_test_add_func ("/Rw/Sse/split-every-byte", test_split_every_byte);
  g_test_add_func ("/Rw/Sse/partial-at-end", test_partial_at_end);
  g_test_add_func ("/Rw/Sse/line-too-long", test_line_too_long);
  g_test_add_func ("/Rw/Sse/event-too-big", test_event_too_big);
  g_test_add_func ("/Rw/Sse/callback-stops", test_callback_stops);
  g_test_add_func ("/Rw/Sse/garbage", test_garbage);
  return g_test_run ();
}
