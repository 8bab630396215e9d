/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-router.h"

G_BEGIN_DECLS

/* What the router's files share: the routing (rw-router.c), the circuits that keep it from a
 * failing model (rw-router-circuits.c), and the spend it keeps under the ceilings
 * (rw-router-spend.c). */

typedef struct
{
  RwCircuitState state;
  guint failures;
  gint64 window_start_us;
  gint64 opened_at_us;
  gboolean trial_in_flight;
} RwRouterCircuit;

struct _RwRouter
{
  GObject parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  RwPolicy *policy;
  char *run_id;
  GHashTable *circuits;   /* model id -> RwRouterCircuit */
  GHashTable *recorded_models;
  GRand *rand;

  guint max_retries;
  guint base_delay_ms;
  guint max_delay_ms;
  guint circuit_failures;
  guint circuit_window_ms;
  guint circuit_cooldown_ms;
  double request_ceiling_usd;
  double daily_ceiling_usd;
  /* Today's spend: what the database said other runs spent when last read, and what this
   * router spent (its attempts, and the calls beside them that are not stored). */
  double spent_stored_usd;
  double spent_own_usd;
  gint64 spent_read_us;         /* on the router's clock */
  gboolean spent_unread;        /* not read yet today */
  gint64 day_starts_ms;
  gint64 day_ends_us;
  GDate *spent_day;

  RwClockFunc clock;
  gpointer clock_data;

  /* Routes may run on several threads at once (the endpoint's event loops): the state they
   * share (the policy, circuits, spend, the run and the models recorded) is read and changed
   * under this lock. */
  GMutex lock;
};

gboolean _rw_router_circuit_allows (RwRouter     *self,
                                    const char   *model_id);
void     _rw_router_circuit_record (RwRouter     *self,
                                    const char   *model_id,
                                    const GError *error);


G_END_DECLS
