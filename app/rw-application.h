/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_APPLICATION (rw_application_get_type ())

G_DECLARE_FINAL_TYPE (RwApplication, rw_application, RW, APPLICATION, AdwApplication)

RwApplication *rw_application_new         (void);
RwCatalog     *rw_application_get_catalog (RwApplication *self);
RwStore       *rw_application_get_store   (RwApplication *self);
GtkWidget     *rw_application_create_about (GtkWindow    *parent);

G_END_DECLS
