/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-template-private.h"

/* The expressions of {{ }} and of {% if %}, {% for %} and {% set %}: values as json-glib
 * nodes, names looked up in the scopes innermost first, filters, arithmetic, comparisons,
 * and, or, not (see rw-template.c for the subset of Nunjucks this is). */

/* ------------------------------------------------------------------------------ values */

static JsonNode *
value_string (const char *s)
{
  return json_node_init_string (json_node_alloc (), s);
}

static JsonNode *
value_number (double d)
{
  if (d == floor (d) && fabs (d) < 9e15)
    return json_node_init_int (json_node_alloc (), (gint64) d);
  return json_node_init_double (json_node_alloc (), d);
}

static JsonNode *
value_bool (gboolean b)
{
  return json_node_init_boolean (json_node_alloc (), b);
}

static gboolean
value_is_string (JsonNode *v)
{
  return v != NULL && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING;
}

static gboolean
value_is_number (JsonNode *v)
{
  return v != NULL && JSON_NODE_HOLDS_VALUE (v) &&
         (json_node_get_value_type (v) == G_TYPE_INT64 ||
          json_node_get_value_type (v) == G_TYPE_DOUBLE);
}

static double
value_to_number (JsonNode *v)
{
  if (value_is_number (v))
    return json_node_get_double (v);
  if (value_is_string (v))
    {
      char *end;
      double d = g_ascii_strtod (json_node_get_string (v), &end);
      return end != json_node_get_string (v) ? d : NAN;
    }
  if (v != NULL && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (v);
  return NAN;
}

gboolean
_rw_template_truthy (JsonNode *v)
{
  if (v == NULL || JSON_NODE_HOLDS_NULL (v))
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (v) || JSON_NODE_HOLDS_OBJECT (v))
    return TRUE;
  switch (json_node_get_value_type (v))
    {
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean (v);
    case G_TYPE_STRING:
      return *json_node_get_string (v) != '\0';
    default:
      return json_node_get_double (v) != 0;
    }
}

/* A value as Nunjucks prints it; lists and objects as JSON, as promptfoo's vars are. */
void
_rw_template_append_value (GString  *out,
                           JsonNode *v)
{
  if (v == NULL || JSON_NODE_HOLDS_NULL (v))
    return;
  if (value_is_string (v))
    g_string_append (out, json_node_get_string (v));
  else if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_BOOLEAN)
    g_string_append (out, json_node_get_boolean (v) ? "true" : "false");
  else if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_INT64)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (v));
  else if (value_is_number (v))
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.15g", json_node_get_double (v)));
    }
  else
    {
      g_autofree char *json = json_to_string (v, FALSE);
      g_string_append (out, json);
    }
}

static char *
value_to_text (JsonNode *v)
{
  GString *s = g_string_new (NULL);
  _rw_template_append_value (s, v);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------- expressions */

static JsonNode *expr_or (Render *r, Expr *e);

static void
expr_space (Expr *e)
{
  while (e->p < e->end && g_ascii_isspace (*e->p))
    e->p++;
}

gboolean
_rw_template_accept (Expr       *e,
                     const char *token)
{
  gsize n = strlen (token);

  expr_space (e);
  if ((gsize) (e->end - e->p) < n || strncmp (e->p, token, n) != 0)
    return FALSE;
  /* A word is a whole word. */
  if (g_ascii_isalpha (token[0]) && e->p + n < e->end &&
      (g_ascii_isalnum (e->p[n]) || e->p[n] == '_'))
    return FALSE;
  e->p += n;
  return TRUE;
}

char *
_rw_template_name (Expr *e)
{
  const char *start;

  expr_space (e);
  start = e->p;
  if (e->p >= e->end || !(g_ascii_isalpha (*e->p) || *e->p == '_' || *e->p == '$'))
    return NULL;
  while (e->p < e->end && (g_ascii_isalnum (*e->p) || *e->p == '_' || *e->p == '$'))
    e->p++;
  return g_strndup (start, e->p - start);
}

static JsonNode *
render_lookup (Render     *r,
               const char *name)
{
  for (guint i = r->scopes->len; i-- > 0;)
    {
      JsonNode *v = json_object_get_member (r->scopes->pdata[i], name);
      if (v != NULL)
        return json_node_copy (v);
    }
  return NULL;
}

static JsonNode *
value_member (JsonNode   *v,
              JsonNode   *key)
{
  if (v == NULL || key == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (v))
    {
      JsonArray *a = json_node_get_array (v);
      double i = value_to_number (key);

      if (value_is_string (key) && g_str_equal (json_node_get_string (key), "length"))
        return value_number (json_array_get_length (a));
      if (isnan (i))
        return NULL;
      if (i < 0)
        i += json_array_get_length (a);
      if (i < 0 || i >= json_array_get_length (a) || i != floor (i))
        return NULL;
      return json_node_copy (json_array_get_element (a, (guint) i));
    }
  if (JSON_NODE_HOLDS_OBJECT (v))
    {
      g_autofree char *name = value_to_text (key);
      JsonNode *m = json_object_get_member (json_node_get_object (v), name);
      return m ? json_node_copy (m) : NULL;
    }
  if (value_is_string (v) && value_is_string (key) &&
      g_str_equal (json_node_get_string (key), "length"))
    return value_number (g_utf8_strlen (json_node_get_string (v), -1));
  return NULL;
}

static JsonNode *
expr_primary (Render *r,
              Expr   *e)
{
  JsonNode *v = NULL;
  g_autofree char *name = NULL;

  expr_space (e);
  if (e->p >= e->end)
    {
      _rw_template_fail (r, e->p, "an expression is missing");
      return NULL;
    }
  if (*e->p == '(')
    {
      e->p++;
      v = expr_or (r, e);
      if (!_rw_template_accept (e, ")"))
        _rw_template_fail (r, e->p, "a “)” is missing");
    }
  else if (*e->p == '"' || *e->p == '\'')
    {
      char quote = *e->p++;
      GString *s = g_string_new (NULL);

      while (e->p < e->end && *e->p != quote)
        {
          if (*e->p == '\\' && e->p + 1 < e->end)
            {
              e->p++;
              g_string_append_c (s, *e->p == 'n' ? '\n' : *e->p == 't' ? '\t' : *e->p);
            }
          else
            g_string_append_c (s, *e->p);
          e->p++;
        }
      if (e->p >= e->end)
        _rw_template_fail (r, e->p, "a string is not closed");
      else
        e->p++;
      v = value_string (s->str);
      g_string_free (s, TRUE);
    }
  else if (g_ascii_isdigit (*e->p))
    {
      char *end;
      double d = g_ascii_strtod (e->p, &end);
      e->p = MIN (end, e->end);
      v = value_number (d);
    }
  else if (*e->p == '[')
    {
      JsonArray *a = json_array_new ();
      e->p++;
      while (!_rw_template_accept (e, "]") && !r->error)
        {
          JsonNode *item = expr_or (r, e);
          json_array_add_element (a, item ? item : json_node_init_null (json_node_alloc ()));
          if (!_rw_template_accept (e, ",") && !_rw_template_accept (e, "]"))
            {
              _rw_template_fail (r, e->p, "a “]” is missing");
              break;
            }
          else if (e->p[-1] == ']')
            break;
        }
      v = json_node_init_array (json_node_alloc (), a);
      json_array_unref (a);
    }
  else if ((name = _rw_template_name (e)) != NULL)
    {
      if (g_str_equal (name, "true") || g_str_equal (name, "True"))
        v = value_bool (TRUE);
      else if (g_str_equal (name, "false") || g_str_equal (name, "False"))
        v = value_bool (FALSE);
      else if (g_str_equal (name, "none") || g_str_equal (name, "null"))
        v = NULL;
      else
        v = render_lookup (r, name);
    }
  else
    {
      _rw_template_fail (r, e->p, "unexpected “%c”", *e->p);
      return NULL;
    }

  /* .member and [index] */
  for (;;)
    {
      if (_rw_template_accept (e, "."))
        {
          g_autofree char *member = _rw_template_name (e);
          g_autoptr(JsonNode) key = NULL;
          JsonNode *next;

          if (member == NULL)
            {
              _rw_template_fail (r, e->p, "a name must follow “.”");
              break;
            }
          key = value_string (member);
          next = value_member (v, key);
          g_clear_pointer (&v, json_node_unref);
          v = next;
        }
      else if (_rw_template_accept (e, "["))
        {
          g_autoptr(JsonNode) key = expr_or (r, e);
          JsonNode *next;

          if (!_rw_template_accept (e, "]"))
            {
              _rw_template_fail (r, e->p, "a “]” is missing");
              break;
            }
          next = value_member (v, key);
          g_clear_pointer (&v, json_node_unref);
          v = next;
        }
      else
        break;
    }
  return v;
}

static JsonNode *
expr_filter (Render     *r,
             const char *at,
             JsonNode   *v,
             const char *name,
             GPtrArray  *args)
{
  JsonNode *arg0 = args->len > 0 ? args->pdata[0] : NULL;
  JsonNode *arg1 = args->len > 1 ? args->pdata[1] : NULL;
  g_autofree char *text = NULL;

  if (g_str_equal (name, "default") || g_str_equal (name, "d"))
    {
      gboolean boolean = arg1 != NULL && _rw_template_truthy (arg1);
      if (v == NULL || JSON_NODE_HOLDS_NULL (v) || (boolean && !_rw_template_truthy (v)))
        return arg0 ? json_node_copy (arg0) : value_string ("");
      return json_node_copy (v);
    }
  if (g_str_equal (name, "dump"))
    {
      g_autofree char *json = v ? json_to_string (v, arg0 != NULL && _rw_template_truthy (arg0)) :
                                  g_strdup ("undefined");
      return value_string (json);
    }
  if (g_str_equal (name, "safe") || g_str_equal (name, "string"))
    {
      text = value_to_text (v);
      return value_string (text);
    }
  if (g_str_equal (name, "escape") || g_str_equal (name, "e"))
    {
      text = value_to_text (v);
      g_autofree char *escaped = g_markup_escape_text (text, -1);
      return value_string (escaped);
    }
  if (g_str_equal (name, "length") || g_str_equal (name, "count"))
    {
      if (v != NULL && JSON_NODE_HOLDS_ARRAY (v))
        return value_number (json_array_get_length (json_node_get_array (v)));
      if (v != NULL && JSON_NODE_HOLDS_OBJECT (v))
        return value_number (json_object_get_size (json_node_get_object (v)));
      text = value_to_text (v);
      return value_number (g_utf8_strlen (text, -1));
    }
  if (g_str_equal (name, "first") || g_str_equal (name, "last"))
    {
      gboolean first = g_str_equal (name, "first");
      if (v != NULL && JSON_NODE_HOLDS_ARRAY (v))
        {
          JsonArray *a = json_node_get_array (v);
          guint n = json_array_get_length (a);
          return n ? json_node_copy (json_array_get_element (a, first ? 0 : n - 1)) : NULL;
        }
      text = value_to_text (v);
      if (*text == '\0')
        return value_string ("");
      {
        const char *c = first ? text : g_utf8_find_prev_char (text, text + strlen (text));
        g_autofree char *one = g_strndup (c, g_utf8_next_char (c) - c);
        return value_string (one);
      }
    }
  if (g_str_equal (name, "join"))
    {
      g_autofree char *sep = arg0 ? value_to_text (arg0) : g_strdup ("");
      GString *s = g_string_new (NULL);
      if (v != NULL && JSON_NODE_HOLDS_ARRAY (v))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (v)); i++)
          {
            if (i > 0)
              g_string_append (s, sep);
            _rw_template_append_value (s, json_array_get_element (json_node_get_array (v), i));
          }
      else
        _rw_template_append_value (s, v);
      {
        JsonNode *out = value_string (s->str);
        g_string_free (s, TRUE);
        return out;
      }
    }
  if (g_str_equal (name, "int") || g_str_equal (name, "float"))
    {
      double d = value_to_number (v);
      if (isnan (d))
        d = arg0 ? value_to_number (arg0) : 0;
      if (isnan (d))
        d = 0;
      return value_number (g_str_equal (name, "int") ? trunc (d) : d);
    }
  text = value_to_text (v);
  if (g_str_equal (name, "upper"))
    {
      g_autofree char *u = g_utf8_strup (text, -1);
      return value_string (u);
    }
  if (g_str_equal (name, "lower"))
    {
      g_autofree char *l = g_utf8_strdown (text, -1);
      return value_string (l);
    }
  if (g_str_equal (name, "trim"))
    return value_string (g_strstrip (text));
  if (g_str_equal (name, "capitalize") || g_str_equal (name, "title"))
    {
      g_autofree char *lower = g_utf8_strdown (text, -1);
      GString *s = g_string_new (NULL);
      gboolean start = TRUE;

      for (const char *c = lower; *c; c = g_utf8_next_char (c))
        {
          gunichar u = g_utf8_get_char (c);
          if (start && g_unichar_isalpha (u))
            {
              g_string_append_unichar (s, g_unichar_totitle (u));
              start = FALSE;
            }
          else
            {
              g_string_append_unichar (s, u);
              if (g_str_equal (name, "title") && g_unichar_isspace (u))
                start = TRUE;
            }
        }
      {
        JsonNode *out = value_string (s->str);
        g_string_free (s, TRUE);
        return out;
      }
    }
  if (g_str_equal (name, "replace"))
    {
      g_autofree char *from = arg0 ? value_to_text (arg0) : g_strdup ("");
      g_autofree char *to = arg1 ? value_to_text (arg1) : g_strdup ("");
      GString *s = g_string_new (text);
      if (*from != '\0')
        g_string_replace (s, from, to, 0);
      {
        JsonNode *out = value_string (s->str);
        g_string_free (s, TRUE);
        return out;
      }
    }
  _rw_template_fail (r, at, "the filter “%s” is not one Routewise knows", name);
  return NULL;
}

static JsonNode *
expr_filtered (Render *r,
               Expr   *e)
{
  JsonNode *v = expr_primary (r, e);

  while (!r->error && _rw_template_accept (e, "|"))
    {
      const char *at = (expr_space (e), e->p);
      g_autofree char *name = _rw_template_name (e);
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
      JsonNode *next;

      if (name == NULL)
        {
          _rw_template_fail (r, e->p, "a filter's name must follow “|”");
          break;
        }
      if (_rw_template_accept (e, "("))
        while (!r->error && !_rw_template_accept (e, ")"))
          {
            JsonNode *a = expr_or (r, e);
            g_ptr_array_add (args, a ? a : json_node_init_null (json_node_alloc ()));
            if (!_rw_template_accept (e, ",") && !(expr_space (e), e->p < e->end && *e->p == ')'))
              {
                _rw_template_fail (r, e->p, "a “)” is missing");
                break;
              }
          }
      next = expr_filter (r, at, v, name, args);
      g_clear_pointer (&v, json_node_unref);
      v = next;
    }
  return v;
}

static JsonNode *
expr_unary (Render *r,
            Expr   *e)
{
  if (_rw_template_accept (e, "not"))
    {
      g_autoptr(JsonNode) v = expr_unary (r, e);
      return value_bool (!_rw_template_truthy (v));
    }
  if (_rw_template_accept (e, "-"))
    {
      g_autoptr(JsonNode) v = expr_unary (r, e);
      return value_number (-value_to_number (v));
    }
  return expr_filtered (r, e);
}

static JsonNode *
expr_product (Render *r,
              Expr   *e)
{
  JsonNode *v = expr_unary (r, e);

  for (;;)
    {
      char op;
      g_autoptr(JsonNode) w = NULL;
      double a, b;

      if (_rw_template_accept (e, "*"))
        op = '*';
      else if (_rw_template_accept (e, "/"))
        op = '/';
      else if (_rw_template_accept (e, "%"))
        op = '%';
      else
        return v;
      w = expr_unary (r, e);
      a = value_to_number (v);
      b = value_to_number (w);
      g_clear_pointer (&v, json_node_unref);
      v = value_number (op == '*' ? a * b : op == '/' ? a / b : fmod (a, b));
    }
}

static JsonNode *
expr_sum (Render *r,
          Expr   *e)
{
  JsonNode *v = expr_product (r, e);

  for (;;)
    {
      gboolean plus;
      g_autoptr(JsonNode) w = NULL;

      if (_rw_template_accept (e, "+"))
        plus = TRUE;
      else if (_rw_template_accept (e, "-"))
        plus = FALSE;
      else if (_rw_template_accept (e, "~"))
        {
          /* Nunjucks's string concatenation. */
          GString *s = g_string_new (NULL);
          w = expr_product (r, e);
          _rw_template_append_value (s, v);
          _rw_template_append_value (s, w);
          g_clear_pointer (&v, json_node_unref);
          v = value_string (s->str);
          g_string_free (s, TRUE);
          continue;
        }
      else
        return v;
      w = expr_product (r, e);
      if (plus && (value_is_string (v) || value_is_string (w)))
        {
          GString *s = g_string_new (NULL);
          _rw_template_append_value (s, v);
          _rw_template_append_value (s, w);
          g_clear_pointer (&v, json_node_unref);
          v = value_string (s->str);
          g_string_free (s, TRUE);
        }
      else
        {
          double a = value_to_number (v), b = value_to_number (w);
          g_clear_pointer (&v, json_node_unref);
          v = value_number (plus ? a + b : a - b);
        }
    }
}

static int
value_compare (JsonNode *a,
               JsonNode *b)
{
  if (value_is_number (a) && value_is_number (b))
    {
      double x = json_node_get_double (a), y = json_node_get_double (b);
      return x < y ? -1 : x > y;
    }
  {
    g_autofree char *x = value_to_text (a);
    g_autofree char *y = value_to_text (b);
    return g_strcmp0 (x, y);
  }
}

static JsonNode *
expr_compare (Render *r,
              Expr   *e)
{
  JsonNode *v = expr_sum (r, e);
  static const char * const ops[] = { "===", "!==", "==", "!=", "<=", ">=", "<", ">", "in" };

  for (;;)
    {
      const char *op = NULL;
      g_autoptr(JsonNode) w = NULL;
      gboolean result = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (ops) && op == NULL; i++)
        if (_rw_template_accept (e, ops[i]))
          op = ops[i];
      if (op == NULL)
        return v;
      w = expr_sum (r, e);
      if (g_str_equal (op, "in"))
        {
          if (w != NULL && JSON_NODE_HOLDS_ARRAY (w))
            for (guint i = 0; i < json_array_get_length (json_node_get_array (w)) && !result; i++)
              result = value_compare (v, json_array_get_element (json_node_get_array (w), i)) == 0;
          else if (w != NULL && JSON_NODE_HOLDS_OBJECT (w))
            {
              g_autofree char *key = value_to_text (v);
              result = json_object_has_member (json_node_get_object (w), key);
            }
          else
            {
              g_autofree char *needle = value_to_text (v);
              g_autofree char *hay = value_to_text (w);
              result = strstr (hay, needle) != NULL;
            }
        }
      else
        {
          int c = value_compare (v, w);
          result = op[0] == '=' ? c == 0 : op[0] == '!' ? c != 0 :
                   g_str_equal (op, "<=") ? c <= 0 : g_str_equal (op, ">=") ? c >= 0 :
                   op[0] == '<' ? c < 0 : c > 0;
        }
      g_clear_pointer (&v, json_node_unref);
      v = value_bool (result);
    }
}

static JsonNode *
expr_and (Render *r,
          Expr   *e)
{
  JsonNode *v = expr_compare (r, e);

  while (_rw_template_accept (e, "and") || _rw_template_accept (e, "&&"))
    {
      g_autoptr(JsonNode) w = expr_compare (r, e);
      gboolean both = _rw_template_truthy (v) && _rw_template_truthy (w);
      g_clear_pointer (&v, json_node_unref);
      v = value_bool (both);
    }
  return v;
}

static JsonNode *
expr_or (Render *r,
         Expr   *e)
{
  JsonNode *v = NULL;

  if (++r->depth > MAX_DEPTH)
    {
      _rw_template_fail (r, e->p, "nested deeper than %d levels", MAX_DEPTH);
      r->depth--;
      return NULL;
    }
  v = expr_and (r, e);
  while (_rw_template_accept (e, "or") || _rw_template_accept (e, "||"))
    {
      g_autoptr(JsonNode) w = expr_and (r, e);
      gboolean either = _rw_template_truthy (v) || _rw_template_truthy (w);
      g_clear_pointer (&v, json_node_unref);
      v = value_bool (either);
    }
  /* a if b else c */
  if (_rw_template_accept (e, "if"))
    {
      g_autoptr(JsonNode) cond = expr_or (r, e);
      g_autoptr(JsonNode) other = _rw_template_accept (e, "else") ? expr_or (r, e) : NULL;
      if (!_rw_template_truthy (cond))
        {
          g_clear_pointer (&v, json_node_unref);
          v = g_steal_pointer (&other);
        }
    }
  r->depth--;
  return v;
}

/* Evaluates [start, end) as one expression. */
JsonNode *
_rw_template_eval (Render     *r,
                   const char *start,
                   const char *end)
{
  Expr e = { r->src, start, end, NULL, FALSE };
  JsonNode *v = expr_or (r, &e);

  expr_space (&e);
  if (!r->error && e.p < e.end)
    _rw_template_fail (r, e.p, "unexpected “%.*s”", (int) MIN (e.end - e.p, 20), e.p);
  return v;
}
