/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-promptfoo.h"
#include "rw-suite-format.h"

/* The formats a suite is read from, known by their file names' endings: the two the suite reads
 * itself, and promptfoo's configurations, which its importer turns into a suite. */

static const char * const jsonl_suffixes[] = { ".jsonl", NULL };
static const char * const csv_suffixes[] = { ".csv", NULL };
static const char * const promptfoo_suffixes[] = { ".yaml", ".yml", ".json", NULL };

static const RwSuiteFormat suite_formats[] = {
  { "jsonl", jsonl_suffixes, NULL },
  { "csv", csv_suffixes, NULL },
  { "promptfoo", promptfoo_suffixes, rw_promptfoo_config_file_to_jsonl },
};

/**
 * rw_suite_format_for_path:
 * @path: a suite's file
 *
 * Returns: (transfer none): the format its name says, JSONL when it says none
 */
const RwSuiteFormat *
rw_suite_format_for_path (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (suite_formats); i++)
    for (guint j = 0; suite_formats[i].suffixes[j] != NULL; j++)
      if (g_str_has_suffix (path, suite_formats[i].suffixes[j]))
        return &suite_formats[i];
  return &suite_formats[0];
}
