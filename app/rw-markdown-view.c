/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rw-markdown-view-private.h"

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

struct _RwMarkdownView
{
  GtkTextView parent_instance;

  GString *source;
  gsize stable;          /* source bytes rendered and kept */
  GtkTextMark *tail;     /* where the buffer's unstable tail starts */
  gboolean dirty;
  gboolean complete;     /* the answer is whole: nothing after it can change it */
  guint tick_id;
  guint n_renders;

  GtkTextBuffer *buffer;
  RwMarkdownRenderer *renderer;
};

G_DEFINE_FINAL_TYPE (RwMarkdownView, rw_markdown_view, GTK_TYPE_TEXT_VIEW)

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

  if (self->complete)
    return len;
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
  _rw_markdown_renderer_drop_tail (self->renderer);

  stable = markdown_view_find_stable (self);
  if (stable > self->stable)
    {
      _rw_markdown_renderer_render (self->renderer, self->source->str + self->stable,
                                    stable - self->stable, FALSE);
      self->stable = stable;
      gtk_text_buffer_get_end_iter (self->buffer, &end);
      gtk_text_buffer_move_mark (self->buffer, self->tail, &end);
    }
  _rw_markdown_renderer_render (self->renderer, self->source->str + self->stable,
                                self->source->len - self->stable, TRUE);
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
  self->complete = FALSE;
  markdown_view_schedule (self);
}

/**
 * rw_markdown_view_finish:
 * @self: the view
 *
 * Says that the answer is whole: its last block renders for good, with its copy button.
 */
void
rw_markdown_view_finish (RwMarkdownView *self)
{
  self->complete = TRUE;
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
  self->complete = TRUE;
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
  g_clear_pointer (&self->renderer, _rw_markdown_renderer_free);
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
  self->buffer = gtk_text_view_get_buffer (view);
  self->renderer = _rw_markdown_renderer_new (view);
  gtk_text_buffer_get_start_iter (self->buffer, &start);
  self->tail = gtk_text_buffer_create_mark (self->buffer, NULL, &start, TRUE);

  gtk_text_view_set_editable (view, FALSE);
  gtk_text_view_set_cursor_visible (view, FALSE);
  gtk_text_view_set_wrap_mode (view, GTK_WRAP_WORD_CHAR);

  g_signal_connect (click, "released", G_CALLBACK (markdown_view_on_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
rw_markdown_view_new (void)
{
  return g_object_new (RW_TYPE_MARKDOWN_VIEW, NULL);
}
