/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner-private.h"
#include "rw-grader.h"
#include "rw-json.h"

/* What each provider may take: requests in flight, and requests and tokens a minute. */

void
_rw_eval_runner_limit_free (RwEvalLimit *l)
{
  g_array_unref (l->sent_us);
  g_array_unref (l->token_us);
  g_free (l);
}

/**
 * rw_eval_runner_set_rate_window:
 * @self: a runner
 * @ms: the window that providers' requests- and tokens-per-minute limits count over
 *
 * A minute unless changed; tests shorten it.
 */
void
rw_eval_runner_set_rate_window (RwEvalRunner *self,
                                guint         ms)
{
  self->window_us = (gint64) MAX (1, ms) * 1000;
}

RwEvalLimit *
_rw_eval_runner_limit_for (RwEvalRunner *self,
                           RwModel      *model)
{
  const char *provider_id = rw_model_get_provider_id (model);
  RwEvalLimit *l = g_hash_table_lookup (self->limits, provider_id);

  if (l == NULL)
    {
      RwProvider *provider = rw_catalog_lookup_provider (self->catalog, provider_id);

      l = g_new0 (RwEvalLimit, 1);
      if (provider != NULL)
        rw_provider_get_limits (provider, &l->max_concurrency, &l->rpm, &l->tpm);
      l->sent_us = g_array_new (FALSE, FALSE, sizeof (gint64));
      l->token_us = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->limits, g_strdup (provider_id), l);
    }
  return l;
}

/* Forget the times that fell out of the window from the front of a series whose entries are
 * STRIDE values long, the first of each a time. */
static void
runner_prune_window (GArray *series,
                     guint   stride,
                     gint64  since)
{
  guint drop = 0;

  while (drop < series->len && g_array_index (series, gint64, drop) <= since)
    drop += stride;
  g_array_remove_range (series, 0, MIN (drop, series->len));
}

/* 0 when the provider takes another request now, else the microseconds until its requests
 * per minute allow one (G_MAXINT64 when only a finished request can free a slot). The same
 * for every item of the provider. */
gint64
_rw_eval_runner_limit_request_wait (RwEvalRunner *self,
                                    RwEvalLimit        *l,
                                    gint64        now)
{
  if (l->max_concurrency > 0 && l->in_flight >= l->max_concurrency)
    return G_MAXINT64;
  if (l->rpm == 0)
    return 0;
  runner_prune_window (l->sent_us, 1, now - self->window_us);
  if (l->sent_us->len < l->rpm)
    return 0;
  return g_array_index (l->sent_us, gint64, 0) + self->window_us - now;
}

/* 0 when a request of @tokens fits the provider's tokens per minute now, else the
 * microseconds until it does. */
gint64
_rw_eval_runner_limit_token_wait (RwEvalRunner *self,
                                  RwEvalLimit        *l,
                                  gint64        tokens,
                                  gint64        now)
{
  gint64 used = 0;

  if (l->tpm == 0)
    return 0;
  runner_prune_window (l->token_us, 2, now - self->window_us);
  for (guint i = 1; i < l->token_us->len; i += 2)
    used += g_array_index (l->token_us, gint64, i);
  if (used == 0 || used + tokens <= l->tpm)
    return 0;
  return g_array_index (l->token_us, gint64, 0) + self->window_us - now;
}

gboolean
_rw_eval_runner_rate_timer_fired (gpointer data)
{
  RwEvalRunner *self = data;

  g_clear_pointer (&self->rate_timer, g_source_unref);
  _rw_eval_runner_schedule (self);
  _rw_eval_runner_finish_if_idle (self);
  return G_SOURCE_REMOVE;
}
