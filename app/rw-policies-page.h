/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_POLICIES_PAGE (rw_policies_page_get_type ())

G_DECLARE_FINAL_TYPE (RwPoliciesPage, rw_policies_page, RW, POLICIES_PAGE, GtkBox)

void      rw_policies_page_set_engine      (RwPoliciesPage *self,
                                            RwCatalog      *catalog,
                                            RwStore        *store);
void      rw_policies_page_reload          (RwPoliciesPage *self);
void      rw_policies_page_set_cost_weight (RwPoliciesPage *self,
                                            double          weight);
void      rw_policies_page_set_budget      (RwPoliciesPage *self,
                                            double          usd_per_1k);
gboolean  rw_policies_page_is_busy         (RwPoliciesPage *self);
JsonNode *rw_policies_page_get_learned     (RwPoliciesPage *self);
void      rw_policies_page_evaluate        (RwPoliciesPage *self);
void      rw_policies_page_cancel_evaluation (RwPoliciesPage *self);
void      rw_policies_page_import          (RwPoliciesPage *self,
                                            const char     *path);
void      rw_policies_page_cancel_import   (RwPoliciesPage *self);
JsonNode *rw_policies_page_get_evaluation  (RwPoliciesPage *self);
void      rw_policies_page_keep_async      (RwPoliciesPage *self,
                                            const char     *name,
                                            gboolean        activate,
                                            GAsyncReadyCallback callback,
                                            gpointer        user_data);
char     *rw_policies_page_keep_finish     (RwPoliciesPage *self,
                                            GAsyncResult   *result,
                                            GError        **error);
void      rw_policies_page_export_async    (RwPoliciesPage *self,
                                            const char     *policy_id,
                                            const char     *format,
                                            const char     *path,
                                            GAsyncReadyCallback callback,
                                            gpointer        user_data);
gboolean  rw_policies_page_export_finish   (RwPoliciesPage *self,
                                            GAsyncResult   *result,
                                            GStrv          *notes,
                                            GError        **error);
void      rw_policies_page_export_and_tell (RwPoliciesPage *self,
                                            const char     *policy_id,
                                            const char     *format,
                                            const char     *path);

G_END_DECLS
