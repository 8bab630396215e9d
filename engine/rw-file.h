/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Reading a file that came from outside: a regular file only (never a device, a FIFO or a
 * directory, which could be read for ever or block), never more than a stated size, so a file
 * can neither hang a command nor fill the memory.
 */

/* A configuration, a suite, a catalog, providers.json, a policy, a file:// reference. */
#define RW_FILE_DOCUMENT_MAX ((gsize) 256 << 20)
/* Recorded outcomes, votes and results to import, which may be a company's whole log. */
#define RW_FILE_DATA_MAX     ((gsize) 2 << 30)

gboolean  rw_file_read      (const char  *path,
                             gsize        max,
                             char       **contents,
                             gsize       *length,
                             GError     **error);
gboolean  rw_file_read_text (const char  *path,
                             gsize        max,
                             char       **contents,
                             gsize       *length,
                             GError     **error);
JsonNode *rw_file_read_json (const char  *path,
                             gsize        max,
                             GError     **error);
char     *rw_file_format_size (guint64    bytes);

G_END_DECLS
