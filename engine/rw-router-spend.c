/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "rw-error.h"
#include "rw-router-private.h"

/* What requests cost: the estimate before one is sent, the day's spend (what the database
 * recorded today in other runs, read again every few seconds, and what this router spent), and
 * the per-request and daily ceilings that refuse a request before it would break them. */

/* Output tokens assumed for a cost estimate when the request sets no max_tokens. */
#define DEFAULT_OUTPUT_TOKENS 1024

/* How often the day's spend is read from the database again: other processes (the app, a
 * batch evaluation, another serve) spend too, and what the database recorded today counts. */
#define SPENT_READ_US (5 * G_USEC_PER_SEC)

/* The day's spend starts again at local midnight. Checked on every attempt, so the local time
 * (which GLib reads from /etc/localtime each time) is only looked at when the day may have
 * turned. Called with the lock held. */
static void
router_roll_day (RwRouter *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) midnight = NULL;
  g_autoptr(GDateTime) next = NULL;

  if (self->spent_day != NULL && g_get_real_time () < self->day_ends_us)
    return;
  now = g_date_time_new_now_local ();
  midnight = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  next = g_date_time_add_days (midnight, 1);
  self->day_ends_us = g_date_time_to_unix (next) * G_USEC_PER_SEC;
  self->day_starts_ms = g_date_time_to_unix (midnight) * 1000;
  g_clear_pointer (&self->spent_day, g_date_free);
  self->spent_day = g_date_new_dmy (g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                                    g_date_time_get_year (now));
  self->spent_stored_usd = 0;
  self->spent_own_usd = 0;
  /* Read at the first look at the day's spend. */
  self->spent_unread = TRUE;
}

/**
 * rw_router_set_cost_ceilings:
 * @self: a #RwRouter
 * @per_request_usd: the most one request may be estimated to cost, or 0 for no limit
 * @daily_usd: the most all requests of a day may cost, or 0 for no limit; what the database
 *   recorded today counts, whichever process spent it
 */
void
rw_router_set_cost_ceilings (RwRouter *self,
                             double    per_request_usd,
                             double    daily_usd)
{
  g_mutex_lock (&self->lock);
  self->request_ceiling_usd = MAX (0, per_request_usd);
  self->daily_ceiling_usd = MAX (0, daily_usd);
  router_roll_day (self);
  g_mutex_unlock (&self->lock);
}

/**
 * rw_router_get_spent_today:
 * @self: a #RwRouter
 *
 * What today cost: what the database recorded in other runs than this router's (other
 * processes spend too: the app, a batch evaluation, another serve), read again every few
 * seconds outside the lock, and what this router spent today, counted as it goes.
 *
 * Returns: US dollars
 */
double
rw_router_get_spent_today (RwRouter *self)
{
  gint64 now = self->clock (self->clock_data);
  g_autofree char *run_id = NULL;
  gint64 since_ms = 0;
  gboolean read = FALSE;
  double spent;

  g_mutex_lock (&self->lock);
  router_roll_day (self);
  if (self->store != NULL && (self->spent_unread || now - self->spent_read_us >= SPENT_READ_US))
    {
      read = TRUE;
      since_ms = self->day_starts_ms;
      run_id = g_strdup (self->run_id);
      /* One reader at a time: the others go on with what is known. */
      self->spent_read_us = now;
      self->spent_unread = FALSE;
    }
  g_mutex_unlock (&self->lock);
  if (read)
    {
      /* This router's own answers are left out of the sum, being counted as they come: one
       * not written yet is neither missed nor counted twice. */
      double stored = rw_store_sum_cost_since (self->store, since_ms, run_id, NULL);

      g_mutex_lock (&self->lock);
      if (stored >= 0 && since_ms == self->day_starts_ms && g_strcmp0 (run_id, self->run_id) == 0)
        self->spent_stored_usd = stored;
      g_mutex_unlock (&self->lock);
    }
  g_mutex_lock (&self->lock);
  spent = self->spent_stored_usd + self->spent_own_usd;
  g_mutex_unlock (&self->lock);
  return spent;
}

/**
 * rw_router_add_spent:
 * @self: a #RwRouter
 * @cost_usd: what a call cost, or NAN when it is not known
 *
 * Counts what this router spent toward today's spend: each of its attempts, and each call
 * made beside them (the endpoint's embeddings, which are not stored).
 */
void
rw_router_add_spent (RwRouter *self,
                     double    cost_usd)
{
  g_mutex_lock (&self->lock);
  router_roll_day (self);
  if (isfinite (cost_usd) && cost_usd > 0)
    self->spent_own_usd += cost_usd;
  g_mutex_unlock (&self->lock);
}

/**
 * rw_router_check_ceilings:
 * @self: a #RwRouter
 * @model_id: the model a request would go to
 * @estimate_usd: what it could cost there, or NAN when the model has no price
 * @error: where a ceiling it would break is said (RW_ERROR_BUDGET)
 *
 * Returns: whether the request keeps to the per-request and the daily ceiling; one of no
 *   known cost always does
 */
gboolean
rw_router_check_ceilings (RwRouter    *self,
                          const char  *model_id,
                          double       estimate_usd,
                          GError     **error)
{
  double spent;

  if (!isfinite (estimate_usd))
    return TRUE;
  if (self->request_ceiling_usd > 0 && estimate_usd > self->request_ceiling_usd)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BUDGET,
                   "the request could cost $%.4f on %s, over the per-request ceiling of $%.4f",
                   estimate_usd, model_id, self->request_ceiling_usd);
      return FALSE;
    }
  if (self->daily_ceiling_usd > 0 &&
      (spent = rw_router_get_spent_today (self)) + estimate_usd > self->daily_ceiling_usd)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BUDGET,
                   "the daily ceiling of $%.2f would be broken ($%.4f spent today)",
                   self->daily_ceiling_usd, spent);
      return FALSE;
    }
  return TRUE;
}

/**
 * rw_router_estimate_cost:
 * @self: a #RwRouter
 * @model: a model
 * @request: a request
 *
 * Returns: the most @request may cost on @model before it is sent: its input tokens (estimated)
 *   and max_tokens output tokens (1,024 when unset) at the catalog's prices, or NAN without
 *   a price
 */
double
rw_router_estimate_cost (RwRouter      *self,
                         RwModel       *model,
                         RwChatRequest *request)
{
  gint64 tokens_in = 0;

  for (guint i = 0; i < rw_chat_request_get_n_messages (request); i++)
    tokens_in += rw_estimate_tokens (rw_chat_request_get_content (request, i)) + 4;
  return rw_model_compute_cost (model, tokens_in,
                                request->max_tokens > 0 ? request->max_tokens : DEFAULT_OUTPUT_TOKENS);
}
