/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-engine.h>

G_BEGIN_DECLS

/* What every import shares: the same data is stored once, so that its evidence is not counted
 * twice by the ratings, the learner and the reports. */

char     *_rw_import_checksum_files (GPtrArray   *paths,
                                     gboolean     with_names,
                                     GError     **error);
char     *_rw_import_checksum_json  (JsonNode    *root);
gboolean  _rw_import_check_new      (RwStore     *store,
                                     const char  *source,
                                     const char  *sha256,
                                     const char  *origin,
                                     GError     **error);

G_END_DECLS
