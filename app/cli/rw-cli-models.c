/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean json;
  gboolean no_discover;
} ModelsOptions;

static const GOptionEntry models_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (ModelsOptions, json),
    N_("Print JSON"), NULL },
  { "no-discover", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (ModelsOptions, no_discover),
    N_("Do not look for local servers"), NULL },
  { NULL }
};

static char *
models_format_price (RwModel *model)
{
  if (!rw_model_has_price (model))
    return g_strdup ("-");
  return g_strdup_printf ("%.3g / %.3g", rw_model_get_input_price (model),
                          rw_model_get_output_price (model));
}

static JsonNode *
models_to_json (GListModel *models)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(RwModel) m = g_list_model_get_item (models, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, rw_model_get_id (m));
      json_builder_set_member_name (b, "provider");
      json_builder_add_string_value (b, rw_model_get_provider_id (m));
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, rw_model_get_upstream_name (m));
      json_builder_set_member_name (b, "display_name");
      json_builder_add_string_value (b, rw_model_get_display_name (m));
      json_builder_set_member_name (b, "input_price");
      if (rw_model_has_price (m))
        json_builder_add_double_value (b, rw_model_get_input_price (m));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "output_price");
      if (rw_model_has_price (m))
        json_builder_add_double_value (b, rw_model_get_output_price (m));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "context_length");
      if (rw_model_get_context_length (m) > 0)
        json_builder_add_int_value (b, rw_model_get_context_length (m));
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static int
models_run (RwCliContext *cli,
            gpointer      data,
            int           argc,
            char        **argv)
{
  ModelsOptions *o = data;
  GListModel *models;

  if (!o->no_discover)
    rw_cli_context_discover (cli);
  models = rw_catalog_get_models (rw_cli_context_get_catalog (cli));
  if (o->json)
    {
      g_autoptr(JsonNode) root = models_to_json (models);
      rw_cli_print_json (root);
      return RW_CLI_EXIT_OK;
    }

  printf ("%-36s %-12s %-18s %9s  %s\n", _("MODEL"), _("PROVIDER"), _("PRICE IN / OUT"),
          _("CONTEXT"), _("NAME"));
  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(RwModel) m = g_list_model_get_item (models, i);
      g_autofree char *price = models_format_price (m);
      g_autofree char *ctx_len = rw_model_get_context_length (m) > 0 ?
        g_strdup_printf ("%" G_GINT64_FORMAT, rw_model_get_context_length (m)) : g_strdup ("-");

      printf ("%-36s %-12s %-18s %9s  %s\n", rw_model_get_id (m), rw_model_get_provider_id (m),
              price, ctx_len, rw_model_get_display_name (m));
    }
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_models = {
  .name = "models",
  .summary = N_("List the models with their prices"),
  .help = N_("List the models of the catalog, with prices in US dollars per million input / "
             "output tokens."),
  .options_size = sizeof (ModelsOptions),
  .entries = models_entries,
  .max_args = -1,
  .needs = RW_CLI_NEEDS_CATALOG,
  .run = models_run,
};
