/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>

#include "rw-error.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-server-private.h"

/**
 * RwServer:
 *
 * The local OpenAI-compatible endpoint: `POST /v1/chat/completions`, streamed or not, and
 * `GET /v1/models`, on 127.0.0.1 only, each request authenticated by the bearer token. Requests
 * go through the router, so `routewise/auto` routes by the policy and a concrete model falls
 * back as the policy says; whatever the upstream protocol, callers see OpenAI's format, and the
 * `x-routewise-model` and `x-routewise-task` headers say what served the request.
 *
 * Split the way libsoup splits its server: this file holds the object and its settings,
 * rw-server-listener.c the listening socket and the event loops connections are shared out to,
 * rw-server-connection.c one client connection speaking HTTP/1.1 (parsed by rw-http1.c), and
 * rw-server-openai.c OpenAI's wire format: the routes, their requests and their replies.
 */

G_DEFINE_FINAL_TYPE (RwServer, rw_server, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (RwServedRequest, rw_served_request, rw_served_request_copy,
                     rw_served_request_free)

enum { REQUEST_SERVED, N_SIGNALS };
static guint signals[N_SIGNALS];

RwServedRequest *
rw_served_request_copy (const RwServedRequest *request)
{
  RwServedRequest *copy = g_memdup2 (request, sizeof *request);

  copy->requested = g_strdup (request->requested);
  copy->served = g_strdup (request->served);
  copy->task = g_strdup (request->task);
  return copy;
}

void
rw_served_request_free (RwServedRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->requested);
  g_free (request->served);
  g_free (request->task);
  g_free (request);
}

typedef struct
{
  RwServer *server;
  RwServedRequest *served;
} ServedEmission;

static gboolean
server_emit_served_now (gpointer data)
{
  ServedEmission *e = data;

  g_signal_emit (e->server, signals[REQUEST_SERVED], 0, e->served);
  return G_SOURCE_REMOVE;
}

static void
server_served_emission_free (gpointer data)
{
  ServedEmission *e = data;

  g_object_unref (e->server);
  rw_served_request_free (e->served);
  g_free (e);
}

gboolean
_rw_server_has_served_handler (RwServer *self)
{
  return g_signal_has_handler_pending (self, signals[REQUEST_SERVED], 0, TRUE);
}

/* Takes @served; emits request-served on the context the server was made on, whichever event
 * loop answered the request. */
void
_rw_server_emit_served (RwServer        *self,
                        RwServedRequest *served)
{
  ServedEmission *e = g_new0 (ServedEmission, 1);

  e->server = g_object_ref (self);
  e->served = served;
  g_main_context_invoke_full (self->owner_context, G_PRIORITY_DEFAULT_IDLE,
                              server_emit_served_now, e, server_served_emission_free);
}

static void
rw_server_dispose (GObject *object)
{
  RwServer *self = (RwServer *) object;

  _rw_server_close_all (self);
  g_clear_object (&self->router);
  G_OBJECT_CLASS (rw_server_parent_class)->dispose (object);
}

static void
rw_server_finalize (GObject *object)
{
  RwServer *self = (RwServer *) object;

  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->allowed_origins, g_strfreev);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  _rw_server_responses_free (self);
  G_OBJECT_CLASS (rw_server_parent_class)->finalize (object);
}

static void
rw_server_class_init (RwServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_server_dispose;
  object_class->finalize = rw_server_finalize;

  /**
   * RwServer::request-served:
   * @served: the request, its models, status, latency and cost
   *
   * A chat completion was answered (or failed), on the main context the server was made on.
   */
  signals[REQUEST_SERVED] = g_signal_new ("request-served", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                          RW_TYPE_SERVED_REQUEST | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
rw_server_init (RwServer *self)
{
  self->heartbeat_ms = 15000;
  self->listen_fd = -1;
  self->n_loops = 1;
  self->max_conns = 0;          /* from the descriptors the process may open, when it listens */
  self->idle_timeout_ms = 60000;
  self->head_timeout_ms = 10000;
  self->body_timeout_ms = 60000;
  self->send_timeout_ms = 60000;
  self->responses_max = RW_SERVER_RESPONSES_KEPT;
  self->responses_max_bytes = RW_SERVER_RESPONSES_KEPT_BYTES;
}

/* A timeout on the thread-default main context: connections live on several loops. */
GSource *
_rw_server_add_timeout (guint       ms,
                        GSourceFunc func,
                        gpointer    data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

void
_rw_server_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/**
 * rw_server_set_heartbeat:
 * @self: a #RwServer
 * @interval_ms: how often a stream that has nothing to send sends an SSE comment
 *
 * The comment keeps proxies from closing a quiet stream, and lets the server notice a client
 * that went away while the upstream is silent.
 */
void
rw_server_set_heartbeat (RwServer *self,
                         guint     interval_ms)
{
  self->heartbeat_ms = MAX (10, interval_ms);
}

/**
 * rw_server_set_client_limits:
 * @self: a #RwServer, not yet listening
 * @max_conns: connections open at once, 0 for as many as the process's descriptors allow
 *   (at most 4,096); at the limit, the connection that has waited longest without a request in
 *   flight is closed for the new one
 * @idle_ms: how long a kept-alive connection may wait for its next request
 * @head_ms: how long a request's head may take to arrive, from its first byte
 * @body_ms: how long its body may take, from the end of its head
 * @send_ms: how long a reply may wait for the client to read any of it
 *
 * What one client may take from the server, so that clients that hold connections, send
 * slowly or do not read cannot keep others out. 0 for a time keeps its default (60 s, 10 s,
 * 60 s, 60 s).
 */
void
rw_server_set_client_limits (RwServer *self,
                             guint     max_conns,
                             guint     idle_ms,
                             guint     head_ms,
                             guint     body_ms,
                             guint     send_ms)
{
  g_return_if_fail (RW_IS_SERVER (self));
  g_return_if_fail (self->workers == NULL);

  self->max_conns = max_conns;
  if (idle_ms)
    self->idle_timeout_ms = idle_ms;
  if (head_ms)
    self->head_timeout_ms = head_ms;
  if (body_ms)
    self->body_timeout_ms = body_ms;
  if (send_ms)
    self->send_timeout_ms = send_ms;
}

/**
 * rw_server_set_responses_kept:
 * @self: a #RwServer, not yet listening
 * @max_responses: how many answered conversations the Responses endpoint keeps for
 *   previous_response_id, 0 for the default (1,000)
 * @max_bytes: how much of their text it keeps in all, 0 for the default (128 MiB)
 *
 * The oldest go first past either; a conversation longer than @max_bytes is not kept. Without a
 * bound on the bytes, a client sending the largest request a thousand times made the server
 * hold gigabytes.
 */
void
rw_server_set_responses_kept (RwServer *self,
                              guint     max_responses,
                              gsize     max_bytes)
{
  g_return_if_fail (RW_IS_SERVER (self));
  g_return_if_fail (self->workers == NULL);

  self->responses_max = max_responses ? max_responses : RW_SERVER_RESPONSES_KEPT;
  self->responses_max_bytes = max_bytes ? max_bytes : RW_SERVER_RESPONSES_KEPT_BYTES;
}

/* As many connections as the descriptors allow, raised to the hard limit, with room for the
 * upstream connections, the database and the rest. */
static guint
server_default_max_conns (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return 256;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = MIN (rl.rlim_max, (rlim_t) 65536);
      setrlimit (RLIMIT_NOFILE, &rl);
      getrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur == RLIM_INFINITY)
    return 4096;
  return (guint) CLAMP ((gint64) rl.rlim_cur / 2, 8, 4096);
}

/* ----------------------------------------------------------------------------------- token */

#define TOKEN_FILE_MAX 4096

/* A new random token, written to @path, which must not exist (and is never followed if it
 * does: O_EXCL). */
static gboolean
server_create_token (const char  *path,
                     GError     **error)
{
  guint8 bytes[24];
  g_autoptr(GString) token = g_string_new ("rw-");
  int fd;

  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "no randomness for a token: %s",
                   g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (token, "%02x", bytes[i]);
  memset (bytes, 0, sizeof bytes);
  g_string_append_c (token, '\n');

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, token->str, token->len) != (gssize) token->len)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot write %s: %s", path,
                   g_strerror (errno));
      if (fd >= 0)
        close (fd);
      memset (token->str, 0, token->len);
      return FALSE;
    }
  close (fd);
  memset (token->str, 0, token->len);
  return TRUE;
}

/**
 * rw_server_load_token:
 * @path: the token file
 * @error: return location for an error
 *
 * Reads the endpoint's token, creating the file with a new random token (mode 0600) the first
 * time. The file is never reached through a symbolic link, must be a regular file of the
 * user's own and small; one that others could read is replaced by a new token, since they may
 * have read it, and a message says so.
 *
 * Returns: (transfer full) (nullable): the token
 */
char *
rw_server_load_token (const char  *path,
                      GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  char buf[TOKEN_FILE_MAX + 1];
  struct stat st;
  gssize n;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot create %s: %s", dir, g_strerror (errno));
      return NULL;
    }

  for (guint attempt = 0; ; attempt++)
    {
      fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
      if (fd < 0 && errno == ENOENT && attempt == 0)
        {
          if (!server_create_token (path, error))
            return NULL;
          continue;
        }
      if (fd < 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, errno == ELOOP ?
                       "%s is a symbolic link: the token must be a file of its own; remove the "
                       "link" : "cannot read %s: %s", path, g_strerror (errno));
          return NULL;
        }
      if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != getuid () ||
          st.st_size > TOKEN_FILE_MAX)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s is not a small regular file of your own; remove it to have a new "
                       "token made", path);
          close (fd);
          return NULL;
        }
      if ((st.st_mode & 077) != 0 && attempt == 0)
        {
          /* Others may have read it: a token they know is no token. */
          close (fd);
          if (g_unlink (path) != 0)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot replace %s: %s", path,
                           g_strerror (errno));
              return NULL;
            }
          g_message ("%s could be read by others: a new token was made, which clients now need",
                     path);
          if (!server_create_token (path, error))
            return NULL;
          attempt = 1;
          continue;
        }
      break;
    }
  n = read (fd, buf, TOKEN_FILE_MAX);
  close (fd);
  if (n < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot read %s: %s", path, g_strerror (errno));
      return NULL;
    }
  buf[n] = '\0';
  g_strstrip (buf);
  if (strlen (buf) < 16)
    {
      memset (buf, 0, sizeof buf);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s holds no usable token; delete it to have a new one made", path);
      return NULL;
    }
  {
    char *token = g_strdup (buf);
    memset (buf, 0, sizeof buf);
    return token;
  }
}

/**
 * rw_server_new:
 * @router: the router requests go through
 * @token: the bearer token every request must carry
 *
 * Returns: (transfer full): a server, not yet listening
 */
RwServer *
rw_server_new (RwRouter   *router,
               const char *token)
{
  RwServer *self;

  g_return_val_if_fail (RW_IS_ROUTER (router), NULL);
  g_return_val_if_fail (token != NULL && *token != '\0', NULL);

  self = g_object_new (RW_TYPE_SERVER, NULL);
  self->router = g_object_ref (router);
  self->token = g_strdup (token);
  self->owner_context = g_main_context_ref_thread_default ();
  return self;
}

/**
 * rw_server_listen:
 * @self: a #RwServer
 * @port: the port, or 0 for any free one
 * @error: return location for an error
 *
 * Listens on 127.0.0.1 only, answering on the thread-default main context.
 *
 * Returns: %TRUE when listening
 */
gboolean
rw_server_listen (RwServer  *self,
                  guint16    port,
                  GError   **error)
{
  struct sockaddr_in addr = { 0 };
  socklen_t addr_len = sizeof addr;
  int one = 1;
  int fd;

  g_return_val_if_fail (RW_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->listen_fd < 0, FALSE);

  addr.sin_family = AF_INET;
  addr.sin_port = g_htons (port);
  addr.sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 ||
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (fd, 1024) != 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &addr_len) != 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot listen on 127.0.0.1:%u: %s",
                   port, g_strerror (saved));
      return FALSE;
    }
  self->listen_fd = fd;
  self->port = g_ntohs (addr.sin_port);
  self->listen_watch = rw_fd_watch_new (fd, G_IO_IN, _rw_server_accept_ready, self);

  if (self->max_conns == 0)
    self->max_conns = server_default_max_conns ();
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) _rw_server_worker_free);
  for (guint i = 0; i < self->n_loops; i++)
    {
      RwServerWorker *w = g_new0 (RwServerWorker, 1);
      g_autofree char *name = g_strdup_printf ("rw-serve-%u", i);
      guint sweep_ms = CLAMP (MIN (MIN (self->idle_timeout_ms, self->head_timeout_ms),
                                   MIN (self->body_timeout_ms, self->send_timeout_ms)) / 4,
                              10, 1000);

      w->server = self;
      w->conns = g_hash_table_new (NULL, NULL);
      w->max_conns = MAX (1, self->max_conns / self->n_loops);
      g_ptr_array_add (self->workers, w);
      w->context = i == 0 ? g_main_context_ref_thread_default () : g_main_context_new ();
      w->sweeper = g_timeout_source_new (sweep_ms);
      g_source_set_static_name (w->sweeper, "[routewise] serve deadlines");
      g_source_set_callback (w->sweeper, _rw_server_sweep, w, NULL);
      g_source_attach (w->sweeper, w->context);
      if (i == 0)
        continue;
      w->loop = g_main_loop_new (w->context, FALSE);
      w->thread = g_thread_new (name, _rw_server_worker_main, w);
    }
  return TRUE;
}

/**
 * rw_server_set_threads:
 * @self: a #RwServer, not yet listening
 * @n_loops: how many event loops serve connections, at least 1
 *
 * With more than one, connections are shared out round robin between the loop the server
 * listens on and @n_loops - 1 threads, each with its own loop and its own kept-alive upstream
 * connections. The router, the catalog and the database are shared.
 */
void
rw_server_set_threads (RwServer *self,
                       guint     n_loops)
{
  g_return_if_fail (RW_IS_SERVER (self));
  g_return_if_fail (self->listen_fd < 0);

  self->n_loops = CLAMP (n_loops, 1, 64);
}

/**
 * rw_server_normalize_origin:
 * @origin: a web page's origin as a person writes it: `http://localhost:3000/`
 * @error: return location for an error
 *
 * An origin as browsers send it in the Origin header, to which requests are compared byte for
 * byte: scheme and host in lower case, the port only where it is not the scheme's own, no
 * trailing slash. Anything else is refused rather than never matched: a path, a query, a
 * user, no host, and the wildcard `*` and `null` (any page, or any file on the disk, could
 * then call with the token).
 *
 * Returns: (transfer full) (nullable): the origin
 */
char *
rw_server_normalize_origin (const char  *origin,
                            GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *scheme = NULL, *host = NULL;
  const char *path;
  int port;

  if (g_strcmp0 (origin, "*") == 0 || g_ascii_strcasecmp (origin, "null") == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "“%s” would let any web page call the endpoint: name the page's origin, such "
                   "as http://localhost:3000", origin);
      return NULL;
    }
  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  path = uri ? g_uri_get_path (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL || (path != NULL && *path != '\0' && strcmp (path, "/") != 0))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "“%s” is not an origin: give a scheme, a host and a port if need be, as "
                   "http://localhost:3000 or https://app.example", origin);
      return NULL;
    }
  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  /* Browsers send a host as letters, digits and these (a name beyond ASCII in punycode). */
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._~:%", *p) == NULL)
      {
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                     "“%s” is not an origin: a host is letters, digits, dots and dashes (a name "
                     "beyond ASCII in punycode), as in http://localhost:3000 or "
                     "https://app.example", origin);
        return NULL;
      }
  port = g_uri_get_port (uri);
  if ((g_str_equal (scheme, "http") && port == 80) || (g_str_equal (scheme, "https") && port == 443))
    port = -1;
  /* An IPv6 address goes back in its brackets. */
  if (strchr (host, ':') != NULL)
    {
      char *bracketed = g_strdup_printf ("[%s]", host);
      g_free (host);
      host = bracketed;
    }
  return port > 0 ? g_strdup_printf ("%s://%s:%d", scheme, host, port)
                  : g_strdup_printf ("%s://%s", scheme, host);
}

/**
 * rw_server_set_allowed_origins:
 * @self: a #RwServer
 * @origins: (nullable) (array zero-terminated=1): the origins (`https://app.example:8443`) of
 *   web pages allowed to call the endpoint; a request with any other Origin is refused
 */
void
rw_server_set_allowed_origins (RwServer           *self,
                               const char * const *origins)
{
  g_return_if_fail (RW_IS_SERVER (self));

  g_strfreev (self->allowed_origins);
  self->allowed_origins = g_strdupv ((char **) origins);
}

/**
 * rw_server_stop:
 * @self: a #RwServer
 *
 * Stops listening, closes every connection (cancelling what they asked) and stops the other
 * loops. Call it from the loop the server listens on; disposing of the server does it too.
 */
void
rw_server_stop (RwServer *self)
{
  g_return_if_fail (RW_IS_SERVER (self));

  _rw_server_close_all (self);
}

guint16
rw_server_get_port (RwServer *self)
{
  return self->port;
}

guint64
rw_server_get_n_served (RwServer *self)
{
  return __atomic_load_n (&self->n_served, __ATOMIC_RELAXED);
}
