/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "rw-grader-private.h"
#include "rw-json.h"
#include "rw-script-private.h"

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

/* The result of one assertion's code, from `p`: {value, output, base_dir?, vars?, prompt?,
 * config?}; or of a transform's, with the `context` it gets in `p.context`. */
static const char node_body[] =
  "      let fn;\n"
  "      if (p.value.startsWith('file://')) {\n"
  "        const m = p.value.slice(7).match(/^(.*?)(?::([A-Za-z_$][\\w$]*))?$/);\n"
  "        const file = path.resolve(p.base_dir || '.', m[1]);\n"
  "        let mod;\n"
  "        try { mod = require(file); } catch (e) { mod = await import('file://' + file); }\n"
  "        fn = m[2] ? mod[m[2]] : (typeof mod === 'function' ? mod : mod.default);\n"
  "        if (typeof fn !== 'function' && mod.default && m[2]) fn = mod.default[m[2]];\n"
  "        if (typeof fn !== 'function') throw new Error(p.value + ' is not a function');\n"
  "      } else {\n"
  "        const body = p.value.includes('\\n') ? p.value : 'return ' + p.value;\n"
  "        fn = new Function('output', 'context', body);\n"
  "      }\n"
  "      const context = p.context || { vars: p.vars || {}, test: { vars: p.vars || {} },\n"
  "                                    prompt: p.prompt, config: p.config || {} };\n"
  "      return await fn(p.output, context);\n";

static const char python_body[] =
  "    context = p.get('context') or {'vars': p.get('vars') or {},\n"
  "                                    'test': {'vars': p.get('vars') or {}},\n"
  "                                    'prompt': p.get('prompt'), 'config': p.get('config') or {}}\n"
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
  "        return getattr(module, name)(p['output'], context)\n"
  "    if '\\n' in value:\n"
  "        scope = {}\n"
  "        exec('def f(output, context):\\n' + textwrap.indent(value, '    '), scope)\n"
  "        return scope['f'](p['output'], context)\n"
  "    return eval(value, {'output': p['output'], 'context': context})\n";

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

/* What the code gets as `p`: its "value", @output (taken), and what @spec gives of its folder,
 * vars, prompt, config and context. */
static JsonNode *
script_payload (JsonObject *spec,
                JsonNode   *output)
{
  static const char * const keys[] = { "base_dir", "vars", "prompt", "config", "context" };
  JsonObject *p = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (p, "value", rw_json_object_get_string (spec, "value", ""));
  json_object_set_member (p, "output", output);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (json_object_has_member (spec, keys[i]))
      json_object_set_member (p, keys[i], json_node_copy (json_object_get_member (spec, keys[i])));
  node = json_node_init_object (json_node_alloc (), p);
  json_object_unref (p);
  return node;
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
  const char *value = rw_json_object_get_string (spec, "value", NULL);
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *what = g_strdup_printf ("%s assertions", type);
  JsonObject *reply;

  if (value == NULL || *value == '\0')
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a %s grader needs its code (“value”)",
                   type);
      return NULL;
    }
  payload = script_payload (spec, json_node_init_string (json_node_alloc (), answer));
  back = _rw_script_call (js ? RW_SCRIPT_NODE : RW_SCRIPT_PYTHON, js ? node_body : python_body,
                          payload, what, &local);
  /* A missing interpreter is the configuration's to fix; code that fails fails its grade. */
  if (back == NULL && g_error_matches (local, RW_ERROR, RW_ERROR_CONFIG))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (back == NULL)
    return script_grade_new (type, FALSE, 0, g_strdup_printf ("the %s code %s", type,
                                                              local->message));
  reply = json_node_get_object (back);
  if (json_object_has_member (reply, "error"))
    return script_grade_new (type, FALSE, 0,
                             g_strdup_printf ("the %s code failed: %s", type,
                                              rw_json_object_get_string (reply, "error", "?")));
  return script_verdict (type, json_object_get_member (reply, "result"),
                         json_object_has_member (spec, "threshold")
                         ? rw_json_object_get_double (spec, "threshold", NAN) : NAN);
}

/*
 * _rw_grader_run_transform:
 *
 * What a transform (rw_grader_transform()) gives, as JSON; %NULL with @error set when it fails
 * or cannot be run. A "context" in @transform is the context the code gets, as it is.
 */
JsonNode *
_rw_grader_run_transform (JsonObject  *transform,
                          const char  *answer,
                          const char  *tool_calls,
                          GError     **error)
{
  const char *value = rw_json_object_get_string (transform, "value", "");
  gboolean py = g_str_has_prefix (value, "file://") &&
                (g_str_has_suffix (value, ".py") || strstr (value, ".py:") != NULL);
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(JsonNode) back = NULL;
  JsonNode *calls = NULL;
  JsonObject *reply;
  JsonNode *result;

  if (*value == '\0')
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a transform needs its code");
      return NULL;
    }
  if ((answer == NULL || *answer == '\0') && tool_calls != NULL)
    calls = rw_json_parse (tool_calls, strlen (tool_calls), NULL);
  payload = script_payload (transform, calls ? calls
                                     : json_node_init_string (json_node_alloc (),
                                                              answer ? answer : ""));
  back = _rw_script_call (py ? RW_SCRIPT_PYTHON : RW_SCRIPT_NODE, py ? python_body : node_body,
                          payload, "transforms", error);
  if (back == NULL)
    return NULL;
  reply = json_node_get_object (back);
  if (json_object_has_member (reply, "error"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the transform failed: %s",
                   rw_json_object_get_string (reply, "error", "?"));
      return NULL;
    }
  result = json_object_get_member (reply, "result");
  return result ? json_node_copy (result) : json_node_new (JSON_NODE_NULL);
}

/**
 * rw_grader_transform:
 * @transform: promptfoo's transform: {"value" (a JavaScript expression or function body, or
 *   `file://path.js:name` or `file://path.py:name`), "vars"?, "prompt"?, "base_dir"?}
 * @answer: the answer's text
 * @tool_calls: (nullable): its tool calls as OpenAI writes them, a JSON array: the output a
 *   transform gets when the answer is only calls, as promptfoo gives it
 * @error: where a transform that fails, or that cannot be run, is reported
 *
 * Runs @transform on the answer as promptfoo does (`output`, and a context with `vars` and
 * `prompt`), in its own process of node or python3 with the code graders' limits.
 *
 * Returns: (transfer full) (nullable): what it gave: text as it is, anything else as JSON
 */
char *
rw_grader_transform (JsonObject  *transform,
                     const char  *answer,
                     const char  *tool_calls,
                     GError     **error)
{
  g_autoptr(JsonNode) result = _rw_grader_run_transform (transform, answer, tool_calls, error);

  if (result == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_NULL (result))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (result) && json_node_get_value_type (result) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (result));
  return rw_json_to_string (result, FALSE);
}
