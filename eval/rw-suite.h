/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

#define RW_TYPE_SUITE_ITEM (rw_suite_item_get_type ())

/**
 * RwSuiteItem:
 * @id: the item's id, unique in its suite
 * @task: the task it belongs to
 * @request: the messages to send
 * @reference: (nullable): the expected answer
 * @graders: (nullable): the item's graders, a JSON array of grader objects
 * @metadata: (nullable): anything else the item carried
 *
 * One item of a suite.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char *id;
  char *task;
  RwChatRequest *request;
  char *reference;
  JsonNode *graders;
  JsonNode *metadata;
} RwSuiteItem;

GType        rw_suite_item_get_type (void) G_GNUC_CONST;
RwSuiteItem *rw_suite_item_ref      (RwSuiteItem *self);
void         rw_suite_item_unref    (RwSuiteItem *self);

#define RW_TYPE_SUITE (rw_suite_get_type ())

G_DECLARE_FINAL_TYPE (RwSuite, rw_suite, RW, SUITE, GObject)

RwSuite     *rw_suite_new_from_file (const char   *path,
                                     GError      **error);
RwSuite     *rw_suite_new_from_data (const char   *name,
                                     const char   *format,
                                     const char   *data,
                                     gsize         length,
                                     GError      **error);
const char  *rw_suite_get_name      (RwSuite      *self);
const char  *rw_suite_get_checksum  (RwSuite      *self);
guint        rw_suite_get_n_items   (RwSuite      *self);
RwSuiteItem *rw_suite_get_item      (RwSuite      *self,
                                     guint         index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwSuiteItem, rw_suite_item_unref)

JsonObject  *rw_suite_dup_unsupported (RwSuite *self,
                                       guint   *n_ungraded);

G_END_DECLS
