/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-chart-view.h"
#include "rw-policies-page.h"

G_BEGIN_DECLS

/* What the files of RwPoliciesPage share: rw-policies-page.c learns and shows a policy;
 * rw-policies-page-evaluate.c evaluates it held out; rw-policies-page-kept.c keeps policies,
 * makes one active and exports them; rw-policies-page-import.c imports graded answers. */

/* The evidence learning reads: loaded once, shared with the threads that learn from it. */
typedef struct
{
  gatomicrefcount ref_count;
  GPtrArray *outcomes;
  RwComparisons *comparisons;
  char *stamp;              /* the store's evidence stamp when it was read, or NULL */
} Evidence;

struct _RwPoliciesPage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  Evidence *evidence;
  char *evidence_stamp;     /* the store's, when the evidence was read (see rw_store_dup_evidence_stamp()) */
  JsonNode *learned;
  JsonNode *evaluation;
  GCancellable *cancellable;
  GCancellable *evaluation_cancellable;
  GCancellable *learn_cancellable;
  GCancellable *import_cancellable;
  gpointer import_progress;   /* ImportProgress of rw-policies-page-import.c */
  guint import_progress_source;
  guint relearn_source;
  gboolean learning;
  gboolean evaluating;
  gboolean loading;
  gboolean importing;
  gboolean keeping;         /* a learned policy being written out and stored */
  guint exporting;          /* exports being written */
  gboolean again;           /* the weight moved while learning */

  GtkStack *stack;
  AdwStatusPage *empty_status;
  GtkScale *weight_scale;
  GtkSpinButton *budget_spin;
  GtkLabel *summary;
  GtkSpinner *spinner;
  GtkDropDown *task_dropdown;
  GtkStringList *tasks;
  RwChartView *frontier;
  GtkButton *evaluate_button;
  GtkButton *cancel_evaluation_button;
  GtkButton *cancel_import_button;
  GtkSpinner *evaluate_spinner;
  GtkGrid *evaluation_table;
  RwChartView *curve;
  AdwEntryRow *name_row;
  GtkListBox *kept;
};

enum
{
  _RW_POLICIES_PAGE_ACTIVE_POLICY_CHANGED,
  _RW_POLICIES_PAGE_EVALUATED,
  _RW_POLICIES_PAGE_N_SIGNALS
};

extern guint _rw_policies_page_signals[_RW_POLICIES_PAGE_N_SIGNALS];

Evidence  *_rw_policies_evidence_ref        (Evidence       *e);
void       _rw_policies_evidence_unref      (Evidence       *e);
void       _rw_policies_page_sync_busy      (RwPoliciesPage *self);
void       _rw_policies_page_list_kept      (RwPoliciesPage *self);
GtkWidget *_rw_policies_page_export_button  (RwPoliciesPage *self,
                                             const char     *policy_id);
void       _rw_policies_page_keep_clicked   (GtkButton      *button,
                                             RwPoliciesPage *self);
void       _rw_policies_page_import_clicked (RwPoliciesPage *self);

G_END_DECLS
