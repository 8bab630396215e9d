/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * RwSuiteFormat:
 * @name: its name ("jsonl", "csv", "promptfoo")
 * @suffixes: the file name endings it is known by, %NULL-terminated
 * @to_jsonl: (nullable): reads a file of a foreign format as a suite in JSONL; %NULL for the
 *   formats the suite reads itself
 *
 * A format a suite can be read from.
 */
typedef struct
{
  const char *name;
  const char * const *suffixes;
  char *(*to_jsonl) (const char  *path,
                     GError     **error);
} RwSuiteFormat;

const RwSuiteFormat *rw_suite_format_for_path (const char *path);

G_END_DECLS
