/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-error.h"
#include "rw-router-private.h"

/* Each model's circuit: after repeated failures within a window it opens and the model is
 * passed over; past a cooldown one trial request is let through, and its outcome closes the
 * circuit or opens it again. A failure that is not the model's (a bad request, a budget)
 * never counts. */

/**
 * rw_router_set_circuit:
 * @self: a #RwRouter
 * @failures: consecutive failures that open a model's circuit
 * @window_ms: the time within which they must fall
 * @cooldown_ms: how long an open circuit stays open before one trial request is let through
 */
void
rw_router_set_circuit (RwRouter *self,
                       guint     failures,
                       guint     window_ms,
                       guint     cooldown_ms)
{
  self->circuit_failures = MAX (1, failures);
  self->circuit_window_ms = window_ms;
  self->circuit_cooldown_ms = cooldown_ms;
}

static RwRouterCircuit *
router_get_circuit (RwRouter   *self,
                    const char *model_id)
{
  RwRouterCircuit *c = g_hash_table_lookup (self->circuits, model_id);

  if (c == NULL)
    {
      c = g_new0 (RwRouterCircuit, 1);
      g_hash_table_insert (self->circuits, g_strdup (model_id), c);
    }
  return c;
}

/* Called with the lock held. */
static gboolean
router_circuit_allows_locked (RwRouter   *self,
                              const char *model_id)
{
  RwRouterCircuit *c = router_get_circuit (self, model_id);
  gint64 now = self->clock (self->clock_data);

  switch (c->state)
    {
    case RW_CIRCUIT_CLOSED:
      return TRUE;
    case RW_CIRCUIT_OPEN:
      if (now - c->opened_at_us < (gint64) self->circuit_cooldown_ms * 1000)
        return FALSE;
      c->state = RW_CIRCUIT_HALF_OPEN;
      c->trial_in_flight = TRUE;
      return TRUE;
    case RW_CIRCUIT_HALF_OPEN:
      if (c->trial_in_flight)
        return FALSE;
      c->trial_in_flight = TRUE;
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

/* Whether a request may go to @model_id now: its circuit is closed, or one trial is let
 * through a circuit past its cooldown. */
gboolean
_rw_router_circuit_allows (RwRouter   *self,
                           const char *model_id)
{
  gboolean allows;

  g_mutex_lock (&self->lock);
  allows = router_circuit_allows_locked (self, model_id);
  g_mutex_unlock (&self->lock);
  return allows;
}

static gboolean
router_counts_against_circuit (const GError *error)
{
  return !(g_error_matches (error, RW_ERROR, RW_ERROR_BAD_REQUEST) ||
           g_error_matches (error, RW_ERROR, RW_ERROR_UNSUPPORTED) ||
           g_error_matches (error, RW_ERROR, RW_ERROR_CONTEXT_LENGTH) ||
           g_error_matches (error, RW_ERROR, RW_ERROR_CANCELLED) ||
           g_error_matches (error, RW_ERROR, RW_ERROR_BUDGET));
}

/* Called with the lock held. */
static void
router_circuit_record_locked (RwRouter     *self,
                              const char   *model_id,
                              const GError *error)
{
  RwRouterCircuit *c = router_get_circuit (self, model_id);
  gint64 now = self->clock (self->clock_data);

  c->trial_in_flight = FALSE;
  if (error == NULL)
    {
      c->state = RW_CIRCUIT_CLOSED;
      c->failures = 0;
      return;
    }
  if (!router_counts_against_circuit (error))
    {
      /* Not the model's fault; a half-open trial simply ends. */
      if (c->state == RW_CIRCUIT_HALF_OPEN)
        c->state = RW_CIRCUIT_OPEN;
      return;
    }
  if (c->state == RW_CIRCUIT_HALF_OPEN)
    {
      c->state = RW_CIRCUIT_OPEN;
      c->opened_at_us = now;
      return;
    }
  if (c->failures == 0 || now - c->window_start_us > (gint64) self->circuit_window_ms * 1000)
    {
      c->failures = 0;
      c->window_start_us = now;
    }
  if (++c->failures >= self->circuit_failures)
    {
      c->state = RW_CIRCUIT_OPEN;
      c->opened_at_us = now;
    }
}

/* What an attempt on @model_id came to, @error NULL for an answer. */
void
_rw_router_circuit_record (RwRouter     *self,
                           const char   *model_id,
                           const GError *error)
{
  g_mutex_lock (&self->lock);
  router_circuit_record_locked (self, model_id, error);
  g_mutex_unlock (&self->lock);
}

/**
 * rw_router_get_circuit_state:
 * @self: a #RwRouter
 * @model_id: a model
 *
 * Returns: the model's circuit as it stands now (an open circuit past its cooldown reads as
 *   half-open)
 */
RwCircuitState
rw_router_get_circuit_state (RwRouter   *self,
                             const char *model_id)
{
  RwCircuitState state = RW_CIRCUIT_CLOSED;
  RwRouterCircuit *c;

  g_mutex_lock (&self->lock);
  c = g_hash_table_lookup (self->circuits, model_id);
  if (c != NULL)
    state = c->state;
  if (c != NULL && c->state == RW_CIRCUIT_OPEN &&
      self->clock (self->clock_data) - c->opened_at_us >= (gint64) self->circuit_cooldown_ms * 1000)
    state = RW_CIRCUIT_HALF_OPEN;
  g_mutex_unlock (&self->lock);
  return state;
}
