/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_ENDPOINT_PAGE (rw_endpoint_page_get_type ())

G_DECLARE_FINAL_TYPE (RwEndpointPage, rw_endpoint_page, RW, ENDPOINT_PAGE, GtkBox)

void        rw_endpoint_page_set_engine    (RwEndpointPage *self,
                                            RwCatalog      *catalog,
                                            RwStore        *store);
gboolean    rw_endpoint_page_start         (RwEndpointPage *self,
                                            GError        **error);
void        rw_endpoint_page_stop          (RwEndpointPage *self);
gboolean    rw_endpoint_page_is_running    (RwEndpointPage *self);
guint16     rw_endpoint_page_get_port      (RwEndpointPage *self);
char       *rw_endpoint_page_dup_token     (RwEndpointPage *self);
gboolean    rw_endpoint_page_new_token     (RwEndpointPage *self,
                                            GError        **error);
void        rw_endpoint_page_set_policy (RwEndpointPage *self,
                                         RwPolicy       *policy,
                                         const char     *name,
                                         const GError   *error);
const char *rw_endpoint_page_get_policy_name (RwEndpointPage *self);
guint       rw_endpoint_page_get_n_logged  (RwEndpointPage *self);

G_END_DECLS
