/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include "rw-suite.h"

G_BEGIN_DECLS

gboolean  rw_promptfoo_is_config            (JsonObject  *root);
gboolean  rw_promptfoo_is_results           (JsonObject  *root);
JsonNode *rw_promptfoo_read_data_file       (const char  *path,
                                             GError     **error);
char     *rw_promptfoo_config_to_jsonl      (JsonObject  *config,
                                             const char  *base_dir,
                                             const char  *origin,
                                             GError     **error);
gboolean  rw_promptfoo_fill_turn            (JsonObject     *sequence,
                                            JsonObject     *registers,
                                            JsonArray      *conversation,
                                            RwChatRequest  *request,
                                            GError        **error);
char     *rw_promptfoo_config_file_to_jsonl (const char  *path,
                                             GError     **error);
/* A provider of a configuration, as a model of the catalog and the request fields its
 * configuration sets. */
typedef struct
{
  char *model_id;
  JsonObject *options;
} RwPromptfooProvider;

char      *rw_promptfoo_provider_model      (const char  *id,
                                             GError     **error);
GPtrArray *rw_promptfoo_config_providers    (JsonObject  *config,
                                             GError     **error);
void       rw_promptfoo_provider_free       (RwPromptfooProvider *p);
char     *rw_promptfoo_import_results       (RwStore     *store,
                                             JsonObject  *root,
                                             const char  *origin,
                                             guint       *n_answers,
                                             GError     **error);
char     *rw_promptfoo_import_results_cancellable (RwStore      *store,
                                             JsonObject   *root,
                                             const char   *origin,
                                             GCancellable *cancellable,
                                             guint        *n_answers,
                                             GError      **error);

G_END_DECLS
