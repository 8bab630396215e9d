/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-compare-options.h"
#include "rw-compare-page.h"

G_BEGIN_DECLS

/* The Compare view, shared by rw-compare-page.c (comparing and voting) and
 * rw-compare-page-stored.c (a comparison of the history shown again). */

typedef struct
{
  RwChatRequest *request;
  GPtrArray *models;
  GPtrArray *columns;      /* RwAnswerColumn, borrowed from the box */
  GPtrArray *results;
  GStrv response_ids;
  GCancellable *cancellable;
  char *prompt_id;
  char *run_id;
  gboolean finished;
  gboolean voted;
  gboolean blind;
  gboolean stored;         /* reopened from the history: read-only */
  gboolean selection_changed; /* other models were chosen since it was reopened */
} Comparison;

struct _RwComparePage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  RwPolicy *policy;        /* the active one, whose classifier names an own prompt's task */
  RwFanout *fanout;
  GSettings *settings;
  GHashTable *selected;    /* model id set */
  GtkCustomFilter *model_filter;
  GtkFilterListModel *filtered_models;
  Comparison *current;
  char *last_run_id;
  guint first_run_idle;

  GtkBox *columns_box;
  GtkMenuButton *models_button;
  GtkListBox *models_list;
  GtkSearchEntry *models_search;
  GtkGrid *pair_box;
  GtkLabel *columns_hint;
  GtkScrolledWindow *columns_scroller;
  GtkTextView *prompt_view;
  GtkListBox *samples_list;
  GtkSearchEntry *samples_search;
  GtkCustomFilter *samples_filter;
  GtkFilterListModel *filtered_samples;
  gboolean toggling;       /* a model's check is writing the selection */
  gboolean closing;        /* the window waits for the comparison to be stored to close */
  GtkPopover *samples_popover;
  GtkStack *stack;
  AdwStatusPage *empty_status;
  GtkLabel *stored_label;
  GtkRevealer *stored_revealer;
  GtkDropDown *task_dropdown;
  GtkStringList *tasks;
  RwCompareOptions *options;
  GtkLabel *vote_label;
  GtkRevealer *vote_revealer;
};

void _rw_compare_page_comparison_free (Comparison    *c);
void _rw_compare_page_clear_columns    (RwComparePage *self);
void _rw_compare_page_update_actions   (RwComparePage *self);
void _rw_compare_page_run_again_action (GtkWidget     *widget,
                                        const char    *action_name,
                                        GVariant      *param);

/* rw-compare-page.c: starting a comparison */
char *_rw_compare_page_take_prompt      (RwComparePage *self);
void  _rw_compare_page_start            (RwComparePage *self,
                                         const char    *prompt,
                                         GPtrArray     *models,
                                         gboolean       blind);

/* rw-compare-page-models.c: the models and the samples */
void       _rw_compare_page_update_models_button     (RwComparePage *self);
void       _rw_compare_page_load_selection           (RwComparePage *self);
void       _rw_compare_page_on_selection_setting     (RwComparePage *self);
GtkWidget *_rw_compare_page_create_model_row         (gpointer       item,
                                                      gpointer       user_data);
gboolean   _rw_compare_page_filter_model             (gpointer       item,
                                                      gpointer       user_data);
void       _rw_compare_page_on_models_search_changed (RwComparePage *self);
GtkWidget *_rw_compare_page_create_sample_row        (gpointer       item,
                                                      gpointer       user_data);
gboolean   _rw_compare_page_filter_sample            (gpointer       item,
                                                      gpointer       user_data);
void       _rw_compare_page_on_samples_search_changed (RwComparePage *self);
void       _rw_compare_page_on_sample_activated      (RwComparePage *self,
                                                      GtkListBoxRow *row);
void       _rw_compare_page_update_first_run         (RwComparePage *self);
gboolean   _rw_compare_page_first_run_idle           (gpointer       data);
void       _rw_compare_page_on_models_changed        (GListModel    *models,
                                                      guint          position,
                                                      guint          removed,
                                                      guint          added,
                                                      RwComparePage *self);
void       _rw_compare_page_try_sample_action        (GtkWidget     *widget,
                                                      const char    *action_name,
                                                      GVariant      *param);
void       _rw_compare_page_random_pair_action       (GtkWidget     *widget,
                                                      const char    *action_name,
                                                      GVariant      *param);

G_END_DECLS
