/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-http1.h"
#include "rw-server.h"

G_BEGIN_DECLS

/* What the files of RwServer share: the server, its event loops, a connection and the request
 * it reads, and the functions one file gives the others. */

struct _RwServer
{
  GObject parent_instance;

  RwRouter *router;
  int listen_fd;
  GSource *listen_watch;
  GSource *accept_retry;
  char *token;
  GStrv allowed_origins;  /* the web pages' origins allowed to call; none by default */
  guint16 port;
  guint heartbeat_ms;
  /* What a client may take (see rw_server_set_client_limits()): connections open at once, and
   * how long it may keep one idle, take to send a request's head and its body, and leave a
   * reply unread. */
  guint max_conns;
  guint idle_timeout_ms;
  guint head_timeout_ms;
  guint body_timeout_ms;
  guint send_timeout_ms;
  guint64 n_served;       /* atomic */
  guint n_loops;
  /* The event loops connections are shared out to, round robin: the first is the one the
   * server listens on, the others run on threads of their own. */
  GPtrArray *workers;
  guint next_worker;
  /* Where request-served is emitted: the context the server was made on. */
  GMainContext *owner_context;
  /* The Responses API's conversations, for previous_response_id (rw-server-responses.c). */
  GMutex responses_lock;
  GHashTable *responses;
  GQueue *response_order;
  gsize responses_bytes;       /* the conversations' text kept, in all */
  guint responses_max;         /* see rw_server_set_responses_kept() */
  gsize responses_max_bytes;
};

void     _rw_server_emit_served        (RwServer        *self,
                                        RwServedRequest *served);
gboolean _rw_server_has_served_handler (RwServer        *self);

typedef struct
{
  RwServer *server;       /* not owned */
  GThread *thread;        /* NULL for the loop the server listens on */
  GMainContext *context;
  GMainLoop *loop;
  GHashTable *conns;      /* Conn -> itself: this loop's open connections */
  guint max_conns;        /* this loop's share of the server's */
  guint n_storing;        /* replies waiting for their answer to be stored */
  GSource *sweeper;       /* closes the connections past their deadline */
} RwServerWorker;

#define MAX_REQUEST_BODY (8 * 1024 * 1024)
/* A reply backlog past which pipelined requests wait, and past which a client that does not
 * read its streamed answer is dropped. */
#define MAX_QUEUED_OUTPUT (1024 * 1024)
#define MAX_UNREAD_OUTPUT (8 * 1024 * 1024)

typedef struct _RwServerCall RwServerCall;

/* How a wire format writes an answer: a stream's start, its pieces, its clean end or its end
 * in failure (after text went out), or the whole answer at once. */
typedef struct
{
  void (*stream_start)  (RwServerCall      *call,
                         const char        *model);
  void (*stream_delta)  (RwServerCall      *call,
                         const char        *model,
                         const RwChatDelta *delta);
  void (*stream_finish) (RwServerCall      *call,
                         RwRouteResult     *out);
  void (*stream_fail)   (RwServerCall      *call,
                         guint              status,
                         const GError      *error,
                         const char        *code);
  void (*reply_whole)   (RwServerCall      *call,
                         RwRouteResult     *out);
  void (*free_state)    (gpointer           state);
} RwServerFormat;

typedef struct
{
  /* The request being read or answered. */
  gboolean parsed;            /* its head is in */
  gsize head_len;
  gint64 content_length;
  gboolean chunked;
  RwHttp1Chunked decoder;
  gsize body_end;             /* end of the (decoded) body in the input buffer */
  gboolean continue_sent;
  char *method;
  char *path;
  char *task;
  char *cors_origin;          /* the allowed web page's origin it came from, else NULL */
  gboolean authorized;
  gboolean keep_alive;
  guint minor_version;
} RwServerRequest;

typedef struct
{
  gint ref_count;
  RwServer *server;           /* not owned; NULL once the connection is closed */
  RwServerWorker *worker;             /* the event loop it lives on */
  int fd;
  GSource *watch;
  GByteArray *in;
  GString *out;
  gsize out_pos;
  RwServerRequest req;
  RwServerCall *call;                 /* the request in flight */
  gboolean close_after;       /* close once everything queued is sent */
  guint retry_after_s;        /* the next 429 or 503 reply's Retry-After, 0 for none */
  gboolean peer_closed;
  gboolean draining;          /* replied and shut down: input is read and dropped */
  GSource *drain_timer;
  /* When the connection is closed unless something happens (0: no deadline, while a request
   * is answered), and why; when it last sent or read a byte. */
  gint64 deadline_us;
  const char *deadline_what;
  gint64 last_active_us;
  gint64 stalled_since_us;    /* a reply waits for the client to read it, since then; 0 */
} RwServerConn;

#define MAX_BUFFERED_INPUT (MAX_REQUEST_BODY + RW_HTTP1_MAX_HEAD)

void     _rw_server_conn_set_deadline (RwServerConn *c,
                                       guint         ms,
                                       const char   *what);
gboolean _rw_server_sweep             (gpointer      data);

struct _RwServerCall
{
  const RwServerFormat *format;
  gpointer state;              /* the format's own */
  RwServer *server;
  RwServerConn *conn;
  GCancellable *cancellable;
  char *id;
  gint64 created;
  gboolean stream;
  gboolean include_usage;
  gboolean headers_sent;
  gboolean finished;
  GSource *server_heartbeat;
  gint64 last_write_us;
  char *requested;
  gint64 started_us;
  guint n_choices;             /* how many choices the caller asked for */
  char *fingerprint;           /* the upstream's system_fingerprint, once known */
};

RwServerCall *_rw_server_call_start       (RwServerConn         *c,
                                           const RwServerFormat *format,
                                           const char           *id_prefix,
                                           RwChatRequest        *request,
                                           const char           *model);
RwServerCall *_rw_server_call_new         (RwServerConn         *c,
                                           const RwServerFormat *format,
                                           const char           *id_prefix,
                                           const char           *model);
void          _rw_server_call_done        (RwServerCall         *call);
void          _rw_server_call_report      (RwServerCall         *call,
                                           const char           *served,
                                           const char           *task,
                                           guint                 status,
                                           double                cost,
                                           guint                 fallbacks);
void          _rw_server_call_route       (RwServerCall         *call,
                                           RwChatRequest        *request);
void          _rw_server_call_free        (RwServerCall         *call);
void          _rw_server_request_set_extra (RwChatRequest       *request,
                                           JsonObject           *extra,
                                           const char           *task_header);
gboolean      _rw_server_check_request    (JsonNode            *stream,
                                           JsonNode            *temperature,
                                           JsonNode            *limit,
                                           const char          *limit_name,
                                           GError             **error);
guint         _rw_server_status_for_error (const GError         *error,
                                           const char          **code);
void          _rw_server_stream_append    (RwServerConn         *c,
                                           const char           *data,
                                           gsize                 len);
void          _rw_server_stream_end       (RwServerConn         *c);
/* How many answered conversations the Responses endpoint keeps for previous_response_id, and
 * how much of their text in all, unless rw_server_set_responses_kept() says otherwise. */
#define RW_SERVER_RESPONSES_KEPT 1000
#define RW_SERVER_RESPONSES_KEPT_BYTES (128 * 1024 * 1024)

void          _rw_server_responses_free   (RwServer             *self);
char         *_rw_server_responses_lookup (RwServer             *self,
                                           const char           *id);
RwChatRequest *_rw_server_responses_parse (RwServer             *self,
                                           JsonObject           *given,
                                           const char           *task_header,
                                           char                **messages_out,
                                           GError              **error);
void          _rw_server_handle_responses (RwServer             *self,
                                           RwServerConn         *c,
                                           const char           *body,
                                           gsize                 len);
void          _rw_server_handle_embeddings (RwServer            *self,
                                            RwServerConn        *c,
                                            const char          *body,
                                            gsize                len);
guint         _rw_server_embeddings_count_inputs (JsonNode      *input,
                                                  gint64        *tokens,
                                                  GError       **error);

GSource      *_rw_server_add_timeout      (guint ms,
                                           GSourceFunc func,
                                           gpointer data);
void          _rw_server_clear_source     (GSource **source);
char         *_rw_server_error_json       (guint status,
                                           const char *message,
                                           const char *code,
                                           const char *param);
void          _rw_server_call_client_gone (RwServerCall *call);
gboolean      _rw_server_token_matches    (const char *given,
                                           const char *token);
void          _rw_server_dispatch         (RwServerConn *c,
                                           const char *body,
                                           gsize len);
RwServerConn *_rw_server_conn_ref         (RwServerConn *c);
void          _rw_server_conn_unref       (RwServerConn *c);
void          _rw_server_conn_close       (RwServerConn *c);
void          _rw_server_conn_flush       (RwServerConn *c);
void          _rw_server_begin_reply      (RwServerConn *c,
                                           guint status,
                                           const char *content_type,
                                           gssize content_length,
                                           const char *model,
                                           const char *task);
void          _rw_server_reply_json       (RwServerConn *c,
                                           guint status,
                                           const char *model,
                                           const char *task,
                                           char *body);
void          _rw_server_reply_error      (RwServerConn *c,
                                           guint status,
                                           const char *message,
                                           const char *code);
void          _rw_server_reply_request_error (RwServerConn *c,
                                           const GError *error);
void          _rw_server_conn_process     (RwServerConn *c);
gboolean      _rw_server_conn_ready       (gpointer data,
                                           GIOCondition ready);
gpointer      _rw_server_worker_main      (gpointer data);
void          _rw_server_worker_free      (RwServerWorker *w);
void          _rw_server_close_all        (RwServer *self);
gboolean      _rw_server_accept_ready     (gpointer data,
                                           GIOCondition ready);

G_END_DECLS
