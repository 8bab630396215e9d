/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  gint port;
  gint threads;
  char *policy_path;
  double request_ceiling;
  double daily_ceiling;
  char **allowed_origins;
  gint max_connections;
  gint client_timeout;
} ServeOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (ServeOptions, f)
static const GOptionEntry serve_entries[] = {
  { "port", 'p', 0, G_OPTION_ARG_INT, FIELD (port),
    N_("The port on 127.0.0.1 (default 8642; 0 for any)"), N_("PORT") },
  { "threads", 0, 0, G_OPTION_ARG_INT, FIELD (threads),
    N_("Event loops that serve connections (default: one per two processors, 1 to 4)"),
    N_("N") },
  { "policy", 0, 0, G_OPTION_ARG_FILENAME, FIELD (policy_path),
    N_("The routing policy for routewise/auto (default: the active policy)"), N_("FILE") },
  { "request-ceiling", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (request_ceiling),
    N_("Refuse requests estimated to cost more than this many US dollars"), N_("USD") },
  { "daily-ceiling", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (daily_ceiling),
    N_("Refuse requests once a day's spend would pass this many US dollars"), N_("USD") },
  { "allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, FIELD (allowed_origins),
    N_("Answer requests from web pages of this origin (by default, a request with an Origin is "
       "refused)"), N_("ORIGIN") },
  { "max-connections", 0, 0, G_OPTION_ARG_INT, FIELD (max_connections),
    N_("Connections open at once; at the limit the one idle longest is closed (default: half "
       "the files the process may open, at most 4096)"), N_("N") },
  { "client-timeout", 0, 0, G_OPTION_ARG_INT, FIELD (client_timeout),
    N_("Seconds a connection may stay idle, take to send a request's body or leave a reply "
       "unread (default 60; a request's head gets at most 10)"), N_("SECONDS") },
  { NULL }
};
#undef FIELD

static void
serve_init (gpointer data)
{
  ServeOptions *o = data;

  o->port = 8642;
  /* The loops share the processors with the store's writer, the clients and, often, a local
   * model server: on 2 processors one loop keeps the 99th percentile at 16 connections near
   * 1.8 ms where two loops let it reach 4.4 ms, for the same throughput. */
  o->threads = (gint) CLAMP (g_get_num_processors () / 2, 1, 4);
}

static int
serve_check (gpointer data,
             int      argc,
             char   **argv)
{
  ServeOptions *o = data;

  if (!rw_cli_check_range ("port", o->port, 0, 65535, FALSE) ||
      !rw_cli_check_range ("request-ceiling", o->request_ceiling, 0, INFINITY, FALSE) ||
      !rw_cli_check_range ("daily-ceiling", o->daily_ceiling, 0, INFINITY, FALSE) ||
      !rw_cli_check_range ("max-connections", o->max_connections, 0, INFINITY, FALSE) ||
      !rw_cli_check_range ("client-timeout", o->client_timeout, 0, 86400, FALSE) ||
      !rw_cli_check_range ("threads", o->threads, 1, 64, FALSE))
    return RW_CLI_EXIT_USAGE;
  /* As browsers write them, so that http://localhost:3000/ matches what they send. */
  for (guint i = 0; o->allowed_origins != NULL && o->allowed_origins[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      char *origin = rw_server_normalize_origin (o->allowed_origins[i], &error);

      if (origin == NULL)
        {
          rw_cli_print_error ("--allow-origin: %s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      g_free (o->allowed_origins[i]);
      o->allowed_origins[i] = origin;
    }
  return 0;
}

static gboolean
serve_on_stop_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
serve_run (RwCliContext *cli,
           gpointer      data,
           int           argc,
           char        **argv)
{
  ServeOptions *o = data;
  g_autoptr(GError) error = NULL;
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(RwRouter) router = NULL;
  g_autoptr(RwServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *config_dir = rw_paths_config_dir ();
  g_autofree char *token_path = g_build_filename (config_dir, "token", NULL);
  g_autofree char *token = NULL;
  g_autofree char *run_id = NULL;
  g_autoptr(RwRunHold) hold = NULL;
  g_autofree char *policy_name = NULL;

  /* No group commit: a reply waits for its answer to be stored, and under load the requests
   * that arrive while one commit runs share the next one anyway. */
  rw_store_set_group_commit (store, FALSE);
  router = rw_router_new (rw_cli_context_get_catalog (cli), store);
  if (o->policy_path != NULL)
    {
      g_autoptr(RwPolicy) policy = rw_policy_new_from_file (o->policy_path, &error);
      if (policy == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      rw_router_set_policy (router, policy);
    }
  else
    {
      /* Without --policy, the policy made active in the app or by “policy activate”. */
      g_autoptr(RwPolicy) policy = rw_policy_new_from_store (store, NULL, &policy_name, &error);

      if (policy == NULL && error != NULL)
        {
          rw_cli_print_error (_("the active policy: %s"), error->message);
          return RW_CLI_EXIT_FAILED;
        }
      if (policy != NULL)
        rw_router_set_policy (router, policy);
    }
  rw_router_set_cost_ceilings (router, o->request_ceiling, o->daily_ceiling);
  run_id = rw_store_begin_run (store, "serve", NULL);
  rw_router_set_run_id (router, run_id);
  /* Held while it serves: a session killed without a word shows as interrupted. */
  if ((hold = rw_store_hold_run (store, run_id, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }

  if ((token = rw_server_load_token (token_path, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  server = rw_server_new (router, token);
  rw_server_set_threads (server, (guint) o->threads);
  {
    guint ms = (guint) o->client_timeout * 1000;
    rw_server_set_client_limits (server, (guint) o->max_connections, ms, MIN (ms, 10000), ms, ms);
  }
  rw_server_set_allowed_origins (server, (const char * const *) o->allowed_origins);
  if (!rw_server_listen (server, (guint16) o->port, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }

  printf (_("Routewise is serving http://127.0.0.1:%u/v1\n"), rw_server_get_port (server));
  printf (_("Token: %s (send it as “Authorization: Bearer …”)\n"), token_path);
  if (o->policy_path != NULL)
    printf (_("Model routewise/auto routes by the policy %s; any catalog model is served with "
              "its fallbacks.\n"), o->policy_path);
  else if (policy_name != NULL)
    printf (_("Model routewise/auto routes by the active policy “%s”; any catalog model is "
              "served with its fallbacks.\n"), policy_name);
  else
    printf (_("No policy is active (see “policy activate”), so routewise/auto goes to the first "
              "models the catalog can reach, one after the other; any catalog model is served "
              "with its fallbacks.\n"));
  fflush (stdout);

  g_unix_signal_add (SIGINT, serve_on_stop_signal, loop);
  g_unix_signal_add (SIGTERM, serve_on_stop_signal, loop);
  g_main_loop_run (loop);

  rw_server_stop (server);
  g_clear_pointer (&hold, rw_run_hold_release);
  rw_store_finish_run (store, run_id, "done");
  g_clear_object (&server);
  printf (_("Stopped.\n"));
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_serve = {
  .name = "serve",
  .summary = N_("Serve the OpenAI-compatible endpoint on 127.0.0.1"),
  .help = N_("Serve the OpenAI-compatible endpoint on 127.0.0.1: POST /v1/chat/completions, "
             "POST /v1/responses, POST /v1/embeddings, GET /v1/models and GET /v1/models/{id}. "
             "Every request needs the bearer token kept in the file “token” of the "
             "configuration folder."),
  .options_size = sizeof (ServeOptions),
  .entries = serve_entries,
  .init = serve_init,
  .max_args = -1,
  .check = serve_check,
  .needs = RW_CLI_NEEDS_DISCOVERY | RW_CLI_NEEDS_STORE,
  .run = serve_run,
};
