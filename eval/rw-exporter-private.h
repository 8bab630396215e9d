/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-exporter.h"

G_BEGIN_DECLS

/* How a gateway reaches a model: its provider's kind as the gateway names it, the base URL,
 * the name the provider knows it by, whether it takes a key and where the key comes from (an
 * environment variable's name, never the key; NULL when the key lives in the Secret Service).
 * Models of kinds a gateway does not speak (recorded answers) are reached through Routewise's
 * own endpoint, which speaks OpenAI's protocol, with its token from ROUTEWISE_TOKEN. */
typedef struct
{
  const char *kind;
  const char *base_url;
  const char *name;
  const char *key_env;
  gboolean takes_key;
  const char *provider_id;
} RwExportTarget;

/* An exporter of one format: @lists holds pairs, a task's name (%NULL for the default) then
 * its models, a JsonArray of ids; @notes takes what the format could not carry, a sentence
 * each. */
typedef char *(*RwExportFunc) (JsonObject *policy,
                               GPtrArray  *lists,
                               RwCatalog  *catalog,
                               GPtrArray  *notes);

RwExportTarget _rw_exporter_target_for      (RwCatalog  *catalog,
                                             const char *model_id);
void           _rw_exporter_add_yaml_string (GString    *s,
                                             const char *text);
char          *_rw_exporter_task_slug       (const char *task);

const char    *_rw_exporter_openrouter_id   (RwCatalog  *catalog,
                                             const char *model_id);

char          *_rw_exporter_portkey         (JsonObject *policy,
                                             GPtrArray  *lists,
                                             RwCatalog  *catalog,
                                             GPtrArray  *notes);
char          *_rw_exporter_openrouter      (JsonObject *policy,
                                             GPtrArray  *lists,
                                             RwCatalog  *catalog,
                                             GPtrArray  *notes);
char          *_rw_exporter_litellm         (JsonObject *policy,
                                             GPtrArray  *lists,
                                             RwCatalog  *catalog,
                                             GPtrArray  *notes);

G_END_DECLS
