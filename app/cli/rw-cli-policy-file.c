/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-cli-policy-file.h"

/* Returns: (transfer full) (nullable): the policy file's JSON, when the router would load it:
 * what the router would refuse is refused here too */
JsonNode *
rw_cli_read_policy_file (const char  *path,
                         GError     **error)
{
  g_autoptr(RwPolicy) check = NULL;

  if ((check = rw_policy_new_from_file (path, error)) == NULL)
    return NULL;
  return rw_file_read_json (path, RW_FILE_DOCUMENT_MAX, error);
}
