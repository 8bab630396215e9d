/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include <json-glib/json-glib.h>

#include "rw-chat-result.h"
#include "rw-error.h"

#include "rw-json.h"
#include "rw-http1.h"
#include "rw-sse-parser.h"

G_BEGIN_DECLS

#define RW_HTTP_MAX_BODY (32 * 1024 * 1024)
#define RW_HTTP_MAX_ERROR_BODY (64 * 1024)

gboolean _rw_http_is_loopback_url   (const char    *url);
void     _rw_http_read_all_async    (GInputStream  *stream,
                                     gsize          max_size,
                                     GCancellable  *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer       user_data);
GBytes  *_rw_http_read_all_finish   (GAsyncResult  *result,
                                     gboolean      *truncated,
                                     GError       **error);

/*
 * One HTTP exchange with an upstream: send, classify a failing status from its body, then
 * either parse a stream (SSE events or NDJSON lines) with the handlers, or hand a whole JSON
 * body to them. A stream that ends before the handlers say the answer is complete is an error.
 */
typedef enum
{
  RW_HTTP_SSE,
  RW_HTTP_NDJSON,
} RwHttpFraming;

typedef struct
{
  /* A streamed event: the SSE event name and data, or one NDJSON line (event NULL). */
  gboolean (*event)    (gpointer data, const char *event, const char *text, gsize len,
                        GError **error);
  /* A whole JSON object, when the reply is not a stream: as a compact document when doc_body
   * is set, else as a json-glib object. */
  gboolean (*body)     (gpointer data, JsonObject *root, const char *text, gsize len,
                        GError **error);
  /* Whether the answer is complete: checked after each chunk and at the end of the stream. */
  gboolean (*complete) (gpointer data);
  /* Whether the upstream said it is done sending (for example "[DONE]"): stop reading. */
  gboolean (*ended)    (gpointer data);
  gboolean (*doc_body) (gpointer data, RwJsonDoc *doc, const char *text, gsize len,
                        GError **error);
} RwHttpHandlers;

/*
 * A request to an upstream: what the providers build. Upstreams on this machine get it as
 * bytes on a socket, remote ones as a SoupMessage made from it.
 */
typedef struct _RwHttpRequest RwHttpRequest;

RwHttpRequest *_rw_http_request_new        (const char     *method,
                                            const char     *url,
                                            GError        **error);
void           _rw_http_request_set_header (RwHttpRequest  *request,
                                            const char     *name,
                                            const char     *value);
void           _rw_http_request_set_body   (RwHttpRequest  *request,
                                            const char     *content_type,
                                            GBytes         *body);
void           _rw_http_request_free       (RwHttpRequest  *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwHttpRequest, _rw_http_request_free)

/*
 * What an exchange tells its caller, and asks of it: the status once the reply's head is in, a
 * message made safe to show (no key in it), where the answer so far is kept, and whether the
 * request asked for a stream.
 */
typedef struct
{
  void (*headers) (gpointer owner, guint status);
  RwRedactFunc redact;       /* called with owner */
  gpointer owner;
  RwChatResult *result;
  gboolean stream;
  gsize max_answer_bytes;   /* the provider's limit on an answer; 0: RW_HTTP_MAX_BODY a reply */
} RwHttpSink;

/* The session and connection pools one provider sends with (rw-http-client.c). */
typedef struct _RwHttpClient RwHttpClient;
typedef struct _RwHttpPool RwHttpPool;

RwHttpClient *_rw_http_client_new         (void);
void          _rw_http_client_free        (RwHttpClient *client);
SoupSession  *_rw_http_client_get_session (RwHttpClient *client);
RwHttpPool   *_rw_http_client_get_pool    (RwHttpClient *client);

void     _rw_http_exchange_async  (RwHttpClient         *client,
                                   const RwHttpSink     *sink,
                                   RwHttpRequest        *request,
                                   RwHttpFraming         framing,
                                   const RwHttpHandlers *handlers,
                                   gpointer              data,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
gboolean _rw_http_exchange_finish (GAsyncResult         *result,
                                   GError              **error);
gboolean _rw_http_replay          (const RwHttpSink     *sink,
                                   RwHttpRequest        *request,
                                   RwHttpFraming         framing,
                                   const RwHttpHandlers *handlers,
                                   gpointer              data,
                                   guint                 status,
                                   const char           *content_type,
                                   GBytes               *body,
                                   gsize                 piece,
                                   GError              **error);
RwHttpRequest *_rw_http_new_json_post (const char       *url,
                                   JsonBuilder          *body,
                                   gboolean              stream,
                                   GError              **error);
void     _rw_http_complete_task   (GObject              *object,
                                   GAsyncResult         *result,
                                   gpointer              task);
GError  *_rw_http_redirect_error  (guint                 status,
                                   GUri                 *base,
                                   const char           *location);
GError  *_rw_http_stream_error    (const char           *text,
                                   gsize                 len);

/* Connections kept alive to upstreams on this machine, one pool per provider and event loop. */

RwHttpPool *_rw_http_pool_new        (void);
void        _rw_http_pool_close      (RwHttpPool         *pool);
void        _rw_http_set_direct      (gboolean            direct);

/* What the files of the HTTP client share. */

struct _RwHttpRequest
{
  char *method;
  GUri *uri;
  GPtrArray *headers;     /* name, value, name, value, ... */
  char *content_type;
  GBytes *body;
};

typedef struct _RwHttpUpConn RwHttpUpConn;

typedef struct
{
  RwHttpClient *client;
  RwHttpSink sink;
  RwHttpRequest *req;
  SoupMessage *msg;       /* libsoup's path only */
  RwHttpFraming framing;
  const RwHttpHandlers *handlers;
  gpointer data;
  RwSseParser *sse;
  GString *line;          /* NDJSON: the line so far */

  /* The reply as it comes in. */
  guint status;
  gint64 wait_ms;         /* Retry-After */
  char *location;         /* a redirect's Location */
  gboolean streaming;     /* fed to the handlers as it comes, else read whole */
  GByteArray *body;       /* a whole reply */
  gboolean truncated;

  /* libsoup's path: the reply body. */
  GInputStream *stream;

  /* The direct path, for upstreams on this machine. */
  GTask *task;
  RwHttpUpConn *conn;
  GSource *cancel_source;
  GString *request;       /* the request's bytes */
  gsize sent;
  gboolean reused;        /* sent on a kept-alive connection */
  gboolean retried;
  gboolean head_done;
  gboolean chunked;
  RwHttp1Chunked decoder;
  gint64 body_left;       /* Content-Length still to come; -1 when read to the close */
  gboolean keep_alive;
} RwHttpExchange;

void         _rw_http_up_conn_close       (RwHttpUpConn *c);
gboolean     _rw_http_up_conn_ready       (gpointer data,
                                           GIOCondition ready);
gboolean     _rw_http_direct_cancelled    (GCancellable *cancellable,
                                           gpointer data);
void         _rw_http_direct_start        (RwHttpExchange *x);
GString     *_rw_http_direct_request      (RwHttpRequest *r);
gboolean     _rw_http_direct_possible     (RwHttpExchange *x);
void         _rw_http_return_outcome      (GTask *task,
                                           GError *error);
gint64       _rw_http_retry_after_ms      (const char *ms,
                                           const char *retry_after);
void         _rw_http_exchange_head       (RwHttpExchange *x,
                                           const char *content_type);
gboolean     _rw_http_exchange_feed       (RwHttpExchange *x,
                                           const char *data,
                                           gsize len,
                                           GError **error);
gboolean     _rw_http_exchange_ended      (RwHttpExchange *x);
gboolean     _rw_http_exchange_stream_end (RwHttpExchange *x,
                                           GError **error);
void         _rw_http_exchange_keep       (RwHttpExchange *x,
                                           const char *data,
                                           gsize len);
gboolean     _rw_http_exchange_whole      (RwHttpExchange *x,
                                           GError **error);
GError      *_rw_http_broke_mid_answer    (RwHttpExchange *x,
                                           const char *why);
void         _rw_http_read_all_next       (GTask *task);
void         _rw_http_soup_read_next      (GTask *task);
void         _rw_http_exchange_by_soup    (GTask *task);
SoupMessage *_rw_http_request_to_soup     (RwHttpRequest *r);

G_END_DECLS
