/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

/* The listening socket, and the event loops its connections are shared out to. */

/* Closes a loop's connections; on that loop's thread. Replies that wait for their answer to be
 * stored are let through first: they hold the server. */
static void
server_close_conns (RwServerWorker *w)
{
  RwStore *store = rw_router_get_store (w->server->router);
  GHashTableIter iter;
  gpointer key;

  if (w->n_storing > 0 && store != NULL)
    {
      rw_store_flush (store, NULL);
      while (w->n_storing > 0)
        g_main_context_iteration (w->context, TRUE);
    }

  if (w->sweeper != NULL)
    {
      g_source_destroy (w->sweeper);
      g_clear_pointer (&w->sweeper, g_source_unref);
    }
  g_hash_table_iter_init (&iter, w->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      RwServerConn *c = key;
      g_hash_table_iter_remove (&iter);
      c->server = NULL;
      _rw_server_conn_close (c);
    }
}

static gboolean
server_worker_stop (gpointer data)
{
  RwServerWorker *w = data;

  server_close_conns (w);
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

gpointer
_rw_server_worker_main (gpointer data)
{
  RwServerWorker *w = data;

  g_main_context_push_thread_default (w->context);
  g_main_loop_run (w->loop);
  /* Let what closing started (requests cancelled) finish on this loop. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (w->context, FALSE); i++)
    ;
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

void
_rw_server_worker_free (RwServerWorker *w)
{
  g_clear_pointer (&w->loop, g_main_loop_unref);
  g_clear_pointer (&w->context, g_main_context_unref);
  g_clear_pointer (&w->conns, g_hash_table_unref);
  g_free (w);
}

void
_rw_server_close_all (RwServer *self)
{
  _rw_server_clear_source (&self->accept_retry);
  if (self->listen_watch != NULL)
    {
      g_source_destroy (self->listen_watch);
      g_clear_pointer (&self->listen_watch, g_source_unref);
    }
  if (self->listen_fd >= 0)
    {
      close (self->listen_fd);
      self->listen_fd = -1;
    }
  if (self->workers == NULL)
    return;
  for (guint i = 0; i < self->workers->len; i++)
    if (((RwServerWorker *) self->workers->pdata[i])->thread == g_thread_self ())
      {
        /* A loop cannot wait for itself to stop: rw_server_stop() belongs on the listening
         * loop, before the last reference goes. */
        g_critical ("RwServer stopped from one of its own loops; they are left running");
        return;
      }
  for (guint i = 0; i < self->workers->len; i++)
    {
      RwServerWorker *w = self->workers->pdata[i];

      if (w->thread == NULL)
        server_close_conns (w);
      else
        {
          g_main_context_invoke (w->context, server_worker_stop, w);
          g_thread_join (g_steal_pointer (&w->thread));
        }
    }
  g_clear_pointer (&self->workers, g_ptr_array_unref);
}

static gboolean
server_accept_again (gpointer data)
{
  RwServer *self = data;

  g_clear_pointer (&self->accept_retry, g_source_unref);
  rw_fd_watch_set_events (self->listen_watch, G_IO_IN);
  return G_SOURCE_REMOVE;
}

/* At the limit of connections: the one that has waited longest without a request in flight
 * (idle, or sending its request slowly) is closed for the new one, so that connections held
 * open cannot keep a client with work out. FALSE when every connection is answering. */
static gboolean
server_make_room (RwServerWorker *w)
{
  RwServerConn *oldest = NULL;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, w->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      RwServerConn *c = key;

      if (c->call == NULL && (oldest == NULL || c->last_active_us < oldest->last_active_us))
        oldest = c;
    }
  if (oldest == NULL)
    return FALSE;
  _rw_server_conn_close (oldest);
  return TRUE;
}

/* A new connection on its loop; on that loop's thread. */
static void
server_conn_start (RwServerWorker *w,
                   int     fd)
{
  int one = 1;
  RwServerConn *c;

  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c = g_new0 (RwServerConn, 1);
  c->ref_count = 1;
  c->server = w->server;
  c->worker = w;
  c->fd = fd;
  c->in = g_byte_array_sized_new (4096);
  c->out = g_string_sized_new (1024);
  c->watch = rw_fd_watch_new (fd, G_IO_IN, _rw_server_conn_ready, c);
  c->last_active_us = g_get_monotonic_time ();
  _rw_server_conn_set_deadline (c, w->server->idle_timeout_ms, "idle");
  if (g_hash_table_size (w->conns) >= w->max_conns && !server_make_room (w))
    {
      /* Every connection is answering a request: this one waits for nothing, it is told. */
      static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                 "Retry-After: 1\r\nConnection: close\r\n\r\n";
      if (send (fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        { /* it goes anyway */ }
      g_hash_table_add (w->conns, c);
      _rw_server_conn_close (c);
      return;
    }
  g_hash_table_add (w->conns, c);
}

typedef struct
{
  RwServerWorker *worker;
  int fd;
} RwServerHandoff;

static gboolean
server_handoff_start (gpointer data)
{
  RwServerHandoff *h = data;

  server_conn_start (h->worker, h->fd);
  h->fd = -1;
  return G_SOURCE_REMOVE;
}

static void
server_handoff_free (gpointer data)
{
  RwServerHandoff *h = data;

  /* Handed to a loop that stopped before it could start it. */
  if (h->fd >= 0)
    close (h->fd);
  g_free (h);
}

gboolean
_rw_server_accept_ready (gpointer     data,
                         GIOCondition ready)
{
  RwServer *self = data;

  for (guint i = 0; i < 64; i++)
    {
      int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      RwServerWorker *w;

      if (fd < 0)
        {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            {
              /* Out of descriptors: stop accepting for a moment rather than spin. */
              g_warning ("cannot accept a connection: %s", g_strerror (errno));
              rw_fd_watch_set_events (self->listen_watch, 0);
              _rw_server_clear_source (&self->accept_retry);
              self->accept_retry = _rw_server_add_timeout (200, server_accept_again, self);
            }
          break;
        }
      w = self->workers->pdata[self->next_worker++ % self->workers->len];
      if (w->thread == NULL)
        server_conn_start (w, fd);
      else
        {
          RwServerHandoff *h = g_new0 (RwServerHandoff, 1);
          h->worker = w;
          h->fd = fd;
          g_main_context_invoke_full (w->context, G_PRIORITY_DEFAULT, server_handoff_start, h,
                                      server_handoff_free);
        }
    }
  return G_SOURCE_CONTINUE;
}
