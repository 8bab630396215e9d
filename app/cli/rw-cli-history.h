/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-eval.h>

G_BEGIN_DECLS

/* The filters history list, search and export share: the first member of their options. */
typedef struct
{
  char *model;
  char *task;
  char *since;
  char *until;
  gboolean voted;
  gboolean unvoted;
  gint limit;
} RwCliHistoryFilter;

extern const GOptionEntry rw_cli_history_filter_entries[];

gboolean  rw_cli_history_filter_resolve (const RwCliHistoryFilter *options,
                                         const char               *query,
                                         RwHistoryFilter          *filter,
                                         GError                  **error);
RwStoredComparison *rw_cli_history_lookup (RwStore           *store,
                                           const char        *id,
                                           int               *rc);
int       rw_cli_history_print_list     (RwStore                  *store,
                                         const RwHistoryFilter    *filter,
                                         gboolean                  json);

G_END_DECLS
