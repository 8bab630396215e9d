/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "rw-chat-request-private.h"
#include "rw-error.h"
#include "rw-http-private.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-sse-parser.h"

/*
 * Upstreams on this machine (a local model server, a gateway, the test upstream) are spoken to
 * directly: HTTP/1.1 on a non-blocking socket watched by the main context, connections kept
 * alive in a pool per host and port. This path has no proxy, no TLS and no redirects, which is
 * what loopback needs, and costs a few system calls per request. Everything else goes through
 * libsoup.
 */

/* Helpers shared by the HTTP providers. */

static gboolean
http_is_loopback_host (const char *host)
{
  return host != NULL && (g_str_equal (host, "localhost") || g_str_has_prefix (host, "127.") ||
                          g_str_equal (host, "::1") || g_str_equal (host, "[::1]"));
}

gboolean
_rw_http_is_loopback_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && http_is_loopback_host (g_uri_get_host (uri));
}


struct _RwHttpPool
{
  gint ref_count;
  GMainContext *context;
  GHashTable *idle;       /* "host:port" -> GQueue of idle UpConn */
  gboolean closed;
};

struct _RwHttpUpConn
{
  RwHttpPool *pool;
  char *key;
  int fd;
  GSource *watch;
  GByteArray *in;         /* what was read and not yet used */
  RwHttpExchange *x;            /* the exchange using it; NULL while idle */
  gboolean connecting;
};

#define MAX_IDLE_PER_HOST 256

static gboolean use_direct = TRUE;

/* Whether upstreams on this machine are spoken to directly (the default) or through libsoup,
 * as remote ones are. The test suite runs its upstream faults both ways. */
void
_rw_http_set_direct (gboolean direct)
{
  use_direct = direct;
}

RwHttpPool *
_rw_http_pool_new (void)
{
  RwHttpPool *pool = g_new0 (RwHttpPool, 1);

  pool->ref_count = 1;
  pool->context = g_main_context_ref_thread_default ();
  pool->idle = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return pool;
}

static void
http_pool_unref (RwHttpPool *pool)
{
  if (--pool->ref_count > 0)
    return;
  g_hash_table_unref (pool->idle);
  g_main_context_unref (pool->context);
  g_free (pool);
}

/* Closes the idle connections; the busy ones close when their exchange ends. */
void
_rw_http_pool_close (RwHttpPool *pool)
{
  GHashTableIter iter;
  gpointer value;

  pool->closed = TRUE;
  g_hash_table_iter_init (&iter, pool->idle);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GQueue *q = value;
      RwHttpUpConn *c;

      while ((c = g_queue_pop_head (q)) != NULL)
        _rw_http_up_conn_close (c);
      g_queue_free (q);
      g_hash_table_iter_remove (&iter);
    }
  http_pool_unref (pool);
}

void
_rw_http_up_conn_close (RwHttpUpConn *c)
{
  g_source_destroy (c->watch);
  g_source_unref (c->watch);
  close (c->fd);
  g_byte_array_unref (c->in);
  g_free (c->key);
  http_pool_unref (c->pool);
  g_free (c);
}

static gboolean
http_idle_ready (gpointer     data,
                 GIOCondition ready)
{
  RwHttpUpConn *c = data;
  GQueue *q = g_hash_table_lookup (c->pool->idle, c->key);

  /* An idle connection has nothing to say: the upstream closed it, or sent what it should
   * not have. Either way it is not used again. */
  g_queue_remove (q, c);
  _rw_http_up_conn_close (c);
  return G_SOURCE_CONTINUE;
}

static void
http_pool_put (RwHttpUpConn *c)
{
  RwHttpPool *pool = c->pool;
  GQueue *q;

  c->x = NULL;
  if (pool->closed || c->in->len > 0)
    {
      _rw_http_up_conn_close (c);
      return;
    }
  q = g_hash_table_lookup (pool->idle, c->key);
  if (q == NULL)
    {
      q = g_queue_new ();
      g_hash_table_insert (pool->idle, g_strdup (c->key), q);
    }
  if (q->length >= MAX_IDLE_PER_HOST)
    {
      _rw_http_up_conn_close (c);
      return;
    }
  rw_fd_watch_set_events (c->watch, G_IO_IN);
  g_queue_push_head (q, c);
}

static RwHttpUpConn *
http_pool_take (RwHttpPool *pool,
                const char *key)
{
  GQueue *q = g_hash_table_lookup (pool->idle, key);

  return q ? g_queue_pop_head (q) : NULL;
}

/* Ends the exchange with its outcome (@error taken, NULL for success). Its connection goes back
 * to the pool when @reusable, else it is closed; either way before the caller hears of the
 * outcome, which may start the next request at once. */
static void
http_direct_finish (RwHttpExchange *x,
                    GError   *error,
                    gboolean  reusable)
{
  g_autoptr(GTask) task = g_steal_pointer (&x->task);
  RwHttpUpConn *c = g_steal_pointer (&x->conn);

  if (x->cancel_source != NULL)
    {
      g_source_destroy (x->cancel_source);
      g_clear_pointer (&x->cancel_source, g_source_unref);
    }
  if (c != NULL)
    {
      if (reusable && x->keep_alive)
        http_pool_put (c);
      else
        _rw_http_up_conn_close (c);
    }
  _rw_http_return_outcome (task, error);
}

/* Body bytes, as they come. Returns FALSE when the exchange is over (done or failed). */
static gboolean
http_direct_body (RwHttpExchange *x,
                  char     *data,
                  gsize     len,
                  gboolean  body_complete)
{
  GError *error = NULL;

  if (x->streaming)
    {
      if (len > 0 && !_rw_http_exchange_feed (x, data, len, &error))
        {
          http_direct_finish (x, error, FALSE);
          return FALSE;
        }
      if (body_complete || _rw_http_exchange_ended (x))
        {
          _rw_http_exchange_stream_end (x, &error);
          http_direct_finish (x, error, body_complete);
          return FALSE;
        }
      return TRUE;
    }
  _rw_http_exchange_keep (x, data, len);
  if (body_complete || x->truncated)
    {
      _rw_http_exchange_whole (x, &error);
      http_direct_finish (x, error, body_complete);
      return FALSE;
    }
  return TRUE;
}

/* Uses what is in the connection's buffer. Returns FALSE when the exchange is over. */
static gboolean
http_direct_process (RwHttpExchange *x)
{
  RwHttpUpConn *c = x->conn;

  while (!x->head_done)
    {
      RwHttp1Head head;
      const char *why = NULL;
      gssize n = rw_http1_parse_response ((char *) c->in->data, c->in->len, &head, &why);

      if (n == RW_HTTP1_INCOMPLETE)
        return TRUE;
      if (n < 0)
        {
          http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                         "malformed HTTP reply: %s", why), FALSE);
          return FALSE;
        }
      if (head.status >= 100 && head.status < 200)
        {
          /* An interim reply (100 Continue): the real one follows. */
          g_byte_array_remove_range (c->in, 0, (guint) n);
          continue;
        }
      x->head_done = TRUE;
      x->status = head.status;
      x->keep_alive = head.keep_alive;
      x->wait_ms = _rw_http_retry_after_ms (rw_http1_head_get (&head, "retry-after-ms"),
                                   rw_http1_head_get (&head, "retry-after"));
      if (SOUP_STATUS_IS_REDIRECTION (head.status))
        x->location = g_strdup (rw_http1_head_get (&head, "location"));
      x->chunked = head.chunked;
      x->body_left = head.status == 204 || head.status == 304 ? 0 : head.content_length;
      if (!x->chunked && x->body_left < 0)
        x->keep_alive = FALSE;   /* the body ends when the connection does */
      {
        g_autofree char *content_type = NULL;
        const char *ct = rw_http1_head_get (&head, "content-type");
        if (ct != NULL)
          {
            const char *semi = strchr (ct, ';');
            content_type = g_ascii_strdown (ct, semi ? semi - ct : -1);
            g_strstrip (content_type);
          }
        g_byte_array_remove_range (c->in, 0, (guint) n);
        _rw_http_exchange_head (x, content_type);
      }
    }

  if (x->chunked)
    {
      gsize out = 0;
      gboolean done = FALSE;
      gssize used = rw_http1_chunked_decode (&x->decoder, (char *) c->in->data, c->in->len,
                                             &out, &done);
      g_autofree char *piece = NULL;

      if (used < 0)
        {
          http_direct_finish (x, g_error_new_literal (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                                 "malformed chunked body in the reply"), FALSE);
          return FALSE;
        }
      /* The handlers may start the next request on this connection: hand them a copy and
       * leave the buffer holding only what follows this reply. */
      piece = g_memdup2 (c->in->data, out);
      g_byte_array_remove_range (c->in, 0, (guint) used);
      return http_direct_body (x, piece, out, done);
    }
  else if (x->body_left >= 0)
    {
      gsize n = (gsize) MIN ((gint64) c->in->len, x->body_left);
      g_autofree char *piece = g_memdup2 (c->in->data, n);

      g_byte_array_remove_range (c->in, 0, (guint) n);
      x->body_left -= (gint64) n;
      return http_direct_body (x, piece, n, x->body_left == 0);
    }
  else
    {
      gsize n = c->in->len;
      g_autofree char *piece = g_memdup2 (c->in->data, n);

      g_byte_array_set_size (c->in, 0);
      return n == 0 || http_direct_body (x, piece, n, FALSE);
    }
}

/* The connection ended (@error is errno, 0 for an orderly close). */
static void
http_direct_closed (RwHttpExchange *x,
                    int       err)
{
  const char *why = err ? g_strerror (err) : "the upstream closed the connection";

  if (!x->head_done && x->conn->in->len == 0 && x->reused && !x->retried)
    {
      /* A kept-alive connection the upstream closed while it was idle: it never saw the
       * request, so it is sent again on a new connection. */
      _rw_http_up_conn_close (g_steal_pointer (&x->conn));
      x->retried = TRUE;
      x->sent = 0;
      _rw_http_direct_start (x);
      return;
    }
  if (!x->head_done)
    http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK,
                                   "no reply from the upstream: %s", why), FALSE);
  else if (!x->chunked && x->body_left < 0 && err == 0)
    http_direct_body (x, NULL, 0, TRUE);
  else if (x->streaming)
    http_direct_finish (x, _rw_http_broke_mid_answer (x, why), FALSE);
  else
    http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK,
                                   "the reply was cut short: %s", why), FALSE);
}

/* Sends what is left of the request. FALSE when the exchange no longer uses this connection
 * (it failed, or moved to a new connection). */
static gboolean
http_direct_send (RwHttpExchange *x)
{
  RwHttpUpConn *c = x->conn;

  while (x->sent < x->request->len)
    {
      gssize n = send (c->fd, x->request->str + x->sent, x->request->len - x->sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            {
              rw_fd_watch_set_events (c->watch, G_IO_OUT | G_IO_IN);
              return TRUE;
            }
          http_direct_closed (x, errno);
          return FALSE;
        }
      x->sent += (gsize) n;
    }
  rw_fd_watch_set_events (c->watch, G_IO_IN);
  return TRUE;
}

gboolean
_rw_http_up_conn_ready (gpointer     data,
                        GIOCondition ready)
{
  RwHttpUpConn *c = data;
  RwHttpExchange *x = c->x;

  if (x == NULL)
    return http_idle_ready (c, ready);

  if (c->connecting)
    {
      int err = 0;
      socklen_t len = sizeof err;

      if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
      if (err != 0)
        {
          http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK, "cannot connect to %s: %s",
                                         c->key, g_strerror (err)), FALSE);
          return G_SOURCE_CONTINUE;
        }
      c->connecting = FALSE;
      http_direct_send (x);
      return G_SOURCE_CONTINUE;
    }

  if ((ready & G_IO_OUT) && x->sent < x->request->len && !http_direct_send (x))
    return G_SOURCE_CONTINUE;
  if (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      guint old = c->in->len;
      gssize n;

      g_byte_array_set_size (c->in, old + 65536);
      n = recv (c->fd, c->in->data + old, 65536, MSG_DONTWAIT);
      g_byte_array_set_size (c->in, old + (guint) MAX (n, 0));
      if (n > 0)
        http_direct_process (x);
      else if (n == 0)
        http_direct_closed (x, 0);
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        http_direct_closed (x, errno);
    }
  return G_SOURCE_CONTINUE;
}

gboolean
_rw_http_direct_cancelled (GCancellable *cancellable,
                           gpointer      data)
{
  RwHttpExchange *x = data;

  http_direct_finish (x, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"), FALSE);
  return G_SOURCE_REMOVE;
}

/* The socket address of a loopback host, or FALSE. */
static gboolean
http_loopback_address (const char              *host,
                       guint                    port,
                       struct sockaddr_storage *addr,
                       socklen_t               *len)
{
  struct sockaddr_in *in4 = (struct sockaddr_in *) addr;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) addr;

  memset (addr, 0, sizeof *addr);
  if (g_str_equal (host, "localhost") || inet_pton (AF_INET, host, &in4->sin_addr) == 1)
    {
      in4->sin_family = AF_INET;
      in4->sin_port = g_htons (port);
      if (g_str_equal (host, "localhost"))
        in4->sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
      *len = sizeof *in4;
      return (g_ntohl (in4->sin_addr.s_addr) >> 24) == 127;
    }
  if (inet_pton (AF_INET6, host, &in6->sin6_addr) == 1)
    {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = g_htons (port);
      *len = sizeof *in6;
      return IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
    }
  return FALSE;
}

void
_rw_http_direct_start (RwHttpExchange *x)
{
  RwHttpPool *pool = _rw_http_client_get_pool (x->client);
  GUri *uri = x->req->uri;
  const char *host = g_uri_get_host (uri);
  guint port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 80;
  g_autofree char *key = g_strdup_printf ("%s:%u", host, port);
  RwHttpUpConn *c = x->retried ? NULL : http_pool_take (pool, key);

  x->reused = c != NULL;
  if (c == NULL)
    {
      struct sockaddr_storage addr;
      socklen_t addr_len;
      int one = 1;
      int fd;

      if (!http_loopback_address (host, port, &addr, &addr_len))
        {
          http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_CONFIG, "%s is not on this machine",
                                         host), FALSE);
          return;
        }
      fd = socket (addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        {
          http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK, "cannot connect to %s: %s",
                                         key, g_strerror (errno)), FALSE);
          return;
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c = g_new0 (RwHttpUpConn, 1);
      c->pool = pool;
      pool->ref_count++;
      c->key = g_steal_pointer (&key);
      c->fd = fd;
      c->in = g_byte_array_sized_new (4096);
      c->watch = rw_fd_watch_new (fd, 0, _rw_http_up_conn_ready, c);
      if (connect (fd, (struct sockaddr *) &addr, addr_len) != 0)
        {
          if (errno != EINPROGRESS)
            {
              int err = errno;
              x->conn = c;
              c->x = x;
              http_direct_finish (x, g_error_new (RW_ERROR, RW_ERROR_NETWORK,
                                             "cannot connect to %s: %s", c->key, g_strerror (err)),
                             FALSE);
              return;
            }
          c->connecting = TRUE;
        }
    }
  c->x = x;
  x->conn = c;
  if (c->connecting)
    rw_fd_watch_set_events (c->watch, G_IO_OUT);
  else
    http_direct_send (x);
}

/* The request's bytes: its method, target and headers, and its body. */
GString *
_rw_http_direct_request (RwHttpRequest *r)
{
  GUri *uri = r->uri;
  gsize len = 0;
  const char *data = r->body ? g_bytes_get_data (r->body, &len) : NULL;
  GString *s = g_string_sized_new (512 + len);

  /* Appends, not printf: this runs for every request. */
  g_string_append (s, r->method);
  g_string_append_c (s, ' ');
  g_string_append (s, *g_uri_get_path (uri) ? g_uri_get_path (uri) : "/");
  if (g_uri_get_query (uri) != NULL)
    {
      g_string_append_c (s, '?');
      g_string_append (s, g_uri_get_query (uri));
    }
  g_string_append (s, " HTTP/1.1\r\nHost: ");
  g_string_append (s, g_uri_get_host (uri));
  if (g_uri_get_port (uri) > 0)
    g_string_append_printf (s, ":%d", g_uri_get_port (uri));
  g_string_append (s, "\r\nUser-Agent: Routewise/" PACKAGE_VERSION "\r\n");
  for (guint i = 0; i < r->headers->len; i += 2)
    {
      const char *name = r->headers->pdata[i];
      if (g_ascii_strcasecmp (name, "Content-Length") == 0 ||
          g_ascii_strcasecmp (name, "Content-Type") == 0 || g_ascii_strcasecmp (name, "Host") == 0)
        continue;
      g_string_append (s, name);
      g_string_append_len (s, ": ", 2);
      g_string_append (s, r->headers->pdata[i + 1]);
      g_string_append_len (s, "\r\n", 2);
    }
  if (r->content_type != NULL)
    {
      g_string_append (s, "Content-Type: ");
      g_string_append (s, r->content_type);
      g_string_append_len (s, "\r\n", 2);
    }
  g_string_append_printf (s, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", len);
  if (len > 0)
    g_string_append_len (s, data, (gssize) len);
  return s;
}

/* Whether this exchange may take the direct path. */
gboolean
_rw_http_direct_possible (RwHttpExchange *x)
{
  GUri *uri = x->req->uri;
  g_autoptr(GMainContext) context = NULL;

  if (!use_direct || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 ||
      !http_is_loopback_host (g_uri_get_host (uri)) || x->req->body == NULL)
    return FALSE;
  context = g_main_context_ref_thread_default ();
  return _rw_http_client_get_pool (x->client)->context == context;
}
