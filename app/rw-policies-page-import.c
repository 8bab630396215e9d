/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-policies-page-private.h"
#include "rw-thread-priority.h"
#include "rw-window.h"

/* The Policies view: graded answers imported from elsewhere, off the main loop. */

/* How far the import is, read from the main loop while the import's thread writes it. */
typedef struct
{
  gatomicrefcount ref_count;
  guint n_items;   /* atomic */
} ImportProgress;

static ImportProgress *
import_progress_ref (ImportProgress *p)
{
  g_atomic_ref_count_inc (&p->ref_count);
  return p;
}

static void
import_progress_unref (ImportProgress *p)
{
  if (g_atomic_ref_count_dec (&p->ref_count))
    g_free (p);
}

typedef struct
{
  RwStore *store;
  RwCatalog *catalog;
  char *path;
  ImportProgress *progress;
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_object_unref (job->store);
  g_object_unref (job->catalog);
  g_free (job->path);
  import_progress_unref (job->progress);
  g_free (job);
}

/* A promptfoo results file (.json), or RouteLLM's per-item grades (a .csv, or a folder of
 * them), as `routewise-cli import` reads them. */
static void
policies_page_import_thread (GTask        *task,
                             gpointer      source,
                             gpointer      data,
                             GCancellable *cancellable)
{
  ImportJob *job = data;
  GError *error = NULL;
  g_autofree char *run_id = NULL;
  guint n = 0;

  rw_thread_lower_priority ();
  if (g_str_has_suffix (job->path, ".json"))
    {
      g_autoptr(JsonNode) root = rw_file_read_json (job->path, RW_FILE_DATA_MAX, &error);

      if (root == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (!JSON_NODE_HOLDS_OBJECT (root) || !rw_promptfoo_is_results (json_node_get_object (root)))
        {
          g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG,
                                   _("%s is not a promptfoo results file"), job->path);
          return;
        }
      run_id = rw_promptfoo_import_results_cancellable (job->store, json_node_get_object (root),
                                                        job->path, cancellable, &n, &error);
    }
  else
    {
      run_id = rw_routellm_import_cancellable (job->store, job->catalog, job->path, cancellable,
                                               &job->progress->n_items, &error);
      n = g_atomic_int_get ((gint *) &job->progress->n_items);
    }
  if (run_id == NULL || !rw_store_flush (job->store, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_int (task, n);
}

static void
policies_page_imported_cb (GObject      *object,
                           GAsyncResult *res,
                           gpointer      user_data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  g_autoptr(GError) error = NULL;
  gssize n = g_task_propagate_int (G_TASK (res), &error);

  self->importing = FALSE;
  g_clear_handle_id (&self->import_progress_source, g_source_remove);
  g_clear_pointer (&self->import_progress, import_progress_unref);
  _rw_policies_page_sync_busy (self);
  if (n < 0)
    {
      /* What was imported before the cancel stays, and is learned from. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          rw_window_toast_for (GTK_WIDGET (self), _("Import cancelled; what was imported is kept"));
          rw_policies_page_reload (self);
        }
      else
        rw_window_toast_for (GTK_WIDGET (self), error->message);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (ngettext ("Imported %u item", "Imported %u items",
                                                       (gulong) n), (guint) n);
    rw_window_toast_for (GTK_WIDGET (self), text);
  }
  rw_policies_page_reload (self);
}

static gboolean
policies_page_show_import_progress (gpointer data)
{
  RwPoliciesPage *self = data;
  guint n = g_atomic_int_get ((gint *) &((ImportProgress *) self->import_progress)->n_items);
  g_autofree char *text = g_strdup_printf (ngettext ("Importing: %u item so far…",
                                                     "Importing: %u items so far…", n), n);

  gtk_label_set_text (self->summary, text);
  return G_SOURCE_CONTINUE;
}

/**
 * rw_policies_page_cancel_import:
 *
 * Stops the import after the file it is reading; what was imported stays.
 */
void
rw_policies_page_cancel_import (RwPoliciesPage *self)
{
  if (self->import_cancellable != NULL)
    g_cancellable_cancel (self->import_cancellable);
}

/**
 * rw_policies_page_import:
 * @path: a promptfoo results file (.json), a RouteLLM grades file (.csv) or a folder of them
 *
 * Imports graded answers off the main loop, then learns again from everything stored.
 */
void
rw_policies_page_import (RwPoliciesPage *self,
                         const char     *path)
{
  g_autoptr(GTask) task = NULL;
  ImportJob *job;

  if (self->store == NULL || self->importing)
    return;
  job = g_new0 (ImportJob, 1);
  job->store = g_object_ref (self->store);
  job->catalog = g_object_ref (self->catalog);
  job->path = g_strdup (path);
  job->progress = g_new0 (ImportProgress, 1);
  g_atomic_ref_count_init (&job->progress->ref_count);
  self->import_progress = import_progress_ref (job->progress);
  self->import_progress_source = g_timeout_add (200, policies_page_show_import_progress, self);
  g_clear_object (&self->import_cancellable);
  self->import_cancellable = g_cancellable_new ();
  self->importing = TRUE;
  task = g_task_new (self, self->import_cancellable, policies_page_imported_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, policies_page_import_thread);
  _rw_policies_page_sync_busy (self);
}

static void
policies_page_import_response (GtkNativeDialog *dialog,
                               int              response,
                               RwPoliciesPage  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    rw_policies_page_import (self, path);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

void
_rw_policies_page_import_clicked (RwPoliciesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Import Graded Answers"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("promptfoo results and RouteLLM grades"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (policies_page_import_response),
                    g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
