/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_CLI_POLICY_USAGE \
  N_("usage: routewise-cli policy learn [--cost-weight W | --budget USD] [-o FILE] " \
     "[--save NAME [--activate]] | evaluate FILE | export FILE --format F | list | " \
     "activate NAME | activate --none")

JsonNode *rw_cli_read_policy_file (const char  *path,
                                   GError     **error);

G_END_DECLS
