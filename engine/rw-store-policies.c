/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-error.h"
#include "rw-store-private.h"

/* Saved routing policies, one of them active: the one routewise/auto routes by when the
 * endpoint is not given a policy file. */

/**
 * rw_store_save_policy:
 * @self: a #RwStore
 * @name: its name
 * @body: the policy file's text
 * @activate: whether it becomes the active policy
 *
 * Queues the saving of a policy.
 *
 * Returns: (transfer full): its id
 */
char *
rw_store_save_policy (RwStore    *self,
                      const char *name,
                      const char *body,
                      gboolean    activate)
{
  char *id;
  RwStoreOp *op;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL && body != NULL, NULL);

  id = _rw_store_new_id ();
  op = _rw_store_op_new ("INSERT INTO policies (id, name, body, active, created_ms) "
                         "VALUES (?1, ?2, ?3, 0, ?4)");
  _rw_store_op_text (op, id);
  _rw_store_op_text (op, name);
  _rw_store_op_text (op, body);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
  if (activate)
    rw_store_activate_policy (self, id);
  return id;
}

/**
 * rw_store_activate_policy:
 * @self: a #RwStore
 * @id: (nullable): the policy that becomes active; %NULL for none
 *
 * Queues the change, in one statement: at no time are two policies active.
 */
void
rw_store_activate_policy (RwStore    *self,
                          const char *id)
{
  RwStoreOp *op;

  g_return_if_fail (RW_IS_STORE (self));

  op = _rw_store_op_new ("UPDATE policies SET active = (id IS ?1) "
                         "WHERE active != (id IS ?1)");
  _rw_store_op_text (op, id);
  _rw_store_enqueue (self, op);
}

/**
 * rw_store_delete_policy:
 * @self: a #RwStore
 * @id: a saved policy
 *
 * Queues its deletion; when it was active, none is.
 */
void
rw_store_delete_policy (RwStore    *self,
                        const char *id)
{
  RwStoreOp *op;

  g_return_if_fail (RW_IS_STORE (self));

  op = _rw_store_op_new ("DELETE FROM policies WHERE id = ?1");
  _rw_store_op_text (op, id);
  _rw_store_enqueue (self, op);
}

static gpointer
store_make_policy (RwStoreRow *row)
{
  RwStoredPolicy *p = g_new0 (RwStoredPolicy, 1);

  p->id = _rw_store_row_dup (row, 0);
  p->name = _rw_store_row_dup (row, 1);
  p->active = _rw_store_row_int (row, 2) != 0;
  p->created_ms = _rw_store_row_int (row, 3);
  p->body = _rw_store_row_dup (row, 4);
  return p;
}

/**
 * rw_store_list_policies:
 *
 * The saved policies, the newest first, without their bodies.
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredPolicy): the policies
 */
GPtrArray *
rw_store_list_policies (RwStore  *self,
                        GError  **error)
{
  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  return _rw_store_list (self, "SELECT id, name, active, created_ms, NULL FROM policies "
                               "ORDER BY created_ms DESC, rowid DESC",
                         NULL, store_make_policy, (GDestroyNotify) rw_stored_policy_free, error);
}

/**
 * rw_store_get_active_policy_id:
 * @id: (out) (transfer full) (nullable): the active policy's id, %NULL when none is active
 *
 * Which policy is active, without reading it: asked often by a process that follows what
 * another process makes active.
 *
 * Returns: %TRUE when the database could say, else %FALSE with @error set
 */
gboolean
rw_store_get_active_policy_id (RwStore  *self,
                               char    **id,
                               GError  **error)
{
  g_autoptr(GPtrArray) found = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);

  *id = NULL;
  found = _rw_store_list (self, "SELECT id, name, active, created_ms, NULL FROM policies "
                                "WHERE active LIMIT 1",
                          NULL, store_make_policy, (GDestroyNotify) rw_stored_policy_free, error);
  if (found == NULL)
    return FALSE;
  if (found->len > 0)
    *id = g_strdup (((RwStoredPolicy *) found->pdata[0])->id);
  return TRUE;
}

/**
 * rw_store_lookup_policy:
 * @id: (nullable): a policy's id, or its name (the newest of that name); %NULL for the active
 *   policy
 *
 * Returns: (transfer full) (nullable): the policy with its body, or %NULL when there is none
 *   (without setting @error) or the query failed
 */
RwStoredPolicy *
rw_store_lookup_policy (RwStore     *self,
                        const char  *id,
                        GError     **error)
{
  const char *params[] = { id };
  g_autoptr(GPtrArray) found = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  found = _rw_store_list_n (self,
    "SELECT id, name, active, created_ms, body FROM policies "
    "WHERE (?1 IS NULL AND active) OR id = ?1 OR name = ?1 "
    "ORDER BY id = ?1 DESC, created_ms DESC, rowid DESC LIMIT 1",
    params, G_N_ELEMENTS (params), store_make_policy, (GDestroyNotify) rw_stored_policy_free,
    error);
  if (found == NULL || found->len == 0)
    return NULL;
  return g_ptr_array_steal_index (found, 0);
}
