/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-http-private.h"

/*
 * RwHttpClient: what one provider sends its requests with: a libsoup session for remote
 * upstreams and, for upstreams on this machine, a pool of kept-alive connections per event
 * loop. Both are made on first use, from whichever thread comes first.
 */
struct _RwHttpClient
{
  GMutex lock;
  SoupSession *session;
  GHashTable *pools;      /* GMainContext -> RwHttpPool: one per event loop */
};

RwHttpClient *
_rw_http_client_new (void)
{
  RwHttpClient *self = g_new0 (RwHttpClient, 1);

  g_mutex_init (&self->lock);
  self->pools = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) _rw_http_pool_close);
  return self;
}

void
_rw_http_client_free (RwHttpClient *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->session);
  g_clear_pointer (&self->pools, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* Returns: (transfer none): the libsoup session */
SoupSession *
_rw_http_client_get_session (RwHttpClient *self)
{
  g_mutex_lock (&self->lock);
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("user-agent", "Routewise/" PACKAGE_VERSION,
                                                   "max-conns", 256,
                                                   "max-conns-per-host", 64,
                                                   "timeout", 0,
                                                   "idle-timeout", 60,
                                                   NULL);
  g_mutex_unlock (&self->lock);
  /* libsoup (3.2 and later) sends from any thread with its own main context. */
  return self->session;
}

/* Returns: (transfer none): the connections kept to upstreams on this machine, for the event
 * loop of the calling thread */
RwHttpPool *
_rw_http_client_get_pool (RwHttpClient *self)
{
  GMainContext *context = g_main_context_get_thread_default ();
  RwHttpPool *pool;

  /* Connections belong to the event loop that watches them. */
  if (context == NULL)
    context = g_main_context_default ();
  g_mutex_lock (&self->lock);
  pool = g_hash_table_lookup (self->pools, context);
  if (pool == NULL)
    {
      pool = _rw_http_pool_new ();
      g_hash_table_insert (self->pools, context, pool);
    }
  g_mutex_unlock (&self->lock);
  return pool;
}
