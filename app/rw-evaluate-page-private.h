/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-eval-matrix.h"
#include "rw-evaluate-page.h"

G_BEGIN_DECLS

/* What the files of RwEvaluatePage share: rw-evaluate-page.c runs an evaluation and shows its
 * progress, matrix and report; rw-evaluate-page-setup.c is what is picked before it starts (the
 * suite, the models, the options) and the runs left to resume. */

/* The models picked from the catalog besides those evaluated, each one or none: the judge, and
 * the embedding and moderation models that some suites' grades need. */
typedef enum
{
  RW_EVALUATE_JUDGE,
  RW_EVALUATE_EMBEDDING,
  RW_EVALUATE_MODERATION,
  RW_EVALUATE_N_CHOICES,
} RwEvaluateChoice;

typedef struct
{
  GtkWidget *row;
  GtkDropDown *dropdown;
  GtkStringList *names;         /* "none" first, then the catalog's models */
} RwModelChoice;

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
  RwModelChoice choices[RW_EVALUATE_N_CHOICES];  /* the embedding and moderation rows shown
                                                 * only when the suite's grades need them */
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
RwModel   *_rw_evaluate_page_chosen_model   (RwEvaluatePage   *self,
                                             RwEvaluateChoice  choice,
                                             GError          **error);

G_END_DECLS
