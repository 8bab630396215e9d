/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <md4c.h>
#include <string.h>

#include "rw-markdown-view-private.h"

/* Markdown into a GtkTextBuffer: md4c walks the source and calls back for each block, span
 * and run of text; the renderer inserts the text with the tags of what encloses it, lays out
 * lists with their markers, draws tables in aligned columns and puts a copy button over each
 * code block. */

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

struct _RwMarkdownRenderer
{
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GPtrArray *tags;       /* GtkTextTag, applied to text inserted now */
  GArray *lists;         /* List */
  Table *table;
  GString *code;         /* the text of the code block being rendered */
  gboolean in_tail;      /* rendering the tail, which the next frame deletes */
  GPtrArray *tail_links; /* the link tags made for the tail, removed with it */
};


static GtkTextTag *
markdown_renderer_tag (RwMarkdownRenderer *self,
                       const char     *name)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (self->buffer);

  return gtk_text_tag_table_lookup (table, name);
}

/* An indent tag for a list nesting level (1-based) and quote depth, made once. */
static GtkTextTag *
markdown_renderer_indent_tag (RwMarkdownRenderer *self,
                              int             level)
{
  g_autofree char *name = g_strdup_printf ("indent-%d", level);
  GtkTextTag *tag = markdown_renderer_tag (self, name);

  if (tag == NULL)
    tag = gtk_text_buffer_create_tag (self->buffer, name, "left-margin", 12 + 22 * level,
                                      "indent", -16, NULL);
  return tag;
}

static void
markdown_renderer_insert (RwMarkdownRenderer *self,
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
markdown_renderer_trailing_newlines (RwMarkdownRenderer *self)
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
markdown_renderer_separate (RwMarkdownRenderer *self,
                            gboolean        blank)
{
  int want = blank ? 2 : 1;
  int have = markdown_renderer_trailing_newlines (self);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (self->buffer, &end);
  /* Separators carry no tags: a code block's background must not grow over them. */
  for (; have < want; have++)
    gtk_text_buffer_insert (self->buffer, &end, "\n", 1);
}

static void
markdown_renderer_push (RwMarkdownRenderer *self,
                        GtkTextTag     *tag)
{
  g_ptr_array_add (self->tags, tag);
}

static void
markdown_renderer_pop (RwMarkdownRenderer *self,
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
markdown_renderer_on_copy_code (GtkButton *button,
                                gpointer   data)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          g_object_get_data (G_OBJECT (button), "code"));
}

/* The line above a code block: its language and a button that copies the code. */
static void
markdown_renderer_code_header (RwMarkdownRenderer *self,
                               const char     *code,
                               const char     *lang)
{
  GtkTextIter at;
  GtkTextChildAnchor *anchor;

  /* A block still streaming gets its button once it is whole: a widget made every frame for
   * each column would cost more than the rest of the frame. */
  if (!self->in_tail)
    {
      GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");

      gtk_text_buffer_get_end_iter (self->buffer, &at);
      anchor = gtk_text_buffer_create_child_anchor (self->buffer, &at);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "code-copy");
      gtk_widget_set_tooltip_text (button, _("Copy the code"));
      g_object_set_data_full (G_OBJECT (button), "code", g_strdup (code), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (markdown_renderer_on_copy_code), NULL);
      gtk_text_view_add_child_at_anchor (self->view, button, anchor);
    }
  if (lang != NULL && *lang != '\0')
    {
      markdown_renderer_push (self, markdown_renderer_tag (self, "code-lang"));
      markdown_renderer_insert (self, " ", 1);
      markdown_renderer_insert (self, lang, -1);
      markdown_renderer_pop (self, markdown_renderer_tag (self, "code-lang"));
    }
  markdown_renderer_insert (self, "\n", 1);
}

static void
markdown_renderer_render_table (RwMarkdownRenderer *self)
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
  markdown_renderer_separate (self, TRUE);
  markdown_renderer_push (self, markdown_renderer_tag (self, "table"));
  for (guint r = 0; r < t->rows->len; r++)
    {
      GPtrArray *row = t->rows->pdata[r];
      g_autoptr(GString) line = g_string_new (NULL);
      GtkTextTag *strong = markdown_renderer_tag (self, "strong");

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
        markdown_renderer_push (self, strong);
      markdown_renderer_insert (self, line->str, -1);
      if (r < t->head_rows)
        markdown_renderer_pop (self, strong);
      markdown_renderer_insert (self, "\n", 1);
      if (r + 1 == t->head_rows)
        {
          g_autoptr(GString) rule = g_string_new (NULL);
          for (guint c = 0; c < widths->len; c++)
            {
              g_string_append (rule, c == 0 ? "" : "─┼─");
              for (guint i = 0; i < g_array_index (widths, guint, c); i++)
                g_string_append (rule, "─");
            }
          markdown_renderer_insert (self, rule->str, -1);
          markdown_renderer_insert (self, "\n", 1);
        }
    }
  markdown_renderer_pop (self, markdown_renderer_tag (self, "table"));
}

/* The styles of Markdown's constructs. */
static void
markdown_renderer_create_tags (GtkTextBuffer *buffer)
{
  gtk_text_buffer_create_tag (buffer, "h1", "weight", PANGO_WEIGHT_BOLD, "scale", 1.5, NULL);
  gtk_text_buffer_create_tag (buffer, "h2", "weight", PANGO_WEIGHT_BOLD, "scale", 1.3, NULL);
  gtk_text_buffer_create_tag (buffer, "h3", "weight", PANGO_WEIGHT_BOLD, "scale", 1.15, NULL);
  gtk_text_buffer_create_tag (buffer, "h4", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "h5", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "h6", "weight", PANGO_WEIGHT_BOLD, "style",
                              PANGO_STYLE_ITALIC, NULL);
  gtk_text_buffer_create_tag (buffer, "em", "style", PANGO_STYLE_ITALIC, NULL);
  gtk_text_buffer_create_tag (buffer, "strong", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "del", "strikethrough", TRUE, NULL);
  gtk_text_buffer_create_tag (buffer, "u", "underline", PANGO_UNDERLINE_SINGLE, NULL);
  gtk_text_buffer_create_tag (buffer, "code", "family", "monospace", "background-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 0.15 }, NULL);
  gtk_text_buffer_create_tag (buffer, "code-block", "family", "monospace",
                              "paragraph-background-rgba", &(GdkRGBA) { 0.5, 0.5, 0.5, 0.12 },
                              "left-margin", 20, "right-margin", 12, "wrap-mode", GTK_WRAP_CHAR,
                              NULL);
  gtk_text_buffer_create_tag (buffer, "code-lang", "scale", 0.85, "foreground-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 1 }, NULL);
  gtk_text_buffer_create_tag (buffer, "table", "family", "monospace", "wrap-mode",
                              GTK_WRAP_NONE, NULL);
  gtk_text_buffer_create_tag (buffer, "quote", "left-margin", 28, "style",
                              PANGO_STYLE_ITALIC, "foreground-rgba",
                              &(GdkRGBA) { 0.45, 0.45, 0.45, 1 }, NULL);
  gtk_text_buffer_create_tag (buffer, "hr", "foreground-rgba",
                              &(GdkRGBA) { 0.5, 0.5, 0.5, 0.6 }, NULL);
  gtk_text_buffer_create_tag (buffer, "link", "foreground-rgba",
                              &(GdkRGBA) { 0.11, 0.44, 0.85, 1 }, "underline",
                              PANGO_UNDERLINE_SINGLE, NULL);
}

/* A table cell's text; g_string_free() takes two arguments, and is no GDestroyNotify. */
static void
markdown_renderer_cell_free (gpointer cell)
{
  g_string_free (cell, TRUE);
}

static void
markdown_renderer_table_free (Table *t)
{
  if (t != NULL)
    {
      g_ptr_array_unref (t->rows);
      g_free (t);
    }
}

static int
markdown_renderer_enter_block (MD_BLOCKTYPE type,
                               void        *detail,
                               void        *data)
{
  RwMarkdownRenderer *self = data;
  gboolean in_item = self->lists->len > 0;

  if (self->table != NULL)
    {
      if (type == MD_BLOCK_TR)
        g_ptr_array_add (self->table->rows,
                         g_ptr_array_new_with_free_func (markdown_renderer_cell_free));
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
      markdown_renderer_separate (self, !in_item);
      markdown_renderer_push (self, markdown_renderer_tag (self, "quote"));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        List l = { type == MD_BLOCK_OL, type == MD_BLOCK_OL
                                        ? ((MD_BLOCK_OL_DETAIL *) detail)->start : 0 };
        markdown_renderer_separate (self, !in_item);
        g_array_append_val (self->lists, l);
        markdown_renderer_push (self, markdown_renderer_indent_tag (self, self->lists->len));
      }
      break;
    case MD_BLOCK_LI:
      {
        List *l = &g_array_index (self->lists, List, self->lists->len - 1);
        g_autofree char *marker = l->ordered ? g_strdup_printf ("%u. ", l->next++)
                                             : g_strdup (self->lists->len % 2 ? "• " : "◦ ");
        MD_BLOCK_LI_DETAIL *li = detail;

        markdown_renderer_separate (self, FALSE);
        markdown_renderer_insert (self, marker, -1);
        if (li->is_task)
          markdown_renderer_insert (self, li->task_mark == ' ' ? "☐ " : "☑ ", -1);
      }
      break;
    case MD_BLOCK_HR:
      markdown_renderer_separate (self, TRUE);
      markdown_renderer_push (self, markdown_renderer_tag (self, "hr"));
      markdown_renderer_insert (self, "────────────", -1);
      markdown_renderer_pop (self, markdown_renderer_tag (self, "hr"));
      break;
    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", MIN (((MD_BLOCK_H_DETAIL *) detail)->level, 6));
        markdown_renderer_separate (self, TRUE);
        markdown_renderer_push (self, markdown_renderer_tag (self, name));
      }
      break;
    case MD_BLOCK_CODE:
      markdown_renderer_separate (self, !in_item);
      self->code = g_string_new (NULL);
      break;
    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
      markdown_renderer_separate (self, !in_item);
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
markdown_renderer_leave_block (MD_BLOCKTYPE type,
                               void        *detail,
                               void        *data)
{
  RwMarkdownRenderer *self = data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      markdown_renderer_pop (self, markdown_renderer_tag (self, "quote"));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      markdown_renderer_pop (self, markdown_renderer_indent_tag (self, self->lists->len));
      g_array_set_size (self->lists, self->lists->len - 1);
      break;
    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", MIN (((MD_BLOCK_H_DETAIL *) detail)->level, 6));
        markdown_renderer_pop (self, markdown_renderer_tag (self, name));
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
        markdown_renderer_push (self, markdown_renderer_tag (self, "code-block"));
        markdown_renderer_code_header (self, text->str, lang);
        markdown_renderer_insert (self, text->str, text->len);
        markdown_renderer_pop (self, markdown_renderer_tag (self, "code-block"));
        g_string_free (text, TRUE);
      }
      break;
    case MD_BLOCK_TABLE:
      markdown_renderer_render_table (self);
      g_clear_pointer (&self->table, markdown_renderer_table_free);
      break;
    default:
      break;
    }
  return 0;
}

static const char *
markdown_renderer_span_tag (MD_SPANTYPE type)
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
markdown_renderer_enter_span (MD_SPANTYPE type,
                              void       *detail,
                              void       *data)
{
  RwMarkdownRenderer *self = data;
  const char *name = markdown_renderer_span_tag (type);

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
      markdown_renderer_push (self, markdown_renderer_tag (self, "link"));
      markdown_renderer_push (self, link);
      return 0;
    }
  markdown_renderer_push (self, markdown_renderer_tag (self, name));
  return 0;
}

static int
markdown_renderer_leave_span (MD_SPANTYPE type,
                              void       *detail,
                              void       *data)
{
  RwMarkdownRenderer *self = data;
  const char *name = markdown_renderer_span_tag (type);

  if (self->table != NULL || name == NULL)
    return 0;
  if (type == MD_SPAN_A)
    g_ptr_array_remove_index (self->tags, self->tags->len - 1);
  markdown_renderer_pop (self, markdown_renderer_tag (self, name));
  return 0;
}

static const struct { const char *name, *text; } markdown_renderer_entities[] = {
  { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
  { "&nbsp;", " " }, { "&copy;", "©" }, { "&mdash;", "—" }, { "&ndash;", "–" },
  { "&hellip;", "…" },
};

static int
markdown_renderer_text (MD_TEXTTYPE   type,
                        const MD_CHAR *text,
                        MD_SIZE        size,
                        void          *data)
{
  RwMarkdownRenderer *self = data;
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
      for (guint i = 0; i < G_N_ELEMENTS (markdown_renderer_entities); i++)
        if (strlen (markdown_renderer_entities[i].name) == size
            && strncmp (markdown_renderer_entities[i].name, text, size) == 0)
          {
            text = markdown_renderer_entities[i].text;
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
    markdown_renderer_insert (self, text, size);
  return 0;
}

/**
 * _rw_markdown_renderer_render:
 * @self: the renderer
 * @text: Markdown
 * @len: its length
 * @tail: whether this is the tail the next render deletes: its links' tags go with it
 *
 * Renders @len bytes of Markdown at the end of the buffer.
 */
void
_rw_markdown_renderer_render (RwMarkdownRenderer *self,
                              const char         *text,
                              gsize               len,
                              gboolean            tail)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML,
    .enter_block = markdown_renderer_enter_block,
    .leave_block = markdown_renderer_leave_block,
    .enter_span = markdown_renderer_enter_span,
    .leave_span = markdown_renderer_leave_span,
    .text = markdown_renderer_text,
  };

  if (len == 0)
    return;
  self->in_tail = tail;
  g_ptr_array_set_size (self->tags, 0);
  g_array_set_size (self->lists, 0);
  md_parse (text, (MD_SIZE) len, &parser, self);
  /* A piece that ended inside a block leaves no state behind. */
  g_clear_pointer (&self->table, markdown_renderer_table_free);
  if (self->code != NULL)
    g_string_free (g_steal_pointer (&self->code), TRUE);
  self->in_tail = FALSE;
}

/* Forgets the link tags of the tail just deleted. */
void
_rw_markdown_renderer_drop_tail (RwMarkdownRenderer *self)
{
  for (guint i = 0; i < self->tail_links->len; i++)
    gtk_text_tag_table_remove (gtk_text_buffer_get_tag_table (self->buffer),
                               self->tail_links->pdata[i]);
  g_ptr_array_set_size (self->tail_links, 0);
}

RwMarkdownRenderer *
_rw_markdown_renderer_new (GtkTextView *view)
{
  RwMarkdownRenderer *self = g_new0 (RwMarkdownRenderer, 1);

  self->view = view;
  self->buffer = gtk_text_view_get_buffer (view);
  self->tags = g_ptr_array_new ();
  self->tail_links = g_ptr_array_new ();
  self->lists = g_array_new (FALSE, TRUE, sizeof (List));
  markdown_renderer_create_tags (self->buffer);
  return self;
}

void
_rw_markdown_renderer_free (RwMarkdownRenderer *self)
{
  g_ptr_array_unref (self->tags);
  g_ptr_array_unref (self->tail_links);
  g_array_unref (self->lists);
  g_clear_pointer (&self->table, markdown_renderer_table_free);
  if (self->code != NULL)
    g_string_free (self->code, TRUE);
  g_free (self);
}

