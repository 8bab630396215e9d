/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-template-private.h"

/*
 * The subset of Nunjucks (Jinja's JavaScript sibling) that promptfoo's configurations use:
 * {{ expression }} with dotted and indexed access, + - * / on numbers, comparisons, `and`,
 * `or`, `not`, string and number literals, and the filters dump, upper, lower, trim, default
 * (d), join, length, first, last, replace, capitalize, title, safe, escape (e), int, float,
 * string; {% if %} {% elif %} {% else %} {% endif %}, {% for x in list %} (with loop.index,
 * loop.index0, loop.first, loop.last, loop.length; over an object's keys and values with
 * `for k, v in object`) {% else %} {% endfor %}, {% set x = expression %}, {# comments #},
 * and the `-` that strips white space beside a tag. As in Nunjucks, a name that is not defined
 * is empty, never an error; a template that cannot be read is an error that says where.
 */

void
_rw_template_fail (Render     *r,
                   const char *where,
                   const char *format,
                   ...)
{
  va_list args;
  g_autofree char *message = NULL;
  guint line, column;

  if (r->error != NULL)
    return;
  rw_text_position (r->src, where, &line, &column);
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  r->error = g_error_new (RW_ERROR, RW_ERROR_CONFIG, "template line %u, column %u: %s", line,
                          column, message);
}

/* ------------------------------------------------------------------------------- tags */

typedef struct
{
  const char *open;       /* "{{", "{%" or "{#" */
  const char *body;       /* after the opening and its "-" */
  const char *body_end;   /* before the closing's "-" */
  const char *after;      /* after the closing */
  gboolean trim_before;   /* {%- */
  gboolean trim_after;    /* -%} */
} Tag;

/* The next tag at or after @p, or FALSE at the end of the text. */
static gboolean
tag_next (Render     *r,
          const char *p,
          Tag        *t)
{
  const char *open = p;

  for (;;)
    {
      const char *close_text;
      const char *close;

      open = strchr (open, '{');
      if (open == NULL)
        return FALSE;
      if (open[1] != '{' && open[1] != '%' && open[1] != '#')
        {
          open++;
          continue;
        }
      close_text = open[1] == '{' ? "}}" : open[1] == '%' ? "%}" : "#}";
      t->open = open;
      t->body = open + 2;
      t->trim_before = *t->body == '-';
      if (t->trim_before)
        t->body++;
      close = strstr (t->body, close_text);
      if (close == NULL)
        {
          _rw_template_fail (r, open, "“%.2s” is not closed", open);
          return FALSE;
        }
      t->body_end = close;
      t->trim_after = close > t->body && close[-1] == '-';
      if (t->trim_after)
        t->body_end--;
      t->after = close + 2;
      return TRUE;
    }
}

/* The tag's keyword ("if", "for", ...) and where its expression starts. */
static const char *
tag_word (const Tag  *t,
          char      **word)
{
  const char *p = t->body, *start;

  while (p < t->body_end && g_ascii_isspace (*p))
    p++;
  start = p;
  while (p < t->body_end && (g_ascii_isalpha (*p) || *p == '_'))
    p++;
  *word = g_strndup (start, p - start);
  return p;
}

static void
append_text (Render     *r,
             const char *start,
             const char *end,
             gboolean    trim_start,
             gboolean    trim_end)
{
  if (trim_start)
    while (start < end && g_ascii_isspace (*start))
      start++;
  if (trim_end)
    while (end > start && g_ascii_isspace (end[-1]))
      end--;
  if (r->out != NULL)
    g_string_append_len (r->out, start, end - start);
  if (r->out != NULL && r->out->len > MAX_OUTPUT)
    _rw_template_fail (r, start, "the text would be larger than 64 MiB");
}

/* Renders from @p up to a tag named in @stops at this level (returned in @stopped, with the
 * tag in @at), or the end. With @out NULL, only skips. Returns where it stopped. */
static const char *
render_block (Render             *r,
              const char         *p,
              const char * const *stops,
              char              **stopped,
              Tag                *at,
              gboolean            trim_start)
{
  Tag t;

  *stopped = NULL;
  if (r->depth > MAX_DEPTH)
    {
      _rw_template_fail (r, p, "tags nested deeper than %d levels", MAX_DEPTH);
      return p + strlen (p);
    }
  while (r->error == NULL && tag_next (r, p, &t))
    {
      g_autofree char *word = NULL;
      const char *rest;

      append_text (r, p, t.open, trim_start, t.trim_before);
      trim_start = t.trim_after;
      p = t.after;
      if (t.open[1] == '#')
        continue;
      if (t.open[1] == '{')
        {
          if (r->out != NULL)
            {
              g_autoptr(JsonNode) v = _rw_template_eval (r, t.body, t.body_end);
              _rw_template_append_value (r->out, v);
              if (r->out->len > MAX_OUTPUT)
                _rw_template_fail (r, t.open, "the text would be larger than 64 MiB");
            }
          continue;
        }
      rest = tag_word (&t, &word);
      for (guint i = 0; stops != NULL && stops[i] != NULL; i++)
        if (g_str_equal (word, stops[i]))
          {
            *stopped = g_steal_pointer (&word);
            *at = t;
            return p;
          }
      if (g_str_equal (word, "if"))
        {
          static const char * const branch[] = { "elif", "elseif", "else", "endif", NULL };
          GString *out = r->out;
          gboolean taken = FALSE;
          Tag cur = t;
          const char *cond = rest;

          for (;;)
            {
              g_autofree char *next = NULL;
              Tag end_tag;
              gboolean run = FALSE;

              if (cond != NULL && out != NULL && !taken)
                {
                  g_autoptr(JsonNode) v = _rw_template_eval (r, cond, cur.body_end);
                  run = _rw_template_truthy (v);
                }
              else if (cond == NULL && !taken)
                run = TRUE;
              r->out = run ? out : NULL;
              taken |= run;
              r->depth++;
              p = render_block (r, p, branch, &next, &end_tag, cur.trim_after);
              r->depth--;
              r->out = out;
              if (r->error != NULL)
                return p;
              if (next == NULL)
                {
                  _rw_template_fail (r, t.open, "{%% if %%} has no {%% endif %%}");
                  return p;
                }
              trim_start = end_tag.trim_after;
              if (g_str_equal (next, "endif"))
                break;
              cur = end_tag;
              if (g_str_equal (next, "else"))
                cond = NULL;
              else
                {
                  char *w = NULL;
                  cond = tag_word (&end_tag, &w);
                  g_free (w);
                }
            }
          continue;
        }
      if (g_str_equal (word, "for"))
        {
          static const char * const branch[] = { "else", "endfor", NULL };
          Expr e = { r->src, rest, t.body_end, NULL, FALSE };
          g_autofree char *key = _rw_template_name (&e);
          g_autofree char *value = _rw_template_accept (&e, ",") ? _rw_template_name (&e) : NULL;
          g_autoptr(JsonNode) list = NULL;
          g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
          g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
          g_autofree char *next = NULL;
          const char *body = p;
          GString *out = r->out;
          Tag end_tag;

          if (key == NULL || !_rw_template_accept (&e, "in"))
            {
              _rw_template_fail (r, t.body, "{%% for %%} reads “for NAME in LIST”");
              return p;
            }
          if (out != NULL)
            list = _rw_template_eval (r, e.p, t.body_end);
          if (list != NULL && JSON_NODE_HOLDS_ARRAY (list))
            for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
              g_ptr_array_add (items, json_node_copy (json_array_get_element (json_node_get_array (list), i)));
          else if (list != NULL && JSON_NODE_HOLDS_OBJECT (list))
            {
              JsonObjectIter iter;
              const char *name;
              JsonNode *member;
              json_object_iter_init (&iter, json_node_get_object (list));
              while (json_object_iter_next (&iter, &name, &member))
                {
                  g_ptr_array_add (keys, g_strdup (name));
                  g_ptr_array_add (items, json_node_copy (member));
                }
            }
          /* Once through to find the block's end, without output; then once an item. */
          r->out = NULL;
          r->depth++;
          p = render_block (r, body, branch, &next, &end_tag, t.trim_after);
          r->depth--;
          r->out = out;
          if (r->error != NULL)
            return p;
          if (next == NULL)
            {
              _rw_template_fail (r, t.open, "{%% for %%} has no {%% endfor %%}");
              return p;
            }
          for (guint i = 0; out != NULL && i < items->len && r->error == NULL; i++)
            {
              if (++r->steps > MAX_STEPS)
                {
                  _rw_template_fail (r, t.open, "loops would turn more than %d times", MAX_STEPS);
                  break;
                }
              g_autoptr(JsonObject) scope = json_object_new ();
              g_autoptr(JsonObject) loop = json_object_new ();
              g_autofree char *ignored = NULL;
              Tag ignored_tag;

              if (value != NULL && i < keys->len)
                {
                  json_object_set_string_member (scope, key, keys->pdata[i]);
                  json_object_set_member (scope, value, json_node_copy (items->pdata[i]));
                }
              else
                json_object_set_member (scope, key, json_node_copy (items->pdata[i]));
              json_object_set_int_member (loop, "index", i + 1);
              json_object_set_int_member (loop, "index0", i);
              json_object_set_int_member (loop, "revindex", items->len - i);
              json_object_set_boolean_member (loop, "first", i == 0);
              json_object_set_boolean_member (loop, "last", i + 1 == items->len);
              json_object_set_int_member (loop, "length", items->len);
              json_object_set_object_member (scope, "loop", g_steal_pointer (&loop));
              g_ptr_array_add (r->scopes, scope);
              r->depth++;
              render_block (r, body, branch, &ignored, &ignored_tag, t.trim_after);
              r->depth--;
              g_ptr_array_remove_index (r->scopes, r->scopes->len - 1);
            }
          trim_start = end_tag.trim_after;
          if (g_str_equal (next, "else"))
            {
              g_autofree char *last = NULL;
              static const char * const endfor[] = { "endfor", NULL };
              r->out = out != NULL && items->len == 0 ? out : NULL;
              p = render_block (r, p, endfor, &last, &end_tag, end_tag.trim_after);
              r->out = out;
              if (last == NULL && r->error == NULL)
                _rw_template_fail (r, t.open, "{%% for %%} has no {%% endfor %%}");
              trim_start = end_tag.trim_after;
            }
          continue;
        }
      if (g_str_equal (word, "set"))
        {
          Expr e = { r->src, rest, t.body_end, NULL, FALSE };
          g_autofree char *name = _rw_template_name (&e);

          if (name == NULL || !_rw_template_accept (&e, "="))
            {
              _rw_template_fail (r, t.body, "{%% set %%} reads “set NAME = VALUE”");
              return p;
            }
          if (r->out != NULL)
            {
              JsonNode *v = _rw_template_eval (r, e.p, t.body_end);
              json_object_set_member (r->scopes->pdata[r->scopes->len - 1], name,
                                      v ? v : json_node_init_null (json_node_alloc ()));
            }
          continue;
        }
      _rw_template_fail (r, t.open, "{%% %s %%} is not a tag Routewise knows", word);
      return p;
    }
  append_text (r, p, p + strlen (p), trim_start, FALSE);
  return p + strlen (p);
}

/**
 * rw_template_render:
 * @template: a Nunjucks template
 * @vars: (nullable): its variables
 * @error: return location for an error that names the line and column
 *
 * Returns: (transfer full) (nullable): the text
 */
char *
rw_template_render (const char  *template,
                    JsonObject  *vars,
                    GError     **error)
{
  g_autoptr(JsonObject) globals = json_object_new ();
  g_autoptr(JsonObject) locals = json_object_new ();
  Render r = { template, g_ptr_array_new (), g_string_new (NULL), NULL, 0 };
  char *stopped = NULL;
  Tag at;

  g_ptr_array_add (r.scopes, vars ? vars : globals);
  g_ptr_array_add (r.scopes, locals);
  render_block (&r, template, NULL, &stopped, &at, FALSE);
  g_free (stopped);
  g_ptr_array_unref (r.scopes);
  if (r.error != NULL)
    {
      g_propagate_error (error, r.error);
      g_string_free (r.out, TRUE);
      return NULL;
    }
  return g_string_free (r.out, FALSE);
}

/* Whether @text is a template at all: without a tag it is its own text. */
gboolean
rw_template_has_tags (const char *text)
{
  return strstr (text, "{{") != NULL || strstr (text, "{%") != NULL || strstr (text, "{#") != NULL;
}
