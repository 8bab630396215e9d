/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-eval-matrix.h"
#include "rw-evaluate-page.h"

G_BEGIN_DECLS

/* What the files of RwEvaluatePage share: rw-evaluate-page.c runs an evaluation and shows its
 * progress, matrix and report; rw-evaluate-page-setup.c is what is picked before it starts (the
 * suite, the models, the options) and the runs left to resume. */

struct _RwEvaluatePage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  GSettings *settings;
  RwSuite *suite;
  char *suite_path;
  RwEvalRunner *runner;
  GCancellable *cancellable;
  char *status;
  gint64 start_us;
  guint start_done;
  gint64 drawn_us;
  GPtrArray *models;            /* RwModel, as picked for the run */

  GtkStack *stack;
  GtkDropDown *suite_dropdown;
  GtkStringList *suite_names;
  GPtrArray *suite_paths;
  GtkLabel *suite_label;
  GtkSearchEntry *model_search;
  GtkListBox *model_list;
  GtkSpinButton *repeat_spin;
  GtkSpinButton *concurrency_spin;
  GtkSpinButton *budget_spin;
  GtkDropDown *judge_dropdown;
  GtkStringList *judge_names;
  GtkWidget *embedding_row;     /* shown when the suite's grades need one */
  GtkDropDown *embedding_dropdown;
  GtkStringList *embedding_names;
  GtkWidget *moderation_row;    /* likewise */
  GtkDropDown *moderation_dropdown;
  GtkStringList *moderation_names;
  RwGraderNeeds needs;          /* what the picked suite's grades need */
  GtkListBox *resumable_list;
  GtkWidget *resumable_group;

  GtkProgressBar *progress;
  GtkLabel *progress_label;
  GtkButton *cancel_button;
  GtkButton *resume_button;
  GtkButton *report_button;
  RwEvalMatrix *matrix;

  RwEvalReportPage *report_page;
};

void       _rw_evaluate_page_ask_start      (RwEvaluatePage *self,
                                             const char     *resume_run_id);
void       _rw_evaluate_page_start_clicked  (RwEvaluatePage *self);
void       _rw_evaluate_page_list_resumable (RwEvaluatePage *self);
GPtrArray *_rw_evaluate_page_picked_models  (RwEvaluatePage *self,
                                             GError        **error);
GPtrArray *_rw_evaluate_page_bundled_suites (void);
void       _rw_evaluate_page_fill_models    (RwEvaluatePage *self);
void       _rw_evaluate_page_build_setup    (RwEvaluatePage *self);
GtkWidget *_rw_evaluate_page_scrolled       (GtkWidget      *child);
RwModel   *_rw_evaluate_page_chosen_model   (RwEvaluatePage *self,
                                             GtkDropDown    *dropdown,
                                             GtkStringList  *names,
                                             GError        **error);

G_END_DECLS
