/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-json.h"

G_BEGIN_DECLS

#define RW_TYPE_TEXT_CLASSIFIER (rw_text_classifier_get_type ())

typedef struct _RwTextClassifier RwTextClassifier;

GType             rw_text_classifier_get_type      (void) G_GNUC_CONST;
RwTextClassifier *rw_text_classifier_new           (guint              buckets);
RwTextClassifier *rw_text_classifier_new_from_json (JsonNode          *node,
                                                    GError           **error);
RwTextClassifier *rw_text_classifier_new_from_doc  (RwJsonDoc         *doc,
                                                    guint32            v,
                                                    GError           **error);
RwTextClassifier *rw_text_classifier_ref           (RwTextClassifier  *self);
void              rw_text_classifier_unref         (RwTextClassifier  *self);
void              rw_text_classifier_add           (RwTextClassifier  *self,
                                                    const char        *text,
                                                    const char        *label);
const char       *rw_text_classifier_predict       (RwTextClassifier  *self,
                                                    const char        *text,
                                                    double            *probability);
double            rw_text_classifier_probability   (RwTextClassifier  *self,
                                                    const char        *text,
                                                    const char        *label);
double           *rw_text_classifier_posterior     (RwTextClassifier  *self,
                                                    const char        *text);
const char       *rw_text_classifier_get_label     (RwTextClassifier  *self,
                                                    guint              i);
guint             rw_text_classifier_get_n_labels  (RwTextClassifier  *self);
JsonNode         *rw_text_classifier_to_json       (RwTextClassifier  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwTextClassifier, rw_text_classifier_unref)

G_END_DECLS
