/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/resource.h>

#include <routewise-engine.h>

#include "rw-json.h"
#include "rw-script-private.h"

/*
 * Code from a configuration (promptfoo's code assertions, prompt functions), run as promptfoo
 * runs it: in a process of its own of the real interpreter (node, python3), given a JSON
 * document `p` on its standard input and giving back {"result"} or {"error"} on its standard
 * output. What the code prints goes to the log, never into what it gives back. Each process has
 * a time limit, and Python a memory limit (node's heap is limited by its own option).
 *
 * A caller gives only the body: for node, an async function body over `p` that returns the
 * result; for Python, a function body over `p`, indented by four spaces, that returns it.
 */

#define SCRIPT_TIMEOUT_S 30
#define SCRIPT_MEMORY (1024 * 1024 * 1024)   /* bytes of address space, for Python */

static const char node_head[] =
  "const path = require('path');\n"
  "console.log = console.info = console.warn = console.debug = (...a) =>\n"
  "  process.stderr.write(a.map(String).join(' ') + '\\n');\n"
  "let input = '';\n"
  "process.stdin.on('data', (d) => (input += d));\n"
  "process.stdin.on('end', async () => {\n"
  "  const p = JSON.parse(input);\n"
  "  try {\n"
  "    const result = await (async () => {\n";

static const char node_tail[] =
  "    })();\n"
  "    process.stdout.write(JSON.stringify({ result: result === undefined ? null : result }));\n"
  "  } catch (e) {\n"
  "    process.stdout.write(JSON.stringify({ error: String((e && e.message) || e) }));\n"
  "  }\n"
  "});\n";

static const char python_head[] =
  "import importlib.util, io, json, os, runpy, sys, textwrap\n"
  "p = json.load(sys.stdin)\n"
  "out = sys.stdout\n"
  "sys.stdout = sys.stderr\n"
  "def run(p):\n";

static const char python_tail[] =
  "try:\n"
  "    out.write(json.dumps({'result': run(p)}))\n"
  "except BaseException as e:\n"
  "    out.write(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))\n";

static void
script_limit_memory (gpointer data)
{
  struct rlimit limit = { SCRIPT_MEMORY, SCRIPT_MEMORY };

  setrlimit (RLIMIT_AS, &limit);
}

typedef struct
{
  GMainLoop *loop;
  char *out;
  GError *error;
  gboolean timed_out;
  GSubprocess *process;
} Run;

static void
script_communicated_cb (GObject      *object,
                        GAsyncResult *res,
                        gpointer      data)
{
  Run *run = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), res, &run->out, NULL,
                                        &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
script_timeout_cb (gpointer data)
{
  Run *run = data;

  run->timed_out = TRUE;
  g_subprocess_force_exit (run->process);
  return G_SOURCE_REMOVE;
}

/* Runs @argv with @input on its standard input, within the time limit, in a main context of
 * its own (graders run on any thread), and returns its standard output. */
static char *
script_run (const char * const *argv,
            const char         *input,
            gboolean            limit_memory,
            GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSource) timeout = NULL;
  Run run = { 0 };

  if (limit_memory)
    g_subprocess_launcher_set_child_setup (launcher, script_limit_memory, NULL, NULL);
  g_main_context_push_thread_default (context);
  run.process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (run.process == NULL)
    {
      g_main_context_pop_thread_default (context);
      return NULL;
    }
  run.loop = g_main_loop_new (context, FALSE);
  timeout = g_timeout_source_new_seconds (SCRIPT_TIMEOUT_S);
  g_source_set_callback (timeout, script_timeout_cb, &run, NULL);
  g_source_attach (timeout, context);
  g_subprocess_communicate_utf8_async (run.process, input, NULL, script_communicated_cb, &run);
  g_main_loop_run (run.loop);
  g_source_destroy (timeout);
  g_main_loop_unref (run.loop);
  g_object_unref (run.process);
  g_main_context_pop_thread_default (context);
  if (run.timed_out)
    {
      g_clear_error (&run.error);
      g_free (run.out);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "did not finish within %d s",
                   SCRIPT_TIMEOUT_S);
      return NULL;
    }
  if (run.error != NULL)
    {
      g_propagate_error (error, run.error);
      g_free (run.out);
      return NULL;
    }
  return run.out;
}

/**
 * _rw_script_call:
 * @language: the interpreter
 * @body: the code that computes the result from `p` (see the top of this file)
 * @input: `p`
 * @what: what the code is, for messages ("javascript assertions")
 * @error: where a missing interpreter (%RW_ERROR_CONFIG), or a process that could not run or
 *   gave back nothing readable (%RW_ERROR_BAD_RESPONSE), is reported
 *
 * Returns: (transfer full) (nullable): the object the code gave back, {"result"} or {"error"}
 */
JsonNode *
_rw_script_call (RwScriptLanguage   language,
                 const char        *body,
                 JsonNode          *input,
                 const char        *what,
                 GError           **error)
{
  gboolean js = language == RW_SCRIPT_NODE;
  const char *interpreter = js ? "node" : "python3";
  g_autofree char *program = g_find_program_in_path (interpreter);
  g_autofree char *text = NULL;
  g_autofree char *runner = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(GError) local = NULL;

  if (program == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s need %s, which is not installed (%s)",
                   what, interpreter, js ? "apt install nodejs" : "apt install python3");
      return NULL;
    }
  text = rw_json_to_string (input, FALSE);
  if (js)
    {
      const char *argv[] = { program, "--max-old-space-size=512", "-e", NULL, NULL };

      argv[3] = runner = g_strconcat (node_head, body, node_tail, NULL);
      out = script_run (argv, text, FALSE, &local);
    }
  else
    {
      /* -I: neither the environment nor the user's site folder changes what runs. */
      const char *argv[] = { program, "-I", "-c", NULL, NULL };

      argv[3] = runner = g_strconcat (python_head, body, python_tail, NULL);
      out = script_run (argv, text, TRUE, &local);
    }
  if (out == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "could not run: %s", local->message);
      return NULL;
    }
  if ((back = rw_json_parse (out, strlen (out), NULL)) == NULL || !JSON_NODE_HOLDS_OBJECT (back))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "ended without giving anything back");
      return NULL;
    }
  return g_steal_pointer (&back);
}
