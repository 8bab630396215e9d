/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-template.h"

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

#define MAX_DEPTH 64
#define MAX_OUTPUT (64 << 20)
#define MAX_STEPS 1000000

typedef struct
{
  const char *src;
  const char *p;          /* within the current tag's expression */
  const char *end;        /* the end of that expression */
  GError **error;
  gboolean failed;
} Expr;

typedef struct
{
  const char *src;
  GPtrArray *scopes;      /* JsonObject, innermost last */
  GString *out;
  GError *error;
  guint depth;
  guint64 steps;          /* loop turns so far, against MAX_STEPS */
} Render;

static void
render_fail (Render     *r,
             const char *where,
             const char *format,
             ...) G_GNUC_PRINTF (3, 4);

static void
render_fail (Render     *r,
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

static gboolean
value_truthy (JsonNode *v)
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
static void
value_append (GString  *out,
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
  value_append (s, v);
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

static gboolean
expr_accept (Expr       *e,
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

static char *
expr_name (Expr *e)
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
      render_fail (r, e->p, "an expression is missing");
      return NULL;
    }
  if (*e->p == '(')
    {
      e->p++;
      v = expr_or (r, e);
      if (!expr_accept (e, ")"))
        render_fail (r, e->p, "a “)” is missing");
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
        render_fail (r, e->p, "a string is not closed");
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
      while (!expr_accept (e, "]") && !r->error)
        {
          JsonNode *item = expr_or (r, e);
          json_array_add_element (a, item ? item : json_node_init_null (json_node_alloc ()));
          if (!expr_accept (e, ",") && !expr_accept (e, "]"))
            {
              render_fail (r, e->p, "a “]” is missing");
              break;
            }
          else if (e->p[-1] == ']')
            break;
        }
      v = json_node_init_array (json_node_alloc (), a);
      json_array_unref (a);
    }
  else if ((name = expr_name (e)) != NULL)
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
      render_fail (r, e->p, "unexpected “%c”", *e->p);
      return NULL;
    }

  /* .member and [index] */
  for (;;)
    {
      if (expr_accept (e, "."))
        {
          g_autofree char *member = expr_name (e);
          g_autoptr(JsonNode) key = NULL;
          JsonNode *next;

          if (member == NULL)
            {
              render_fail (r, e->p, "a name must follow “.”");
              break;
            }
          key = value_string (member);
          next = value_member (v, key);
          g_clear_pointer (&v, json_node_unref);
          v = next;
        }
      else if (expr_accept (e, "["))
        {
          g_autoptr(JsonNode) key = expr_or (r, e);
          JsonNode *next;

          if (!expr_accept (e, "]"))
            {
              render_fail (r, e->p, "a “]” is missing");
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
      gboolean boolean = arg1 != NULL && value_truthy (arg1);
      if (v == NULL || JSON_NODE_HOLDS_NULL (v) || (boolean && !value_truthy (v)))
        return arg0 ? json_node_copy (arg0) : value_string ("");
      return json_node_copy (v);
    }
  if (g_str_equal (name, "dump"))
    {
      g_autofree char *json = v ? json_to_string (v, arg0 != NULL && value_truthy (arg0)) :
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
            value_append (s, json_array_get_element (json_node_get_array (v), i));
          }
      else
        value_append (s, v);
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
  render_fail (r, at, "the filter “%s” is not one Routewise knows", name);
  return NULL;
}

static JsonNode *
expr_filtered (Render *r,
               Expr   *e)
{
  JsonNode *v = expr_primary (r, e);

  while (!r->error && expr_accept (e, "|"))
    {
      const char *at = (expr_space (e), e->p);
      g_autofree char *name = expr_name (e);
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
      JsonNode *next;

      if (name == NULL)
        {
          render_fail (r, e->p, "a filter's name must follow “|”");
          break;
        }
      if (expr_accept (e, "("))
        while (!r->error && !expr_accept (e, ")"))
          {
            JsonNode *a = expr_or (r, e);
            g_ptr_array_add (args, a ? a : json_node_init_null (json_node_alloc ()));
            if (!expr_accept (e, ",") && !(expr_space (e), e->p < e->end && *e->p == ')'))
              {
                render_fail (r, e->p, "a “)” is missing");
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
  if (expr_accept (e, "not"))
    {
      g_autoptr(JsonNode) v = expr_unary (r, e);
      return value_bool (!value_truthy (v));
    }
  if (expr_accept (e, "-"))
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

      if (expr_accept (e, "*"))
        op = '*';
      else if (expr_accept (e, "/"))
        op = '/';
      else if (expr_accept (e, "%"))
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

      if (expr_accept (e, "+"))
        plus = TRUE;
      else if (expr_accept (e, "-"))
        plus = FALSE;
      else if (expr_accept (e, "~"))
        {
          /* Nunjucks's string concatenation. */
          GString *s = g_string_new (NULL);
          w = expr_product (r, e);
          value_append (s, v);
          value_append (s, w);
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
          value_append (s, v);
          value_append (s, w);
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
        if (expr_accept (e, ops[i]))
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

  while (expr_accept (e, "and") || expr_accept (e, "&&"))
    {
      g_autoptr(JsonNode) w = expr_compare (r, e);
      gboolean both = value_truthy (v) && value_truthy (w);
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
      render_fail (r, e->p, "nested deeper than %d levels", MAX_DEPTH);
      r->depth--;
      return NULL;
    }
  v = expr_and (r, e);
  while (expr_accept (e, "or") || expr_accept (e, "||"))
    {
      g_autoptr(JsonNode) w = expr_and (r, e);
      gboolean either = value_truthy (v) || value_truthy (w);
      g_clear_pointer (&v, json_node_unref);
      v = value_bool (either);
    }
  /* a if b else c */
  if (expr_accept (e, "if"))
    {
      g_autoptr(JsonNode) cond = expr_or (r, e);
      g_autoptr(JsonNode) other = expr_accept (e, "else") ? expr_or (r, e) : NULL;
      if (!value_truthy (cond))
        {
          g_clear_pointer (&v, json_node_unref);
          v = g_steal_pointer (&other);
        }
    }
  r->depth--;
  return v;
}

/* Evaluates [start, end) as one expression. */
static JsonNode *
render_eval (Render     *r,
             const char *start,
             const char *end)
{
  Expr e = { r->src, start, end, NULL, FALSE };
  JsonNode *v = expr_or (r, &e);

  expr_space (&e);
  if (!r->error && e.p < e.end)
    render_fail (r, e.p, "unexpected “%.*s”", (int) MIN (e.end - e.p, 20), e.p);
  return v;
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
          render_fail (r, open, "“%.2s” is not closed", open);
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
    render_fail (r, start, "the text would be larger than 64 MiB");
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
      render_fail (r, p, "tags nested deeper than %d levels", MAX_DEPTH);
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
              g_autoptr(JsonNode) v = render_eval (r, t.body, t.body_end);
              value_append (r->out, v);
              if (r->out->len > MAX_OUTPUT)
                render_fail (r, t.open, "the text would be larger than 64 MiB");
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
                  g_autoptr(JsonNode) v = render_eval (r, cond, cur.body_end);
                  run = value_truthy (v);
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
                  render_fail (r, t.open, "{%% if %%} has no {%% endif %%}");
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
          g_autofree char *key = expr_name (&e);
          g_autofree char *value = expr_accept (&e, ",") ? expr_name (&e) : NULL;
          g_autoptr(JsonNode) list = NULL;
          g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
          g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
          g_autofree char *next = NULL;
          const char *body = p;
          GString *out = r->out;
          Tag end_tag;

          if (key == NULL || !expr_accept (&e, "in"))
            {
              render_fail (r, t.body, "{%% for %%} reads “for NAME in LIST”");
              return p;
            }
          if (out != NULL)
            list = render_eval (r, e.p, t.body_end);
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
              render_fail (r, t.open, "{%% for %%} has no {%% endfor %%}");
              return p;
            }
          for (guint i = 0; out != NULL && i < items->len && r->error == NULL; i++)
            {
              if (++r->steps > MAX_STEPS)
                {
                  render_fail (r, t.open, "loops would turn more than %d times", MAX_STEPS);
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
                render_fail (r, t.open, "{%% for %%} has no {%% endfor %%}");
              trim_start = end_tag.trim_after;
            }
          continue;
        }
      if (g_str_equal (word, "set"))
        {
          Expr e = { r->src, rest, t.body_end, NULL, FALSE };
          g_autofree char *name = expr_name (&e);

          if (name == NULL || !expr_accept (&e, "="))
            {
              render_fail (r, t.body, "{%% set %%} reads “set NAME = VALUE”");
              return p;
            }
          if (r->out != NULL)
            {
              JsonNode *v = render_eval (r, e.p, t.body_end);
              json_object_set_member (r->scopes->pdata[r->scopes->len - 1], name,
                                      v ? v : json_node_init_null (json_node_alloc ()));
            }
          continue;
        }
      render_fail (r, t.open, "{%% %s %%} is not a tag Routewise knows", word);
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
