/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

int rw_fuzz_sse        (const guint8 *data, gsize size);
int rw_fuzz_providers  (const guint8 *data, gsize size);
int rw_fuzz_error_body (const guint8 *data, gsize size);
int rw_fuzz_messages   (const guint8 *data, gsize size);
int rw_fuzz_suite      (const guint8 *data, gsize size);
int rw_fuzz_promptfoo  (const guint8 *data, gsize size);
int rw_fuzz_yaml       (const guint8 *data, gsize size);
int rw_fuzz_http1      (const guint8 *data, gsize size);
int rw_fuzz_requests   (const guint8 *data, gsize size);
int rw_fuzz_json       (const guint8 *data, gsize size);
int rw_fuzz_policy     (const guint8 *data, gsize size);
int rw_fuzz_outcomes   (const guint8 *data, gsize size);
int rw_fuzz_answers    (const guint8 *data, gsize size);
int rw_fuzz_csv        (const guint8 *data, gsize size);
int rw_fuzz_template   (const guint8 *data, gsize size);
int rw_fuzz_replies    (const guint8 *data, gsize size);
int rw_fuzz_promptfoo_results (const guint8 *data, gsize size);
