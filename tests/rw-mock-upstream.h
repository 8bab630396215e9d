/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * An OpenAI-compatible upstream on 127.0.0.1 for tests, running on its own thread. Replies are
 * scripted per model (the "model" of the request body): queued replies are used once each in
 * order, then the model's default reply. A reply can be slow, come in odd chunk sizes, stall,
 * or drop the connection at a given byte of its body.
 */

typedef struct _RwMockUpstream RwMockUpstream;

/* In a reply's body: replaced by the request's body as a JSON string, for an echo. */
#define RW_MOCK_REQUEST_BODY "@REQUEST_BODY@"

typedef struct _RwMockReply RwMockReply;

struct _RwMockReply
{
  guint status;
  char *content_type;
  GPtrArray *headers;       /* "Name: value" */
  GBytes *body;
  gboolean chunked;         /* Transfer-Encoding: chunked, else Content-Length */
  gsize chunk_size;         /* body bytes per write; 0 writes it whole */
  guint header_delay_ms;    /* before the status line */
  guint first_delay_ms;     /* between the headers and the first body byte */
  guint chunk_delay_ms;     /* between writes */
  gssize stall_at;          /* stop writing at this body offset and hold the connection; -1 */
  gssize drop_at;           /* close the connection at this body offset; -1 */
  gboolean hang;            /* never answer at all */
  char *match;              /* only for a request whose body contains this; NULL: any */
  gboolean embeddings;      /* the body answers the request's embeddings (see below) */
};

RwMockReply    *rw_mock_reply_new           (guint        status,
                                             const char  *content_type,
                                             const char  *body,
                                             gssize       len);
RwMockReply    *rw_mock_reply_new_json      (guint        status,
                                             const char  *json);
RwMockReply    *rw_mock_reply_new_chat      (const char  *text,
                                             gint64       tokens_in,
                                             gint64       tokens_out);
RwMockReply    *rw_mock_reply_new_stream    (const char * const *pieces,
                                             gint64       tokens_in,
                                             gint64       tokens_out,
                                             gboolean     with_done);
RwMockReply    *rw_mock_reply_new_events    (const char * const *events);
RwMockReply    *rw_mock_reply_new_tool_call (const char  *id,
                                             const char  *name,
                                             const char  *arguments);
RwMockReply    *rw_mock_reply_new_echo      (void);
RwMockReply    *rw_mock_reply_new_embeddings (void);
typedef enum
{
  RW_MOCK_OPENAI,
  RW_MOCK_ANTHROPIC,
  RW_MOCK_GEMINI,
  RW_MOCK_OLLAMA,
} RwMockProtocol;

RwMockReply    *rw_mock_reply_new_protocol_stream (RwMockProtocol      protocol,
                                             const char * const *pieces,
                                             gint64       tokens_in,
                                             gint64       tokens_out);
RwMockReply    *rw_mock_reply_new_protocol_whole  (RwMockProtocol      protocol,
                                             const char  *text,
                                             gint64       tokens_in,
                                             gint64       tokens_out);
RwMockReply    *rw_mock_reply_new_protocol_tool_call (RwMockProtocol protocol,
                                             const char  *id,
                                             const char  *name,
                                             const char  *arguments);
RwMockReply    *rw_mock_reply_copy          (const RwMockReply *reply);
void            rw_mock_reply_add_header    (RwMockReply *reply,
                                             const char  *name,
                                             const char  *value);
void            rw_mock_reply_free          (RwMockReply *reply);

RwMockUpstream *rw_mock_upstream_new        (void);
void            rw_mock_upstream_free       (RwMockUpstream *self);
guint16         rw_mock_upstream_get_port   (RwMockUpstream *self);
char           *rw_mock_upstream_dup_base_url (RwMockUpstream *self);
void            rw_mock_upstream_push       (RwMockUpstream *self,
                                             const char     *model,
                                             RwMockReply    *reply);
void            rw_mock_upstream_add_rule   (RwMockUpstream *self,
                                             const char     *model,
                                             RwMockReply    *reply);
void            rw_mock_upstream_set_default (RwMockUpstream *self,
                                             const char     *model,
                                             RwMockReply    *reply);
guint           rw_mock_upstream_count      (RwMockUpstream *self,
                                             const char     *model);
guint           rw_mock_upstream_get_max_active (RwMockUpstream *self);
void            rw_mock_upstream_wait_requests (RwMockUpstream *self,
                                             const char     *model,
                                             guint           n);
void            rw_mock_upstream_wait_written (RwMockUpstream *self,
                                             const char     *model,
                                             gsize           bytes);
char           *rw_mock_upstream_dup_last_header (RwMockUpstream *self,
                                             const char     *name);
char           *rw_mock_upstream_dup_last_body (RwMockUpstream *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwMockReply, rw_mock_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwMockUpstream, rw_mock_upstream_free)

G_END_DECLS
