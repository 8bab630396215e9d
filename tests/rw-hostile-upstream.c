/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-hostile-upstream.h"

/**
 * rw_hostile_deep_json:
 * @member: the name of the one member of the outer object
 *
 * Returns: (transfer full): `{"member": [[[…]]]}` with RW_HOSTILE_DEPTH arrays, the document
 *   that crashed json-glib, which recursed once per level
 */
char *
rw_hostile_deep_json (const char *member)
{
  GString *s = g_string_sized_new (2 * RW_HOSTILE_DEPTH + 64);

  g_string_append_printf (s, "{\"%s\": ", member);
  for (guint i = 0; i < RW_HOSTILE_DEPTH; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < RW_HOSTILE_DEPTH; i++)
    g_string_append_c (s, ']');
  g_string_append (s, "}\n");
  return g_string_free (s, FALSE);
}

/**
 * rw_hostile_reply_huge_stream:
 * @bytes: how much text the answer streams, in pieces of 64 KiB
 *
 * Returns: (transfer full): a stream that goes on far past any sensible answer
 */
RwMockReply *
rw_hostile_reply_huge_stream (gsize bytes)
{
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);

  for (gsize i = 0; i * 65536 < bytes; i++)
    {
      gsize n = MIN (65536, bytes - i * 65536);
      char *piece = g_malloc (n + 1);

      memset (piece, 'a' + i % 26, n);
      piece[n] = '\0';
      g_ptr_array_add (pieces, piece);
    }
  g_ptr_array_add (pieces, NULL);
  return rw_mock_reply_new_stream ((const char * const *) pieces->pdata, 11, 5, TRUE);
}

static RwMockReply *
chat_with_usage (const char *usage)
{
  g_autofree char *body =
    g_strdup_printf ("{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                     "\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
                     "\"finish_reason\":\"stop\"}],\"usage\":%s}", usage);

  return rw_mock_reply_new (200, "application/json", body, -1);
}

/**
 * rw_hostile_reply_absurd_usage:
 *
 * Returns: (transfer full): the answer "Hi" reported as 2^63-1 tokens, which once stored a cost
 *   of $13.8 trillion and overflowed the server's arithmetic
 */
RwMockReply *
rw_hostile_reply_absurd_usage (void)
{
  return chat_with_usage ("{\"prompt_tokens\":7,\"completion_tokens\":9223372036854775807,"
                          "\"total_tokens\":9223372036854775807}");
}

static RwMockReply *
huge_whole (gsize bytes)
{
  GString *s = g_string_sized_new (bytes + 256);
  RwMockReply *reply;

  g_string_append (s, "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                      "\"message\":{\"role\":\"assistant\",\"content\":\"");
  for (gsize i = 0; i < bytes; i++)
    g_string_append_c (s, 'a' + (i >> 16) % 26);
  g_string_append (s, "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,"
                      "\"completion_tokens\":5}}");
  reply = rw_mock_reply_new (200, "application/json", s->str, s->len);
  g_string_free (s, TRUE);
  return reply;
}

static RwMockReply *
deep_stream (void)
{
  g_autofree char *deep = rw_hostile_deep_json ("choices");
  g_autofree char *event = g_strdelimit (g_strdup (deep), "\n", ' ');
  const char *events[] = { event, NULL };

  return rw_mock_reply_new_events (events);
}

static RwMockReply *
endless_usage_stream (void)
{
  RwMockReply *reply;
  const char *events[] = {
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
    "{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}",
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"stop\"}]}",
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
    "{\"prompt_tokens\":1e300,\"completion_tokens\":1e300,\"total_tokens\":1e300}}",
    "[DONE]",
    NULL
  };

  reply = rw_mock_reply_new_events (events);
  return reply;
}

/**
 * rw_hostile_upstream_new:
 *
 * Returns: (transfer full): a mock upstream answering each model of rw_hostile_cases as its
 *   comment in rw-hostile-upstream.h says, again and again
 */
RwMockUpstream *
rw_hostile_upstream_new (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *deep = rw_hostile_deep_json ("choices");
  g_autofree char *deep_list = rw_hostile_deep_json ("data");
  g_autofree char *deep_error = rw_hostile_deep_json ("error");

  rw_mock_upstream_set_default (mock, "GET /v1/models", rw_mock_reply_new_json (200, deep_list));
  rw_mock_upstream_set_default (mock, "deep", rw_mock_reply_new_json (200, deep));
  rw_mock_upstream_set_default (mock, "deep-stream", deep_stream ());
  rw_mock_upstream_set_default (mock, "deep-error", rw_mock_reply_new_json (500, deep_error));
  rw_mock_upstream_set_default (mock, "huge", rw_hostile_reply_huge_stream (RW_HOSTILE_HUGE_BYTES));
  rw_mock_upstream_set_default (mock, "huge-whole", huge_whole (24 << 20));
  rw_mock_upstream_set_default (mock, "huge-reply", huge_whole (40 << 20));
  rw_mock_upstream_set_default (mock, "absurd-usage", rw_hostile_reply_absurd_usage ());
  rw_mock_upstream_set_default (mock, "negative-usage",
                                chat_with_usage ("{\"prompt_tokens\":-7,\"completion_tokens\":2.5,"
                                                 "\"total_tokens\":-4.5}"));
  rw_mock_upstream_set_default (mock, "endless-usage", endless_usage_stream ());
  return mock;
}

const RwHostileCase rw_hostile_cases[] = {
  { "deep", TRUE, "nested deeper than 512 levels", NULL, 0 },
  { "deep-stream", TRUE, "nested deeper than 512 levels", NULL, 0 },
  { "deep-error", TRUE, "HTTP 500", NULL, 0 },
  /* What arrived up to the provider's limit (16 MiB unless providers.json says otherwise). */
  { "huge", TRUE, "max_answer_bytes", NULL, 16 << 20 },
  { "huge-whole", TRUE, "max_answer_bytes", NULL, 16 << 20 },
  /* Too large to be read as a whole, and so not read at all. */
  { "huge-reply", TRUE, "max_answer_bytes", NULL, 0 },
  { "absurd-usage", FALSE, NULL, "*reported a usage no answer can have*", 2 },
  /* Counts that are no counts are no usage: estimated, without a word. */
  { "negative-usage", FALSE, NULL, NULL, 2 },
  { "endless-usage", FALSE, NULL, NULL, 2 },
};

const guint rw_hostile_n_cases = G_N_ELEMENTS (rw_hostile_cases);
