/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"
#include "rw-script-private.h"

/*
 * promptfoo's prompt functions: `file://prompt.js` (.cjs, .mjs, .ts), optionally with
 * `:function`, and `file://prompt.py` with `:function` or `:Class.method`, called with
 * {vars, provider} for each test; a Python file named without a function runs as a script with
 * that context as JSON in its first argument, and what it prints is the prompt. A function
 * returns the prompt's text, a chat (a list of messages), or {prompt, config}. Each call runs in
 * a process of its own of the real interpreter, with the limits the code assertions have.
 */

/* The prompt for one test, from `p`: {file, name, vars, provider}. */
static const char node_body[] =
  "      let mod;\n"
  "      if (/\\.(mjs|ts|mts)$/.test(p.file)) mod = await import('file://' + p.file);\n"
  "      else {\n"
  "        try { mod = require(p.file); } catch (e) { mod = await import('file://' + p.file); }\n"
  "      }\n"
  "      let fn = p.name ? mod[p.name] : (typeof mod === 'function' ? mod : mod.default);\n"
  "      if (typeof fn !== 'function' && p.name && mod.default) fn = mod.default[p.name];\n"
  "      if (typeof fn !== 'function' && !p.name && mod.default && typeof mod.default.default "
  "=== 'function') fn = mod.default.default;\n"
  "      if (typeof fn !== 'function') throw new Error((p.name || 'the default export') +\n"
  "                                                  ' is not a function');\n"
  "      return await fn({ vars: p.vars, provider: p.provider });\n";

static const char python_body[] =
  "    context = {'vars': p['vars'], 'provider': p['provider']}\n"
  "    sys.path.insert(0, os.path.dirname(p['file']))\n"
  "    if p.get('name') is None:\n"
  "        printed = io.StringIO()\n"
  "        sys.stdout = printed\n"
  "        sys.argv = [p['file'], json.dumps(context)]\n"
  "        runpy.run_path(p['file'], run_name='__main__')\n"
  "        sys.stdout = sys.stderr\n"
  "        return printed.getvalue().rstrip('\\n')\n"
  "    loader = importlib.util.spec_from_file_location('prompt', p['file'])\n"
  "    module = importlib.util.module_from_spec(loader)\n"
  "    loader.loader.exec_module(module)\n"
  "    target = module\n"
  "    for part in p['name'].split('.'):\n"
  "        target = getattr(target, part)\n"
  "    return target(context)\n";

/* Whether @path names a prompt function's file, by its extension. */
gboolean
_rw_promptfoo_is_function_file (const char *path)
{
  static const char * const exts[] = { ".js", ".cjs", ".mjs", ".ts", ".mts", ".py" };

  for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
    if (g_str_has_suffix (path, exts[i]))
      return TRUE;
  return FALSE;
}

/**
 * _rw_promptfoo_call_prompt:
 * @path: the function's file
 * @name: (nullable): the function (a method as Class.method in Python); %NULL for the module's
 *   own (JavaScript's default export, a Python file run as a script)
 * @vars: the test's vars
 * @provider: the provider the prompt is for, as {id, label}
 *
 * Returns: (transfer full) (nullable): the prompt: a string, or a chat (an array of messages)
 */
JsonNode *
_rw_promptfoo_call_prompt (const char  *path,
                           const char  *name,
                           JsonObject  *vars,
                           const char  *provider,
                           const char  *origin,
                           GError     **error)
{
  gboolean js = !g_str_has_suffix (path, ".py");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *file = g_canonicalize_filename (path, NULL);
  JsonObject *reply;
  JsonNode *result;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "name");
  if (name != NULL)
    json_builder_add_string_value (b, name);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "vars");
  json_builder_add_value (b, json_node_init_object (json_node_alloc (), vars));
  json_builder_set_member_name (b, "provider");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, provider);
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, provider);
  json_builder_end_object (b);
  json_builder_end_object (b);
  payload = json_builder_get_root (b);
  back = _rw_script_call (js ? RW_SCRIPT_NODE : RW_SCRIPT_PYTHON, js ? node_body : python_body,
                          payload, "prompt functions", &local);
  if (back == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the prompt function %s%s%s %s",
                   origin, path, name ? ":" : "", name ? name : "", local->message);
      return NULL;
    }
  reply = json_node_get_object (back);
  if (json_object_has_member (reply, "error"))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the prompt function %s%s%s failed: %s",
                   origin, path, name ? ":" : "", name ? name : "",
                   rw_json_object_get_string (reply, "error", "?"));
      return NULL;
    }
  result = json_object_get_member (reply, "result");
  /* {prompt, config}: the prompt; its config is for the provider. */
  if (result != NULL && JSON_NODE_HOLDS_OBJECT (result) &&
      json_object_has_member (json_node_get_object (result), "prompt"))
    result = json_object_get_member (json_node_get_object (result), "prompt");
  if (result != NULL && ((JSON_NODE_HOLDS_VALUE (result) &&
                          json_node_get_value_type (result) == G_TYPE_STRING) ||
                         JSON_NODE_HOLDS_ARRAY (result)))
    return json_node_copy (result);
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the prompt function %s returned neither a "
               "text nor a list of messages", origin, path);
  return NULL;
}
