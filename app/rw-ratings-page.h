/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_RATINGS_PAGE (rw_ratings_page_get_type ())

G_DECLARE_FINAL_TYPE (RwRatingsPage, rw_ratings_page, RW, RATINGS_PAGE, GtkBox)

void      rw_ratings_page_set_store (RwRatingsPage *self,
                                     RwStore       *store);
void      rw_ratings_page_reload    (RwRatingsPage *self);
JsonNode *rw_ratings_page_get_rated (RwRatingsPage *self);
gboolean  rw_ratings_page_is_busy   (RwRatingsPage *self);

G_END_DECLS
