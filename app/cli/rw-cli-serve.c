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

/* Without --policy, serve follows the active policy: the app or "policy activate" may make
 * another one active while it runs. Every FOLLOW_INTERVAL_S the database says which one is active
 * (a query of a few rows, without their bodies); a new one is read on a thread (a learned policy
 * is megabytes of JSON) and routes from then on. */
#define FOLLOW_INTERVAL_S 2

typedef struct
{
  RwStore *store;
  RwRouter *router;         /* not owned: it owns this */
  char *active_id;          /* the policy that routes now; NULL for none */
  gboolean reading;
  gboolean gone;            /* serve stops: a read that comes back changes nothing */
} ServeFollow;

typedef struct
{
  char *id;
  char *name;
  RwPolicy *policy;
  GError *error;
} ServeRead;

static void
serve_read_free (ServeRead *r)
{
  g_free (r->id);
  g_free (r->name);
  g_clear_object (&r->policy);
  g_clear_error (&r->error);
  g_free (r);
}

static void
serve_follow_free (ServeFollow *f)
{
  g_object_unref (f->store);
  g_free (f->active_id);
  g_free (f);
}

/* When serve is done with it (with its router): now, or when a read in flight comes back. */
static void
serve_follow_release (ServeFollow *f)
{
  if (f->reading)
    f->gone = TRUE;
  else
    serve_follow_free (f);
}

static void
serve_read_thread (GTask        *task,
                   gpointer      source,
                   gpointer      data,
                   GCancellable *cancellable)
{
  ServeFollow *f = data;
  ServeRead *r = g_new0 (ServeRead, 1);

  r->id = g_strdup (g_object_get_data (G_OBJECT (task), "id"));
  r->policy = rw_policy_new_from_store (f->store, r->id, &r->name, &r->error);
  g_task_return_pointer (task, r, (GDestroyNotify) serve_read_free);
}

static void
serve_read_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  ServeFollow *f = data;
  ServeRead *r = g_task_propagate_pointer (G_TASK (result), NULL);

  f->reading = FALSE;
  if (!f->gone && r != NULL)
    {
      /* Tried once: a policy that cannot be read keeps the one that routes, and is not read
       * again every few seconds. */
      g_free (f->active_id);
      f->active_id = g_strdup (r->id);
      if (r->policy != NULL)
        {
          rw_router_set_policy (f->router, r->policy);
          printf (_("Model routewise/auto now routes by the active policy “%s”.\n"), r->name);
          fflush (stdout);
        }
      else
        rw_cli_print_error (_("the active policy: %s"), r->error->message);
    }
  g_clear_pointer (&r, serve_read_free);
  if (f->gone)
    serve_follow_free (f);
}

static gboolean
serve_follow_check (gpointer data)
{
  ServeFollow *f = data;
  g_autofree char *id = NULL;
  g_autoptr(GTask) task = NULL;

  if (f->reading || !rw_store_get_active_policy_id (f->store, &id, NULL) || g_strcmp0 (id, f->active_id) == 0)
    return G_SOURCE_CONTINUE;
  if (id == NULL)
    {
      g_autoptr(RwPolicy) none = rw_policy_new ();

      rw_router_set_policy (f->router, none);
      g_clear_pointer (&f->active_id, g_free);
      printf (_("No policy is active now, so routewise/auto goes to the first models the "
                "catalog can reach, one after the other.\n"));
      fflush (stdout);
      return G_SOURCE_CONTINUE;
    }
  f->reading = TRUE;
  task = g_task_new (NULL, NULL, serve_read_done, f);
  g_object_set_data_full (G_OBJECT (task), "id", g_steal_pointer (&id), g_free);
  g_task_set_task_data (task, f, NULL);
  g_task_run_in_thread (task, serve_read_thread);
  return G_SOURCE_CONTINUE;
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
  ServeFollow *follow = NULL;
  guint follow_source = 0;

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
      follow = g_new0 (ServeFollow, 1);
      follow->store = g_object_ref (store);
      follow->router = router;      /* the router holds it */
      if (!rw_store_get_active_policy_id (store, &follow->active_id, NULL))
        g_clear_pointer (&follow->active_id, g_free);
    }
  if (follow != NULL)
    g_object_set_data_full (G_OBJECT (router), "serve-follow", follow,
                            (GDestroyNotify) serve_follow_release);
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

  if (follow != NULL)
    follow_source = g_timeout_add_seconds (FOLLOW_INTERVAL_S, serve_follow_check, follow);
  g_unix_signal_add (SIGINT, serve_on_stop_signal, loop);
  g_unix_signal_add (SIGTERM, serve_on_stop_signal, loop);
  g_main_loop_run (loop);
  if (follow_source != 0)
    g_source_remove (follow_source);

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
