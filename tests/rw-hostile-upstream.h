/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-mock-upstream.h"

G_BEGIN_DECLS

/*
 * The security probe's hostile upstream, as a fixture: an OpenAI-compatible server on loopback
 * whose every model misbehaves in its own way, and which, asked for its model list as a local
 * server on a discovered port would be, answers with a document nested 100,000 levels deep.
 *
 * Its models, by the "model" of the request:
 *   deep           a whole answer nested 100,000 levels deep
 *   deep-stream    a stream whose event is nested as deep
 *   deep-error     a 500 whose error body is nested as deep
 *   huge           a stream of RW_HOSTILE_HUGE_BYTES of text, in pieces of 64 KiB
 *   huge-whole     one whole answer of 24 MiB of text
 *   huge-reply     one whole answer of 40 MiB of text, more than a reply may be
 *   absurd-usage   "Hi", with completion_tokens 2^63-1
 *   negative-usage "Hi", with negative and fractional token counts
 *   endless-usage  a stream of "Hi" whose usage is 10^300 tokens
 */

#define RW_HOSTILE_DEPTH 100000
#define RW_HOSTILE_HUGE_BYTES (32 * 1024 * 1024)

char           *rw_hostile_deep_json              (const char *member);
RwMockReply    *rw_hostile_reply_huge_stream      (gsize       bytes);
RwMockReply    *rw_hostile_reply_absurd_usage     (void);
RwMockUpstream *rw_hostile_upstream_new           (void);

/* The models above, each with its expected outcome, for tests that go through all of them. */
typedef struct
{
  const char *model;
  gboolean fails;          /* an error, not an answer */
  const char *message;     /* a part of the error's message, or NULL */
  const char *warning;     /* the engine's warning, as a pattern, or NULL */
  gsize kept;              /* bytes of the answer's text that are kept */
} RwHostileCase;

extern const RwHostileCase rw_hostile_cases[];
extern const guint rw_hostile_n_cases;

G_END_DECLS
