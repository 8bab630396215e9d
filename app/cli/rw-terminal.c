/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rw-terminal.h"

/*
 * Side-by-side answers on a terminal. While the answers stream, a live area shows the newest
 * lines of each column and is redrawn in place at most every 40 ms; when all are done it is
 * replaced by the complete answers side by side with their metrics.
 */

#define GAP "  │  "
#define GAP_WIDTH 5

struct _RwTerminalView
{
  FILE *out;
  GPtrArray *models;
  GPtrArray *texts;     /* GString per column */
  GPtrArray *results;   /* RwChatResult or NULL per column */
  gint64 start_us;
  guint width;
  guint height;
  guint prev_lines;
  guint redraw_id;
  gboolean dirty;
};

/* Drop control characters (an answer may hold escape sequences) and expand tabs. */
char *
rw_terminal_sanitize (const char *text)
{
  GString *s = g_string_new (NULL);
  const char *p = text;

  while (*p)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (s, "\xEF\xBF\xBD");
          p++;
          continue;
        }
      if (c == '\t')
        g_string_append (s, "    ");
      else if (c == '\n')
        g_string_append_c (s, '\n');
      else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        ;
      else
        g_string_append_unichar (s, c);
      p = g_utf8_next_char (p);
    }
  return g_string_free (s, FALSE);
}

static guint
terminal_char_width (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

static guint
terminal_display_width (const char *s)
{
  guint w = 0;
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    w += terminal_char_width (g_utf8_get_char (p));
  return w;
}

/* Greedy word wrap of sanitized text into lines at most width columns wide. */
GPtrArray *
rw_terminal_wrap (const char *text,
                  guint       width)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) paragraphs = g_strsplit (text, "\n", -1);

  width = MAX (width, 4);
  for (guint i = 0; paragraphs[i]; i++)
    {
      GString *line = g_string_new (NULL);
      guint line_w = 0;
      const char *p = paragraphs[i];

      while (*p)
        {
          const char *word_end = p;
          guint word_w = 0;
          const char *space_end;

          while (*word_end && *word_end != ' ')
            {
              word_w += terminal_char_width (g_utf8_get_char (word_end));
              word_end = g_utf8_next_char (word_end);
            }
          space_end = word_end;
          while (*space_end == ' ')
            space_end++;

          if (line_w > 0 && line_w + word_w > width)
            {
              g_ptr_array_add (lines, g_strdup (g_strchomp (line->str)));
              g_string_truncate (line, 0);
              line_w = 0;
            }
          /* A word longer than the column is cut. */
          while (word_w > width)
            {
              const char *q = p;
              guint w = 0;
              while (q < word_end
                     && w + terminal_char_width (g_utf8_get_char (q)) <= width - line_w)
                {
                  w += terminal_char_width (g_utf8_get_char (q));
                  q = g_utf8_next_char (q);
                }
              if (q == p)
                break;
              g_string_append_len (line, p, q - p);
              g_ptr_array_add (lines, g_strdup (line->str));
              g_string_truncate (line, 0);
              line_w = 0;
              word_w -= w;
              p = q;
            }
          g_string_append_len (line, p, word_end - p);
          line_w += word_w;
          if (space_end > word_end && line_w < width)
            {
              g_string_append_c (line, ' ');
              line_w++;
            }
          p = space_end;
        }
      g_ptr_array_add (lines, g_strdup (g_strchomp (line->str)));
      g_string_free (line, TRUE);
    }
  /* No trailing empty lines. */
  while (lines->len > 1 && *(char *) lines->pdata[lines->len - 1] == '\0')
    g_ptr_array_remove_index (lines, lines->len - 1);
  return lines;
}

static char *
terminal_format_ms (double ms)
{
  if (ms < 0)
    return g_strdup ("–");
  if (ms < 1000)
    return g_strdup_printf ("%.0f ms", ms);
  return g_strdup_printf ("%.2f s", ms / 1000.0);
}

static char *
terminal_format_cost (double usd)
{
  if (!isfinite (usd))
    return g_strdup (_("cost unknown"));
  if (usd == 0)
    return g_strdup ("$0");
  if (usd < 0.01)
    return g_strdup_printf ("$%.5f", usd);
  return g_strdup_printf ("$%.4f", usd);
}

/**
 * rw_terminal_metrics_lines:
 * @result: a finished result
 *
 * Returns: (transfer full): short lines describing the result: status, times, tokens, cost
 */
GPtrArray *
rw_terminal_metrics_lines (RwChatResult *result)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ttft = terminal_format_ms (result->ttft_ms);
  g_autofree char *latency = terminal_format_ms (result->latency_ms);
  g_autofree char *cost = terminal_format_cost (result->cost_usd);
  double tps = rw_chat_result_tokens_per_second (result);
  const char *approx = result->usage_estimated ? "~" : "";

  if (result->error != NULL)
    g_ptr_array_add (lines, g_strdup_printf ("✗ %s: %s", rw_error_get_kind (result->error),
                                             result->error->message));
  else
    g_ptr_array_add (lines, g_strdup_printf ("✓ %s", result->finish_reason ?
                                             result->finish_reason : _("done")));
  g_ptr_array_add (lines, g_strdup_printf (_("first token %s · total %s"), ttft, latency));
  if (result->tokens_in >= 0 && result->tokens_out >= 0)
    {
      if (isfinite (tps))
        g_ptr_array_add (lines, g_strdup_printf (_("%s%" PRId64 " in · %s%" PRId64
                                                   " out · %.0f tok/s"),
                                                 approx, result->tokens_in, approx,
                                                 result->tokens_out, tps));
      else
        g_ptr_array_add (lines, g_strdup_printf (_("%s%" PRId64 " in · %s%" PRId64
                                                   " out"),
                                                 approx, result->tokens_in, approx,
                                                 result->tokens_out));
    }
  g_ptr_array_add (lines, g_steal_pointer (&cost));
  return lines;
}

static void
terminal_size (FILE  *out,
               guint *width,
               guint *height)
{
  struct winsize ws = { 0 };
  const char *cols = g_getenv ("COLUMNS");

  *width = 100;
  *height = 30;
  if (ioctl (fileno (out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    {
      *width = ws.ws_col;
      *height = ws.ws_row;
    }
  else if (cols != NULL && atoi (cols) > 20)
    *width = atoi (cols);
}

static guint
terminal_column_width (RwTerminalView *self)
{
  guint n = self->models->len;
  guint w = self->width > (n - 1) * GAP_WIDTH ? (self->width - (n - 1) * GAP_WIDTH) / n : 10;
  return MAX (w, 10);
}

static void
terminal_pad_to (GString    *s,
                 const char *cell,
                 guint       width)
{
  guint w = terminal_display_width (cell);
  g_string_append (s, cell);
  for (; w < width; w++)
    g_string_append_c (s, ' ');
}

static char *
terminal_header_cell (RwModel *model,
                      guint    width)
{
  g_autofree char *name = rw_terminal_sanitize (rw_model_get_id (model));
  g_autoptr(GPtrArray) lines = rw_terminal_wrap (name, width);
  return g_strdup (lines->pdata[0]);
}

/* Rows of cells, one GPtrArray of lines per column, printed side by side. */
static void
terminal_append_rows (GString   *s,
                      GPtrArray *columns,
                      guint      col_w,
                      guint      from_end_max)
{
  guint rows = 0;

  for (guint c = 0; c < columns->len; c++)
    rows = MAX (rows, ((GPtrArray *) columns->pdata[c])->len);
  if (from_end_max > 0)
    rows = MIN (rows, from_end_max);

  for (guint r = 0; r < rows; r++)
    {
      for (guint c = 0; c < columns->len; c++)
        {
          GPtrArray *col = columns->pdata[c];
          /* In the live view, show each column's newest lines. */
          gint start = from_end_max > 0 ? MAX (0, (gint) col->len - (gint) rows) : 0;
          guint idx = start + r;
          const char *cell = idx < col->len ? col->pdata[idx] : "";

          if (c > 0)
            g_string_append (s, GAP);
          if (c + 1 < columns->len)
            terminal_pad_to (s, cell, col_w);
          else
            g_string_append (s, cell);
        }
      g_string_append_c (s, '\n');
    }
}

static void
terminal_append_header (RwTerminalView *self,
                        GString        *s,
                        guint           col_w)
{
  g_string_append (s, "\033[1m");
  for (guint c = 0; c < self->models->len; c++)
    {
      g_autofree char *cell = terminal_header_cell (self->models->pdata[c], col_w);
      if (c > 0)
        g_string_append (s, GAP);
      if (c + 1 < self->models->len)
        terminal_pad_to (s, cell, col_w);
      else
        g_string_append (s, cell);
    }
  g_string_append (s, "\033[0m\n");
  for (guint c = 0; c < self->models->len; c++)
    {
      if (c > 0)
        g_string_append (s, "──┼──");
      for (guint i = 0; i < col_w; i++)
        g_string_append (s, "─");
    }
  g_string_append_c (s, '\n');
}

static GPtrArray *
terminal_status_column (RwTerminalView *self,
                        guint           c,
                        guint           col_w)
{
  RwChatResult *result = self->results->pdata[c];
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  if (result == NULL)
    {
      double secs = (g_get_monotonic_time () - self->start_us) / 1e6;
      g_ptr_array_add (out, g_strdup_printf (_("… streaming, %.1f s"), secs));
      return out;
    }
  {
    g_autoptr(GPtrArray) lines = rw_terminal_metrics_lines (result);
    for (guint i = 0; i < lines->len; i++)
      {
        g_autofree char *clean = rw_terminal_sanitize (lines->pdata[i]);
        g_autoptr(GPtrArray) wrapped = rw_terminal_wrap (clean, col_w);
        for (guint j = 0; j < wrapped->len; j++)
          g_ptr_array_add (out, g_strdup (wrapped->pdata[j]));
      }
  }
  return out;
}

static GPtrArray *
terminal_text_columns (RwTerminalView *self,
                       guint           col_w)
{
  GPtrArray *columns = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  for (guint c = 0; c < self->models->len; c++)
    {
      g_autofree char *clean = rw_terminal_sanitize (((GString *) self->texts->pdata[c])->str);
      g_ptr_array_add (columns, rw_terminal_wrap (clean, col_w));
    }
  return columns;
}

static void
terminal_redraw (RwTerminalView *self)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GPtrArray) columns = NULL;
  g_autoptr(GPtrArray) status = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  guint col_w, body_rows, status_rows = 0, lines = 0;

  terminal_size (self->out, &self->width, &self->height);
  col_w = terminal_column_width (self);
  columns = terminal_text_columns (self, col_w);
  for (guint c = 0; c < self->models->len; c++)
    {
      GPtrArray *st = terminal_status_column (self, c, col_w);
      status_rows = MAX (status_rows, st->len);
      g_ptr_array_add (status, st);
    }
  body_rows = self->height > status_rows + 5 ? self->height - status_rows - 5 : 3;
  body_rows = MIN (body_rows, 24);

  if (self->prev_lines > 0)
    g_string_append_printf (s, "\033[%uA", self->prev_lines);
  g_string_append (s, "\r\033[J");
  terminal_append_header (self, s, col_w);
  terminal_append_rows (s, columns, col_w, body_rows);
  g_string_append (s, "\033[2m");
  terminal_append_rows (s, status, col_w, 0);
  g_string_append (s, "\033[0m");

  for (const char *p = s->str; *p; p++)
    if (*p == '\n')
      lines++;
  self->prev_lines = lines;
  fputs (s->str, self->out);
  fflush (self->out);
  self->dirty = FALSE;
}

static gboolean
terminal_redraw_tick (gpointer data)
{
  RwTerminalView *self = data;

  terminal_redraw (self);
  return G_SOURCE_CONTINUE;
}

RwTerminalView *
rw_terminal_view_new (GPtrArray *models,
                      FILE      *out)
{
  RwTerminalView *self = g_new0 (RwTerminalView, 1);

  self->out = out;
  self->models = g_ptr_array_ref (models);
  self->texts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_string_free);
  self->results = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_chat_result_unref);
  for (guint i = 0; i < models->len; i++)
    {
      g_ptr_array_add (self->texts, g_string_new (NULL));
      g_ptr_array_add (self->results, NULL);
    }
  self->start_us = g_get_monotonic_time ();
  fputs ("\033[?25l", out);
  terminal_redraw (self);
  self->redraw_id = g_timeout_add (40, terminal_redraw_tick, self);
  return self;
}

void
rw_terminal_view_append (RwTerminalView *self,
                         guint           index,
                         const char     *text)
{
  g_string_append (self->texts->pdata[index], text);
  self->dirty = TRUE;
}

void
rw_terminal_view_finish (RwTerminalView *self,
                         guint           index,
                         RwChatResult   *result)
{
  GString *text = self->texts->pdata[index];

  g_string_assign (text, result->text->str);
  g_clear_pointer (&self->results->pdata[index], rw_chat_result_unref);
  self->results->pdata[index] = rw_chat_result_ref (result);
  self->dirty = TRUE;
}

/* Replace the live area with every answer in full, side by side, and the metrics. */
void
rw_terminal_view_close (RwTerminalView *self)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GPtrArray) columns = NULL;
  g_autoptr(GPtrArray) status = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  guint col_w;

  g_clear_handle_id (&self->redraw_id, g_source_remove);
  terminal_size (self->out, &self->width, &self->height);
  col_w = terminal_column_width (self);
  columns = terminal_text_columns (self, col_w);
  for (guint c = 0; c < self->models->len; c++)
    g_ptr_array_add (status, terminal_status_column (self, c, col_w));

  if (self->prev_lines > 0)
    g_string_append_printf (s, "\033[%uA", self->prev_lines);
  g_string_append (s, "\r\033[J");
  terminal_append_header (self, s, col_w);
  terminal_append_rows (s, columns, col_w, 0);
  g_string_append_c (s, '\n');
  terminal_append_rows (s, status, col_w, 0);
  g_string_append (s, "\033[?25h");
  self->prev_lines = 0;
  fputs (s->str, self->out);
  fflush (self->out);
}

void
rw_terminal_view_free (RwTerminalView *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->redraw_id, g_source_remove);
  g_ptr_array_unref (self->models);
  g_ptr_array_unref (self->texts);
  g_ptr_array_unref (self->results);
  g_free (self);
}

/**
 * rw_terminal_format_block:
 * @model: the model
 * @result: its result
 * @color: use terminal colours
 *
 * Returns: (transfer full): one answer with a heading and its metrics, for output that is not a
 *   terminal
 */
char *
rw_terminal_format_block (RwModel      *model,
                          RwChatResult *result,
                          gboolean      color)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GPtrArray) metrics = rw_terminal_metrics_lines (result);
  g_autofree char *text = rw_terminal_sanitize (result->text->str);

  g_string_append_printf (s, "== %s ==\n", rw_model_get_id (model));
  if (*text)
    g_string_append_printf (s, "%s\n", g_strchomp (text));
  g_string_append (s, "-- ");
  for (guint i = 0; i < metrics->len; i++)
    g_string_append_printf (s, "%s%s", i ? " · " : "", (char *) metrics->pdata[i]);
  g_string_append (s, "\n\n");
  return g_string_free (g_steal_pointer (&s), FALSE);
}
