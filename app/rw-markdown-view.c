/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <md4c.h>
#include <string.h>

#include "rw-markdown-view.h"

/**
 * RwMarkdownView:
 *
 * An answer shown as Markdown (CommonMark with GitHub's tables, strikethrough and autolinks,
 * parsed by md4c) in a read-only text view: headings, emphasis, lists, block quotes, links,
 * tables in columns, and code blocks in a monospace font with a copy button.
 *
 * While an answer streams in, the text is rendered at most once a frame, and only its tail:
 * the part before the last top-level block boundary (a blank line outside a code fence,
 * followed by a line that starts at the margin) no longer changes, is rendered once and kept,
 * so each frame parses and lays out the last block or so, not the whole answer.
 */

typedef struct
{
  GPtrArray *rows;       /* GPtrArray of GString cells */
  guint head_rows;
} Table;

typedef struct
{
  gboolean ordered;
  guint next;
} List;

struct _RwMarkdownView
{
  GtkTextView parent_instance;

  GString *source;
  gsize stable;          /* source bytes rendered and kept */
  GtkTextMark *tail;     /* where the buffer's unstable tail starts */
  gboolean dirty;
  gboolean in_tail;      /* rendering the tail, which the next frame deletes */
  GPtrArray *tail_links; /* the link tags made for the tail, removed with it */
  guint tick_id;
  guint n_renders;

  /* The renderer's state, while md4c walks a piece of source. */
  GtkTextBuffer *buffer;
  GPtrArray *tags;       /* GtkTextTag, applied to text inserted now */
  GArray *lists;         /* List */
  Table *table;
  GString *code;         /* the text of the code block being rendered */
  int quote_depth;
  int block_depth;
};

G_DEFINE_FINAL_TYPE (RwMarkdownView, rw_markdown_view, GTK_TYPE_TEXT_VIEW)

static GtkTextTag *
markdown_view_tag (RwMarkdownView *self,
                   const char     *name)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (self->buffer);

  return gtk_text_tag_table_lookup (table, name);
}

/* An indent tag for a list nesting level (1-based) and quote depth, made once. */
static GtkTextTag *
markdown_view_indent_tag (RwMarkdownView *self,
                          int             level)
{
  g_autofree char *name = g_strdup_printf ("indent-%d", level);
  GtkTextTag *tag = markdown_view_tag (self, name);

  if (tag == NULL)
    tag = gtk_text_buffer_create_tag (self->buffer, name, "left-margin", 12 + 22 * level,
                                      "indent", -16, NULL);
  return tag;
}

static void
markdown_view_insert (RwMarkdownView *self,
                      const char     *text,
                      gssize          len)
{
  GtkTextIter end, start;
  int offset;

  if (len == 0)
    return;
  gtk_text_buffer_get_end_iter (self->buffer, &end);
  offset = gtk_text_iter_get_offset (&end);
  gtk_text_buffer_insert (self->buffer, &end, text, len);
  gtk_text_buffer_get_iter_at_offset (self->buffer, &start, offset);
  gtk_text_buffer_get_end_iter (self->buffer, &end);
  for (guint i = 0; i < self->tags->len; i++)
    gtk_text_buffer_apply_tag (self->buffer, self->tags->pdata[i], &start, &end);
}

/* How many newlines the buffer ends with, up to 2; 2 for an empty buffer. */
static int
markdown_view_trailing_newlines (RwMarkdownView *self)
{
  GtkTextIter end;
  int n = 0;

  gtk_text_buffer_get_end_iter (self->buffer, &end);
  if (gtk_text_iter_is_start (&end))
    return 2;
  while (n < 2 && gtk_text_iter_backward_char (&end) && gtk_text_iter_get_char (&end) == '\n')
    n++;
  return n == 0 && gtk_text_iter_is_start (&end) ? 0 : n;
}

/* Starts a block on a line of its own, after a blank line when @blank. */
static void
markdown_view_separate (RwMarkdownView *self,
                        gboolean        blank)
{
  int want = blank ? 2 : 1;
  int have = markdown_view_trailing_newlines (self);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (self->buffer, &end);
  /* Separators carry no tags: a code block's background must not grow over them. */
  for (; have < want; have++)
    gtk_text_buffer_insert (self->buffer, &end, "\n", 1);
}

static void
markdown_view_push (RwMarkdownView *self,
                    GtkTextTag     *tag)
{
  g_ptr_array_add (self->tags, tag);
}

static void
markdown_view_pop (RwMarkdownView *self,
                   GtkTextTag     *tag)
{
  for (guint i = self->tags->len; i-- > 0;)
    if (self->tags->pdata[i] == tag)
      {
        g_ptr_array_remove_index (self->tags, i);
        return;
      }
}

static void
markdown_view_on_copy_code (GtkButton *button,
                            gpointer   data)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          g_object_get_data (G_OBJECT (button), "code"));
}

/* The line above a code block: its language and a button that copies the code. */
static void
markdown_view_code_header (RwMarkdownView *self,
                           const char     *code,
                           const char     *lang)
{
  GtkTextIter at;
  GtkTextChildAnchor *anchor;
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  gtk_text_buffer_get_end_iter (self->buffer, &at);
  anchor = gtk_text_buffer_create_child_anchor (self->buffer, &at);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "code-copy");
  gtk_widget_set_tooltip_text (button, _("Copy the code"));
  g_object_set_data_full (G_OBJECT (button), "code", g_strdup (code), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (markdown_view_on_copy_code), NULL);
  gtk_text_view_add_child_at_anchor (GTK_TEXT_VIEW (self), button, anchor);
  if (lang != NULL && *lang != '\0')
    {
      markdown_view_push (self, markdown_view_tag (self, "code-lang"));
      markdown_view_insert (self, " ", 1);
      markdown_view_insert (self, lang, -1);
      markdown_view_pop (self, markdown_view_tag (self, "code-lang"));
    }
  markdown_view_insert (self, "\n", 1);
}

static void
markdown_view_render_table (RwMarkdownView *self)
{
  Table *t = self->table;
  g_autoptr(GArray) widths = g_array_new (FALSE, TRUE, sizeof (guint));

  for (guint r = 0; r < t->rows->len; r++)
    {
      GPtrArray *row = t->rows->pdata[r];
      for (guint c = 0; c < row->len; c++)
        {
          guint w = g_utf8_strlen (((GString *) row->pdata[c])->str, -1);
          if (c >= widths->len)
            g_array_set_size (widths, c + 1);
          g_array_index (widths, guint, c) = MAX (g_array_index (widths, guint, c), w);
        }
    }
  markdown_view_separate (self, TRUE);
  markdown_view_push (self, markdown_view_tag (self, "table"));
  for (guint r = 0; r < t->rows->len; r++)
    {
      GPtrArray *row = t->rows->pdata[r];
      g_autoptr(GString) line = g_string_new (NULL);
      GtkTextTag *strong = markdown_view_tag (self, "strong");

      for (guint c = 0; c < widths->len; c++)
        {
          const char *cell = c < row->len ? ((GString *) row->pdata[c])->str : "";
          guint pad = g_array_index (widths, guint, c) - g_utf8_strlen (cell, -1);

          g_string_append (line, c == 0 ? "" : " │ ");
          g_string_append (line, cell);
          for (guint i = 0; i < pad; i++)
            g_string_append_c (line, ' ');
        }
      if (r < t->head_rows)
        markdown_view_push (self, strong);
      markdown_view_insert (self, line->str, -1);
      if (r < t->head_rows)
        markdown_view_pop (self, strong);
      markdown_view_insert (self, "\n", 1);
      if (r + 1 == t->head_rows)
        {
          g_autoptr(GString) rule = g_string_new (NULL);
          for (guint c = 0; c < widths->len; c++)
            {
              g_string_append (rule, c == 0 ? "" : "─┼─");
              for (guint i = 0; i < g_array_index (widths, guint, c); i++)
                g_string_append (rule, "─");
            }
          markdown_view_insert (self, rule->str, -1);
          markdown_view_insert (self, "\n", 1);
        }
    }
  markdown_view_pop (self, markdown_view_tag (self, "table"));
}

static void
markdown_view_table_free (Table *t)
{
  if (t != NULL)
    {
      g_ptr_array_unref (t->rows);
      g_free (t);
    }
}

static int
markdown_view_enter_block (MD_BLOCKTYPE type,
                           void        *detail,
                           void        *data)
{
  RwMarkdownView *self = data;
  gboolean in_item = self->lists->len > 0;

  self->block_depth++;
  if (self->table != NULL)
    {
      if (type == MD_BLOCK_TR)
        g_ptr_array_add (self->table->rows,
                         g_ptr_array_new_with_free_func ((GDestroyNotify) g_string_free));
      else if (type == MD_BLOCK_TH || type == MD_BLOCK_TD)
        g_ptr_array_add (g_ptr_array_index (self->table->rows, self->table->rows->len - 1),
                         g_string_new (NULL));
      return 0;
    }
  switch (type)
    {
    case MD_BLOCK_DOC:
      break;
    case MD_BLOCK_QUOTE:
      markdown_view_separate (self, !in_item);
      self->quote_depth++;
      markdown_view_push (self, markdown_view_tag (self, "quote"));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        List l = { type == MD_BLOCK_OL, type == MD_BLOCK_OL
                                        ? ((MD_BLOCK_OL_DETAIL *) detail)->start : 0 };
        markdown_view_separate (self, !in_item);
        g_array_append_val (self->lists, l);
        markdown_view_push (self, markdown_view_indent_tag (self, self->lists->len));
      }
      break;
    case MD_BLOCK_LI:
      {
        List *l = &g_array_index (self->lists, List, self->lists->len - 1);
        g_autofree char *marker = l->ordered ? g_strdup_printf ("%u. ", l->next++)
                                             : g_strdup (self->lists->len % 2 ? "• " : "◦ ");
        MD_BLOCK_LI_DETAIL *li = detail;

        markdown_view_separate (self, FALSE);
        markdown_view_insert (self, marker, -1);
        if (li->is_task)
          markdown_view_insert (self, li->task_mark == ' ' ? "☐ " : "☑ ", -1);
      }
      break;
    case MD_BLOCK_HR:
      markdown_view_separate (self, TRUE);
      markdown_view_push (self, markdown_view_tag (self, "hr"));
      markdown_view_insert (self, "────────────", -1);
      markdown_view_pop (self, markdown_view_tag (self, "hr"));
      break;
    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", MIN (((MD_BLOCK_H_DETAIL *) detail)->level, 6));
        markdown_view_separate (self, TRUE);
        markdown_view_push (self, markdown_view_tag (self, name));
      }
      break;
    case MD_BLOCK_CODE:
      markdown_view_separate (self, !in_item);
      self->code = g_string_new (NULL);
      break;
    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
      markdown_view_separate (self, !in_item);
      break;
    case MD_BLOCK_TABLE:
      self->table = g_new0 (Table, 1);
      self->table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      self->table->head_rows = ((MD_BLOCK_TABLE_DETAIL *) detail)->head_row_count;
      break;
    default:
      break;
    }
  return 0;
}

static int
markdown_view_leave_block (MD_BLOCKTYPE type,
                           void        *detail,
                           void        *data)
{
  RwMarkdownView *self = data;

  self->block_depth--;
  switch (type)
    {
    case MD_BLOCK_QUOTE:
      self->quote_depth--;
      markdown_view_pop (self, markdown_view_tag (self, "quote"));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      markdown_view_pop (self, markdown_view_indent_tag (self, self->lists->len));
      g_array_set_size (self->lists, self->lists->len - 1);
      break;
    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", MIN (((MD_BLOCK_H_DETAIL *) detail)->level, 6));
        markdown_view_pop (self, markdown_view_tag (self, name));
      }
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;
        g_autofree char *lang = g_strndup (code->lang.text ? code->lang.text : "", code->lang.size);
        GString *text = self->code;

        self->code = NULL;
        /* The code without its last newline, which separates it from what follows. */
        if (text->len > 0 && text->str[text->len - 1] == '\n')
          g_string_truncate (text, text->len - 1);
        markdown_view_push (self, markdown_view_tag (self, "code-block"));
        markdown_view_code_header (self, text->str, lang);
        markdown_view_insert (self, text->str, text->len);
        markdown_view_pop (self, markdown_view_tag (self, "code-block"));
        g_string_free (text, TRUE);
      }
      break;
    case MD_BLOCK_TABLE:
      markdown_view_render_table (self);
      g_clear_pointer (&self->table, markdown_view_table_free);
      break;
    default:
      break;
    }
  return 0;
}

static const char *
markdown_view_span_tag (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_EM: return "em";
    case MD_SPAN_STRONG: return "strong";
    case MD_SPAN_CODE: return "code";
    case MD_SPAN_DEL: return "del";
    case MD_SPAN_U: return "u";
    case MD_SPAN_A: return "link";
    default: return NULL;
    }
}

static int
markdown_view_enter_span (MD_SPANTYPE type,
                          void       *detail,
                          void       *data)
{
  RwMarkdownView *self = data;
  const char *name = markdown_view_span_tag (type);

  if (self->table != NULL || name == NULL)
    return 0;
  if (type == MD_SPAN_A)
    {
      MD_SPAN_A_DETAIL *a = detail;
      GtkTextTag *link = gtk_text_buffer_create_tag (self->buffer, NULL, NULL);

      /* A tag of its own carries the address; it looks like every link. */
      g_object_set_data_full (G_OBJECT (link), "href", g_strndup (a->href.text, a->href.size),
                              g_free);
      if (self->in_tail)
        g_ptr_array_add (self->tail_links, link);
      markdown_view_push (self, markdown_view_tag (self, "link"));
      markdown_view_push (self, link);
      return 0;
    }
  markdown_view_push (self, markdown_view_tag (self, name));
  return 0;
}

static int
markdown_view_leave_span (MD_SPANTYPE type,
                          void       *detail,
                          void       *data)
{
  RwMarkdownView *self = data;
  const char *name = markdown_view_span_tag (type);

  if (self->table != NULL || name == NULL)
    return 0;
  if (type == MD_SPAN_A)
    g_ptr_array_remove_index (self->tags, self->tags->len - 1);
  markdown_view_pop (self, markdown_view_tag (self, name));
  return 0;
}

static const struct { const char *name, *text; } markdown_view_entities[] = {
  { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
  { "&nbsp;", " " }, { "&copy;", "©" }, { "&mdash;", "—" }, { "&ndash;", "–" },
  { "&hellip;", "…" },
};

static int
markdown_view_text (MD_TEXTTYPE   type,
                    const MD_CHAR *text,
                    MD_SIZE        size,
                    void          *data)
{
  RwMarkdownView *self = data;
  g_autofree char *decoded = NULL;

  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      text = "\xEF\xBF\xBD";
      size = 3;
      break;
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
      /* Answers break lines where they mean it (verse, addresses): a soft break stays one. */
      text = self->table != NULL ? " " : "\n";
      size = 1;
      break;
    case MD_TEXT_ENTITY:
      for (guint i = 0; i < G_N_ELEMENTS (markdown_view_entities); i++)
        if (strlen (markdown_view_entities[i].name) == size
            && strncmp (markdown_view_entities[i].name, text, size) == 0)
          {
            text = markdown_view_entities[i].text;
            size = strlen (text);
            break;
          }
      if (size > 3 && text[0] == '&' && text[1] == '#')
        {
          gunichar c = text[2] == 'x' || text[2] == 'X'
                         ? (gunichar) g_ascii_strtoull (text + 3, NULL, 16)
                         : (gunichar) g_ascii_strtoull (text + 2, NULL, 10);
          char buf[8] = { 0 };

          if (c == 0 || !g_unichar_validate (c))
            c = 0xFFFD;
          g_unichar_to_utf8 (c, buf);
          text = decoded = g_strdup (buf);
          size = strlen (decoded);
        }
      break;
    default:
      break;
    }
  if (self->code != NULL)
    g_string_append_len (self->code, text, size);
  else if (self->table != NULL && self->table->rows->len > 0)
    {
      GPtrArray *row = g_ptr_array_index (self->table->rows, self->table->rows->len - 1);
      if (row->len > 0)
        g_string_append_len (row->pdata[row->len - 1], text, size);
    }
  else
    markdown_view_insert (self, text, size);
  return 0;
}

/* Renders @len bytes of Markdown at the end of the buffer. */
static void
markdown_view_render (RwMarkdownView *self,
                      const char     *text,
                      gsize           len)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML,
    .enter_block = markdown_view_enter_block,
    .leave_block = markdown_view_leave_block,
    .enter_span = markdown_view_enter_span,
    .leave_span = markdown_view_leave_span,
    .text = markdown_view_text,
  };

  if (len == 0)
    return;
  g_ptr_array_set_size (self->tags, 0);
  g_array_set_size (self->lists, 0);
  self->quote_depth = 0;
  self->block_depth = 0;
  md_parse (text, (MD_SIZE) len, &parser, self);
  /* A piece that ended inside a block leaves no state behind. */
  g_clear_pointer (&self->table, markdown_view_table_free);
  if (self->code != NULL)
    g_string_free (g_steal_pointer (&self->code), TRUE);
}

/* Where the source can be cut so that what comes before it renders the same whatever follows:
 * after a blank line outside a code fence, at a line that starts at the margin and does not go
 * on a table. The stable part never shrinks. */
static gsize
markdown_view_find_stable (RwMarkdownView *self)
{
  const char *s = self->source->str;
  gsize len = self->source->len;
  gsize cut = self->stable;
  gboolean fence = FALSE, blank = FALSE;
  gsize line = self->stable;

  while (line < len)
    {
      const char *nl = memchr (s + line, '\n', len - line);
      gsize end;
      const char *p = s + line;

      if (nl == NULL)
        break;           /* the last line is still being written */
      end = nl - s;
      if (strncmp (p, "```", 3) == 0 || strncmp (p, "~~~", 3) == 0)
        fence = !fence;
      if (!fence && blank && end > line && p[0] != ' ' && p[0] != '\t' && p[0] != '|')
        cut = line;
      blank = !fence && end == line;
      line = end + 1;
    }
  return cut;
}

static void
markdown_view_render_pending (RwMarkdownView *self)
{
  GtkTextIter tail, end;
  gsize stable;

  self->dirty = FALSE;
  self->n_renders++;
  gtk_text_buffer_get_iter_at_mark (self->buffer, &tail, self->tail);
  gtk_text_buffer_get_end_iter (self->buffer, &end);
  gtk_text_buffer_delete (self->buffer, &tail, &end);
  for (guint i = 0; i < self->tail_links->len; i++)
    gtk_text_tag_table_remove (gtk_text_buffer_get_tag_table (self->buffer),
                               self->tail_links->pdata[i]);
  g_ptr_array_set_size (self->tail_links, 0);

  stable = markdown_view_find_stable (self);
  if (stable > self->stable)
    {
      markdown_view_render (self, self->source->str + self->stable, stable - self->stable);
      self->stable = stable;
      gtk_text_buffer_get_end_iter (self->buffer, &end);
      gtk_text_buffer_move_mark (self->buffer, self->tail, &end);
    }
  self->in_tail = TRUE;
  markdown_view_render (self, self->source->str + self->stable, self->source->len - self->stable);
  self->in_tail = FALSE;
}

static gboolean
markdown_view_tick (GtkWidget     *widget,
                    GdkFrameClock *clock,
                    gpointer       data)
{
  RwMarkdownView *self = RW_MARKDOWN_VIEW (widget);

  if (self->dirty)
    markdown_view_render_pending (self);
  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
markdown_view_schedule (RwMarkdownView *self)
{
  self->dirty = TRUE;
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), markdown_view_tick, NULL,
                                                  NULL);
}

/**
 * rw_markdown_view_append:
 * @self: the view
 * @text: more of the answer
 *
 * Adds @text to the Markdown shown; the view renders it with the next frame.
 */
void
rw_markdown_view_append (RwMarkdownView *self,
                         const char     *text)
{
  g_string_append (self->source, text);
  markdown_view_schedule (self);
}

/**
 * rw_markdown_view_set_markdown:
 * @self: the view
 * @text: the whole answer
 *
 * Shows @text, rendered from the start.
 */
void
rw_markdown_view_set_markdown (RwMarkdownView *self,
                               const char     *text)
{
  GtkTextIter start, end;

  g_string_assign (self->source, text ? text : "");
  self->stable = 0;
  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  gtk_text_buffer_delete (self->buffer, &start, &end);
  gtk_text_buffer_move_mark (self->buffer, self->tail, &start);
  self->dirty = TRUE;
  markdown_view_schedule (self);
}

/**
 * rw_markdown_view_get_markdown:
 *
 * Returns: the answer as Markdown, as it came
 */
const char *
rw_markdown_view_get_markdown (RwMarkdownView *self)
{
  return self->source->str;
}

/**
 * rw_markdown_view_flush:
 *
 * Renders what arrived since the last frame now.
 */
void
rw_markdown_view_flush (RwMarkdownView *self)
{
  if (self->dirty)
    markdown_view_render_pending (self);
}

/**
 * rw_markdown_view_dup_shown:
 *
 * Returns: (transfer full): the text as shown, rendered
 */
char *
rw_markdown_view_dup_shown (RwMarkdownView *self)
{
  GtkTextIter start, end;

  rw_markdown_view_flush (self);
  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  return gtk_text_buffer_get_text (self->buffer, &start, &end, FALSE);
}

/**
 * rw_markdown_view_get_n_renders:
 *
 * Returns: how many times the view rendered; the stream's frames at most
 */
guint
rw_markdown_view_get_n_renders (RwMarkdownView *self)
{
  return self->n_renders;
}

/* A click on a link opens it. */
static void
markdown_view_on_released (GtkGestureClick *gesture,
                           int              n_press,
                           double           x,
                           double           y,
                           RwMarkdownView  *self)
{
  GtkTextIter iter;
  int bx, by;
  g_autoptr(GSList) tags = NULL;

  gtk_text_view_window_to_buffer_coords (GTK_TEXT_VIEW (self), GTK_TEXT_WINDOW_WIDGET, x, y,
                                         &bx, &by);
  if (!gtk_text_view_get_iter_at_location (GTK_TEXT_VIEW (self), &iter, bx, by))
    return;
  tags = gtk_text_iter_get_tags (&iter);
  for (GSList *l = tags; l != NULL; l = l->next)
    {
      const char *href = g_object_get_data (l->data, "href");

      if (href != NULL && (g_str_has_prefix (href, "https://") || g_str_has_prefix (href, "http://")
                           || g_str_has_prefix (href, "mailto:")))
        {
          gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), href,
                        GDK_CURRENT_TIME);
          return;
        }
    }
}

static void
rw_markdown_view_dispose (GObject *object)
{
  RwMarkdownView *self = (RwMarkdownView *) object;

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  G_OBJECT_CLASS (rw_markdown_view_parent_class)->dispose (object);
}

static void
rw_markdown_view_finalize (GObject *object)
{
  RwMarkdownView *self = (RwMarkdownView *) object;

  g_string_free (self->source, TRUE);
  g_ptr_array_unref (self->tags);
  g_ptr_array_unref (self->tail_links);
  g_array_unref (self->lists);
  g_clear_pointer (&self->table, markdown_view_table_free);
  if (self->code != NULL)
    g_string_free (self->code, TRUE);
  G_OBJECT_CLASS (rw_markdown_view_parent_class)->finalize (object);
}

static void
rw_markdown_view_class_init (RwMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_markdown_view_dispose;
  object_class->finalize = rw_markdown_view_finalize;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "textview");
}

static void
rw_markdown_view_init (RwMarkdownView *self)
{
  GtkTextView *view = GTK_TEXT_VIEW (self);
  GtkTextIter start;
  GtkGesture *click = gtk_gesture_click_new ();

  self->source = g_string_new (NULL);
  self->tags = g_ptr_array_new ();
  self->tail_links = g_ptr_array_new ();
  self->lists = g_array_new (FALSE, TRUE, sizeof (List));
  self->buffer = gtk_text_view_get_buffer (view);
  gtk_text_buffer_get_start_iter (self->buffer, &start);
  self->tail = gtk_text_buffer_create_mark (self->buffer, NULL, &start, TRUE);

  gtk_text_view_set_editable (view, FALSE);
  gtk_text_view_set_cursor_visible (view, FALSE);
  gtk_text_view_set_wrap_mode (view, GTK_WRAP_WORD_CHAR);

  gtk_text_buffer_create_tag (self->buffer, "h1", "weight", PANGO_WEIGHT_BOLD, "scale", 1.5, NULL);
  gtk_text_buffer_create_tag (self->buffer, "h2", "weight", PANGO_WEIGHT_BOLD, "scale", 1.3, NULL);
  gtk_text_buffer_create_tag (self->buffer, "h3", "weight", PANGO_WEIGHT_BOLD, "scale", 1.15, NULL);
  gtk_text_buffer_create_tag (self->buffer, "h4", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (self->buffer, "h5", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (self->buffer, "h6", "weight", PANGO_WEIGHT_BOLD, "style",
                              PANGO_STYLE_ITALIC, NULL);
  gtk_text_buffer_create_tag (self->buffer, "em", "style", PANGO_STYLE_ITALIC, NULL);
  gtk_text_buffer_create_tag (self->buffer, "strong", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (self->buffer, "del", "strikethrough", TRUE, NULL);
  gtk_text_buffer_create_tag (self->buffer, "u", "underline", PANGO_UNDERLINE_SINGLE, NULL);
  gtk_text_buffer_create_tag (self->buffer, "code", "family", "monospace", "background-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 0.15 }, NULL);
  gtk_text_buffer_create_tag (self->buffer, "code-block", "family", "monospace",
                              "paragraph-background-rgba", &(GdkRGBA) { 0.5, 0.5, 0.5, 0.12 },
                              "left-margin", 20, "right-margin", 12, "wrap-mode", GTK_WRAP_CHAR,
                              NULL);
  gtk_text_buffer_create_tag (self->buffer, "code-lang", "scale", 0.85, "foreground-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 1 }, NULL);
  gtk_text_buffer_create_tag (self->buffer, "table", "family", "monospace", "wrap-mode",
                              GTK_WRAP_NONE, NULL);
  gtk_text_buffer_create_tag (self->buffer, "quote", "left-margin", 28, "style",
                              PANGO_STYLE_ITALIC, "foreground-rgba",
                              &(GdkRGBA) { 0.45, 0.45, 0.45, 1 }, NULL);
  gtk_text_buffer_create_tag (self->buffer, "hr", "foreground-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 0.6 }, NULL);
  gtk_text_buffer_create_tag (self->buffer, "link", "foreground-rgba",
                              &(GdkRGBA) { 0.11, 0.44, 0.85, 1 }, "underline",
                              PANGO_UNDERLINE_SINGLE, NULL);

  g_signal_connect (click, "released", G_CALLBACK (markdown_view_on_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
rw_markdown_view_new (void)
{
  return g_object_new (RW_TYPE_MARKDOWN_VIEW, NULL);
}
