/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-http1.h"

/* ---------------------------------------------------------------------------------- heads */

static gboolean
http1_is_tchar (guchar c)
{
  /* RFC 9110 token characters. */
  return g_ascii_isalnum (c) || (c != 0 && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
http1_has_token (const char *list,
                 const char *token)
{
  gsize n = strlen (token);

  /* A comma-separated list holds the token, compared without case. */
  for (const char *p = list; *p != '\0';)
    {
      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      if (g_ascii_strncasecmp (p, token, n) == 0 &&
          (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t' || p[n] == ';'))
        return TRUE;
      while (*p != '\0' && *p != ',')
        p++;
    }
  return FALSE;
}

static gboolean
http1_last_coding_is_chunked (const char *list)
{
  const char *comma = strrchr (list, ',');
  const char *last = comma ? comma + 1 : list;

  while (*last == ' ' || *last == '\t')
    last++;
  return g_ascii_strncasecmp (last, "chunked", 7) == 0 &&
         (last[7] == '\0' || last[7] == ' ' || last[7] == '\t');
}

/* The next line of the head, NUL-terminated in place without its CR LF; NULL when the buffer
 * ends first. */
static char *
http1_next_line (char  *buf,
                 gsize  len,
                 gsize *pos)
{
  char *start = buf + *pos;
  char *nl = memchr (start, '\n', len - *pos);

  if (nl == NULL)
    return NULL;
  *pos = (gsize) (nl - buf) + 1;
  *nl = '\0';
  if (nl > start && nl[-1] == '\r')
    nl[-1] = '\0';
  return start;
}

static gboolean
http1_parse_version (const char *s,
                     guint      *minor)
{
  if (strncmp (s, "HTTP/1.", 7) != 0 || !g_ascii_isdigit (s[7]) || s[8] != '\0')
    return FALSE;
  *minor = (guint) (s[7] - '0');
  return TRUE;
}

/* What the phases of http1_parse_head() return to go on; the others are its own results. */
#define HTTP1_GO 1

/* Whether the whole head is in (HTTP1_GO), not yet (RW_HTTP1_INCOMPLETE), or too large.
 * Nothing is written into the buffer until the whole head is there, so that a caller may parse
 * again once more bytes arrive. */
static gssize
http1_check_whole (const char   *buf,
                   gsize         len,
                   gsize         pos,
                   const char  **why)
{
  for (gsize i = pos; i + 1 < len && i < RW_HTTP1_MAX_HEAD + 4; i++)
    if (buf[i] == '\n' &&
        (buf[i + 1] == '\n' || (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')))
      {
        if (i <= RW_HTTP1_MAX_HEAD)
          return HTTP1_GO;
        break;
      }
  if (len > RW_HTTP1_MAX_HEAD)
    {
      *why = "the header block is too large";
      return RW_HTTP1_TOO_LARGE;
    }
  return RW_HTTP1_INCOMPLETE;
}

static gboolean
http1_parse_request_line (char         *line,
                          RwHttp1Head  *head,
                          const char  **why)
{
  char *sp1 = strchr (line, ' ');
  char *sp2 = sp1 ? strchr (sp1 + 1, ' ') : NULL;

  if (sp1 == NULL || sp2 == NULL || sp1 == line || sp2 == sp1 + 1)
    {
      *why = "the request line is malformed";
      return FALSE;
    }
  *sp1 = '\0';
  *sp2 = '\0';
  for (const char *p = line; *p; p++)
    if (!http1_is_tchar (*p))
      {
        *why = "the method is malformed";
        return FALSE;
      }
  for (const char *p = sp1 + 1; *p; p++)
    if ((guchar) *p <= ' ' || *p == 0x7f)
      {
        *why = "the request target is malformed";
        return FALSE;
      }
  if (!http1_parse_version (sp2 + 1, &head->minor_version))
    {
      *why = "not an HTTP/1.x request";
      return FALSE;
    }
  head->method = line;
  head->target = sp1 + 1;
  return TRUE;
}

static gboolean
http1_parse_status_line (char         *line,
                         RwHttp1Head  *head,
                         const char  **why)
{
  char *sp = strchr (line, ' ');

  if (sp == NULL)
    {
      *why = "the status line is malformed";
      return FALSE;
    }
  *sp = '\0';
  if (!http1_parse_version (line, &head->minor_version) ||
      !g_ascii_isdigit (sp[1]) || !g_ascii_isdigit (sp[2]) || !g_ascii_isdigit (sp[3]) ||
      (sp[4] != '\0' && sp[4] != ' ') || sp[1] == '0')
    {
      *why = "the status line is malformed";
      return FALSE;
    }
  head->status = (guint) ((sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0'));
  return TRUE;
}

/* A Content-Length's value, or -1 after saying why it is not one. */
static gint64
http1_parse_content_length (const char   *value,
                            const char  **why)
{
  gint64 n = 0;

  if (*value == '\0')
    {
      *why = "Content-Length is empty";
      return -1;
    }
  for (const char *p = value; *p; p++)
    {
      if (!g_ascii_isdigit (*p) || n > G_GINT64_CONSTANT (1) << 50)
        {
          *why = "Content-Length is not a number";
          return -1;
        }
      n = n * 10 + (*p - '0');
    }
  return n;
}

/* One header line, added to @head: HTTP1_GO, or why it is refused. */
static gssize
http1_parse_header (char         *line,
                    RwHttp1Head  *head,
                    const char  **te,
                    const char  **why)
{
  char *colon, *value, *end;

  if (*line == ' ' || *line == '\t')
    {
      *why = "folded header lines are not accepted";
      return RW_HTTP1_MALFORMED;
    }
  colon = strchr (line, ':');
  if (colon == NULL || colon == line)
    {
      *why = "a header line is malformed";
      return RW_HTTP1_MALFORMED;
    }
  for (char *p = line; p < colon; p++)
    {
      if (!http1_is_tchar (*p))
        {
          *why = "a header name is malformed";
          return RW_HTTP1_MALFORMED;
        }
      *p = g_ascii_tolower (*p);
    }
  *colon = '\0';
  value = colon + 1;
  while (*value == ' ' || *value == '\t')
    value++;
  end = value + strlen (value);
  while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
    *--end = '\0';
  for (const char *p = value; *p; p++)
    if ((guchar) *p < 0x20 && *p != '\t')
      {
        *why = "a header value holds a control character";
        return RW_HTTP1_MALFORMED;
      }
  if (head->n_headers == RW_HTTP1_MAX_HEADERS)
    {
      *why = "too many header lines";
      return RW_HTTP1_TOO_LARGE;
    }
  head->headers[head->n_headers].name = line;
  head->headers[head->n_headers].value = value;
  head->n_headers++;

  if (g_str_equal (line, "content-length"))
    {
      gint64 n = http1_parse_content_length (value, why);

      if (n < 0)
        return RW_HTTP1_MALFORMED;
      if (head->content_length >= 0 && head->content_length != n)
        {
          *why = "Content-Length is given twice";
          return RW_HTTP1_MALFORMED;
        }
      head->content_length = n;
    }
  else if (g_str_equal (line, "transfer-encoding"))
    {
      if (*te != NULL)
        {
          *why = "Transfer-Encoding is given twice";
          return RW_HTTP1_MALFORMED;
        }
      *te = value;
    }
  return HTTP1_GO;
}

/* The framing and the connection's fate, from the headers once they are all in. */
static gssize
http1_finish_head (RwHttp1Head  *head,
                   gboolean      request,
                   const char   *te,
                   const char  **why)
{
  const char *connection;
  const char *expect;

  if (te != NULL)
    {
      head->chunked = http1_last_coding_is_chunked (te);
      if (request && (!head->chunked || head->content_length >= 0))
        {
          /* A request framed two ways, or in a way we cannot read, is refused. */
          *why = head->chunked ? "both Content-Length and Transfer-Encoding are given"
                               : "a request body must be chunked or have a Content-Length";
          return RW_HTTP1_MALFORMED;
        }
      head->content_length = -1;
    }

  connection = rw_http1_head_get (head, "connection");
  if (head->minor_version >= 1)
    head->keep_alive = connection == NULL || !http1_has_token (connection, "close");
  else
    head->keep_alive = connection != NULL && http1_has_token (connection, "keep-alive");
  expect = rw_http1_head_get (head, "expect");
  head->expect_continue = request && expect != NULL &&
                          g_ascii_strcasecmp (expect, "100-continue") == 0;
  return HTTP1_GO;
}

static gssize
http1_parse_head (char         *buf,
                  gsize         len,
                  gboolean      request,
                  RwHttp1Head  *head,
                  const char  **why)
{
  gsize pos = 0;
  char *line;
  const char *te = NULL;
  gssize rc;

  memset (head, 0, sizeof *head);
  head->content_length = -1;
  *why = NULL;

  /* A request may start with blank lines, which are skipped. */
  if (request)
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
      pos++;
  if ((rc = http1_check_whole (buf, len, pos, why)) != HTTP1_GO)
    return rc;

  line = http1_next_line (buf, len, &pos);
  if (line == NULL)
    return RW_HTTP1_INCOMPLETE;   /* not reached: the head ends further on */
  if (request ? !http1_parse_request_line (line, head, why)
              : !http1_parse_status_line (line, head, why))
    return RW_HTTP1_MALFORMED;

  for (;;)
    {
      line = http1_next_line (buf, len, &pos);
      if (line == NULL)
        return RW_HTTP1_INCOMPLETE;   /* not reached: the blank line was found above */
      if (*line == '\0')
        break;
      if ((rc = http1_parse_header (line, head, &te, why)) != HTTP1_GO)
        return rc;
    }
  if ((rc = http1_finish_head (head, request, te, why)) != HTTP1_GO)
    return rc;
  return (gssize) pos;
}

gssize
rw_http1_parse_request (char         *buf,
                        gsize         len,
                        RwHttp1Head  *head,
                        const char  **why)
{
  return http1_parse_head (buf, len, TRUE, head, why);
}

gssize
rw_http1_parse_response (char         *buf,
                         gsize         len,
                         RwHttp1Head  *head,
                         const char  **why)
{
  return http1_parse_head (buf, len, FALSE, head, why);
}

/* The first value of a header, by its lower-case name. */
const char *
rw_http1_head_get (const RwHttp1Head *head,
                   const char        *name)
{
  for (guint i = 0; i < head->n_headers; i++)
    if (g_str_equal (head->headers[i].name, name))
      return head->headers[i].value;
  return NULL;
}

/* -------------------------------------------------------------------------------- chunked */

enum
{
  CH_SIZE,
  CH_EXT,
  CH_SIZE_LF,
  CH_DATA,
  CH_DATA_CR,
  CH_DATA_LF,
  CH_TRAILER,
  CH_DONE,
};

#define MAX_CHUNK_LINE 4096

gssize
rw_http1_chunked_decode (RwHttp1Chunked *c,
                         char           *buf,
                         gsize           len,
                         gsize          *out_len,
                         gboolean       *done)
{
  gsize i = 0, o = 0;

  *done = c->state == CH_DONE;
  while (i < len && c->state != CH_DONE)
    {
      guchar ch = (guchar) buf[i];

      switch (c->state)
        {
        case CH_SIZE:
          if (g_ascii_isxdigit (ch))
            {
              if (c->remaining >> 56 != 0)
                return -1;
              c->remaining = c->remaining * 16 + (guint64) g_ascii_xdigit_value (ch);
              if (++c->line_len > 16)
                return -1;
            }
          else if (c->line_len == 0)
            return -1;
          else if (ch == ';' || ch == ' ' || ch == '\t')
            c->state = CH_EXT;
          else if (ch == '\r')
            c->state = CH_SIZE_LF;
          else if (ch == '\n')
            goto size_done;
          else
            return -1;
          i++;
          break;

        case CH_EXT:
          if (++c->line_len > MAX_CHUNK_LINE)
            return -1;
          if (ch == '\n')
            goto size_done;
          i++;
          break;

        case CH_SIZE_LF:
          if (ch != '\n')
            return -1;
        size_done:
          i++;
          c->line_len = 0;
          c->state = c->remaining == 0 ? CH_TRAILER : CH_DATA;
          break;

        case CH_DATA:
          {
            gsize n = (gsize) MIN ((guint64) (len - i), c->remaining);
            memmove (buf + o, buf + i, n);
            o += n;
            i += n;
            c->remaining -= n;
            if (c->remaining == 0)
              c->state = CH_DATA_CR;
          }
          break;

        case CH_DATA_CR:
          if (ch == '\r')
            c->state = CH_DATA_LF;
          else if (ch == '\n')
            c->state = CH_SIZE;
          else
            return -1;
          i++;
          break;

        case CH_DATA_LF:
          if (ch != '\n')
            return -1;
          c->state = CH_SIZE;
          i++;
          break;

        case CH_TRAILER:
          /* Trailer lines are read and dropped; an empty line ends the body. */
          i++;
          if (ch == '\n')
            {
              if (c->line_len == 0)
                c->state = CH_DONE;
              c->line_len = 0;
            }
          else if (ch != '\r' && ++c->line_len > MAX_CHUNK_LINE)
            return -1;
          break;

        default:
          g_assert_not_reached ();
        }
    }
  *out_len = o;
  *done = c->state == CH_DONE;
  return (gssize) i;
}

/* ---------------------------------------------------------------------------------- watch */

typedef struct
{
  GSource source;
  GPollFD pfd;
  RwFdFunc func;
  gpointer data;
} FdWatch;

#define ALWAYS_REPORTED (G_IO_ERR | G_IO_HUP | G_IO_NVAL)

static gboolean
http1_fd_watch_check (GSource *source)
{
  FdWatch *w = (FdWatch *) source;

  return (w->pfd.revents & (w->pfd.events | ALWAYS_REPORTED)) != 0;
}

static gboolean
http1_fd_watch_dispatch (GSource     *source,
                         GSourceFunc  callback,
                         gpointer     user_data)
{
  FdWatch *w = (FdWatch *) source;

  return w->func (w->data, w->pfd.revents & (w->pfd.events | ALWAYS_REPORTED));
}

static GSourceFuncs fd_watch_funcs = {
  .check = http1_fd_watch_check,
  .dispatch = http1_fd_watch_dispatch,
};

/* A source that calls @func whenever @fd is ready for @events (errors and hang-ups always
 * count), attached to the thread-default main context. The caller owns the returned reference
 * and destroys it with g_source_destroy() before closing @fd.
 *
 * A watch costs no wake-up of its loop after it is attached: GLib signals the loop's wake-up
 * descriptor whenever a source's descriptors are added, removed or changed, and when it
 * dispatches a source that may not recurse (it takes the descriptors out of the poll set for
 * the call and puts them back after). A socket served a request at a time would pay four or
 * more of those writes and as many extra polls a request. So the watch may recurse (its
 * callbacks never run a nested loop), and it keeps its own GPollFD, whose events the loop
 * reads afresh each time it polls. */
GSource *
rw_fd_watch_new (int           fd,
                 GIOCondition  events,
                 RwFdFunc      func,
                 gpointer      data)
{
  GSource *source = g_source_new (&fd_watch_funcs, sizeof (FdWatch));
  FdWatch *w = (FdWatch *) source;

  w->pfd.fd = fd;
  w->pfd.events = events;
  w->func = func;
  w->data = data;
  g_source_add_poll (source, &w->pfd);
  g_source_set_static_name (source, "[routewise] socket");
  g_source_set_can_recurse (source, TRUE);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

/* Changes what @watch waits for. Only from the thread that runs its main context (every
 * caller is one of its callbacks or code they call): the change then takes effect at the
 * loop's next poll without waking it. */
void
rw_fd_watch_set_events (GSource      *watch,
                        GIOCondition  events)
{
  FdWatch *w = (FdWatch *) watch;

  w->pfd.events = events;
}
