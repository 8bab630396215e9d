/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * HTTP/1.1 on the wire, for the local endpoint and for upstreams on this machine: parsing a
 * request or response head in place, decoding a chunked body, and watching a socket from a
 * GLib main context. Everything here reads bytes from outside the program, so every length is
 * bounded and every malformed input is an error, never a crash.
 */

#define RW_HTTP1_MAX_HEAD    (64 * 1024)
#define RW_HTTP1_MAX_HEADERS 100

typedef struct
{
  const char *name;     /* lower case */
  const char *value;    /* without surrounding white space */
} RwHttp1Header;

typedef struct
{
  /* A request's method and target; NULL in a response. */
  const char *method;
  const char *target;
  /* A response's status; 0 in a request. */
  guint status;
  guint minor_version;
  RwHttp1Header headers[RW_HTTP1_MAX_HEADERS];
  guint n_headers;
  /* From the headers: -1 when there is no Content-Length. */
  gint64 content_length;
  gboolean chunked;
  gboolean keep_alive;
  gboolean expect_continue;
} RwHttp1Head;

typedef enum
{
  RW_HTTP1_INCOMPLETE = 0,
  RW_HTTP1_MALFORMED = -1,
  RW_HTTP1_TOO_LARGE = -2,
} RwHttp1ParseStatus;

/* Parse the head at the start of @buf, writing NULs into it so that the strings in @head point
 * into @buf. Returns the head's length including its blank line, or a RwHttp1ParseStatus (0 when
 * more bytes are needed). On failure @buf may have been changed. */
gssize      rw_http1_parse_request  (char         *buf,
                                     gsize         len,
                                     RwHttp1Head  *head,
                                     const char  **why);
gssize      rw_http1_parse_response (char         *buf,
                                     gsize         len,
                                     RwHttp1Head  *head,
                                     const char  **why);
const char *rw_http1_head_get       (const RwHttp1Head *head,
                                     const char        *name);

/* A chunked body, decoded in place. */
typedef struct
{
  int state;
  guint64 remaining;
  guint line_len;
} RwHttp1Chunked;

/* Decodes what it can of @buf[0..@len): the body bytes are moved to the front of @buf and
 * counted in @out_len. Returns how many input bytes were used (fewer than @len only when the
 * body ended, which sets @done), or -1 when the framing is malformed. */
gssize      rw_http1_chunked_decode (RwHttp1Chunked *chunked,
                                     char           *buf,
                                     gsize           len,
                                     gsize          *out_len,
                                     gboolean       *done);

/* A socket watched from a main context: @func runs with the conditions that are ready. */
typedef gboolean (*RwFdFunc) (gpointer     data,
                              GIOCondition ready);

GSource    *rw_fd_watch_new         (int           fd,
                                     GIOCondition  events,
                                     RwFdFunc      func,
                                     gpointer      data);
void        rw_fd_watch_set_events  (GSource      *watch,
                                     GIOCondition  events);

G_END_DECLS
