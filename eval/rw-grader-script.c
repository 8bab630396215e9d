/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "rw-grader-private.h"
#include "rw-json.h"

/*
 * Code graders, as promptfoo runs its `javascript` and `python` assertions: the code gets the
 * answer (`output`) and a context (`vars`, `test`, `prompt`, `config`), and gives back a
 * boolean, a number (the score: it passes above 0, or at the assertion's threshold) or a
 * grading result ({pass, score, reason}). Inline code is an expression, or with several lines
 * a function body; `file://path.js:name` (or `.py`, whose function defaults to get_assert)
 * names a function in a file beside the configuration. Each runs in its own process of the
 * real interpreter (node, python3), with the answer on its standard input, a time limit and a
 * memory limit; what the code prints goes to the log, never into the verdict.
 *
 * The spec: {"type": "javascript" | "python", "value", "base_dir"?, "vars"?, "prompt"?,
 * "config"?, "threshold"?}.
 */

#define SCRIPT_TIMEOUT_S 30
#define SCRIPT_MEMORY (1024 * 1024 * 1024)   /* bytes of address space, for Python */

static const char node_runner[] =
  "const path = require('path');\n"
  "console.log = console.info = console.warn = console.debug = (...a) =>\n"
  "  process.stderr.write(a.map(String).join(' ') + '\\n');\n"
  "let input = '';\n"
  "process.stdin.on('data', (d) => (input += d));\n"
  "process.stdin.on('end', async () => {\n"
  "  const p = JSON.parse(input);\n"
  "  try {\n"
  "    let fn;\n"
  "    if (p.value.startsWith('file://')) {\n"
  "      const m = p.value.slice(7).match(/^(.*?)(?::([A-Za-z_$][\\w$]*))?$/);\n"
  "      const file = path.resolve(p.base_dir || '.', m[1]);\n"
  "      let mod;\n"
  "      try { mod = require(file); } catch (e) { mod = await import('file://' + file); }\n"
  "      fn = m[2] ? mod[m[2]] : (typeof mod === 'function' ? mod : mod.default);\n"
  "      if (typeof fn !== 'function' && mod.default && m[2]) fn = mod.default[m[2]];\n"
  "      if (typeof fn !== 'function') throw new Error(p.value + ' is not a function');\n"
  "    } else {\n"
  "      const body = p.value.includes('\\n') ? p.value : 'return ' + p.value;\n"
  "      fn = new Function('output', 'context', body);\n"
  "    }\n"
  "    const context = { vars: p.vars || {}, test: { vars: p.vars || {} }, prompt: p.prompt,\n"
  "                      config: p.config || {} };\n"
  "    const result = await fn(p.output, context);\n"
  "    process.stdout.write(JSON.stringify({ result: result === undefined ? null : result }));\n"
  "  } catch (e) {\n"
  "    process.stdout.write(JSON.stringify({ error: String((e && e.message) || e) }));\n"
  "  }\n"
  "});\n";

static const char python_runner[] =
  "import importlib.util, json, os, sys, textwrap\n"
  "p = json.load(sys.stdin)\n"
  "out = sys.stdout\n"
  "sys.stdout = sys.stderr\n"
  "try:\n"
  "    context = {'vars': p.get('vars') or {}, 'test': {'vars': p.get('vars') or {}},\n"
  "               'prompt': p.get('prompt'), 'config': p.get('config') or {}}\n"
  "    value = p['value']\n"
  "    if value.startswith('file://'):\n"
  "        spec = value[7:]\n"
  "        name = 'get_assert'\n"
  "        if ':' in os.path.basename(spec):\n"
  "            spec, name = spec.rsplit(':', 1)\n"
  "        path = os.path.join(p.get('base_dir') or '.', spec)\n"
  "        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))\n"
  "        loader = importlib.util.spec_from_file_location('assertion', path)\n"
  "        module = importlib.util.module_from_spec(loader)\n"
  "        loader.loader.exec_module(module)\n"
  "        result = getattr(module, name)(p['output'], context)\n"
  "    elif '\\n' in value:\n"
  "        scope = {}\n"
  "        exec('def f(output, context):\\n' + textwrap.indent(value, '    '), scope)\n"
  "        result = scope['f'](p['output'], context)\n"
  "    else:\n"
  "        result = eval(value, {'output': p['output'], 'context': context})\n"
  "    out.write(json.dumps({'result': result}))\n"
  "except Exception as e:\n"
  "    out.write(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))\n";

static RwGrade *
script_grade_new (const char *grader,
                  gboolean    pass,
                  double      score,
                  char       *detail)
{
  RwGrade *g = g_new0 (RwGrade, 1);

  g->grader = g_strdup (grader);
  g->pass = pass;
  g->score = CLAMP (score, 0, 1);
  g->detail = detail;
  return g;
}

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
char *
_rw_script_run (const char * const *argv,
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

/* promptfoo's reading of what the code gave back. */
static RwGrade *
script_verdict (const char *type,
                JsonNode   *result,
                double      threshold)
{
  if (result == NULL || JSON_NODE_HOLDS_NULL (result))
    return script_grade_new (type, FALSE, 0, g_strdup ("the code returned nothing"));
  if (JSON_NODE_HOLDS_VALUE (result) && json_node_get_value_type (result) == G_TYPE_BOOLEAN)
    {
      gboolean pass = json_node_get_boolean (result);
      return script_grade_new (type, pass, pass, g_strdup_printf ("returned %s",
                                                                  pass ? "true" : "false"));
    }
  if (JSON_NODE_HOLDS_VALUE (result) && (json_node_get_value_type (result) == G_TYPE_DOUBLE ||
                                         json_node_get_value_type (result) == G_TYPE_INT64))
    {
      double score = json_node_get_double (result);
      gboolean pass = isnan (threshold) ? score > 0 : score >= threshold;
      return script_grade_new (type, pass, score, g_strdup_printf ("returned %g", score));
    }
  if (JSON_NODE_HOLDS_OBJECT (result) &&
      json_object_has_member (json_node_get_object (result), "pass"))
    {
      JsonObject *o = json_node_get_object (result);
      gboolean pass = rw_json_object_get_boolean (o, "pass", FALSE);
      double score = rw_json_object_get_double (o, "score", pass ? 1 : 0);
      const char *reason = rw_json_object_get_string (o, "reason", NULL);

      return script_grade_new (type, pass, score, g_strdup (reason ? reason :
                                                            pass ? "passed" : "failed"));
    }
  return script_grade_new (type, FALSE, 0,
                           g_strdup ("the code returned neither a boolean, a number nor a "
                                     "grading result"));
}

/**
 * _rw_grader_script:
 *
 * The `javascript` and `python` graders (see the top of this file).
 *
 * Returns: (transfer full) (nullable): the grade; %NULL with @error set when the interpreter
 *   is missing or the code cannot be run
 */
RwGrade *
_rw_grader_script (JsonObject  *spec,
                   const char  *type,
                   const char  *answer,
                   const char  *reference,
                   gboolean     ignore_case,
                   GError     **error)
{
  gboolean js = g_str_equal (type, "javascript");
  const char *interpreter = js ? "node" : "python3";
  const char *value = rw_json_object_get_string (spec, "value", NULL);
  g_autofree char *program = g_find_program_in_path (interpreter);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autofree char *input = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) local = NULL;
  const char *keys[] = { "base_dir", "vars", "prompt", "config" };
  JsonObject *reply;

  if (value == NULL || *value == '\0')
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a %s grader needs its code (“value”)",
                   type);
      return NULL;
    }
  if (program == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s assertions need %s, which is not installed (%s)", type, interpreter,
                   js ? "apt install nodejs" : "apt install python3");
      return NULL;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_add_string_value (b, value);
  json_builder_set_member_name (b, "output");
  json_builder_add_string_value (b, answer);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (json_object_has_member (spec, keys[i]))
      {
        json_builder_set_member_name (b, keys[i]);
        json_builder_add_value (b, json_node_copy (json_object_get_member (spec, keys[i])));
      }
  json_builder_end_object (b);
  payload = json_builder_get_root (b);
  input = rw_json_to_string (payload, FALSE);
  if (js)
    {
      const char *argv[] = { program, "--max-old-space-size=512", "-e", node_runner, NULL };
      out = _rw_script_run (argv, input, FALSE, &local);
    }
  else
    {
      const char *argv[] = { program, "-I", "-c", python_runner, NULL };
      out = _rw_script_run (argv, input, TRUE, &local);
    }
  if (out == NULL)
    return script_grade_new (type, FALSE, 0,
                             g_strdup_printf ("the %s code could not run: %s", type,
                                              local->message));
  if ((back = rw_json_parse (out, strlen (out), NULL)) == NULL || !JSON_NODE_HOLDS_OBJECT (back))
    return script_grade_new (type, FALSE, 0,
                             g_strdup_printf ("the %s code ended without a verdict", type));
  reply = json_node_get_object (back);
  if (json_object_has_member (reply, "error"))
    return script_grade_new (type, FALSE, 0,
                             g_strdup_printf ("the %s code failed: %s", type,
                                              rw_json_object_get_string (reply, "error", "?")));
  return script_verdict (type, json_object_get_member (reply, "result"),
                         json_object_has_member (spec, "threshold")
                         ? rw_json_object_get_double (spec, "threshold", NAN) : NAN);
}
